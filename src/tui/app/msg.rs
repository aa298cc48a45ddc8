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
    /// The detail's timeline: audit log and provider history events, and what failed.
    Timeline {
        id: String,
        events: Vec<crate::timeline::Event>,
        error: Option<String>,
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
    /// The outcome of an effect that only reports back (export, saving a view).
    Done(Result<String, String>),
    /// A view was saved: the app lists it from now on.
    ViewSaved(crate::query::views::View),
    /// A new picture of the notifications outbox, rules and tickets.
    Notify(Arc<crate::notify::View>),
    /// A view computed off the UI thread (see `Options::background_view_over`).
    ViewReady(Box<crate::query::worker::ViewDone>),
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
    /// Read the finding's timeline (audit log, provider history).
    LoadTimeline(FindingRef),
    Refresh,
    /// Put text on the clipboard with OSC 52.
    Copy(String),
    /// Copy a finding's raw JSON (from the store) with OSC 52.
    CopyRaw(String),
    /// A finding matching the alert filter arrived: ring the bell and/or send an OSC 9
    /// desktop notification with this text.
    Alert {
        text: String,
        with: crate::config::AlertWith,
    },
    Remediation(RemCommand),
    /// Write these findings to a file (a path, or the exports folder in the data dir).
    Export {
        format: crate::query::export::Format,
        path: Option<std::path::PathBuf>,
        findings: Vec<Arc<crate::model::Finding>>,
    },
    /// Save a named view in `views.toml`.
    SaveView(crate::query::views::View),
    /// A ticket, a one-off notification, a retry or a discard (the notification service).
    Notify(crate::notify::Command),
    /// Filter, sort and group on the view worker; the answer is `Msg::ViewReady`.
    ComputeView(Box<crate::query::worker::ViewJob>),
    Quit,
}
