//! Overlays drawn above the main view: filter input, command palette, help, sources and the
//! workflow dialog. Returns where the real terminal cursor belongs, if anywhere.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};
use ratatui_textarea::TextArea;

use super::super::app::{App, Overlay};
use super::super::dialogs::{DISMISS_REASONS, Focus};
use super::{block, centered, clear};
use crate::model::{Workflow, format_age};
use crate::sanitize;

/// The help box: most of the screen.
pub fn help_rect(area: Rect) -> Rect {
    centered(area, 100, area.height.saturating_sub(2))
}

/// "Help (Esc closes, j/k scroll)" with the active keymap's own keys.
fn help_title(app: &App) -> String {
    use crate::tui::keymap::Action;
    let first = |a: Action| app.keymap.keys_for(a).first().cloned().unwrap_or_default();
    format!(
        "Help ({} closes, {}/{} scroll, {}/{} page)",
        first(Action::Back),
        first(Action::MoveDown),
        first(Action::MoveUp),
        first(Action::PageDown),
        first(Action::PageUp)
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum HelpLine {
    Section,
    Entry,
    Blank,
}

/// Every line of the help screen: the active keymap's actions by section, key column
/// aligned to the widest key list, then the filter fields.
pub fn help_lines(app: &App, width: u16) -> Vec<(HelpLine, String, String)> {
    let sections = app.keymap.help();
    let fields = crate::filter::reference();
    let key_w = sections
        .iter()
        .flat_map(|s| s.entries.iter().map(|(k, _, _)| k.chars().count()))
        .chain(fields.iter().map(|(n, _)| n.chars().count()))
        .max()
        .unwrap_or(10)
        .min(34);
    let entry = |keys: &str, desc: &str| {
        let keys = if keys.chars().count() > key_w {
            format!("  {keys}\n")
        } else {
            format!("  {keys:<key_w$}  ")
        };
        (HelpLine::Entry, keys, desc.to_string())
    };
    let mut out = Vec::new();
    for section in sections {
        out.push((HelpLine::Section, section.title.to_string(), String::new()));
        for (keys, desc, _) in section.entries {
            out.push(entry(&keys, desc));
        }
        out.push((HelpLine::Blank, String::new(), String::new()));
    }
    out.push((
        HelpLine::Section,
        "Filter fields (terms are AND-ed; -term negates; a,b is OR; \"quotes\" keep spaces)".into(),
        String::new(),
    ));
    for (names, meaning) in &fields {
        out.push(entry(names, meaning));
    }
    out.push(entry(
        "free text",
        "searches title, account, region, control, product, resources, ids, description",
    ));
    // A key list longer than the column gets its own line, and long descriptions wrap
    // under the description column.
    let indent = key_w + 4;
    let desc_w = usize::from(width).saturating_sub(indent).max(20);
    let mut flat = Vec::new();
    for (kind, keys, desc) in out {
        let first = match keys.strip_suffix('\n') {
            Some(k) => {
                flat.push((kind, k.to_string(), String::new()));
                " ".repeat(indent)
            }
            None => keys,
        };
        if kind != HelpLine::Entry {
            flat.push((kind, first, desc));
            continue;
        }
        for (i, part) in sanitize::wrap(&desc, desc_w).into_iter().enumerate() {
            let k = if i == 0 {
                first.clone()
            } else {
                " ".repeat(indent)
            };
            flat.push((kind, k, part));
        }
    }
    flat
}

/// Real cursor position of a rendered textarea's caret.
pub(super) fn caret(ta: &TextArea, area: Rect) -> Position {
    let c = ta.screen_cursor();
    let (top, left) = ta.scroll_offset();
    Position {
        x: area.x
            + (c.col as u16)
                .saturating_sub(left)
                .min(area.width.saturating_sub(1)),
        y: area.y
            + (c.row as u16)
                .saturating_sub(top)
                .min(area.height.saturating_sub(1)),
    }
}

pub fn render(frame: &mut Frame, app: &App) -> Option<Position> {
    let area = frame.area();
    let t = &app.theme;
    let buf = frame.buffer_mut();
    // Without borders (screen-reader mode) a dialog would blend into the rows around it: it
    // gets a cleared screen of its own (the top bar stays).
    if app.opts.screen_reader
        && !matches!(
            app.overlay,
            Overlay::None | Overlay::Filter(_) | Overlay::Search(_) | Overlay::Breakdown { .. }
        )
    {
        clear(
            Rect {
                y: area.y + 1,
                height: area.height.saturating_sub(1),
                ..area
            },
            buf,
            t.style("dialog"),
        );
    }
    match &app.overlay {
        Overlay::None => None,
        Overlay::Menu(m) => {
            let rect = centered(area, 100, m.items.len() as u16 + 4);
            clear(rect, buf, t.style("dialog"));
            let b = block(app, &m.title, true);
            let inner = b.inner(rect);
            b.render(rect, buf);
            for (i, (label, _)) in m.items.iter().enumerate() {
                let line = format!(" {} {}", i + 1, label);
                buf.set_string(
                    inner.x,
                    inner.y + i as u16,
                    sanitize::fit(&line, usize::from(inner.width)),
                    t.style("dialog"),
                );
            }
            None
        }
        Overlay::Preview(_) | Overlay::Decision(_) | Overlay::CancelItem(_) => {
            super::rem_overlays::render(frame, app)
        }
        Overlay::Ticket(_) | Overlay::Notify(_) | Overlay::Outbox(_) => {
            super::notify_overlays::render(frame, app)
        }
        Overlay::Filter(ta) | Overlay::Search(ta) | Overlay::Breakdown { ta, .. } => {
            let rect = Rect {
                x: area.x,
                y: area.bottom() - 3,
                width: area.width,
                height: 1,
            };
            clear(rect, buf, t.style("filter.input"));
            // The same prompt line: filtering the list, or searching the open detail.
            let label = match app.overlay {
                Overlay::Search(_) => "search: ",
                Overlay::Breakdown { .. } => "account or Region: ",
                _ => "/ ",
            };
            buf.set_string(rect.x, rect.y, label, t.style("help.key"));
            let w = label.len() as u16;
            let input = Rect {
                x: rect.x + w,
                width: rect.width - w,
                ..rect
            };
            ta.render(input, buf);
            Some(caret(ta, input))
        }
        Overlay::Palette(p) => {
            let rect = centered(area, 70, 16);
            clear(rect, buf, t.style("dialog"));
            let b = block(app, "Command (Enter runs, Esc closes)", true);
            let inner = b.inner(rect);
            b.render(rect, buf);
            buf.set_string(inner.x, inner.y, ":", t.style("help.key"));
            let input = Rect {
                x: inner.x + 1,
                y: inner.y,
                width: inner.width - 1,
                height: 1,
            };
            p.input.render(input, buf);
            let matches = p.matches();
            for (i, e) in matches
                .iter()
                .take(usize::from(inner.height.saturating_sub(2)))
                .enumerate()
            {
                let style = if i == p.selected {
                    t.style("selection")
                } else {
                    t.style("dialog")
                };
                let y = inner.y + 2 + i as u16;
                let line = format!("{:<16} {}", e.name, e.description);
                buf.set_string(
                    inner.x,
                    y,
                    sanitize::fit(&line, usize::from(inner.width)),
                    style,
                );
            }
            Some(caret(&p.input, input))
        }
        Overlay::Help { scroll } => {
            let rect = help_rect(area);
            clear(rect, buf, t.style("dialog"));
            let title = help_title(app);
            let b = block(app, &title, true);
            let inner = b.inner(rect);
            b.render(rect, buf);
            let lines = help_lines(app, inner.width);
            let top =
                usize::from(*scroll).min(lines.len().saturating_sub(usize::from(inner.height)));
            let view: Vec<Line> = lines
                .into_iter()
                .skip(top)
                .map(|(kind, keys, desc)| match kind {
                    HelpLine::Section => Line::styled(keys, t.style("help.section")),
                    HelpLine::Entry => Line::from(vec![
                        Span::styled(keys, t.style("help.key")),
                        Span::styled(desc, t.style("dialog")),
                    ]),
                    HelpLine::Blank => Line::raw(""),
                })
                .collect();
            Paragraph::new(view).render(inner, buf);
            None
        }
        Overlay::Sources { scroll } => {
            let rect = centered(area, 110, area.height - 2);
            clear(rect, buf, t.style("dialog"));
            let b = block(app, "Sources (Esc closes)", true);
            let mut lines = Vec::new();
            // Lines only down to the bottom of the window: 1,000 sources are not laid out per
            // frame (wrapped rows are at least as many as lines, so nothing visible is lost).
            let needed = usize::from(*scroll) + usize::from(rect.height);
            for s in app.snapshot.sources.iter() {
                if lines.len() >= needed {
                    break;
                }
                let state = s.health.state;
                let style = t.style(match state {
                    crate::poller::HealthState::Ok => "status.ok",
                    crate::poller::HealthState::Throttled => "status.throttled",
                    crate::poller::HealthState::Error => "status.error",
                    crate::poller::HealthState::Pending => "status.stale",
                });
                let last = s.health.last_ok.map_or("never".into(), |t| {
                    format!("{} ago", format_age(app.now, t))
                });
                lines.push(Line::from(vec![
                    Span::styled(format!("{:<10}", state.as_str()), style),
                    Span::styled(
                        format!("{:<36}", sanitize::bounded(&s.info.key, 35)),
                        t.style("dialog"),
                    ),
                    Span::styled(
                        format!(
                            "{:>6} findings  last ok {last}{}{}",
                            s.findings,
                            if s.stale { "  (cached)" } else { "" },
                            s.health
                                .api
                                .as_deref()
                                .map(|a| format!("  api {a}"))
                                .unwrap_or_default()
                        ),
                        t.style("text.muted"),
                    ),
                ]));
                if let Some(p) = &s.health.progress {
                    lines.push(Line::styled(
                        format!("          {}", super::sync_progress::source_line(t, p)),
                        t.style("dialog"),
                    ));
                }
                if let Some(e) = &s.health.last_error {
                    lines.push(Line::styled(
                        format!("          {}", sanitize::bounded(e, 300)),
                        style,
                    ));
                }
            }
            // Malformed findings or files (a broken SARIF file beside readable ones) are
            // skipped, never fatal: the count is in the status bar, the last reason here.
            if app.snapshot.skipped > 0 {
                lines.push(Line::raw(""));
                lines.push(Line::styled(
                    format!(
                        "{} malformed skipped; the last: {}",
                        app.snapshot.skipped,
                        app.snapshot
                            .last_skip_reason
                            .as_deref()
                            .map_or_else(|| "-".into(), |r| sanitize::bounded(r, 300))
                    ),
                    t.style("status.stale"),
                ));
            }
            Paragraph::new(lines)
                .block(b)
                .wrap(Wrap { trim: false })
                .scroll((*scroll, 0))
                .render(rect, buf);
            None
        }
        Overlay::Workflow(d) => {
            // GitHub targets with SUPPRESSED chosen: four more lines for the reason.
            let reasons = d.needs_reason();
            let rect = centered(area, 72, if reasons { 20 } else { 16 });
            clear(rect, buf, t.style("dialog"));
            let title = format!("Set workflow status of {} finding(s)", d.targets.len());
            let b = block(app, &title, true);
            let inner = b.inner(rect);
            b.render(rect, buf);
            let mut y = inner.y;
            for (i, w) in Workflow::ALL.iter().enumerate() {
                let chosen = d.choice == Some(*w);
                let marker = if chosen { "(x)" } else { "( )" };
                let style = if chosen && d.focus == Focus::Status {
                    t.style("selection")
                } else if chosen {
                    t.style("text.emphasis")
                } else {
                    t.style("dialog")
                };
                buf.set_string(
                    inner.x + 1,
                    y,
                    format!("{} {marker} {}", i + 1, w.as_str()),
                    style,
                );
                y += 1;
            }
            if reasons {
                buf.set_string(
                    inner.x + 3,
                    y,
                    "Dismiss on GitHub because (required; the note is its comment):",
                    t.style("text.emphasis"),
                );
                y += 1;
                for (i, r) in DISMISS_REASONS.iter().enumerate() {
                    let chosen = d.reason == Some(i);
                    let style = if chosen && d.focus == Focus::Status {
                        t.style("selection")
                    } else if chosen {
                        t.style("text.emphasis")
                    } else {
                        t.style("dialog")
                    };
                    let marker = if chosen { "(x)" } else { "( )" };
                    buf.set_string(inner.x + 3, y, format!("{} {marker} {r}", i + 5), style);
                    y += 1;
                }
            }
            if let Some(h) = App::hidden_note(d.targets.len(), d.hidden) {
                buf.set_string(
                    inner.x + 1,
                    y,
                    sanitize::fit(&h, usize::from(inner.width - 1)),
                    t.style("text.emphasis"),
                );
            }
            y += 1;
            let focus_note = d.focus == Focus::Note;
            buf.set_string(
                inner.x + 1,
                y,
                "Note:",
                t.style(if focus_note {
                    "border.focused"
                } else {
                    "text.muted"
                }),
            );
            let note_area = Rect {
                x: inner.x + 1,
                y: y + 1,
                width: inner.width.saturating_sub(2),
                height: 4,
            };
            d.note.render(note_area, buf);
            let help = if reasons {
                "1-4 status · 5-7 reason · Tab note/status · Enter apply · Esc cancel"
            } else {
                "1-4 status · Tab note/status · Enter apply · Alt-Enter newline · Esc cancel"
            };
            buf.set_string(
                inner.x + 1,
                inner.bottom() - 1,
                sanitize::fit(help, usize::from(inner.width - 1)),
                t.style("text.muted"),
            );
            if let Some(e) = &d.error {
                buf.set_string(
                    inner.x + 1,
                    inner.bottom() - 2,
                    sanitize::fit(e, usize::from(inner.width - 1)),
                    t.style("error"),
                );
            }
            focus_note.then(|| caret(&d.note, note_area))
        }
    }
}

/// Rows the sources list takes (a source, its progress, its error wrapped in the list's
/// width): how far it scrolls.
pub fn source_rows(app: &App) -> usize {
    let width = usize::from(app.size.0.min(110).saturating_sub(2)).max(1);
    app.snapshot
        .sources
        .iter()
        .map(|s| {
            let error = s.health.last_error.as_ref().map_or(0, |e| {
                (10 + sanitize::bounded(e, 300).chars().count()).div_ceil(width)
            });
            1 + usize::from(s.health.progress.is_some()) + error
        })
        .sum()
}
