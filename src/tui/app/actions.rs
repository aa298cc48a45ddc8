//! What each keymap action does (`act`), for keys and the command palette alike.

use super::*;

impl App {
    /// Performs an action from the keymap or the command palette.
    pub fn act(&mut self, action: Action, fx: &mut Vec<Effect>) {
        self.dirty = true;
        if self.detail.is_some() && self.detail_action(action, fx) {
            return;
        }
        if self.queue_view && self.queue_action(action) {
            return;
        }
        if self.notify_view && self.notifications_action(action) {
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
            Action::Bottom => self.move_to(self.rows.len().saturating_sub(1)),
            Action::Open if self.group_at(self.selected).is_some() => {
                // Enter on a group filters to it.
                if let (Some(by), Some(g)) = (self.group, self.group_at(self.selected)) {
                    let term = by.filter_term(&g.key);
                    let key = g.key.to_string();
                    let text = format!("{} {term}", self.filter_text).trim().to_string();
                    self.expanded.insert(key);
                    self.set_filter(text);
                }
            }
            Action::Open => {
                if let Some(f) = self.selected_finding() {
                    let r = crate::model::FindingRef::from(f.as_ref());
                    fx.push(Effect::LoadRaw(r.id.clone()));
                    fx.push(Effect::LoadTimeline(r.clone()));
                    self.detail = Some(Detail {
                        id: r.id,
                        tab: DetailTab::Summary,
                        scroll: 0,
                        hscroll: 0,
                        raw: None,
                        timeline: None,
                        search: None,
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
                if !self.frozen {
                    self.release_held();
                }
            }
            Action::NextNew => self.next_new(),
            Action::Mark if self.group_at(self.selected).is_some() => {
                // Space on a group marks (or unmarks) all its findings: bulk actions on a group.
                if let Some(g) = self.group_at(self.selected) {
                    let ids: Vec<String> = self
                        .groups
                        .rows(g)
                        .iter()
                        .map(|&i| self.snapshot.findings[i as usize].id.clone())
                        .collect();
                    let all = ids.iter().all(|id| self.marks.contains(id));
                    let n = ids.len();
                    for id in ids {
                        if all {
                            self.marks.remove(&id);
                        } else {
                            self.marks.insert(id);
                        }
                    }
                    self.info(format!(
                        "{n} finding(s) of the group {}",
                        if all { "unmarked" } else { "marked" }
                    ));
                    self.move_by(1);
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
            Action::SortNext if self.group.is_some() => {
                // Grouped: `s` orders the groups (count, severity, key).
                let i = GroupOrder::ALL
                    .iter()
                    .position(|o| *o == self.group_order)
                    .unwrap_or(0);
                self.group_order = GroupOrder::ALL[(i + 1) % GroupOrder::ALL.len()];
                self.group_reverse = false;
                self.recompute();
                self.info(format!("groups ordered by {}", self.group_order.name()));
            }
            Action::SortReverse if self.group.is_some() => {
                self.group_reverse = !self.group_reverse;
                self.recompute();
            }
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
            Action::ShowAll => {
                self.scope = if self.scope == Scope::Working {
                    Scope::All
                } else {
                    Scope::Working
                };
                self.recompute();
                self.info(if self.scope == Scope::All {
                    "showing everything: resolved, suppressed, passed and archived findings too (a: back to the working view)"
                } else {
                    "working view: active findings that are new or notified and not passed (a: everything)"
                });
            }
            Action::Copy => self.open_copy_menu(),
            Action::OpenLinks => self.open_links(fx),
            Action::ToggleAscii => self.theme.ascii = !self.theme.ascii,
            Action::Propose => self.propose(fx),
            Action::Queue => {
                self.queue_view = !self.queue_view;
                self.posture.open = false;
                self.notify_view = false;
                self.detail = None;
            }
            Action::Posture => {
                self.posture.open = !self.posture.open;
                self.queue_view = false;
                self.notify_view = false;
                self.detail = None;
            }
            Action::Notifications => {
                self.notify_view = !self.notify_view;
                self.queue_view = false;
                self.posture.open = false;
                self.detail = None;
            }
            Action::Ticket => self.open_ticket(),
            Action::Notify => self.open_notify(),
            Action::Decide | Action::CancelItem => {
                self.info("open the queue (Q) to decide on an item")
            }
            // In a grouped list, sideways opens and closes groups.
            Action::ScrollRight if self.group.is_some() => self.expand_group(Some(true)),
            Action::ScrollLeft if self.group.is_some() => self.expand_group(Some(false)),
            Action::GroupBy => {
                let next = match self.group {
                    None => Some(GroupBy::ALL[0]),
                    Some(g) => {
                        let i = GroupBy::ALL.iter().position(|x| *x == g).unwrap_or(0);
                        GroupBy::ALL.get(i + 1).copied()
                    }
                };
                self.set_group(next);
                self.info(match next {
                    Some(g) => format!(
                        "grouped by {} (most findings first; → opens, ← closes, Enter filters to a group, b next)",
                        g.name()
                    ),
                    None => "not grouped".into(),
                });
            }
            Action::NextTab | Action::PrevTab | Action::ScrollLeft | Action::ScrollRight => {}
        }
    }
}
