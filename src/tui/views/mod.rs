//! Rendering: a read-only function of the app state. Every piece of provider text goes
//! through `sanitize` before it reaches a buffer.

pub mod detail;
mod findings;
mod notifications;
mod notify_overlays;
pub mod overlays;
mod posture;
mod queue;
mod rem_overlays;
pub mod sync_progress;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::border;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use super::app::{App, Level, MIN_HEIGHT, MIN_WIDTH};
use crate::model::{Provider, format_age};
use crate::poller::HealthState;
use crate::sanitize;

pub fn render(frame: &mut Frame, app: &App) {
    let area = frame.area();
    let buf = frame.buffer_mut();
    buf.set_style(area, app.theme.base());
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(area, buf, app);
        return;
    }
    let [top, main, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(2),
    ])
    .areas(area);
    top_bar(top, buf, app);
    match (&app.detail, app.queue_view, app.posture.open) {
        _ if detail::side_by_side(app) => {
            // Wide: the list stays on the left, the open finding (or a preview of the
            // selected one) on the right.
            let right = detail::detail_area(app, main);
            let left = Rect {
                width: right.x.saturating_sub(main.x + 1),
                ..main
            };
            findings::render(left, buf, app);
            detail::render(right, buf, app);
        }
        (Some(_), _, _) => detail::render(main, buf, app),
        (None, true, _) => queue::render(main, buf, app),
        (None, false, true) => posture::render(main, buf, app),
        (None, false, false) if app.notify_view => notifications::render(main, buf, app),
        (None, false, false) => findings::render(main, buf, app),
    }
    status_bar(status, buf, app);
    if let Some(pos) = overlays::render(frame, app) {
        frame.set_cursor_position(pos);
    }
    if app.theme.ascii {
        asciify(frame.buffer_mut());
    }
}

/// ASCII mode (and the screen reader's) promises ASCII only: whatever a view or a provider's
/// text left on screen is mapped to its nearest ASCII form, the rest to `?`.
fn asciify(buf: &mut Buffer) {
    let area = buf.area;
    for y in area.top()..area.bottom() {
        let mut pending_wide = false;
        for x in area.left()..area.right() {
            let cell = &mut buf[(x, y)];
            let sym = cell.symbol();
            if pending_wide {
                // The second column of a wide character: keep the row's width.
                pending_wide = false;
                if sym.is_empty() || !sym.is_ascii() {
                    cell.set_symbol("?");
                    continue;
                }
            }
            if sym.is_ascii() {
                continue;
            }
            let wide = unicode_width::UnicodeWidthStr::width(sym) > 1;
            let mapped = sym.chars().next().map_or('?', ascii_of);
            cell.set_char(mapped);
            pending_wide = wide;
        }
    }
}

fn ascii_of(c: char) -> char {
    match c {
        '…' => '.',
        '·' | '–' | '—' | '−' => '-',
        '→' | '▸' | '▶' | '›' | '»' => '>',
        '←' | '◂' | '◀' | '‹' | '«' => '<',
        '▲' | '↑' => '^',
        '▼' | '▾' | '↓' => 'v',
        '×' => 'x',
        '≈' | '∼' => '~',
        '≥' => '>',
        '≤' => '<',
        '✦' | '•' | '★' | '*' => '*',
        '✓' | '✔' => '+',
        '✗' | '✘' => 'x',
        '●' | '○' | '◆' | '◇' => 'o',
        // Box drawing: lines and corners.
        '─' | '━' | '┄' | '┈' | '═' => '-',
        '│' | '┃' | '┆' | '┊' | '║' => '|',
        '\u{2500}'..='\u{257F}' => '+',
        // Blocks and shades, braille dots (charts).
        '\u{2580}'..='\u{259F}' => '#',
        '\u{2800}'..='\u{28FF}' => '.',
        _ => '?',
    }
}

fn too_small(area: Rect, buf: &mut Buffer, app: &App) {
    let text = format!(
        "terminal too small: need {MIN_WIDTH}×{MIN_HEIGHT}, have {}×{}",
        area.width, area.height
    );
    let lines = vec![
        Line::styled(text, app.theme.style("error")),
        Line::raw("enlarge the window, or press q to quit"),
    ];
    let y = area.height / 2;
    let rect = Rect {
        x: area.x,
        y: area.y + y.saturating_sub(1),
        width: area.width,
        height: area.height.saturating_sub(y.saturating_sub(1)),
    };
    Paragraph::new(lines)
        .centered()
        .wrap(ratatui::widgets::Wrap { trim: true })
        .render(rect, buf);
}

/// A block with borders unless the screen-reader mode asks for none; ASCII borders in ASCII mode.
pub fn block<'a>(app: &App, title: &'a str, focused: bool) -> Block<'a> {
    let b = Block::default().title(Span::styled(format!(" {title} "), app.theme.style("title")));
    if app.opts.screen_reader {
        return b.borders(Borders::NONE);
    }
    let set = if app.theme.ascii {
        border::Set {
            top_left: "+",
            top_right: "+",
            bottom_left: "+",
            bottom_right: "+",
            vertical_left: "|",
            vertical_right: "|",
            horizontal_top: "-",
            horizontal_bottom: "-",
        }
    } else {
        border::PLAIN
    };
    b.borders(Borders::ALL)
        .border_set(set)
        .border_style(
            app.theme
                .style(if focused { "border.focused" } else { "border" }),
        )
}

fn top_bar(area: Rect, buf: &mut Buffer, app: &App) {
    let t = &app.theme;
    let mut spans = vec![Span::styled(" Agent Hubble ", t.style("title"))];
    if app.opts.demo {
        spans.push(Span::styled(" DEMO ", t.style("demo.badge")));
        spans.push(Span::raw(" "));
    }
    if app.frozen {
        let waiting = app
            .waiting()
            .map(|w| format!(": {w}, f applies"))
            .unwrap_or_default();
        spans.push(Span::styled(
            format!(" FROZEN{waiting} "),
            t.style("frozen.badge"),
        ));
        spans.push(Span::raw(" "));
    }
    if app.opts.read_only {
        spans.push(Span::styled(" READ-ONLY ", t.style("text.emphasis")));
        spans.push(Span::raw(" "));
    }
    if app.queue_view {
        let waiting = app
            .queue
            .items
            .iter()
            .filter(|i| i.state == crate::remediation::queue::State::Proposed)
            .count();
        spans.push(Span::styled(
            format!(" QUEUE ({waiting} awaiting decision) "),
            t.style("frozen.badge"),
        ));
        spans.push(Span::raw(" "));
    }
    if app.notify_view {
        let c = &app.notify.counts;
        use crate::notify::outbox::State;
        spans.push(Span::styled(
            format!(
                " NOTIFICATIONS ({} pending, {} failed) ",
                c.get(&State::Pending).unwrap_or(&0) + c.get(&State::Sending).unwrap_or(&0),
                c.get(&State::Failed).unwrap_or(&0)
            ),
            t.style("frozen.badge"),
        ));
        spans.push(Span::raw(" "));
    }
    let arrow = t.symbol(if app.sort.descending {
        "sort.desc"
    } else {
        "sort.asc"
    });
    spans.push(Span::styled(
        format!(" sort {}{arrow}", app.sort.column.header().to_lowercase()),
        t.style("text.muted"),
    ));
    if !app.filter_text.is_empty() {
        spans.push(Span::styled("  filter ", t.style("text.muted")));
        spans.push(Span::styled(
            sanitize::bounded(&app.filter_text, 60).into_owned(),
            t.style("filter.input"),
        ));
    }
    match app.scope {
        crate::query::Scope::Working => {
            spans.push(Span::styled("  working view", t.style("text.muted")))
        }
        _ => spans.push(Span::styled("  ALL findings", t.style("text.emphasis"))),
    }
    Line::from(spans).render(area, buf);
}

fn status_bar(area: Rect, buf: &mut Buffer, app: &App) {
    let t = &app.theme;
    let [line1, line2] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
    buf.set_style(line1, t.style("statusbar"));
    let s = &app.snapshot;
    let total = s.findings.len();
    let mut spans = vec![Span::styled(
        format!(" {} shown of {total}", app.view.len()),
        t.style("statusbar"),
    )];
    if app.filtering() {
        // The rows shown are the previous answer until the view worker's arrives.
        spans.push(Span::styled(
            format!(" · filtering{}", t.symbol("ellipsis")),
            t.style("text.emphasis"),
        ));
    }
    if !app.marks.is_empty() {
        spans.push(Span::styled(
            format!(" · {} marked", app.marks.len()),
            t.style("statusbar"),
        ));
    }
    let news_at = spans.len();
    if let Some(n) = app.news() {
        spans.push(Span::styled(format!(" · {n}"), t.style("text.emphasis")));
    }
    if s.skipped > 0 {
        spans.push(Span::styled(
            format!(" · {} malformed skipped", s.skipped),
            t.style("status.error"),
        ));
    }
    let (mut ok, mut thr, mut err, mut pending) = (0, 0, 0, 0);
    for src in s.sources.iter() {
        match src.health.state {
            HealthState::Ok => ok += 1,
            HealthState::Throttled => thr += 1,
            HealthState::Error => err += 1,
            HealthState::Pending => pending += 1,
        }
    }
    let sep = t.symbol("separator");
    spans.push(Span::styled(
        format!(" {sep} sources "),
        t.style("statusbar"),
    ));
    spans.push(Span::styled(
        format!("{} {ok} ok", t.symbol("ok")),
        t.style("status.ok"),
    ));
    if thr > 0 {
        spans.push(Span::styled(
            format!(" {} {thr} throttled", t.symbol("throttled")),
            t.style("status.throttled"),
        ));
    }
    if err > 0 {
        spans.push(Span::styled(
            format!(" {} {err} error", t.symbol("error")),
            t.style("status.error"),
        ));
    }
    if pending > 0 {
        spans.push(Span::styled(
            format!(" {} {pending} pending", t.symbol("stale")),
            t.style("status.stale"),
        ));
    }
    // Which Security Hub API the AWS sources read, when any is not v1.
    let mut apis: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for src in s.sources.iter() {
        let aws = matches!(
            src.info.provider,
            Provider::AwsSecurityHub | Provider::AwsSecurityHubV2
        );
        if let (true, Some(a)) = (aws, src.health.api.as_deref()) {
            *apis.entry(security_hub_api(a)).or_default() += 1;
        }
    }
    if apis.keys().any(|k| *k != "v1") {
        let list: Vec<String> = apis.iter().map(|(k, n)| format!("{k}:{n}")).collect();
        spans.push(Span::styled(
            format!(" · api {}", list.join(" ")),
            t.style("statusbar"),
        ));
    }
    // Only sources whose cached findings are on screen: a fresh store has none to speak of.
    let stale = s
        .sources
        .iter()
        .filter(|x| x.stale && x.findings > 0)
        .count();
    let sync = sync_progress::status_segment(&s.sources);
    // While a sync runs its progress says more than "cached" (and the bar is short of room).
    if stale > 0 && total > 0 && sync.is_none() && s.loading.is_none() {
        spans.push(Span::styled(
            format!(" · cached data from {stale} source(s)"),
            t.style("status.stale"),
        ));
    }
    // While full reads run, their progress says more than the time of the last poll.
    let mut used: usize = spans.iter().map(|sp| sp.width()).sum();
    // A sync in progress needs its few columns: "+N new since you looked (n)" gives way to
    // "+N new" first.
    if sync.is_some()
        && used + 20 > usize::from(line1.width)
        && let Some(n) = app.news()
        && let Some((short, _)) = n.split_once(" since")
    {
        used -= spans[news_at].width();
        spans[news_at] = Span::styled(format!(" · {short}"), t.style("text.emphasis"));
        used += spans[news_at].width();
    }
    let room = usize::from(line1.width).saturating_sub(used + 3);
    let last = match (sync, s.last_ok) {
        _ if s.loading.is_some() => {
            let (n, total) = s.loading.unwrap_or_default();
            format!(" {sep} {}", sync_progress::loading_segment(n, total))
        }
        // The long form when it fits, else the short one ("sync 41% ETA 7m").
        (Some(sync), _) if sanitize::width(&sync) <= room => format!(" {sep} {sync}"),
        (Some(_), _) => format!(
            " {sep} {}",
            sync_progress::status_compact(&s.sources).unwrap_or_default()
        ),
        (None, Some(ms)) => format!(" {sep} last poll {} ago", format_age(app.now, ms)),
        (None, None) => format!(" {sep} no poll completed yet"),
    };
    spans.push(Span::styled(last, t.style("statusbar")));
    Line::from(spans).render(line1, buf);

    // Second line: the latest message, else the latest source error, else key hints.
    let line = if let Some((level, text)) = &app.message {
        let style = if *level == Level::Error {
            t.style("error")
        } else {
            t.style("text")
        };
        Line::styled(format!(" {}", sanitize::line(text)), style)
    } else if let Some(src) = s.sources.iter().find(|x| x.health.last_error.is_some()) {
        let e = src.health.last_error.as_deref().unwrap_or_default();
        Line::styled(
            format!(
                " {} {}: {}",
                src.health.state.as_str(),
                sanitize::line(&src.info.key),
                sanitize::line(e)
            ),
            t.style(if src.health.state == HealthState::Throttled {
                "status.throttled"
            } else {
                "status.error"
            }),
        )
    } else if let Some(e) = &s.store_error {
        Line::styled(format!(" store: {}", sanitize::line(e)), t.style("error"))
    } else {
        hints(app)
    };
    line.render(line2, buf);
}

fn hints(app: &App) -> Line<'static> {
    use super::keymap::Action::*;
    let t = &app.theme;
    let mut spans = Vec::new();
    let wanted: &[(super::keymap::Action, &str)] = if app.posture.open && app.posture.tab == 1 {
        &[
            (Back, "back"),
            (NextTab, "tab"),
            (ScrollRight, "standard"),
            (SortNext, "sort"),
            (Filter, "filter"),
            (Open, "findings"),
            (Help, "help"),
        ]
    } else if app.posture.open {
        &[
            (Back, "back"),
            (NextTab, "tab"),
            (ScrollRight, "standard"),
            (SortNext, "window"),
            (Open, "findings"),
            (Help, "help"),
        ]
    } else if app.queue_view {
        &[
            (Back, "back"),
            (Decide, "decide"),
            (CancelItem, "cancel item"),
            (Queue, "findings"),
            (Help, "help"),
        ]
    } else if app.notify_view {
        &[
            (Back, "back"),
            (Open, "retry / discard"),
            (MoveDown, "move"),
            (Notifications, "findings"),
            (Help, "help"),
        ]
    } else if app.detail.is_some() {
        &[
            (Back, "back"),
            (NextTab, "tab"),
            (MoveDown, "scroll"),
            (Filter, "search"),
            (SetWorkflow, "workflow"),
            (Help, "help"),
        ]
    } else {
        &[
            (Help, "help"),
            (Filter, "filter"),
            (Open, "open"),
            (Mark, "mark"),
            (SetWorkflow, "workflow"),
            (Palette, "commands"),
            (Freeze, "freeze"),
            (Quit, "quit"),
        ]
    };
    for (a, label) in wanted {
        if app.opts.read_only && *a == SetWorkflow {
            continue;
        }
        if let Some(k) = app.keymap.keys_for(*a).first() {
            spans.push(Span::styled(format!(" {k}"), t.style("statusbar.key")));
            spans.push(Span::styled(format!(" {label} "), t.style("text.muted")));
        }
    }
    Line::from(spans)
}

/// A centred rectangle of at most `w`×`h` inside `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

pub fn clear(area: Rect, buf: &mut Buffer, style: Style) {
    Clear.render(area, buf);
    buf.set_style(area, style);
}

/// `v1`, `v2`, or `auto` while an `api = "auto"` source has not found out yet; from the
/// source's own description (`v1 (ASFF)`, `auto: v2 (OCSF)`, `auto: v1 (ASFF, no v2 here)`).
fn security_hub_api(description: &str) -> &'static str {
    let resolved = description.strip_prefix("auto: ").unwrap_or(description);
    if resolved.starts_with("v2") {
        "v2"
    } else if resolved.starts_with("v1") {
        "v1"
    } else {
        "auto"
    }
}

#[cfg(test)]
mod api_tests {
    use super::security_hub_api;

    #[test]
    fn the_api_an_auto_source_settled_on_counts() {
        assert_eq!(security_hub_api("v1 (ASFF)"), "v1");
        assert_eq!(security_hub_api("v2 (OCSF)"), "v2");
        assert_eq!(security_hub_api("auto: v2 (OCSF)"), "v2");
        assert_eq!(security_hub_api("auto: v1 (ASFF, no v2 here)"), "v1");
        assert_eq!(security_hub_api("auto"), "auto");
    }
}
