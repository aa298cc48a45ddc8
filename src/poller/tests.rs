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
            SourceEvent::Health { source, health } if source == "bad" => bad_health.push(health),
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
    let (items, skipped) = fetch_all(
        &src,
        &Query::Full {
            include_archived: false,
        },
    )
    .await
    .unwrap();
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
