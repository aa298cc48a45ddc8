//! The GitHub code-scanning source against the local GitHub emulator
//! (`tests/emulators/github_api.py`): paging, organisations, dismiss and reopen from the
//! console, fixes by new analyses, rate limits, GHES, partial access, the token chain.

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agent_hubble::model::{FindingRef, Workflow, parse_timestamp};
use agent_hubble::poller::{HealthState, Poller, Settings, SourceEvent, fetch_all};
use agent_hubble::sources::github::{GithubSource, Options, Targets};
use agent_hubble::sources::{Normalized, Query, Source, SourceError, WorkflowUpdate};
use serde_json::{Value, json};
use support::emulator::Emulator;

const FULL: Query = Query::Full {
    include_archived: false,
    from: None,
};

fn start() -> Emulator {
    Emulator::start("github_api.py", &[])
}

fn source_at(endpoint: &str, targets: Targets, token: &str) -> GithubSource {
    let mut s = GithubSource::new(Options {
        name: "acme".into(),
        targets,
        endpoint: endpoint.into(),
        closed_days: 30,
        token: Some(token.into()),
    })
    .unwrap();
    s.api_mut().write_pause = Duration::from_millis(20);
    s
}

fn repos(list: &[&str]) -> Targets {
    Targets::Repos(list.iter().map(|s| s.to_string()).collect())
}

fn source(emu: &Emulator, targets: Targets) -> GithubSource {
    source_at(&emu.url, targets, "ghp_emulator")
}

async fn read(s: &GithubSource, q: &Query) -> Vec<Normalized> {
    let (items, skipped) = fetch_all(s, q).await.unwrap();
    assert!(skipped.is_empty(), "{skipped:?}");
    items
}

async fn seed(emu: &Emulator, repo: &str, alert: Value) -> Value {
    emu.post("/_emu/github/alerts", json!({"repo": repo, "alert": alert}))
        .await
}

fn recent(days_ago: i64) -> String {
    agent_hubble::model::format_rfc3339(agent_hubble::model::now_ms() - days_ago * 86_400_000)
}

async fn api_requests(emu: &Emulator) -> Vec<Value> {
    emu.requests()
        .await
        .into_iter()
        .filter(|r| !r["path"].as_str().unwrap_or("").starts_with("/_emu"))
        .collect()
}

async fn remaining(emu: &Emulator) -> i64 {
    emu.get("/_emu/github/rate-limit").await["remaining"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn repository_listing_follows_link_paging_and_keeps_recently_closed_alerts() {
    let emu = start();
    for i in 0..150 {
        let rule = ["py/sql-injection", "py/path-injection", "js/xss"][i % 3];
        seed(&emu, "acme/api", json!({ "rule": rule })).await;
    }
    seed(&emu, "acme/api", json!({"state": "dismissed", "dismissed_reason": "won't fix", "created_at": recent(40), "dismissed_at": recent(2)})).await;
    seed(
        &emu,
        "acme/api",
        json!({"state": "fixed", "created_at": recent(40), "fixed_at": recent(1)}),
    )
    .await;
    // Closed long ago: outside the 30-day window, read only with include_archived.
    seed(
        &emu,
        "acme/api",
        json!({"state": "fixed", "created_at": recent(400), "fixed_at": recent(300)}),
    )
    .await;
    let s = source(&emu, repos(&["acme/api"]));
    let items = read(&s, &FULL).await;
    assert_eq!(items.len(), 152);
    let ids: HashSet<&str> = items.iter().map(|n| n.finding.id.as_str()).collect();
    assert_eq!(ids.len(), 152, "ids are unique");
    let by_state = |w: Workflow| items.iter().filter(|n| n.finding.workflow == w).count();
    assert_eq!(
        (
            by_state(Workflow::New),
            by_state(Workflow::Suppressed),
            by_state(Workflow::Resolved)
        ),
        (150, 1, 1)
    );
    let f = &items[0].finding;
    assert_eq!((&*f.account, &*f.region), ("acme/api", "refs/heads/main"));
    assert!(f.id.starts_with("https://github.com/acme/api/security/code-scanning/"));
    // The raw JSON of each alert is kept.
    let raw: Value = serde_json::from_str(&items[0].raw).unwrap();
    assert_eq!(raw["number"], json!(1));

    let reqs = api_requests(&emu).await;
    let lists: Vec<&Value> = reqs.iter().filter(|r| r["method"] == "GET").collect();
    // open: pages 1 and 2 (Link rel="next"), closed: one page.
    assert_eq!(lists.len(), 3, "{lists:#?}");
    let q = |r: &Value, k: &str| r["query"][k][0].as_str().map(str::to_owned);
    assert_eq!(q(lists[0], "per_page").as_deref(), Some("100"));
    assert_eq!(q(lists[0], "state").as_deref(), Some("open"));
    assert_eq!(q(lists[1], "page").as_deref(), Some("2"));
    assert_eq!(q(lists[2], "state").as_deref(), Some("closed"));
    let h = &lists[0]["headers"];
    assert_eq!(h["accept"], "application/vnd.github+json");
    assert_eq!(h["x-github-api-version"], "2022-11-28");
    assert!(
        h["user-agent"]
            .as_str()
            .unwrap()
            .starts_with("agent-hubble/")
    );
    assert_eq!(h["authorization"], "Bearer ghp_emulator");

    // A second read of unchanged pages is answered 304 and costs no rate limit.
    let before = remaining(&emu).await;
    assert_eq!(read(&s, &FULL).await.len(), 152);
    assert_eq!(remaining(&emu).await, before);

    let all = read(&s, &Query::full(true)).await;
    assert_eq!(all.len(), 153);
}

#[tokio::test]
async fn organisation_listing_covers_its_repositories() {
    let emu = start();
    emu.post("/_emu/github/seed-demo", json!({})).await;
    let expected: Vec<Value> = emu.get("/_emu/github/alerts").await["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| {
            a["instances"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["ref"] == "refs/heads/main")
        })
        .cloned()
        .collect();
    let s = source(&emu, Targets::Org("acme".into()));
    let items = read(&s, &Query::full(true)).await;
    assert_eq!(items.len(), expected.len());
    let accounts: HashSet<&str> = items.iter().map(|n| &*n.finding.account).collect();
    assert_eq!(accounts, HashSet::from(["acme/api", "acme/web"]));
    let reqs = api_requests(&emu).await;
    assert!(
        reqs.iter()
            .all(|r| r["path"] == "/orgs/acme/code-scanning/alerts"),
        "{reqs:#?}"
    );
    // Every open alert is in a plain poll too.
    let open = expected.iter().filter(|a| a["state"] == "open").count();
    let polled = read(&s, &FULL).await;
    assert_eq!(
        polled
            .iter()
            .filter(|n| n.finding.workflow == Workflow::New)
            .count(),
        open
    );
    // A dismissed demo alert carries reason, comment and who.
    let d = items
        .iter()
        .find(|n| n.finding.workflow == Workflow::Suppressed)
        .unwrap();
    assert!(
        d.finding
            .details
            .iter()
            .any(|(k, v)| &**k == "Dismissed" && v.contains(" by "))
    );
}

fn ctx(
    s: Arc<dyn Source>,
    audit: &std::path::Path,
) -> (
    agent_hubble::tui::run::EffectContext,
    tokio::sync::mpsc::Receiver<agent_hubble::hub::HubInput>,
) {
    let (hub, rx) = tokio::sync::mpsc::channel(16);
    let log = agent_hubble::audit::AuditLog::open(audit, None, None).unwrap();
    let ctx = agent_hubble::tui::run::EffectContext {
        sources: HashMap::from([(s.info().key.clone(), s)]),
        hub,
        audit: Some(Arc::new(Mutex::new(log))),
        refresh: Arc::new(tokio::sync::Notify::new()),
        actor: "alice@bastion".into(),
        remediation: None,
        queue_view: None,
        paths: None,
        notify: None,
        notify_view: None,
    };
    (ctx, rx)
}

#[tokio::test]
async fn dismiss_from_the_console_then_reopen() {
    let emu = start();
    seed(&emu, "acme/api", json!({"rule": "py/sql-injection"})).await;
    seed(&emu, "acme/api", json!({"rule": "py/flask-debug"})).await;
    let s: Arc<dyn Source> = Arc::new(source(&emu, repos(&["acme/api"])));
    let items = read_dyn(&s).await;
    let target = items
        .iter()
        .find(|n| n.finding.control_id.as_deref() == Some("py/sql-injection"))
        .unwrap()
        .finding
        .clone();
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let (ctx, mut hub) = ctx(s.clone(), &audit);
    // What the console does with the dialog's effect.
    let msg = agent_hubble::tui::run::update_workflow(
        &ctx,
        vec![FindingRef::from(&target)],
        Workflow::Suppressed,
        Some("query is built from constants only".into()),
        Some("false positive".into()),
    )
    .await;
    let text = format!("{msg:?}");
    assert!(
        text.contains("processed: 1") && text.contains("unprocessed: []"),
        "{text}"
    );
    assert!(matches!(
        hub.recv().await,
        Some(agent_hubble::hub::HubInput::LocalWorkflow {
            status: Workflow::Suppressed,
            ..
        })
    ));
    let alert = &emu.get("/_emu/github/alerts?repo=acme/api").await["alerts"][0];
    assert_eq!(alert["state"], "dismissed");
    assert_eq!(alert["dismissed_reason"], "false positive");
    assert_eq!(
        alert["dismissed_comment"],
        "query is built from constants only"
    );
    assert_eq!(alert["dismissed_by"]["login"], "hubble-emulator");
    let patch = api_requests(&emu)
        .await
        .into_iter()
        .find(|r| r["method"] == "PATCH")
        .unwrap();
    assert_eq!(patch["path"], "/repos/acme/api/code-scanning/alerts/1");
    let log = std::fs::read_to_string(&audit).unwrap();
    assert!(
        log.contains("[false positive] query is built from constants only"),
        "{log}"
    );
    // The next poll agrees.
    let polled = read_dyn(&s).await;
    let f = find(&polled, &target.id);
    assert_eq!(f.finding.workflow, Workflow::Suppressed);
    assert_eq!(
        f.finding.note.as_ref().unwrap().text,
        "query is built from constants only"
    );

    // Reopen.
    let update = |status, reason: Option<&str>| WorkflowUpdate {
        findings: vec![FindingRef::from(&target)],
        status,
        note: None,
        actor: "alice@bastion".into(),
        reason: reason.map(str::to_owned),
    };
    let out = s
        .update_workflow(&update(Workflow::New, None))
        .await
        .unwrap();
    assert_eq!(out.processed, vec![target.id.clone()]);
    assert_eq!(
        emu.get("/_emu/github/alerts?repo=acme/api").await["alerts"][0]["state"],
        "open"
    );
    assert_eq!(
        find(&read_dyn(&s).await, &target.id).finding.workflow,
        Workflow::New
    );

    // What GitHub cannot do is reported per finding, not sent.
    for (status, reason, code) in [
        (Workflow::Resolved, None, "NotSettable"),
        (Workflow::Notified, None, "NotSettable"),
        (Workflow::Suppressed, None, "MissingReason"),
        (Workflow::Suppressed, Some("because"), "MissingReason"),
    ] {
        let out = s.update_workflow(&update(status, reason)).await.unwrap();
        assert!(out.processed.is_empty());
        assert_eq!(
            out.unprocessed[0].1, code,
            "{status:?}: {:?}",
            out.unprocessed
        );
    }
    assert_eq!(
        api_requests(&emu)
            .await
            .iter()
            .filter(|r| r["method"] == "PATCH")
            .count(),
        2
    );
}

async fn read_dyn(s: &Arc<dyn Source>) -> Vec<Normalized> {
    fetch_all(s.as_ref(), &FULL).await.unwrap().0
}

fn find<'a>(items: &'a [Normalized], id: &str) -> &'a Normalized {
    items.iter().find(|n| n.finding.id == id).unwrap()
}

#[tokio::test]
async fn an_alert_fixed_by_a_new_analysis_turns_resolved() {
    let emu = start();
    seed(&emu, "acme/api", json!({"rule": "py/sql-injection"})).await;
    let s = source(&emu, repos(&["acme/api"]));
    let before = read(&s, &FULL).await;
    assert_eq!(before[0].finding.workflow, Workflow::New);
    emu.post(
        "/_emu/github/alerts/acme/api/1/fix",
        json!({"commit_sha": "f00d"}),
    )
    .await;
    let after = read(&s, &FULL).await;
    assert_eq!(after.len(), 1);
    let f = &after[0].finding;
    assert_eq!(f.id, before[0].finding.id);
    assert_eq!(f.workflow, Workflow::Resolved);
    assert!(f.updated_at >= before[0].finding.updated_at);
    assert!(
        f.details
            .iter()
            .any(|(k, v)| &**k == "Commit" && &**v == "f00d")
    );
    // A fixed alert cannot be reopened: GitHub's refusal comes back per finding.
    let out = s
        .update_workflow(&WorkflowUpdate {
            findings: vec![FindingRef::from(f)],
            status: Workflow::New,
            note: None,
            actor: "a".into(),
            reason: None,
        })
        .await
        .unwrap();
    assert_eq!(out.unprocessed[0].1, "Refused");
    assert!(
        out.unprocessed[0].2.contains("fixed"),
        "{:?}",
        out.unprocessed
    );
}

#[tokio::test]
async fn secondary_rate_limit_is_waited_out() {
    let emu = start();
    seed(&emu, "acme/api", json!({})).await;
    emu.post(
        "/_emu/github/secondary-limit",
        json!({"count": 1, "retry_after": 1, "status": 403}),
    )
    .await;
    let s = source(&emu, repos(&["acme/api"]));
    let t = Instant::now();
    assert_eq!(read(&s, &FULL).await.len(), 1);
    assert!(t.elapsed() >= Duration::from_secs(1), "{:?}", t.elapsed());
    let gets = api_requests(&emu).await;
    assert_eq!(gets.len(), 3, "refused, retried, closed: {gets:#?}");
    assert_eq!(gets[0]["query"], gets[1]["query"]);
}

#[tokio::test]
async fn primary_limit_used_up_is_throttled_until_the_reset() {
    let emu = start();
    seed(&emu, "acme/api", json!({})).await;
    let bucket = emu
        .post(
            "/_emu/github/rate-limit",
            json!({"remaining": 0, "reset_in": 3600}),
        )
        .await;
    let reset = bucket["reset"].as_i64().unwrap();
    let s = source(&emu, repos(&["acme/api"]));
    let e = fetch_all(&s, &FULL).await.unwrap_err();
    let SourceError::Throttled(msg) = &e else {
        panic!("{e:?}")
    };
    let when = agent_hubble::model::format_rfc3339(reset * 1000);
    assert!(msg.contains(&when) && msg.contains("5000"), "{msg}");
    assert_eq!(parse_timestamp(&when), Some(reset * 1000));
    // Until then the source does not ask again.
    let asked = api_requests(&emu).await.len();
    assert!(fetch_all(&s, &FULL).await.unwrap_err().is_throttle());
    assert_eq!(api_requests(&emu).await.len(), asked);

    // The last request of the hour succeeds; the next one waits for the reset (short here).
    emu.post(
        "/_emu/github/rate-limit",
        json!({"remaining": 1, "reset_in": 2}),
    )
    .await;
    let s = source(&emu, repos(&["acme/api"]));
    let t = Instant::now();
    assert_eq!(read(&s, &FULL).await.len(), 1);
    assert!(t.elapsed() >= Duration::from_secs(1), "{:?}", t.elapsed());
}

#[tokio::test]
async fn enterprise_server_endpoint() {
    let emu = start();
    seed(&emu, "acme/api", json!({"rule": "js/xss"})).await;
    let s = source_at(
        &format!("{}/api/v3", emu.url),
        repos(&["acme/api"]),
        "ghp_emulator",
    );
    let items = read(&s, &FULL).await;
    assert_eq!(items.len(), 1);
    let f = &items[0].finding;
    assert_eq!(
        f.id,
        format!("{}/acme/api/security/code-scanning/1", emu.url)
    );
    let out = s
        .update_workflow(&WorkflowUpdate {
            findings: vec![FindingRef::from(f)],
            status: Workflow::Suppressed,
            note: Some("fixture".into()),
            actor: "a".into(),
            reason: Some("used in tests".into()),
        })
        .await
        .unwrap();
    assert_eq!(out.processed.len(), 1, "{out:?}");
    let reqs = api_requests(&emu).await;
    assert!(
        reqs.iter().all(|r| r["path"]
            .as_str()
            .unwrap()
            .starts_with("/api/v3/repos/acme/api/")),
        "{reqs:#?}"
    );
    assert_eq!(
        emu.get("/_emu/github/alerts").await["alerts"][0]["dismissed_reason"],
        "used in tests"
    );
}

#[tokio::test]
async fn an_unreadable_repository_is_reported_while_the_others_are_read() {
    let emu = start();
    seed(&emu, "acme/api", json!({})).await;
    emu.post(
        "/_emu/github/repos",
        json!({"full_name": "acme/secret", "private": true}),
    )
    .await;
    seed(&emu, "acme/secret", json!({})).await;
    emu.post(
        "/_emu/github/repos",
        json!({"full_name": "acme/noscan", "code_scanning": false}),
    )
    .await;
    emu.post(
        "/_emu/github/tokens",
        json!({"token": "ghp_limited", "repos": ["acme/api", "acme/noscan"], "orgs": []}),
    )
    .await;
    let targets = repos(&["acme/secret", "acme/api", "acme/noscan"]);
    let s = Arc::new(source_at(&emu.url, targets.clone(), "ghp_limited"));
    let items = read(&s, &FULL).await;
    assert_eq!(items.len(), 1);
    assert_eq!(&*items[0].finding.account, "acme/api");
    let p = s.partial_error().unwrap();
    assert!(
        p.contains("acme/secret: not found")
            && p.contains("acme/noscan: code scanning has no analysis"),
        "{p}"
    );

    // In the console: the poll counts (acme/api's alerts are seen), the source shows the error.
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let poller = Poller::spawn(
        vec![s.clone() as Arc<dyn Source>],
        |_| Default::default(),
        Settings::default(),
        tx,
    );
    let mut read = 0;
    let health = loop {
        match tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .unwrap()
            .unwrap()
        {
            SourceEvent::Upsert { items, .. } => read += items.len(),
            SourceEvent::Health { health, .. } if health.progress.is_none() => break health,
            _ => {}
        }
    };
    poller.shutdown();
    assert_eq!(read, 1, "the readable repository's alert");
    assert_eq!(health.state, HealthState::Error);
    assert!(health.last_ok.is_some() && health.last_error.unwrap().contains("acme/secret"));

    // Nothing readable at all: the poll fails (and nothing is removed).
    let s = source_at(&emu.url, repos(&["acme/secret"]), "ghp_limited");
    let e = fetch_all(&s, &FULL).await.unwrap_err();
    assert!(e.to_string().contains("acme/secret: not found"), "{e}");
    // A bad token.
    let s = source_at(&emu.url, repos(&["acme/api"]), "ghp_wrong");
    let e = fetch_all(&s, &FULL).await.unwrap_err();
    assert!(
        matches!(&e, SourceError::Auth(m) if m.contains("bad credentials")),
        "{e:?}"
    );
}
