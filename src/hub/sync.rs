//! Full reads as the hub applies them: `SyncStarted` makes the store mark what the read
//! returns, `Checkpoint` is persisted once the page before it is applied, `Gone` drops
//! findings a resumed read found archived, and the read's
//! `SyncDone` removes (store and memory) the source's findings it did not return and that
//! were not updated since it began. No set of every id returned is kept anywhere, except
//! without a store, where the ids stand in for the marks.

use std::collections::{HashMap, HashSet};

use super::Hub;
use crate::poller::Checkpoint;

/// Full reads in progress.
#[derive(Debug, Default)]
pub(super) struct Syncs {
    /// Source → the started_at of its full read in progress.
    active: HashMap<String, i64>,
    /// Without a store only: the ids each full read in progress upserted.
    seen: HashMap<String, HashSet<String>>,
}

impl Hub {
    /// A full read begins (or resumes with its original `started_at`).
    pub(super) fn sync_started(
        &mut self,
        source: String,
        started_at: i64,
        resumed: Option<Checkpoint>,
    ) -> bool {
        let same = self.syncs.active.get(&source) == Some(&started_at);
        match self.store.as_mut() {
            Some(store) => store.begin_full_sync(&source, started_at),
            None if same && resumed.is_some() => {}
            None => {
                self.syncs.seen.insert(source.clone(), HashSet::new());
            }
        }
        self.syncs.active.insert(source, started_at);
        false
    }

    /// The page before this checkpoint is applied: a restart may continue from here.
    pub(super) fn sync_checkpoint(&mut self, source: &str, cp: &Checkpoint) -> bool {
        if let Some(store) = self.store.as_ref() {
            let r = store.save_checkpoint(source, cp);
            self.store_result(r);
        }
        false
    }

    /// Ids upserted for `source` (only needed without a store, where no marks are kept).
    pub(super) fn sync_upserted<'a>(&mut self, source: &str, ids: impl Iterator<Item = &'a str>) {
        if self.store.is_none()
            && let Some(seen) = self.syncs.seen.get_mut(source)
        {
            seen.extend(ids.map(str::to_owned));
        }
    }

    /// Findings of `source` that no longer count (those now held for another source stay).
    pub(super) fn sync_gone(&mut self, source: &str, ids: Vec<String>) -> bool {
        let gone: Vec<String> = ids
            .into_iter()
            .filter(|id| {
                self.findings
                    .get(id.as_str())
                    .is_some_and(|f| f.source == source)
            })
            .collect();
        if gone.is_empty() {
            return false;
        }
        for id in &gone {
            self.findings.remove(id.as_str());
        }
        if let Some(store) = self.store.as_mut() {
            let r = store.remove(&gone);
            self.store_result(r);
        }
        self.insights_stale = true;
        true
    }

    /// The full read `started_at` of `source` completed: what it did not return is gone.
    /// A `SyncDone` without a matching `SyncStarted` removes nothing.
    pub(super) fn sync_finished(&mut self, source: &str, started_at: i64) {
        if self.syncs.active.get(source) != Some(&started_at) {
            return;
        }
        self.syncs.active.remove(source);
        let gone: Vec<String> = match self.store.as_mut() {
            Some(store) => {
                let r = store.finish_full_sync(source, started_at);
                self.store_result(r).unwrap_or_default()
            }
            None => {
                let seen = self.syncs.seen.remove(source).unwrap_or_default();
                self.findings
                    .iter()
                    .filter(|f| {
                        f.source == source && !seen.contains(&f.id) && f.updated_at < started_at
                    })
                    .map(|f| f.id.clone())
                    .collect()
            }
        };
        if !gone.is_empty() {
            tracing::info!(
                source,
                "{} findings not returned by the full read are gone",
                gone.len()
            );
        }
        for id in &gone {
            self.findings.remove(id.as_str());
        }
    }
}
