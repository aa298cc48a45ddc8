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

fn name_ok(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// The offset in `text` of 1-based character `column` of the string value at `span` (which
/// includes the quotes), when the value is written without escapes; else the value's start.
pub fn offset_in_string(text: &str, span: &std::ops::Range<usize>, column: usize) -> usize {
    let raw = text.get(span.clone()).unwrap_or("");
    let quote = raw.chars().next();
    let escaped = quote == Some('"') && raw.contains('\\');
    if !matches!(quote, Some('"' | '\'')) || escaped || raw.starts_with("\"\"\"") {
        return span.start;
    }
    let body = &raw[1..];
    let skip: usize = body
        .chars()
        .take(column.saturating_sub(1))
        .map(char::len_utf8)
        .sum();
    span.start + 1 + skip
}

fn unknown_channel(name: &str, known: &[&str]) -> String {
    let best = known.iter().map(|k| (edit_distance(name, k), *k)).min();
    match best {
        Some((d, k)) if d <= (name.len() / 3).max(1) => {
            format!("no channel named {name:?}; did you mean {k:?}?")
        }
        _ if known.is_empty() => {
            format!("no channel named {name:?}: no [[notify.channel]] is configured")
        }
        _ => format!("no channel named {name:?} (channels: {})", known.join(", ")),
    }
}

/// Which keys each kind takes (besides name, kind, rate_per_sec, concurrency, timeout_secs).
fn allowed(kind: ChannelKind) -> &'static [&'static str] {
    match kind {
        ChannelKind::Slack | ChannelKind::Teams => &["url_env", "url_file"],
        ChannelKind::Webhook => &["url", "url_env", "url_file", "secret_env", "secret_file"],
        ChannelKind::Pagerduty => &["url", "routing_key_env", "routing_key_file"],
        ChannelKind::Jira => &[
            "url",
            "url_env",
            "token_env",
            "token_file",
            "user",
            "flavor",
            "project",
            "issue_type",
            "labels",
            "done_transition",
        ],
        ChannelKind::Email => &[
            "smtp_host",
            "smtp_port",
            "tls",
            "username",
            "password_env",
            "password_file",
            "from",
            "to",
            "ca_file",
        ],
    }
}

/// Keys given in a channel, with their spans.
fn given(c: &ChannelConfig) -> Vec<(&'static str, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    macro_rules! opt {
        ($($f:ident),*) => {$(
            if let Some(v) = &c.$f { out.push((stringify!($f), v.span())); }
        )*};
    }
    opt!(
        url,
        url_env,
        url_file,
        secret_env,
        secret_file,
        routing_key_env,
        routing_key_file,
        token_env,
        token_file,
        user,
        flavor,
        project,
        issue_type,
        labels,
        done_transition,
        smtp_host,
        smtp_port,
        tls,
        username,
        password_env,
        password_file,
        from,
        to,
        ca_file
    );
    out
}

pub fn check(n: &NotifyConfig, text: &str, out: &mut Problems) {
    let mut names: Vec<&str> = Vec::new();
    for c in &n.channel {
        let name = c.name.get_ref();
        if !name_ok(name) {
            out.push((
                c.name.span(),
                format!("channel name {name:?} must be non-empty letters, digits, '-', '_' or '.'"),
            ));
        }
        if names.contains(&name.as_str()) {
            out.push((
                c.name.span(),
                format!("channel name {name:?} is used twice"),
            ));
        }
        names.push(name);
        check_channel(c, out);
    }
    let mut rules: Vec<&str> = Vec::new();
    for r in &n.rule {
        let name = r.name.get_ref();
        if name.trim().is_empty() || name.len() > 100 {
            out.push((
                r.name.span(),
                "a rule needs a name (at most 100 characters)".into(),
            ));
        }
        if rules.contains(&name.as_str()) {
            out.push((r.name.span(), format!("rule name {name:?} is used twice")));
        }
        rules.push(name);
        check_rule(r, &names, text, out);
    }
    if parse_offset(n.utc_offset.get_ref()).is_none() {
        out.push((
            n.utc_offset.span(),
            format!(
                "utc_offset {:?} is not an offset like \"+02:00\"",
                n.utc_offset.get_ref()
            ),
        ));
    }
    if n.lease_secs < 5 {
        out.push((0..0, "notify.lease_secs must be at least 5".into()));
    }
    if n.max_attempts == 0 {
        out.push((0..0, "notify.max_attempts must be at least 1".into()));
    }
}

fn check_channel(c: &ChannelConfig, out: &mut Problems) {
    let kind = c.kind();
    let ok = allowed(kind);
    for (key, span) in given(c) {
        if !ok.contains(&key) {
            let hint = if matches!(kind, ChannelKind::Slack | ChannelKind::Teams) && key == "url" {
                format!(
                    "a {} webhook URL is a secret: give url_env (an environment variable) or url_file (a 0600 file)",
                    kind.as_str()
                )
            } else {
                format!(
                    "{key} does not apply to {} channels (they take {})",
                    kind.as_str(),
                    ok.join(", ")
                )
            };
            out.push((span, hint));
        }
    }
    let one_of = |keys: &[(&str, bool)], out: &mut Problems| {
        let n = keys.iter().filter(|(_, g)| *g).count();
        let names: Vec<&str> = keys.iter().map(|(k, _)| *k).collect();
        if n == 0 {
            out.push((
                c.name.span(),
                format!(
                    "{} channel {:?} needs {}",
                    kind.as_str(),
                    c.name.get_ref(),
                    names.join(" or ")
                ),
            ));
        } else if n > 1 {
            out.push((
                c.name.span(),
                format!("give only one of {}", names.join(", ")),
            ));
        }
    };
    match kind {
        ChannelKind::Slack | ChannelKind::Teams => one_of(
            &[
                ("url_env", c.url_env.is_some()),
                ("url_file", c.url_file.is_some()),
            ],
            out,
        ),
        ChannelKind::Webhook => {
            one_of(
                &[
                    ("url", c.url.is_some()),
                    ("url_env", c.url_env.is_some()),
                    ("url_file", c.url_file.is_some()),
                ],
                out,
            );
            one_of(
                &[
                    ("secret_env", c.secret_env.is_some()),
                    ("secret_file", c.secret_file.is_some()),
                ],
                out,
            );
        }
        ChannelKind::Pagerduty => one_of(
            &[
                ("routing_key_env", c.routing_key_env.is_some()),
                ("routing_key_file", c.routing_key_file.is_some()),
            ],
            out,
        ),
        ChannelKind::Jira => {
            one_of(
                &[("url", c.url.is_some()), ("url_env", c.url_env.is_some())],
                out,
            );
            one_of(
                &[
                    ("token_env", c.token_env.is_some()),
                    ("token_file", c.token_file.is_some()),
                ],
                out,
            );
            if c.project.is_none() {
                out.push((c.name.span(), "jira channel needs project = \"KEY\"".into()));
            }
            let dc = c
                .flavor
                .as_ref()
                .is_some_and(|f| *f.get_ref() == JiraFlavor::Datacenter);
            if !dc && c.user.is_none() {
                out.push((
                    c.name.span(),
                    "Jira Cloud needs user = \"the account's e-mail\" (with the API token)".into(),
                ));
            }
            if let Some(p) = &c.project
                && !(p.get_ref().len() >= 2
                    && p.get_ref()
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'))
            {
                out.push((
                    p.span(),
                    format!("{:?} is not a Jira project key (like \"SEC\")", p.get_ref()),
                ));
            }
            for l in c.labels.iter().flat_map(|l| l.get_ref()) {
                if l.get_ref().is_empty() || l.get_ref().chars().any(char::is_whitespace) {
                    out.push((
                        l.span(),
                        format!(
                            "Jira labels cannot be empty or contain spaces: {:?}",
                            l.get_ref()
                        ),
                    ));
                }
            }
        }
        ChannelKind::Email => {
            for (v, what) in [(&c.smtp_host, "smtp_host"), (&c.from, "from")] {
                if v.is_none() {
                    out.push((c.name.span(), format!("email channel needs {what}")));
                }
            }
            match &c.to {
                None => out.push((
                    c.name.span(),
                    "email channel needs to = [\"soc@example.com\"]".into(),
                )),
                Some(to) if to.get_ref().is_empty() => {
                    out.push((to.span(), "to must list at least one address".into()))
                }
                Some(to) => {
                    for a in to.get_ref() {
                        if a.get_ref().parse::<lettre::Address>().is_err() {
                            out.push((
                                a.span(),
                                format!("{:?} is not an e-mail address", a.get_ref()),
                            ));
                        }
                    }
                }
            }
            if let Some(f) = &c.from
                && f.get_ref().parse::<lettre::message::Mailbox>().is_err()
            {
                out.push((
                    f.span(),
                    format!(
                        "{:?} is not a mailbox (\"Hubble <hubble@example.com>\")",
                        f.get_ref()
                    ),
                ));
            }
            if c.password_env.is_some() && c.password_file.is_some() {
                out.push((
                    c.name.span(),
                    "give only one of password_env, password_file".into(),
                ));
            }
            if (c.password_env.is_some() || c.password_file.is_some()) && c.username.is_none() {
                out.push((c.name.span(), "a password needs username".into()));
            }
        }
    }
    if let Some(u) = &c.url {
        super::sources::check_url(u, "url", out);
    }
    if let Some(r) = &c.rate_per_sec
        && !(r.get_ref().is_finite() && *r.get_ref() >= 0.0)
    {
        out.push((r.span(), "rate_per_sec must be 0 (no limit) or more".into()));
    }
    if let Some(n) = &c.concurrency
        && !(1..=64).contains(n.get_ref())
    {
        out.push((n.span(), "concurrency must be between 1 and 64".into()));
    }
}

fn check_rule(r: &RuleConfig, names: &[&str], text: &str, out: &mut Problems) {
    if let Err(e) = crate::filter::Filter::parse(r.when.get_ref()) {
        // At the column of the filter error, inside the string.
        let at = offset_in_string(text, &r.when.span(), e.column);
        out.push((at..at, format!("when: {}", e.message)));
    }
    let check_to = |list: &Spanned<Vec<Spanned<String>>>, key: &str, out: &mut Problems| {
        if list.get_ref().is_empty() {
            out.push((list.span(), format!("{key} must name at least one channel")));
        }
        for t in list.get_ref() {
            if !names.contains(&t.get_ref().as_str()) {
                out.push((t.span(), unknown_channel(t.get_ref(), names)));
            }
        }
    };
    check_to(&r.to, "to", out);
    if let Some(e) = &r.escalate_to {
        check_to(e, "escalate_to", out);
    }
    match (&r.escalate_after, &r.escalate_to) {
        (Some(a), None) => out.push((
            a.span(),
            "escalate_after needs escalate_to = [\"channel\"]".into(),
        )),
        (None, Some(t)) => out.push((
            t.span(),
            "escalate_to needs escalate_after = \"30m\"".into(),
        )),
        _ => {}
    }
    for (d, key) in [
        (&r.digest, "digest"),
        (&r.escalate_after, "escalate_after"),
        (&r.unhealthy_after, "unhealthy_after"),
    ] {
        if let Some(d) = d
            && parse_duration(d.get_ref()).is_none()
        {
            out.push((
                d.span(),
                format!(
                    "{key} {:?} is not a duration like \"30s\", \"15m\", \"2h\" or \"1d\"",
                    d.get_ref()
                ),
            ));
        }
    }
    if let Some(q) = &r.quiet_hours
        && parse_quiet_hours(q.get_ref()).is_none()
    {
        out.push((
            q.span(),
            format!(
                "quiet_hours {:?} is not a range like \"22:00-07:00\"",
                q.get_ref()
            ),
        ));
    }
    if let Some(events) = &r.events {
        if events.get_ref().is_empty() {
            out.push((events.span(), "events must list at least one event".into()));
        }
        for e in events.get_ref() {
            if !EVENTS.contains(&e.get_ref().as_str()) {
                let best = EVENTS
                    .iter()
                    .map(|k| (edit_distance(e.get_ref(), k), *k))
                    .min();
                let hint = match best {
                    Some((d, k)) if d <= 4 => format!("; did you mean {k:?}?"),
                    _ => format!(" (known: {})", EVENTS.join(", ")),
                };
                out.push((e.span(), format!("unknown event {:?}{hint}", e.get_ref())));
            }
        }
        let source = events
            .get_ref()
            .iter()
            .any(|e| e.get_ref() == "source.unhealthy");
        if source && r.unhealthy_after.is_none() {
            out.push((
                events.span(),
                "source.unhealthy needs unhealthy_after = \"15m\"".into(),
            ));
        }
    }
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
