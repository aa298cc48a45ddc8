use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use clap::Parser;

use agent_hubble::cli::{AuditCommand, Cli, Command, NotifyCommand};

use agent_hubble::config::{self, Config, Paths};
use agent_hubble::tui::app::{App, Options};
use agent_hubble::tui::run::{EffectContext, run_terminal};
use agent_hubble::tui::{color, keymap, theme};
use agent_hubble::{commands, setup};

fn load_config(cli: &Cli, paths: &Paths) -> Result<Config, ExitCode> {
    match config::locate(cli.config.as_deref(), paths) {
        Some((p, explicit)) => {
            if !explicit && !p.exists() {
                return Ok(Config::empty());
            }
            Config::load(&p).map_err(|d| {
                eprintln!("{d}");
                ExitCode::from(2)
            })
        }
        None => Ok(Config::empty()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let paths = Paths::discover();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("agent-hubble: cannot start runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match &cli.command {
        Some(Command::CheckConfig { path }) => {
            commands::check_config(path.as_deref().or(cli.config.as_deref()), &paths)
        }
        Some(Command::Audit {
            command: AuditCommand::Verify { path },
        }) => {
            let cfg = match load_config(&cli, &paths) {
                Ok(c) => c,
                Err(code) => return code,
            };
            let p = path
                .clone()
                .unwrap_or_else(|| setup::audit_path(&cfg, &paths, cli.demo));
            let key = match cfg.store.audit_key() {
                Ok(k) => k,
                Err(e) => {
                    eprintln!("agent-hubble: {e}");
                    return ExitCode::from(2);
                }
            };
            commands::audit_verify(&p, &setup::store_path(&cfg, &paths, cli.demo), key.as_ref())
        }
        Some(Command::Report {
            standard,
            account,
            format,
            out,
        }) => {
            let cfg = match load_config(&cli, &paths) {
                Ok(c) => c,
                Err(code) => return code,
            };
            let _log = setup::init_logging(&paths);
            runtime.block_on(commands::report::run(
                &cfg,
                cli.demo,
                standard,
                account.as_deref(),
                format,
                out.as_deref(),
            ))
        }
        Some(Command::Queue { command }) => {
            let cfg = match load_config(&cli, &paths) {
                Ok(c) => c,
                Err(code) => return code,
            };
            let _log = setup::init_logging(&paths);
            runtime.block_on(commands::queue::run(
                command,
                &cfg,
                &paths,
                cli.demo,
                cli.read_only,
            ))
        }
        Some(Command::Watch) => {
            let cfg = match load_config(&cli, &paths) {
                Ok(c) => c,
                Err(code) => return code,
            };
            let _log = setup::init_logging(&paths);
            runtime.block_on(commands::watch::run(&cfg, &paths, cli.demo, cli.read_only))
        }
        Some(Command::Notify { command }) => {
            let cfg = match load_config(&cli, &paths) {
                Ok(c) => c,
                Err(code) => return code,
            };
            let _log = setup::init_logging(&paths);
            match command {
                NotifyCommand::Test { channel } => {
                    runtime.block_on(commands::notify::test(&cfg, &paths, cli.demo, channel))
                }
                NotifyCommand::Outbox { format } => {
                    commands::notify::outbox(&cfg, &paths, cli.demo, *format)
                }
            }
        }
        Some(Command::Findings {
            format,
            filter,
            include_archived,
            view,
        }) => {
            let cfg = match load_config(&cli, &paths) {
                Ok(c) => c,
                Err(code) => return code,
            };
            let _log = setup::init_logging(&paths);
            runtime.block_on(commands::findings(
                &cfg,
                &paths,
                cli.demo,
                *format,
                filter.as_deref(),
                *include_archived,
                view.as_deref(),
            ))
        }
        None => {
            let cfg = match load_config(&cli, &paths) {
                Ok(c) => c,
                Err(code) => return code,
            };
            let _log = setup::init_logging(&paths);
            match runtime.block_on(console(&cli, &cfg, &paths)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("agent-hubble: {e:#}");
                    ExitCode::from(1)
                }
            }
        }
    }
}

async fn console(cli: &Cli, cfg: &Config, paths: &Paths) -> anyhow::Result<()> {
    let depth = color::detect(cli.color.unwrap_or(cfg.ui.color), |k| std::env::var(k).ok());
    let ascii = cli.ascii || cfg.ui.ascii;
    let theme_name = cli
        .theme
        .clone()
        .unwrap_or_else(|| cfg.ui.theme.get_ref().clone());
    let theme = theme::load(&theme_name, Some(&paths.themes_dir()), depth, ascii)
        .map_err(|d| anyhow::anyhow!("{d}"))?
        .for_screen_reader(cli.screen_reader || cfg.ui.screen_reader);
    let keymap_name = cli
        .keymap
        .clone()
        .unwrap_or_else(|| cfg.ui.keymap.get_ref().clone());
    let keymap = keymap::load(&keymap_name, Some(&paths.keymaps_dir()))
        .map_err(|d| anyhow::anyhow!("{}", agent_hubble::diag::Diagnostics(d)))?;
    let views = agent_hubble::query::views::load(&paths.config_dir)
        .map_err(|d| anyhow::anyhow!("{}", agent_hubble::diag::Diagnostics(d)))?;

    let setup = setup::sources(cfg, cli.demo, true).await?;
    if let Some(n) = &setup.notice {
        eprintln!("{n}");
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    }
    let notice = setup.notice.clone();
    let live = agent_hubble::live::start(cfg, paths, setup).await;
    let demo = live.setup.demo;

    let mut notices: Vec<String> = Vec::new();
    let mut approver_note = None;
    let audit = match setup::open_audit(cfg, paths, demo) {
        Ok(a) => Some(Arc::new(Mutex::new(a))),
        Err(e) => {
            // No audit log, no actions: the console runs read-only and says why.
            tracing::error!("audit log unavailable: {e}");
            notices.push(format!("read-only: the audit log is unavailable ({e})"));
            None
        }
    };
    let mut actor = setup::local_actor();
    let read_only = cli.read_only || audit.is_none();
    // Remediation is off unless the config enables it; --read-only hides it too.
    let (remediation, queue_view) = match (&audit, cfg.remediation.enabled && !read_only) {
        (Some(audit), true) => {
            let r = live.remediation(cfg, paths, audit).await?;
            actor = r.who.display();
            approver_note = r.note.clone();
            notices.extend(r.note);
            (Some(r.commands), Some(r.view))
        }
        _ => (None, None),
    };
    // Notifications: the outbox worker runs here too, and the rules unless [notify]
    // rules_in_console = false; under --read-only they still send (a notification is not a
    // cloud change), but tickets, one-off notifications, retries and discards are refused.
    let notify = match &audit {
        Some(audit) => {
            match live.notify(
                cfg,
                audit,
                &actor,
                cli.read_only,
                cfg.notify.rules_in_console,
            ) {
                Ok(h) => h,
                Err(e) => {
                    notices.push(format!("notifications are off: {e}"));
                    None
                }
            }
        }
        _ => None,
    };
    let opts = Options {
        demo,
        read_only,
        screen_reader: cli.screen_reader || cfg.ui.screen_reader,
        actor: actor.clone(),
        remediation: remediation.is_some(),
        approver_note,
        // Validated with the config; an empty filter turns the alert off.
        alert: agent_hubble::filter::Filter::parse(cfg.ui.alert.get_ref())
            .ok()
            .filter(|f| !f.is_empty()),
        alert_with: cfg.ui.alert_with,
        notify: agent_hubble::tui::app::NotifyOptions::from_config(&cfg.notify, notify.is_some()),
        // Inline below this (a cold recompute of 50k is ~10 ms); above, off the UI thread.
        background_view_over: Some(50_000),
    };
    let snapshot = live.snapshots.borrow().clone();
    let mut app = App::new(opts, theme, keymap, snapshot, agent_hubble::model::now_ms());
    app.views = views;
    notices.extend(notice);
    if !notices.is_empty() {
        app.message = Some((agent_hubble::tui::app::Level::Info, notices.join(" | ")));
    }
    let ctx = EffectContext {
        remediation,
        queue_view,
        sources: live.sources_by_key.clone(),
        hub: live.hub.clone(),
        audit,
        refresh: live.poller.refresh_handle(),
        actor,
        paths: Some(paths.clone()),
        notify: notify.as_ref().map(|h| h.commands.clone()),
        notify_view: notify.as_ref().map(|h| h.view.clone()),
    };
    let result = run_terminal(app, live.snapshots.clone(), ctx).await;
    if let Some(h) = notify {
        h.shutdown().await;
    }
    live.stop().await;
    result
}
