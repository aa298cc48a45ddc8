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
    /// Scores the providers compute themselves (Azure secure score), per source.
    pub provider_scores: Vec<crate::sources::ProviderScore>,
}

impl Insights {
    pub fn compute(findings: &[Arc<Finding>], history: Vec<history::Point>, now: i64) -> Insights {
        Self::compute_with(findings, history, now, None)
    }

    pub fn compute_with(
        findings: &[Arc<Finding>],
        history: Vec<history::Point>,
        now: i64,
        meta: Option<&crate::sources::aws_controls::ControlMetadata>,
    ) -> Insights {
        Insights {
            posture: score::compute_with(findings, None, meta),
            stats: stats::compute(findings, now),
            history,
            metadata: metadata_label(meta),
            computed_at: now,
            provider_scores: Vec::new(),
        }
    }
}

/// Says where control metadata came from (the view and reports show it).
pub fn metadata_label(meta: Option<&crate::sources::aws_controls::ControlMetadata>) -> String {
    match meta {
        Some(m) => format!(
            "Security Hub API (GetEnabledStandards, ListSecurityControlDefinitions, ListStandardsControlAssociations) for {} in {}: {} standards, {} controls",
            m.account,
            m.region,
            m.enabled_standards.len(),
            m.controls.len()
        ),
        None => "derived from findings (Compliance.SecurityControlId, AssociatedStandards, RelatedRequirements)".into(),
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
