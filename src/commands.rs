//! Headless subcommands: `findings`, `check-config`, `audit verify`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use crate::cli::Format;
use crate::config::{Config, Paths};
use crate::filter::Filter;
use crate::model::{Finding, RecordState, now_ms};
use crate::poller::fetch_all_observed;
use crate::query::{self as table, Column, Sort};
use crate::sanitize;
use crate::sources::Query;

/// Polls every source once and prints what they returned. Exit 1 if any source failed
/// (after printing the others), 2 for bad input.
#[allow(clippy::too_many_arguments)]
pub async fn findings(
    cfg: &Config,
    paths: &Paths,
    demo: bool,
    format: Format,
    filter: Option<&str>,
    include_archived: bool,
    view: Option<&str>,
) -> ExitCode {
    let view = match view {
        None => None,
        Some(name) => match crate::query::views::load(&paths.config_dir) {
            Ok(views) => match views.into_iter().find(|v| v.view.name == name) {
                Some(v) => Some(v),
                None => {
                    eprintln!(
                        "agent-hubble: --view: no view {name:?} in {}",
                        crate::query::views::path(&paths.config_dir).display()
                    );
                    return ExitCode::from(2);
                }
            },
            Err(d) => {
                eprintln!("{}", crate::diag::Diagnostics(d));
                return ExitCode::from(2);
            }
        },
    };
    // The view's filter AND the --filter.
    let text = [view.as_ref().map(|v| v.view.filter.as_str()), filter]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let filter = match Filter::parse(&text) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("agent-hubble: --filter: {e}");
            return ExitCode::from(2);
        }
    };
    let setup = match crate::setup::sources(cfg, demo, false).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("agent-hubble: {e}");
            return ExitCode::from(1);
        }
    };
    if let Some(n) = &setup.notice {
        for line in n.lines() {
            eprintln!("agent-hubble: {}", sanitize::line(line));
        }
    }
    let query = Query::full(include_archived);
    let reads = progress::Reads::new(setup.sources.iter().map(|s| s.info().key.clone()));
    // As in the console: at most [poll] max_concurrent reads at once (1,000 account × Region
    // sources must not mean 1,000 connections), each source at its own rate limit.
    let permits = Arc::new(tokio::sync::Semaphore::new(
        (*cfg.poll.max_concurrent.get_ref()).max(1),
    ));
    let tasks: Vec<_> = setup
        .sources
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let s = s.clone();
            let q = query.clone();
            let reads = reads.clone();
            let permits = permits.clone();
            tokio::spawn(async move {
                let _permit = permits.acquire_owned().await.ok();
                let r =
                    fetch_all_observed(s.as_ref(), &q, |pages, n| reads.page(i, pages, n)).await;
                reads.done(i);
                // A part that could not be read (a GitHub repository without access).
                (s.info().key.clone(), r, s.partial_error())
            })
        })
        .collect();
    // Progress on stderr while a read takes longer than a couple of seconds.
    let ticker = reads.tick();
    let mut all: Vec<Arc<Finding>> = Vec::new();
    let mut failed = false;
    let mut seen = std::collections::HashSet::new();
    for (i, t) in tasks.into_iter().enumerate() {
        let Ok((key, result, partial)) = t.await else {
            failed = true;
            continue;
        };
        if let Some(p) = partial.filter(|_| result.is_ok()) {
            failed = true;
            eprintln!("agent-hubble: {key}: {}", sanitize::line(&p));
        }
        match result {
            Ok((items, skipped)) => {
                for s in &skipped {
                    eprintln!(
                        "agent-hubble: {key}: skipped malformed finding: {}",
                        sanitize::line(s)
                    );
                }
                if let Some(line) = reads.summary(i) {
                    eprintln!("agent-hubble: {line}");
                }
                all.extend(
                    items
                        .into_iter()
                        .filter(|n| seen.insert(n.finding.id.clone()))
                        .map(|n| Arc::new(n.finding)),
                );
            }
            Err(e) => {
                failed = true;
                eprintln!("agent-hubble: {key}: {}", sanitize::line(&e.to_string()));
            }
        }
    }
    ticker.abort();
    if let Some(line) = reads.total() {
        eprintln!("agent-hubble: {line}");
    }
    // Names people use (config `[accounts]`; the demo's own accounts).
    let mut names = cfg.accounts.clone();
    if setup.demo {
        for (id, n) in crate::sources::demo::ACCOUNTS {
            names.entry(id.to_string()).or_insert_with(|| n.to_string());
        }
    }
    if !names.is_empty() {
        for f in &mut all {
            if let Some(n) = names.get(f.account.as_str()) {
                Arc::make_mut(f).account_name = Some(n.as_str().into());
            }
        }
    }
    let now = now_ms();
    let scope = match (&view, include_archived) {
        (_, true) => table::Scope::All,
        (Some(v), false) => v.view.scope,
        (None, false) => table::Scope::Active,
    };
    let sort = view.as_ref().map_or(Sort::default(), |v| v.sort);
    let idx = table::compute(&all, &filter, sort, scope, now);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    use crate::query::export::{self, Format as Export};
    let written = match (format, view.as_ref().and_then(|v| v.group)) {
        (Format::Table, Some(by)) => print_groups(&mut out, &all, &idx, by),
        (Format::Json, _) => export::write(&mut out, Export::Json, &all, &idx),
        (Format::Csv, _) => export::write(&mut out, Export::Csv, &all, &idx),
        (Format::Md, _) => export::write(&mut out, Export::Markdown, &all, &idx),
        (Format::Table, None) => print_table(&mut out, &all, &idx, now),
    };
    if written.and_then(|_| out.flush()).is_err() {
        return ExitCode::from(1);
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// A grouped view as a table of groups: key, count, and counts by severity.
fn print_groups(
    out: &mut impl Write,
    all: &[Arc<Finding>],
    idx: &[u32],
    by: crate::query::GroupBy,
) -> std::io::Result<()> {
    use crate::model::Severity;
    let groups = crate::query::group(all, idx, by, crate::query::GroupOrder::Count, false);
    writeln!(
        out,
        "{:<40} {:>6} {:>5} {:>5} {:>5} {:>5} {:>5}",
        by.name().to_ascii_uppercase(),
        "TOTAL",
        "CRIT",
        "HIGH",
        "MED",
        "LOW",
        "INFO"
    )?;
    for g in groups.iter() {
        write!(out, "{} {:>6}", sanitize::fit(&g.key, 40), g.total())?;
        for s in Severity::ALL {
            write!(out, " {:>5}", g.count(s))?;
        }
        writeln!(out)?;
    }
    writeln!(out, "{} groups, {} findings", groups.len(), idx.len())
}

fn print_table(
    out: &mut impl Write,
    all: &[Arc<Finding>],
    idx: &[u32],
    now: i64,
) -> std::io::Result<()> {
    let cols = [
        (Column::Severity, 4),
        (Column::Account, 12),
        (Column::Region, 14),
        (Column::Control, 12),
        (Column::Workflow, 10),
        (Column::Resource, 28),
        (Column::Title, 60),
    ];
    let header: Vec<String> = cols
        .iter()
        .map(|(c, w)| sanitize::fit(c.header(), *w))
        .collect();
    writeln!(out, "{}", header.join(" ").trim_end())?;
    for &i in idx {
        let f = &all[i as usize];
        let cells: Vec<String> = cols
            .iter()
            .map(|(c, w)| sanitize::fit(&c.text(f, now), *w))
            .collect();
        writeln!(out, "{}", cells.join(" ").trim_end())?;
    }
    let archived = idx
        .iter()
        .filter(|&&i| all[i as usize].record_state == RecordState::Archived)
        .count();
    writeln!(
        out,
        "{} findings{}",
        idx.len(),
        if archived > 0 {
            format!(" ({archived} archived)")
        } else {
            String::new()
        }
    )
}

/// Validates config, themes and keymaps. Exit 2 with `file:line:col: message` lines.
pub fn check_config(path: Option<&Path>, paths: &Paths) -> ExitCode {
    let mut diags = Vec::new();
    let mut cfg = None;
    let mut checked = Vec::new();
    match crate::config::locate(path, paths) {
        Some((p, _)) => {
            checked.push(p.display().to_string());
            match Config::load(&p) {
                Ok(c) => cfg = Some(c),
                Err(d) => diags.extend(d.0),
            }
        }
        None => checked.push("(no config file: defaults)".into()),
    }
    diags.extend(crate::tui::theme::check_all(Some(&paths.themes_dir())));
    diags.extend(crate::tui::keymap::check_all(Some(&paths.keymaps_dir())));
    diags.extend(crate::remediation::catalog::check_all(Some(
        &paths.config_dir,
    )));
    match crate::query::views::load(&paths.config_dir) {
        Ok(views) => {
            // A view's key must parse and must not shadow a key of the keymap in use.
            let keymap_name = cfg
                .as_ref()
                .map_or("default".to_string(), |c| c.ui.keymap.get_ref().clone());
            if let Ok(map) = crate::tui::keymap::load(&keymap_name, Some(&paths.keymaps_dir())) {
                let file = crate::query::views::path(&paths.config_dir);
                for v in &views {
                    let Some(k) = &v.view.key else { continue };
                    let msg = match k.parse::<crate::tui::keymap::KeyCombo>() {
                        Err(e) => Some(format!("view {:?}: key {k:?}: {e}", v.view.name)),
                        Ok(combo) => crate::tui::keymap::Action::ALL
                            .iter()
                            .find(|a| map.combos_for(**a).contains(&combo))
                            .map(|a| {
                                format!(
                                    "view {:?}: key {k:?} is already bound to {} in keymap {keymap_name}",
                                    v.view.name,
                                    a.name()
                                )
                            }),
                    };
                    if let Some(m) = msg {
                        let text = std::fs::read_to_string(&file).unwrap_or_default();
                        let at = text.find(&format!("key = \"{k}\"")).unwrap_or(0);
                        diags.push(crate::diag::Diagnostic::at_offset(&file, &text, at, m));
                    }
                }
            }
        }
        Err(d) => diags.extend(d),
    }
    if let Some(c) = &cfg {
        let file = c.path.clone().unwrap_or_default();
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let depth = crate::tui::color::ColorDepth::TrueColor;
        if let Err(d) = crate::tui::theme::load(
            c.ui.theme.get_ref(),
            Some(&paths.themes_dir()),
            depth,
            false,
        ) {
            diags.push(crate::diag::Diagnostic::at_offset(
                &file,
                &text,
                c.ui.theme.span().start,
                format!("theme: {}", d.message),
            ));
        }
        if let Err(ds) = crate::tui::keymap::load(c.ui.keymap.get_ref(), Some(&paths.keymaps_dir()))
        {
            let msg = ds.first().map_or(String::new(), |d| d.message.clone());
            diags.push(crate::diag::Diagnostic::at_offset(
                &file,
                &text,
                c.ui.keymap.span().start,
                format!("keymap: {msg}"),
            ));
        }
    }
    if let Some(c) = &cfg {
        // Channels' secrets: set environment variables, 0600 files.
        let file = c.path.clone().unwrap_or_default();
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let mut problems = Vec::new();
        crate::config::notify::check_secrets(&c.notify, &mut problems);
        for (span, msg) in problems {
            diags.push(crate::diag::Diagnostic::at_offset(
                &file, &text, span.start, msg,
            ));
        }
    }
    if let Some(c) = &cfg
        && c.remediation.enabled
    {
        approvals_note(c);
    }
    if diags.is_empty() {
        println!(
            "ok: {} (themes: {}, keymaps: {})",
            checked.join(", "),
            paths.themes_dir().display(),
            paths.keymaps_dir().display()
        );
        ExitCode::SUCCESS
    } else {
        for d in &diags {
            eprintln!("{d}");
        }
        ExitCode::from(2)
    }
}

/// `audit verify`: the chain, then its end against the anchor in the store. Exit 0 when
/// intact (warnings on stderr), 1 when tampered with (naming the line and what is missing),
/// 2 when it cannot be checked.
/// What `check-config` says about approvers: who the current credentials are as a person,
/// and a warning when sessions of that identity cannot be told apart.
fn approvals_note(cfg: &Config) {
    let trusted = cfg.remediation.trusted_roles();
    if trusted.is_empty() {
        println!(
            "note: approvals count people: IAM users, Identity Center (AWSReservedSSO_*) sessions, \
             and sessions of trusted_session_roles; every other role counts once, whatever its session names"
        );
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let Ok(rt) = rt else { return };
    let who = rt.block_on(async {
        let setup = crate::setup::sources(cfg, false, false).await.ok()?;
        let base = setup.base.as_ref()?;
        tokio::time::timeout(
            std::time::Duration::from_secs(8),
            crate::remediation::identity::resolve(Some(base)),
        )
        .await
        .ok()?
        .ok()
    });
    match who {
        Some(who) => {
            let p = crate::remediation::person::person(&who.arn, &trusted);
            println!(
                "approver: {} counts as person {}",
                sanitize::line(&who.arn),
                sanitize::line(&p.key)
            );
            if let Some(w) = crate::remediation::person::warning(&who.arn, &trusted) {
                println!("warning: {}", sanitize::line(&w));
            }
        }
        None => println!("note: identity not checked (no AWS credentials answered)"),
    }
}

pub fn audit_verify(path: &Path, store: &Path, key: Option<&crate::audit::Key>) -> ExitCode {
    use crate::audit::verify::AnchorState;
    let anchor = if store.exists() {
        match crate::store::Store::open(store) {
            Ok(s) => match crate::audit::read_anchor(&s.into_connection(), path) {
                Ok(Some(a)) => AnchorState::Found(a),
                Ok(None) => AnchorState::Missing,
                Err(e) => {
                    eprintln!("{}: {e}", store.display());
                    return ExitCode::from(2);
                }
            },
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        }
    } else {
        AnchorState::NoStore
    };
    let report = match crate::audit::verify(path, anchor, key) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    for w in &report.warnings {
        eprintln!("{}: warning: {w}", path.display());
    }
    if let Some((line, e)) = report.errors.first() {
        eprintln!("{}:{line}: {e}", path.display());
        return ExitCode::from(1);
    }
    println!(
        "ok: {} entries, hash chain intact{}{} ({})",
        report.entries,
        if report.keyed {
            ", keyed (HMAC-SHA256)"
        } else {
            ""
        },
        match report.anchored_at {
            Some(seq) => format!(", anchored at entry {seq} in {}", store.display()),
            None => String::new(),
        },
        path.display()
    );
    ExitCode::SUCCESS
}

pub mod notify;
mod progress;
pub mod queue;
pub mod report;
pub mod watch;
