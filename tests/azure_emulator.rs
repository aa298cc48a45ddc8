//! The Defender for Cloud source against the local Entra + ARM emulator
//! (tests/emulators/azure_arm.py): credential chain, paging, throttling, token expiry,
//! alert state changes both ways, a forbidden subscription, secure score. Every setting is
//! passed explicitly (no process environment), so the tests run in parallel.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use agent_hubble::model::{FindingRef, Workflow, intern};
use agent_hubble::poller::{HealthState, Poller, Resume, Settings, SourceEvent, fetch_all};
use agent_hubble::sources::azure::auth::AuthSettings;
use agent_hubble::sources::azure::client::RetryPolicy;
use agent_hubble::sources::azure::{AzureSource, AzureTarget, PUBLIC_ARM, connect};
use agent_hubble::sources::{Query, Source, SourceError, WorkflowUpdate};
use serde_json::{Value, json};
use support::emulator::Emulator;
use tokio::sync::mpsc;

const TENANT: &str = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";
const CLIENT_ID: &str = "6731de76-14a6-49ae-97bc-6eba6914391e";
const SECRET: &str = "hubble-emulator-secret";
const SUB_A: &str = "20ff7fc3-e762-44dd-bd96-b71116dcdc23";
const SUB_B: &str = "0980887d-03d6-408c-9566-532f3456804e";
const FULL: Query = Query::Full {
    include_archived: false,
    from: None,
};

fn demo() -> Emulator {
    Emulator::start("azure_arm.py", &["--seed", "demo"])
}

/// A service principal pointed at the emulator for both Entra and ARM.
fn auth(emu: &Emulator) -> AuthSettings {
    AuthSettings {
        tenant_id: Some(TENANT.into()),
        client_id: Some(CLIENT_ID.into()),
        client_secret: Some(SECRET.into()),
        authority_host: emu.url.clone(),
        resource: PUBLIC_ARM.into(),
        ..AuthSettings::default()
    }
}

fn target(emu: &Emulator, auth: AuthSettings, subs: &[&str]) -> AzureTarget {
    AzureTarget {
        name: "contoso".into(),
        subscriptions: subs.iter().map(|s| s.to_string()).collect(),
        endpoint_url: emu.url.clone(),
        auth,
        alerts: true,
        assessments: true,
        retry: RetryPolicy {
            attempts: 3,
            backoff: Duration::from_millis(50),
            max_retry_after: Duration::from_secs(5),
        },
    }
}

fn sources(emu: &Emulator, subs: &[&str]) -> Vec<Arc<AzureSource>> {
    connect(&target(emu, auth(emu), subs)).unwrap()
}

/// Ids the emulator holds for a subscription: alerts, and assessments that are findings.
async fn expected_ids(emu: &Emulator, sub: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for a in emu.get("/_emu/azure/alerts").await["alerts"]
        .as_array()
        .unwrap()
    {
        let id = a["id"].as_str().unwrap();
        if id.contains(sub) {
            ids.insert(id.to_string());
        }
    }
    for a in emu.get("/_emu/azure/assessments").await["assessments"]
        .as_array()
        .unwrap()
    {
        let id = a["id"].as_str().unwrap();
        if id.contains(sub) && a["properties"]["status"]["code"] != "NotApplicable" {
            ids.insert(id.to_string());
        }
    }
    ids
}

async fn read_all(s: &AzureSource) -> BTreeMap<String, agent_hubble::model::Finding> {
    let (items, skipped) = fetch_all(s, &FULL).await.unwrap();
    assert!(skipped.is_empty(), "{skipped:?}");
    items
        .into_iter()
        .map(|n| (n.finding.id.clone(), n.finding))
        .collect()
}

async fn alert_status(emu: &Emulator, id: &str) -> String {
    let alerts = emu.get("/_emu/azure/alerts").await;
    alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id)
        .unwrap()["properties"]["status"]
        .as_str()
        .unwrap()
        .to_string()
}

fn requests_to<'a>(log: &'a [Value], method: &str, path_part: &str) -> Vec<&'a Value> {
    log.iter()
        .filter(|r| r["method"] == method && r["path"].as_str().unwrap().contains(path_part))
        .collect()
}

#[tokio::test]
async fn two_subscriptions_page_through_alerts_then_assessments() {
    let emu = demo();
    emu.post("/_emu/azure/page-size", json!({"size": 2})).await;
    let srcs = sources(&emu, &[SUB_A, SUB_B]);
    assert_eq!(srcs[1].info().key, format!("azure/contoso/{SUB_B}"));
    for s in &srcs {
        let got = read_all(s).await;
        let want = expected_ids(&emu, s.subscription()).await;
        assert_eq!(
            got.keys().cloned().collect::<BTreeSet<_>>(),
            want,
            "{}",
            s.subscription()
        );
        assert!(
            got.values()
                .all(|f| f.account == s.subscription() && f.source == s.info().key)
        );
    }
    let a = read_all(&srcs[0]).await;
    // Assessments come with their metadata ($expand=links,metadata) …
    let mfa = a
        .values()
        .find(|f| f.control_id.as_deref() == Some("94290b00-4d0c-d7b4-7cea-064a9554e681"))
        .unwrap();
    assert_eq!(mfa.severity, agent_hubble::model::Severity::High);
    assert!(
        mfa.url
            .as_deref()
            .unwrap()
            .starts_with("https://portal.azure.com/")
    );
    assert_eq!(mfa.standards, vec![intern("azure/mcsb")]);
    // … and alerts with their location and state.
    let sql = a
        .values()
        .find(|f| f.control_id.as_deref() == Some("SQL.DB_BruteForce"))
        .unwrap();
    assert_eq!(
        (sql.region.as_str(), sql.workflow),
        ("westeurope", Workflow::Notified)
    );
    assert_eq!(sql.resource_type(), "Microsoft.Sql/servers/databases");
    let log = emu.requests().await;
    let alert_pages = requests_to(
        &log,
        "GET",
        &format!("{SUB_A}/providers/Microsoft.Security/alerts"),
    );
    assert!(
        alert_pages.len() >= 3 * 2,
        "5 alerts at 2 a page, read twice: {}",
        alert_pages.len()
    );
    let followed: Vec<_> = alert_pages
        .iter()
        .filter(|r| r["query"].to_string().contains("skipToken"))
        .collect();
    assert!(!followed.is_empty(), "nextLink followed");
    for r in &followed {
        let h = &r["headers"];
        assert!(
            h["authorization"].as_str().unwrap().starts_with("Bearer "),
            "token kept on nextLink"
        );
        assert_eq!(r["query"]["api-version"][0], "2022-01-01");
    }
    let lists = requests_to(
        &log,
        "GET",
        &format!("{SUB_A}/providers/Microsoft.Security/assessments"),
    );
    assert!(
        lists
            .iter()
            .all(|r| r["query"]["$expand"][0] == "links,metadata"),
        "{:?}",
        lists[0]["query"]
    );
    // An incremental query is a full read trimmed by update time.
    let (recent, _) = fetch_all(&*srcs[0], &Query::UpdatedSince(i64::MAX))
        .await
        .unwrap();
    assert!(recent.is_empty());
    // One token served every request of both subscriptions.
    assert_eq!(requests_to(&log, "POST", "/oauth2/v2.0/token").len(), 1);
}

/// The poller over both subscriptions: an alert resolved by someone else shows on the next
/// poll (every Azure poll is a full read), while a forbidden subscription only fails itself.
#[tokio::test]
async fn polls_catch_outside_changes_and_a_forbidden_subscription_fails_alone() {
    let emu = demo();
    let resolved = emu.get("/_emu/azure/alerts").await["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| {
            a["id"].as_str().unwrap().contains(SUB_A) && a["properties"]["status"] == "Active"
        })
        .unwrap()
        .clone();
    let third = "1c0f5a4e-0000-4000-8000-000000000003";
    emu.post(
        "/_emu/azure/subscriptions",
        json!({"id": third, "display_name": "Locked", "forbidden": true}),
    )
    .await;
    let srcs: Vec<Arc<dyn Source>> = sources(&emu, &[SUB_A, third])
        .into_iter()
        .map(|s| s as Arc<dyn Source>)
        .collect();
    let (tx, mut rx) = mpsc::channel(64);
    let settings = Settings {
        interval: Duration::from_millis(300),
        min_backoff: Duration::from_millis(300),
        max_backoff: Duration::from_secs(1),
        ..Settings::default()
    };
    let poller = Poller::spawn(srcs, |_| Resume::default(), settings, tx);
    let key_a = format!("azure/contoso/{SUB_A}");
    let key_c = format!("azure/contoso/{third}");
    let mut syncs_a = 0;
    let mut forbidden_error = None;
    let mut changed_elsewhere = false;
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline && !(changed_elsewhere && forbidden_error.is_some()) {
        let ev = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .unwrap()
            .unwrap();
        match ev {
            SourceEvent::SyncDone { source, .. } if source == key_a => {
                syncs_a += 1;
                if syncs_a == 1 {
                    let name = resolved["name"].as_str().unwrap();
                    emu.post(
                        &format!("/_emu/azure/alerts/{name}/status"),
                        json!({"status": "Resolved"}),
                    )
                    .await;
                }
            }
            SourceEvent::Upsert { source, items, .. } if source == key_a && syncs_a >= 1 => {
                if let Some(n) = items.iter().find(|n| n.finding.id == resolved["id"]) {
                    changed_elsewhere |= n.finding.workflow == Workflow::Resolved;
                }
            }
            // Progress reports during a read are not its outcome.
            SourceEvent::Health { health, .. } if health.progress.is_some() => {}
            SourceEvent::Health { source, health } if source == key_c => {
                assert_eq!(health.state, HealthState::Error);
                forbidden_error = health.last_error;
            }
            SourceEvent::Health { source, health } if source == key_a => {
                assert_eq!(health.state, HealthState::Ok, "{:?}", health.last_error);
            }
            _ => {}
        }
    }
    poller.shutdown();
    assert!(
        changed_elsewhere,
        "the resolved alert came back resolved on the next poll"
    );
    let e = forbidden_error.expect("the forbidden subscription reported an error");
    assert!(
        e.starts_with("access denied: GET subscription 1c0f5a4e"),
        "{e}"
    );
    assert!(
        e.contains("AuthorizationFailed: The client '6731de76"),
        "{e}"
    );
    assert!(
        !e.contains('\n') && !e.contains("{\""),
        "one readable line: {e}"
    );
}

#[tokio::test]
async fn console_state_changes_reach_defender() {
    let emu = demo();
    let src = sources(&emu, &[SUB_A]).remove(0);
    let all = read_all(&src).await;
    let alert = all
        .values()
        .find(|f| f.compliance.is_none() && f.workflow == Workflow::New)
        .unwrap();
    let assessment = all.values().find(|f| f.compliance.is_some()).unwrap();
    let r = |f: &agent_hubble::model::Finding| FindingRef::from(f);
    for (status, expect) in [
        (Workflow::Suppressed, "Dismissed"),
        (Workflow::Notified, "InProgress"),
        (Workflow::Resolved, "Resolved"),
        (Workflow::New, "Active"),
    ] {
        let out = src
            .update_workflow(&WorkflowUpdate {
                findings: vec![r(alert), r(assessment)],
                status,
                note: Some("triaged".into()),
                actor: "analyst".into(),
                reason: None,
            })
            .await
            .unwrap();
        assert_eq!(out.processed, vec![alert.id.clone()]);
        assert_eq!(out.unprocessed.len(), 1);
        assert_eq!(out.unprocessed[0].1, "RecommendationStateIsComputed");
        assert!(out.unprocessed[0].2.contains("when the resource is fixed"));
        assert_eq!(alert_status(&emu, &alert.id).await, expect);
        let again = read_all(&src).await;
        assert_eq!(again[&alert.id].workflow, status);
    }
    let log = emu.requests().await;
    let posts = requests_to(&log, "POST", "/Microsoft.Security/locations/");
    let actions: Vec<&str> = posts
        .iter()
        .map(|p| p["path"].as_str().unwrap().rsplit('/').next().unwrap())
        .collect();
    assert_eq!(actions, ["dismiss", "inProgress", "resolve", "activate"]);
    assert!(
        posts
            .iter()
            .all(|p| p["body"].as_str().unwrap_or_default().is_empty()),
        "notes stay local"
    );
    // An id of another subscription never reaches a URL.
    let mut foreign = r(alert);
    foreign.id = foreign.id.replace(SUB_A, SUB_B);
    let out = src
        .update_workflow(&WorkflowUpdate {
            findings: vec![foreign],
            status: Workflow::Resolved,
            note: None,
            actor: "a".into(),
            reason: None,
        })
        .await
        .unwrap();
    assert_eq!(out.unprocessed[0].1, "NotAnAlertOfThisSubscription");
}

#[tokio::test]
async fn expired_tokens_are_refreshed_transparently() {
    let emu = demo();
    let src = sources(&emu, &[SUB_A]).remove(0);
    let before = read_all(&src).await.len();
    let expired = emu.post("/_emu/azure/expire-tokens", json!({})).await;
    assert_eq!(expired["expired"], 1);
    assert_eq!(
        read_all(&src).await.len(),
        before,
        "401 → new token → same answer"
    );
    let tokens = emu.get("/_emu/azure/tokens").await;
    let tokens = tokens["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 2);
    assert_eq!(
        (
            tokens[0]["expired"].as_bool(),
            tokens[1]["expired"].as_bool()
        ),
        (Some(true), Some(false))
    );
    // Short-lived tokens are replaced before they expire, without a 401.
    emu.post("/_emu/azure/token-lifetime", json!({"seconds": 4}))
        .await;
    emu.post("/_emu/azure/expire-tokens", json!({})).await;
    read_all(&src).await;
    tokio::time::sleep(Duration::from_millis(2300)).await;
    read_all(&src).await;
    let tokens = emu.get("/_emu/azure/tokens").await;
    let last = tokens["tokens"].as_array().unwrap().last().unwrap().clone();
    // (4 unless a very slow machine took more than 2 s for one read)
    assert!(
        tokens["tokens"].as_array().unwrap().len() >= 4,
        "refreshed at half its life"
    );
    assert_eq!(last["expired"], false);
    let t = tokens["tokens"].as_array().unwrap();
    assert!(
        t[3]["issued_at"].as_i64() < t[2]["expires_at"].as_i64(),
        "the new token came before the old one expired: {t:?}"
    );
}

#[tokio::test]
async fn throttling_and_server_errors_are_retried_within_bounds() {
    let emu = demo();
    let src = sources(&emu, &[SUB_A]).remove(0);
    let path = format!("{SUB_A}/providers/Microsoft\\.Security/alerts");
    // 429 with Retry-After: 1 → wait, then the same page succeeds.
    emu.fault(json!({"method": "GET", "path": path, "status": 429, "headers": {"Retry-After": "1"}, "count": 1})).await;
    let t = Instant::now();
    let page = src.fetch_page(&FULL, None).await.unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "Retry-After honoured: {:?}",
        t.elapsed()
    );
    assert!(!page.items.is_empty());
    // A Retry-After longer than the call may wait is the poller's business: Throttled at once.
    emu.fault(json!({"method": "GET", "path": path, "status": 429, "headers": {"Retry-After": "120"}, "count": 1})).await;
    let t = Instant::now();
    let e = src.fetch_page(&FULL, None).await.unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(2));
    assert!(e.is_throttle(), "{e}");
    assert!(
        e.to_string().contains("SubscriptionRequestsThrottled")
            && e.to_string().contains("Retry-After 120s"),
        "{e}"
    );
    // Two 503s, then success; five are more than three attempts.
    emu.fault(json!({"method": "GET", "path": path, "status": 503, "count": 2}))
        .await;
    assert!(src.fetch_page(&FULL, None).await.is_ok());
    emu.fault(json!({"method": "GET", "path": path, "status": 500, "count": 5, "body": {"error": {"code": "InternalServerError", "message": "Encountered internal server error.\nDiagnostic information: x"}}})).await;
    let e = src.fetch_page(&FULL, None).await.unwrap_err();
    assert!(matches!(e, SourceError::Other(_)), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "GET subscription {SUB_A} providers/Microsoft.Security/alerts: InternalServerError: Encountered internal server error. Diagnostic information: x"
        )
    );
}

#[tokio::test]
async fn secure_score_equals_the_emulators() {
    let emu = demo();
    let src = sources(&emu, &[SUB_A]).remove(0);
    let scores = src.scores().await.unwrap();
    assert_eq!(scores.len(), 1);
    assert!(
        src.scores().await.unwrap().is_empty(),
        "read at most every SCORE_TTL: nothing new on the next poll"
    );
    let s = &scores[0];
    assert_eq!(
        (s.name.as_str(), s.scope.as_str(), s.scope_name.as_str()),
        ("Azure secure score", SUB_A, "Contoso Production")
    );
    // The emulator's own numbers, read raw with a token of our own.
    let http = reqwest::Client::new();
    let tok: Value = http
        .post(format!("{}/{TENANT}/oauth2/v2.0/token", emu.url))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("grant_type=client_credentials&client_id={CLIENT_ID}&client_secret={SECRET}&scope=https%3A%2F%2Fmanagement.azure.com%2F.default"))
        .send().await.unwrap().json().await.unwrap();
    let get = |path: String| {
        let req = http
            .get(format!("{}{path}", emu.url))
            .bearer_auth(tok["access_token"].as_str().unwrap());
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let base = format!("/subscriptions/{SUB_A}/providers/Microsoft.Security/secureScores/ascScore");
    let want = get(format!("{base}?api-version=2020-01-01")).await["properties"]["score"].clone();
    assert_eq!(s.current, want["current"].as_f64().unwrap());
    assert_eq!(s.max, want["max"].as_f64().unwrap());
    assert_eq!(
        s.percentage,
        (want["percentage"].as_f64().unwrap() * 10_000.0).round() / 100.0
    );
    assert!(
        s.max > 0.0 && s.current > 0.0 && s.current < s.max,
        "a believable demo score: {s:?}"
    );
    let controls = get(format!("{base}/secureScoreControls?api-version=2020-01-01")).await;
    let controls = controls["value"].as_array().unwrap();
    assert_eq!(s.controls.len(), controls.len());
    for c in controls {
        let p = &c["properties"];
        let got = s.controls.iter().find(|x| x.id == c["name"]).unwrap();
        assert_eq!(got.name, p["displayName"].as_str().unwrap());
        assert_eq!(
            (got.healthy, got.unhealthy, got.not_applicable),
            (
                p["healthyResourceCount"].as_u64().unwrap() as u32,
                p["unhealthyResourceCount"].as_u64().unwrap() as u32,
                p["notApplicableResourceCount"].as_u64().unwrap() as u32
            )
        );
        assert_eq!(
            (got.current, got.max),
            (
                p["score"]["current"].as_f64().unwrap(),
                p["score"]["max"].as_f64().unwrap()
            )
        );
    }
    let log = emu.requests().await;
    let ours: Vec<_> = requests_to(&log, "GET", "/secureScoreControls")
        .into_iter()
        .filter(|r| {
            r["headers"]["user-agent"]
                .as_str()
                .unwrap_or_default()
                .starts_with("agent-hubble/")
        })
        .collect();
    assert_eq!(
        ours.len(),
        1,
        "one read; the second call came from the cache"
    );
    assert_eq!(ours[0]["query"]["$expand"][0], "definition");
}

// ---- the credential chain, each method against the emulator ---------------------------------

fn b64url(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// A Kubernetes-style projected service account token for the emulator's federated credential.
fn federated_token(dir: &std::path::Path) -> PathBuf {
    let exp = agent_hubble::model::now_ms() / 1000 + 3600;
    let claims = json!({"iss": "https://oidc.emulator.local", "sub": "system:serviceaccount:soc:agent-hubble",
                        "aud": ["api://AzureADTokenExchange"], "exp": exp, "iat": exp - 3600});
    let jwt = format!(
        "{}.{}.{}",
        b64url(br#"{"alg":"RS256","typ":"JWT"}"#),
        b64url(claims.to_string().as_bytes()),
        b64url(b"sig")
    );
    let path = dir.join("token");
    std::fs::write(&path, format!("{jwt}\n")).unwrap();
    path
}

async fn works(emu: &Emulator, auth: AuthSettings) -> (usize, Option<&'static str>) {
    let src = connect(&target(emu, auth, &[SUB_A])).unwrap().remove(0);
    let n = read_all(&src).await.len();
    (n, src.credential_method())
}

async fn last_token_via(emu: &Emulator) -> String {
    let t = emu.get("/_emu/azure/tokens").await;
    t["tokens"].as_array().unwrap().last().unwrap()["via"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn every_credential_method_against_the_emulator() {
    let emu = demo();
    let dir = tempfile::tempdir().unwrap();
    let none = AuthSettings {
        authority_host: emu.url.clone(),
        resource: PUBLIC_ARM.into(),
        ..AuthSettings::default()
    };
    // Workload identity (tenant given as its domain).
    let wi = AuthSettings {
        tenant_id: Some("contoso.onmicrosoft.com".into()),
        client_id: Some(CLIENT_ID.into()),
        federated_token_file: Some(federated_token(dir.path())),
        ..none.clone()
    };
    let (n, m) = works(&emu, wi).await;
    assert!(n > 0);
    assert_eq!(
        (m, last_token_via(&emu).await.as_str()),
        (Some("workload identity"), "assertion")
    );
    // Managed identity: App Service endpoint, then the VM's IMDS.
    let app = AuthSettings {
        identity_endpoint: Some(format!("{}/msi/token", emu.url)),
        identity_header: Some("hubble-identity-header".into()),
        ..none.clone()
    };
    assert_eq!(
        works(&emu, app).await.1,
        Some("App Service managed identity")
    );
    assert_eq!(last_token_via(&emu).await, "msi");
    let imds = AuthSettings {
        imds_endpoint: Some(emu.url.clone()),
        ..none.clone()
    };
    assert_eq!(
        works(&emu, imds.clone()).await.1,
        Some("managed identity (IMDS)")
    );
    assert_eq!(last_token_via(&emu).await, "imds");
    // No identity on this "VM": the chain moves on to the Azure CLI.
    emu.post("/_emu/azure/managed-identity", json!({"enabled": false}))
        .await;
    let tok = {
        let e = AuthSettings {
            client_id: Some(CLIENT_ID.into()),
            tenant_id: Some(TENANT.into()),
            client_secret: Some(SECRET.into()),
            ..none.clone()
        };
        let c = agent_hubble::sources::azure::auth::Credential::new(reqwest::Client::new(), e);
        c.token().await.unwrap().to_string()
    };
    let az = dir.path().join("az");
    std::fs::write(&az, format!("#!/bin/sh\necho '{{\"accessToken\":\"{tok}\",\"expires_on\":{},\"tokenType\":\"Bearer\"}}'\n", agent_hubble::model::now_ms() / 1000 + 3000)).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
    let cli = AuthSettings {
        az_cli: Some(az),
        ..imds
    };
    assert_eq!(works(&emu, cli).await.1, Some("Azure CLI"));
    // A wrong secret stops the chain with Entra's reason on one line.
    let wrong = AuthSettings {
        tenant_id: Some(TENANT.into()),
        client_id: Some(CLIENT_ID.into()),
        client_secret: Some("nope".into()),
        ..none.clone()
    };
    let src = connect(&target(&emu, wrong, &[SUB_A])).unwrap().remove(0);
    let e = src.fetch_page(&FULL, None).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "access denied: environment service principal: invalid_client: AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '6731de76-14a6-49ae-97bc-6eba6914391e'."
    );
    // Nothing configured: one line naming what was tried.
    let src = connect(&target(&emu, none, &[SUB_A])).unwrap().remove(0);
    let e = src.fetch_page(&FULL, None).await.unwrap_err().to_string();
    assert!(
        e.starts_with("access denied: no Azure credential found ("),
        "{e}"
    );
}
