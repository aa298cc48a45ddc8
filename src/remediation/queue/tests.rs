use super::*;
use crate::model::Severity;
use std::collections::BTreeMap;

fn who(name: &str) -> Identity {
    Identity {
        arn: format!("arn:aws:sts::111111111111:assumed-role/Analyst/{name}"),
        user: name.into(),
    }
}

fn proposal(required: u32, destructive: bool, confirm: Option<&str>) -> Proposal {
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
        document_version: None,
        parameters: BTreeMap::from([("SecurityGroupId".into(), vec!["sg-1".into()])]),
        assume_role: "arn:aws:iam::111111111111:role/HubbleRemediation".into(),
        destructive,
        description: "removes open ingress".into(),
        approvals_required: required,
        confirm_word: confirm.map(str::to_owned),
    }
}

fn open(dir: &Path) -> Queue {
    let audit = Arc::new(Mutex::new(
        AuditLog::open(&dir.join("audit.jsonl")).unwrap(),
    ));
    Queue::open(&dir.join("q.db"), audit).unwrap()
}

#[test]
fn two_distinct_approvers_and_never_the_requester() {
    let dir = tempfile::tempdir().unwrap();
    let mut q = open(dir.path());
    let item = q.propose(proposal(2, false, None), &who("alice")).unwrap();
    assert_eq!(item.state, State::Proposed);
    assert!(matches!(
        q.approve(&item.id, &who("alice"), "mine", None),
        Err(QueueError::OwnProposal)
    ));
    let it = q
        .approve(&item.id[..8], &who("bob"), "looks right", None)
        .unwrap();
    assert_eq!((it.state, it.approvals()), (State::Proposed, 1));
    assert!(matches!(
        q.approve(&item.id, &who("bob"), "again", None),
        Err(QueueError::AlreadyDecided(_))
    ));
    let it = q.approve(&item.id, &who("carol"), "ok", None).unwrap();
    assert_eq!((it.state, it.approvals()), (State::Approved, 2));
    assert!(matches!(
        q.approve(&item.id, &who("dave"), "late", None),
        Err(QueueError::WrongState { .. })
    ));
    let h = q.history(&item.id).unwrap();
    assert_eq!(
        h.iter().map(|t| t.2.as_str()).collect::<Vec<_>>(),
        vec!["Proposed", "Approved"]
    );
    // Every action is in the audit log, which verifies.
    let log = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    assert_eq!(log.matches("remediation:approve").count(), 2);
    assert_eq!(crate::audit::verify(&dir.path().join("audit.jsonl")), Ok(3));
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
        q.approve(&d.id, &who("bob"), "", Some("sg-1")),
        Err(QueueError::JustificationRequired(_))
    ));
    assert!(
        matches!(q.approve(&d.id, &who("bob"), "approved in CAB", Some("sg-2")), Err(QueueError::ConfirmMismatch(w)) if w == "sg-1")
    );
    assert_eq!(
        q.approve(&d.id, &who("bob"), "approved in CAB", Some("sg-1"))
            .unwrap()
            .state,
        State::Approved
    );
}

#[test]
fn only_one_console_claims_an_item() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = open(dir.path());
    let mut b = open(dir.path());
    let item = a.propose(proposal(1, false, None), &who("alice")).unwrap();
    b.approve(&item.id, &who("bob"), "ok", None).unwrap();
    let first = a.claim_for_run(&item.id, &who("alice"));
    let second = b.claim_for_run(&item.id, &who("bob"));
    assert_eq!(first.unwrap().state, State::Running);
    assert!(matches!(
        second,
        Err(QueueError::WrongState {
            state: "Running",
            ..
        })
    ));
    a.set_execution(&item.id, "exec-1").unwrap();
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
}

#[test]
fn cancel_waits_for_running_items() {
    let dir = tempfile::tempdir().unwrap();
    let mut q = open(dir.path());
    let p = q.propose(proposal(1, false, None), &who("alice")).unwrap();
    assert_eq!(
        q.cancel(&p.id, &who("alice"), "dup").unwrap().state,
        State::Cancelled
    );
    let r = q.propose(proposal(1, false, None), &who("alice")).unwrap();
    q.approve(&r.id, &who("bob"), "ok", None).unwrap();
    q.claim_for_run(&r.id, &who("bob")).unwrap();
    let it = q.cancel(&r.id, &who("bob"), "wrong window").unwrap();
    assert_eq!((it.state, it.cancel_requested), (State::Running, true));
}

#[test]
fn a_failed_audit_write_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut q = open(dir.path());
    let item = q.propose(proposal(1, false, None), &who("alice")).unwrap();
    // Replace the log with a directory: appends fail.
    let broken = Arc::new(Mutex::new(
        AuditLog::open(&dir.path().join("audit.jsonl")).unwrap(),
    ));
    std::fs::remove_file(dir.path().join("audit.jsonl")).unwrap();
    std::fs::create_dir(dir.path().join("audit.jsonl")).unwrap();
    q.audit = broken;
    assert!(matches!(
        q.approve(&item.id, &who("bob"), "ok", None),
        Err(QueueError::Audit(_))
    ));
    assert_eq!(q.get(&item.id).unwrap().approvals(), 0);
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
