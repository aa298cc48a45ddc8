//! Full reads in the store: marks instead of a set of every id returned, checkpoints to
//! resume from, and the count the next read is measured against.
//!
//! While a full read of a source runs, every finding the hub upserts for it is marked with the
//! read's `started_at`. When it completes, the source's findings with an older mark (or none)
//! that were not updated since it began were not returned: they are gone. "Older", not
//! "different": consoles sharing one store may read the same source at the same time, and a
//! finding a later read returned must not be dropped by an earlier one.

use rusqlite::params;

use super::{Store, StoreError};
use crate::poller::Checkpoint;

impl Store {
    /// From now on `upsert` marks this source's findings with `started_at` (a resumed read
    /// passes its original `started_at`, so what it read before the interruption still counts).
    pub fn begin_full_sync(&mut self, source: &str, started_at: i64) {
        self.marks.insert(source.to_string(), started_at);
    }

    /// The full read in progress for `source` in this process, if any.
    pub fn full_sync_mark(&self, source: &str) -> Option<i64> {
        self.marks.get(source).copied()
    }

    /// Where an interrupted read of `source` continues (after the page it follows is stored).
    pub fn save_checkpoint(&self, source: &str, cp: &Checkpoint) -> Result<(), StoreError> {
        let r = self.conn.execute(
            "INSERT INTO sources (key, sync_kind, sync_started_at, sync_from, sync_pages, sync_findings)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(key) DO UPDATE SET sync_kind = excluded.sync_kind,
               sync_started_at = excluded.sync_started_at, sync_from = excluded.sync_from,
               sync_pages = excluded.sync_pages, sync_findings = excluded.sync_findings",
            params![
                source,
                cp.kind.as_str(),
                cp.started_at,
                cp.updated_at,
                cp.pages,
                cp.findings as i64
            ],
        );
        self.sql(r).map(|_| ())
    }

    /// The source's findings the read begun at `started_at` has not returned (so far) and
    /// that were not updated since it began.
    pub fn unmarked(&self, source: &str, started_at: i64) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.sql(self.conn.prepare_cached(
            "SELECT id FROM findings WHERE source = ?1
               AND (sync_mark IS NULL OR sync_mark < ?2) AND updated_at < ?2",
        ))?;
        let rows = self.sql(stmt.query_map(params![source, started_at], |r| r.get(0)))?;
        rows.map(|r| self.sql(r)).collect()
    }

    /// The read begun at `started_at` completed: removes what it did not return (see the
    /// module), forgets its checkpoint, keeps the source's count for the next read's estimate,
    /// and returns the removed ids. One transaction.
    pub fn finish_full_sync(
        &mut self,
        source: &str,
        started_at: i64,
    ) -> Result<Vec<String>, StoreError> {
        self.marks.remove(source);
        let gone = self.unmarked(source, started_at)?;
        let path = self.path.clone();
        let sql = |source| StoreError::Sql {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(sql)?;
        tx.execute(
            "DELETE FROM findings WHERE source = ?1
               AND (sync_mark IS NULL OR sync_mark < ?2) AND updated_at < ?2",
            params![source, started_at],
        )
        .map_err(sql)?;
        let count: i64 = tx
            .query_row(
                "SELECT count(*) FROM findings WHERE source = ?1",
                [source],
                |r| r.get(0),
            )
            .map_err(sql)?;
        tx.execute(
            "INSERT INTO sources (key, last_full_count) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET last_full_count = excluded.last_full_count,
               sync_kind = NULL, sync_started_at = NULL, sync_from = NULL, sync_pages = NULL,
               sync_findings = NULL",
            params![source, count],
        )
        .map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(gone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::poller::SyncKind;
    use crate::sources::Normalized;
    use crate::sources::memory::sample_finding;

    fn item(n: usize, updated: i64) -> Normalized {
        let mut f = sample_finding(n, updated);
        f.source = "s".into();
        Normalized {
            raw: "{}".into(),
            finding: f,
        }
    }

    #[test]
    fn a_full_read_removes_what_it_did_not_return() {
        let mut s = Store::in_memory().unwrap();
        s.upsert(&(0..5).map(|n| item(n, 100)).collect::<Vec<_>>())
            .unwrap();
        s.begin_full_sync("s", 1_000);
        // Returned: 0 and 1.
        s.upsert(&[item(0, 100), item(1, 100)]).unwrap();
        s.end_for_test("s");
        s.upsert(&[item(3, 100)]).unwrap(); // not in the read: no mark
        // Not returned, but updated after the read began (another console's poll): kept.
        s.upsert(&[item(4, 2_000)]).unwrap();
        let cp = Checkpoint {
            kind: SyncKind::Full,
            started_at: 1_000,
            updated_at: 100,
            pages: 1,
            findings: 2,
        };
        s.save_checkpoint("s", &cp).unwrap();
        assert_eq!(s.source_state("s").unwrap().checkpoint, Some(cp));
        let mut gone = s.finish_full_sync("s", 1_000).unwrap();
        gone.sort();
        assert_eq!(gone, vec!["f-000002", "f-000003"]);
        let st = s.source_state("s").unwrap();
        assert_eq!((st.checkpoint, st.last_full_count), (None, Some(3)));
        assert_eq!(s.count(), 3);
    }

    #[test]
    fn an_earlier_read_never_drops_what_a_later_one_returned() {
        // Two consoles on one store read the same source; B began later and marked 1.
        let mut s = Store::in_memory().unwrap();
        s.upsert(&[item(0, 100), item(1, 100)]).unwrap();
        s.begin_full_sync("s", 2_000);
        s.upsert(&[item(1, 100)]).unwrap();
        s.end_for_test("s");
        s.begin_full_sync("s", 1_000);
        s.upsert(&[item(0, 100)]).unwrap();
        assert!(s.finish_full_sync("s", 1_000).unwrap().is_empty());
        // B's own end drops 0, which B did not return.
        assert_eq!(s.finish_full_sync("s", 2_000).unwrap(), vec!["f-000000"]);
    }

    impl Store {
        fn end_for_test(&mut self, source: &str) {
            self.marks.remove(source);
        }
    }
}
