//! The Security Hub source, poller and headless command against a real moto server
//! (with the plugin under tests/moto adding BatchUpdateFindings and GetFindings filters).

mod support;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use agent_hubble::model::{FindingRef, Workflow};
use agent_hubble::poller::{
    HealthState, Poller, Resume, Settings, SourceEvent, SyncKind, fetch_all,
};
use agent_hubble::sources::aws_securityhub::SecurityHubSource;
use agent_hubble::sources::{Query, Source, SourceError, WorkflowUpdate};
use aws_sdk_securityhub::types::{
    AwsSecurityFindingIdentifier, WorkflowStatus, WorkflowUpdate as SdkWorkflow,
};
use serde_json::Value;
use support::*;
use tokio::sync::mpsc;

const T0: &str = "2026-11-20T10:00:00.000Z";

fn now_iso() -> String {
    agent_hubble::model::format_rfc3339(agent_hubble::model::now_ms())
}

async fn source(moto: &Moto, name: &str, account: &str, region: &str) -> Arc<dyn Source> {
    Arc::new(SecurityHubSource::connect(&moto.target(name, account, region)).await)
}

/// Seeds two accounts × two regions; A/us-east-1 has 150 findings (two pages).
async fn seed_fleet(moto: &Moto) -> usize {
    let mut total = 0;
    for (account, region, n) in [
        (ACCOUNT_A, "us-east-1", 150),
        (ACCOUNT_A, "eu-west-1", 3),
        (ACCOUNT_B, "us-east-1", 4),
        (ACCOUNT_B, "eu-west-1", 5),
    ] {
        let findings: Vec<Value> = (0..n)
            .map(|i| {
                asff(
                    account,
                    region,
                    i,
                    "EC2.19",
                    ["CRITICAL", "HIGH", "LOW"][i % 3],
                    T0,
                )
            })
            .collect();
        seed(&moto.client(account, region).await, &findings).await;
        total += n;
    }
    total
}

fn config_text(moto: &Moto) -> String {
    format!(
        r#"
[poll]
max_attempts = 1

[[aws]]
name = "prod"
regions = ["us-east-1", "eu-west-1"]
role_arn = "arn:aws:iam::{ACCOUNT_A}:role/Audit"
endpoint_url = "{url}"

[[aws]]
name = "staging"
regions = ["us-east-1", "eu-west-1"]
role_arn = "arn:aws:iam::{ACCOUNT_B}:role/Audit"
endpoint_url = "{url}"
"#,
        url = moto.url
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_accounts_two_regions_with_pagination() {
    let moto = Moto::start();
    let total = seed_fleet(&moto).await;
    let cfg =
        agent_hubble::config::Config::parse(&config_text(&moto), std::path::Path::new("t.toml"))
            .unwrap();
    let setup = agent_hubble::setup::sources(&cfg, false, false)
        .await
        .unwrap();
    assert_eq!(setup.sources.len(), 4);
    let mut per_source = Vec::new();
    let mut seen = HashSet::new();
    for s in &setup.sources {
        let (items, skipped) = fetch_all(s.as_ref(), &Query::full(false)).await.unwrap();
        assert!(skipped.is_empty());
        for n in &items {
            assert_eq!(n.finding.source, s.info().key);
            assert_eq!(
                n.finding.region,
                s.info().region,
                "each region sees only its own findings"
            );
            assert!(
                n.raw.contains("\"SchemaVersion\""),
                "raw JSON captured from the response body"
            );
            seen.insert(n.finding.id.clone());
        }
        per_source.push((
            s.info().key.clone(),
            items.len(),
            items.first().map(|n| n.finding.account.clone()),
        ));
    }
    assert_eq!(seen.len(), total);
    assert_eq!(
        per_source,
        vec![
            ("aws/prod/us-east-1".into(), 150, Some(ACCOUNT_A.into())),
            ("aws/prod/eu-west-1".into(), 3, Some(ACCOUNT_A.into())),
            ("aws/staging/us-east-1".into(), 4, Some(ACCOUNT_B.into())),
            ("aws/staging/eu-west-1".into(), 5, Some(ACCOUNT_B.into())),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn findings_command_prints_every_source_as_json_lines() {
    let moto = Moto::start();
    let total = seed_fleet(&moto).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, config_text(&moto)).unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_agent-hubble"))
        .args(["findings", "--format", "json", "--config"])
        .arg(&cfg)
        .env("XDG_STATE_HOME", dir.path())
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), total);
    for key in [
        "id",
        "product_arn",
        "provider",
        "account",
        "region",
        "severity",
        "title",
        "control_id",
        "resource_type",
        "resource_id",
        "workflow_status",
        "record_state",
        "compliance_status",
        "updated_at",
    ] {
        assert!(lines[0].get(key).is_some(), "missing {key}");
    }
    let places: HashSet<(String, String)> = lines
        .iter()
        .map(|l| {
            (
                l["account"].as_str().unwrap().into(),
                l["region"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(places.len(), 4);
    assert_eq!(lines[0]["severity"], "CRITICAL", "sorted most severe first");
    assert_eq!(lines[0]["control_id"], "EC2.19");

    // A filter, as typed in the console.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_agent-hubble"))
        .args([
            "findings",
            "--format",
            "json",
            "--filter",
            "sev:low acct:2222 region:eu",
            "--config",
        ])
        .arg(&cfg)
        .env("XDG_STATE_HOME", dir.path())
        .output()
        .await
        .unwrap();
    let n = String::from_utf8(out.stdout).unwrap().lines().count();
    assert_eq!(n, 1, "B/eu-west-1 has 5 findings, indices 2 is LOW");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_source_is_reported_while_the_others_keep_working() {
    let moto = Moto::start();
    seed(
        &moto.client(ACCOUNT_A, "us-east-1").await,
        &[asff(ACCOUNT_A, "us-east-1", 1, "S3.8", "HIGH", T0)],
    )
    .await;
    // ap-southeast-2 never enabled: Security Hub answers InvalidAccessException.
    let good = source(&moto, "good", ACCOUNT_A, "us-east-1").await;
    let bad = source(&moto, "bad", ACCOUNT_A, "ap-southeast-2").await;
    let (tx, mut rx) = mpsc::channel(16);
    let settings = Settings {
        interval: Duration::from_millis(300),
        min_backoff: Duration::from_secs(30),
        ..Settings::default()
    };
    let poller = Poller::spawn(vec![good, bad], |_| Resume::default(), settings, tx);
    let mut good_syncs = 0;
    let mut bad_error = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while good_syncs < 3 || bad_error.is_none() {
        let ev = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("events in time")
            .unwrap();
        match ev {
            SourceEvent::SyncDone { source, .. } if source == "aws/good/us-east-1" => {
                good_syncs += 1
            }
            // The first sync's progress reports come before its failure.
            SourceEvent::Health { source, health }
                if source == "aws/bad/ap-southeast-2" && health.progress.is_none() =>
            {
                assert_eq!(health.state, HealthState::Error);
                bad_error = health.last_error;
            }
            _ => {}
        }
    }
    let e = bad_error.unwrap();
    assert!(
        e.contains("InvalidAccessException") && e.contains("not subscribed"),
        "{e}"
    );
    poller.shutdown();

    // Throttling is reported as such, then the source recovers.
    moto.fault(serde_json::json!({"operation": "GetFindings", "error": "ThrottlingException", "account": ACCOUNT_A, "region": "us-east-1", "count": 1})).await;
    let good = source(&moto, "good", ACCOUNT_A, "us-east-1").await;
    let (tx, mut rx) = mpsc::channel(16);
    let settings = Settings {
        interval: Duration::from_millis(300),
        min_backoff: Duration::from_millis(200),
        ..Settings::default()
    };
    let poller = Poller::spawn(vec![good], |_| Resume::default(), settings, tx);
    let mut states = Vec::new();
    while states.last() != Some(&HealthState::Ok) {
        if let SourceEvent::Health { health, .. } =
            tokio::time::timeout(Duration::from_secs(20), rx.recv())
                .await
                .unwrap()
                .unwrap()
            && health.progress.is_none()
        {
            states.push(health.state);
        }
    }
    assert_eq!(states, vec![HealthState::Throttled, HealthState::Ok]);
    poller.shutdown();

    // The headless command prints what worked and exits non-zero naming what failed.
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        format!("[poll]\nmax_attempts = 1\n[[aws]]\nname = \"x\"\nregions = [\"us-east-1\", \"ap-southeast-2\"]\nrole_arn = \"arn:aws:iam::{ACCOUNT_A}:role/Audit\"\nendpoint_url = \"{}\"\n", moto.url),
    )
    .unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_agent-hubble"))
        .args(["findings", "--format", "json", "--config"])
        .arg(&cfg)
        .env("XDG_STATE_HOME", dir.path())
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("aws/x/ap-southeast-2") && stderr.contains("InvalidAccessException"),
        "{stderr}"
    );
}

async fn next(rx: &mut mpsc::Receiver<SourceEvent>) -> SourceEvent {
    tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("event in time")
        .expect("open")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_poll_and_reconcile_catch_new_findings_and_edits_by_others() {
    let moto = Moto::start();
    let other = moto.client(ACCOUNT_A, "us-east-1").await;
    let first: Vec<Value> = (0..5)
        .map(|i| asff(ACCOUNT_A, "us-east-1", i, "S3.8", "HIGH", T0))
        .collect();
    seed(&other, &first).await;
    let src = source(&moto, "prod", ACCOUNT_A, "us-east-1").await;
    let (tx, mut rx) = mpsc::channel(16);
    let settings = Settings {
        interval: Duration::from_millis(400),
        reconcile: Duration::from_secs(4),
        overlap: Duration::from_secs(2),
        ..Settings::default()
    };
    let poller = Poller::spawn(vec![src], |_| Resume::default(), settings, tx);
    // Full sync first.
    let mut count = 0;
    loop {
        match next(&mut rx).await {
            SourceEvent::Upsert { items, .. } => count += items.len(),
            SourceEvent::SyncDone { kind, .. } => {
                assert_eq!(kind, SyncKind::Full);
                break;
            }
            _ => {}
        }
    }
    assert_eq!(count, 5);
    // A new finding arrives; an incremental window picks it up.
    seed(
        &other,
        &[asff(
            ACCOUNT_A,
            "us-east-1",
            99,
            "S3.8",
            "CRITICAL",
            &now_iso(),
        )],
    )
    .await;
    let new_id = asff(ACCOUNT_A, "us-east-1", 99, "S3.8", "CRITICAL", T0)["Id"]
        .as_str()
        .unwrap()
        .to_string();
    'found: loop {
        if let SourceEvent::Upsert { items, .. } = next(&mut rx).await
            && items.iter().any(|n| n.finding.id == new_id)
        {
            break 'found;
        }
    }
    let SourceEvent::SyncDone { kind, .. } = (loop {
        let ev = next(&mut rx).await;
        if matches!(ev, SourceEvent::SyncDone { .. }) {
            break ev;
        }
    }) else {
        unreachable!()
    };
    assert_eq!(kind, SyncKind::Incremental);
    // Someone else resolves a finding: UpdatedAt does not move, only reconcile sees it.
    let target = first[2]["Id"].as_str().unwrap().to_string();
    other
        .batch_update_findings()
        .finding_identifiers(
            AwsSecurityFindingIdentifier::builder()
                .id(&target)
                .product_arn(first[2]["ProductArn"].as_str().unwrap())
                .build(),
        )
        .workflow(
            SdkWorkflow::builder()
                .status(WorkflowStatus::Resolved)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut carried_by = None;
    let mut pending = false;
    while carried_by.is_none() {
        match next(&mut rx).await {
            SourceEvent::Upsert { items, .. } => {
                pending |= items
                    .iter()
                    .any(|n| n.finding.id == target && n.finding.workflow == Workflow::Resolved);
            }
            SourceEvent::SyncDone { kind, .. } if pending => carried_by = Some(kind),
            _ => {}
        }
    }
    assert_eq!(carried_by, Some(SyncKind::Reconcile));
    poller.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_update_of_more_than_100_findings_reports_unprocessed() {
    let moto = Moto::start();
    let other = moto.client(ACCOUNT_B, "eu-west-1").await;
    let findings: Vec<Value> = (0..130)
        .map(|i| asff(ACCOUNT_B, "eu-west-1", i, "EC2.2", "MEDIUM", T0))
        .collect();
    seed(&other, &findings).await;
    let src = source(&moto, "staging", ACCOUNT_B, "eu-west-1").await;
    let mut refs: Vec<FindingRef> = findings
        .iter()
        .map(|f| FindingRef {
            id: f["Id"].as_str().unwrap().into(),
            product_arn: f["ProductArn"].as_str().unwrap().into(),
            source: src.info().key.as_str().into(),
        })
        .collect();
    refs.push(FindingRef {
        id: "does-not-exist".into(),
        product_arn: findings[0]["ProductArn"].as_str().unwrap().into(),
        source: Default::default(),
    });
    let update = WorkflowUpdate {
        findings: refs,
        status: Workflow::Resolved,
        note: Some("fixed by change 123".into()),
        actor: "alice@bastion".into(),
        reason: None,
    };
    let out = src.update_workflow(&update).await.unwrap();
    assert_eq!(out.processed.len(), 130);
    assert_eq!(out.unprocessed.len(), 1);
    assert_eq!(out.unprocessed[0].0, "does-not-exist");
    assert_eq!(out.unprocessed[0].1, "FindingNotFound");
    let (items, _) = fetch_all(src.as_ref(), &Query::full(false)).await.unwrap();
    assert_eq!(items.len(), 130);
    for n in &items {
        assert_eq!(n.finding.workflow, Workflow::Resolved);
        let note = n.finding.note.as_ref().expect("note");
        assert_eq!(
            (note.text.as_str(), note.updated_by.as_str()),
            ("fixed by change 123", "alice@bastion")
        );
        assert_eq!(
            agent_hubble::model::format_rfc3339(n.finding.updated_at),
            T0,
            "UpdatedAt unchanged"
        );
    }
    // Incremental windows do not see it, exactly as on AWS.
    let since = agent_hubble::model::now_ms() - 60_000;
    let (recent, _) = fetch_all(src.as_ref(), &Query::UpdatedSince(since))
        .await
        .unwrap();
    assert!(recent.is_empty());
    // An error from the API is an error, not a silent success.
    moto.fault(serde_json::json!({"operation": "BatchUpdateFindings", "error": "InternalException", "count": 1})).await;
    let e = src.update_workflow(&update).await.unwrap_err();
    assert!(
        matches!(e, SourceError::Other(ref m) if m.contains("InternalException")),
        "{e:?}"
    );
}

/// The detail's timeline asks GetFindingHistory: the import, then each workflow change with
/// who made it, oldest first from the API (the timeline sorts them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_history_reaches_the_timeline() {
    let moto = Moto::start();
    let client = moto.client(ACCOUNT_B, "eu-west-1").await;
    let f = asff(ACCOUNT_B, "eu-west-1", 7, "EC2.19", "CRITICAL", T0);
    seed(&client, std::slice::from_ref(&f)).await;
    let src = source(&moto, "staging", ACCOUNT_B, "eu-west-1").await;
    let r = FindingRef {
        id: f["Id"].as_str().unwrap().into(),
        product_arn: f["ProductArn"].as_str().unwrap().into(),
        source: src.info().key.as_str().into(),
    };
    let update = WorkflowUpdate {
        findings: vec![r.clone()],
        status: Workflow::Notified,
        note: Some("paged the owner".into()),
        actor: "alice@bastion".into(),
        reason: None,
    };
    src.update_workflow(&update).await.unwrap();
    let events = src.history(&r).await.unwrap();
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0].what, "created (imported)");
    let change = &events[1].what;
    assert!(change.starts_with("updated: "), "{change}");
    assert!(
        change.contains("Workflow.Status NEW -> NOTIFIED"),
        "{change}"
    );
    assert!(
        change.contains("Note.Text - -> paged the owner"),
        "{change}"
    );
    assert_eq!(
        events[1].who, "agent-hubble",
        "the caller's session, from its ARN"
    );
    // A finding the API does not know has no history, not an error.
    let unknown = FindingRef {
        id: "nope".into(),
        ..r.clone()
    };
    assert!(src.history(&unknown).await.unwrap().is_empty());
    // A refused call is an error the timeline shows as one line.
    moto.fault(serde_json::json!({"operation": "GetFindingHistory", "error": "AccessDeniedException", "count": 1})).await;
    let e = src.history(&r).await.unwrap_err().to_string();
    assert!(e.contains("AccessDenied") && !e.contains('\n'), "{e}");
}
