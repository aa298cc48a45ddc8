//! Keys in the posture view: tabs, the standard shown, the trend window, and jumping from a
//! failing control to its findings.

use super::App;
use crate::tui::keymap::Action;

pub const TABS: [&str; 5] = ["Scores", "Breakdown", "Trends", "Findings", "Controls"];
pub const WINDOWS: [u32; 3] = [7, 30, 90];

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

    /// True when the posture view handled the action.
    pub(super) fn posture_action(&mut self, action: Action) -> bool {
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
