use std::collections::BTreeMap;
use std::sync::Mutex;

use super::*;
use crate::audit::AuditLog;
use crate::model::Severity;
use crate::remediation::automation::MemoryAutomation;
use crate::remediation::queue::Proposal;
use crate::sources::Query;
use crate::sources::memory::{MemorySource, sample_finding};

fn who(name: &str) -> Identity {
    Identity {
        arn: format!("arn:aws:sts::1:assumed-role/A/{name}"),
        user: name.into(),
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    runner: Runner,
    automation: MemoryAutomation,
    source: MemorySource,
    path: std::path::PathBuf,
    audit: Arc<Mutex<AuditLog>>,
}

fn fixture(duration_ms: i64) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let audit = Arc::new(Mutex::new(
        AuditLog::open(&dir.path().join("audit.jsonl")).unwrap(),
    ));
    let queue = Queue::open(&path, audit.clone()).unwrap();
    let automation = MemoryAutomation::new(duration_ms);
    let source = MemorySource::new("src");
    source.put(sample_finding(1, 1000));
    let autos: HashMap<String, Arc<dyn Automation>> = HashMap::from([(
        "src".to_string(),
        Arc::new(automation.clone()) as Arc<dyn Automation>,
    )]);
    let sources: HashMap<String, Arc<dyn Source>> = HashMap::from([(
        "src".to_string(),
        Arc::new(source.clone()) as Arc<dyn Source>,
    )]);
    let runner = Runner::new(
        queue,
        autos,
        sources,
        who("runner"),
        Duration::from_millis(0),
    );
    Fixture {
        _dir: dir,
        runner,
        automation,
        source,
        path,
        audit,
    }
}

fn proposal(document: &str) -> Proposal {
    Proposal {
        finding_id: "f-000001".into(),
        product_arn: "arn:aws:securityhub:us-east-1::product/aws/securityhub".into(),
        source: "src".into(),
        account: "111111111111".into(),
        region: "us-east-1".into(),
        control: "EC2.19".into(),
        severity: Severity::High,
        title: "t".into(),
        resource_id: "sg-1".into(),
        document: document.into(),
        document_version: None,
        parameters: BTreeMap::new(),
        assume_role: "arn:aws:iam::111111111111:role/R".into(),
        destructive: false,
        description: "d".into(),
        approvals_required: 1,
        confirm_word: None,
    }
}

async fn finding(src: &MemorySource) -> crate::model::Finding {
    src.fetch_page(
        &Query::Full {
            include_archived: true,
        },
        None,
    )
    .await
    .unwrap()
    .items
    .remove(0)
    .finding
}

async fn approved(fx: &mut Fixture, document: &str) -> String {
    let item = fx
        .runner
        .queue
        .propose(proposal(document), &who("alice"))
        .unwrap();
    fx.runner
        .queue
        .approve(&item.id, &who("bob"), "go", None)
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
    let order: Vec<&str> = [
        "remediation:propose",
        "remediation:approve",
        "remediation:execute",
        "remediation:succeeded",
        "workflow:RESOLVED",
    ]
    .into_iter()
    .filter(|a| log.contains(a))
    .collect();
    assert_eq!(order.len(), 5, "{log}");
    assert!(log.find("remediation:execute").unwrap() < log.find("remediation:succeeded").unwrap());
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
async fn cancel_stops_a_running_execution() {
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
}

#[tokio::test]
async fn a_crash_after_claiming_never_starts_twice() {
    let mut fx = fixture(0);
    let id = approved(&mut fx, "AWS-Doc").await;
    // Claimed (persisted) and started, but the execution id was never saved: a crash.
    let item = fx.runner.queue.claim_for_run(&id, &who("runner")).unwrap();
    fx.automation
        .start("AWS-Doc", None, &BTreeMap::new(), item.client_token())
        .await
        .unwrap();
    // A fresh runner on the same store (as after a restart).
    let queue = Queue::open(&fx.path, fx.audit.clone()).unwrap();
    let autos: HashMap<String, Arc<dyn Automation>> = HashMap::from([(
        "src".to_string(),
        Arc::new(fx.automation.clone()) as Arc<dyn Automation>,
    )]);
    let sources: HashMap<String, Arc<dyn Source>> = HashMap::from([(
        "src".to_string(),
        Arc::new(fx.source.clone()) as Arc<dyn Source>,
    )]);
    let mut runner = Runner::new(queue, autos, sources, who("runner"), Duration::ZERO);
    runner.pass().await.unwrap();
    runner.pass().await.unwrap();
    assert_eq!(runner.queue.get(&id).unwrap().state, State::Succeeded);
    assert_eq!(
        fx.automation.executions(),
        1,
        "the client token found the first execution"
    );
}

#[tokio::test]
async fn starts_are_spaced_per_account_and_region() {
    let mut fx = fixture(0);
    fx.runner.spacing = Duration::from_secs(3600);
    let a = approved(&mut fx, "AWS-Doc").await;
    let b = approved(&mut fx, "AWS-Doc").await;
    let p = fx.runner.pass().await.unwrap();
    assert_eq!(p.started, vec![a]);
    assert_eq!(
        fx.runner.queue.get(&b).unwrap().state,
        State::Approved,
        "waits for the spacing"
    );
}
