//! From what happened to what to write: the rules' matches and resolutions, escalations that
//! fell due, remediation transitions and failing sources become outbox steps (a guarded
//! state change plus the items for each channel), with idempotency keys, quiet hours and
//! digest windows applied.

use super::message::{
    EventKind, FindingInfo, Item, RemediationInfo, SourceHealthInfo, external_key, finding_version,
};
use super::outbox::{NewItem, Step};
use super::rules::{Change, Engine};
use super::settings::{Rule, Settings};
use super::state::{StateOp, Transition};
use crate::config::notify::ChannelKind;
use crate::hub::Snapshot;
use crate::model::{Finding, RecordState, Workflow};
use crate::poller::HealthState;

pub struct Planner<'a> {
    pub settings: &'a Settings,
    pub now: i64,
    pub demo: bool,
}

/// Digests batch chat, webhook and e-mail messages; PagerDuty incidents and Jira issues stay
/// one per finding.
fn digestible(kind: ChannelKind) -> bool {
    matches!(
        kind,
        ChannelKind::Slack | ChannelKind::Teams | ChannelKind::Webhook | ChannelKind::Email
    )
}

/// A finding known only by its id (gone before this process saw it).
fn bare(id: &str) -> FindingInfo {
    FindingInfo {
        id: crate::sanitize::bounded(id, 512).into_owned(),
        provider: String::new(),
        cloud: String::new(),
        account: String::new(),
        account_name: None,
        region: String::new(),
        severity: crate::model::Severity::Informational,
        workflow: Workflow::Resolved,
        record_state: "ARCHIVED".into(),
        compliance: None,
        title: "(no longer reported by its source)".into(),
        description: String::new(),
        product: String::new(),
        control_id: None,
        resource_type: String::new(),
        resource_id: String::new(),
        created_at: 0,
        updated_at: 0,
        url: None,
        resource_url: None,
    }
}

impl Planner<'_> {
    /// Items of `rule` for each channel in `to`.
    fn items(
        &self,
        rule: &Rule,
        to: &[String],
        event: EventKind,
        subject: &str,
        version: &str,
        base: Item,
    ) -> Vec<NewItem> {
        let mut out = Vec::new();
        for name in to {
            let Some(ch) = self.settings.channel(name) else {
                continue;
            };
            let raw_key = format!(
                "{}|{}|{subject}|{version}|{name}",
                rule.name,
                event.as_str()
            );
            let mut item = base.clone();
            item.key = external_key(&raw_key);
            item.rule = Some(rule.name.clone());
            out.push(NewItem {
                channel: name.clone(),
                raw_key,
                item,
                not_before: self.settings.release_at(rule.quiet, ch.kind, self.now),
                digest_ms: rule.digest_ms.filter(|_| digestible(ch.kind)),
                demo: self.demo,
            });
        }
        out
    }

    fn base(&self, event: EventKind) -> Item {
        Item {
            event,
            key: String::new(),
            occurred_at: self.now,
            rule: None,
            finding: None,
            remediation: None,
            source: None,
            note: None,
            actor: None,
        }
    }

    /// Steps for the engine's changes.
    pub fn changes(&self, engine: &Engine, changes: Vec<Change>) -> Vec<Step> {
        let mut out = Vec::new();
        for c in changes {
            match c {
                Change::Matched { rule: ri, finding } => {
                    let rule = &self.settings.rules[ri];
                    let version = finding_version(&finding);
                    let live = engine.is_baselined(ri);
                    let op = StateOp::Match {
                        rule: rule.name.clone(),
                        finding: finding.id.clone(),
                        version: version.clone(),
                        at: self.now,
                        open: live,
                        escalate_at: rule
                            .escalate_after_ms
                            .filter(|_| live)
                            .map(|d| self.now + d),
                    };
                    let items = if live && rule.wants(EventKind::Matched) {
                        let mut base = self.base(EventKind::Matched);
                        base.finding = Some(FindingInfo::from_finding(&finding));
                        self.items(
                            rule,
                            &rule.to,
                            EventKind::Matched,
                            &finding.id,
                            &version,
                            base,
                        )
                    } else {
                        Vec::new()
                    };
                    out.push(Step {
                        op: Some(op),
                        items,
                    });
                }
                Change::Unmatched { rule, id } => out.push(Step {
                    op: Some(StateOp::Unmatch {
                        rule: self.settings.rules[rule].name.clone(),
                        finding: id,
                    }),
                    items: Vec::new(),
                }),
                Change::Resolved { id, finding } => {
                    let info = finding
                        .as_deref()
                        .map_or_else(|| bare(&id), FindingInfo::from_finding);
                    let version = finding
                        .as_deref()
                        .map_or_else(|| "gone".to_string(), finding_version);
                    for rule in self.settings.rules.iter().filter(|r| r.on_findings()) {
                        let items = if rule.wants(EventKind::Resolved) {
                            let mut base = self.base(EventKind::Resolved);
                            base.finding = Some(info.clone());
                            self.items(rule, &rule.to, EventKind::Resolved, &id, &version, base)
                        } else {
                            Vec::new()
                        };
                        out.push(Step {
                            op: Some(StateOp::Close {
                                rule: rule.name.clone(),
                                finding: id.clone(),
                            }),
                            items,
                        });
                    }
                }
            }
        }
        out
    }

    /// Escalations that fell due: (rule, finding id, matched at). A finding still NEW and
    /// active escalates; one acknowledged (NOTIFIED), resolved or gone only clears the
    /// deadline.
    pub fn escalations(&self, engine: &Engine, due: Vec<(String, String, i64)>) -> Vec<Step> {
        let mut out = Vec::new();
        for (name, id, matched_at) in due {
            let op = StateOp::Deadline {
                rule: name.clone(),
                finding: id.clone(),
            };
            let rule = self.settings.rules.iter().find(|r| r.name == name);
            let finding = engine.finding(&id);
            let still_new = finding.is_some_and(|f| {
                f.workflow == Workflow::New && f.record_state == RecordState::Active
            });
            let items = match (rule, finding) {
                (Some(rule), Some(f)) if still_new => {
                    let mut base = self.base(EventKind::Escalated);
                    base.finding = Some(FindingInfo::from_finding(f));
                    let after = rule.escalate_after_ms.unwrap_or(0) / 60_000;
                    base.note = Some(format!(
                        "still NEW {after} minutes after it matched rule {:?}",
                        rule.name
                    ));
                    self.items(
                        rule,
                        &rule.escalate_to,
                        EventKind::Escalated,
                        &id,
                        &matched_at.to_string(),
                        base,
                    )
                }
                _ => Vec::new(),
            };
            out.push(Step {
                op: Some(op),
                items,
            });
        }
        out
    }

    /// Remediation transitions (Proposed, Approved, Succeeded, Failed) for the rules that
    /// ask for them and whose filter matches the item's finding.
    pub fn remediation(&self, engine: &Engine, transitions: &[Transition]) -> Vec<Step> {
        let mut items = Vec::new();
        for t in transitions {
            let event = match t.to_state.as_str() {
                "Proposed" => EventKind::RemediationProposed,
                "Approved" => EventKind::RemediationApproved,
                "Succeeded" => EventKind::RemediationSucceeded,
                "Failed" => EventKind::RemediationFailed,
                _ => continue,
            };
            let Ok(p) = serde_json::from_str::<crate::remediation::queue::Proposal>(&t.data) else {
                continue;
            };
            let finding = engine
                .finding(&p.finding_id)
                .map(|f| (**f).clone())
                .unwrap_or_else(|| from_proposal(&p));
            let clean =
                |s: &str| crate::sanitize::bounded(s, super::message::MAX_FIELD).into_owned();
            for rule in self.settings.rules.iter().filter(|r| r.wants(event)) {
                if !rule.filter.matches(&finding, self.now) {
                    continue;
                }
                let mut base = self.base(event);
                base.occurred_at = t.at;
                base.finding = Some(FindingInfo::from_finding(&finding));
                base.remediation = Some(RemediationInfo {
                    item_id: t.item_id.clone(),
                    state: t.to_state.clone(),
                    control: clean(&p.control),
                    document: clean(&p.document),
                    account: clean(&p.account),
                    region: clean(&p.region),
                    resource_id: clean(&p.resource_id),
                    actor: clean(&t.actor),
                    note: crate::sanitize::bounded(&t.note, 500).into_owned(),
                });
                items.extend(self.items(
                    rule,
                    &rule.to,
                    event,
                    &t.item_id,
                    &t.rowid.to_string(),
                    base,
                ));
            }
        }
        vec![Step { op: None, items }]
    }

    /// Sources failing longer than a rule's `unhealthy_after`: (source, since) from the
    /// store, so every process agrees on when it started.
    pub fn sources(&self, snap: &Snapshot, since: &dyn Fn(&str, bool) -> Option<i64>) -> Vec<Step> {
        let rules: Vec<&Rule> = self
            .settings
            .rules
            .iter()
            .filter(|r| r.wants(EventKind::SourceUnhealthy))
            .collect();
        if rules.is_empty() {
            return Vec::new();
        }
        let mut items = Vec::new();
        for s in snap.sources.iter() {
            let failing = matches!(s.health.state, HealthState::Error | HealthState::Throttled);
            let Some(start) = since(&s.info.key, failing) else {
                continue;
            };
            for rule in &rules {
                let after = rule.unhealthy_after_ms.unwrap_or(i64::MAX);
                if self.now - start < after {
                    continue;
                }
                let mut base = self.base(EventKind::SourceUnhealthy);
                base.source = Some(SourceHealthInfo {
                    source: crate::sanitize::bounded(&s.info.key, 300).into_owned(),
                    state: s.health.state.as_str().into(),
                    last_error: s
                        .health
                        .last_error
                        .as_deref()
                        .map(|e| crate::sanitize::bounded(e, 500).into_owned()),
                    since: start,
                });
                items.extend(self.items(
                    rule,
                    &rule.to,
                    EventKind::SourceUnhealthy,
                    &s.info.key,
                    &start.to_string(),
                    base,
                ));
            }
        }
        vec![Step { op: None, items }]
    }
}

/// Enough of a finding to match a rule when the finding itself is not in view.
fn from_proposal(p: &crate::remediation::queue::Proposal) -> Finding {
    let mut f = crate::sources::memory::sample_finding(0, 0);
    f.id = p.finding_id.clone();
    f.account = p.account.as_str().into();
    f.region = p.region.as_str().into();
    f.severity = p.severity;
    f.title = p.title.as_str().into();
    f.control_id = Some(p.control.as_str().into());
    f.resources[0].id = p.resource_id.clone();
    f.resources[0].kind = "".into();
    f.source = p.source.as_str().into();
    f.created_at = 0;
    f.updated_at = 0;
    f
}

/// Items an analyst asks for from the console: a one-off notification (`n`) or a ticket
/// (`t`) on one channel, one per finding.
#[allow(clippy::too_many_arguments)]
pub fn manual(
    settings: &Settings,
    channel: &str,
    findings: &[std::sync::Arc<Finding>],
    event: EventKind,
    note: Option<&str>,
    actor: &str,
    now: i64,
    demo: bool,
) -> Vec<NewItem> {
    let Some(_) = settings.channel(channel) else {
        return Vec::new();
    };
    findings
        .iter()
        .map(|f| {
            let raw_key = match event {
                // One ticket per finding version and channel, however often `t` is pressed.
                EventKind::Ticket => format!("ticket|{}|{channel}|{}", f.id, finding_version(f)),
                _ => format!("manual|{actor}|{now}|{}|{channel}", f.id),
            };
            NewItem {
                channel: channel.to_string(),
                item: Item {
                    event,
                    key: external_key(&raw_key),
                    occurred_at: now,
                    rule: None,
                    finding: Some(FindingInfo::from_finding(f)),
                    remediation: None,
                    source: None,
                    note: note
                        .filter(|n| !n.trim().is_empty())
                        .map(|n| crate::sanitize::bounded(n, 1000).into_owned()),
                    actor: Some(crate::sanitize::bounded(actor, 200).into_owned()),
                },
                raw_key,
                not_before: now,
                digest_ms: None,
                demo,
            }
        })
        .collect()
}
