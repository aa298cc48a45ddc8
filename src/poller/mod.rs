//! Schedules every source: one task per source (account × region), full sync first, then
//! incremental `UpdatedAt` windows with an overlap, and a periodic reconcile that re-reads
//! everything (BatchUpdateFindings edits by others do not move UpdatedAt). Errors back off
//! exponentially per source; one failing source never stalls another. At most
//! `max_concurrent` syncs run at once across all sources (on top of each source's own rate
//! limit); a source between polls is a sleeping task. Output goes through a bounded channel,
//! so a slow consumer slows the pollers instead of growing memory.
//!
//! Full reads report progress (in `Health`) and, for resumable sources, a checkpoint after
//! every page: a restart continues an interrupted full read where it stopped. Which findings
//! a full read did not return is worked out by the hub from marks in the store
//! ([`SourceEvent::SyncStarted`]), not from a set of ids held here.

mod limiter;
pub mod progress;
mod types;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use tokio::sync::{Notify, Semaphore, mpsc};
use tokio::task::JoinHandle;

pub use limiter::Limiter;
pub use progress::{Checkpoint, SyncProgress, eta};
pub use types::*;

use crate::model::{RecordState, now_ms};
use crate::sources::{Normalized, Query, Source, SourceError};

/// Running pollers; dropping it does not stop them, `shutdown` does.
pub struct Poller {
    tasks: Vec<JoinHandle<()>>,
    refresh: Arc<Notify>,
}

impl Poller {
    pub fn spawn(
        sources: Vec<Arc<dyn Source>>,
        resume: impl Fn(&str) -> Resume,
        settings: Settings,
        tx: mpsc::Sender<SourceEvent>,
    ) -> Poller {
        let refresh = Arc::new(Notify::new());
        let permits = Arc::new(Semaphore::new(settings.max_concurrent.max(1)));
        let tasks = sources
            .into_iter()
            .map(|s| {
                let r = resume(&s.info().key);
                let task = SourceTask::new(
                    s,
                    settings.clone(),
                    tx.clone(),
                    r,
                    refresh.clone(),
                    permits.clone(),
                );
                tokio::spawn(task.run())
            })
            .collect();
        Poller { tasks, refresh }
    }

    /// Polls every source now (the `r` key).
    pub fn refresh(&self) {
        self.refresh.notify_waiters();
    }

    pub fn refresh_handle(&self) -> Arc<Notify> {
        self.refresh.clone()
    }

    pub fn shutdown(&self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

struct SourceTask {
    source: Arc<dyn Source>,
    settings: Settings,
    tx: mpsc::Sender<SourceEvent>,
    limiter: Limiter,
    refresh: Arc<Notify>,
    health: Health,
    watermark: Option<i64>,
    last_full: Option<tokio::time::Instant>,
    /// Shared by every source: a sync runs while it holds one.
    permits: Arc<Semaphore>,
    /// Where the current full read stands (resumable sources): kept across errors, so a
    /// retry continues instead of starting over.
    checkpoint: Option<Checkpoint>,
    last_full_count: Option<u64>,
}

/// Least time between two progress reports of one source.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

/// Why a sync stopped early.
enum Stop {
    Source(SourceError),
    /// The consumer went away: the program is shutting down.
    Closed,
}

impl SourceTask {
    fn new(
        source: Arc<dyn Source>,
        settings: Settings,
        tx: mpsc::Sender<SourceEvent>,
        resume: Resume,
        refresh: Arc<Notify>,
        permits: Arc<Semaphore>,
    ) -> Self {
        let limiter = Limiter::new(source.rate_limit());
        let checkpoint = resume.checkpoint.filter(|_| source.resumable());
        SourceTask {
            source,
            settings,
            tx,
            limiter,
            refresh,
            health: Health::default(),
            watermark: resume.watermark,
            last_full: None,
            permits,
            checkpoint,
            last_full_count: resume.last_full_count,
        }
    }

    fn key(&self) -> String {
        self.source.info().key.clone()
    }

    fn next_kind(&self) -> SyncKind {
        match self.last_full {
            None => SyncKind::Full,
            Some(t) if t.elapsed() >= self.settings.reconcile => SyncKind::Reconcile,
            Some(_) => SyncKind::Incremental,
        }
    }

    /// The source's own interval when it asks for a shorter one.
    fn interval(&self) -> Duration {
        match self.source.poll_interval() {
            Some(i) => i.min(self.settings.interval),
            None => self.settings.interval,
        }
    }

    /// Sleeps `wait`; true when woken by a refresh instead.
    async fn wait(&self, wait: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(wait) => false,
            _ = self.refresh.notified() => true,
        }
    }

    async fn run(mut self) {
        let mut refreshed = false;
        loop {
            let kind = self.next_kind();
            // A scheduled poll of a healthy source that says nothing changed is skipped.
            if kind == SyncKind::Incremental
                && !refreshed
                && self.health.state == HealthState::Ok
                && !self.source.changed().await
            {
                refreshed = self.wait(self.interval()).await;
                continue;
            }
            let wait = match self.sync(kind).await {
                Ok(()) => {
                    // A source that read only part of what it should (a repository it cannot
                    // see) polls on schedule but shows the error.
                    let partial = self.source.partial_error();
                    if let Some(p) = &partial {
                        tracing::warn!(source = %self.key(), "partly read: {p}");
                    }
                    self.health = Health {
                        state: if partial.is_some() {
                            HealthState::Error
                        } else {
                            HealthState::Ok
                        },
                        last_error: partial,
                        last_ok: Some(now_ms()),
                        failures: 0,
                        api: None,
                        progress: None,
                    };
                    self.interval()
                }
                Err(Stop::Closed) => return,
                Err(Stop::Source(e)) => {
                    self.health.failures += 1;
                    self.health.state = if e.is_throttle() {
                        HealthState::Throttled
                    } else {
                        HealthState::Error
                    };
                    self.health.last_error = Some(e.to_string());
                    self.health.progress = None;
                    tracing::warn!(source = %self.key(), "poll failed: {e}");
                    let wait = backoff(&self.settings, self.health.failures);
                    // A source with its own short interval (local files) is cheap to retry:
                    // a fixed file must not wait out a long backoff.
                    match self.source.poll_interval() {
                        Some(i) => wait.min(i * 5),
                        None => wait,
                    }
                }
            };
            self.health.api = self.source.api();
            let ev = SourceEvent::Health {
                source: self.key(),
                health: self.health.clone(),
            };
            if self.tx.send(ev).await.is_err() {
                return;
            }
            refreshed = self.wait(wait).await;
        }
    }

    async fn sync(&mut self, kind: SyncKind) -> Result<(), Stop> {
        // The semaphore is never closed; should it be, the sync runs without a permit.
        let _permit = self.permits.clone().acquire_owned().await.ok();
        match (kind, self.watermark) {
            (SyncKind::Incremental, Some(w)) if self.source.incremental() => {
                self.incremental(w - self.settings.overlap.as_millis() as i64)
                    .await
            }
            // No watermark yet, or a source that cannot list by update time: a full read,
            // which counts as one.
            (SyncKind::Incremental, _) => self.full(SyncKind::Full).await,
            _ => self.full(kind).await,
        }
    }

    async fn send(&self, ev: SourceEvent) -> Result<(), Stop> {
        self.tx.send(ev).await.map_err(|_| Stop::Closed)
    }

    async fn incremental(&mut self, since: i64) -> Result<(), Stop> {
        let started_at = now_ms();
        let query = Query::UpdatedSince(since);
        let mut newest: Option<i64> = None;
        let mut token = None;
        loop {
            self.limiter.acquire().await;
            let page = self
                .source
                .fetch_page(&query, token.take())
                .await
                .map_err(Stop::Source)?;
            for n in &page.items {
                let u = n.finding.updated_at;
                newest = Some(newest.map_or(u, |m: i64| m.max(u)));
            }
            token = page.next_token;
            self.upsert(page.items, page.skipped).await?;
            if token.is_none() {
                break;
            }
        }
        self.advance_watermark(newest, started_at);
        self.send(SourceEvent::SyncDone {
            source: self.key(),
            kind: SyncKind::Incremental,
            started_at,
            seen: None,
            watermark: self.watermark,
        })
        .await
    }

    async fn upsert(&self, items: Vec<Normalized>, skipped: Vec<String>) -> Result<(), Stop> {
        if !skipped.is_empty() {
            tracing::warn!(source = %self.key(), "skipped {} malformed findings: {:?}", skipped.len(), skipped.first());
        }
        if items.is_empty() && skipped.is_empty() {
            return Ok(());
        }
        self.send(SourceEvent::Upsert {
            source: self.key(),
            items,
            skipped,
        })
        .await
    }

    /// A full read (first sync or reconcile): every page is upserted, the hub marks what it
    /// gets, checkpoints follow each page, progress is reported, and at the end the hub drops
    /// what the read did not return.
    async fn full(&mut self, kind: SyncKind) -> Result<(), Stop> {
        let run_started = tokio::time::Instant::now();
        let run_started_ms = now_ms();
        let resumed = self.checkpoint;
        let started_at = resumed.map_or_else(now_ms, |c| c.started_at);
        let include_archived = self.settings.include_archived;
        let query = Query::Full {
            include_archived,
            from: resumed.map(|c| c.updated_at),
        };
        self.send(SourceEvent::SyncStarted {
            source: self.key(),
            kind,
            started_at,
            resumed,
        })
        .await?;
        if let Some(c) = &resumed {
            tracing::info!(source = %self.key(), "continuing the {} read begun at {} from page {}", c.kind.as_str(), c.started_at, c.pages);
        }
        let estimate = match self.last_full_count {
            Some(n) => Some(n),
            None => match self.source.estimate_total(include_archived).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::debug!(source = %self.key(), "no estimate of the findings: {e}");
                    None
                }
            },
        };
        let mut tracker =
            progress::Tracker::new(kind, resumed.as_ref(), estimate, self.source.rate_limit());
        // The first sync (or a resumed one) shows at once; later full reads (reconciles, and
        // every poll of a source that cannot list incrementally) only once they take a while.
        if self.last_full.is_none() || resumed.is_some() {
            self.report(&tracker).await?;
        }
        let mut reported = tokio::time::Instant::now();
        let mut newest: Option<i64> = None;
        let mut token = None;
        loop {
            self.limiter.acquire().await;
            let page = self
                .source
                .fetch_page(&query, token.take())
                .await
                .map_err(Stop::Source)?;
            let last = page.items.iter().map(|n| n.finding.updated_at).max();
            let mut items = page.items;
            let mut gone = Vec::new();
            if resumed.is_some() && !include_archived {
                // A resumed read takes every record state: a finding archived while the read
                // was stopped may have been read (and marked) before, so it is dropped here.
                items.retain(|n| {
                    let archived = n.finding.record_state == RecordState::Archived;
                    if archived {
                        gone.push(n.finding.id.clone());
                    }
                    !archived
                });
            }
            for n in &items {
                let u = n.finding.updated_at;
                newest = Some(newest.map_or(u, |m: i64| m.max(u)));
            }
            tracker.page(items.len());
            token = page.next_token;
            self.upsert(items, page.skipped).await?;
            if !gone.is_empty() {
                self.send(SourceEvent::Gone {
                    source: self.key(),
                    ids: gone,
                })
                .await?;
            }
            if self.source.resumable() {
                // Oldest first: everything before `last` has been read. A finding stamped in
                // the future (clock skew) must not move the checkpoint past now.
                let prev = self.checkpoint.map(|c| c.updated_at);
                let at = last.map(|l| l.min(now_ms())).max(prev);
                if let Some(updated_at) = at {
                    let cp = Checkpoint {
                        kind,
                        started_at,
                        updated_at,
                        pages: tracker.pages(),
                        findings: tracker.findings(),
                    };
                    self.checkpoint = Some(cp);
                    self.send(SourceEvent::Checkpoint {
                        source: self.key(),
                        checkpoint: cp,
                    })
                    .await?;
                }
            }
            if token.is_none() {
                break;
            }
            if reported.elapsed() >= PROGRESS_EVERY {
                self.report(&tracker).await?;
                reported = tokio::time::Instant::now();
            }
        }
        tracing::info!(source = %self.key(), "{} read done: {} pages, {} findings in {:.1} s", kind.as_str(), tracker.pages(), tracker.findings(), run_started.elapsed().as_secs_f64());
        self.advance_watermark(newest, run_started_ms);
        self.last_full = Some(run_started);
        self.checkpoint = None;
        self.last_full_count = Some(tracker.findings());
        match self.source.scores().await {
            Ok(scores) if !scores.is_empty() => {
                self.send(SourceEvent::Scores {
                    source: self.key(),
                    scores,
                })
                .await?;
            }
            Ok(_) => {}
            // Scores are extra: a failure is logged, the findings still count.
            Err(e) => tracing::warn!(source = %self.key(), "provider scores: {e}"),
        }
        self.send(SourceEvent::SyncDone {
            source: self.key(),
            kind,
            started_at,
            seen: None,
            watermark: self.watermark,
        })
        .await
    }

    /// Progress goes out with the health, so the status bar and the sources list show it.
    async fn report(&mut self, tracker: &progress::Tracker) -> Result<(), Stop> {
        self.health.progress = Some(tracker.progress());
        self.health.api = self.source.api();
        self.send(SourceEvent::Health {
            source: self.key(),
            health: self.health.clone(),
        })
        .await
    }

    fn advance_watermark(&mut self, newest: Option<i64>, started_at: i64) {
        // A finding stamped in the future (clock skew) must not push the window past now.
        let newest = newest.map(|n| n.min(started_at));
        self.watermark = match (self.watermark, newest) {
            (Some(w), Some(n)) => Some(w.max(n)),
            (w, n) => w.or(n).or(Some(started_at)),
        };
    }
}

/// Exponential backoff with ±20% jitter, so many sources do not retry in lockstep.
pub fn backoff(s: &Settings, failures: u32) -> Duration {
    let base = s.min_backoff.as_secs_f64() * 2f64.powi(failures.saturating_sub(1).min(20) as i32);
    let capped = base.min(s.max_backoff.as_secs_f64());
    let jitter = rand::rng().random_range(0.8..1.2);
    Duration::from_secs_f64((capped * jitter).min(s.max_backoff.as_secs_f64()))
}

/// Reads every page of `query` from one source (the headless `findings` command).
pub async fn fetch_all(
    source: &dyn Source,
    query: &Query,
) -> Result<(Vec<Normalized>, Vec<String>), SourceError> {
    fetch_all_observed(source, query, |_, _| {}).await
}

/// [`fetch_all`], telling `on_page` the pages and findings read so far after every page.
pub async fn fetch_all_observed(
    source: &dyn Source,
    query: &Query,
    mut on_page: impl FnMut(u32, usize),
) -> Result<(Vec<Normalized>, Vec<String>), SourceError> {
    let mut limiter = Limiter::new(source.rate_limit());
    let mut items = Vec::new();
    let mut skipped = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        limiter.acquire().await;
        let page = source.fetch_page(query, token.take()).await?;
        items.extend(page.items);
        skipped.extend(page.skipped);
        pages += 1;
        on_page(pages, items.len());
        token = page.next_token;
        if token.is_none() {
            return Ok((items, skipped));
        }
    }
}

#[cfg(test)]
mod tests;
