//! Microsoft Defender for Cloud over Azure Resource Manager: security alerts and
//! recommendations (assessments) per subscription, alert state changes, secure score.
//!
//! One source per subscription (`azure/<name>/<subscription>`); the subscriptions of one
//! `[[azure]]` entry share an HTTP client and a credential. The alerts API has no
//! update-time filter, so every poll is a full read (`incremental() == false`), which also
//! catches changes made elsewhere and findings that went away.

pub mod auth;
pub mod client;
pub mod normalize;
pub mod score;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;

use self::auth::{AuthSettings, Credential};
use self::client::{Arm, RetryPolicy};
use self::normalize::{Ctx, Kind, find_ci};
use crate::config::{AzureConfig, PollConfig};
use crate::model::{Provider, Workflow, now_ms};
use crate::sources::{
    NormalizedPage, ProviderScore, Query, RateLimit, Source, SourceError, SourceInfo,
    WorkflowOutcome, WorkflowUpdate,
};

pub const PUBLIC_ARM: &str = "https://management.azure.com";
pub const ALERTS_API: &str = "2022-01-01";
pub const ASSESSMENTS_API: &str = "2021-06-01";
pub const SCORE_API: &str = "2020-01-01";
pub const SUBSCRIPTIONS_API: &str = "2022-12-01";

/// Defender recomputes secure score every few hours: read it at most this often.
pub const SCORE_TTL: Duration = Duration::from_secs(600);

/// ARM refills a subscription's read bucket at 25 requests/s (250 burst) for all its
/// clients together; a console stays well below that.
pub const ARM_READS: RateLimit = RateLimit {
    per_sec: 4.0,
    burst: 8,
};

/// One `[[azure]]` entry with every setting explicit (the config plus the environment), so
/// tests can build one without touching the process environment.
#[derive(Debug, Clone)]
pub struct AzureTarget {
    pub name: String,
    pub subscriptions: Vec<String>,
    pub endpoint_url: String,
    pub auth: AuthSettings,
    pub alerts: bool,
    pub assessments: bool,
    pub retry: RetryPolicy,
}

impl AzureTarget {
    /// From the config and the process environment (`AZURE_*`, `IDENTITY_*`, `PATH`).
    pub fn from_config(cfg: &AzureConfig, poll: &PollConfig) -> AzureTarget {
        let endpoint = cfg
            .endpoint_url
            .as_ref()
            .map(|u| u.get_ref().trim_end_matches('/').to_string())
            .unwrap_or_else(|| PUBLIC_ARM.into());
        let auth = AuthSettings::from_lookup(
            |k| std::env::var(k).ok(),
            cfg.tenant_id.as_ref().map(|t| t.get_ref().as_str()),
            cfg.authority_host.as_ref().map(|a| a.get_ref().as_str()),
            &arm_audience(&endpoint),
        );
        AzureTarget {
            name: cfg.name.get_ref().clone(),
            subscriptions: cfg
                .subscriptions
                .get_ref()
                .iter()
                .map(|s| s.get_ref().clone())
                .collect(),
            endpoint_url: endpoint,
            auth,
            alerts: cfg.alerts,
            assessments: cfg.assessments,
            retry: RetryPolicy {
                attempts: poll.max_attempts.max(1),
                ..RetryPolicy::default()
            },
        }
    }
}

/// The token audience for an ARM endpoint: the sovereign clouds' own, else public ARM's
/// (proxies and emulators in front of public ARM take its tokens).
pub fn arm_audience(endpoint: &str) -> String {
    let host = reqwest::Url::parse(endpoint)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .unwrap_or_default();
    if host.ends_with(".usgovcloudapi.net") {
        "https://management.usgovcloudapi.net".into()
    } else if host.ends_with(".chinacloudapi.cn") {
        "https://management.chinacloudapi.cn".into()
    } else {
        PUBLIC_ARM.into()
    }
}

/// The HTTP client of the Azure sources (rustls, the project's one TLS stack).
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .user_agent(concat!("agent-hubble/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// The sources of one config entry.
pub async fn sources(cfg: &AzureConfig, poll: &PollConfig) -> anyhow::Result<Vec<Arc<dyn Source>>> {
    let target = AzureTarget::from_config(cfg, poll);
    Ok(connect(&target)?
        .into_iter()
        .map(|s| s as Arc<dyn Source>)
        .collect())
}

/// One source per subscription, sharing a client and a credential. Makes no request: the
/// credential chain runs on the first poll, so a sign-in problem shows as the sources'
/// health rather than stopping the console.
pub fn connect(t: &AzureTarget) -> anyhow::Result<Vec<Arc<AzureSource>>> {
    let http = http_client()?;
    let credential = Arc::new(Credential::new(http.clone(), t.auth.clone()));
    let arm = Arc::new(
        Arm::new(http, &t.endpoint_url, credential, t.retry.clone())
            .map_err(|e| anyhow::anyhow!("{}: {e}", t.name))?,
    );
    Ok(t.subscriptions
        .iter()
        .map(|sub| {
            Arc::new(AzureSource {
                info: SourceInfo {
                    key: format!("azure/{}/{sub}", t.name),
                    provider: Provider::AzureDefender,
                    name: t.name.clone(),
                    region: String::new(),
                },
                arm: arm.clone(),
                subscription: sub.clone(),
                alerts: t.alerts,
                assessments: t.assessments,
                scope_name: Mutex::new(None),
                scores_read: tokio::sync::Mutex::new(None),
            })
        })
        .collect())
}

pub struct AzureSource {
    info: SourceInfo,
    arm: Arc<Arm>,
    subscription: String,
    alerts: bool,
    assessments: bool,
    /// The subscription's display name, once read.
    scope_name: Mutex<Option<String>>,
    /// When the secure score was last read.
    scores_read: tokio::sync::Mutex<Option<Instant>>,
}

/// Where a full read is: alerts first, then assessments.
#[derive(Debug, PartialEq, Eq)]
enum Cursor {
    Alerts(Option<String>),
    Assessments(Option<String>),
}

impl Cursor {
    fn encode(&self) -> String {
        match self {
            Cursor::Alerts(l) => format!("alerts:{}", l.as_deref().unwrap_or_default()),
            Cursor::Assessments(l) => format!("assessments:{}", l.as_deref().unwrap_or_default()),
        }
    }

    fn decode(token: &str) -> Option<Cursor> {
        let (kind, link) = token.split_once(':')?;
        let link = (!link.is_empty()).then(|| link.to_string());
        match kind {
            "alerts" => Some(Cursor::Alerts(link)),
            "assessments" => Some(Cursor::Assessments(link)),
            _ => None,
        }
    }
}

/// What a workflow status asks Defender to do with an alert.
pub fn alert_action(w: Workflow) -> &'static str {
    match w {
        Workflow::New => "activate",
        Workflow::Notified => "inProgress",
        Workflow::Resolved => "resolve",
        Workflow::Suppressed => "dismiss",
    }
}

impl AzureSource {
    pub fn subscription(&self) -> &str {
        &self.subscription
    }

    /// The credential method in use, once one has worked.
    pub fn credential_method(&self) -> Option<&'static str> {
        self.arm.credential().method()
    }

    fn list_url(&self, kind: Kind) -> Result<reqwest::Url, SourceError> {
        let sub = &self.subscription;
        self.arm.url(&match kind {
            Kind::Alerts => format!(
                "/subscriptions/{sub}/providers/Microsoft.Security/alerts?api-version={ALERTS_API}"
            ),
            _ => format!(
                "/subscriptions/{sub}/providers/Microsoft.Security/assessments?api-version={ASSESSMENTS_API}&$expand=links,metadata"
            ),
        })
    }

    async fn page(
        &self,
        query: &Query,
        token: Option<String>,
    ) -> Result<NormalizedPage, SourceError> {
        let cursor = match token.as_deref() {
            None if self.alerts => Cursor::Alerts(None),
            None => Cursor::Assessments(None),
            Some(t) => Cursor::decode(t)
                .ok_or_else(|| SourceError::Other(format!("bad Azure page token {t:?}")))?,
        };
        let (kind, link) = match cursor {
            Cursor::Alerts(l) => (Kind::Alerts, l),
            Cursor::Assessments(l) => (Kind::Assessments, l),
        };
        let url = match link {
            Some(l) => self.arm.next_link(&l)?,
            None => self.list_url(kind)?,
        };
        let body = self.arm.get(url).await?;
        let ctx = Ctx::new(&self.info.key, &self.subscription, now_ms());
        let mut page = normalize::normalize_page(&body, &ctx, kind).map_err(SourceError::Other)?;
        let next = match (kind, page.next_token.take()) {
            (Kind::Alerts, Some(l)) => Some(Cursor::Alerts(Some(l))),
            (Kind::Alerts, None) if self.assessments => Some(Cursor::Assessments(None)),
            (Kind::Assessments, Some(l)) => Some(Cursor::Assessments(Some(l))),
            _ => None,
        };
        page.next_token = next.map(|c| c.encode());
        // ARM cannot filter by update time: an incremental query is a full read, trimmed here.
        if let Query::UpdatedSince(t) = query {
            page.items.retain(|n| n.finding.updated_at >= *t);
        }
        Ok(page)
    }

    /// An alert id of this subscription (`/subscriptions/{sub}[/resourceGroups/{rg}]/providers/
    /// Microsoft.Security/locations/{loc}/alerts/{name}`), safe to put in a URL path.
    fn is_own_alert(&self, id: &str) -> bool {
        let segs: Vec<&str> = id.split('/').collect();
        let n = segs.len();
        let tail_ok = n >= 9
            && segs[n - 2].eq_ignore_ascii_case("alerts")
            && segs[n - 4].eq_ignore_ascii_case("locations")
            && segs[n - 5].eq_ignore_ascii_case("Microsoft.Security")
            && segs[n - 6].eq_ignore_ascii_case("providers");
        let head_ok = segs.first() == Some(&"")
            && segs
                .get(1)
                .is_some_and(|s| s.eq_ignore_ascii_case("subscriptions"))
            && segs
                .get(2)
                .is_some_and(|s| s.eq_ignore_ascii_case(&self.subscription));
        let clean = segs[1..].iter().all(|s| {
            !s.is_empty()
                && *s != ".."
                && *s != "."
                && s.bytes()
                    .all(|b| b.is_ascii_graphic() && !b"?#%\\".contains(&b))
        });
        tail_ok && head_ok && clean
    }

    async fn set_workflow(&self, u: &WorkflowUpdate) -> Result<WorkflowOutcome, SourceError> {
        let action = alert_action(u.status);
        let mut out = WorkflowOutcome::default();
        let mut stop: Option<(String, String)> = None;
        for f in &u.findings {
            let id = f.id.as_str();
            if find_ci(id, "/providers/Microsoft.Security/assessments/").is_some() {
                out.unprocessed.push((
                    f.id.clone(),
                    "RecommendationStateIsComputed".into(),
                    "Defender recommendations change state when the resource is fixed; they cannot be set from the console".into(),
                ));
                continue;
            }
            if !self.is_own_alert(id) {
                out.unprocessed.push((
                    f.id.clone(),
                    "NotAnAlertOfThisSubscription".into(),
                    format!(
                        "not a Defender alert id of subscription {}",
                        self.subscription
                    ),
                ));
                continue;
            }
            if let Some((code, msg)) = &stop {
                out.unprocessed
                    .push((f.id.clone(), code.clone(), msg.clone()));
                continue;
            }
            let url = self
                .arm
                .url(&format!("{id}/{action}?api-version={ALERTS_API}"))?;
            match self.arm.post(url).await {
                Ok(_) => out.processed.push(f.id.clone()),
                Err(e) => {
                    let code = match &e {
                        SourceError::Throttled(_) => "Throttled",
                        SourceError::Auth(_) => "AccessDenied",
                        _ => "Failed",
                    };
                    // Denied or throttled once is so for the rest: do not hammer ARM.
                    if matches!(e, SourceError::Throttled(_) | SourceError::Auth(_)) {
                        stop = Some((code.into(), e.to_string()));
                    }
                    out.unprocessed
                        .push((f.id.clone(), code.into(), e.to_string()));
                }
            }
        }
        Ok(out)
    }

    /// The subscription's display name (`GET /subscriptions/{id}`), else its id.
    async fn scope_name(&self) -> String {
        if let Some(n) = self.scope_name.lock().expect("name lock").clone() {
            return n;
        }
        let path = format!(
            "/subscriptions/{}?api-version={SUBSCRIPTIONS_API}",
            self.subscription
        );
        let name = match self.arm.url(&path) {
            Ok(url) => self
                .arm
                .get(url)
                .await
                .ok()
                .and_then(|b| score::parse_subscription_name(&b)),
            Err(_) => None,
        };
        match name {
            Some(n) => {
                *self.scope_name.lock().expect("name lock") = Some(n.clone());
                n
            }
            None => self.subscription.clone(),
        }
    }

    async fn secure_score(&self) -> Result<Vec<ProviderScore>, SourceError> {
        let sub = &self.subscription;
        let name = self.scope_name().await;
        let base =
            format!("/subscriptions/{sub}/providers/Microsoft.Security/secureScores/ascScore");
        let body = self
            .arm
            .get(self.arm.url(&format!("{base}?api-version={SCORE_API}"))?)
            .await?;
        let mut s = score::parse_score(&body, sub, &name).map_err(SourceError::Other)?;
        let mut url = self.arm.url(&format!(
            "{base}/secureScoreControls?api-version={SCORE_API}&$expand=definition"
        ))?;
        loop {
            let body = self.arm.get(url).await?;
            let (controls, next) = score::parse_controls(&body).map_err(SourceError::Other)?;
            s.controls.extend(controls);
            match next {
                Some(l) => url = self.arm.next_link(&l)?,
                None => break,
            }
        }
        Ok(vec![s])
    }
}

impl Source for AzureSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    /// Alerts, then assessments; every query is a full read.
    fn fetch_page<'a>(
        &'a self,
        query: &'a Query,
        token: Option<String>,
    ) -> BoxFuture<'a, Result<NormalizedPage, SourceError>> {
        Box::pin(self.page(query, token))
    }

    /// Alerts change state (activate, inProgress, resolve, dismiss); assessments cannot.
    /// Notes stay in the console's store: Defender has nowhere to keep them.
    fn update_workflow<'a>(
        &'a self,
        update: &'a WorkflowUpdate,
    ) -> BoxFuture<'a, Result<WorkflowOutcome, SourceError>> {
        Box::pin(self.set_workflow(update))
    }

    fn rate_limit(&self) -> RateLimit {
        ARM_READS
    }

    fn incremental(&self) -> bool {
        false
    }

    /// The secure score, read at most every [`SCORE_TTL`]: every Azure poll is a full sync.
    /// In between nothing new (an empty list), so the hub keeps the last scores and a failure
    /// is reported once per period.
    fn scores(&self) -> BoxFuture<'_, Result<Vec<ProviderScore>, SourceError>> {
        Box::pin(async move {
            let mut read = self.scores_read.lock().await;
            if read.is_some_and(|at| at.elapsed() < SCORE_TTL) {
                return Ok(Vec::new());
            }
            *read = Some(Instant::now());
            self.secure_score().await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        for c in [
            Cursor::Alerts(None),
            Cursor::Alerts(Some("https://x/a?b=c:d".into())),
            Cursor::Assessments(None),
            Cursor::Assessments(Some("http://127.0.0.1:1/s?$skipToken=e30".into())),
        ] {
            assert_eq!(Cursor::decode(&c.encode()), Some(c));
        }
        assert_eq!(Cursor::decode("gcp:x"), None);
        assert_eq!(Cursor::decode("alerts"), None);
    }

    #[test]
    fn audiences_and_actions() {
        assert_eq!(arm_audience("http://127.0.0.1:8080"), PUBLIC_ARM);
        assert_eq!(
            arm_audience("https://management.usgovcloudapi.net"),
            "https://management.usgovcloudapi.net"
        );
        assert_eq!(alert_action(Workflow::Notified), "inProgress");
        assert_eq!(alert_action(Workflow::Suppressed), "dismiss");
    }

    #[tokio::test]
    async fn config_entries_become_one_source_per_subscription() {
        let cfg: AzureConfig = toml::from_str(
            r#"
name = "contoso"
subscriptions = ["20ff7fc3-e762-44dd-bd96-b71116dcdc23", "0980887d-03d6-408c-9566-532f3456804e"]
tenant_id = "contoso.onmicrosoft.com"
endpoint_url = "http://127.0.0.1:8080/"
authority_host = "http://127.0.0.1:8081"
assessments = false
"#,
        )
        .unwrap();
        let poll = PollConfig {
            max_attempts: 5,
            ..PollConfig::default()
        };
        let t = AzureTarget::from_config(&cfg, &poll);
        assert_eq!(t.endpoint_url, "http://127.0.0.1:8080");
        assert_eq!(t.auth.tenant_id.as_deref(), Some("contoso.onmicrosoft.com"));
        assert_eq!(t.auth.authority_host, "http://127.0.0.1:8081");
        assert_eq!(t.auth.resource, PUBLIC_ARM);
        assert_eq!(
            (t.alerts, t.assessments, t.retry.attempts),
            (true, false, 5)
        );
        let keys: Vec<String> = sources(&cfg, &poll)
            .await
            .unwrap()
            .iter()
            .map(|s| s.info().key.clone())
            .collect();
        assert_eq!(
            keys,
            [
                "azure/contoso/20ff7fc3-e762-44dd-bd96-b71116dcdc23",
                "azure/contoso/0980887d-03d6-408c-9566-532f3456804e"
            ]
        );
    }

    #[test]
    fn only_own_alert_ids_reach_a_url() {
        let t = AzureTarget {
            name: "t".into(),
            subscriptions: vec!["20ff7fc3-e762-44dd-bd96-b71116dcdc23".into()],
            endpoint_url: "http://127.0.0.1:9".into(),
            auth: AuthSettings::default(),
            alerts: true,
            assessments: true,
            retry: RetryPolicy::default(),
        };
        let s = connect(&t).unwrap().remove(0);
        let ok = "/subscriptions/20ff7fc3-e762-44dd-bd96-b71116dcdc23/resourceGroups/myRg1/providers/Microsoft.Security/locations/westeurope/alerts/2518_F144";
        assert!(s.is_own_alert(ok));
        assert!(s.is_own_alert(&ok.replace("/resourceGroups/myRg1", "")));
        assert!(!s.is_own_alert(&ok.replace("20ff7fc3", "00000000")));
        assert!(!s.is_own_alert(&format!("{ok}/../../x")));
        assert!(!s.is_own_alert(&format!("{ok}?x=1")));
        assert!(!s.is_own_alert("/subscriptions/20ff7fc3-e762-44dd-bd96-b71116dcdc23"));
        assert_eq!(s.info().key, "azure/t/20ff7fc3-e762-44dd-bd96-b71116dcdc23");
        assert!(!s.incremental());
    }
}
