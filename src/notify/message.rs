//! What a notification says, frozen when it is written to the outbox: every channel renders
//! its own format from this at send time, so a retry sends the same content.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{Finding, Severity, Workflow};
use crate::sanitize;

/// Why a notification is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventKind {
    /// A finding matches a rule (new, or changed into a match).
    #[serde(rename = "finding.matched")]
    Matched,
    /// A finding that was notified is resolved (workflow RESOLVED or SUPPRESSED, archived,
    /// compliance PASSED, or gone from its source).
    #[serde(rename = "finding.resolved")]
    Resolved,
    /// Still NEW after the rule's `escalate_after`.
    #[serde(rename = "finding.escalated")]
    Escalated,
    /// Sent by an analyst from the console (`n`).
    #[serde(rename = "finding.shared")]
    Shared,
    /// A ticket asked for from the console (`t`).
    #[serde(rename = "ticket.requested")]
    Ticket,
    #[serde(rename = "remediation.proposed")]
    RemediationProposed,
    #[serde(rename = "remediation.approved")]
    RemediationApproved,
    #[serde(rename = "remediation.succeeded")]
    RemediationSucceeded,
    #[serde(rename = "remediation.failed")]
    RemediationFailed,
    #[serde(rename = "source.unhealthy")]
    SourceUnhealthy,
    /// `agent-hubble notify test`.
    #[serde(rename = "test")]
    Test,
}

impl EventKind {
    pub const ALL: [EventKind; 11] = [
        EventKind::Matched,
        EventKind::Resolved,
        EventKind::Escalated,
        EventKind::Shared,
        EventKind::Ticket,
        EventKind::RemediationProposed,
        EventKind::RemediationApproved,
        EventKind::RemediationSucceeded,
        EventKind::RemediationFailed,
        EventKind::SourceUnhealthy,
        EventKind::Test,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Matched => "finding.matched",
            EventKind::Resolved => "finding.resolved",
            EventKind::Escalated => "finding.escalated",
            EventKind::Shared => "finding.shared",
            EventKind::Ticket => "ticket.requested",
            EventKind::RemediationProposed => "remediation.proposed",
            EventKind::RemediationApproved => "remediation.approved",
            EventKind::RemediationSucceeded => "remediation.succeeded",
            EventKind::RemediationFailed => "remediation.failed",
            EventKind::SourceUnhealthy => "source.unhealthy",
            EventKind::Test => "test",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        Self::ALL.into_iter().find(|e| e.as_str() == s)
    }

    /// A few words for a message heading.
    pub fn heading(self) -> &'static str {
        match self {
            EventKind::Matched => "Security finding",
            EventKind::Resolved => "Resolved",
            EventKind::Escalated => "ESCALATED: still open",
            EventKind::Shared => "Shared finding",
            EventKind::Ticket => "Security finding",
            EventKind::RemediationProposed => "Remediation proposed",
            EventKind::RemediationApproved => "Remediation approved",
            EventKind::RemediationSucceeded => "Remediation succeeded",
            EventKind::RemediationFailed => "Remediation FAILED",
            EventKind::SourceUnhealthy => "Source unhealthy",
            EventKind::Test => "Test notification",
        }
    }
}

/// Longest finding title carried (characters).
pub const MAX_TITLE: usize = 200;
/// Longest description carried.
pub const MAX_DESCRIPTION: usize = 1000;
/// Longest other field (ids, ARNs, names).
pub const MAX_FIELD: usize = 300;

/// The part of a finding a notification carries: sanitised (no controls, escapes or bidi
/// overrides) and length-bounded; each channel escapes it for its own format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingInfo {
    pub id: String,
    pub provider: String,
    pub cloud: String,
    pub account: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
    pub region: String,
    pub severity: Severity,
    pub workflow: Workflow,
    pub record_state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compliance: Option<String>,
    pub title: String,
    pub description: String,
    pub product: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_id: Option<String>,
    pub resource_type: String,
    pub resource_id: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// The finding in its cloud console (only console hosts, see `links::is_console_url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_url: Option<String>,
}

fn clean(s: &str, max: usize) -> String {
    sanitize::bounded(s, max).into_owned()
}

/// A link only when it points at a cloud console host.
pub fn console_link(url: Option<String>) -> Option<String> {
    url.filter(|u| crate::links::is_console_url(u) && u.len() <= 2000)
}

impl FindingInfo {
    pub fn from_finding(f: &Finding) -> FindingInfo {
        FindingInfo {
            id: clean(&f.id, 512),
            provider: f.provider.as_str().into(),
            cloud: f.cloud.as_str().into(),
            account: clean(&f.account, MAX_FIELD),
            account_name: f.account_name.as_ref().map(|n| clean(n, MAX_FIELD)),
            region: clean(&f.region, MAX_FIELD),
            severity: f.severity,
            workflow: f.workflow,
            record_state: f.record_state.as_str().into(),
            compliance: f.compliance.map(|c| c.as_str().to_string()),
            title: clean(&f.title, MAX_TITLE),
            description: clean(&f.description, MAX_DESCRIPTION),
            product: clean(&f.product_name, MAX_FIELD),
            control_id: f.control_id.as_ref().map(|c| clean(c, 64)),
            resource_type: clean(f.resource_type(), MAX_FIELD),
            resource_id: clean(f.resource_id(), 512),
            created_at: f.created_at,
            updated_at: f.updated_at,
            url: console_link(crate::links::finding_url(f)),
            resource_url: console_link(crate::links::resource_url(f)),
        }
    }

    /// `[HIGH] S3.8 title (111122223333/us-east-1)`, the one-line form.
    pub fn summary(&self) -> String {
        let control = self
            .control_id
            .as_deref()
            .map(|c| format!("{c} "))
            .unwrap_or_default();
        format!(
            "[{}] {control}{} ({}/{})",
            self.severity.as_str(),
            self.title,
            self.account_label(),
            self.region
        )
    }

    /// The account id with its name when known.
    pub fn account_label(&self) -> String {
        match &self.account_name {
            Some(n) => format!("{} {n}", self.account),
            None => self.account.clone(),
        }
    }
}

/// A remediation item's transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemediationInfo {
    pub item_id: String,
    pub state: String,
    pub control: String,
    pub document: String,
    pub account: String,
    pub region: String,
    pub resource_id: String,
    pub actor: String,
    #[serde(default)]
    pub note: String,
}

/// A source that has been failing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceHealthInfo {
    pub source: String,
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Failing since (ms).
    pub since: i64,
}

/// One thing to say: an event about a finding, a remediation item or a source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub event: EventKind,
    /// The idempotency key of this item on its channel.
    pub key: String,
    pub occurred_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finding: Option<FindingInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<RemediationInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceHealthInfo>,
    /// What the analyst wrote (one-off notifications, tickets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Who asked (one-off notifications, tickets); rules send as "agent-hubble".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

impl Item {
    /// One line: the finding's summary, or what happened to an item or a source.
    pub fn summary(&self) -> String {
        if let Some(f) = &self.finding {
            return f.summary();
        }
        if let Some(r) = &self.remediation {
            return format!(
                "{} {} on {} ({}/{}): {}",
                r.control, r.document, r.resource_id, r.account, r.region, r.state
            );
        }
        if let Some(s) = &self.source {
            return format!(
                "{} is {}{}",
                s.source,
                s.state,
                s.last_error
                    .as_deref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            );
        }
        self.note.clone().unwrap_or_else(|| "agent-hubble".into())
    }

    /// The severity for PagerDuty and colours: the finding's, else by event.
    pub fn severity(&self) -> Severity {
        match (&self.finding, self.event) {
            (Some(f), _) => f.severity,
            (None, EventKind::RemediationFailed | EventKind::SourceUnhealthy) => Severity::High,
            _ => Severity::Informational,
        }
    }
}

/// What an outbox entry sends: one item, or several batched into a digest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub items: Vec<Item>,
    /// Batched by a rule's `digest` window: (start, end) ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<(i64, i64)>,
    /// From the demo fleet (says so in every format).
    #[serde(default)]
    pub demo: bool,
}

impl Message {
    pub fn single(item: Item, demo: bool) -> Message {
        Message {
            items: vec![item],
            window: None,
            demo,
        }
    }

    pub fn is_digest(&self) -> bool {
        self.window.is_some()
    }

    /// The heading of the message.
    pub fn title(&self) -> String {
        let demo = if self.demo { "[DEMO] " } else { "" };
        match (self.window, self.items.as_slice()) {
            (Some(_), items) => format!(
                "{demo}Digest: {} notification{}{}",
                items.len(),
                if items.len() == 1 { "" } else { "s" },
                items
                    .first()
                    .and_then(|i| i.rule.as_deref())
                    .map(|r| format!(" from rule {r:?}"))
                    .unwrap_or_default()
            ),
            (None, [one]) => {
                let what = one
                    .finding
                    .as_ref()
                    .and_then(|f| f.control_id.clone())
                    .or_else(|| one.remediation.as_ref().map(|r| r.control.clone()))
                    .or_else(|| one.source.as_ref().map(|s| s.source.clone()))
                    .unwrap_or_default();
                let sev = one
                    .finding
                    .as_ref()
                    .map(|f| format!(" ({})", f.severity.as_str()))
                    .unwrap_or_default();
                format!("{demo}{}: {what}{sev}", one.event.heading())
                    .trim_end_matches(": ")
                    .to_string()
            }
            (None, _) => format!("{demo}{} notifications", self.items.len()),
        }
    }
}

/// The version of a finding for idempotency keys: it changes when the provider updates the
/// finding or its severity, workflow or record state changes (analyst edits do not move
/// UpdatedAt).
pub fn finding_version(f: &Finding) -> String {
    format!(
        "{}.{}{}{}",
        f.updated_at, f.severity as u8, f.workflow as u8, f.record_state as u8
    )
}

/// The external form of an idempotency key: `hb1-` and 32 hex digits of SHA-256 of the
/// readable key (rule, event, finding, version, channel). Fits headers, PagerDuty dedup keys
/// and Jira labels.
pub fn external_key(raw: &str) -> String {
    let d = Sha256::digest(raw.as_bytes());
    let hex: String = d.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("hb1-{hex}")
}

/// PagerDuty's dedup key for a finding: every rule's trigger and the resolve reuse it.
pub fn dedup_key(finding_id: &str) -> String {
    let d = Sha256::digest(finding_id.as_bytes());
    let hex: String = d.iter().take(20).map(|b| format!("{b:02x}")).collect();
    format!("agent-hubble-{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::memory::sample_finding;

    #[test]
    fn keys_are_stable_and_short() {
        let k = external_key("rule|finding.matched|arn:aws:x|1.4000|slack");
        assert_eq!(
            k,
            external_key("rule|finding.matched|arn:aws:x|1.4000|slack")
        );
        assert_eq!(k.len(), 36);
        assert!(dedup_key("arn:aws:x").len() <= 255);
        for e in EventKind::ALL {
            assert_eq!(EventKind::parse(e.as_str()), Some(e));
            assert_eq!(serde_json::to_value(e).unwrap(), e.as_str());
        }
    }

    #[test]
    fn finding_text_is_clean_and_bounded_and_links_only_to_consoles() {
        let mut f = sample_finding(1, 1_700_000_000_000);
        f.title = format!("evil \u{1b}[2J\u{202e}x {}", "y".repeat(500)).into();
        f.url = Some("https://evil.example/phish".into());
        f.provider = crate::model::Provider::AzureDefender;
        f.cloud = crate::model::Cloud::Azure;
        let i = FindingInfo::from_finding(&f);
        assert!(!i.title.contains('\u{1b}') && !i.title.contains('\u{202e}'));
        assert!(i.title.chars().count() <= MAX_TITLE);
        assert_eq!(i.url, None);
        f.url = Some("https://portal.azure.com/#blade/x".into());
        assert!(FindingInfo::from_finding(&f).url.is_some());
    }
}
