//! Config sections of the non-AWS sources ([[azure]], [[gcp]], [[sarif]], [[github]]) and the
//! AWS API choice, with their validation (every problem at its file:line:col).

use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

/// `[[aws]] api`: which Security Hub API a source reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AwsApi {
    /// ASFF GetFindings.
    #[default]
    V1,
    /// OCSF GetFindingsV2.
    V2,
    /// v2 where the account has it, else v1.
    Auto,
}

/// `[[aws]] aggregator`: read a whole organisation through Security Hub's cross-Region
/// aggregation (the delegated administrator's aggregation Region) instead of Region by Region.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Aggregator {
    /// Every listed Region is a source of its own (the default).
    #[default]
    Off,
    /// The one listed Region is the aggregation (home) Region: one source reads it, and with
    /// it every linked Region of every member account.
    On,
    /// Ask Security Hub (ListFindingAggregators, or ListAggregatorsV2 for the v2 API) from the
    /// first listed Region: with an aggregator, one source in its home Region; without one,
    /// every listed Region, as with `false`.
    Auto,
}

impl<'de> Deserialize<'de> for Aggregator {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Aggregator;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(r#"true, false or "auto""#)
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Aggregator, E> {
                Ok(if v { Aggregator::On } else { Aggregator::Off })
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Aggregator, E> {
                match v {
                    "auto" => Ok(Aggregator::Auto),
                    "true" | "false" => Err(E::custom(format!(
                        "aggregator = \"{v}\" is a string: write aggregator = {v} (no quotes), or \"auto\""
                    ))),
                    _ => Err(E::custom(format!(
                        "aggregator must be true, false or \"auto\", not {v:?}"
                    ))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AzureConfig {
    /// Display name; sources are `azure/<name>/<subscription>`.
    pub name: Spanned<String>,
    pub subscriptions: Spanned<Vec<Spanned<String>>>,
    /// Else AZURE_TENANT_ID / the credential chain.
    #[serde(default)]
    pub tenant_id: Option<Spanned<String>>,
    /// ARM endpoint (default https://management.azure.com).
    #[serde(default)]
    pub endpoint_url: Option<Spanned<String>>,
    /// Microsoft Entra authority (default https://login.microsoftonline.com).
    #[serde(default)]
    pub authority_host: Option<Spanned<String>>,
    /// Security alerts (Microsoft.Security/alerts).
    #[serde(default = "yes")]
    pub alerts: bool,
    /// Recommendations (Microsoft.Security/assessments).
    #[serde(default = "yes")]
    pub assessments: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GcpConfig {
    /// Display name; sources are `gcp/<name>/<parent>`.
    pub name: Spanned<String>,
    /// `organizations/N`, `folders/N` or `projects/ID`.
    pub parent: Spanned<String>,
    #[serde(default = "global")]
    pub location: Spanned<String>,
    /// Security Command Center endpoint (default https://securitycenter.googleapis.com).
    #[serde(default)]
    pub endpoint_url: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SarifConfig {
    pub name: Spanned<String>,
    /// Files and directories (*.sarif, *.sarif.json); directories are watched.
    pub paths: Spanned<Vec<Spanned<PathBuf>>>,
    /// The repository the results belong to when the SARIF does not say
    /// (versionControlProvenance); default: the name.
    #[serde(default)]
    pub repository: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GithubConfig {
    pub name: Spanned<String>,
    /// `owner/repo` entries; or `org`.
    #[serde(default)]
    pub repos: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub org: Option<Spanned<String>>,
    /// REST API root (default https://api.github.com; GitHub Enterprise Server:
    /// https://HOST/api/v3).
    #[serde(default)]
    pub endpoint_url: Option<Spanned<String>>,
    /// Closed (dismissed or fixed) alerts updated within this many days are shown too
    /// (default 30; 0 = open alerts only).
    #[serde(default)]
    pub closed_days: Option<Spanned<u32>>,
}

fn yes() -> bool {
    true
}

fn global() -> Spanned<String> {
    Spanned::new(0..0, "global".into())
}

/// Problems as (span, message); the caller turns spans into file:line:col.
pub type Problems = Vec<(std::ops::Range<usize>, String)>;

fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

pub fn check_url(url: &Spanned<String>, what: &str, out: &mut Problems) {
    let u = url.get_ref();
    if !(u.starts_with("http://") || u.starts_with("https://")) || u.len() < 10 {
        out.push((
            url.span(),
            format!("{what} {u:?} must be an http:// or https:// URL"),
        ));
    }
}

pub fn check_azure(a: &AzureConfig, out: &mut Problems) {
    if a.subscriptions.get_ref().is_empty() {
        out.push((
            a.subscriptions.span(),
            "subscriptions must list at least one subscription id".into(),
        ));
    }
    for s in a.subscriptions.get_ref() {
        if !is_guid(s.get_ref()) {
            out.push((
                s.span(),
                format!(
                    "{:?} is not a subscription id (00000000-0000-0000-0000-000000000000)",
                    s.get_ref()
                ),
            ));
        }
    }
    if let Some(t) = &a.tenant_id
        && !(is_guid(t.get_ref()) || t.get_ref().contains('.'))
    {
        out.push((
            t.span(),
            format!(
                "{:?} is not a tenant id (a GUID or a domain like contoso.onmicrosoft.com)",
                t.get_ref()
            ),
        ));
    }
    for (url, what) in [
        (&a.endpoint_url, "endpoint_url"),
        (&a.authority_host, "authority_host"),
    ] {
        if let Some(u) = url {
            check_url(u, what, out);
        }
    }
    if !a.alerts && !a.assessments {
        out.push((
            a.name.span(),
            "alerts and assessments are both off: this source reads nothing".into(),
        ));
    }
}

pub fn check_gcp(g: &GcpConfig, out: &mut Problems) {
    let p = g.parent.get_ref();
    let ok = match p.split_once('/') {
        Some(("organizations" | "folders", n)) => {
            !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
        }
        Some(("projects", id)) => {
            !id.is_empty()
                && id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        }
        _ => false,
    };
    if !ok {
        out.push((
            g.parent.span(),
            format!("{p:?} is not a parent: organizations/123456789012, folders/123 or projects/my-project"),
        ));
    }
    let l = g.location.get_ref();
    if l.is_empty()
        || !l
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        out.push((
            g.location.span(),
            format!("{l:?} is not a location (global, us, eu …)"),
        ));
    }
    if let Some(u) = &g.endpoint_url {
        check_url(u, "endpoint_url", out);
    }
}

pub fn check_sarif(s: &SarifConfig, out: &mut Problems) {
    if s.paths.get_ref().is_empty() {
        out.push((
            s.paths.span(),
            "paths must list at least one file or directory".into(),
        ));
    }
    for p in s.paths.get_ref() {
        if !p.get_ref().exists() {
            out.push((
                p.span(),
                format!("{} does not exist", p.get_ref().display()),
            ));
        }
    }
}

pub fn check_github(g: &GithubConfig, out: &mut Problems) {
    match (&g.repos, &g.org) {
        (None, None) => out.push((
            g.name.span(),
            "give repos = [\"owner/repo\", …] or org = \"name\"".into(),
        )),
        (Some(r), Some(_)) => out.push((r.span(), "give either repos or org, not both".into())),
        (Some(r), None) => {
            if r.get_ref().is_empty() {
                out.push((r.span(), "repos must list at least one owner/repo".into()));
            }
            for repo in r.get_ref() {
                let ok = repo.get_ref().split_once('/').is_some_and(|(o, n)| {
                    !o.is_empty()
                        && !n.is_empty()
                        && !n.contains('/')
                        && repo
                            .get_ref()
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
                });
                if !ok {
                    out.push((
                        repo.span(),
                        format!("{:?} is not owner/repo", repo.get_ref()),
                    ));
                }
            }
        }
        (None, Some(o)) => {
            if o.get_ref().is_empty()
                || !o
                    .get_ref()
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            {
                out.push((
                    o.span(),
                    format!("{:?} is not a GitHub organisation name", o.get_ref()),
                ));
            }
        }
    }
    if let Some(u) = &g.endpoint_url {
        check_url(u, "endpoint_url", out);
    }
    if let Some(d) = &g.closed_days
        && *d.get_ref() > 3650
    {
        out.push((
            d.span(),
            format!("closed_days = {} is more than ten years", d.get_ref()),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_and_parents() {
        assert!(is_guid("00000000-0000-0000-0000-000000000001"));
        assert!(!is_guid("0000-0000"));
        let mut out = Problems::new();
        let g: GcpConfig =
            toml::from_str("name = \"x\"\nparent = \"organisations/1\"\nlocation = \"EU\"")
                .unwrap();
        check_gcp(&g, &mut out);
        assert_eq!(out.len(), 2, "{out:?}");
    }
}
