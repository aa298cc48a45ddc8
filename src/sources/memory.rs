//! An in-memory source behind the [`Source`] trait, for unit tests and benchmarks:
//! findings can be added, changed and made to fail while pollers run.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;

use super::{
    Normalized, NormalizedPage, Query, RateLimit, Source, SourceError, SourceInfo, WorkflowOutcome,
    WorkflowUpdate,
};
use crate::model::{Finding, Provider};

#[derive(Default)]
struct Inner {
    findings: Vec<Normalized>,
    failures: VecDeque<SourceError>,
    calls: usize,
    /// Every query asked, oldest first (with the page token).
    queries: Vec<(Query, Option<String>)>,
}

#[derive(Clone)]
pub struct MemorySource {
    info: SourceInfo,
    inner: Arc<Mutex<Inner>>,
    page_size: usize,
    resumable: bool,
    estimate: Option<u64>,
}

impl MemorySource {
    pub fn new(key: &str) -> MemorySource {
        MemorySource {
            info: SourceInfo {
                key: key.to_string(),
                provider: Provider::Demo,
                name: key.to_string(),
                region: "us-east-1".into(),
            },
            inner: Arc::default(),
            page_size: 100,
            resumable: false,
            estimate: None,
        }
    }

    /// Full reads honour `from` (oldest first, every record state from there), as AWS does.
    pub fn resumable(mut self) -> MemorySource {
        self.resumable = true;
        self
    }

    pub fn with_page_size(mut self, n: usize) -> MemorySource {
        self.page_size = n.max(1);
        self
    }

    /// What [`Source::estimate_total`] answers.
    pub fn with_estimate(mut self, n: u64) -> MemorySource {
        self.estimate = Some(n);
        self
    }

    /// Every query asked so far, with its page token.
    pub fn queries(&self) -> Vec<(Query, Option<String>)> {
        self.inner.lock().expect("memory source").queries.clone()
    }

    pub fn put(&self, mut f: Finding) {
        f.source = self.info.key.as_str().into();
        let raw = serde_json::to_string(&f)
            .expect("finding serialises")
            .into();
        let mut inner = self.inner.lock().expect("memory source");
        inner.findings.retain(|n| n.finding.id != f.id);
        inner.findings.push(Normalized { finding: f, raw });
    }

    pub fn remove(&self, id: &str) {
        self.inner
            .lock()
            .expect("memory source")
            .findings
            .retain(|n| n.finding.id != id);
    }

    /// The next `n` calls fail with `err`.
    pub fn fail_next(&self, n: usize, err: SourceError) {
        let mut inner = self.inner.lock().expect("memory source");
        inner.failures.extend(std::iter::repeat_n(err, n));
    }

    pub fn calls(&self) -> usize {
        self.inner.lock().expect("memory source").calls
    }
}

impl Source for MemorySource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn fetch_page<'a>(
        &'a self,
        query: &'a Query,
        token: Option<String>,
    ) -> BoxFuture<'a, Result<NormalizedPage, SourceError>> {
        Box::pin(async move {
            let mut inner = self.inner.lock().expect("memory source");
            inner.calls += 1;
            inner.queries.push((query.clone(), token.clone()));
            if let Some(e) = inner.failures.pop_front() {
                return Err(e);
            }
            let mut list: Vec<&Normalized> = inner
                .findings
                .iter()
                .filter(|n| match query {
                    Query::Full {
                        from: Some(from), ..
                    } if self.resumable => n.finding.updated_at >= *from,
                    Query::Full {
                        include_archived, ..
                    } => {
                        *include_archived
                            || n.finding.record_state == crate::model::RecordState::Active
                    }
                    Query::UpdatedSince(t) => n.finding.updated_at >= *t,
                })
                .collect();
            list.sort_by_key(|n| n.finding.updated_at);
            let start: usize = token.as_deref().map_or(0, |t| t.parse().unwrap_or(0));
            let end = (start + self.page_size).min(list.len());
            Ok(NormalizedPage {
                items: list[start.min(end)..end]
                    .iter()
                    .map(|n| (*n).clone())
                    .collect(),
                skipped: Vec::new(),
                next_token: (end < list.len()).then(|| end.to_string()),
            })
        })
    }

    fn update_workflow<'a>(
        &'a self,
        update: &'a WorkflowUpdate,
    ) -> BoxFuture<'a, Result<WorkflowOutcome, SourceError>> {
        Box::pin(async move {
            let mut inner = self.inner.lock().expect("memory source");
            let mut out = WorkflowOutcome::default();
            for r in &update.findings {
                match inner.findings.iter_mut().find(|n| n.finding.id == r.id) {
                    Some(n) => {
                        n.finding.workflow = update.status;
                        out.processed.push(r.id.clone());
                    }
                    None => out.unprocessed.push((
                        r.id.clone(),
                        "FindingNotFound".into(),
                        String::new(),
                    )),
                }
            }
            Ok(out)
        })
    }

    fn rate_limit(&self) -> RateLimit {
        RateLimit {
            per_sec: 1000.0,
            burst: 1000,
        }
    }

    fn resumable(&self) -> bool {
        self.resumable
    }

    fn estimate_total(
        &self,
        _include_archived: bool,
    ) -> BoxFuture<'_, Result<Option<u64>, SourceError>> {
        let n = self.estimate;
        Box::pin(async move { Ok(n) })
    }
}

/// A plausible finding for tests: `n` varies id, severity, account and region.
pub fn sample_finding(n: usize, updated_at: i64) -> Finding {
    use crate::model::*;
    Finding {
        id: format!("f-{n:06}"),
        product_arn: "arn:aws:securityhub:us-east-1::product/aws/securityhub".into(),
        provider: Provider::AwsSecurityHub,
        source: Text::default(),
        account: format!("{:012}", 111_111_111_111u64 * (1 + (n % 3) as u64)).into(),
        account_name: None,
        region: ["us-east-1", "eu-west-1"][n % 2].into(),
        severity: Severity::ALL[n % 5],
        severity_normalized: None,
        title: format!("Finding number {n}").into(),
        description: Text::default(),
        product_name: "Security Hub".into(),
        company_name: "AWS".into(),
        generator_id: Text::default(),
        control_id: Some(format!("S3.{}", n % 10).into()),
        standards: Vec::new(),
        related_requirements: Vec::new(),
        types: Vec::new(),
        resources: vec![Resource {
            kind: "AwsS3Bucket".into(),
            id: format!("arn:aws:s3:::bucket-{n}"),
            ..Resource::default()
        }],
        workflow: Workflow::New,
        record_state: RecordState::Active,
        compliance: Some(ComplianceStatus::Failed),
        created_at: updated_at - 3_600_000,
        updated_at,
        first_observed_at: None,
        last_observed_at: None,
        remediation_text: None,
        remediation_url: None,
        note: None,
        cloud: Cloud::Aws,
        url: None,
        vulns: Vec::new(),
        search_mask: Default::default(),
        details: Vec::new(),
    }
}
