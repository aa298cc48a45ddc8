//! Azure secure score (api-version 2020-01-01): the subscription's `ascScore` and its
//! controls, as the portal shows them (percentages 0–100).

use serde::Deserialize;

use crate::model::Cloud;
use crate::sources::{ProviderControlScore, ProviderScore};

pub const NAME: &str = "Azure secure score";

#[derive(Deserialize, Default)]
struct ScoreDetails {
    #[serde(default)]
    max: Option<f64>,
    #[serde(default)]
    current: Option<f64>,
    /// A ratio (0.6033 for 60.33 %), rounded by ARM to four digits.
    #[serde(default)]
    percentage: Option<f64>,
}

impl ScoreDetails {
    /// (current, max, percentage 0–100).
    fn numbers(&self) -> (f64, f64, f64) {
        let fin = |v: Option<f64>| v.filter(|x| x.is_finite()).unwrap_or(0.0);
        let (current, max) = (fin(self.current), fin(self.max));
        let ratio = match self.percentage.filter(|p| p.is_finite()) {
            Some(p) => p,
            None if max > 0.0 => current / max,
            None => 0.0,
        };
        (current, max, round2(ratio.clamp(0.0, 1.0) * 100.0))
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[derive(Deserialize)]
struct Score {
    #[serde(default)]
    properties: ScoreProps,
}

#[derive(Deserialize, Default)]
struct ScoreProps {
    #[serde(default)]
    score: ScoreDetails,
}

#[derive(Deserialize)]
struct ControlPage {
    #[serde(default)]
    value: Vec<Control>,
    #[serde(default, rename = "nextLink")]
    next_link: Option<String>,
}

#[derive(Deserialize)]
struct Control {
    #[serde(default)]
    name: String,
    #[serde(default)]
    properties: ControlProps,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ControlProps {
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    healthy_resource_count: Option<u32>,
    #[serde(default)]
    unhealthy_resource_count: Option<u32>,
    #[serde(default)]
    not_applicable_resource_count: Option<u32>,
    #[serde(default)]
    score: ScoreDetails,
}

/// The subscription's score from `GET …/secureScores/ascScore`, without controls yet.
pub fn parse_score(body: &[u8], scope: &str, scope_name: &str) -> Result<ProviderScore, String> {
    let s: Score = serde_json::from_slice(body)
        .map_err(|e| format!("secure score is not JSON of the expected shape: {e}"))?;
    let (current, max, percentage) = s.properties.score.numbers();
    Ok(ProviderScore {
        cloud: Cloud::Azure,
        name: NAME.into(),
        scope: scope.into(),
        scope_name: scope_name.into(),
        current,
        max,
        percentage,
        controls: Vec::new(),
    })
}

/// One page of `…/secureScoreControls`: its controls and the nextLink.
pub fn parse_controls(body: &[u8]) -> Result<(Vec<ProviderControlScore>, Option<String>), String> {
    let page: ControlPage = serde_json::from_slice(body)
        .map_err(|e| format!("secure score controls are not JSON of the expected shape: {e}"))?;
    let controls = page
        .value
        .into_iter()
        .map(|c| {
            let (current, max, percentage) = c.properties.score.numbers();
            ProviderControlScore {
                name: c.properties.display_name.unwrap_or_else(|| c.name.clone()),
                id: c.name,
                current,
                max,
                percentage,
                healthy: c.properties.healthy_resource_count.unwrap_or(0),
                unhealthy: c.properties.unhealthy_resource_count.unwrap_or(0),
                not_applicable: c.properties.not_applicable_resource_count.unwrap_or(0),
            }
        })
        .collect();
    Ok((controls, page.next_link.filter(|l| !l.is_empty())))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Subscription {
    #[serde(default)]
    display_name: Option<String>,
}

/// `displayName` of `GET /subscriptions/{id}`.
pub fn parse_subscription_name(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<Subscription>(body)
        .ok()?
        .display_name
        .filter(|n| !n.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/azure/{name}", env!("CARGO_MANIFEST_DIR"));
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).expect(&path)).expect("fixture JSON");
        serde_json::to_vec(&v["responses"]["200"]["body"]).unwrap()
    }

    #[test]
    fn spec_example_score_and_controls() {
        let list: serde_json::Value =
            serde_json::from_slice(&fixture("ListSecureScores_example.json")).unwrap();
        let one = serde_json::to_vec(&list["value"][0]).unwrap();
        let s = parse_score(&one, "sub", "Contoso").unwrap();
        assert_eq!((s.current, s.max, s.percentage), (23.53, 39.0, 60.33));
        assert_eq!(s.name, "Azure secure score");
        let (controls, next) =
            parse_controls(&fixture("ListSecureScoreControls_example.json")).unwrap();
        assert_eq!(next, None);
        assert_eq!(controls.len(), 12);
        let transit = controls
            .iter()
            .find(|c| c.name == "Encrypt data in transit")
            .unwrap();
        assert_eq!(transit.id, "0e55495e-034f-4abc-8293-767229250176");
        assert_eq!(
            (transit.current, transit.max, transit.percentage),
            (3.33, 4.0, 83.25)
        );
        assert_eq!(
            (transit.healthy, transit.unhealthy, transit.not_applicable),
            (5, 1, 0)
        );
        let ddos = &controls[0];
        assert_eq!(
            (ddos.max, ddos.percentage, ddos.not_applicable),
            (0.0, 0.0, 1)
        );
    }

    #[test]
    fn missing_and_odd_numbers() {
        let s = parse_score(
            br#"{"properties":{"score":{"max":10,"current":2.5}}}"#,
            "s",
            "s",
        )
        .unwrap();
        assert_eq!(s.percentage, 25.0);
        let s = parse_score(br#"{"properties":{}}"#, "s", "s").unwrap();
        assert_eq!((s.current, s.max, s.percentage), (0.0, 0.0, 0.0));
        assert!(parse_score(b"[1]", "s", "s").is_err());
        let (c, _) =
            parse_controls(br#"{"value":[{"name":"x","properties":{"score":{"percentage":7}}}]}"#)
                .unwrap();
        assert_eq!((c[0].name.as_str(), c[0].percentage), ("x", 100.0));
        assert_eq!(
            parse_subscription_name(br#"{"displayName":"Prod"}"#).as_deref(),
            Some("Prod")
        );
        assert_eq!(parse_subscription_name(br#"{"displayName":" "}"#), None);
    }
}
