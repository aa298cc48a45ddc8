//! Carries approved items through SSM Automation. Before it claims an item the runner checks,
//! from its *own* config and catalogue (never from the item row), that what would run is
//! exactly what was approved: the proposal's digest matches every approval, enough distinct
//! people approved under its policy, the playbook is the same, and the runbook version it
//! pins still has the approved content. A mismatch refuses the item (Failed, audited).
//! Then it claims the item with a lease (persisted and audited before the API call), starts
//! it in the target account and region with the item's client token, retries an ambiguous
//! start with the same token until SSM answers definitely, spaces starts per account ×
//! region, tracks progress, stops cancelled runs, and notes the finding at the end.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::automation::{Automation, ExecState, StartError, Targets};
use super::catalog::Catalog;
use super::person::person;
use super::policy::{Facts, Rule, decide};
use super::queue::{Identity, Item, Queue, QueueError, State};
use crate::model::{FindingRef, Workflow};
use crate::sources::{Source, WorkflowUpdate};

/// What the runner trusts: its own policy, catalogue and people rules.
#[derive(Clone)]
pub struct Checks {
    pub rules: Vec<Rule>,
    pub catalog: Catalog,
    pub trusted_roles: Vec<String>,
    pub spacing: Duration,
    pub lease: Duration,
}

impl Checks {
    pub fn from_config(cfg: &crate::config::RemediationConfig, catalog: Catalog) -> Checks {
        Checks {
            rules: cfg.policy.clone(),
            catalog,
            trusted_roles: cfg.trusted_roles(),
            spacing: Duration::from_secs(cfg.spacing_secs),
            lease: Duration::from_secs(cfg.lease_secs.max(1)),
        }
    }
}

pub struct Runner {
    pub queue: Queue,
    targets: Arc<Targets>,
    sources: HashMap<String, Arc<dyn Source>>,
    who: Identity,
    checks: Checks,
    /// This runner's lease owner id (one per process and runner).
    owner: String,
    last_start: HashMap<(String, String), Instant>,
    /// The console's hub: told about finding notes at once (UpdatedAt does not move).
    pub hub: Option<tokio::sync::mpsc::Sender<crate::hub::HubInput>>,
}

/// What one pass did, for the console's status line and `queue run`'s output.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pass {
    pub started: Vec<String>,
    pub finished: Vec<(String, State)>,
    pub errors: Vec<String>,
    /// Approved or running items left.
    pub pending: usize,
}

/// Security Hub caps note text at 512 characters.
fn note_text(item: &Item, outcome: &str) -> String {
    let approvers: Vec<String> = item
        .decisions
        .iter()
        .filter(|d| d.approve)
        .map(|d| format!("{} ({})", d.actor_name, d.justification.trim()))
        .collect();
    let text = format!(
        "agent-hubble: {} {outcome}, execution {}. Requested by {}; approved by {}.",
        item.proposal.document,
        item.execution_id.as_deref().unwrap_or("-"),
        item.requester.short(),
        approvers.join(", ")
    );
    text.chars().take(512).collect()
}

/// A check that did not pass: refuse the item, or try again later.
enum Check {
    Refuse(String),
    Later(String),
}

impl Runner {
    pub fn new(
        queue: Queue,
        targets: Arc<Targets>,
        sources: HashMap<String, Arc<dyn Source>>,
        who: Identity,
        checks: Checks,
    ) -> Runner {
        Runner {
            queue,
            targets,
            sources,
            who,
            checks,
            owner: super::queue::new_id(),
            last_start: HashMap::new(),
            hub: None,
        }
    }

    fn lease_ms(&self) -> i64 {
        self.checks.lease.as_millis() as i64
    }

    async fn automation(&mut self, item: &Item) -> Result<Arc<dyn Automation>, String> {
        let p = &item.proposal;
        self.targets
            .get(&p.account, &p.region, &p.assume_role)
            .await
            .map_err(|e| format!("{}: {e}", item.id))
    }

    /// One pass over the queue.
    pub async fn pass(&mut self) -> Result<Pass, QueueError> {
        let mut pass = Pass::default();
        for item in self.queue.list()? {
            let r = match item.state {
                State::Approved => self.start(item, &mut pass).await,
                State::Running => self.track(item, &mut pass).await,
                State::Succeeded | State::Failed
                    if !item.finding_noted && item.execution_id.is_some() =>
                {
                    self.note(&item).await
                }
                _ => Ok(()),
            };
            if let Err(e) = r {
                pass.errors.push(e);
            }
        }
        pass.pending = self
            .queue
            .list()?
            .iter()
            .filter(|i| matches!(i.state, State::Approved | State::Running))
            .count();
        Ok(pass)
    }

    /// Everything that must hold before an approved item may run.
    async fn check(&mut self, item: &Item) -> Result<Arc<dyn Automation>, Check> {
        let p = &item.proposal;
        let digest = p.digest();
        let approvals: Vec<_> = item.decisions.iter().filter(|d| d.approve).collect();
        if let Some(d) = approvals.iter().find(|d| d.digest != digest) {
            return Err(Check::Refuse(format!(
                "the item changed after {} approved it (approved digest {}, now {digest})",
                d.actor_name,
                if d.digest.is_empty() {
                    "none"
                } else {
                    &d.digest[..12.min(d.digest.len())]
                }
            )));
        }
        let trusted = self.checks.trusted_roles.clone();
        let requester = person(&item.requester.arn, &trusted).key;
        let people: BTreeSet<String> = approvals
            .iter()
            .map(|d| person(&d.actor, &trusted).key)
            .filter(|k| *k != requester)
            .collect();
        let Some(playbook) = self.checks.catalog.get(&p.control).cloned() else {
            return Err(Check::Refuse(format!(
                "no playbook for control {} in this console's catalogue",
                p.control
            )));
        };
        if playbook.document != p.document {
            return Err(Check::Refuse(format!(
                "this console's playbook for {} runs {}, not {}",
                p.control, playbook.document, p.document
            )));
        }
        if playbook.destructive != p.destructive {
            return Err(Check::Refuse(format!(
                "this console's playbook marks {} as {}destructive",
                p.document,
                if playbook.destructive { "" } else { "not " }
            )));
        }
        let need = decide(
            &self.checks.rules,
            &Facts {
                severity: p.severity,
                destructive: playbook.destructive,
                account: &p.account,
                region: &p.region,
                control: &p.control,
                tags: &p.tags,
            },
        );
        if (people.len() as u32) < need.approvals {
            return Err(Check::Refuse(format!(
                "this console's policy needs {} distinct approver(s) other than the requester; it has {}{}",
                need.approvals,
                people.len(),
                if approvals.len() > people.len() {
                    " (several approvals came from one person)"
                } else {
                    ""
                }
            )));
        }
        if need.confirm_word && p.confirm_word.is_none() {
            return Err(Check::Refuse(
                "this console's policy needs a confirmation word that approvers were not asked for"
                    .into(),
            ));
        }
        if playbook.destructive && approvals.iter().any(|d| d.justification.trim().is_empty()) {
            return Err(Check::Refuse(
                "a destructive runbook was approved without a justification".into(),
            ));
        }
        let (Some(version), Some(hash)) = (&p.document_version, &p.document_hash) else {
            return Err(Check::Refuse(
                "the runbook version was not pinned when it was proposed: propose it again".into(),
            ));
        };
        let automation = self.automation(item).await.map_err(Check::Refuse)?;
        let pinned = automation
            .describe(&p.document, Some(version))
            .await
            .map_err(|e| {
                Check::Later(format!("DescribeDocument {} v{version}: {e}", p.document))
            })?;
        if &pinned.hash != hash {
            return Err(Check::Refuse(format!(
                "runbook {} version {version} is not the content that was approved (hash changed)",
                p.document
            )));
        }
        if !p.version_pinned && pinned.default_version != *version {
            return Err(Check::Refuse(format!(
                "runbook {} changed after approval: its default version is now {} (approved {version}); propose it again",
                p.document, pinned.default_version
            )));
        }
        Ok(automation)
    }

    async fn start(&mut self, item: Item, pass: &mut Pass) -> Result<(), String> {
        let place = (item.proposal.account.clone(), item.proposal.region.clone());
        if self
            .last_start
            .get(&place)
            .is_some_and(|t| t.elapsed() < self.checks.spacing)
        {
            return Ok(()); // next pass
        }
        let automation = match self.check(&item).await {
            Ok(a) => a,
            Err(Check::Later(e)) => return Err(format!("{}: {e}", item.id)),
            Err(Check::Refuse(reason)) => {
                let reason = format!("refused at start: {reason}");
                return match self.queue.refuse(&item.id, &reason, &self.who) {
                    Ok(_) => {
                        pass.finished.push((item.id.clone(), State::Failed));
                        Err(format!("{}: {reason}", item.id))
                    }
                    Err(QueueError::WrongState { .. }) => Ok(()),
                    Err(e) => Err(e.to_string()),
                };
            }
        };
        let item = match self
            .queue
            .claim_for_run(&item.id, &self.who, &self.owner, self.lease_ms())
        {
            Ok(i) => i,
            Err(QueueError::WrongState { .. }) => return Ok(()), // another console took it
            Err(e) => return Err(e.to_string()),
        };
        self.last_start.insert(place, Instant::now());
        self.launch(&item, automation.as_ref(), pass).await
    }

    async fn launch(
        &mut self,
        item: &Item,
        automation: &dyn Automation,
        pass: &mut Pass,
    ) -> Result<(), String> {
        let p = &item.proposal;
        match automation
            .start(
                &p.document,
                p.document_version.as_deref(),
                &p.parameters,
                item.client_token(),
            )
            .await
        {
            Ok(exec) => {
                self.queue
                    .set_execution(&item.id, &exec)
                    .map_err(|e| e.to_string())?;
                self.queue.audit_outcome(
                    &self.who,
                    "remediation:execute",
                    &item.id,
                    &format!("execution {exec}"),
                );
                pass.started.push(item.id.clone());
                Ok(())
            }
            Err(StartError::Refused(e)) => {
                // SSM refused: nothing runs; the item fails (it can be proposed again).
                let msg = format!("StartAutomationExecution {e}");
                self.queue
                    .finish(&item.id, State::Failed, Some(&msg), &self.who)
                    .map_err(|e| e.to_string())?;
                pass.finished.push((item.id.clone(), State::Failed));
                Err(format!("{}: {msg}", item.id))
            }
            Err(StartError::Ambiguous(e)) => {
                // SSM may have started it: ask again with the same client token later.
                self.queue
                    .set_start_error(&item.id, &e)
                    .map_err(|e| e.to_string())?;
                Err(format!(
                    "{}: StartAutomationExecution gave no definite answer ({e}); retrying with the same client token",
                    item.id
                ))
            }
        }
    }

    async fn track(&mut self, item: Item, pass: &mut Pass) -> Result<(), String> {
        let automation = self.automation(&item).await?;
        let Some(exec) = item.execution_id.clone() else {
            // Claimed, but the start never answered definitely (crash, timeout): whoever
            // holds the lease asks again with the same client token, which finds or starts
            // exactly one execution.
            let mine = self
                .queue
                .take_lease(&item.id, &self.owner, self.lease_ms())
                .map_err(|e| e.to_string())?;
            return if mine {
                self.launch(&item, automation.as_ref(), pass).await
            } else {
                Ok(())
            };
        };
        if item.cancel_requested {
            let target = format!("{} execution {exec}", item.id);
            self.queue
                .audit(&self.who, "remediation:stop", &target, "", "pending")
                .map_err(|e| format!("{}: not stopped: {e}", item.id))?;
            if let Err(e) = automation.stop(&exec).await {
                tracing::warn!("stop {exec}: {e}");
            }
        }
        let status = automation
            .status(&exec)
            .await
            .map_err(|e| format!("{}: {e}", item.id))?;
        self.queue
            .set_progress(&item.id, status.step.as_deref())
            .map_err(|e| e.to_string())?;
        let to = match status.state {
            ExecState::Success => State::Succeeded,
            ExecState::Failed | ExecState::TimedOut => State::Failed,
            ExecState::Cancelled => State::Cancelled,
            _ => return Ok(()),
        };
        let failure = match status.state {
            ExecState::TimedOut => Some("execution timed out".to_string()),
            _ => status.failure.clone(),
        };
        let done = match self
            .queue
            .finish(&item.id, to, failure.as_deref(), &self.who)
        {
            Ok(d) => d,
            Err(QueueError::WrongState { .. }) => return Ok(()), // another console recorded it
            Err(e) => return Err(e.to_string()),
        };
        pass.finished.push((done.id.clone(), to));
        if to != State::Cancelled {
            self.note(&done).await?;
        }
        Ok(())
    }

    /// Success: note + RESOLVED. Failure: note with the reason + NOTIFIED. Audited first; a
    /// failed audit write leaves the finding alone (the next pass tries again).
    async fn note(&mut self, item: &Item) -> Result<(), String> {
        let (status, outcome) = match item.state {
            State::Succeeded => (Workflow::Resolved, "succeeded".to_string()),
            _ => (
                Workflow::Notified,
                format!(
                    "failed: {}",
                    item.failure.as_deref().unwrap_or("unknown reason")
                ),
            ),
        };
        let Some(source) = self.sources.get(&item.proposal.source) else {
            return Err(format!(
                "{}: source {} is not configured; finding not updated",
                item.id, item.proposal.source
            ));
        };
        let text = note_text(item, &outcome);
        let target = format!("{}: {}", item.proposal.source, item.proposal.finding_id);
        self.queue
            .audit(
                &self.who,
                &format!("workflow:{}", status.as_str()),
                &target,
                &text,
                "pending",
            )
            .map_err(|e| format!("{}: finding not updated: {e}", item.id))?;
        let update = WorkflowUpdate {
            findings: vec![FindingRef {
                id: item.proposal.finding_id.clone(),
                product_arn: item.proposal.product_arn.as_str().into(),
                source: item.proposal.source.as_str().into(),
            }],
            status,
            note: Some(text),
            actor: self.who.arn.clone(),
            reason: None,
        };
        match source.update_workflow(&update).await {
            Ok(o) if o.unprocessed.is_empty() => {
                if let Some(hub) = &self.hub {
                    let note = crate::model::Note {
                        text: update.note.clone().unwrap_or_default(),
                        updated_by: self.who.arn.clone(),
                        updated_at: crate::model::now_ms(),
                    };
                    let input = crate::hub::HubInput::LocalWorkflow {
                        ids: vec![item.proposal.finding_id.clone()],
                        status,
                        note: Some(note),
                    };
                    let _ = hub.send(input).await;
                }
                self.queue.audit_outcome(
                    &self.who,
                    &format!("workflow:{}", status.as_str()),
                    &target,
                    "ok",
                );
                self.queue.set_noted(&item.id).map_err(|e| e.to_string())
            }
            Ok(o) => Err(format!(
                "{}: finding not updated: {:?}",
                item.id, o.unprocessed
            )),
            Err(e) => Err(format!("{}: finding not updated: {e}", item.id)),
        }
    }

    /// Runs passes until nothing is approved or running (`queue run --wait`).
    pub async fn run_until_idle(
        &mut self,
        poll: Duration,
        mut report: impl FnMut(&Pass),
    ) -> Result<(), QueueError> {
        loop {
            let pass = self.pass().await?;
            report(&pass);
            if pass.pending == 0 {
                return Ok(());
            }
            tokio::time::sleep(poll).await;
        }
    }

    pub fn targets(&self) -> &Arc<Targets> {
        &self.targets
    }
}

#[cfg(test)]
mod tests;
