//! The remediation queue: items and every transition in SQLite, shared safely by several
//! consoles (WAL, busy timeout, immediate transactions, conditional updates). Each transition
//! is written to the audit log first, then persisted, and only then acted upon.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use crate::audit::AuditLog;
use crate::model::now_ms;
use crate::store::{Store, StoreError};

pub use super::item::{Decision, Identity, Item, Proposal, State};

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
    #[error("the requester cannot approve their own proposal")]
    OwnProposal,
    #[error("{0} has already decided on this item")]
    AlreadyDecided(String),
    #[error("a justification is required {0}")]
    JustificationRequired(&'static str),
    #[error("confirmation word does not match (type {0:?})")]
    ConfirmMismatch(String),
}

pub struct Queue {
    store: Store,
    audit: Arc<Mutex<AuditLog>>,
}

fn new_id() -> String {
    let b: [u8; 16] = rand::random();
    let mut b = b;
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

const COLUMNS: &str = "id, state, version, data, requester, created_at, updated_at, execution_id, current_step, failure, cancel_requested, finding_noted";

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
    })
}

impl Queue {
    /// Opens the queue in the SQLite store at `path` (shared with other consoles).
    pub fn open(path: &Path, audit: Arc<Mutex<AuditLog>>) -> Result<Queue, QueueError> {
        Ok(Queue {
            store: Store::open(path)?,
            audit,
        })
    }

    /// Writes an audit entry; an action that depends on it must not happen if this fails.
    pub fn audit(
        &self,
        who: &Identity,
        action: &str,
        target: &str,
        why: &str,
        outcome: &str,
    ) -> Result<(), QueueError> {
        let actor = who.display();
        self.audit
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .record(&actor, action, target, why, outcome)
            .map_err(QueueError::Audit)
    }

    /// Records an outcome that follows an earlier audited action (best effort).
    pub fn audit_outcome(&self, who: &Identity, action: &str, target: &str, outcome: &str) {
        if let Err(e) = self.audit(who, action, target, "", outcome) {
            tracing::error!("audit: {e}");
        }
    }

    pub fn list(&self) -> Result<Vec<Item>, QueueError> {
        let conn = self.store.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {COLUMNS} FROM remediation_items ORDER BY created_at, rowid"
        ))?;
        let mut items = stmt
            .query_map([], row_to_item)?
            .collect::<Result<Vec<_>, _>>()?;
        let mut d = conn.prepare("SELECT actor, actor_name, approve, justification, at FROM remediation_decisions WHERE item_id = ?1 ORDER BY at")?;
        for it in &mut items {
            it.decisions = d
                .query_map([&it.id], |r| {
                    Ok(Decision {
                        actor: r.get(0)?,
                        actor_name: r.get(1)?,
                        approve: r.get::<_, i64>(2)? != 0,
                        justification: r.get(3)?,
                        at: r.get(4)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
        }
        Ok(items)
    }

    /// An item by id or unique id prefix.
    pub fn get(&self, id: &str) -> Result<Item, QueueError> {
        let matches: Vec<Item> = self
            .list()?
            .into_iter()
            .filter(|i| i.id.starts_with(id))
            .collect();
        match matches.len() {
            0 => Err(QueueError::NotFound(id.to_string())),
            1 => Ok(matches.into_iter().next().expect("one")),
            _ => Err(QueueError::Ambiguous(id.to_string())),
        }
    }

    /// Transitions: (id, from, to, actor, note); conditional on the current state.
    fn transition(
        tx: &rusqlite::Transaction,
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

    pub fn propose(&mut self, proposal: Proposal, who: &Identity) -> Result<Item, QueueError> {
        let id = new_id();
        let target = format!(
            "{id} {} {} on {}",
            proposal.control, proposal.document, proposal.resource_id
        );
        self.audit(who, "remediation:propose", &target, "", "proposed")?;
        let now = now_ms();
        let tx = self
            .store
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO remediation_items (id, state, data, requester, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            params![id, State::Proposed.as_str(), serde_json::to_string(&proposal).expect("proposal"), serde_json::to_string(who).expect("identity"), now],
        )?;
        tx.execute(
            "INSERT INTO remediation_transitions (item_id, at, from_state, to_state, actor, note) VALUES (?1, ?2, NULL, ?3, ?4, '')",
            params![id, now, State::Proposed.as_str(), who.display()],
        )?;
        tx.commit()?;
        self.get(&id)
    }

    /// Records an approval; the item becomes Approved when enough distinct approvers agree.
    pub fn approve(
        &mut self,
        id: &str,
        who: &Identity,
        justification: &str,
        confirm: Option<&str>,
    ) -> Result<Item, QueueError> {
        let item = self.get(id)?;
        if item.state != State::Proposed {
            return Err(QueueError::WrongState {
                id: item.id,
                state: item.state.as_str(),
                wanted: "Proposed",
            });
        }
        if who.arn == item.requester.arn {
            return Err(QueueError::OwnProposal);
        }
        if item.decisions.iter().any(|d| d.actor == who.arn) {
            return Err(QueueError::AlreadyDecided(who.display()));
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
        let target = format!(
            "{} {} on {}",
            item.id, item.proposal.document, item.proposal.resource_id
        );
        self.audit(
            who,
            "remediation:approve",
            &target,
            justification,
            "approved",
        )?;
        let tx = self
            .store
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let state: String = tx.query_row(
            "SELECT state FROM remediation_items WHERE id = ?1",
            [&item.id],
            |r| r.get(0),
        )?;
        if state != State::Proposed.as_str() {
            return Err(QueueError::WrongState {
                id: item.id,
                state: State::parse(&state).map_or("?", State::as_str),
                wanted: "Proposed",
            });
        }
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO remediation_decisions (item_id, actor, actor_name, approve, justification, at) VALUES (?1, ?2, ?3, 1, ?4, ?5)",
            params![item.id, who.arn, who.short(), justification, now_ms()],
        )?;
        if inserted == 0 {
            return Err(QueueError::AlreadyDecided(who.display()));
        }
        let approvals: i64 = tx.query_row(
            "SELECT count(*) FROM remediation_decisions WHERE item_id = ?1 AND approve = 1",
            [&item.id],
            |r| r.get(0),
        )?;
        if approvals as u32 >= item.proposal.approvals_required {
            Self::transition(
                &tx,
                &item.id,
                State::Proposed,
                State::Approved,
                who,
                justification,
            )?;
        }
        tx.commit()?;
        self.get(&item.id)
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
        let item = self.get(id)?;
        let target = format!(
            "{} {} on {}",
            item.id, item.proposal.document, item.proposal.resource_id
        );
        self.audit(
            who,
            "remediation:reject",
            &target,
            justification,
            "rejected",
        )?;
        let tx = self
            .store
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT OR REPLACE INTO remediation_decisions (item_id, actor, actor_name, approve, justification, at) VALUES (?1, ?2, ?3, 0, ?4, ?5)",
            params![item.id, who.arn, who.short(), justification, now_ms()],
        )?;
        Self::transition(
            &tx,
            &item.id,
            State::Proposed,
            State::Rejected,
            who,
            justification,
        )?;
        tx.commit()?;
        self.get(&item.id)
    }

    /// Cancels a waiting item at once; a running one gets `cancel_requested` (the executor
    /// stops the execution and records the final state).
    pub fn cancel(
        &mut self,
        id: &str,
        who: &Identity,
        justification: &str,
    ) -> Result<Item, QueueError> {
        let item = self.get(id)?;
        let target = format!("{} {}", item.id, item.proposal.document);
        self.audit(
            who,
            "remediation:cancel",
            &target,
            justification,
            "requested",
        )?;
        let tx = self
            .store
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        match item.state {
            State::Proposed | State::Approved => Self::transition(
                &tx,
                &item.id,
                item.state,
                State::Cancelled,
                who,
                justification,
            )?,
            State::Running => {
                tx.execute("UPDATE remediation_items SET cancel_requested = 1, version = version + 1 WHERE id = ?1 AND state = 'Running'", [&item.id])?;
            }
            s => {
                return Err(QueueError::WrongState {
                    id: item.id,
                    state: s.as_str(),
                    wanted: "Proposed, Approved or Running",
                });
            }
        }
        tx.commit()?;
        self.get(&item.id)
    }

    /// Approved → Running, persisted (and audited) before StartAutomationExecution is called.
    /// Exactly one of several racing consoles wins; the others get `WrongState`.
    pub fn claim_for_run(&mut self, id: &str, who: &Identity) -> Result<Item, QueueError> {
        let item = self.get(id)?;
        let target = format!(
            "{} {} {} in {}/{}",
            item.id,
            item.proposal.document,
            item.proposal.resource_id,
            item.proposal.account,
            item.proposal.region
        );
        self.audit(who, "remediation:execute", &target, "", "starting")?;
        let tx = self
            .store
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        Self::transition(&tx, &item.id, State::Approved, State::Running, who, "")?;
        tx.commit()?;
        self.get(&item.id)
    }

    pub fn set_execution(&mut self, id: &str, execution_id: &str) -> Result<(), QueueError> {
        self.store.conn().execute(
            "UPDATE remediation_items SET execution_id = ?2, version = version + 1, updated_at = ?3 WHERE id = ?1",
            params![id, execution_id, now_ms()],
        )?;
        Ok(())
    }

    pub fn set_progress(&mut self, id: &str, step: Option<&str>) -> Result<(), QueueError> {
        self.store.conn().execute(
            "UPDATE remediation_items SET current_step = ?2, updated_at = ?3 WHERE id = ?1 AND current_step IS NOT ?2",
            params![id, step, now_ms()],
        )?;
        Ok(())
    }

    /// Running → a final state, audited and persisted before the finding is updated.
    pub fn finish(
        &mut self,
        id: &str,
        to: State,
        failure: Option<&str>,
        who: &Identity,
    ) -> Result<Item, QueueError> {
        let item = self.get(id)?;
        let target = format!(
            "{} execution {}",
            item.id,
            item.execution_id.as_deref().unwrap_or("-")
        );
        self.audit(
            who,
            &format!("remediation:{}", to.as_str().to_lowercase()),
            &target,
            failure.unwrap_or(""),
            to.as_str(),
        )?;
        let tx = self
            .store
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        Self::transition(
            &tx,
            &item.id,
            State::Running,
            to,
            who,
            failure.unwrap_or(""),
        )?;
        tx.execute(
            "UPDATE remediation_items SET failure = ?2 WHERE id = ?1",
            params![item.id, failure],
        )?;
        tx.commit()?;
        self.get(&item.id)
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

#[cfg(test)]
mod tests;
