//! The remediation queue view: items with state, requester, approvals, age, execution and
//! current step; then executions waiting at an `aws:approve` step.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::super::app::App;
use super::super::app::QueueRow;
use crate::model::format_age;
use crate::remediation::queue::State;
use crate::sanitize;

const COLS: [(&str, u16); 9] = [
    ("ID", 8),
    ("STATE", 10),
    ("CONTROL", 10),
    ("RESOURCE", 18),
    ("ACCOUNT/REGION", 24),
    ("REQUESTER", 12),
    ("APPR", 5),
    ("AGE", 4),
    ("EXECUTION / STEP", 0),
];

fn state_style(s: State) -> &'static str {
    match s {
        State::Proposed => "workflow.new",
        State::Approved | State::Running => "status.throttled",
        State::Succeeded => "status.ok",
        State::Failed | State::Rejected => "status.error",
        State::Cancelled => "text.muted",
    }
}

/// Columns shown at this width: ACCOUNT/REGION, then REQUESTER, go first when narrow, so
/// the execution and step keep at least 20 cells. (index into COLS, width)
fn columns(width: u16) -> Vec<(usize, u16)> {
    let mut shown: Vec<usize> = (0..COLS.len()).collect();
    for drop in [4, 5] {
        let fixed: u16 = shown.iter().map(|&i| COLS[i].1 + 1).sum();
        if width.saturating_sub(fixed + 1) >= 20 {
            break;
        }
        shown.retain(|&i| i != drop);
    }
    let fixed: u16 = shown.iter().map(|&i| COLS[i].1 + 1).sum();
    let last = width.saturating_sub(fixed + 1).max(8);
    shown
        .into_iter()
        .map(|i| (i, if COLS[i].1 == 0 { last } else { COLS[i].1 }))
        .collect()
}

pub fn render(area: Rect, buf: &mut Buffer, app: &App) {
    let t = &app.theme;
    let header = Rect { height: 1, ..area };
    buf.set_style(header, t.style("header"));
    let cols = columns(area.width);
    let mut x = area.x + 1;
    for &(i, w) in &cols {
        buf.set_string(
            x,
            area.y,
            sanitize::fit(COLS[i].0, usize::from(w)),
            t.style("header"),
        );
        x += w + 1;
    }
    let rows = app.queue_list();
    if rows.is_empty() {
        let msg = if app.opts.remediation {
            "the queue is empty: select a finding and press p to propose its playbook"
        } else {
            "remediation is off: set [remediation] enabled = true in the config"
        };
        buf.set_string(area.x + 2, area.y + 2, msg, t.style("text.muted"));
    }
    let height = usize::from(area.height.saturating_sub(1));
    let offset = app.queue_selected.saturating_sub(height.saturating_sub(1));
    for (n, row) in rows.iter().enumerate().skip(offset).take(height) {
        let y = area.y + 1 + (n - offset) as u16;
        let selected = n == app.queue_selected;
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
        let cells: Vec<(String, Option<&str>)> = match row {
            QueueRow::Item(i) => {
                let p = &i.proposal;
                let exec = match (&i.execution_id, &i.current_step, &i.failure) {
                    (_, _, Some(f)) => f.clone(),
                    (Some(e), Some(s), None) => format!("{e} {s}"),
                    (Some(e), None, None) => e.clone(),
                    (None, _, None) if i.cancel_requested => "stop requested".into(),
                    (None, _, None) if i.state == State::Running => match &i.start_error {
                        Some(e) => format!("starting (no definite answer, retrying: {e})"),
                        None => "starting".into(),
                    },
                    _ => "-".into(),
                };
                vec![
                    (i.id.clone(), None),
                    (i.state.as_str().to_string(), Some(state_style(i.state))),
                    (p.control.clone(), None),
                    (
                        crate::query::short_resource(&p.resource_id).to_string(),
                        None,
                    ),
                    (format!("{} {}", p.account, p.region), None),
                    (i.requester.short().to_string(), None),
                    (format!("{}/{}", i.approvals(), p.approvals_required), None),
                    (format_age(app.now, i.created_at), None),
                    (exec, None),
                ]
            }
            QueueRow::Waiting(source, w) => vec![
                (w.execution_id.clone(), None),
                ("Waiting".into(), Some("workflow.new")),
                ("aws:approve".into(), None),
                (w.document.clone(), None),
                (source.to_string(), None),
                ("-".into(), None),
                ("-".into(), None),
                (
                    w.started_at.map_or("-".into(), |s| format_age(app.now, s)),
                    None,
                ),
                (w.step.clone().unwrap_or_default(), None),
            ],
        };
        let mut x = area.x + 1;
        for &(i, w) in &cols {
            let (text, style) = &cells[i];
            let st = match *style {
                Some(k) if !selected => base.patch(t.overlay(k)),
                _ => base,
            };
            buf.set_string(x, y, sanitize::fit(text, usize::from(w)), st);
            x += w + 1;
        }
    }
    // When sessions of the user's identity cannot be told apart, say so where people decide.
    if let Some(n) = &app.opts.approver_note {
        let y = area
            .bottom()
            .saturating_sub(if app.queue.error.is_some() { 2 } else { 1 });
        buf.set_string(
            area.x + 1,
            y,
            sanitize::fit(n, usize::from(area.width.saturating_sub(2))),
            t.style("text.emphasis"),
        );
    }
    if let Some(e) = &app.queue.error {
        let y = area.bottom().saturating_sub(1);
        buf.set_string(
            area.x + 1,
            y,
            sanitize::fit(e, usize::from(area.width.saturating_sub(2))),
            t.style("error"),
        );
    }
}
