//! Keys while the detail pane is open: scrolling, tabs, search, copy and workflow for that
//! finding.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

use super::{Action, App, DetailSearch, DetailTab, Effect, Overlay};
use crate::tui::views::detail::{geometry, matches};

impl App {
    /// Keys that mean something else while the detail pane is open. True when handled.
    pub(super) fn detail_action(&mut self, action: Action, fx: &mut Vec<Effect>) -> bool {
        let max = self.detail_max_scroll();
        let page = self.detail_page();
        let Some(d) = self.detail.as_mut() else {
            return false;
        };
        let tabs = DetailTab::ALL.len();
        let tab_index = DetailTab::ALL.iter().position(|t| *t == d.tab).unwrap_or(0);
        match action {
            Action::MoveDown => d.scroll = d.scroll.saturating_add(1).min(max),
            Action::MoveUp => d.scroll = d.scroll.saturating_sub(1),
            Action::PageDown => d.scroll = d.scroll.saturating_add(page).min(max),
            Action::PageUp => d.scroll = d.scroll.saturating_sub(page),
            Action::Top => d.scroll = 0,
            Action::Bottom => d.scroll = max,
            Action::ScrollRight => d.hscroll = d.hscroll.saturating_add(8),
            Action::ScrollLeft => d.hscroll = d.hscroll.saturating_sub(8),
            Action::NextTab | Action::PrevTab => {
                let step = if action == Action::NextTab {
                    1
                } else {
                    tabs - 1
                };
                d.tab = DetailTab::ALL[(tab_index + step) % tabs];
                d.scroll = 0;
                d.hscroll = 0;
                if let Some(s) = d.search.as_mut() {
                    s.current = 0;
                }
            }
            Action::Open => {}
            Action::Filter => {
                // `/` in the detail searches its text; the list's filter stays as it is.
                let text = self
                    .search_draft
                    .clone()
                    .or_else(|| d.search.as_ref().map(|s| s.query.clone()))
                    .unwrap_or_default();
                let mut ta = TextArea::new(vec![text]);
                ta.move_cursor(ratatui_textarea::CursorMove::End);
                self.overlay = Overlay::Search(ta);
            }
            Action::Back if d.search.is_some() => {
                // Esc first ends the search; `/` offers it again.
                self.search_draft = d.search.take().map(|s| s.query);
                self.info("search cleared (/ brings it back)");
            }
            Action::Copy => {
                let id = d.id.clone();
                fx.push(Effect::Copy(id));
                self.info("finding id copied (OSC 52)");
            }
            Action::SetWorkflow => {
                let id = d.id.clone();
                self.open_workflow(Some(id));
            }
            _ => return false,
        }
        true
    }

    /// Rows of detail text on screen.
    fn detail_page(&self) -> u16 {
        geometry(self)
            .map(|(_, h)| h.saturating_sub(1).max(1) as u16)
            .unwrap_or(10)
    }

    /// The last scroll position that still fills the pane: every line is reachable.
    pub fn detail_max_scroll(&self) -> u16 {
        let Some((lines, height)) = geometry(self) else {
            return 0;
        };
        lines
            .len()
            .saturating_sub(height)
            .min(usize::from(u16::MAX)) as u16
    }

    /// Typing in the search prompt. Enter searches, Esc closes it and keeps what was typed
    /// for the next `/` (the search in force stays).
    pub(super) fn search_key(&mut self, mut ta: TextArea<'static>, key: KeyEvent) {
        match key.code {
            KeyCode::Esc => {
                let typed = ta.lines().join(" ");
                if let Some(d) = self.detail.as_mut()
                    && d.search.as_ref().is_none_or(|s| s.query != typed)
                    && !typed.is_empty()
                {
                    self.info(format!(
                        "search not applied; / brings back \"{}\"",
                        crate::sanitize::bounded(&typed, 40)
                    ));
                    self.search_draft = Some(typed);
                }
            }
            KeyCode::Enter => {
                let query = ta.lines().join(" ").trim().to_string();
                self.search_draft = None;
                if let Some(d) = self.detail.as_mut() {
                    d.search = (!query.is_empty()).then_some(DetailSearch { query, current: 0 });
                }
                self.jump_to_match(0, true);
            }
            _ => {
                ta.input(key);
                self.overlay = Overlay::Search(ta);
            }
        }
    }

    /// `n` / `N` move between matches while a search is active in the open detail.
    pub(super) fn search_step_key(&mut self, key: &KeyEvent) -> bool {
        let active = self.detail.as_ref().is_some_and(|d| d.search.is_some());
        if !active
            || key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            return false;
        }
        match key.code {
            KeyCode::Char('n') => self.jump_to_match(1, false),
            KeyCode::Char('N') => self.jump_to_match(-1, false),
            _ => return false,
        }
        self.dirty = true;
        true
    }

    /// Moves to the match `step` away from the current one (`first`: the first match at or
    /// below the top line) and scrolls it into view.
    fn jump_to_match(&mut self, step: isize, first: bool) {
        let max = self.detail_max_scroll();
        let Some((lines, height)) = geometry(self) else {
            return;
        };
        let Some(d) = self.detail.as_mut() else {
            return;
        };
        let Some(s) = d.search.as_mut() else {
            return;
        };
        let hits = matches(&lines, &s.query);
        if hits.is_empty() {
            let q = crate::sanitize::bounded(&s.query, 40).into_owned();
            let tab = d.tab.title();
            self.error(format!("no match for \"{q}\" in {tab} (tab: other tabs)"));
            return;
        }
        s.current = if first {
            hits.iter()
                .position(|&l| l >= usize::from(d.scroll))
                .unwrap_or(0)
        } else {
            (s.current as isize + step).rem_euclid(hits.len() as isize) as usize
        };
        let line = hits[s.current];
        // Keep the match on screen, a couple of lines below the top when possible.
        let top = usize::from(d.scroll);
        if line < top || line + 2 >= top + height {
            d.scroll = (line.saturating_sub(2).min(usize::from(u16::MAX)) as u16).min(max);
        }
        let (n, of) = (s.current + 1, hits.len());
        self.info(format!(
            "match {n} of {of}, line {} (n next, N previous, esc clears)",
            line + 1
        ));
    }
}
