//! Keys while the detail pane is open: scrolling, tabs, copy and workflow for that finding.

use super::{Action, App, DetailTab, Effect};

impl App {
    /// Keys that mean something else while the detail pane is open. True when handled.
    pub(super) fn detail_action(&mut self, action: Action, fx: &mut Vec<Effect>) -> bool {
        let max = self.detail_max_scroll();
        let Some(d) = self.detail.as_mut() else {
            return false;
        };
        let tab_index = DetailTab::ALL.iter().position(|t| *t == d.tab).unwrap_or(0);
        match action {
            Action::MoveDown => d.scroll = d.scroll.saturating_add(1).min(max),
            Action::MoveUp => d.scroll = d.scroll.saturating_sub(1),
            Action::PageDown => d.scroll = d.scroll.saturating_add(10).min(max),
            Action::PageUp => d.scroll = d.scroll.saturating_sub(10),
            Action::Top => d.scroll = 0,
            Action::Bottom => d.scroll = max,
            Action::ScrollRight => d.hscroll = d.hscroll.saturating_add(8),
            Action::ScrollLeft => d.hscroll = d.hscroll.saturating_sub(8),
            Action::NextTab => {
                d.tab = DetailTab::ALL[(tab_index + 1) % 3];
                d.scroll = 0;
            }
            Action::PrevTab => {
                d.tab = DetailTab::ALL[(tab_index + 2) % 3];
                d.scroll = 0;
            }
            Action::Open => {}
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

    pub fn detail_max_scroll(&self) -> u16 {
        let lines = crate::tui::views::detail::line_count(self);
        let height = usize::from(self.size.1.saturating_sub(5));
        lines.saturating_sub(height).min(usize::from(u16::MAX)) as u16
    }
}
