//! The posture view's statistics tab: open findings by severity and age, mean time to
//! resolve, and code scanning per repository.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Span;

use super::{bar, line};
use crate::posture::stats::AGE_BUCKETS;
use crate::tui::app::App;

pub(super) fn statistics(area: Rect, buf: &mut Buffer, app: &App) {
    let t = &app.theme;
    let s = &app.snapshot.insights.stats;
    let names = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO"];
    let bar_w = usize::from(area.width).saturating_sub(40).clamp(8, 50);
    let mut y = area.y;
    line(
        buf,
        area,
        y,
        vec![Span::styled("Open findings by severity", t.style("title"))],
    );
    y += 1;
    let max = f64::from(*s.open_by_severity.iter().max().unwrap_or(&1));
    for (i, n) in names.iter().enumerate() {
        let style = t.overlay(&format!(
            "severity.{}",
            if i == 4 {
                "informational".to_string()
            } else {
                n.to_lowercase()
            }
        ));
        let text = format!("{n:<9} {:>6} ", s.open_by_severity[i]);
        line(
            buf,
            area,
            y,
            vec![
                Span::styled(text, t.base().patch(style)),
                Span::raw(bar(app, f64::from(s.open_by_severity[i]), max, bar_w)),
            ],
        );
        y += 1;
    }
    y += 1;
    line(
        buf,
        area,
        y,
        vec![Span::styled("Age of open findings", t.style("title"))],
    );
    y += 1;
    let max = f64::from(*s.open_by_age.iter().max().unwrap_or(&1));
    for (i, (label, _)) in AGE_BUCKETS.iter().enumerate() {
        line(
            buf,
            area,
            y,
            vec![Span::raw(format!(
                "{label:<9} {:>6} {}",
                s.open_by_age[i],
                bar(app, f64::from(s.open_by_age[i]), max, bar_w)
            ))],
        );
        y += 1;
    }
    y += 1;
    // Short severity names when the full ones would not fit on one line (80 columns).
    let short = ["CRIT", "HIGH", "MED", "LOW", "INFO"];
    let labels = if area.width < 100 { &short } else { &names };
    let mttr: Vec<String> = labels
        .iter()
        .zip(s.mttr_hours)
        .map(|(n, h)| {
            format!(
                "{n} {}",
                h.map_or("-".into(), |h| if h < 48.0 {
                    format!("{h:.0}h")
                } else {
                    format!("{:.1}d", h / 24.0)
                })
            )
        })
        .collect();
    line(
        buf,
        area,
        y,
        vec![
            Span::styled("Mean time to resolve  ", t.style("title")),
            Span::raw(mttr.join(if area.width < 100 { "  " } else { "   " })),
        ],
    );
    code_repos(area, buf, app, y + 2);
}

/// Code scanning per repository: open alerts by severity, the oldest, the fixed rate. Not
/// scored against the cloud standards.
fn code_repos(area: Rect, buf: &mut Buffer, app: &App, mut y: u16) {
    let t = &app.theme;
    let repos = &app.snapshot.insights.stats.repos;
    if repos.is_empty() || y + 2 >= area.bottom() {
        return;
    }
    line(
        buf,
        area,
        y,
        vec![Span::styled(
            "Code scanning by repository (not scored against cloud standards)",
            t.style("title"),
        )],
    );
    y += 1;
    let w = usize::from(area.width).saturating_sub(47).clamp(12, 40);
    line(
        buf,
        area,
        y,
        vec![Span::styled(
            format!(
                "{:<w$} {:>5} {:>5} {:>5} {:>5} {:>5} {:>7} {:>6}",
                "REPOSITORY", "CRIT", "HIGH", "MED", "LOW", "INFO", "OLDEST", "FIXED"
            ),
            t.style("header"),
        )],
    );
    y += 1;
    let shown = usize::from(area.bottom().saturating_sub(y));
    for r in repos.iter().take(shown) {
        let o = r.open_by_severity;
        line(
            buf,
            area,
            y,
            vec![Span::raw(format!(
                "{:<w$} {:>5} {:>5} {:>5} {:>5} {:>5} {:>7} {:>6}",
                crate::sanitize::fit_middle(&r.repo, w, t.symbol("ellipsis")),
                o[0],
                o[1],
                o[2],
                o[3],
                o[4],
                r.oldest_open_days.map_or("-".into(), |d| format!("{d}d")),
                r.fixed_rate.map_or("-".into(), |p| format!("{p}%")),
            ))],
        );
        y += 1;
    }
}
