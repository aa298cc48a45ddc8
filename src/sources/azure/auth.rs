//! Microsoft Entra access tokens for Azure Resource Manager, found the way Azure's own tools
//! find them (no secrets in config): an environment service principal, workload identity,
//! managed identity (App Service `IDENTITY_ENDPOINT`, else the VM's IMDS), then the Azure CLI.
//!
//! Written on the project's reqwest client rather than `azure_identity` 1.x, which refuses a
//! non-https authority host, hard-codes the IMDS address and reads settings only from the
//! process environment (see the Azure section of the README). Every setting here is a plain
//! field, so tests point each method at a local emulator without touching the environment.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use self::wire::{azure_cli, form_body, parse_token, parse_url, read_assertion, token_error};
use crate::model::now_ms;
use crate::sources::SourceError;

pub const PUBLIC_AUTHORITY: &str = "https://login.microsoftonline.com";
pub const DEFAULT_IMDS: &str = "http://169.254.169.254";
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Refresh this long before expiry (or at half the lifetime of a shorter token).
const REFRESH_MARGIN_MS: i64 = 5 * 60_000;

/// Where each credential method looks. `from_lookup` fills it from environment variables the
/// way the Azure SDKs and the CLI name them; tests build it by hand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthSettings {
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub federated_token_file: Option<PathBuf>,
    /// Microsoft Entra authority, e.g. `https://login.microsoftonline.com`.
    pub authority_host: String,
    /// App Service / Functions managed identity (`IDENTITY_ENDPOINT`, `IDENTITY_HEADER`).
    pub identity_endpoint: Option<String>,
    pub identity_header: Option<String>,
    /// IMDS base URL (`http://169.254.169.254`); None skips VM managed identity.
    pub imds_endpoint: Option<String>,
    /// The `az` program; None skips the Azure CLI.
    pub az_cli: Option<PathBuf>,
    /// Token audience, e.g. `https://management.azure.com`.
    pub resource: String,
}

impl AuthSettings {
    /// Settings from `get` (an environment lookup). Config values win over the environment.
    pub fn from_lookup(
        get: impl Fn(&str) -> Option<String>,
        tenant_override: Option<&str>,
        authority_override: Option<&str>,
        resource: &str,
    ) -> AuthSettings {
        let get = |k: &str| {
            get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let az_cli = find_program("az", get("PATH").as_deref());
        AuthSettings {
            tenant_id: tenant_override
                .map(str::to_owned)
                .or_else(|| get("AZURE_TENANT_ID")),
            client_id: get("AZURE_CLIENT_ID"),
            client_secret: get("AZURE_CLIENT_SECRET"),
            federated_token_file: get("AZURE_FEDERATED_TOKEN_FILE").map(PathBuf::from),
            authority_host: authority_override
                .map(str::to_owned)
                .or_else(|| get("AZURE_AUTHORITY_HOST"))
                .unwrap_or_else(|| PUBLIC_AUTHORITY.into())
                .trim_end_matches('/')
                .to_string(),
            identity_endpoint: get("IDENTITY_ENDPOINT"),
            identity_header: get("IDENTITY_HEADER"),
            // The Azure SDKs' override for an IMDS proxy (AKS pod identity, Bridge to Kubernetes).
            imds_endpoint: Some(
                get("AZURE_POD_IDENTITY_AUTHORITY_HOST")
                    .unwrap_or_else(|| DEFAULT_IMDS.into())
                    .trim_end_matches('/')
                    .to_string(),
            ),
            az_cli,
            resource: resource.trim_end_matches('/').to_string(),
        }
    }
}

/// `name` on a PATH list, if it is there.
fn find_program(name: &str, path: Option<&str>) -> Option<PathBuf> {
    std::env::split_paths(path?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// One way to get a token, in chain order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    ClientSecret {
        tenant: String,
        client_id: String,
        secret: String,
    },
    WorkloadIdentity {
        tenant: String,
        client_id: String,
        token_file: PathBuf,
    },
    AppService {
        endpoint: String,
        header: String,
        client_id: Option<String>,
    },
    Imds {
        endpoint: String,
        client_id: Option<String>,
    },
    AzureCli {
        program: PathBuf,
        tenant: Option<String>,
    },
}

impl Method {
    pub fn name(&self) -> &'static str {
        match self {
            Method::ClientSecret { .. } => "environment service principal",
            Method::WorkloadIdentity { .. } => "workload identity",
            Method::AppService { .. } => "App Service managed identity",
            Method::Imds { .. } => "managed identity (IMDS)",
            Method::AzureCli { .. } => "Azure CLI",
        }
    }
}

/// The chain for these settings, and why each missing method is missing.
pub fn chain(s: &AuthSettings) -> (Vec<Method>, Vec<String>) {
    let mut methods = Vec::new();
    let mut absent = Vec::new();
    match (&s.tenant_id, &s.client_id, &s.client_secret) {
        (Some(t), Some(c), Some(secret)) => methods.push(Method::ClientSecret {
            tenant: t.clone(),
            client_id: c.clone(),
            secret: secret.clone(),
        }),
        (_, _, Some(_)) => absent.push(
            "environment: AZURE_CLIENT_SECRET is set but AZURE_TENANT_ID or AZURE_CLIENT_ID is not"
                .into(),
        ),
        _ => absent.push("environment: AZURE_CLIENT_SECRET is not set".into()),
    }
    match (&s.tenant_id, &s.client_id, &s.federated_token_file) {
        (Some(t), Some(c), Some(f)) => methods.push(Method::WorkloadIdentity {
            tenant: t.clone(),
            client_id: c.clone(),
            token_file: f.clone(),
        }),
        (_, _, Some(_)) => absent.push(
            "workload identity: AZURE_FEDERATED_TOKEN_FILE is set but AZURE_TENANT_ID or AZURE_CLIENT_ID is not"
                .into(),
        ),
        _ => {}
    }
    // A managed identity uses AZURE_CLIENT_ID as its user-assigned id, as the SDKs do.
    match (&s.identity_endpoint, &s.identity_header, &s.imds_endpoint) {
        (Some(e), Some(h), _) => methods.push(Method::AppService {
            endpoint: e.clone(),
            header: h.clone(),
            client_id: s.client_id.clone(),
        }),
        (_, _, Some(e)) => methods.push(Method::Imds {
            endpoint: e.clone(),
            client_id: s.client_id.clone(),
        }),
        _ => {}
    }
    match &s.az_cli {
        Some(p) => methods.push(Method::AzureCli {
            program: p.clone(),
            tenant: s.tenant_id.clone(),
        }),
        None => absent.push("Azure CLI: az is not on PATH".into()),
    }
    (methods, absent)
}

#[derive(Debug, Clone)]
struct Token {
    pub(super) secret: Arc<str>,
    pub(super) refresh_at: i64,
    pub(super) expires_at: i64,
}

/// Why a method gave no token.
pub(super) enum Failure {
    /// Not set up here (no IMDS, not logged in): try the next method.
    Unavailable(String),
    /// Set up but failed: the chain stops, as DefaultAzureCredential's does.
    Failed(SourceError),
}

/// A cached token from the first method of the chain that works; shared by the sources of
/// one config entry.
pub struct Credential {
    http: reqwest::Client,
    /// Managed identity endpoints are local: never through a proxy.
    local_http: reqwest::Client,
    settings: AuthSettings,
    methods: Vec<Method>,
    absent: Vec<String>,
    chosen: Mutex<Option<usize>>,
    cache: tokio::sync::Mutex<Option<Token>>,
}

impl Credential {
    pub fn new(http: reqwest::Client, settings: AuthSettings) -> Credential {
        let (methods, absent) = chain(&settings);
        let local_http = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_else(|_| http.clone());
        Credential {
            http,
            local_http,
            settings,
            methods,
            absent,
            chosen: Mutex::new(None),
            cache: tokio::sync::Mutex::new(None),
        }
    }

    /// The method in use, once one has worked.
    pub fn method(&self) -> Option<&'static str> {
        let chosen = *self.chosen.lock().expect("credential lock");
        chosen.map(|i| self.methods[i].name())
    }

    /// A valid bearer token: the cached one until its refresh time, else a new one.
    pub async fn token(&self) -> Result<Arc<str>, SourceError> {
        let mut cache = self.cache.lock().await;
        let now = now_ms();
        if let Some(t) = cache.as_ref()
            && now < t.refresh_at
        {
            return Ok(t.secret.clone());
        }
        match self.fetch().await {
            Ok(t) => {
                let secret = t.secret.clone();
                *cache = Some(t);
                Ok(secret)
            }
            // A refresh that fails early keeps a token that still works.
            Err(e) => match cache.as_ref() {
                Some(t) if now + 30_000 < t.expires_at => {
                    tracing::warn!("Azure token refresh failed, using the current token: {e}");
                    Ok(t.secret.clone())
                }
                _ => Err(e),
            },
        }
    }

    /// Forgets `stale` (ARM said 401 to it), unless another caller already replaced it.
    pub async fn invalidate(&self, stale: &str) {
        let mut cache = self.cache.lock().await;
        if cache.as_ref().is_some_and(|t| &*t.secret == stale) {
            *cache = None;
        }
    }

    async fn fetch(&self) -> Result<Token, SourceError> {
        let chosen = *self.chosen.lock().expect("credential lock");
        if let Some(i) = chosen {
            return match self.get(&self.methods[i], false).await {
                Ok(t) => Ok(t),
                Err(Failure::Unavailable(m)) => Err(SourceError::Auth(m)),
                Err(Failure::Failed(e)) => Err(e),
            };
        }
        let mut tried = self.absent.clone();
        for (i, m) in self.methods.iter().enumerate() {
            match self.get(m, true).await {
                Ok(t) => {
                    tracing::info!("Azure credential: {}", m.name());
                    *self.chosen.lock().expect("credential lock") = Some(i);
                    return Ok(t);
                }
                Err(Failure::Unavailable(why)) => tried.push(why),
                Err(Failure::Failed(e)) => return Err(e),
            }
        }
        Err(SourceError::Auth(format!(
            "no Azure credential found ({}); set AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET, run on a managed identity, or sign in with az login",
            tried.join("; ")
        )))
    }

    async fn get(&self, m: &Method, probing: bool) -> Result<Token, Failure> {
        let scope = format!("{}/.default", self.settings.resource);
        match m {
            Method::ClientSecret {
                tenant,
                client_id,
                secret,
            } => {
                let form = [
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id),
                    ("client_secret", secret),
                    ("scope", &scope),
                ];
                self.entra(m, tenant, &form).await
            }
            Method::WorkloadIdentity {
                tenant,
                client_id,
                token_file,
            } => {
                // Kubernetes rotates the projected token: read it for every request.
                let assertion = read_assertion(token_file).map_err(Failure::Failed)?;
                let form = [
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id),
                    ("client_assertion_type", JWT_BEARER),
                    ("client_assertion", &assertion),
                    ("scope", &scope),
                ];
                self.entra(m, tenant, &form).await
            }
            Method::AppService {
                endpoint,
                header,
                client_id,
            } => {
                let mut url = parse_url(endpoint, "IDENTITY_ENDPOINT").map_err(Failure::Failed)?;
                url.query_pairs_mut()
                    .append_pair("api-version", "2019-08-01")
                    .append_pair("resource", &self.settings.resource);
                if let Some(c) = client_id {
                    url.query_pairs_mut().append_pair("client_id", c);
                }
                let req = self.local_http.get(url).header("X-IDENTITY-HEADER", header);
                self.managed(m, req, false).await
            }
            Method::Imds {
                endpoint,
                client_id,
            } => {
                let base = format!("{endpoint}/metadata/identity/oauth2/token");
                let mut url = parse_url(&base, "the IMDS endpoint").map_err(Failure::Failed)?;
                url.query_pairs_mut()
                    .append_pair("api-version", "2018-02-01")
                    .append_pair("resource", &self.settings.resource);
                if let Some(c) = client_id {
                    url.query_pairs_mut().append_pair("client_id", c);
                }
                let mut req = self.local_http.get(url).header("Metadata", "true");
                if probing {
                    // Off Azure nothing answers at IMDS: do not hang the chain on it.
                    req = req.timeout(Duration::from_secs(2));
                }
                self.managed(m, req, probing).await
            }
            Method::AzureCli { program, tenant } => {
                azure_cli(program, tenant.as_deref(), &self.settings.resource).await
            }
        }
    }

    /// The Entra v2.0 token endpoint (client credentials with a secret or an assertion).
    async fn entra(
        &self,
        m: &Method,
        tenant: &str,
        form: &[(&str, &str)],
    ) -> Result<Token, Failure> {
        let url = format!(
            "{}/{}/oauth2/v2.0/token",
            self.settings.authority_host, tenant
        );
        let url = parse_url(&url, "authority_host").map_err(Failure::Failed)?;
        let resp = self
            .http
            .post(url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form_body(form))
            .send()
            .await
            .map_err(|e| {
                Failure::Failed(SourceError::Other(format!(
                    "{}: cannot reach Microsoft Entra at {}: {}",
                    m.name(),
                    self.settings.authority_host,
                    super::client::error_chain(&e)
                )))
            })?;
        let status = resp.status();
        let body = resp.bytes().await.unwrap_or_default();
        if !status.is_success() {
            return Err(Failure::Failed(token_error(m, status, &body)));
        }
        parse_token(&body)
            .map_err(|e| Failure::Failed(SourceError::Other(format!("{}: {e}", m.name()))))
    }

    /// IMDS and the App Service endpoint: "no identity here" means try the next method.
    async fn managed(
        &self,
        m: &Method,
        req: reqwest::RequestBuilder,
        probing: bool,
    ) -> Result<Token, Failure> {
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) if probing => {
                return Err(Failure::Unavailable(format!(
                    "{}: no answer ({})",
                    m.name(),
                    super::client::error_chain(&e)
                )));
            }
            Err(e) => {
                return Err(Failure::Failed(SourceError::Other(format!(
                    "{}: {}",
                    m.name(),
                    super::client::error_chain(&e)
                ))));
            }
        };
        let status = resp.status();
        let body = resp.bytes().await.unwrap_or_default();
        if !status.is_success() {
            let e = token_error(m, status, &body);
            // 400 "Identity not found" / 404: this machine has no (such) identity.
            if probing && matches!(status.as_u16(), 400 | 404) {
                return Err(Failure::Unavailable(e.to_string()));
            }
            return Err(Failure::Failed(e));
        }
        parse_token(&body)
            .map_err(|e| Failure::Failed(SourceError::Other(format!("{}: {e}", m.name()))))
    }
}

mod wire;

#[cfg(test)]
mod tests;
