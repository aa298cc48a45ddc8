//! Keys in the posture view: tabs, the standard shown, the trend window, and jumping from a
//! failing control to its findings.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui_textarea::TextArea;

use super::{App, Overlay};
use crate::posture::score::Counts;
use crate::tui::keymap::Action;

pub const TABS: [&str; 5] = ["Scores", "Breakdown", "Trends", "Findings", "Controls"];
pub const WINDOWS: [u32; 3] = [7, 30, 90];
/// Orders of the breakdown tab (`s` cycles).
pub const BREAKDOWN_SORTS: [&str; 3] = ["worst score", "most failing", "name"];

/// One row of the breakdown tab: an account or a Region, under the standard shown.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakdownRow<'a> {
    pub region: bool,
    pub name: &'a str,
    pub counts: Counts,
}

/// Rows shown per page of the breakdown (PgUp/PgDn).
const BREAKDOWN_PAGE: usize = 10;

impl App {
    /// Failing controls, most failing resources first (the Controls tab).
    pub fn top_controls(&self) -> Vec<&crate::posture::score::ControlResult> {
        let mut c: Vec<_> = self
            .snapshot
            .insights
            .posture
            .controls
            .iter()
            .filter(|c| c.status == crate::posture::score::Status::Failed)
            .collect();
        c.sort_by(|a, b| {
            b.failing_resources
                .len()
                .cmp(&a.failing_resources.len())
                .then(b.severity.cmp(&a.severity))
                .then(a.control.cmp(&b.control))
        });
        c
    }

    /// Accounts, then Regions, with findings under the standard shown, filtered and in the
    /// chosen order: a thousand accounts are a list to scroll, sort and narrow, not a page.
    pub fn breakdown_rows(&self) -> Vec<BreakdownRow<'_>> {
        let p = &self.snapshot.insights.posture;
        let key = p
            .standards
            .get(self.posture.standard % p.standards.len().max(1))
            .map_or("summary", |s| s.key.as_str());
        let needle = self.posture.breakdown_filter.to_lowercase();
        let mut out = Vec::new();
        for (region, groups) in [(false, &p.by_account), (true, &p.by_region)] {
            let mut rows: Vec<BreakdownRow> = groups
                .iter()
                .filter(|(name, _)| needle.is_empty() || name.to_lowercase().contains(&needle))
                .filter_map(|(name, row)| {
                    let c = row.get(key).copied()?;
                    (c.passed + c.failed + c.unknown > 0).then_some(BreakdownRow {
                        region,
                        name,
                        counts: c,
                    })
                })
                .collect();
            match self.posture.breakdown_sort % BREAKDOWN_SORTS.len() {
                0 => rows.sort_by_key(|r| (r.counts.score().unwrap_or(0), r.name)),
                1 => rows.sort_by_key(|r| (std::cmp::Reverse(r.counts.failed), r.name)),
                _ => {} // by name: the map's order
            }
            out.extend(rows);
        }
        out
    }

    /// Keys of the breakdown's filter prompt: applied as typed, Esc puts the old one back.
    pub(super) fn breakdown_key(
        &mut self,
        mut ta: TextArea<'static>,
        before: String,
        key: KeyEvent,
    ) {
        match key.code {
            KeyCode::Esc => self.posture.breakdown_filter = before,
            KeyCode::Enter => {}
            _ => {
                ta.input(key);
                self.posture.breakdown_filter = ta.lines().join(" ").trim().to_string();
                self.posture.breakdown_selected = 0;
                self.overlay = Overlay::Breakdown { ta, before };
            }
        }
        self.dirty = true;
    }

    /// The breakdown tab's own keys: move, sort, filter, Enter to the account's findings.
    fn breakdown_action(&mut self, action: Action) -> bool {
        let rows = self.breakdown_rows().len();
        let last = rows.saturating_sub(1);
        let p = &mut self.posture;
        match action {
            Action::MoveDown => p.breakdown_selected += 1,
            Action::MoveUp => p.breakdown_selected = p.breakdown_selected.saturating_sub(1),
            Action::PageDown => p.breakdown_selected += BREAKDOWN_PAGE,
            Action::PageUp => {
                p.breakdown_selected = p.breakdown_selected.saturating_sub(BREAKDOWN_PAGE)
            }
            Action::Top => p.breakdown_selected = 0,
            Action::Bottom => p.breakdown_selected = last,
            Action::SortNext => {
                p.breakdown_sort = (p.breakdown_sort + 1) % BREAKDOWN_SORTS.len();
                p.breakdown_selected = 0;
                let by = BREAKDOWN_SORTS[p.breakdown_sort];
                self.info(format!("breakdown by {by}"));
            }
            Action::Filter => {
                let before = p.breakdown_filter.clone();
                let mut ta = TextArea::new(vec![before.clone()]);
                ta.move_cursor(ratatui_textarea::CursorMove::End);
                self.overlay = Overlay::Breakdown { ta, before };
            }
            Action::Open => {
                let at = p.breakdown_selected;
                let row = self.breakdown_rows().get(at).map(|r| {
                    let field = if r.region { "region" } else { "acct" };
                    format!("{field}:{}", r.name)
                });
                if let Some(term) = row {
                    self.posture.open = false;
                    self.set_filter(format!("{term} -wf:resolved"));
                    self.info(format!("findings of {term}"));
                }
            }
            _ => return false,
        }
        self.posture.breakdown_selected = self.posture.breakdown_selected.min(last);
        true
    }

    /// True when the posture view handled the action.
    pub(super) fn posture_action(&mut self, action: Action) -> bool {
        if self.posture.tab == 1 && self.breakdown_action(action) {
            return true;
        }
        let p = &mut self.posture;
        let standards = self.snapshot.insights.posture.standards.len().max(1);
        match action {
            Action::NextTab => p.tab = (p.tab + 1) % TABS.len(),
            Action::PrevTab => p.tab = (p.tab + TABS.len() - 1) % TABS.len(),
            Action::ScrollRight => p.standard = (p.standard + 1) % standards,
            Action::ScrollLeft => p.standard = (p.standard + standards - 1) % standards,
            Action::SortNext => p.window = (p.window + 1) % WINDOWS.len(),
            Action::MoveDown => p.selected = p.selected.saturating_add(1),
            Action::MoveUp => p.selected = p.selected.saturating_sub(1),
            Action::Back | Action::Quit => p.open = false,
            Action::Open if p.tab == 4 => {
                let control = self
                    .top_controls()
                    .get(self.posture.selected)
                    .map(|c| c.control.clone());
                if let Some(control) = control {
                    self.posture.open = false;
                    self.set_filter(format!("control:{control} -wf:resolved"));
                    self.info(format!("findings of {control}"));
                }
            }
            Action::Open => {}
            _ => return false,
        }
        let max = self.top_controls().len().saturating_sub(1);
        self.posture.selected = self.posture.selected.min(max);
        true
    }
}
