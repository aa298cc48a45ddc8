use super::*;
use crate::model::{Note, format_rfc3339};
use crate::remediation::item::{Decision, Identity, State};
use crate::sources::memory::sample_finding;

fn entry(ts: i64, action: &str, target: &str, outcome: &str) -> Entry {
    Entry {
        seq: None,
        ts: format_rfc3339(ts),
        actor: "alice".into(),
        action: action.into(),
        target: target.into(),
        justification: "checked with the owner".into(),
        outcome: outcome.into(),
        prev: String::new(),
        alg: None,
    }
}

#[test]
fn the_finding_gives_its_own_milestones_and_note() {
    let mut f = sample_finding(1, 5_000);
    f.created_at = 1_000;
    f.first_observed_at = Some(1_000);
    f.last_observed_at = Some(4_000);
    f.note = Some(Note {
        text: "owner asked".into(),
        updated_by: "bob".into(),
        updated_at: 4_500,
    });
    let ev = merge([of_finding(&f)]);
    let whats: Vec<&str> = ev.iter().map(|e| e.what.as_str()).collect();
    assert!(
        whats[0].starts_with("last updated by the provider"),
        "{whats:?}"
    );
    assert_eq!(whats[1], "note: owner asked");
    assert_eq!(ev[1].who, "bob");
    assert_eq!(whats[2], "last observed");
    assert_eq!(whats[3], "created");
    assert!(
        !whats.contains(&"first observed"),
        "same instant as created: said once"
    );
}

#[test]
fn audit_entries_of_the_finding_only_and_settled_pendings_dropped() {
    let id = "arn:aws:securityhub:us-east-1:111111111111:finding/abc";
    let entries = vec![
        entry(
            1_000,
            "workflow:RESOLVED",
            &format!("aws/prod: {id}"),
            "pending",
        ),
        entry(
            1_001,
            "workflow:RESOLVED",
            &format!("aws/prod: {id}"),
            "ok: 1 processed",
        ),
        entry(
            2_000,
            "workflow:NOTIFIED",
            &format!("aws/prod: {id},other"),
            "pending",
        ),
        entry(
            3_000,
            "workflow:NEW",
            &format!("aws/prod: {id}-2"),
            "ok: 1 processed",
        ),
    ];
    let ev = merge([of_audit(&entries, id)]);
    assert_eq!(ev.len(), 2, "{ev:?}");
    assert_eq!(
        ev[0].what,
        "workflow NOTIFIED \"checked with the owner\" (pending)"
    );
    assert_eq!(
        ev[1].what,
        "workflow RESOLVED \"checked with the owner\" (ok: 1 processed)"
    );
    assert!(
        ev.iter()
            .all(|e| e.origin == Origin::Console && e.who == "alice")
    );
}

#[test]
fn remediation_items_with_decisions_and_outcome() {
    let mut p = crate::remediation::queue::tests::proposal(1, false, None);
    p.finding_id = "f-9".into();
    let item = Item {
        id: "0123456789abcdef".into(),
        state: State::Failed,
        version: 3,
        proposal: p,
        requester: Identity {
            arn: "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_SecOps_0a/alice".into(),
            user: "alice".into(),
        },
        created_at: 10,
        updated_at: 30,
        execution_id: Some("exec-1".into()),
        current_step: None,
        failure: Some("step 2 failed".into()),
        cancel_requested: false,
        finding_noted: false,
        decisions: vec![Decision {
            actor: "arn:bob".into(),
            actor_name: "bob".into(),
            approve: true,
            justification: "ticket SEC-4".into(),
            at: 20,
            digest: String::new(),
            person: "bob".into(),
        }],
        lease_owner: None,
        lease_until: None,
        start_error: None,
    };
    let ev = merge([
        of_items(std::slice::from_ref(&item), "f-9"),
        of_items(&[item], "f-1"),
    ]);
    let whats: Vec<&str> = ev.iter().map(|e| e.what.as_str()).collect();
    assert_eq!(
        whats,
        vec![
            "item 01234567 failed, execution exec-1: step 2 failed",
            "approved item 01234567: ticket SEC-4",
            "proposed AWSConfigRemediation-RemoveUnrestrictedSourceIngressRules (item 01234567)",
        ]
    );
    assert_eq!(ev[2].who, "alice");
}
