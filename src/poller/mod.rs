//! Schedules every source: one task per source (account × region), full sync first, then
//! incremental `UpdatedAt` windows with an overlap, and a periodic reconcile that re-reads
//! everything (BatchUpdateFindings edits by others do not move UpdatedAt). Errors back off
//! exponentially per source; one failing source never stalls another. Output goes through a
//! bounded channel, so a slow consumer slows the pollers instead of growing memory.

mod limiter;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;

pub use limiter::Limiter;

use crate::model::now_ms;
use crate::sources::{Normalized, Query, Source, SourceError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncKind {
    Full,
    Incremental,
    Reconcile,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthState {
    /// No poll has completed yet in this run.
    Pending,
    Ok,
    Throttled,
    Error,
}

impl HealthState {
    pub fn as_str(self) -> &'static str {
        match self {
            HealthState::Pending => "pending",
            HealthState::Ok => "ok",
            HealthState::Throttled => "throttled",
            HealthState::Error => "error",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    pub state: HealthState,
    pub last_error: Option<String>,
    /// When the last poll completed (ms).
    pub last_ok: Option<i64>,
    pub failures: u32,
    /// Which API the source reads, when it has a choice ("v2 (OCSF)").
    pub api: Option<String>,
}

impl Default for Health {
    fn default() -> Self {
        Health {
            state: HealthState::Pending,
            last_error: None,
            last_ok: None,
            failures: 0,
            api: None,
        }
    }
}

#[derive(Debug)]
pub enum SourceEvent {
    Upsert {
        source: String,
        items: Vec<Normalized>,
        skipped: Vec<String>,
    },
    /// A sync finished. For full syncs and reconciles, `seen` holds every id returned, so
    /// findings of this source not in it (and not updated since `started_at`) are gone.
    SyncDone {
        source: String,
        kind: SyncKind,
        started_at: i64,
        seen: Option<HashSet<String>>,
        watermark: Option<i64>,
    },
    Health {
        source: String,
        health: Health,
    },
    /// The provider's own scores (Azure secure score), after a full sync.
    Scores {
        source: String,
        scores: Vec<crate::sources::ProviderScore>,
    },
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub interval: Duration,
    pub reconcile: Duration,
    pub overlap: Duration,
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    pub include_archived: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            interval: Duration::from_secs(60),
            reconcile: Duration::from_secs(900),
            overlap: Duration::from_secs(300),
            min_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(600),
            include_archived: false,
        }
    }
}

impl Settings {
    pub fn from_config(p: &crate::config::PollConfig) -> Settings {
        Settings {
            interval: Duration::from_secs(p.interval_secs),
            reconcile: Duration::from_secs(p.reconcile_secs),
            overlap: Duration::from_secs(p.overlap_secs),
            min_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(p.max_backoff_secs.max(2)),
            include_archived: p.include_archived,
        }
    }
}

/// Where a source left off in an earlier run (from the store).
#[derive(Debug, Clone, Copy, Default)]
pub struct Resume {
    pub watermark: Option<i64>,
}

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
        let tasks = sources
            .into_iter()
            .map(|s| {
                let r = resume(&s.info().key);
                let task = SourceTask::new(s, settings.clone(), tx.clone(), r, refresh.clone());
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
}

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
    ) -> Self {
        let limiter = Limiter::new(source.rate_limit());
        SourceTask {
            source,
            settings,
            tx,
            limiter,
            refresh,
            health: Health::default(),
            watermark: resume.watermark,
            last_full: None,
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
        let started_at = now_ms();
        let started = tokio::time::Instant::now();
        let query = match (kind, self.watermark) {
            (SyncKind::Incremental, Some(w)) if self.source.incremental() => {
                Query::UpdatedSince(w - self.settings.overlap.as_millis() as i64)
            }
            _ => Query::Full {
                include_archived: self.settings.include_archived,
            },
        };
        let collect_ids = matches!(query, Query::Full { .. });
        let mut seen = HashSet::new();
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
                if collect_ids {
                    seen.insert(n.finding.id.clone());
                }
            }
            if !page.skipped.is_empty() {
                tracing::warn!(source = %self.key(), "skipped {} malformed findings: {:?}", page.skipped.len(), page.skipped.first());
            }
            token = page.next_token;
            if !page.items.is_empty() || !page.skipped.is_empty() {
                let ev = SourceEvent::Upsert {
                    source: self.key(),
                    items: page.items,
                    skipped: page.skipped,
                };
                self.tx.send(ev).await.map_err(|_| Stop::Closed)?;
            }
            if token.is_none() {
                break;
            }
        }
        // A finding stamped in the future (clock skew) must not push the window past now.
        let newest = newest.map(|n| n.min(started_at));
        self.watermark = match (self.watermark, newest) {
            (Some(w), Some(n)) => Some(w.max(n)),
            (w, n) => w.or(n).or(Some(started_at)),
        };
        if collect_ids {
            self.last_full = Some(started);
            match self.source.scores().await {
                Ok(scores) if !scores.is_empty() => {
                    let ev = SourceEvent::Scores {
                        source: self.key(),
                        scores,
                    };
                    self.tx.send(ev).await.map_err(|_| Stop::Closed)?;
                }
                Ok(_) => {}
                // Scores are extra: a failure is logged, the findings still count.
                Err(e) => tracing::warn!(source = %self.key(), "provider scores: {e}"),
            }
        }
        let ev = SourceEvent::SyncDone {
            source: self.key(),
            kind: if collect_ids && kind == SyncKind::Incremental {
                SyncKind::Full
            } else {
                kind
            },
            started_at,
            seen: collect_ids.then_some(seen),
            watermark: self.watermark,
        };
        self.tx.send(ev).await.map_err(|_| Stop::Closed)
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
    let mut limiter = Limiter::new(source.rate_limit());
    let mut items = Vec::new();
    let mut skipped = Vec::new();
    let mut token = None;
    loop {
        limiter.acquire().await;
        let page = source.fetch_page(query, token.take()).await?;
        items.extend(page.items);
        skipped.extend(page.skipped);
        token = page.next_token;
        if token.is_none() {
            return Ok((items, skipped));
        }
    }
}

#[cfg(test)]
mod tests;
