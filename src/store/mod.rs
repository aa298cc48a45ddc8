//! SQLite store: the findings cache (with raw JSON) and per-source sync state.
//! Later features (posture history, remediation queue) add tables through migrations.

use std::fs::OpenOptions;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use crate::model::Finding;
use crate::poller::{Checkpoint, SyncKind};
use crate::sources::Normalized;

mod sync;

mod migrations;
use migrations::MIGRATIONS;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Sql {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("{path}: schema version {found} is newer than this build understands ({known})")]
    TooNew {
        path: PathBuf,
        found: usize,
        known: usize,
    },
}

/// Persisted sync state of one source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceState {
    pub watermark: Option<i64>,
    pub last_full_sync: Option<i64>,
    pub last_ok: Option<i64>,
    /// An interrupted full read (written by [`Store::save_checkpoint`], not by
    /// [`Store::save_source_state`]).
    pub checkpoint: Option<crate::poller::Checkpoint>,
    /// Findings of the source after its last completed full read.
    pub last_full_count: Option<u64>,
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Full reads in progress in this process: source → the read's started_at, written as
    /// `sync_mark` on every finding `upsert` stores for that source.
    marks: std::collections::HashMap<String, i64>,
}

/// One page of cached findings (see [`Store::load_findings_page`]).
#[derive(Debug, Default)]
pub struct Page {
    pub findings: Vec<Finding>,
    /// Rows that no longer parse (skipped and counted).
    pub bad: usize,
    pub next: Option<i64>,
}

impl Store {
    /// Opens (creating with mode 0600) and migrates the store at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let io = |source| StoreError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let existed = path.exists();
        // Create the file ourselves so it never exists with a wider mode, even briefly.
        OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)
            .map_err(io)?;
        if !existed {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Sql {
            path: path.to_path_buf(),
            source,
        })?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            marks: Default::default(),
        };
        store.init()?;
        Ok(store)
    }

    /// An in-memory store for tests and headless one-shot runs.
    pub fn in_memory() -> Result<Store, StoreError> {
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Sql {
            path: PathBuf::from(":memory:"),
            source,
        })?;
        let mut store = Store {
            conn,
            path: PathBuf::from(":memory:"),
            marks: Default::default(),
        };
        store.init()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for modules that keep their own tables (the remediation queue).
    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The migrated connection alone (the audit log keeps one for its anchor).
    pub fn into_connection(self) -> Connection {
        self.conn
    }

    fn sql<T>(&self, r: rusqlite::Result<T>) -> Result<T, StoreError> {
        r.map_err(|source| StoreError::Sql {
            path: self.path.clone(),
            source,
        })
    }

    fn init(&mut self) -> Result<(), StoreError> {
        // WAL + busy timeout: several consoles on one bastion may share a store.
        let r = self.conn.busy_timeout(Duration::from_secs(10));
        self.sql(r)?;
        let r = self
            .conn
            .pragma_update(None, "journal_mode", "WAL")
            .and_then(|_| self.conn.pragma_update(None, "synchronous", "NORMAL"))
            .and_then(|_| self.conn.pragma_update(None, "foreign_keys", "ON"));
        self.sql(r)?;
        let r = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0));
        let version = self.sql(r)? as usize;
        if version > MIGRATIONS.len() {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: version,
                known: MIGRATIONS.len(),
            });
        }
        let path = self.path.clone();
        for (i, m) in MIGRATIONS.iter().enumerate().skip(version) {
            let r = self.conn.transaction().and_then(|tx| {
                tx.execute_batch(m)?;
                tx.pragma_update(None, "user_version", (i + 1) as i64)?;
                tx.commit()
            });
            r.map_err(|source| StoreError::Sql {
                path: path.clone(),
                source,
            })?;
        }
        Ok(())
    }

    pub fn schema_version(&self) -> usize {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
            .unwrap_or(0) as usize
    }

    /// Inserts or replaces findings (one transaction). A finding of a source with a full read
    /// in progress ([`Store::begin_full_sync`]) gets that read's mark; others keep theirs.
    pub fn upsert(&mut self, items: &[Normalized]) -> Result<(), StoreError> {
        let path = self.path.clone();
        let sql = |source| StoreError::Sql {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(sql)?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO findings (id, source, updated_at, record_state, data, raw, sync_mark)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT(id) DO UPDATE SET source = excluded.source,
                       updated_at = excluded.updated_at, record_state = excluded.record_state,
                       data = excluded.data, raw = excluded.raw,
                       sync_mark = coalesce(excluded.sync_mark, findings.sync_mark)",
                )
                .map_err(sql)?;
            for n in items {
                let f = &n.finding;
                let data = serde_json::to_string(f).expect("Finding serialises");
                stmt.execute(params![
                    f.id,
                    f.source.as_str(),
                    f.updated_at,
                    f.record_state.as_str(),
                    data,
                    &*n.raw,
                    self.marks.get(f.source.as_str())
                ])
                .map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)
    }

    pub fn remove(&mut self, ids: &[String]) -> Result<(), StoreError> {
        let path = self.path.clone();
        let sql = |source| StoreError::Sql {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(sql)?;
        {
            let mut stmt = tx
                .prepare_cached("DELETE FROM findings WHERE id = ?1")
                .map_err(sql)?;
            for id in ids {
                stmt.execute([id]).map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)
    }

    /// Every cached finding. Rows that no longer deserialise are skipped and counted.
    pub fn load_findings(&self) -> Result<(Vec<Finding>, usize), StoreError> {
        let (mut out, mut bad, mut after) = (Vec::new(), 0, 0);
        loop {
            let page = self.load_findings_page(after, 50_000)?;
            out.extend(page.findings);
            bad += page.bad;
            match page.next {
                Some(n) => after = n,
                None => return Ok((out, bad)),
            }
        }
    }

    /// Number of cached findings (what a paged load will bring).
    pub fn count_findings(&self) -> Result<u64, StoreError> {
        let r = self
            .conn
            .query_row("SELECT COUNT(*) FROM findings", [], |r| r.get::<_, i64>(0));
        self.sql(r).map(|n| n.max(0) as u64)
    }

    /// Up to `limit` cached findings after row `after` (0: from the start), in row order;
    /// `next` is where the following page starts (None after the last).
    pub fn load_findings_page(&self, after: i64, limit: usize) -> Result<Page, StoreError> {
        let mut stmt = self.sql(self.conn.prepare_cached(
            "SELECT rowid, data FROM findings WHERE rowid > ?1 ORDER BY rowid LIMIT ?2",
        ))?;
        let rows = self.sql(stmt.query_map(params![after, limit as i64], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        }))?;
        let mut page = Page::default();
        let (mut n, mut last) = (0, after);
        for row in rows {
            let (rowid, data) = self.sql(row)?;
            (n, last) = (n + 1, rowid);
            match serde_json::from_str::<Finding>(&data) {
                Ok(f) => page.findings.push(f),
                Err(e) => {
                    page.bad += 1;
                    tracing::warn!("skipping unreadable cached finding: {e}");
                }
            }
        }
        page.next = (n == limit).then_some(last);
        Ok(page)
    }

    pub fn raw_json(&self, id: &str) -> Result<Option<String>, StoreError> {
        let r = self
            .conn
            .query_row("SELECT raw FROM findings WHERE id = ?1", [id], |r| r.get(0))
            .optional();
        self.sql(r)
    }

    /// Keeps a note the provider cannot hold.
    pub fn set_local_note(&self, id: &str, note: &crate::model::Note) -> Result<(), StoreError> {
        let r = self.conn.execute(
            "INSERT OR REPLACE INTO local_notes (finding_id, text, updated_by, updated_at) VALUES (?1, ?2, ?3, ?4)",
            params![id, note.text, note.updated_by, note.updated_at],
        );
        self.sql(r).map(|_| ())
    }

    /// Every note kept locally, by finding id.
    pub fn local_notes(
        &self,
    ) -> Result<std::collections::HashMap<String, crate::model::Note>, StoreError> {
        let mut stmt = self.sql(
            self.conn
                .prepare("SELECT finding_id, text, updated_by, updated_at FROM local_notes"),
        )?;
        let rows = self.sql(stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                crate::model::Note {
                    text: r.get(1)?,
                    updated_by: r.get(2)?,
                    updated_at: r.get(3)?,
                },
            ))
        }))?;
        Ok(rows.filter_map(Result::ok).collect())
    }

    pub fn add_history(&self, p: &crate::posture::history::Point) -> Result<(), StoreError> {
        let data = serde_json::to_string(p).expect("point serialises");
        let r = self.conn.execute(
            "INSERT OR REPLACE INTO posture_history (at, data) VALUES (?1, ?2)",
            params![p.at, data],
        );
        self.sql(r).map(|_| ())
    }

    /// Every stored point, oldest first (unreadable rows are skipped).
    pub fn history(&self) -> Result<Vec<crate::posture::history::Point>, StoreError> {
        let mut stmt = self.sql(
            self.conn
                .prepare("SELECT data FROM posture_history ORDER BY at"),
        )?;
        let rows = self.sql(stmt.query_map([], |r| r.get::<_, String>(0)))?;
        Ok(rows
            .filter_map(|r| r.ok().and_then(|s| serde_json::from_str(&s).ok()))
            .collect())
    }

    /// Downsamples and applies retention; returns how many points were removed.
    pub fn compact_history(&mut self, now: i64, retention_days: u32) -> Result<usize, StoreError> {
        let points = self.history()?;
        let keep: std::collections::HashSet<i64> =
            crate::posture::history::keep(&points, now, retention_days)
                .into_iter()
                .collect();
        let gone: Vec<i64> = points
            .iter()
            .map(|p| p.at)
            .filter(|t| !keep.contains(t))
            .collect();
        let path = self.path.clone();
        let sql = |source| StoreError::Sql {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(sql)?;
        for t in &gone {
            tx.execute("DELETE FROM posture_history WHERE at = ?1", [t])
                .map_err(sql)?;
        }
        tx.commit().map_err(sql)?;
        Ok(gone.len())
    }

    pub fn count(&self) -> usize {
        self.conn
            .query_row("SELECT count(*) FROM findings", [], |r| r.get::<_, i64>(0))
            .unwrap_or(0) as usize
    }

    pub fn source_state(&self, key: &str) -> Result<SourceState, StoreError> {
        let r = self
            .conn
            .query_row(
                "SELECT watermark, last_full_sync, last_ok, sync_kind, sync_started_at, sync_from,
                        sync_pages, sync_findings, last_full_count
                 FROM sources WHERE key = ?1",
                [key],
                |r| {
                    let kind: Option<String> = r.get(3)?;
                    let started: Option<i64> = r.get(4)?;
                    let from: Option<i64> = r.get(5)?;
                    let checkpoint =
                        match (kind.as_deref().and_then(SyncKind::parse), started, from) {
                            (Some(kind), Some(started_at), Some(updated_at)) => Some(Checkpoint {
                                kind,
                                started_at,
                                updated_at,
                                pages: r.get::<_, Option<u32>>(6)?.unwrap_or(0),
                                findings: r.get::<_, Option<i64>>(7)?.unwrap_or(0).max(0) as u64,
                            }),
                            _ => None,
                        };
                    Ok(SourceState {
                        watermark: r.get(0)?,
                        last_full_sync: r.get(1)?,
                        last_ok: r.get(2)?,
                        checkpoint,
                        last_full_count: r.get::<_, Option<i64>>(8)?.map(|n| n.max(0) as u64),
                    })
                },
            )
            .optional();
        Ok(self.sql(r)?.unwrap_or_default())
    }

    pub fn save_source_state(&self, key: &str, s: &SourceState) -> Result<(), StoreError> {
        let r = self.conn.execute(
            "INSERT INTO sources (key, watermark, last_full_sync, last_ok) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(key) DO UPDATE SET watermark = excluded.watermark,
               last_full_sync = excluded.last_full_sync, last_ok = excluded.last_ok",
            params![key, s.watermark, s.last_full_sync, s.last_ok],
        );
        self.sql(r).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::asff::normalize_page;
    use crate::sources::demo::DemoFleet;

    fn sample(n: usize) -> Vec<Normalized> {
        let body = DemoFleet::new(1, n, 1_700_000_000_000).body();
        normalize_page(&body, "demo/x/us-east-1").unwrap().items
    }

    #[test]
    fn creates_0600_and_migrates_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/hubble.db");
        let items = sample(120);
        {
            let mut s = Store::open(&path).unwrap();
            assert_eq!(s.schema_version(), MIGRATIONS.len());
            s.upsert(&items).unwrap();
            s.upsert(&items[..10]).unwrap();
            s.save_source_state(
                "k",
                &SourceState {
                    watermark: Some(5),
                    last_full_sync: Some(6),
                    last_ok: None,
                    ..Default::default()
                },
            )
            .unwrap();
        }
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let mut s = Store::open(&path).unwrap();
        let (loaded, bad) = s.load_findings().unwrap();
        assert_eq!((loaded.len(), bad), (120, 0));
        let orig = items.iter().find(|n| n.finding.id == loaded[0].id).unwrap();
        assert_eq!(&loaded[0], &orig.finding);
        assert_eq!(
            s.raw_json(&orig.finding.id).unwrap().as_deref(),
            Some(&*orig.raw)
        );
        assert_eq!(s.source_state("k").unwrap().watermark, Some(5));
        assert_eq!(s.source_state("other").unwrap(), SourceState::default());
        s.remove(std::slice::from_ref(&orig.finding.id)).unwrap();
        assert_eq!(s.count(), 119);
    }

    #[test]
    fn refuses_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.db");
        drop(Store::open(&path).unwrap());
        let c = Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
        drop(c);
        assert!(matches!(
            Store::open(&path),
            Err(StoreError::TooNew { found: 99, .. })
        ));
    }

    #[test]
    fn corrupt_rows_are_skipped_and_counted() {
        let mut s = Store::in_memory().unwrap();
        s.upsert(&sample(3)).unwrap();
        s.conn
            .execute("UPDATE findings SET data = '{nope' WHERE rowid = 1", [])
            .unwrap();
        let (loaded, bad) = s.load_findings().unwrap();
        assert_eq!((loaded.len(), bad), (2, 1));
    }
}
