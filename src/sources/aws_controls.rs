//! Control metadata from the Security Hub API: the enabled standards and their controls, with
//! titles, severities and whether each control is enabled. When this fails (hub not enabled,
//! access denied, an API the partition lacks) the caller derives the same from findings instead.
//!
//! Two views of the same data exist. The consolidated one (ListSecurityControlDefinitions +
//! ListStandardsControlAssociations) is keyed by security control id (`S3.8`), as findings'
//! `Compliance.SecurityControlId` are, so it is used whenever it answers, whatever the hub's
//! ControlFindingGenerator. The per-standard one (DescribeStandardsControls) is keyed by standard
//! control ids (`2.1`, `PCI.IAM.1`); it is the fallback where the consolidated APIs are missing or
//! refused (GovCloud and China have no consolidation, and their findings carry those ids too).

use std::collections::{HashMap, HashSet};

use aws_config::SdkConfig;
use aws_sdk_securityhub::Client;
use aws_sdk_securityhub::types::{
    AssociationStatus, ControlStatus, SeverityRating, StandardsStatus,
};
use futures::{StreamExt, TryStreamExt, stream};

use super::SourceError;
use super::aws_securityhub::classify;
use crate::model::Severity;

/// ListStandardsControlAssociations is one call per control: a few at a time, and the SDK's
/// adaptive retry absorbs throttling.
const CONCURRENCY: usize = 4;
/// Stops a paging loop if a service keeps handing out tokens.
const MAX_PAGES: usize = 1000;
/// The largest page every operation used here accepts.
const PAGE: i32 = 100;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ControlDef {
    /// Security control id (`S3.8`); a standard control id (`2.1`) from the per-standard view.
    pub id: String,
    pub title: String,
    pub severity: Option<Severity>,
    /// Fragments of the enabled standards the control is enabled in (as in findings'
    /// `AssociatedStandards`, e.g. `standards/aws-foundational-security-best-practices/v/1.0.0`).
    /// A control disabled everywhere lists every enabled standard that contains it.
    pub standards: Vec<String>,
    /// Enabled in at least one enabled standard.
    pub enabled: bool,
    pub related_requirements: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ControlMetadata {
    /// Fragments of the enabled standards, in subscription order.
    pub enabled_standards: Vec<String>,
    /// Sorted by id, numbers compared as numbers (`S3.2` before `S3.10`).
    pub controls: Vec<ControlDef>,
    /// `"api"`: read from Security Hub (the findings-derived fallback says otherwise).
    pub source: String,
    pub account: String,
    pub region: String,
}

/// The part of a StandardsArn that findings use as `StandardsId`:
/// `arn:aws:securityhub:us-east-1::standards/pci-dss/v/3.2.1` → `standards/pci-dss/v/3.2.1`,
/// `arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0` → `ruleset/…`.
/// Text that already is a fragment (or is no ARN) comes back trimmed.
pub fn standards_fragment(arn: &str) -> String {
    let arn = arn.trim();
    if arn.starts_with("arn:")
        && let Some(resource) = arn.splitn(6, ':').nth(5)
    {
        return resource.to_string();
    }
    ["standards/", "ruleset/"]
        .iter()
        .filter_map(|marker| arn.find(marker))
        .min()
        .map_or_else(|| arn.to_string(), |at| arn[at..].to_string())
}

/// Reads control metadata for the account and Region of `config`.
pub async fn fetch(config: &SdkConfig) -> Result<ControlMetadata, SourceError> {
    let client = Client::new(config);
    // DescribeHub first: it names the account and fails plainly where the hub is off.
    let hub = client.describe_hub().send().await.map_err(classify)?;
    let account = hub
        .hub_arn()
        .and_then(|arn| arn.split(':').nth(4))
        .unwrap_or_default()
        .to_string();
    let subs = subscriptions(&client).await?;
    let order: Vec<String> = subs.iter().map(|s| s.standard.clone()).collect();
    let controls = match consolidated(&client, &subs, &order).await {
        Ok(controls) => controls,
        Err(e) if e.is_throttle() => return Err(e),
        Err(e) => {
            tracing::debug!(error = %e, "consolidated control APIs unavailable; per standard");
            per_standard(&client, &subs, &order).await?
        }
    };
    Ok(ControlMetadata {
        enabled_standards: order,
        controls,
        source: "api".into(),
        account,
        region: config.region().map(|r| r.to_string()).unwrap_or_default(),
    })
}

/// One enabled standard.
#[derive(Debug, Clone)]
struct Subscription {
    arn: String,
    standards_arn: String,
    standard: String,
}

/// A control as a definition lists it, and the standards whose listing it was found in.
#[derive(Debug, Clone, PartialEq)]
struct Def {
    id: String,
    title: String,
    severity: Option<Severity>,
    found_in: Vec<String>,
}

/// A control's place in one standard.
#[derive(Debug, Clone, PartialEq)]
struct Assoc {
    standard: String,
    enabled: bool,
    requirements: Vec<String>,
}

fn severity(rating: Option<&SeverityRating>) -> Option<Severity> {
    rating.and_then(|r| Severity::parse(r.as_str()))
}

fn next_token(token: Option<&str>) -> Option<String> {
    token.filter(|t| !t.is_empty()).map(str::to_owned)
}

async fn subscriptions(client: &Client) -> Result<Vec<Subscription>, SourceError> {
    let mut out: Vec<Subscription> = Vec::new();
    let mut token = None;
    for _ in 0..MAX_PAGES {
        let page = client
            .get_enabled_standards()
            .max_results(PAGE)
            .set_next_token(token)
            .send()
            .await
            .map_err(classify)?;
        for s in page.standards_subscriptions() {
            // Being turned off or broken: its controls no longer count.
            if matches!(
                s.standards_status(),
                Some(StandardsStatus::Deleting | StandardsStatus::Failed)
            ) {
                continue;
            }
            let (Some(arn), Some(standards_arn)) =
                (s.standards_subscription_arn(), s.standards_arn())
            else {
                continue;
            };
            let standard = standards_fragment(standards_arn);
            if out.iter().all(|o| o.standard != standard) {
                out.push(Subscription {
                    arn: arn.to_string(),
                    standards_arn: standards_arn.to_string(),
                    standard,
                });
            }
        }
        token = next_token(page.next_token());
        if token.is_none() {
            break;
        }
    }
    Ok(out)
}

/// ListSecurityControlDefinitions per enabled standard, then ListStandardsControlAssociations per
/// control for its status in each standard.
async fn consolidated(
    client: &Client,
    subs: &[Subscription],
    order: &[String],
) -> Result<Vec<ControlDef>, SourceError> {
    let mut defs: Vec<Def> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for sub in subs {
        let mut token = None;
        for _ in 0..MAX_PAGES {
            let page = client
                .list_security_control_definitions()
                .standards_arn(&sub.standards_arn)
                .max_results(PAGE)
                .set_next_token(token)
                .send()
                .await
                .map_err(classify)?;
            for d in page.security_control_definitions() {
                let Some(id) = d.security_control_id() else {
                    continue;
                };
                let at = *index.entry(id.to_string()).or_insert_with(|| {
                    defs.push(Def {
                        id: id.to_string(),
                        title: d.title().unwrap_or_default().to_string(),
                        severity: severity(d.severity_rating()),
                        found_in: Vec::new(),
                    });
                    defs.len() - 1
                });
                defs[at].found_in.push(sub.standard.clone());
            }
            token = next_token(page.next_token());
            if token.is_none() {
                break;
            }
        }
    }
    let assocs: HashMap<String, Vec<Assoc>> = stream::iter(defs.iter().map(|d| d.id.clone()))
        .map(|id| async move { associations(client, &id).await.map(|a| (id, a)) })
        .buffer_unordered(CONCURRENCY)
        .try_collect()
        .await?;
    Ok(build(defs, assocs, order))
}

async fn associations(client: &Client, id: &str) -> Result<Vec<Assoc>, SourceError> {
    let mut out = Vec::new();
    let mut token = None;
    for _ in 0..MAX_PAGES {
        let page = client
            .list_standards_control_associations()
            .security_control_id(id)
            .max_results(PAGE)
            .set_next_token(token)
            .send()
            .await
            .map_err(classify)?;
        for a in page.standards_control_association_summaries() {
            let Some(standards_arn) = a.standards_arn() else {
                continue;
            };
            out.push(Assoc {
                standard: standards_fragment(standards_arn),
                enabled: a.association_status() != Some(&AssociationStatus::Disabled),
                requirements: a.related_requirements().to_vec(),
            });
        }
        token = next_token(page.next_token());
        if token.is_none() {
            break;
        }
    }
    Ok(out)
}

/// DescribeStandardsControls per subscription; controls with the same id in several standards
/// (FSBP and NIST both say `S3.8`) become one.
async fn per_standard(
    client: &Client,
    subs: &[Subscription],
    order: &[String],
) -> Result<Vec<ControlDef>, SourceError> {
    let mut defs: Vec<Def> = Vec::new();
    let mut assocs: HashMap<String, Vec<Assoc>> = HashMap::new();
    for sub in subs {
        let mut token = None;
        for _ in 0..MAX_PAGES {
            let page = client
                .describe_standards_controls()
                .standards_subscription_arn(&sub.arn)
                .max_results(PAGE)
                .set_next_token(token)
                .send()
                .await
                .map_err(classify)?;
            for c in page.controls() {
                let Some(id) = c.control_id() else {
                    continue;
                };
                if !assocs.contains_key(id) {
                    defs.push(Def {
                        id: id.to_string(),
                        title: c.title().unwrap_or_default().to_string(),
                        severity: severity(c.severity_rating()),
                        found_in: Vec::new(),
                    });
                }
                assocs.entry(id.to_string()).or_default().push(Assoc {
                    standard: sub.standard.clone(),
                    enabled: c.control_status() != Some(&ControlStatus::Disabled),
                    requirements: c.related_requirements().to_vec(),
                });
            }
            token = next_token(page.next_token());
            if token.is_none() {
                break;
            }
        }
    }
    Ok(build(defs, assocs, order))
}

/// Joins definitions with their per-standard associations. Only standards in `order` (the
/// enabled ones) count; a control nobody reported an association for keeps the standards it was
/// listed under, enabled (the AWS default).
fn build(
    defs: Vec<Def>,
    mut assocs: HashMap<String, Vec<Assoc>>,
    order: &[String],
) -> Vec<ControlDef> {
    let rank = |s: &String| order.iter().position(|o| o == s);
    let sorted = |mut v: Vec<String>| {
        v.retain(|s| rank(s).is_some());
        v.sort_by_key(rank);
        v.dedup();
        v
    };
    let mut out: Vec<ControlDef> = defs
        .into_iter()
        .map(|d| {
            let list: Vec<Assoc> = assocs
                .remove(&d.id)
                .unwrap_or_default()
                .into_iter()
                .filter(|a| rank(&a.standard).is_some())
                .collect();
            let (standards, enabled) = if list.is_empty() {
                let found = sorted(d.found_in);
                let enabled = !found.is_empty();
                (found, enabled)
            } else {
                let on = sorted(
                    list.iter()
                        .filter(|a| a.enabled)
                        .map(|a| a.standard.clone())
                        .collect(),
                );
                if on.is_empty() {
                    (
                        sorted(list.iter().map(|a| a.standard.clone()).collect()),
                        false,
                    )
                } else {
                    (on, true)
                }
            };
            let mut seen = HashSet::new();
            let related_requirements = list
                .into_iter()
                .flat_map(|a| a.requirements)
                .filter(|r| seen.insert(r.clone()))
                .collect();
            ControlDef {
                id: d.id,
                title: d.title,
                severity: d.severity,
                standards,
                enabled,
                related_requirements,
            }
        })
        .collect();
    out.sort_by_cached_key(|c| natural_key(&c.id));
    out
}

/// Sort key comparing runs of digits as numbers: `EC2.2` < `EC2.13` < `IAM.1`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    Num(u64),
    Text(String),
}

fn natural_key(id: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut rest = id;
    while let Some(c) = rest.chars().next() {
        let digit = c.is_ascii_digit();
        let end = rest
            .find(|ch: char| ch.is_ascii_digit() != digit)
            .unwrap_or(rest.len());
        let (run, tail) = rest.split_at(end);
        parts.push(match run.parse::<u64>() {
            Ok(n) if digit => Part::Num(n),
            _ => Part::Text(run.to_ascii_lowercase()),
        });
        rest = tail;
    }
    parts
}

#[cfg(test)]
mod tests;
