//! Remediation: catalogue (control → runbook), policy (who must approve), the durable queue
//! and its state machine, and the SSM Automation executor.

pub mod automation;
pub mod catalog;
pub mod identity;
pub mod item;
pub mod person;
pub mod policy;
pub mod propose;
pub mod queue;
pub mod runner;
pub mod service;
