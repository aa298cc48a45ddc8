use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use clap::Parser;
use tokio::sync::mpsc;

use agent_hubble::cli::{AuditCommand, Cli, Command};

use agent_hubble::config::{self, Config, Paths};
use agent_hubble::hub::{Hub, HubInput};
use agent_hubble::poller::{Poller, Resume, Settings};
use agent_hubble::store::Store;
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
        .map_err(|d| anyhow::anyhow!("{d}"))?;
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
    let store_path = setup::store_path(cfg, paths, setup.demo);
    let store = match Store::open(&store_path) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::error!("store unavailable, running without cache: {e}");
            None
        }
    };
    let resume: std::collections::HashMap<String, Resume> = setup
        .sources
        .iter()
        .filter_map(|s| {
            let key = s.info().key.clone();
            let st = store.as_ref()?.source_state(&key).ok()?;
            Some((key, Resume::from_state(&st)))
        })
        .collect();
    let infos: Vec<_> = setup.sources.iter().map(|s| s.info().clone()).collect();
    let (mut hub, snapshots) = Hub::new(store, &infos);
    hub.set_history(agent_hubble::posture::HistorySettings {
        snapshot_every_ms: cfg.posture.snapshot_every_secs as i64 * 1000,
        retention_days: cfg.posture.retention_days.max(1),
        demo_backfill: setup.demo,
    });
    let (hub_tx, hub_rx) = mpsc::channel::<HubInput>(256);
    let hub_thread = hub.spawn(hub_rx);

    let (poll_tx, mut poll_rx) = mpsc::channel(64);
    let poller = Poller::spawn(
        setup.sources.clone(),
        |k| resume.get(k).copied().unwrap_or_default(),
        Settings::from_config(&cfg.poll),
        poll_tx,
    );
    // Account names: the config's at once (the demo's own for the demo), AWS Organizations'
    // when the credentials may list accounts (the config's still win).
    let mut names: std::collections::HashMap<String, String> = if setup.demo {
        agent_hubble::sources::demo::ACCOUNTS
            .iter()
            .map(|(id, n)| (id.to_string(), n.to_string()))
            .collect()
    } else {
        Default::default()
    };
    names.extend(cfg.accounts.clone());
    if !names.is_empty() {
        let _ = hub_tx.send(HubInput::AccountNames(names)).await;
    }
    if let Some(sdk) = setup.controls.clone() {
        let hub = hub_tx.clone();
        let configured = cfg.accounts.clone();
        tokio::spawn(async move {
            match agent_hubble::sources::aws_accounts::fetch(&sdk).await {
                Ok(mut org) => {
                    tracing::info!("{} account names from AWS Organizations", org.len());
                    org.extend(configured);
                    let _ = hub.send(HubInput::AccountNames(org)).await;
                }
                Err(e) => tracing::info!("account names from the config only (Organizations: {e})"),
            }
        });
    }
    // Control metadata from the API when it answers; posture is derived from findings until then.
    if let Some(sdk) = setup.controls.clone() {
        let hub = hub_tx.clone();
        // Its own thread and runtime: the fetch's future is not Send.
        std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            match rt.block_on(agent_hubble::sources::aws_controls::fetch(&sdk)) {
                Ok(meta) => {
                    tracing::info!(
                        "control metadata from the API: {} standards, {} controls",
                        meta.enabled_standards.len(),
                        meta.controls.len()
                    );
                    let _ = hub.blocking_send(HubInput::ControlMetadata(Box::new(meta)));
                }
                Err(e) => {
                    tracing::info!("control metadata unavailable, deriving from findings: {e}")
                }
            }
        });
    }
    let forward_tx = hub_tx.clone();
    let forward = tokio::spawn(async move {
        while let Some(ev) = poll_rx.recv().await {
            if forward_tx.send(HubInput::Source(ev)).await.is_err() {
                break;
            }
        }
    });

    let mut notices: Vec<String> = Vec::new();
    let mut approver_note = None;
    let audit = match setup::open_audit(cfg, paths, setup.demo) {
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
    let sources_by_key: std::collections::HashMap<_, _> = setup
        .sources
        .iter()
        .map(|s| (s.info().key.clone(), s.clone()))
        .collect();
    // Remediation is off unless the config enables it; --read-only hides it too.
    let (remediation, queue_view) = match (&audit, cfg.remediation.enabled && !read_only) {
        (Some(audit), true) => {
            let who = agent_hubble::remediation::identity::resolve(setup.base.as_ref())
                .await
                .map_err(|e| anyhow::anyhow!("remediation needs to know who you are: {e}"))?;
            actor = who.display();
            approver_note = agent_hubble::remediation::person::warning(
                &who.arn,
                &cfg.remediation.trusted_roles(),
            );
            notices.extend(approver_note.clone());
            let catalog =
                agent_hubble::remediation::catalog::Catalog::load(Some(&paths.config_dir))
                    .map_err(|d| anyhow::anyhow!("{}", agent_hubble::diag::Diagnostics(d)))?;
            let queue = agent_hubble::remediation::queue::Queue::open(&store_path, audit.clone())?
                .with_trusted_roles(cfg.remediation.trusted_roles());
            let checks = agent_hubble::remediation::runner::Checks::from_config(
                &cfg.remediation,
                catalog.clone(),
            );
            let mut runner = agent_hubble::remediation::runner::Runner::new(
                queue,
                setup.targets.clone(),
                sources_by_key.clone(),
                who.clone(),
                checks,
            );
            runner.hub = Some(hub_tx.clone());
            let service = agent_hubble::remediation::service::Service {
                runner,
                catalog,
                config: cfg.remediation.clone(),
                store_path: store_path.clone(),
                automations: setup.automations.clone(),
                who,
            };
            let (tx, rx) = service.spawn();
            (Some(tx), Some(rx))
        }
        _ => (None, None),
    };
    let opts = Options {
        demo: setup.demo,
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
    };
    let snapshot = snapshots.borrow().clone();
    let mut app = App::new(opts, theme, keymap, snapshot, agent_hubble::model::now_ms());
    app.views = views;
    notices.extend(setup.notice);
    if !notices.is_empty() {
        app.message = Some((agent_hubble::tui::app::Level::Info, notices.join(" | ")));
    }
    let ctx = EffectContext {
        remediation,
        queue_view,
        sources: sources_by_key,
        hub: hub_tx.clone(),
        audit,
        refresh: poller.refresh_handle(),
        actor,
        paths: Some(paths.clone()),
    };
    let result = run_terminal(app, snapshots, ctx).await;
    poller.shutdown();
    forward.abort();
    drop(hub_tx);
    let _ = tokio::task::spawn_blocking(move || hub_thread.join()).await;
    result
}
