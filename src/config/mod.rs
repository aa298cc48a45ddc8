//! Configuration: TOML with positioned errors, paths from `directories`.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::diag::{Diagnostic, Diagnostics};

pub mod notify;
pub mod regions;
mod sources;

use crate::tui::color::ColorSetting;
pub use sources::{Aggregator, AwsApi, AzureConfig, GcpConfig, GithubConfig, SarifConfig};

pub const ENV_CONFIG: &str = "AGENT_HUBBLE_CONFIG";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub ui: UiConfig,
    #[serde(default)]
    pub poll: PollConfig,
    #[serde(default)]
    pub store: StoreConfig,
    #[serde(default)]
    pub aws: Vec<AwsConfig>,
    #[serde(default)]
    pub azure: Vec<AzureConfig>,
    #[serde(default)]
    pub gcp: Vec<GcpConfig>,
    #[serde(default)]
    pub sarif: Vec<SarifConfig>,
    #[serde(default)]
    pub github: Vec<GithubConfig>,
    #[serde(default)]
    pub remediation: RemediationConfig,
    #[serde(default)]
    pub posture: PostureConfig,
    /// Notifications, tickets and escalation: channels and rules.
    #[serde(default)]
    pub notify: notify::NotifyConfig,
    /// Names people use for accounts, subscriptions and projects: `"111111111111" = "prod"`.
    #[serde(default)]
    pub accounts: std::collections::BTreeMap<String, String>,
    /// Where the file was read from (None for the built-in default).
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiConfig {
    pub theme: Spanned<String>,
    pub keymap: Spanned<String>,
    pub color: ColorSetting,
    /// ASCII glyphs instead of Unicode markers and box drawing.
    pub ascii: bool,
    /// No animation, no box drawing, numbered choices, static prompts.
    pub screen_reader: bool,
    /// Findings whose arrival raises an alert (the filter language; "" turns it off).
    pub alert: Spanned<String>,
    /// bell, osc9 (a desktop notification in terminals that show them) or both.
    pub alert_with: AlertWith,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertWith {
    #[default]
    Bell,
    Osc9,
    Both,
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            theme: Spanned::new(0..0, "default".into()),
            keymap: Spanned::new(0..0, "default".into()),
            color: ColorSetting::Auto,
            ascii: false,
            screen_reader: false,
            alert: Spanned::new(0..0, "sev:critical".into()),
            alert_with: AlertWith::Bell,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PollConfig {
    /// Seconds between incremental polls of each source.
    pub interval_secs: u64,
    /// Seconds between full re-reads that catch edits which do not move UpdatedAt.
    pub reconcile_secs: u64,
    /// Overlap of incremental windows, for clock skew and eventual consistency.
    pub overlap_secs: u64,
    /// Ceiling of the exponential backoff after errors.
    pub max_backoff_secs: u64,
    /// SDK attempts per call (adaptive retry mode).
    pub max_attempts: u32,
    pub include_archived: bool,
    /// Syncs running at once across every source (each source keeps its own rate limit too).
    pub max_concurrent: Spanned<usize>,
}

/// `[poll] max_concurrent` may be 1 to this.
pub const MAX_CONCURRENT_LIMIT: usize = 256;

impl Default for PollConfig {
    fn default() -> Self {
        PollConfig {
            interval_secs: 60,
            reconcile_secs: 900,
            overlap_secs: 300,
            max_backoff_secs: 600,
            max_attempts: 3,
            include_archived: false,
            max_concurrent: Spanned::new(0..0, crate::poller::DEFAULT_MAX_CONCURRENT),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// SQLite file; defaults to `<data dir>/hubble.db`. May be shared by several consoles.
    pub path: Option<PathBuf>,
    /// Audit log; defaults to `<data dir>/audit.jsonl`.
    pub audit_log: Option<PathBuf>,
    /// Keyed audit log: HMAC key read from this file (mode 0600).
    pub audit_key_file: Option<Spanned<PathBuf>>,
    /// Keyed audit log: HMAC key read from this environment variable.
    pub audit_key_env: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsConfig {
    pub name: Spanned<String>,
    pub regions: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    pub profile: Option<String>,
    #[serde(default)]
    pub role_arn: Option<Spanned<String>>,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub endpoint_url: Option<Spanned<String>>,
    /// v1 (ASFF GetFindings, the default), v2 (OCSF GetFindingsV2) or auto.
    #[serde(default)]
    pub api: AwsApi,
    /// true: `regions` names the one aggregation (home) Region and a single source reads the
    /// whole organisation there; "auto": ask Security Hub; false (default): Region by Region.
    #[serde(default)]
    pub aggregator: Option<Spanned<Aggregator>>,
}

impl AwsConfig {
    pub fn aggregator(&self) -> Aggregator {
        self.aggregator
            .as_ref()
            .map_or_else(Aggregator::default, |a| *a.get_ref())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PostureConfig {
    /// Least seconds between two history points (one per poll cycle at most).
    pub snapshot_every_secs: u64,
    /// History older than this is dropped.
    pub retention_days: u32,
}

impl Default for PostureConfig {
    fn default() -> Self {
        PostureConfig {
            snapshot_every_secs: 300,
            retention_days: 90,
        }
    }
}

/// Remediation is off unless enabled here.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RemediationConfig {
    pub enabled: bool,
    /// AutomationAssumeRole template; `{account}`, `{region}` and `{partition}` are filled in.
    pub assume_role: Spanned<String>,
    /// First match wins.
    pub policy: Vec<crate::remediation::policy::Rule>,
    /// Least seconds between two StartAutomationExecution calls in one account × region.
    pub spacing_secs: u64,
    /// Seconds between GetAutomationExecution polls of running items.
    pub poll_secs: u64,
    /// Roles whose session names identify a person (their trust policy pins
    /// `sts:RoleSessionName`, or SAML/OIDC federation sets it); `*` may stand for the account.
    pub trusted_session_roles: Vec<Spanned<String>>,
    /// How long a claim on an item being started is held before another console may retry.
    pub lease_secs: u64,
}

impl RemediationConfig {
    pub fn trusted_roles(&self) -> Vec<String> {
        self.trusted_session_roles
            .iter()
            .map(|r| r.get_ref().clone())
            .collect()
    }
}

impl Default for RemediationConfig {
    fn default() -> Self {
        RemediationConfig {
            enabled: false,
            assume_role: Spanned::new(
                0..0,
                "arn:{partition}:iam::{account}:role/HubbleRemediation".into(),
            ),
            policy: Vec::new(),
            spacing_secs: 5,
            poll_secs: 5,
            trusted_session_roles: Vec::new(),
            lease_secs: 120,
        }
    }
}

impl StoreConfig {
    /// The audit key, when keyed mode is configured.
    pub fn audit_key(&self) -> Result<Option<crate::audit::Key>, String> {
        if let Some(f) = &self.audit_key_file {
            return crate::audit::Key::from_file(f.get_ref()).map(Some);
        }
        if let Some(env) = &self.audit_key_env {
            let v = std::env::var(env.get_ref())
                .map_err(|_| format!("audit_key_env names ${}, which is not set", env.get_ref()))?;
            return crate::audit::Key::new(v.trim().as_bytes().to_vec())
                .map(Some)
                .map_err(|e| format!("${}: {e}", env.get_ref()));
        }
        Ok(None)
    }
}

mod paths;
pub use paths::Paths;

/// Which config file to read: `--config`, then `AGENT_HUBBLE_CONFIG`, then the standard path
/// (only if it exists). `explicit` is true when the user named a file, which must then exist.
pub fn locate(cli: Option<&Path>, paths: &Paths) -> Option<(PathBuf, bool)> {
    if let Some(p) = cli {
        return Some((p.to_path_buf(), true));
    }
    if let Some(p) = std::env::var_os(ENV_CONFIG).filter(|v| !v.is_empty()) {
        return Some((PathBuf::from(p), true));
    }
    let p = paths.config_file();
    p.exists().then_some((p, false))
}

impl Config {
    /// Built-in defaults: no sources configured.
    pub fn empty() -> Config {
        toml::from_str("").expect("empty config parses")
    }

    /// Any source configured (else the console behaves like the aws CLI, or runs the demo).
    pub fn has_sources(&self) -> bool {
        !(self.aws.is_empty()
            && self.azure.is_empty()
            && self.gcp.is_empty()
            && self.sarif.is_empty()
            && self.github.is_empty())
    }

    pub fn load(path: &Path) -> Result<Config, Diagnostics> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Diagnostics(vec![Diagnostic::new(
                path,
                1,
                1,
                format!("cannot read: {e}"),
            )])
        })?;
        Self::parse(&text, path)
    }

    /// Parses and validates, reporting every problem in one run: after a type error the
    /// offending `key = value` line is set aside and parsing continues, so a file with three
    /// mistakes gets three diagnostics, then the semantic checks run on what is left.
    pub fn parse(text: &str, path: &Path) -> Result<Config, Diagnostics> {
        let mut diags = Vec::new();
        let mut work = text.to_string();
        let mut parsed = None;
        for _ in 0..50 {
            match toml::from_str::<Config>(&work) {
                Ok(c) => {
                    parsed = Some(c);
                    break;
                }
                Err(e) => {
                    diags.push(Diagnostic::from_toml(path, text, &e));
                    // Blank the line (same length, so every later offset still points into
                    // the original text) and go on, unless it is not a `key = value` line.
                    let Some(span) = e.span() else { break };
                    if !blank_key_line(&mut work, span.start) {
                        break;
                    }
                }
            }
        }
        let Some(mut cfg) = parsed else {
            return Err(Diagnostics(diags));
        };
        cfg.path = Some(path.to_path_buf());
        diags.extend(cfg.validate(text, path));
        if diags.is_empty() {
            Ok(cfg)
        } else {
            diags.sort_by_key(|d| (d.line, d.col));
            diags.dedup_by(|a, b| a.line == b.line && a.col == b.col);
            Err(Diagnostics(diags))
        }
    }

    fn validate(&self, text: &str, path: &Path) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let mut at = |span: std::ops::Range<usize>, msg: String| {
            out.push(Diagnostic::at_offset(path, text, span.start, msg));
        };
        let mut names = std::collections::HashMap::new();
        for a in &self.aws {
            let name = a.name.get_ref();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            {
                at(
                    a.name.span(),
                    format!("aws name {name:?} must be non-empty letters, digits, '-', '_' or '.'"),
                );
            }
            if let Some(prev) = names.insert(name.clone(), a.name.span()) {
                let (line, _) = crate::diag::line_col(text, prev.start);
                at(
                    a.name.span(),
                    format!("aws name {name:?} is already used on line {line}"),
                );
            }
            if a.regions.get_ref().is_empty() {
                at(
                    a.regions.span(),
                    "regions must list at least one region".into(),
                );
            }
            for r in a.regions.get_ref() {
                let name = r.get_ref();
                if !regions::is_region(name) {
                    let hint = match regions::closest(name) {
                        Some(c) => format!("; did you mean {c:?}?"),
                        None => " (like \"eu-west-1\")".into(),
                    };
                    at(
                        r.span(),
                        format!("{name:?} is not an AWS region the SDK knows{hint}"),
                    );
                }
            }
            if let Some(agg) = &a.aggregator
                && *agg.get_ref() == Aggregator::On
                && a.regions.get_ref().len() > 1
            {
                let (line, _) = crate::diag::line_col(text, agg.span().start);
                at(
                    a.regions.span(),
                    format!(
                        "aggregator = true (line {line}) reads one Region, the aggregation (home) Region: list only it in regions, not {} (or use aggregator = \"auto\" to find it)",
                        a.regions.get_ref().len()
                    ),
                );
            }
            if let Some(role) = &a.role_arn
                && !is_role_arn(role.get_ref())
            {
                at(
                    role.span(),
                    format!(
                        "{:?} is not an IAM role ARN (arn:aws:iam::123456789012:role/Name)",
                        role.get_ref()
                    ),
                );
            }
            if let Some(url) = &a.endpoint_url {
                let u = url.get_ref();
                if !(u.starts_with("http://") || u.starts_with("https://")) {
                    at(
                        url.span(),
                        format!("endpoint_url {u:?} must start with http:// or https://"),
                    );
                }
            }
        }
        let mut problems = sources::Problems::new();
        for a in &self.azure {
            sources::check_azure(a, &mut problems);
        }
        for g in &self.gcp {
            sources::check_gcp(g, &mut problems);
        }
        for s in &self.sarif {
            sources::check_sarif(s, &mut problems);
        }
        for g in &self.github {
            sources::check_github(g, &mut problems);
        }
        // Names are unique per kind: they are part of the source keys.
        for (kind, names) in [
            (
                "azure",
                self.azure.iter().map(|a| &a.name).collect::<Vec<_>>(),
            ),
            ("gcp", self.gcp.iter().map(|a| &a.name).collect()),
            ("sarif", self.sarif.iter().map(|a| &a.name).collect()),
            ("github", self.github.iter().map(|a| &a.name).collect()),
        ] {
            let mut seen = std::collections::HashMap::new();
            for n in names {
                let name = n.get_ref();
                if name.is_empty()
                    || !name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                {
                    problems.push((
                        n.span(),
                        format!("{kind} name {name:?} must be non-empty letters, digits, '-', '_' or '.'"),
                    ));
                }
                if let Some(prev) = seen.insert(name.clone(), n.span()) {
                    let (line, _) = crate::diag::line_col(text, prev.start);
                    problems.push((
                        n.span(),
                        format!("{kind} name {name:?} is already used on line {line}"),
                    ));
                }
            }
        }
        if let Err(e) = crate::filter::Filter::parse(self.ui.alert.get_ref()) {
            problems.push((self.ui.alert.span(), format!("alert: {e}")));
        }
        notify::check(&self.notify, text, &mut problems);
        for (span, msg) in problems {
            at(span, msg);
        }
        let role = self.remediation.assume_role.get_ref();
        if self.remediation.enabled && !role.starts_with("arn:") {
            at(
                self.remediation.assume_role.span(),
                format!("assume_role {role:?} must be an IAM role ARN template"),
            );
        }
        for r in &self.remediation.trusted_session_roles {
            if !crate::remediation::person::valid_role_pattern(r.get_ref()) {
                at(
                    r.span(),
                    format!(
                        "{:?} is not an IAM role ARN (arn:aws:iam::123456789012:role/Name, `*` allowed as the account)",
                        r.get_ref()
                    ),
                );
            }
        }
        if let (Some(_), Some(env)) = (&self.store.audit_key_file, &self.store.audit_key_env) {
            at(
                env.span(),
                "give the audit key either as audit_key_file or as audit_key_env, not both".into(),
            );
        }
        if let Some(file) = &self.store.audit_key_file
            && let Err(e) = crate::audit::Key::from_file(file.get_ref())
        {
            at(file.span(), e);
        }
        if let Some(env) = &self.store.audit_key_env {
            match std::env::var(env.get_ref()) {
                Ok(v) => {
                    if let Err(e) = crate::audit::Key::new(v.trim().as_bytes().to_vec()) {
                        at(env.span(), format!("${}: {e}", env.get_ref()));
                    }
                }
                Err(_) => at(
                    env.span(),
                    format!("audit_key_env names ${}, which is not set", env.get_ref()),
                ),
            }
        }
        if self.remediation.lease_secs < 1 {
            out.push(Diagnostic::new(
                path,
                1,
                1,
                "remediation.lease_secs must be at least 1",
            ));
        }
        let p = &self.poll;
        if p.interval_secs < 5 {
            out.push(Diagnostic::new(
                path,
                1,
                1,
                "poll.interval_secs must be at least 5",
            ));
        }
        let n = *p.max_concurrent.get_ref();
        if !(1..=MAX_CONCURRENT_LIMIT).contains(&n) {
            let msg = format!(
                "poll.max_concurrent must be between 1 and {MAX_CONCURRENT_LIMIT} (syncs at once across every source), not {n}"
            );
            if p.max_concurrent.span().is_empty() {
                out.push(Diagnostic::new(path, 1, 1, msg));
            } else {
                out.push(Diagnostic::at_offset(
                    path,
                    text,
                    p.max_concurrent.span().start,
                    msg,
                ));
            }
        }
        if p.max_attempts == 0 || p.max_attempts > 10 {
            out.push(Diagnostic::new(
                path,
                1,
                1,
                "poll.max_attempts must be between 1 and 10",
            ));
        }
        out
    }
}

/// Replaces the `key = value` line around `offset` with spaces. False when that line is not
/// a plain key/value line (a table header, a multi-line value), where going on would only
/// produce follow-on errors.
fn blank_key_line(text: &mut String, offset: usize) -> bool {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = &text[start..end];
    if line.trim_start().starts_with('[') || !line.contains('=') {
        return false;
    }
    // A value that opens a bracket it does not close, or a multi-line string, spans more lines.
    let opens = line.matches(['[', '{']).count();
    let closes = line.matches([']', '}']).count();
    if opens != closes || line.contains("\"\"\"") || line.contains("\'\'\'") {
        return false;
    }
    text.replace_range(start..end, &" ".repeat(line.len()));
    true
}

fn is_role_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].chars().all(|c| c.is_ascii_digit())
        && parts[5].starts_with("role/")
        && parts[5].len() > 5
}

#[cfg(test)]
mod tests;
