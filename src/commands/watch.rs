//! `agent-hubble watch`: the console's sources, hub, notification service and remediation
//! runner, without a terminal. Logs go to the state dir (tracing); one line on stderr says
//! what runs. SIGTERM and Ctrl-C stop it cleanly: no new evaluation or claim, sends in flight
//! finish (up to 20 s), unsent claims are given back for the next process.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use crate::config::{Config, Paths};
use crate::sanitize;
use crate::setup;

fn fail(msg: impl std::fmt::Display, code: u8) -> ExitCode {
    eprintln!("agent-hubble watch: {}", sanitize::line(&msg.to_string()));
    ExitCode::from(code)
}

pub async fn run(cfg: &Config, paths: &Paths, demo: bool, read_only: bool) -> ExitCode {
    // The watcher is what sends: every secret must be readable here.
    let mut problems = Vec::new();
    crate::config::notify::check_secrets(&cfg.notify, &mut problems);
    if !problems.is_empty() {
        let file = cfg.path.clone().unwrap_or_default();
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for (span, msg) in problems {
            eprintln!(
                "{}",
                crate::diag::Diagnostic::at_offset(&file, &text, span.start, msg)
            );
        }
        return ExitCode::from(2);
    }
    let remediate = cfg.remediation.enabled && !read_only;
    if cfg.notify.channel.is_empty() && !remediate {
        return fail(
            "nothing to do: no [[notify.channel]] in the config and remediation is off",
            2,
        );
    }
    let setup = match setup::sources(cfg, demo, false).await {
        Ok(s) => s,
        Err(e) => return fail(e, 1),
    };
    let live = crate::live::start(cfg, paths, setup).await;
    let audit = match setup::open_audit(cfg, paths, live.setup.demo) {
        Ok(a) => Arc::new(Mutex::new(a)),
        Err(e) => {
            live.stop().await;
            return fail(format!("the watcher needs the audit log: {e}"), 1);
        }
    };
    let actor = format!("watch:{}", setup::local_actor());
    let remediation = if remediate {
        match live.remediation(cfg, paths, &audit).await {
            Ok(r) => Some(r),
            Err(e) => {
                live.stop().await;
                return fail(e, 1);
            }
        }
    } else {
        None
    };
    let notify = match live.notify(cfg, &audit, &actor, true, true) {
        Ok(h) => h,
        Err(e) => {
            live.stop().await;
            return fail(e, 1);
        }
    };
    let line = format!(
        "agent-hubble watch: {} source(s){}, {} rule(s), {} channel(s), remediation {}; store {}; log {}",
        live.setup.sources.len(),
        if live.setup.demo { " (demo fleet)" } else { "" },
        cfg.notify.rule.len(),
        cfg.notify.channel.len(),
        if remediation.is_some() {
            "tracked"
        } else {
            "off"
        },
        live.store_path.display(),
        paths.state_dir.join("agent-hubble.log").display()
    );
    tracing::info!("{line}");
    eprintln!("{line}");
    let signal = wait_for_signal().await;
    tracing::info!("watch: {signal}: stopping (sends in flight finish, unsent claims go back)");
    if let Some(h) = notify {
        h.shutdown().await;
    }
    drop(remediation);
    live.stop().await;
    tracing::info!("watch: stopped");
    ExitCode::SUCCESS
}

async fn wait_for_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        let _ = tokio::signal::ctrl_c().await;
        return "interrupted";
    };
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = tokio::signal::ctrl_c() => "interrupted",
    }
}
