//! What is new: findings that arrived since the analyst last looked are marked (a text
//! marker, not colour only) until they have been on screen, counted in the status bar and
//! reachable with `N`; a frozen view counts the changes it holds back; an arrival matching
//! the alert filter rings the bell or sends a desktop notification (OSC 9).

use std::sync::Arc;

use super::{App, Effect, Row};
use crate::hub::Snapshot;

impl App {
    pub(super) fn on_snapshot(&mut self, s: Arc<Snapshot>, fx: &mut Vec<Effect>) {
        self.alert_on(&s, fx);
        // The open finding changed (a poll, a workflow change): its raw JSON and timeline are
        // read again, frozen or not (they come from the store, not the snapshot).
        if let Some(d) = &self.detail
            && s.changed.contains(d.id.as_str())
            && let Some(f) = s.findings.iter().find(|f| f.id == d.id)
        {
            fx.push(Effect::LoadRaw(d.id.clone()));
            fx.push(Effect::LoadTimeline(crate::model::FindingRef::from(
                f.as_ref(),
            )));
        }
        // Frozen with nothing on screen yet (a screen reader's first poll): nothing to keep still.
        if self.frozen && !self.snapshot.findings.is_empty() {
            self.held_changed.extend(s.changed.iter().cloned());
            self.held_arrived.extend(s.arrived.iter().cloned());
            self.held = Some(s);
        } else {
            self.unseen.extend(s.arrived.iter().cloned());
            self.set_snapshot(s);
        }
    }

    /// Applies what a freeze held back; its arrivals become unseen.
    pub(super) fn release_held(&mut self) {
        if let Some(s) = self.held.take() {
            self.unseen.extend(self.held_arrived.drain());
            self.held_changed.clear();
            self.set_snapshot(s);
        }
    }

    /// Arrivals matching the alert filter raise one alert per snapshot.
    fn alert_on(&self, s: &Snapshot, fx: &mut Vec<Effect>) {
        let Some(filter) = &self.opts.alert else {
            return;
        };
        if s.arrived.is_empty() {
            return;
        }
        let hits: Vec<_> = s
            .findings
            .iter()
            .filter(|f| s.arrived.contains(&f.id) && filter.matches(f, self.now))
            .collect();
        let Some(first) = hits.first() else { return };
        let text = if hits.len() == 1 {
            format!(
                "{} {} in {}",
                first.severity.short(),
                crate::sanitize::bounded(&first.title, 120),
                crate::sanitize::line(&first.account)
            )
        } else {
            format!("{} new findings match {filter}", hits.len())
        };
        fx.push(Effect::Alert {
            text,
            with: self.opts.alert_with,
        });
    }

    /// Rows on screen are seen.
    pub(super) fn mark_visible_seen(&mut self) {
        if self.unseen.is_empty() {
            return;
        }
        let end = (self.offset + self.table_rows()).min(self.rows.len());
        for r in self.offset..end {
            if let Row::Finding(i) = self.rows[r] {
                let id = &self.snapshot.findings[i as usize].id;
                self.unseen.remove(id);
            }
        }
    }

    /// Selects the next unseen finding after the selection (wrapping), if one is shown.
    pub(super) fn next_new(&mut self) {
        let n = self.rows.len();
        let hit = (1..=n).map(|d| (self.selected + d) % n.max(1)).find(|&r| {
            matches!(self.rows.get(r), Some(Row::Finding(i)) if self.unseen.contains(&self.snapshot.findings[*i as usize].id))
        });
        match hit {
            Some(r) => self.move_to(r),
            None if self.unseen.is_empty() => self.info("nothing new since you looked"),
            None => self.info(format!(
                "{} new finding(s), none shown by the filter or in an open group",
                self.unseen.len()
            )),
        }
    }

    /// "+N new since you looked", or None.
    pub fn news(&self) -> Option<String> {
        // Findings that left since arriving are not news any more.
        let n = self.unseen.len();
        (n > 0).then(|| format!("+{n} new since you looked (n)"))
    }

    /// "12 changes waiting (3 new)" while frozen.
    pub fn waiting(&self) -> Option<String> {
        self.held.as_ref()?;
        let changed = self.held_changed.len();
        let new = self.held_arrived.len();
        Some(match (changed, new) {
            (0, 0) => "updates waiting".to_string(),
            (c, 0) => format!("{c} changed finding(s) waiting"),
            (c, n) => format!("{c} changed finding(s) waiting, {n} new"),
        })
    }
}
