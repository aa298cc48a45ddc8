//! The remediation dialogs: proposal preview, approval prompt and cancel prompt. Fixed text,
//! numbered options (the harmless one is the default), the real cursor at the caret. The
//! vital lines (what it changes, destructive or not, the target, the approvals) come first
//! and the rest scrolls with a visible "more" cue, so 80×24 always shows what matters.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::overlays::caret;
use super::{block, centered, clear};
use crate::sanitize;
use crate::tui::app::{App, Overlay};
use crate::tui::rem_dialogs::{CancelField, Choice, Field};

/// Label/value lines wrapped to `width` (values continue under the value column).
fn rows(app: &App, lines: &[(String, String)], width: u16) -> Vec<Line<'static>> {
    let t = &app.theme;
    // Labels as wide as the longest (runbook parameter names run long), within reason.
    let label_w = lines
        .iter()
        .map(|(k, _)| sanitize::width(k))
        .max()
        .unwrap_or(0)
        .clamp(16, 24);
    let value_w = usize::from(width).saturating_sub(label_w + 1).max(10);
    let mut out = Vec::new();
    for (k, v) in lines {
        let style = if k == "Destructive" && v.starts_with("YES") {
            t.style("error")
        } else {
            t.style("dialog")
        };
        for (i, chunk) in sanitize::wrap(v, value_w).into_iter().enumerate() {
            let label = if i == 0 {
                sanitize::fit(k, label_w) + " "
            } else {
                " ".repeat(label_w + 1)
            };
            out.push(Line::from(vec![
                Span::styled(label, t.style("text.muted")),
                Span::styled(chunk, style),
            ]));
        }
    }
    out
}

/// Renders `lines` from `scroll` (clamped) into `area`; when they do not fit, the last row
/// says how many lines are above and below and which keys scroll.
pub(super) fn info_panel(
    buf: &mut Buffer,
    area: Rect,
    app: &App,
    lines: &[(String, String)],
    scroll: u16,
) {
    if area.height == 0 {
        return;
    }
    let all = rows(app, lines, area.width);
    let height = usize::from(area.height);
    if all.len() <= height {
        Paragraph::new(all).render(area, buf);
        return;
    }
    let view = height - 1;
    let top = usize::from(scroll).min(all.len() - view);
    let below = all.len() - view - top;
    Paragraph::new(all[top..top + view].to_vec()).render(area, buf);
    let ascii = app.theme.ascii || app.opts.screen_reader;
    let cue = match (top, below) {
        (_, 0) => format!(
            "{} top: PgUp/ctrl-u ({top} lines above)",
            if ascii { "^" } else { "▲" }
        ),
        _ => format!(
            "{} more: PgDn/ctrl-d ({below} lines below{})",
            if ascii { "v" } else { "▼" },
            if top > 0 {
                format!(", {top} above")
            } else {
                String::new()
            }
        ),
    };
    buf.set_string(
        area.x,
        area.y + area.height - 1,
        sanitize::fit(&cue, usize::from(area.width)),
        app.theme.style("text.emphasis"),
    );
}

pub(super) fn options(
    buf: &mut Buffer,
    app: &App,
    x: u16,
    y: u16,
    labels: &[(&str, bool)],
    focused: bool,
) {
    let t = &app.theme;
    let mut x = x;
    for (n, (label, on)) in labels.iter().enumerate() {
        let style = if *on && focused {
            t.style("selection")
        } else if *on {
            t.style("text.emphasis")
        } else {
            t.style("dialog")
        };
        let s = format!("{} {} {label} ", n + 1, if *on { "(x)" } else { "( )" });
        buf.set_string(x, y, &s, style);
        x += sanitize::width(&s) as u16 + 2;
    }
}

fn footer(buf: &mut Buffer, app: &App, inner: Rect, help: &str, error: Option<&String>) {
    let t = &app.theme;
    buf.set_string(
        inner.x + 1,
        inner.bottom() - 1,
        sanitize::fit(help, usize::from(inner.width - 1)),
        t.style("text.muted"),
    );
    if let Some(e) = error {
        buf.set_string(
            inner.x + 1,
            inner.bottom() - 2,
            sanitize::fit(e, usize::from(inner.width - 1)),
            t.style("error"),
        );
    }
}

fn label(buf: &mut Buffer, app: &App, x: u16, y: u16, text: &str, focused: bool) {
    let style = app.theme.style(if focused {
        "border.focused"
    } else {
        "text.muted"
    });
    buf.set_string(x, y, text, style);
}

pub fn render(frame: &mut Frame, app: &App) -> Option<Position> {
    let area = frame.area();
    let t = &app.theme;
    let buf = frame.buffer_mut();
    let rect = centered(area, 100, area.height.saturating_sub(2));
    clear(rect, buf, t.style("dialog"));
    match &app.overlay {
        Overlay::Preview(d) => {
            let title = format!("Propose remediation for {} finding(s)", d.proposals.len());
            let b = block(app, &title, true);
            let inner = b.inner(rect);
            b.render(rect, buf);
            let body = Rect {
                height: inner.height.saturating_sub(2),
                ..inner
            };
            info_panel(buf, body, app, &d.lines, d.scroll);
            let y = inner.bottom() - 1;
            let mut labels = Vec::new();
            let propose = format!("Propose {}", d.proposals.len());
            if !d.proposals.is_empty() {
                labels.push((propose.as_str(), d.propose));
            }
            labels.push(("Cancel", !d.propose));
            options(buf, app, inner.x + 1, y, &labels, true);
            let used = labels.iter().map(|(l, _)| l.len() as u16 + 9).sum::<u16>();
            buf.set_string(
                inner.x + 1 + used,
                y,
                sanitize::fit(
                    "Enter confirms · Esc closes",
                    usize::from(inner.width.saturating_sub(used + 2)),
                ),
                t.style("text.muted"),
            );
            None
        }
        Overlay::Decision(d) => {
            let b = block(app, "Decide", true);
            let inner = b.inner(rect);
            b.render(rect, buf);
            let extra = if d.confirm.is_some() { 2 } else { 0 };
            // Options, justification (label + 3 rows), help and error lines.
            let info_h = inner.height.saturating_sub(7 + extra);
            info_panel(
                buf,
                Rect {
                    height: info_h,
                    ..inner
                },
                app,
                &d.lines,
                d.scroll,
            );
            let mut y = inner.y + info_h;
            let labels: Vec<(&str, bool)> = Choice::ALL
                .iter()
                .map(|c| (c.label(), d.choice == *c))
                .collect();
            options(buf, app, inner.x + 1, y, &labels, d.focus == Field::Choice);
            y += 1;
            label(
                buf,
                app,
                inner.x + 1,
                y,
                "Justification:",
                d.focus == Field::Reason,
            );
            let reason_area = Rect {
                x: inner.x + 1,
                y: y + 1,
                width: inner.width.saturating_sub(2),
                height: 3,
            };
            d.reason.render(reason_area, buf);
            y += 4;
            let mut cursor = (d.focus == Field::Reason).then(|| caret(&d.reason, reason_area));
            if let Some((word, ta)) = &d.confirm {
                let text = format!("Type {:?} to confirm:", sanitize::bounded(word, 40));
                label(buf, app, inner.x + 1, y, &text, d.focus == Field::Confirm);
                let confirm_area = Rect {
                    x: inner.x + 1,
                    y: y + 1,
                    width: inner.width.saturating_sub(2).min(50),
                    height: 1,
                };
                ta.render(confirm_area, buf);
                if d.focus == Field::Confirm {
                    cursor = Some(caret(ta, confirm_area));
                }
            }
            let help = "1-3 choose · Tab next field · Enter confirms (Cancel does nothing) · Alt-Enter newline · Esc closes, keeps the text";
            footer(buf, app, inner, help, d.error.as_ref());
            cursor
        }
        Overlay::CancelItem(d) => {
            let b = block(app, "Cancel a remediation item", true);
            let inner = b.inner(rect);
            b.render(rect, buf);
            let info_h = inner.height.saturating_sub(7);
            info_panel(
                buf,
                Rect {
                    height: info_h,
                    ..inner
                },
                app,
                &d.lines,
                d.scroll,
            );
            let mut y = inner.y + info_h;
            let running = d.item.state == crate::remediation::queue::State::Running;
            let first = if running {
                "Stop and cancel"
            } else {
                "Cancel the item"
            };
            options(
                buf,
                app,
                inner.x + 1,
                y,
                &[(first, d.cancel), ("Keep it", !d.cancel)],
                d.focus == CancelField::Choice,
            );
            y += 1;
            label(
                buf,
                app,
                inner.x + 1,
                y,
                "Reason:",
                d.focus == CancelField::Reason,
            );
            let reason_area = Rect {
                x: inner.x + 1,
                y: y + 1,
                width: inner.width.saturating_sub(2),
                height: 3,
            };
            d.reason.render(reason_area, buf);
            let help = "1 cancel · 2 keep (default) · Tab reason · Enter confirms · Esc closes, keeps the text";
            footer(buf, app, inner, help, d.error.as_ref());
            (d.focus == CancelField::Reason).then(|| caret(&d.reason, reason_area))
        }
        _ => None,
    }
}
