//! Defender for Cloud JSON (ARM list pages of alerts and assessments) → normalised `Finding`.
//!
//! As the ASFF normaliser does: only the fields the console uses are deserialised, borrowed
//! from the body where no escape forces a copy; text that repeats across findings is
//! interned; each item's own JSON is kept verbatim as `Normalized.raw`. One item type covers
//! both kinds (their only clash, `status`, is a string on alerts and an object on
//! assessments), so a body mixing them is read in one pass.

use std::borrow::Cow;

use self::wire::{Item, Page, Props, ResourceDetails, Status};

use crate::model::{
    Cloud, ComplianceStatus, Finding, Provider, RecordState, Resource, Severity, Text, Workflow,
    intern, parse_timestamp,
};
use crate::sources::{Normalized, NormalizedPage};

type Str<'a> = Cow<'a, str>;

/// Defender's default initiative, the Microsoft cloud security benchmark: every assessment
/// counts towards it, so posture scores Azure like an AWS standard.
pub const MCSB: &str = "azure/mcsb";
pub const DEFENDER: &str = "Microsoft Defender for Cloud";
pub const ALERT_TYPE: &str = "Microsoft.Security/Locations/alerts";
pub const ASSESSMENT_TYPE: &str = "Microsoft.Security/assessments";

/// Which list a page came from; `Any` decides per item (by `type`, else by the id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Alerts,
    Assessments,
    Any,
}

/// Per-source values, interned once per page rather than once per finding.
pub struct Ctx {
    source: Text,
    subscription: Text,
    /// When an assessment carries no evaluation dates (the spec's list example has none).
    now: i64,
    defender: Text,
    microsoft: Text,
    mcsb: Text,
    alert_arn: Text,
    assessment_arn: Text,
}

impl Ctx {
    pub fn new(source: &str, subscription: &str, now: i64) -> Ctx {
        Ctx {
            source: intern(source),
            subscription: intern(subscription),
            now,
            defender: intern(DEFENDER),
            microsoft: intern("Microsoft"),
            mcsb: intern(MCSB),
            alert_arn: intern(ALERT_TYPE),
            assessment_arn: intern(ASSESSMENT_TYPE),
        }
    }
}

/// Parses one ARM list page (`{"value": [...], "nextLink": ...}`). A malformed item is
/// skipped and counted; only a malformed envelope is an error. `next_token` is the nextLink.
pub fn normalize_page(body: &[u8], ctx: &Ctx, kind: Kind) -> Result<NormalizedPage, String> {
    let page: Page<'_> = serde_json::from_slice(body)
        .map_err(|e| format!("ARM returned a list that is not JSON of the expected shape: {e}"))?;
    let mut out = NormalizedPage {
        items: Vec::with_capacity(page.value.len()),
        skipped: Vec::new(),
        next_token: page.next_link.filter(|l| !l.is_empty()),
    };
    for raw in page.value {
        match normalize_one(raw.get(), ctx, kind) {
            Ok(Some(finding)) => out.items.push(Normalized {
                finding,
                raw: raw.get().into(),
            }),
            Ok(None) => {}
            Err(e) => out.skipped.push(e),
        }
    }
    Ok(out)
}

/// One alert or assessment; `Ok(None)` for an assessment that is not a finding
/// (NotApplicable). The error names the item when it has an id.
pub fn normalize_one(json: &str, ctx: &Ctx, kind: Kind) -> Result<Option<Finding>, String> {
    let item: Item<'_> = serde_json::from_str(json).map_err(|e| {
        let id = serde_json::from_str::<serde_json::Value>(json)
            .ok()
            .and_then(|v| v.get("id").and_then(|i| i.as_str()).map(str::to_owned));
        match id {
            Some(id) => format!("item {}: {e}", short(&id)),
            None => format!("item without a readable id: {e}"),
        }
    })?;
    let id = item.id.as_deref().unwrap_or_default();
    if !id.starts_with('/') {
        return Err(format!(
            "item without an ARM id (name {:?})",
            short(item.name.as_deref().unwrap_or_default())
        ));
    }
    let is_alert = match (kind, item.kind.as_deref()) {
        (Kind::Alerts, _) => true,
        (Kind::Assessments, _) => false,
        (Kind::Any, Some(t)) if t.eq_ignore_ascii_case(ALERT_TYPE) => true,
        (Kind::Any, Some(t)) if t.eq_ignore_ascii_case(ASSESSMENT_TYPE) => false,
        (Kind::Any, _) => find_ci(id, "/providers/Microsoft.Security/assessments/").is_none(),
    };
    let props = item.properties.unwrap_or_default();
    if is_alert {
        alert(id, props, ctx).map(Some)
    } else {
        assessment(id, item.name.as_deref(), props, ctx)
    }
}

/// At most 120 characters of an id for a one-line reason.
fn short(s: &str) -> String {
    super::client::one_line(s, 120)
}

pub fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    (n.len() <= h.len())
        .then(|| (0..=h.len() - n.len()).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n)))
        .flatten()
}

/// The resource type of an ARM id: `Microsoft.Compute/virtualMachines`,
/// `Microsoft.Sql/servers/databases`, `Microsoft.Resources/subscriptions` ….
pub fn resource_type(id: &str) -> String {
    let segs: Vec<&str> = id.trim_matches('/').split('/').collect();
    if let Some(p) = segs
        .iter()
        .rposition(|s| s.eq_ignore_ascii_case("providers"))
        && p + 1 < segs.len()
    {
        let mut t = segs[p + 1].to_string();
        for ty in segs[p + 2..].iter().step_by(2) {
            t.push('/');
            t.push_str(ty);
        }
        return t;
    }
    match segs.as_slice() {
        [s, _] if s.eq_ignore_ascii_case("subscriptions") => {
            "Microsoft.Resources/subscriptions".into()
        }
        [s, _, g, _]
            if s.eq_ignore_ascii_case("subscriptions")
                && g.eq_ignore_ascii_case("resourceGroups") =>
        {
            "Microsoft.Resources/resourceGroups".into()
        }
        _ => String::new(),
    }
}

/// `…/locations/{loc}/alerts/{name}` → `loc`.
fn alert_location(id: &str) -> &str {
    let segs: Vec<&str> = id.split('/').collect();
    segs.iter()
        .rposition(|s| s.eq_ignore_ascii_case("locations"))
        .and_then(|i| segs.get(i + 1))
        .copied()
        .unwrap_or_default()
}

fn time(id: &str, name: &str, v: Option<&Str<'_>>) -> Result<Option<i64>, String> {
    match v.map(|s| s.trim()) {
        None | Some("") => Ok(None),
        Some(s) => parse_timestamp(s).map(Some).ok_or_else(|| {
            format!(
                "item {}: {name} is not a timestamp: {:?}",
                short(id),
                short(s)
            )
        }),
    }
}

fn text(s: Option<&Str<'_>>) -> Text {
    intern(s.map(|s| s.as_ref()).unwrap_or_default())
}

fn opt_text(s: Option<&Str<'_>>) -> Option<Text> {
    s.filter(|s| !s.is_empty()).map(|s| intern(s))
}

fn join(v: Option<&Vec<Str<'_>>>, sep: &str) -> String {
    let mut out = String::new();
    for s in v.into_iter().flatten().filter(|s| !s.trim().is_empty()) {
        if !out.is_empty() {
            out.push_str(sep);
        }
        out.push_str(s);
    }
    out
}

fn severity(s: Option<&Str<'_>>) -> Severity {
    s.and_then(|s| Severity::parse(s.trim()))
        .unwrap_or(Severity::Medium)
}

fn detail(out: &mut Vec<(Text, Text)>, label: &'static str, value: &str) {
    if !value.trim().is_empty() {
        out.push((intern(label), intern(value)));
    }
}

fn alert(id: &str, p: Props<'_>, ctx: &Ctx) -> Result<Finding, String> {
    let start = time(id, "startTimeUtc", p.start_time_utc.as_ref())?;
    let end = time(id, "endTimeUtc", p.end_time_utc.as_ref())?;
    let generated = time(id, "timeGeneratedUtc", p.time_generated_utc.as_ref())?;
    let processed = time(
        id,
        "processingEndTimeUtc",
        p.processing_end_time_utc.as_ref(),
    )?;
    let created_at = start
        .or(generated)
        .or(processed)
        .ok_or_else(|| format!("item {}: alert without any timestamp", short(id)))?;
    let updated_at = match (generated, processed) {
        (Some(g), Some(pr)) => g.max(pr),
        (g, pr) => g.or(pr).unwrap_or(created_at),
    };
    let status = match &p.status {
        Some(Status::Alert(s)) => s.as_ref(),
        _ => "",
    };
    let workflow = match status.to_ascii_lowercase().as_str() {
        "inprogress" => Workflow::Notified,
        "resolved" => Workflow::Resolved,
        "dismissed" => Workflow::Suppressed,
        _ => Workflow::New,
    };
    let resources = p
        .resource_identifiers
        .iter()
        .flatten()
        .filter(|r| {
            r.kind
                .as_deref()
                .is_some_and(|k| k.eq_ignore_ascii_case("AzureResource"))
        })
        .filter_map(|r| r.azure_resource_id.as_deref().filter(|i| !i.is_empty()))
        .map(|rid| Resource {
            kind: intern(&resource_type(rid)),
            id: rid.to_string(),
            ..Resource::default()
        })
        .collect();
    let alert_type = p.alert_type.as_deref().unwrap_or_default();
    let title = p
        .alert_display_name
        .as_deref()
        .filter(|t| !t.is_empty())
        .unwrap_or(if alert_type.is_empty() {
            "Defender alert"
        } else {
            alert_type
        });
    let intent = p.intent.as_deref().unwrap_or_default();
    let mut techniques = join(p.techniques.as_ref(), ", ");
    let subs = join(p.sub_techniques.as_ref(), ", ");
    if !subs.is_empty() {
        techniques = if techniques.is_empty() {
            subs
        } else {
            format!("{techniques}; {subs}")
        };
    }
    let mut details = Vec::with_capacity(7);
    detail(&mut details, "Alert type", alert_type);
    detail(&mut details, "Intent", intent);
    detail(&mut details, "Techniques", &techniques);
    detail(
        &mut details,
        "Compromised entity",
        p.compromised_entity.as_deref().unwrap_or_default(),
    );
    detail(&mut details, "Status", status);
    detail(
        &mut details,
        "Plan",
        p.product_component_name.as_deref().unwrap_or_default(),
    );
    if p.is_incident == Some(true) {
        detail(&mut details, "Incident", "yes");
    }
    let remediation = join(p.remediation_steps.as_ref(), "\n");
    Ok(Finding {
        id: id.to_string(),
        product_arn: ctx.alert_arn.clone(),
        provider: Provider::AzureDefender,
        cloud: Cloud::Azure,
        source: ctx.source.clone(),
        account: ctx.subscription.clone(),
        account_name: None,
        region: intern(alert_location(id)),
        severity: severity(p.severity.as_ref()),
        severity_normalized: None,
        title: intern(title),
        description: text(p.description.as_ref()),
        product_name: opt_text(p.product_name.as_ref()).unwrap_or_else(|| ctx.defender.clone()),
        company_name: opt_text(p.vendor_name.as_ref()).unwrap_or_else(|| ctx.microsoft.clone()),
        generator_id: intern(alert_type),
        control_id: (!alert_type.is_empty()).then(|| intern(alert_type)),
        standards: Vec::new(),
        related_requirements: Vec::new(),
        types: intent
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(intern)
            .collect(),
        resources,
        workflow,
        // Resolved and dismissed alerts stay listed: the workflow says what happened.
        record_state: RecordState::Active,
        compliance: None,
        created_at,
        updated_at,
        first_observed_at: start,
        last_observed_at: end,
        remediation_text: (!remediation.is_empty()).then(|| intern(&remediation)),
        remediation_url: None,
        note: None,
        url: opt_text(p.alert_uri.as_ref()),
        vulns: Vec::new(),
        search_mask: Default::default(),
        details,
    })
}

fn assessment(
    id: &str,
    name: Option<&str>,
    p: Props<'_>,
    ctx: &Ctx,
) -> Result<Option<Finding>, String> {
    let status = match p.status {
        Some(Status::Assessment(s)) => s,
        _ => {
            return Err(format!(
                "item {}: assessment without a status object",
                short(id)
            ));
        }
    };
    let code = status.code.as_deref().unwrap_or_default();
    let (compliance, workflow) = match code.to_ascii_lowercase().as_str() {
        "unhealthy" => (ComplianceStatus::Failed, Workflow::New),
        "healthy" => (ComplianceStatus::Passed, Workflow::Resolved),
        "notapplicable" => return Ok(None),
        _ => {
            return Err(format!(
                "item {}: unknown assessment status {:?}",
                short(id),
                short(code)
            ));
        }
    };
    // The assessment key: its name, else the id's last segment.
    let key = name
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| id.rsplit('/').next().unwrap_or_default());
    let first = time(
        id,
        "firstEvaluationDate",
        status.first_evaluation_date.as_ref(),
    )?;
    let changed = time(id, "statusChangeDate", status.status_change_date.as_ref())?;
    let created_at = first.or(changed).unwrap_or(ctx.now);
    let updated_at = changed.unwrap_or(created_at).max(created_at);
    let meta = p.metadata;
    let m = meta.as_ref();
    let title = p
        .display_name
        .as_deref()
        .filter(|t| !t.is_empty())
        .or_else(|| {
            m.and_then(|m| m.display_name.as_deref())
                .filter(|t| !t.is_empty())
        })
        .unwrap_or(key);
    let resource = resource_of(id, p.resource_details);
    let mut details = Vec::with_capacity(6);
    if let Some(m) = m {
        detail(
            &mut details,
            "Categories",
            &join(m.categories.as_ref(), ", "),
        );
        detail(
            &mut details,
            "User impact",
            m.user_impact.as_deref().unwrap_or_default(),
        );
        detail(
            &mut details,
            "Implementation effort",
            m.implementation_effort.as_deref().unwrap_or_default(),
        );
        detail(&mut details, "Threats", &join(m.threats.as_ref(), ", "));
    }
    detail(&mut details, "Status", code);
    detail(
        &mut details,
        "Status cause",
        status.cause.as_deref().unwrap_or_default(),
    );
    detail(
        &mut details,
        "Status description",
        status.description.as_deref().unwrap_or_default(),
    );
    Ok(Some(Finding {
        id: id.to_string(),
        product_arn: ctx.assessment_arn.clone(),
        provider: Provider::AzureDefender,
        cloud: Cloud::Azure,
        source: ctx.source.clone(),
        account: ctx.subscription.clone(),
        account_name: None,
        region: Text::default(),
        severity: severity(m.and_then(|m| m.severity.as_ref())),
        severity_normalized: None,
        title: intern(title),
        description: text(m.and_then(|m| m.description.as_ref())),
        product_name: ctx.defender.clone(),
        company_name: ctx.microsoft.clone(),
        generator_id: text(m.and_then(|m| m.policy_definition_id.as_ref())),
        control_id: Some(intern(key)),
        standards: vec![ctx.mcsb.clone()],
        related_requirements: Vec::new(),
        types: m
            .and_then(|m| m.categories.as_ref())
            .into_iter()
            .flatten()
            .filter(|c| !c.is_empty())
            .map(|c| intern(c))
            .collect(),
        resources: vec![resource],
        workflow,
        record_state: RecordState::Active,
        compliance: Some(compliance),
        created_at,
        updated_at,
        first_observed_at: first,
        last_observed_at: None,
        remediation_text: m.and_then(|m| opt_text(m.remediation_description.as_ref())),
        remediation_url: None,
        note: None,
        url: p
            .links
            .as_ref()
            .and_then(|l| opt_text(l.azure_portal_uri.as_ref())),
        vulns: Vec::new(),
        search_mask: Default::default(),
        details,
    }))
}

/// The assessed resource: `resourceDetails` (Azure id, or an on-premises machine), else the
/// part of the assessment id before `/providers/Microsoft.Security/assessments/`.
fn resource_of(id: &str, d: Option<ResourceDetails<'_>>) -> Resource {
    let from_id = || {
        find_ci(id, "/providers/Microsoft.Security/assessments/")
            .map(|i| id[..i].to_string())
            .unwrap_or_default()
    };
    let d = d.unwrap_or_default();
    let source = d.source.as_deref().unwrap_or("Azure");
    let rid = match (&d.id, &d.machine_name) {
        (Some(i), _) if !i.is_empty() => i.to_string(),
        (_, Some(m)) if !m.is_empty() => m.to_string(),
        _ => from_id(),
    };
    let kind = if source.eq_ignore_ascii_case("Azure") || rid.starts_with('/') {
        resource_type(&rid)
    } else {
        source.to_string()
    };
    Resource {
        kind: intern(&kind),
        id: rid,
        ..Resource::default()
    }
}

mod wire;

#[cfg(test)]
mod tests;
