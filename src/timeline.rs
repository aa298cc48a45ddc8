//! The timeline of one finding: what the provider recorded (created, seen, updated, its own
//! history where the API keeps one), what was done from this console (workflow changes and
//! notes, from the audit log) and its remediation items with their decisions. Pure functions
//! over data the caller loads; newest first.

use crate::audit::Entry;
use crate::model::{Finding, parse_timestamp};
use crate::remediation::item::Item;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    /// The cloud provider or scanner (the finding's own fields, GetFindingHistory).
    Provider,
    /// An action taken from an Agent Hubble console (the audit log).
    Console,
    /// The remediation queue.
    Remediation,
}

impl Origin {
    pub fn label(self) -> &'static str {
        match self {
            Origin::Provider => "provider",
            Origin::Console => "console",
            Origin::Remediation => "remediation",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Milliseconds since the epoch.
    pub at: i64,
    pub origin: Origin,
    /// Who did it, when known ("" otherwise).
    pub who: String,
    pub what: String,
}

impl Event {
    pub fn new(at: i64, origin: Origin, who: impl Into<String>, what: impl Into<String>) -> Event {
        Event {
            at,
            origin,
            who: who.into(),
            what: what.into(),
        }
    }
}

/// The finding's own timestamps and note.
pub fn of_finding(f: &Finding) -> Vec<Event> {
    let mut out = vec![Event::new(
        f.created_at,
        Origin::Provider,
        f.product_name.as_str(),
        "created",
    )];
    if let Some(t) = f.first_observed_at.filter(|t| *t != f.created_at) {
        out.push(Event::new(t, Origin::Provider, "", "first observed"));
    }
    if let Some(t) = f.last_observed_at {
        out.push(Event::new(t, Origin::Provider, "", "last observed"));
    }
    if f.updated_at != f.created_at {
        out.push(Event::new(
            f.updated_at,
            Origin::Provider,
            "",
            format!(
                "last updated by the provider; now {}, workflow {}, {}",
                f.severity.as_str(),
                f.workflow.as_str(),
                f.record_state.as_str()
            ),
        ));
    }
    if let Some(n) = &f.note {
        out.push(Event::new(
            n.updated_at,
            Origin::Provider,
            n.updated_by.as_str(),
            format!("note: {}", n.text),
        ));
    }
    out
}

/// Audit entries about the finding (its id appears in the target). A `pending` entry is
/// dropped when the same actor's same action on the same target has a later outcome.
pub fn of_audit(entries: &[Entry], id: &str) -> Vec<Event> {
    let mine: Vec<&Entry> = entries.iter().filter(|e| mentions(&e.target, id)).collect();
    let mut out = Vec::new();
    for (i, e) in mine.iter().enumerate() {
        let settled = e.outcome == "pending"
            && mine[i + 1..]
                .iter()
                .any(|l| l.actor == e.actor && l.action == e.action && l.target == e.target);
        if settled {
            continue;
        }
        let Some(at) = parse_timestamp(&e.ts) else {
            continue;
        };
        let mut what = e.action.replace(':', " ");
        if !e.justification.is_empty() {
            what.push_str(&format!(" \"{}\"", e.justification));
        }
        what.push_str(&format!(" ({})", e.outcome));
        out.push(Event::new(at, Origin::Console, e.actor.as_str(), what));
    }
    out
}

/// Whether an audit target names the finding: targets are "source: id,id" or carry the id
/// among other words; ids are long (ARNs, UUIDs), so a whole-token match is exact enough.
fn mentions(target: &str, id: &str) -> bool {
    target
        .split([',', ' '])
        .any(|t| t.trim_end_matches(':') == id)
}

/// Remediation items of the finding: proposed, each decision, and where the item is now.
pub fn of_items(items: &[Item], id: &str) -> Vec<Event> {
    let mut out = Vec::new();
    for item in items.iter().filter(|i| i.proposal.finding_id == id) {
        let short = &item.id[..item.id.len().min(8)];
        out.push(Event::new(
            item.created_at,
            Origin::Remediation,
            item.requester.short(),
            format!("proposed {} (item {short})", item.proposal.document),
        ));
        for d in &item.decisions {
            let verb = if d.approve { "approved" } else { "rejected" };
            let mut what = format!("{verb} item {short}");
            if !d.justification.is_empty() {
                what.push_str(&format!(": {}", d.justification));
            }
            out.push(Event::new(
                d.at,
                Origin::Remediation,
                d.actor_name.as_str(),
                what,
            ));
        }
        if !matches!(
            item.state,
            crate::remediation::item::State::Proposed | crate::remediation::item::State::Approved
        ) {
            let mut what = format!("item {short} {}", item.state.as_str().to_lowercase());
            if let Some(x) = &item.execution_id {
                what.push_str(&format!(", execution {x}"));
            }
            if let Some(f) = &item.failure {
                what.push_str(&format!(": {f}"));
            }
            out.push(Event::new(item.updated_at, Origin::Remediation, "", what));
        }
    }
    out
}

/// Newest first; for one instant, the provider before the console before remediation.
pub fn merge(parts: impl IntoIterator<Item = Vec<Event>>) -> Vec<Event> {
    let mut all: Vec<Event> = parts.into_iter().flatten().collect();
    all.sort_by(|a, b| b.at.cmp(&a.at).then(a.origin.cmp(&b.origin)));
    all.dedup();
    all
}

#[cfg(test)]
mod tests;
