//! In-memory Automation for the demo fleet and unit tests.

use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;

use super::{Automation, DocInfo, ExecState, ExecStatus, Params, StartError, Waiting};
use crate::model::now_ms;
use crate::sources::SourceError;

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
    /// Document → current version; every runbook is at "1" until bumped.
    versions: std::collections::HashMap<String, u32>,
    /// The next starts answer with no definite result after starting (or before, when false).
    lost: Vec<bool>,
    /// Start requests received, replays included.
    requests: usize,
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

    /// StartAutomationExecution calls received (replays of a token included).
    pub fn start_requests(&self) -> usize {
        self.inner.lock().expect("automation").requests
    }

    /// Publishes a new version of a runbook (as AWS updating it would).
    pub fn bump_version(&self, document: &str) {
        *self
            .inner
            .lock()
            .expect("automation")
            .versions
            .entry(document.to_string())
            .or_insert(1) += 1;
    }

    /// The next start answers ambiguously; `after_accepting` says whether it started first.
    pub fn lose_next_answer(&self, after_accepting: bool) {
        self.inner
            .lock()
            .expect("automation")
            .lost
            .push(after_accepting);
    }
}

fn fake_hash(document: &str, version: u32) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(format!("{document}@{version}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Automation for MemoryAutomation {
    fn start<'a>(
        &'a self,
        document: &'a str,
        _version: Option<&'a str>,
        _params: &'a Params,
        client_token: &'a str,
    ) -> BoxFuture<'a, Result<String, StartError>> {
        Box::pin(async move {
            let mut m = self.inner.lock().expect("automation");
            m.requests += 1;
            let lost = (!m.lost.is_empty()).then(|| m.lost.remove(0));
            if lost == Some(false) {
                return Err(StartError::Ambiguous("timed out (demo)".into()));
            }
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
            if lost == Some(true) {
                return Err(StartError::Ambiguous(
                    "HTTP 503 after accepting (demo)".into(),
                ));
            }
            Ok(id)
        })
    }

    fn describe<'a>(
        &'a self,
        document: &'a str,
        version: Option<&'a str>,
    ) -> BoxFuture<'a, Result<DocInfo, SourceError>> {
        Box::pin(async move {
            let m = self.inner.lock().expect("automation");
            let current = m.versions.get(document).copied().unwrap_or(1);
            let asked = match version {
                None | Some("$DEFAULT") | Some("$LATEST") => current,
                Some(v) => v
                    .parse::<u32>()
                    .ok()
                    .filter(|v| (1..=current).contains(v))
                    .ok_or_else(|| {
                        SourceError::Other(format!(
                            "InvalidDocumentVersion: {document} has no version {v}"
                        ))
                    })?,
            };
            Ok(DocInfo {
                version: asked.to_string(),
                hash: fake_hash(document, asked),
                default_version: current.to_string(),
            })
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
