//! Leasing on one store shared by several processes (two `Outbox`es on one file), retries,
//! release on shutdown, takeover from a dead process, and per-channel pacing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::*;
use crate::notify::message::{EventKind, Item, external_key};

const NOW: i64 = 1_767_268_800_000;

struct Two {
    _dir: tempfile::TempDir,
    a: Outbox,
    b: Outbox,
}

fn two() -> Two {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("o.db");
    let audit = Arc::new(Mutex::new(
        crate::audit::AuditLog::open(&dir.path().join("audit.jsonl"), Some(&store), None).unwrap(),
    ));
    let a = Outbox::open(&store, Some(audit.clone()), "a").unwrap();
    let b = Outbox::open(&store, Some(audit), "b").unwrap();
    Two { _dir: dir, a, b }
}

fn item(i: usize, channel: &str) -> NewItem {
    let raw = format!("test|{i}|{channel}");
    NewItem {
        channel: channel.into(),
        raw_key: raw.clone(),
        item: Item {
            event: EventKind::Test,
            key: external_key(&raw),
            occurred_at: NOW,
            rule: None,
            finding: None,
            remediation: None,
            source: None,
            note: Some(format!("item {i}")),
            actor: None,
        },
        not_before: NOW,
        digest_ms: None,
        demo: false,
    }
}

fn unlimited(names: &[&str]) -> HashMap<String, (f64, usize)> {
    names.iter().map(|n| (n.to_string(), (0.0, 100))).collect()
}

fn ids(c: &[Claimed]) -> Vec<i64> {
    c.iter().map(|c| c.entry.id).collect()
}

#[test]
fn an_item_is_enqueued_once_whoever_writes_it() {
    let mut t = two();
    assert_eq!(t.a.enqueue(vec![item(1, "siem")], NOW).unwrap().len(), 1);
    assert!(t.b.enqueue(vec![item(1, "siem")], NOW).unwrap().is_empty());
    assert!(
        t.a.enqueue(vec![item(1, "siem")], NOW + 5)
            .unwrap()
            .is_empty()
    );
    assert_eq!(t.a.list(10).unwrap().len(), 1);
}

#[test]
fn a_leased_entry_is_claimed_by_one_process_until_its_lease_ends() {
    let mut t = two();
    t.a.enqueue((0..5).map(|i| item(i, "siem")).collect(), NOW)
        .unwrap();
    let ch = unlimited(&["siem"]);
    let got_a = t.a.claim(&ch, NOW, 10_000, 3).unwrap();
    let got_b = t.b.claim(&ch, NOW, 10_000, 100).unwrap();
    assert_eq!(got_a.len(), 3);
    assert_eq!(got_b.len(), 2);
    let mut all = ids(&got_a);
    all.extend(ids(&got_b));
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 5, "no entry claimed twice");
    // Nothing more while the leases hold.
    assert!(t.b.claim(&ch, NOW + 9_000, 10_000, 100).unwrap().is_empty());
    // A sends two and stalls on the third: after its lease, B takes it over.
    for c in &got_a[..2] {
        t.a.finish(&c.entry, &Outcome::Sent { reference: None }, NOW + 100, 5)
            .unwrap();
    }
    let taken = t.b.claim(&ch, NOW + 10_001, 10_000, 100).unwrap();
    let mut expect = vec![got_a[2].entry.id];
    expect.extend(ids(&got_b));
    expect.sort();
    let mut taken = ids(&taken);
    taken.sort();
    assert_eq!(taken, expect, "expired leases only, not the sent ones");
    let e = t.a.get(got_a[2].entry.id).unwrap().unwrap();
    assert_eq!(e.attempts, 2);
    assert_eq!(e.lease_owner.as_deref(), Some(t.b.owner()));
}

#[test]
fn the_lease_of_a_process_that_is_gone_is_taken_over_at_once() {
    let mut t = two();
    t.a.enqueue(vec![item(1, "siem")], NOW).unwrap();
    let ch = unlimited(&["siem"]);
    let got = t.a.claim(&ch, NOW, 60_000, 10).unwrap();
    assert_eq!(got.len(), 1);
    // The same lease, held by a process on this host that no longer exists.
    let host = t.a.owner().split('/').next().unwrap().to_string();
    let dead = format!("{host}/4194303/deadbeef");
    t.a.conn
        .execute("UPDATE notify_outbox SET lease_owner = ?1", [&dead])
        .unwrap();
    let taken = t.b.claim(&ch, NOW + 1, 60_000, 10).unwrap();
    assert_eq!(ids(&taken), ids(&got));
    // A live owner (A itself, seen from B) keeps its lease.
    t.b.release(&ids(&taken)).unwrap();
    let again = t.a.claim(&ch, NOW + 2, 60_000, 10).unwrap();
    assert_eq!(again.len(), 1);
    assert!(t.b.claim(&ch, NOW + 3, 60_000, 10).unwrap().is_empty());
}

#[test]
fn retries_back_off_then_fail_and_release_does_not_count_an_attempt() {
    let mut t = two();
    t.a.enqueue(vec![item(1, "siem")], NOW).unwrap();
    let ch = unlimited(&["siem"]);
    let c = t.a.claim(&ch, NOW, 60_000, 10).unwrap().remove(0);
    t.a.release(&[c.entry.id]).unwrap();
    let e = t.a.get(c.entry.id).unwrap().unwrap();
    assert_eq!((e.state, e.attempts), (State::Pending, 0));
    let retry = Outcome::Retry {
        after_ms: 4_000,
        reason: "HTTP 500".into(),
        pause: false,
    };
    let c = t.b.claim(&ch, NOW, 60_000, 10).unwrap().remove(0);
    t.b.finish(&c.entry, &retry, NOW, 2).unwrap();
    let e = t.a.get(c.entry.id).unwrap().unwrap();
    assert_eq!(e.state, State::Pending);
    assert_eq!(e.not_before, NOW + 4_000);
    assert_eq!(e.last_error.as_deref(), Some("HTTP 500"));
    assert!(t.a.claim(&ch, NOW + 3_999, 60_000, 10).unwrap().is_empty());
    let c = t.a.claim(&ch, NOW + 4_000, 60_000, 10).unwrap().remove(0);
    t.a.finish(&c.entry, &retry, NOW + 4_000, 2).unwrap();
    let e = t.a.get(c.entry.id).unwrap().unwrap();
    assert_eq!(e.state, State::Failed);
    assert!(
        e.last_error
            .unwrap()
            .starts_with("gave up after 2 attempts")
    );
    // An analyst's retry makes it pending again, attempts from zero.
    t.b.retry_or_discard(e.id, true, "alice", NOW + 5_000)
        .unwrap();
    let e = t.a.get(e.id).unwrap().unwrap();
    assert_eq!((e.state, e.attempts), (State::Pending, 0));
    t.b.retry_or_discard(e.id, false, "alice", NOW + 5_000)
        .unwrap();
    assert_eq!(t.a.get(e.id).unwrap().unwrap().state, State::Discarded);
    assert!(t.a.retry_or_discard(999, true, "alice", NOW).is_err());
}

#[test]
fn the_channel_rate_and_a_retry_after_pause_hold_across_processes() {
    let mut t = two();
    t.a.enqueue((0..5).map(|i| item(i, "slack")).collect(), NOW)
        .unwrap();
    let one_per_sec: HashMap<String, (f64, usize)> = [("slack".to_string(), (1.0, 10))].into();
    let a = t.a.claim(&one_per_sec, NOW, 60_000, 10).unwrap();
    let slots: Vec<i64> = a.iter().map(|c| c.send_at).collect();
    assert_eq!(slots, vec![NOW, NOW + 1_000], "a second ahead at most");
    // B shares the pacing: its next slot is two seconds out, so nothing now.
    assert!(t.b.claim(&one_per_sec, NOW, 60_000, 10).unwrap().is_empty());
    assert_eq!(
        t.b.claim(&one_per_sec, NOW + 1_000, 60_000, 10)
            .unwrap()
            .len(),
        1
    );
    // A 429 with Retry-After pauses the channel for everyone.
    let pause = Outcome::Retry {
        after_ms: 30_000,
        reason: "HTTP 429: rate_limited".into(),
        pause: true,
    };
    t.a.finish(&a[0].entry, &pause, NOW + 1_500, 10).unwrap();
    assert!(t.b.paused(NOW + 1_500).unwrap().contains_key("slack"));
    assert!(
        t.b.claim(&one_per_sec, NOW + 20_000, 60_000, 10)
            .unwrap()
            .is_empty()
    );
    assert!(
        !t.b.claim(&one_per_sec, NOW + 31_500, 60_000, 10)
            .unwrap()
            .is_empty()
    );
}
