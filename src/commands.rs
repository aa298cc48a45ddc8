//! Headless subcommands: `findings`, `check-config`, `audit verify`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use crate::cli::Format;
use crate::config::{Config, Paths};
use crate::filter::Filter;
use crate::model::{Finding, RecordState, now_ms};
use crate::poller::fetch_all;
use crate::sanitize;
use crate::sources::Query;
use crate::tui::table::{self, Column, Sort};

/// Polls every source once and prints what they returned. Exit 1 if any source failed
/// (after printing the others), 2 for bad input.
pub async fn findings(
    cfg: &Config,
    demo: bool,
    format: Format,
    filter: Option<&str>,
    include_archived: bool,
) -> ExitCode {
    let filter = match filter.map(Filter::parse).transpose() {
        Ok(f) => f.unwrap_or_default(),
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
    let query = Query::Full { include_archived };
    let tasks: Vec<_> = setup
        .sources
        .iter()
        .map(|s| {
            let s = s.clone();
            let q = query.clone();
            tokio::spawn(async move {
                let result = fetch_all(s.as_ref(), &q).await;
                // A part that could not be read (a GitHub repository without access).
                (s.info().key.clone(), result, s.partial_error())
            })
        })
        .collect();
    let mut all: Vec<Arc<Finding>> = Vec::new();
    let mut failed = false;
    let mut seen = std::collections::HashSet::new();
    for t in tasks {
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
    let now = now_ms();
    let show_archived = include_archived;
    let idx = table::compute(&all, &filter, Sort::default(), show_archived, now);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = match format {
        Format::Json => idx
            .iter()
            .try_for_each(|&i| writeln!(out, "{}", all[i as usize].to_output_json())),
        Format::Table => print_table(&mut out, &all, &idx, now),
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

pub mod queue;
pub mod report;
