//! Google Application Default Credentials, found the way gcloud and Google's client libraries
//! find them, with a cached access token:
//!
//! 1. `GOOGLE_APPLICATION_CREDENTIALS`: a `service_account` key (JWT-bearer grant at the key's
//!    own `token_uri`), an `external_account` (workload identity federation: STS token
//!    exchange at `token_url`, optional service-account impersonation), an `authorized_user`,
//!    or an `impersonated_service_account`;
//! 2. gcloud's `application_default_credentials.json` (`$CLOUDSDK_CONFIG` or
//!    `~/.config/gcloud`), written by `gcloud auth application-default login`;
//! 3. the metadata server (`GCE_METADATA_HOST` overrides `metadata.google.internal`).
//!
//! The flows themselves are in `flows.rs`. Why not the `google-cloud-auth` crate: see the
//! module docs of `super`.

mod flows;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::sources::SourceError;

pub use flows::Fetched;

pub const CLOUD_PLATFORM: &str = "https://www.googleapis.com/auth/cloud-platform";
pub const GOOGLE_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
pub const METADATA_HOST: &str = "metadata.google.internal";

/// Where the chain looks. [`AdcSettings::from_env`] reads the process environment as gcloud
/// does; tests and embedders pass their own instead of changing the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdcSettings {
    /// `GOOGLE_APPLICATION_CREDENTIALS`.
    pub credentials_file: Option<PathBuf>,
    /// gcloud's ADC file, used when it exists.
    pub gcloud_adc_file: Option<PathBuf>,
    /// `GCE_METADATA_HOST` (`host[:port]`); default `metadata.google.internal`.
    pub metadata_host: Option<String>,
}

impl AdcSettings {
    pub fn from_env() -> AdcSettings {
        let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
        let gcloud_dir = var("CLOUDSDK_CONFIG").map(PathBuf::from).or_else(|| {
            directories::BaseDirs::new().map(|b| b.home_dir().join(".config").join("gcloud"))
        });
        AdcSettings {
            credentials_file: var("GOOGLE_APPLICATION_CREDENTIALS").map(PathBuf::from),
            gcloud_adc_file: gcloud_dir.map(|d| d.join("application_default_credentials.json")),
            metadata_host: var("GCE_METADATA_HOST").and_then(|h| h.into_string().ok()),
        }
    }
}

/// Where a subject token for workload identity federation comes from.
#[derive(Debug, Clone)]
pub(crate) enum SubjectSource {
    File {
        path: PathBuf,
        json_field: Option<String>,
    },
    Url {
        url: String,
        headers: Vec<(String, String)>,
        json_field: Option<String>,
    },
}

/// One way to get an access token.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    ServiceAccount {
        email: String,
        key_id: Option<String>,
        key: Arc<aws_lc_rs::signature::RsaKeyPair>,
        token_uri: String,
    },
    AuthorizedUser {
        client_id: String,
        client_secret: String,
        refresh_token: String,
        token_uri: String,
    },
    External {
        audience: String,
        subject_token_type: String,
        token_url: String,
        source: SubjectSource,
        /// Workforce pools bill a project of the user's choosing.
        user_project: Option<String>,
    },
    /// A token from `source`, exchanged for the service account's at the IAM Credentials URL.
    Impersonated {
        source: Box<Kind>,
        url: String,
    },
    Metadata {
        host: String,
    },
}

#[derive(Debug, Clone)]
struct Token {
    value: String,
    refresh_at: Instant,
}

/// Credentials with a cached token: one refresh at a time, renewed before it expires.
#[derive(Debug)]
pub struct Credentials {
    kind: Kind,
    describe: String,
    quota_project: Option<String>,
    http: reqwest::Client,
    cache: Mutex<Option<Token>>,
}

fn read_json(path: &Path) -> Result<Value, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{}: not JSON: {e}", path.display()))
}

fn string(v: &Value, field: &str, what: &str) -> Result<String, String> {
    v.get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| format!("{what} has no {field:?}"))
}

fn opt_string(v: &Value, field: &str) -> Option<String> {
    v.get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// `-----BEGIN PRIVATE KEY-----` (PKCS#8, what Google issues) or `RSA PRIVATE KEY` (PKCS#1).
pub(crate) fn rsa_key(pem: &str) -> Result<aws_lc_rs::signature::RsaKeyPair, String> {
    use base64::Engine as _;
    let pkcs1 = pem.contains("BEGIN RSA PRIVATE KEY");
    let b64: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| format!("private_key is not PEM: {e}"))?;
    let key = if pkcs1 {
        aws_lc_rs::signature::RsaKeyPair::from_der(&der)
    } else {
        aws_lc_rs::signature::RsaKeyPair::from_pkcs8(&der)
    };
    key.map_err(|e| format!("private_key is not an RSA key: {e}"))
}

/// The credential a JSON file describes (`type` field).
pub(crate) fn kind_from_json(v: &Value) -> Result<(Kind, String, Option<String>), String> {
    let ty = v.get("type").and_then(Value::as_str).unwrap_or("");
    let quota = opt_string(v, "quota_project_id");
    match ty {
        "service_account" => {
            let email = string(v, "client_email", "the service account key")?;
            let key = rsa_key(&string(v, "private_key", "the service account key")?)?;
            let kind = Kind::ServiceAccount {
                email: email.clone(),
                key_id: opt_string(v, "private_key_id"),
                key: Arc::new(key),
                token_uri: opt_string(v, "token_uri").unwrap_or_else(|| GOOGLE_TOKEN_URI.into()),
            };
            Ok((kind, format!("service account {email}"), quota))
        }
        "authorized_user" => {
            let what = "the authorized_user credentials";
            let kind = Kind::AuthorizedUser {
                client_id: string(v, "client_id", what)?,
                client_secret: string(v, "client_secret", what)?,
                refresh_token: string(v, "refresh_token", what)?,
                token_uri: opt_string(v, "token_uri").unwrap_or_else(|| GOOGLE_TOKEN_URI.into()),
            };
            let who = opt_string(v, "account").map_or_else(String::new, |a| format!(" {a}"));
            Ok((kind, format!("gcloud user credentials{who}"), quota))
        }
        "external_account" => {
            let what = "the external_account credentials";
            let audience = string(v, "audience", what)?;
            let cs = v
                .get("credential_source")
                .ok_or_else(|| format!("{what} have no credential_source"))?;
            let json_field = match cs.pointer("/format/type").and_then(Value::as_str) {
                Some("json") => Some(
                    cs.pointer("/format/subject_token_field_name")
                        .and_then(Value::as_str)
                        .ok_or("credential_source.format has type json but no subject_token_field_name")?
                        .to_owned(),
                ),
                _ => None,
            };
            let source = if let Some(path) = cs.get("file").and_then(Value::as_str) {
                SubjectSource::File {
                    path: PathBuf::from(path),
                    json_field,
                }
            } else if let Some(url) = cs.get("url").and_then(Value::as_str) {
                let headers = cs
                    .get("headers")
                    .and_then(Value::as_object)
                    .map(|h| {
                        h.iter()
                            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                            .collect()
                    })
                    .unwrap_or_default();
                SubjectSource::Url {
                    url: url.to_owned(),
                    headers,
                    json_field,
                }
            } else {
                return Err(format!(
                    "{what}: only file and url credential sources are supported (not executable or AWS); \
                     use a file or url source, or a service account"
                ));
            };
            let kind = Kind::External {
                audience: audience.clone(),
                subject_token_type: string(v, "subject_token_type", what)?,
                token_url: string(v, "token_url", what)?,
                source,
                user_project: opt_string(v, "workforce_pool_user_project"),
            };
            let kind = match opt_string(v, "service_account_impersonation_url") {
                Some(url) => Kind::Impersonated {
                    source: Box::new(kind),
                    url,
                },
                None => kind,
            };
            Ok((
                kind,
                format!("workload identity federation ({audience})"),
                quota,
            ))
        }
        "impersonated_service_account" => {
            let url = string(
                v,
                "service_account_impersonation_url",
                "the impersonated_service_account credentials",
            )?;
            let inner = v
                .get("source_credentials")
                .ok_or("the impersonated_service_account credentials have no source_credentials")?;
            let (source, _, _) = kind_from_json(inner)?;
            let target = url
                .rsplit('/')
                .next()
                .and_then(|t| t.split(':').next())
                .unwrap_or("")
                .to_owned();
            Ok((
                Kind::Impersonated {
                    source: Box::new(source),
                    url,
                },
                format!("impersonated service account {target}"),
                quota,
            ))
        }
        "" => Err("credentials file has no \"type\"".into()),
        other => Err(format!("credentials of type {other:?} are not supported")),
    }
}

impl Credentials {
    /// The first credential of the ADC chain. A named file that is missing or malformed is an
    /// error (as in gcloud); with no files at all, the metadata server is used (and only
    /// asked when a token is first needed).
    pub fn from_settings(s: &AdcSettings, http: reqwest::Client) -> Result<Credentials, String> {
        if let Some(path) = &s.credentials_file {
            let v = read_json(path).map_err(|e| format!("GOOGLE_APPLICATION_CREDENTIALS: {e}"))?;
            let (kind, who, quota) = kind_from_json(&v)
                .map_err(|e| format!("GOOGLE_APPLICATION_CREDENTIALS {}: {e}", path.display()))?;
            return Ok(Self::new(
                kind,
                format!("{who} from {}", path.display()),
                quota,
                http,
            ));
        }
        if let Some(path) = s.gcloud_adc_file.as_ref().filter(|p| p.exists()) {
            let v = read_json(path)?;
            let (kind, who, quota) =
                kind_from_json(&v).map_err(|e| format!("{}: {e}", path.display()))?;
            return Ok(Self::new(
                kind,
                format!("{who} from {}", path.display()),
                quota,
                http,
            ));
        }
        let host = s
            .metadata_host
            .clone()
            .unwrap_or_else(|| METADATA_HOST.into());
        let describe = format!(
            "the metadata server at {host} (no GOOGLE_APPLICATION_CREDENTIALS{})",
            s.gcloud_adc_file
                .as_ref()
                .map_or_else(String::new, |p| format!(", no {}", p.display()))
        );
        // Like Google's libraries: metadata traffic never goes through HTTP(S)_PROXY.
        let direct = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(Duration::from_secs(3))
            .build()
            .unwrap_or(http);
        Ok(Self::new(Kind::Metadata { host }, describe, None, direct))
    }

    /// Credentials from the JSON of a credentials file.
    pub fn from_json(json: &Value, http: reqwest::Client) -> Result<Credentials, String> {
        let (kind, who, quota) = kind_from_json(json)?;
        Ok(Self::new(kind, who, quota, http))
    }

    fn new(kind: Kind, describe: String, quota: Option<String>, http: reqwest::Client) -> Self {
        Credentials {
            kind,
            describe,
            quota_project: quota,
            http,
            cache: Mutex::new(None),
        }
    }

    /// What the chain picked, for messages.
    pub fn describe(&self) -> &str {
        &self.describe
    }

    /// `quota_project_id` of user credentials: sent as `x-goog-user-project`.
    pub fn quota_project(&self) -> Option<&str> {
        self.quota_project.as_deref()
    }

    /// A valid access token: the cached one, or a new one when it is (nearly) expired.
    pub async fn token(&self) -> Result<String, SourceError> {
        let mut cache = self.cache.lock().await;
        if let Some(t) = cache.as_ref().filter(|t| Instant::now() < t.refresh_at) {
            return Ok(t.value.clone());
        }
        let fetched = flows::fetch(&self.kind, &self.http)
            .await
            .map_err(|e| match e {
                SourceError::Auth(m) => SourceError::Auth(format!("{} ({})", m, self.describe)),
                SourceError::Other(m) => SourceError::Other(format!("{} ({})", m, self.describe)),
                e => e,
            })?;
        // Renew a little early: a quarter of the lifetime, at most the 3m45s Google's
        // libraries use.
        let life = Duration::from_secs(fetched.expires_in.max(1));
        let margin = (life / 4).min(Duration::from_secs(225));
        let token = Token {
            value: fetched.access_token,
            refresh_at: Instant::now() + life - margin,
        };
        let value = token.value.clone();
        *cache = Some(token);
        Ok(value)
    }

    /// Forgets `token` after the API rejected it (401), so the next call fetches a new one.
    /// A token another task already replaced is left alone.
    pub async fn invalidate(&self, token: &str) {
        let mut cache = self.cache.lock().await;
        if cache.as_ref().is_some_and(|t| t.value == token) {
            *cache = None;
        }
    }
}

#[cfg(test)]
mod tests;
