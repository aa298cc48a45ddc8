//! Application state and the pure update function: `update(msg) -> effects`.
//! No I/O happens here; effects are carried out by the runner and answer with messages.

use std::collections::HashSet;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

use super::dialogs::Draft;
use super::dialogs::{Palette, WorkflowDialog};
use super::keymap::{Action, Keymap};
use super::rem_dialogs::{CancelDialog, DecisionDialog, PreviewDialog};
use super::theme::Theme;
use crate::filter::Filter;
use crate::hub::Snapshot;
use crate::model::Finding;
use crate::query::{self as table, Column, Sort};
use crate::remediation::service::QueueView;

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

pub use msg::{Effect, Msg};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailTab {
    Summary,
    Resources,
    Raw,
}

impl DetailTab {
    pub const ALL: [DetailTab; 3] = [DetailTab::Summary, DetailTab::Resources, DetailTab::Raw];

    pub fn title(self) -> &'static str {
        match self {
            DetailTab::Summary => "Summary",
            DetailTab::Resources => "Resources",
            DetailTab::Raw => "Raw JSON",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Detail {
    pub id: String,
    pub tab: DetailTab,
    pub scroll: u16,
    pub hscroll: u16,
    /// None while loading.
    pub raw: Option<Option<String>>,
}

pub enum Overlay {
    None,
    Filter(TextArea<'static>),
    Palette(Palette),
    Help { scroll: u16 },
    Sources { scroll: u16 },
    Workflow(WorkflowDialog),
    Preview(PreviewDialog),
    Decision(Box<DecisionDialog>),
    CancelItem(Box<CancelDialog>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

/// Options fixed at start.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub demo: bool,
    pub read_only: bool,
    pub screen_reader: bool,
    /// Shown as Note.UpdatedBy and in the audit log.
    pub actor: String,
    /// `[remediation] enabled = true`.
    pub remediation: bool,
    /// Said in the queue view when sessions of the user's identity cannot be told apart.
    pub approver_note: Option<String>,
}

pub struct App {
    pub opts: Options,
    pub theme: Theme,
    pub keymap: Keymap,
    pub snapshot: Arc<Snapshot>,
    /// Newest snapshot held back while frozen.
    pub held: Option<Arc<Snapshot>>,
    /// Indices into `snapshot.findings`, filtered and sorted.
    pub view: Vec<u32>,
    pub selected: usize,
    /// First visible row (kept by update so render stays read-only).
    pub offset: usize,
    pub marks: HashSet<String>,
    pub filter_text: String,
    pub filter: Filter,
    /// The filter in force when the `/` prompt opened: Esc goes back to it.
    pub filter_before: String,
    pub sort: Sort,
    pub show_archived: bool,
    pub frozen: bool,
    pub overlay: Overlay,
    pub detail: Option<Detail>,
    pub message: Option<(Level, String)>,
    pub now: i64,
    pub size: (u16, u16),
    pub dirty: bool,
    pub quit: bool,
    /// Until the user moves, the selection stays on the first row while data streams in.
    pub moved: bool,
    /// The remediation queue view is showing instead of the findings.
    pub queue_view: bool,
    pub queue: Arc<QueueView>,
    pub queue_selected: usize,
    pub posture: PostureState,
    /// What Esc left in dialogs, restored when the same dialog opens for the same target.
    pub drafts: Vec<Draft>,
}

/// Where the posture view is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PostureState {
    pub open: bool,
    pub tab: usize,
    /// Index into the standards (breakdown and trends).
    pub standard: usize,
    /// 0: 7 days, 1: 30 days, 2: 90 days.
    pub window: usize,
    pub selected: usize,
}

impl App {
    pub fn new(
        opts: Options,
        theme: Theme,
        keymap: Keymap,
        snapshot: Arc<Snapshot>,
        now: i64,
    ) -> App {
        let mut app = App {
            opts,
            theme,
            keymap,
            snapshot,
            held: None,
            view: Vec::new(),
            selected: 0,
            offset: 0,
            marks: HashSet::new(),
            filter_text: String::new(),
            filter: Filter::default(),
            filter_before: String::new(),
            sort: Sort::default(),
            show_archived: false,
            frozen: false,
            overlay: Overlay::None,
            detail: None,
            message: None,
            now,
            size: (MIN_WIDTH, MIN_HEIGHT),
            dirty: true,
            quit: false,
            moved: false,
            queue_view: false,
            queue: Arc::new(QueueView::default()),
            queue_selected: 0,
            posture: PostureState::default(),
            drafts: Vec::new(),
        };
        app.recompute();
        app
    }

    pub fn finding(&self, view_index: usize) -> Option<&Arc<Finding>> {
        self.view
            .get(view_index)
            .map(|&i| &self.snapshot.findings[i as usize])
    }

    pub fn selected_finding(&self) -> Option<&Arc<Finding>> {
        self.finding(self.selected)
    }

    pub fn detail_finding(&self) -> Option<&Arc<Finding>> {
        let d = self.detail.as_ref()?;
        self.snapshot.findings.iter().find(|f| f.id == d.id)
    }

    /// Rows the table shows at the current size (header, top bar and status bar excluded).
    pub fn table_rows(&self) -> usize {
        usize::from(self.size.1.saturating_sub(4)).max(1)
    }

    /// Re-filters and re-sorts, keeping the selected finding selected when it is still shown.
    pub fn recompute(&mut self) {
        let keep = self.kept_selection();
        self.rebuild(keep);
    }

    /// Swaps in a new snapshot; indices change, so the selection is carried by id.
    fn set_snapshot(&mut self, s: Arc<Snapshot>) {
        let keep = self.kept_selection();
        self.snapshot = s;
        self.rebuild(keep);
    }

    fn rebuild(&mut self, keep: Option<String>) {
        let s = &self.snapshot;
        self.view = table::compute(
            &s.findings,
            &self.filter,
            self.sort,
            self.show_archived,
            self.now,
        );
        self.reselect(keep);
    }

    fn kept_selection(&self) -> Option<String> {
        self.selected_finding()
            .map(|f| f.id.clone())
            .filter(|_| self.moved)
    }

    fn reselect(&mut self, keep: Option<String>) {
        if let Some(id) = keep
            && let Some(pos) = self
                .view
                .iter()
                .position(|&i| self.snapshot.findings[i as usize].id == id)
        {
            self.selected = pos;
        }
        self.clamp();
    }

    /// Drops rows the (narrower) filter no longer matches, without re-sorting.
    fn refine(&mut self) {
        let keep = self.kept_selection();
        let (findings, filter, now) = (&self.snapshot.findings, &self.filter, self.now);
        self.view
            .retain(|&i| filter.matches(&findings[i as usize], now));
        self.reselect(keep);
    }

    fn clamp(&mut self) {
        self.selected = self.selected.min(self.view.len().saturating_sub(1));
        let rows = self.table_rows();
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + rows {
            self.offset = self.selected + 1 - rows;
        }
        self.offset = self
            .offset
            .min(self.view.len().saturating_sub(rows.min(self.view.len())));
    }

    /// Every time-dependent string currently visible.
    fn clock_text(&self, now: i64) -> Vec<String> {
        let rows = self.table_rows();
        let mut out: Vec<String> = (self.offset..(self.offset + rows).min(self.view.len()))
            .filter_map(|i| self.finding(i))
            .map(|f| crate::model::format_age(now, f.created_at))
            .collect();
        out.extend(
            self.snapshot
                .last_ok
                .map(|t| crate::model::format_age(now, t)),
        );
        out.extend(
            self.snapshot
                .sources
                .iter()
                .filter_map(|s| s.health.last_ok)
                .map(|t| crate::model::format_age(now, t)),
        );
        out
    }

    fn info(&mut self, text: impl Into<String>) {
        self.message = Some((Level::Info, text.into()));
    }

    fn error(&mut self, text: impl Into<String>) {
        self.message = Some((Level::Error, text.into()));
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        let mut fx = Vec::new();
        match msg {
            Msg::Resize(w, h) => {
                self.size = (w, h);
                self.clamp();
                self.dirty = true;
            }
            Msg::Snapshot(s) => {
                if self.frozen {
                    self.held = Some(s);
                } else {
                    self.set_snapshot(s);
                }
                // The status bar (waiting updates, health) changes either way.
                self.dirty = true;
            }
            Msg::Tick(now) => {
                // Redraw only if some text on screen (ages, "last poll") would change.
                if self.clock_text(now) != self.clock_text(self.now) {
                    self.dirty = true;
                }
                self.now = now;
            }
            Msg::RawJson { id, json } => {
                if let Some(d) = self.detail.as_mut().filter(|d| d.id == id) {
                    d.raw = Some(json);
                    self.dirty = true;
                }
            }
            Msg::WorkflowDone {
                status,
                processed,
                unprocessed,
                error,
            } => {
                match (error, unprocessed.is_empty()) {
                    (Some(e), _) => self.error(format!("workflow change failed: {e}")),
                    (None, true) => {
                        self.info(format!("{processed} finding(s) set to {}", status.as_str()))
                    }
                    (None, false) => {
                        let (id, code, m) = &unprocessed[0];
                        self.error(format!(
                            "{processed} set to {}, {} not processed (first: {id}: {code} {m})",
                            status.as_str(),
                            unprocessed.len()
                        ))
                    }
                }
                self.dirty = true;
            }
            Msg::Key(key) => {
                self.dirty = true;
                self.on_key(key, &mut fx);
            }
            Msg::HubStopped => {
                self.error("internal error: live updates stopped (see the log in the state dir); restart the console");
                self.dirty = true;
            }
            Msg::Queue(view) => {
                self.queue = view;
                self.queue_selected = self.queue_selected.min(self.queue_rows().saturating_sub(1));
                self.dirty = true;
            }
            Msg::Remediation(reply) => {
                self.on_remediation_reply(reply);
                self.dirty = true;
            }
        }
        if self.quit {
            fx.push(Effect::Quit);
        }
        fx
    }

    fn on_key(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) {
        // Ctrl-C always quits, whatever has focus.
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            self.quit = true;
            return;
        }
        match std::mem::replace(&mut self.overlay, Overlay::None) {
            Overlay::None => {}
            Overlay::Filter(ta) => return self.filter_key(ta, key),
            Overlay::Palette(p) => return self.palette_key(p, key, fx),
            Overlay::Workflow(d) => return self.workflow_key(d, key, fx),
            Overlay::Preview(d) => return self.preview_key(d, key, fx),
            Overlay::Decision(d) => return self.decision_key(d, key, fx),
            Overlay::CancelItem(d) => return self.cancel_key(d, key, fx),
            Overlay::Help { scroll } => {
                return match self.keymap.action(&key) {
                    Some(Action::MoveDown) => {
                        self.overlay = Overlay::Help {
                            scroll: scroll.saturating_add(1),
                        }
                    }
                    Some(Action::MoveUp) => {
                        self.overlay = Overlay::Help {
                            scroll: scroll.saturating_sub(1),
                        }
                    }
                    Some(Action::PageDown) => {
                        self.overlay = Overlay::Help {
                            scroll: scroll.saturating_add(10),
                        }
                    }
                    Some(Action::PageUp) => {
                        self.overlay = Overlay::Help {
                            scroll: scroll.saturating_sub(10),
                        }
                    }
                    Some(Action::Quit) => self.quit = true,
                    _ => {}
                };
            }
            Overlay::Sources { scroll } => {
                return match self.keymap.action(&key) {
                    Some(Action::MoveDown) => {
                        self.overlay = Overlay::Sources {
                            scroll: scroll.saturating_add(1),
                        }
                    }
                    Some(Action::MoveUp) => {
                        self.overlay = Overlay::Sources {
                            scroll: scroll.saturating_sub(1),
                        }
                    }
                    Some(Action::Quit) => self.quit = true,
                    _ => {}
                };
            }
        }
        if let Some(action) = self.keymap.action(&key) {
            self.act(action, fx);
        }
    }

    /// Performs an action from the keymap or the command palette.
    pub fn act(&mut self, action: Action, fx: &mut Vec<Effect>) {
        self.dirty = true;
        if self.detail.is_some() && self.detail_action(action, fx) {
            return;
        }
        if self.queue_view && self.queue_action(action) {
            return;
        }
        if self.posture.open && self.posture_action(action) {
            return;
        }
        let page = self.table_rows();
        match action {
            Action::Quit => {
                if self.detail.is_some() {
                    self.detail = None;
                } else {
                    self.quit = true;
                }
            }
            Action::ForceQuit => self.quit = true,
            Action::Help => self.overlay = Overlay::Help { scroll: 0 },
            Action::Back => {
                if self.detail.take().is_none() && !self.marks.is_empty() {
                    self.marks.clear();
                    self.info("marks cleared");
                } else {
                    self.message = None;
                }
            }
            Action::MoveDown => self.move_by(1),
            Action::MoveUp => self.move_by(-1),
            Action::PageDown => self.move_by(page as isize),
            Action::PageUp => self.move_by(-(page as isize)),
            Action::Top => self.move_to(0),
            Action::Bottom => self.move_to(self.view.len().saturating_sub(1)),
            Action::Open => {
                if let Some(f) = self.selected_finding() {
                    let id = f.id.clone();
                    fx.push(Effect::LoadRaw(id.clone()));
                    self.detail = Some(Detail {
                        id,
                        tab: DetailTab::Summary,
                        scroll: 0,
                        hscroll: 0,
                        raw: None,
                    });
                }
            }
            Action::Filter => {
                self.filter_before = self.filter_text.clone();
                let mut ta = TextArea::new(vec![self.filter_text.clone()]);
                ta.move_cursor(ratatui_textarea::CursorMove::End);
                self.overlay = Overlay::Filter(ta);
            }
            Action::ClearFilter => self.set_filter(String::new()),
            Action::Palette => self.overlay = Overlay::Palette(Palette::new()),
            Action::Freeze => {
                self.frozen = !self.frozen;
                if !self.frozen
                    && let Some(s) = self.held.take()
                {
                    self.set_snapshot(s);
                }
            }
            Action::Mark => {
                if let Some(id) = self.selected_finding().map(|f| f.id.clone()) {
                    if !self.marks.remove(&id) {
                        self.marks.insert(id);
                    }
                    self.move_by(1);
                }
            }
            Action::MarkAll => {
                let ids: Vec<String> = self
                    .view
                    .iter()
                    .map(|&i| self.snapshot.findings[i as usize].id.clone())
                    .collect();
                self.marks.extend(ids);
                self.info(format!("{} marked", self.marks.len()));
            }
            Action::ClearMarks => self.marks.clear(),
            Action::SortNext => {
                // Only the columns on screen, each starting in its natural direction.
                let shown = self.shown_columns();
                let next = shown
                    .iter()
                    .position(|c| *c == self.sort.column)
                    .map_or(shown[0], |i| shown[(i + 1) % shown.len()]);
                self.sort = Sort {
                    column: next,
                    descending: next.first_descending(),
                };
                self.recompute();
            }
            Action::SortReverse => {
                self.sort.descending = !self.sort.descending;
                self.recompute();
            }
            Action::SetWorkflow => self.open_workflow(None),
            Action::Refresh => {
                fx.push(Effect::Refresh);
                self.info("polling every source now");
            }
            Action::ToggleArchived => {
                self.show_archived = !self.show_archived;
                self.recompute();
                self.info(if self.show_archived {
                    "showing archived findings"
                } else {
                    "hiding archived findings"
                });
            }
            Action::Copy => {
                if let Some(f) = self.selected_finding() {
                    fx.push(Effect::Copy(f.id.clone()));
                    self.info("finding id copied (OSC 52)");
                }
            }
            Action::ToggleAscii => self.theme.ascii = !self.theme.ascii,
            Action::Propose => self.propose(fx),
            Action::Queue => {
                self.queue_view = !self.queue_view;
                self.posture.open = false;
                self.detail = None;
            }
            Action::Posture => {
                self.posture.open = !self.posture.open;
                self.queue_view = false;
                self.detail = None;
            }
            Action::Decide | Action::CancelItem => {
                self.info("open the queue (Q) to decide on an item")
            }
            Action::NextTab | Action::PrevTab | Action::ScrollLeft | Action::ScrollRight => {}
        }
    }

    /// The table's columns at the current width.
    pub fn shown_columns(&self) -> Vec<Column> {
        super::table::layout(self.size.0, self.snapshot.clouds.count_ones() > 1)
            .into_iter()
            .map(|(c, _)| c)
            .collect()
    }

    fn move_by(&mut self, delta: isize) {
        let target = (self.selected as isize + delta).max(0) as usize;
        self.move_to(target);
    }

    fn move_to(&mut self, i: usize) {
        self.moved = true;
        self.selected = i;
        self.clamp();
    }

    fn set_filter(&mut self, text: String) {
        match Filter::parse(&text) {
            Ok(f) => {
                self.filter = f;
                self.filter_text = text;
                self.message = None;
                self.recompute();
            }
            Err(e) => self.error(format!("filter: {e}")),
        }
    }
}

mod detail;
mod input;
mod marks;
mod msg;
mod posture;
mod remediation;

pub use posture::{TABS, WINDOWS};
pub use remediation::QueueRow;

#[cfg(test)]
mod tests;
