//! Full reads in progress, as text: one compact segment for the status bar and one line per
//! source for the sources list. The bar uses the theme's `bar.full`/`bar.empty` symbols, so
//! ASCII and screen-reader modes get `#` and `.`, never block characters. No ETA without a
//! known total.

use crate::hub::SourceStatus;
use crate::poller::SyncKind;
use crate::poller::progress::{SyncProgress, grouped, short_duration};
use crate::tui::theme::Theme;

/// "syncing 2 · 12,300/≈98,000 · 290/s · ETA 4m"; without a total for every syncing source,
/// "syncing 2 · 12,300 findings · 41 pages · 290/s". None when nothing is syncing.
pub fn status_segment(sources: &[SourceStatus]) -> Option<String> {
    let syncing: Vec<&SyncProgress> = sources
        .iter()
        .filter_map(|s| s.health.progress.as_ref())
        .collect();
    if syncing.is_empty() {
        return None;
    }
    let findings: u64 = syncing.iter().map(|p| p.findings).sum();
    let pages: u64 = syncing.iter().map(|p| u64::from(p.pages)).sum();
    let rate: u64 = syncing.iter().map(|p| u64::from(p.per_sec)).sum();
    let totals: Option<u64> = syncing.iter().map(|p| p.total).sum();
    // Sources read side by side: the slowest decides.
    let eta: Option<u64> = syncing
        .iter()
        .map(|p| p.eta_secs)
        .collect::<Option<Vec<u64>>>()
        .and_then(|v| v.into_iter().max());
    let mut out = format!("syncing {}", syncing.len());
    match totals {
        Some(t) => out.push_str(&format!(" · {}/≈{}", grouped(findings), grouped(t))),
        None => out.push_str(&format!(
            " · {} findings · {} pages",
            grouped(findings),
            grouped(pages)
        )),
    }
    out.push_str(&format!(" · {}/s", grouped(rate)));
    if let (Some(_), Some(e)) = (totals, eta) {
        out.push_str(&format!(" · ETA {}", short_duration(e)));
    }
    Some(out)
}

/// The short form for a narrow status bar: "sync 41% ETA 7m", or "sync 12,300" without a
/// total. None when nothing is syncing.
pub fn status_compact(sources: &[SourceStatus]) -> Option<String> {
    let syncing: Vec<&SyncProgress> = sources
        .iter()
        .filter_map(|s| s.health.progress.as_ref())
        .collect();
    if syncing.is_empty() {
        return None;
    }
    let findings: u64 = syncing.iter().map(|p| p.findings).sum();
    let totals: Option<u64> = syncing.iter().map(|p| p.total).sum();
    let eta: Option<u64> = syncing
        .iter()
        .map(|p| p.eta_secs)
        .collect::<Option<Vec<u64>>>()
        .and_then(|v| v.into_iter().max());
    Some(match (totals.filter(|&t| t > 0), eta) {
        (Some(t), Some(e)) => format!(
            "sync {}% ETA {}",
            (findings * 100 / t).min(100),
            short_duration(e)
        ),
        (Some(t), None) => format!("sync {}%", (findings * 100 / t).min(100)),
        (None, _) => format!("sync {}", grouped(findings)),
    })
}

/// "loading cache 350,000/1,000,000 (35%)" while the store's findings are read.
pub fn loading_segment(loaded: u64, total: u64) -> String {
    let pct = (loaded * 100).checked_div(total).unwrap_or(100).min(100);
    format!(
        "loading cache {}/{} ({pct}%)",
        grouped(loaded),
        grouped(total)
    )
}

/// Width of the bar in the sources list.
const BAR: usize = 20;

/// "[########............]  41%  12,300/≈30,000  290/s  ETA 1m  first sync, resumed";
/// without a total: "first sync: 41 pages, 12,300 findings, 290/s (total not known yet)".
pub fn source_line(theme: &Theme, p: &SyncProgress) -> String {
    let what = match (p.kind, p.resumed) {
        (SyncKind::Reconcile, false) => "reconcile",
        (SyncKind::Reconcile, true) => "reconcile, resumed",
        (_, false) => "first sync",
        (_, true) => "first sync, resumed",
    };
    match (p.total, p.permille()) {
        (Some(total), Some(pm)) => {
            let full = ((pm as usize * BAR + 500) / 1000).min(BAR);
            let eta = p
                .eta_secs
                .map(|e| format!("  ETA {}", short_duration(e)))
                .unwrap_or_default();
            format!(
                "[{}{}] {:>3}%  {}/≈{}  {}/s{eta}  {what}",
                theme.symbol("bar.full").repeat(full),
                theme.symbol("bar.empty").repeat(BAR - full),
                pm / 10,
                grouped(p.findings),
                grouped(total),
                grouped(u64::from(p.per_sec)),
            )
        }
        _ => format!(
            "{what}: {} pages, {} findings, {}/s (total not known yet)",
            grouped(u64::from(p.pages)),
            grouped(p.findings),
            grouped(u64::from(p.per_sec)),
        ),
    }
}
