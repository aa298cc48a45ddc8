//! SSM Automation behind a trait: the real service (aws-sdk-ssm) and an in-memory one for
//! the demo fleet and unit tests.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_ssm::Client;
use aws_sdk_ssm::error::SdkError;
use aws_sdk_ssm::operation::start_automation_execution::StartAutomationExecutionError;
use aws_sdk_ssm::types::{
    AutomationExecutionFilter, AutomationExecutionFilterKey, AutomationExecutionStatus, SignalType,
    StopType,
};
use futures::future::BoxFuture;

use crate::sources::SourceError;
use crate::sources::aws_securityhub::classify;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecState {
    Pending,
    InProgress,
    /// Sitting at an `aws:approve` step.
    Waiting,
    Cancelling,
    Success,
    Failed,
    Cancelled,
    TimedOut,
}

impl ExecState {
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ExecState::Success | ExecState::Failed | ExecState::Cancelled | ExecState::TimedOut
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecStatus {
    pub state: ExecState,
    pub step: Option<String>,
    pub failure: Option<String>,
}

/// An execution waiting at an `aws:approve` step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub execution_id: String,
    pub document: String,
    pub step: Option<String>,
    pub started_at: Option<i64>,
}

pub type Params = BTreeMap<String, Vec<String>>;

mod memory;
pub mod targets;

pub use memory::MemoryAutomation;
pub use targets::{Targets, TargetsError};

/// A runbook version as SSM describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocInfo {
    /// The version described (the default one when none was asked for).
    pub version: String,
    /// SHA-256 of that version's content.
    pub hash: String,
    pub default_version: String,
}

/// Why a start did not return an execution id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartError {
    /// SSM answered and refused (validation, access, mismatch): nothing was started.
    Refused(String),
    /// No definite answer (timeout, throttling, 5xx, connection): SSM may have accepted it,
    /// so the same client token is tried again until it answers definitely.
    Ambiguous(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Refused(m) => write!(f, "refused: {m}"),
            StartError::Ambiguous(m) => write!(f, "no definite answer: {m}"),
        }
    }
}

/// Only a service error that is not retryable (a 4xx other than throttling) is definite.
fn start_error(err: SdkError<StartAutomationExecutionError>) -> StartError {
    let status = match &err {
        SdkError::ServiceError(ctx) => Some(ctx.raw().status().as_u16()),
        _ => None,
    };
    let classified = classify(err);
    let definite =
        status.is_some_and(|s| (400..500).contains(&s) && s != 429) && !classified.is_throttle();
    if definite {
        StartError::Refused(classified.to_string())
    } else {
        StartError::Ambiguous(classified.to_string())
    }
}

pub trait Automation: Send + Sync {
    /// Starts (or, for a token already used, finds) an execution; returns its id.
    fn start<'a>(
        &'a self,
        document: &'a str,
        version: Option<&'a str>,
        params: &'a Params,
        client_token: &'a str,
    ) -> BoxFuture<'a, Result<String, StartError>>;
    /// Describes a runbook version (the default one when `version` is None).
    fn describe<'a>(
        &'a self,
        document: &'a str,
        version: Option<&'a str>,
    ) -> BoxFuture<'a, Result<DocInfo, SourceError>>;
    fn status<'a>(
        &'a self,
        execution_id: &'a str,
    ) -> BoxFuture<'a, Result<ExecStatus, SourceError>>;
    fn stop<'a>(&'a self, execution_id: &'a str) -> BoxFuture<'a, Result<(), SourceError>>;
    fn waiting(&self) -> BoxFuture<'_, Result<Vec<Waiting>, SourceError>>;
    fn signal<'a>(
        &'a self,
        execution_id: &'a str,
        approve: bool,
        comment: &'a str,
    ) -> BoxFuture<'a, Result<(), SourceError>>;
}

pub struct SsmAutomation {
    client: Client,
}

impl SsmAutomation {
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        SsmAutomation {
            client: Client::new(config),
        }
    }
}

fn exec_state(s: Option<&AutomationExecutionStatus>) -> ExecState {
    use AutomationExecutionStatus as S;
    match s {
        Some(
            S::Pending
            | S::PendingApproval
            | S::Approved
            | S::Scheduled
            | S::RunbookInprogress
            | S::Inprogress
            | S::Exited,
        ) => ExecState::InProgress,
        Some(S::Waiting) => ExecState::Waiting,
        Some(S::Cancelling) => ExecState::Cancelling,
        Some(S::Success | S::CompletedWithSuccess) => ExecState::Success,
        Some(S::Cancelled | S::Rejected) => ExecState::Cancelled,
        Some(S::Timedout) => ExecState::TimedOut,
        Some(S::Failed | S::CompletedWithFailure) => ExecState::Failed,
        _ => ExecState::Pending,
    }
}

impl Automation for SsmAutomation {
    fn start<'a>(
        &'a self,
        document: &'a str,
        version: Option<&'a str>,
        params: &'a Params,
        client_token: &'a str,
    ) -> BoxFuture<'a, Result<String, StartError>> {
        Box::pin(async move {
            let params: HashMap<String, Vec<String>> = params.clone().into_iter().collect();
            let out = self
                .client
                .start_automation_execution()
                .document_name(document)
                .set_document_version(version.map(str::to_owned))
                // SSM rejects an empty map (1–200 entries); leave it out instead.
                .set_parameters((!params.is_empty()).then_some(params))
                .client_token(client_token)
                .send()
                .await
                .map_err(start_error)?;
            out.automation_execution_id()
                .map(str::to_owned)
                .ok_or_else(|| {
                    StartError::Ambiguous("StartAutomationExecution returned no id".into())
                })
        })
    }

    fn describe<'a>(
        &'a self,
        document: &'a str,
        version: Option<&'a str>,
    ) -> BoxFuture<'a, Result<DocInfo, SourceError>> {
        Box::pin(async move {
            let out = self
                .client
                .describe_document()
                .name(document)
                .set_document_version(version.map(str::to_owned))
                .send()
                .await
                .map_err(classify)?;
            let d = out
                .document()
                .ok_or_else(|| SourceError::Other("DescribeDocument returned nothing".into()))?;
            let missing =
                |what: &str| SourceError::Other(format!("DescribeDocument {document}: no {what}"));
            Ok(DocInfo {
                version: d
                    .document_version()
                    .ok_or_else(|| missing("DocumentVersion"))?
                    .to_string(),
                hash: d.hash().ok_or_else(|| missing("Hash"))?.to_string(),
                default_version: d
                    .default_version()
                    .or(d.document_version())
                    .unwrap_or_default()
                    .to_string(),
            })
        })
    }

    fn status<'a>(
        &'a self,
        execution_id: &'a str,
    ) -> BoxFuture<'a, Result<ExecStatus, SourceError>> {
        Box::pin(async move {
            let out = self
                .client
                .get_automation_execution()
                .automation_execution_id(execution_id)
                .send()
                .await
                .map_err(classify)?;
            let e = out.automation_execution().ok_or_else(|| {
                SourceError::Other("GetAutomationExecution returned nothing".into())
            })?;
            let failed_step = e
                .step_executions()
                .iter()
                .find(|s| s.failure_message().is_some());
            Ok(ExecStatus {
                state: exec_state(e.automation_execution_status()),
                step: e.current_step_name().map(str::to_owned).or_else(|| {
                    e.step_executions()
                        .last()
                        .and_then(|s| s.step_name())
                        .map(str::to_owned)
                }),
                failure: e
                    .failure_message()
                    .or_else(|| failed_step.and_then(|s| s.failure_message()))
                    .map(str::to_owned),
            })
        })
    }

    fn stop<'a>(&'a self, execution_id: &'a str) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(async move {
            self.client
                .stop_automation_execution()
                .automation_execution_id(execution_id)
                .r#type(StopType::Cancel)
                .send()
                .await
                .map_err(classify)?;
            Ok(())
        })
    }

    fn waiting(&self) -> BoxFuture<'_, Result<Vec<Waiting>, SourceError>> {
        Box::pin(async move {
            let filter = AutomationExecutionFilter::builder()
                .key(AutomationExecutionFilterKey::ExecutionStatus)
                .values("Waiting")
                .build()
                .map_err(|e| SourceError::Other(e.to_string()))?;
            let mut out = Vec::new();
            let mut token = None;
            loop {
                let page = self
                    .client
                    .describe_automation_executions()
                    .filters(filter.clone())
                    .set_next_token(token)
                    .max_results(50)
                    .send()
                    .await
                    .map_err(classify)?;
                for m in page.automation_execution_metadata_list() {
                    out.push(Waiting {
                        execution_id: m.automation_execution_id().unwrap_or_default().to_string(),
                        document: m.document_name().unwrap_or_default().to_string(),
                        step: m.current_step_name().map(str::to_owned),
                        started_at: m.execution_start_time().map(|t| t.to_millis().unwrap_or(0)),
                    });
                }
                token = page.next_token().map(str::to_owned);
                if token.is_none() {
                    return Ok(out);
                }
            }
        })
    }

    fn signal<'a>(
        &'a self,
        execution_id: &'a str,
        approve: bool,
        comment: &'a str,
    ) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(async move {
            self.client
                .send_automation_signal()
                .automation_execution_id(execution_id)
                .signal_type(if approve {
                    SignalType::Approve
                } else {
                    SignalType::Reject
                })
                .payload("Comment", vec![comment.to_string()])
                .send()
                .await
                .map_err(classify)?;
            Ok(())
        })
    }
}
