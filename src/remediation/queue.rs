//! The remediation queue: items and every transition in SQLite, shared safely by several
//! consoles (WAL, busy timeout, immediate transactions, conditional updates). Each change
//! checks its preconditions, writes the audit entry and makes the change inside one
//! immediate transaction, so only the console that wins a race audits it, and a failed
//! audit write changes nothing.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::person::person;
use crate::audit::AuditLog;
use crate::model::now_ms;
use crate::store::{Store, StoreError};

pub use super::item::{Decision, Identity, Item, Proposal, State};

mod run;

/// One recorded transition: (at, from, to, actor, note).
pub type Transition = (i64, Option<String>, String, String, String);

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("queue database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("audit log write failed, nothing was changed: {0}")]
    Audit(std::io::Error),
    #[error("no queue item {0}")]
    NotFound(String),
    #[error("{0} matches several items; give more of the id")]
    Ambiguous(String),
    #[error("item {id} is {state}, not {wanted}")]
    WrongState {
        id: String,
        state: &'static str,
        wanted: &'static str,
    },
    #[error("the requester cannot approve their own proposal ({0})")]
    OwnProposal(String),
    #[error("{0} has already decided on this item")]
    AlreadyDecided(String),
    #[error("a justification is required {0}")]
    JustificationRequired(&'static str),
    #[error("confirmation word does not match (type {0:?})")]
    ConfirmMismatch(String),
    #[error("item {0} changed since it was shown: look at it again before deciding")]
    Changed(String),
    /// An open item already covers this finding and playbook.
    #[error("finding already has an open item {id} ({state})")]
    Duplicate { id: String, state: &'static str },
}

/// The queue of one store, as seen by one identity's console or command.
pub struct Queue {
    store: Store,
    audit: Arc<Mutex<AuditLog>>,
    /// `[remediation] trusted_session_roles` of this process's own config.
    trusted: Vec<String>,
}

pub(super) fn new_id() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40; // version 4
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

const COLUMNS: &str = "id, state, version, data, requester, created_at, updated_at, execution_id, current_step, failure, cancel_requested, finding_noted, lease_owner, lease_until, start_error";

fn row_to_item(r: &rusqlite::Row) -> rusqlite::Result<Item> {
    let state: String = r.get(1)?;
    let data: String = r.get(3)?;
    let requester: String = r.get(4)?;
    let bad = |e: serde_json::Error| {
        rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e))
    };
    Ok(Item {
        id: r.get(0)?,
        state: State::parse(&state).unwrap_or(State::Failed),
        version: r.get(2)?,
        proposal: serde_json::from_str(&data).map_err(bad)?,
        requester: serde_json::from_str(&requester).map_err(bad)?,
        created_at: r.get(5)?,
        updated_at: r.get(6)?,
        execution_id: r.get(7)?,
        current_step: r.get(8)?,
        failure: r.get(9)?,
        cancel_requested: r.get::<_, i64>(10)? != 0,
        finding_noted: r.get::<_, i64>(11)? != 0,
        decisions: Vec::new(),
        lease_owner: r.get(12)?,
        lease_until: r.get(13)?,
        start_error: r.get(14)?,
    })
}

fn decisions(conn: &Connection, id: &str) -> rusqlite::Result<Vec<Decision>> {
    let mut d = conn.prepare_cached(
        "SELECT actor, actor_name, approve, justification, at, digest, person FROM remediation_decisions WHERE item_id = ?1 ORDER BY at, rowid",
    )?;
    d.query_map([id], |r| {
        Ok(Decision {
            actor: r.get(0)?,
            actor_name: r.get(1)?,
            approve: r.get::<_, i64>(2)? != 0,
            justification: r.get(3)?,
            at: r.get(4)?,
            digest: r.get(5)?,
            person: r.get(6)?,
        })
    })?
    .collect()
}

/// An item with its decisions, read inside a transaction.
pub(super) fn load(conn: &Connection, id: &str) -> Result<Item, QueueError> {
    let item = conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM remediation_items WHERE id = ?1"),
            [id],
            row_to_item,
        )
        .optional()?
        .ok_or_else(|| QueueError::NotFound(id.to_string()))?;
    Ok(Item {
        decisions: decisions(conn, id)?,
        ..item
    })
}

fn target(item: &Item) -> String {
    let p = &item.proposal;
    format!(
        "{} {} {} on {} in {}/{}",
        item.id, p.control, p.document, p.resource_id, p.account, p.region
    )
}

impl Queue {
    /// Opens the queue in the SQLite store at `path` (shared with other consoles). The audit
    /// log must be anchored in the same store.
    pub fn open(path: &Path, audit: Arc<Mutex<AuditLog>>) -> Result<Queue, QueueError> {
        Ok(Queue {
            store: Store::open(path)?,
            audit,
            trusted: Vec::new(),
        })
    }

    /// Roles whose session names identify a person (from this process's own config).
    pub fn with_trusted_roles(mut self, trusted: Vec<String>) -> Queue {
        self.trusted = trusted;
        self
    }

    pub fn trusted_roles(&self) -> &[String] {
        &self.trusted
    }

    /// The person key of an identity under this queue's rules.
    pub fn person_of(&self, who: &Identity) -> String {
        person(&who.arn, &self.trusted).key
    }

    /// Writes an audit entry on its own; an action that depends on it must not happen if
    /// this fails.
    pub fn audit(
        &self,
        who: &Identity,
        action: &str,
        target: &str,
        why: &str,
        outcome: &str,
    ) -> Result<(), QueueError> {
        self.audit
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .record(&who.display(), action, target, why, outcome)
            .map_err(QueueError::Audit)
    }

    /// Records an outcome that follows an earlier audited action (best effort).
    pub fn audit_outcome(&self, who: &Identity, action: &str, target: &str, outcome: &str) {
        if let Err(e) = self.audit(who, action, target, "", outcome) {
            tracing::error!("audit: {e}");
        }
    }

    /// Runs `f` in an immediate transaction with the audit log locked (always in this order:
    /// audit lock, then the store's write lock), committing when it succeeds.
    fn write<T>(
        &mut self,
        f: impl FnOnce(&Connection, &mut AuditLog) -> Result<T, QueueError>,
    ) -> Result<T, QueueError> {
        let audit = self.audit.clone();
        let mut log = audit.lock().unwrap_or_else(|e| e.into_inner());
        let tx = self
            .store
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx, &mut log)?;
        tx.commit()?;
        Ok(out)
    }

    pub fn list(&self) -> Result<Vec<Item>, QueueError> {
        let conn = self.store.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {COLUMNS} FROM remediation_items ORDER BY created_at, rowid"
        ))?;
        let mut items = stmt
            .query_map([], row_to_item)?
            .collect::<Result<Vec<_>, _>>()?;
        for it in &mut items {
            it.decisions = decisions(conn, &it.id)?;
        }
        Ok(items)
    }

    /// An item by id or unique id prefix.
    pub fn get(&self, id: &str) -> Result<Item, QueueError> {
        let conn = self.store.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id FROM remediation_items WHERE substr(id, 1, length(?1)) = ?1 LIMIT 2",
        )?;
        let ids: Vec<String> = stmt
            .query_map([id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        match ids.as_slice() {
            [] => Err(QueueError::NotFound(id.to_string())),
            [one] => load(conn, one),
            _ => Err(QueueError::Ambiguous(id.to_string())),
        }
    }

    /// The open (not final) item for this finding and runbook, if any.
    pub fn open_item(&self, finding_id: &str, document: &str) -> Result<Option<Item>, QueueError> {
        open_item(self.store.conn(), finding_id, document)
    }

    /// Conditional state change with its transition record; the caller has audited it.
    pub(super) fn transition(
        tx: &Connection,
        id: &str,
        from: State,
        to: State,
        who: &Identity,
        note: &str,
    ) -> Result<(), QueueError> {
        let now = now_ms();
        let n = tx.execute(
            "UPDATE remediation_items SET state = ?2, version = version + 1, updated_at = ?3 WHERE id = ?1 AND state = ?4",
            params![id, to.as_str(), now, from.as_str()],
        )?;
        if n != 1 {
            let state: Option<String> = tx
                .query_row(
                    "SELECT state FROM remediation_items WHERE id = ?1",
                    [id],
                    |r| r.get(0),
                )
                .optional()?;
            return Err(match state.and_then(|s| State::parse(&s)) {
                Some(s) => QueueError::WrongState {
                    id: id.to_string(),
                    state: s.as_str(),
                    wanted: from.as_str(),
                },
                None => QueueError::NotFound(id.to_string()),
            });
        }
        tx.execute(
            "INSERT INTO remediation_transitions (item_id, at, from_state, to_state, actor, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id, now, from.as_str(), to.as_str(), who.display(), note],
        )?;
        Ok(())
    }

    /// Queues a proposal, unless an open item already covers the same finding and runbook
    /// (`Duplicate` names it).
    pub fn propose(&mut self, proposal: Proposal, who: &Identity) -> Result<Item, QueueError> {
        let id = new_id();
        self.write(|tx, log| {
            if let Some(open) = open_item(tx, &proposal.finding_id, &proposal.document)? {
                return Err(QueueError::Duplicate {
                    id: open.id,
                    state: open.state.as_str(),
                });
            }
            let digest = proposal.digest();
            let target = format!(
                "{id} {} {} on {} in {}/{} digest {digest}",
                proposal.control,
                proposal.document,
                proposal.resource_id,
                proposal.account,
                proposal.region
            );
            log.record_in(tx, &who.display(), "remediation:propose", &target, "", "proposed")
                .map_err(QueueError::Audit)?;
            let now = now_ms();
            tx.execute(
                "INSERT INTO remediation_items (id, state, data, requester, created_at, updated_at, finding_id) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)",
                params![id, State::Proposed.as_str(), serde_json::to_string(&proposal).expect("proposal"), serde_json::to_string(who).expect("identity"), now, proposal.finding_id],
            )?;
            tx.execute(
                "INSERT INTO remediation_transitions (item_id, at, from_state, to_state, actor, note) VALUES (?1, ?2, NULL, ?3, ?4, '')",
                params![id, now, State::Proposed.as_str(), who.display()],
            )?;
            Ok(())
        })?;
        self.get(&id)
    }

    /// Records an approval; the item becomes Approved when enough distinct *people* agree.
    /// `seen_digest` is the digest of the proposal the approver was shown, when known: an
    /// item that changed since is refused.
    pub fn approve(
        &mut self,
        id: &str,
        who: &Identity,
        justification: &str,
        confirm: Option<&str>,
        seen_digest: Option<&str>,
    ) -> Result<Item, QueueError> {
        let id = self.get(id)?.id;
        let trusted = self.trusted.clone();
        self.write(|tx, log| {
            let item = load(tx, &id)?;
            if item.state != State::Proposed {
                return Err(QueueError::WrongState {
                    id: item.id,
                    state: item.state.as_str(),
                    wanted: "Proposed",
                });
            }
            let digest = item.proposal.digest();
            if seen_digest.is_some_and(|d| d != digest) {
                return Err(QueueError::Changed(item.id));
            }
            let me = person(&who.arn, &trusted);
            let requester = person(&item.requester.arn, &trusted);
            if me.key == requester.key {
                return Err(QueueError::OwnProposal(if who.arn == item.requester.arn {
                    "same identity".into()
                } else {
                    format!("{} and {} are one person: {}", who.arn, item.requester.arn, me.key)
                }));
            }
            if let Some(d) = item
                .decisions
                .iter()
                .find(|d| d.actor == who.arn || person(&d.actor, &trusted).key == me.key)
            {
                return Err(QueueError::AlreadyDecided(if d.actor == who.arn {
                    who.display()
                } else {
                    format!("{} (as {}: same person)", me.key, d.actor)
                }));
            }
            if item.proposal.destructive && justification.trim().is_empty() {
                return Err(QueueError::JustificationRequired(
                    "to approve a destructive remediation",
                ));
            }
            if let Some(word) = &item.proposal.confirm_word
                && confirm.map(str::trim) != Some(word.as_str())
            {
                return Err(QueueError::ConfirmMismatch(word.clone()));
            }
            log.record_in(
                tx,
                &who.display(),
                "remediation:approve",
                &format!("{} digest {digest}", target(&item)),
                justification,
                "approved",
            )
            .map_err(QueueError::Audit)?;
            tx.execute(
                "INSERT INTO remediation_decisions (item_id, actor, actor_name, approve, justification, at, digest, person) VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6, ?7)",
                params![item.id, who.arn, who.short(), justification, now_ms(), digest, me.key],
            )?;
            let people: i64 = tx.query_row(
                "SELECT count(DISTINCT person) FROM remediation_decisions WHERE item_id = ?1 AND approve = 1 AND digest = ?2",
                params![item.id, digest],
                |r| r.get(0),
            )?;
            if people as u32 >= item.proposal.approvals_required {
                Self::transition(tx, &item.id, State::Proposed, State::Approved, who, justification)?;
            }
            Ok(())
        })?;
        self.get(&id)
    }

    pub fn reject(
        &mut self,
        id: &str,
        who: &Identity,
        justification: &str,
    ) -> Result<Item, QueueError> {
        if justification.trim().is_empty() {
            return Err(QueueError::JustificationRequired("to reject"));
        }
        let id = self.get(id)?.id;
        let me = self.person_of(who);
        self.write(|tx, log| {
            let item = load(tx, &id)?;
            if item.state != State::Proposed {
                return Err(QueueError::WrongState {
                    id: item.id,
                    state: item.state.as_str(),
                    wanted: "Proposed",
                });
            }
            let digest = item.proposal.digest();
            log.record_in(tx, &who.display(), "remediation:reject", &target(&item), justification, "rejected")
                .map_err(QueueError::Audit)?;
            tx.execute(
                "INSERT OR REPLACE INTO remediation_decisions (item_id, actor, actor_name, approve, justification, at, digest, person) VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6, ?7)",
                params![item.id, who.arn, who.short(), justification, now_ms(), digest, me],
            )?;
            Self::transition(tx, &item.id, State::Proposed, State::Rejected, who, justification)
        })?;
        self.get(&id)
    }

    /// Cancels a waiting item at once; a running one gets `cancel_requested` (the runner
    /// stops the execution, audited, and records the final state).
    pub fn cancel(
        &mut self,
        id: &str,
        who: &Identity,
        justification: &str,
    ) -> Result<Item, QueueError> {
        if justification.trim().is_empty() {
            return Err(QueueError::JustificationRequired("to cancel"));
        }
        let id = self.get(id)?.id;
        self.write(|tx, log| {
            let item = load(tx, &id)?;
            let (outcome, wanted) = match item.state {
                State::Proposed | State::Approved => ("cancelled", None),
                State::Running => ("stop requested", None),
                s => ("", Some(s)),
            };
            if let Some(s) = wanted {
                return Err(QueueError::WrongState {
                    id: item.id,
                    state: s.as_str(),
                    wanted: "Proposed, Approved or Running",
                });
            }
            log.record_in(tx, &who.display(), "remediation:cancel", &target(&item), justification, outcome)
                .map_err(QueueError::Audit)?;
            if item.state == State::Running {
                tx.execute(
                    "UPDATE remediation_items SET cancel_requested = 1, version = version + 1, updated_at = ?2 WHERE id = ?1 AND state = 'Running'",
                    params![item.id, now_ms()],
                )?;
                Ok(())
            } else {
                Self::transition(tx, &item.id, item.state, State::Cancelled, who, justification)
            }
        })?;
        self.get(&id)
    }

    pub fn set_progress(&mut self, id: &str, step: Option<&str>) -> Result<(), QueueError> {
        self.store.conn().execute(
            "UPDATE remediation_items SET current_step = ?2, updated_at = ?3 WHERE id = ?1 AND current_step IS NOT ?2",
            params![id, step, now_ms()],
        )?;
        Ok(())
    }

    pub fn set_noted(&mut self, id: &str) -> Result<(), QueueError> {
        self.store.conn().execute(
            "UPDATE remediation_items SET finding_noted = 1 WHERE id = ?1",
            [id],
        )?;
        Ok(())
    }

    /// Every transition of an item, oldest first: (at, from, to, actor, note).
    pub fn history(&self, id: &str) -> Result<Vec<Transition>, QueueError> {
        let mut stmt = self.store.conn().prepare("SELECT at, from_state, to_state, actor, note FROM remediation_transitions WHERE item_id = ?1 ORDER BY rowid")?;
        let rows = stmt.query_map([id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn open_item(
    conn: &Connection,
    finding_id: &str,
    document: &str,
) -> Result<Option<Item>, QueueError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM remediation_items WHERE finding_id = ?1 AND state IN ('Proposed', 'Approved', 'Running') ORDER BY created_at",
    )?;
    let ids: Vec<String> = stmt
        .query_map([finding_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in ids {
        let item = load(conn, &id)?;
        if item.proposal.document == document {
            return Ok(Some(item));
        }
    }
    Ok(None)
}

#[cfg(test)]
pub(crate) mod tests;
