//! Remediation end to end against moto (with the SSM Automation plugin under tests/moto):
//! separate analysts (distinct STS identities) run the real binary on one shared queue.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::queue_env::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn propose_two_approvals_run_and_the_finding_is_resolved_with_a_note() {
    let (env, ids) = setup(2, 1, "").await;
    let finding_id = ids[0].clone();
    let (alice, bob, carol) = (
        analyst(&env.moto, "alice").await,
        analyst(&env.moto, "bob").await,
        analyst(&env.moto, "carol").await,
    );
    let preview = env
        .ok(&alice, &["queue", "propose", &finding_id, "--dry-run"])
        .await;
    assert!(
        preview.contains("AWSConfigRemediation-RemoveUnrestrictedSourceIngressRules")
            && preview.contains("SecurityGroupId sg-00001"),
        "{preview}"
    );
    assert!(preview.contains("arn:aws:iam::111111111111:role/HubbleRemediation"));
    let item = env
        .ok(&alice, &["queue", "propose", &finding_id])
        .await
        .trim()
        .to_string();
    assert_eq!(item.len(), 36, "a UUID: {item}");

    // The requester never counts; each approver once.
    let own = env
        .run(&alice, &["queue", "approve", &item, "--reason", "mine"])
        .await;
    assert_eq!(own.status.code(), Some(1));
    assert!(
        stderr(&own).contains("requester cannot approve"),
        "{}",
        stderr(&own)
    );
    let first = env
        .ok(
            &bob,
            &["queue", "approve", &item[..8], "--reason", "checked the SG"],
        )
        .await;
    assert!(first.contains("Proposed (1/2 approvals)"), "{first}");
    let again = env
        .run(&bob, &["queue", "approve", &item, "--reason", "twice"])
        .await;
    assert!(
        stderr(&again).contains("already decided"),
        "{}",
        stderr(&again)
    );
    // Nothing runs before the second approval.
    env.ok(&bob, &["queue", "run"]).await;
    assert!(env.executions().await.is_empty());
    assert!(
        env.ok(&carol, &["queue", "approve", &item, "--reason", "CAB-42"])
            .await
            .contains("Approved (2/2")
    );

    let out = env.ok(&bob, &["queue", "run", "--wait"]).await;
    assert!(
        out.contains(&format!("started {item}")) && out.contains(&format!("succeeded {item}")),
        "{out}"
    );
    let execs = env.executions().await;
    assert_eq!(execs.len(), 1, "{execs:?}");
    assert_eq!(execs[0]["client_token"], item.as_str());
    assert_eq!(
        execs[0]["document"],
        "AWSConfigRemediation-RemoveUnrestrictedSourceIngressRules"
    );
    assert_eq!(
        execs[0]["parameters"]["SecurityGroupId"],
        json!(["sg-00001"])
    );
    let items = env.items().await;
    assert_eq!(items[0]["state"], "Succeeded");
    assert_eq!(items[0]["execution_id"], execs[0]["id"]);
    let f = env.finding(&finding_id).await;
    assert_eq!(f.workflow, agent_hubble::model::Workflow::Resolved);
    let note = f.note.expect("note").text;
    assert!(
        note.contains("succeeded")
            && note.contains("bob (checked the SG)")
            && note.contains("carol (CAB-42)")
            && note.contains(execs[0]["id"].as_str().unwrap()),
        "{note}"
    );
    // Another run never starts it again.
    env.ok(&carol, &["queue", "run", "--wait"]).await;
    assert_eq!(env.executions().await.len(), 1);
    let verify = env.verify_audit().await;
    assert!(verify.status.success(), "{}", stderr(&verify));
    let log = std::fs::read_to_string(env.audit()).unwrap();
    assert!(
        log.contains("assumed-role/AWSReservedSSO_SecOps_0123456789abcdef/carol"),
        "identity is the STS caller ARN"
    );
    // One changed byte breaks the chain.
    let mut bytes = log.into_bytes();
    let i = bytes.iter().position(|&b| b == b'C').unwrap();
    bytes[i] = b'D';
    std::fs::write(env.audit(), bytes).unwrap();
    let verify = env.verify_audit().await;
    assert_eq!(verify.status.code(), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reject_failure_and_cancel() {
    let (env, ids) = setup(1, 3, "lease_secs = 2").await;
    let finding_id = ids[0].clone();
    let (alice, bob) = (
        analyst(&env.moto, "alice").await,
        analyst(&env.moto, "bob").await,
    );
    // Reject: needs a reason; nothing runs.
    let item = env
        .ok(&alice, &["queue", "propose", &finding_id])
        .await
        .trim()
        .to_string();
    assert_eq!(
        env.run(&bob, &["queue", "reject", &item, "--reason", " "])
            .await
            .status
            .code(),
        Some(1)
    );
    assert!(
        env.ok(&bob, &["queue", "reject", &item, "--reason", "wrong group"])
            .await
            .contains("Rejected")
    );
    env.ok(&bob, &["queue", "run", "--wait"]).await;
    assert!(env.executions().await.is_empty());

    // Failure: the finding is notified with the reason; it can be proposed again.
    env.outcome(json!({"outcome": "Failed", "failure_message": "Step RemoveRules failed: UnauthorizedOperation", "count": 1})).await;
    let item = env
        .ok(&alice, &["queue", "propose", &finding_id])
        .await
        .trim()
        .to_string();
    env.ok(&bob, &["queue", "approve", &item, "--reason", "go"])
        .await;
    let out = env.ok(&bob, &["queue", "run", "--wait"]).await;
    assert!(out.contains(&format!("failed {item}")), "{out}");
    let f = env.finding(&finding_id).await;
    assert_eq!(f.workflow, agent_hubble::model::Workflow::Notified);
    assert!(f.note.unwrap().text.contains("UnauthorizedOperation"));

    // Cancel while running: StopAutomationExecution, final state Cancelled.
    env.outcome(json!({"outcome": "Success", "duration_ms": 30000, "count": 1}))
        .await;
    let again = env
        .ok(&alice, &["queue", "propose", &finding_id])
        .await
        .trim()
        .to_string();
    env.ok(&bob, &["queue", "approve", &again, "--reason", "retry"])
        .await;
    env.ok(&bob, &["queue", "run"]).await;
    assert!(
        env.ok(
            &bob,
            &["queue", "cancel", &again, "--reason", "window closed"]
        )
        .await
        .contains("stop requested")
    );
    let out = env.ok(&bob, &["queue", "run", "--wait"]).await;
    assert!(out.contains(&format!("cancelled {again}")), "{out}");
    let execs = env.executions().await;
    assert_eq!(execs.last().unwrap()["status"], "Cancelled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_approve_step_is_signalled_from_the_queue() {
    let (env, ids) = setup(1, 3, "lease_secs = 2").await;
    let finding_id = ids[0].clone();
    let (alice, bob, carol) = (
        analyst(&env.moto, "alice").await,
        analyst(&env.moto, "bob").await,
        analyst(&env.moto, "carol").await,
    );
    env.outcome(json!({"outcome": "Waiting", "count": 1})).await;
    let item = env
        .ok(&alice, &["queue", "propose", &finding_id])
        .await
        .trim()
        .to_string();
    env.ok(&bob, &["queue", "approve", &item, "--reason", "go"])
        .await;
    env.ok(&bob, &["queue", "run"]).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let waiting = env.ok(&carol, &["queue", "waiting"]).await;
    let exec = waiting
        .split_whitespace()
        .next()
        .expect("a waiting execution")
        .to_string();
    assert!(
        waiting.contains("AWSConfigRemediation-RemoveUnrestrictedSourceIngressRules"),
        "{waiting}"
    );
    let bad = env
        .run(
            &carol,
            &[
                "queue",
                "signal",
                "no-such-execution",
                "approve",
                "--reason",
                "x",
            ],
        )
        .await;
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        env.ok(
            &carol,
            &[
                "queue",
                "signal",
                &exec,
                "approve",
                "--reason",
                "second pair of eyes"
            ]
        )
        .await
        .contains("approved")
    );
    let out = env.ok(&bob, &["queue", "run", "--wait"]).await;
    assert!(out.contains(&format!("succeeded {item}")), "{out}");
    let execs = env.executions().await;
    assert_eq!(
        execs[0]["signals"].as_array().map(Vec::len),
        Some(1),
        "{execs:?}"
    );
}

/// SIGKILL the runner while items are Approved and Running; after a restart every item ends
/// in the right state and no execution was started twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_runner_restarts_without_duplicate_executions() {
    let (env, ids) = setup(1, 3, "lease_secs = 2").await;
    let finding_id = ids[0].clone();
    let (alice, bob) = (
        analyst(&env.moto, "alice").await,
        analyst(&env.moto, "bob").await,
    );
    env.outcome(json!({"outcome": "Success", "duration_ms": 4000}))
        .await;
    let _ = &finding_id;
    let mut items = Vec::new();
    for f in &ids {
        let id = env.propose(&alice, f).await;
        env.ok(&bob, &["queue", "approve", &id, "--reason", "go"])
            .await;
        items.push(id);
    }
    let ids = items;
    // First kill: almost at once (items still Approved or just claimed).
    let mut child = env
        .command(&bob, &["queue", "run", "--wait"])
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    child.kill().await.unwrap(); // SIGKILL
    // Second kill: while items are Running.
    let mut child = env
        .command(&bob, &["queue", "run", "--wait"])
        .spawn()
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let running = env
            .items()
            .await
            .iter()
            .filter(|i| i["state"] == "Running")
            .count();
        if running > 0 || tokio::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.kill().await.unwrap();
    let states: Vec<Value> = env
        .items()
        .await
        .iter()
        .map(|i| i["state"].clone())
        .collect();
    assert!(
        states.iter().any(|s| s == "Running"),
        "killed while running: {states:?}"
    );
    // Restart and finish.
    let out = env.ok(&bob, &["queue", "run", "--wait"]).await;
    let items = env.items().await;
    assert!(
        items.iter().all(|i| i["state"] == "Succeeded"),
        "{items:?}\n{out}"
    );
    let execs = env.executions().await;
    assert_eq!(execs.len(), 3, "one execution per item: {execs:?}");
    for id in &ids {
        assert_eq!(
            execs
                .iter()
                .filter(|e| e["client_token"] == id.as_str())
                .count(),
            1,
            "{id}"
        );
    }
    let verify = env.verify_audit().await;
    assert!(verify.status.success(), "{}", stderr(&verify));
}
