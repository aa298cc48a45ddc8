//! GitHub code scanning alerts (github.com and GitHub Enterprise Server), one source per
//! `[[github]]` entry: the repositories listed, or every repository of an organisation.
//!
//! What a poll reads. The list API filters by state, not by update time, so the source is not
//! incremental: every poll is a full read, and what a full read does not return leaves the
//! console. Each target is read twice:
//! 1. `state=open`, oldest first (`sort=created&direction=asc`): every open alert. Oldest
//!    first keeps earlier pages unchanged when new alerts arrive, so conditional requests
//!    (`If-None-Match`, free of rate limit when GitHub answers 304) mostly hit.
//! 2. `state=closed` (dismissed or fixed), newest update first, stopping at the first alert
//!    closed before the window (`closed_days`, default 30; `--include-archived` /
//!    `poll.include_archived` reads them all). So an alert dismissed on GitHub, or fixed by
//!    a new analysis, turns SUPPRESSED / RESOLVED on the next poll and stays visible for the
//!    window, then leaves like an archived Security Hub finding.
//!
//! A repository that cannot be read (404, no access, code scanning off) is reported on the
//! source (`partial_error`) while the others are read; when no target can be read, or on a
//! transient failure (network, 5xx, rate limit), the poll fails and nothing is removed.

mod client;
mod normalize;
mod token;

use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

pub use client::{API_VERSION, Api, ApiError, next_link};
pub use normalize::{normalize_one, normalize_page, parse_id};
pub use token::{Token, from_chain};

use crate::config::{GithubConfig, PollConfig};
use crate::model::{Provider, Workflow, now_ms};
use crate::sources::{
    NormalizedPage, Query, RateLimit, Source, SourceError, SourceInfo, WorkflowOutcome,
    WorkflowUpdate,
};

/// GitHub's `dismissed_reason` values, in the order the workflow dialog numbers them (5–7).
pub const DISMISS_REASONS: [&str; 3] = ["false positive", "won't fix", "used in tests"];
/// GitHub's limit on `dismissed_comment`.
pub const DISMISS_COMMENT_MAX: usize = 280;
pub const DEFAULT_ENDPOINT: &str = "https://api.github.com";
pub const DEFAULT_CLOSED_DAYS: u32 = 30;

/// What one source reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Targets {
    /// `owner/repo` entries.
    Repos(Vec<String>),
    Org(String),
}

/// Everything a source needs; `token: None` uses the token chain (see [`token`]).
#[derive(Debug, Clone)]
pub struct Options {
    pub name: String,
    pub targets: Targets,
    pub endpoint: String,
    /// Closed alerts updated within this many days are read (0: open alerts only).
    pub closed_days: u32,
    pub token: Option<String>,
}

/// The sources of one config entry (one: the entry's repositories or organisation).
pub async fn sources(
    cfg: &GithubConfig,
    _poll: &PollConfig,
) -> anyhow::Result<Vec<Arc<dyn Source>>> {
    let targets = match (&cfg.repos, &cfg.org) {
        (Some(r), _) => Targets::Repos(r.get_ref().iter().map(|s| s.get_ref().clone()).collect()),
        (None, Some(o)) => Targets::Org(o.get_ref().clone()),
        (None, None) => anyhow::bail!("{}: give repos or org", cfg.name.get_ref()),
    };
    let opts = Options {
        name: cfg.name.get_ref().clone(),
        targets,
        endpoint: cfg
            .endpoint_url
            .as_ref()
            .map_or(DEFAULT_ENDPOINT.to_string(), |u| u.get_ref().clone()),
        closed_days: cfg
            .closed_days
            .as_ref()
            .map_or(DEFAULT_CLOSED_DAYS, |d| *d.get_ref()),
        token: None,
    };
    let s = GithubSource::new(opts).map_err(|e| anyhow::anyhow!("{}: {e}", cfg.name.get_ref()))?;
    Ok(vec![Arc::new(s)])
}

/// The host `gh auth token --hostname` is asked about: `github.com` for api.github.com, else
/// the endpoint's host (GHES: `https://HOST/api/v3`).
pub fn gh_host(endpoint: &str) -> String {
    let rest = endpoint.split_once("://").map_or(endpoint, |(_, r)| r);
    let host = rest.split(['/', '?']).next().unwrap_or(rest);
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    match host.to_ascii_lowercase().as_str() {
        "api.github.com" | "github.com" => "github.com".into(),
        h => h.to_string(),
    }
}

/// Where a read is: target index, phase, the next URL, and what happened so far.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Cursor {
    target: usize,
    closed: bool,
    next: Option<String>,
    /// Closed alerts updated before this (ms) are not read; None: all of them.
    cutoff: Option<i64>,
    /// Pages read (0 at the end: no target could be read).
    pages: usize,
    failed: Vec<String>,
}

pub struct GithubSource {
    info: SourceInfo,
    api: Api,
    targets: Targets,
    closed_days: u32,
    partial: Mutex<Option<String>>,
}

impl GithubSource {
    pub fn new(opts: Options) -> Result<GithubSource, String> {
        let host = gh_host(&opts.endpoint);
        let token = match opts.token {
            Some(t) => Token::Fixed(t),
            None => Token::chain(&host),
        };
        Ok(GithubSource {
            info: SourceInfo {
                key: format!("github/{}", opts.name),
                provider: Provider::GithubCodeScanning,
                name: opts.name,
                region: host,
            },
            api: Api::new(&opts.endpoint, token)?,
            targets: opts.targets,
            closed_days: opts.closed_days,
            partial: Mutex::new(None),
        })
    }

    /// The HTTP client (tests shorten its waits).
    pub fn api_mut(&mut self) -> &mut Api {
        &mut self.api
    }

    fn target_count(&self) -> usize {
        match &self.targets {
            Targets::Repos(r) => r.len(),
            Targets::Org(_) => 1,
        }
    }

    /// `owner/repo` or `org acme`, and the repository a per-repo listing is about.
    fn target(&self, i: usize) -> (String, Option<&str>) {
        match &self.targets {
            Targets::Repos(r) => (r[i].clone(), Some(r[i].as_str())),
            Targets::Org(o) => (format!("organisation {o}"), None),
        }
    }

    fn first_url(&self, i: usize, closed: bool) -> String {
        let base = match &self.targets {
            Targets::Repos(r) => format!("{}/repos/{}", self.api.endpoint, r[i]),
            Targets::Org(o) => format!("{}/orgs/{o}", self.api.endpoint),
        };
        let q = if closed {
            "state=closed&sort=updated&direction=desc"
        } else {
            "state=open&sort=created&direction=asc"
        };
        format!("{base}/code-scanning/alerts?per_page=100&{q}")
    }

    async fn read(
        &self,
        query: &Query,
        token: Option<String>,
    ) -> Result<NormalizedPage, SourceError> {
        let mut c: Cursor = match token {
            Some(t) => serde_json::from_str(&t)
                .map_err(|e| SourceError::Other(format!("bad page token: {e}")))?,
            None => {
                let all = matches!(
                    query,
                    Query::Full {
                        include_archived: true,
                        ..
                    }
                );
                Cursor {
                    cutoff: (!all).then(|| now_ms() - i64::from(self.closed_days) * 86_400_000),
                    ..Cursor::default()
                }
            }
        };
        let read_closed = c.cutoff.is_none() || self.closed_days > 0;
        while c.target < self.target_count() {
            let (name, repo) = self.target(c.target);
            let url = c
                .next
                .take()
                .unwrap_or_else(|| self.first_url(c.target, c.closed));
            let page = match self.api.get(&url).await {
                Ok(p) => p,
                Err(ApiError::Target { status, message }) => {
                    c.failed.push(target_error(&name, status, &message));
                    c.target += 1;
                    c.closed = false;
                    continue;
                }
                Err(e) => return Err(source_error(&name, e)),
            };
            let mut out = normalize_page(&page.body, &self.info.key, repo).map_err(|e| {
                SourceError::Other(format!(
                    "{name}: GitHub's answer is not a list of alerts: {e}"
                ))
            })?;
            c.pages += 1;
            let mut next = page.next;
            if c.closed
                && let Some(cut) = c.cutoff
            {
                let before = out.items.len();
                out.items.retain(|n| n.finding.updated_at >= cut);
                if out.items.len() < before {
                    // Newest first: the rest closed before the window too.
                    next = None;
                }
            }
            match next {
                Some(n) => c.next = Some(n),
                None if !c.closed && read_closed => c.closed = true,
                None => {
                    c.target += 1;
                    c.closed = false;
                }
            }
            if c.target < self.target_count() {
                out.next_token = Some(serde_json::to_string(&c).expect("cursor"));
                return Ok(out);
            }
            self.finish(&c)?;
            return Ok(out);
        }
        self.finish(&c)?;
        Ok(NormalizedPage::default())
    }

    /// End of a read: a target that failed is the source's partial error; none read at all
    /// fails the poll (so nothing is removed).
    fn finish(&self, c: &Cursor) -> Result<(), SourceError> {
        let partial = (!c.failed.is_empty()).then(|| c.failed.join("; "));
        if c.pages == 0
            && let Some(p) = partial
        {
            *self.partial.lock().expect("partial") = None;
            return Err(SourceError::Other(p));
        }
        *self.partial.lock().expect("partial") = partial;
        Ok(())
    }

    async fn update(&self, u: &WorkflowUpdate) -> Result<WorkflowOutcome, SourceError> {
        let mut out = WorkflowOutcome::default();
        let refuse = |out: &mut WorkflowOutcome, code: &str, msg: &str| {
            for f in &u.findings {
                out.unprocessed
                    .push((f.id.clone(), code.into(), msg.into()));
            }
        };
        let body = match u.status {
            Workflow::Suppressed => match u.reason.as_deref() {
                Some(r) if DISMISS_REASONS.contains(&r) => {
                    let mut b = serde_json::json!({"state": "dismissed", "dismissed_reason": r});
                    if let Some(n) = u.note.as_deref().filter(|n| !n.is_empty()) {
                        b["dismissed_comment"] = comment(n).into();
                    }
                    b
                }
                other => {
                    let msg = match other {
                        Some(r) => format!("{r:?} is not a GitHub dismiss reason"),
                        None => "GitHub needs a reason to dismiss an alert".into(),
                    };
                    let msg = format!("{msg} (false positive, won't fix, used in tests)");
                    refuse(&mut out, "MissingReason", &msg);
                    return Ok(out);
                }
            },
            Workflow::New => serde_json::json!({"state": "open"}),
            Workflow::Resolved => {
                refuse(
                    &mut out,
                    "NotSettable",
                    "GitHub marks an alert fixed itself, when a new analysis no longer finds it; dismiss it instead",
                );
                return Ok(out);
            }
            Workflow::Notified => {
                refuse(
                    &mut out,
                    "NotSettable",
                    "GitHub alerts have no NOTIFIED state (only open, dismissed and fixed)",
                );
                return Ok(out);
            }
        };
        let mut stop: Option<(String, String)> = None;
        for f in &u.findings {
            if let Some((code, msg)) = &stop {
                out.unprocessed
                    .push((f.id.clone(), code.clone(), msg.clone()));
                continue;
            }
            let Some((repo, number)) = parse_id(&f.id) else {
                out.unprocessed.push((
                    f.id.clone(),
                    "InvalidId".into(),
                    "not a GitHub code-scanning alert id".into(),
                ));
                continue;
            };
            let url = format!(
                "{}/repos/{repo}/code-scanning/alerts/{number}",
                self.api.endpoint
            );
            match self.api.patch(&url, &body).await {
                Ok(()) => out.processed.push(f.id.clone()),
                Err(ApiError::Auth(m)) if out.processed.is_empty() => {
                    return Err(SourceError::Auth(m));
                }
                Err(ApiError::Auth(m)) => {
                    stop = Some(("AccessDenied".into(), m.clone()));
                    out.unprocessed
                        .push((f.id.clone(), "AccessDenied".into(), m));
                }
                Err(ApiError::Throttled(m)) => {
                    stop = Some(("Throttled".into(), m.clone()));
                    out.unprocessed.push((f.id.clone(), "Throttled".into(), m));
                }
                Err(ApiError::Target { status, message }) => {
                    let code = if status == 404 {
                        "NotFound"
                    } else {
                        "Forbidden"
                    };
                    let msg = target_error(&format!("{repo} alert #{number}"), status, &message);
                    out.unprocessed.push((f.id.clone(), code.into(), msg));
                }
                Err(ApiError::Refused(m)) => {
                    out.unprocessed.push((f.id.clone(), "Refused".into(), m));
                }
                Err(ApiError::Other(m)) => out.unprocessed.push((f.id.clone(), "Error".into(), m)),
            }
        }
        Ok(out)
    }
}

/// GitHub keeps at most 280 characters of a dismissal comment; the whole note stays in the
/// console's store and audit log.
fn comment(note: &str) -> String {
    if note.chars().count() <= DISMISS_COMMENT_MAX {
        return note.to_string();
    }
    let mut s: String = note.chars().take(DISMISS_COMMENT_MAX - 1).collect();
    s.push('…');
    s
}

/// One readable line for a target GitHub will not show.
fn target_error(name: &str, status: u16, message: &str) -> String {
    let why = match (status, message) {
        (404, "no analysis found") => "code scanning has no analysis here (not set up)".into(),
        (404, m) if m.starts_with("No alert found") => m.to_string(),
        (404, _) => {
            "not found: no such repository or organisation, or this token cannot see it".into()
        }
        (_, m) => format!(
            "{m} (the token needs \"Code scanning alerts\" read access, classic: security_events)"
        ),
    };
    format!("{name}: {why}")
}

fn source_error(name: &str, e: ApiError) -> SourceError {
    match e {
        ApiError::Auth(m) => SourceError::Auth(m),
        ApiError::Throttled(m) => SourceError::Throttled(m),
        ApiError::Target { status, message } => {
            SourceError::Other(target_error(name, status, &message))
        }
        ApiError::Refused(m) | ApiError::Other(m) => SourceError::Other(format!("{name}: {m}")),
    }
}

impl Source for GithubSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn fetch_page<'a>(
        &'a self,
        query: &'a Query,
        token: Option<String>,
    ) -> BoxFuture<'a, Result<NormalizedPage, SourceError>> {
        Box::pin(self.read(query, token))
    }

    fn update_workflow<'a>(
        &'a self,
        update: &'a WorkflowUpdate,
    ) -> BoxFuture<'a, Result<WorkflowOutcome, SourceError>> {
        Box::pin(self.update(update))
    }

    /// GitHub allows 900 REST points a minute before its secondary limit; the primary limit
    /// (5,000 an hour) is followed from the response headers.
    fn rate_limit(&self) -> RateLimit {
        RateLimit {
            per_sec: 5.0,
            burst: 10,
        }
    }

    fn incremental(&self) -> bool {
        false
    }

    fn partial_error(&self) -> Option<String> {
        self.partial.lock().expect("partial").clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_for_gh() {
        assert_eq!(gh_host("https://api.github.com"), "github.com");
        assert_eq!(
            gh_host("https://ghe.example.com/api/v3/"),
            "ghe.example.com"
        );
        assert_eq!(gh_host("http://127.0.0.1:8080/api/v3"), "127.0.0.1");
    }

    #[test]
    fn long_comments_are_cut_at_githubs_limit() {
        let c = comment(&"x".repeat(400));
        assert_eq!(c.chars().count(), DISMISS_COMMENT_MAX);
        assert!(c.ends_with('…'));
        assert_eq!(comment("short"), "short");
    }
}
