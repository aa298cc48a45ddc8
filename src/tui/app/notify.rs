//! Notifications from the keyboard: a ticket (`t`, after a preview), a one-off notification
//! (`n`), and the notifications view (outbox with retry and discard, rules and their match
//! counts). Every change is an effect carried out by the notification service.

use std::sync::Arc;

use crossterm::event::KeyEvent;

use super::{App, Effect, Overlay};
use crate::config::notify::{ChannelKind, NotifyConfig};
use crate::notify::service::Command;
use crate::tui::keymap::Action;
use crate::tui::notify_dialogs::{
    NotifyDialog, NotifyKey, OutboxDialog, OutboxKey, TicketDialog, TicketKey,
};

/// What the console knows about notifications at start.
#[derive(Debug, Clone, Default)]
pub struct NotifyOptions {
    /// The notification service runs in this console.
    pub enabled: bool,
    /// Configured channels: (name, kind, Jira project).
    pub channels: Vec<(String, ChannelKind, String)>,
}

impl NotifyOptions {
    pub fn from_config(n: &NotifyConfig, running: bool) -> NotifyOptions {
        NotifyOptions {
            enabled: running,
            channels: n
                .channel
                .iter()
                .map(|c| {
                    (
                        c.name.get_ref().clone(),
                        c.kind(),
                        c.project
                            .as_ref()
                            .map(|p| p.get_ref().clone())
                            .unwrap_or_default(),
                    )
                })
                .collect(),
        }
    }
}

impl App {
    fn notify_allowed(&mut self, what: &str) -> bool {
        if self.opts.read_only {
            self.error(format!(
                "read-only mode: no {what} from this console (rules still notify; see the README)"
            ));
            false
        } else if self.opts.notify.channels.is_empty() {
            self.error("notifications are off: add [[notify.channel]] to the config");
            false
        } else if !self.opts.notify.enabled {
            self.error("notifications are off in this console: the audit log is unavailable");
            false
        } else {
            true
        }
    }

    /// `t`: the preview of the tickets that would be created.
    pub(super) fn open_ticket(&mut self) {
        if !self.notify_allowed("tickets") {
            return;
        }
        let channels: Vec<(String, String)> = self
            .opts
            .notify
            .channels
            .iter()
            .filter(|(_, k, _)| *k == ChannelKind::Jira)
            .map(|(n, _, p)| (n.clone(), p.clone()))
            .collect();
        if channels.is_empty() {
            return self.error("no Jira channel: add a [[notify.channel]] with kind = \"jira\"");
        }
        let (targets, hidden) = self.action_targets();
        if targets.is_empty() {
            return self.error(if hidden > 0 {
                "every marked finding is hidden by the filter: no ticket"
            } else {
                "no finding selected"
            });
        }
        let mut todo = Vec::new();
        let mut already = Vec::new();
        for f in targets {
            match self.notify.tickets.get(&f.id).and_then(|t| t.first()) {
                Some((ch, key, _)) => already.push((f, format!("{key} on {ch}"))),
                None => todo.push(f),
            }
        }
        let note = Self::hidden_note(todo.len() + already.len(), hidden);
        self.overlay = Overlay::Ticket(Box::new(TicketDialog::new(channels, todo, already, note)));
    }

    /// `n`: choose a channel, add a note, send.
    pub(super) fn open_notify(&mut self) {
        if !self.notify_allowed("one-off notifications") {
            return;
        }
        let (targets, hidden) = self.action_targets();
        if targets.is_empty() {
            return self.error(if hidden > 0 {
                "every marked finding is hidden by the filter: nothing to send"
            } else {
                "no finding selected"
            });
        }
        let channels = self
            .opts
            .notify
            .channels
            .iter()
            .map(|(n, k, _)| (n.clone(), *k))
            .collect();
        let note = Self::hidden_note(targets.len(), hidden);
        let mut d = NotifyDialog::new(channels, targets, note);
        d.note.set_style(self.theme.style("dialog"));
        if let Some(draft) = self.take_draft(&d.draft_key()) {
            d.restore(&draft);
            d.note.set_style(self.theme.style("dialog"));
        }
        self.overlay = Overlay::Notify(Box::new(d));
    }

    pub(super) fn ticket_key(
        &mut self,
        mut d: Box<TicketDialog>,
        key: KeyEvent,
        fx: &mut Vec<Effect>,
    ) {
        match d.key(key) {
            TicketKey::Continue => self.overlay = Overlay::Ticket(d),
            TicketKey::Close => self.info("no ticket created"),
            TicketKey::Create { channel } => {
                self.marks.clear();
                self.info(format!(
                    "queueing {} ticket(s) on {channel}…",
                    d.findings.len()
                ));
                fx.push(Effect::Notify(Command::Ticket {
                    channel,
                    findings: d.findings,
                }));
            }
        }
    }

    pub(super) fn notify_key(
        &mut self,
        mut d: Box<NotifyDialog>,
        key: KeyEvent,
        fx: &mut Vec<Effect>,
    ) {
        match d.key(key) {
            NotifyKey::Continue => self.overlay = Overlay::Notify(d),
            NotifyKey::Close => {
                let draft = d.draft();
                self.info(if draft.is_some() {
                    "nothing sent; what you chose and typed is kept (n brings it back)"
                } else {
                    "nothing sent"
                });
                self.keep_draft(draft);
            }
            NotifyKey::Send { channel, note } => {
                self.marks.clear();
                self.info(format!(
                    "queueing {} notification(s) to {channel}…",
                    d.findings.len()
                ));
                fx.push(Effect::Notify(Command::Notify {
                    channel,
                    findings: d.findings,
                    note,
                }));
            }
        }
    }

    pub(super) fn outbox_key(
        &mut self,
        mut d: Box<OutboxDialog>,
        key: KeyEvent,
        fx: &mut Vec<Effect>,
    ) {
        match d.key(key) {
            OutboxKey::Continue => self.overlay = Overlay::Outbox(d),
            OutboxKey::Close => {}
            OutboxKey::Retry(id) => fx.push(Effect::Notify(Command::Retry(id))),
            OutboxKey::Discard(id) => fx.push(Effect::Notify(Command::Discard(id))),
        }
    }

    /// Keys with a meaning of their own in the notifications view; true when handled.
    pub(super) fn notifications_action(&mut self, action: Action) -> bool {
        let n = self.notify.entries.len();
        match action {
            Action::MoveDown => {
                self.notify_selected = (self.notify_selected + 1).min(n.saturating_sub(1))
            }
            Action::MoveUp => self.notify_selected = self.notify_selected.saturating_sub(1),
            Action::PageDown => {
                self.notify_selected = (self.notify_selected + 10).min(n.saturating_sub(1))
            }
            Action::PageUp => self.notify_selected = self.notify_selected.saturating_sub(10),
            Action::Top => self.notify_selected = 0,
            Action::Bottom => self.notify_selected = n.saturating_sub(1),
            Action::Back | Action::Quit | Action::Notifications => self.notify_view = false,
            Action::Ticket | Action::Notify => {
                let key = self
                    .keymap
                    .keys_for(Action::Notifications)
                    .first()
                    .cloned()
                    .unwrap_or_default();
                self.error(format!(
                    "choose findings in the findings list first ({key} closes this view)"
                ));
            }
            Action::Open | Action::Decide => {
                if !self.notify_allowed("retries or discards") {
                    return true;
                }
                if let Some(e) = self.notify.entries.get(self.notify_selected) {
                    self.overlay = Overlay::Outbox(Box::new(OutboxDialog::new(e.clone())));
                }
            }
            _ => return false,
        }
        true
    }

    /// A new picture of the outbox.
    pub(super) fn on_notify_view(&mut self, v: Arc<crate::notify::View>) {
        self.notify = v;
        self.notify_selected = self
            .notify_selected
            .min(self.notify.entries.len().saturating_sub(1));
    }
}
