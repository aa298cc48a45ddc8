//! OCSF (the new Security Hub's GetFindingsV2) JSON → normalised `Finding`.
//!
//! Like the ASFF normaliser: only the fields the console uses are deserialised, borrowing
//! from the body; repeated text is interned; each finding's JSON is kept verbatim for the
//! detail pane. OCSF resource types (`AWS::S3::Bucket`) are mapped to the ASFF names
//! (`AwsS3Bucket`) so playbooks, filters and posture treat both alike.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{Normalized, NormalizedPage};
use crate::model::{
    Cloud, ComplianceStatus, Finding, Note, Provider, RecordState, Resource, Severity, Text,
    Workflow, intern, parse_timestamp,
};

type Str<'a> = Cow<'a, str>;

#[derive(Deserialize)]
struct Ocsf<'a> {
    #[serde(borrow, default)]
    metadata: Option<Metadata<'a>>,
    #[serde(default)]
    severity_id: Option<i64>,
    #[serde(borrow, default)]
    severity: Option<Str<'a>>,
    #[serde(default)]
    status_id: Option<i64>,
    #[serde(borrow, default)]
    class_name: Option<Str<'a>>,
    #[serde(default)]
    confidence_score: Option<f64>,
    #[serde(borrow, default)]
    cloud: Option<CloudInfo<'a>>,
    #[serde(borrow, default)]
    finding_info: Option<FindingInfo<'a>>,
    #[serde(borrow, default)]
    resources: Vec<OcsfResource<'a>>,
    #[serde(borrow, default)]
    compliance: Option<OcsfCompliance<'a>>,
    #[serde(borrow, default)]
    remediation: Option<OcsfRemediation<'a>>,
    #[serde(borrow, default)]
    vulnerabilities: Vec<Vulnerability<'a>>,
    #[serde(borrow, default)]
    comment: Option<Str<'a>>,
    #[serde(default)]
    time: Option<i64>,
    #[serde(borrow, default)]
    time_dt: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Metadata<'a> {
    #[serde(borrow, default)]
    uid: Option<Str<'a>>,
    #[serde(borrow, default)]
    product: Option<Product<'a>>,
}

#[derive(Deserialize)]
struct Product<'a> {
    #[serde(borrow, default)]
    name: Option<Str<'a>>,
    #[serde(borrow, default)]
    vendor_name: Option<Str<'a>>,
    #[serde(borrow, default)]
    uid: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct CloudInfo<'a> {
    #[serde(borrow, default)]
    region: Option<Str<'a>>,
    #[serde(borrow, default)]
    account: Option<Account<'a>>,
}

#[derive(Deserialize)]
struct Account<'a> {
    #[serde(borrow, default)]
    uid: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct FindingInfo<'a> {
    #[serde(borrow, default)]
    uid: Option<Str<'a>>,
    #[serde(borrow, default)]
    title: Option<Str<'a>>,
    #[serde(borrow, default)]
    desc: Option<Str<'a>>,
    #[serde(borrow, default)]
    types: Vec<Str<'a>>,
    #[serde(borrow, default)]
    analytic: Option<Analytic<'a>>,
    #[serde(borrow, default)]
    attacks: Vec<Attack<'a>>,
    #[serde(default)]
    created_time: Option<i64>,
    #[serde(borrow, default)]
    created_time_dt: Option<Str<'a>>,
    #[serde(default)]
    modified_time: Option<i64>,
    #[serde(borrow, default)]
    modified_time_dt: Option<Str<'a>>,
    #[serde(default)]
    first_seen_time: Option<i64>,
    #[serde(borrow, default)]
    first_seen_time_dt: Option<Str<'a>>,
    #[serde(default)]
    last_seen_time: Option<i64>,
    #[serde(borrow, default)]
    last_seen_time_dt: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Analytic<'a> {
    #[serde(borrow, default)]
    name: Option<Str<'a>>,
    #[serde(borrow, default)]
    uid: Option<Str<'a>>,
    #[serde(borrow, rename = "type", default)]
    kind: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Attack<'a> {
    #[serde(borrow, default)]
    tactic: Option<Named<'a>>,
    #[serde(borrow, default)]
    technique: Option<Named<'a>>,
}

#[derive(Deserialize)]
struct Named<'a> {
    #[serde(borrow, default)]
    name: Option<Str<'a>>,
    #[serde(borrow, default)]
    uid: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct OcsfResource<'a> {
    #[serde(borrow, rename = "type", default)]
    kind: Option<Str<'a>>,
    #[serde(borrow, default)]
    uid: Option<Str<'a>>,
    #[serde(borrow, default)]
    uid_alt: Option<Str<'a>>,
    #[serde(borrow, default)]
    region: Option<Str<'a>>,
    #[serde(borrow, default)]
    cloud_partition: Option<Str<'a>>,
    #[serde(borrow, default)]
    tags: Vec<Tag<'a>>,
}

#[derive(Deserialize)]
struct Tag<'a> {
    #[serde(borrow, default)]
    name: Option<Str<'a>>,
    #[serde(borrow, default)]
    value: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct OcsfCompliance<'a> {
    #[serde(borrow, default)]
    control: Option<Str<'a>>,
    #[serde(borrow, default)]
    status: Option<Str<'a>>,
    #[serde(default)]
    status_id: Option<i64>,
    #[serde(borrow, default)]
    standards: Vec<Str<'a>>,
    #[serde(borrow, default)]
    requirements: Vec<Str<'a>>,
}

#[derive(Deserialize)]
struct OcsfRemediation<'a> {
    #[serde(borrow, default)]
    desc: Option<Str<'a>>,
    #[serde(borrow, default)]
    references: Vec<Str<'a>>,
}

#[derive(Deserialize)]
struct Vulnerability<'a> {
    #[serde(borrow, default)]
    cve: Option<Named<'a>>,
    #[serde(borrow, default)]
    cwe: Option<Named<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct FindingsPage<'a> {
    #[serde(borrow, default)]
    findings: Vec<&'a RawValue>,
    #[serde(default)]
    next_token: Option<String>,
}

/// Parses a GetFindingsV2 body `{"Findings": [...], "NextToken": ...}`. A malformed finding
/// is skipped and counted; only a malformed envelope is an error.
pub fn normalize_page(body: &[u8], source: &str) -> Result<NormalizedPage, serde_json::Error> {
    let page: FindingsPage<'_> = serde_json::from_slice(body)?;
    let mut out = NormalizedPage {
        items: Vec::with_capacity(page.findings.len()),
        skipped: Vec::new(),
        next_token: page.next_token.filter(|t| !t.is_empty()),
    };
    for raw in page.findings {
        match normalize_one(raw.get(), source) {
            Ok(finding) => out.items.push(Normalized {
                finding,
                raw: raw.get().into(),
            }),
            Err(e) => out.skipped.push(e),
        }
    }
    Ok(out)
}

pub fn normalize_one(json: &str, source: &str) -> Result<Finding, String> {
    let o: Ocsf<'_> = serde_json::from_str(json).map_err(|e| {
        let id = serde_json::from_str::<serde_json::Value>(json)
            .ok()
            .and_then(|v| {
                v.pointer("/metadata/uid")
                    .and_then(|i| i.as_str())
                    .map(str::to_owned)
            });
        match id {
            Some(id) => format!("OCSF finding {id}: {e}"),
            None => format!("OCSF finding without a readable metadata.uid: {e}"),
        }
    })?;
    convert(o, source)
}

/// OCSF severity_id: 0 Unknown, 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical,
/// 6 Fatal, 99 Other (then the `severity` caption decides).
fn severity(id: Option<i64>, caption: Option<&str>) -> Severity {
    match id {
        Some(2) => Severity::Low,
        Some(3) => Severity::Medium,
        Some(4) => Severity::High,
        Some(5 | 6) => Severity::Critical,
        Some(1) => Severity::Informational,
        _ => caption
            .and_then(Severity::parse)
            .unwrap_or(Severity::Informational),
    }
}

/// OCSF status_id (1 New, 2 In Progress, 3 Suppressed, 4 Resolved, 5 Archived) ↔ workflow.
fn workflow(status_id: Option<i64>) -> (Workflow, RecordState) {
    match status_id {
        Some(2) => (Workflow::Notified, RecordState::Active),
        Some(3) => (Workflow::Suppressed, RecordState::Active),
        Some(4) => (Workflow::Resolved, RecordState::Active),
        Some(5) => (Workflow::Resolved, RecordState::Archived),
        _ => (Workflow::New, RecordState::Active),
    }
}

/// The StatusId BatchUpdateFindingsV2 takes for a workflow status.
pub fn status_id(w: Workflow) -> i32 {
    match w {
        Workflow::New => 1,
        Workflow::Notified => 2,
        Workflow::Suppressed => 3,
        Workflow::Resolved => 4,
    }
}

/// OCSF compliance status_id 1 Pass, 2 Warning, 3 Fail (else the caption).
fn compliance(c: &OcsfCompliance<'_>) -> Option<ComplianceStatus> {
    match c.status_id {
        Some(1) => Some(ComplianceStatus::Passed),
        Some(2) => Some(ComplianceStatus::Warning),
        Some(3) => Some(ComplianceStatus::Failed),
        _ => c
            .status
            .as_deref()
            .map(|s| ComplianceStatus::parse(s).unwrap_or(ComplianceStatus::NotAvailable)),
    }
}

/// `AWS::S3::Bucket` → `AwsS3Bucket`, `AWS::EC2::SecurityGroup` → `AwsEc2SecurityGroup`
/// (ASFF's names); anything else is kept.
pub fn asff_type(ocsf: &str) -> Cow<'_, str> {
    let parts: Vec<&str> = ocsf.split("::").collect();
    if parts.len() < 2 || !parts[0].eq_ignore_ascii_case("aws") {
        return Cow::Borrowed(ocsf);
    }
    let mut out = String::from("Aws");
    for p in &parts[1..] {
        // Acronyms (`EC2`, `IAM`) read `Ec2`, `Iam` in ASFF; CamelCase names stay.
        let acronym = !p.chars().any(|c| c.is_ascii_lowercase());
        let mut cs = p.chars();
        if let Some(c) = cs.next() {
            out.push(c.to_ascii_uppercase());
            out.extend(cs.map(|c| if acronym { c.to_ascii_lowercase() } else { c }));
        }
    }
    Cow::Owned(out)
}

/// Milliseconds from `*_time` or `*_time_dt`.
fn when(ms: Option<i64>, dt: Option<&Str<'_>>) -> Option<i64> {
    dt.and_then(|s| parse_timestamp(s))
        .or(ms.filter(|m| *m > 0))
}

fn text(s: Option<&Str<'_>>) -> Text {
    intern(s.map_or("", |s| s.as_ref()))
}

fn convert(o: Ocsf<'_>, source: &str) -> Result<Finding, String> {
    let meta = o.metadata.as_ref();
    let id = meta
        .and_then(|m| m.uid.as_deref())
        .filter(|u| !u.is_empty())
        .ok_or("OCSF finding without metadata.uid")?;
    let info = o.finding_info.as_ref();
    let account = o
        .cloud
        .as_ref()
        .and_then(|c| c.account.as_ref())
        .and_then(|a| a.uid.as_deref())
        .filter(|a| !a.is_empty())
        .ok_or_else(|| format!("OCSF finding {id}: no cloud.account.uid"))?;
    let region = o
        .cloud
        .as_ref()
        .and_then(|c| c.region.as_deref())
        .or_else(|| o.resources.first().and_then(|r| r.region.as_deref()))
        .unwrap_or("");
    let updated_at = when(
        info.and_then(|i| i.modified_time),
        info.and_then(|i| i.modified_time_dt.as_ref()),
    )
    .or_else(|| when(o.time, o.time_dt.as_ref()))
    .ok_or_else(|| format!("OCSF finding {id}: no modified_time or time"))?;
    let created_at = when(
        info.and_then(|i| i.created_time),
        info.and_then(|i| i.created_time_dt.as_ref()),
    )
    .unwrap_or(updated_at);
    let (wf, record_state) = workflow(o.status_id);
    let product = meta.and_then(|m| m.product.as_ref());
    let resources = o
        .resources
        .iter()
        .map(|r| {
            let mut tags: Vec<(Text, Text)> = r
                .tags
                .iter()
                .filter_map(|t| {
                    Some((
                        intern(t.name.as_deref()?),
                        intern(t.value.as_deref().unwrap_or("")),
                    ))
                })
                .collect();
            tags.sort();
            Resource {
                kind: intern(&asff_type(r.kind.as_deref().unwrap_or(""))),
                // The ARN where there is one: playbooks and console links use it.
                id: r
                    .uid_alt
                    .as_deref()
                    .filter(|u| u.starts_with("arn:"))
                    .or(r.uid.as_deref())
                    .unwrap_or("")
                    .to_string(),
                region: r.region.as_deref().filter(|s| !s.is_empty()).map(intern),
                partition: r
                    .cloud_partition
                    .as_deref()
                    .filter(|s| !s.is_empty())
                    .map(intern),
                tags,
            }
        })
        .collect();
    let comp = o.compliance.as_ref();
    let mut details: Vec<(Text, Text)> = Vec::new();
    if let Some(u) = info
        .and_then(|i| i.uid.as_deref())
        .filter(|u| !u.is_empty())
    {
        details.push((intern("Finding uid"), Text::from(u)));
    }
    if let Some(c) = o.class_name.as_deref() {
        details.push((intern("OCSF class"), intern(c)));
    }
    if let Some(s) = o.confidence_score {
        details.push((intern("Confidence"), Text::from(format!("{s}"))));
    }
    if let Some(a) = info.and_then(|i| i.analytic.as_ref()) {
        let name = a.name.as_deref().or(a.uid.as_deref()).unwrap_or("");
        let kind = a.kind.as_deref().unwrap_or("");
        if !name.is_empty() || !kind.is_empty() {
            details.push((intern("Analytic"), Text::from(format!("{name} ({kind})"))));
        }
    }
    let attacks: Vec<String> = info
        .map(|i| {
            i.attacks
                .iter()
                .map(|a| {
                    let t = a
                        .tactic
                        .as_ref()
                        .and_then(|t| t.name.as_deref())
                        .unwrap_or("");
                    let q = a
                        .technique
                        .as_ref()
                        .and_then(|t| t.name.as_deref().or(t.uid.as_deref()))
                        .unwrap_or("");
                    format!("{t}: {q}")
                })
                .collect()
        })
        .unwrap_or_default();
    if !attacks.is_empty() {
        details.push((intern("MITRE ATT&CK"), Text::from(attacks.join("; "))));
    }
    let mut vulns: Vec<Text> = Vec::new();
    for v in &o.vulnerabilities {
        for n in [v.cve.as_ref(), v.cwe.as_ref()].into_iter().flatten() {
            if let Some(u) = n.uid.as_deref().filter(|u| !u.is_empty()) {
                vulns.push(intern(u));
            }
        }
    }
    let remediation = o.remediation.as_ref();
    Ok(Finding {
        id: id.to_string(),
        product_arn: text(product.and_then(|p| p.uid.as_ref())),
        provider: Provider::AwsSecurityHubV2,
        cloud: Cloud::Aws,
        source: intern(source),
        account: intern(account),
        account_name: None,
        region: intern(region),
        severity: severity(o.severity_id, o.severity.as_deref()),
        severity_normalized: None,
        title: text(info.and_then(|i| i.title.as_ref())),
        description: text(info.and_then(|i| i.desc.as_ref())),
        product_name: text(product.and_then(|p| p.name.as_ref())),
        company_name: text(product.and_then(|p| p.vendor_name.as_ref())),
        generator_id: text(
            info.and_then(|i| i.analytic.as_ref())
                .and_then(|a| a.name.as_ref().or(a.uid.as_ref())),
        ),
        control_id: comp
            .and_then(|c| c.control.as_deref())
            .filter(|c| !c.is_empty())
            .map(intern),
        standards: comp
            .map(|c| c.standards.iter().map(|s| intern(s)).collect())
            .unwrap_or_default(),
        related_requirements: comp
            .map(|c| c.requirements.iter().map(|s| intern(s)).collect())
            .unwrap_or_default(),
        types: info
            .map(|i| i.types.iter().map(|t| intern(t)).collect())
            .unwrap_or_default(),
        resources,
        workflow: wf,
        record_state,
        compliance: comp.and_then(compliance),
        created_at,
        updated_at,
        first_observed_at: when(
            info.and_then(|i| i.first_seen_time),
            info.and_then(|i| i.first_seen_time_dt.as_ref()),
        ),
        last_observed_at: when(
            info.and_then(|i| i.last_seen_time),
            info.and_then(|i| i.last_seen_time_dt.as_ref()),
        ),
        remediation_text: remediation
            .and_then(|r| r.desc.as_deref())
            .filter(|d| !d.is_empty())
            .map(intern),
        remediation_url: remediation
            .and_then(|r| r.references.first())
            .filter(|u| !u.is_empty())
            .map(|u| intern(u)),
        note: o
            .comment
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(|c| Note {
                text: c.to_string(),
                updated_by: String::new(),
                updated_at,
            }),
        url: None,
        vulns,
        search_mask: Default::default(),
        details,
    })
}

#[cfg(test)]
mod tests;
