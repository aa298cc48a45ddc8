//! `audit verify`: walks the chain line by line, then compares its end with the store's
//! anchor. Errors name the first broken line and what is missing; warnings are states a
//! crash can leave (a torn last line, entries written after the last anchor update).

use std::io::{BufRead, BufReader};
use std::path::Path;

use super::{ALG_HMAC, ALG_SHA256, Anchor, Entry, GENESIS, Key, REPAIR_ACTION, line_hash};

/// What the anchor lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnchorState {
    /// No store to compare with: the tail cannot be checked.
    NoStore,
    /// The store has no anchor for this log.
    Missing,
    Found(Anchor),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Entries read (repair entries included, torn lines not).
    pub entries: u64,
    /// Sequence number of the last entry.
    pub last_seq: u64,
    pub keyed: bool,
    pub anchored_at: Option<u64>,
    pub warnings: Vec<String>,
    /// (line, message); verification stops at the first broken line.
    pub errors: Vec<(usize, String)>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.errors.is_empty()
    }
}

fn read_lines(path: &Path) -> Result<Vec<(Vec<u8>, bool)>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut reader = BufReader::new(file);
    let mut out = Vec::new();
    loop {
        let mut line = Vec::new();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if n == 0 {
            return Ok(out);
        }
        let terminated = line.last() == Some(&b'\n');
        if terminated {
            line.pop();
        }
        out.push((line, terminated));
    }
}

/// Checks the chain and its anchor. `Err` when the log cannot be read or is keyed and no
/// key was given.
pub fn verify(path: &Path, anchor: AnchorState, key: Option<&Key>) -> Result<Report, String> {
    let lines = read_lines(path)?;
    let mut r = Report::default();
    let mut prev_line: Option<&[u8]> = None;
    let mut expected_seq = 1u64;
    let mut keyed_seen = false;
    let mut sequenced = false;
    let anchor_ref = match &anchor {
        AnchorState::Found(a) => Some(a),
        _ => None,
    };
    let mut i = 0;
    while i < lines.len() {
        let n = i + 1;
        let (line, terminated) = (&lines[i].0, lines[i].1);
        i += 1;
        if line.is_empty() && terminated {
            continue; // the newline written to close a torn line's predecessor
        }
        let Ok(entry) = serde_json::from_slice::<Entry>(line) else {
            if !terminated && i == lines.len() {
                r.warnings.push(format!(
                    "line {n} is torn (a write was cut short); the next write records a repair"
                ));
                break;
            }
            // A torn line is followed by the repair entry that vouches for it.
            let repaired = lines.get(i).and_then(|(next, _)| {
                let e: Entry = serde_json::from_slice(next).ok()?;
                let alg = e.alg.as_deref().unwrap_or(ALG_SHA256);
                (e.action == REPAIR_ACTION && line_hash(line, alg, key).as_deref() == Some(&e.prev))
                    .then_some(())
            });
            if repaired.is_some() {
                r.warnings.push(format!(
                    "line {n} is torn (a write was cut short); line {} records the repair",
                    n + 1
                ));
                prev_line = Some(line);
                continue;
            }
            r.errors.push((n, "not a valid audit entry".into()));
            return Ok(r);
        };
        let alg = entry.alg.as_deref().unwrap_or(ALG_SHA256);
        if alg != ALG_SHA256 && alg != ALG_HMAC {
            r.errors
                .push((n, format!("unknown hash algorithm {alg:?}")));
            return Ok(r);
        }
        if alg == ALG_HMAC {
            if key.is_none() {
                return Err(format!(
                    "{}: the log is keyed (HMAC); verifying needs the key ([store] audit_key_file or audit_key_env)",
                    path.display()
                ));
            }
            keyed_seen = true;
        } else if keyed_seen {
            r.errors.push((
                n,
                "entry drops the key (unkeyed after keyed entries): the chain was rewritten".into(),
            ));
            return Ok(r);
        }
        let expected_prev = match prev_line {
            Some(p) => line_hash(p, alg, key).expect("key checked above"),
            None => GENESIS.to_string(),
        };
        match entry.seq {
            Some(s) => {
                sequenced = true;
                if entry.prev != expected_prev {
                    let msg = if s > expected_seq && prev_line.is_some() {
                        format!(
                            "entries {}..{} are missing (removed from the middle of the log)",
                            expected_seq,
                            s - 1
                        )
                    } else if s > expected_seq {
                        format!(
                            "entries 1..{} are missing (the head of the log was removed)",
                            s - 1
                        )
                    } else {
                        "hash of the previous entry does not match (edited, removed or reordered)"
                            .into()
                    };
                    r.errors.push((n, msg));
                    return Ok(r);
                }
                if s != expected_seq {
                    r.errors.push((
                        n,
                        format!("sequence {s} where {expected_seq} was expected (edited)"),
                    ));
                    return Ok(r);
                }
            }
            None if sequenced => {
                r.errors.push((
                    n,
                    "entry without a sequence number after sequenced ones (edited)".into(),
                ));
                return Ok(r);
            }
            None => {
                if entry.prev != expected_prev {
                    r.errors.push((
                        n,
                        "hash of the previous entry does not match (edited, removed or reordered)"
                            .into(),
                    ));
                    return Ok(r);
                }
            }
        }
        if let Some(a) = anchor_ref
            && a.seq == expected_seq
        {
            let alg_ok = a.alg == ALG_SHA256 || key.is_some();
            if !alg_ok || line_hash(line, &a.alg, key).as_deref() != Some(a.head.as_str()) {
                r.errors.push((
                    n,
                    format!(
                        "entry {} does not match the store's anchor: the chain was rewritten",
                        a.seq
                    ),
                ));
                return Ok(r);
            }
            r.anchored_at = Some(a.seq);
        }
        if !terminated {
            r.warnings.push(format!(
                "line {n} has no final newline (the next write adds it)"
            ));
        }
        r.entries += 1;
        r.last_seq = expected_seq;
        expected_seq += 1;
        prev_line = Some(line);
    }
    r.keyed = keyed_seen;
    match anchor {
        AnchorState::NoStore => r.warnings.push(
            "no store to compare with: a removed tail cannot be detected without the anchor".into(),
        ),
        AnchorState::Missing if sequenced => r.errors.push((
            lines.len() + 1,
            "the store holds no anchor for this log (removed, or a different store)".into(),
        )),
        AnchorState::Missing => r
            .warnings
            .push("the log is not anchored yet (written before anchoring existed)".into()),
        AnchorState::Found(a) => {
            if key.is_some() && a.alg != ALG_HMAC {
                r.errors.push((
                    lines.len(),
                    "the store's anchor is not keyed although a key is configured: the log was rewritten \
                     (or nothing was written since the key was configured)"
                        .into(),
                ));
            } else if r.last_seq < a.seq {
                r.errors.push((
                    lines.len() + 1,
                    format!(
                        "entries {}..{} are missing: the log ends at entry {} but the store anchored entry {} (the tail was removed)",
                        r.last_seq + 1,
                        a.seq,
                        r.last_seq,
                        a.seq
                    ),
                ));
            } else if r.last_seq > a.seq {
                r.warnings.push(format!(
                    "entries {}..{} were written after the last anchor update (a console stopped between the two?)",
                    a.seq + 1,
                    r.last_seq
                ));
            }
        }
    }
    Ok(r)
}
