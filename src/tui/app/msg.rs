//! What the app is told (messages) and what it asks the outside world to do (effects).

use std::sync::Arc;

use crossterm::event::KeyEvent;

use crate::hub::Snapshot;
use crate::model::{FindingRef, Workflow};
use crate::remediation::service::{Command as RemCommand, QueueView, Reply};

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Resize(u16, u16),
    Snapshot(Arc<Snapshot>),
    /// Wall clock (ms). Ages are shown in minutes, so this only redraws when they change.
    Tick(i64),
    RawJson {
        id: String,
        json: Option<String>,
    },
    WorkflowDone {
        status: Workflow,
        processed: usize,
        unprocessed: Vec<(String, String, String)>,
        error: Option<String>,
    },
    /// A new picture of the remediation queue.
    Queue(Arc<QueueView>),
    /// The hub thread ended: no more updates.
    HubStopped,
    Remediation(Reply),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    UpdateWorkflow {
        findings: Vec<FindingRef>,
        status: Workflow,
        note: Option<String>,
        /// The provider's reason where it asks for one (GitHub's dismissed_reason).
        reason: Option<String>,
    },
    LoadRaw(String),
    Refresh,
    /// Put text on the clipboard with OSC 52.
    Copy(String),
    Remediation(RemCommand),
    Quit,
}
