//! The Security Command Center v2 source against the local emulator
//! (`tests/emulators/gcp_scc.py`): real HTTP, real OAuth flows with keys the emulator mints,
//! credentials passed to the source explicitly (no process environment is changed).

#[path = "gcp_emulator/env.rs"]
mod env;
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use agent_hubble::model::{ComplianceStatus, FindingRef, Severity, Workflow, intern, now_ms};
use agent_hubble::poller::{self, Poller, Resume, Settings, SourceEvent};
use agent_hubble::sources::gcp::GcpSource;
use agent_hubble::sources::gcp::auth::AdcSettings;
use agent_hubble::sources::{Query, Source, SourceError, WorkflowUpdate};
use env::{FULL, Gcp, ORG, all, clear_faults, q};
use serde_json::{Value, json};
use tokio::sync::mpsc;

#[tokio::test]
async fn org_parent_lists_every_source_with_a_service_account_key() {
    let g = Gcp::start().await;
    let s = g.source(ORG);
    assert_eq!(s.info().key, "gcp/test/organizations/123456789012");
    let items = all(&s, &FULL).await;
    // 14 demo findings, one INACTIVE: a full read lists the active ones.
    assert_eq!(items.len(), 13);
    let products: std::collections::BTreeSet<&str> = items
        .iter()
        .map(|n| n.finding.product_name.as_str())
        .collect();
    assert_eq!(
        products.into_iter().collect::<Vec<_>>(),
        [
            "Container Threat Detection",
            "Event Threat Detection",
            "Security Health Analytics",
            "VM Manager"
        ]
    );
    let bucket = items
        .iter()
        .map(|n| &n.finding)
        .find(|f| f.control_id.as_deref() == Some("PUBLIC_BUCKET_ACL"))
        .unwrap();
    assert_eq!(bucket.account, "acme-web-prod");
    assert_eq!(bucket.title.split(':').next(), Some("Public bucket ACL"));
    assert_eq!(bucket.severity, Severity::High);
    assert_eq!(bucket.compliance, Some(ComplianceStatus::Failed));
    assert!(bucket.standards.contains(&intern("gcp/cis/2.0")));
    assert!(bucket.related_requirements.contains(&intern("CIS 2.0 5.1")));
    let muted = items
        .iter()
        .find(|n| n.finding.control_id.as_deref() == Some("AUDIT_LOGGING_DISABLED"))
        .unwrap();
    assert_eq!(muted.finding.workflow, Workflow::Suppressed);
    let vuln = items
        .iter()
        .find(|n| n.finding.control_id.as_deref() == Some("OS_VULNERABILITY"))
        .unwrap();
    assert_eq!(vuln.finding.vulns, vec![intern("CVE-2024-6387")]);
    let mfa = items
        .iter()
        .find(|n| n.finding.control_id.as_deref() == Some("MFA_NOT_ENFORCED"))
        .unwrap();
    assert_eq!(
        mfa.finding.account, "organizations/123456789012",
        "an organization finding"
    );
    // The raw JSON is the list result as sent, resource included.
    let raw: Value = serde_json::from_str(&bucket_raw(&items)).unwrap();
    assert!(raw["resource"]["gcpMetadata"]["projectDisplayName"] == "acme-web-prod");

    // The token came from the key's token_uri (JWT-bearer grant), and the list asked for
    // active findings of all sources, oldest event first, 1000 a page.
    let reqs = g.emu.requests().await;
    let token_posts: Vec<&Value> = reqs.iter().filter(|r| r["path"] == "/token").collect();
    assert_eq!(token_posts.len(), 1, "one token for the whole read");
    assert!(
        token_posts[0]["body"]
            .as_str()
            .unwrap()
            .contains("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer")
    );
    let lists = g.lists().await;
    assert_eq!(lists.len(), 1);
    assert_eq!(
        lists[0]["path"],
        "/v2/organizations/123456789012/sources/-/locations/global/findings"
    );
    assert_eq!(q(&lists[0], "filter"), Some("state=\"ACTIVE\""));
    assert_eq!(q(&lists[0], "orderBy"), Some("event_time"));
    assert_eq!(q(&lists[0], "pageSize"), Some("1000"));
    assert!(
        lists[0]["headers"]["authorization"]
            .as_str()
            .unwrap()
            .starts_with("Bearer ya29.")
    );
}

fn bucket_raw(items: &[agent_hubble::sources::Normalized]) -> String {
    items
        .iter()
        .find(|n| n.finding.control_id.as_deref() == Some("PUBLIC_BUCKET_ACL"))
        .map(|n| n.raw.to_string())
        .unwrap()
}

#[tokio::test]
async fn pages_past_one_thousand_findings() {
    let g = Gcp::start().await;
    let batch: Vec<Value> = (0..1100)
        .map(|i| json!({"project": "acme-bulk", "finding": {"category": "OPEN_FIREWALL"},
                        "resource": {"name": format!("//compute.googleapis.com/projects/acme-bulk/global/firewalls/fw-{i}")}}))
        .collect();
    g.emu
        .post("/_emu/gcp/findings", json!({"findings": batch}))
        .await;
    let s = g.source(ORG);
    let items = all(&s, &FULL).await;
    assert_eq!(items.len(), 1113);
    let ids: std::collections::HashSet<&str> =
        items.iter().map(|n| n.finding.id.as_str()).collect();
    assert_eq!(ids.len(), 1113, "no finding twice");
    let lists = g.lists().await;
    assert_eq!(lists.len(), 2);
    assert_eq!(q(&lists[0], "pageToken"), None);
    assert!(q(&lists[1], "pageToken").is_some_and(|t| !t.is_empty()));
    assert_eq!(q(&lists[1], "filter"), Some("state=\"ACTIVE\""));
}

#[tokio::test]
async fn incremental_poll_picks_up_a_new_finding_and_one_resolved_elsewhere() {
    let g = Gcp::start().await;
    let s = g.source(ORG);
    let full = all(&s, &FULL).await;
    let watermark = full.iter().map(|n| n.finding.updated_at).max().unwrap();
    let since = watermark.max(now_ms() - 60_000);
    // Nothing moved yet.
    assert!(all(&s, &Query::UpdatedSince(since)).await.is_empty());

    // A detector reports a new finding; another client resolves an old one.
    let new = g
        .emu
        .post(
            "/_emu/gcp/findings",
            json!({"project": "acme-web-prod", "finding": {"category": "OPEN_SSH_PORT"}}),
        )
        .await;
    let new_name = new["finding"]["name"].as_str().unwrap().to_string();
    let old = full
        .iter()
        .find(|n| n.finding.control_id.as_deref() == Some("PUBLIC_IP_ADDRESS"))
        .unwrap();
    g.emu
        .post(
            "/_emu/gcp/findings/state",
            json!({"name": old.finding.id, "state": "INACTIVE"}),
        )
        .await;

    let inc = all(&s, &Query::UpdatedSince(since)).await;
    assert_eq!(
        inc.len(),
        2,
        "{:?}",
        inc.iter().map(|n| &n.finding.id).collect::<Vec<_>>()
    );
    let got_new = inc.iter().find(|n| n.finding.id == new_name).unwrap();
    assert_eq!(got_new.finding.workflow, Workflow::New);
    let resolved = inc.iter().find(|n| n.finding.id == old.finding.id).unwrap();
    assert_eq!(resolved.finding.workflow, Workflow::Resolved);
    assert_eq!(resolved.finding.compliance, Some(ComplianceStatus::Passed));
    assert!(resolved.finding.updated_at > old.finding.updated_at);
    // Oldest event first, any state: the filter is on event_time only.
    let lists = g.lists().await;
    let last = lists.last().unwrap();
    let filter = q(last, "filter").unwrap();
    assert!(
        filter.starts_with("event_time >= \"20") && filter.ends_with("Z\""),
        "{filter}"
    );
    assert!(!filter.contains("state"), "{filter}");
    assert_eq!(q(last, "orderBy"), Some("event_time"));
}

#[tokio::test]
async fn the_poller_turns_a_finding_resolved_elsewhere_into_resolved() {
    let g = Gcp::start().await;
    let source: Arc<dyn Source> = Arc::new(g.source("projects/acme-web-prod"));
    let (tx, mut rx) = mpsc::channel(64);
    let settings = Settings {
        interval: Duration::from_millis(200),
        ..Settings::default()
    };
    let p = Poller::spawn(vec![source], |_| Resume::default(), settings, tx);
    let mut target = None;
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut syncs = 0;
    while Instant::now() < deadline {
        let ev = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .unwrap()
            .unwrap();
        match ev {
            SourceEvent::Upsert { items, .. } => {
                if target.is_none() {
                    let f = &items
                        .iter()
                        .find(|n| n.finding.control_id.as_deref() == Some("OPEN_FIREWALL"))
                        .unwrap()
                        .finding;
                    assert_eq!(f.workflow, Workflow::New);
                    target = Some(f.id.clone());
                } else if let Some(n) = items
                    .iter()
                    .find(|n| Some(&n.finding.id) == target.as_ref())
                {
                    assert_eq!(n.finding.workflow, Workflow::Resolved);
                    p.shutdown();
                    let lists = g.lists().await;
                    assert!(
                        q(lists.last().unwrap(), "filter")
                            .unwrap()
                            .starts_with("event_time >= ")
                    );
                    return;
                }
            }
            SourceEvent::SyncDone { .. } => {
                syncs += 1;
                if syncs == 1 {
                    g.emu
                        .post(
                            "/_emu/gcp/findings/state",
                            json!({"name": target.clone().unwrap(), "state": "INACTIVE"}),
                        )
                        .await;
                }
            }
            SourceEvent::Health { health, .. } => {
                assert!(health.last_error.is_none(), "{health:?}")
            }
            _ => {}
        }
    }
    panic!("the incremental poll did not bring the resolved finding");
}

#[tokio::test]
async fn console_workflow_changes_reach_scc() {
    let g = Gcp::start().await;
    let s = g.source(ORG);
    let items = all(&s, &FULL).await;
    let by = |cat: &str| {
        items
            .iter()
            .find(|n| n.finding.control_id.as_deref() == Some(cat))
            .map(|n| FindingRef::from(&n.finding))
            .unwrap()
    };
    let update = |findings: Vec<FindingRef>, status| WorkflowUpdate {
        findings,
        status,
        note: Some("ticket SEC-1".into()),
        actor: "analyst@bastion".into(),
        reason: None,
    };
    let fw = by("OPEN_FIREWALL");
    let ssh = by("OPEN_SSH_PORT");
    let muted = by("AUDIT_LOGGING_DISABLED");

    // RESOLVED → setState INACTIVE (mute untouched).
    let out = s
        .update_workflow(&update(vec![fw.clone()], Workflow::Resolved))
        .await
        .unwrap();
    assert_eq!(out.processed, vec![fw.id.clone()]);
    let f = g.stored_one(&fw.id).await;
    assert_eq!(
        (f["state"].as_str(), f["mute"].as_str()),
        (Some("INACTIVE"), Some("UNDEFINED"))
    );

    // SUPPRESSED → setMute MUTED, by our service account.
    let out = s
        .update_workflow(&update(vec![ssh.clone()], Workflow::Suppressed))
        .await
        .unwrap();
    assert!(out.unprocessed.is_empty(), "{out:?}");
    let f = g.stored_one(&ssh.id).await;
    assert_eq!(
        (f["state"].as_str(), f["mute"].as_str()),
        (Some("ACTIVE"), Some("MUTED"))
    );
    assert_eq!(f["muteInitiator"], g.email.as_str());

    // NEW on a muted finding and a resolved one → ACTIVE and UNMUTED; NOTIFIED does the same.
    let out = s
        .update_workflow(&update(vec![muted.clone(), fw.clone()], Workflow::New))
        .await
        .unwrap();
    assert_eq!(out.processed.len(), 2, "{out:?}");
    for name in [&muted.id, &fw.id] {
        let f = g.stored_one(name).await;
        assert_eq!(
            (f["state"].as_str(), f["mute"].as_str()),
            (Some("ACTIVE"), Some("UNMUTED"))
        );
    }
    let out = s
        .update_workflow(&update(vec![ssh.clone()], Workflow::Notified))
        .await
        .unwrap();
    assert_eq!(out.processed, vec![ssh.id.clone()]);
    assert_eq!(g.stored_one(&ssh.id).await["mute"], "UNMUTED");

    // The next read shows what SCC holds.
    let again = all(&s, &FULL).await;
    let w = |id: &str| {
        again
            .iter()
            .find(|n| n.finding.id == id)
            .unwrap()
            .finding
            .workflow
    };
    assert_eq!(
        (w(&fw.id), w(&ssh.id), w(&muted.id)),
        (Workflow::New, Workflow::New, Workflow::New)
    );

    // Per-finding errors: an unknown finding and a name that is not one.
    let ghost = FindingRef {
        id: "organizations/123456789012/sources/1/locations/global/findings/ghost".into(),
        ..fw.clone()
    };
    let bogus = FindingRef {
        id: "organizations/123456789012/sources/1/findings/x/../../../token".into(),
        ..fw.clone()
    };
    let out = s
        .update_workflow(&update(
            vec![ghost.clone(), fw.clone(), bogus.clone()],
            Workflow::Resolved,
        ))
        .await
        .unwrap();
    assert_eq!(out.processed, vec![fw.id.clone()]);
    let mut un = out.unprocessed.clone();
    un.sort();
    assert_eq!(un.len(), 2, "{un:?}");
    let ghost_err = un.iter().find(|u| u.0 == ghost.id).unwrap();
    assert_eq!(ghost_err.1, "NOT_FOUND");
    assert!(ghost_err.2.contains("not found"), "{ghost_err:?}");
    assert_eq!(
        un.iter().find(|u| u.0 == bogus.id).unwrap().1,
        "INVALID_ARGUMENT"
    );

    // What went over the wire.
    let sets: Vec<Value> = g
        .emu
        .requests()
        .await
        .into_iter()
        .filter(|r| r["method"] == "POST" && r["path"].as_str().unwrap().starts_with("/v2/"))
        .collect();
    assert_eq!(sets[0]["path"], format!("/v2/{}:setState", fw.id));
    assert_eq!(
        serde_json::from_str::<Value>(sets[0]["body"].as_str().unwrap()).unwrap(),
        json!({"state": "INACTIVE"})
    );
    assert!(
        sets.iter()
            .all(|r| !r["path"].as_str().unwrap().contains("token"))
    );
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once() {
    let g = Gcp::start().await;
    let s = g.source(ORG);
    all(&s, &FULL).await;
    g.emu.post("/_emu/gcp/expire-tokens", json!({})).await;
    assert_eq!(all(&s, &FULL).await.len(), 13, "401, new token, retried");
    let reqs = g.emu.requests().await;
    assert_eq!(reqs.iter().filter(|r| r["path"] == "/token").count(), 2);
    assert_eq!(g.lists().await.len(), 3, "ok, 401, ok");

    // A token that runs out is renewed before it is used.
    g.emu
        .post("/_emu/gcp/token-lifetime", json!({"seconds": 2}))
        .await;
    g.emu.post("/_emu/gcp/expire-tokens", json!({})).await;
    all(&s, &FULL).await; // 401 → token good for 2 s
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let before = g.lists().await.len();
    all(&s, &FULL).await;
    assert_eq!(g.lists().await.len(), before + 1, "no 401 round trip");

    // A key the token endpoint refuses is an access error, not a retry loop.
    let mut key: Value = serde_json::from_str(&std::fs::read_to_string(&g.key).unwrap()).unwrap();
    key["client_email"] = json!("nobody@hubble-prod.iam.gserviceaccount.com");
    let bad = g.dir.path().join("bad.json");
    std::fs::write(&bad, key.to_string()).unwrap();
    let mut t = g.target("bad", ORG);
    t.adc.credentials_file = Some(bad);
    let err = poller::fetch_all(&GcpSource::new(&t).unwrap(), &FULL)
        .await
        .unwrap_err();
    match err {
        SourceError::Auth(m) => assert!(
            m.contains("invalid_grant") && m.contains("account not found"),
            "{m}"
        ),
        e => panic!("{e:?}"),
    }
}

#[tokio::test]
async fn throttling_waits_for_retry_after_then_gives_up() {
    let g = Gcp::start().await;
    let s = g.source(ORG);
    g.emu
        .fault(json!({"method": "GET", "path": "/findings$", "status": 429, "headers": {"Retry-After": "1"}, "count": 1}))
        .await;
    let t0 = Instant::now();
    assert_eq!(all(&s, &FULL).await.len(), 13);
    assert!(t0.elapsed() >= Duration::from_secs(1), "{:?}", t0.elapsed());
    assert_eq!(g.lists().await.len(), 2);

    // A provider that keeps saying no: the call stops within its budget and says Throttled.
    let mut t = g.target("busy", ORG);
    t.retry.throttle_budget = Duration::from_millis(1500);
    let s = GcpSource::new(&t).unwrap();
    g.emu
        .fault(json!({"path": "/findings$", "status": 429, "headers": {"Retry-After": "1"}, "count": 50}))
        .await;
    let t0 = Instant::now();
    let err = s.fetch_page(&FULL, None).await.unwrap_err();
    assert!(err.is_throttle(), "{err:?}");
    assert!(err.to_string().contains("RESOURCE_EXHAUSTED"), "{err}");
    assert!(t0.elapsed() < Duration::from_secs(3), "{:?}", t0.elapsed());
    clear_faults(&g.emu).await;

    // 5xx is retried a few times.
    g.emu
        .fault(json!({"path": "/findings$", "status": 503, "count": 2}))
        .await;
    assert_eq!(all(&s, &FULL).await.len(), 13);
    g.emu
        .fault(json!({"path": "/findings$", "status": 500, "count": 10}))
        .await;
    let err = s.fetch_page(&FULL, None).await.unwrap_err();
    assert!(
        matches!(&err, SourceError::Other(m) if m.starts_with("INTERNAL: ")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_denied_parent_fails_while_another_works() {
    let g = Gcp::start().await;
    g.emu
        .post(
            "/_emu/gcp/deny",
            json!({"email": g.email, "parent": "projects/acme-web-prod"}),
        )
        .await;
    let denied: Arc<dyn Source> = Arc::new(g.source("projects/acme-web-prod"));
    let fine: Arc<dyn Source> = Arc::new(g.source("projects/acme-data-dev"));
    let (tx, mut rx) = mpsc::channel(64);
    let p = Poller::spawn(
        vec![denied, fine],
        |_| Resume::default(),
        Settings::default(),
        tx,
    );
    let (mut error, mut items) = (None, None);
    while error.is_none() || items.is_none() {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .unwrap()
            .unwrap()
        {
            SourceEvent::Health { source, health }
                if source == "gcp/test/projects/acme-web-prod" =>
            {
                error = health.last_error
            }
            SourceEvent::Upsert {
                source, items: i, ..
            } => {
                assert_eq!(source, "gcp/test/projects/acme-data-dev");
                items = Some(i)
            }
            _ => {}
        }
    }
    p.shutdown();
    let error = error.unwrap();
    assert!(
        error.starts_with(
            "access denied: PERMISSION_DENIED: Permission 'securitycenter.findings.list' denied"
        ),
        "{error}"
    );
    let items = items.unwrap();
    assert_eq!(items.len(), 4);
    assert!(items.iter().all(|n| n.finding.account == "acme-data-dev"));
}

#[tokio::test]
async fn folder_and_project_parents_see_their_own_findings() {
    let g = Gcp::start().await;
    let folder = all(&g.source("folders/456789012345"), &FULL).await;
    assert_eq!(folder.len(), 8, "acme-web-prod is in the Production folder");
    assert!(folder.iter().all(|n| n.finding.account == "acme-web-prod"));
    let project = all(&g.source("projects/acme-data-dev"), &FULL).await;
    assert_eq!(project.len(), 4);
    assert!(project.iter().all(|n| n.finding.account == "acme-data-dev"));
    let lists = g.lists().await;
    assert_eq!(
        lists[0]["path"],
        "/v2/folders/456789012345/sources/-/locations/global/findings"
    );
    assert_eq!(
        lists[1]["path"],
        "/v2/projects/acme-data-dev/sources/-/locations/global/findings"
    );
}

#[tokio::test]
async fn the_rest_of_the_credential_chain() {
    let g = Gcp::start().await;
    let host = g.emu.url.trim_start_matches("http://").to_string();
    let read = |adc: AdcSettings| {
        let mut t = g.target("chain", "projects/acme-data-dev");
        t.adc = adc;
        GcpSource::new(&t).unwrap()
    };
    // gcloud user credentials (authorized_user with a refresh token).
    let user = g
        .emu
        .post(
            "/_emu/gcp/authorized-users",
            json!({"quota_project_id": "acme-billing"}),
        )
        .await;
    let gcloud = g.dir.path().join("application_default_credentials.json");
    std::fs::write(&gcloud, user.to_string()).unwrap();
    let s = read(AdcSettings {
        credentials_file: None,
        gcloud_adc_file: Some(gcloud),
        metadata_host: Some("127.0.0.1:1".into()),
    });
    assert_eq!(all(&s, &FULL).await.len(), 4);
    let last = g.lists().await.pop().unwrap();
    assert_eq!(last["headers"]["x-goog-user-project"], "acme-billing");

    // Workload identity federation: STS exchange of a subject token from a file.
    let subject = g.dir.path().join("subject.jwt");
    let ext = g
        .emu
        .post(
            "/_emu/gcp/external-accounts",
            json!({"credential_file": subject.to_str().unwrap()}),
        )
        .await;
    std::fs::write(
        &subject,
        format!("{}\n", ext["subject_token"].as_str().unwrap()),
    )
    .unwrap();
    let ext_file = g.dir.path().join("wif.json");
    std::fs::write(&ext_file, ext["credentials"].to_string()).unwrap();
    let s = read(AdcSettings {
        credentials_file: Some(ext_file),
        ..AdcSettings::default()
    });
    assert_eq!(all(&s, &FULL).await.len(), 4);
    // … and from a URL, impersonating the service account.
    let ext = g
        .emu
        .post(
            "/_emu/gcp/external-accounts",
            json!({"impersonate": g.email}),
        )
        .await;
    let ext_file = g.dir.path().join("wif-imp.json");
    std::fs::write(&ext_file, ext["credentials"].to_string()).unwrap();
    let s = read(AdcSettings {
        credentials_file: Some(ext_file),
        ..AdcSettings::default()
    });
    assert_eq!(all(&s, &FULL).await.len(), 4);
    let reqs = g.emu.requests().await;
    assert!(reqs.iter().any(|r| r["path"] == "/v1/token"));
    assert!(reqs.iter().any(|r| {
        r["path"]
            .as_str()
            .unwrap()
            .ends_with(":generateAccessToken")
    }));

    // The metadata server (GCE_METADATA_HOST).
    let s = read(AdcSettings {
        metadata_host: Some(host),
        ..AdcSettings::default()
    });
    assert_eq!(all(&s, &FULL).await.len(), 4);
    let md = g
        .emu
        .requests()
        .await
        .into_iter()
        .find(|r| r["path"] == "/computeMetadata/v1/instance/service-accounts/default/token")
        .unwrap();
    assert_eq!(md["headers"]["metadata-flavor"], "Google");
}
