//! Marks and drafts. Actions on marked findings act only on the marks the filter shows (and
//! say how many are hidden); dialogs closed with Esc keep what was typed as a draft.

use std::sync::Arc;

use super::App;
use crate::model::Finding;
use crate::tui::dialogs::Draft;

/// At most this many drafts are kept (the newest).
const MAX_DRAFTS: usize = 8;

impl App {
    /// Marked findings shown by the current filter, and how many marks it hides.
    pub fn visible_marks(&self) -> (Vec<Arc<Finding>>, usize) {
        let shown: Vec<Arc<Finding>> = self
            .view
            .iter()
            .map(|&i| &self.snapshot.findings[i as usize])
            .filter(|f| self.marks.contains(&f.id))
            .cloned()
            .collect();
        let hidden = self.marks.len() - shown.len();
        (shown, hidden)
    }

    /// The findings a bulk action applies to: the visible marks, else the selected finding;
    /// plus the number of marks the filter hides (never acted on).
    pub fn action_targets(&self) -> (Vec<Arc<Finding>>, usize) {
        if self.marks.is_empty() {
            return (self.selected_finding().cloned().into_iter().collect(), 0);
        }
        self.visible_marks()
    }

    /// "55 marked, 370 hidden by the filter (not changed)".
    pub fn hidden_note(shown: usize, hidden: usize) -> Option<String> {
        (hidden > 0).then(|| format!("{shown} marked, {hidden} hidden by the filter (not changed)"))
    }

    pub fn keep_draft(&mut self, draft: Option<Draft>) {
        let Some(d) = draft else { return };
        self.drafts.retain(|x| x.key != d.key);
        self.drafts.push(d);
        if self.drafts.len() > MAX_DRAFTS {
            self.drafts.remove(0);
        }
    }

    /// Takes the draft saved under `key` (a changed target has another key: no draft).
    pub fn take_draft(&mut self, key: &str) -> Option<Draft> {
        let i = self.drafts.iter().position(|d| d.key == key)?;
        Some(self.drafts.remove(i))
    }

    /// The draft key of a workflow change: the findings and their versions, so a finding
    /// that changed since drops the draft.
    pub fn workflow_draft_key(targets: &[Arc<Finding>]) -> String {
        let mut parts: Vec<String> = targets
            .iter()
            .map(|f| format!("{}@{}:{}", f.id, f.updated_at, f.workflow.as_str()))
            .collect();
        parts.sort();
        format!("workflow:{}", parts.join(","))
    }
}
