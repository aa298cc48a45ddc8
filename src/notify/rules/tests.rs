//! The rules engine, planner and outbox together on a real store, with a hand-moved clock:
//! matches (new and changed into a match), resolutions, digests, quiet hours, escalation
//! after the SLA, baselining, remediation events, and two processes on one store.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::*;
use crate::config::Config;
use crate::hub::{Snapshot, SourceStatus};
use crate::model::{Severity, Workflow};
use crate::notify::clock::{Clock, ManualClock};
use crate::notify::message::EventKind;
use crate::notify::outbox::{Entry, Outbox};
use crate::notify::plan::Planner;
use crate::notify::settings::Settings;
use crate::sources::memory::sample_finding;

/// 2026-01-01T12:00:00Z
const NOON: i64 = 1_767_268_800_000;
const MIN: i64 = 60_000;

const CONFIG: &str = r#"
[[notify.channel]]
name = "soc-slack"
kind = "slack"
url_env = "HUBBLE_TEST_UNUSED"

[[notify.channel]]
name = "siem"
kind = "webhook"
url = "http://127.0.0.1:9/hook"
secret_env = "HUBBLE_TEST_UNUSED"

[[notify.channel]]
name = "oncall"
kind = "pagerduty"
routing_key_env = "HUBBLE_TEST_UNUSED"
"#;

fn settings(rules: &str) -> Arc<Settings> {
    let cfg = Config::parse(&format!("{CONFIG}{rules}"), Path::new("c.toml")).unwrap();
    Arc::new(Settings::from_config(&cfg.notify).unwrap())
}

struct Process {
    outbox: Outbox,
    engine: Engine,
}

struct Harness {
    settings: Arc<Settings>,
    clock: Arc<ManualClock>,
    dir: tempfile::TempDir,
    procs: Vec<Process>,
    version: u64,
    findings: Vec<Arc<Finding>>,
}

fn finding(n: usize, sev: Severity, wf: Workflow) -> Arc<Finding> {
    let mut f = sample_finding(n, NOON - 3_600_000);
    f.severity = sev;
    f.workflow = wf;
    f.source = "aws/security/us-east-1".into();
    Arc::new(f)
}

impl Harness {
    fn new(rules: &str, processes: usize) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let settings = settings(rules);
        let store = dir.path().join("h.db");
        let audit = Arc::new(Mutex::new(
            crate::audit::AuditLog::open(&dir.path().join("audit.jsonl"), Some(&store), None)
                .unwrap(),
        ));
        let procs = (0..processes)
            .map(|_| {
                let outbox = Outbox::open(&store, Some(audit.clone()), "tester").unwrap();
                let records: Vec<_> = settings
                    .rules
                    .iter()
                    .map(|r| outbox.rule_record(&r.name).unwrap())
                    .collect();
                Process {
                    engine: Engine::new(settings.clone(), &records),
                    outbox,
                }
            })
            .collect();
        Harness {
            settings,
            clock: ManualClock::new(NOON),
            dir,
            procs,
            version: 0,
            findings: Vec::new(),
        }
    }

    /// Replaces findings by id (and removes `gone`), publishes a snapshot and lets process
    /// `p` evaluate it (incrementally when it follows the last one) and commit.
    fn publish(&mut self, p: usize, changed: Vec<Arc<Finding>>, gone: &[&str]) -> Vec<Change> {
        for c in &changed {
            self.findings.retain(|f| f.id != c.id);
            self.findings.push(c.clone());
        }
        self.findings.retain(|f| !gone.contains(&f.id.as_str()));
        self.version += 1;
        let snap = Snapshot {
            version: self.version,
            findings: Arc::new(self.findings.clone().into()),
            changed_findings: Arc::new(changed.clone()),
            changed: Arc::new(changed.iter().map(|f| f.id.clone()).collect()),
            gone: Arc::new(gone.iter().map(|s| s.to_string()).collect::<HashSet<_>>()),
            sources: Arc::new(vec![SourceStatus {
                info: crate::sources::SourceInfo {
                    key: "aws/security/us-east-1".into(),
                    provider: crate::model::Provider::AwsSecurityHub,
                    name: "security".into(),
                    region: "us-east-1".into(),
                },
                health: Default::default(),
                stale: false,
                findings: self.findings.len(),
            }]),
            ..Snapshot::default()
        };
        self.eval(p, &snap)
    }

    fn eval(&mut self, p: usize, snap: &Snapshot) -> Vec<Change> {
        let now = self.clock.now_ms();
        let proc = &mut self.procs[p];
        let full = !proc.engine.follows(snap);
        let changes = proc.engine.evaluate(snap, now, full);
        let planner = Planner {
            settings: &self.settings,
            now,
            demo: false,
        };
        let steps = planner.changes(&proc.engine, changes.clone());
        proc.outbox.commit(steps, now).unwrap();
        for (i, r) in self.settings.rules.iter().enumerate() {
            if !proc.engine.is_baselined(i) {
                proc.engine.set_baselined(i);
                proc.outbox.set_baselined(&r.name, now).unwrap();
            }
        }
        changes
    }

    fn escalate(&mut self, p: usize) {
        let now = self.clock.now_ms();
        let proc = &mut self.procs[p];
        let due = proc.outbox.due_escalations(now).unwrap();
        let planner = Planner {
            settings: &self.settings,
            now,
            demo: false,
        };
        let steps = planner.escalations(&proc.engine, due);
        proc.outbox.commit(steps, now).unwrap();
    }

    fn entries(&self) -> Vec<Entry> {
        let mut e = self.procs[0].outbox.list(1000).unwrap();
        e.sort_by_key(|e| e.id);
        e
    }

    fn events(&self) -> Vec<(String, String, usize)> {
        self.entries()
            .iter()
            .map(|e| (e.channel.clone(), e.event.clone(), e.message.items.len()))
            .collect()
    }
}

const NEW_CRITICALS: &str = r#"
[[notify.rule]]
name = "new criticals"
when = "sev:critical wf:new"
to = ["soc-slack", "siem"]
notify_existing = true
"#;

#[test]
fn new_matches_and_findings_changed_into_a_match_notify_once_per_channel() {
    let mut h = Harness::new(NEW_CRITICALS, 1);
    let a = finding(1, Severity::Critical, Workflow::New);
    let b = finding(2, Severity::High, Workflow::New);
    h.publish(0, vec![a.clone(), b.clone()], &[]);
    assert_eq!(
        h.events(),
        vec![
            ("soc-slack".into(), "finding.matched".into(), 1),
            ("siem".into(), "finding.matched".into(), 1)
        ]
    );
    // The same snapshot again (a full pass) and an unrelated change: nothing new.
    h.version += 0;
    h.publish(0, vec![finding(3, Severity::Low, Workflow::New)], &[]);
    assert_eq!(h.entries().len(), 2);
    // B is raised to CRITICAL: changed into a match.
    let mut b2 = (*b).clone();
    b2.severity = Severity::Critical;
    b2.updated_at += 1000;
    h.publish(0, vec![Arc::new(b2)], &[]);
    assert_eq!(h.entries().len(), 4);
    let last = h.entries().pop().unwrap();
    assert_eq!(last.finding_id.as_deref(), Some(b.id.as_str()));
    assert!(last.key.starts_with("hb1-") && last.key.len() == 36);
    // A acknowledged (NOTIFIED): no longer matches, nothing sent; then resolved: the
    // resolution goes to both channels.
    let mut a2 = (*a).clone();
    a2.workflow = Workflow::Notified;
    h.publish(0, vec![Arc::new(a2.clone())], &[]);
    assert_eq!(h.entries().len(), 4);
    a2.workflow = Workflow::Resolved;
    h.publish(0, vec![Arc::new(a2)], &[]);
    let ev = h.events();
    assert_eq!(ev.len(), 6, "{ev:?}");
    assert!(ev[4..].iter().all(|(_, e, _)| e == "finding.resolved"));
    // B disappears from its source: resolved too.
    h.publish(0, Vec::new(), &[b.id.as_str()]);
    assert_eq!(h.entries().len(), 8);
    // Every enqueue was audited before anything could be sent.
    let log = std::fs::read_to_string(h.dir.path().join("audit.jsonl")).unwrap();
    assert_eq!(log.matches("notify:enqueue").count(), 4, "{log}");
}

#[test]
fn a_finding_that_matches_again_later_notifies_again_but_a_restart_does_not() {
    let mut h = Harness::new(NEW_CRITICALS, 1);
    let a = finding(1, Severity::Critical, Workflow::New);
    h.publish(0, vec![a.clone()], &[]);
    assert_eq!(h.entries().len(), 2);
    // A restarted process (fresh memory from the store) sees the same finding, updated by
    // its provider but still matching: nothing new.
    let records: Vec<_> = h
        .settings
        .rules
        .iter()
        .map(|r| h.procs[0].outbox.rule_record(&r.name).unwrap())
        .collect();
    h.procs[0].engine = Engine::new(h.settings.clone(), &records);
    let mut a2 = (*a).clone();
    a2.updated_at += 60_000;
    h.publish(0, vec![Arc::new(a2.clone())], &[]);
    assert_eq!(h.entries().len(), 2);
    // Down to HIGH (no match), back to CRITICAL: a new match.
    a2.severity = Severity::High;
    a2.updated_at += 60_000;
    h.publish(0, vec![Arc::new(a2.clone())], &[]);
    a2.severity = Severity::Critical;
    a2.updated_at += 60_000;
    h.publish(0, vec![Arc::new(a2)], &[]);
    assert_eq!(h.entries().len(), 4);
}

#[test]
fn two_processes_on_one_store_enqueue_each_notification_once() {
    let mut h = Harness::new(NEW_CRITICALS, 2);
    let list: Vec<_> = (0..20)
        .map(|i| finding(i, Severity::Critical, Workflow::New))
        .collect();
    // Both see the same findings (their own polls), at slightly different versions.
    h.publish(0, list.clone(), &[]);
    let mut later: Vec<Arc<Finding>> = list
        .iter()
        .map(|f| {
            let mut g = (**f).clone();
            g.updated_at += 5_000;
            Arc::new(g)
        })
        .collect();
    h.publish(1, later.clone(), &[]);
    assert_eq!(h.entries().len(), 40, "one per finding and channel");
    // Both see them resolved: one resolution each.
    for f in &mut later {
        Arc::make_mut(f).workflow = Workflow::Resolved;
    }
    h.publish(1, later.clone(), &[]);
    h.publish(0, later, &[]);
    let resolved = h
        .entries()
        .iter()
        .filter(|e| e.event == "finding.resolved")
        .count();
    assert_eq!(resolved, 40);
}

#[test]
fn a_digest_batches_one_window_per_channel_and_sends_at_its_end() {
    let rules = r#"
[[notify.rule]]
name = "digest"
when = "sev:>=high"
to = ["soc-slack", "oncall"]
digest = "15m"
notify_existing = true
"#;
    let mut h = Harness::new(rules, 1);
    h.clock.set(NOON + 2 * MIN);
    h.publish(0, vec![finding(1, Severity::High, Workflow::New)], &[]);
    h.clock.set(NOON + 5 * MIN);
    h.publish(
        0,
        vec![
            finding(2, Severity::Critical, Workflow::New),
            finding(3, Severity::High, Workflow::New),
        ],
        &[],
    );
    let e = h.entries();
    let slack: Vec<&Entry> = e.iter().filter(|e| e.channel == "soc-slack").collect();
    assert_eq!(slack.len(), 1, "{:?}", h.events());
    assert_eq!(slack[0].message.items.len(), 3);
    assert_eq!(slack[0].message.window, Some((NOON, NOON + 15 * MIN)));
    assert_eq!(slack[0].not_before, NOON + 15 * MIN);
    assert_eq!(slack[0].event, "digest");
    // PagerDuty is never batched.
    assert_eq!(e.iter().filter(|e| e.channel == "oncall").count(), 3);
    // The next window starts a new digest.
    h.clock.set(NOON + 16 * MIN);
    h.publish(0, vec![finding(4, Severity::High, Workflow::New)], &[]);
    let slack: Vec<Entry> = h
        .entries()
        .into_iter()
        .filter(|e| e.channel == "soc-slack")
        .collect();
    assert_eq!(slack.len(), 2);
    assert_eq!(
        slack[1].message.window,
        Some((NOON + 15 * MIN, NOON + 30 * MIN))
    );
}

#[test]
fn quiet_hours_hold_everything_but_pagerduty() {
    let rules = r#"
[[notify.rule]]
name = "quiet"
when = "sev:critical"
to = ["soc-slack", "oncall"]
quiet_hours = "22:00-07:00"
notify_existing = true
"#;
    let mut h = Harness::new(rules, 1);
    let eleven_pm = NOON + 11 * 60 * MIN;
    h.clock.set(eleven_pm);
    h.publish(0, vec![finding(1, Severity::Critical, Workflow::New)], &[]);
    let e = h.entries();
    let slack = e.iter().find(|e| e.channel == "soc-slack").unwrap();
    let pd = e.iter().find(|e| e.channel == "oncall").unwrap();
    assert_eq!(slack.not_before, NOON + 19 * 60 * MIN, "07:00 the next day");
    assert_eq!(pd.not_before, eleven_pm);
    // At noon nothing is held.
    h.clock.set(NOON + 24 * 60 * MIN);
    h.publish(0, vec![finding(2, Severity::Critical, Workflow::New)], &[]);
    assert!(
        h.entries()
            .iter()
            .filter(|e| e.finding_id.as_deref() == Some("f-000002"))
            .all(|e| e.not_before == NOON + 24 * 60 * MIN)
    );
}

#[test]
fn escalation_fires_after_the_sla_only_while_the_finding_is_still_new() {
    let rules = r#"
[[notify.rule]]
name = "sla"
when = "sev:critical wf:new"
to = ["soc-slack"]
escalate_after = "30m"
escalate_to = ["oncall"]
notify_existing = true
"#;
    let mut h = Harness::new(rules, 1);
    let a = finding(1, Severity::Critical, Workflow::New);
    let b = finding(2, Severity::Critical, Workflow::New);
    h.publish(0, vec![a.clone(), b.clone()], &[]);
    assert_eq!(h.entries().len(), 2);
    // B is acknowledged within the SLA.
    h.clock.advance(10 * MIN);
    let mut b2 = (*b).clone();
    b2.workflow = Workflow::Notified;
    h.publish(0, vec![Arc::new(b2)], &[]);
    h.clock.advance(19 * MIN);
    h.escalate(0);
    assert_eq!(h.entries().len(), 2, "not due yet at 29 minutes");
    h.clock.advance(2 * MIN);
    h.escalate(0);
    let esc: Vec<Entry> = h
        .entries()
        .into_iter()
        .filter(|e| e.event == "finding.escalated")
        .collect();
    assert_eq!(esc.len(), 1);
    assert_eq!(esc[0].channel, "oncall");
    assert_eq!(esc[0].finding_id.as_deref(), Some(a.id.as_str()));
    // Once only; and B's deadline passed without an escalation.
    h.clock.advance(60 * MIN);
    h.escalate(0);
    assert_eq!(
        h.entries()
            .iter()
            .filter(|e| e.event == "finding.escalated")
            .count(),
        1
    );
    assert!(
        h.procs[0]
            .outbox
            .due_escalations(h.clock.now_ms())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_new_rule_takes_present_matches_as_known_and_notifies_later_ones() {
    let rules = r#"
[[notify.rule]]
name = "crit"
when = "sev:critical"
to = ["siem"]
"#;
    let mut h = Harness::new(rules, 1);
    h.publish(
        0,
        (0..5)
            .map(|i| finding(i, Severity::Critical, Workflow::New))
            .collect(),
        &[],
    );
    assert!(h.entries().is_empty(), "baselined silently");
    h.publish(0, vec![finding(9, Severity::Critical, Workflow::New)], &[]);
    assert_eq!(h.entries().len(), 1);
    // A silently known finding resolving sends nothing (it was never notified).
    let mut f = (*finding(0, Severity::Critical, Workflow::New)).clone();
    f.workflow = Workflow::Resolved;
    h.publish(0, vec![Arc::new(f)], &[]);
    assert_eq!(h.entries().len(), 1);
}

#[test]
fn remediation_transitions_notify_the_rules_that_ask() {
    let rules = r#"
[[notify.rule]]
name = "remediation"
events = ["remediation.proposed", "remediation.failed"]
when = "sev:>=high"
to = ["soc-slack"]
"#;
    let mut h = Harness::new(rules, 1);
    // The cursor starts at the present: earlier history is not notified.
    assert!(
        h.procs[0]
            .outbox
            .remediation_transitions()
            .unwrap()
            .is_empty()
    );
    let proposal = serde_json::json!({
        "finding_id": "f-000001", "product_arn": "p", "source": "s", "account": "111111111111",
        "region": "us-east-1", "control": "S3.8", "severity": "HIGH", "title": "t",
        "resource_id": "arn:aws:s3:::b", "document": "AWS-Doc", "document_version": "1",
        "parameters": {}, "assume_role": "r", "destructive": false, "description": "d",
        "approvals_required": 1, "confirm_word": null
    });
    let conn2 = &h.procs[0].outbox.conn;
    conn2.execute(
        "INSERT INTO remediation_items (id, state, data, requester, created_at, updated_at) VALUES ('item-1', 'Failed', ?1, '{}', 1, 1)",
        [proposal.to_string()],
    ).unwrap();
    for (from, to) in [
        (None, "Proposed"),
        (Some("Proposed"), "Approved"),
        (Some("Running"), "Failed"),
    ] {
        conn2.execute(
            "INSERT INTO remediation_transitions (item_id, at, from_state, to_state, actor, note) VALUES ('item-1', 5, ?1, ?2, 'alice', 'why')",
            rusqlite::params![from, to],
        ).unwrap();
    }
    let t = h.procs[0].outbox.remediation_transitions().unwrap();
    assert_eq!(t.len(), 3);
    let planner = Planner {
        settings: &h.settings,
        now: NOON,
        demo: false,
    };
    let steps = planner.remediation(&h.procs[0].engine, &t);
    h.procs[0].outbox.commit(steps, NOON).unwrap();
    let ev: Vec<String> = h.entries().iter().map(|e| e.event.clone()).collect();
    assert_eq!(ev, vec!["remediation.proposed", "remediation.failed"]);
    assert!(
        h.procs[0]
            .outbox
            .remediation_transitions()
            .unwrap()
            .is_empty()
    );
    let _ = EventKind::Test;
}

mod full_pass;
