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
use crate::query::{GroupBy, GroupOrder, Grouped, Scope, Sort};
use crate::remediation::service::QueueView;

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

pub use msg::{Effect, Msg};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailTab {
    Summary,
    Resources,
    Timeline,
    Raw,
}

impl DetailTab {
    pub const ALL: [DetailTab; 4] = [
        DetailTab::Summary,
        DetailTab::Resources,
        DetailTab::Timeline,
        DetailTab::Raw,
    ];

    pub fn title(self) -> &'static str {
        match self {
            DetailTab::Summary => "Summary",
            DetailTab::Resources => "Resources",
            DetailTab::Timeline => "Timeline",
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
    /// Events from the audit log and the provider's history (None while loading), and what
    /// could not be read.
    pub timeline: Option<(Vec<crate::timeline::Event>, Option<String>)>,
    /// The text searched for in the detail (`/`), and which match is current.
    pub search: Option<DetailSearch>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DetailSearch {
    pub query: String,
    pub current: usize,
}

pub enum Overlay {
    None,
    Filter(TextArea<'static>),
    Palette(Palette),
    Help {
        scroll: u16,
    },
    Sources {
        scroll: u16,
    },
    Workflow(WorkflowDialog),
    Preview(PreviewDialog),
    Decision(Box<DecisionDialog>),
    CancelItem(Box<CancelDialog>),
    /// A numbered menu of things to copy (`y`) or console links (`o`).
    Menu(Menu),
    /// Typing what to search for in the detail.
    Search(TextArea<'static>),
    /// The posture breakdown's filter (account or Region), applied as typed.
    Breakdown {
        ta: TextArea<'static>,
        before: String,
    },
    Ticket(Box<super::notify_dialogs::TicketDialog>),
    Notify(Box<super::notify_dialogs::NotifyDialog>),
    Outbox(Box<super::notify_dialogs::OutboxDialog>),
}

/// What a menu entry copies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MenuValue {
    Text(String),
    /// The finding's raw JSON (fetched from the store when chosen).
    RawJson(String),
}

/// A numbered list; a digit (or Enter for the first) copies that entry with OSC 52.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Menu {
    pub title: String,
    pub items: Vec<(String, MenuValue)>,
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
    /// Findings that raise the alert when they arrive (`[ui] alert`, default sev:critical).
    pub alert: Option<Filter>,
    /// How the alert is raised (bell, OSC 9 desktop notification, both).
    pub alert_with: crate::config::AlertWith,
    /// Notification channels, and whether the service runs here.
    pub notify: NotifyOptions,
    /// From this many findings on, filter, sort and group run on the view worker and the
    /// status bar says "filtering…" meanwhile (None: always inline, as tests and headless
    /// use it).
    pub background_view_over: Option<usize>,
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
    /// What the table shows: the view's findings, or groups and the findings of expanded
    /// groups. `selected` and `offset` index this.
    pub rows: Vec<Row>,
    /// Group-by, and the groups of the view.
    pub group: Option<GroupBy>,
    pub group_order: GroupOrder,
    pub group_reverse: bool,
    pub groups: Grouped,
    /// Group keys interned for the snapshot's findings (rebuilt when either changes).
    group_keys: Option<(crate::query::worker::Findings, Arc<crate::query::GroupKeys>)>,
    /// A view being computed off the UI thread: its number, the snapshot it is for (when not
    /// the one shown) and what to select when it lands.
    computing: Option<u64>,
    view_seq: u64,
    incoming: Option<Arc<Snapshot>>,
    pending_keep: Option<rows::Keep>,
    /// Effects raised where no effect list is at hand (a background recompute).
    later_fx: Vec<Effect>,
    /// Recent views of this snapshot, by filter, sort and scope.
    views_seen: rows::ViewsSeen,
    /// Keys of the groups shown open.
    pub expanded: HashSet<String>,
    pub selected: usize,
    /// First visible row (kept by update so render stays read-only).
    pub offset: usize,
    pub marks: HashSet<String>,
    pub filter_text: String,
    pub filter: Filter,
    /// The filter in force when the `/` prompt opened: Esc goes back to it.
    pub filter_before: String,
    pub sort: Sort,
    /// Working view (what needs attention) or everything.
    pub scope: Scope,
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
    /// A detail search typed and not applied (Esc), offered again by the next `/`.
    pub search_draft: Option<String>,
    /// Findings that arrived and have not been on screen since ("+N new since you looked").
    pub unseen: HashSet<String>,
    /// Named views (views.toml), and the columns the current view limits the table to.
    pub views: Vec<crate::query::views::Resolved>,
    pub columns: Vec<crate::query::Column>,
    pub view_name: Option<String>,
    /// While frozen: ids changed and ids arrived in the snapshots held back.
    pub held_changed: HashSet<String>,
    pub held_arrived: HashSet<String>,
    /// The notifications view is showing, its outbox, and the selected entry.
    pub notify_view: bool,
    pub notify: Arc<crate::notify::View>,
    pub notify_selected: usize,
}

/// Where the posture view is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostureState {
    pub open: bool,
    pub tab: usize,
    /// Index into the standards (breakdown and trends).
    pub standard: usize,
    /// 0: 7 days, 1: 30 days, 2: 90 days.
    pub window: usize,
    pub selected: usize,
    /// Breakdown tab: the row selected, the order (see `posture::BREAKDOWN_SORTS`) and the
    /// filter on account or Region.
    pub breakdown_selected: usize,
    pub breakdown_sort: usize,
    pub breakdown_filter: String,
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
            rows: Vec::new(),
            group: None,
            group_order: GroupOrder::default(),
            group_reverse: false,
            groups: Grouped::default(),
            group_keys: None,
            computing: None,
            view_seq: 0,
            incoming: None,
            pending_keep: None,
            later_fx: Vec::new(),
            views_seen: Default::default(),
            expanded: HashSet::new(),
            selected: 0,
            offset: 0,
            marks: HashSet::new(),
            filter_text: String::new(),
            filter: Filter::default(),
            filter_before: String::new(),
            sort: Sort::default(),
            scope: Scope::Working,
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
            search_draft: None,
            unseen: HashSet::new(),
            views: Vec::new(),
            columns: Vec::new(),
            view_name: None,
            held_changed: HashSet::new(),
            held_arrived: HashSet::new(),
            notify_view: false,
            notify: Arc::default(),
            notify_selected: 0,
        };
        // A screen reader's row must not move under it: live updates are held (f applies);
        // and it reads text, so every symbol is its ASCII form (no box drawing, no blocks).
        app.frozen = app.opts.screen_reader;
        if app.opts.screen_reader {
            app.theme.ascii = true;
        }
        app.recompute();
        app
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
                self.on_snapshot(s, &mut fx);
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
            Msg::Timeline { id, events, error } => {
                if let Some(d) = self.detail.as_mut().filter(|d| d.id == id) {
                    d.timeline = Some((events, error));
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
                // The audit log has the change now: the timeline shows it.
                if let Some(f) = self.detail_finding() {
                    fx.push(Effect::LoadTimeline(crate::model::FindingRef::from(
                        f.as_ref(),
                    )));
                }
                self.dirty = true;
            }
            Msg::Key(key) => {
                self.dirty = true;
                // Whatever was on screen when the analyst pressed a key has been seen.
                self.mark_visible_seen();
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
            Msg::Done(Ok(text)) => {
                self.info(text);
                self.dirty = true;
            }
            Msg::Done(Err(text)) => {
                self.error(text);
                self.dirty = true;
            }
            Msg::ViewSaved(v) => {
                if let Ok(r) = v.resolve() {
                    self.views.retain(|x| x.view.name != v.name);
                    self.views.push(r);
                }
            }
            Msg::Remediation(reply) => {
                self.on_remediation_reply(reply);
                self.dirty = true;
            }
            Msg::Notify(view) => {
                self.on_notify_view(view);
                self.dirty = true;
            }
            Msg::ViewReady(done) => {
                self.on_view_ready(*done);
                self.dirty = true;
            }
        }
        fx.append(&mut self.later_fx);
        if self.quit {
            fx.push(Effect::Quit);
        }
        fx
    }

    /// Scrolling a read-only overlay (help, sources) `inner` rows high with `max` the last
    /// offset: the new offset, or None when the key closes it (Quit also quits).
    fn overlay_scroll(&mut self, key: &KeyEvent, scroll: u16, inner: u16, max: u16) -> Option<u16> {
        let page = inner.saturating_sub(1).max(1);
        let scroll = match self.keymap.action(key) {
            Some(Action::MoveDown) => scroll.saturating_add(1),
            Some(Action::MoveUp) => scroll.saturating_sub(1),
            Some(Action::PageDown) => scroll.saturating_add(page),
            Some(Action::PageUp) => scroll.saturating_sub(page),
            Some(Action::Top) => 0,
            Some(Action::Bottom) => max,
            Some(Action::Quit) => {
                self.quit = true;
                return None;
            }
            // Any other key closes it.
            _ => return None,
        };
        Some(scroll.min(max))
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
            Overlay::Menu(m) => return self.menu_key(m, key, fx),
            Overlay::Search(ta) => return self.search_key(ta, key),
            Overlay::Breakdown { ta, before } => return self.breakdown_key(ta, before, key),
            Overlay::Ticket(d) => return self.ticket_key(d, key, fx),
            Overlay::Notify(d) => return self.notify_key(d, key, fx),
            Overlay::Outbox(d) => return self.outbox_key(d, key, fx),
            Overlay::Help { scroll } => {
                // Scrolling stops at the last line: the box never shows emptiness.
                let rect = super::views::overlays::help_rect(ratatui::layout::Rect::new(
                    0,
                    0,
                    self.size.0,
                    self.size.1,
                ));
                let inner = rect.height.saturating_sub(2);
                let max = super::views::overlays::help_lines(self, rect.width.saturating_sub(2))
                    .len()
                    .saturating_sub(usize::from(inner)) as u16;
                let Some(scroll) = self.overlay_scroll(&key, scroll, inner, max) else {
                    return;
                };
                self.overlay = Overlay::Help { scroll };
                return;
            }
            Overlay::Sources { scroll } => {
                // A thousand sources: pages, top and bottom, not only line by line.
                let inner = self.size.1.saturating_sub(4);
                let max = super::views::overlays::source_rows(self)
                    .saturating_sub(usize::from(inner))
                    .min(usize::from(u16::MAX)) as u16;
                let Some(scroll) = self.overlay_scroll(&key, scroll, inner, max) else {
                    return;
                };
                self.overlay = Overlay::Sources { scroll };
                return;
            }
        }
        if self.search_step_key(&key) {
            return;
        }
        if let Some(action) = self.keymap.action(&key) {
            self.act(action, fx);
        } else if let Some(i) = self.view_for_key(&key) {
            self.apply_view(i);
        }
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

mod actions;
mod detail;
mod input;
mod marks;
mod menus;
mod news;
mod rows;
mod views;

pub use rows::Row;
mod msg;
mod notify;
mod posture;
mod remediation;

pub use notify::NotifyOptions;

pub use posture::{BREAKDOWN_SORTS, BreakdownRow, TABS, WINDOWS};
pub use remediation::QueueRow;

#[cfg(test)]
mod tests;
