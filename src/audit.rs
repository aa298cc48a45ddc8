//! Append-only audit log: JSON lines, each carrying the SHA-256 of the previous line, so an
//! edit, truncation or reordering is detected by `audit verify`. Entries are written (and
//! synced) before the action they describe is performed.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{format_rfc3339, now_ms};

/// Hash that the first entry points back to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub ts: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    #[serde(default)]
    pub justification: String,
    /// `pending` when written before the action; a later entry records the result.
    pub outcome: String,
    pub prev: String,
}

pub struct AuditLog {
    path: PathBuf,
    file: File,
    last_hash: String,
}

fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl AuditLog {
    /// Opens (creating 0600) the log and finds the hash of its last line.
    pub fn open(path: &Path) -> std::io::Result<AuditLog> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)?;
        let mut last_hash = GENESIS.to_string();
        for line in BufReader::new(File::open(path)?).split(b'\n') {
            let line = line?;
            if !line.is_empty() {
                last_hash = sha256_hex(&line);
            }
        }
        Ok(AuditLog {
            path: path.to_path_buf(),
            file,
            last_hash,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Hash of the last line now in the file (another console may have appended since).
    fn tail_hash(&self) -> std::io::Result<String> {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = File::open(&self.path)?;
        let len = f.metadata()?.len();
        let mut start = len.saturating_sub(64 * 1024);
        loop {
            f.seek(SeekFrom::Start(start))?;
            let mut buf = Vec::new();
            f.read_to_end(&mut buf)?;
            let body = buf.strip_suffix(b"\n").unwrap_or(&buf);
            match body.iter().rposition(|&b| b == b'\n') {
                Some(i) => return Ok(sha256_hex(&body[i + 1..])),
                None if start == 0 => {
                    return Ok(if body.is_empty() {
                        GENESIS.to_string()
                    } else {
                        sha256_hex(body)
                    });
                }
                None => start = start.saturating_sub(1024 * 1024),
            }
        }
    }

    /// Appends one entry and syncs it to disk before returning. An exclusive file lock makes
    /// appends from several consoles on one bastion keep a single valid chain.
    pub fn record(
        &mut self,
        actor: &str,
        action: &str,
        target: &str,
        justification: &str,
        outcome: &str,
    ) -> std::io::Result<()> {
        self.file.lock()?;
        let result = self.append(actor, action, target, justification, outcome);
        let _ = self.file.unlock();
        result
    }

    fn append(
        &mut self,
        actor: &str,
        action: &str,
        target: &str,
        justification: &str,
        outcome: &str,
    ) -> std::io::Result<()> {
        self.last_hash = self.tail_hash()?;
        let entry = Entry {
            ts: format_rfc3339(now_ms()),
            actor: actor.to_string(),
            action: action.to_string(),
            target: target.to_string(),
            justification: justification.to_string(),
            outcome: outcome.to_string(),
            prev: self.last_hash.clone(),
        };
        let mut line = serde_json::to_vec(&entry).map_err(std::io::Error::other)?;
        let hash = sha256_hex(&line);
        line.push(b'\n');
        self.file.write_all(&line)?;
        self.file.sync_data()?;
        self.last_hash = hash;
        Ok(())
    }
}

/// Checks the hash chain. `Err((line, reason))` names the first broken line (1-based).
pub fn verify(path: &Path) -> Result<usize, (usize, String)> {
    let file = File::open(path).map_err(|e| (0, format!("{}: {e}", path.display())))?;
    let mut prev = GENESIS.to_string();
    let mut n = 0;
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| (n + 1, e.to_string()))?;
        if read == 0 {
            return Ok(n);
        }
        n += 1;
        if line.last() != Some(&b'\n') {
            return Err((n, "line is not terminated (truncated?)".into()));
        }
        line.pop();
        let entry: Entry = serde_json::from_slice(&line)
            .map_err(|e| (n, format!("not a valid audit entry: {e}")))?;
        if entry.prev != prev {
            return Err((
                n,
                "hash of the previous entry does not match (edited, removed or reordered)".into(),
            ));
        }
        prev = sha256_hex(&line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn log_with(n: usize) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let mut log = AuditLog::open(&path).unwrap();
        for i in 0..n {
            log.record(
                "arn:aws:sts::1:assumed-role/A/alice",
                "workflow",
                &format!("f-{i}"),
                "why",
                "pending",
            )
            .unwrap();
        }
        (dir, path)
    }

    #[test]
    fn chain_verifies_and_survives_reopen() {
        let (_d, path) = log_with(3);
        let mut log = AuditLog::open(&path).unwrap();
        log.record("bob", "workflow", "f-9", "", "ok").unwrap();
        assert_eq!(verify(&path), Ok(4));
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn two_writers_keep_one_chain() {
        let (_d, path) = log_with(1);
        let mut a = AuditLog::open(&path).unwrap();
        let mut b = AuditLog::open(&path).unwrap();
        for i in 0..5 {
            a.record("a", "x", &format!("a{i}"), "", "ok").unwrap();
            b.record("b", "x", &format!("b{i}"), "", "ok").unwrap();
        }
        assert_eq!(verify(&path), Ok(11));
    }

    #[test]
    fn one_changed_byte_is_found() {
        let (_d, path) = log_with(4);
        let mut bytes = std::fs::read(&path).unwrap();
        let second = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
        let at = second
            + bytes[second..]
                .windows(3)
                .position(|w| w == b"f-1")
                .unwrap()
            + 2;
        bytes[at] = b'7';
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(
            verify(&path).unwrap_err().0,
            3,
            "the entry after the edited one breaks"
        );
    }

    #[test]
    fn truncation_and_reordering_are_found() {
        let (_d, path) = log_with(4);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, &text[..text.len() - 5]).unwrap();
        assert_eq!(verify(&path).unwrap_err().0, 4);
        let lines: Vec<&str> = text.lines().collect();
        std::fs::write(
            &path,
            format!("{}\n{}\n{}\n{}\n", lines[0], lines[2], lines[1], lines[3]),
        )
        .unwrap();
        assert_eq!(verify(&path).unwrap_err().0, 2);
        std::fs::write(&path, format!("{}\n{}\n", lines[1], lines[2])).unwrap();
        assert_eq!(verify(&path).unwrap_err().0, 1, "removed head");
    }
}
