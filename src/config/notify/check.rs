//! Validation of `[notify]` with positions: every problem of every channel and rule at its
//! file:line:col, all in one run (a filter error points into the `when` string).

use super::*;

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
        crate::config::sources::check_url(u, "url", out);
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
