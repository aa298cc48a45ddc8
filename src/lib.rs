//! Agent Hubble: a terminal console for cloud-security findings.
//!
//! Data flows one way: sources → poller → hub (store + index) → snapshots → views.

pub mod audit;
pub mod cli;
pub mod commands;
pub mod config;
pub mod diag;
pub mod filter;
pub mod hub;
pub mod links;
pub mod live;
pub mod model;
pub mod notify;
pub mod poller;
pub mod posture;
pub mod query;
pub mod remediation;
pub mod sanitize;
pub mod setup;
pub mod sources;
pub mod store;
pub mod suggest;
pub mod timeline;
pub mod tui;
