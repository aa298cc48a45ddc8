//! The notifications view: each channel's state (ready, paused by a 429, unavailable here),
//! the outbox (failed first with the receiver's answer, then sending, pending, sent), and the
//! rules with how many findings match them and how many notified ones are still open.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::super::app::App;
use crate::model::format_age;
use crate::notify::outbox::State;
use crate::sanitize;

const COLS: [(&str, u16); 7] = [
    ("ID", 5),
    ("STATE", 9),
    ("CHANNEL", 12),
    ("EVENT", 20),
    ("TRIES", 5),
    ("AGE", 4),
    ("WHAT / LAST ANSWER", 0),
];

pub fn state_style(s: State) -> &'static str {
    match s {
        State::Pending => "workflow.new",
        State::Sending => "status.throttled",
        State::Sent => "status.ok",
        State::Failed => "status.error",
        State::Discarded => "text.muted",
    }
}

fn channels_line(app: &App) -> Line<'static> {
    let t = &app.theme;
    let mut spans = vec![Span::styled(" Channels:", t.style("text.muted"))];
    for c in &app.notify.channels {
        spans.push(Span::styled(
            format!(" {} ", sanitize::line(&c.name)),
            t.style("text"),
        ));
        spans.push(Span::styled(
            format!("{} ", c.kind.as_str()),
            t.style("text.muted"),
        ));
        let (text, style) = match (&c.unavailable, &c.paused) {
            (Some(_), _) => ("unavailable here".to_string(), "status.error"),
            (None, Some((until, _))) => (
                format!("paused {}s", ((until - app.now) / 1000).max(0)),
                "status.throttled",
            ),
            (None, None) => ("ok".to_string(), "status.ok"),
        };
        spans.push(Span::styled(text, t.style(style)));
        spans.push(Span::styled(" ·", t.style("text.muted")));
    }
    if app.notify.channels.is_empty() {
        spans.push(Span::styled(" none configured", t.style("text.muted")));
    } else {
        spans.pop();
    }
    Line::from(spans)
}

fn what(e: &crate::notify::outbox::Entry) -> String {
    let summary = match e.message.items.as_slice() {
        [one] => one.summary(),
        items => format!(
            "{} items: {}",
            items.len(),
            items.first().map(|i| i.summary()).unwrap_or_default()
        ),
    };
    match (&e.state, &e.last_error, &e.reference) {
        (State::Failed | State::Pending, Some(err), _) => format!("{err} · {summary}"),
        (State::Sent, _, Some(r)) => format!("{r} · {summary}"),
        _ => summary,
    }
}

pub fn render(area: Rect, buf: &mut Buffer, app: &App) {
    let t = &app.theme;
    if !app.opts.notify.enabled {
        let msg = if app.opts.notify.channels.is_empty() {
            "notifications are off: add [[notify.channel]] and [[notify.rule]] to the config"
        } else {
            "notifications are off in this console (the audit log is unavailable)"
        };
        // Wrapped: the hint must be readable whole at 80 columns.
        ratatui::widgets::Paragraph::new(msg)
            .style(t.style("text.muted"))
            .wrap(ratatui::widgets::Wrap { trim: true })
            .render(
                Rect {
                    x: area.x + 2,
                    y: area.y + 1,
                    width: area.width.saturating_sub(4),
                    height: area.height.saturating_sub(1),
                },
                buf,
            );
        return;
    }
    let rules_h = (app.notify.rules.len() as u16 + 1)
        .min(area.height / 3)
        .max(2);
    let table_h = area.height.saturating_sub(rules_h + 2);
    channels_line(app).render(Rect { height: 1, ..area }, buf);
    // The outbox.
    let header = Rect {
        y: area.y + 1,
        height: 1,
        ..area
    };
    buf.set_style(header, t.style("header"));
    let fixed: u16 = COLS.iter().map(|(_, w)| w + 1).sum();
    let last = area.width.saturating_sub(fixed + 1).max(10);
    let widths: Vec<u16> = COLS
        .iter()
        .map(|(_, w)| if *w == 0 { last } else { *w })
        .collect();
    let mut x = area.x + 1;
    for (i, (h, _)) in COLS.iter().enumerate() {
        buf.set_string(
            x,
            header.y,
            sanitize::fit(h, usize::from(widths[i])),
            t.style("header"),
        );
        x += widths[i] + 1;
    }
    let entries = &app.notify.entries;
    if entries.is_empty() {
        let msg = "the outbox is empty: rules notify as findings match; t on a finding creates a ticket, n sends a notification";
        buf.set_string(
            area.x + 2,
            area.y + 3,
            sanitize::fit(msg, usize::from(area.width.saturating_sub(3))),
            t.style("text.muted"),
        );
    }
    let height = usize::from(table_h.saturating_sub(1));
    let offset = app.notify_selected.saturating_sub(height.saturating_sub(1));
    for (n, e) in entries.iter().enumerate().skip(offset).take(height) {
        let y = area.y + 2 + (n - offset) as u16;
        let selected = n == app.notify_selected;
        let base = if selected {
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
            base,
        );
        let marker = if selected { ">" } else { " " };
        buf.set_string(area.x, y, marker, base);
        let cells = [
            (e.id.to_string(), None),
            (e.state.as_str().to_string(), Some(state_style(e.state))),
            (e.channel.clone(), None),
            (e.event.clone(), None),
            (e.attempts.to_string(), None),
            (format_age(app.now, e.updated_at), None),
            (what(e), None),
        ];
        let mut x = area.x + 1;
        for (i, (text, style)) in cells.iter().enumerate() {
            let st = match style {
                Some(k) if !selected => base.patch(t.overlay(k)),
                _ => base,
            };
            buf.set_string(x, y, sanitize::fit(text, usize::from(widths[i])), st);
            x += widths[i] + 1;
        }
    }
    // The rules.
    let ry = area.y + 2 + table_h.saturating_sub(1);
    let rules_area = Rect {
        y: ry,
        height: area.bottom().saturating_sub(ry),
        ..area
    };
    buf.set_style(
        Rect {
            height: 1,
            ..rules_area
        },
        t.style("header"),
    );
    let rw = [24u16, 9, 5, 24];
    let rlast = area
        .width
        .saturating_sub(rw.iter().map(|w| w + 1).sum::<u16>() + 1)
        .max(10);
    let mut x = area.x + 1;
    for (h, w) in ["RULE", "MATCHING", "OPEN", "TO", "WHEN"]
        .iter()
        .zip(rw.iter().chain([&rlast]))
    {
        buf.set_string(x, ry, sanitize::fit(h, usize::from(*w)), t.style("header"));
        x += w + 1;
    }
    let counts = &app.notify.counts;
    let summary = format!(
        " {} pending · {} sending · {} failed · {} sent ",
        counts.get(&State::Pending).unwrap_or(&0),
        counts.get(&State::Sending).unwrap_or(&0),
        counts.get(&State::Failed).unwrap_or(&0),
        counts.get(&State::Sent).unwrap_or(&0),
    );
    let sw = sanitize::width(&summary) as u16;
    if sw < area.width {
        buf.set_string(area.right() - sw, ry, &summary, t.style("header"));
    }
    for (i, r) in app
        .notify
        .rules
        .iter()
        .enumerate()
        .take(usize::from(rules_area.height.saturating_sub(1)))
    {
        let y = ry + 1 + i as u16;
        let cells = [
            r.name.clone(),
            r.matching.to_string(),
            r.open.to_string(),
            r.to.join(", "),
            if r.when.is_empty() {
                "(every finding)".into()
            } else {
                r.when.clone()
            },
        ];
        let mut x = area.x + 1;
        for (c, w) in cells.iter().zip(rw.iter().chain([&rlast])) {
            buf.set_string(x, y, sanitize::fit(c, usize::from(*w)), t.style("text"));
            x += w + 1;
        }
    }
    if let Some(e) = &app.notify.error {
        buf.set_string(
            area.x + 1,
            area.bottom().saturating_sub(1),
            sanitize::fit(e, usize::from(area.width.saturating_sub(2))),
            t.style("error"),
        );
    }
}
