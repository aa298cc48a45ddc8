//! Remediation from the keyboard: propose (after a preview), the queue view, and the
//! approval prompt. Every change is an effect carried out by the remediation service.

use crossterm::event::KeyEvent;

use super::{App, Effect, Level, Overlay};
use crate::remediation::queue::State;
use crate::remediation::service::{Command, Reply};
use crate::tui::keymap::Action;
use crate::tui::rem_dialogs::{DecisionDialog, DecisionKey, PreviewDialog, PreviewKey, Target};

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
        let findings: Vec<_> = if self.marks.is_empty() {
            self.selected_finding().cloned().into_iter().collect()
        } else {
            self.snapshot
                .findings
                .iter()
                .filter(|f| self.marks.contains(&f.id))
                .cloned()
                .collect()
        };
        if findings.is_empty() {
            return self.error("no finding selected");
        }
        self.info(format!(
            "preparing a preview for {} finding(s)…",
            findings.len()
        ));
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
            DecisionKey::Close => self.info("no decision made"),
            DecisionKey::Submit {
                approve,
                reason,
                confirm,
            } => {
                let cmd = match d.target {
                    Target::Item(item) if approve => Command::Approve {
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

    /// Keys with a meaning of their own in the queue view; true when handled.
    pub(super) fn queue_action(&mut self, action: Action, fx: &mut Vec<Effect>) -> bool {
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
                    self.overlay = Overlay::Decision(Box::new(DecisionDialog::new(t)));
                }
            }
            Action::CancelItem => {
                if !self.remediation_allowed() {
                    return true;
                }
                if let Some(QueueRow::Item(i)) = self.queue_list().get(self.queue_selected) {
                    let id = i.id.clone();
                    fx.push(Effect::Remediation(Command::Cancel {
                        id,
                        reason: format!("cancelled from the console by {}", self.opts.actor),
                    }));
                }
            }
            _ => return false,
        }
        true
    }
}
