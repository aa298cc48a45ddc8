//! Security Command Center v2 `ListFindings` JSON → normalised `Finding`.
//!
//! As for ASFF, only the fields the console uses are deserialised (borrowed from the body
//! where possible); everything else is skipped by serde. Each `listFindingsResults[]` entry
//! (`{"finding": …, "resource": …}`, exactly as received) is kept as the raw JSON for the
//! detail pane: the resource half carries the project and hierarchy an analyst needs.

mod wire;

use std::borrow::Cow;

use self::wire::{GCompliance, GFinding, GResource, Indicator, Item, MitreAttack, Page, Str};
use crate::model::{
    Cloud, ComplianceStatus, Finding, Provider, RecordState, Resource, Severity, Text, Workflow,
    intern, parse_timestamp,
};
use crate::sources::{Normalized, NormalizedPage};

/// Product name when the finding does not name its source.
pub const DEFAULT_PRODUCT: &str = "Security Command Center";
/// Longest title we build from a category and a description (characters).
const TITLE_MAX: usize = 160;

/// Parses one `ListFindings` response body. A malformed result is skipped and counted; only
/// a malformed envelope is an error.
pub fn normalize_page(body: &[u8], source: &str) -> Result<NormalizedPage, serde_json::Error> {
    let page: Page<'_> = serde_json::from_slice(body)?;
    let source = intern(source);
    let mut out = NormalizedPage {
        items: Vec::with_capacity(page.list_findings_results.len()),
        skipped: Vec::new(),
        next_token: page.next_page_token.filter(|t| !t.is_empty()),
    };
    for raw in page.list_findings_results {
        match normalize_one(raw.get(), &source) {
            Ok(finding) => out.items.push(Normalized {
                finding,
                raw: raw.get().into(),
            }),
            Err(e) => out.skipped.push(e),
        }
    }
    Ok(out)
}

/// Normalises one `listFindingsResults[]` entry. The error names the finding when it can.
pub fn normalize_one(json: &str, source: &Text) -> Result<Finding, String> {
    let item: Item<'_> = serde_json::from_str(json).map_err(|e| {
        let name = serde_json::from_str::<serde_json::Value>(json)
            .ok()
            .and_then(|v| v.pointer("/finding/name")?.as_str().map(str::to_owned));
        match name {
            Some(n) => format!("finding {n}: {e}"),
            None => format!("finding without a readable name: {e}"),
        }
    })?;
    convert(item, source)
}

fn time_field(id: &str, field: &str, v: Option<&Str<'_>>) -> Result<Option<i64>, String> {
    match v.map(|s| &**s) {
        None | Some("") => Ok(None),
        Some(s) => parse_timestamp(s)
            .map(Some)
            .ok_or_else(|| format!("finding {id}: {field} is not a timestamp: {s:?}")),
    }
}

fn non_empty<'s>(s: &'s Option<Str<'_>>) -> Option<&'s str> {
    s.as_deref().filter(|s| !s.is_empty())
}

fn severity(s: Option<&str>) -> Severity {
    match s {
        Some("CRITICAL") => Severity::Critical,
        Some("HIGH") => Severity::High,
        Some("MEDIUM") => Severity::Medium,
        Some("LOW") => Severity::Low,
        // SEVERITY_UNSPECIFIED, absent, or a value newer than this code.
        _ => Severity::Informational,
    }
}

/// ACTIVE+UNMUTED → NEW, ACTIVE+MUTED → SUPPRESSED, INACTIVE → RESOLVED.
pub fn workflow(state: Option<&str>, mute: Option<&str>) -> Workflow {
    match (state, mute) {
        (Some("INACTIVE"), _) => Workflow::Resolved,
        (_, Some("MUTED")) => Workflow::Suppressed,
        _ => Workflow::New,
    }
}

/// Words kept in capitals when a category is humanised.
const ACRONYMS: &[&str] = &[
    "ACL", "AD", "API", "BQ", "CIS", "CMEK", "CSEK", "CVE", "DNS", "DDOS", "GCE", "GCS", "GKE",
    "HSM", "HTTP", "HTTPS", "IAM", "IAP", "ID", "IP", "IPV6", "K8S", "KMS", "MFA", "NAT", "OS",
    "RDP", "SA", "SQL", "SSH", "SSL", "TLS", "URL", "VM", "VPC", "VPN",
];

/// `PUBLIC_BUCKET_ACL` → `Public bucket ACL`. Categories that are already prose (Event
/// Threat Detection's `Persistence: IAM Anomalous Grant`) are kept as they are.
pub fn humanise(category: &str) -> Cow<'_, str> {
    let upper_snake = !category.is_empty()
        && category
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if !upper_snake {
        return Cow::Borrowed(category);
    }
    let mut out = String::with_capacity(category.len());
    for (i, w) in category.split('_').filter(|w| !w.is_empty()).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if ACRONYMS.contains(&w) {
            out.push_str(w);
        } else if i == 0 {
            out.push_str(&w[..1]);
            out.push_str(&w[1..].to_ascii_lowercase());
        } else {
            out.push_str(&w.to_ascii_lowercase());
        }
    }
    Cow::Owned(out)
}

/// The humanised category, then the description's first sentence: what the table shows.
fn title(category: &str, description: Option<&str>) -> String {
    let head = humanise(category);
    let Some(d) = description.map(str::trim).filter(|d| !d.is_empty()) else {
        return head.into_owned();
    };
    let first = d
        .find(['\n', '\r'])
        .map_or(d, |i| &d[..i])
        .split_inclusive(". ")
        .next()
        .unwrap_or(d)
        .trim_end();
    let mut t = if head.is_empty() {
        String::with_capacity(first.len())
    } else {
        format!("{head}: ")
    };
    let room = TITLE_MAX.saturating_sub(t.chars().count());
    if first.chars().count() > room {
        t.extend(first.chars().take(room.saturating_sub(1)));
        t.push('…');
    } else {
        t.push_str(first);
    }
    t
}

/// `x` in `…/projects/x/…` or `projects/x/…`.
fn project_segment(name: &str) -> Option<&str> {
    let at = if let Some(rest) = name.strip_prefix("projects/") {
        rest
    } else {
        let i = name.find("/projects/")?;
        &name[i + "/projects/".len()..]
    };
    at.split('/').next().filter(|p| !p.is_empty())
}

/// The project id where the finding says it (`projectDisplayName`, the resource name), else
/// the project number, else the organization or folder the finding lives under.
fn account(f: &GFinding<'_>, r: Option<&GResource<'_>>, name: &str) -> String {
    let meta = r.and_then(|r| r.gcp_metadata.as_ref());
    if let Some(p) = meta.and_then(|m| non_empty(&m.project_display_name)) {
        return p.to_string();
    }
    let resource_name = non_empty(&f.resource_name).or_else(|| r.and_then(|r| non_empty(&r.name)));
    if let Some(p) = resource_name.and_then(project_segment) {
        return p.to_string();
    }
    if let Some(p) = meta
        .and_then(|m| non_empty(&m.project))
        .and_then(project_segment)
    {
        return p.to_string();
    }
    for n in [non_empty(&f.canonical_name), Some(name)]
        .into_iter()
        .flatten()
    {
        if let Some(p) = project_segment(n) {
            return p.to_string();
        }
    }
    // organizations/123/sources/… → organizations/123
    let mut parts = name.splitn(3, '/');
    match (parts.next(), parts.next()) {
        (Some(kind), Some(id)) => format!("{kind}/{id}"),
        _ => String::new(),
    }
}

/// `…/locations/{location}/findings/…`
fn name_location(name: &str) -> Option<&str> {
    let i = name.find("/locations/")?;
    name[i + "/locations/".len()..]
        .split('/')
        .next()
        .filter(|l| !l.is_empty())
}

/// The finding in the Security Command Center console, for findings without `externalUri`.
pub fn console_url(name: &str) -> String {
    let mut enc = String::with_capacity(name.len() + 16);
    for c in name.chars() {
        match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '_' | '.' | '~' => enc.push(c),
            '/' => enc.push_str("%2F"),
            c => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    enc.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    let mut parts = name.split('/');
    let scope = match (parts.next(), parts.next()) {
        (Some("organizations"), Some(id)) => format!("?organizationId={id}"),
        (Some("folders"), Some(id)) => format!("?folder={id}"),
        (Some("projects"), Some(id)) => format!("?project={id}"),
        _ => String::new(),
    };
    format!("https://console.cloud.google.com/security/command-center/findingsv2;name={enc}{scope}")
}

fn join(label: &str, items: &[Str<'_>], out: &mut Vec<String>) {
    let items: Vec<&str> = items
        .iter()
        .map(|s| &**s)
        .filter(|s| !s.is_empty())
        .collect();
    if !items.is_empty() {
        out.push(format!("{label} {}", items.join(", ")));
    }
}

fn indicator_text(i: &Indicator<'_>) -> Option<String> {
    let mut parts = Vec::new();
    join("IPs", &i.ip_addresses, &mut parts);
    join("domains", &i.domains, &mut parts);
    join("URIs", &i.uris, &mut parts);
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn mitre_text(m: &MitreAttack<'_>) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(t) = non_empty(&m.primary_tactic) {
        parts.push(format!("tactic {t}"));
    }
    join("techniques", &m.primary_techniques, &mut parts);
    join("also tactics", &m.additional_tactics, &mut parts);
    join("also techniques", &m.additional_techniques, &mut parts);
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn mute_text(f: &GFinding<'_>) -> Option<String> {
    let mute = non_empty(&f.mute)?;
    let mut t = mute.to_string();
    if let Some(who) = non_empty(&f.mute_initiator) {
        t.push_str(" by ");
        t.push_str(who);
    }
    if let Some(at) = non_empty(&f.mute_update_time) {
        t.push_str(" at ");
        t.push_str(at);
    }
    Some(t)
}

/// `gcp/cis/2.0` keys and `CIS 2.0 5.1` requirements, each once, in the finding's order.
fn compliance(cs: &[GCompliance<'_>]) -> (Vec<Text>, Vec<Text>) {
    let mut standards: Vec<Text> = Vec::new();
    let mut reqs: Vec<Text> = Vec::new();
    for c in cs {
        let Some(std) = non_empty(&c.standard) else {
            continue;
        };
        let version = non_empty(&c.version);
        let key = match version {
            Some(v) => format!("gcp/{}/{v}", std.to_ascii_lowercase()),
            None => format!("gcp/{}", std.to_ascii_lowercase()),
        };
        if !standards.iter().any(|s| *s == key) {
            standards.push(intern(&key));
        }
        let upper = std.to_ascii_uppercase();
        for id in c.ids.iter().map(|i| &**i).filter(|i| !i.is_empty()) {
            let r = match version {
                Some(v) => format!("{upper} {v} {id}"),
                None => format!("{upper} {id}"),
            };
            if !reqs.iter().any(|x| *x == r) {
                reqs.push(intern(&r));
            }
        }
    }
    (standards, reqs)
}

fn convert(item: Item<'_>, source: &Text) -> Result<Finding, String> {
    let f = item
        .finding
        .ok_or_else(|| "list result without a finding".to_string())?;
    let r = item.resource.as_ref();
    let id = non_empty(&f.name).ok_or_else(|| "finding without a name".to_string())?;
    let event = time_field(id, "eventTime", f.event_time.as_ref())?;
    let created = time_field(id, "createTime", f.create_time.as_ref())?;
    let muted_at = time_field(id, "muteUpdateTime", f.mute_update_time.as_ref())?;
    let (event, created) = match (event, created) {
        (Some(e), Some(c)) => (e, c),
        (Some(e), None) => (e, e),
        (None, Some(c)) => (c, c),
        (None, None) => return Err(format!("finding {id}: neither eventTime nor createTime")),
    };
    let updated = muted_at.map_or(event, |m| m.max(event));
    let state = non_empty(&f.state);
    let category = non_empty(&f.category).unwrap_or("");
    let description = non_empty(&f.description).or_else(|| {
        f.source_properties
            .as_ref()
            .and_then(|p| p.explanation.0.as_deref())
            .filter(|s| !s.is_empty())
    });
    let remediation = non_empty(&f.next_steps).or_else(|| {
        f.source_properties
            .as_ref()
            .and_then(|p| p.recommendation.0.as_deref())
            .filter(|s| !s.is_empty())
    });
    let region = r
        .and_then(|r| non_empty(&r.location))
        .or_else(|| name_location(id))
        .unwrap_or("global");
    let resource_id = non_empty(&f.resource_name)
        .or_else(|| r.and_then(|r| non_empty(&r.name)))
        .unwrap_or("");
    let resources = if resource_id.is_empty() {
        Vec::new()
    } else {
        vec![Resource {
            kind: intern(r.and_then(|r| non_empty(&r.kind)).unwrap_or("")),
            id: resource_id.to_string(),
            region: r.and_then(|r| non_empty(&r.location)).map(intern),
            partition: None,
            tags: Vec::new(),
        }]
    };
    let (standards, related_requirements) = compliance(&f.compliances);
    let compliance = (!f.compliances.is_empty()).then_some(if state == Some("INACTIVE") {
        ComplianceStatus::Passed
    } else {
        ComplianceStatus::Failed
    });
    let mut details: Vec<(Text, Text)> = Vec::with_capacity(5);
    if let Some(c) = non_empty(&f.finding_class) {
        details.push((intern("Finding class"), intern(c)));
    }
    if let Some(m) = mute_text(&f) {
        details.push((intern("Mute"), intern(&m)));
    }
    if let Some(i) = f.indicator.as_ref().and_then(indicator_text) {
        details.push((intern("Indicator"), intern(&i)));
    }
    if let Some(m) = f.mitre_attack.as_ref().and_then(mitre_text) {
        details.push((intern("MITRE ATT&CK"), intern(&m)));
    }
    if let Some(p) = non_empty(&f.parent_display_name) {
        details.push((intern("Parent"), intern(p)));
    }
    let url = match non_empty(&f.external_uri) {
        Some(u) => intern(u),
        None => intern(&console_url(id)),
    };
    Ok(Finding {
        id: id.to_string(),
        product_arn: intern(""),
        provider: Provider::GcpScc,
        cloud: Cloud::Gcp,
        source: source.clone(),
        account: intern(&account(&f, r, id)),
        account_name: None,
        region: intern(region),
        severity: severity(non_empty(&f.severity)),
        severity_normalized: None,
        title: intern(&title(category, description)),
        description: intern(description.unwrap_or("")),
        product_name: intern(non_empty(&f.parent_display_name).unwrap_or(DEFAULT_PRODUCT)),
        company_name: intern("Google"),
        generator_id: intern(non_empty(&f.parent).unwrap_or("")),
        control_id: (!category.is_empty()).then(|| intern(category)),
        standards,
        related_requirements,
        types: non_empty(&f.finding_class)
            .map(intern)
            .into_iter()
            .collect(),
        resources,
        workflow: workflow(state, non_empty(&f.mute)),
        record_state: RecordState::Active,
        compliance,
        created_at: created,
        updated_at: updated,
        first_observed_at: None,
        last_observed_at: Some(event),
        remediation_text: remediation.map(intern),
        remediation_url: None,
        note: None,
        url: Some(url),
        vulns: f
            .vulnerability
            .as_ref()
            .and_then(|v| v.cve.as_ref())
            .and_then(|c| non_empty(&c.id))
            .map(intern)
            .into_iter()
            .collect(),
        details,
        search_mask: Default::default(),
    })
}

#[cfg(test)]
mod tests;
