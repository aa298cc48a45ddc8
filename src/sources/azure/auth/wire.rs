//! The wire side of the credential chain: form bodies, token and error responses of
//! Entra, IMDS and App Service, and `az account get-access-token`.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::{Failure, Method, REFRESH_MARGIN_MS, Token};
use crate::model::{now_ms, parse_timestamp};
use crate::sources::SourceError;
use crate::sources::azure::client::one_line;

/// `application/x-www-form-urlencoded` without another dependency.
pub(super) fn form_body(pairs: &[(&str, &str)]) -> String {
    let mut url = reqwest::Url::parse("http://form.invalid/").expect("static URL");
    url.query_pairs_mut().extend_pairs(pairs);
    url.query().unwrap_or_default().to_string()
}

pub(super) fn parse_url(s: &str, what: &str) -> Result<reqwest::Url, SourceError> {
    reqwest::Url::parse(s)
        .map_err(|e| SourceError::Other(format!("{what} {s:?} is not a URL: {e}")))
}

pub(super) fn read_assertion(path: &Path) -> Result<String, SourceError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        SourceError::Auth(format!(
            "workload identity: cannot read AZURE_FEDERATED_TOKEN_FILE {}: {e}",
            path.display()
        ))
    })?;
    let t = text.trim();
    if t.is_empty() {
        return Err(SourceError::Auth(format!(
            "workload identity: {} is empty",
            path.display()
        )));
    }
    Ok(t.to_string())
}

/// A number that identity endpoints send as a JSON number or a string ("3599").
#[derive(Deserialize)]
#[serde(untagged)]
enum Num {
    Int(i64),
    Float(f64),
    Text(String),
}

impl Num {
    fn secs(&self) -> Option<i64> {
        match self {
            Num::Int(n) => Some(*n),
            Num::Float(f) if f.is_finite() => Some(*f as i64),
            Num::Float(_) => None,
            Num::Text(s) => s.trim().parse().ok(),
        }
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<Num>,
    #[serde(default)]
    expires_on: Option<Num>,
    #[serde(default)]
    refresh_in: Option<Num>,
}

pub(super) fn parse_token(body: &[u8]) -> Result<Token, String> {
    let r: TokenResponse =
        serde_json::from_slice(body).map_err(|e| format!("unexpected token response: {e}"))?;
    let now = now_ms();
    let expires_at = match (
        r.expires_in.as_ref().and_then(Num::secs),
        r.expires_on.as_ref().and_then(Num::secs),
    ) {
        (Some(i), _) => now + i * 1000,
        (None, Some(on)) => on * 1000,
        (None, None) => now + 5 * 60_000,
    };
    let refresh_in = r.refresh_in.as_ref().and_then(Num::secs);
    Ok(token(r.access_token, now, expires_at, refresh_in))
}

pub(super) fn token(secret: String, now: i64, expires_at: i64, refresh_in: Option<i64>) -> Token {
    let life = (expires_at - now).max(0);
    let mut refresh_at = expires_at - REFRESH_MARGIN_MS.min(life / 2);
    if let Some(r) = refresh_in.filter(|r| *r > 0) {
        refresh_at = refresh_at.min(now + r * 1000);
    }
    Token {
        secret: secret.into(),
        refresh_at,
        expires_at,
    }
}

#[derive(Deserialize)]
struct EntraError {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

/// One readable line from an Entra/IMDS error body: `invalid_client: AADSTS7000215: …`
/// (the trace and correlation ids Entra appends after a line break are dropped).
pub(super) fn token_error(m: &Method, status: reqwest::StatusCode, body: &[u8]) -> SourceError {
    let detail = match serde_json::from_slice::<EntraError>(body) {
        Ok(EntraError {
            error,
            error_description,
        }) if error.is_some() || error_description.is_some() => {
            let desc = error_description.unwrap_or_default();
            let first = desc.lines().next().unwrap_or_default().trim().to_string();
            match (error, first.is_empty()) {
                (Some(e), false) => format!("{e}: {first}"),
                (Some(e), true) => e,
                (None, _) => first,
            }
        }
        _ => format!("HTTP {status}"),
    };
    let text = format!("{}: {}", m.name(), one_line(&detail, 400));
    match status.as_u16() {
        429 => SourceError::Throttled(text),
        400 | 401 | 403 => SourceError::Auth(text),
        _ => SourceError::Other(text),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CliToken {
    access_token: String,
    /// POSIX seconds (Azure CLI 2.54 and later).
    #[serde(default, rename = "expires_on")]
    expires_on_posix: Option<Num>,
    /// Local time without a zone (older CLIs).
    #[serde(default)]
    expires_on: Option<String>,
}

/// `az account get-access-token`: the CLI refreshes its own login.
pub(super) async fn azure_cli(
    program: &Path,
    tenant: Option<&str>,
    resource: &str,
) -> Result<Token, Failure> {
    let mut cmd = tokio::process::Command::new(program);
    cmd.args([
        "account",
        "get-access-token",
        "--output",
        "json",
        "--resource",
    ])
    .arg(resource);
    if let Some(t) = tenant {
        cmd.args(["--tenant", t]);
    }
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let out = match tokio::time::timeout(Duration::from_secs(30), cmd.output()).await {
        Err(_) => {
            return Err(Failure::Failed(SourceError::Other(
                "Azure CLI: az account get-access-token took longer than 30 s".into(),
            )));
        }
        Ok(Err(e)) => {
            return Err(Failure::Unavailable(format!(
                "Azure CLI: cannot run {}: {e}",
                program.display()
            )));
        }
        Ok(Ok(out)) => out,
    };
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let line = err
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("no message");
        let msg = format!("Azure CLI: {}", one_line(line, 300));
        // Not signed in is "not set up here"; anything else is a real failure.
        let lower = err.to_ascii_lowercase();
        return Err(
            if lower.contains("az login") || lower.contains("not logged in") {
                Failure::Unavailable(msg)
            } else {
                Failure::Failed(SourceError::Auth(msg))
            },
        );
    }
    let t: CliToken = serde_json::from_slice(&out.stdout).map_err(|e| {
        Failure::Failed(SourceError::Other(format!(
            "Azure CLI: unexpected output of az account get-access-token: {e}"
        )))
    })?;
    let now = now_ms();
    let expires_at = t
        .expires_on_posix
        .as_ref()
        .and_then(Num::secs)
        .map(|s| s * 1000)
        // Local time read as UTC is off by the zone offset: bound it to the usual hour.
        .or_else(|| {
            t.expires_on
                .as_deref()
                .and_then(parse_timestamp)
                .map(|e| e.clamp(now + 60_000, now + 3_600_000))
        })
        .unwrap_or(now + 5 * 60_000);
    Ok(token(t.access_token, now, expires_at, None))
}
