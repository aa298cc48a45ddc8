//! Microsoft Teams through a Workflows webhook ("When a Teams webhook request is received"):
//! an Adaptive Card 1.4 in a `message` attachment (Workflows take Adaptive Cards only, not
//! the retired MessageCard). Text is Markdown-escaped, bounded under the ~28 KB limit, and
//! the only links are Action.OpenUrl buttons to cloud console hosts.

use serde_json::{Value, json};

use super::{Sender, classify, facts};
use crate::notify::escape::{bound, card as esc};
use crate::notify::message::{Item, Message};
use crate::notify::outbox::{Entry, Outcome};

const SHOWN: usize = 15;

fn item_elements(item: &Item, digest: bool) -> Vec<Value> {
    let mut out = vec![json!({
        "type": "TextBlock",
        "text": bound(&esc(&item.summary()), 500),
        "weight": "Bolder",
        "wrap": true
    })];
    let facts: Vec<Value> = facts(item)
        .into_iter()
        .map(|(k, v)| json!({"title": k, "value": bound(&esc(&v), 400)}))
        .collect();
    out.push(json!({"type": "FactSet", "facts": facts}));
    if !digest
        && let Some(f) = &item.finding
        && !f.description.is_empty()
    {
        out.push(json!({"type": "TextBlock", "text": bound(&esc(&f.description), 1500), "wrap": true, "isSubtle": true}));
    }
    if digest && let Some(u) = item.finding.as_ref().and_then(|f| f.url.as_ref()) {
        out.push(json!({"type": "ActionSet", "actions": [{"type": "Action.OpenUrl", "title": "Open finding", "url": u}]}));
    }
    out
}

/// The request body.
pub fn payload(m: &Message, key: &str) -> Value {
    let digest = m.is_digest();
    let mut body = vec![json!({
        "type": "TextBlock",
        "size": "Large",
        "weight": "Bolder",
        "text": bound(&esc(&m.title()), 200),
        "wrap": true
    })];
    for item in m.items.iter().take(SHOWN) {
        body.extend(item_elements(item, digest));
    }
    if m.items.len() > SHOWN {
        body.push(json!({"type": "TextBlock", "text": format!("… and {} more", m.items.len() - SHOWN), "wrap": true}));
    }
    body.push(json!({"type": "TextBlock", "text": format!("agent\\-hubble · {}", esc(key)), "isSubtle": true, "size": "Small", "wrap": true}));
    let mut actions = Vec::new();
    if !digest && let Some(f) = m.items.first().and_then(|i| i.finding.as_ref()) {
        if let Some(u) = &f.url {
            actions.push(json!({"type": "Action.OpenUrl", "title": "Open finding", "url": u}));
        }
        if let Some(u) = &f.resource_url {
            actions.push(json!({"type": "Action.OpenUrl", "title": "Open resource", "url": u}));
        }
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": body,
                "actions": actions
            }
        }]
    })
}

pub async fn send(s: &Sender, e: &Entry) -> Outcome {
    let Some(url) = &s.secrets.url else {
        return Outcome::Failed {
            reason: "no Workflows URL".into(),
        };
    };
    let r = s
        .client
        .post(url)
        .json(&payload(&e.message, &e.key))
        .send()
        .await;
    classify(r, e.attempts, |status, _| {
        Some(format!("HTTP {}", status.as_u16()))
    })
    .await
}
