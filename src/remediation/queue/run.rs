//! The runner's side of the queue: claims with a lease, execution ids, ambiguous starts,
//! final states, refusals. Every change is audited inside its transaction.

use rusqlite::params;

use super::{Identity, Item, Queue, QueueError, State, load, target};
use crate::model::now_ms;

impl Queue {
    /// Approved → Running with a lease held by `owner` for `lease_ms`, persisted and audited
    /// ("starting", only by the console that wins) before StartAutomationExecution is called.
    /// Losers of a race get `WrongState` and write nothing.
    pub fn claim_for_run(
        &mut self,
        id: &str,
        who: &Identity,
        owner: &str,
        lease_ms: i64,
    ) -> Result<Item, QueueError> {
        let id = id.to_string();
        self.write(|tx, log| {
            let item = load(tx, &id)?;
            if item.state != State::Approved {
                return Err(QueueError::WrongState {
                    id: item.id,
                    state: item.state.as_str(),
                    wanted: "Approved",
                });
            }
            log.record_in(
                tx,
                &who.display(),
                "remediation:execute",
                &format!("{} digest {}", target(&item), item.proposal.digest()),
                "",
                "starting",
            )
            .map_err(QueueError::Audit)?;
            Self::transition(tx, &item.id, State::Approved, State::Running, who, "")?;
            tx.execute(
                "UPDATE remediation_items SET lease_owner = ?2, lease_until = ?3 WHERE id = ?1",
                params![item.id, owner, now_ms() + lease_ms],
            )?;
            Ok(())
        })?;
        self.get(&id)
    }

    /// Takes (or renews) the lease of a Running item that has no execution id yet, so only
    /// one console at a time retries its start. False when another holder's lease is live.
    pub fn take_lease(&mut self, id: &str, owner: &str, lease_ms: i64) -> Result<bool, QueueError> {
        let now = now_ms();
        let n = self.store.conn().execute(
            "UPDATE remediation_items SET lease_owner = ?2, lease_until = ?3
             WHERE id = ?1 AND state = 'Running' AND execution_id IS NULL
               AND (lease_owner IS NULL OR lease_owner = ?2 OR lease_until IS NULL OR lease_until < ?4)",
            params![id, owner, now + lease_ms, now],
        )?;
        Ok(n == 1)
    }

    /// The start answered with an execution id: the lease is no longer needed.
    pub fn set_execution(&mut self, id: &str, execution_id: &str) -> Result<(), QueueError> {
        self.store.conn().execute(
            "UPDATE remediation_items SET execution_id = ?2, start_error = NULL, lease_owner = NULL, lease_until = NULL, version = version + 1, updated_at = ?3 WHERE id = ?1 AND execution_id IS NULL",
            params![id, execution_id, now_ms()],
        )?;
        Ok(())
    }

    /// The start's answer was not definite (timeout, throttling, 5xx): it will be retried
    /// with the same client token.
    pub fn set_start_error(&mut self, id: &str, error: &str) -> Result<(), QueueError> {
        self.store.conn().execute(
            "UPDATE remediation_items SET start_error = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, error, now_ms()],
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
        self.end(
            id,
            State::Running,
            to,
            failure,
            who,
            &format!("remediation:{}", to.as_str().to_lowercase()),
        )
    }

    /// Approved → Failed: the runner's own checks refused to start it (digest, policy,
    /// people, runbook version). Audited with the reason.
    pub fn refuse(&mut self, id: &str, reason: &str, who: &Identity) -> Result<Item, QueueError> {
        self.end(
            id,
            State::Approved,
            State::Failed,
            Some(reason),
            who,
            "remediation:refuse",
        )
    }

    fn end(
        &mut self,
        id: &str,
        from: State,
        to: State,
        failure: Option<&str>,
        who: &Identity,
        action: &str,
    ) -> Result<Item, QueueError> {
        let id = id.to_string();
        self.write(|tx, log| {
            let item = load(tx, &id)?;
            if item.state != from {
                return Err(QueueError::WrongState {
                    id: item.id,
                    state: item.state.as_str(),
                    wanted: from.as_str(),
                });
            }
            let what = format!(
                "{} execution {}",
                target(&item),
                item.execution_id.as_deref().unwrap_or("-")
            );
            log.record_in(tx, &who.display(), action, &what, failure.unwrap_or(""), to.as_str())
                .map_err(QueueError::Audit)?;
            Self::transition(tx, &item.id, from, to, who, failure.unwrap_or(""))?;
            tx.execute(
                "UPDATE remediation_items SET failure = ?2, lease_owner = NULL, lease_until = NULL WHERE id = ?1",
                params![item.id, failure],
            )?;
            Ok(())
        })?;
        self.get(&id)
    }
}
