//! Remediation dialogs: the proposal preview and the approval prompt. Both number their
//! options, default to Cancel, never approve on Esc, and keep their text fixed while open.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

use crate::remediation::automation::Waiting;
use crate::remediation::propose::preview;
use crate::remediation::queue::{Item, Proposal};

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
}

impl DecisionDialog {
    pub fn new(target: Target) -> Self {
        let (lines, confirm) = match &target {
            Target::Item(item) => {
                let mut lines = vec![
                    ("Item".to_string(), item.id.clone()),
                    ("Requested by".to_string(), item.requester.display()),
                ];
                lines.extend(preview(&item.proposal));
                for d in &item.decisions {
                    lines.push((
                        if d.approve {
                            "Approved by"
                        } else {
                            "Rejected by"
                        }
                        .to_string(),
                        format!("{}: {}", d.actor_name, d.justification),
                    ));
                }
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
        DecisionDialog {
            target,
            lines,
            choice: Choice::Cancel,
            focus: Field::Choice,
            reason,
            confirm,
            error: None,
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
