//! Command line: the console by default, headless twins for scripts.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::tui::color::ColorSetting;

#[derive(Debug, Parser)]
#[command(
    name = "agent-hubble",
    version,
    about = "Terminal console for cloud-security findings"
)]
pub struct Cli {
    /// Config file (else $AGENT_HUBBLE_CONFIG, else the standard config path).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Run on the embedded demo fleet instead of real accounts.
    #[arg(long, global = true)]
    pub demo: bool,
    /// Change nothing: the console hides every action that changes anything, and every
    /// subcommand that would change something refuses (exit 2).
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Theme name (default, high-contrast, mono, ansi16, or a file in the themes dir).
    #[arg(long)]
    pub theme: Option<String>,
    /// Keymap name (default, vim, arrows, or a file in the keymaps dir).
    #[arg(long)]
    pub keymap: Option<String>,
    /// Colour depth: auto, truecolor, 256, 16, mono.
    #[arg(long, value_name = "DEPTH")]
    pub color: Option<ColorSetting>,
    /// ASCII markers and borders.
    #[arg(long)]
    pub ascii: bool,
    /// Screen-reader friendly: no box drawing, no animation.
    #[arg(long)]
    pub screen_reader: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Json,
    Table,
    Csv,
    Md,
}

/// Output of `queue list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Json,
    Table,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Poll every configured source once and print the findings.
    Findings {
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// Filter expression, as typed after `/` in the console (AND-ed with a view's).
        #[arg(long, value_name = "EXPR")]
        filter: Option<String>,
        #[arg(long)]
        include_archived: bool,
        /// A named view from views.toml: its filter, sort, grouping and scope.
        #[arg(long, value_name = "NAME")]
        view: Option<String>,
    },
    /// Validate the config file, themes and keymaps; exit 2 with file:line:col errors.
    CheckConfig {
        /// Config file to check (default: the one the console would use).
        path: Option<PathBuf>,
    },
    /// Remediation queue: propose, approve, reject, run (same policy, identity and audit as the console).
    Queue {
        #[command(subcommand)]
        command: QueueCommand,
    },
    /// Compliance report for one standard (or the derived SOC 2 / HIPAA mappings).
    Report {
        /// fsbp, cis-1.2, cis-1.4, cis-3.0, cis-5.0, pci-3.2.1, pci-4.0, nist-800-53, nist-800-171, soc2, hipaa
        #[arg(long)]
        standard: String,
        /// Only this account.
        #[arg(long)]
        account: Option<String>,
        /// md, html, csv or json.
        #[arg(long, default_value = "md")]
        format: String,
        /// Write here instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Headless watcher: polls every source, evaluates the notification rules, sends,
    /// escalates and tracks remediation, without a terminal. SIGTERM or Ctrl-C stops it
    /// cleanly (sends in flight finish, unsent claims are given back).
    Watch,
    /// Notification channels and the outbox.
    Notify {
        #[command(subcommand)]
        command: NotifyCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum NotifyCommand {
    /// Send a test message to a channel and print the result (Jira: checks the credentials
    /// and the project, creates nothing; PagerDuty: a test alert, resolved at once).
    Test { channel: String },
    /// List the outbox: pending, sent and failed entries with the reason.
    Outbox {
        #[arg(long, value_enum, default_value = "table")]
        format: ListFormat,
    },
}

#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    /// Propose the playbook of a finding's control; prints the new item's id.
    Propose {
        finding_id: String,
        /// Show what would be proposed without queueing it.
        #[arg(long)]
        dry_run: bool,
    },
    /// List queue items.
    List {
        #[arg(long, value_enum, default_value = "table")]
        format: ListFormat,
    },
    /// Show one item: what it runs, where, its digest and its decisions.
    Show { item: String },
    /// Approve an item (id or unique prefix).
    Approve {
        item: String,
        #[arg(long)]
        reason: String,
        /// The confirmation word, when the policy asks for one.
        #[arg(long)]
        confirm: Option<String>,
        /// Approve only if the item's digest is this one (as `queue show` printed it).
        #[arg(long)]
        digest: Option<String>,
    },
    /// Reject an item.
    Reject {
        item: String,
        #[arg(long)]
        reason: String,
    },
    /// Cancel an item (a running one is stopped).
    Cancel {
        item: String,
        #[arg(long)]
        reason: String,
    },
    /// Start approved items and track running ones; with --wait, until none is left.
    Run {
        #[arg(long)]
        wait: bool,
    },
    /// Executions waiting at an `aws:approve` step.
    Waiting,
    /// Approve or reject an execution waiting at an `aws:approve` step (SendAutomationSignal).
    Signal {
        execution_id: String,
        #[arg(value_parser = ["approve", "reject"])]
        decision: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain; names the first broken line.
    Verify {
        /// Audit log (default: the configured one).
        path: Option<PathBuf>,
    },
}
