//! The rules thread of the service: nothing is evaluated (or baselined) while the hub is
//! still loading the cache; the loaded fleet is.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::*;
use crate::config::Config;
use crate::hub::Snapshot;
use crate::sources::memory::sample_finding;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_wait_for_the_cache_to_be_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::parse(
        "[[notify.channel]]\nname = \"siem\"\nkind = \"webhook\"\nurl = \"http://127.0.0.1:9/hook\"\nsecret_env = \"HUBBLE_TEST_UNUSED\"\nrate_per_sec = 0\n\n[[notify.rule]]\nname = \"all\"\nwhen = \"\"\nto = [\"siem\"]\nnotify_existing = true\n",
        Path::new("c.toml"),
    )
    .unwrap();
    let store = dir.path().join("h.db");
    let audit = crate::audit::AuditLog::open(&dir.path().join("audit.jsonl"), None, None).unwrap();
    let ctx = Context {
        settings: Arc::new(Settings::from_config(&cfg.notify).unwrap()),
        store_path: store.clone(),
        audit: Arc::new(Mutex::new(audit)),
        actor: "tester".into(),
        clock: crate::notify::clock::system(),
        demo: false,
        read_only: false,
        evaluate: true,
        grace: Duration::from_millis(100),
    };
    let findings: Vec<_> = (0..5).map(|i| Arc::new(sample_finding(i, 1))).collect();
    let half = Snapshot {
        version: 1,
        findings: Arc::new(findings[..2].to_vec().into()),
        loading: Some((2, 5)),
        ..Snapshot::default()
    };
    let (tx, rx) = watch::channel(Arc::new(half));
    let handle = spawn(ctx, rx).unwrap();
    let outbox = Outbox::open(&store, None, "reader").unwrap();
    let entries = |o: &Outbox| o.list(100).unwrap().len();
    // Two evaluation rounds (one a second) with the cache half read: nothing enqueued.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(entries(&outbox), 0, "evaluated a half-loaded cache");
    tx.send(Arc::new(Snapshot {
        version: 2,
        findings: Arc::new(findings.clone().into()),
        ..Snapshot::default()
    }))
    .unwrap();
    let start = Instant::now();
    while entries(&outbox) < 5 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the loaded fleet was not evaluated"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    handle.shutdown().await;
}
