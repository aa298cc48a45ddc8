//! Posture history: one point per poll cycle, downsampled as it ages (every point for a day,
//! hourly for a week, daily after that) and dropped after the retention period, so the store
//! stays small however long the console runs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::score::Posture;
use super::stats::Stats;

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub at: i64,
    /// Standard key (and "summary") → score.
    pub scores: BTreeMap<String, u8>,
    /// Open findings by severity: critical, high, medium, low, informational.
    pub open: [u32; 5],
}

impl Point {
    pub fn new(at: i64, posture: &Posture, stats: &Stats) -> Point {
        let mut scores: BTreeMap<String, u8> = posture
            .standards
            .iter()
            .filter_map(|s| Some((s.key.clone(), s.score?)))
            .collect();
        if let Some(s) = posture.summary_score {
            scores.insert("summary".into(), s);
        }
        Point {
            at,
            scores,
            open: stats.open_by_severity,
        }
    }
}

/// Which points to keep at `now`: all from the last day, the last of each hour for a week,
/// the last of each day before that, none older than `retention_days`.
pub fn keep(points: &[Point], now: i64, retention_days: u32) -> Vec<i64> {
    let cutoff = now - i64::from(retention_days) * DAY;
    let mut kept: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    for p in points.iter().filter(|p| p.at >= cutoff) {
        let age = now - p.at;
        let bucket = if age < DAY {
            (0, p.at)
        } else if age < 7 * DAY {
            (1, p.at.div_euclid(HOUR))
        } else {
            (2, p.at.div_euclid(DAY))
        };
        let e = kept.entry(bucket).or_insert(p.at);
        *e = (*e).max(p.at);
    }
    let mut out: Vec<i64> = kept.into_values().collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The series for a trend chart over the last `days`: (days ago as x, value).
pub fn series(
    points: &[Point],
    now: i64,
    days: u32,
    value: impl Fn(&Point) -> Option<f64>,
) -> Vec<(f64, f64)> {
    let from = now - i64::from(days) * DAY;
    points
        .iter()
        .filter(|p| p.at >= from)
        .filter_map(|p| value(p).map(|v| ((p.at - now) as f64 / DAY as f64, v)))
        .collect()
}

/// A month of made-up history ending at `current`, for the demo only: the score climbs and
/// open findings fall, with some noise, so the trend view has a story to tell.
pub fn demo_backfill(current: &Point, days: u32) -> Vec<Point> {
    (1..=i64::from(days) * 4)
        .rev()
        .map(|k| {
            let at = current.at - k * 6 * HOUR;
            let progress = 1.0 - k as f64 / (f64::from(days) * 4.0);
            let wobble = ((k * 7919) % 11) as f64 - 5.0;
            let scores = current
                .scores
                .iter()
                .map(|(key, v)| {
                    (
                        key.clone(),
                        (f64::from(*v) * (0.6 + 0.4 * progress) + wobble * 0.6).clamp(0.0, 100.0)
                            as u8,
                    )
                })
                .collect();
            let mut open = current.open;
            for o in &mut open {
                *o = (f64::from(*o) * (1.8 - 0.8 * progress) + wobble.abs()) as u32;
            }
            Point { at, scores, open }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(at: i64) -> Point {
        Point {
            at,
            scores: BTreeMap::from([("summary".to_string(), 50)]),
            open: [0; 5],
        }
    }

    #[test]
    fn downsampling_keeps_recent_detail_and_bounds_the_rest() {
        let now = 1_000 * DAY;
        // One point every 10 minutes for 120 days.
        let points: Vec<Point> = (0..120 * 144).map(|i| pt(now - i * 600_000)).collect();
        let kept = keep(&points, now, 90);
        let recent = kept.iter().filter(|&&t| now - t < DAY).count();
        let week = kept
            .iter()
            .filter(|&&t| (DAY..7 * DAY).contains(&(now - t)))
            .count();
        let old = kept.iter().filter(|&&t| now - t >= 7 * DAY).count();
        assert_eq!(recent, 144, "every point of the last day");
        assert!(
            (143..=145).contains(&week),
            "hourly for six more days: {week}"
        );
        assert!((83..=85).contains(&old), "daily up to 90 days: {old}");
        assert!(kept.iter().all(|&t| now - t <= 90 * DAY), "retention");
        // Keeping is stable: applying it again changes nothing.
        let again: Vec<Point> = kept.iter().map(|&t| pt(t)).collect();
        assert_eq!(keep(&again, now, 90), kept);
    }

    #[test]
    fn series_is_relative_days() {
        let now = 10 * DAY;
        let points = vec![pt(now - 2 * DAY), pt(now - DAY / 2), pt(now - 40 * DAY)];
        let s = series(&points, now, 7, |p| {
            p.scores.get("summary").map(|v| f64::from(*v))
        });
        assert_eq!(s, vec![(-2.0, 50.0), (-0.5, 50.0)]);
    }
}
