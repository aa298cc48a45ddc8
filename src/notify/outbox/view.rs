//! The outbox as the notifications view and the analysts see it: listing, counts, paused
//! channels, and an analyst's retry or discard of one entry (audited first).

use std::collections::HashMap;

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::{COLUMNS, Entry, Outbox, OutboxError, State, row_entry};

impl Outbox {
    /// An analyst's retry (now) or discard of an entry, audited first.
    pub fn retry_or_discard(
        &mut self,
        id: i64,
        retry: bool,
        actor: &str,
        now: i64,
    ) -> Result<String, OutboxError> {
        let audit = self.audit.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let entry = tx
            .query_row(
                &format!("SELECT {COLUMNS} FROM notify_outbox WHERE id = ?1"),
                [id],
                row_entry,
            )
            .optional()?
            .ok_or_else(|| OutboxError::Refused(format!("no outbox entry {id}")))?;
        let allowed = match entry.state {
            State::Pending | State::Failed => true,
            State::Discarded => retry,
            State::Sending | State::Sent => false,
        };
        if !allowed {
            return Err(OutboxError::Refused(format!(
                "entry {id} is {}: nothing to {}",
                entry.state.as_str(),
                if retry { "retry" } else { "discard" }
            )));
        }
        let action = if retry {
            "notify:retry"
        } else {
            "notify:discard"
        };
        let target = format!("{} on {} ({})", entry.key, entry.channel, entry.event);
        match &audit {
            Some(a) => a
                .lock()
                .expect("audit lock")
                .record_in(&tx, actor, action, &target, "", "ok")
                .map_err(OutboxError::Audit)?,
            None => return Err(OutboxError::Refused("no audit log".into())),
        }
        if retry {
            tx.execute(
                "UPDATE notify_outbox SET state = 'pending', not_before = ?2, attempts = 0, updated_at = ?2
                 WHERE id = ?1",
                params![id, now],
            )?;
            tx.execute(
                "UPDATE notify_channels SET paused_until = 0 WHERE channel = ?1",
                [&entry.channel],
            )?;
        } else {
            tx.execute(
                "UPDATE notify_outbox SET state = 'discarded', updated_at = ?2 WHERE id = ?1",
                params![id, now],
            )?;
        }
        tx.commit()?;
        Ok(format!(
            "{} {} on {}",
            if retry { "retrying" } else { "discarded" },
            entry.key,
            entry.channel
        ))
    }

    /// The entries to show: failed, sending and pending first, then the latest sent.
    pub fn list(&self, limit: usize) -> Result<Vec<Entry>, OutboxError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM notify_outbox ORDER BY
               CASE state WHEN 'failed' THEN 0 WHEN 'sending' THEN 1 WHEN 'pending' THEN 2 ELSE 3 END,
               updated_at DESC, id DESC LIMIT ?1"
        ))?;
        let rows = stmt.query_map([limit as i64], row_entry)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn get(&self, id: i64) -> Result<Option<Entry>, OutboxError> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM notify_outbox WHERE id = ?1"),
                [id],
                row_entry,
            )
            .optional()?)
    }

    /// Entries by state.
    pub fn counts(&self) -> Result<HashMap<State, usize>, OutboxError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT state, count(*) FROM notify_outbox GROUP BY state")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        let mut out = HashMap::new();
        for r in rows {
            let (s, n) = r?;
            out.insert(State::parse(&s), n as usize);
        }
        Ok(out)
    }

    /// The next time an entry becomes due (for the worker's sleep).
    pub fn next_due(&self) -> Result<Option<i64>, OutboxError> {
        Ok(self.conn.query_row(
            "SELECT MIN(CASE state WHEN 'pending' THEN not_before ELSE lease_until END)
             FROM notify_outbox WHERE state IN ('pending', 'sending')",
            [],
            |r| r.get(0),
        )?)
    }

    /// Channels paused by a Retry-After: name → (until, reason).
    pub fn paused(&self, now: i64) -> Result<HashMap<String, (i64, String)>, OutboxError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT channel, paused_until, COALESCE(pause_reason, '') FROM notify_channels WHERE paused_until > ?1",
        )?;
        let rows = stmt.query_map([now], |r| {
            Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get(2)?)))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
