//! Finding statistics for the posture view: open findings by severity, their ages, and the
//! mean time to resolve per severity.

use std::sync::Arc;

use serde::Serialize;

use crate::model::{Cloud, Finding, RecordState, Severity, Workflow};

/// Age buckets of open findings.
pub const AGE_BUCKETS: [(&str, i64); 5] = [
    ("<1d", 1),
    ("1-7d", 7),
    ("7-30d", 30),
    ("30-90d", 90),
    (">90d", i64::MAX),
];

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    /// Critical, high, medium, low, informational.
    pub open_by_severity: [u32; 5],
    pub open_by_age: [u32; 5],
    /// Mean hours from creation to resolution, per severity (resolved or archived findings).
    pub mttr_hours: [Option<f64>; 5],
    /// Code scanning (SARIF, GitHub) per repository: these are not scored against the cloud
    /// standards.
    pub repos: Vec<RepoSummary>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RepoSummary {
    pub repo: String,
    pub open_by_severity: [u32; 5],
    /// Days since the oldest open alert was created.
    pub oldest_open_days: Option<i64>,
    pub fixed: u32,
    pub dismissed: u32,
    /// Fixed out of every alert seen (open, fixed, dismissed), in percent.
    pub fixed_rate: Option<u8>,
}

pub fn severity_index(s: Severity) -> usize {
    match s {
        Severity::Critical => 0,
        Severity::High => 1,
        Severity::Medium => 2,
        Severity::Low => 3,
        Severity::Informational => 4,
    }
}

pub fn compute(findings: &[Arc<Finding>], now: i64) -> Stats {
    let mut s = Stats::default();
    let mut resolve = [(0f64, 0u32); 5];
    for f in findings {
        let i = severity_index(f.severity);
        if f.is_open() {
            s.open_by_severity[i] += 1;
            let days = (now - f.created_at).max(0) / 86_400_000;
            let b = AGE_BUCKETS
                .iter()
                .position(|(_, max)| days < *max)
                .unwrap_or(4);
            s.open_by_age[b] += 1;
        } else if f.workflow == Workflow::Resolved || f.record_state == RecordState::Archived {
            // UpdatedAt is when it was resolved (or archived): the best the API tells us.
            let hours = (f.updated_at - f.created_at).max(0) as f64 / 3_600_000.0;
            resolve[i].0 += hours;
            resolve[i].1 += 1;
        }
    }
    for (i, (sum, n)) in resolve.iter().enumerate() {
        s.mttr_hours[i] = (*n > 0).then(|| sum / f64::from(*n));
    }
    s.repos = repos(findings, now);
    s
}

/// Code findings by repository, the most open criticals and highs first.
pub fn repos(findings: &[Arc<Finding>], now: i64) -> Vec<RepoSummary> {
    let mut by: std::collections::BTreeMap<&str, RepoSummary> = Default::default();
    for f in findings.iter().filter(|f| f.cloud == Cloud::Code) {
        let r = by.entry(f.account.as_str()).or_insert_with(|| RepoSummary {
            repo: f.account.to_string(),
            ..RepoSummary::default()
        });
        if f.is_open() {
            r.open_by_severity[severity_index(f.severity)] += 1;
            let days = (now - f.created_at).max(0) / 86_400_000;
            r.oldest_open_days = Some(r.oldest_open_days.map_or(days, |d| d.max(days)));
        } else if f.workflow == Workflow::Suppressed {
            r.dismissed += 1;
        } else {
            r.fixed += 1;
        }
    }
    let mut out: Vec<RepoSummary> = by
        .into_values()
        .map(|mut r| {
            let total = r.open_by_severity.iter().sum::<u32>() + r.fixed + r.dismissed;
            r.fixed_rate = (total > 0).then(|| (r.fixed * 100 / total) as u8);
            r
        })
        .collect();
    out.sort_by(|a, b| {
        b.open_by_severity[..2]
            .cmp(&a.open_by_severity[..2])
            .then_with(|| a.repo.cmp(&b.repo))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::memory::sample_finding;

    #[test]
    fn open_ages_and_time_to_resolve() {
        let now = 100 * 86_400_000;
        let mut a = sample_finding(0, now); // critical, open, created 1 h before now
        a.created_at = now - 3_600_000;
        let mut b = sample_finding(5, now); // critical, resolved after 10 h
        b.workflow = Workflow::Resolved;
        b.created_at = now - 10 * 3_600_000;
        let mut c = sample_finding(1, now); // high, open for 40 days
        c.created_at = now - 40 * 86_400_000;
        let mut d = sample_finding(10, now); // critical, archived after 30 h
        d.record_state = RecordState::Archived;
        d.created_at = now - 30 * 3_600_000;
        let s = compute(&[a, b, c, d].map(Arc::new), now);
        assert_eq!(s.open_by_severity, [1, 1, 0, 0, 0]);
        assert_eq!(s.open_by_age, [1, 0, 0, 1, 0]);
        assert_eq!(s.mttr_hours[0], Some(20.0));
        assert_eq!(s.mttr_hours[1], None);
    }

    #[test]
    fn code_findings_summarised_per_repository() {
        let now = 100 * 86_400_000;
        let code = |i: usize, repo: &str, wf: Workflow, age_days: i64| {
            let mut f = sample_finding(i, now);
            f.cloud = Cloud::Code;
            f.account = crate::model::intern(repo);
            f.workflow = wf;
            f.created_at = now - age_days * 86_400_000;
            Arc::new(f)
        };
        let list = vec![
            code(0, "acme/api", Workflow::New, 3),
            code(1, "acme/api", Workflow::New, 12),
            code(2, "acme/api", Workflow::Resolved, 20),
            code(3, "acme/web", Workflow::Suppressed, 1),
            Arc::new(sample_finding(4, now)),
        ];
        let r = repos(&list, now);
        assert_eq!(r.len(), 2, "cloud findings are not repositories");
        assert_eq!(r[0].repo, "acme/api");
        assert_eq!(r[0].open_by_severity.iter().sum::<u32>(), 2);
        assert_eq!(r[0].oldest_open_days, Some(12));
        assert_eq!((r[0].fixed, r[0].fixed_rate), (1, Some(33)));
        assert_eq!((r[1].dismissed, r[1].fixed_rate), (1, Some(0)));
    }
}
