//! Posture against moto: scores from control findings in two accounts × two regions match a
//! hand calculation (report and hub), and the trend moves after findings are resolved.

mod support;

use std::sync::Arc;
use std::time::Duration;

use agent_hubble::hub::{Hub, HubInput};
use agent_hubble::poller::{Poller, Resume, Settings};
use agent_hubble::posture::HistorySettings;
use agent_hubble::sources::Source;
use agent_hubble::sources::aws_securityhub::SecurityHubSource;
use serde_json::{Value, json};
use support::*;
use tokio::sync::mpsc;

const FSBP: &str = "standards/aws-foundational-security-best-practices/v/1.0.0";

fn control(
    account: &str,
    region: &str,
    n: usize,
    control: &str,
    status: &str,
    updated: &str,
) -> Value {
    let mut f = asff(
        account,
        region,
        n,
        control,
        if status == "FAILED" {
            "HIGH"
        } else {
            "INFORMATIONAL"
        },
        updated,
    );
    f["Compliance"] = json!({"Status": status, "SecurityControlId": control, "AssociatedStandards": [{"StandardsId": FSBP}]});
    f
}

/// A: S3.8 passes everywhere; EC2.19 fails only in B/eu-west-1; IAM.7 passes in A and is
/// WARNING in B; S3.5 fails in A/us-east-1 but that finding is SUPPRESSED below.
async fn seed_fleet(moto: &Moto, t: &str) -> Vec<Value> {
    let mut all = Vec::new();
    for (account, region) in [
        (ACCOUNT_A, "us-east-1"),
        (ACCOUNT_A, "eu-west-1"),
        (ACCOUNT_B, "us-east-1"),
        (ACCOUNT_B, "eu-west-1"),
    ] {
        let b = account == ACCOUNT_B;
        let list = vec![
            control(account, region, 1, "S3.8", "PASSED", t),
            control(
                account,
                region,
                2,
                "EC2.19",
                if b && region == "eu-west-1" {
                    "FAILED"
                } else {
                    "PASSED"
                },
                t,
            ),
            control(
                account,
                region,
                3,
                "IAM.7",
                if b { "WARNING" } else { "PASSED" },
                t,
            ),
            control(
                account,
                region,
                4,
                "S3.5",
                if !b && region == "us-east-1" {
                    "FAILED"
                } else {
                    "PASSED"
                },
                t,
            ),
        ];
        seed(&moto.client(account, region).await, &list).await;
        all.extend(list);
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scores_match_a_hand_calculation_and_the_trend_moves_after_resolution() {
    let moto = Moto::start();
    let findings = seed_fleet(&moto, "2026-11-20T10:00:00.000Z").await;
    // Suppress the S3.5 failure: the control then passes, but not "without suppressions".
    let kms = findings
        .iter()
        .find(|f| {
            f["Compliance"]["SecurityControlId"] == "S3.5" && f["Compliance"]["Status"] == "FAILED"
        })
        .unwrap();
    moto.client(ACCOUNT_A, "us-east-1")
        .await
        .batch_update_findings()
        .finding_identifiers(
            aws_sdk_securityhub::types::AwsSecurityFindingIdentifier::builder()
                .id(kms["Id"].as_str().unwrap())
                .product_arn(kms["ProductArn"].as_str().unwrap())
                .build(),
        )
        .workflow(
            aws_sdk_securityhub::types::WorkflowUpdate::builder()
                .status(aws_sdk_securityhub::types::WorkflowStatus::Suppressed)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    let mut text = String::from("[poll]\nmax_attempts = 1\n");
    for (name, account) in [("a", ACCOUNT_A), ("b", ACCOUNT_B)] {
        text += &format!(
            "[[aws]]\nname = \"{name}\"\nregions = [\"us-east-1\", \"eu-west-1\"]\nrole_arn = \"arn:aws:iam::{account}:role/Audit\"\nendpoint_url = \"{}\"\n",
            moto.url
        );
    }
    std::fs::write(&cfg, text).unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_agent-hubble"))
        .args([
            "report",
            "--standard",
            "fsbp",
            "--format",
            "json",
            "--config",
        ])
        .arg(&cfg)
        .env("XDG_STATE_HOME", dir.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = report.to_string();
    // By hand: S3.8 passed; EC2.19 failed (B/eu-west-1); IAM.7 unknown (WARNING in B); S3.5
    // passed once its failure is suppressed → 2 / (2 + 1 + 1) = 50%; without suppressions
    // S3.5 fails → 1 / 4 = 25%. (The API metadata adds FSBP controls without findings as
    // "no data", which the score excludes.)
    assert!(
        text.contains("\"score\":50") && text.contains("\"score_without_suppressions\":25"),
        "{text}"
    );
    assert!(
        text.contains("arn:aws:ec2:eu-west-1:222222222222:security-group/sg-00002"),
        "failing resource listed"
    );

    // The hub's history: resolve EC2.19 (re-imported PASSED, as Security Hub does after a fix).
    let mut sources: Vec<Arc<dyn Source>> = Vec::new();
    for (a, r) in [
        (ACCOUNT_A, "us-east-1"),
        (ACCOUNT_A, "eu-west-1"),
        (ACCOUNT_B, "us-east-1"),
        (ACCOUNT_B, "eu-west-1"),
    ] {
        sources.push(Arc::new(
            SecurityHubSource::connect(&moto.target(a, a, r)).await,
        ));
    }
    let infos: Vec<_> = sources.iter().map(|s| s.info().clone()).collect();
    let store = agent_hubble::store::Store::open(&dir.path().join("h.db")).unwrap();
    let (mut hub, snapshots) = Hub::new(Some(store), &infos);
    hub.set_history(HistorySettings {
        snapshot_every_ms: 0,
        retention_days: 90,
        demo_backfill: false,
    });
    let (hub_tx, hub_rx) = mpsc::channel(64);
    let hub_thread = hub.spawn(hub_rx);
    let (tx, mut rx) = mpsc::channel(64);
    let settings = Settings {
        interval: Duration::from_millis(500),
        overlap: Duration::from_secs(1),
        ..Settings::default()
    };
    let poller = Poller::spawn(sources, |_| Resume::default(), settings, tx);
    let forward = tokio::spawn(async move {
        while let Some(ev) = rx.recv().await {
            if hub_tx.send(HubInput::Source(ev)).await.is_err() {
                break;
            }
        }
    });
    let mut snaps = snapshots.clone();
    let wait_for = |pred: Box<dyn Fn(&agent_hubble::hub::Snapshot) -> bool + Send>| {
        let mut snaps = snapshots.clone();
        async move {
            tokio::time::timeout(Duration::from_secs(30), async {
                loop {
                    if pred(&snaps.borrow_and_update()) {
                        return;
                    }
                    snaps.changed().await.unwrap();
                }
            })
            .await
            .unwrap_or_else(|_| {
                let s = snaps.borrow();
                panic!(
                    "timed out; history {:?}; stale {:?}; findings {}",
                    s.insights
                        .history
                        .iter()
                        .map(|p| p.scores.clone())
                        .collect::<Vec<_>>(),
                    s.sources
                        .iter()
                        .map(|x| (x.info.key.clone(), x.stale, x.health.state))
                        .collect::<Vec<_>>(),
                    s.findings.len()
                )
            })
        }
    };
    wait_for(Box::new(|s| {
        s.insights
            .history
            .last()
            .is_some_and(|p| p.scores.get("summary") == Some(&50))
    }))
    .await;
    let now = agent_hubble::model::format_rfc3339(agent_hubble::model::now_ms());
    let fixed = control(ACCOUNT_B, "eu-west-1", 2, "EC2.19", "PASSED", &now);
    seed(&moto.client(ACCOUNT_B, "eu-west-1").await, &[fixed]).await;
    // 3 passed, 1 unknown → 75%.
    wait_for(Box::new(|s| {
        s.insights
            .history
            .last()
            .is_some_and(|p| p.scores.get("summary") == Some(&75))
    }))
    .await;
    let history = snaps.borrow_and_update().insights.history.clone();
    // (The SDK-seeded findings carry no AssociatedStandards, so the hub, without API metadata,
    // scores the summary: the same four controls.)
    let fsbp: Vec<u8> = history
        .iter()
        .filter_map(|p| p.scores.get("summary").copied())
        .collect();
    assert_eq!(fsbp.first(), Some(&50));
    assert_eq!(fsbp.last(), Some(&75));
    poller.shutdown();
    forward.abort();
    drop(snaps);
    let _ = hub_thread;
}
