//! `[notify]`: channels (Slack, Teams, signed webhooks, PagerDuty, email, Jira) and rules in the
//! filter language, with their validation (every problem at its file:line:col; a filter error
//! points into the `when` string). Secrets are only named here (`*_env`, `*_file`); whether
//! they are present is checked by `check-config`, `watch` and `notify test`
//! ([`check_secrets`]), so a console without them still starts.

use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use super::sources::Problems;
use crate::suggest::edit_distance;

mod check;
pub use check::{check, offset_in_string};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifyConfig {
    pub channel: Vec<ChannelConfig>,
    pub rule: Vec<RuleConfig>,
    /// How long a process's claim on an outbox entry keeps others from sending it.
    pub lease_secs: u64,
    /// Attempts before an entry that keeps failing (timeouts, 5xx) is marked failed.
    pub max_attempts: u32,
    /// The offset quiet hours are read in (`+02:00`); UTC by default.
    pub utc_offset: Spanned<String>,
    /// Consoles evaluate the rules too (false: only `agent-hubble watch` does; consoles still
    /// send what is queued and show the outbox).
    pub rules_in_console: bool,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            channel: Vec::new(),
            rule: Vec::new(),
            lease_secs: 60,
            max_attempts: 10,
            utc_offset: Spanned::new(0..0, "+00:00".into()),
            rules_in_console: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    Slack,
    Teams,
    Webhook,
    Pagerduty,
    Email,
    Jira,
}

impl ChannelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Slack => "slack",
            ChannelKind::Teams => "teams",
            ChannelKind::Webhook => "webhook",
            ChannelKind::Pagerduty => "pagerduty",
            ChannelKind::Email => "email",
            ChannelKind::Jira => "jira",
        }
    }

    /// Messages per second when the channel does not say (Slack: about 1 per webhook).
    pub fn default_rate(self) -> f64 {
        match self {
            ChannelKind::Slack | ChannelKind::Teams | ChannelKind::Email => 1.0,
            ChannelKind::Pagerduty | ChannelKind::Jira => 2.0,
            ChannelKind::Webhook => 20.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum JiraFlavor {
    /// Jira Cloud, REST v3 (ADF descriptions, Basic email:api-token).
    #[default]
    Cloud,
    /// Jira Data Center / Server, REST v2 (plain-text descriptions, Bearer personal token).
    Datacenter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS (port 587); refused if the server cannot.
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Implicit,
}

/// One channel. Keys that do not apply to its kind are reported by `check-config`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelConfig {
    pub name: Spanned<String>,
    pub kind: Spanned<ChannelKind>,
    /// Not a secret: webhook, PagerDuty events endpoint, Jira site.
    #[serde(default)]
    pub url: Option<Spanned<String>>,
    #[serde(default)]
    pub url_env: Option<Spanned<String>>,
    #[serde(default)]
    pub url_file: Option<Spanned<PathBuf>>,
    /// Webhook HMAC secret.
    #[serde(default)]
    pub secret_env: Option<Spanned<String>>,
    #[serde(default)]
    pub secret_file: Option<Spanned<PathBuf>>,
    /// PagerDuty integration (routing) key.
    #[serde(default)]
    pub routing_key_env: Option<Spanned<String>>,
    #[serde(default)]
    pub routing_key_file: Option<Spanned<PathBuf>>,
    /// Jira API token (Cloud) or personal access token (Data Center).
    #[serde(default)]
    pub token_env: Option<Spanned<String>>,
    #[serde(default)]
    pub token_file: Option<Spanned<PathBuf>>,
    /// Jira Cloud account e-mail.
    #[serde(default)]
    pub user: Option<Spanned<String>>,
    #[serde(default)]
    pub flavor: Option<Spanned<JiraFlavor>>,
    #[serde(default)]
    pub project: Option<Spanned<String>>,
    #[serde(default)]
    pub issue_type: Option<Spanned<String>>,
    #[serde(default)]
    pub labels: Option<Spanned<Vec<Spanned<String>>>>,
    /// The transition (name or id) applied when the finding is resolved (default "Done").
    #[serde(default)]
    pub done_transition: Option<Spanned<String>>,
    #[serde(default)]
    pub smtp_host: Option<Spanned<String>>,
    #[serde(default)]
    pub smtp_port: Option<Spanned<u16>>,
    #[serde(default)]
    pub tls: Option<Spanned<SmtpTls>>,
    #[serde(default)]
    pub username: Option<Spanned<String>>,
    #[serde(default)]
    pub password_env: Option<Spanned<String>>,
    #[serde(default)]
    pub password_file: Option<Spanned<PathBuf>>,
    #[serde(default)]
    pub from: Option<Spanned<String>>,
    #[serde(default)]
    pub to: Option<Spanned<Vec<Spanned<String>>>>,
    /// A PEM file of the CA to trust for the SMTP server (instead of the system's roots).
    #[serde(default)]
    pub ca_file: Option<Spanned<PathBuf>>,
    /// Messages per second (0: no limit); default per kind (Slack 1).
    #[serde(default)]
    pub rate_per_sec: Option<Spanned<f64>>,
    /// Sends in flight at once on this channel.
    #[serde(default)]
    pub concurrency: Option<Spanned<u32>>,
    #[serde(default)]
    pub timeout_secs: Option<Spanned<u64>>,
}

impl ChannelConfig {
    pub fn kind(&self) -> ChannelKind {
        *self.kind.get_ref()
    }

    pub fn rate(&self) -> f64 {
        self.rate_per_sec
            .as_ref()
            .map_or(self.kind().default_rate(), |r| *r.get_ref())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    pub name: Spanned<String>,
    /// The console's filter language; empty matches every finding.
    #[serde(default = "empty")]
    pub when: Spanned<String>,
    pub to: Spanned<Vec<Spanned<String>>>,
    /// Default: finding.matched and finding.resolved.
    #[serde(default)]
    pub events: Option<Spanned<Vec<Spanned<String>>>>,
    /// Batch matches into one message per window (`15m`).
    #[serde(default)]
    pub digest: Option<Spanned<String>>,
    /// `22:00-07:00`: held until the end, except to PagerDuty.
    #[serde(default)]
    pub quiet_hours: Option<Spanned<String>>,
    /// Still NEW this long after the match: escalate to `escalate_to`.
    #[serde(default)]
    pub escalate_after: Option<Spanned<String>>,
    #[serde(default)]
    pub escalate_to: Option<Spanned<Vec<Spanned<String>>>>,
    /// `source.unhealthy`: how long a source must be failing.
    #[serde(default)]
    pub unhealthy_after: Option<Spanned<String>>,
    /// Also notify the findings that already match when the rule is first seen (else they
    /// are recorded silently and only later matches notify).
    #[serde(default)]
    pub notify_existing: bool,
}

fn empty() -> Spanned<String> {
    Spanned::new(0..0, String::new())
}

/// The events a rule may ask for.
pub const EVENTS: [&str; 8] = [
    "finding.matched",
    "finding.resolved",
    "finding.escalated",
    "remediation.proposed",
    "remediation.approved",
    "remediation.succeeded",
    "remediation.failed",
    "source.unhealthy",
];

impl RuleConfig {
    /// The events this rule sends (finding.escalated is implied by escalate_after).
    pub fn event_names(&self) -> Vec<String> {
        let mut out: Vec<String> = match &self.events {
            Some(e) => e.get_ref().iter().map(|s| s.get_ref().clone()).collect(),
            None => vec!["finding.matched".into(), "finding.resolved".into()],
        };
        if self.escalate_after.is_some() && !out.iter().any(|e| e == "finding.escalated") {
            out.push("finding.escalated".into());
        }
        out
    }
}

/// `30s`, `15m`, `2h`, `1d` → milliseconds.
pub fn parse_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    let unit = s.chars().last()?;
    let n: i64 = s[..s.len() - unit.len_utf8()].trim().parse().ok()?;
    let per = match unit {
        's' => 1_000,
        'm' => 60_000,
        'h' => 3_600_000,
        'd' => 86_400_000,
        _ => return None,
    };
    (n > 0).then(|| n.checked_mul(per)).flatten()
}

/// `22:00-07:00` → (start, end) in minutes after midnight.
pub fn parse_quiet_hours(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.trim().split_once('-')?;
    let hm = |t: &str| -> Option<u32> {
        let (h, m) = t.trim().split_once(':')?;
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60 && t.trim().len() == 5).then_some(h * 60 + m)
    };
    let (a, b) = (hm(a)?, hm(b)?);
    (a != b).then_some((a, b))
}

/// `+02:00`, `-05:30`, `Z` → minutes east of UTC.
pub fn parse_offset(s: &str) -> Option<i32> {
    let s = s.trim();
    if s == "Z" || s.eq_ignore_ascii_case("utc") {
        return Some(0);
    }
    let sign = match s.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, m) = s[1..].split_once(':')?;
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 14 && m < 60 && s.len() == 6).then_some(sign * (h * 60 + m))
}

/// Where a secret comes from.
#[derive(Debug, Clone)]
pub enum SecretRef {
    Env(String),
    File(PathBuf),
}

impl SecretRef {
    /// Reads the secret: an environment variable that is set and not empty, or a regular
    /// file readable by its owner only (mode 0600 or stricter).
    pub fn read(&self) -> Result<String, String> {
        match self {
            SecretRef::Env(v) => match std::env::var(v) {
                Ok(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
                Ok(_) => Err(format!("${v} is empty")),
                Err(_) => Err(format!("${v} is not set")),
            },
            SecretRef::File(p) => {
                use std::os::unix::fs::PermissionsExt;
                let meta = std::fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
                if !meta.is_file() {
                    return Err(format!("{} is not a regular file", p.display()));
                }
                if meta.permissions().mode() & 0o077 != 0 {
                    return Err(format!(
                        "{} must not be readable by group or others (chmod 600)",
                        p.display()
                    ));
                }
                let s = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
                let s = s.trim().to_string();
                if s.is_empty() {
                    return Err(format!("{} is empty", p.display()));
                }
                Ok(s)
            }
        }
    }
}

/// What a secret is for, and its `*_env` and `*_file` references.
type SecretPair<'a> = (
    &'static str,
    &'a Option<Spanned<String>>,
    &'a Option<Spanned<PathBuf>>,
);

/// The secrets a channel names, with the span of each reference.
pub fn secret_refs(c: &ChannelConfig) -> Vec<(&'static str, SecretRef, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let pairs: [SecretPair; 5] = [
        ("url", &c.url_env, &c.url_file),
        ("secret", &c.secret_env, &c.secret_file),
        ("routing_key", &c.routing_key_env, &c.routing_key_file),
        ("token", &c.token_env, &c.token_file),
        ("password", &c.password_env, &c.password_file),
    ];
    for (what, env, file) in pairs {
        if let Some(e) = env {
            out.push((what, SecretRef::Env(e.get_ref().clone()), e.span()));
        }
        if let Some(f) = file {
            out.push((what, SecretRef::File(f.get_ref().clone()), f.span()));
        }
    }
    out
}

/// Every secret that cannot be read, at the span of its reference.
pub fn check_secrets(n: &NotifyConfig, out: &mut Problems) {
    for c in &n.channel {
        if let Some(ca) = &c.ca_file
            && let Err(e) = std::fs::read(ca.get_ref())
        {
            out.push((
                ca.span(),
                format!("ca_file {}: {e}", ca.get_ref().display()),
            ));
        }
        for (what, r, span) in secret_refs(c) {
            if let Err(e) = r.read() {
                out.push((span, format!("channel {:?}: {what}: {e}", c.name.get_ref())));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_hours_offsets() {
        assert_eq!(parse_duration("15m"), Some(900_000));
        assert_eq!(parse_duration("30s"), Some(30_000));
        assert_eq!(parse_duration("2h"), Some(7_200_000));
        assert_eq!(parse_duration("0m"), None);
        assert_eq!(parse_duration("15"), None);
        assert_eq!(parse_quiet_hours("22:00-07:00"), Some((1320, 420)));
        assert_eq!(parse_quiet_hours("22:00-22:00"), None);
        assert_eq!(parse_quiet_hours("7:00-9:00"), None);
        assert_eq!(parse_offset("+02:00"), Some(120));
        assert_eq!(parse_offset("-05:30"), Some(-330));
        assert_eq!(parse_offset("2"), None);
    }

    #[test]
    fn offsets_point_into_the_string() {
        let text = "when = \"sev:critical wf:neu\"\n";
        let span = 7..text.len() - 1;
        // Column 17 of the value is the `n` of `neu`.
        let at = offset_in_string(text, &span, 17);
        assert_eq!(&text[at..at + 3], "neu");
        let esc = "when = \"a\\\"b\"\n";
        assert_eq!(offset_in_string(esc, &(7..13), 3), 7);
    }
}
