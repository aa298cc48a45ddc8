//! Progress of a full read (pages, findings so far, rate, estimated total and time left) and
//! the checkpoint an interrupted full read continues from.

use std::time::Duration;

use tokio::time::Instant;

use super::SyncKind;
use crate::sources::RateLimit;

/// Where an interrupted full read continues. The poller sends one after each page and the
/// hub persists it once the page is applied, so a restart re-reads at most one page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    pub kind: SyncKind,
    /// When the full read began; a resumed read keeps it (it is the read's mark in the store,
    /// and what was not updated since and not read is gone at the end).
    pub started_at: i64,
    /// UpdatedAt (ms) of the last complete page: the read continues there, inclusive.
    pub updated_at: i64,
    pub pages: u32,
    pub findings: u64,
}

/// A full read in progress, as the status bar and the sources list show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncProgress {
    pub kind: SyncKind,
    /// Pages and findings read so far (a resumed read counts what was read before the
    /// interruption too).
    pub pages: u32,
    pub findings: u64,
    /// Findings per second in this run of the read (0 until measurable).
    pub per_sec: u32,
    /// The expected number of findings: the previous full read's count, else the provider's
    /// own count; None when neither is known or the read has passed it.
    pub total: Option<u64>,
    /// Seconds left at the rate the source may be read (never above its rate limit); None
    /// without a total.
    pub eta_secs: Option<u64>,
    /// The read continues an interrupted one.
    pub resumed: bool,
}

impl SyncProgress {
    /// 0–1000 when the total is known.
    pub fn permille(&self) -> Option<u32> {
        let total = self.total.filter(|t| *t > 0)?;
        Some(((self.findings.min(total) * 1000) / total) as u32)
    }
}

/// Time left for `remaining` findings. The rate is what was observed, capped by what the rate
/// limit allows (`limit_per_sec` findings/s: requests/s × page size), since the first pages
/// come at burst speed; before anything was observed, the limit alone. None when no rate is
/// known.
pub fn eta(remaining: u64, observed_per_sec: Option<f64>, limit_per_sec: f64) -> Option<Duration> {
    let limit = (limit_per_sec.is_finite() && limit_per_sec > 0.0).then_some(limit_per_sec);
    let rate = match (observed_per_sec.filter(|r| *r > 0.0), limit) {
        (Some(o), Some(l)) => o.min(l),
        (Some(o), None) => o,
        (None, Some(l)) => l,
        (None, None) => return None,
    };
    Some(Duration::from_secs((remaining as f64 / rate).ceil() as u64))
}

/// 12300 → "12,300".
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A short duration for status lines: "45s", "4m", "1h05m".
pub fn short_duration(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s.div_ceil(60).min(59)),
        s => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// Counts one full read's pages and works out its progress.
#[derive(Debug)]
pub(crate) struct Tracker {
    kind: SyncKind,
    resumed: bool,
    pages: u32,
    findings: u64,
    estimate: Option<u64>,
    limit: RateLimit,
    run_start: Instant,
    run_findings: u64,
    /// The largest page seen: requests/s × this is what the rate limit allows.
    page_max: usize,
}

impl Tracker {
    pub(crate) fn new(
        kind: SyncKind,
        resumed: Option<&Checkpoint>,
        estimate: Option<u64>,
        limit: RateLimit,
    ) -> Tracker {
        Tracker {
            kind,
            resumed: resumed.is_some(),
            pages: resumed.map_or(0, |c| c.pages),
            findings: resumed.map_or(0, |c| c.findings),
            estimate,
            limit,
            run_start: Instant::now(),
            run_findings: 0,
            page_max: 0,
        }
    }

    pub(crate) fn page(&mut self, findings: usize) {
        self.pages += 1;
        self.findings += findings as u64;
        self.run_findings += findings as u64;
        self.page_max = self.page_max.max(findings);
    }

    pub(crate) fn pages(&self) -> u32 {
        self.pages
    }

    pub(crate) fn findings(&self) -> u64 {
        self.findings
    }

    pub(crate) fn progress(&self) -> SyncProgress {
        let elapsed = self.run_start.elapsed().as_secs_f64();
        // Under half a second the rate is mostly the burst.
        let observed = (elapsed >= 0.5).then(|| self.run_findings as f64 / elapsed);
        let total = self.estimate.filter(|t| *t > self.findings);
        let page = if self.page_max > 0 {
            self.page_max
        } else {
            100
        };
        let limit = self.limit.per_sec * page as f64;
        let eta_secs = total
            .and_then(|t| eta(t - self.findings, observed, limit))
            .map(|d| d.as_secs());
        SyncProgress {
            kind: self.kind,
            pages: self.pages,
            findings: self.findings,
            per_sec: observed.map_or(0, |r| r.round() as u32),
            total,
            eta_secs,
            resumed: self.resumed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HUB: RateLimit = crate::sources::SECURITY_HUB_GET_FINDINGS;

    #[test]
    fn numbers_and_durations_read_well() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(12_300), "12,300");
        assert_eq!(grouped(1_000_000), "1,000,000");
        assert_eq!(short_duration(45), "45s");
        assert_eq!(short_duration(61), "2m");
        assert_eq!(short_duration(240), "4m");
        assert_eq!(short_duration(3_599), "59m");
        assert_eq!(short_duration(3_900), "1h05m");
    }

    #[test]
    fn eta_never_beats_the_rate_limit() {
        // 3 GetFindings/s × 100 = 300 findings/s, however fast the burst looked.
        let d = eta(90_000, Some(3_000.0), 300.0).unwrap();
        assert_eq!(d, Duration::from_secs(300));
        // Slower than the limit: the observed rate counts.
        assert_eq!(
            eta(90_000, Some(150.0), 300.0),
            Some(Duration::from_secs(600))
        );
        // Nothing observed yet: the limit alone.
        assert_eq!(eta(600, None, 300.0), Some(Duration::from_secs(2)));
        // Partial seconds round up, never down to a premature "done".
        assert_eq!(eta(1, Some(300.0), 300.0), Some(Duration::from_secs(1)));
        // No rate at all: no ETA rather than a made-up one.
        assert_eq!(eta(10, None, 0.0), None);
        assert_eq!(eta(10, Some(0.0), f64::NAN), None);
    }

    #[tokio::test(start_paused = true)]
    async fn progress_counts_pages_and_respects_the_limit() {
        let mut t = Tracker::new(SyncKind::Full, None, Some(98_000), HUB);
        let p = t.progress();
        assert_eq!((p.pages, p.findings, p.per_sec), (0, 0, 0));
        // Before any page: the limit at 100 per page, 300/s → 327 s.
        assert_eq!(p.eta_secs, Some(327));
        for _ in 0..6 {
            t.page(100);
        }
        tokio::time::advance(Duration::from_secs(1)).await;
        let p = t.progress();
        assert_eq!((p.pages, p.findings, p.per_sec), (6, 600, 600));
        // 97,400 left at min(600 observed, 300 allowed) = 325 s.
        assert_eq!(p.eta_secs, Some(325));
        assert_eq!(p.permille(), Some(6));
    }

    #[tokio::test(start_paused = true)]
    async fn no_estimate_means_no_total_and_no_eta() {
        let mut t = Tracker::new(SyncKind::Full, None, None, HUB);
        t.page(100);
        tokio::time::advance(Duration::from_secs(2)).await;
        let p = t.progress();
        assert_eq!((p.total, p.eta_secs, p.per_sec), (None, None, 50));
        assert_eq!(p.permille(), None);
        // An estimate the read has passed is no estimate.
        let mut t = Tracker::new(SyncKind::Reconcile, None, Some(50), HUB);
        t.page(100);
        assert_eq!(t.progress().total, None);
    }

    #[test]
    fn a_resumed_read_counts_from_its_checkpoint() {
        let cp = Checkpoint {
            kind: SyncKind::Full,
            started_at: 1,
            updated_at: 2,
            pages: 40,
            findings: 4_000,
        };
        let mut t = Tracker::new(SyncKind::Full, Some(&cp), Some(10_000), HUB);
        t.page(100);
        let p = t.progress();
        assert!(p.resumed);
        assert_eq!((p.pages, p.findings, p.total), (41, 4_100, Some(10_000)));
        // 5,900 left at the limit (no rate measured yet in this run).
        assert_eq!(p.eta_secs, Some(20));
    }
}
