//! The detail pane: every field, resources, the timeline and the raw JSON, scrollable and
//! searchable; on wide terminals a preview of the selected finding beside the list.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};
use unicode_width::UnicodeWidthChar;

use super::super::app::{App, Detail, DetailTab};
use crate::model::{Finding, format_rfc3339};
use crate::sanitize;
use crate::timeline;

/// Cuts sanitised text into lines of at most `width` columns.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(10);
    let mut out = Vec::new();
    for para in sanitize::multiline(text).split('\n') {
        let mut line = String::new();
        let mut w = 0;
        for word in para.split(' ') {
            let ww = sanitize::width(word);
            if w > 0 && w + 1 + ww > width {
                out.push(std::mem::take(&mut line));
                w = 0;
            }
            if w > 0 {
                line.push(' ');
                w += 1;
            }
            // A word longer than the line is cut by characters.
            for c in word.chars() {
                let cw = c.width().unwrap_or(0);
                if w + cw > width {
                    out.push(std::mem::take(&mut line));
                    w = 0;
                }
                line.push(c);
                w += cw;
            }
        }
        out.push(line);
    }
    out
}

/// Adds `value` wrapped beside `label` (the label only on the first line).
fn labelled(rows: &mut Vec<(String, String)>, label: &str, value: &str, width: usize) {
    for (i, l) in wrap(value, width.saturating_sub(16))
        .into_iter()
        .enumerate()
    {
        rows.push((
            if i == 0 {
                label.to_string()
            } else {
                String::new()
            },
            l,
        ));
    }
}

/// (label, value) lines of the summary tab, already wrapped to `width`.
fn summary(
    f: &Finding,
    tickets: Option<&Vec<(String, String, bool)>>,
    width: usize,
) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut add = |label: &str, value: &str| labelled(&mut rows, label, value, width);
    let opt = |o: Option<i64>| o.map(format_rfc3339).unwrap_or_else(|| "-".into());
    add("Title", &f.title);
    let norm = f
        .severity_normalized
        .map(|n| format!(" (normalized {n})"))
        .unwrap_or_default();
    add("Severity", &format!("{}{norm}", f.severity.as_str()));
    add("Workflow", f.workflow.as_str());
    if let Some(t) = tickets.filter(|t| !t.is_empty()) {
        let list: Vec<String> = t
            .iter()
            .map(|(ch, key, resolved)| {
                format!(
                    "{key} ({ch}{})",
                    if *resolved { ", moved to done" } else { "" }
                )
            })
            .collect();
        add("Ticket", &list.join(", "));
    }
    add("Record state", f.record_state.as_str());
    add("Compliance", f.compliance.map_or("-", |c| c.as_str()));
    add("Cloud", f.cloud.short());
    match &f.account_name {
        Some(n) => add(f.cloud.account_label(), &format!("{} ({n})", f.account)),
        None => add(f.cloud.account_label(), &f.account),
    }
    add(f.cloud.region_label(), &f.region);
    add(
        "Product",
        &format!("{} ({})", f.product_name, f.company_name),
    );
    add("Control", f.control_id.as_deref().unwrap_or("-"));
    // The provider's own fields (Azure intent, GCP finding class, SARIF rule …).
    for (k, v) in &f.details {
        add(k, v);
    }
    if !f.vulns.is_empty() {
        add("CVE / CWE", &f.vulns.join(", "));
    }
    add("Generator", &f.generator_id);
    add("Created", &format_rfc3339(f.created_at));
    add("Updated", &format_rfc3339(f.updated_at));
    add("First seen", &opt(f.first_observed_at));
    add("Last seen", &opt(f.last_observed_at));
    add("Types", &f.types.join(", "));
    add("Standards", &f.standards.join(", "));
    add("Requirements", &f.related_requirements.join(", "));
    add("Source", &f.source);
    add("Id", &f.id);
    if !f.product_arn.is_empty() {
        add("Product ARN", &f.product_arn);
    }
    if let Some(u) = &f.url {
        add("Console", u);
    }
    add(
        "Resource",
        &format!("{} {}", f.resource_type(), f.resource_id()),
    );
    add("Description", &f.description);
    add("Remediation", f.remediation_text.as_deref().unwrap_or("-"));
    add(
        "Remediation URL",
        f.remediation_url.as_deref().unwrap_or("-"),
    );
    match &f.note {
        Some(n) => add(
            "Note",
            &format!(
                "{} (by {}, {})",
                n.text,
                n.updated_by,
                format_rfc3339(n.updated_at)
            ),
        ),
        None => add("Note", "-"),
    }
    rows
}

fn resources(f: &Finding, width: usize) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    for (i, r) in f.resources.iter().enumerate() {
        let mut add = |label: &str, value: &str| labelled(&mut rows, label, value, width);
        add(&format!("#{}", i + 1), &r.kind);
        add("Id", &r.id);
        add("Region", r.region.as_deref().unwrap_or("-"));
        add("Partition", r.partition.as_deref().unwrap_or("-"));
        for (k, v) in &r.tags {
            add("Tag", &format!("{k} = {v}"));
        }
        rows.push((String::new(), String::new()));
    }
    if rows.is_empty() {
        rows.push(("".into(), "no resources".into()));
    }
    rows
}

fn raw_lines(d: &Detail) -> Vec<(String, String)> {
    let text: Vec<String> = match &d.raw {
        None => vec!["loading…".into()],
        Some(None) => vec!["raw JSON is not stored for this finding".into()],
        Some(Some(raw)) => indent_json(raw)
            .into_iter()
            .map(|(depth, text)| format!("{}{}", "  ".repeat(depth), sanitize::line(&text)))
            .collect(),
    };
    text.into_iter().map(|t| (String::new(), t)).collect()
}

/// The timeline tab: the finding's own milestones, the queue's items for it, and what was
/// loaded from the audit log and the provider; newest first.
fn timeline_lines(app: &App, d: &Detail, f: &Finding, width: usize) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    let loaded = match &d.timeline {
        None => {
            rows.push((
                String::new(),
                "loading the audit log and provider history…".into(),
            ));
            Vec::new()
        }
        Some((events, error)) => {
            if let Some(e) = error {
                labelled(&mut rows, "not read", e, width);
            }
            events.clone()
        }
    };
    let events = timeline::merge([
        timeline::of_finding(f),
        timeline::of_items(&app.queue.items, &f.id),
        loaded,
    ]);
    for e in events {
        let when = format_rfc3339(e.at);
        let when = when.get(..16).unwrap_or(&when).replace('T', " ");
        let who = if e.who.is_empty() {
            String::new()
        } else {
            format!(" by {}", e.who)
        };
        // The label column is 17 wide here (a date and time), two more than elsewhere.
        labelled(
            &mut rows,
            &when,
            &format!("[{}] {}{who}", e.origin.label(), e.what),
            width.saturating_sub(2),
        );
    }
    rows
}

/// Every line of the tab shown, as (label, value), wrapped to `width`: what is drawn,
/// scrolled and searched.
pub fn tab_lines(app: &App, d: &Detail, f: &Finding, width: usize) -> Vec<(String, String)> {
    match d.tab {
        DetailTab::Summary => summary(f, app.notify.tickets.get(&f.id), width),
        DetailTab::Resources => resources(f, width),
        DetailTab::Timeline => timeline_lines(app, d, f, width),
        DetailTab::Raw => raw_lines(d),
    }
}

/// Lines that contain `query` (case-insensitive), in order.
pub fn matches(lines: &[(String, String)], query: &str) -> Vec<usize> {
    let q = query.to_lowercase();
    if q.is_empty() {
        return Vec::new();
    }
    lines
        .iter()
        .enumerate()
        .filter(|(_, (l, v))| l.to_lowercase().contains(&q) || v.to_lowercase().contains(&q))
        .map(|(i, _)| i)
        .collect()
}

/// Re-indents JSON text as it was received (key order kept), one (depth, text) per line.
/// String contents are copied verbatim; the caller sanitises them.
pub fn indent_json(raw: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut line = String::new();
    let mut depth = 0usize;
    let mut in_str = false;
    let mut escaped = false;
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if in_str {
            line.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                line.push(c);
            }
            '{' | '[' => {
                line.push(c);
                // Empty containers stay on one line.
                let close = if c == '{' { '}' } else { ']' };
                while chars.peek().is_some_and(|n| n.is_whitespace()) {
                    chars.next();
                }
                if chars.peek() == Some(&close) {
                    line.push(chars.next().unwrap_or(close));
                } else {
                    out.push((depth, std::mem::take(&mut line)));
                    depth += 1;
                }
            }
            '}' | ']' => {
                if !line.trim().is_empty() {
                    out.push((depth, std::mem::take(&mut line)));
                }
                depth = depth.saturating_sub(1);
                line.push(c);
            }
            ',' => {
                line.push(c);
                out.push((depth, std::mem::take(&mut line)));
            }
            ':' => line.push_str(": "),
            c if c.is_whitespace() => {}
            c => line.push(c),
        }
    }
    if !line.is_empty() {
        out.push((depth, line));
    }
    out
}

/// Terminals at least this wide show the list and the detail side by side.
pub const WIDE: u16 = 140;

/// The area under the top bar and above the status bar.
pub fn main_area(size: (u16, u16)) -> Rect {
    Rect::new(0, 1, size.0, size.1.saturating_sub(3))
}

/// Whether the findings list and the detail (or a preview) share the screen.
pub fn side_by_side(app: &App) -> bool {
    app.size.0 >= WIDE && !app.queue_view && !app.posture.open
}

/// Where the detail goes in `main`: all of it, or its right part on wide terminals.
pub fn detail_area(app: &App, main: Rect) -> Rect {
    if !side_by_side(app) {
        return main;
    }
    let w = (main.width * 2 / 5).max(56);
    Rect {
        x: main.x + main.width - w,
        width: w,
        ..main
    }
}

/// The text area of the detail: below the tab line, inside the border (none for a reader).
pub fn body_area(app: &App, area: Rect) -> Rect {
    let body = Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(1),
        ..area
    };
    super::block(app, "", true).inner(body)
}

/// Lines of the current tab and the rows shown at once (for scroll limits and search).
pub fn geometry(app: &App) -> Option<(Vec<(String, String)>, usize)> {
    let d = app.detail.as_ref()?;
    let f = app.detail_finding()?;
    let body = body_area(app, detail_area(app, main_area(app.size)));
    let mut width = usize::from(body.width);
    if d.search.is_some() {
        width = width.saturating_sub(2);
    }
    Some((tab_lines(app, d, f, width), usize::from(body.height)))
}

/// The detail of the open finding, or on wide terminals a preview of the selected one.
pub fn render(area: Rect, buf: &mut Buffer, app: &App) {
    match app.detail.as_ref() {
        Some(d) => render_detail(
            area,
            buf,
            app,
            d,
            app.detail_finding().map(|f| f.as_ref()),
            true,
        ),
        None => {
            let preview = Detail {
                id: String::new(),
                tab: DetailTab::Summary,
                scroll: 0,
                hscroll: 0,
                raw: None,
                timeline: None,
                search: None,
            };
            let f = app.selected_finding().map(|f| f.as_ref());
            render_detail(area, buf, app, &preview, f, false);
        }
    }
}

fn render_detail(
    area: Rect,
    buf: &mut Buffer,
    app: &App,
    d: &Detail,
    f: Option<&Finding>,
    focused: bool,
) {
    let t = &app.theme;
    let title_area = Rect { height: 1, ..area };
    if focused {
        let tabs: Vec<Span> = DetailTab::ALL
            .iter()
            .enumerate()
            .flat_map(|(i, tab)| {
                let style = if *tab == d.tab {
                    t.style("selection")
                } else {
                    t.style("text.muted")
                };
                // The active tab is marked in text too ([ ]), not only by its style.
                let label = if *tab == d.tab {
                    format!("[{} {}]", i + 1, tab.title())
                } else {
                    format!(" {} {} ", i + 1, tab.title())
                };
                [Span::styled(label, style), Span::raw(" ")]
            })
            .collect();
        Line::from(tabs).render(title_area, buf);
    } else {
        let key = app
            .keymap
            .keys_for(crate::tui::keymap::Action::Open)
            .first()
            .map(|k| k.to_string())
            .unwrap_or_else(|| "enter".into());
        Line::styled(
            format!(" Preview ({key} opens it: timeline, raw JSON, search)"),
            t.style("text.muted"),
        )
        .render(title_area, buf);
    }
    let body = Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(1),
        ..area
    };
    let block = super::block(app, if focused { "Finding" } else { "Preview" }, focused);
    let inner = block.inner(body);
    block.render(body, buf);
    let Some(f) = f else {
        let text = if focused {
            "this finding is no longer present (archived or removed)"
        } else if app.group.is_some() {
            "a group: Enter filters to it, → opens it"
        } else {
            "no finding selected"
        };
        buf.set_string(inner.x, inner.y, text, t.style("text.muted"));
        return;
    };
    let gutter = if d.search.is_some() { 2 } else { 0 };
    let width = usize::from(inner.width).saturating_sub(gutter);
    let rows = tab_lines(app, d, f, width);
    let (hits, current) = match &d.search {
        Some(s) => {
            let hits = matches(&rows, &s.query);
            let cur = hits.get(s.current).copied();
            (hits, cur)
        }
        None => (Vec::new(), None),
    };
    let label_width = if d.tab == DetailTab::Timeline { 17 } else { 15 };
    let lines: Vec<Line> = rows
        .into_iter()
        .enumerate()
        .map(|(i, (label, value))| {
            let mut spans = Vec::new();
            if gutter > 0 {
                // The current match is marked in text, the others by a dot: not colour only.
                let mark = if Some(i) == current {
                    "> "
                } else if hits.binary_search(&i).is_ok() {
                    "* "
                } else {
                    "  "
                };
                spans.push(Span::styled(mark, t.style("text.emphasis")));
            }
            let value_style = if Some(i) == current {
                t.style("selection")
            } else if hits.binary_search(&i).is_ok() {
                t.style("text.emphasis")
            } else if d.tab == DetailTab::Summary && label == "Severity" {
                t.style(&format!(
                    "severity.{}",
                    f.severity.as_str().to_ascii_lowercase()
                ))
            } else {
                t.style("text")
            };
            if d.tab != DetailTab::Raw {
                spans.push(Span::styled(
                    format!("{label:<label_width$} "),
                    t.style("text.muted"),
                ));
            }
            spans.push(Span::styled(value, value_style));
            Line::from(spans)
        })
        .collect();
    Paragraph::new(lines)
        .scroll((d.scroll, d.hscroll))
        .style(t.base())
        .render(inner, buf);
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_indented_in_received_order() {
        let lines = indent_json(r#"{"b": 1, "a": {"x": [1, 2], "e": {}}, "s": "q\"{,"}"#);
        let text: Vec<String> = lines
            .iter()
            .map(|(d, t)| format!("{}{t}", "  ".repeat(*d)))
            .collect();
        assert_eq!(
            text,
            vec![
                "{",
                "  \"b\": 1,",
                "  \"a\": {",
                "    \"x\": [",
                "      1,",
                "      2",
                "    ],",
                "    \"e\": {}",
                "  },",
                "  \"s\": \"q\\\"{,\"",
                "}",
            ]
        );
    }

    #[test]
    fn wrap_respects_width_and_sanitises() {
        let lines = wrap("alpha beta gamma delta \u{1b}[31mepsilon\u{1b}[0m", 12);
        assert!(lines.iter().all(|l| sanitize::width(l) <= 12), "{lines:?}");
        assert!(lines.concat().contains("epsilon") && !lines.concat().contains('\u{1b}'));
        let long = wrap(&"x".repeat(30), 10);
        assert_eq!(long.len(), 3);
    }
}
