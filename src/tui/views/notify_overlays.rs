//! The notification dialogs on screen: ticket preview, one-off notification, outbox entry.
//! Fixed text, numbered options with the harmless one chosen at first, the real cursor at
//! the caret of the note.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::widgets::Widget;

use super::overlays::caret;
use super::rem_overlays::{info_panel, options};
use super::{block, centered, clear};
use crate::sanitize;
use crate::tui::app::{App, Overlay};
use crate::tui::notify_dialogs::{NotifyFocus, finding_line};

fn help_line(
    buf: &mut ratatui::buffer::Buffer,
    app: &App,
    inner: Rect,
    x: u16,
    y: u16,
    text: &str,
) {
    buf.set_string(
        x,
        y,
        sanitize::fit(text, usize::from(inner.right().saturating_sub(x + 1))),
        app.theme.style("text.muted"),
    );
}

pub fn render(frame: &mut Frame, app: &App) -> Option<Position> {
    let area = frame.area();
    let t = &app.theme;
    let buf = frame.buffer_mut();
    match &app.overlay {
        Overlay::Ticket(d) => {
            let rect = centered(area, 100, area.height.saturating_sub(2));
            clear(rect, buf, t.style("dialog"));
            let title = format!("Create tickets for {} finding(s)", d.findings.len());
            let b = block(app, &title, true);
            let inner = b.inner(rect);
            b.render(rect, buf);
            let body = Rect {
                height: inner.height.saturating_sub(2),
                ..inner
            };
            info_panel(buf, body, app, &d.lines, d.scroll);
            let y = inner.bottom() - 1;
            let labels: Vec<String> = d
                .channels
                .iter()
                .map(|(name, project)| format!("Create {} in {project} ({name})", d.findings.len()))
                .collect();
            let mut opts: Vec<(&str, bool)> = if d.findings.is_empty() {
                Vec::new()
            } else {
                labels
                    .iter()
                    .enumerate()
                    .map(|(i, l)| (l.as_str(), d.choice == Some(i)))
                    .collect()
            };
            opts.push(("Cancel", d.choice.is_none()));
            options(buf, app, inner.x + 1, y, &opts, true);
            let used: u16 = opts
                .iter()
                .map(|(l, _)| sanitize::width(l) as u16 + 8)
                .sum();
            help_line(
                buf,
                app,
                inner,
                inner.x + 1 + used,
                y,
                "Enter confirms · Esc closes",
            );
            None
        }
        Overlay::Notify(d) => {
            let h = (d.channels.len() as u16 + 13).min(area.height.saturating_sub(2));
            let rect = centered(area, 90, h);
            clear(rect, buf, t.style("dialog"));
            let title = format!("Send a notification about {} finding(s)", d.findings.len());
            let b = block(app, &title, true);
            let inner = b.inner(rect);
            b.render(rect, buf);
            let w = usize::from(inner.width.saturating_sub(2));
            let mut y = inner.y;
            let first = d
                .findings
                .first()
                .map(|f| finding_line(f))
                .unwrap_or_default();
            let more = if d.findings.len() > 1 {
                format!(" and {} more", d.findings.len() - 1)
            } else {
                String::new()
            };
            buf.set_string(
                inner.x + 1,
                y,
                sanitize::fit(&format!("{first}{more}"), w),
                t.style("dialog"),
            );
            y += 1;
            if let Some(n) = &d.hidden_note {
                buf.set_string(
                    inner.x + 1,
                    y,
                    sanitize::fit(n, w),
                    t.style("text.emphasis"),
                );
                y += 1;
            }
            let focus_channel = d.focus == NotifyFocus::Channel;
            buf.set_string(
                inner.x + 1,
                y,
                "Channel:",
                t.style(if focus_channel {
                    "border.focused"
                } else {
                    "text.muted"
                }),
            );
            y += 1;
            for (i, (name, kind)) in d.channels.iter().enumerate() {
                let chosen = d.choice == Some(i);
                let style = if chosen && focus_channel {
                    t.style("selection")
                } else if chosen {
                    t.style("text.emphasis")
                } else {
                    t.style("dialog")
                };
                let line = format!(
                    "{} {} {name} ({})",
                    i + 1,
                    if chosen { "(x)" } else { "( )" },
                    kind.as_str()
                );
                buf.set_string(inner.x + 1, y, sanitize::fit(&line, w), style);
                y += 1;
            }
            buf.set_string(
                inner.x + 1,
                y,
                "Note:",
                t.style(if focus_channel {
                    "text.muted"
                } else {
                    "border.focused"
                }),
            );
            let note_area = Rect {
                x: inner.x + 1,
                y: y + 1,
                width: inner.width.saturating_sub(2),
                height: 3.min(inner.bottom().saturating_sub(y + 3)),
            };
            d.note.render(note_area, buf);
            help_line(
                buf,
                app,
                inner,
                inner.x + 1,
                inner.bottom() - 1,
                "1-9 channel · Tab channel/note · Enter sends · Alt-Enter newline · Esc closes (keeps the note)",
            );
            if let Some(e) = &d.error {
                buf.set_string(
                    inner.x + 1,
                    inner.bottom() - 2,
                    sanitize::fit(e, w),
                    t.style("error"),
                );
            }
            (!focus_channel).then(|| caret(&d.note, note_area))
        }
        Overlay::Outbox(d) => {
            let rect = centered(
                area,
                100,
                (d.lines.len() as u16 + 4).min(area.height.saturating_sub(2)),
            );
            clear(rect, buf, t.style("dialog"));
            let title = format!("Outbox entry {}", d.entry.id);
            let b = block(app, &title, true);
            let inner = b.inner(rect);
            b.render(rect, buf);
            let body = Rect {
                height: inner.height.saturating_sub(2),
                ..inner
            };
            info_panel(buf, body, app, &d.lines, d.scroll);
            let opts: Vec<(&str, bool)> = d
                .choices
                .iter()
                .enumerate()
                .map(|(i, c)| (c.label(), d.choice == i))
                .collect();
            let y = inner.bottom() - 1;
            options(buf, app, inner.x + 1, y, &opts, true);
            let used: u16 = opts
                .iter()
                .map(|(l, _)| sanitize::width(l) as u16 + 8)
                .sum();
            let help = if opts.len() == 1 {
                "nothing to do for this entry · Esc closes"
            } else {
                "Enter confirms · Esc closes"
            };
            help_line(buf, app, inner, inner.x + 1 + used, y, help);
            None
        }
        _ => None,
    }
}
