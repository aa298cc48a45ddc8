//! ASFF (AWS Security Finding Format) JSON → normalised `Finding`.
//!
//! Only the fields the console uses are deserialised (borrowed where possible); the rest of
//! each finding is skipped by serde and kept verbatim as raw JSON for the detail pane.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::model::{
    ComplianceStatus, Finding, Note, Provider, RecordState, Resource, Severity, Text, Workflow,
    intern, parse_timestamp,
};

type Str<'a> = Cow<'a, str>;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Asff<'a> {
    #[serde(borrow)]
    id: Str<'a>,
    #[serde(borrow)]
    product_arn: Str<'a>,
    #[serde(borrow)]
    aws_account_id: Str<'a>,
    #[serde(borrow, default)]
    region: Option<Str<'a>>,
    #[serde(borrow, default)]
    generator_id: Option<Str<'a>>,
    #[serde(borrow, default)]
    title: Option<Str<'a>>,
    #[serde(borrow, default)]
    description: Option<Str<'a>>,
    #[serde(borrow, default)]
    product_name: Option<Str<'a>>,
    #[serde(borrow, default)]
    company_name: Option<Str<'a>>,
    #[serde(borrow, default)]
    types: Vec<Str<'a>>,
    #[serde(borrow, default)]
    created_at: Option<Str<'a>>,
    #[serde(borrow, default)]
    updated_at: Option<Str<'a>>,
    #[serde(borrow, default)]
    first_observed_at: Option<Str<'a>>,
    #[serde(borrow, default)]
    last_observed_at: Option<Str<'a>>,
    #[serde(borrow, default)]
    severity: Option<AsffSeverity<'a>>,
    #[serde(borrow, default)]
    remediation: Option<AsffRemediation<'a>>,
    #[serde(borrow, default)]
    product_fields: Option<HashMap<Str<'a>, Str<'a>>>,
    #[serde(borrow, default)]
    resources: Vec<AsffResource<'a>>,
    #[serde(borrow, default)]
    compliance: Option<AsffCompliance<'a>>,
    #[serde(borrow, default)]
    workflow: Option<AsffWorkflow<'a>>,
    #[serde(borrow, default)]
    workflow_state: Option<Str<'a>>,
    #[serde(borrow, default)]
    record_state: Option<Str<'a>>,
    #[serde(borrow, default)]
    note: Option<AsffNote<'a>>,
    #[serde(borrow, default)]
    source_url: Option<Str<'a>>,
    #[serde(borrow, default)]
    vulnerabilities: Vec<AsffVulnerability<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AsffVulnerability<'a> {
    #[serde(borrow, default)]
    id: Option<Str<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AsffSeverity<'a> {
    #[serde(borrow, default)]
    label: Option<Str<'a>>,
    #[serde(default)]
    normalized: Option<f64>,
    #[serde(default)]
    product: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AsffRemediation<'a> {
    #[serde(borrow, default)]
    recommendation: Option<AsffRecommendation<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AsffRecommendation<'a> {
    #[serde(borrow, default)]
    text: Option<Str<'a>>,
    #[serde(borrow, default)]
    url: Option<Str<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AsffResource<'a> {
    #[serde(borrow, rename = "Type", default)]
    kind: Option<Str<'a>>,
    #[serde(borrow, default)]
    id: Option<Str<'a>>,
    #[serde(borrow, default)]
    partition: Option<Str<'a>>,
    #[serde(borrow, default)]
    region: Option<Str<'a>>,
    #[serde(borrow, default)]
    tags: Option<HashMap<Str<'a>, Str<'a>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AsffCompliance<'a> {
    #[serde(borrow, default)]
    status: Option<Str<'a>>,
    #[serde(borrow, default)]
    security_control_id: Option<Str<'a>>,
    #[serde(borrow, default)]
    related_requirements: Vec<Str<'a>>,
    #[serde(borrow, default)]
    associated_standards: Vec<AsffStandard<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AsffStandard<'a> {
    #[serde(borrow, default)]
    standards_id: Option<Str<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AsffWorkflow<'a> {
    #[serde(borrow, default)]
    status: Option<Str<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AsffNote<'a> {
    #[serde(borrow, default)]
    text: Option<Str<'a>>,
    #[serde(borrow, default)]
    updated_by: Option<Str<'a>>,
    #[serde(borrow, default)]
    updated_at: Option<Str<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct FindingsPage<'a> {
    #[serde(borrow, default)]
    findings: Vec<&'a RawValue>,
    #[serde(default)]
    next_token: Option<String>,
}

/// A normalised finding together with the JSON it came from.
#[derive(Debug, Clone)]
pub struct Normalized {
    pub finding: Finding,
    pub raw: Box<str>,
}

/// Result of normalising one GetFindings response (or any `{"Findings": [...]}` document).
#[derive(Debug, Default)]
pub struct NormalizedPage {
    pub items: Vec<Normalized>,
    /// One line per finding that was skipped, with the reason.
    pub skipped: Vec<String>,
    pub next_token: Option<String>,
}

/// Parses a `{"Findings": [...], "NextToken": ...}` body. A malformed finding is skipped and
/// counted; only a malformed envelope is an error.
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

/// Normalises one ASFF finding. The error names the finding (when it has an id) and the cause.
pub fn normalize_one(json: &str, source: &str) -> Result<Finding, String> {
    let a: Asff<'_> = serde_json::from_str(json).map_err(|e| {
        let id = serde_json::from_str::<serde_json::Value>(json)
            .ok()
            .and_then(|v| v.get("Id").and_then(|i| i.as_str()).map(str::to_owned));
        match id {
            Some(id) => format!("finding {id}: {e}"),
            None => format!("finding without a readable Id: {e}"),
        }
    })?;
    convert(a, source)
}

/// Shared text for fields that repeat across findings.
fn opt_text(s: Option<Str<'_>>) -> Option<Text> {
    s.filter(|s| !s.is_empty()).map(|s| intern(&s))
}

fn time_field(id: &str, name: &str, v: Option<&Str<'_>>) -> Result<Option<i64>, String> {
    match v {
        None => Ok(None),
        Some(s) if s.is_empty() => Ok(None),
        Some(s) => parse_timestamp(s)
            .map(Some)
            .ok_or_else(|| format!("finding {id}: {name} is not a timestamp: {s:?}")),
    }
}

fn severity(s: Option<&AsffSeverity<'_>>) -> (Severity, Option<u32>) {
    let Some(s) = s else {
        return (Severity::Informational, None);
    };
    let normalized = s
        .normalized
        .filter(|n| n.is_finite())
        .map(|n| n.clamp(0.0, 100.0).round() as u32);
    if let Some(label) = s.label.as_deref().and_then(Severity::parse) {
        return (label, normalized);
    }
    // `Product` is deprecated, but older integrations send only it (0–100 scale, like Normalized).
    let n = normalized.or_else(|| {
        s.product
            .filter(|p| p.is_finite())
            .map(|p| p.clamp(0.0, 100.0).round() as u32)
    });
    (
        n.map_or(Severity::Informational, Severity::from_normalized),
        normalized,
    )
}

fn workflow(w: Option<&AsffWorkflow<'_>>, legacy: Option<&Str<'_>>) -> Workflow {
    if let Some(s) = w
        .and_then(|w| w.status.as_deref())
        .and_then(Workflow::parse)
    {
        return s;
    }
    // Deprecated WorkflowState values, mapped as Security Hub documents.
    match legacy.map(|s| s.as_ref()) {
        Some("ASSIGNED" | "IN_PROGRESS") => Workflow::Notified,
        Some("RESOLVED") => Workflow::Resolved,
        Some("DEFERRED") => Workflow::Suppressed,
        _ => Workflow::New,
    }
}

/// Control id from the compliance block, product fields, or a standards generator id
/// (`aws-foundational-security-best-practices/v/1.0.0/S3.8`, `security-control/S3.8`).
fn control_id(
    c: Option<&AsffCompliance<'_>>,
    fields: Option<&HashMap<Str<'_>, Str<'_>>>,
    generator: Option<&str>,
) -> Option<String> {
    if let Some(id) = c.and_then(|c| c.security_control_id.as_deref())
        && !id.is_empty()
    {
        return Some(id.to_string());
    }
    if let Some(id) = fields.and_then(|f| f.get("ControlId"))
        && !id.is_empty()
    {
        return Some(id.to_string());
    }
    let g = generator?;
    let looks_like_control = g.starts_with("security-control/")
        || g.starts_with("aws-foundational-security-best-practices/")
        || g.starts_with("arn:aws:securityhub:::ruleset/")
        || g.starts_with("pci-dss/")
        || g.starts_with("nist-800-53/")
        || g.starts_with("cis-aws-foundations-benchmark/");
    if !looks_like_control {
        return None;
    }
    let last = g.rsplit('/').next()?;
    (!last.is_empty() && last.contains('.')).then(|| last.to_string())
}

/// Region from the finding, its first resource, or the product ARN (`arn:aws:securityhub:REGION:…`).
fn region_of(a: &Asff<'_>) -> String {
    if let Some(r) = a.region.as_deref().filter(|r| !r.is_empty()) {
        return r.to_string();
    }
    if let Some(r) = a.resources.first().and_then(|r| r.region.as_deref())
        && !r.is_empty()
    {
        return r.to_string();
    }
    a.product_arn.split(':').nth(3).unwrap_or("").to_string()
}

fn convert(a: Asff<'_>, source: &str) -> Result<Finding, String> {
    let id = a.id.as_ref();
    if id.is_empty() {
        return Err("finding with an empty Id".into());
    }
    if a.product_arn.is_empty() || a.aws_account_id.is_empty() {
        return Err(format!("finding {id}: ProductArn or AwsAccountId is empty"));
    }
    let updated = time_field(id, "UpdatedAt", a.updated_at.as_ref())?;
    let created = time_field(id, "CreatedAt", a.created_at.as_ref())?;
    let (updated_at, created_at) = match (updated, created) {
        (Some(u), Some(c)) => (u, c),
        (Some(u), None) => (u, u),
        (None, Some(c)) => (c, c),
        (None, None) => return Err(format!("finding {id}: neither UpdatedAt nor CreatedAt")),
    };
    let first_observed_at = time_field(id, "FirstObservedAt", a.first_observed_at.as_ref())?;
    let last_observed_at = time_field(id, "LastObservedAt", a.last_observed_at.as_ref())?;
    let (sev, normalized) = severity(a.severity.as_ref());
    let fields = a.product_fields.as_ref();
    let product_name = a
        .product_name
        .as_deref()
        .or_else(|| fields.and_then(|f| f.get("aws/securityhub/ProductName").map(|s| s.as_ref())))
        // `…:product/aws/guardduty` → `guardduty`, better than nothing.
        .unwrap_or_else(|| a.product_arn.rsplit('/').next().unwrap_or(""));
    let product_name = intern(product_name);
    let company_name = a
        .company_name
        .as_deref()
        .or_else(|| fields.and_then(|f| f.get("aws/securityhub/CompanyName").map(|s| s.as_ref())))
        .unwrap_or("");
    let company_name = intern(company_name);
    let control_id = control_id(a.compliance.as_ref(), fields, a.generator_id.as_deref());
    let record_state = a
        .record_state
        .as_deref()
        .and_then(RecordState::parse)
        .unwrap_or(RecordState::Active);
    let region = region_of(&a);
    let wf = workflow(a.workflow.as_ref(), a.workflow_state.as_ref());
    let (rec_text, rec_url) = a
        .remediation
        .and_then(|r| r.recommendation)
        .map_or((None, None), |r| (opt_text(r.text), opt_text(r.url)));
    let note = match a.note {
        Some(n) if n.text.as_deref().is_some_and(|t| !t.is_empty()) => Some(Note {
            text: n.text.unwrap_or_default().into_owned(),
            updated_by: n.updated_by.unwrap_or_default().into_owned(),
            updated_at: n
                .updated_at
                .as_deref()
                .and_then(parse_timestamp)
                .unwrap_or(updated_at),
        }),
        _ => None,
    };
    let resources = a
        .resources
        .into_iter()
        .map(|r| {
            let mut tags: Vec<(Text, Text)> = r
                .tags
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (intern(&k), intern(&v)))
                .collect();
            tags.sort();
            Resource {
                kind: intern(r.kind.as_deref().unwrap_or_default()),
                id: r.id.unwrap_or_default().into_owned(),
                region: opt_text(r.region),
                partition: opt_text(r.partition),
                tags,
            }
        })
        .collect();
    let (compliance, standards, related_requirements) = match a.compliance {
        Some(c) => (
            c.status.as_deref().and_then(ComplianceStatus::parse),
            c.associated_standards
                .into_iter()
                .filter_map(|s| opt_text(s.standards_id))
                .collect(),
            c.related_requirements.iter().map(|r| intern(r)).collect(),
        ),
        None => (None, Vec::new(), Vec::new()),
    };
    Ok(Finding {
        id: id.to_string(),
        product_arn: intern(&a.product_arn),
        provider: Provider::AwsSecurityHub,
        source: intern(source),
        account: intern(&a.aws_account_id),
        account_name: None,
        region: intern(&region),
        severity: sev,
        severity_normalized: normalized,
        title: intern(a.title.as_deref().unwrap_or_default()),
        description: intern(a.description.as_deref().unwrap_or_default()),
        product_name,
        company_name,
        generator_id: intern(a.generator_id.as_deref().unwrap_or_default()),
        control_id: control_id.map(Text::from),
        standards,
        related_requirements,
        types: a.types.iter().map(|t| intern(t)).collect(),
        resources,
        workflow: wf,
        record_state,
        compliance,
        created_at,
        updated_at,
        first_observed_at,
        last_observed_at,
        remediation_text: rec_text,
        remediation_url: rec_url,
        note,
        url: a
            .source_url
            .as_deref()
            .filter(|u| !u.is_empty())
            .map(intern),
        vulns: a
            .vulnerabilities
            .iter()
            .filter_map(|v| v.id.as_deref())
            .filter(|v| !v.is_empty())
            .map(intern)
            .collect(),
        cloud: crate::model::Cloud::Aws,
        search_mask: Default::default(),
        details: Vec::new(),
    })
}

#[cfg(test)]
mod tests;
