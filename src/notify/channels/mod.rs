//! One file per channel kind: each renders the stored message in its documented format and
//! sends it. Answers are classified the same way everywhere: 2xx sent; 429 waits for
//! Retry-After (the whole channel pauses); timeouts, 408 and 5xx retry with exponential
//! backoff and jitter; any other 4xx is permanent and its (sanitised) answer is shown.

pub mod email;
pub mod jira;
pub mod pagerduty;
pub mod slack;
pub mod teams;
pub mod webhook;

use std::time::Duration;

use rand::Rng;

use super::message::Item;
use super::outbox::{Entry, Outcome};
use super::settings::Channel;
use crate::config::notify::{ChannelKind, secret_refs};

/// The secrets a channel needs, read from the environment or 0600 files.
#[derive(Clone, Default)]
pub struct Secrets {
    pub url: Option<String>,
    pub secret: Option<String>,
    pub routing_key: Option<String>,
    pub token: Option<String>,
    pub password: Option<String>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(…)")
    }
}

impl Secrets {
    pub fn read(c: &Channel) -> Result<Secrets, String> {
        let mut s = Secrets::default();
        for (what, r, _) in secret_refs(&c.config) {
            let v = r
                .read()
                .map_err(|e| format!("channel {}: {what}: {e}", c.name))?;
            match what {
                "url" => s.url = Some(v),
                "secret" => s.secret = Some(v),
                "routing_key" => s.routing_key = Some(v),
                "token" => s.token = Some(v),
                _ => s.password = Some(v),
            }
        }
        if s.url.is_none() {
            s.url = c.config.url.as_ref().map(|u| u.get_ref().clone());
        }
        Ok(s)
    }
}

/// What a send may need to know besides the message.
#[derive(Debug, Clone, Default)]
pub struct SendContext {
    /// The finding's existing issue on this (Jira) channel.
    pub ticket: Option<String>,
    /// Attempts before this one (a Jira create then first looks for its own label).
    pub previous_attempts: u32,
}

/// A channel ready to send: its secrets read and its client built.
pub struct Sender {
    pub channel: Channel,
    pub secrets: Secrets,
    pub client: reqwest::Client,
    email: Option<email::Smtp>,
}

impl Sender {
    pub fn new(channel: &Channel) -> Result<Sender, String> {
        let secrets = Secrets::read(channel)?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(channel.timeout_ms))
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("agent-hubble/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("channel {}: {e}", channel.name))?;
        let email = match channel.kind {
            ChannelKind::Email => Some(email::Smtp::new(channel, &secrets)?),
            _ => None,
        };
        Ok(Sender {
            channel: channel.clone(),
            secrets,
            client,
            email,
        })
    }

    pub async fn send(&self, entry: &Entry, ctx: &SendContext) -> Outcome {
        match self.channel.kind {
            ChannelKind::Slack => slack::send(self, entry).await,
            ChannelKind::Teams => teams::send(self, entry).await,
            ChannelKind::Webhook => webhook::send(self, entry).await,
            ChannelKind::Pagerduty => pagerduty::send(self, entry).await,
            ChannelKind::Jira => jira::send(self, entry, ctx).await,
            ChannelKind::Email => match &self.email {
                Some(e) => e.send(entry).await,
                None => Outcome::Failed {
                    reason: "e-mail transport missing".into(),
                },
            },
        }
    }

    /// `notify test`: a test message (Jira: checks the credentials and the project, creates
    /// nothing). Ok(what the receiver said) or Err(why not).
    pub async fn test(&self, entry: &Entry) -> Result<String, String> {
        if self.channel.kind == ChannelKind::Jira {
            return jira::test(self).await;
        }
        if self.channel.kind == ChannelKind::Pagerduty {
            return pagerduty::test(self, entry).await;
        }
        match self.send(entry, &SendContext::default()).await {
            Outcome::Sent { reference } => Ok(reference.unwrap_or_else(|| "accepted".into())),
            Outcome::Retry { reason, .. } => Err(format!("not delivered (would retry): {reason}")),
            Outcome::Failed { reason } => Err(format!("refused: {reason}")),
        }
    }
}

/// Label/value facts of an item, unescaped (each format escapes them), empty ones left out.
pub fn facts(item: &Item) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = vec![("Event", item.event.as_str().to_string())];
    if let Some(f) = &item.finding {
        out.extend([
            ("Severity", f.severity.as_str().to_string()),
            ("Account", f.account_label()),
            ("Region", f.region.clone()),
            ("Resource", f.resource_id.clone()),
            ("Type", f.resource_type.clone()),
            ("Control", f.control_id.clone().unwrap_or_default()),
            ("Workflow", f.workflow.as_str().to_string()),
            ("Product", f.product.clone()),
        ]);
    }
    if let Some(r) = &item.remediation {
        out.extend([
            (
                "Remediation",
                format!(
                    "{} ({})",
                    r.state,
                    r.item_id.chars().take(8).collect::<String>()
                ),
            ),
            ("Runbook", r.document.clone()),
            ("Target", format!("{}/{}", r.account, r.region)),
            ("By", r.actor.clone()),
        ]);
        if !r.note.is_empty() {
            out.push(("Note", r.note.clone()));
        }
    }
    if let Some(s) = &item.source {
        out.extend([
            ("Source", s.source.clone()),
            ("State", s.state.clone()),
            ("Failing since", crate::model::format_rfc3339(s.since)),
            ("Last error", s.last_error.clone().unwrap_or_default()),
        ]);
    }
    if let Some(r) = &item.rule {
        out.push(("Rule", r.clone()));
    }
    if let Some(n) = &item.note {
        out.push(("Note", n.clone()));
    }
    if let Some(a) = &item.actor {
        out.push(("Sent by", a.clone()));
    }
    out.retain(|(_, v)| !v.is_empty());
    out
}

/// Exponential backoff with jitter: 2 s, 4 s, 8 s … up to 10 minutes, each 50–100 %.
pub fn backoff(attempts: u32) -> i64 {
    let base = 2_000i64.saturating_mul(1 << attempts.clamp(1, 20).saturating_sub(1));
    let capped = base.min(600_000);
    rand::rng().random_range(capped / 2..=capped)
}

/// Retry-After as seconds or an HTTP date, in ms (at most an hour).
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<i64> {
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    let ms = match v.parse::<f64>() {
        Ok(s) if s >= 0.0 => (s * 1000.0) as i64,
        _ => {
            let t = time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc2822)
                .ok()?;
            (t.unix_timestamp() * 1000 - crate::model::now_ms()).max(0)
        }
    };
    Some(ms.clamp(0, 3_600_000))
}

/// A receiver's answer, sanitised and bounded, for the outbox view.
pub fn shown(status: reqwest::StatusCode, body: &str) -> String {
    let body = crate::sanitize::bounded(body, 300);
    if body.is_empty() {
        format!("HTTP {}", status.as_u16())
    } else {
        format!("HTTP {}: {body}", status.as_u16())
    }
}

/// The usual classification of an HTTP answer; `ok` gives the reference of a success.
pub async fn classify(
    result: Result<reqwest::Response, reqwest::Error>,
    attempts: u32,
    ok: impl FnOnce(reqwest::StatusCode, &str) -> Option<String>,
) -> Outcome {
    let resp = match result {
        Ok(r) => r,
        Err(e) => {
            let what = if e.is_timeout() {
                "timed out (the receiver may have it; the retry carries the same idempotency key)"
            } else if e.is_connect() {
                "cannot connect"
            } else {
                "request failed"
            };
            return Outcome::Retry {
                after_ms: backoff(attempts),
                reason: format!(
                    "{what}: {}",
                    crate::sanitize::bounded(&error_chain(&e), 300)
                ),
                pause: false,
            };
        }
    };
    let status = resp.status();
    let wait = retry_after(resp.headers());
    let body = resp.text().await.unwrap_or_default();
    if status.is_success() {
        return Outcome::Sent {
            reference: ok(status, &body),
        };
    }
    let reason = shown(status, &body);
    match status.as_u16() {
        429 => Outcome::Retry {
            after_ms: wait.unwrap_or_else(|| backoff(attempts)),
            reason,
            pause: true,
        },
        408 | 425 | 500..=599 => Outcome::Retry {
            after_ms: wait
                .unwrap_or_else(|| backoff(attempts))
                .max(backoff(attempts) / 4),
            reason,
            pause: false,
        },
        _ => Outcome::Failed { reason },
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_caps() {
        for a in 1..30 {
            let b = backoff(a);
            let cap = (2_000i64 << (a.min(20) - 1)).min(600_000);
            assert!(b >= cap / 2 && b <= cap, "{a}: {b}");
        }
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("retry-after", "3".parse().unwrap());
        assert_eq!(retry_after(&h), Some(3000));
    }
}
