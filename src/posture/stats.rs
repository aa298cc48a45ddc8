//! Finding statistics for the posture view: open findings by severity, their ages, and the
//! mean time to resolve per severity.

use std::sync::Arc;

use serde::Serialize;

use crate::model::{Finding, RecordState, Severity, Workflow};

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
    s
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
}
