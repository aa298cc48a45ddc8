//! SSM Automation behind a trait: the real service (aws-sdk-ssm) and an in-memory one for
//! the demo fleet and unit tests.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use aws_sdk_ssm::Client;
use aws_sdk_ssm::types::{
    AutomationExecutionFilter, AutomationExecutionFilterKey, AutomationExecutionStatus, SignalType,
    StopType,
};
use futures::future::BoxFuture;

use crate::model::now_ms;
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

pub trait Automation: Send + Sync {
    /// Starts (or, for a token already used, finds) an execution; returns its id.
    fn start<'a>(
        &'a self,
        document: &'a str,
        version: Option<&'a str>,
        params: &'a Params,
        client_token: &'a str,
    ) -> BoxFuture<'a, Result<String, SourceError>>;
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
    ) -> BoxFuture<'a, Result<String, SourceError>> {
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
                .map_err(classify)?;
            out.automation_execution_id()
                .map(str::to_owned)
                .ok_or_else(|| SourceError::Other("StartAutomationExecution returned no id".into()))
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

/// In-memory Automation: executions take `duration_ms` and succeed, unless the document is
/// listed in `fail`. Tokens are idempotent like SSM's ClientToken.
#[derive(Clone, Default)]
pub struct MemoryAutomation {
    inner: Arc<Mutex<MemInner>>,
}

#[derive(Default)]
struct MemInner {
    executions: Vec<(String, String, String, i64, bool)>, // (id, token, document, started, cancelled)
    fail: Vec<String>,
    duration_ms: i64,
    starts: usize,
}

impl MemoryAutomation {
    pub fn new(duration_ms: i64) -> Self {
        let m = MemoryAutomation::default();
        m.inner.lock().expect("automation").duration_ms = duration_ms;
        m
    }

    pub fn fail_document(&self, document: &str) {
        self.inner
            .lock()
            .expect("automation")
            .fail
            .push(document.to_string());
    }

    /// Executions created (a reused token creates none).
    pub fn executions(&self) -> usize {
        self.inner.lock().expect("automation").starts
    }
}

impl Automation for MemoryAutomation {
    fn start<'a>(
        &'a self,
        document: &'a str,
        _version: Option<&'a str>,
        _params: &'a Params,
        client_token: &'a str,
    ) -> BoxFuture<'a, Result<String, SourceError>> {
        Box::pin(async move {
            let mut m = self.inner.lock().expect("automation");
            if let Some(e) = m.executions.iter().find(|e| e.1 == client_token) {
                return Ok(e.0.clone());
            }
            m.starts += 1;
            let id = format!("exec-{:04}", m.starts);
            m.executions.push((
                id.clone(),
                client_token.to_string(),
                document.to_string(),
                now_ms(),
                false,
            ));
            Ok(id)
        })
    }

    fn status<'a>(
        &'a self,
        execution_id: &'a str,
    ) -> BoxFuture<'a, Result<ExecStatus, SourceError>> {
        Box::pin(async move {
            let m = self.inner.lock().expect("automation");
            let e = m
                .executions
                .iter()
                .find(|e| e.0 == execution_id)
                .ok_or_else(|| {
                    SourceError::Other(format!(
                        "AutomationExecutionNotFoundException: {execution_id}"
                    ))
                })?;
            let done = now_ms() - e.3 >= m.duration_ms;
            let state = match (e.4, done, m.fail.contains(&e.2)) {
                (true, _, _) => ExecState::Cancelled,
                (false, false, _) => ExecState::InProgress,
                (false, true, true) => ExecState::Failed,
                (false, true, false) => ExecState::Success,
            };
            Ok(ExecStatus {
                state,
                step: Some(if done { "verify" } else { "remediate" }.into()),
                failure: (state == ExecState::Failed)
                    .then(|| "Step remediate failed: AccessDenied (demo)".into()),
            })
        })
    }

    fn stop<'a>(&'a self, execution_id: &'a str) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(async move {
            let mut m = self.inner.lock().expect("automation");
            if let Some(e) = m.executions.iter_mut().find(|e| e.0 == execution_id) {
                e.4 = true;
            }
            Ok(())
        })
    }

    fn waiting(&self) -> BoxFuture<'_, Result<Vec<Waiting>, SourceError>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn signal<'a>(
        &'a self,
        execution_id: &'a str,
        _approve: bool,
        _comment: &'a str,
    ) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(async move {
            Err(SourceError::Other(format!(
                "InvalidAutomationSignalException: {execution_id} is not waiting"
            )))
        })
    }
}
