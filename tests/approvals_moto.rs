//! The approval gate tried as an attacker would, with the real binary against moto: one
//! person with several sessions, a database editor, a changed runbook, an aggregated
//! finding, a lost answer from SSM, two racing consoles, duplicate proposals, --read-only.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::queue_env::*;
use support::*;

const SECOPS: &str = "AWSReservedSSO_SecOps_0123456789abcdef";
const DOC: &str = "AWSConfigRemediation-RemoveUnrestrictedSourceIngressRules";

/// `--role-session-name alice` then `alice-2`: one person. Identity Center sessions and a
/// trusted role count each session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_of_one_role_are_one_person() {
    let (env, ids) = setup(
        2,
        2,
        "trusted_session_roles = [\"arn:aws:iam::*:role/OktaSecOps\"]",
    )
    .await;
    let alice = session(&env.moto, ACCOUNT_A, "Analyst", "alice").await;
    let alice2 = session(&env.moto, ACCOUNT_A, "Analyst", "alice-2").await;
    let mallory = session(&env.moto, ACCOUNT_A, "Analyst", "mallory").await;
    let item = env.propose(&alice, &ids[0]).await;
    let out = env
        .run(&alice2, &["queue", "approve", &item, "--reason", "lgtm"])
        .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("are one person: arn:aws:iam::111111111111:role/Analyst"),
        "{}",
        stderr(&out)
    );
    // The console says why at once (the warning is printed by every queue command).
    assert!(
        stderr(&out).contains("every session of role"),
        "{}",
        stderr(&out)
    );
    let out = env
        .run(&mallory, &["queue", "approve", &item, "--reason", "lgtm"])
        .await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "another name, same role, same person"
    );

    // Two Identity Center users are two people: approved.
    let bob = analyst(&env.moto, "bob@example.com").await;
    let carol = analyst(&env.moto, "carol@example.com").await;
    env.ok(&bob, &["queue", "approve", &item, "--reason", "checked"])
        .await;
    let out = env
        .ok(&carol, &["queue", "approve", &item, "--reason", "CAB-7"])
        .await;
    assert!(out.contains("Approved (2/2"), "{out}");

    // A trusted role (its trust policy pins the session name) counts each session.
    let dave = session(&env.moto, ACCOUNT_A, "OktaSecOps", "dave").await;
    let erin = session(&env.moto, ACCOUNT_A, "OktaSecOps", "erin").await;
    let other = env.propose(&alice, &ids[1]).await;
    env.ok(&dave, &["queue", "approve", &other, "--reason", "ok"])
        .await;
    let out = env
        .ok(&erin, &["queue", "approve", &other, "--reason", "ok"])
        .await;
    assert!(out.contains("Approved (2/2"), "{out}");
    env.ok(&bob, &["queue", "run", "--wait"]).await;
    assert_eq!(env.executions().await.len(), 2);
    // check-config names the person the current credentials count as.
    let out = env.ok(&alice, &["check-config"]).await;
    assert!(
        out.contains("counts as person arn:aws:iam::111111111111:role/Analyst")
            && out.contains("warning: approvals: every session of role"),
        "{out}"
    );
}

/// Someone with write access to the store edits an approved item's parameters: the runner
/// recomputes the digest and refuses; nothing runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameters_edited_in_the_database_are_refused_at_claim() {
    let (env, ids) = setup(1, 1, "").await;
    let (alice, bob) = (
        analyst(&env.moto, "alice").await,
        analyst(&env.moto, "bob").await,
    );
    let item = env.propose(&alice, &ids[0]).await;
    env.ok(&bob, &["queue", "approve", &item, "--reason", "ok"])
        .await;
    let conn = rusqlite::Connection::open(env.store()).unwrap();
    let n = conn
        .execute(
            "UPDATE remediation_items SET data = json_set(data, '$.parameters.SecurityGroupId', json_array('sg-victim')) WHERE id = ?1",
            [&item],
        )
        .unwrap();
    assert_eq!(n, 1);
    let out = env.run(&bob, &["queue", "run", "--wait"]).await;
    assert!(
        stderr(&out).contains("refused at start: the item changed after bob approved it"),
        "{}",
        stderr(&out)
    );
    assert_eq!(env.item(&item).await["state"], "Failed");
    assert!(env.executions().await.is_empty());
    assert!(env.start_calls().await.is_empty(), "SSM was never asked");
    let log = std::fs::read_to_string(env.audit()).unwrap();
    assert!(log.contains("remediation:refuse"), "{log}");
    let verify = env.verify_audit().await;
    assert!(verify.status.success(), "{}", stderr(&verify));
}

/// AWS publishes a new version of the runbook after approval: refused, propose again. The
/// execution of a fresh proposal pins the version it was approved at.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runbook_version_change_after_approval_is_refused() {
    let (env, ids) = setup(1, 1, "").await;
    let (alice, bob) = (
        analyst(&env.moto, "alice").await,
        analyst(&env.moto, "bob").await,
    );
    let item = env.propose(&alice, &ids[0]).await;
    let shown = env.ok(&bob, &["queue", "show", &item]).await;
    assert!(shown.contains(&format!("{DOC} v1")), "{shown}");
    env.ok(&bob, &["queue", "approve", &item, "--reason", "ok"])
        .await;
    env.new_runbook_version(DOC).await;
    let out = env.run(&bob, &["queue", "run", "--wait"]).await;
    assert!(
        stderr(&out).contains("default version is now 2 (approved 1)"),
        "{}",
        stderr(&out)
    );
    assert!(env.executions().await.is_empty());

    let again = env.propose(&alice, &ids[0]).await;
    assert_ne!(again, item);
    env.ok(
        &bob,
        &["queue", "approve", &again, "--reason", "v2 reviewed"],
    )
    .await;
    env.ok(&bob, &["queue", "run", "--wait"]).await;
    let execs = env.executions().await;
    assert_eq!(execs.len(), 1);
    assert_eq!(execs[0]["document_version"], "2", "{execs:?}");
}

/// A member finding seen through the administrator's aggregation region runs in the member
/// account and region, not where the aggregator is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aggregated_member_finding_runs_in_the_member_account_and_region() {
    let moto = Moto::start();
    let admin = moto.client(ACCOUNT_A, "us-east-1").await;
    admin.enable_security_hub().send().await.unwrap();
    let member = asff(ACCOUNT_B, "eu-west-1", 7, "EC2.19", "CRITICAL", T0);
    seed(
        &moto.client(ACCOUNT_B, "eu-west-1").await,
        std::slice::from_ref(&member),
    )
    .await;
    admin
        .create_members()
        .account_details(
            aws_sdk_securityhub::types::AccountDetails::builder()
                .account_id(ACCOUNT_B)
                .email("member@example.com")
                .build(),
        )
        .send()
        .await
        .unwrap();
    admin
        .create_finding_aggregator()
        .region_linking_mode("ALL_REGIONS")
        .send()
        .await
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let source = aws_source(&moto, "org", ACCOUNT_A, "us-east-1");
    let config = write_config(&moto, home.path(), 1, "", &source);
    let env = Env { moto, home, config };
    let (alice, bob) = (
        analyst(&env.moto, "alice").await,
        analyst(&env.moto, "bob").await,
    );
    let id = member["Id"].as_str().unwrap();
    let preview = env.ok(&alice, &["queue", "propose", id, "--dry-run"]).await;
    assert!(
        preview.contains("Target           account 222222222222 region eu-west-1")
            && preview.contains("arn:aws:iam::222222222222:role/HubbleRemediation"),
        "{preview}"
    );
    let item = env.propose(&alice, id).await;
    env.ok(&bob, &["queue", "approve", &item, "--reason", "ok"])
        .await;
    env.ok(&bob, &["queue", "run", "--wait"]).await;
    let there = env
        .executions_where(&format!("account={ACCOUNT_B}&region=eu-west-1"))
        .await;
    assert_eq!(there.len(), 1, "{there:?}");
    assert!(
        env.executions_where(&format!("account={ACCOUNT_A}"))
            .await
            .is_empty(),
        "nothing ran in the aggregator's account"
    );
    assert!(
        env.executions_where("region=us-east-1").await.is_empty(),
        "nothing ran in the aggregation region"
    );
    assert_eq!(env.item(&item).await["state"], "Succeeded");
    let f = env.finding_as(ACCOUNT_B, "eu-west-1", id).await;
    assert_eq!(f.workflow, agent_hubble::model::Workflow::Resolved);
    let log = std::fs::read_to_string(env.audit()).unwrap();
    assert!(
        log.contains("in 222222222222/eu-west-1"),
        "the audit names the target"
    );
}

/// SSM accepts the start but the answer is lost (a 500 after accepting): the runner asks
/// again with the same client token and gets the same execution.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_start_answer_runs_once() {
    let (env, ids) = setup(1, 1, "").await;
    let (alice, bob) = (
        analyst(&env.moto, "alice").await,
        analyst(&env.moto, "bob").await,
    );
    let item = env.propose(&alice, &ids[0]).await;
    env.ok(&bob, &["queue", "approve", &item, "--reason", "ok"])
        .await;
    env.fault(
        json!({"service": "ssm", "operation": "StartAutomationExecution",
                     "error": "InternalServerError", "status": 500, "after": true}),
    )
    .await;
    let out = env.ok(&bob, &["queue", "run", "--wait"]).await;
    assert!(out.contains(&format!("succeeded {item}")), "{out}");
    let execs = env.executions().await;
    assert_eq!(execs.len(), 1, "{execs:?}");
    assert_eq!(execs[0]["start_requests"], 2, "asked twice, one execution");
    assert_eq!(env.start_calls().await.len(), 2);
}

/// Two consoles run the queue at once while every first start answer is lost: each item is
/// started by one console only (the lease keeps the other out), once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_consoles_race_and_the_lease_holds() {
    let (env, ids) = setup(1, 3, "lease_secs = 60").await;
    let (alice, bob, carol) = (
        analyst(&env.moto, "alice").await,
        analyst(&env.moto, "bob").await,
        analyst(&env.moto, "carol").await,
    );
    let mut items = Vec::new();
    for f in &ids {
        let id = env.propose(&alice, f).await;
        env.ok(&bob, &["queue", "approve", &id, "--reason", "go"])
            .await;
        items.push(id);
    }
    env.fault(
        json!({"service": "ssm", "operation": "StartAutomationExecution",
                     "error": "ThrottlingException", "after": true, "count": 3}),
    )
    .await;
    let a = env.command(&bob, &["queue", "run", "--wait"]).output();
    let b = env.command(&carol, &["queue", "run", "--wait"]).output();
    let (a, b) = tokio::join!(a, b);
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(
        a.status.success() && b.status.success(),
        "{}\n{}",
        stderr(&a),
        stderr(&b)
    );
    let execs = env.executions().await;
    assert_eq!(execs.len(), 3, "{execs:?}");
    let calls = env.start_calls().await;
    for id in &items {
        let n = calls
            .iter()
            .filter(|c| c["body"]["ClientToken"] == id.as_str())
            .count();
        assert_eq!(n, 2, "{id}: the lost answer, then one retry by the holder");
        assert_eq!(env.item(id).await["state"], "Succeeded");
    }
    let log = std::fs::read_to_string(env.audit()).unwrap();
    assert_eq!(log.matches("\"starting\"").count(), 3, "one claim per item");
    let verify = env.verify_audit().await;
    assert!(verify.status.success(), "{}", stderr(&verify));
}

/// `p` twice on one finding: the second proposal names the open item and exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_proposal_names_the_open_item() {
    let (env, ids) = setup(1, 1, "").await;
    let alice = analyst(&env.moto, "alice").await;
    let first = env.propose(&alice, &ids[0]).await;
    let out = env.run(&alice, &["queue", "propose", &ids[0]]).await;
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), first);
    assert!(stderr(&out).contains("already has an open item (Proposed)"));
    assert_eq!(env.items().await.len(), 1);
}

/// `--read-only` refuses every subcommand that would change anything, with exit 2, and
/// changes nothing; reading still works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_refuses_every_change() {
    let (env, ids) = setup(1, 1, "").await;
    let (alice, bob) = (
        analyst(&env.moto, "alice").await,
        analyst(&env.moto, "bob").await,
    );
    let item = env.propose(&alice, &ids[0]).await;
    let before = env.items().await;
    for args in [
        vec!["queue", "propose", &ids[0]],
        vec!["queue", "approve", &item, "--reason", "x"],
        vec!["queue", "reject", &item, "--reason", "x"],
        vec!["queue", "cancel", &item, "--reason", "x"],
        vec!["queue", "run"],
        vec!["queue", "run", "--wait"],
        vec!["queue", "signal", "exec-1", "approve", "--reason", "x"],
    ] {
        for place in [0, 1] {
            let mut a: Vec<&str> = args.clone();
            // Before the subcommand and after it: the flag is global.
            if place == 0 {
                a.insert(0, "--read-only");
            } else {
                a.push("--read-only");
            }
            let out = env.run(&bob, &a).await;
            assert_eq!(out.status.code(), Some(2), "{a:?}: {}", stderr(&out));
            assert!(stderr(&out).contains("--read-only"), "{a:?}");
        }
    }
    let after = env.items().await;
    assert_eq!(before, after, "nothing changed");
    assert!(env.executions().await.is_empty());
    for args in [
        vec!["--read-only", "queue", "list"],
        vec!["--read-only", "queue", "show", &item],
        vec!["--read-only", "queue", "propose", &ids[0], "--dry-run"],
        vec!["--read-only", "audit", "verify"],
    ] {
        env.ok(&bob, &args).await;
    }
    let _: Vec<Value> = after;
    let _ = Duration::ZERO;
    let _ = SECOPS;
}
