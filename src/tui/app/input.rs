//! Keys while a modal input has focus: the filter line, the command palette and the
//! workflow dialog.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui_textarea::TextArea;

use super::{App, Effect, Level, Overlay};
use crate::filter::Filter;
use crate::model::{FindingRef, Workflow};
use crate::tui::dialogs::{Palette, PaletteCommand, WorkflowDialog, WorkflowKey};
use crate::tui::table::{Column, Sort};

impl App {
    pub(super) fn filter_key(&mut self, mut ta: TextArea<'static>, key: KeyEvent) {
        match key.code {
            KeyCode::Esc => {
                // Esc backs out: the filter in force stays as it was.
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
                Some(c) => {
                    if self.sort.column == c {
                        self.sort.descending = !self.sort.descending;
                    } else {
                        self.sort = Sort {
                            column: c,
                            descending: matches!(c, Column::Severity | Column::Age),
                        };
                    }
                    self.recompute();
                }
                None => self.error(format!(
                    "sort by what? one of: {}",
                    Column::ALL.map(|c| c.header().to_lowercase()).join(", ")
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
        let targets: Vec<FindingRef> = match only {
            Some(id) => self
                .snapshot
                .findings
                .iter()
                .filter(|f| f.id == id)
                .map(|f| f.as_ref().into())
                .collect(),
            None if !self.marks.is_empty() => self
                .snapshot
                .findings
                .iter()
                .filter(|f| self.marks.contains(&f.id))
                .map(|f| f.as_ref().into())
                .collect(),
            None => self
                .selected_finding()
                .map(|f| f.as_ref().into())
                .into_iter()
                .collect(),
        };
        if targets.is_empty() {
            self.error("no finding selected");
            return;
        }
        self.overlay = Overlay::Workflow(WorkflowDialog::new(targets, status, &self.theme));
    }

    pub(super) fn workflow_key(
        &mut self,
        mut d: WorkflowDialog,
        key: KeyEvent,
        fx: &mut Vec<Effect>,
    ) {
        match d.key(key) {
            WorkflowKey::Cancel => self.info("workflow change cancelled"),
            WorkflowKey::Continue => self.overlay = Overlay::Workflow(d),
            WorkflowKey::Submit { status, note } => {
                let n = d.targets.len();
                fx.push(Effect::UpdateWorkflow {
                    findings: d.targets,
                    status,
                    note,
                });
                self.info(format!("setting {n} finding(s) to {}…", status.as_str()));
                self.marks.clear();
            }
        }
    }
}
