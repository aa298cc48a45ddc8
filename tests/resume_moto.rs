//! An interrupted first sync resumes against moto: the console is stopped after two pages of
//! a full read, the provider changes meanwhile, and a fresh poller started from the store's
//! checkpoint continues with an `UpdatedAt >= checkpoint` read (moto's request log shows it
//! never re-reads the first pages); at the end the store holds exactly the provider's active
//! findings.

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use agent_hubble::hub::{Hub, HubInput};
use agent_hubble::model::{format_rfc3339, now_ms, parse_timestamp};
use agent_hubble::poller::{Poller, Resume, Settings, SourceEvent, SyncProgress};
use agent_hubble::sources::aws_securityhub::SecurityHubSource;
use agent_hubble::sources::{NormalizedPage, Query, RateLimit, Source, SourceError, SourceInfo};
use agent_hubble::store::Store;
use futures::future::BoxFuture;
use serde_json::Value;
use support::*;
use tokio::sync::mpsc;

const KEY: &str = "aws/prod/us-east-1";
const N: usize = 450;

/// Passes `left` pages through, then hangs: the console stopped mid-read.
struct Halt {
    inner: Arc<dyn Source>,
    left: AtomicUsize,
}

impl Source for Halt {
    fn info(&self) -> &SourceInfo {
        self.inner.info()
    }
    fn fetch_page<'a>(
        &'a self,
        query: &'a Query,
        token: Option<String>,
    ) -> BoxFuture<'a, Result<NormalizedPage, SourceError>> {
        if self
            .left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_err()
        {
            return Box::pin(futures::future::pending());
        }
        self.inner.fetch_page(query, token)
    }
    fn rate_limit(&self) -> RateLimit {
        self.inner.rate_limit()
    }
    fn resumable(&self) -> bool {
        self.inner.resumable()
    }
}

/// One console run on the store at `path`: polls until its full read is done, or until
/// `stop_after` checkpoints were applied (then it is stopped). Returns the progress reported.
async fn run(
    path: &std::path::Path,
    src: Arc<dyn Source>,
    stop_after: Option<usize>,
) -> Vec<SyncProgress> {
    let store = Store::open(path).unwrap();
    let resume = Resume::from_state(&store.source_state(KEY).unwrap());
    let (mut hub, _rx) = Hub::new(Some(store), &[src.info().clone()]);
    let (tx, mut rx) = mpsc::channel(4);
    let poller = Poller::spawn(vec![src], move |_| resume, Settings::default(), tx);
    let (mut checkpoints, mut progress) = (0, Vec::new());
    loop {
        let ev = rx.recv().await.unwrap();
        checkpoints += matches!(ev, SourceEvent::Checkpoint { .. }) as usize;
        let done = matches!(ev, SourceEvent::SyncDone { .. });
        if let SourceEvent::Health { health, .. } = &ev {
            progress.extend(health.progress);
        }
        hub.apply(HubInput::Source(ev));
        if stop_after.map_or(done, |n| checkpoints == n) {
            break;
        }
    }
    poller.shutdown();
    progress
}

fn at(i: usize) -> String {
    format_rfc3339(parse_timestamp("2026-11-20T10:00:00.000Z").unwrap() + i as i64 * 1_000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_first_sync_resumes_where_it_stopped() {
    let moto = Moto::start();
    let client = moto.client(ACCOUNT_A, "us-east-1").await;
    // 450 findings, one second apart: 5 pages oldest first.
    let findings: Vec<Value> = (0..N)
        .map(|i| asff(ACCOUNT_A, "us-east-1", i, "EC2.19", "HIGH", &at(i)))
        .collect();
    seed(&client, &findings).await;
    let real: Arc<dyn Source> =
        Arc::new(SecurityHubSource::connect(&moto.target("prod", ACCOUNT_A, "us-east-1")).await);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hubble.db");

    // A first run completes (its count is the next read's estimate); the next console is
    // stopped after two pages of its own full read.
    run(&path, real.clone(), None).await;
    assert_eq!(Store::open(&path).unwrap().count(), N);
    let halted = Arc::new(Halt {
        inner: real.clone(),
        left: AtomicUsize::new(2),
    });
    run(&path, halted, Some(2)).await;

    // Meanwhile the provider archives one finding already read and one not yet read (its
    // way of deleting them), and adds one.
    let now = format_rfc3339(now_ms());
    let mut gone = Vec::new();
    for i in [50, 400] {
        let mut f = findings[i].clone();
        f["RecordState"] = "ARCHIVED".into();
        f["UpdatedAt"] = now.clone().into();
        gone.push(f);
    }
    gone.push(asff(ACCOUNT_A, "us-east-1", 999, "S3.8", "CRITICAL", &now));
    seed(&client, &gone).await;
    moto.clear_requests().await;

    let st = Store::open(&path).unwrap().source_state(KEY).unwrap();
    let cp = st.checkpoint.expect("the stopped read left a checkpoint");
    assert_eq!((cp.pages, cp.findings), (2, 200));
    assert_eq!(format_rfc3339(cp.updated_at), at(199));

    let progress = run(&path, real.clone(), None).await;
    assert!(progress[0].resumed, "{progress:?}");
    assert_eq!(
        (progress[0].pages, progress[0].findings, progress[0].total),
        (2, 200, Some(N as u64)),
        "counts on from the checkpoint, against the previous read's count"
    );

    let reads = moto
        .requests(&format!(
            "service=securityhub&operation=GetFindings&account={ACCOUNT_A}"
        ))
        .await;
    // From the checkpoint on: 251 (199..=449, the boundary read again) + 2 archived + 1 new
    // = 254 findings, 3 pages instead of 5.
    assert_eq!(reads.len(), 3, "{reads:#?}");
    for r in &reads {
        let body = &r["body"];
        assert_eq!(
            body["Filters"]["UpdatedAt"][0]["Start"].as_str(),
            Some(at(199).as_str()),
            "every page of the resumed read starts at the checkpoint: {body}"
        );
        assert!(
            body["Filters"].get("RecordState").is_none(),
            "a resumed read sees archived findings: {body}"
        );
        assert_eq!(
            body["SortCriteria"],
            serde_json::json!([{"Field": "UpdatedAt", "SortOrder": "asc"}])
        );
    }

    // The store now holds exactly the provider's active findings.
    let mut provider = BTreeSet::new();
    let mut token = None;
    loop {
        let page = client
            .get_findings()
            .filters(
                aws_sdk_securityhub::types::AwsSecurityFindingFilters::builder()
                    .record_state(
                        aws_sdk_securityhub::types::StringFilter::builder()
                            .value("ACTIVE")
                            .comparison(aws_sdk_securityhub::types::StringFilterComparison::Equals)
                            .build(),
                    )
                    .build(),
            )
            .max_results(100)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        provider.extend(
            page.findings()
                .iter()
                .filter_map(|f| f.id().map(str::to_owned)),
        );
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(provider.len(), N - 2 + 1);
    let store = Store::open(&path).unwrap();
    let (cached, bad) = store.load_findings().unwrap();
    assert_eq!(bad, 0);
    let cached: BTreeSet<String> = cached.into_iter().map(|f| f.id).collect();
    assert_eq!(cached, provider);
    let st = store.source_state(KEY).unwrap();
    assert_eq!(st.checkpoint, None);
    assert_eq!(st.last_full_count, Some((N - 1) as u64));
}
