//! PagerDuty Events API v2: `trigger` with a stable `dedup_key` per finding (every rule and
//! the escalation reuse it, so PagerDuty keeps one alert), `resolve` with the same key when
//! the finding is resolved. Severity: CRITICAL → critical, HIGH → error, MEDIUM → warning,
//! LOW and INFORMATIONAL → info. Never held by quiet hours.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Sender, classify, facts};
use crate::model::{Severity, format_rfc3339};
use crate::notify::escape::{bound, plain};
use crate::notify::message::{EventKind, Item, Message, dedup_key};
use crate::notify::outbox::{Entry, Outcome};

pub const EVENTS_URL: &str = "https://events.pagerduty.com/v2/enqueue";

pub fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Informational => "info",
    }
}

fn hashed(prefix: &str, s: &str) -> String {
    let d = Sha256::digest(s.as_bytes());
    let hex: String = d.iter().take(20).map(|b| format!("{b:02x}")).collect();
    format!("agent-hubble-{prefix}-{hex}")
}

/// The alert an item belongs to.
pub fn dedup(item: &Item) -> String {
    if let Some(r) = &item.remediation {
        return hashed("rem", &r.item_id);
    }
    if let Some(f) = &item.finding {
        return dedup_key(&f.id);
    }
    if let Some(s) = &item.source {
        return hashed("src", &s.source);
    }
    hashed("test", &item.key)
}

fn action(item: &Item) -> &'static str {
    match item.event {
        EventKind::Resolved | EventKind::RemediationSucceeded => "resolve",
        _ => "trigger",
    }
}

/// The event for one item.
pub fn event(item: &Item, routing_key: &str, demo: bool) -> Value {
    let key = dedup(item);
    let act = action(item);
    if act == "resolve" {
        return json!({"routing_key": routing_key, "event_action": "resolve", "dedup_key": key});
    }
    let f = item.finding.as_ref();
    let demo = if demo { "[DEMO] " } else { "" };
    let source = f
        .map(|f| format!("{}/{}", f.account, f.region))
        .or_else(|| item.source.as_ref().map(|s| s.source.clone()))
        .filter(|s| s != "/")
        .unwrap_or_else(|| "agent-hubble".into());
    let mut details = serde_json::Map::new();
    for (k, v) in facts(item) {
        details.insert(
            k.to_ascii_lowercase().replace(' ', "_"),
            json!(bound(&plain(&v), 500)),
        );
    }
    details.insert("idempotency_key".into(), json!(item.key));
    if let Some(f) = f {
        details.insert("finding_id".into(), json!(f.id));
        details.insert("title".into(), json!(bound(&plain(&f.title), 500)));
    }
    let mut payload = json!({
        "summary": bound(&format!("{demo}{}", plain(&item.summary())), 1024),
        "source": bound(&plain(&source), 255),
        "severity": severity(item.severity()),
        "timestamp": format_rfc3339(item.occurred_at),
        "custom_details": details,
    });
    if let Some(f) = f {
        if !f.resource_type.is_empty() {
            payload["component"] = json!(bound(&f.resource_type, 255));
        }
        if let Some(c) = &f.control_id {
            payload["class"] = json!(c);
            payload["group"] = json!(c.split('.').next().unwrap_or(c));
        } else if !f.product.is_empty() {
            payload["group"] = json!(bound(&f.product, 255));
        }
    }
    let mut ev = json!({
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": key,
        "payload": payload,
        "client": "agent-hubble",
    });
    let links: Vec<Value> = f
        .into_iter()
        .flat_map(|f| {
            [
                (f.url.as_ref(), "Finding in its console"),
                (f.resource_url.as_ref(), "Resource in its console"),
            ]
        })
        .filter_map(|(u, t)| u.map(|u| json!({"href": u, "text": t})))
        .collect();
    if !links.is_empty() {
        ev["links"] = Value::Array(links);
    }
    ev
}

async fn post(s: &Sender, body: &Value, attempts: u32) -> Outcome {
    let url = s
        .secrets
        .url
        .clone()
        .unwrap_or_else(|| EVENTS_URL.to_string());
    let r = s.client.post(url).json(body).send().await;
    classify(r, attempts, |_, body| {
        serde_json::from_str::<Value>(body)
            .ok()
            .and_then(|v| v["dedup_key"].as_str().map(|k| format!("dedup_key {k}")))
    })
    .await
}

pub async fn send(s: &Sender, e: &Entry) -> Outcome {
    let Some(rk) = &s.secrets.routing_key else {
        return Outcome::Failed {
            reason: "no routing key".into(),
        };
    };
    // PagerDuty messages are never batched; should a digest reach here, each item goes.
    let mut last = Outcome::Sent { reference: None };
    for item in &e.message.items {
        last = post(s, &event(item, rk, e.message.demo), e.attempts).await;
        if !matches!(last, Outcome::Sent { .. }) {
            return last;
        }
    }
    last
}

/// A test alert, resolved at once.
pub async fn test(s: &Sender, e: &Entry) -> Result<String, String> {
    let Some(rk) = &s.secrets.routing_key else {
        return Err("no routing key".into());
    };
    let Some(item) = e.message.items.first() else {
        return Err("empty message".into());
    };
    let m = Message::single(item.clone(), e.message.demo);
    let trigger = event(&m.items[0], rk, m.demo);
    let resolve = json!({"routing_key": rk, "event_action": "resolve", "dedup_key": dedup(item)});
    for body in [trigger, resolve] {
        match post(s, &body, 1).await {
            Outcome::Sent { .. } => {}
            Outcome::Retry { reason, .. } => return Err(format!("not delivered: {reason}")),
            Outcome::Failed { reason } => return Err(format!("refused: {reason}")),
        }
    }
    Ok(format!("test alert {} triggered and resolved", dedup(item)))
}
