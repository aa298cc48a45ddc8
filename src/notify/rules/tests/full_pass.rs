//! Full passes: the same answers as incremental ones, and answers reused only where the
//! finding and the rule's inputs are unchanged.

use super::*;

/// Snapshot `v` of `list`, `changed` being the findings the batch changed.
fn snap(v: u64, list: &[Arc<Finding>], changed: Vec<Arc<Finding>>) -> Snapshot {
    Snapshot {
        version: v,
        findings: Arc::new(list.to_vec().into()),
        changed_findings: Arc::new(changed),
        ..Snapshot::default()
    }
}

#[test]
fn full_and_incremental_passes_agree() {
    let settings = settings(
        r#"
[[notify.rule]]
name = "a"
when = "sev:>=high -wf:resolved"
to = ["siem"]
[[notify.rule]]
name = "b"
when = "control:S3.* region:eu"
to = ["siem"]
"#,
    );
    let all: Vec<Arc<Finding>> = (0..500)
        .map(|i| Arc::new(sample_finding(i, NOON)))
        .collect();
    let mut inc = Engine::new(settings.clone(), &[]);
    let mut full = Engine::new(settings.clone(), &[]);
    inc.evaluate(&snap(1, &all, all.clone()), NOON, true);
    full.evaluate(&snap(1, &all, all.clone()), NOON, true);
    let mut list = all.clone();
    let mut changed = Vec::new();
    for i in (0..500).step_by(7) {
        let mut f = (*list[i]).clone();
        f.severity = Severity::ALL[(i / 7) % 5];
        f.region = if i % 2 == 0 {
            "eu-west-1".into()
        } else {
            "us-east-1".into()
        };
        list[i] = Arc::new(f);
        changed.push(list[i].clone());
    }
    let a = inc.evaluate(&snap(2, &list, changed.clone()), NOON, false);
    let b = full.evaluate(&snap(2, &list, changed), NOON, true);
    let key = |c: &Change| match c {
        Change::Matched { rule, finding } => format!("m{rule}{}", finding.id),
        Change::Unmatched { rule, id } => format!("u{rule}{id}"),
        Change::Resolved { id, .. } => format!("r{id}"),
    };
    let mut a: Vec<String> = a.iter().map(key).collect();
    let mut b: Vec<String> = b.iter().map(key).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    assert_eq!(inc.counts(), full.counts());
}

#[test]
fn a_full_pass_reuses_answers_only_for_the_same_finding_and_a_clock_free_rule() {
    let settings = settings(
        r#"
[[notify.rule]]
name = "a"
when = "sev:>=high"
to = ["siem"]
[[notify.rule]]
name = "recent"
when = "age:<2h"
to = ["siem"]
"#,
    );
    let all: Vec<Arc<Finding>> = (0..200)
        .map(|i| Arc::new(sample_finding(i, NOON)))
        .collect();
    let mut e = Engine::new(settings.clone(), &[]);
    e.evaluate(&snap(1, &all, Vec::new()), NOON, true);
    let recent = e.counts()[1].0;
    assert!(recent > 0);
    // Same findings three hours later: the clock rule lets every one go, the other keeps.
    let later = NOON + 3 * 3_600_000;
    let mut list = all.clone();
    // One finding replaced by a new value the engine never saw (no incremental pass), one
    // removed: both are noticed by the full pass.
    let mut f = (*list[0]).clone();
    f.severity = if f.severity >= Severity::High {
        Severity::Low
    } else {
        Severity::Critical
    };
    list[0] = Arc::new(f);
    let removed = list.pop().unwrap();
    let changes = e.evaluate(&snap(3, &list, Vec::new()), later, true);
    let unmatched_recent = changes
        .iter()
        .filter(|c| matches!(c, Change::Unmatched { rule: 1, .. }))
        .count();
    assert_eq!(unmatched_recent, recent);
    assert!(changes.iter().any(|c| match c {
        Change::Matched { rule: 0, finding } => finding.id == list[0].id,
        Change::Unmatched { rule: 0, id } => *id == list[0].id,
        _ => false,
    }));
    // The same answers as an engine that evaluates everything from scratch.
    let mut scratch = Engine::new(settings, &[]);
    scratch.evaluate(&snap(3, &list, Vec::new()), later, true);
    let matched = |e: &Engine| e.counts().iter().map(|c| c.0).collect::<Vec<_>>();
    assert_eq!(matched(&e), matched(&scratch));
    assert!(e.finding(&removed.id).is_some(), "kept for its resolution");
}
