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
    match &app.overlay {
        Overlay::None => None,
        Overlay::Preview(_) | Overlay::Decision(_) | Overlay::CancelItem(_) => {
            super::rem_overlays::render(frame, app)
        }
        Overlay::Filter(ta) => {
            let rect = Rect {
                x: area.x,
                y: area.bottom() - 3,
                width: area.width,
                height: 1,
            };
            clear(rect, buf, t.style("filter.input"));
            let label = "/ ";
            buf.set_string(rect.x, rect.y, label, t.style("help.key"));
            let input = Rect {
                x: rect.x + 2,
                width: rect.width - 2,
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
            let rect = centered(area, 90, area.height - 2);
            clear(rect, buf, t.style("dialog"));
            let b = block(app, "Help (Esc closes, j/k scroll)", true);
            let mut lines = Vec::new();
            for section in app.keymap.help() {
                lines.push(Line::styled(
                    section.title.to_string(),
                    t.style("help.section"),
                ));
                for (keys, desc, _) in section.entries {
                    lines.push(Line::from(vec![
                        Span::styled(format!("  {keys:<24}"), t.style("help.key")),
                        Span::styled(desc.to_string(), t.style("dialog")),
                    ]));
                }
                lines.push(Line::raw(""));
            }
            lines.push(Line::styled("Filter syntax", t.style("help.section")));
            for l in [
                "  sev:high  sev:>=medium  acct:1234  region:eu-west-1  control:S3.8  control:S3.*",
                "  wf:new  state:archived  comp:failed  product:guardduty  res:bucket  type:AwsS3Bucket",
                "  age:<7d  -wf:resolved (negate)  sev:high,critical (or)  \"quoted text\"  free text",
            ] {
                lines.push(Line::styled(l, t.style("dialog")));
            }
            Paragraph::new(lines)
                .block(b)
                .scroll((*scroll, 0))
                .render(rect, buf);
            None
        }
        Overlay::Sources { scroll } => {
            let rect = centered(area, 110, area.height - 2);
            clear(rect, buf, t.style("dialog"));
            let b = block(app, "Sources (Esc closes)", true);
            let mut lines = Vec::new();
            for s in app.snapshot.sources.iter() {
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
                            "{:>6} findings  last ok {last}{}",
                            s.findings,
                            if s.stale { "  (cached)" } else { "" }
                        ),
                        t.style("text.muted"),
                    ),
                ]));
                if let Some(e) = &s.health.last_error {
                    lines.push(Line::styled(
                        format!("          {}", sanitize::bounded(e, 300)),
                        style,
                    ));
                }
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
