//! The durable outbox in the SQLite store. Every notification is written here (and audited,
//! in the same immediate transaction) before anything is sent; an item already enqueued by
//! any process on this store (same rule, event, finding version and channel) is never
//! enqueued again. Sending claims an entry with a lease, so several consoles and a watcher
//! on one store send each entry once; a process that dies mid-send leaves a lease that
//! expires (or, on this host, is taken over as soon as its process is gone). Per-channel
//! pacing and Retry-After pauses live in the store too, so the rate holds across processes.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::message::{Item, Message};
use super::state::StateOp;
use crate::audit::AuditLog;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    Pending,
    Sending,
    Sent,
    Failed,
    Discarded,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Sending => "sending",
            State::Sent => "sent",
            State::Failed => "failed",
            State::Discarded => "discarded",
        }
    }

    pub fn parse(s: &str) -> State {
        match s {
            "sending" => State::Sending,
            "sent" => State::Sent,
            "failed" => State::Failed,
            "discarded" => State::Discarded,
            _ => State::Pending,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub id: i64,
    /// The external idempotency key (header, dedup key, label).
    pub key: String,
    pub raw_key: String,
    pub channel: String,
    pub rule: Option<String>,
    pub event: String,
    pub finding_id: Option<String>,
    pub message: Message,
    pub state: State,
    pub attempts: u32,
    pub not_before: i64,
    pub lease_owner: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub sent_at: Option<i64>,
    pub last_error: Option<String>,
    /// What the receiver answered with (a Jira issue key, a status line).
    pub reference: Option<String>,
}

/// An item to write for one channel.
#[derive(Debug, Clone)]
pub struct NewItem {
    pub channel: String,
    /// Readable key: rule | event | finding | version | channel. Enqueued at most once.
    pub raw_key: String,
    pub item: Item,
    pub not_before: i64,
    /// Batched into the rule's digest window of this many ms.
    pub digest_ms: Option<i64>,
    pub demo: bool,
}

/// A state change and the items it sends when it is a transition.
#[derive(Debug, Clone)]
pub struct Step {
    pub op: Option<StateOp>,
    pub items: Vec<NewItem>,
}

/// How a send ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Sent {
        reference: Option<String>,
    },
    /// Try again after this long (a timeout, a 5xx, a 429); `pause` holds the whole
    /// channel (429 with Retry-After).
    Retry {
        after_ms: i64,
        reason: String,
        pause: bool,
    },
    /// Permanent: the receiver refused the message (a 4xx); the reason is shown.
    Failed {
        reason: String,
    },
}

/// A claimed entry and when it may be sent (per-channel pacing).
#[derive(Debug, Clone)]
pub struct Claimed {
    pub entry: Entry,
    pub send_at: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("store: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("audit log write failed, nothing enqueued: {0}")]
    Audit(std::io::Error),
    #[error("{0}")]
    Refused(String),
}

pub struct Outbox {
    pub(super) conn: Connection,
    audit: Option<Arc<Mutex<AuditLog>>>,
    actor: String,
    owner: String,
}

const COLUMNS: &str = "id, key, raw_key, channel, rule, event, finding_id, message, state, attempts, not_before, lease_owner, created_at, updated_at, sent_at, last_error, reference";

fn row_entry(r: &rusqlite::Row) -> rusqlite::Result<Entry> {
    let message: String = r.get(7)?;
    let state: String = r.get(8)?;
    Ok(Entry {
        id: r.get(0)?,
        key: r.get(1)?,
        raw_key: r.get(2)?,
        channel: r.get(3)?,
        rule: r.get(4)?,
        event: r.get(5)?,
        finding_id: r.get(6)?,
        message: serde_json::from_str(&message).unwrap_or(Message {
            items: Vec::new(),
            window: None,
            demo: false,
        }),
        state: State::parse(&state),
        attempts: r.get::<_, i64>(9)? as u32,
        not_before: r.get(10)?,
        lease_owner: r.get(11)?,
        created_at: r.get(12)?,
        updated_at: r.get(13)?,
        sent_at: r.get(14)?,
        last_error: r.get(15)?,
        reference: r.get(16)?,
    })
}

/// An entry that may be claimed: id, channel, state, lease owner, lease end.
type Candidate = (i64, String, String, Option<String>, Option<i64>);

/// `host/pid/nonce`: who holds a lease.
fn new_owner() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    format!(
        "{host}/{}/{:08x}",
        std::process::id(),
        rand::random::<u32>()
    )
}

/// True when `owner` is a process on this host that is gone (its lease can be taken over).
fn owner_dead(owner: &str, me: &str) -> bool {
    let mut mine = me.split('/');
    let mut theirs = owner.split('/');
    let (Some(my_host), Some(host), Some(pid)) = (mine.next(), theirs.next(), theirs.next()) else {
        return false;
    };
    if host != my_host || host.is_empty() || owner == me {
        return false;
    }
    match pid.parse::<u32>() {
        Ok(pid) if pid != std::process::id() => !Path::new(&format!("/proc/{pid}")).exists(),
        _ => false,
    }
}

fn bounded_list(keys: &[String]) -> String {
    let mut s: Vec<&str> = keys.iter().take(20).map(String::as_str).collect();
    let more = keys.len().saturating_sub(20);
    let tail = if more > 0 {
        format!(" … and {more} more")
    } else {
        String::new()
    };
    s.dedup();
    format!("{}{tail}", s.join(", "))
}

impl Outbox {
    pub fn open(
        store: &Path,
        audit: Option<Arc<Mutex<AuditLog>>>,
        actor: &str,
    ) -> Result<Outbox, crate::store::StoreError> {
        let conn = crate::store::Store::open(store)?.into_connection();
        Ok(Outbox {
            conn,
            audit,
            actor: actor.to_string(),
            owner: new_owner(),
        })
    }

    /// For tests and benchmarks: an outbox on an existing connection.
    pub fn with_connection(
        conn: Connection,
        audit: Option<Arc<Mutex<AuditLog>>>,
        actor: &str,
    ) -> Outbox {
        Outbox {
            conn,
            audit,
            actor: actor.to_string(),
            owner: new_owner(),
        }
    }

    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Writes each step's state change and, when it is a transition in the store, its
    /// items not enqueued before (by any process), audited, in one immediate transaction:
    /// if the audit write fails nothing is written. Returns the entries written or extended.
    pub fn commit(&mut self, steps: Vec<Step>, now: i64) -> Result<Vec<i64>, OutboxError> {
        let audit = self.audit.clone();
        let actor = self.actor.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut touched = Vec::new();
        let mut keys = Vec::new();
        let mut channels: Vec<String> = Vec::new();
        for step in steps {
            if let Some(op) = &step.op
                && !op.apply(&tx)?
            {
                continue;
            }
            for n in step.items {
                let fresh = tx.execute(
                    "INSERT OR IGNORE INTO notify_items (item_key, entry_id, at) VALUES (?1, 0, ?2)",
                    params![n.raw_key, now],
                )?;
                if fresh == 0 {
                    continue;
                }
                let id = match n.digest_ms {
                    Some(d) if d > 0 => append_digest(&tx, &n, d, now)?,
                    _ => insert_entry(&tx, &n, now)?,
                };
                tx.execute(
                    "UPDATE notify_items SET entry_id = ?2 WHERE item_key = ?1",
                    params![n.raw_key, id],
                )?;
                if !touched.contains(&id) {
                    touched.push(id);
                }
                keys.push(n.item.key.clone());
                if !channels.contains(&n.channel) {
                    channels.push(n.channel.clone());
                }
            }
        }
        if !keys.is_empty() {
            let target = format!(
                "{} item(s) to {}: {}",
                keys.len(),
                channels.join(", "),
                bounded_list(&keys)
            );
            match &audit {
                Some(a) => a
                    .lock()
                    .expect("audit lock")
                    .record_in(&tx, &actor, "notify:enqueue", &target, "", "pending")
                    .map_err(OutboxError::Audit)?,
                None => {
                    return Err(OutboxError::Refused(
                        "no audit log: notifications are off".into(),
                    ));
                }
            }
        }
        tx.commit()?;
        Ok(touched)
    }

    /// Writes items that go with no state change (one-off notifications, tickets).
    pub fn enqueue(&mut self, items: Vec<NewItem>, now: i64) -> Result<Vec<i64>, OutboxError> {
        self.commit(vec![Step { op: None, items }], now)
    }

    /// Claims up to `max` due entries of the channels this process can send (name → rate
    /// per second and free sending slots), pacing each channel across processes.
    pub fn claim(
        &mut self,
        channels: &HashMap<String, (f64, usize)>,
        now: i64,
        lease_ms: i64,
        max: usize,
    ) -> Result<Vec<Claimed>, OutboxError> {
        let me = self.owner.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let candidates: Vec<Candidate> = {
            let mut stmt = tx.prepare_cached(
                "SELECT id, channel, state, lease_owner, lease_until FROM notify_outbox
                 WHERE (state = 'pending' AND not_before <= ?1) OR state = 'sending'
                 ORDER BY not_before, id LIMIT 1000",
            )?;
            stmt.query_map([now], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<Result<_, _>>()?
        };
        let mut pacing: HashMap<String, (i64, i64)> = HashMap::new();
        let mut used: HashMap<String, usize> = HashMap::new();
        let mut out = Vec::new();
        for (id, channel, state, owner, until) in candidates {
            if out.len() >= max {
                break;
            }
            let Some(&(rate, free)) = channels.get(&channel) else {
                continue;
            };
            if state == "sending" {
                let expired = until.is_none_or(|u| u < now);
                let dead = owner.as_deref().is_some_and(|o| owner_dead(o, &me));
                if !(expired || dead) {
                    continue;
                }
            }
            if *used.get(&channel).unwrap_or(&0) >= free {
                continue;
            }
            if !pacing.contains_key(&channel) {
                tx.execute(
                    "INSERT OR IGNORE INTO notify_channels (channel) VALUES (?1)",
                    [&channel],
                )?;
                let p: (i64, i64) = tx.query_row(
                    "SELECT next_at, paused_until FROM notify_channels WHERE channel = ?1",
                    [&channel],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                pacing.insert(channel.clone(), p);
            }
            let p = pacing.get_mut(&channel).expect("just inserted");
            if p.1 > now {
                continue;
            }
            let slot = p.0.max(now);
            if rate > 0.0 {
                if slot > now + 1000 {
                    continue;
                }
                p.0 = slot + (1000.0 / rate).ceil() as i64;
            }
            tx.execute(
                "UPDATE notify_outbox SET state = 'sending', lease_owner = ?2, lease_until = ?3,
                   attempts = attempts + 1, updated_at = ?4 WHERE id = ?1",
                params![id, me, slot + lease_ms, now],
            )?;
            let entry = tx.query_row(
                &format!("SELECT {COLUMNS} FROM notify_outbox WHERE id = ?1"),
                [id],
                row_entry,
            )?;
            *used.entry(channel).or_default() += 1;
            out.push(Claimed {
                entry,
                send_at: slot,
            });
        }
        for (channel, (next, _)) in &pacing {
            tx.execute(
                "UPDATE notify_channels SET next_at = ?2 WHERE channel = ?1",
                params![channel, next],
            )?;
        }
        tx.commit()?;
        Ok(out)
    }

    /// Records how a send ended. A retry past `max_attempts` fails the entry.
    pub fn finish(
        &mut self,
        entry: &Entry,
        outcome: &Outcome,
        now: i64,
        max_attempts: u32,
    ) -> Result<(), OutboxError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        match outcome {
            Outcome::Sent { reference } => {
                tx.execute(
                    "UPDATE notify_outbox SET state = 'sent', sent_at = ?2, updated_at = ?2,
                       lease_owner = NULL, lease_until = NULL, last_error = NULL, reference = ?3
                     WHERE id = ?1",
                    params![entry.id, now, reference],
                )?;
                super::state::record_ticket(&tx, entry, reference.as_deref(), now)?;
            }
            Outcome::Retry {
                after_ms,
                reason,
                pause,
            } => {
                let attempts: i64 = tx.query_row(
                    "SELECT attempts FROM notify_outbox WHERE id = ?1",
                    [entry.id],
                    |r| r.get(0),
                )?;
                if attempts as u32 >= max_attempts {
                    drop(tx);
                    let reason = format!("gave up after {attempts} attempts: {reason}");
                    return self.finish(entry, &Outcome::Failed { reason }, now, max_attempts);
                }
                tx.execute(
                    "UPDATE notify_outbox SET state = 'pending', not_before = ?2, updated_at = ?3,
                       lease_owner = NULL, lease_until = NULL, last_error = ?4 WHERE id = ?1",
                    params![entry.id, now + after_ms, now, reason],
                )?;
                if *pause {
                    tx.execute(
                        "INSERT INTO notify_channels (channel, paused_until, pause_reason) VALUES (?1, ?2, ?3)
                         ON CONFLICT(channel) DO UPDATE SET paused_until = MAX(paused_until, excluded.paused_until),
                           pause_reason = excluded.pause_reason",
                        params![entry.channel, now + after_ms, reason],
                    )?;
                }
            }
            Outcome::Failed { reason } => {
                tx.execute(
                    "UPDATE notify_outbox SET state = 'failed', updated_at = ?2, lease_owner = NULL,
                       lease_until = NULL, last_error = ?3 WHERE id = ?1",
                    params![entry.id, now, reason],
                )?;
                if let Some(a) = &self.audit {
                    let target = format!("{} on {} ({})", entry.key, entry.channel, entry.event);
                    a.lock()
                        .expect("audit lock")
                        .record_in(
                            &tx,
                            "agent-hubble",
                            "notify:send",
                            &target,
                            "",
                            &format!("failed: {reason}"),
                        )
                        .map_err(OutboxError::Audit)?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Gives back entries claimed but not sent (shutdown): pending again, the attempt not
    /// counted.
    pub fn release(&mut self, ids: &[i64]) -> Result<usize, OutboxError> {
        let mut n = 0;
        for id in ids {
            n += self.conn.execute(
                "UPDATE notify_outbox SET state = 'pending', lease_owner = NULL, lease_until = NULL,
                   attempts = MAX(attempts - 1, 0) WHERE id = ?1 AND state = 'sending' AND lease_owner = ?2",
                params![id, self.owner],
            )?;
        }
        Ok(n)
    }
}

/// A new entry of its own for one item.
fn insert_entry(tx: &Connection, n: &NewItem, now: i64) -> rusqlite::Result<i64> {
    let message = Message::single(n.item.clone(), n.demo);
    tx.execute(
        "INSERT INTO notify_outbox (key, raw_key, channel, rule, event, finding_id, message, state,
           not_before, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', ?8, ?9, ?9)",
        params![
            n.item.key,
            n.raw_key,
            n.channel,
            n.item.rule,
            n.item.event.as_str(),
            n.item.finding.as_ref().map(|f| f.id.clone()),
            serde_json::to_string(&message).expect("message serialises"),
            n.not_before,
            now
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

/// Adds the item to the open digest entry of its rule, channel and window (made when it is
/// the first), sent when the window ends (or after quiet hours, whichever is later).
fn append_digest(tx: &Connection, n: &NewItem, window: i64, now: i64) -> rusqlite::Result<i64> {
    let start = now.div_euclid(window) * window;
    let end = start + window;
    let rule = n.item.rule.clone().unwrap_or_default();
    let raw = format!("digest|{rule}|{}|{start}", n.channel);
    let open: Option<(i64, String)> = tx
        .query_row(
            "SELECT id, message FROM notify_outbox WHERE raw_key = ?1 AND state = 'pending'
             AND lease_owner IS NULL ORDER BY id DESC LIMIT 1",
            [&raw],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((id, text)) = open
        && let Ok(mut m) = serde_json::from_str::<Message>(&text)
    {
        m.items.push(n.item.clone());
        tx.execute(
            "UPDATE notify_outbox SET message = ?2, updated_at = ?3, not_before = MAX(not_before, ?4) WHERE id = ?1",
            params![id, serde_json::to_string(&m).expect("message"), now, n.not_before],
        )?;
        return Ok(id);
    }
    // The window's entry is already out (or being sent): a new one, later in the window.
    let taken: i64 = tx.query_row(
        "SELECT count(*) FROM notify_outbox WHERE raw_key = ?1",
        [&raw],
        |r| r.get(0),
    )?;
    let key = super::message::external_key(&format!("{raw}|{taken}"));
    let message = Message {
        items: vec![n.item.clone()],
        window: Some((start, end)),
        demo: n.demo,
    };
    tx.execute(
        "INSERT INTO notify_outbox (key, raw_key, channel, rule, event, finding_id, message, state,
           not_before, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, 'digest', NULL, ?5, 'pending', ?6, ?7, ?7)",
        params![
            key,
            raw,
            n.channel,
            n.item.rule,
            serde_json::to_string(&message).expect("message"),
            end.max(n.not_before),
            now
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

mod view;

#[cfg(test)]
mod tests;
