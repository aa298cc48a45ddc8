//! Azure Resource Manager over the project's reqwest client: bearer tokens from the
//! credential chain (one refresh and retry on a 401), `Retry-After` honoured on 429, a few
//! retries with backoff on 5xx and network errors, and ARM's `{"error":{"code","message"}}`
//! turned into one readable line.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use reqwest::{Method, StatusCode, Url};
use serde::Deserialize;

use super::auth::Credential;
use crate::sources::SourceError;

/// Retry policy of one ARM call.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per call for 429, 5xx and network errors (the first included).
    pub attempts: u32,
    /// First backoff after a 5xx; doubles each time (±20% jitter).
    pub backoff: Duration,
    /// A 429 asking for a longer wait is returned as `Throttled` at once, for the poller's
    /// own backoff, instead of holding the call.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 3,
            backoff: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

/// An ARM endpoint with its credential.
pub struct Arm {
    http: reqwest::Client,
    endpoint: Url,
    credential: Arc<Credential>,
    retry: RetryPolicy,
}

#[derive(Deserialize)]
struct ArmError {
    #[serde(default)]
    error: Option<ArmErrorBody>,
    // Some front doors answer `{"code","message"}` without the envelope.
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct ArmErrorBody {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

impl Arm {
    pub fn new(
        http: reqwest::Client,
        endpoint: &str,
        credential: Arc<Credential>,
        retry: RetryPolicy,
    ) -> Result<Arm, String> {
        let mut endpoint =
            Url::parse(endpoint).map_err(|e| format!("endpoint_url {endpoint:?}: {e}"))?;
        if !endpoint.path().ends_with('/') {
            let p = format!("{}/", endpoint.path());
            endpoint.set_path(&p);
        }
        Ok(Arm {
            http,
            endpoint,
            credential,
            retry,
        })
    }

    pub fn credential(&self) -> &Credential {
        &self.credential
    }

    /// `path` (starting with `/`, with its query) on this endpoint.
    pub fn url(&self, path_and_query: &str) -> Result<Url, SourceError> {
        self.endpoint
            .join(path_and_query.trim_start_matches('/'))
            .map_err(|e| SourceError::Other(format!("bad ARM path {path_and_query:?}: {e}")))
    }

    /// A `nextLink` is followed as given, but only on this endpoint's origin: the bearer
    /// token is never sent to a host the config did not name.
    pub fn next_link(&self, link: &str) -> Result<Url, SourceError> {
        let url = Url::parse(link)
            .map_err(|e| SourceError::Other(format!("ARM nextLink {link:?} is not a URL: {e}")))?;
        if url.origin() != self.endpoint.origin() {
            return Err(SourceError::Other(format!(
                "ARM nextLink points at {} instead of {}",
                url.origin().ascii_serialization(),
                self.endpoint.origin().ascii_serialization()
            )));
        }
        Ok(url)
    }

    pub async fn get(&self, url: Url) -> Result<Vec<u8>, SourceError> {
        self.call(Method::GET, url).await
    }

    pub async fn post(&self, url: Url) -> Result<Vec<u8>, SourceError> {
        self.call(Method::POST, url).await
    }

    async fn call(&self, method: Method, url: Url) -> Result<Vec<u8>, SourceError> {
        let what = describe(&method, &url);
        let mut refreshed = false;
        let mut attempt = 1;
        loop {
            let token = self.credential.token().await?;
            let mut req = self
                .http
                .request(method.clone(), url.clone())
                .bearer_auth(&*token);
            if method == Method::POST {
                req = req.header("Content-Length", "0");
            }
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) if attempt < self.retry.attempts => {
                    tracing::debug!("{what}: {} (attempt {attempt})", error_chain(&e));
                    self.pause(attempt).await;
                    attempt += 1;
                    continue;
                }
                Err(e) => {
                    return Err(SourceError::Other(format!("{what}: {}", error_chain(&e))));
                }
            };
            let status = resp.status();
            if status.is_success() {
                return resp
                    .bytes()
                    .await
                    .map(|b| b.to_vec())
                    .map_err(|e| SourceError::Other(format!("{what}: {}", error_chain(&e))));
            }
            let retry_after = retry_after(resp.headers());
            let body = resp.bytes().await.unwrap_or_default();
            let detail = arm_error(status, &body);
            match status {
                StatusCode::UNAUTHORIZED if !refreshed => {
                    // Expired or revoked: forget it, get a new one, try once more.
                    tracing::debug!("{what}: {detail}; refreshing the token");
                    self.credential.invalidate(&token).await;
                    refreshed = true;
                }
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                    return Err(SourceError::Auth(format!("{what}: {detail}")));
                }
                StatusCode::TOO_MANY_REQUESTS => {
                    let wait = retry_after.unwrap_or(Duration::from_secs(1));
                    if attempt >= self.retry.attempts || wait > self.retry.max_retry_after {
                        return Err(SourceError::Throttled(format!(
                            "{what}: {detail} (Retry-After {}s)",
                            wait.as_secs()
                        )));
                    }
                    tracing::debug!("{what}: throttled, retrying after {wait:?}");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                s if s.is_server_error() && attempt < self.retry.attempts => {
                    tracing::debug!("{what}: {detail} (attempt {attempt})");
                    match retry_after.filter(|w| *w <= self.retry.max_retry_after) {
                        Some(w) => tokio::time::sleep(w).await,
                        None => self.pause(attempt).await,
                    }
                    attempt += 1;
                }
                _ => return Err(SourceError::Other(format!("{what}: {detail}"))),
            }
        }
    }

    async fn pause(&self, attempt: u32) {
        let base = self.retry.backoff.as_secs_f64() * 2f64.powi(attempt.saturating_sub(1) as i32);
        let jitter = rand::rng().random_range(0.8..1.2);
        tokio::time::sleep(Duration::from_secs_f64((base * jitter).min(30.0))).await;
    }
}

/// `GET …/providers/Microsoft.Security/alerts`, without the query and the host: short enough
/// for a status line.
fn describe(method: &Method, url: &Url) -> String {
    let path = url.path();
    let short = match path.find("/providers/") {
        Some(i) if path.starts_with("/subscriptions/") => {
            let sub = path["/subscriptions/".len()..]
                .split('/')
                .next()
                .unwrap_or_default();
            format!("subscription {sub} {}", &path[i + 1..])
        }
        _ => path.to_string(),
    };
    format!("{method} {}", one_line(&short, 160))
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(h: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = h.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs.min(3600)));
    }
    let at = httpdate_secs(v)?;
    let now = crate::model::now_ms() / 1000;
    Some(Duration::from_secs((at - now).clamp(0, 3600) as u64))
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` → Unix seconds (the IMF-fixdate form HTTP requires).
fn httpdate_secs(s: &str) -> Option<i64> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let [_, day, mon, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m = MONTHS.iter().position(|x| x == mon)? + 1;
    let iso = format!("{year}-{m:02}-{day:0>2}T{time}Z");
    crate::model::parse_timestamp(&iso).map(|ms| ms / 1000)
}

/// ARM's error envelope as `Code: message`, else the HTTP status and the start of the body.
pub fn arm_error(status: StatusCode, body: &[u8]) -> String {
    if let Ok(e) = serde_json::from_slice::<ArmError>(body) {
        let (code, message) = match e.error {
            Some(b) => (b.code, b.message),
            None => (e.code, e.message),
        };
        let code = code.filter(|c| !c.is_empty());
        let message = message.filter(|m| !m.is_empty());
        match (code, message) {
            (Some(c), Some(m)) => return one_line(&format!("{c}: {m}"), 400),
            (Some(c), None) => return one_line(&format!("HTTP {status}: {c}"), 400),
            (None, Some(m)) => return one_line(&format!("HTTP {status}: {m}"), 400),
            (None, None) => {}
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        format!("HTTP {status}")
    } else {
        one_line(&format!("HTTP {status}: {text}"), 300)
    }
}

/// Collapses whitespace and control characters to single spaces and bounds the length, so
/// an error always fits one status line (views sanitise the rest).
pub fn one_line(s: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max_chars + 4));
    let mut space = false;
    let mut n = 0;
    for c in s.chars() {
        if c.is_whitespace() || c.is_control() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            n += 1;
            space = false;
        }
        if n >= max_chars {
            out.push('…');
            break;
        }
        out.push(c);
        n += 1;
    }
    out
}

/// A reqwest error with its causes (`error sending request: connection refused`).
pub fn error_chain(e: &reqwest::Error) -> String {
    let mut s = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "cannot connect".to_string()
    } else {
        "request failed".to_string()
    };
    let mut src = std::error::Error::source(e);
    let mut last = String::new();
    while let Some(c) = src {
        let t = c.to_string();
        if !t.is_empty() && t != last {
            s.push_str(": ");
            s.push_str(&t);
            last = t;
        }
        src = c.source();
    }
    one_line(&s, 300)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arm_errors_are_one_line() {
        let body = br#"{"error":{"code":"AuthorizationFailed","message":"The client 'x' does not\r\nhave authorization"}}"#;
        assert_eq!(
            arm_error(StatusCode::FORBIDDEN, body),
            "AuthorizationFailed: The client 'x' does not have authorization"
        );
        assert_eq!(
            arm_error(StatusCode::BAD_GATEWAY, b"<html>\n<b>bad</b>\n</html>"),
            "HTTP 502 Bad Gateway: <html> <b>bad</b> </html>"
        );
        assert_eq!(
            arm_error(StatusCode::SERVICE_UNAVAILABLE, b""),
            "HTTP 503 Service Unavailable"
        );
        assert_eq!(one_line("a\u{1b}[31mb\n\n c", 10), "a [31mb c");
        assert_eq!(one_line(&"x".repeat(20), 5), "xxxxx…");
    }

    #[test]
    fn retry_after_forms() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("retry-after", "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            "retry-after",
            "Sun, 06 Nov 1994 08:49:37 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        assert_eq!(
            httpdate_secs("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784111777)
        );
        h.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn describes_calls_briefly() {
        let u = Url::parse("https://management.azure.com/subscriptions/abc/providers/Microsoft.Security/alerts?api-version=2022-01-01").unwrap();
        assert_eq!(
            describe(&Method::GET, &u),
            "GET subscription abc providers/Microsoft.Security/alerts"
        );
    }
}
