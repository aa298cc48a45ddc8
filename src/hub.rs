//! The hub applies source events to the store and the in-memory index, and publishes
//! read-only snapshots for the views. It runs on its own thread because SQLite is blocking.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot, watch};

use crate::model::{Finding, Note, Workflow, now_ms};
use crate::poller::{Health, SourceEvent, SyncKind};
use crate::sources::SourceInfo;
use crate::store::{SourceState, Store};

/// What the hub is told.
#[derive(Debug)]
pub enum HubInput {
    Source(SourceEvent),
    /// A workflow change we made ourselves succeeded; show it now (UpdatedAt does not move,
    /// so the next incremental poll would not bring it).
    LocalWorkflow {
        ids: Vec<String>,
        status: Workflow,
        note: Option<Note>,
    },
    RawJson {
        id: String,
        reply: oneshot::Sender<Option<String>>,
    },
    /// Control metadata from the Security Hub API (else posture is derived from findings).
    ControlMetadata(Box<crate::sources::aws_controls::ControlMetadata>),
    /// Account names (config `[accounts]`, AWS Organizations): id → name.
    AccountNames(HashMap<String, String>),
    /// Posture computed off the hub thread (see `Hub::set_feedback`).
    Insights(Box<crate::posture::Insights>),
}

impl From<SourceEvent> for HubInput {
    fn from(e: SourceEvent) -> Self {
        HubInput::Source(e)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceStatus {
    pub info: SourceInfo,
    pub health: Health,
    /// No full sync has completed in this run: its findings are from the cache.
    pub stale: bool,
    pub findings: usize,
}

/// A consistent picture for the views. Cheap to clone (everything shared).
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub version: u64,
    pub findings: Arc<FindingList>,
    pub sources: Arc<Vec<SourceStatus>>,
    /// Ids changed by the latest batch of events (row highlight).
    pub changed: Arc<HashSet<String>>,
    /// The changed findings themselves (the notification rules evaluate only these).
    pub changed_findings: Arc<Vec<Arc<Finding>>>,
    /// Ids removed by the latest batch (no longer returned by their source).
    pub gone: Arc<HashSet<String>>,
    /// Ids first seen in the latest batch, from sources past their first full sync (what
    /// "+N new" counts; the first sync of a source is not news).
    pub arrived: Arc<HashSet<String>>,
    /// Malformed findings skipped since start.
    pub skipped: u64,
    pub last_skip_reason: Option<String>,
    /// Latest successful poll of any source (ms).
    pub last_ok: Option<i64>,
    /// Store errors are shown, never fatal.
    pub store_error: Option<String>,
    /// Posture, statistics and history (recomputed at most every couple of seconds).
    pub insights: Arc<crate::posture::Insights>,
    /// Which clouds the findings come from (bit `Cloud as u8`).
    pub clouds: u8,
    /// Cached findings read so far, of how many, while the store loads.
    pub loading: Option<(u64, u64)>,
}

impl Snapshot {
    pub fn stale_sources(&self) -> usize {
        self.sources.iter().filter(|s| s.stale).count()
    }
}

pub struct Hub {
    store: Option<Store>,
    findings: Held,
    sources: BTreeMap<String, SourceStatus>,
    changed: HashSet<String>,
    arrived: HashSet<String>,
    gone: HashSet<String>,
    skipped: u64,
    last_skip_reason: Option<String>,
    store_error: Option<String>,
    version: u64,
    tx: watch::Sender<Arc<Snapshot>>,
    insights: Arc<crate::posture::Insights>,
    insights_stale: bool,
    insights_at: Option<Instant>,
    history: Vec<crate::posture::history::Point>,
    history_settings: crate::posture::HistorySettings,
    metadata: Option<crate::sources::aws_controls::ControlMetadata>,
    /// The providers' own scores, by source key.
    provider_scores: BTreeMap<String, Vec<crate::sources::ProviderScore>>,
    /// Notes of findings whose provider cannot hold them, kept in the store.
    local_notes: HashMap<String, Note>,
    account_names: HashMap<String, crate::model::Text>,
    /// Full reads in progress (marks, checkpoints): see `sync.rs`.
    syncs: sync::Syncs,
    /// Keys of the configured sources.
    known: HashSet<String>,
    /// The cached findings still being read (see [`Hub::loading`]).
    loading: Option<Loading>,
    /// Where posture computed on another thread comes back (weak: the hub still ends when
    /// every other sender is gone), and whether such a computation runs.
    feedback: Option<mpsc::WeakSender<HubInput>>,
    insights_running: bool,
    insights_inline_max: usize,
}

/// Snapshots while the cache loads (each one costs the console a re-filter).
const LOAD_PUBLISH_EVERY: Duration = Duration::from_millis(500);

/// Longest time between snapshots while events keep arriving.
const PUBLISH_EVERY: Duration = Duration::from_millis(150);

impl Hub {
    /// Loads cached findings (marked stale until their source's first sync) and returns the
    /// hub with a receiver of snapshots.
    pub fn new(
        store: Option<Store>,
        sources: &[SourceInfo],
    ) -> (Hub, watch::Receiver<Arc<Snapshot>>) {
        let (mut hub, rx) = Hub::loading(store, sources);
        while hub.load_page() {}
        hub.publish();
        (hub, rx)
    }

    /// Like [`Hub::new`], but the cached findings are read by `run`, a page at a time, with a
    /// snapshot after each (the console draws its first frame at once and the count rises);
    /// inputs wait until the cache is in, so nothing cached overwrites a fresher finding.
    pub fn loading(
        store: Option<Store>,
        sources: &[SourceInfo],
    ) -> (Hub, watch::Receiver<Arc<Snapshot>>) {
        let findings = Held::default();
        let mut store_error = None;
        let skipped = 0;
        let loading = match store.as_ref().map(|s| s.count_findings()) {
            Some(Ok(total)) if total > 0 => Some(Loading {
                after: 0,
                loaded: 0,
                total,
                page: LOAD_PAGE,
            }),
            Some(Err(e)) => {
                store_error = Some(e.to_string());
                None
            }
            _ => None,
        };
        let known: HashSet<String> = sources.iter().map(|s| s.key.clone()).collect();
        let sources = sources
            .iter()
            .map(|i| {
                let status = SourceStatus {
                    info: i.clone(),
                    health: Health::default(),
                    stale: true,
                    findings: 0,
                };
                (i.key.clone(), status)
            })
            .collect();
        let history = store
            .as_ref()
            .and_then(|s| s.history().ok())
            .unwrap_or_default();
        let local_notes = store
            .as_ref()
            .and_then(|s| s.local_notes().ok())
            .unwrap_or_default();
        let (tx, rx) = watch::channel(Arc::new(Snapshot::default()));
        let mut hub = Hub {
            store,
            findings,
            sources,
            changed: HashSet::new(),
            arrived: HashSet::new(),
            gone: HashSet::new(),
            skipped,
            last_skip_reason: None,
            store_error,
            version: 0,
            tx,
            insights: Arc::default(),
            insights_stale: true,
            insights_at: None,
            history,
            history_settings: crate::posture::HistorySettings::default(),
            metadata: None,
            provider_scores: BTreeMap::new(),
            local_notes,
            account_names: HashMap::new(),
            syncs: Default::default(),
            known,
            loading,
            feedback: None,
            insights_running: false,
            insights_inline_max: INSIGHTS_INLINE_MAX,
        };
        hub.publish();
        (hub, rx)
    }

    /// Runs on the current thread until every sender is gone.
    pub fn run(mut self, mut rx: mpsc::Receiver<HubInput>) {
        // A small runtime of our own, only to wait with a deadline: posture recomputation is
        // throttled, and a change that arrived during the throttle must still show.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("hub timer runtime");
        let mut last_publish = Instant::now();
        let mut dirty = false;
        while self.load_page() {
            if last_publish.elapsed() >= LOAD_PUBLISH_EVERY {
                self.publish();
                last_publish = Instant::now();
            }
        }
        self.publish();
        loop {
            let input = if self.insights_stale {
                let wait = self.insights_at.map_or(Duration::ZERO, |t| {
                    INSIGHTS_EVERY.saturating_sub(t.elapsed())
                });
                // The timer must be created inside the runtime.
                match rt.block_on(async { tokio::time::timeout(wait, rx.recv()).await }) {
                    Ok(Some(input)) => input,
                    Ok(None) => return,
                    Err(_) => {
                        self.refresh_insights(true);
                        self.publish();
                        last_publish = Instant::now();
                        continue;
                    }
                }
            } else {
                match rx.blocking_recv() {
                    Some(input) => input,
                    None => return,
                }
            };
            dirty |= self.apply(input);
            // Drain what is already queued before publishing, so bursts coalesce.
            while let Ok(more) = rx.try_recv() {
                dirty |= self.apply(more);
                if last_publish.elapsed() >= PUBLISH_EVERY {
                    break;
                }
            }
            if dirty {
                self.publish();
                last_publish = Instant::now();
                dirty = false;
            }
        }
    }

    pub fn set_history(&mut self, settings: crate::posture::HistorySettings) {
        self.history_settings = settings;
    }

    pub fn spawn(self, rx: mpsc::Receiver<HubInput>) -> std::thread::JoinHandle<()> {
        std::thread::Builder::new()
            .name("hub".into())
            .spawn(move || self.run(rx))
            .expect("spawn hub thread")
    }

    fn store_result<T>(&mut self, r: Result<T, crate::store::StoreError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::error!("store: {e}");
                self.store_error = Some(e.to_string());
                None
            }
        }
    }

    /// Applies one input; true when the snapshot changes.
    pub fn apply(&mut self, input: HubInput) -> bool {
        match input {
            HubInput::Source(SourceEvent::Upsert {
                source,
                items,
                skipped,
            }) => {
                let synced = self.sources.get(&source).is_some_and(|s| !s.stale);
                if let Some(reason) = skipped.last() {
                    self.last_skip_reason = Some(reason.clone());
                }
                self.skipped += skipped.len() as u64;
                // One finding seen through two sources (an aggregator and its member region)
                // stays with the source that has the newest UpdatedAt; a tie keeps the one
                // already shown, so the source does not flip on every poll.
                let items: Vec<_> = items
                    .into_iter()
                    .filter(|n| {
                        self.findings.get(n.finding.id.as_str()).is_none_or(|old| {
                            old.source == n.finding.source || n.finding.updated_at > old.updated_at
                        })
                    })
                    .collect();
                if let Some(store) = self.store.as_mut() {
                    let r = store.upsert(&items);
                    self.store_result(r);
                }
                self.sync_upserted(&source, items.iter().map(|n| n.finding.id.as_str()));
                self.insights_stale = true;
                for n in items {
                    let mut f = n.finding;
                    if let Some(name) = self.account_names.get(f.account.as_str()) {
                        f.account_name = Some(name.clone());
                    }
                    if f.note.is_none()
                        && let Some(note) = self.local_notes.get(&f.id)
                    {
                        f.note = Some(note.clone());
                    }
                    let old = self.findings.get(f.id.as_str());
                    if old.is_none() && synced {
                        self.arrived.insert(f.id.clone());
                    }
                    let same = old.is_some_and(|old| **old == f);
                    if !same {
                        self.changed.insert(f.id.clone());
                        // Here, not on the UI thread's first search.
                        crate::filter::warm(&f);
                        self.findings.insert(Arc::new(f));
                    }
                }
                true
            }
            HubInput::Source(SourceEvent::SyncDone {
                source,
                kind,
                started_at,
                seen,
                watermark,
            }) => {
                if let Some(seen) = seen {
                    // Gone: not returned by a full read and not updated while it ran.
                    let gone: Vec<String> = self
                        .findings
                        .iter()
                        .filter(|f| {
                            f.source == source && !seen.contains(&f.id) && f.updated_at < started_at
                        })
                        .map(|f| f.id.clone())
                        .collect();
                    for id in &gone {
                        self.findings.remove(id.as_str());
                        self.changed.remove(id);
                    }
                    self.gone.extend(gone.iter().cloned());
                    if let Some(store) = self.store.as_mut() {
                        let r = store.remove(&gone);
                        self.store_result(r);
                    }
                } else if kind != SyncKind::Incremental {
                    self.sync_finished(&source, started_at);
                }
                if let Some(s) = self.sources.get_mut(&source)
                    && kind != SyncKind::Incremental
                {
                    s.stale = false;
                }
                self.insights_stale = true;
                self.record_history();
                if let Some(store) = self.store.as_ref() {
                    let full = (kind != SyncKind::Incremental).then_some(started_at);
                    let r = store.source_state(&source).and_then(|mut st: SourceState| {
                        st.watermark = watermark;
                        st.last_full_sync = full.or(st.last_full_sync);
                        st.last_ok = Some(now_ms());
                        store.save_source_state(&source, &st)
                    });
                    self.store_result(r);
                }
                true
            }
            HubInput::Source(SourceEvent::SyncStarted {
                source,
                started_at,
                resumed,
                ..
            }) => self.sync_started(source, started_at, resumed),
            HubInput::Source(SourceEvent::Checkpoint { source, checkpoint }) => {
                self.sync_checkpoint(&source, &checkpoint)
            }
            HubInput::Source(SourceEvent::Gone { source, ids }) => self.sync_gone(&source, ids),
            HubInput::Source(SourceEvent::Scores { source, scores }) => {
                self.provider_scores.insert(source, scores);
                self.insights_stale = true;
                true
            }
            HubInput::Source(SourceEvent::Health { source, health }) => {
                match self.sources.get_mut(&source) {
                    Some(s) if s.health != health => {
                        s.health = health;
                        true
                    }
                    _ => false,
                }
            }
            HubInput::LocalWorkflow { ids, status, note } => {
                let mut changed = Vec::new();
                for id in ids {
                    if let Some(mut shared) = self.findings.get(id.as_str()).cloned() {
                        let f = Arc::make_mut(&mut shared);
                        f.workflow = status;
                        if let Some(n) = &note {
                            f.note = Some(n.clone());
                            if !f.provider.holds_notes() {
                                self.local_notes.insert(id.clone(), n.clone());
                                if let Some(store) = self.store.as_ref() {
                                    let r = store.set_local_note(&id, n);
                                    self.store_result(r);
                                }
                            }
                        }
                        self.findings.insert(shared);
                        changed.push(id);
                    }
                }
                self.changed.extend(changed);
                self.insights_stale = true;
                true
            }
            HubInput::AccountNames(names) => {
                for (id, name) in names {
                    self.account_names.insert(id, crate::model::intern(&name));
                }
                // Stamp the findings already held (rare: once at start, once per org fetch).
                let all: Vec<Arc<Finding>> = self.findings.iter().cloned().collect();
                for mut f in all {
                    let name = self.account_names.get(f.account.as_str()).cloned();
                    if f.account_name != name {
                        Arc::make_mut(&mut f).account_name = name;
                        self.changed.insert(f.id.clone());
                        self.findings.insert(f);
                    }
                }
                true
            }
            HubInput::ControlMetadata(meta) => {
                self.metadata = Some(*meta);
                self.insights_stale = true;
                self.refresh_insights(true);
                true
            }
            HubInput::Insights(insights) => {
                self.insights = Arc::new(*insights);
                self.insights_running = false;
                true
            }
            HubInput::RawJson { id, reply } => {
                let raw = self
                    .store
                    .as_ref()
                    .and_then(|s| s.raw_json(&id).ok().flatten());
                let _ = reply.send(raw);
                false
            }
        }
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.tx.borrow().clone()
    }

    pub fn publish(&mut self) {
        self.version += 1;
        // Posture from half the cache would be wrong; it comes once the cache is in.
        if self.loading.is_none() {
            self.refresh_insights(false);
        }
        // Counted as findings come and go, not per publish (that would touch every one).
        let counts = self.findings.by_source();
        let clouds = self.findings.clouds();
        let sources: Vec<SourceStatus> = self
            .sources
            .values()
            .map(|s| SourceStatus {
                findings: counts.get(s.info.key.as_str()).copied().unwrap_or(0),
                ..s.clone()
            })
            .collect();
        let last_ok = sources.iter().filter_map(|s| s.health.last_ok).max();
        let changed_findings = self
            .changed
            .iter()
            .filter_map(|id| self.findings.get(id.as_str()).cloned())
            .collect();
        // A finding that came back in this batch is not gone.
        self.gone.retain(|id| !self.findings.contains(id.as_str()));
        let snap = Snapshot {
            version: self.version,
            findings: Arc::new(self.findings.list()),
            sources: Arc::new(sources),
            changed_findings: Arc::new(changed_findings),
            gone: Arc::new(std::mem::take(&mut self.gone)),
            changed: Arc::new(std::mem::take(&mut self.changed)),
            arrived: Arc::new(std::mem::take(&mut self.arrived)),
            skipped: self.skipped,
            last_skip_reason: self.last_skip_reason.clone(),
            last_ok,
            store_error: self.store_error.clone(),
            insights: self.insights.clone(),
            clouds,
            loading: self.loading.map(|l| (l.loaded, l.total)),
        };
        self.tx.send_replace(Arc::new(snap));
    }
}

mod insights;
mod list;
mod load;
mod sync;

use insights::{INSIGHTS_EVERY, INSIGHTS_INLINE_MAX};
use list::Held;
pub use list::{FindingList, Listing};
use load::{LOAD_PAGE, Loading};
#[cfg(test)]
mod tests;
