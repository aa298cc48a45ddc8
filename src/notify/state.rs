//! Rule state in the store, so it survives restarts: which findings match each rule, which
//! were notified and not yet resolved, escalation deadlines, when a rule was first seen
//! (baselined), failing sources, the remediation transitions already read, and tickets.

use rusqlite::{Connection, OptionalExtension, params};

use super::outbox::{Entry, Outbox, OutboxError};

/// A change to a rule's record of one finding (applied with the outbox write it goes with).
#[derive(Debug, Clone, PartialEq)]
pub enum StateOp {
    /// Matches now. `open`: notified, so its resolution will be sent.
    Match {
        rule: String,
        finding: String,
        version: String,
        at: i64,
        open: bool,
        escalate_at: Option<i64>,
    },
    /// No longer matches (still open if it was notified and is not resolved).
    Unmatch { rule: String, finding: String },
    /// Resolved (sent) or forgotten: the record goes.
    Close { rule: String, finding: String },
    /// The escalation deadline passed (escalated, or acknowledged meanwhile).
    Deadline { rule: String, finding: String },
}

impl StateOp {
    /// Applies the change; true when it was a transition in the store (the notification
    /// that goes with it is then written; otherwise another process already did).
    pub fn apply(&self, tx: &Connection) -> rusqlite::Result<bool> {
        let state = |rule: &str, finding: &str| -> rusqlite::Result<Option<(bool, bool, bool)>> {
            tx.query_row(
                "SELECT matched, open, escalate_at IS NOT NULL FROM notify_state WHERE rule = ?1 AND finding_id = ?2",
                params![rule, finding],
                |r| Ok((r.get::<_, i64>(0)? != 0, r.get::<_, i64>(1)? != 0, r.get(2)?)),
            )
            .optional()
        };
        Ok(match self {
            StateOp::Match {
                rule,
                finding,
                version,
                at,
                open,
                escalate_at,
            } => {
                let before = state(rule, finding)?;
                if before.is_some_and(|(m, _, _)| m) {
                    return Ok(false);
                }
                tx.execute(
                    "INSERT INTO notify_state (rule, finding_id, matched, open, version, matched_at, escalate_at)
                     VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6)
                     ON CONFLICT(rule, finding_id) DO UPDATE SET matched = 1, open = MAX(open, excluded.open),
                       version = excluded.version, matched_at = excluded.matched_at,
                       escalate_at = COALESCE(excluded.escalate_at, escalate_at)",
                    params![rule, finding, *open as i64, version, at, escalate_at],
                )?;
                true
            }
            StateOp::Unmatch { rule, finding } => {
                let before = state(rule, finding)?;
                tx.execute(
                    "UPDATE notify_state SET matched = 0 WHERE rule = ?1 AND finding_id = ?2",
                    params![rule, finding],
                )?;
                tx.execute(
                    "DELETE FROM notify_state WHERE rule = ?1 AND finding_id = ?2 AND open = 0",
                    params![rule, finding],
                )?;
                before.is_some_and(|(m, _, _)| m)
            }
            StateOp::Close { rule, finding } => {
                let before = state(rule, finding)?;
                tx.execute(
                    "DELETE FROM notify_state WHERE rule = ?1 AND finding_id = ?2",
                    params![rule, finding],
                )?;
                before.is_some_and(|(_, open, _)| open)
            }
            StateOp::Deadline { rule, finding } => {
                let before = state(rule, finding)?;
                tx.execute(
                    "UPDATE notify_state SET escalate_at = NULL WHERE rule = ?1 AND finding_id = ?2",
                    params![rule, finding],
                )?;
                before.is_some_and(|(_, _, due)| due)
            }
        })
    }
}

/// What the store says about one rule.
#[derive(Debug, Clone, Default)]
pub struct RuleRecord {
    pub fingerprint: Option<String>,
    pub baselined_at: Option<i64>,
    /// (finding id, matched, open)
    pub findings: Vec<(String, bool, bool)>,
}

/// A remediation transition not read yet.
#[derive(Debug, Clone)]
pub struct Transition {
    pub rowid: i64,
    pub item_id: String,
    pub to_state: String,
    pub actor: String,
    pub note: String,
    pub at: i64,
    /// The item's proposal (JSON).
    pub data: String,
}

impl Outbox {
    pub fn rule_record(&self, rule: &str) -> Result<RuleRecord, OutboxError> {
        let meta: Option<(String, Option<i64>)> = self
            .conn
            .query_row(
                "SELECT fingerprint, baselined_at FROM notify_rules WHERE rule = ?1",
                [rule],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT finding_id, matched, open FROM notify_state WHERE rule = ?1")?;
        let findings = stmt
            .query_map([rule], |r| {
                Ok((
                    r.get(0)?,
                    r.get::<_, i64>(1)? != 0,
                    r.get::<_, i64>(2)? != 0,
                ))
            })?
            .collect::<Result<_, _>>()?;
        Ok(RuleRecord {
            fingerprint: meta.as_ref().map(|m| m.0.clone()),
            baselined_at: meta.and_then(|m| m.1),
            findings,
        })
    }

    /// A rule seen for the first time, or with a changed `when`: its old state goes.
    pub fn reset_rule(&mut self, rule: &str, fingerprint: &str) -> Result<(), OutboxError> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM notify_state WHERE rule = ?1", [rule])?;
        tx.execute(
            "INSERT INTO notify_rules (rule, fingerprint, baselined_at) VALUES (?1, ?2, NULL)
             ON CONFLICT(rule) DO UPDATE SET fingerprint = excluded.fingerprint, baselined_at = NULL",
            params![rule, fingerprint],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The rule's present matches are known: later matches notify.
    pub fn set_baselined(&mut self, rule: &str, at: i64) -> Result<(), OutboxError> {
        self.conn.execute(
            "UPDATE notify_rules SET baselined_at = COALESCE(baselined_at, ?2) WHERE rule = ?1",
            params![rule, at],
        )?;
        Ok(())
    }

    /// Writes state changes that send nothing (baselining, findings that stopped matching).
    pub fn apply_state(&mut self, ops: &[StateOp]) -> Result<(), OutboxError> {
        if ops.is_empty() {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for op in ops {
            op.apply(&tx)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Escalation deadlines that have passed: (rule, finding id, when it matched).
    pub fn due_escalations(&self, now: i64) -> Result<Vec<(String, String, i64)>, OutboxError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT rule, finding_id, matched_at FROM notify_state WHERE escalate_at IS NOT NULL AND escalate_at <= ?1",
        )?;
        let rows = stmt.query_map([now], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The earliest pending escalation deadline.
    pub fn next_deadline(&self) -> Result<Option<i64>, OutboxError> {
        Ok(self
            .conn
            .query_row("SELECT MIN(escalate_at) FROM notify_state", [], |r| {
                r.get(0)
            })?)
    }

    /// Remediation transitions after the shared cursor (which starts at the present, so
    /// history is not notified); the cursor moves on.
    pub fn remediation_transitions(&mut self) -> Result<Vec<Transition>, OutboxError> {
        let cursor: Option<i64> = self
            .conn
            .query_row(
                "SELECT value FROM notify_cursor WHERE name = 'remediation'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let max: i64 = self.conn.query_row(
            "SELECT COALESCE(MAX(rowid), 0) FROM remediation_transitions",
            [],
            |r| r.get(0),
        )?;
        let Some(cursor) = cursor else {
            self.set_cursor("remediation", max)?;
            return Ok(Vec::new());
        };
        if max <= cursor {
            return Ok(Vec::new());
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT t.rowid, t.item_id, t.to_state, t.actor, t.note, t.at, i.data
             FROM remediation_transitions t JOIN remediation_items i ON i.id = t.item_id
             WHERE t.rowid > ?1 ORDER BY t.rowid LIMIT 500",
        )?;
        let rows: Vec<Transition> = stmt
            .query_map([cursor], |r| {
                Ok(Transition {
                    rowid: r.get(0)?,
                    item_id: r.get(1)?,
                    to_state: r.get(2)?,
                    actor: r.get(3)?,
                    note: r.get(4)?,
                    at: r.get(5)?,
                    data: r.get(6)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        drop(stmt);
        let last = rows.last().map_or(max, |t| t.rowid);
        self.set_cursor("remediation", last)?;
        Ok(rows)
    }

    fn set_cursor(&mut self, name: &str, value: i64) -> Result<(), OutboxError> {
        self.conn.execute(
            "INSERT INTO notify_cursor (name, value) VALUES (?1, ?2)
             ON CONFLICT(name) DO UPDATE SET value = MAX(value, excluded.value)",
            params![name, value],
        )?;
        Ok(())
    }

    /// When a failing source was first seen failing (by any process); None clears it.
    pub fn source_failing(
        &mut self,
        source: &str,
        failing: bool,
        now: i64,
    ) -> Result<Option<i64>, OutboxError> {
        if !failing {
            self.conn
                .execute("DELETE FROM notify_sources WHERE source = ?1", [source])?;
            return Ok(None);
        }
        self.conn.execute(
            "INSERT OR IGNORE INTO notify_sources (source, since) VALUES (?1, ?2)",
            params![source, now],
        )?;
        Ok(Some(self.conn.query_row(
            "SELECT since FROM notify_sources WHERE source = ?1",
            [source],
            |r| r.get(0),
        )?))
    }

    /// Tickets by finding: (finding id, channel, issue key).
    pub fn tickets(&self) -> Result<Vec<(String, String, String, bool)>, OutboxError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT finding_id, channel, issue_key, resolved_at IS NOT NULL FROM notify_tickets ORDER BY created_at",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn ticket(&self, finding: &str, channel: &str) -> Result<Option<String>, OutboxError> {
        Ok(self
            .conn
            .query_row(
                "SELECT issue_key FROM notify_tickets WHERE finding_id = ?1 AND channel = ?2",
                params![finding, channel],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Rule match counts from the store: rule → (matching, notified and open).
    pub fn rule_counts(
        &self,
    ) -> Result<std::collections::HashMap<String, (usize, usize)>, OutboxError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT rule, SUM(matched), SUM(open) FROM notify_state GROUP BY rule",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                (r.get::<_, i64>(1)? as usize, r.get::<_, i64>(2)? as usize),
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// After a send: a Jira issue created for a finding is remembered with it; a resolve marks
/// it resolved.
pub(super) fn record_ticket(
    tx: &Connection,
    entry: &Entry,
    reference: Option<&str>,
    now: i64,
) -> rusqlite::Result<()> {
    let (Some(finding), Some(key)) = (entry.finding_id.as_deref(), reference) else {
        return Ok(());
    };
    if !key.starts_with("issue:") {
        return Ok(());
    }
    let key = &key["issue:".len()..];
    if entry.event == "finding.resolved" {
        tx.execute(
            "UPDATE notify_tickets SET resolved_at = ?3 WHERE finding_id = ?1 AND channel = ?2",
            params![finding, entry.channel, now],
        )?;
    } else {
        let (key, url) = key
            .split_once(' ')
            .map_or((key, None), |(k, u)| (k, Some(u)));
        tx.execute(
            "INSERT INTO notify_tickets (finding_id, channel, issue_key, url, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(finding_id, channel) DO UPDATE SET issue_key = excluded.issue_key,
               url = excluded.url, created_at = excluded.created_at, resolved_at = NULL",
            params![finding, entry.channel, key, url, now],
        )?;
    }
    Ok(())
}
