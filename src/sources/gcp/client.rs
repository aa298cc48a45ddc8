//! Security Command Center v2 over REST/JSON: ListFindings, setState, setMute. Every call
//! carries a bearer token from the credentials; a 401 fetches a new token once and retries;
//! 429 / RESOURCE_EXHAUSTED sleeps for Retry-After within a bounded budget; 5xx and
//! transport errors are retried a few times; Google's error shape becomes one line.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode, Url};
use serde_json::Value;

use super::auth::Credentials;
use crate::sources::SourceError;

pub const DEFAULT_ENDPOINT: &str = "https://securitycenter.googleapis.com";
/// ListFindings' largest page.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// How hard one call tries before it reports an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after a 5xx answer or a transport error.
    pub server_retries: u32,
    /// First backoff for those retries (doubling).
    pub base_delay: Duration,
    /// Total time one call may sleep on 429 (Retry-After, else the backoff); beyond it the
    /// call returns `Throttled` and the poller backs off.
    pub throttle_budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            server_retries: 3,
            base_delay: Duration::from_millis(500),
            throttle_budget: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Throttled,
    Auth,
    Other,
}

/// A failed call: Google's status (`PERMISSION_DENIED`, or `HTTP 418` without one) and one
/// readable line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub kind: ErrorKind,
    pub code: String,
    pub message: String,
}

impl ApiError {
    fn other(code: &str, message: String) -> ApiError {
        ApiError {
            kind: ErrorKind::Other,
            code: code.into(),
            message,
        }
    }

    /// From an HTTP answer with Google's `{"error": {"code", "message", "status"}}` body.
    pub fn from_answer(status: StatusCode, body: &str) -> ApiError {
        let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        let e = v.get("error");
        let code = e
            .and_then(|e| e.get("status"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map_or_else(|| format!("HTTP {}", status.as_u16()), str::to_owned);
        let message = e
            .and_then(|e| e.get("message"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| body.chars().take(200).collect());
        let kind = match (status.as_u16(), code.as_str()) {
            (429, _) | (_, "RESOURCE_EXHAUSTED") => ErrorKind::Throttled,
            (401 | 403, _) | (_, "UNAUTHENTICATED" | "PERMISSION_DENIED") => ErrorKind::Auth,
            _ => ErrorKind::Other,
        };
        ApiError {
            kind,
            code,
            message: one_line(&format!("{message} (HTTP {})", status.as_u16())),
        }
    }

    pub fn into_source(self) -> SourceError {
        let text = format!("{}: {}", self.code, self.message);
        match self.kind {
            ErrorKind::Throttled => SourceError::Throttled(text),
            ErrorKind::Auth => SourceError::Auth(text),
            ErrorKind::Other => SourceError::Other(text),
        }
    }
}

/// Whitespace runs (newlines included) become one space; at most 400 characters.
pub fn one_line(s: &str) -> String {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.chars().count() > 400 {
        joined.chars().take(399).chain(['…']).collect()
    } else {
        joined
    }
}

/// A transport error with its causes ("error sending request …: connection refused").
pub fn transport_text(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        src = s.source();
    }
    one_line(&text)
}

/// Retry-After in seconds (HTTP dates are rare from Google APIs and read as absent).
fn retry_after(h: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = h.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    v.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

/// `organizations/1/sources/2[/locations/l]/findings/3` (or `folders/`, `projects/`), each
/// segment plain: the only finding names this client will put in a URL.
pub fn is_finding_name(name: &str) -> bool {
    let s: Vec<&str> = name.split('/').collect();
    let ok_seg = |x: &str| {
        !x.is_empty()
            && !x.bytes().all(|b| b == b'.')
            && x.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
    };
    let shape = match s.len() {
        6 => s[2] == "sources" && s[4] == "findings",
        8 => s[2] == "sources" && s[4] == "locations" && s[6] == "findings",
        _ => false,
    };
    shape && matches!(s[0], "organizations" | "folders" | "projects") && s.iter().all(|x| ok_seg(x))
}

pub struct Client {
    http: reqwest::Client,
    endpoint: Url,
    creds: Arc<Credentials>,
    retry: RetryPolicy,
}

impl Client {
    pub fn new(
        http: reqwest::Client,
        endpoint: &str,
        creds: Arc<Credentials>,
        retry: RetryPolicy,
    ) -> Result<Client, String> {
        let endpoint = Url::parse(endpoint.trim_end_matches('/'))
            .map_err(|e| format!("endpoint_url {endpoint:?}: {e}"))?;
        if !matches!(endpoint.scheme(), "http" | "https") || endpoint.cannot_be_a_base() {
            return Err(format!("endpoint_url {endpoint}: not an http(s) URL"));
        }
        Ok(Client {
            http,
            endpoint,
            creds,
            retry,
        })
    }

    pub fn credentials(&self) -> &Credentials {
        &self.creds
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut u = self.endpoint.clone();
        u.path_segments_mut()
            .expect("checked in new")
            .pop_if_empty()
            .push("v2")
            .extend(segments.iter().flat_map(|s| s.split('/')));
        u
    }

    /// One page of ListFindings for all sources of `parent` in `location`, as raw bytes.
    pub async fn list_findings(
        &self,
        parent: &str,
        location: &str,
        filter: Option<&str>,
        order_by: &str,
        page_size: u32,
        page_token: Option<&str>,
    ) -> Result<Vec<u8>, ApiError> {
        let mut url = self.url(&[parent, "sources", "-", "locations", location, "findings"]);
        {
            let mut q = url.query_pairs_mut();
            if let Some(f) = filter {
                q.append_pair("filter", f);
            }
            if !order_by.is_empty() {
                q.append_pair("orderBy", order_by);
            }
            q.append_pair("pageSize", &page_size.clamp(1, MAX_PAGE_SIZE).to_string());
            if let Some(t) = page_token {
                q.append_pair("pageToken", t);
            }
        }
        self.call(Method::GET, url, None).await
    }

    /// `POST /v2/{name}:setState {"state": …}`.
    pub async fn set_state(&self, name: &str, state: &str) -> Result<(), ApiError> {
        self.mutate(name, "setState", serde_json::json!({ "state": state }))
            .await
    }

    /// `POST /v2/{name}:setMute {"mute": …}`.
    pub async fn set_mute(&self, name: &str, mute: &str) -> Result<(), ApiError> {
        self.mutate(name, "setMute", serde_json::json!({ "mute": mute }))
            .await
    }

    async fn mutate(&self, name: &str, verb: &str, body: Value) -> Result<(), ApiError> {
        if !is_finding_name(name) {
            return Err(ApiError::other(
                "INVALID_ARGUMENT",
                format!("{name:?} is not a Security Command Center finding name"),
            ));
        }
        let (head, id) = name.rsplit_once('/').expect("checked above");
        let last = format!("{id}:{verb}");
        let url = self.url(&[head, &last]);
        self.call(Method::POST, url, Some(body.to_string()))
            .await
            .map(|_| ())
    }

    async fn call(
        &self,
        method: Method,
        url: Url,
        body: Option<String>,
    ) -> Result<Vec<u8>, ApiError> {
        let mut refreshed = false;
        let mut server_failures = 0u32;
        let mut throttled = 0u32;
        let mut slept = Duration::ZERO;
        loop {
            let token = self.creds.token().await.map_err(|e| {
                let (kind, m) = match e {
                    SourceError::Auth(m) => (ErrorKind::Auth, m),
                    SourceError::Throttled(m) => (ErrorKind::Throttled, m),
                    other => (ErrorKind::Other, other.to_string()),
                };
                ApiError {
                    kind,
                    code: "CREDENTIALS".into(),
                    message: one_line(&m),
                }
            })?;
            let mut req = self
                .http
                .request(method.clone(), url.clone())
                .bearer_auth(&token);
            if let Some(p) = self.creds.quota_project() {
                req = req.header("x-goog-user-project", p);
            }
            if let Some(b) = &body {
                req = req
                    .header("content-type", "application/json")
                    .body(b.clone());
            }
            let (status, headers, text) = match req.send().await {
                Ok(r) => {
                    let status = r.status();
                    let headers = r.headers().clone();
                    match r.bytes().await {
                        Ok(b) if status.is_success() => return Ok(b.to_vec()),
                        Ok(b) => (status, headers, String::from_utf8_lossy(&b).into_owned()),
                        Err(e) => (StatusCode::BAD_GATEWAY, headers, transport_text(&e)),
                    }
                }
                Err(e) => {
                    server_failures += 1;
                    if server_failures > self.retry.server_retries {
                        return Err(ApiError::other("UNAVAILABLE", transport_text(&e)));
                    }
                    tokio::time::sleep(self.retry.base_delay * (1 << (server_failures - 1).min(6)))
                        .await;
                    continue;
                }
            };
            let err = ApiError::from_answer(status, &text);
            if status == StatusCode::UNAUTHORIZED && !refreshed {
                // Expired or revoked early: one new token, one more try.
                refreshed = true;
                self.creds.invalidate(&token).await;
                continue;
            }
            if err.kind == ErrorKind::Throttled {
                throttled += 1;
                let wait = retry_after(&headers)
                    .unwrap_or(self.retry.base_delay * (1 << (throttled - 1).min(6)));
                if slept + wait > self.retry.throttle_budget {
                    return Err(err);
                }
                tracing::debug!("SCC throttled; retrying in {wait:?}");
                tokio::time::sleep(wait).await;
                slept += wait;
                continue;
            }
            if status.is_server_error() {
                server_failures += 1;
                if server_failures > self.retry.server_retries {
                    return Err(err);
                }
                let wait = retry_after(&headers)
                    .unwrap_or(self.retry.base_delay * (1 << (server_failures - 1).min(6)));
                tokio::time::sleep(wait.min(self.retry.throttle_budget)).await;
                continue;
            }
            return Err(err);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn google_errors_become_one_line() {
        let body = r#"{"error": {"code": 403, "message": "Permission 'securitycenter.findings.list' denied\non resource", "status": "PERMISSION_DENIED"}}"#;
        let e = ApiError::from_answer(StatusCode::FORBIDDEN, body);
        assert_eq!(e.kind, ErrorKind::Auth);
        assert_eq!(e.code, "PERMISSION_DENIED");
        assert_eq!(
            e.message,
            "Permission 'securitycenter.findings.list' denied on resource (HTTP 403)"
        );
        assert!(
            matches!(e.into_source(), SourceError::Auth(m) if m.starts_with("PERMISSION_DENIED: "))
        );
        let e = ApiError::from_answer(StatusCode::TOO_MANY_REQUESTS, "");
        assert_eq!(
            (e.kind, e.code.as_str()),
            (ErrorKind::Throttled, "HTTP 429")
        );
        let e = ApiError::from_answer(
            StatusCode::BAD_REQUEST,
            r#"{"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "Quota"}}"#,
        );
        assert_eq!(e.kind, ErrorKind::Throttled);
        let e = ApiError::from_answer(StatusCode::BAD_GATEWAY, "<html>\n<b>bad gateway</b></html>");
        assert_eq!(e.kind, ErrorKind::Other);
        assert_eq!(e.message, "<html> <b>bad gateway</b></html> (HTTP 502)");
    }

    #[test]
    fn finding_names() {
        assert!(is_finding_name("organizations/1/sources/2/findings/abc"));
        assert!(is_finding_name(
            "projects/acme-web-prod/sources/2/locations/global/findings/a_b-c"
        ));
        assert!(is_finding_name(
            "folders/9/sources/-x/locations/eu/findings/f"
        ));
        assert!(!is_finding_name(
            "organizations/1/sources/2/findings/a:setMute"
        ));
        assert!(!is_finding_name("organizations/1/sources/2/findings/../x"));
        assert!(!is_finding_name("organizations/1/sources/../findings/x"));
        assert!(!is_finding_name("organizations/1/sources/2/findings/a?b"));
        assert!(!is_finding_name("billing/1/sources/2/findings/a"));
        assert!(!is_finding_name("organizations/1/sources/2/findings/"));
        assert!(!is_finding_name(
            "organizations/1/sources/2/locations/global/findings/a/b"
        ));
    }
}
