//! Progress of the headless `findings` read, on stderr (stdout carries the findings): a line
//! every couple of seconds while any source is still being read, a summary line for each
//! source whose read took that long (pages, findings, time), and a total line when the whole
//! read did. A quick read prints nothing (1,000 sources must not mean 1,000 lines).

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::poller::progress::{grouped, short_duration};

#[derive(Debug, Clone)]
struct Row {
    key: String,
    pages: u32,
    findings: usize,
    done: Option<Duration>,
}

/// Shared by the per-source reads and the ticker.
#[derive(Debug)]
pub struct Reads {
    start: Instant,
    rows: Mutex<Vec<Row>>,
}

/// First progress line after this long, then one per this long.
pub const EVERY: Duration = Duration::from_secs(2);

impl Reads {
    pub fn new(keys: impl IntoIterator<Item = String>) -> Arc<Reads> {
        Arc::new(Reads {
            start: Instant::now(),
            rows: Mutex::new(
                keys.into_iter()
                    .map(|key| Row {
                        key,
                        pages: 0,
                        findings: 0,
                        done: None,
                    })
                    .collect(),
            ),
        })
    }

    pub fn page(&self, i: usize, pages: u32, findings: usize) {
        if let Some(r) = self.rows.lock().expect("reads").get_mut(i) {
            r.pages = pages;
            r.findings = findings;
        }
    }

    pub fn done(&self, i: usize) {
        let took = self.start.elapsed();
        if let Some(r) = self.rows.lock().expect("reads").get_mut(i) {
            r.done = Some(took);
        }
    }

    /// "reading 2 of 5 sources: 41 pages, 12,300 findings so far, 290/s, 14s"; None when
    /// every source is done.
    pub fn line(&self) -> Option<String> {
        let rows = self.rows.lock().expect("reads");
        let running = rows.iter().filter(|r| r.done.is_none()).count();
        if running == 0 {
            return None;
        }
        let pages: u64 = rows.iter().map(|r| u64::from(r.pages)).sum();
        let findings: u64 = rows.iter().map(|r| r.findings as u64).sum();
        let secs = self.start.elapsed().as_secs_f64();
        let rate = if secs > 0.0 {
            (findings as f64 / secs).round() as u64
        } else {
            0
        };
        Some(format!(
            "reading {running} of {} sources: {} pages, {} findings so far, {}/s, {}",
            rows.len(),
            grouped(pages),
            grouped(findings),
            grouped(rate),
            short_duration(secs as u64)
        ))
    }

    /// "aws/prod/us-east-1: 12 pages, 1,130 findings in 4.1 s" for source `i`, once done, if
    /// its read took at least [`EVERY`].
    pub fn summary(&self, i: usize) -> Option<String> {
        let rows = self.rows.lock().expect("reads");
        let r = rows.get(i)?;
        let took = r.done.filter(|d| *d >= EVERY)?.as_secs_f64();
        Some(format!(
            "{}: {} page{}, {} finding{} in {took:.1} s",
            crate::sanitize::line(&r.key),
            grouped(u64::from(r.pages)),
            if r.pages == 1 { "" } else { "s" },
            grouped(r.findings as u64),
            if r.findings == 1 { "" } else { "s" },
        ))
    }

    /// "read 12 sources: 130 pages, 12,345 findings in 41.0 s" once every source is done, if
    /// that took at least [`EVERY`].
    pub fn total(&self) -> Option<String> {
        let rows = self.rows.lock().expect("reads");
        let took = rows
            .iter()
            .map(|r| r.done)
            .collect::<Option<Vec<_>>>()?
            .into_iter()
            .max()
            .filter(|d| *d >= EVERY)?;
        let pages: u64 = rows.iter().map(|r| u64::from(r.pages)).sum();
        let findings: u64 = rows.iter().map(|r| r.findings as u64).sum();
        Some(format!(
            "read {} source{}: {} pages, {} findings in {:.1} s",
            rows.len(),
            if rows.len() == 1 { "" } else { "s" },
            grouped(pages),
            grouped(findings),
            took.as_secs_f64()
        ))
    }

    /// Prints [`Reads::line`] on stderr every [`EVERY`] until every source is done.
    pub fn tick(self: &Arc<Reads>) -> tokio::task::JoinHandle<()> {
        let reads = self.clone();
        tokio::spawn(async move {
            let mut at = Instant::now() + EVERY;
            loop {
                tokio::time::sleep_until(at).await;
                let Some(line) = reads.line() else { return };
                let _ = writeln!(std::io::stderr().lock(), "agent-hubble: {line}");
                at += EVERY;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn lines_while_reading_then_summaries() {
        let quick = Reads::new(["q".to_string()]);
        quick.page(0, 1, 5);
        quick.done(0);
        assert_eq!(
            (quick.summary(0), quick.total()),
            (None, None),
            "quick reads are quiet"
        );

        let reads = Reads::new(["a".to_string(), "b".to_string()]);
        reads.page(0, 3, 300);
        reads.page(1, 1, 1);
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(
            reads.line().unwrap(),
            "reading 2 of 2 sources: 4 pages, 301 findings so far, 151/s, 2s"
        );
        reads.done(1);
        assert_eq!(reads.summary(1).unwrap(), "b: 1 page, 1 finding in 2.0 s");
        assert_eq!(reads.summary(0), None, "not done");
        assert_eq!(reads.total(), None, "not done");
        reads.page(0, 120, 12_000);
        tokio::time::advance(Duration::from_secs(2)).await;
        reads.done(0);
        assert_eq!(reads.line(), None);
        assert_eq!(
            reads.summary(0).unwrap(),
            "a: 120 pages, 12,000 findings in 4.0 s"
        );
        assert_eq!(
            reads.total().unwrap(),
            "read 2 sources: 121 pages, 12,001 findings in 4.0 s"
        );
    }
}
