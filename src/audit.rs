//! Append-only audit log: JSON lines, each with a sequence number and the hash of the
//! previous line, so an edit, a removal or a reordering breaks the chain. The head (sequence +
//! hash of the last line) is anchored outside the file, in the store, in the same step as the
//! write, so a deleted tail or a rewritten chain is named by `audit verify`. With a key
//! (keyed mode) the hashes are HMAC-SHA256, so someone who can write both the log and the
//! store still cannot forge entries. A torn last line (crash or full disk mid-write) is
//! detected at the next write and recorded by a repair entry that keeps the chain verifiable.
//! Entries are written (and synced) before the action they describe is performed.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use hmac::{Hmac, KeyInit, Mac};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{format_rfc3339, now_ms};

pub mod verify;

pub use verify::{Report, verify};

/// Hash that the first entry points back to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
pub const ALG_SHA256: &str = "sha256";
pub const ALG_HMAC: &str = "hmac-sha256";
/// The action of an entry that records a torn line before it.
pub const REPAIR_ACTION: &str = "audit:repair";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// 1, 2, 3 … (absent in entries written before sequence numbers existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    pub ts: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    #[serde(default)]
    pub justification: String,
    /// `pending` when written before the action; a later entry records the result.
    pub outcome: String,
    /// Hash (or HMAC) of the previous line, as `alg` says.
    pub prev: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
}

/// The secret of keyed mode.
#[derive(Clone)]
pub struct Key(Vec<u8>);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(…)")
    }
}

impl Key {
    pub fn new(bytes: Vec<u8>) -> Result<Key, String> {
        if bytes.len() < 16 {
            return Err(format!(
                "the audit key has {} bytes; use at least 16 random bytes",
                bytes.len()
            ));
        }
        Ok(Key(bytes))
    }

    /// Reads a key file, which must be a regular file readable by its owner only.
    pub fn from_file(path: &Path) -> Result<Key, String> {
        let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(format!(
                "{}: the audit key file must not be readable by group or others (chmod 600)",
                path.display()
            ));
        }
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Key::new(trim_ascii(&bytes).to_vec()).map_err(|e| format!("{}: {e}", path.display()))
    }
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    &b[start..end]
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hash of a line under `alg`; None when the alg needs a key we do not have.
pub fn line_hash(line: &[u8], alg: &str, key: Option<&Key>) -> Option<String> {
    match alg {
        ALG_HMAC => {
            let mut mac = Hmac::<Sha256>::new_from_slice(&key?.0).expect("HMAC takes any key");
            mac.update(line);
            Some(hex(&mac.finalize().into_bytes()))
        }
        _ => Some(hex(&Sha256::digest(line))),
    }
}

/// The store's record of the log's head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub seq: u64,
    pub head: String,
    pub alg: String,
}

/// The anchor row's key: the log's absolute path (several logs may share one store).
pub fn anchor_id(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

pub fn read_anchor(conn: &Connection, log: &Path) -> rusqlite::Result<Option<Anchor>> {
    conn.query_row(
        "SELECT seq, head, alg FROM audit_anchor WHERE log = ?1",
        [anchor_id(log)],
        |r| {
            Ok(Anchor {
                seq: r.get::<_, i64>(0)? as u64,
                head: r.get(1)?,
                alg: r.get(2)?,
            })
        },
    )
    .optional()
}

fn write_anchor(conn: &Connection, log: &str, a: &Anchor) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO audit_anchor (log, seq, head, alg, at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(log) DO UPDATE SET seq = excluded.seq, head = excluded.head,
           alg = excluded.alg, at = excluded.at WHERE excluded.seq > audit_anchor.seq",
        params![log, a.seq as i64, a.head, a.alg, now_ms()],
    )?;
    Ok(())
}

/// What an append needs to know about the file's end.
struct Tail {
    /// Sequence number of the last complete entry (0 for an empty log).
    seq: u64,
    /// Hash of the last line under the alg we write with.
    hash: String,
    /// Bytes of an unterminated last line that is not a valid next entry.
    torn: Option<(u64, Vec<u8>)>,
    /// The last line is complete but its newline is missing.
    missing_newline: bool,
}

pub struct AuditLog {
    path: PathBuf,
    file: File,
    key: Option<Key>,
    /// A connection to the store holding the anchor (None: not anchored, tests only).
    anchor: Option<Connection>,
    anchor_id: String,
}

impl AuditLog {
    /// Opens (creating 0600) the log. `store` is the SQLite store that anchors it.
    pub fn open(path: &Path, store: Option<&Path>, key: Option<Key>) -> std::io::Result<AuditLog> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .mode(0o600)
            .open(path)?;
        let anchor = match store {
            Some(s) => Some(
                crate::store::Store::open(s)
                    .map_err(std::io::Error::other)?
                    .into_connection(),
            ),
            None => None,
        };
        Ok(AuditLog {
            path: path.to_path_buf(),
            file,
            key,
            anchor,
            anchor_id: anchor_id(path),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn keyed(&self) -> bool {
        self.key.is_some()
    }

    fn alg(&self) -> &'static str {
        if self.key.is_some() {
            ALG_HMAC
        } else {
            ALG_SHA256
        }
    }

    /// Appends one entry, synced to disk and anchored in the store before returning.
    pub fn record(
        &mut self,
        actor: &str,
        action: &str,
        target: &str,
        justification: &str,
        outcome: &str,
    ) -> std::io::Result<()> {
        let Some(mut conn) = self.anchor.take() else {
            return self.locked_append(None, actor, action, target, justification, outcome);
        };
        // Store lock first, then the file lock: the same order as `record_in`.
        let result = (|| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(std::io::Error::other)?;
            self.locked_append(Some(&tx), actor, action, target, justification, outcome)?;
            tx.commit().map_err(std::io::Error::other)
        })();
        self.anchor = Some(conn);
        result
    }

    /// Appends one entry and anchors it inside the caller's (immediate) transaction on the
    /// same store, so the entry and the change it describes commit together.
    pub fn record_in(
        &mut self,
        tx: &Connection,
        actor: &str,
        action: &str,
        target: &str,
        justification: &str,
        outcome: &str,
    ) -> std::io::Result<()> {
        self.locked_append(Some(tx), actor, action, target, justification, outcome)
    }

    fn locked_append(
        &mut self,
        anchor: Option<&Connection>,
        actor: &str,
        action: &str,
        target: &str,
        justification: &str,
        outcome: &str,
    ) -> std::io::Result<()> {
        // An exclusive file lock keeps one chain with several consoles on one bastion.
        self.file.lock()?;
        let result = self.append(anchor, actor, action, target, justification, outcome);
        let _ = self.file.unlock();
        result
    }

    fn append(
        &mut self,
        anchor: Option<&Connection>,
        actor: &str,
        action: &str,
        target: &str,
        justification: &str,
        outcome: &str,
    ) -> std::io::Result<()> {
        let mut tail = self.tail()?;
        if tail.missing_newline {
            self.write_line(b"")?;
        }
        if let Some((offset, bytes)) = tail.torn.take() {
            self.write_line(b"")?;
            let repair = Entry {
                seq: Some(tail.seq + 1),
                ts: format_rfc3339(now_ms()),
                actor: "agent-hubble".into(),
                action: REPAIR_ACTION.into(),
                target: format!(
                    "torn line at byte {offset} ({} bytes; a write was cut short)",
                    bytes.len()
                ),
                justification: String::new(),
                outcome: "repaired".into(),
                prev: line_hash(&bytes, self.alg(), self.key.as_ref()).expect("own key"),
                alg: Some(self.alg().into()),
            };
            let (seq, hash) = self.write_entry(&repair)?;
            tail.seq = seq;
            tail.hash = hash;
        }
        let entry = Entry {
            seq: Some(tail.seq + 1),
            ts: format_rfc3339(now_ms()),
            actor: actor.to_string(),
            action: action.to_string(),
            target: target.to_string(),
            justification: justification.to_string(),
            outcome: outcome.to_string(),
            prev: tail.hash,
            alg: Some(self.alg().into()),
        };
        let (seq, head) = self.write_entry(&entry)?;
        if let Some(conn) = anchor {
            let a = Anchor {
                seq,
                head,
                alg: self.alg().into(),
            };
            write_anchor(conn, &self.anchor_id, &a).map_err(std::io::Error::other)?;
        }
        Ok(())
    }

    fn write_line(&mut self, line: &[u8]) -> std::io::Result<()> {
        let mut buf = line.to_vec();
        buf.push(b'\n');
        self.file.write_all(&buf)?;
        self.file.sync_data()
    }

    fn write_entry(&mut self, e: &Entry) -> std::io::Result<(u64, String)> {
        let line = serde_json::to_vec(e).map_err(std::io::Error::other)?;
        self.write_line(&line)?;
        let hash = line_hash(&line, self.alg(), self.key.as_ref()).expect("own key");
        Ok((e.seq.unwrap_or(0), hash))
    }

    /// Reads the end of the file: the last complete entry's sequence and hash, and a torn
    /// last line if there is one.
    fn tail(&self) -> std::io::Result<Tail> {
        let mut f = File::open(&self.path)?;
        let len = f.metadata()?.len();
        let mut start = len.saturating_sub(64 * 1024);
        let buf = loop {
            f.seek(SeekFrom::Start(start))?;
            let mut buf = Vec::new();
            f.read_to_end(&mut buf)?;
            // Enough when two line breaks are in view (or we read from the start).
            if start == 0 || buf.iter().filter(|&&b| b == b'\n').count() >= 3 {
                break buf;
            }
            start = start.saturating_sub(1024 * 1024);
        };
        let ends_clean = buf.last().is_none_or(|&b| b == b'\n');
        let body = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let mut lines: Vec<&[u8]> = body.rsplitn(3, |&b| b == b'\n').collect();
        if start > 0 {
            lines.truncate(2); // the third piece may start mid-line
        }
        let last = lines.first().copied().unwrap_or(b"");
        let before = lines.get(1).copied();
        if body.is_empty() {
            return Ok(Tail {
                seq: 0,
                hash: GENESIS.into(),
                torn: None,
                missing_newline: false,
            });
        }
        let parsed = serde_json::from_slice::<Entry>(last).ok();
        if ends_clean || parsed.is_some() {
            let seq = match parsed.as_ref().and_then(|e| e.seq) {
                Some(s) => s,
                None => self.count_entries()?,
            };
            return Ok(Tail {
                seq,
                hash: line_hash(last, self.alg(), self.key.as_ref()).expect("own key"),
                torn: None,
                missing_newline: !ends_clean,
            });
        }
        // Torn: the last line is cut short. The chain continues from the line before it.
        let prev_seq = match before.and_then(|b| serde_json::from_slice::<Entry>(b).ok()) {
            Some(Entry { seq: Some(s), .. }) => s,
            Some(_) => self.count_entries()?.saturating_sub(1),
            None => 0,
        };
        let offset = len - last.len() as u64;
        Ok(Tail {
            seq: prev_seq,
            hash: String::new(),
            torn: Some((offset, last.to_vec())),
            missing_newline: false,
        })
    }

    /// Entries in the file (for logs written before sequence numbers existed).
    fn count_entries(&self) -> std::io::Result<u64> {
        let mut text = Vec::new();
        File::open(&self.path)?.read_to_end(&mut text)?;
        Ok(text
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .count() as u64)
    }
}

#[cfg(test)]
mod tests;
