//! AWS Security Hub (CSPM) source: GetFindings per account × region, BatchUpdateFindings.
//!
//! Responses are normalised from the raw JSON body (captured by an interceptor) rather than
//! from the SDK's typed output: one normaliser serves AWS, the demo fleet and the benchmarks,
//! and the detail pane shows the finding exactly as AWS sent it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig, retry::RetryConfig, timeout::TimeoutConfig};
use aws_sdk_securityhub::Client;
use aws_sdk_securityhub::config::interceptors::AfterDeserializationInterceptorContextRef;
use aws_sdk_securityhub::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_securityhub::error::{BoxError, ProvideErrorMetadata, SdkError};
use aws_sdk_securityhub::types::{
    AwsSecurityFindingFilters, AwsSecurityFindingIdentifier, DateFilter, NoteUpdate, SortCriterion,
    SortOrder, StringFilter, StringFilterComparison, WorkflowStatus,
    WorkflowUpdate as SdkWorkflowUpdate,
};
use futures::future::BoxFuture;

use super::{
    NormalizedPage, Query, Source, SourceError, SourceInfo, WorkflowOutcome, WorkflowUpdate, asff,
};
use crate::config::AwsApi;
use crate::model::{Provider, Workflow, format_rfc3339};

/// BatchUpdateFindings takes at most 100 finding identifiers per call.
pub const BATCH_UPDATE_LIMIT: usize = 100;
/// GetFindings (and GetFindingsV2) return at most 100 findings per page.
pub const PAGE_SIZE: i32 = 100;

/// How one configured AWS entry reaches Security Hub.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsTarget {
    pub name: String,
    pub region: String,
    pub profile: Option<String>,
    pub role_arn: Option<String>,
    pub external_id: Option<String>,
    pub endpoint_url: Option<String>,
    /// SDK attempts per call (adaptive retry); the poller adds its own backoff on top.
    pub max_attempts: u32,
}

/// Loads SDK config the way the aws CLI does (profile, SSO, env, IMDS, `AWS_ENDPOINT_URL`),
/// then assumes `role_arn` with STS when given. STS honours the same endpoint override.
pub async fn sdk_config(t: &AwsTarget) -> SdkConfig {
    target_config(&base_config(t).await, t).await
}

/// What [`sdk_config`] loads before Region and role: the same for every target with the same
/// profile, endpoint and attempts, so setup loads it once for all of them. Loaded per account
/// × Region it cost ~65 KB each (credential chain, HTTP client, caches): 1,000 sources +79 MB.
pub async fn base_config(t: &AwsTarget) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(t.region.clone()))
        .retry_config(RetryConfig::adaptive().with_max_attempts(t.max_attempts.max(1)))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(30))
                .build(),
        );
    if let Some(p) = &t.profile {
        loader = loader.profile_name(p);
    }
    if let Some(url) = &t.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// `base` (from [`base_config`] of a target with the same profile, endpoint and attempts) for
/// `t`'s Region, assuming `t.role_arn` when given.
pub async fn target_config(base: &SdkConfig, t: &AwsTarget) -> SdkConfig {
    let base = base
        .to_builder()
        .region(Region::new(t.region.clone()))
        .build();
    let Some(role) = &t.role_arn else {
        return base;
    };
    let mut assume = aws_config::sts::AssumeRoleProvider::builder(role)
        .session_name("agent-hubble")
        .region(Region::new(t.region.clone()))
        .configure(&base);
    if let Some(id) = &t.external_id {
        assume = assume.external_id(id);
    }
    let provider = assume.build().await;
    base.into_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(provider),
        )
        .build()
}

/// Keeps the last response body of the operation it is attached to.
#[derive(Debug, Clone, Default)]
pub(crate) struct CaptureBody(Arc<Mutex<Option<Vec<u8>>>>);

impl CaptureBody {
    pub(crate) fn take(&self) -> Option<Vec<u8>> {
        self.0.lock().expect("capture lock").take()
    }
}

impl Intercept for CaptureBody {
    fn name(&self) -> &'static str {
        "CaptureBody"
    }

    fn read_after_deserialization(
        &self,
        ctx: &AfterDeserializationInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(bytes) = ctx.response().body().bytes() {
            *self.0.lock().expect("capture lock") = Some(bytes.to_vec());
        }
        Ok(())
    }
}

pub struct SecurityHubSource {
    info: SourceInfo,
    client: Client,
    /// As configured (v1, v2, auto).
    api: AwsApi,
    /// What `auto` settled on (v1 or v2), once asked.
    resolved: Mutex<Option<AwsApi>>,
    /// Reads an aggregation (home) Region: every member account and linked Region.
    aggregator: bool,
}

impl SecurityHubSource {
    pub fn new(name: &str, region: &str, config: &SdkConfig) -> Self {
        SecurityHubSource {
            info: SourceInfo {
                key: format!("aws/{name}/{region}"),
                provider: Provider::AwsSecurityHub,
                name: name.to_string(),
                region: region.to_string(),
            },
            client: Client::new(config),
            api: AwsApi::V1,
            resolved: Mutex::new(None),
            aggregator: false,
        }
    }

    /// This source reads the aggregation (home) Region of a delegated administrator: its
    /// findings are every member account's, from every linked Region (shown in the sources
    /// list; the findings carry their own account and Region either way).
    pub fn with_aggregator(mut self, aggregator: bool) -> Self {
        self.aggregator = aggregator;
        self
    }

    /// Reads through GetFindingsV2 (v2), GetFindings (v1), or whichever the account has.
    pub fn with_api(mut self, api: AwsApi) -> Self {
        self.api = api;
        if api == AwsApi::V2 {
            self.info.provider = Provider::AwsSecurityHubV2;
        }
        self
    }

    /// v1 or v2: for `auto` asked once (and again after an error).
    async fn effective_api(&self) -> Result<AwsApi, SourceError> {
        if self.api != AwsApi::Auto {
            return Ok(self.api);
        }
        if let Some(a) = *self.resolved.lock().expect("api lock") {
            return Ok(a);
        }
        let a = if super::aws_v2::has_v2(&self.client).await? {
            AwsApi::V2
        } else {
            AwsApi::V1
        };
        tracing::info!(source = %self.info.key, "api = auto: using {a:?}");
        *self.resolved.lock().expect("api lock") = Some(a);
        Ok(a)
    }

    async fn page(
        &self,
        query: &Query,
        token: Option<String>,
    ) -> Result<NormalizedPage, SourceError> {
        match self.effective_api().await? {
            AwsApi::V2 => super::aws_v2::get_page(&self.client, &self.info.key, query, token).await,
            _ => self.get_page(query, token).await,
        }
    }

    async fn update(&self, update: &WorkflowUpdate) -> Result<WorkflowOutcome, SourceError> {
        match self.effective_api().await? {
            AwsApi::V2 => super::aws_v2::batch_update(&self.client, update).await,
            _ => self.batch_update(update).await,
        }
    }

    pub async fn connect(t: &AwsTarget) -> Self {
        let cfg = sdk_config(t).await;
        Self::new(&t.name, &t.region, &cfg)
    }

    async fn get_page(
        &self,
        query: &Query,
        token: Option<String>,
    ) -> Result<NormalizedPage, SourceError> {
        let capture = CaptureBody::default();
        let mut req = self
            .client
            .get_findings()
            .max_results(PAGE_SIZE)
            .set_next_token(token);
        // Oldest first, full reads too: an interrupted full sync resumes at the UpdatedAt of
        // its last complete page.
        let oldest_first = SortCriterion::builder()
            .field("UpdatedAt")
            .sort_order(SortOrder::Ascending)
            .build();
        let filters = match query {
            // Resumed: every record state from the checkpoint on (archiving moves UpdatedAt,
            // so a finding archived meanwhile shows up here and is dropped by the poller).
            Query::Full {
                from: Some(from), ..
            } => Some(
                AwsSecurityFindingFilters::builder()
                    .updated_at(window(*from))
                    .build(),
            ),
            Query::Full {
                include_archived: false,
                from: None,
            } => Some(
                AwsSecurityFindingFilters::builder()
                    .record_state(eq("ACTIVE"))
                    .build(),
            ),
            Query::Full { .. } => None,
            Query::UpdatedSince(since) => Some(
                AwsSecurityFindingFilters::builder()
                    .updated_at(window(*since))
                    .build(),
            ),
        };
        req = req.set_filters(filters).sort_criteria(oldest_first);
        req.customize()
            .interceptor(capture.clone())
            .send()
            .await
            .map_err(classify)?;
        let body = capture.take().ok_or_else(|| {
            SourceError::Other("GetFindings response body was not captured".into())
        })?;
        asff::normalize_page(&body, &self.info.key)
            .map_err(|e| SourceError::Other(format!("GetFindings returned malformed JSON: {e}")))
    }

    async fn batch_update(&self, update: &WorkflowUpdate) -> Result<WorkflowOutcome, SourceError> {
        let mut outcome = WorkflowOutcome::default();
        for chunk in update.findings.chunks(BATCH_UPDATE_LIMIT) {
            let ids = chunk
                .iter()
                .map(|f| {
                    AwsSecurityFindingIdentifier::builder()
                        .id(&f.id)
                        .product_arn(f.product_arn.as_str())
                        .build()
                })
                .collect::<Vec<_>>();
            let mut req = self
                .client
                .batch_update_findings()
                .set_finding_identifiers(Some(ids))
                .workflow(
                    SdkWorkflowUpdate::builder()
                        .status(workflow_status(update.status))
                        .build(),
                );
            if let Some(text) = update.note.as_deref().filter(|t| !t.is_empty()) {
                let note = NoteUpdate::builder()
                    .text(text)
                    .updated_by(truncate(&update.actor, 128))
                    .build();
                req = req.note(note);
            }
            let out = req.send().await.map_err(classify)?;
            outcome.merge(WorkflowOutcome {
                processed: out
                    .processed_findings()
                    .iter()
                    .filter_map(|f| f.id().map(str::to_owned))
                    .collect(),
                unprocessed: out
                    .unprocessed_findings()
                    .iter()
                    .map(|u| {
                        (
                            u.finding_identifier()
                                .and_then(|f| f.id())
                                .unwrap_or_default()
                                .to_string(),
                            u.error_code().unwrap_or_default().to_string(),
                            u.error_message().unwrap_or_default().to_string(),
                        )
                    })
                    .collect(),
            });
        }
        Ok(outcome)
    }
}

/// The far end of every UpdatedAt window. DateFilter needs both ends; the end must be the same
/// on every page of one read (a NextToken belongs to the exact filters it came with; an end
/// computed from the clock changed from page to page and broke reads past 100 findings) and
/// far enough ahead to tolerate clock skew: a fixed instant, not "now + a day".
pub(crate) const WINDOW_END: &str = "2100-01-01T00:00:00.000Z";

/// UpdatedAt from `since` on.
fn window(since: i64) -> DateFilter {
    DateFilter::builder()
        .start(format_rfc3339(since))
        .end(WINDOW_END)
        .build()
}

fn eq(v: &str) -> StringFilter {
    StringFilter::builder()
        .value(v)
        .comparison(StringFilterComparison::Equals)
        .build()
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

fn workflow_status(w: Workflow) -> WorkflowStatus {
    match w {
        Workflow::New => WorkflowStatus::New,
        Workflow::Notified => WorkflowStatus::Notified,
        Workflow::Resolved => WorkflowStatus::Resolved,
        Workflow::Suppressed => WorkflowStatus::Suppressed,
    }
}

/// An SDK error without an AWS error code (no connection, timeout, unreadable answer) as one
/// readable line: what happened and the innermost cause, never the debug chain.
fn one_line<E, R>(err: &SdkError<E, R>) -> String
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let what = match err {
        SdkError::ConstructionFailure(_) => "request could not be built",
        SdkError::TimeoutError(_) => "timed out",
        SdkError::DispatchFailure(d) if d.is_timeout() => "timed out connecting",
        SdkError::DispatchFailure(d) if d.is_io() => "cannot connect",
        SdkError::DispatchFailure(_) => "request failed",
        SdkError::ResponseError(_) => "unreadable response",
        SdkError::ServiceError(_) => "service error",
        _ => "error",
    };
    let mut cause: &dyn std::error::Error = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let detail = cause.to_string();
    let detail = detail.lines().next().unwrap_or_default();
    let mut line = if detail.is_empty() || detail == what {
        what.to_string()
    } else {
        format!("{what}: {detail}")
    };
    if line.chars().count() > 200 {
        line = line.chars().take(199).collect::<String>() + "…";
    }
    line
}

/// Maps SDK errors onto what the poller acts on: throttling backs off, the rest is shown.
pub fn classify<E, R>(err: SdkError<E, R>) -> SourceError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let code = err.code().unwrap_or_default().to_string();
    let message = err.message().unwrap_or_default().to_string();
    let text = if code.is_empty() {
        one_line(&err)
    } else if message.is_empty() {
        code.clone()
    } else {
        format!("{code}: {message}")
    };
    match code.as_str() {
        "ThrottlingException"
        | "TooManyRequestsException"
        | "Throttling"
        | "LimitExceededException"
        | "RequestLimitExceeded" => SourceError::Throttled(text),
        "InvalidAccessException"
        | "AccessDeniedException"
        | "UnrecognizedClientException"
        | "ExpiredTokenException"
        | "ExpiredToken"
        | "InvalidSignatureException"
        | "InvalidClientTokenId" => SourceError::Auth(text),
        _ => SourceError::Other(text),
    }
}

impl Source for SecurityHubSource {
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

    fn update_workflow<'a>(
        &'a self,
        update: &'a WorkflowUpdate,
    ) -> BoxFuture<'a, Result<WorkflowOutcome, SourceError>> {
        Box::pin(self.update(update))
    }

    fn history<'a>(
        &'a self,
        finding: &'a crate::model::FindingRef,
    ) -> BoxFuture<'a, Result<Vec<crate::timeline::Event>, SourceError>> {
        Box::pin(async move {
            match self.effective_api().await? {
                AwsApi::V2 => Ok(Vec::new()),
                _ => super::aws_history::history(&self.client, finding).await,
            }
        })
    }

    fn resumable(&self) -> bool {
        true
    }

    fn estimate_total(
        &self,
        include_archived: bool,
    ) -> BoxFuture<'_, Result<Option<u64>, SourceError>> {
        Box::pin(async move {
            match self.effective_api().await? {
                AwsApi::V2 => super::aws_v2::count(&self.client, include_archived)
                    .await
                    .map(Some),
                // v1 has no count: GetFindings only pages.
                _ => Ok(None),
            }
        })
    }

    fn api(&self) -> Option<String> {
        let resolved = *self.resolved.lock().expect("api lock");
        let api: String = match (self.api, resolved) {
            (AwsApi::V1, _) => "v1 (ASFF)".into(),
            (AwsApi::V2, _) => "v2 (OCSF)".into(),
            (AwsApi::Auto, Some(AwsApi::V2)) => "auto: v2 (OCSF)".into(),
            (AwsApi::Auto, Some(_)) => "auto: v1 (ASFF, no v2 here)".into(),
            (AwsApi::Auto, None) => "auto".into(),
        };
        Some(if self.aggregator {
            format!("{api}, org aggregator")
        } else {
            api
        })
    }
}
