//! Posture: security score per standard (as Security Hub CSPM computes it), breakdowns,
//! trends from stored history, finding statistics and compliance reports.

pub mod score;
pub mod standards;
