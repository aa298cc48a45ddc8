//! Notification dialogs: the ticket preview (`t`), the one-off notification (`n`) and the
//! outbox entry's actions. Numbered options; the harmless one (Cancel, Close) is the
//! default; Esc never sends and keeps what was typed; the text is fixed while open.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

use super::dialogs::{Draft, text_area};
use crate::config::notify::ChannelKind;
use crate::model::{Finding, format_rfc3339};
use crate::notify::outbox::{Entry, State};

/// One line per finding: `[CRIT] S3.8 title (account/region)`.
pub fn finding_line(f: &Finding) -> String {
    format!(
        "[{}] {}{} ({}/{})",
        f.severity.short(),
        f.control_id
            .as_deref()
            .map(|c| format!("{c} "))
            .unwrap_or_default(),
        f.title,
        f.account_name.as_deref().unwrap_or(&f.account),
        f.region
    )
}

/// Scroll keys shared by the dialogs (the text box takes the letters).
fn scroll_key(key: &KeyEvent, scroll: &mut u16) -> bool {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::PageDown => *scroll = scroll.saturating_add(5),
        KeyCode::PageUp => *scroll = scroll.saturating_sub(5),
        KeyCode::Char('d') if ctrl => *scroll = scroll.saturating_add(5),
        KeyCode::Char('u') if ctrl => *scroll = scroll.saturating_sub(5),
        _ => return false,
    }
    true
}

/// `t`: what would be created, on which Jira channel; options `1..k` create on channel k,
/// the last one (the default) cancels.
pub struct TicketDialog {
    /// Jira channels and their project.
    pub channels: Vec<(String, String)>,
    /// Findings without a ticket yet (on any Jira channel).
    pub findings: Vec<Arc<Finding>>,
    /// Frozen at open: label/value lines.
    pub lines: Vec<(String, String)>,
    /// The option chosen: `Some(k)` creates on channel k; None is Cancel.
    pub choice: Option<usize>,
    pub scroll: u16,
}

pub enum TicketKey {
    Continue,
    Close,
    Create { channel: String },
}

impl TicketDialog {
    /// `already`: findings that have tickets (id, "SEC-12 on soc-jira").
    pub fn new(
        channels: Vec<(String, String)>,
        findings: Vec<Arc<Finding>>,
        already: Vec<(Arc<Finding>, String)>,
        hidden_note: Option<String>,
    ) -> TicketDialog {
        let mut lines = vec![
            (
                "Creates".to_string(),
                format!("{} issue(s), one per finding", findings.len()),
            ),
            (
                "Each issue".to_string(),
                "summary [SEV] control title (account/region); description with the finding's facts and a link to it in its cloud console; labels agent-hubble, the idempotency key (hb1-…) and the control".to_string(),
            ),
            (
                "Afterwards".to_string(),
                "the issue key is kept with the finding (shown in its detail); the issue is moved to Done when the finding is resolved".to_string(),
            ),
        ];
        if let Some(h) = hidden_note {
            lines.push(("Marks".to_string(), h));
        }
        for f in &findings {
            lines.push(("Finding".to_string(), finding_line(f)));
        }
        for (f, key) in &already {
            lines.push((
                "Has a ticket".to_string(),
                format!("{key}: {} (skipped)", finding_line(f)),
            ));
        }
        TicketDialog {
            channels,
            findings,
            lines,
            choice: None,
            scroll: 0,
        }
    }

    pub fn key(&mut self, key: KeyEvent) -> TicketKey {
        if scroll_key(&key, &mut self.scroll) {
            return TicketKey::Continue;
        }
        let n = self.channels.len();
        let can = !self.findings.is_empty();
        match key.code {
            KeyCode::Esc => TicketKey::Close,
            KeyCode::Char(c @ '1'..='9') => {
                let i = c as usize - '1' as usize;
                if i < n && can {
                    self.choice = Some(i);
                } else if i == n || (i < n && !can) {
                    self.choice = None;
                }
                TicketKey::Continue
            }
            KeyCode::Tab | KeyCode::Right if can => {
                self.choice = match self.choice {
                    None => Some(0),
                    Some(i) if i + 1 < n => Some(i + 1),
                    Some(_) => None,
                };
                TicketKey::Continue
            }
            KeyCode::BackTab | KeyCode::Left if can => {
                self.choice = match self.choice {
                    None => Some(n - 1),
                    Some(0) => None,
                    Some(i) => Some(i - 1),
                };
                TicketKey::Continue
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.scroll = self.scroll.saturating_add(1);
                TicketKey::Continue
            }
            KeyCode::Up | KeyCode::Char('k') => {
                self.scroll = self.scroll.saturating_sub(1);
                TicketKey::Continue
            }
            KeyCode::Enter => match self.choice {
                Some(i) => TicketKey::Create {
                    channel: self.channels[i].0.clone(),
                },
                None => TicketKey::Close,
            },
            _ => TicketKey::Continue,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyFocus {
    Channel,
    Note,
}

/// `n`: a channel (numbered, none chosen at first) and an optional note; Enter sends once a
/// channel is chosen; Esc closes and keeps the choice and the note as a draft.
pub struct NotifyDialog {
    pub channels: Vec<(String, ChannelKind)>,
    pub findings: Vec<Arc<Finding>>,
    pub hidden_note: Option<String>,
    pub choice: Option<usize>,
    pub focus: NotifyFocus,
    pub note: TextArea<'static>,
    pub error: Option<String>,
}

pub enum NotifyKey {
    Continue,
    Close,
    Send { channel: String, note: String },
}

impl NotifyDialog {
    pub fn new(
        channels: Vec<(String, ChannelKind)>,
        findings: Vec<Arc<Finding>>,
        hidden_note: Option<String>,
    ) -> NotifyDialog {
        let mut note = TextArea::default();
        note.set_placeholder_text("optional note, sent with the finding");
        note.set_cursor_line_style(ratatui::style::Style::default());
        NotifyDialog {
            channels,
            findings,
            hidden_note,
            choice: None,
            focus: NotifyFocus::Channel,
            note,
            error: None,
        }
    }

    /// The findings and their versions: a changed finding drops the draft.
    pub fn draft_key(&self) -> String {
        let mut ids: Vec<String> = self
            .findings
            .iter()
            .map(|f| format!("{}@{}", f.id, f.updated_at))
            .collect();
        ids.sort();
        format!("notify:{}", ids.join(","))
    }

    pub fn draft(&self) -> Option<Draft> {
        let text = self.note.lines().join("\n");
        (self.choice.is_some() || !text.trim().is_empty()).then(|| Draft {
            key: self.draft_key(),
            choice: self.choice,
            text,
            confirm: String::new(),
        })
    }

    pub fn restore(&mut self, d: &Draft) {
        self.choice = d.choice.filter(|c| *c < self.channels.len());
        let mut note = text_area(&d.text);
        note.set_cursor_line_style(ratatui::style::Style::default());
        self.note = note;
        self.focus = NotifyFocus::Note;
    }

    pub fn key(&mut self, key: KeyEvent) -> NotifyKey {
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match (key.code, self.focus) {
            (KeyCode::Esc, _) => NotifyKey::Close,
            (KeyCode::Tab | KeyCode::BackTab, f) => {
                self.focus = if f == NotifyFocus::Channel {
                    NotifyFocus::Note
                } else {
                    NotifyFocus::Channel
                };
                NotifyKey::Continue
            }
            (KeyCode::Enter, NotifyFocus::Note) if alt => {
                self.note.insert_newline();
                NotifyKey::Continue
            }
            (KeyCode::Enter, _) => match self.choice {
                Some(i) => {
                    let note = self.note.lines().join("\n").trim().to_string();
                    if note.chars().count() > 1000 {
                        self.error = Some(format!(
                            "the note has {} characters; 1000 at most",
                            note.chars().count()
                        ));
                        return NotifyKey::Continue;
                    }
                    NotifyKey::Send {
                        channel: self.channels[i].0.clone(),
                        note,
                    }
                }
                None => {
                    self.error = Some(format!(
                        "choose a channel first (1–{})",
                        self.channels.len()
                    ));
                    self.focus = NotifyFocus::Channel;
                    NotifyKey::Continue
                }
            },
            (KeyCode::Char(c @ '1'..='9'), NotifyFocus::Channel) => {
                let i = c as usize - '1' as usize;
                if i < self.channels.len() {
                    self.choice = Some(i);
                    self.error = None;
                }
                NotifyKey::Continue
            }
            (KeyCode::Down | KeyCode::Char('j'), NotifyFocus::Channel) => {
                self.choice = Some(
                    self.choice
                        .map_or(0, |c| (c + 1).min(self.channels.len() - 1)),
                );
                NotifyKey::Continue
            }
            (KeyCode::Up | KeyCode::Char('k'), NotifyFocus::Channel) => {
                self.choice = Some(self.choice.map_or(0, |c| c.saturating_sub(1)));
                NotifyKey::Continue
            }
            (_, NotifyFocus::Note) => {
                self.note.input(key);
                NotifyKey::Continue
            }
            _ => NotifyKey::Continue,
        }
    }
}

/// What an outbox entry's dialog can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxChoice {
    Retry,
    Discard,
    Close,
}

impl OutboxChoice {
    pub fn label(self) -> &'static str {
        match self {
            OutboxChoice::Retry => "Retry now",
            OutboxChoice::Discard => "Discard",
            OutboxChoice::Close => "Close",
        }
    }
}

/// An outbox entry: its facts, and the numbered options that apply (Retry now for pending,
/// failed or discarded entries, Discard for pending or failed ones), Close the default.
pub struct OutboxDialog {
    pub entry: Entry,
    pub lines: Vec<(String, String)>,
    pub choices: Vec<OutboxChoice>,
    /// Index into `choices`.
    pub choice: usize,
    pub scroll: u16,
}

pub enum OutboxKey {
    Continue,
    Close,
    Retry(i64),
    Discard(i64),
}

impl OutboxDialog {
    pub fn new(entry: Entry) -> OutboxDialog {
        let mut lines = vec![
            ("Entry".to_string(), entry.id.to_string()),
            ("State".to_string(), entry.state.as_str().to_string()),
            ("Channel".to_string(), entry.channel.clone()),
            ("Event".to_string(), entry.event.clone()),
            ("Idempotency key".to_string(), entry.key.clone()),
            ("Attempts".to_string(), entry.attempts.to_string()),
            ("Created".to_string(), format_rfc3339(entry.created_at)),
        ];
        if entry.state == State::Pending {
            lines.push(("Not before".to_string(), format_rfc3339(entry.not_before)));
        }
        if let Some(r) = &entry.rule {
            lines.push(("Rule".to_string(), r.clone()));
        }
        if let Some(e) = &entry.last_error {
            lines.push(("Last answer".to_string(), e.clone()));
        }
        if let Some(r) = &entry.reference {
            lines.push(("Reference".to_string(), r.clone()));
        }
        if let Some(s) = entry.sent_at {
            lines.push(("Sent".to_string(), format_rfc3339(s)));
        }
        for i in &entry.message.items {
            lines.push((
                "Item".to_string(),
                format!("{} {}", i.event.as_str(), i.summary()),
            ));
        }
        let mut choices = Vec::new();
        if matches!(
            entry.state,
            State::Pending | State::Failed | State::Discarded
        ) {
            choices.push(OutboxChoice::Retry);
        }
        if matches!(entry.state, State::Pending | State::Failed) {
            choices.push(OutboxChoice::Discard);
        }
        choices.push(OutboxChoice::Close);
        OutboxDialog {
            entry,
            lines,
            choice: choices.len() - 1,
            choices,
            scroll: 0,
        }
    }

    pub fn key(&mut self, key: KeyEvent) -> OutboxKey {
        if scroll_key(&key, &mut self.scroll) {
            return OutboxKey::Continue;
        }
        match key.code {
            KeyCode::Esc => OutboxKey::Close,
            KeyCode::Char(c @ '1'..='9') => {
                let i = c as usize - '1' as usize;
                if i < self.choices.len() {
                    self.choice = i;
                }
                OutboxKey::Continue
            }
            KeyCode::Tab | KeyCode::Right => {
                self.choice = (self.choice + 1) % self.choices.len();
                OutboxKey::Continue
            }
            KeyCode::BackTab | KeyCode::Left => {
                self.choice = (self.choice + self.choices.len() - 1) % self.choices.len();
                OutboxKey::Continue
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.scroll = self.scroll.saturating_add(1);
                OutboxKey::Continue
            }
            KeyCode::Up | KeyCode::Char('k') => {
                self.scroll = self.scroll.saturating_sub(1);
                OutboxKey::Continue
            }
            KeyCode::Enter => match self.choices[self.choice] {
                OutboxChoice::Retry => OutboxKey::Retry(self.entry.id),
                OutboxChoice::Discard => OutboxKey::Discard(self.entry.id),
                OutboxChoice::Close => OutboxKey::Close,
            },
            _ => OutboxKey::Continue,
        }
    }
}
