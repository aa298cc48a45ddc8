//! Keys while a modal input has focus: the filter line, the command palette and the
//! workflow dialog.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui_textarea::TextArea;

use super::{App, Effect, Level, Overlay};
use crate::filter::Filter;
use crate::model::{FindingRef, Provider, Workflow};
use crate::query::{Column, Sort};
use crate::tui::dialogs::{Palette, PaletteCommand, WorkflowDialog, WorkflowKey};

impl App {
    pub(super) fn filter_key(&mut self, mut ta: TextArea<'static>, key: KeyEvent) {
        match key.code {
            KeyCode::Esc => {
                // Esc backs out: the live preview is undone, the filter in force before the
                // prompt opened comes back.
                let before = std::mem::take(&mut self.filter_before);
                if before != self.filter_text {
                    self.set_filter(before);
                }
                self.message = None;
            }
            KeyCode::Enter => {
                let text = ta.lines().join(" ");
                self.set_filter(text.trim().to_string());
                if matches!(self.message, Some((Level::Error, _))) {
                    self.overlay = Overlay::Filter(ta);
                }
            }
            _ => {
                ta.input(key);
                // Live preview while typing; errors show but do not replace the filter.
                let text = ta.lines().join(" ");
                match Filter::parse(&text) {
                    Ok(f) => {
                        // Typing more only narrows: filter the current rows, order is kept.
                        let narrows = f.narrows(&self.filter);
                        self.filter = f;
                        self.filter_text = text;
                        self.message = None;
                        if narrows {
                            self.refine();
                        } else {
                            self.recompute();
                        }
                    }
                    Err(e) => self.error(format!("filter: {e}")),
                }
                self.overlay = Overlay::Filter(ta);
            }
        }
    }

    pub(super) fn palette_key(&mut self, mut p: Palette, key: KeyEvent, fx: &mut Vec<Effect>) {
        match key.code {
            KeyCode::Esc => {}
            KeyCode::Enter => match p.chosen() {
                Some((cmd, arg)) => self.run_command(cmd, &arg, fx),
                None => {
                    self.error(format!("no command matches {:?}", p.text()));
                    self.overlay = Overlay::Palette(p);
                }
            },
            _ => {
                p.key(key);
                self.overlay = Overlay::Palette(p);
            }
        }
    }

    pub(super) fn run_command(&mut self, cmd: PaletteCommand, arg: &str, fx: &mut Vec<Effect>) {
        match cmd {
            PaletteCommand::Action(a) => self.act(a, fx),
            PaletteCommand::FilterSet => self.set_filter(arg.to_string()),
            PaletteCommand::Sort => match Column::parse(arg) {
                Some(c) if !self.shown_columns().contains(&c) => self.error(format!(
                    "{} is not shown at this width; sort by one of: {}",
                    c.header().to_lowercase(),
                    self.shown_columns()
                        .iter()
                        .map(|c| c.header().to_lowercase())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                Some(c) => {
                    if self.sort.column == c {
                        self.sort.descending = !self.sort.descending;
                    } else {
                        self.sort = Sort {
                            column: c,
                            descending: c.first_descending(),
                        };
                    }
                    self.recompute();
                }
                None => self.error(format!(
                    "sort by what? one of: {}",
                    self.shown_columns()
                        .iter()
                        .map(|c| c.header().to_lowercase())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            },
            PaletteCommand::Workflow => match Workflow::parse(arg) {
                Some(w) => self.open_workflow_with(None, Some(w)),
                None if arg.is_empty() => self.open_workflow(None),
                None => self.error(format!(
                    "{arg:?} is not a workflow status (new, notified, resolved, suppressed)"
                )),
            },
            PaletteCommand::Sources => self.overlay = Overlay::Sources { scroll: 0 },
            PaletteCommand::View => self.view_command(arg, fx),
            PaletteCommand::Export => self.export_command(arg, fx),
            PaletteCommand::Group => match arg.trim() {
                "none" | "off" | "" => self.set_group(None),
                a => match crate::query::GroupBy::parse(a) {
                    Some(g) => self.set_group(Some(g)),
                    None => self.error(format!(
                        "group by what? one of: {}, none",
                        crate::query::GroupBy::ALL.map(|g| g.name()).join(", ")
                    )),
                },
            },
        }
    }

    pub(super) fn open_workflow(&mut self, only: Option<String>) {
        self.open_workflow_with(only, None)
    }

    fn open_workflow_with(&mut self, only: Option<String>, status: Option<Workflow>) {
        if self.opts.read_only {
            self.error("read-only mode: workflow changes are disabled");
            return;
        }
        let (findings, hidden) = match only {
            Some(id) => (
                self.snapshot
                    .findings
                    .iter()
                    .filter(|f| f.id == id)
                    .cloned()
                    .collect(),
                0,
            ),
            None => self.action_targets(),
        };
        if findings.is_empty() {
            self.error(if hidden > 0 {
                "every marked finding is hidden by the filter: nothing to change"
            } else {
                "no finding selected"
            });
            return;
        }
        let key = Self::workflow_draft_key(&findings);
        let targets: Vec<FindingRef> = findings.iter().map(|f| f.as_ref().into()).collect();
        let mut d = WorkflowDialog::new(targets, status, &self.theme);
        d.hidden = hidden;
        d.reasons = findings
            .iter()
            .any(|f| f.provider == Provider::GithubCodeScanning);
        if let Some(draft) = self.take_draft(&key) {
            d.restore(&draft, &self.theme);
            if status.is_some() {
                d.choice = status;
            }
        }
        self.overlay = Overlay::Workflow(d);
    }

    pub(super) fn workflow_key(
        &mut self,
        mut d: WorkflowDialog,
        key: KeyEvent,
        fx: &mut Vec<Effect>,
    ) {
        match d.key(key) {
            WorkflowKey::Cancel => {
                let findings: Vec<_> = self
                    .snapshot
                    .findings
                    .iter()
                    .filter(|f| d.targets.iter().any(|t| t.id == f.id))
                    .cloned()
                    .collect();
                let draft = d.draft(Self::workflow_draft_key(&findings));
                self.info(if draft.is_some() {
                    "workflow change not applied; the note is kept (w brings it back)"
                } else {
                    "workflow change cancelled"
                });
                self.keep_draft(draft);
            }
            WorkflowKey::Continue => self.overlay = Overlay::Workflow(d),
            WorkflowKey::Submit {
                status,
                note,
                reason,
            } => {
                let n = d.targets.len();
                // Marks acted on are done; hidden ones stay marked.
                for t in &d.targets {
                    self.marks.remove(&t.id);
                }
                fx.push(Effect::UpdateWorkflow {
                    findings: d.targets,
                    status,
                    note,
                    reason,
                });
                let hidden = d.hidden;
                self.info(format!(
                    "setting {n} finding(s) to {}…{}",
                    status.as_str(),
                    if hidden > 0 {
                        format!(" ({hidden} marked but hidden by the filter: not changed)")
                    } else {
                        String::new()
                    }
                ));
            }
        }
    }
}
