//! Posture and its history: recomputed when findings changed, at most every couple of
//! seconds; for a big fleet on a thread of its own, the result sent back as input.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::{Hub, HubInput};
use crate::model::{Finding, now_ms};

/// Above this many findings posture is computed on its own thread (~0.3 µs per finding):
/// the hub keeps applying and publishing meanwhile.
pub(super) const INSIGHTS_INLINE_MAX: usize = 50_000;

/// Posture is O(findings): recomputed at most this often.
pub(super) const INSIGHTS_EVERY: Duration = Duration::from_secs(2);

impl Hub {
    /// Lets a big fleet's posture be computed off the hub thread, its result sent back
    /// through `tx` (the hub's own input channel).
    pub fn set_feedback(&mut self, tx: mpsc::WeakSender<HubInput>) {
        self.feedback = Some(tx);
    }

    #[cfg(test)]
    pub(super) fn set_insights_inline_max(&mut self, n: usize) {
        self.insights_inline_max = n;
    }

    /// Recomputes posture when findings changed, at most every 2 s (it is O(findings)); for
    /// a big fleet on another thread unless `force`d (a history point needs it now).
    pub(super) fn refresh_insights(&mut self, force: bool) {
        let due = self
            .insights_at
            .is_none_or(|t| t.elapsed() >= INSIGHTS_EVERY);
        if !(self.insights_stale && (due || force)) {
            return;
        }
        let scores: Vec<_> = self.provider_scores.values().flatten().cloned().collect();
        let background = !force && self.findings.len() > self.insights_inline_max;
        if let (true, Some(tx)) = (background, self.feedback.as_ref().and_then(|w| w.upgrade())) {
            if self.insights_running {
                return; // the one running is followed by another when it lands
            }
            let (list, history, meta, scores) = (
                self.findings.list(),
                self.history.clone(),
                self.metadata.clone(),
                scores.clone(),
            );
            let spawned = std::thread::Builder::new()
                .name("posture".into())
                .spawn(move || {
                    let insights = compute(list.to_vec(), history, meta.as_ref(), scores);
                    let _ = tx.blocking_send(HubInput::Insights(Box::new(insights)));
                });
            if spawned.is_ok() {
                self.insights_running = true;
                self.insights_stale = false;
                self.insights_at = Some(Instant::now());
                return;
            }
        }
        let findings: Vec<Arc<Finding>> = self.findings.iter().cloned().collect();
        let insights = compute(
            findings,
            self.history.clone(),
            self.metadata.as_ref(),
            scores,
        );
        self.insights = Arc::new(insights);
        self.insights_stale = false;
        self.insights_at = Some(Instant::now());
    }

    /// One history point per poll cycle (at most every `snapshot_every_ms`), once every
    /// source has completed a full sync so a partial picture is never recorded.
    pub(super) fn record_history(&mut self) {
        let now = now_ms();
        let due = self
            .history
            .last()
            .is_none_or(|p| now - p.at >= self.history_settings.snapshot_every_ms);
        if !due || self.sources.values().any(|s| s.stale) || self.findings.is_empty() {
            return;
        }
        self.insights_stale = true;
        self.refresh_insights(true);
        let point =
            crate::posture::history::Point::new(now, &self.insights.posture, &self.insights.stats);
        let mut new = Vec::new();
        if self.history.is_empty() && self.history_settings.demo_backfill {
            new = crate::posture::history::demo_backfill(&point, 30);
        }
        new.push(point);
        if let Some(store) = self.store.as_mut() {
            let mut r = new.iter().try_for_each(|p| store.add_history(p));
            if r.is_ok() {
                r = store
                    .compact_history(now, self.history_settings.retention_days)
                    .map(|_| ());
            }
            self.store_result(r);
        }
        self.history.extend(new);
        let keep: HashSet<i64> =
            crate::posture::history::keep(&self.history, now, self.history_settings.retention_days)
                .into_iter()
                .collect();
        self.history.retain(|p| keep.contains(&p.at));
        self.insights_stale = true;
        self.refresh_insights(true);
    }
}

/// Posture, statistics and history of `findings`, with the providers' own scores.
fn compute(
    findings: Vec<Arc<Finding>>,
    history: Vec<crate::posture::history::Point>,
    meta: Option<&crate::sources::aws_controls::ControlMetadata>,
    scores: Vec<crate::sources::ProviderScore>,
) -> crate::posture::Insights {
    let mut insights = crate::posture::Insights::compute_with(&findings, history, now_ms(), meta);
    insights.provider_scores = scores;
    insights
}
