//! The token flows: JWT-bearer grant (RFC 7523) for service-account keys, refresh-token
//! grant for gcloud user credentials, STS token exchange (RFC 8693) for workload identity
//! federation, IAM Credentials `generateAccessToken` for impersonation, and the metadata
//! server. RS256 signing uses aws-lc-rs, which rustls already links.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde_json::{Value, json};

use super::{CLOUD_PLATFORM, Kind, SubjectSource};
use crate::model::{now_ms, parse_timestamp};
use crate::sources::SourceError;

const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// Attempts for a token endpoint that fails with 5xx or does not answer.
const ATTEMPTS: u32 = 3;

/// An access token and its lifetime in seconds.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub access_token: String,
    pub expires_in: u64,
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// Signs the JWT a service account presents at its token URI.
pub(crate) fn assertion(
    email: &str,
    key_id: Option<&str>,
    key: &aws_lc_rs::signature::RsaKeyPair,
    audience: &str,
    now_secs: u64,
) -> Result<String, SourceError> {
    let mut header = json!({"alg": "RS256", "typ": "JWT"});
    if let Some(kid) = key_id {
        header["kid"] = json!(kid);
    }
    let claims = json!({
        "iss": email,
        "scope": CLOUD_PLATFORM,
        "aud": audience,
        "iat": now_secs,
        "exp": now_secs + 3600,
    });
    let input = format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    );
    let mut sig = vec![0u8; key.public_modulus_len()];
    key.sign(
        &aws_lc_rs::signature::RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        input.as_bytes(),
        &mut sig,
    )
    .map_err(|_| SourceError::Auth("cannot sign the service account JWT".into()))?;
    Ok(format!("{input}.{}", b64url(&sig)))
}

/// One readable line from an OAuth (`{"error", "error_description"}`) or Google API
/// (`{"error": {"code", "message", "status"}}`) error body.
pub(crate) fn error_text(status: reqwest::StatusCode, body: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let text = match v.get("error") {
        Some(Value::String(code)) => match v.get("error_description").and_then(Value::as_str) {
            Some(d) if !d.is_empty() => format!("{code}: {d}"),
            _ => code.clone(),
        },
        Some(Value::Object(e)) => {
            let st = e.get("status").and_then(Value::as_str).unwrap_or("");
            let msg = e.get("message").and_then(Value::as_str).unwrap_or("");
            format!("{st}: {msg}")
        }
        _ => body.chars().take(200).collect(),
    };
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    format!(
        "HTTP {}: {}",
        status.as_u16(),
        line.chars().take(300).collect::<String>()
    )
}

/// Sends a request built by `build`, retrying 5xx answers and transport errors; 4xx answers
/// are credential problems (`Auth`).
async fn send(
    what: &str,
    build: impl Fn() -> reqwest::RequestBuilder,
) -> Result<Vec<u8>, SourceError> {
    let mut last = String::new();
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
        }
        match build().send().await {
            Ok(r) if r.status().is_success() => {
                return r
                    .bytes()
                    .await
                    .map(|b| b.to_vec())
                    .map_err(|e| SourceError::Other(format!("{what}: {e}")));
            }
            Ok(r) => {
                let status = r.status();
                let body = r.text().await.unwrap_or_default();
                let text = format!("{what}: {}", error_text(status, &body));
                if status.is_server_error() {
                    last = text;
                    continue;
                }
                if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
                    return Err(SourceError::Throttled(text));
                }
                return Err(SourceError::Auth(text));
            }
            Err(e) => {
                last = format!(
                    "{what}: {}",
                    crate::sources::gcp::client::transport_text(&e)
                )
            }
        }
    }
    Err(SourceError::Other(last))
}

/// Parses `{"access_token", "expires_in"}` (OAuth, STS, metadata server).
fn oauth_token(what: &str, body: &[u8]) -> Result<Fetched, SourceError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| SourceError::Other(format!("{what}: answer is not JSON: {e}")))?;
    let access_token = v
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| SourceError::Other(format!("{what}: answer has no access_token")))?;
    let expires_in = match v.get("expires_in") {
        Some(Value::Number(n)) => n.as_u64().unwrap_or(3600),
        Some(Value::String(s)) => s.parse().unwrap_or(3600),
        _ => 3600,
    };
    Ok(Fetched {
        access_token: access_token.to_owned(),
        expires_in,
    })
}

fn post_form(http: &reqwest::Client, url: &str, body: String) -> reqwest::RequestBuilder {
    http.post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
}

async fn subject_token(
    source: &SubjectSource,
    http: &reqwest::Client,
) -> Result<String, SourceError> {
    let (text, json_field, what) = match source {
        SubjectSource::File { path, json_field } => {
            let what = format!("subject token file {}", path.display());
            let text = tokio::fs::read_to_string(path)
                .await
                .map_err(|e| SourceError::Auth(format!("{what}: {e}")))?;
            (text, json_field, what)
        }
        SubjectSource::Url {
            url,
            headers,
            json_field,
        } => {
            let what = format!("subject token URL {url}");
            let body = send(&what, || {
                headers
                    .iter()
                    .fold(http.get(url), |r, (k, v)| r.header(k.as_str(), v.as_str()))
            })
            .await?;
            (
                String::from_utf8_lossy(&body).into_owned(),
                json_field,
                what,
            )
        }
    };
    let token = match json_field {
        Some(field) => serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v.get(field)?.as_str().map(str::to_owned))
            .ok_or_else(|| SourceError::Auth(format!("{what}: no {field:?} in the JSON")))?,
        None => text.trim().to_owned(),
    };
    if token.is_empty() {
        return Err(SourceError::Auth(format!("{what}: empty")));
    }
    Ok(token)
}

/// Fetches a new access token for `kind`.
pub(crate) async fn fetch(kind: &Kind, http: &reqwest::Client) -> Result<Fetched, SourceError> {
    match kind {
        Kind::ServiceAccount {
            email,
            key_id,
            key,
            token_uri,
        } => {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let jwt = assertion(email, key_id.as_deref(), key, token_uri, now)?;
            let body = form(&[("grant_type", JWT_BEARER), ("assertion", &jwt)]);
            let what = format!("token endpoint {token_uri}");
            let answer = send(&what, || post_form(http, token_uri, body.clone())).await?;
            oauth_token(&what, &answer)
        }
        Kind::AuthorizedUser {
            client_id,
            client_secret,
            refresh_token,
            token_uri,
        } => {
            let body = form(&[
                ("grant_type", "refresh_token"),
                ("client_id", client_id),
                ("client_secret", client_secret),
                ("refresh_token", refresh_token),
            ]);
            let what = format!("token endpoint {token_uri}");
            let answer = send(&what, || post_form(http, token_uri, body.clone())).await?;
            oauth_token(&what, &answer)
        }
        Kind::External {
            audience,
            subject_token_type,
            token_url,
            source,
            user_project,
        } => {
            let subject = subject_token(source, http).await?;
            let options = user_project
                .as_ref()
                .map(|p| json!({"userProject": p}).to_string());
            let mut pairs = vec![
                ("grant_type", TOKEN_EXCHANGE),
                ("audience", audience.as_str()),
                ("scope", CLOUD_PLATFORM),
                ("requested_token_type", ACCESS_TOKEN_TYPE),
                ("subject_token", subject.as_str()),
                ("subject_token_type", subject_token_type.as_str()),
            ];
            if let Some(o) = &options {
                pairs.push(("options", o));
            }
            let body = form(&pairs);
            let what = format!("STS {token_url}");
            let answer = send(&what, || post_form(http, token_url, body.clone())).await?;
            oauth_token(&what, &answer)
        }
        Kind::Impersonated { source, url } => {
            let base = Box::pin(fetch(source, http)).await?;
            let body = json!({"scope": [CLOUD_PLATFORM], "lifetime": "3600s"}).to_string();
            let what = format!("impersonation {url}");
            let answer = send(&what, || {
                http.post(url)
                    .bearer_auth(&base.access_token)
                    .header("content-type", "application/json")
                    .body(body.clone())
            })
            .await?;
            let v: Value = serde_json::from_slice(&answer)
                .map_err(|e| SourceError::Other(format!("{what}: answer is not JSON: {e}")))?;
            let token = v
                .get("accessToken")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| SourceError::Other(format!("{what}: answer has no accessToken")))?;
            let expires_in = v
                .get("expireTime")
                .and_then(Value::as_str)
                .and_then(parse_timestamp)
                .map_or(3600, |t| ((t - now_ms()) / 1000).max(1) as u64);
            Ok(Fetched {
                access_token: token.to_owned(),
                expires_in,
            })
        }
        Kind::Metadata { host } => {
            let url = format!(
                "http://{host}/computeMetadata/v1/instance/service-accounts/default/token?scopes={CLOUD_PLATFORM}"
            );
            let what = format!("metadata server {host}");
            let r = http
                .get(&url)
                .header("Metadata-Flavor", "Google")
                .timeout(Duration::from_secs(5))
                .send()
                .await
                .map_err(|e| {
                    SourceError::Auth(format!(
                        "no Google credentials found: {what} did not answer ({})",
                        crate::sources::gcp::client::transport_text(&e)
                    ))
                })?;
            let status = r.status();
            let flavor = r
                .headers()
                .get("metadata-flavor")
                .is_some_and(|v| v.as_bytes() == b"Google");
            let body = r.bytes().await.unwrap_or_default();
            if !status.is_success() {
                let text = error_text(status, &String::from_utf8_lossy(&body));
                return Err(SourceError::Auth(format!("{what}: {text}")));
            }
            if !flavor {
                return Err(SourceError::Auth(format!(
                    "{what} answered without Metadata-Flavor: Google; not a metadata server"
                )));
            }
            oauth_token(&what, &body)
        }
    }
}
