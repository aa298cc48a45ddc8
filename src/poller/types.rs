//! What the poller reports (events, health), how it is set up, and where a source resumes.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncKind {
    Full,
    Incremental,
    Reconcile,
}

impl SyncKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncKind::Full => "full",
            SyncKind::Incremental => "incremental",
            SyncKind::Reconcile => "reconcile",
        }
    }

    pub fn parse(s: &str) -> Option<SyncKind> {
        [SyncKind::Full, SyncKind::Incremental, SyncKind::Reconcile]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
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
    /// A full read (first sync or reconcile) in progress.
    pub progress: Option<SyncProgress>,
}

impl Default for Health {
    fn default() -> Self {
        Health {
            state: HealthState::Pending,
            last_error: None,
            last_ok: None,
            failures: 0,
            api: None,
            progress: None,
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
    /// A full read (first sync or reconcile) begins, or continues an interrupted one
    /// (`resumed`, with the same `started_at`). Until its `SyncDone`, the hub marks every
    /// finding it upserts for this source with `started_at`; at `SyncDone` the source's
    /// findings marked with an older read (or never) and not updated since `started_at` are
    /// gone.
    SyncStarted {
        source: String,
        kind: SyncKind,
        started_at: i64,
        resumed: Option<Checkpoint>,
    },
    /// Findings of this source that no longer count: archived while an interrupted full read
    /// was stopped (a resumed read sees them, since archiving moves UpdatedAt, and the read
    /// does not include archived findings).
    Gone {
        source: String,
        ids: Vec<String>,
    },
    /// Sent after the `Upsert` of a page of a full read: once that page is applied, a restart
    /// may continue from here.
    Checkpoint {
        source: String,
        checkpoint: Checkpoint,
    },
    /// A sync finished. For full syncs and reconciles either `seen` holds every id returned
    /// (findings of this source not in it, and not updated since `started_at`, are gone), or
    /// it is None and the read was announced by `SyncStarted` (the poller's way: the marks
    /// decide).
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
    /// Syncs running at once across every source.
    pub max_concurrent: usize,
}

/// `[poll] max_concurrent` when the config does not say.
pub const DEFAULT_MAX_CONCURRENT: usize = 16;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            interval: Duration::from_secs(60),
            reconcile: Duration::from_secs(900),
            overlap: Duration::from_secs(300),
            min_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(600),
            include_archived: false,
            max_concurrent: DEFAULT_MAX_CONCURRENT,
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
            max_concurrent: (*p.max_concurrent.get_ref()).max(1),
        }
    }
}

/// Where a source left off in an earlier run (from the store).
#[derive(Debug, Clone, Copy, Default)]
pub struct Resume {
    pub watermark: Option<i64>,
    /// An interrupted full read to continue (resumable sources only).
    pub checkpoint: Option<Checkpoint>,
    /// Findings returned by the last completed full read: the next one's expected total.
    pub last_full_count: Option<u64>,
}

impl Resume {
    pub fn from_state(st: &crate::store::SourceState) -> Resume {
        Resume {
            watermark: st.watermark,
            checkpoint: st.checkpoint,
            last_full_count: st.last_full_count,
        }
    }
}
