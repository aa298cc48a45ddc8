//! The files of one `[[sarif]]` entry and what was read from each.
//!
//! A scan lists the SARIF files under the configured paths with their size, mtime and inode
//! (a few `stat`s); a file whose stamp is unchanged is served from the cache, so the short
//! watch interval costs nothing while a directory is idle. A file that fails to parse while
//! it is fresh (a CI job may still be writing it) is retried on the next scan and reported
//! only once it has been left alone for `settle`; meanwhile, and while it stays broken, the
//! findings of its last good version are kept.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::normalize::{FileContext, normalize_file};
use crate::sources::Normalized;

/// Directory levels below a configured directory that are searched.
pub const MAX_DEPTH: usize = 4;
/// Files per configured entry, so a path pointed at a huge tree stays cheap.
pub const MAX_FILES: usize = 10_000;
/// Larger files are reported, not read.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// What identifies one version of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub len: u64,
    pub mtime_ns: i128,
    pub ino: u64,
}

impl Stamp {
    fn of(m: &std::fs::Metadata) -> Stamp {
        Stamp {
            len: m.len(),
            mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
            ino: m.ino(),
        }
    }

    fn mtime_ms(&self) -> i64 {
        (self.mtime_ns / 1_000_000) as i64
    }
}

/// `*.sarif` and `*.sarif.json`, any case (inside directories; a file named in the config
/// is read whatever its name).
pub fn is_sarif_name(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    l.ends_with(".sarif") || l.ends_with(".sarif.json")
}

/// The SARIF files under `paths`, sorted, and one line per path that could not be listed.
pub fn scan(paths: &[PathBuf]) -> (Vec<(PathBuf, Stamp)>, Vec<String>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for p in paths {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => walk(p, 0, &mut files, &mut problems),
            Ok(m) => files.push((p.clone(), Stamp::of(&m))),
            Err(e) => problems.push(format!("{}: {e}", p.display())),
        }
    }
    if files.len() > MAX_FILES {
        problems.push(format!(
            "more than {MAX_FILES} SARIF files: the rest are ignored"
        ));
        files.truncate(MAX_FILES);
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files.dedup_by(|a, b| a.0 == b.0);
    (files, problems)
}

fn walk(dir: &Path, depth: usize, files: &mut Vec<(PathBuf, Stamp)>, problems: &mut Vec<String>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            problems.push(format!("{}: {e}", dir.display()));
            return;
        }
    };
    for entry in entries.flatten() {
        if files.len() > MAX_FILES {
            return;
        }
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_dir() {
            // Symlinked directories are not followed (no loops, no escaping the tree).
            if depth + 1 < MAX_DEPTH {
                walk(&path, depth + 1, files, problems);
            }
        } else if is_sarif_name(&name)
            && let Ok(m) = std::fs::metadata(&path)
            && m.is_file()
        {
            files.push((path, Stamp::of(&m)));
        }
    }
}

enum State {
    Good(Arc<[Normalized]>, Arc<[String]>),
    /// Failed while fresh: retried on the next read.
    Pending,
    /// Failed and settled: reported on every read until the file changes.
    Broken(String),
}

struct Entry {
    stamp: Stamp,
    state: State,
    /// Findings of the last version that parsed, kept while a newer one is broken.
    last_good: Option<Arc<[Normalized]>>,
}

/// One read of all files.
#[derive(Debug, Default)]
pub struct Read {
    pub items: Vec<Normalized>,
    pub skipped: Vec<String>,
    /// Files whose findings (current or last good) are in `items`.
    pub files_read: usize,
    pub files_broken: usize,
}

pub struct Watch {
    pub paths: Vec<PathBuf>,
    pub source: String,
    pub repository: String,
    pub settle: Duration,
    files: HashMap<PathBuf, Entry>,
    /// The listing the last successful read served.
    served: Option<Vec<(PathBuf, Stamp)>>,
}

fn ms(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    }
}

impl Watch {
    pub fn new(paths: Vec<PathBuf>, source: String, repository: String, settle: Duration) -> Self {
        Watch {
            paths,
            source,
            repository,
            settle,
            files: HashMap::new(),
            served: None,
        }
    }

    /// Cheap: one scan, no reads. True when a read now could differ from the last one.
    pub fn changed(&self) -> bool {
        if self
            .files
            .values()
            .any(|e| matches!(e.state, State::Pending))
        {
            return true;
        }
        let (listing, _) = scan(&self.paths);
        self.served.as_ref() != Some(&listing)
    }

    /// Reads every file (unchanged ones from the cache).
    pub fn read(&mut self, now: SystemTime) -> Read {
        let (listing, mut problems) = scan(&self.paths);
        let now_ms = ms(now);
        let mut out = Read::default();
        let mut keep: HashMap<PathBuf, Entry> = HashMap::with_capacity(listing.len());
        // (file mtime, findings): the newest file wins when two files report one finding.
        let mut parts: Vec<(i64, Arc<[Normalized]>)> = Vec::new();
        for (path, stamp) in &listing {
            let old = self.files.remove(path);
            let entry = match old {
                Some(e) if e.stamp == *stamp && !matches!(e.state, State::Pending) => e,
                old => {
                    let last_good = old.and_then(|e| match e.state {
                        State::Good(items, _) => Some(items),
                        _ => e.last_good,
                    });
                    let age = Duration::from_millis((now_ms - stamp.mtime_ms()).max(0) as u64);
                    self.load(path, *stamp, age, last_good, now_ms)
                }
            };
            match &entry.state {
                State::Good(items, skipped) => {
                    out.files_read += 1;
                    out.skipped.extend(skipped.iter().cloned());
                    parts.push((stamp.mtime_ms(), items.clone()));
                }
                State::Pending | State::Broken(_) => {
                    if let State::Broken(e) = &entry.state {
                        out.files_broken += 1;
                        problems.push(e.clone());
                    }
                    if let Some(items) = &entry.last_good {
                        out.files_read += 1;
                        parts.push((stamp.mtime_ms(), items.clone()));
                    }
                }
            }
            keep.insert(path.clone(), entry);
        }
        self.files = keep;
        self.served = Some(listing);
        parts.sort_by_key(|(t, _)| *t);
        let total = parts.iter().map(|(_, p)| p.len()).sum();
        let mut at: HashMap<&str, usize> = HashMap::with_capacity(total);
        let mut items: Vec<&Normalized> = Vec::with_capacity(total);
        for (_, part) in &parts {
            for n in part.iter() {
                match at.get(n.finding.id.as_str()) {
                    Some(&i) => items[i] = n,
                    None => {
                        at.insert(&n.finding.id, items.len());
                        items.push(n);
                    }
                }
            }
        }
        out.items = items.into_iter().cloned().collect();
        problems.append(&mut out.skipped);
        out.skipped = problems;
        out
    }

    fn load(
        &self,
        path: &Path,
        stamp: Stamp,
        age: Duration,
        last_good: Option<Arc<[Normalized]>>,
        now_ms: i64,
    ) -> Entry {
        let file = path.display().to_string();
        let parsed = if stamp.len > MAX_FILE_BYTES {
            Err(format!("{file}: {} bytes is too large to read", stamp.len))
        } else {
            match std::fs::read(path) {
                Ok(bytes) => normalize_file(
                    &bytes,
                    &FileContext {
                        source: &self.source,
                        repository: &self.repository,
                        file: &file,
                        // A file stamped in the future must still be seen as gone when it
                        // is deleted.
                        mtime_ms: stamp.mtime_ms().min(now_ms),
                        local_roots: true,
                    },
                ),
                Err(e) => Err(format!("{file}: {e}")),
            }
        };
        let state = match parsed {
            Ok(f) => State::Good(f.items.into(), f.skipped.into()),
            Err(e) if age < self.settle => {
                tracing::debug!("{e} (retrying: the file may still be being written)");
                State::Pending
            }
            Err(e) => State::Broken(e),
        };
        Entry {
            stamp,
            state,
            last_good,
        }
    }
}
