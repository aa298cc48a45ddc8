//! Full reads in progress, as text: one compact segment for the status bar and one line per
//! source for the sources list. The bar uses the theme's `bar.full`/`bar.empty` symbols, so
//! ASCII and screen-reader modes get `#` and `.`, never block characters. No ETA without a
//! known total.

use crate::hub::SourceStatus;
use crate::poller::SyncKind;
use crate::poller::progress::{SyncProgress, grouped, short_duration};
use crate::tui::theme::Theme;

/// Every full read in progress, summed: sources read side by side, the slowest decides the
/// ETA, and there is a total only when each has one.
struct Syncing {
    count: usize,
    findings: u64,
    pages: u64,
    per_sec: u64,
    total: Option<u64>,
    eta: Option<u64>,
}

fn syncing(sources: &[SourceStatus]) -> Option<Syncing> {
    let all: Vec<&SyncProgress> = sources
        .iter()
        .filter_map(|s| s.health.progress.as_ref())
        .collect();
    (!all.is_empty()).then(|| Syncing {
        count: all.len(),
        findings: all.iter().map(|p| p.findings).sum(),
        pages: all.iter().map(|p| u64::from(p.pages)).sum(),
        per_sec: all.iter().map(|p| u64::from(p.per_sec)).sum(),
        total: all.iter().map(|p| p.total).sum(),
        eta: all
            .iter()
            .map(|p| p.eta_secs)
            .collect::<Option<Vec<u64>>>()
            .and_then(|v| v.into_iter().max()),
    })
}

/// "syncing 2 · 12,300/≈98,000 · 290/s · ETA 4m"; without a total for every syncing source,
/// "syncing 2 · 12,300 findings · 41 pages · 290/s". None when nothing is syncing.
pub fn status_segment(sources: &[SourceStatus]) -> Option<String> {
    let s = syncing(sources)?;
    let mut out = format!("syncing {}", s.count);
    match s.total {
        Some(t) => out.push_str(&format!(" · {}/≈{}", grouped(s.findings), grouped(t))),
        None => out.push_str(&format!(
            " · {} findings · {} pages",
            grouped(s.findings),
            grouped(s.pages)
        )),
    }
    out.push_str(&format!(" · {}/s", grouped(s.per_sec)));
    if let (Some(_), Some(e)) = (s.total, s.eta) {
        out.push_str(&format!(" · ETA {}", short_duration(e)));
    }
    Some(out)
}

/// The short form for a narrow status bar: "sync 41% ETA 7m", or "sync 12,300" without a
/// total. None when nothing is syncing.
pub fn status_compact(sources: &[SourceStatus]) -> Option<String> {
    let s = syncing(sources)?;
    let pct = |t: u64| (s.findings * 100 / t).min(100);
    Some(match (s.total.filter(|&t| t > 0), s.eta) {
        (Some(t), Some(e)) => format!("sync {}% ETA {}", pct(t), short_duration(e)),
        (Some(t), None) => format!("sync {}%", pct(t)),
        (None, _) => format!("sync {}", grouped(s.findings)),
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
