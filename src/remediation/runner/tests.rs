use std::collections::BTreeMap;
use std::sync::Mutex;

use super::*;
use crate::audit::AuditLog;
use crate::model::Severity;
use crate::remediation::automation::MemoryAutomation;
use crate::remediation::policy::Rule;
use crate::remediation::queue::Proposal;
use crate::sources::Query;
use crate::sources::memory::{MemorySource, sample_finding};

fn who(name: &str) -> Identity {
    Identity {
        arn: format!("arn:aws:sts::1:assumed-role/AWSReservedSSO_Ops_1/{name}"),
        user: name.into(),
    }
}

/// The runner's own catalogue: one test control per document.
const PLAYBOOKS: &str = r#"
[[playbook]]
control = "T.1"
document = "AWS-Doc"
description = "test"
destructive = false
[[playbook]]
control = "T.2"
document = "AWS-Broken"
description = "test"
destructive = false
[[playbook]]
control = "T.3"
document = "AWS-Slow"
description = "test"
destructive = false
"#;

fn control_of(document: &str) -> &'static str {
    match document {
        "AWS-Doc" => "T.1",
        "AWS-Broken" => "T.2",
        _ => "T.3",
    }
}

struct Fixture {
    dir: tempfile::TempDir,
    runner: Runner,
    automation: MemoryAutomation,
    source: MemorySource,
    path: std::path::PathBuf,
    audit: Arc<Mutex<AuditLog>>,
    checks: Checks,
}

fn checks(dir: &std::path::Path, rules: Vec<Rule>) -> Checks {
    std::fs::write(dir.join("playbooks.toml"), PLAYBOOKS).unwrap();
    Checks {
        rules,
        catalog: Catalog::load(Some(dir)).unwrap(),
        trusted_roles: Vec::new(),
        spacing: Duration::ZERO,
        lease: Duration::from_secs(60),
    }
}

fn fixture(duration_ms: i64) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let audit = Arc::new(Mutex::new(
        AuditLog::open(&dir.path().join("audit.jsonl"), Some(&path), None).unwrap(),
    ));
    let queue = Queue::open(&path, audit.clone()).unwrap();
    let automation = MemoryAutomation::new(duration_ms);
    let source = MemorySource::new("src");
    source.put(sample_finding(1, 1000));
    let checks = checks(dir.path(), Vec::new());
    let runner = runner(queue, &automation, &source, checks.clone());
    Fixture {
        dir,
        runner,
        automation,
        source,
        path,
        audit,
        checks,
    }
}

fn runner(queue: Queue, a: &MemoryAutomation, s: &MemorySource, checks: Checks) -> Runner {
    let sources: HashMap<String, Arc<dyn Source>> =
        HashMap::from([("src".to_string(), Arc::new(s.clone()) as Arc<dyn Source>)]);
    Runner::new(
        queue,
        Arc::new(Targets::Fixed(Arc::new(a.clone()))),
        sources,
        who("runner"),
        checks,
    )
}

fn proposal(a: &MemoryAutomation, document: &str, finding: usize) -> Proposal {
    let mut p = Proposal {
        finding_id: format!("f-{finding:06}"),
        product_arn: "arn:aws:securityhub:us-east-1::product/aws/securityhub".into(),
        source: "src".into(),
        account: "111111111111".into(),
        region: "us-east-1".into(),
        control: control_of(document).into(),
        severity: Severity::High,
        title: "t".into(),
        resource_id: "sg-1".into(),
        document: document.into(),
        document_version: None,
        document_hash: None,
        version_pinned: false,
        parameters: BTreeMap::new(),
        assume_role: "arn:aws:iam::111111111111:role/R".into(),
        destructive: false,
        description: "d".into(),
        approvals_required: 1,
        confirm_word: None,
        tags: Vec::new(),
    };
    let doc = futures::executor::block_on(a.describe(document, None)).unwrap();
    p.document_version = Some(doc.version);
    p.document_hash = Some(doc.hash);
    p
}

async fn finding(src: &MemorySource) -> crate::model::Finding {
    src.fetch_page(&Query::full(true), None)
        .await
        .unwrap()
        .items
        .remove(0)
        .finding
}

async fn approved(fx: &mut Fixture, document: &str) -> String {
    approved_for(fx, document, 1).await
}

async fn approved_for(fx: &mut Fixture, document: &str, finding: usize) -> String {
    let p = proposal(&fx.automation, document, finding);
    let item = fx.runner.queue.propose(p, &who("alice")).unwrap();
    fx.runner
        .queue
        .approve(&item.id, &who("bob"), "go", None, None)
        .unwrap();
    item.id
}

#[tokio::test]
async fn approved_item_runs_once_and_resolves_the_finding() {
    let mut fx = fixture(0);
    let id = approved(&mut fx, "AWS-Doc").await;
    let p1 = fx.runner.pass().await.unwrap();
    assert_eq!(p1.started, vec![id.clone()]);
    let p2 = fx.runner.pass().await.unwrap();
    assert_eq!(p2.finished, vec![(id.clone(), State::Succeeded)]);
    assert_eq!(p2.pending, 0);
    assert_eq!(fx.automation.executions(), 1);
    let f = finding(&fx.source).await;
    assert_eq!(f.workflow, Workflow::Resolved);
    let item = fx.runner.queue.get(&id).unwrap();
    assert!(item.finding_noted);
    // Nothing more happens on later passes.
    fx.runner.pass().await.unwrap();
    assert_eq!(fx.automation.executions(), 1);
    let log = std::fs::read_to_string(fx.path.with_file_name("audit.jsonl")).unwrap();
    let order: Vec<usize> = [
        "remediation:propose",
        "remediation:approve",
        "\"starting\"",
        "remediation:succeeded",
        "workflow:RESOLVED",
    ]
    .into_iter()
    .map(|a| log.find(a).unwrap_or_else(|| panic!("{a} missing: {log}")))
    .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "audited in order: {log}"
    );
}

#[tokio::test]
async fn failure_notifies_with_the_reason() {
    let mut fx = fixture(0);
    fx.automation.fail_document("AWS-Broken");
    let id = approved(&mut fx, "AWS-Broken").await;
    fx.runner.pass().await.unwrap();
    let p = fx.runner.pass().await.unwrap();
    assert_eq!(p.finished, vec![(id.clone(), State::Failed)]);
    let item = fx.runner.queue.get(&id).unwrap();
    assert!(item.failure.as_deref().unwrap().contains("AccessDenied"));
    assert_eq!(finding(&fx.source).await.workflow, Workflow::Notified);
}

#[tokio::test]
async fn cancel_stops_a_running_execution_after_auditing_it() {
    let mut fx = fixture(60_000);
    let id = approved(&mut fx, "AWS-Slow").await;
    fx.runner.pass().await.unwrap();
    fx.runner
        .queue
        .cancel(&id, &who("bob"), "maintenance window closed")
        .unwrap();
    let p = fx.runner.pass().await.unwrap();
    assert_eq!(p.finished, vec![(id.clone(), State::Cancelled)]);
    assert_eq!(
        finding(&fx.source).await.workflow,
        Workflow::New,
        "a cancelled run leaves the finding alone"
    );
    let log = std::fs::read_to_string(fx.path.with_file_name("audit.jsonl")).unwrap();
    assert!(log.contains("remediation:stop"), "{log}");
}

#[tokio::test]
async fn a_crash_after_claiming_never_starts_twice() {
    let mut fx = fixture(0);
    let id = approved(&mut fx, "AWS-Doc").await;
    // Claimed (persisted) and started, but the execution id was never saved: a crash.
    let item = fx
        .runner
        .queue
        .claim_for_run(&id, &who("runner"), "dead-runner", 1)
        .unwrap();
    fx.automation
        .start("AWS-Doc", Some("1"), &BTreeMap::new(), item.client_token())
        .await
        .unwrap();
    std::thread::sleep(Duration::from_millis(5)); // the dead runner's lease expires
    // A fresh runner on the same store (as after a restart).
    let queue = Queue::open(&fx.path, fx.audit.clone()).unwrap();
    let mut runner = runner(queue, &fx.automation, &fx.source, fx.checks.clone());
    runner.pass().await.unwrap();
    runner.pass().await.unwrap();
    assert_eq!(runner.queue.get(&id).unwrap().state, State::Succeeded);
    assert_eq!(
        fx.automation.executions(),
        1,
        "the client token found the first execution"
    );
}

/// SSM accepted the start but the answer was lost (timeout, 5xx): the item stays Running
/// and the same client token is asked again until SSM answers with the execution.
#[tokio::test]
async fn an_ambiguous_start_is_retried_with_the_same_token() {
    let mut fx = fixture(0);
    let id = approved(&mut fx, "AWS-Doc").await;
    fx.automation.lose_next_answer(true);
    fx.automation.lose_next_answer(false);
    let p = fx.runner.pass().await.unwrap();
    assert!(
        p.errors[0].contains("retrying with the same client token"),
        "{p:?}"
    );
    let item = fx.runner.queue.get(&id).unwrap();
    assert_eq!(
        (item.state, item.execution_id.as_deref()),
        (State::Running, None)
    );
    assert!(item.start_error.is_some());
    fx.runner.pass().await.unwrap(); // answer lost again, before starting
    fx.runner.pass().await.unwrap(); // definite: the first execution
    fx.runner.pass().await.unwrap();
    let item = fx.runner.queue.get(&id).unwrap();
    assert_eq!(item.state, State::Succeeded);
    assert_eq!(fx.automation.executions(), 1, "one execution");
    assert_eq!(fx.automation.start_requests(), 3);
}

/// A second console never retries the start while the first one's lease is live.
#[tokio::test]
async fn a_live_lease_keeps_other_consoles_out() {
    let mut fx = fixture(0);
    let id = approved(&mut fx, "AWS-Doc").await;
    fx.automation.lose_next_answer(false);
    fx.runner.pass().await.unwrap();
    let queue = Queue::open(&fx.path, fx.audit.clone()).unwrap();
    let mut other = runner(queue, &fx.automation, &fx.source, fx.checks.clone());
    other.pass().await.unwrap();
    assert_eq!(
        fx.automation.start_requests(),
        1,
        "the other console waited"
    );
    fx.runner.pass().await.unwrap();
    assert_eq!(fx.automation.start_requests(), 2, "the holder retried");
    assert!(fx.runner.queue.get(&id).unwrap().execution_id.is_some());
}

#[tokio::test]
async fn starts_are_spaced_per_account_and_region() {
    let mut fx = fixture(0);
    fx.runner.checks.spacing = Duration::from_secs(3600);
    let a = approved_for(&mut fx, "AWS-Doc", 1).await;
    let b = approved_for(&mut fx, "AWS-Doc", 2).await;
    let p = fx.runner.pass().await.unwrap();
    assert_eq!(p.started, vec![a]);
    assert_eq!(
        fx.runner.queue.get(&b).unwrap().state,
        State::Approved,
        "waits for the spacing"
    );
}

fn refused(fx: &Fixture, id: &str) -> String {
    let item = fx.runner.queue.get(id).unwrap();
    assert_eq!(item.state, State::Failed, "{item:?}");
    item.failure.unwrap()
}

/// Someone edits the approved item's parameters in the database: the digest no longer
/// matches the approvals, so nothing runs.
#[tokio::test]
async fn an_item_edited_after_approval_is_refused() {
    let mut fx = fixture(0);
    let id = approved(&mut fx, "AWS-Doc").await;
    let conn = crate::store::Store::open(&fx.path)
        .unwrap()
        .into_connection();
    conn.execute(
        "UPDATE remediation_items SET data = json_set(data, '$.parameters.GroupId', json_array('sg-victim')) WHERE id = ?1",
        [&id],
    )
    .unwrap();
    fx.runner.pass().await.unwrap();
    assert!(refused(&fx, &id).contains("changed after bob approved"));
    assert_eq!(fx.automation.start_requests(), 0);
    let log = std::fs::read_to_string(fx.path.with_file_name("audit.jsonl")).unwrap();
    assert!(log.contains("remediation:refuse"));
}

/// The row says one approval is enough, the runner's own policy says two.
#[tokio::test]
async fn the_runner_applies_its_own_policy() {
    let mut fx = fixture(0);
    let rules: Vec<Rule> = toml::from_str::<BTreeMap<String, Vec<Rule>>>(
        "[[policy]]\nwhen = { severity = [\"HIGH\"] }\napprovals = 2\n",
    )
    .unwrap()
    .remove("policy")
    .unwrap();
    fx.runner.checks = checks(fx.dir.path(), rules);
    let id = approved(&mut fx, "AWS-Doc").await;
    fx.runner.pass().await.unwrap();
    assert!(refused(&fx, &id).contains("needs 2 distinct approver"));
    assert_eq!(fx.automation.start_requests(), 0);
}

/// Approvals stored by a console that trusted session names, run by one that does not.
#[tokio::test]
async fn approvals_by_one_person_do_not_add_up() {
    let mut fx = fixture(0);
    let p = proposal(&fx.automation, "AWS-Doc", 1);
    let mut p2 = p.clone();
    p2.approvals_required = 2;
    let item = fx.runner.queue.propose(p2, &who("alice")).unwrap();
    let ops = |n: &str| Identity {
        arn: format!("arn:aws:sts::1:assumed-role/Ops/{n}"),
        user: n.into(),
    };
    let queue = Queue::open(&fx.path, fx.audit.clone()).unwrap();
    let mut lax = queue.with_trusted_roles(vec!["arn:aws:iam::*:role/Ops".into()]);
    lax.approve(&item.id, &ops("bob"), "ok", None, None)
        .unwrap();
    lax.approve(&item.id, &ops("bob-2"), "ok", None, None)
        .unwrap();
    assert_eq!(lax.get(&item.id).unwrap().state, State::Approved);
    let mut rules = BTreeMap::new();
    rules.insert(
        "policy",
        vec![Rule {
            when: Default::default(),
            approvals: 2,
            confirm_word: false,
        }],
    );
    fx.runner.checks.rules = rules.remove("policy").unwrap();
    fx.runner.pass().await.unwrap();
    assert!(refused(&fx, &item.id).contains("several approvals came from one person"));
}

/// A new default version of the runbook after approval: refused, propose again.
#[tokio::test]
async fn a_runbook_changed_after_approval_is_refused() {
    let mut fx = fixture(0);
    let id = approved(&mut fx, "AWS-Doc").await;
    fx.automation.bump_version("AWS-Doc");
    fx.runner.pass().await.unwrap();
    let why = refused(&fx, &id);
    assert!(
        why.contains("default version is now 2 (approved 1)"),
        "{why}"
    );
    assert_eq!(fx.automation.start_requests(), 0);
}

/// The runner's own catalogue maps the control to another runbook.
#[tokio::test]
async fn a_different_playbook_is_refused() {
    let mut fx = fixture(0);
    let mut p = proposal(&fx.automation, "AWS-Doc", 1);
    p.control = "T.2".into();
    let item = fx.runner.queue.propose(p, &who("alice")).unwrap();
    fx.runner
        .queue
        .approve(&item.id, &who("bob"), "ok", None, None)
        .unwrap();
    fx.runner.pass().await.unwrap();
    assert!(refused(&fx, &item.id).contains("runs AWS-Broken, not AWS-Doc"));
}
