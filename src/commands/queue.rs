//! `agent-hubble queue …`: the remediation queue for scripts and ChatOps, with the same
//! policy, identity and audit log as the console.

use std::io::Write;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::cli::{ListFormat as Format, QueueCommand};
use crate::config::{Config, Paths};
use crate::model::{Finding, format_age, now_ms};
use crate::remediation::catalog::Catalog;
use crate::remediation::identity;
use crate::remediation::queue::{Identity, Item, Queue};
use crate::remediation::runner::Runner;
use crate::sanitize;
use crate::setup::{self, Setup};

fn fail(msg: impl std::fmt::Display, code: u8) -> ExitCode {
    eprintln!("agent-hubble: {}", sanitize::line(&msg.to_string()));
    ExitCode::from(code)
}

pub fn open_queue(cfg: &Config, paths: &Paths, demo: bool) -> Result<Queue, String> {
    let audit = setup::open_audit(cfg, paths, demo)?;
    Queue::open(
        &setup::store_path(cfg, paths, demo),
        Arc::new(Mutex::new(audit)),
    )
    .map(|q| q.with_trusted_roles(cfg.remediation.trusted_roles()))
    .map_err(|e| e.to_string())
}

/// Does this subcommand change anything? (`--read-only` refuses those.)
pub fn mutates(cmd: &QueueCommand) -> bool {
    match cmd {
        QueueCommand::List { .. } | QueueCommand::Show { .. } | QueueCommand::Waiting => false,
        QueueCommand::Propose { dry_run, .. } => !dry_run,
        _ => true,
    }
}

fn print_item(q: &Queue, item: &Item) {
    println!("{:<16} {}", "Item", item.id);
    println!("{:<16} {}", "State", item.state.as_str());
    println!(
        "{:<16} {}",
        "Requested by",
        sanitize::line(&item.requester.display())
    );
    for (k, v) in crate::remediation::propose::preview(&item.proposal) {
        println!("{k:<16} {}", sanitize::line(&v));
    }
    println!(
        "{:<16} {}/{} distinct people",
        "Approvals",
        item.approvals(),
        item.proposal.approvals_required
    );
    for d in &item.decisions {
        println!(
            "{:<16} {} ({}): {}",
            if d.approve {
                "Approved by"
            } else {
                "Rejected by"
            },
            sanitize::line(&d.actor),
            if d.digest == item.proposal.digest() {
                "this digest"
            } else {
                "another digest"
            },
            sanitize::line(&d.justification)
        );
    }
    if let Some(e) = &item.start_error {
        println!("{:<16} {}", "Start", sanitize::line(e));
    }
    if let Some(f) = &item.failure {
        println!("{:<16} {}", "Failure", sanitize::line(f));
    }
    let _ = q;
}

/// The finding from the local cache, else from one poll of every source.
async fn find(
    cfg: &Config,
    paths: &Paths,
    setup: &Setup,
    id: &str,
) -> Result<(Finding, Option<serde_json::Value>), String> {
    if let Ok(store) = crate::store::Store::open(&setup::store_path(cfg, paths, setup.demo))
        && let Ok((all, _)) = store.load_findings()
        && let Some(f) = all.into_iter().find(|f| f.id == id)
    {
        let raw = store
            .raw_json(id)
            .ok()
            .flatten()
            .and_then(|r| serde_json::from_str(&r).ok());
        return Ok((f, raw));
    }
    for s in &setup.sources {
        let (items, _) = crate::poller::fetch_all(s.as_ref(), &crate::sources::Query::full(false))
            .await
            .map_err(|e| format!("{}: {e}", s.info().key))?;
        if let Some(n) = items.into_iter().find(|n| n.finding.id == id) {
            let raw = serde_json::from_str(&n.raw).ok();
            return Ok((n.finding, raw));
        }
    }
    Err(format!("finding {id} not found in any configured source"))
}

fn print_items(items: &[Item], format: Format) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            for i in items {
                writeln!(out, "{}", serde_json::to_string(i).unwrap_or_default())?;
            }
        }
        Format::Table => {
            writeln!(
                out,
                "{:<8} {:<10} {:<12} {:<12} {:<28} {:<9} {:<5} {:<20} STEP",
                "ID", "STATE", "CONTROL", "ACCOUNT", "RESOURCE", "APPROVALS", "AGE", "REQUESTER"
            )?;
            let now = now_ms();
            for i in items {
                let p = &i.proposal;
                writeln!(
                    out,
                    "{} {} {} {} {} {} {} {} {}",
                    sanitize::fit(&i.id, 8),
                    sanitize::fit(i.state.as_str(), 10),
                    sanitize::fit(&p.control, 12),
                    sanitize::fit(&p.account, 12),
                    sanitize::fit(crate::query::short_resource(&p.resource_id), 28),
                    sanitize::fit(&format!("{}/{}", i.approvals(), p.approvals_required), 9),
                    sanitize::fit(&format_age(now, i.created_at), 5),
                    sanitize::fit(i.requester.short(), 20),
                    sanitize::line(
                        i.current_step
                            .as_deref()
                            .or(i.execution_id.as_deref())
                            .unwrap_or("-")
                    ),
                )?;
            }
        }
    }
    Ok(())
}

pub async fn run(
    cmd: &QueueCommand,
    cfg: &Config,
    paths: &Paths,
    demo: bool,
    read_only: bool,
) -> ExitCode {
    if read_only && mutates(cmd) {
        return fail(
            "--read-only: this command would change the queue; nothing was done",
            2,
        );
    }
    if let QueueCommand::Show { item } = cmd {
        return match open_queue(cfg, paths, demo).and_then(|q| {
            q.get(item)
                .map(|i| print_item(&q, &i))
                .map_err(|e| e.to_string())
        }) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(e, 1),
        };
    }
    if let QueueCommand::List { format } = cmd {
        return match open_queue(cfg, paths, demo).and_then(|q| q.list().map_err(|e| e.to_string()))
        {
            Ok(items) => match print_items(&items, *format) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(e, 1),
            },
            Err(e) => fail(e, 1),
        };
    }
    if !cfg.remediation.enabled && !demo {
        let file = cfg
            .path
            .as_ref()
            .map_or("the config file".into(), |p| p.display().to_string());
        return fail(
            format!("remediation is disabled: set `[remediation] enabled = true` in {file}"),
            2,
        );
    }
    let setup = match setup::sources(cfg, demo, false).await {
        Ok(s) => s,
        Err(e) => return fail(e, 1),
    };
    let who: Identity = match identity::resolve(setup.base.as_ref()).await {
        Ok(i) => i,
        Err(e) => return fail(format!("cannot establish who you are: {e}"), 1),
    };
    if let Some(w) = crate::remediation::person::warning(&who.arn, &cfg.remediation.trusted_roles())
    {
        eprintln!("agent-hubble: note: {}", sanitize::line(&w));
    }
    let mut queue = match open_queue(cfg, paths, setup.demo) {
        Ok(q) => q,
        Err(e) => return fail(e, 1),
    };
    let result: Result<(), String> = match cmd {
        QueueCommand::List { .. } | QueueCommand::Show { .. } => unreachable!("handled above"),
        QueueCommand::Propose {
            finding_id,
            dry_run,
        } => {
            let catalog = match Catalog::load(Some(&paths.config_dir)) {
                Ok(c) => c,
                Err(d) => return fail(crate::diag::Diagnostics(d), 2),
            };
            let proposal = match find(cfg, paths, &setup, finding_id).await {
                Ok((f, raw)) => {
                    crate::remediation::propose::prepare(
                        &f,
                        raw.as_ref(),
                        &catalog,
                        &cfg.remediation,
                        &setup.targets,
                    )
                    .await
                }
                Err(e) => Err(e),
            };
            match proposal {
                Ok(p) if *dry_run => {
                    for (k, v) in crate::remediation::propose::preview(&p) {
                        println!("{k:<16} {}", sanitize::line(&v));
                    }
                    Ok(())
                }
                Ok(p) => match queue.propose(p, &who) {
                    Ok(i) => {
                        println!("{}", i.id);
                        Ok(())
                    }
                    Err(crate::remediation::queue::QueueError::Duplicate { id, state }) => {
                        // Not an error: the open item is the answer.
                        eprintln!("agent-hubble: the finding already has an open item ({state})");
                        println!("{id}");
                        Ok(())
                    }
                    Err(e) => Err(e.to_string()),
                },
                Err(e) => Err(e),
            }
        }
        QueueCommand::Approve {
            item,
            reason,
            confirm,
            digest,
        } => queue
            .approve(item, &who, reason, confirm.as_deref(), digest.as_deref())
            .map(|i| {
                println!(
                    "{} {} ({}/{} approvals)",
                    i.id,
                    i.state.as_str(),
                    i.approvals(),
                    i.proposal.approvals_required
                )
            })
            .map_err(|e| e.to_string()),
        QueueCommand::Reject { item, reason } => queue
            .reject(item, &who, reason)
            .map(|i| println!("{} {}", i.id, i.state.as_str()))
            .map_err(|e| e.to_string()),
        QueueCommand::Cancel { item, reason } => queue
            .cancel(item, &who, reason)
            .map(|i| {
                println!(
                    "{} {}{}",
                    i.id,
                    i.state.as_str(),
                    if i.cancel_requested {
                        " (stop requested)"
                    } else {
                        ""
                    }
                )
            })
            .map_err(|e| e.to_string()),
        QueueCommand::Run { wait } => {
            let sources = setup
                .sources
                .iter()
                .map(|s| (s.info().key.clone(), s.clone()))
                .collect();
            let catalog = match Catalog::load(Some(&paths.config_dir)) {
                Ok(c) => c,
                Err(d) => return fail(crate::diag::Diagnostics(d), 2),
            };
            let checks = crate::remediation::runner::Checks::from_config(&cfg.remediation, catalog);
            let mut runner = Runner::new(queue, setup.targets.clone(), sources, who, checks);
            let report = |p: &crate::remediation::runner::Pass| {
                for id in &p.started {
                    println!("started {id}");
                }
                for (id, s) in &p.finished {
                    println!("{} {id}", s.as_str().to_lowercase());
                }
                for e in &p.errors {
                    eprintln!("agent-hubble: {}", sanitize::line(e));
                }
            };
            let r = if *wait {
                runner
                    .run_until_idle(
                        Duration::from_secs(cfg.remediation.poll_secs.max(1)),
                        report,
                    )
                    .await
            } else {
                runner.pass().await.map(|p| report(&p))
            };
            r.map_err(|e| e.to_string())
        }
        QueueCommand::Waiting => {
            let mut errors = Vec::new();
            for (key, a) in &waiting_places(&setup, &queue).await {
                match a.waiting().await {
                    Ok(list) => {
                        for w in list {
                            println!(
                                "{} {} {} {}",
                                w.execution_id,
                                sanitize::line(&w.document),
                                w.step.as_deref().unwrap_or("-"),
                                key
                            );
                        }
                    }
                    Err(e) => errors.push(format!("{key}: {e}")),
                }
            }
            if errors.is_empty() {
                Ok(())
            } else {
                Err(errors.join("; "))
            }
        }
        QueueCommand::Signal {
            execution_id,
            decision,
            reason,
        } => {
            signal(
                &setup,
                &queue,
                &who,
                execution_id,
                decision == "approve",
                reason,
            )
            .await
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e, 1),
    }
}

/// Where executions waiting at `aws:approve` may be: every source's account × region and
/// the target of every running item.
async fn waiting_places(
    setup: &Setup,
    queue: &Queue,
) -> Vec<(String, Arc<dyn crate::remediation::automation::Automation>)> {
    let mut out: Vec<_> = setup
        .automations
        .iter()
        .map(|(k, a)| (k.clone(), a.clone()))
        .collect();
    for item in queue.list().unwrap_or_default() {
        let p = &item.proposal;
        if item.state == crate::remediation::queue::State::Running
            && let Ok(a) = setup
                .targets
                .get(&p.account, &p.region, &p.assume_role)
                .await
        {
            out.push((format!("{}/{}", p.account, p.region), a));
        }
    }
    out
}

/// Finds which account × region holds the waiting execution, audits, then signals.
async fn signal(
    setup: &Setup,
    queue: &Queue,
    who: &Identity,
    execution_id: &str,
    approve: bool,
    reason: &str,
) -> Result<(), String> {
    if reason.trim().is_empty() {
        return Err("a reason is required".into());
    }
    for (_, a) in &waiting_places(setup, queue).await {
        let Ok(list) = a.waiting().await else {
            continue;
        };
        if list.iter().any(|w| w.execution_id == execution_id) {
            let action = if approve {
                "automation:approve"
            } else {
                "automation:reject"
            };
            queue
                .audit(who, action, execution_id, reason, "pending")
                .map_err(|e| e.to_string())?;
            a.signal(
                execution_id,
                approve,
                &format!("{}: {reason}", who.display()),
            )
            .await
            .map_err(|e| e.to_string())?;
            queue.audit_outcome(who, action, execution_id, "ok");
            println!(
                "{execution_id} {}",
                if approve { "approved" } else { "rejected" }
            );
            return Ok(());
        }
    }
    Err(format!(
        "no execution {execution_id} is waiting for approval in the configured accounts and regions"
    ))
}
