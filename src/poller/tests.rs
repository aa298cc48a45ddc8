use super::*;
use crate::sources::memory::{MemorySource, sample_finding};

fn settings() -> Settings {
    Settings {
        interval: Duration::from_secs(10),
        reconcile: Duration::from_secs(100),
        overlap: Duration::from_secs(5),
        min_backoff: Duration::from_secs(2),
        max_backoff: Duration::from_secs(60),
        include_archived: false,
        max_concurrent: DEFAULT_MAX_CONCURRENT,
    }
}

async fn next_done(rx: &mut mpsc::Receiver<SourceEvent>, key: &str) -> (SyncKind, usize) {
    let mut upserted = 0;
    loop {
        match rx.recv().await.expect("channel open") {
            SourceEvent::Upsert { source, items, .. } if source == key => upserted += items.len(),
            SourceEvent::SyncDone { source, kind, .. } if source == key => return (kind, upserted),
            _ => {}
        }
    }
}

#[tokio::test(start_paused = true)]
async fn full_then_incremental_then_reconcile() {
    let src = MemorySource::new("m");
    let now = now_ms();
    // 10 s apart: only the newest lies inside the 5 s overlap before the watermark.
    for i in 0..250 {
        src.put(sample_finding(i, now - 3_600_000 - i as i64 * 10_000));
    }
    let (tx, mut rx) = mpsc::channel(4);
    let p = Poller::spawn(
        vec![Arc::new(src.clone())],
        |_| Resume::default(),
        settings(),
        tx,
    );
    assert_eq!(next_done(&mut rx, "m").await, (SyncKind::Full, 250));
    // The new finding comes back incrementally, plus the one inside the overlap window.
    src.put(sample_finding(999, now_ms()));
    assert_eq!(next_done(&mut rx, "m").await, (SyncKind::Incremental, 2));
    tokio::time::advance(Duration::from_secs(100)).await;
    let mut kinds = Vec::new();
    for _ in 0..12 {
        kinds.push(next_done(&mut rx, "m").await.0);
        if kinds.last() == Some(&SyncKind::Reconcile) {
            break;
        }
    }
    assert_eq!(kinds.last(), Some(&SyncKind::Reconcile), "{kinds:?}");
    p.shutdown();
}

#[tokio::test(start_paused = true)]
async fn a_failing_source_backs_off_while_others_keep_working() {
    let good = MemorySource::new("good");
    let bad = MemorySource::new("bad");
    good.put(sample_finding(1, now_ms()));
    bad.fail_next(
        3,
        crate::sources::SourceError::Throttled("slow down".into()),
    );
    let (tx, mut rx) = mpsc::channel(16);
    let p = Poller::spawn(
        vec![Arc::new(good.clone()), Arc::new(bad.clone())],
        |_| Resume::default(),
        settings(),
        tx,
    );
    let mut good_syncs = 0;
    let mut bad_health = Vec::new();
    while good_syncs < 3 {
        match rx.recv().await.unwrap() {
            SourceEvent::SyncDone { source, .. } if source == "good" => good_syncs += 1,
            // Progress reports of the first full read are not failures.
            SourceEvent::Health { source, health }
                if source == "bad" && health.progress.is_none() =>
            {
                bad_health.push(health)
            }
            _ => {}
        }
    }
    assert!(bad_health.len() >= 2, "{bad_health:?}");
    assert_eq!(bad_health[0].state, HealthState::Throttled);
    assert_eq!(
        bad_health[0].last_error.as_deref(),
        Some("throttled: slow down")
    );
    assert_eq!(bad_health[1].failures, 2, "consecutive failures counted");
    // Backoff: 3 failures within ~2+4 s, then a success.
    loop {
        if let SourceEvent::Health { source, health } = rx.recv().await.unwrap()
            && source == "bad"
            && health.state == HealthState::Ok
        {
            assert_eq!(health.failures, 0);
            break;
        }
    }
    assert!(bad.calls() >= 4, "three failures then a success");
    p.shutdown();
}

#[test]
fn backoff_grows_and_is_capped() {
    let s = settings();
    let b1 = backoff(&s, 1).as_secs_f64();
    let b3 = backoff(&s, 3).as_secs_f64();
    let b30 = backoff(&s, 30).as_secs_f64();
    assert!((1.6..=2.4).contains(&b1), "{b1}");
    assert!((6.4..=9.6).contains(&b3), "{b3}");
    assert!((48.0..=60.0).contains(&b30), "{b30}");
}

#[tokio::test]
async fn fetch_all_pages_through() {
    let src = MemorySource::new("m");
    for i in 0..305 {
        src.put(sample_finding(i, 1_000 + i as i64));
    }
    let (items, skipped) = fetch_all(&src, &Query::full(false)).await.unwrap();
    assert_eq!((items.len(), skipped.len()), (305, 0));
    assert_eq!(src.calls(), 4);
}

/// A source of local files in miniature: a short interval of its own and a `changed` check.
struct Watched {
    inner: MemorySource,
    changed: Arc<std::sync::atomic::AtomicBool>,
}

impl Source for Watched {
    fn info(&self) -> &crate::sources::SourceInfo {
        self.inner.info()
    }

    fn fetch_page<'a>(
        &'a self,
        query: &'a Query,
        token: Option<String>,
    ) -> futures::future::BoxFuture<'a, Result<crate::sources::NormalizedPage, SourceError>> {
        self.inner.fetch_page(query, token)
    }

    fn incremental(&self) -> bool {
        false
    }

    fn poll_interval(&self) -> Option<Duration> {
        Some(Duration::from_secs(1))
    }

    fn changed(&self) -> futures::future::BoxFuture<'_, bool> {
        let c = self
            .changed
            .swap(false, std::sync::atomic::Ordering::SeqCst);
        Box::pin(async move { c })
    }
}

#[tokio::test(start_paused = true)]
async fn a_source_interval_and_its_changed_check() {
    let inner = MemorySource::new("w");
    inner.put(sample_finding(1, now_ms()));
    let changed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let src = Watched {
        inner: inner.clone(),
        changed: changed.clone(),
    };
    let (tx, mut rx) = mpsc::channel(16);
    // The configured interval is 10 s; the source asks for 1 s.
    let p = Poller::spawn(vec![Arc::new(src)], |_| Resume::default(), settings(), tx);
    assert_eq!(next_done(&mut rx, "w").await, (SyncKind::Full, 1));
    // Nothing changed: no read at all, however long.
    let idle = tokio::time::timeout(Duration::from_secs(30), next_done(&mut rx, "w")).await;
    assert!(idle.is_err(), "an unchanged source was read: {idle:?}");
    assert_eq!(inner.calls(), 1);
    // A change is picked up at the source's interval, not the configured one.
    let t = tokio::time::Instant::now();
    changed.store(true, std::sync::atomic::Ordering::SeqCst);
    inner.put(sample_finding(2, now_ms()));
    assert_eq!(next_done(&mut rx, "w").await, (SyncKind::Full, 2));
    assert!(
        t.elapsed() <= Duration::from_millis(1_100),
        "{:?}",
        t.elapsed()
    );
    // A refresh reads even when nothing changed.
    tokio::time::sleep(Duration::from_millis(100)).await;
    p.refresh();
    assert_eq!(next_done(&mut rx, "w").await, (SyncKind::Full, 2));
    assert_eq!(inner.calls(), 3);
    // While failing it is retried at least every 5 of its intervals, not after a backoff
    // that grows to the configured maximum (60 s here: 2+4+8+16+32+60 s for six failures).
    tokio::time::sleep(Duration::from_millis(100)).await;
    inner.fail_next(6, SourceError::Other("broken file".into()));
    let t = tokio::time::Instant::now();
    p.refresh();
    assert_eq!(next_done(&mut rx, "w").await, (SyncKind::Full, 2));
    assert_eq!(inner.calls(), 3 + 7);
    assert!(t.elapsed() <= Duration::from_secs(31), "{:?}", t.elapsed());
    p.shutdown();
}

/// Applies events to `hub` until `stop` says so; returns the events applied.
async fn drive(
    rx: &mut mpsc::Receiver<SourceEvent>,
    hub: &mut crate::hub::Hub,
    mut stop: impl FnMut(&SourceEvent) -> bool,
) {
    loop {
        let ev = rx.recv().await.expect("channel open");
        let done = stop(&ev);
        hub.apply(crate::hub::HubInput::Source(ev));
        if done {
            return;
        }
    }
}

fn info(key: &str) -> crate::sources::SourceInfo {
    crate::sources::SourceInfo {
        key: key.into(),
        provider: crate::model::Provider::Demo,
        name: key.into(),
        region: "us-east-1".into(),
    }
}

/// A full read stopped after three pages (the console was killed) continues from the
/// checkpoint after a restart: it does not read those pages again, and what is gone on the
/// provider's side (archived meanwhile, or no longer returned) is removed at the end.
#[tokio::test(start_paused = true)]
async fn an_interrupted_full_read_resumes_from_its_checkpoint() {
    use crate::hub::Hub;
    use crate::store::Store;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let src = MemorySource::new("m").resumable().with_page_size(10);
    let base = now_ms() - 3_600_000;
    for i in 0..50 {
        src.put(sample_finding(i, base + i as i64 * 1_000));
    }
    // Two runs of the console: the first completes its full read (everything is cached), the
    // second is killed after three pages of its own.
    for stop_after in [None, Some(3)] {
        let resume = Resume::from_state(&Store::open(&path).unwrap().source_state("m").unwrap());
        let (mut hub, _rx) = Hub::new(Some(Store::open(&path).unwrap()), &[info("m")]);
        let (tx, mut rx) = mpsc::channel(4);
        let p = Poller::spawn(vec![Arc::new(src.clone())], move |_| resume, settings(), tx);
        let mut checkpoints = 0;
        drive(&mut rx, &mut hub, |ev| {
            checkpoints += matches!(ev, SourceEvent::Checkpoint { .. }) as usize;
            match stop_after {
                Some(n) => checkpoints == n,
                None => matches!(ev, SourceEvent::SyncDone { .. }),
            }
        })
        .await;
        p.shutdown();
        // Reads that begin in the same millisecond would share a mark.
        std::thread::sleep(Duration::from_millis(5));
    }
    // Meanwhile: one finding already read is archived, one not yet read is gone, one is new.
    let mut archived = sample_finding(5, now_ms());
    archived.record_state = crate::model::RecordState::Archived;
    src.put(archived);
    src.remove("f-000045");
    src.put(sample_finding(99, now_ms()));

    let store = Store::open(&path).unwrap();
    assert_eq!(store.count(), 50);
    let resume = Resume::from_state(&store.source_state("m").unwrap());
    let cp = resume.checkpoint.expect("a checkpoint was kept");
    assert_eq!((cp.pages, cp.findings), (3, 30));
    assert_eq!(
        cp.updated_at,
        base + 29_000,
        "the last complete page's UpdatedAt"
    );
    assert_eq!(resume.last_full_count, Some(50));
    let asked = src.queries().len();
    let (mut hub, _rx) = Hub::new(Some(store), &[info("m")]);
    let (tx, mut rx) = mpsc::channel(4);
    let p = Poller::spawn(vec![Arc::new(src.clone())], |_| resume, settings(), tx);
    let mut progress = Vec::new();
    drive(&mut rx, &mut hub, |ev| {
        if let SourceEvent::Health { health, .. } = ev {
            progress.extend(health.progress);
        }
        matches!(ev, SourceEvent::SyncDone { .. })
    })
    .await;
    p.shutdown();
    let queries = src.queries()[asked..].to_vec();
    assert_eq!(
        queries[0],
        (
            Query::Full {
                include_archived: false,
                from: Some(base + 29_000)
            },
            None
        ),
        "continues at the checkpoint, inclusive"
    );
    // 22 findings from the checkpoint on (29..=49 but 45, plus 5 and 99): 3 pages, not 6.
    assert_eq!(queries.len(), 3, "{queries:?}");
    assert!(progress[0].resumed, "{progress:?}");
    assert_eq!(
        (progress[0].pages, progress[0].findings, progress[0].total),
        (3, 30, Some(50))
    );
    hub.publish();
    let mut ids: Vec<String> = hub
        .snapshot()
        .findings
        .iter()
        .map(|f| f.id.clone())
        .collect();
    ids.sort();
    let mut want: Vec<String> = (0..50)
        .filter(|i| *i != 5 && *i != 45)
        .chain([99])
        .map(|i| format!("f-{i:06}"))
        .collect();
    want.sort();
    assert_eq!(ids, want);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.count(), 49, "the store agrees");
    let st = store.source_state("m").unwrap();
    assert_eq!(st.checkpoint, None, "a completed read leaves no checkpoint");
    assert_eq!(st.last_full_count, Some(49));
}

/// Full reads report progress in their health: pages, findings, the total expected (the
/// previous read's count, else the provider's estimate) and an ETA.
#[tokio::test(start_paused = true)]
async fn full_reads_report_progress_with_an_estimate() {
    for (resume, want) in [
        (Resume::default(), Some(40)),
        (
            Resume {
                last_full_count: Some(30),
                ..Resume::default()
            },
            Some(30),
        ),
    ] {
        let src = MemorySource::new("m").with_page_size(10).with_estimate(40);
        for i in 0..30 {
            src.put(sample_finding(i, 1_000 + i as i64));
        }
        let (tx, mut rx) = mpsc::channel(64);
        let p = Poller::spawn(vec![Arc::new(src.clone())], move |_| resume, settings(), tx);
        let mut reports = Vec::new();
        loop {
            match rx.recv().await.unwrap() {
                SourceEvent::Health { health, .. } => match health.progress {
                    Some(p) => reports.push(p),
                    None => {
                        assert_eq!(health.state, HealthState::Ok);
                        break;
                    }
                },
                SourceEvent::SyncDone { kind, .. } => assert_eq!(kind, SyncKind::Full),
                _ => {}
            }
        }
        p.shutdown();
        let first = reports[0];
        assert_eq!(
            (first.kind, first.pages, first.findings, first.resumed),
            (SyncKind::Full, 0, 0, false)
        );
        assert_eq!(first.total, want);
        assert!(first.eta_secs.is_some());
    }
}

/// However many sources, at most `max_concurrent` syncs run at once.
#[tokio::test(start_paused = true)]
async fn syncs_are_capped_across_sources() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    struct Slow {
        inner: MemorySource,
        now: Arc<AtomicUsize>,
        max: Arc<AtomicUsize>,
    }
    impl Source for Slow {
        fn info(&self) -> &crate::sources::SourceInfo {
            self.inner.info()
        }
        fn fetch_page<'a>(
            &'a self,
            query: &'a Query,
            token: Option<String>,
        ) -> futures::future::BoxFuture<'a, Result<crate::sources::NormalizedPage, SourceError>>
        {
            Box::pin(async move {
                let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
                self.max.fetch_max(n, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(1)).await;
                self.now.fetch_sub(1, Ordering::SeqCst);
                self.inner.fetch_page(query, token).await
            })
        }
    }
    let now = Arc::new(AtomicUsize::new(0));
    let max = Arc::new(AtomicUsize::new(0));
    let sources: Vec<Arc<dyn Source>> = (0..10)
        .map(|i| {
            let inner = MemorySource::new(&format!("s{i}"));
            inner.put(sample_finding(i, 1_000));
            Arc::new(Slow {
                inner,
                now: now.clone(),
                max: max.clone(),
            }) as Arc<dyn Source>
        })
        .collect();
    let (tx, mut rx) = mpsc::channel(64);
    let mut s = settings();
    s.max_concurrent = 3;
    let p = Poller::spawn(sources, |_| Resume::default(), s, tx);
    let mut done = HashSet::new();
    while done.len() < 10 {
        if let SourceEvent::SyncDone { source, .. } = rx.recv().await.unwrap() {
            done.insert(source);
        }
    }
    p.shutdown();
    assert_eq!(max.load(Ordering::SeqCst), 3);
}
