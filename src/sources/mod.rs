//! Finding sources. Each provider implements [`Source`] and emits normalised findings, so the
//! poller and the UI never know which cloud a finding came from.

pub mod asff;
pub mod aws_accounts;
pub mod aws_aggregator;
pub mod aws_controls;
pub mod aws_history;
pub mod aws_securityhub;
pub mod aws_v2;
pub mod azure;
pub mod demo;
pub mod gcp;
pub mod github;
pub mod memory;
pub mod ocsf;
pub mod sarif;

use std::fmt;

use futures::future::BoxFuture;

use crate::model::{FindingRef, Provider, Workflow};

pub use asff::{Normalized, NormalizedPage};

/// What a poll asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// Every finding that is not archived (or every finding, with `include_archived`).
    /// Resumable sources read it oldest `UpdatedAt` first; `from` continues an interrupted
    /// full read at that instant (ms, inclusive). A source that is not
    /// [`resumable`](Source::resumable) ignores `from`.
    Full {
        include_archived: bool,
        from: Option<i64>,
    },
    /// Findings updated at or after this instant (ms), oldest first, any record state.
    UpdatedSince(i64),
}

impl Query {
    /// A full read from the start.
    pub fn full(include_archived: bool) -> Query {
        Query::Full {
            include_archived,
            from: None,
        }
    }
}

/// Static facts about a source, shown in the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceInfo {
    /// Unique key, e.g. `aws/security/eu-west-1`.
    pub key: String,
    pub provider: Provider,
    /// Display name from config.
    pub name: String,
    pub region: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceError {
    /// The provider asked us to slow down.
    Throttled(String),
    /// Credentials missing, expired or not allowed.
    Auth(String),
    /// The provider has no such operation (e.g. workflow changes on SARIF).
    Unsupported(&'static str),
    Other(String),
}

impl SourceError {
    pub fn is_throttle(&self) -> bool {
        matches!(self, SourceError::Throttled(_))
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceError::Throttled(m) => write!(f, "throttled: {m}"),
            SourceError::Auth(m) => write!(f, "access denied: {m}"),
            SourceError::Unsupported(what) => write!(f, "not supported by this source: {what}"),
            SourceError::Other(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for SourceError {}

/// A workflow change for findings of one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowUpdate {
    pub findings: Vec<FindingRef>,
    pub status: Workflow,
    pub note: Option<String>,
    /// Who made the change (Note.UpdatedBy).
    pub actor: String,
    /// Why, in the provider's own words, where it asks for one (GitHub's dismissed_reason:
    /// `false positive`, `won't fix`, `used in tests`). Sources without the notion ignore it.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkflowOutcome {
    pub processed: Vec<String>,
    /// (finding id, error code, message)
    pub unprocessed: Vec<(String, String, String)>,
}

impl WorkflowOutcome {
    pub fn merge(&mut self, other: WorkflowOutcome) {
        self.processed.extend(other.processed);
        self.unprocessed.extend(other.unprocessed);
    }
}

/// Requests per second and burst a source may make (Security Hub: 3/s, burst 6).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub per_sec: f64,
    pub burst: u32,
}

pub const SECURITY_HUB_GET_FINDINGS: RateLimit = RateLimit {
    per_sec: 3.0,
    burst: 6,
};

/// A score the provider computes itself (Azure secure score), shown beside the scores the
/// console computes from findings.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProviderScore {
    pub cloud: crate::model::Cloud,
    /// e.g. "Azure secure score".
    pub name: String,
    /// The scope it covers (a subscription id) and its display name.
    pub scope: String,
    pub scope_name: String,
    pub current: f64,
    pub max: f64,
    /// 0–100 as the provider shows it.
    pub percentage: f64,
    pub controls: Vec<ProviderControlScore>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProviderControlScore {
    pub id: String,
    pub name: String,
    pub current: f64,
    pub max: f64,
    pub percentage: f64,
    pub healthy: u32,
    pub unhealthy: u32,
    pub not_applicable: u32,
}

/// One provider endpoint (an AWS account × region, an Azure subscription, a SARIF file …).
pub trait Source: Send + Sync + 'static {
    fn info(&self) -> &SourceInfo;

    /// One page of findings; `token` is the previous page's `next_token`.
    fn fetch_page<'a>(
        &'a self,
        query: &'a Query,
        token: Option<String>,
    ) -> BoxFuture<'a, Result<NormalizedPage, SourceError>>;

    /// Changes workflow status (and adds a note) for findings of this source.
    fn update_workflow<'a>(
        &'a self,
        _update: &'a WorkflowUpdate,
    ) -> BoxFuture<'a, Result<WorkflowOutcome, SourceError>> {
        Box::pin(async { Err(SourceError::Unsupported("workflow changes")) })
    }

    fn rate_limit(&self) -> RateLimit {
        SECURITY_HUB_GET_FINDINGS
    }

    /// False when the provider cannot list by update time: every poll is then a full read
    /// (which also catches removals and edits made elsewhere).
    fn incremental(&self) -> bool {
        true
    }

    /// How long the poller waits between polls of this source; None: the configured
    /// interval (a shorter configured interval still wins). Sources of local files ask for a
    /// short one so a new file shows up within seconds.
    fn poll_interval(&self) -> Option<std::time::Duration> {
        None
    }

    /// A cheap check the poller makes before a scheduled poll that is not a full sync, a
    /// reconcile, a refresh or a retry: false skips that poll (no read, no events). Only
    /// worth overriding when a read is costly to repeat and "nothing changed" is cheap to
    /// tell (a watched directory: a few `stat`s). Default: always poll.
    fn changed(&self) -> BoxFuture<'_, bool> {
        Box::pin(async { true })
    }

    /// True when a full read comes oldest `UpdatedAt` first and honours `Query::Full { from }`,
    /// so an interrupted full sync can continue where it stopped. A resumed read returns every
    /// record state from `from` on (a finding archived meanwhile moved past the checkpoint and
    /// must be seen to be dropped).
    fn resumable(&self) -> bool {
        false
    }

    /// How many findings a full read would return, when the provider can say so cheaply
    /// (Security Hub v2: GetFindingStatisticsV2); None when it cannot.
    fn estimate_total(
        &self,
        _include_archived: bool,
    ) -> BoxFuture<'_, Result<Option<u64>, SourceError>> {
        Box::pin(async { Ok(None) })
    }

    /// Scores the provider computes itself, read after each full sync (None: it has none).
    fn scores(&self) -> BoxFuture<'_, Result<Vec<ProviderScore>, SourceError>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    /// A part of the last full read that failed while the rest worked (one repository of
    /// several cannot be read). The findings read still count; the source shows the problem.
    fn partial_error(&self) -> Option<String> {
        None
    }

    /// Which API the source uses, for the status bar (e.g. "v2 (OCSF)"); None when there is
    /// only one.
    fn api(&self) -> Option<String> {
        None
    }

    /// The provider's own record of changes to one finding, for the detail's timeline
    /// (empty where the API keeps none).
    fn history<'a>(
        &'a self,
        _finding: &'a crate::model::FindingRef,
    ) -> BoxFuture<'a, Result<Vec<crate::timeline::Event>, SourceError>> {
        Box::pin(async { Ok(Vec::new()) })
    }
}
