//! Notifications, tickets and escalation: rules in the filter language decide which findings
//! (and remediation items, and failing sources) are worth a message; every message is first
//! written to a durable outbox in the store and audited, then sent by a worker that leases
//! each entry, so consoles and `agent-hubble watch` on one store send each one once.
//!
//! Channels: Slack (Block Kit), Microsoft Teams (Workflows, Adaptive Card 1.4), a signed
//! generic webhook, PagerDuty Events v2, e-mail (SMTP with STARTTLS) and Jira (Cloud v3,
//! Data Center v2).

pub mod channels;
pub mod clock;
pub mod escape;
pub mod message;
pub mod outbox;
pub mod plan;
pub mod rules;
pub mod service;
pub mod settings;
pub mod state;
pub mod worker;

pub use service::{Command, Handle, View};
pub use settings::Settings;
