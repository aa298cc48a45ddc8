//! `agent-hubble notify test CHANNEL` and `agent-hubble notify outbox`.

use std::io::Write;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use crate::cli::ListFormat;
use crate::config::{Config, Paths};
use crate::model::{format_age, format_rfc3339, now_ms};
use crate::notify::channels::Sender;
use crate::notify::message::{EventKind, Item, Message, external_key};
use crate::notify::outbox::{Entry, Outbox, State};
use crate::sanitize;
use crate::setup;

fn fail(msg: impl std::fmt::Display, code: u8) -> ExitCode {
    eprintln!("agent-hubble: {}", sanitize::line(&msg.to_string()));
    ExitCode::from(code)
}

/// Sends a test message to one channel (audited first) and prints what the receiver said.
/// Exit 0 when it was accepted, 1 when not, 2 for a bad channel or config.
pub async fn test(cfg: &Config, paths: &Paths, demo: bool, channel: &str) -> ExitCode {
    let settings = match crate::notify::Settings::from_config(&cfg.notify) {
        Ok(s) => s,
        Err(e) => return fail(e, 2),
    };
    let Some(ch) = settings.channel(channel) else {
        let names: Vec<&str> = settings.channels.iter().map(|c| c.name.as_str()).collect();
        return fail(
            format!(
                "no channel {channel:?} (configured: {})",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            ),
            2,
        );
    };
    let sender = match Sender::new(ch) {
        Ok(s) => s,
        Err(e) => return fail(e, 2),
    };
    let mut audit = match setup::open_audit(cfg, paths, demo) {
        Ok(a) => a,
        Err(e) => return fail(format!("the audit log is needed to send: {e}"), 1),
    };
    let actor = setup::local_actor();
    let now = now_ms();
    let raw = format!("test|{channel}|{actor}|{now}");
    let key = external_key(&raw);
    let item = Item {
        event: EventKind::Test,
        key: key.clone(),
        occurred_at: now,
        rule: None,
        finding: None,
        remediation: None,
        source: None,
        note: Some(format!(
            "Test notification from agent-hubble ({actor}) to channel {channel}: if you can read this, the channel works."
        )),
        actor: Some(actor.clone()),
    };
    let entry = Entry {
        id: 0,
        key: key.clone(),
        raw_key: raw,
        channel: channel.to_string(),
        rule: None,
        event: EventKind::Test.as_str().into(),
        finding_id: None,
        message: Message::single(item, demo),
        state: State::Sending,
        attempts: 1,
        not_before: now,
        lease_owner: None,
        created_at: now,
        updated_at: now,
        sent_at: None,
        last_error: None,
        reference: None,
    };
    let target = format!("{key} on {channel} ({})", ch.kind.as_str());
    if let Err(e) = audit.record(&actor, "notify:test", &target, "", "pending") {
        return fail(format!("audit log write failed, nothing sent: {e}"), 1);
    }
    let result = sender.test(&entry).await;
    let _ = audit.record(
        &actor,
        "notify:test",
        &target,
        "",
        match &result {
            Ok(_) => "ok".to_string(),
            Err(e) => format!("error: {}", sanitize::bounded(e, 200)),
        }
        .as_str(),
    );
    match result {
        Ok(what) => {
            println!(
                "ok: {channel} ({}): {}",
                ch.kind.as_str(),
                sanitize::line(&what)
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!(
                "error: {channel} ({}): {}",
                ch.kind.as_str(),
                sanitize::line(&e)
            );
            ExitCode::from(1)
        }
    }
}

/// Lists the outbox (newest problems first).
pub fn outbox(cfg: &Config, paths: &Paths, demo: bool, format: ListFormat) -> ExitCode {
    let path = setup::store_path(cfg, paths, demo);
    let audit = setup::open_audit(cfg, paths, demo)
        .ok()
        .map(|a| Arc::new(Mutex::new(a)));
    let o = match Outbox::open(&path, audit, "cli") {
        Ok(o) => o,
        Err(e) => return fail(e, 1),
    };
    let entries = match o.list(1000) {
        Ok(e) => e,
        Err(e) => return fail(e, 1),
    };
    let now = now_ms();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for e in &entries {
        let line = match format {
            ListFormat::Json => serde_json::json!({
                "id": e.id, "key": e.key, "channel": e.channel, "rule": e.rule, "event": e.event,
                "finding_id": e.finding_id, "state": e.state.as_str(), "attempts": e.attempts,
                "not_before": format_rfc3339(e.not_before), "created_at": format_rfc3339(e.created_at),
                "sent_at": e.sent_at.map(format_rfc3339), "last_error": e.last_error, "reference": e.reference,
                "items": e.message.items.len(),
            })
            .to_string(),
            ListFormat::Table => format!(
                "{:>5} {:<9} {:<14} {:<20} {:>3} {:>5}  {}",
                e.id,
                e.state.as_str(),
                sanitize::fit(&e.channel, 14),
                sanitize::fit(&e.event, 20),
                e.attempts,
                format_age(now, e.updated_at),
                sanitize::bounded(
                    e.last_error
                        .as_deref()
                        .or(e.reference.as_deref())
                        .unwrap_or_else(|| e.message.items.first().map_or("", |i| i.key.as_str())),
                    100
                )
            ),
        };
        if writeln!(out, "{line}").is_err() {
            return ExitCode::from(1);
        }
    }
    let _ = out.flush();
    ExitCode::SUCCESS
}
