//! The GitHub REST client of the code-scanning source: token, headers, `Link` paging,
//! conditional requests, primary and secondary rate limits, errors as one readable line.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT, AUTHORIZATION, ETAG, HeaderMap, IF_NONE_MATCH, LINK, RETRY_AFTER, USER_AGENT,
};

use super::token::Token;
use crate::model::format_rfc3339;

pub const API_VERSION: &str = "2022-11-28";
const AGENT: &str = concat!("agent-hubble/", env!("CARGO_PKG_VERSION"));
/// Retries of one request after a secondary rate limit or a 5xx answer.
const RETRIES: u32 = 3;
/// Bodies kept for `If-None-Match` (a 304 answer does not count against the rate limit).
const CACHE_BYTES: usize = 64 << 20;

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 401, or no token at all.
    Auth(String),
    /// A rate limit the client will not wait out.
    Throttled(String),
    /// 403/404: this repository or organisation cannot be read (no access, no such thing,
    /// code scanning off). Others may be fine.
    Target { status: u16, message: String },
    /// 400/422: GitHub refused the request as made (e.g. a fixed alert cannot be reopened).
    Refused(String),
    /// Network, 5xx, or an answer that makes no sense.
    Other(String),
}

/// One page of a list answer.
#[derive(Debug, Clone)]
pub struct Page {
    pub body: Arc<[u8]>,
    /// The `rel="next"` URL, as GitHub wrote it.
    pub next: Option<String>,
}

#[derive(Default)]
struct Limits {
    /// No request before this instant (primary limit used up, secondary limit hit), and why.
    blocked: Option<(Instant, String)>,
    last_write: Option<Instant>,
}

#[derive(Default)]
struct Cache {
    pages: HashMap<String, (String, Page)>,
    bytes: usize,
}

pub struct Api {
    http: reqwest::Client,
    /// REST root without a trailing slash (`https://api.github.com`, `https://HOST/api/v3`).
    pub endpoint: String,
    token: Token,
    limits: Mutex<Limits>,
    cache: Mutex<Cache>,
    /// The longest wait for a rate limit done inline; longer ones answer Throttled.
    pub max_wait: Duration,
    /// Pause between writes: GitHub asks for at least a second between mutating requests.
    pub write_pause: Duration,
}

fn now_secs() -> i64 {
    crate::model::now_ms() / 1000
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

/// The `rel="next"` target of a `Link` header.
pub fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        let is_next = params.split(';').any(|p| {
            p.trim()
                .strip_prefix("rel=")
                .is_some_and(|r| r.trim_matches('"').split(' ').any(|r| r == "next"))
        });
        let url = url.trim().strip_prefix('<')?.strip_suffix('>')?;
        (is_next && !url.is_empty()).then(|| url.to_string())
    })
}

/// GitHub's error `message` (first line), else the start of the body.
fn message_of(body: &[u8]) -> String {
    let parsed = serde_json::from_slice::<serde_json::Value>(body).ok();
    let m = parsed
        .as_ref()
        .and_then(|v| v.get("message"))
        .and_then(|m| m.as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned());
    let m: String = m
        .split("\n\n")
        .map(|p| p.replace('\n', " "))
        .collect::<Vec<_>>()
        .join(" ");
    let m = m.trim().to_string();
    if m.is_empty() { "no message".into() } else { m }
}

fn in_words(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=90 => format!("{s} s"),
        _ => format!("{} min", s.div_ceil(60)),
    }
}

/// What to do about a failed answer.
enum Verdict {
    Fail(ApiError),
    /// Wait this long, then retry (when within bounds).
    Wait(Duration, String),
}

impl Api {
    pub fn new(endpoint: &str, token: Token) -> Result<Api, String> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Api {
            http,
            endpoint: endpoint.trim_end_matches('/').to_string(),
            token,
            limits: Mutex::new(Limits::default()),
            cache: Mutex::new(Cache::default()),
            max_wait: Duration::from_secs(60),
            write_pause: Duration::from_secs(1),
        })
    }

    /// GET one page of a list.
    pub async fn get(&self, url: &str) -> Result<Page, ApiError> {
        self.send(reqwest::Method::GET, url, None).await
    }

    /// PATCH with a JSON body; the answer is not needed.
    pub async fn patch(&self, url: &str, body: &serde_json::Value) -> Result<(), ApiError> {
        let pause = {
            let l = self.limits.lock().expect("limits");
            l.last_write
                .map(|t| self.write_pause.saturating_sub(t.elapsed()))
                .unwrap_or_default()
        };
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
        let r = self
            .send(reqwest::Method::PATCH, url, Some(body.to_string()))
            .await;
        self.limits.lock().expect("limits").last_write = Some(Instant::now());
        r.map(|_| ())
    }

    /// Waits out a short block, or says Throttled (without asking GitHub) for a long one.
    async fn wait_if_blocked(&self) -> Result<(), ApiError> {
        let blocked = self.limits.lock().expect("limits").blocked.clone();
        if let Some((until, why)) = blocked {
            let left = until.saturating_duration_since(Instant::now());
            if left > self.max_wait {
                return Err(ApiError::Throttled(why));
            }
            if !left.is_zero() {
                tracing::info!("GitHub: waiting {} ({why})", in_words(left));
                tokio::time::sleep(left).await;
            }
            self.limits.lock().expect("limits").blocked = None;
        }
        Ok(())
    }

    fn block(&self, wait: Duration, why: &str) {
        self.limits.lock().expect("limits").blocked = Some((Instant::now() + wait, why.into()));
    }

    /// The primary limit from a response: when nothing is left, block until the reset.
    fn primary(&self, h: &HeaderMap) -> Option<(Duration, String)> {
        let remaining: u64 = header(h, "x-ratelimit-remaining")?.parse().ok()?;
        if remaining > 0 {
            return None;
        }
        let reset: i64 = header(h, "x-ratelimit-reset")
            .and_then(|r| r.parse().ok())
            .unwrap_or_else(|| now_secs() + 60);
        let limit = header(h, "x-ratelimit-limit").unwrap_or("?");
        let wait = Duration::from_secs((reset - now_secs()).max(0) as u64 + 1);
        let why = format!(
            "GitHub API rate limit used up ({limit} requests an hour); it resets at {} (in {})",
            format_rfc3339(reset * 1000),
            in_words(wait)
        );
        Some((wait, why))
    }

    fn verdict(&self, status: StatusCode, h: &HeaderMap, body: &[u8]) -> Verdict {
        let msg = message_of(body);
        let code = status.as_u16();
        let retry_after = header(h, RETRY_AFTER.as_str()).and_then(|r| r.parse::<u64>().ok());
        match code {
            401 => {
                self.token.forget();
                Verdict::Fail(ApiError::Auth(format!("bad credentials (GitHub: {msg})")))
            }
            403 | 429 => {
                if let Some(s) = retry_after {
                    let why = format!("GitHub secondary rate limit: retry after {s} s");
                    return Verdict::Wait(Duration::from_secs(s), why);
                }
                if let Some((wait, why)) = self.primary(h) {
                    return Verdict::Wait(wait, why);
                }
                if code == 429 || msg.to_ascii_lowercase().contains("rate limit") {
                    // No Retry-After: GitHub asks for at least a minute.
                    let why = format!("GitHub rate limit ({msg}): retry in a minute or more");
                    return Verdict::Wait(Duration::from_secs(60), why);
                }
                Verdict::Fail(ApiError::Target {
                    status: code,
                    message: msg,
                })
            }
            404 => Verdict::Fail(ApiError::Target {
                status: code,
                message: msg,
            }),
            400 | 409 | 422 => Verdict::Fail(ApiError::Refused(format!("{code} {msg}"))),
            500..=599 => Verdict::Wait(Duration::from_secs(1), format!("GitHub {code}: {msg}")),
            _ => Verdict::Fail(ApiError::Other(format!("GitHub answered {code}: {msg}"))),
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<String>,
    ) -> Result<Page, ApiError> {
        let mut attempt = 0;
        loop {
            self.wait_if_blocked().await?;
            let token = self.token.get().await.map_err(ApiError::Auth)?;
            let cached = (method == reqwest::Method::GET)
                .then(|| self.cache.lock().expect("cache").pages.get(url).cloned())
                .flatten();
            let mut req = self
                .http
                .request(method.clone(), url)
                .header(ACCEPT, "application/vnd.github+json")
                .header("X-GitHub-Api-Version", API_VERSION)
                .header(USER_AGENT, AGENT)
                .header(AUTHORIZATION, format!("Bearer {token}"));
            if let Some((etag, _)) = &cached {
                req = req.header(IF_NONE_MATCH, etag);
            }
            if let Some(b) = &body {
                req = req
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(b.clone());
            }
            let resp = req.send().await.map_err(|e| {
                ApiError::Other(format!("GitHub {}: {}", self.endpoint, error_chain(&e)))
            })?;
            let status = resp.status();
            let headers = resp.headers().clone();
            if let Some((wait, why)) = self.primary(&headers) {
                // This answer still counts; the next request would be refused.
                self.block(wait, &why);
            }
            if status == StatusCode::NOT_MODIFIED
                && let Some((_, page)) = cached
            {
                return Ok(page);
            }
            let bytes = resp.bytes().await.map_err(|e| {
                ApiError::Other(format!("GitHub {}: {}", self.endpoint, error_chain(&e)))
            })?;
            if status.is_success() {
                let page = Page {
                    body: Arc::from(bytes.as_ref()),
                    next: header(&headers, LINK.as_str()).and_then(next_link),
                };
                if method == reqwest::Method::GET
                    && let Some(etag) = header(&headers, ETAG.as_str())
                {
                    self.remember(url, etag, &page);
                }
                return Ok(page);
            }
            match self.verdict(status, &headers, &bytes) {
                Verdict::Fail(e) => return Err(e),
                Verdict::Wait(wait, why) if attempt < RETRIES && wait <= self.max_wait => {
                    attempt += 1;
                    tracing::info!("GitHub: {why}; retrying in {}", in_words(wait));
                    tokio::time::sleep(wait).await;
                }
                Verdict::Wait(wait, why) => {
                    if status.is_server_error() {
                        return Err(ApiError::Other(why));
                    }
                    self.block(wait, &why);
                    return Err(ApiError::Throttled(why));
                }
            }
        }
    }

    fn remember(&self, url: &str, etag: &str, page: &Page) {
        let mut c = self.cache.lock().expect("cache");
        if let Some((_, old)) = c.pages.remove(url) {
            c.bytes -= old.body.len();
        }
        if c.bytes + page.body.len() <= CACHE_BYTES {
            c.bytes += page.body.len();
            c.pages
                .insert(url.to_string(), (etag.to_string(), page.clone()));
        }
    }
}

/// reqwest's error with its causes (the top one alone says little: "error sending request").
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let s = c.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cur = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header_next() {
        let l = r#"<https://api.github.com/repos/a/b/code-scanning/alerts?per_page=100&page=2>; rel="next", <https://api.github.com/repos/a/b/code-scanning/alerts?per_page=100&page=5>; rel="last""#;
        assert_eq!(
            next_link(l).as_deref(),
            Some("https://api.github.com/repos/a/b/code-scanning/alerts?per_page=100&page=2")
        );
        assert_eq!(next_link(r#"<http://x/?page=1>; rel="prev""#), None);
        assert_eq!(next_link("garbage"), None);
        assert_eq!(
            next_link(r#"<http://x/?after=abc>; rel="next""#).as_deref(),
            Some("http://x/?after=abc")
        );
    }

    #[test]
    fn messages_are_one_line() {
        let b = br#"{"message":"Invalid request.\n\nFor 'state', \"x\" is not valid.","documentation_url":"d"}"#;
        assert_eq!(
            message_of(b),
            "Invalid request. For 'state', \"x\" is not valid."
        );
        assert_eq!(message_of(b"<html>oops</html>"), "<html>oops</html>");
    }
}
