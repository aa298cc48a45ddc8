//! Carries approved items through SSM Automation: claims them (persisted and audited before
//! the API call), starts them with the item's client token, spaces starts per account ×
//! region, tracks progress, stops cancelled ones, and notes the finding at the end.
//! Safe to run in several consoles at once and after a crash: claims are conditional and the
//! client token makes a repeated start return the same execution.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::automation::{Automation, ExecState};
use super::queue::{Identity, Item, Queue, QueueError, State};
use crate::model::{FindingRef, Workflow};
use crate::sources::{Source, WorkflowUpdate};

pub struct Runner {
    pub queue: Queue,
    /// SSM Automation per source key (the account × region of the finding).
    automations: HashMap<String, Arc<dyn Automation>>,
    sources: HashMap<String, Arc<dyn Source>>,
    who: Identity,
    spacing: Duration,
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

impl Runner {
    pub fn new(
        queue: Queue,
        automations: HashMap<String, Arc<dyn Automation>>,
        sources: HashMap<String, Arc<dyn Source>>,
        who: Identity,
        spacing: Duration,
    ) -> Runner {
        Runner {
            queue,
            automations,
            sources,
            who,
            spacing,
            last_start: HashMap::new(),
            hub: None,
        }
    }

    fn automation(&self, item: &Item) -> Result<Arc<dyn Automation>, String> {
        self.automations
            .get(&item.proposal.source)
            .cloned()
            .ok_or_else(|| {
                format!(
                    "{}: no SSM access for source {}",
                    item.id, item.proposal.source
                )
            })
    }

    /// One pass over the queue.
    pub async fn pass(&mut self) -> Result<Pass, QueueError> {
        let mut pass = Pass::default();
        for item in self.queue.list()? {
            let r = match item.state {
                State::Approved => self.start(item, &mut pass).await,
                State::Running => self.track(item, &mut pass).await,
                State::Succeeded | State::Failed if !item.finding_noted => self.note(&item).await,
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

    async fn start(&mut self, item: Item, pass: &mut Pass) -> Result<(), String> {
        let place = (item.proposal.account.clone(), item.proposal.region.clone());
        if self
            .last_start
            .get(&place)
            .is_some_and(|t| t.elapsed() < self.spacing)
        {
            return Ok(()); // next pass
        }
        let automation = self.automation(&item)?;
        let item = match self.queue.claim_for_run(&item.id, &self.who) {
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
            Err(e) => {
                // The service refused: the item fails (it can be proposed again).
                let msg = format!("StartAutomationExecution: {e}");
                self.queue
                    .finish(&item.id, State::Failed, Some(&msg), &self.who)
                    .map_err(|e| e.to_string())?;
                pass.finished.push((item.id.clone(), State::Failed));
                Err(format!("{}: {msg}", item.id))
            }
        }
    }

    async fn track(&mut self, item: Item, pass: &mut Pass) -> Result<(), String> {
        let automation = self.automation(&item)?;
        let Some(exec) = item.execution_id.clone() else {
            // Claimed but the start never returned (crash): the same client token finds or
            // starts exactly one execution.
            return self.launch(&item, automation.as_ref(), pass).await;
        };
        if item.cancel_requested {
            self.queue.audit_outcome(
                &self.who,
                "remediation:stop",
                &format!("{} execution {exec}", item.id),
                "StopAutomationExecution",
            );
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
        let done = self
            .queue
            .finish(&item.id, to, failure.as_deref(), &self.who)
            .map_err(|e| e.to_string())?;
        pass.finished.push((done.id.clone(), to));
        if to != State::Cancelled {
            self.note(&done).await?;
        }
        Ok(())
    }

    /// Success: note + RESOLVED. Failure: note with the reason + NOTIFIED.
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
        self.queue.audit_outcome(
            &self.who,
            &format!("workflow:{}", status.as_str()),
            &target,
            "pending",
        );
        let update = WorkflowUpdate {
            findings: vec![FindingRef {
                id: item.proposal.finding_id.clone(),
                product_arn: item.proposal.product_arn.as_str().into(),
                source: item.proposal.source.as_str().into(),
            }],
            status,
            note: Some(text),
            actor: self.who.arn.clone(),
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
}

#[cfg(test)]
mod tests;
