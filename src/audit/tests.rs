use super::verify::AnchorState;
use super::*;
use std::os::unix::fs::PermissionsExt;

struct Log {
    _dir: tempfile::TempDir,
    path: PathBuf,
    store: PathBuf,
}

impl Log {
    fn new() -> Log {
        let dir = tempfile::tempdir().unwrap();
        Log {
            path: dir.path().join("audit.jsonl"),
            store: dir.path().join("hubble.db"),
            _dir: dir,
        }
    }

    fn open(&self, key: Option<&Key>) -> AuditLog {
        AuditLog::open(&self.path, Some(&self.store), key.cloned()).unwrap()
    }

    fn write(&self, n: usize, key: Option<&Key>) {
        let mut log = self.open(key);
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
    }

    fn anchor(&self) -> AnchorState {
        let conn = crate::store::Store::open(&self.store)
            .unwrap()
            .into_connection();
        match read_anchor(&conn, &self.path).unwrap() {
            Some(a) => AnchorState::Found(a),
            None => AnchorState::Missing,
        }
    }

    fn verify(&self, key: Option<&Key>) -> Report {
        verify(&self.path, self.anchor(), key).unwrap()
    }

    fn lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.path)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn set_lines(&self, lines: &[String]) {
        std::fs::write(
            &self.path,
            lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
        )
        .unwrap();
    }
}

fn key() -> Key {
    Key::new(b"0123456789abcdef0123456789abcdef".to_vec()).unwrap()
}

#[test]
fn chain_verifies_is_anchored_and_survives_reopen() {
    let l = Log::new();
    l.write(3, None);
    l.write(1, None);
    let r = l.verify(None);
    assert!(r.ok(), "{r:?}");
    assert_eq!((r.entries, r.last_seq, r.anchored_at), (4, 4, Some(4)));
    assert!(r.warnings.is_empty(), "{r:?}");
    let e: Entry = serde_json::from_str(&l.lines()[3]).unwrap();
    assert_eq!(e.seq, Some(4));
    let mode = std::fs::metadata(&l.path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn two_writers_keep_one_chain_and_one_anchor() {
    let l = Log::new();
    let mut a = l.open(None);
    let mut b = l.open(None);
    let threads: Vec<_> = (0..2)
        .map(|t| {
            let path = l.path.clone();
            let store = l.store.clone();
            std::thread::spawn(move || {
                let mut log = AuditLog::open(&path, Some(&store), None).unwrap();
                for i in 0..20 {
                    log.record("t", "x", &format!("{t}-{i}"), "", "ok").unwrap();
                }
            })
        })
        .collect();
    for i in 0..5 {
        a.record("a", "x", &format!("a{i}"), "", "ok").unwrap();
        b.record("b", "x", &format!("b{i}"), "", "ok").unwrap();
    }
    for t in threads {
        t.join().unwrap();
    }
    let r = l.verify(None);
    assert!(r.ok() && r.warnings.is_empty(), "{r:?}");
    assert_eq!((r.last_seq, r.anchored_at), (50, Some(50)));
}

#[test]
fn one_changed_byte_is_found() {
    let l = Log::new();
    l.write(4, None);
    let mut lines = l.lines();
    lines[1] = lines[1].replace("f-1", "f-7");
    l.set_lines(&lines);
    let r = l.verify(None);
    assert_eq!(
        r.errors[0].0, 3,
        "the entry after the edited one breaks: {r:?}"
    );
}

#[test]
fn deleted_tail_is_named() {
    let l = Log::new();
    l.write(5, None);
    let lines = l.lines();
    l.set_lines(&lines[..3]);
    let r = l.verify(None);
    assert!(!r.ok());
    assert!(r.errors[0].1.contains("entries 4..5 are missing"), "{r:?}");
}

#[test]
fn deleted_middle_is_named() {
    let l = Log::new();
    l.write(6, None);
    let mut lines = l.lines();
    lines.drain(2..4);
    l.set_lines(&lines);
    let r = l.verify(None);
    assert_eq!(r.errors[0].0, 3, "{r:?}");
    assert!(r.errors[0].1.contains("entries 3..4 are missing"), "{r:?}");
}

#[test]
fn head_removal_and_reordering_are_found() {
    let l = Log::new();
    l.write(4, None);
    let lines = l.lines();
    l.set_lines(&[
        lines[0].clone(),
        lines[2].clone(),
        lines[1].clone(),
        lines[3].clone(),
    ]);
    assert_eq!(l.verify(None).errors[0].0, 2);
    l.set_lines(&lines[1..]);
    let r = l.verify(None);
    assert_eq!(r.errors[0].0, 1);
    assert!(r.errors[0].1.contains("head"), "{r:?}");
}

/// Someone rewrites the whole chain with recomputed SHA-256 hashes (and even the anchor):
/// the unkeyed log cannot tell; the keyed one can.
#[test]
fn rewritten_chain_is_caught_by_the_anchor_and_by_the_key() {
    let l = Log::new();
    l.write(3, None);
    // Rewrite entry 2 and re-chain entry 3 without touching the anchor.
    let mut lines = l.lines();
    let mut e2: Entry = serde_json::from_str(&lines[1]).unwrap();
    e2.target = "f-forged".into();
    lines[1] = serde_json::to_string(&e2).unwrap();
    let mut e3: Entry = serde_json::from_str(&lines[2]).unwrap();
    e3.prev = line_hash(lines[1].as_bytes(), ALG_SHA256, None).unwrap();
    lines[2] = serde_json::to_string(&e3).unwrap();
    l.set_lines(&lines);
    let r = l.verify(None);
    assert!(r.errors[0].1.contains("anchor"), "{r:?}");

    // Keyed: the forger recomputes the chain with SHA-256 (no key): every way fails.
    let k = key();
    let l = Log::new();
    l.write(3, Some(&k));
    assert!(l.verify(Some(&k)).ok());
    let mut lines = l.lines();
    let mut e2: Entry = serde_json::from_str(&lines[1]).unwrap();
    e2.target = "f-forged".into();
    lines[1] = serde_json::to_string(&e2).unwrap();
    l.set_lines(&lines);
    assert_eq!(l.verify(Some(&k)).errors[0].0, 3);
    // Re-chaining as unkeyed entries is refused too.
    let mut lines = l.lines();
    for i in 0..3 {
        let mut e: Entry = serde_json::from_str(&lines[i]).unwrap();
        e.alg = Some(ALG_SHA256.into());
        e.prev = if i == 0 {
            GENESIS.into()
        } else {
            line_hash(lines[i - 1].as_bytes(), ALG_SHA256, None).unwrap()
        };
        lines[i] = serde_json::to_string(&e).unwrap();
    }
    l.set_lines(&lines);
    let conn = crate::store::Store::open(&l.store)
        .unwrap()
        .into_connection();
    conn.execute(
        "UPDATE audit_anchor SET head = ?1, alg = 'sha256'",
        [line_hash(lines[2].as_bytes(), ALG_SHA256, None).unwrap()],
    )
    .unwrap();
    let r = l.verify(Some(&k));
    assert!(!r.ok(), "an unkeyed rewrite passes a keyed verify: {r:?}");
    // Without the key a keyed log cannot be verified at all.
    let l = Log::new();
    l.write(2, Some(&k));
    assert!(
        verify(&l.path, l.anchor(), None)
            .unwrap_err()
            .contains("keyed")
    );
}

#[test]
fn torn_last_line_is_a_warning_then_repaired() {
    let l = Log::new();
    l.write(3, None);
    // A crash mid-write leaves half a line.
    let mut f = OpenOptions::new().append(true).open(&l.path).unwrap();
    f.write_all(br#"{"seq":4,"ts":"2026-11-30T00:00:00Z","actor":"x","act"#)
        .unwrap();
    drop(f);
    let r = l.verify(None);
    assert!(r.ok(), "{r:?}");
    assert!(
        r.warnings.iter().any(|w| w.contains("line 4 is torn")),
        "{r:?}"
    );
    // The next write records a repair and the chain verifies, with a warning, forever after.
    l.write(2, None);
    let r = l.verify(None);
    assert!(r.ok(), "{r:?}");
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("line 5 records the repair")),
        "{r:?}"
    );
    assert_eq!((r.last_seq, r.anchored_at), (6, Some(6)));
    let lines = l.lines();
    let repair: Entry = serde_json::from_str(&lines[4]).unwrap();
    assert_eq!(
        (repair.action.as_str(), repair.seq),
        (REPAIR_ACTION, Some(4))
    );
}

#[test]
fn a_complete_line_without_newline_is_closed() {
    let l = Log::new();
    l.write(2, None);
    let text = std::fs::read_to_string(&l.path).unwrap();
    std::fs::write(&l.path, text.trim_end()).unwrap();
    assert!(
        l.verify(None)
            .warnings
            .iter()
            .any(|w| w.contains("no final newline"))
    );
    l.write(1, None);
    let r = l.verify(None);
    assert!(r.ok() && r.warnings.is_empty(), "{r:?}");
    assert_eq!(r.last_seq, 3);
}

#[test]
fn entries_after_the_anchor_warn_and_a_missing_anchor_fails() {
    let l = Log::new();
    l.write(2, None);
    // A writer without the store (a crash between writing and anchoring looks the same).
    let mut bare = AuditLog::open(&l.path, None, None).unwrap();
    bare.record("x", "y", "z", "", "ok").unwrap();
    let r = l.verify(None);
    assert!(r.ok(), "{r:?}");
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("entries 3..3 were written after")),
        "{r:?}"
    );
    let conn = crate::store::Store::open(&l.store)
        .unwrap()
        .into_connection();
    conn.execute("DELETE FROM audit_anchor", []).unwrap();
    let r = l.verify(None);
    assert!(r.errors[0].1.contains("no anchor"), "{r:?}");
    assert!(verify(&l.path, AnchorState::NoStore, None).unwrap().ok());
}

#[test]
fn legacy_entries_without_sequence_numbers_continue() {
    let l = Log::new();
    // The format before sequence numbers: prev = SHA-256 of the previous line.
    let mut prev = GENESIS.to_string();
    let mut text = String::new();
    for i in 0..2 {
        let e = Entry {
            seq: None,
            ts: "2026-11-01T00:00:00Z".into(),
            actor: "old".into(),
            action: "workflow".into(),
            target: format!("f-{i}"),
            justification: String::new(),
            outcome: "ok".into(),
            prev: prev.clone(),
            alg: None,
        };
        let line = serde_json::to_string(&e).unwrap();
        prev = line_hash(line.as_bytes(), ALG_SHA256, None).unwrap();
        text.push_str(&line);
        text.push('\n');
    }
    std::fs::write(&l.path, text).unwrap();
    l.write(1, None);
    let r = l.verify(None);
    assert!(r.ok(), "{r:?}");
    assert_eq!(r.last_seq, 3);
}

#[test]
fn key_files_must_be_private() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("k");
    std::fs::write(&p, "0123456789abcdef0123\n").unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(Key::from_file(&p).unwrap_err().contains("chmod 600"));
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(Key::from_file(&p).is_ok());
    std::fs::write(&p, "short").unwrap();
    assert!(Key::from_file(&p).unwrap_err().contains("16"));
}
