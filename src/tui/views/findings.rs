//! The findings table. Only the visible rows are built, so 100k findings cost the same as 50.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::super::app::{App, Row};
use super::super::table;
use crate::model::Severity;
use crate::query::{Column, Group};
use crate::sanitize;

/// Cursor (`>` on the selected row: the selection in text, not only in colour), mark,
/// status marker (new / open remediation item), space.
const GUTTER: u16 = 4;

pub fn render(area: Rect, buf: &mut Buffer, app: &App) {
    let t = &app.theme;
    let cols = table::layout(
        area.width,
        app.snapshot.clouds.count_ones() > 1,
        &app.columns,
    );
    // Header.
    let header = Rect { height: 1, ..area };
    buf.set_style(header, t.style("header"));
    if let Some(by) = app.group {
        let text = format!(
            "  BY {} {} {} groups, most {} first (s order, S reverse, b next)",
            by.name().to_ascii_uppercase(),
            t.symbol("separator"),
            app.groups.len(),
            match app.group_order {
                crate::query::GroupOrder::Count => "findings",
                crate::query::GroupOrder::Severity => "severe",
                crate::query::GroupOrder::Key => "A-Z",
            }
        );
        let text = if app.group_reverse {
            text.replace("most ", "reversed: most ")
        } else {
            text
        };
        buf.set_stringn(
            area.x,
            area.y,
            &text,
            usize::from(area.width),
            t.style("header"),
        );
    }
    let mut x = area.x + GUTTER;
    for (c, w) in cols.iter().filter(|_| app.group.is_none()) {
        let mut label = c.header().to_string();
        if *c == app.sort.column {
            label.push_str(t.symbol(if app.sort.descending {
                "sort.desc"
            } else {
                "sort.asc"
            }));
        }
        buf.set_string(
            x,
            area.y,
            sanitize::fit(&label, usize::from(*w)),
            t.style("header"),
        );
        x += w + 1;
    }
    let body = Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(1),
        ..area
    };
    if app.rows.is_empty() {
        let msg = if app.snapshot.findings.is_empty() {
            "no findings yet: waiting for the first poll"
        } else {
            "no finding matches the filter (press / to change it)"
        };
        buf.set_string(body.x + 2, body.y + 1, msg, t.style("text.muted"));
        return;
    }
    // Findings with an open remediation item get a marker in the list.
    let queued: std::collections::HashSet<&str> = app
        .queue
        .items
        .iter()
        .filter(|i| !i.state.is_final())
        .map(|i| i.proposal.finding_id.as_str())
        .collect();
    let stale: std::collections::HashSet<&str> = app
        .snapshot
        .sources
        .iter()
        .filter(|s| s.stale)
        .map(|s| s.info.key.as_str())
        .collect();
    let end = (app.offset + usize::from(body.height)).min(app.rows.len());
    for (row, vi) in (app.offset..end).enumerate() {
        let y = body.y + row as u16;
        if let Row::Group(_) = app.rows[vi] {
            let g = app.group_at(vi).expect("group row");
            group_row(
                app,
                buf,
                Rect {
                    y,
                    height: 1,
                    ..body
                },
                g,
                vi == app.selected,
            );
            continue;
        }
        let f = app.finding(vi).expect("visible row");
        let rect = Rect {
            y,
            height: 1,
            ..body
        };
        let selected = vi == app.selected;
        let marked = app.marks.contains(&f.id);
        // Layers patch only what they set (overlay), selection last so it always shows.
        let mut style = t.base();
        if stale.contains(f.source.as_str()) {
            style = style.patch(t.overlay("row.stale"));
        }
        if app.snapshot.changed.contains(&f.id) {
            style = style.patch(t.overlay("row.changed"));
        }
        if marked {
            style = style.patch(t.overlay("marked"));
        }
        if selected {
            style = style.patch(t.overlay("selection"));
        }
        buf.set_style(rect, style);
        let mark = if marked {
            t.symbol("mark")
        } else {
            t.symbol("unmark")
        };
        buf.set_string(body.x, y, if selected { ">" } else { " " }, style);
        buf.set_string(body.x + 1, y, sanitize::fit(mark, 1), style);
        // New until seen (a text marker, not only a colour), else an open remediation item.
        let status = if app.unseen.contains(&f.id) {
            t.symbol("new")
        } else if queued.contains(f.id.as_str()) {
            t.symbol("queued")
        } else {
            " "
        };
        buf.set_string(body.x + 2, y, sanitize::fit(status, 1), style);
        let mut x = body.x + GUTTER;
        for (c, w) in &cols {
            let cell_style = match c {
                Column::Severity => cell(
                    style,
                    t.style(&format!(
                        "severity.{}",
                        f.severity.as_str().to_ascii_lowercase()
                    )),
                    selected,
                ),
                Column::Workflow => cell(
                    style,
                    t.style(&format!(
                        "workflow.{}",
                        f.workflow.as_str().to_ascii_lowercase()
                    )),
                    selected,
                ),
                _ => style,
            };
            let text = c.text(f, app.now);
            // Ids differ at the end (sg-0…015d), titles at the start.
            let cell = match c {
                Column::Resource => {
                    sanitize::fit_middle(&text, usize::from(*w), t.symbol("ellipsis"))
                }
                Column::Account if f.account_name.is_none() => {
                    sanitize::fit_middle(&text, usize::from(*w), t.symbol("ellipsis"))
                }
                _ => sanitize::fit_with(&text, usize::from(*w), t.symbol("ellipsis")),
            };
            buf.set_string(x, y, cell, cell_style);
            x += w + 1;
        }
    }
}

/// A group's line: open/closed marker, key, count and counts by severity (as text).
fn group_row(app: &App, buf: &mut Buffer, rect: Rect, g: &Group, selected: bool) {
    let t = &app.theme;
    let mut style = t.base().patch(t.overlay("group"));
    if selected {
        style = style.patch(t.overlay("selection"));
    }
    buf.set_style(rect, style);
    if selected {
        buf.set_string(rect.x, rect.y, ">", style);
    }
    let open = app.expanded.contains(&*g.key);
    let marker = t.symbol(if open { "group.open" } else { "group.closed" });
    let marked = app
        .groups
        .rows(g)
        .iter()
        .filter(|&&i| app.marks.contains(&app.snapshot.findings[i as usize].id))
        .count();
    let key = sanitize::line(&g.key);
    let counts: Vec<String> = Severity::ALL
        .iter()
        .filter(|s| g.count(**s) > 0)
        .map(|s| format!("{} {}", s.short(), g.count(*s)))
        .collect();
    let tail = format!(
        "  {} finding{}  {}{}",
        g.total(),
        if g.total() == 1 { "" } else { "s" },
        counts.join("  "),
        if marked > 0 {
            format!("  ({marked} marked)")
        } else {
            String::new()
        }
    );
    let w = usize::from(rect.width.saturating_sub(2));
    // The counts matter most: a long key is cut to leave room for them, in the middle, so
    // the unique tail of an ARN or resource id stays (`arn:aws:ec2:…sg-0a1b2c`).
    let room = w
        .saturating_sub(sanitize::width(&tail) + sanitize::width(marker) + 1)
        .max(8);
    let key = if sanitize::width(&key) > room {
        sanitize::fit_middle(&key, room, t.symbol("ellipsis"))
            .trim_end()
            .to_string()
    } else {
        key.to_string()
    };
    let text = format!("{marker} {key}");
    // Only the key is provider text; the counts are ours (and keep their spacing).
    let used = sanitize::width(&text) as u16;
    buf.set_string(rect.x + 2, rect.y, &text, style);
    buf.set_stringn(
        rect.x + 2 + used,
        rect.y,
        &tail,
        w.saturating_sub(usize::from(used)),
        style,
    );
}

/// A semantic cell colour over the row style; the selection keeps its own look so it stays
/// visible (reverse video in mono).
fn cell(row: Style, semantic: Style, selected: bool) -> Style {
    if selected { row } else { row.patch(semantic) }
}
