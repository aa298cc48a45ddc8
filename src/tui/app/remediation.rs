//! Remediation from the keyboard: propose (after a preview), the queue view, and the
//! approval prompt. Every change is an effect carried out by the remediation service.

use crossterm::event::KeyEvent;

use super::{App, Effect, Level, Overlay};
use crate::remediation::queue::State;
use crate::remediation::service::{Command, Reply};
use crate::tui::keymap::Action;
use crate::tui::rem_dialogs::{
    CancelDialog, CancelKey, DecisionDialog, DecisionKey, PreviewDialog, PreviewKey, Target,
};

/// A row of the queue view: an item, or an execution waiting at `aws:approve`.
pub enum QueueRow<'a> {
    Item(&'a crate::remediation::queue::Item),
    Waiting(&'a str, &'a crate::remediation::automation::Waiting),
}

impl App {
    /// Items newest first (open ones before finished ones), then waiting executions.
    pub fn queue_list(&self) -> Vec<QueueRow<'_>> {
        let mut items: Vec<&crate::remediation::queue::Item> = self.queue.items.iter().collect();
        items.sort_by_key(|i| (i.state.is_final(), std::cmp::Reverse(i.created_at)));
        let mut rows: Vec<QueueRow> = items.into_iter().map(QueueRow::Item).collect();
        rows.extend(
            self.queue
                .waiting
                .iter()
                .map(|(s, w)| QueueRow::Waiting(s, w)),
        );
        rows
    }

    pub fn queue_rows(&self) -> usize {
        self.queue.items.len() + self.queue.waiting.len()
    }

    fn remediation_allowed(&mut self) -> bool {
        if self.opts.read_only {
            self.error("read-only mode: remediation is disabled");
            false
        } else if !self.opts.remediation {
            self.error("remediation is off: set [remediation] enabled = true in the config");
            false
        } else {
            true
        }
    }

    pub(super) fn propose(&mut self, fx: &mut Vec<Effect>) {
        if !self.remediation_allowed() {
            return;
        }
        let (findings, hidden) = self.action_targets();
        if findings.is_empty() {
            return self.error(if hidden > 0 {
                "every marked finding is hidden by the filter: nothing to propose"
            } else {
                "no finding selected"
            });
        }
        // One open item per finding: `p` on a finding that has one opens it instead.
        if findings.len() == 1
            && let Some(pos) = self.queue_list().iter().position(|r| {
                matches!(r, QueueRow::Item(i) if !i.state.is_final() && i.proposal.finding_id == findings[0].id)
            })
        {
            self.queue_view = true;
            self.posture.open = false;
            self.detail = None;
            self.queue_selected = pos;
            return self.info("this finding already has an open remediation item: here it is");
        }
        let open: std::collections::HashSet<&str> = self
            .queue
            .items
            .iter()
            .filter(|i| !i.state.is_final())
            .map(|i| i.proposal.finding_id.as_str())
            .collect();
        let (queued, findings): (Vec<_>, Vec<_>) = findings
            .into_iter()
            .partition(|f| open.contains(f.id.as_str()));
        if findings.is_empty() {
            return self.error(format!(
                "all {} finding(s) already have an open remediation item (Q shows them)",
                queued.len()
            ));
        }
        let mut note = format!("preparing a preview for {} finding(s)…", findings.len());
        if !queued.is_empty() {
            note.push_str(&format!(" ({} already queued, skipped)", queued.len()));
        }
        if let Some(h) = Self::hidden_note(findings.len() + queued.len(), hidden) {
            note.push_str(&format!(" ({h})"));
        }
        self.info(note);
        fx.push(Effect::Remediation(Command::Preview(findings)));
    }

    pub(super) fn on_remediation_reply(&mut self, reply: Reply) {
        match reply {
            Reply::Preview(results) => {
                self.message = None;
                self.overlay = Overlay::Preview(PreviewDialog::new(results));
            }
            Reply::Done(Ok(text)) => self.info(text),
            Reply::Done(Err(e)) => self.error(e),
        }
    }

    pub(super) fn preview_key(
        &mut self,
        mut d: PreviewDialog,
        key: KeyEvent,
        fx: &mut Vec<Effect>,
    ) {
        match d.key(key) {
            PreviewKey::Continue => self.overlay = Overlay::Preview(d),
            PreviewKey::Close => self.info("nothing proposed"),
            PreviewKey::Propose => {
                self.marks.clear();
                fx.push(Effect::Remediation(Command::Propose(d.proposals)));
            }
        }
    }

    pub(super) fn decision_key(
        &mut self,
        mut d: Box<DecisionDialog>,
        key: KeyEvent,
        fx: &mut Vec<Effect>,
    ) {
        match d.key(key) {
            DecisionKey::Continue => self.overlay = Overlay::Decision(d),
            DecisionKey::Close => {
                let draft = d.draft();
                self.info(if draft.is_some() {
                    "no decision made; what you typed is kept (d brings it back)"
                } else {
                    "no decision made"
                });
                self.keep_draft(draft);
            }
            DecisionKey::Submit {
                approve,
                reason,
                confirm,
            } => {
                let cmd = match d.target {
                    Target::Item(item) if approve => Command::Approve {
                        digest: item.proposal.digest(),
                        id: item.id,
                        reason,
                        confirm,
                    },
                    Target::Item(item) => Command::Reject {
                        id: item.id,
                        reason,
                    },
                    Target::Waiting(source, w) => Command::Signal {
                        source,
                        execution_id: w.execution_id,
                        approve,
                        reason,
                    },
                };
                fx.push(Effect::Remediation(cmd));
            }
        }
    }

    pub(super) fn cancel_key(
        &mut self,
        mut d: Box<CancelDialog>,
        key: KeyEvent,
        fx: &mut Vec<Effect>,
    ) {
        match d.key(key) {
            CancelKey::Continue => self.overlay = Overlay::CancelItem(d),
            CancelKey::Close => {
                let draft = d.draft();
                self.info(if draft.is_some() {
                    "nothing cancelled; the reason is kept (X brings it back)"
                } else {
                    "nothing cancelled"
                });
                self.keep_draft(draft);
            }
            CancelKey::Submit { reason } => {
                fx.push(Effect::Remediation(Command::Cancel {
                    id: d.item.id.clone(),
                    reason,
                }));
            }
        }
    }

    /// Keys with a meaning of their own in the queue view; true when handled.
    pub(super) fn queue_action(&mut self, action: Action) -> bool {
        let n = self.queue_rows();
        match action {
            Action::MoveDown => {
                self.queue_selected = (self.queue_selected + 1).min(n.saturating_sub(1))
            }
            Action::MoveUp => self.queue_selected = self.queue_selected.saturating_sub(1),
            Action::Top => self.queue_selected = 0,
            Action::Bottom => self.queue_selected = n.saturating_sub(1),
            Action::Back | Action::Quit => self.queue_view = false,
            Action::Decide | Action::Open => {
                if !self.remediation_allowed() {
                    return true;
                }
                let target = match self.queue_list().get(self.queue_selected) {
                    Some(QueueRow::Item(i)) if i.state == State::Proposed => {
                        Some(Target::Item(Box::new((*i).clone())))
                    }
                    Some(QueueRow::Item(i)) => {
                        let msg = format!(
                            "{} is {}: only proposed items take decisions",
                            &i.id[..8],
                            i.state.as_str()
                        );
                        self.message = Some((Level::Error, msg));
                        None
                    }
                    Some(QueueRow::Waiting(s, w)) => {
                        Some(Target::Waiting(s.to_string(), (*w).clone()))
                    }
                    None => None,
                };
                if let Some(t) = target {
                    let mut d = DecisionDialog::new(t);
                    if let Some(draft) = self.take_draft(&d.draft_key()) {
                        d.restore(&draft);
                    }
                    self.overlay = Overlay::Decision(Box::new(d));
                }
            }
            Action::CancelItem => {
                if !self.remediation_allowed() {
                    return true;
                }
                match self.queue_list().get(self.queue_selected) {
                    Some(QueueRow::Item(i)) if !i.state.is_final() => {
                        let mut d = CancelDialog::new((*i).clone());
                        if let Some(draft) = self.take_draft(&d.draft_key()) {
                            d.restore(&draft);
                        }
                        self.overlay = Overlay::CancelItem(Box::new(d));
                    }
                    Some(QueueRow::Item(i)) => {
                        let msg =
                            format!("{} is {}: nothing to cancel", &i.id[..8], i.state.as_str());
                        self.error(msg);
                    }
                    _ => {}
                }
            }
            _ => return false,
        }
        true
    }
}
