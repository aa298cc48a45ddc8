//! Posture: security score per standard (as Security Hub CSPM computes it), breakdowns,
//! trends from stored history, finding statistics and compliance reports.

pub mod history;
pub mod report;
pub mod score;
pub mod standards;
pub mod stats;

use std::sync::Arc;

use crate::model::Finding;

/// What the posture view shows, computed by the hub (never in the render path).
#[derive(Debug, Clone, Default)]
pub struct Insights {
    pub posture: score::Posture,
    pub stats: stats::Stats,
    pub history: Vec<history::Point>,
    /// Where control metadata came from: "derived from findings" unless the API answered.
    pub metadata: String,
    pub computed_at: i64,
}

impl Insights {
    pub fn compute(findings: &[Arc<Finding>], history: Vec<history::Point>, now: i64) -> Insights {
        Insights {
            posture: score::compute(findings, None),
            stats: stats::compute(findings, now),
            history,
            metadata: "derived from findings (Compliance.SecurityControlId, AssociatedStandards, RelatedRequirements)".into(),
            computed_at: now,
        }
    }
}

/// How history is kept.
#[derive(Debug, Clone, Copy)]
pub struct HistorySettings {
    pub snapshot_every_ms: i64,
    pub retention_days: u32,
    /// The demo backfills a month of plausible history so trends have something to show.
    pub demo_backfill: bool,
}

impl Default for HistorySettings {
    fn default() -> Self {
        HistorySettings {
            snapshot_every_ms: 300_000,
            retention_days: 90,
            demo_backfill: false,
        }
    }
}
