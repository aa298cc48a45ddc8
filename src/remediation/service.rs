//! The console's remediation task: owns the queue and the runner, runs a pass every few
//! seconds, answers the UI's commands, and publishes queue snapshots. The UI never touches
//! SQLite or AWS itself.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};

use super::automation::{Automation, Waiting};
use super::catalog::Catalog;
use super::queue::{Identity, Item, Proposal, State};
use super::runner::Runner;
use crate::config::RemediationConfig;
use crate::hub::HubInput;
use crate::model::Finding;
use crate::model::Workflow;

/// What the queue view shows.
#[derive(Debug, Clone, Default)]
pub struct QueueView {
    pub items: Vec<Item>,
    /// Executions waiting at an `aws:approve` step: (source key, execution).
    pub waiting: Vec<(String, Waiting)>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Build proposals (nothing is queued) for these findings.
    Preview(Vec<Arc<Finding>>),
    Propose(Vec<Proposal>),
    Approve {
        id: String,
        reason: String,
        confirm: Option<String>,
        /// The digest of the proposal the approver was shown.
        digest: String,
    },
    Reject {
        id: String,
        reason: String,
    },
    Cancel {
        id: String,
        reason: String,
    },
    Signal {
        source: String,
        execution_id: String,
        approve: bool,
        reason: String,
    },
}

#[derive(Debug, Clone)]
pub enum Reply {
    Preview(Vec<Result<Proposal, String>>),
    /// A human-readable outcome, or the error.
    Done(Result<String, String>),
}

pub type Request = (Command, oneshot::Sender<Reply>);

pub struct Service {
    pub runner: Runner,
    pub catalog: Catalog,
    pub config: RemediationConfig,
    /// The findings store, for raw JSON (resource details in playbook templates).
    pub store_path: PathBuf,
    pub automations: HashMap<String, Arc<dyn Automation>>,
    pub who: Identity,
}

impl Service {
    pub fn spawn(self) -> (mpsc::Sender<Request>, watch::Receiver<Arc<QueueView>>) {
        let (tx, rx) = mpsc::channel(16);
        let (view_tx, view_rx) = watch::channel(Arc::new(QueueView::default()));
        tokio::spawn(self.run(rx, view_tx));
        (tx, view_rx)
    }

    /// Items another console finished: tell our hub, whose polls will not see the change
    /// (BatchUpdateFindings does not move UpdatedAt) until the next reconcile.
    async fn reflect(
        hub: Option<mpsc::Sender<HubInput>>,
        items: &[Item],
        reflected: &mut std::collections::HashSet<String>,
    ) {
        for i in items
            .iter()
            .filter(|i| i.finding_noted && matches!(i.state, State::Succeeded | State::Failed))
        {
            if reflected.insert(i.id.clone())
                && let Some(hub) = &hub
            {
                let status = if i.state == State::Succeeded {
                    Workflow::Resolved
                } else {
                    Workflow::Notified
                };
                let input = HubInput::LocalWorkflow {
                    ids: vec![i.proposal.finding_id.clone()],
                    status,
                    note: None,
                };
                let _ = hub.send(input).await;
            }
        }
    }

    async fn run(mut self, mut rx: mpsc::Receiver<Request>, view: watch::Sender<Arc<QueueView>>) {
        // What was already finished when we started is in the findings as polled.
        let mut reflected: std::collections::HashSet<String> = self
            .runner
            .queue
            .list()
            .unwrap_or_default()
            .into_iter()
            .filter(|i| i.finding_noted)
            .map(|i| i.id)
            .collect();
        let mut tick = tokio::time::interval(Duration::from_secs(self.config.poll_secs.max(1)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let mut error = None;
            tokio::select! {
                req = rx.recv() => match req {
                    Some((cmd, reply)) => { let _ = reply.send(self.handle(cmd).await); }
                    None => return,
                },
                _ = tick.tick() => {
                    match self.runner.pass().await {
                        Ok(p) if !p.errors.is_empty() => error = Some(p.errors.join("; ")),
                        Ok(_) => {}
                        Err(e) => error = Some(e.to_string()),
                    }
                }
            }
            let items = self.runner.queue.list().unwrap_or_default();
            Self::reflect(self.runner.hub.clone(), &items, &mut reflected).await;
            let mut waiting = Vec::new();
            let mut automations: Vec<(String, Arc<dyn Automation>)> = self
                .automations
                .iter()
                .map(|(k, a)| (k.clone(), a.clone()))
                .collect();
            automations.extend(self.runner.targets().known());
            for (key, a) in &automations {
                if let Ok(list) = a.waiting().await {
                    waiting.extend(list.into_iter().map(|w| (key.clone(), w)));
                }
            }
            waiting.sort_by(|a, b| a.1.execution_id.cmp(&b.1.execution_id));
            waiting.dedup_by(|a, b| a.1.execution_id == b.1.execution_id);
            let new = QueueView {
                items,
                waiting,
                error,
            };
            view.send_if_modified(|old| {
                let changed =
                    old.items != new.items || old.waiting != new.waiting || old.error != new.error;
                if changed {
                    *old = Arc::new(new);
                }
                changed
            });
        }
    }

    async fn handle_proposal(&mut self, cmd: Command, who: &Identity) -> Reply {
        match cmd {
            Command::Preview(findings) => {
                let mut out = Vec::new();
                let (catalog, config) = (self.catalog.clone(), self.config.clone());
                let targets = self.runner.targets().clone();
                for f in &findings {
                    let raw = self.raw(&f.id);
                    out.push(
                        super::propose::prepare(f, raw.as_ref(), &catalog, &config, &targets).await,
                    );
                }
                Reply::Preview(out)
            }
            Command::Propose(list) => {
                let q = &mut self.runner.queue;
                let mut ids = Vec::new();
                let mut already = Vec::new();
                for p in list {
                    match q.propose(p, who) {
                        Ok(i) => ids.push(i.id[..8].to_string()),
                        Err(super::queue::QueueError::Duplicate { id, state }) => {
                            already.push(format!("{} ({state})", &id[..8]))
                        }
                        Err(e) => return Reply::Done(Err(e.to_string())),
                    }
                }
                let mut text = format!("proposed {} item(s): {}", ids.len(), ids.join(", "));
                if !already.is_empty() {
                    text.push_str(&format!("; already queued: {}", already.join(", ")));
                }
                Reply::Done(Ok(text))
            }
            _ => unreachable!("only proposals"),
        }
    }

    fn raw(&self, id: &str) -> Option<serde_json::Value> {
        let store = crate::store::Store::open(&self.store_path).ok()?;
        store
            .raw_json(id)
            .ok()
            .flatten()
            .and_then(|r| serde_json::from_str(&r).ok())
    }

    async fn handle(&mut self, cmd: Command) -> Reply {
        let who = &self.who.clone();
        if let Command::Preview(_) | Command::Propose(_) = &cmd {
            return self.handle_proposal(cmd, who).await;
        }
        let known = self.runner.targets().known();
        let q = &mut self.runner.queue;
        let done =
            |r: Result<String, super::queue::QueueError>| Reply::Done(r.map_err(|e| e.to_string()));
        match cmd {
            Command::Preview(_) | Command::Propose(_) => unreachable!("handled above"),
            Command::Approve {
                id,
                reason,
                confirm,
                digest,
            } => done(
                q.approve(&id, who, &reason, confirm.as_deref(), Some(&digest))
                    .map(|i| {
                        format!(
                            "{} {} ({}/{} approvals)",
                            &i.id[..8],
                            i.state.as_str(),
                            i.approvals(),
                            i.proposal.approvals_required
                        )
                    }),
            ),
            Command::Reject { id, reason } => done(
                q.reject(&id, who, &reason)
                    .map(|i| format!("{} rejected", &i.id[..8])),
            ),
            Command::Cancel { id, reason } => done(q.cancel(&id, who, &reason).map(|i| {
                format!(
                    "{} {}",
                    &i.id[..8],
                    if i.cancel_requested {
                        "stop requested"
                    } else {
                        "cancelled"
                    }
                )
            })),
            Command::Signal {
                source,
                execution_id,
                approve,
                reason,
            } => {
                let Some(a) = self.automations.get(&source).cloned().or_else(|| {
                    known
                        .into_iter()
                        .find(|(k, _)| *k == source)
                        .map(|(_, a)| a)
                }) else {
                    return Reply::Done(Err(format!("no SSM access for {source}")));
                };
                let action = if approve {
                    "automation:approve"
                } else {
                    "automation:reject"
                };
                if let Err(e) = q.audit(who, action, &execution_id, &reason, "pending") {
                    return Reply::Done(Err(e.to_string()));
                }
                let r = a
                    .signal(
                        &execution_id,
                        approve,
                        &format!("{}: {reason}", who.display()),
                    )
                    .await;
                q.audit_outcome(
                    who,
                    action,
                    &execution_id,
                    if r.is_ok() { "ok" } else { "error" },
                );
                Reply::Done(
                    r.map(|_| {
                        format!(
                            "execution {execution_id} {}",
                            if approve { "approved" } else { "rejected" }
                        )
                    })
                    .map_err(|e| e.to_string()),
                )
            }
        }
    }
}
