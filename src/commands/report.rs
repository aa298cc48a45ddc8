//! `agent-hubble report`: a compliance report from one poll of every configured source.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use crate::config::Config;
use crate::model::{Finding, now_ms};
use crate::posture::report::{Format, ReportInput, render};
use crate::sanitize;
use crate::sources::Query;

pub async fn run(
    cfg: &Config,
    demo: bool,
    standard: &str,
    account: Option<&str>,
    format: &str,
    out: Option<&Path>,
) -> ExitCode {
    let format: Format = match format.parse() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("agent-hubble: {e}");
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
    // Every source at once; archived findings do not count, suppressed ones are reported.
    let tasks: Vec<_> = setup
        .sources
        .iter()
        .map(|s| {
            let s = s.clone();
            tokio::spawn(async move {
                let r = crate::poller::fetch_all(s.as_ref(), &Query::full(false)).await;
                (s.info().key.clone(), r, now_ms())
            })
        })
        .collect();
    let mut findings: Vec<Arc<Finding>> = Vec::new();
    let mut freshness: Vec<(String, Option<i64>)> = Vec::new();
    let mut failed = false;
    let mut seen = std::collections::HashSet::new();
    for t in tasks {
        let Ok((key, result, at)) = t.await else {
            continue;
        };
        match result {
            Ok((items, _)) => {
                findings.extend(
                    items
                        .into_iter()
                        .filter(|n| seen.insert(n.finding.id.clone()))
                        .map(|n| Arc::new(n.finding)),
                );
                freshness.push((key, Some(at)));
            }
            Err(e) => {
                failed = true;
                eprintln!(
                    "agent-hubble: {key}: {} (the report lacks this source)",
                    sanitize::line(&e.to_string())
                );
                freshness.push((key, None));
            }
        }
    }
    freshness.sort();
    let meta = match setup.controls.clone() {
        Some(sdk) => std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(crate::sources::aws_controls::fetch(&sdk)).ok()
        })
        .join()
        .ok()
        .flatten(),
        None => None,
    };
    let posture = crate::posture::score::compute_with(&findings, account, meta.as_ref());
    let metadata = crate::posture::metadata_label(meta.as_ref());
    let data_as_of = freshness.iter().filter_map(|s| s.1).min();
    let input = ReportInput {
        posture: &posture,
        standard,
        account,
        generated_at: now_ms(),
        data_as_of,
        sources: &freshness,
        metadata: &metadata,
    };
    let text = match render(&input, format) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("agent-hubble: {e}");
            return ExitCode::from(2);
        }
    };
    let written = match out {
        Some(path) => std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display())),
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(text.as_bytes())
                .map_err(|e| e.to_string())
        }
    };
    if let Err(e) = written {
        eprintln!("agent-hubble: {e}");
        return ExitCode::from(1);
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
