//! Remediation dialogs: the proposal preview and the approval prompt. Both number their
//! options, default to Cancel, never approve on Esc, and keep their text fixed while open.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

use super::dialogs::{Draft, text_area};
use crate::remediation::automation::Waiting;
use crate::remediation::propose::{VITAL_LINES, preview};
use crate::remediation::queue::{Item, Proposal};

/// An item's lines with the vital ones first (what it changes, destructive, target, the
/// approvals so far and needed), then who asked, then the rest.
pub fn item_lines(item: &Item) -> Vec<(String, String)> {
    let mut p = preview(&item.proposal);
    let rest = p.split_off(VITAL_LINES.min(p.len()));
    if let Some(line) = p.iter_mut().find(|(k, _)| k == "Approvals") {
        line.1 = format!(
            "{} of {} so far (distinct people, not the requester)",
            item.approvals(),
            item.proposal.approvals_required
        );
    }
    p.push(("Item".to_string(), item.id.clone()));
    p.push(("Requested by".to_string(), item.requester.display()));
    p.extend(rest);
    for d in &item.decisions {
        p.push((
            if d.approve {
                "Approved by"
            } else {
                "Rejected by"
            }
            .to_string(),
            format!("{}: {}", d.actor_name, d.justification),
        ));
    }
    p
}

/// Scroll keys shared by the remediation dialogs (the text boxes take the letters).
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

/// Preview of what would be proposed; `1` proposes, `2` (default) cancels.
pub struct PreviewDialog {
    pub proposals: Vec<Proposal>,
    pub problems: Vec<String>,
    /// Frozen at open: the text never changes while the dialog is up.
    pub lines: Vec<(String, String)>,
    pub propose: bool,
    pub scroll: u16,
}

impl PreviewDialog {
    pub fn new(results: Vec<Result<Proposal, String>>) -> Self {
        let mut proposals = Vec::new();
        let mut problems = Vec::new();
        let mut lines = Vec::new();
        for r in results {
            match r {
                Ok(p) => {
                    if !lines.is_empty() {
                        lines.push((String::new(), String::new()));
                    }
                    lines.extend(preview(&p));
                    proposals.push(p);
                }
                Err(e) => problems.push(e),
            }
        }
        for e in &problems {
            lines.push(("Cannot propose".into(), e.clone()));
        }
        PreviewDialog {
            proposals,
            problems,
            lines,
            propose: false,
            scroll: 0,
        }
    }
}

pub enum PreviewKey {
    Continue,
    Close,
    Propose,
}

impl PreviewDialog {
    pub fn key(&mut self, key: KeyEvent) -> PreviewKey {
        if scroll_key(&key, &mut self.scroll) {
            return PreviewKey::Continue;
        }
        match key.code {
            KeyCode::Esc => PreviewKey::Close,
            KeyCode::Char('1') if !self.proposals.is_empty() => {
                self.propose = true;
                PreviewKey::Continue
            }
            KeyCode::Char('2') => {
                self.propose = false;
                PreviewKey::Continue
            }
            KeyCode::Tab | KeyCode::BackTab | KeyCode::Left | KeyCode::Right
                if !self.proposals.is_empty() =>
            {
                self.propose = !self.propose;
                PreviewKey::Continue
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.scroll = self.scroll.saturating_add(1);
                PreviewKey::Continue
            }
            KeyCode::Up | KeyCode::Char('k') => {
                self.scroll = self.scroll.saturating_sub(1);
                PreviewKey::Continue
            }
            KeyCode::Enter if self.propose => PreviewKey::Propose,
            KeyCode::Enter => PreviewKey::Close,
            _ => PreviewKey::Continue,
        }
    }
}

#[derive(Debug, Clone)]
pub enum Target {
    Item(Box<Item>),
    /// An execution waiting at an `aws:approve` step: (source key, execution).
    Waiting(String, Waiting),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Approve,
    Reject,
    Cancel,
}

impl Choice {
    pub const ALL: [Choice; 3] = [Choice::Approve, Choice::Reject, Choice::Cancel];

    pub fn label(self) -> &'static str {
        match self {
            Choice::Approve => "Approve",
            Choice::Reject => "Reject",
            Choice::Cancel => "Cancel",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Choice,
    Reason,
    Confirm,
}

pub enum DecisionKey {
    Continue,
    Close,
    Submit {
        approve: bool,
        reason: String,
        confirm: Option<String>,
    },
}

/// Approve or reject, with a justification (required to reject and for destructive items).
pub struct DecisionDialog {
    pub target: Target,
    pub lines: Vec<(String, String)>,
    pub choice: Choice,
    pub focus: Field,
    pub reason: TextArea<'static>,
    pub confirm: Option<(String, TextArea<'static>)>,
    pub error: Option<String>,
    /// First line of `lines` shown (PgDn/PgUp).
    pub scroll: u16,
}

impl DecisionDialog {
    pub fn new(target: Target) -> Self {
        let (lines, confirm) = match &target {
            Target::Item(item) => {
                let lines = item_lines(item);
                let confirm = item
                    .proposal
                    .confirm_word
                    .clone()
                    .map(|w| (w, TextArea::default()));
                (lines, confirm)
            }
            Target::Waiting(source, w) => (
                vec![
                    ("Execution".to_string(), w.execution_id.clone()),
                    ("Runbook".to_string(), w.document.clone()),
                    (
                        "Step".to_string(),
                        w.step.clone().unwrap_or_else(|| "aws:approve".into()),
                    ),
                    ("Source".to_string(), source.clone()),
                    (
                        "Signal".to_string(),
                        "SendAutomationSignal to the aws:approve step".to_string(),
                    ),
                ],
                None,
            ),
        };
        let mut reason = TextArea::default();
        reason.set_placeholder_text(
            "justification (required to reject, and for destructive changes)",
        );
        reason.set_cursor_line_style(ratatui::style::Style::default());
        // The placeholder is dim, not the widget's fixed dark grey (a colour under NO_COLOR).
        reason.set_placeholder_style(
            ratatui::style::Style::default().add_modifier(ratatui::style::Modifier::DIM),
        );
        DecisionDialog {
            target,
            lines,
            choice: Choice::Cancel,
            focus: Field::Choice,
            reason,
            confirm,
            error: None,
            scroll: 0,
        }
    }

    /// The draft key: the item and its version (a changed item drops the draft).
    pub fn draft_key(&self) -> String {
        match &self.target {
            Target::Item(i) => format!("decide:{}:{}", i.id, i.version),
            Target::Waiting(s, w) => format!("signal:{s}:{}", w.execution_id),
        }
    }

    pub fn draft(&self) -> Option<Draft> {
        let text = self.reason.lines().join("\n");
        let confirm = self
            .confirm
            .as_ref()
            .map(|(_, t)| t.lines().join(""))
            .unwrap_or_default();
        // Only typed text is kept: the choice always starts at the harmless default again.
        (!text.trim().is_empty() || !confirm.is_empty()).then(|| Draft {
            key: self.draft_key(),
            choice: Choice::ALL.iter().position(|c| *c == self.choice),
            text,
            confirm,
        })
    }

    pub fn restore(&mut self, d: &Draft) {
        self.reason = text_area(&d.text);
        self.reason
            .set_cursor_line_style(ratatui::style::Style::default());
        if let Some((_, t)) = self.confirm.as_mut() {
            *t = text_area(&d.confirm);
        }
    }

    fn destructive(&self) -> bool {
        matches!(&self.target, Target::Item(i) if i.proposal.destructive)
    }

    fn submit(&mut self) -> DecisionKey {
        let reason = self.reason.lines().join("\n").trim().to_string();
        let confirm = self
            .confirm
            .as_ref()
            .map(|(_, t)| t.lines().join("").trim().to_string());
        match self.choice {
            Choice::Cancel => DecisionKey::Close,
            Choice::Reject if reason.is_empty() => {
                self.error = Some("a justification is required to reject".into());
                self.focus = Field::Reason;
                DecisionKey::Continue
            }
            Choice::Approve if reason.is_empty() && self.destructive() => {
                self.error =
                    Some("a justification is required to approve a destructive change".into());
                self.focus = Field::Reason;
                DecisionKey::Continue
            }
            Choice::Approve
                if self
                    .confirm
                    .as_ref()
                    .is_some_and(|(w, _)| confirm.as_deref() != Some(w.as_str())) =>
            {
                let word = self
                    .confirm
                    .as_ref()
                    .map(|(w, _)| w.clone())
                    .unwrap_or_default();
                self.error = Some(format!("type {word:?} to confirm"));
                self.focus = Field::Confirm;
                DecisionKey::Continue
            }
            c => DecisionKey::Submit {
                approve: c == Choice::Approve,
                reason,
                confirm,
            },
        }
    }

    pub fn key(&mut self, key: KeyEvent) -> DecisionKey {
        self.error = None;
        if scroll_key(&key, &mut self.scroll) {
            return DecisionKey::Continue;
        }
        let fields: Vec<Field> = if self.confirm.is_some() {
            vec![Field::Choice, Field::Reason, Field::Confirm]
        } else {
            vec![Field::Choice, Field::Reason]
        };
        let at = fields.iter().position(|f| *f == self.focus).unwrap_or(0);
        match (key.code, self.focus) {
            (KeyCode::Esc, _) => DecisionKey::Close,
            (KeyCode::Tab, _) => {
                self.focus = fields[(at + 1) % fields.len()];
                DecisionKey::Continue
            }
            (KeyCode::BackTab, _) => {
                self.focus = fields[(at + fields.len() - 1) % fields.len()];
                DecisionKey::Continue
            }
            (KeyCode::Enter, _)
                if key.modifiers.contains(KeyModifiers::ALT) && self.focus == Field::Reason =>
            {
                self.reason.insert_newline();
                DecisionKey::Continue
            }
            (KeyCode::Enter, _) => self.submit(),
            (KeyCode::Char(c @ '1'..='3'), Field::Choice) => {
                self.choice = Choice::ALL[c as usize - '1' as usize];
                DecisionKey::Continue
            }
            (KeyCode::Down | KeyCode::Char('j'), Field::Choice) => {
                let i = Choice::ALL
                    .iter()
                    .position(|c| *c == self.choice)
                    .unwrap_or(2);
                self.choice = Choice::ALL[(i + 1).min(2)];
                DecisionKey::Continue
            }
            (KeyCode::Up | KeyCode::Char('k'), Field::Choice) => {
                let i = Choice::ALL
                    .iter()
                    .position(|c| *c == self.choice)
                    .unwrap_or(2);
                self.choice = Choice::ALL[i.saturating_sub(1)];
                DecisionKey::Continue
            }
            (_, Field::Reason) => {
                self.reason.input(key);
                DecisionKey::Continue
            }
            (_, Field::Confirm) => {
                if let Some((_, t)) = self.confirm.as_mut() {
                    t.input(key);
                }
                DecisionKey::Continue
            }
            _ => DecisionKey::Continue,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelField {
    Choice,
    Reason,
}

pub enum CancelKey {
    Continue,
    Close,
    Submit { reason: String },
}

/// Cancel a queue item: a reason and an explicit choice, Keep the default (like the CLI,
/// which needs --reason).
pub struct CancelDialog {
    pub item: Box<Item>,
    pub lines: Vec<(String, String)>,
    /// Option 1 chosen.
    pub cancel: bool,
    pub focus: CancelField,
    pub reason: TextArea<'static>,
    pub error: Option<String>,
    pub scroll: u16,
}

impl CancelDialog {
    pub fn new(item: Item) -> Self {
        let mut reason = TextArea::default();
        reason.set_placeholder_text("reason (required)");
        reason.set_cursor_line_style(ratatui::style::Style::default());
        // The placeholder is dim, not the widget's fixed dark grey (a colour under NO_COLOR).
        reason.set_placeholder_style(
            ratatui::style::Style::default().add_modifier(ratatui::style::Modifier::DIM),
        );
        CancelDialog {
            lines: item_lines(&item),
            item: Box::new(item),
            cancel: false,
            focus: CancelField::Choice,
            reason,
            error: None,
            scroll: 0,
        }
    }

    pub fn draft_key(&self) -> String {
        format!("cancel:{}:{}", self.item.id, self.item.version)
    }

    pub fn draft(&self) -> Option<Draft> {
        let text = self.reason.lines().join("\n");
        (!text.trim().is_empty()).then(|| Draft {
            key: self.draft_key(),
            choice: None,
            text,
            confirm: String::new(),
        })
    }

    pub fn restore(&mut self, d: &Draft) {
        self.reason = text_area(&d.text);
        self.reason
            .set_cursor_line_style(ratatui::style::Style::default());
    }

    pub fn key(&mut self, key: KeyEvent) -> CancelKey {
        self.error = None;
        if scroll_key(&key, &mut self.scroll) {
            return CancelKey::Continue;
        }
        match (key.code, self.focus) {
            (KeyCode::Esc, _) => CancelKey::Close,
            (KeyCode::Tab | KeyCode::BackTab, f) => {
                self.focus = if f == CancelField::Choice {
                    CancelField::Reason
                } else {
                    CancelField::Choice
                };
                CancelKey::Continue
            }
            (KeyCode::Enter, _)
                if key.modifiers.contains(KeyModifiers::ALT)
                    && self.focus == CancelField::Reason =>
            {
                self.reason.insert_newline();
                CancelKey::Continue
            }
            (KeyCode::Enter, _) => {
                let reason = self.reason.lines().join("\n").trim().to_string();
                if !self.cancel {
                    CancelKey::Close
                } else if reason.is_empty() {
                    self.error = Some("a reason is required to cancel".into());
                    self.focus = CancelField::Reason;
                    CancelKey::Continue
                } else {
                    CancelKey::Submit { reason }
                }
            }
            (KeyCode::Char('1'), CancelField::Choice) => {
                self.cancel = true;
                CancelKey::Continue
            }
            (KeyCode::Char('2'), CancelField::Choice) => {
                self.cancel = false;
                CancelKey::Continue
            }
            (
                KeyCode::Up | KeyCode::Down | KeyCode::Char('j') | KeyCode::Char('k'),
                CancelField::Choice,
            ) => {
                self.cancel = !self.cancel;
                CancelKey::Continue
            }
            (_, CancelField::Reason) => {
                self.reason.input(key);
                CancelKey::Continue
            }
            _ => CancelKey::Continue,
        }
    }
}
