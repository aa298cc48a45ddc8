//! Modal inputs: the `:` command palette and the workflow-status dialog. They hold their
//! own editing state; the app decides what a submitted value means.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

use super::keymap::Action;
use super::theme::Theme;
use crate::model::{FindingRef, Workflow};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaletteCommand {
    Action(Action),
    FilterSet,
    Sort,
    Workflow,
    Sources,
    Group,
    /// `view NAME` applies a saved view; `view save NAME` saves the current one.
    View,
    /// `export csv|json|md [FILE]`.
    Export,
}

pub struct PaletteEntry {
    pub name: String,
    pub description: &'static str,
    pub command: PaletteCommand,
}

/// Every keymap action by name, plus commands that take an argument.
pub fn palette_entries() -> Vec<PaletteEntry> {
    let mut out = vec![
        PaletteEntry {
            name: "filter".into(),
            description: "set the filter: filter sev:high acct:1234",
            command: PaletteCommand::FilterSet,
        },
        PaletteEntry {
            name: "sort".into(),
            description: "sort by a column: sort title (again to reverse)",
            command: PaletteCommand::Sort,
        },
        PaletteEntry {
            name: "workflow".into(),
            description: "set workflow: workflow resolved",
            command: PaletteCommand::Workflow,
        },
        PaletteEntry {
            name: "group".into(),
            description: "group by: group control (resource, account, region, product, cloud, title, severity, none)",
            command: PaletteCommand::Group,
        },
        PaletteEntry {
            name: "view".into(),
            description: "named views: view NAME applies one, view save NAME saves filter, sort, group, scope",
            command: PaletteCommand::View,
        },
        PaletteEntry {
            name: "export".into(),
            description: "export the findings shown: export csv|json|md [FILE] (default: data dir/exports)",
            command: PaletteCommand::Export,
        },
        PaletteEntry {
            name: "sources".into(),
            description: "show every source with its health and last error",
            command: PaletteCommand::Sources,
        },
    ];
    for a in Action::ALL {
        out.push(PaletteEntry {
            name: a.name().replace('_', "-"),
            description: a.description(),
            command: PaletteCommand::Action(a),
        });
    }
    out
}

pub struct Palette {
    pub input: TextArea<'static>,
    pub selected: usize,
    entries: Vec<PaletteEntry>,
}

impl Default for Palette {
    fn default() -> Self {
        Self::new()
    }
}

impl Palette {
    pub fn new() -> Palette {
        Palette {
            input: TextArea::default(),
            selected: 0,
            entries: palette_entries(),
        }
    }

    pub fn text(&self) -> String {
        self.input.lines().join(" ")
    }

    /// Entries whose name contains the first typed word (all when nothing is typed).
    pub fn matches(&self) -> Vec<&PaletteEntry> {
        let text = self.text();
        let word = text.split_whitespace().next().unwrap_or("").to_lowercase();
        let mut m: Vec<&PaletteEntry> = self
            .entries
            .iter()
            .filter(|e| e.name.contains(&word))
            .collect();
        // An exact name goes first so `sort` never picks `sort-next`.
        m.sort_by_key(|e| (e.name != word, !e.name.starts_with(&word)));
        m
    }

    pub fn chosen(&self) -> Option<(PaletteCommand, String)> {
        let text = self.text();
        let arg = text
            .split_once(char::is_whitespace)
            .map_or("", |(_, a)| a)
            .trim()
            .to_string();
        let m = self.matches();
        m.get(self.selected.min(m.len().saturating_sub(1)))
            .map(|e| (e.command, arg))
    }

    pub fn key(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Down | KeyCode::Tab => {
                self.selected = (self.selected + 1).min(self.matches().len().saturating_sub(1))
            }
            KeyCode::Up | KeyCode::BackTab => self.selected = self.selected.saturating_sub(1),
            _ => {
                self.input.input(key);
                self.selected = 0;
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Status,
    Note,
}

pub enum WorkflowKey {
    Continue,
    Cancel,
    Submit {
        status: Workflow,
        note: Option<String>,
        /// GitHub's dismissed_reason, when the dialog asked for one.
        reason: Option<String>,
    },
}

/// Set workflow status (with an optional note) for one or many findings.
/// Numbered choices, nothing preselected unless asked for, Esc cancels (the app keeps the
/// typed note as a draft for the same findings).
pub struct WorkflowDialog {
    pub targets: Vec<FindingRef>,
    /// Marked findings the filter hides: not changed, and the dialog says so.
    pub hidden: usize,
    pub choice: Option<Workflow>,
    /// Some target is a GitHub code-scanning alert: SUPPRESSED dismisses it there, which
    /// needs one of GitHub's reasons (keys 5–7, shown once SUPPRESSED is chosen).
    pub reasons: bool,
    /// Index into [`DISMISS_REASONS`].
    pub reason: Option<usize>,
    pub focus: Focus,
    pub note: TextArea<'static>,
    pub error: Option<String>,
}

pub use crate::sources::github::{DISMISS_COMMENT_MAX, DISMISS_REASONS};

/// What a dialog held when Esc closed it: restored when the same dialog opens again for the
/// same, unchanged target. `key` names the target and its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub key: String,
    pub choice: Option<usize>,
    pub text: String,
    pub confirm: String,
}

/// A text area holding `text` (several lines), cursor at the end.
pub fn text_area(text: &str) -> TextArea<'static> {
    let lines: Vec<String> = if text.is_empty() {
        vec![String::new()]
    } else {
        text.split('\n').map(str::to_owned).collect()
    };
    let mut ta = TextArea::new(lines);
    ta.move_cursor(ratatui_textarea::CursorMove::Bottom);
    ta.move_cursor(ratatui_textarea::CursorMove::End);
    ta
}

/// Security Hub caps Note.Text at 512 characters.
pub const NOTE_MAX: usize = 512;

impl WorkflowDialog {
    pub fn new(
        targets: Vec<FindingRef>,
        choice: Option<Workflow>,
        theme: &Theme,
    ) -> WorkflowDialog {
        let mut note = TextArea::default();
        note.set_placeholder_text("optional note (shown to everyone on the finding)");
        note.set_style(theme.style("dialog"));
        note.set_cursor_line_style(ratatui::style::Style::default());
        // The placeholder is dim, not the widget's fixed dark grey (a colour under NO_COLOR).
        note.set_placeholder_style(
            ratatui::style::Style::default().add_modifier(ratatui::style::Modifier::DIM),
        );
        WorkflowDialog {
            targets,
            hidden: 0,
            choice,
            reasons: false,
            reason: None,
            focus: if choice.is_some() {
                Focus::Note
            } else {
                Focus::Status
            },
            note,
            error: None,
        }
    }

    pub fn note_text(&self) -> String {
        self.note.lines().join("\n").trim().to_string()
    }

    /// What to keep when Esc closes it (None when nothing was chosen or typed).
    pub fn draft(&self, key: String) -> Option<Draft> {
        let text = self.note.lines().join("\n");
        (self.choice.is_some() || !text.trim().is_empty()).then(|| Draft {
            key,
            choice: self
                .choice
                .and_then(|c| Workflow::ALL.iter().position(|w| *w == c)),
            text,
            confirm: String::new(),
        })
    }

    /// Brings back a draft: the choice and the note, focus on the note.
    pub fn restore(&mut self, d: &Draft, theme: &Theme) {
        self.choice = d.choice.map(|i| Workflow::ALL[i]);
        let mut note = text_area(&d.text);
        note.set_style(theme.style("dialog"));
        note.set_cursor_line_style(ratatui::style::Style::default());
        // The placeholder is dim, not the widget's fixed dark grey (a colour under NO_COLOR).
        note.set_placeholder_style(
            ratatui::style::Style::default().add_modifier(ratatui::style::Modifier::DIM),
        );
        self.note = note;
        self.focus = Focus::Note;
    }

    /// The reason choice is showing: a GitHub target and SUPPRESSED chosen.
    pub fn needs_reason(&self) -> bool {
        self.reasons && self.choice == Some(Workflow::Suppressed)
    }

    fn submit(&mut self) -> WorkflowKey {
        let Some(status) = self.choice else {
            self.error = Some("choose a status first (1–4)".into());
            self.focus = Focus::Status;
            return WorkflowKey::Continue;
        };
        let needs_reason = self.needs_reason();
        if needs_reason && self.reason.is_none() {
            self.error = Some("choose why GitHub should dismiss the alert first (5–7)".into());
            self.focus = Focus::Status;
            return WorkflowKey::Continue;
        }
        let note = self.note_text();
        let (max, who) = if needs_reason {
            (DISMISS_COMMENT_MAX, "GitHub allows (dismissal comment)")
        } else {
            (NOTE_MAX, "Security Hub allows")
        };
        if note.chars().count() > max {
            self.error = Some(format!(
                "note is {} characters; {who} {max}",
                note.chars().count()
            ));
            return WorkflowKey::Continue;
        }
        WorkflowKey::Submit {
            status,
            note: (!note.is_empty()).then_some(note),
            reason: self
                .reason
                .filter(|_| needs_reason)
                .map(|i| DISMISS_REASONS[i].to_string()),
        }
    }

    pub fn key(&mut self, key: KeyEvent) -> WorkflowKey {
        self.error = None;
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match (key.code, self.focus) {
            (KeyCode::Esc, _) => WorkflowKey::Cancel,
            (KeyCode::Tab | KeyCode::BackTab, f) => {
                self.focus = if f == Focus::Status {
                    Focus::Note
                } else {
                    Focus::Status
                };
                WorkflowKey::Continue
            }
            (KeyCode::Char('s'), _) if ctrl => self.submit(),
            (KeyCode::Enter, _) if key.modifiers.contains(KeyModifiers::ALT) => {
                self.note.insert_newline();
                WorkflowKey::Continue
            }
            (KeyCode::Enter, _) => self.submit(),
            (KeyCode::Char(c @ '1'..='4'), Focus::Status) => {
                self.choice = Some(Workflow::ALL[c as usize - '1' as usize]);
                WorkflowKey::Continue
            }
            (KeyCode::Char(c @ '5'..='7'), Focus::Status) if self.needs_reason() => {
                self.reason = Some(c as usize - '5' as usize);
                WorkflowKey::Continue
            }
            (KeyCode::Down | KeyCode::Char('j'), Focus::Status) => {
                let i = self.choice.map_or(0, |c| {
                    (Workflow::ALL.iter().position(|w| *w == c).unwrap_or(0) + 1).min(3)
                });
                self.choice = Some(Workflow::ALL[i]);
                WorkflowKey::Continue
            }
            (KeyCode::Up | KeyCode::Char('k'), Focus::Status) => {
                let i = self.choice.map_or(0, |c| {
                    Workflow::ALL
                        .iter()
                        .position(|w| *w == c)
                        .unwrap_or(0)
                        .saturating_sub(1)
                });
                self.choice = Some(Workflow::ALL[i]);
                WorkflowKey::Continue
            }
            (_, Focus::Note) => {
                self.note.input(key);
                WorkflowKey::Continue
            }
            _ => WorkflowKey::Continue,
        }
    }
}
