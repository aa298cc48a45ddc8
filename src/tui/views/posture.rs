//! The posture view. Every number is also text, bars use the theme's symbols (ASCII in ASCII
//! mode), and trend series are told apart by their marker letters, never by colour alone.

use crate::poller::progress::grouped;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::super::app::App;
use super::super::app::{TABS, WINDOWS};
use crate::posture::history::series;
use crate::posture::score::Counts;
use crate::sanitize;

mod stats;
use stats::statistics;

fn bar(app: &App, value: f64, max: f64, width: usize) -> String {
    let full = if max > 0.0 {
        ((value / max) * width as f64).round() as usize
    } else {
        0
    };
    let full = full.min(width);
    format!(
        "{}{}",
        app.theme.symbol("bar.full").repeat(full),
        app.theme.symbol("bar.empty").repeat(width - full)
    )
}

fn pct(s: Option<u8>) -> String {
    s.map_or("  -".into(), |v| format!("{v:>3}%"))
}

fn counts(c: &Counts) -> String {
    format!(
        "pass {} fail {} unknown {} no data {}",
        c.passed, c.failed, c.unknown, c.no_data
    )
}

fn line(buf: &mut Buffer, area: Rect, y: u16, spans: Vec<Span>) {
    if y < area.bottom() {
        Line::from(spans).render(
            Rect {
                y,
                height: 1,
                ..area
            },
            buf,
        );
    }
}

pub fn render(area: Rect, buf: &mut Buffer, app: &App) {
    let t = &app.theme;
    let mut tabs = Vec::new();
    for (i, name) in TABS.iter().enumerate() {
        let style = if i == app.posture.tab {
            t.style("selection")
        } else {
            t.style("text.muted")
        };
        let label = if i == app.posture.tab {
            format!("[{} {name}]", i + 1)
        } else {
            format!(" {} {name} ", i + 1)
        };
        tabs.push(Span::styled(label, style));
        tabs.push(Span::raw(" "));
    }
    line(buf, area, area.y, tabs);
    let body = Rect {
        y: area.y + 2,
        height: area.height.saturating_sub(2),
        ..area
    };
    let ins = &app.snapshot.insights;
    if ins.posture.controls.is_empty() && ins.history.is_empty() {
        line(
            buf,
            body,
            body.y,
            vec![Span::styled(
                "no control findings yet: the score appears after the first poll",
                t.style("text.muted"),
            )],
        );
        return;
    }
    match app.posture.tab {
        0 => scores(body, buf, app),
        1 => breakdown(body, buf, app),
        2 => trends(body, buf, app),
        3 => statistics(body, buf, app),
        _ => controls(body, buf, app),
    }
}

fn scores(area: Rect, buf: &mut Buffer, app: &App) {
    let t = &app.theme;
    let p = &app.snapshot.insights.posture;
    let w = usize::from(area.width);
    let bar_w = w.saturating_sub(70).clamp(10, 40);
    let mut y = area.y;
    let summary = vec![
        Span::styled("Security score ", t.style("title")),
        Span::styled(pct(p.summary_score), t.style("text.emphasis")),
        Span::raw(format!(
            "  {} ",
            bar(app, f64::from(p.summary_score.unwrap_or(0)), 100.0, bar_w)
        )),
        Span::styled(counts(&p.summary), t.style("text.muted")),
    ];
    line(buf, area, y, summary);
    y += 1;
    if p.summary_without_suppressions != p.summary_score {
        let msg = format!(
            "without suppressions {}: suppressed findings hide failures",
            pct(p.summary_without_suppressions).trim()
        );
        line(
            buf,
            area,
            y,
            vec![Span::styled(msg, t.style("status.throttled"))],
        );
        y += 1;
    }
    y += 1;
    for s in &p.standards {
        let name = sanitize::fit(&s.name, 46);
        let mut spans = vec![
            Span::styled(name, t.style("text")),
            Span::styled(format!(" {} ", pct(s.score)), t.style("text.emphasis")),
            Span::raw(format!(
                "{} ",
                bar(app, f64::from(s.score.unwrap_or(0)), 100.0, bar_w)
            )),
            Span::styled(
                format!(
                    "{}/{} passed",
                    s.counts.passed,
                    s.counts.passed + s.counts.failed + s.counts.unknown
                ),
                t.style("text.muted"),
            ),
        ];
        if s.score_without_suppressions != s.score {
            spans.push(Span::styled(
                format!(
                    "  (without suppressions {})",
                    pct(s.score_without_suppressions).trim()
                ),
                t.style("status.throttled"),
            ));
        }
        line(buf, area, y, spans);
        y += 1;
    }
    y += 1;
    y = provider_scores(area, buf, app, y, bar_w);
    let meta = format!("control metadata: {}", app.snapshot.insights.metadata);
    line(
        buf,
        area,
        y,
        vec![Span::styled(sanitize::fit(&meta, w), t.style("text.muted"))],
    );
}

/// Scores the providers compute themselves (Azure secure score per subscription, the
/// portal's numbers), with each subscription's weakest controls.
fn provider_scores(area: Rect, buf: &mut Buffer, app: &App, mut y: u16, bar_w: usize) -> u16 {
    let t = &app.theme;
    let scores = &app.snapshot.insights.provider_scores;
    if scores.is_empty() {
        return y;
    }
    line(
        buf,
        area,
        y,
        vec![Span::styled("Provider scores", t.style("title"))],
    );
    y += 1;
    for s in scores {
        let name = format!("{} · {} {}", s.cloud.short(), s.name, s.scope_name);
        line(
            buf,
            area,
            y,
            vec![
                Span::styled(sanitize::fit(&name, 46), t.style("text")),
                Span::styled(
                    format!(" {:>3.0}% ", s.percentage),
                    t.style("text.emphasis"),
                ),
                Span::raw(format!("{} ", bar(app, s.percentage, 100.0, bar_w))),
                Span::styled(
                    format!("{:.1}/{:.0} points", s.current, s.max),
                    t.style("text.muted"),
                ),
            ],
        );
        y += 1;
        let mut weakest: Vec<_> = s.controls.iter().filter(|c| c.max > 0.0).collect();
        weakest.sort_by(|a, b| a.percentage.total_cmp(&b.percentage));
        for c in weakest.iter().take(3) {
            let text = format!(
                "  {:<44} {:>3.0}%  {:.1}/{:.0}  unhealthy {} healthy {}",
                sanitize::fit(&c.name, 44),
                c.percentage,
                c.current,
                c.max,
                c.unhealthy,
                c.healthy
            );
            line(
                buf,
                area,
                y,
                vec![Span::styled(
                    sanitize::fit(&text, usize::from(area.width)),
                    t.style("text.muted"),
                )],
            );
            y += 1;
        }
    }
    y + 1
}

fn standard_key(app: &App) -> (String, String) {
    let p = &app.snapshot.insights.posture;
    match p
        .standards
        .get(app.posture.standard % p.standards.len().max(1))
    {
        Some(s) => (s.key.clone(), s.name.clone()),
        None => ("summary".into(), "all standards".into()),
    }
}

fn breakdown(area: Rect, buf: &mut Buffer, app: &App) {
    use crate::tui::app::BREAKDOWN_SORTS;
    let t = &app.theme;
    let (_, name) = standard_key(app);
    let hint = format!("{name}   (h/l: other standard)");
    line(
        buf,
        area,
        area.y,
        vec![Span::styled(
            sanitize::fit(&hint, usize::from(area.width)),
            t.style("title"),
        )],
    );
    let rows = app.breakdown_rows();
    let p = &app.posture;
    // Only the rows that fit are drawn; the selection stays in view.
    let visible = usize::from(area.height.saturating_sub(3)).max(1);
    let selected = p.breakdown_selected.min(rows.len().saturating_sub(1));
    let offset = (selected + 1).saturating_sub(visible);
    let accounts = rows.iter().filter(|r| !r.region).count();
    let regions = rows.len() - accounts;
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let mut summary = format!(
        "{} account{}, {} Region{}",
        grouped(accounts as u64),
        plural(accounts),
        grouped(regions as u64),
        plural(regions),
    );
    if rows.len() > visible {
        summary.push_str(&format!(
            " · {}-{} of {}",
            grouped(offset as u64 + 1),
            grouped((offset + visible).min(rows.len()) as u64),
            grouped(rows.len() as u64)
        ));
    }
    summary.push_str(&format!(
        " · by {}",
        BREAKDOWN_SORTS[p.breakdown_sort % BREAKDOWN_SORTS.len()]
    ));
    if !p.breakdown_filter.is_empty() {
        summary.push_str(&format!(
            " · matching \"{}\"",
            sanitize::line(&p.breakdown_filter)
        ));
    }
    summary.push_str(" · s sort, / filter, Enter its findings");
    line(
        buf,
        area,
        area.y + 1,
        vec![Span::styled(
            sanitize::fit(&summary, usize::from(area.width)),
            t.style("text.muted"),
        )],
    );
    let bar_w = usize::from(area.width).saturating_sub(64).clamp(8, 40);
    line(
        buf,
        area,
        area.y + 2,
        vec![Span::styled(
            format!(
                "  {:<7} {:<20} SCORE  {:<bar_w$} PASS FAIL UNKN",
                "", "ACCOUNT / REGION", ""
            ),
            t.style("header"),
        )],
    );
    for (i, r) in rows.iter().enumerate().skip(offset).take(visible) {
        let y = area.y + 3 + (i - offset) as u16;
        let c = r.counts;
        let score = c.score();
        let mut style = if score.is_some_and(|s| s < 50) {
            t.style("status.error")
        } else {
            t.style("text")
        };
        let mark = if i == selected {
            style = style.patch(t.overlay("selection"));
            ">"
        } else {
            " "
        };
        let text = format!(
            "{mark} {:<7} {:<20} {} {} {:>4} {:>4} {:>4}",
            if r.region { "Region" } else { "account" },
            sanitize::fit_middle(r.name, 20, t.symbol("ellipsis")),
            pct(score),
            bar(app, f64::from(score.unwrap_or(0)), 100.0, bar_w),
            c.passed,
            c.failed,
            c.unknown
        );
        line(buf, area, y, vec![Span::styled(text, style)]);
    }
}

/// A small scatter plot of one or more series, each drawn with its own marker character.
fn plot(
    area: Rect,
    buf: &mut Buffer,
    app: &App,
    series_list: &[(&str, Vec<(f64, f64)>)],
    days: u32,
    y_max: f64,
) {
    let t = &app.theme;
    if area.height < 3 || area.width < 12 {
        return;
    }
    let axis_w = 5u16;
    let plot_w = area.width - axis_w - 1;
    let plot_h = area.height - 1;
    for row in 0..plot_h {
        let label = if row == 0 {
            format!("{y_max:>4.0}")
        } else if row == plot_h - 1 {
            format!("{:>4}", 0)
        } else {
            String::new()
        };
        buf.set_string(
            area.x,
            area.y + row,
            format!("{label:>4}{}", t.symbol("separator")),
            t.style("chart.axis"),
        );
    }
    let x_axis = format!(
        "-{days}d{:>w$}",
        "now",
        w = usize::from(plot_w).saturating_sub(days.to_string().len() + 2)
    );
    buf.set_string(
        area.x + axis_w,
        area.y + plot_h,
        x_axis,
        t.style("chart.axis"),
    );
    // Series are drawn in order (most severe first); a point that lands on another series'
    // cell moves to the nearest free row, so no series ever hides another.
    let mut taken: std::collections::HashMap<(i64, i64), usize> = std::collections::HashMap::new();
    for (n, (marker, points)) in series_list.iter().enumerate() {
        let style: Style = t.style(&format!("chart.series.{n}"));
        for (x, y) in points {
            let cx =
                ((x + f64::from(days)) / f64::from(days) * f64::from(plot_w - 1)).round() as i64;
            let cy = ((1.0 - (y / y_max).clamp(0.0, 1.0)) * f64::from(plot_h - 1)).round() as i64;
            if !(0..i64::from(plot_w)).contains(&cx) {
                continue;
            }
            let free = [0i64, -1, 1, -2, 2, -3, 3]
                .into_iter()
                .map(|d| cy + d)
                .find(|&row| {
                    (0..i64::from(plot_h)).contains(&row)
                        && taken.get(&(cx, row)).is_none_or(|&owner| owner == n)
                });
            if let Some(row) = free {
                taken.insert((cx, row), n);
                buf.set_string(
                    area.x + axis_w + cx as u16,
                    area.y + row as u16,
                    *marker,
                    style,
                );
            }
        }
    }
}

fn trends(area: Rect, buf: &mut Buffer, app: &App) {
    let t = &app.theme;
    let ins = &app.snapshot.insights;
    let days = WINDOWS[app.posture.window % WINDOWS.len()];
    let (key, name) = standard_key(app);
    let now = app.now.max(ins.history.last().map_or(0, |p| p.at));
    let score = series(&ins.history, now, days, |p| {
        p.scores.get(&key).map(|v| f64::from(*v))
    });
    let latest = score.last().map_or("-".into(), |(_, v)| format!("{v:.0}%"));
    let first = score
        .first()
        .map_or("-".into(), |(_, v)| format!("{v:.0}%"));
    let arrow = if app.theme.ascii { "->" } else { "→" };
    let head = format!(
        "{name}: score over {days} days, {first} {arrow} {latest}   (s: 7/30/90 days, h/l: standard)   marker *"
    );
    line(
        buf,
        area,
        area.y,
        vec![Span::styled(
            sanitize::fit(&head, usize::from(area.width)),
            t.style("title"),
        )],
    );
    let half = area.height.saturating_sub(2) / 2;
    plot(
        Rect {
            y: area.y + 1,
            height: half,
            ..area
        },
        buf,
        app,
        &[("*", score)],
        days,
        100.0,
    );
    let sev = |i: usize| series(&ins.history, now, days, move |p| Some(f64::from(p.open[i])));
    let open = [("C", sev(0)), ("H", sev(1)), ("M", sev(2)), ("L", sev(3))];
    let max = open
        .iter()
        .flat_map(|(_, s)| s.iter().map(|p| p.1))
        .fold(1.0, f64::max);
    // The legend carries each series' latest value, so nothing depends on reading the plot.
    let last = |i: usize| open[i].1.last().map_or(0.0, |p| p.1);
    let legend = format!(
        "open findings by severity over {days} days   C critical {:.0}  H high {:.0}  M medium {:.0}  L low {:.0}",
        last(0),
        last(1),
        last(2),
        last(3)
    );
    line(
        buf,
        area,
        area.y + 1 + half,
        // Our own text: cut to the width, spacing kept.
        vec![Span::styled(
            legend
                .chars()
                .take(usize::from(area.width))
                .collect::<String>(),
            t.style("title"),
        )],
    );
    plot(
        Rect {
            y: area.y + 2 + half,
            height: area.height.saturating_sub(2 + half),
            ..area
        },
        buf,
        app,
        &open,
        days,
        max,
    );
}

fn controls(area: Rect, buf: &mut Buffer, app: &App) {
    let t = &app.theme;
    let top = app.top_controls();
    let w = usize::from(area.width);
    line(
        buf,
        area,
        area.y,
        vec![Span::styled(
            sanitize::fit("CONTROL    SEV   FAILING  TITLE   (Enter: its findings)", w),
            t.style("header"),
        )],
    );
    let rows = usize::from(area.height.saturating_sub(1));
    let offset = app.posture.selected.saturating_sub(rows.saturating_sub(1));
    for (i, c) in top.iter().enumerate().skip(offset).take(rows) {
        let y = area.y + 1 + (i - offset) as u16;
        let text = format!(
            "{} {} {:>7}  {}",
            sanitize::fit(&c.control, 10),
            sanitize::fit(c.severity.short(), 5),
            c.failing_resources.len(),
            sanitize::line(&c.title)
        );
        let style = if i == app.posture.selected {
            t.base().patch(t.overlay("selection"))
        } else {
            t.base()
        };
        buf.set_style(
            Rect {
                y,
                height: 1,
                ..area
            },
            style,
        );
        buf.set_string(area.x, y, sanitize::fit(&text, w), style);
    }
    if top.is_empty() {
        line(
            buf,
            area,
            area.y + 1,
            vec![Span::styled("no failing controls", t.style("status.ok"))],
        );
    }
}
