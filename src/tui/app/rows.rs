//! What the findings table shows: the filtered, sorted view, or groups of it (collapsible,
//! with counts by severity), and the selection carried across rebuilds by finding id or
//! group key.

use std::sync::Arc;

use super::App;
use crate::hub::Snapshot;
use crate::model::Finding;
use crate::query::{self as table, Column, Grouped};

/// One line of the findings table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    /// Index into `App::groups`.
    Group(u32),
    /// Index into the snapshot's findings.
    Finding(u32),
}

/// What a view was computed from (besides the snapshot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ViewKey {
    filter: String,
    sort: table::Sort,
    scope: table::Scope,
    /// The clock, only for filters that read it.
    now: Option<i64>,
}

/// The last few views computed from the current snapshot: backspacing in the filter prompt
/// back to a filter already shown costs a copy instead of a scan and a sort.
#[derive(Default)]
pub(super) struct ViewsSeen {
    findings: Option<crate::query::worker::Findings>,
    views: Vec<(ViewKey, Vec<u32>)>,
}

const VIEWS_SEEN: usize = 4;

impl ViewsSeen {
    fn get(&self, findings: &crate::query::worker::Findings, key: &ViewKey) -> Option<&[u32]> {
        let same = self
            .findings
            .as_ref()
            .is_some_and(|f| Arc::ptr_eq(f, findings));
        same.then(|| self.views.iter().find(|(k, _)| k == key))
            .flatten()
            .map(|(_, v)| v.as_slice())
    }

    fn put(&mut self, findings: &crate::query::worker::Findings, key: ViewKey, view: &[u32]) {
        if !self
            .findings
            .as_ref()
            .is_some_and(|f| Arc::ptr_eq(f, findings))
        {
            self.findings = Some(findings.clone());
            self.views.clear();
        }
        self.views.retain(|(k, _)| *k != key);
        if self.views.len() == VIEWS_SEEN {
            self.views.remove(0);
        }
        self.views.push((key, view.to_vec()));
    }
}

/// What stays selected across a rebuild.
pub(super) enum Keep {
    Finding(String),
    Group(String),
}

impl App {
    /// The finding on table row `row` (None for a group row).
    pub fn finding(&self, row: usize) -> Option<&Arc<Finding>> {
        match self.rows.get(row)? {
            Row::Finding(i) => Some(&self.snapshot.findings[*i as usize]),
            Row::Group(_) => None,
        }
    }

    /// The group on table row `row`.
    pub fn group_at(&self, row: usize) -> Option<&crate::query::Group> {
        match self.rows.get(row)? {
            Row::Group(g) => self.groups.get(*g as usize),
            Row::Finding(_) => None,
        }
    }

    /// The group the selected row is or belongs to.
    pub fn selected_group(&self) -> Option<(usize, &crate::query::Group)> {
        (0..=self.selected)
            .rev()
            .find_map(|r| match self.rows.get(r)? {
                Row::Group(g) => Some((r, self.groups.get(*g as usize)?)),
                Row::Finding(_) => None,
            })
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

    /// Swaps in a new snapshot; indices change, so the selection is carried by id. A big one
    /// is shown once its view is computed off the UI thread (the rows on screen stay until).
    pub(super) fn set_snapshot(&mut self, s: Arc<Snapshot>) {
        let keep = self.kept_selection();
        if self.in_background(&s) {
            self.incoming = Some(s);
            self.request_view(keep, None);
            return;
        }
        self.incoming = None;
        self.computing = None;
        self.snapshot = s;
        self.rebuild(keep);
    }

    /// Whether views of `s` are computed off the UI thread.
    fn in_background(&self, s: &Snapshot) -> bool {
        self.opts
            .background_view_over
            .is_some_and(|n| s.findings.len() >= n)
    }

    /// True while a view is being computed off the UI thread ("filtering…").
    pub fn filtering(&self) -> bool {
        self.computing.is_some()
    }

    /// Asks the view worker for the view of the newest snapshot (narrowing `base`, the rows
    /// shown, when given); a request still waiting is replaced.
    fn request_view(&mut self, keep: Option<Keep>, base: Option<Vec<u32>>) {
        self.view_seq += 1;
        let target = self.incoming.as_ref().unwrap_or(&self.snapshot);
        let job = crate::query::worker::ViewJob {
            seq: self.view_seq,
            findings: target.findings.clone(),
            filter: self.filter.clone(),
            sort: self.sort,
            scope: self.scope,
            now: self.now,
            // Rows of the shown snapshot only narrow a job for that same snapshot.
            base: base.filter(|_| self.incoming.is_none()).map(Arc::new),
            group: self
                .group
                .map(|g| (g, self.group_order, self.group_reverse)),
        };
        self.computing = Some(self.view_seq);
        if keep.is_some() || self.pending_keep.is_none() {
            self.pending_keep = keep;
        }
        self.later_fx
            .push(super::Effect::ComputeView(Box::new(job)));
    }

    /// A view from the worker: shown when it answers the newest request.
    pub(super) fn on_view_ready(&mut self, done: crate::query::worker::ViewDone) {
        if self.computing != Some(done.seq) {
            return;
        }
        if let Some(s) = self
            .incoming
            .take_if(|s| Arc::ptr_eq(&s.findings, &done.findings))
        {
            self.snapshot = s;
        }
        if !Arc::ptr_eq(&self.snapshot.findings, &done.findings) {
            return;
        }
        self.computing = None;
        let key = self.view_key();
        self.views_seen.put(&done.findings, key, &done.view);
        self.view = done.view;
        if let Some((keys, groups)) = done.groups {
            self.group_keys = Some((done.findings, keys));
            self.groups = groups;
        }
        let keep = self.pending_keep.take();
        self.rows_from_groups(keep);
    }

    fn rebuild(&mut self, keep: Option<Keep>) {
        let key = self.view_key();
        let s = &self.snapshot;
        // A view seen before is a copy; grouping a big one is still the worker's job.
        let inline_groups = self.group.is_none() || !self.in_background(s);
        if let Some(v) = self
            .views_seen
            .get(&s.findings, &key)
            .filter(|_| inline_groups)
        {
            self.view = v.to_vec();
            return self.rebuild_rows(keep);
        }
        if self.in_background(s) {
            return self.request_view(keep, None);
        }
        self.computing = None;
        let v = table::compute(&s.findings, &self.filter, self.sort, self.scope, self.now);
        self.views_seen.put(&s.findings, key, &v);
        self.view = v;
        self.rebuild_rows(keep);
    }

    fn view_key(&self) -> ViewKey {
        ViewKey {
            filter: self.filter.to_string(),
            sort: self.sort,
            scope: self.scope,
            now: self.filter.uses_time().then_some(self.now),
        }
    }

    /// Rows from the view (groups when grouping), then the selection put back.
    fn rebuild_rows(&mut self, keep: Option<Keep>) {
        if let Some(by) = self.group {
            let keys =
                crate::query::worker::keys_for(&mut self.group_keys, &self.snapshot.findings, by);
            self.groups =
                table::group_keyed(&keys, &self.view, self.group_order, self.group_reverse);
        }
        self.rows_from_groups(keep);
    }

    /// Table rows from the view and the groups already computed.
    fn rows_from_groups(&mut self, keep: Option<Keep>) {
        self.rows = match self.group {
            None => {
                self.groups = Grouped::default();
                self.view.iter().map(|&i| Row::Finding(i)).collect()
            }
            Some(_) => {
                let mut rows = Vec::with_capacity(self.groups.len());
                for (gi, g) in self.groups.iter().enumerate() {
                    rows.push(Row::Group(gi as u32));
                    if !self.expanded.is_empty() && self.expanded.contains(&*g.key) {
                        rows.extend(self.groups.rows(g).iter().map(|&i| Row::Finding(i)));
                    }
                }
                rows
            }
        };
        self.reselect(keep);
    }

    fn kept_selection(&self) -> Option<Keep> {
        if !self.moved {
            return None;
        }
        match self.rows.get(self.selected)? {
            Row::Finding(i) => Some(Keep::Finding(
                self.snapshot.findings[*i as usize].id.clone(),
            )),
            Row::Group(g) => Some(Keep::Group(self.groups.get(*g as usize)?.key.to_string())),
        }
    }

    fn reselect(&mut self, keep: Option<Keep>) {
        let findings = &self.snapshot.findings;
        let pos = match &keep {
            Some(Keep::Finding(id)) => self
                .rows
                .iter()
                .position(|r| matches!(r, Row::Finding(i) if findings[*i as usize].id == *id)),
            Some(Keep::Group(key)) => self
                .rows
                .iter()
                .position(|r| matches!(r, Row::Group(g) if *self.groups[*g as usize].key == **key)),
            None => None,
        };
        if let Some(p) = pos {
            self.selected = p;
        }
        self.clamp();
    }

    /// Drops rows the (narrower) filter no longer matches, without re-sorting.
    pub(super) fn refine(&mut self) {
        let keep = self.kept_selection();
        if self.in_background(&self.snapshot) {
            let base = (self.computing.is_none()).then(|| self.view.clone());
            return self.request_view(keep, base);
        }
        let (findings, filter, now) = (&self.snapshot.findings, &self.filter, self.now);
        self.view
            .retain(|&i| filter.matches(&findings[i as usize], now));
        let key = self.view_key();
        self.views_seen
            .put(&self.snapshot.findings, key, &self.view);
        self.rebuild_rows(keep);
    }

    pub(super) fn clamp(&mut self) {
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
        let rows = self.table_rows();
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + rows {
            self.offset = self.selected + 1 - rows;
        }
        self.offset = self
            .offset
            .min(self.rows.len().saturating_sub(rows.min(self.rows.len())));
    }

    /// Group by `by` (None: a flat list); groups start closed.
    pub fn set_group(&mut self, by: Option<crate::query::GroupBy>) {
        if self.group != by {
            self.expanded.clear();
        }
        self.group = by;
        self.selected = 0;
        self.offset = 0;
        self.recompute();
    }

    /// Opens or closes the selected group (`open` None toggles).
    pub fn expand_group(&mut self, open: Option<bool>) {
        let Some((row, g)) = self.selected_group() else {
            return;
        };
        let key = g.key.to_string();
        let now_open = open.unwrap_or(!self.expanded.contains(&key));
        if now_open {
            self.expanded.insert(key.clone());
        } else {
            self.expanded.remove(&key);
        }
        self.selected = row;
        self.moved = true;
        // The groups are the same: only the rows under them change.
        self.rows_from_groups(Some(Keep::Group(key)));
    }

    /// Every time-dependent string currently visible.
    pub(super) fn clock_text(&self, now: i64) -> Vec<String> {
        let rows = self.table_rows();
        let mut out: Vec<String> = (self.offset..(self.offset + rows).min(self.rows.len()))
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

    /// The table's columns at the current width.
    pub fn shown_columns(&self) -> Vec<Column> {
        crate::tui::table::layout(
            self.size.0,
            self.snapshot.clouds.count_ones() > 1,
            &self.columns,
        )
        .into_iter()
        .map(|(c, _)| c)
        .collect()
    }

    pub(super) fn move_by(&mut self, delta: isize) {
        let target = (self.selected as isize + delta).max(0) as usize;
        self.move_to(target);
    }

    pub(super) fn move_to(&mut self, i: usize) {
        self.moved = true;
        self.selected = i;
        self.clamp();
    }
}
