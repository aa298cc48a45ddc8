//! Google Cloud Security Command Center v2: one source per `[[gcp]]` entry (an organization,
//! folder or project parent), listing findings of every SCC source in one location.
//!
//! Full syncs (and reconciles) read `state="ACTIVE"`; incremental polls read
//! `event_time >= watermark` in any state, so findings resolved elsewhere arrive as INACTIVE
//! and turn RESOLVED. Both are ordered by `event_time`: a finding that changes while we page
//! moves to the end, where it is still read. Workflow changes map onto `setState`/`setMute`.
//!
//! Crates: we talk REST/JSON with our own reqwest client instead of
//! `google-cloud-securitycenter-v2` (typed findings with `enum-encoding=int` would lose the
//! JSON the detail pane shows; it adds tonic, prost and opentelemetry, ~60 crates and
//! +8 MB), and sign our own tokens instead of using `google-cloud-auth` 1.19 (its service
//! account credentials never call the key's `token_uri`: they self-sign JWTs; its token
//! cache cannot be invalidated after a 401; +43 crates). RS256 uses aws-lc-rs, which rustls
//! already links. Measurements are in the branch notes.

pub mod auth;
pub mod client;
pub mod normalize;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use futures::future::BoxFuture;

use self::auth::{AdcSettings, Credentials};
use self::client::{ApiError, Client, DEFAULT_ENDPOINT, MAX_PAGE_SIZE, RetryPolicy};
use crate::config::{GcpConfig, PollConfig};
use crate::model::{Provider, Workflow, format_rfc3339};
use crate::sources::{
    NormalizedPage, Query, RateLimit, Source, SourceError, SourceInfo, WorkflowOutcome,
    WorkflowUpdate,
};

/// ListFindings calls per second. SCC quotas are per minute and per project; pages of 1000
/// findings keep a full read of a large organization to a few dozen calls.
pub const LIST_RATE: RateLimit = RateLimit {
    per_sec: 2.0,
    burst: 4,
};
/// setState / setMute calls in flight at once for one workflow change.
const MUTATIONS_IN_FLIGHT: usize = 4;

/// Everything one source needs; [`GcpTarget::from_config`] fills it from `[[gcp]]` and the
/// process environment. Tests build it themselves (credential settings included).
#[derive(Debug, Clone)]
pub struct GcpTarget {
    pub name: String,
    /// `organizations/N`, `folders/N` or `projects/ID`.
    pub parent: String,
    pub location: String,
    pub endpoint_url: Option<String>,
    pub adc: AdcSettings,
    /// ListFindings `pageSize`, 1..=1000 (1000 unless a test wants small pages).
    pub page_size: u32,
    pub retry: RetryPolicy,
}

impl GcpTarget {
    pub fn from_config(cfg: &GcpConfig, _poll: &PollConfig) -> GcpTarget {
        GcpTarget {
            name: cfg.name.get_ref().clone(),
            parent: cfg.parent.get_ref().clone(),
            location: cfg.location.get_ref().clone(),
            endpoint_url: cfg.endpoint_url.as_ref().map(|u| u.get_ref().clone()),
            adc: AdcSettings::from_env(),
            page_size: MAX_PAGE_SIZE,
            retry: RetryPolicy::default(),
        }
    }
}

pub struct GcpSource {
    info: SourceInfo,
    client: Client,
    parent: String,
    location: String,
    page_size: u32,
}

/// The sources of one config entry.
pub async fn sources(cfg: &GcpConfig, poll: &PollConfig) -> anyhow::Result<Vec<Arc<dyn Source>>> {
    let t = GcpTarget::from_config(cfg, poll);
    let source = GcpSource::new(&t).map_err(|e| anyhow::anyhow!("[[gcp]] {}: {e}", t.name))?;
    tracing::info!(source = %source.info.key, "Google credentials: {}", source.client.credentials().describe());
    Ok(vec![Arc::new(source)])
}

/// What a workflow status asks of SCC, in order.
fn steps(status: Workflow) -> &'static [(Verb, &'static str)] {
    match status {
        Workflow::Resolved => &[(Verb::State, "INACTIVE")],
        Workflow::Suppressed => &[(Verb::Mute, "MUTED")],
        Workflow::New | Workflow::Notified => &[(Verb::State, "ACTIVE"), (Verb::Mute, "UNMUTED")],
    }
}

#[derive(Debug, Clone, Copy)]
enum Verb {
    State,
    Mute,
}

impl GcpSource {
    pub fn new(t: &GcpTarget) -> Result<GcpSource, String> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("agent-hubble/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        let creds = Arc::new(Credentials::from_settings(&t.adc, http.clone())?);
        let endpoint = t.endpoint_url.as_deref().unwrap_or(DEFAULT_ENDPOINT);
        let client = Client::new(http, endpoint, creds, t.retry.clone())?;
        Ok(GcpSource {
            info: SourceInfo {
                key: format!("gcp/{}/{}", t.name, t.parent),
                provider: Provider::GcpScc,
                name: t.name.clone(),
                region: t.location.clone(),
            },
            client,
            parent: t.parent.clone(),
            location: t.location.clone(),
            page_size: t.page_size.clamp(1, MAX_PAGE_SIZE),
        })
    }

    /// The ListFindings filter for a query.
    pub fn filter(query: &Query) -> Option<String> {
        match query {
            Query::Full {
                include_archived: false,
                ..
            } => Some("state=\"ACTIVE\"".into()),
            Query::Full {
                include_archived: true,
                ..
            } => None,
            Query::UpdatedSince(ms) => Some(format!("event_time >= \"{}\"", format_rfc3339(*ms))),
        }
    }

    async fn page(
        &self,
        query: &Query,
        token: Option<String>,
    ) -> Result<NormalizedPage, SourceError> {
        let filter = Self::filter(query);
        let body = self
            .client
            .list_findings(
                &self.parent,
                &self.location,
                filter.as_deref(),
                "event_time",
                self.page_size,
                token.as_deref(),
            )
            .await
            .map_err(ApiError::into_source)?;
        normalize::normalize_page(&body, &self.info.key)
            .map_err(|e| SourceError::Other(format!("ListFindings returned malformed JSON: {e}")))
    }

    /// The steps for one finding, stopping at the first error.
    async fn apply(&self, id: &str, steps: &[(Verb, &str)]) -> (String, Result<(), ApiError>) {
        for (verb, value) in steps {
            let r = match verb {
                Verb::State => self.client.set_state(id, value).await,
                Verb::Mute => self.client.set_mute(id, value).await,
            };
            if let Err(e) = r {
                return (id.to_string(), Err(e));
            }
        }
        (id.to_string(), Ok(()))
    }

    async fn change(&self, update: &WorkflowUpdate) -> Result<WorkflowOutcome, SourceError> {
        // No token, no change: one error for the batch rather than one per finding.
        self.client.credentials().token().await?;
        let steps = steps(update.status);
        // Futures made up front: a stream holding a closure over `&FindingRef` would not be
        // `Send` for every lifetime (rustc's higher-ranked closure limitation).
        let calls: Vec<_> = update
            .findings
            .iter()
            .map(|f| self.apply(&f.id, steps))
            .collect();
        let results: Vec<(String, Result<(), ApiError>)> = futures::stream::iter(calls)
            .buffer_unordered(MUTATIONS_IN_FLIGHT)
            .collect()
            .await;
        let mut out = WorkflowOutcome::default();
        for (id, r) in results {
            match r {
                Ok(()) => out.processed.push(id),
                Err(e) => out.unprocessed.push((id, e.code, e.message)),
            }
        }
        Ok(out)
    }
}

impl Source for GcpSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn fetch_page<'a>(
        &'a self,
        query: &'a Query,
        token: Option<String>,
    ) -> BoxFuture<'a, Result<NormalizedPage, SourceError>> {
        Box::pin(self.page(query, token))
    }

    /// RESOLVED → `setState INACTIVE`; SUPPRESSED → `setMute MUTED`; NEW and NOTIFIED →
    /// `setState ACTIVE` + `setMute UNMUTED` (SCC has no "notified": the finding is open and
    /// unmuted, which the next read shows as NEW). Notes stay in the console's store.
    fn update_workflow<'a>(
        &'a self,
        update: &'a WorkflowUpdate,
    ) -> BoxFuture<'a, Result<WorkflowOutcome, SourceError>> {
        Box::pin(self.change(update))
    }

    fn rate_limit(&self) -> RateLimit {
        LIST_RATE
    }

    fn incremental(&self) -> bool {
        true
    }

    fn api(&self) -> Option<String> {
        Some("SCC v2".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        assert_eq!(
            GcpSource::filter(&Query::full(false)).as_deref(),
            Some("state=\"ACTIVE\"")
        );
        assert_eq!(GcpSource::filter(&Query::full(true)), None);
        assert_eq!(
            GcpSource::filter(&Query::UpdatedSince(1_777_716_000_000)).as_deref(),
            Some("event_time >= \"2026-05-02T10:00:00.000Z\"")
        );
    }

    #[test]
    fn workflow_steps() {
        assert!(matches!(
            steps(Workflow::Resolved),
            [(Verb::State, "INACTIVE")]
        ));
        assert!(matches!(
            steps(Workflow::Suppressed),
            [(Verb::Mute, "MUTED")]
        ));
        assert!(matches!(
            steps(Workflow::Notified),
            [(Verb::State, "ACTIVE"), (Verb::Mute, "UNMUTED")]
        ));
    }

    #[test]
    fn key_and_info() {
        let t = GcpTarget {
            name: "org".into(),
            parent: "organizations/123".into(),
            location: "global".into(),
            endpoint_url: Some("http://127.0.0.1:9".into()),
            adc: AdcSettings {
                metadata_host: Some("127.0.0.1:9".into()),
                ..AdcSettings::default()
            },
            page_size: 5000,
            retry: RetryPolicy::default(),
        };
        let s = GcpSource::new(&t).unwrap();
        assert_eq!(s.info().key, "gcp/org/organizations/123");
        assert_eq!(s.info().provider, Provider::GcpScc);
        assert_eq!(s.page_size, MAX_PAGE_SIZE);
        assert!(s.incremental());
        let bad = GcpTarget {
            endpoint_url: Some("not a url".into()),
            ..t
        };
        assert!(GcpSource::new(&bad).is_err());
    }
}
