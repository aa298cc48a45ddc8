//! The generic signed webhook: a stable, versioned JSON envelope
//! (`schema: "agent-hubble.notification.v1"`) with the event type, the finding (or the
//! remediation item or source) and the idempotency key, signed with HMAC-SHA256 of the exact
//! body bytes: `X-Hubble-Signature-256: sha256=<hex>`, `X-Hubble-Timestamp` (Unix seconds)
//! and `X-Hubble-Idempotency-Key` (the same on every retry, so a receiver drops duplicates).

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Map, Value, json};
use sha2::Sha256;

use super::{Sender, classify};
use crate::model::format_rfc3339;
use crate::notify::message::{FindingInfo, Item, Message};
use crate::notify::outbox::{Entry, Outcome};

pub const SCHEMA: &str = "agent-hubble.notification.v1";

pub fn finding_json(f: &FindingInfo) -> Value {
    json!({
        "id": f.id,
        "provider": f.provider,
        "cloud": f.cloud,
        "account": f.account,
        "account_name": f.account_name,
        "region": f.region,
        "severity": f.severity.as_str(),
        "workflow": f.workflow.as_str(),
        "record_state": f.record_state,
        "compliance": f.compliance,
        "title": f.title,
        "description": f.description,
        "product": f.product,
        "control_id": f.control_id,
        "resource_type": f.resource_type,
        "resource": f.resource_id,
        "created_at": (f.created_at > 0).then(|| format_rfc3339(f.created_at)),
        "updated_at": (f.updated_at > 0).then(|| format_rfc3339(f.updated_at)),
        "url": f.url,
        "resource_url": f.resource_url,
    })
}

fn item_fields(item: &Item, out: &mut Map<String, Value>) {
    if let Some(r) = &item.rule {
        out.insert("rule".into(), json!(r));
    }
    if let Some(f) = &item.finding {
        out.insert("finding".into(), finding_json(f));
    }
    if let Some(r) = &item.remediation {
        out.insert(
            "remediation".into(),
            json!({"item_id": r.item_id, "state": r.state, "control": r.control, "document": r.document,
                   "account": r.account, "region": r.region, "resource": r.resource_id, "actor": r.actor, "note": r.note}),
        );
    }
    if let Some(s) = &item.source {
        out.insert(
            "source".into(),
            json!({"key": s.source, "state": s.state, "last_error": s.last_error, "failing_since": format_rfc3339(s.since)}),
        );
    }
    if let Some(n) = &item.note {
        out.insert("note".into(), json!(n));
    }
    if let Some(a) = &item.actor {
        out.insert("sent_by".into(), json!(a));
    }
}

/// The envelope; `key` is the entry's idempotency key.
pub fn envelope(m: &Message, key: &str) -> Value {
    let mut out = Map::new();
    out.insert("schema".into(), json!(SCHEMA));
    match (m.window, m.items.as_slice()) {
        (None, [one]) => {
            out.insert("event".into(), json!(one.event.as_str()));
            out.insert("id".into(), json!(key));
            out.insert("occurred_at".into(), json!(format_rfc3339(one.occurred_at)));
            item_fields(one, &mut out);
        }
        (window, items) => {
            out.insert("event".into(), json!("digest"));
            out.insert("id".into(), json!(key));
            let last = items.iter().map(|i| i.occurred_at).max().unwrap_or(0);
            out.insert("occurred_at".into(), json!(format_rfc3339(last)));
            if let Some(r) = items.first().and_then(|i| i.rule.as_ref()) {
                out.insert("rule".into(), json!(r));
            }
            if let Some((start, end)) = window {
                out.insert(
                    "window".into(),
                    json!({"start": format_rfc3339(start), "end": format_rfc3339(end)}),
                );
            }
            let list: Vec<Value> = items
                .iter()
                .map(|i| {
                    let mut m = Map::new();
                    m.insert("event".into(), json!(i.event.as_str()));
                    m.insert("id".into(), json!(i.key));
                    m.insert("occurred_at".into(), json!(format_rfc3339(i.occurred_at)));
                    item_fields(i, &mut m);
                    Value::Object(m)
                })
                .collect();
            out.insert("items".into(), Value::Array(list));
        }
    }
    out.insert("demo".into(), json!(m.demo));
    Value::Object(out)
}

/// `sha256=<hex HMAC-SHA256(secret, body)>`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key");
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

pub async fn send(s: &Sender, e: &Entry) -> Outcome {
    let (Some(url), Some(secret)) = (&s.secrets.url, &s.secrets.secret) else {
        return Outcome::Failed {
            reason: "no URL or secret".into(),
        };
    };
    let body = serde_json::to_vec(&envelope(&e.message, &e.key)).expect("envelope serialises");
    let r = s
        .client
        .post(url)
        .header("content-type", "application/json")
        .header(
            "x-hubble-signature-256",
            signature(secret.as_bytes(), &body),
        )
        .header(
            "x-hubble-timestamp",
            (crate::model::now_ms() / 1000).to_string(),
        )
        .header("x-hubble-idempotency-key", &e.key)
        .body(body)
        .send()
        .await;
    classify(r, e.attempts, |status, _| {
        Some(format!("HTTP {}", status.as_u16()))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_hex() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
