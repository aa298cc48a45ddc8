use super::*;
use crate::model::Severity;
use std::collections::BTreeMap;

/// An Identity Center session: each name is its own person.
fn who(name: &str) -> Identity {
    Identity {
        arn: format!("arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_SecOps_0a1b2c/{name}"),
        user: name.into(),
    }
}

/// A session of an ordinary role: the caller picks the name.
fn role_session(role: &str, name: &str) -> Identity {
    Identity {
        arn: format!("arn:aws:sts::111111111111:assumed-role/{role}/{name}"),
        user: name.into(),
    }
}

pub(crate) fn proposal(required: u32, destructive: bool, confirm: Option<&str>) -> Proposal {
    Proposal {
        finding_id: "f-1".into(),
        product_arn: "arn:aws:securityhub:us-east-1::product/aws/securityhub".into(),
        source: "aws/prod/us-east-1".into(),
        account: "111111111111".into(),
        region: "us-east-1".into(),
        control: "EC2.19".into(),
        severity: Severity::Critical,
        title: "open sg".into(),
        resource_id: "arn:aws:ec2:us-east-1:111111111111:security-group/sg-1".into(),
        document: "AWSConfigRemediation-RemoveUnrestrictedSourceIngressRules".into(),
        document_version: Some("1".into()),
        document_hash: Some("ab".repeat(32)),
        version_pinned: false,
        parameters: BTreeMap::from([("SecurityGroupId".into(), vec!["sg-1".into()])]),
        assume_role: "arn:aws:iam::111111111111:role/HubbleRemediation".into(),
        destructive,
        description: "removes open ingress".into(),
        approvals_required: required,
        confirm_word: confirm.map(str::to_owned),
        tags: Vec::new(),
    }
}

fn open(dir: &Path) -> Queue {
    let audit = Arc::new(Mutex::new(
        AuditLog::open(&dir.join("audit.jsonl"), Some(&dir.join("q.db")), None).unwrap(),
    ));
    Queue::open(&dir.join("q.db"), audit).unwrap()
}

fn verify(dir: &Path) -> crate::audit::Report {
    let conn = Store::open(&dir.join("q.db")).unwrap().into_connection();
    let anchor = crate::audit::read_anchor(&conn, &dir.join("audit.jsonl"))
        .unwrap()
        .unwrap();
    crate::audit::verify(
        &dir.join("audit.jsonl"),
        crate::audit::verify::AnchorState::Found(anchor),
        None,
    )
    .unwrap()
}

#[test]
fn two_distinct_people_and_never_the_requester() {
    let dir = tempfile::tempdir().unwrap();
    let mut q = open(dir.path());
    let item = q.propose(proposal(2, false, None), &who("alice")).unwrap();
    assert_eq!(item.state, State::Proposed);
    assert!(matches!(
        q.approve(&item.id, &who("alice"), "mine", None, None),
        Err(QueueError::OwnProposal(_))
    ));
    let it = q
        .approve(&item.id[..8], &who("bob"), "looks right", None, None)
        .unwrap();
    assert_eq!((it.state, it.approvals()), (State::Proposed, 1));
    assert!(matches!(
        q.approve(&item.id, &who("bob"), "again", None, None),
        Err(QueueError::AlreadyDecided(_))
    ));
    let it = q
        .approve(&item.id, &who("carol"), "ok", None, None)
        .unwrap();
    assert_eq!((it.state, it.approvals()), (State::Approved, 2));
    assert!(
        it.decisions
            .iter()
            .all(|d| d.digest == it.proposal.digest())
    );
    assert!(matches!(
        q.approve(&item.id, &who("dave"), "late", None, None),
        Err(QueueError::WrongState { .. })
    ));
    let h = q.history(&item.id).unwrap();
    assert_eq!(
        h.iter().map(|t| t.2.as_str()).collect::<Vec<_>>(),
        vec!["Proposed", "Approved"]
    );
    // Every action is in the audit log, which verifies against its anchor.
    let log = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    assert_eq!(log.matches("remediation:approve").count(), 2);
    let r = verify(dir.path());
    assert!(r.ok() && r.warnings.is_empty(), "{r:?}");
    assert_eq!(r.anchored_at, Some(3));
}

/// `--role-session-name alice` then `alice-2`: one person, so no self-approval and no
/// second vote; a trusted role counts each session.
#[test]
fn sessions_of_one_role_are_one_person_unless_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let mut q = open(dir.path());
    let item = q
        .propose(proposal(2, false, None), &role_session("Analyst", "alice"))
        .unwrap();
    let err = q
        .approve(
            &item.id,
            &role_session("Analyst", "alice-2"),
            "me again",
            None,
            None,
        )
        .unwrap_err();
    assert!(
        matches!(&err, QueueError::OwnProposal(m) if m.contains("one person")),
        "{err}"
    );
    // Two sessions of another ordinary role count once.
    q.approve(&item.id, &role_session("Ops", "bob"), "ok", None, None)
        .unwrap();
    assert!(matches!(
        q.approve(&item.id, &role_session("Ops", "carol"), "ok", None, None),
        Err(QueueError::AlreadyDecided(m)) if m.contains("same person")
    ));
    assert_eq!(q.get(&item.id).unwrap().state, State::Proposed);

    let mut trusted = open(dir.path()).with_trusted_roles(vec!["arn:aws:iam::*:role/Ops".into()]);
    let it = trusted
        .approve(&item.id, &role_session("Ops", "carol"), "ok", None, None)
        .unwrap();
    assert_eq!((it.state, it.approvals()), (State::Approved, 2));
}

#[test]
fn reject_needs_a_justification_and_destructive_needs_confirmation() {
    let dir = tempfile::tempdir().unwrap();
    let mut q = open(dir.path());
    let item = q.propose(proposal(1, false, None), &who("alice")).unwrap();
    assert!(matches!(
        q.reject(&item.id, &who("bob"), "  "),
        Err(QueueError::JustificationRequired(_))
    ));
    let it = q.reject(&item.id, &who("bob"), "wrong group").unwrap();
    assert_eq!(it.state, State::Rejected);
    let d = q
        .propose(proposal(1, true, Some("sg-1")), &who("alice"))
        .unwrap();
    assert!(matches!(
        q.approve(&d.id, &who("bob"), "", Some("sg-1"), None),
        Err(QueueError::JustificationRequired(_))
    ));
    assert!(
        matches!(q.approve(&d.id, &who("bob"), "approved in CAB", Some("sg-2"), None), Err(QueueError::ConfirmMismatch(w)) if w == "sg-1")
    );
    assert_eq!(
        q.approve(&d.id, &who("bob"), "approved in CAB", Some("sg-1"), None)
            .unwrap()
            .state,
        State::Approved
    );
}

/// An approver approves what they were shown: an item changed since is refused.
#[test]
fn approving_a_changed_item_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut q = open(dir.path());
    let item = q.propose(proposal(1, false, None), &who("alice")).unwrap();
    let shown = item.proposal.digest();
    let mut edited = item.proposal.clone();
    edited
        .parameters
        .insert("SecurityGroupId".into(), vec!["sg-other".into()]);
    q.store
        .conn()
        .execute(
            "UPDATE remediation_items SET data = ?2 WHERE id = ?1",
            params![item.id, serde_json::to_string(&edited).unwrap()],
        )
        .unwrap();
    assert!(matches!(
        q.approve(&item.id, &who("bob"), "ok", None, Some(&shown)),
        Err(QueueError::Changed(_))
    ));
    assert_ne!(shown, edited.digest(), "parameters are part of the digest");
}

#[test]
fn only_one_console_claims_and_audits_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = open(dir.path());
    let mut b = open(dir.path());
    let item = a.propose(proposal(1, false, None), &who("alice")).unwrap();
    b.approve(&item.id, &who("bob"), "ok", None, None).unwrap();
    let first = a.claim_for_run(&item.id, &who("alice"), "runner-a", 60_000);
    let second = b.claim_for_run(&item.id, &who("bob"), "runner-b", 60_000);
    let claimed = first.unwrap();
    assert_eq!(
        (claimed.state, claimed.lease_owner.as_deref()),
        (State::Running, Some("runner-a"))
    );
    assert!(matches!(
        second,
        Err(QueueError::WrongState {
            state: "Running",
            ..
        })
    ));
    let log = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    assert_eq!(
        log.matches("\"starting\"").count(),
        1,
        "the loser writes nothing"
    );
    // The lease: the holder may renew, the other console may not until it expires.
    assert!(a.take_lease(&item.id, "runner-a", 60_000).unwrap());
    assert!(!b.take_lease(&item.id, "runner-b", 60_000).unwrap());
    assert!(a.take_lease(&item.id, "runner-a", -1).unwrap(), "expire it");
    assert!(
        b.take_lease(&item.id, "runner-b", 60_000).unwrap(),
        "expired: taken over"
    );
    a.set_execution(&item.id, "exec-1").unwrap();
    assert!(
        !a.take_lease(&item.id, "runner-a", 60_000).unwrap(),
        "started: no lease needed"
    );
    let done = b
        .finish(&item.id, State::Succeeded, None, &who("bob"))
        .unwrap();
    assert_eq!(
        (done.state, done.execution_id.as_deref()),
        (State::Succeeded, Some("exec-1"))
    );
    assert!(matches!(
        a.finish(&item.id, State::Failed, Some("x"), &who("alice")),
        Err(QueueError::WrongState { .. })
    ));
    assert!(verify(dir.path()).ok());
}

#[test]
fn one_open_item_per_finding_and_runbook() {
    let dir = tempfile::tempdir().unwrap();
    let mut q = open(dir.path());
    let first = q.propose(proposal(1, false, None), &who("alice")).unwrap();
    match q.propose(proposal(1, false, None), &who("bob")) {
        Err(QueueError::Duplicate { id, state }) => {
            assert_eq!((id.as_str(), state), (first.id.as_str(), "Proposed"))
        }
        other => panic!("{other:?}"),
    }
    q.cancel(&first.id, &who("alice"), "wrong one").unwrap();
    let again = q.propose(proposal(1, false, None), &who("alice")).unwrap();
    assert_ne!(
        again.id, first.id,
        "a finished item does not block a new proposal"
    );
    assert_eq!(q.list().unwrap().len(), 2);
}

#[test]
fn cancel_needs_a_reason_and_waits_for_running_items() {
    let dir = tempfile::tempdir().unwrap();
    let mut q = open(dir.path());
    let p = q.propose(proposal(1, false, None), &who("alice")).unwrap();
    assert!(matches!(
        q.cancel(&p.id, &who("alice"), " "),
        Err(QueueError::JustificationRequired(_))
    ));
    assert_eq!(
        q.cancel(&p.id, &who("alice"), "dup").unwrap().state,
        State::Cancelled
    );
    let r = q.propose(proposal(1, false, None), &who("alice")).unwrap();
    q.approve(&r.id, &who("bob"), "ok", None, None).unwrap();
    q.claim_for_run(&r.id, &who("bob"), "me", 1000).unwrap();
    let it = q.cancel(&r.id, &who("bob"), "wrong window").unwrap();
    assert_eq!((it.state, it.cancel_requested), (State::Running, true));
}

#[test]
fn a_failed_audit_write_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut q = open(dir.path());
    let item = q.propose(proposal(1, false, None), &who("alice")).unwrap();
    // Replace the log with a directory: appends fail.
    std::fs::remove_file(dir.path().join("audit.jsonl")).unwrap();
    std::fs::create_dir(dir.path().join("audit.jsonl")).unwrap();
    assert!(matches!(
        q.approve(&item.id, &who("bob"), "ok", None, None),
        Err(QueueError::Audit(_))
    ));
    assert_eq!(q.get(&item.id).unwrap().approvals(), 0);
    assert!(matches!(
        q.cancel(&item.id, &who("bob"), "x"),
        Err(QueueError::Audit(_))
    ));
    assert_eq!(q.get(&item.id).unwrap().state, State::Proposed);
}

#[test]
fn short_names_come_from_the_sts_identity() {
    let id = |arn: &str| Identity {
        arn: arn.into(),
        user: "root@vm".into(),
    };
    assert_eq!(
        id("arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_SOC_1a2b/jane.doe@example.com")
            .short(),
        "jane.doe@example.com"
    );
    assert_eq!(id("arn:aws:iam::111111111111:user/ops/bob").short(), "bob");
    assert_eq!(id("arn:aws:iam::111111111111:root").short(), "root@vm");
    assert_eq!(id("local:alice@host").short(), "root@vm");
}
