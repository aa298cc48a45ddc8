//! Slack incoming webhook: Block Kit (header, a section with fields per item, a link button
//! to the cloud console, a context line) and the plain `text` fallback that notifications
//! show. Finding text is mrkdwn-escaped (`&`, `<`, `>`), which also disarms `<url|text>`
//! links and `<!channel>` mentions.

use serde_json::{Value, json};

use super::{Sender, classify, facts};
use crate::notify::escape::{bound, defang, slack as esc};
use crate::notify::message::{Item, Message};
use crate::notify::outbox::{Entry, Outcome};

/// Items shown one by one in a digest; the rest are counted.
const SHOWN: usize = 20;

fn item_blocks(item: &Item, digest: bool) -> Vec<Value> {
    let mut blocks = Vec::new();
    let head = if digest {
        format!("*{}* {}", item.event.as_str(), esc(&item.summary()))
    } else {
        format!("*{}*", esc(&item.summary()))
    };
    let fields: Vec<Value> = facts(item)
        .into_iter()
        .filter(|(k, _)| *k != "Event" || !digest)
        .take(10)
        .map(|(k, v)| json!({"type": "mrkdwn", "text": bound(&format!("*{k}:*\n{}", esc(&v)), 2000)}))
        .collect();
    let mut section =
        json!({"type": "section", "text": {"type": "mrkdwn", "text": bound(&head, 3000)}});
    if !digest && !fields.is_empty() {
        section["fields"] = Value::Array(fields);
    }
    blocks.push(section);
    if !digest
        && let Some(f) = &item.finding
        && !f.description.is_empty()
    {
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": bound(&esc(&f.description), 3000)}}));
    }
    let mut buttons = Vec::new();
    if let Some(f) = &item.finding {
        if let Some(u) = &f.url {
            buttons.push(json!({"type": "button", "text": {"type": "plain_text", "text": "Open finding"}, "url": u}));
        }
        if let Some(u) = &f.resource_url {
            buttons.push(json!({"type": "button", "text": {"type": "plain_text", "text": "Open resource"}, "url": u}));
        }
    }
    if !buttons.is_empty() {
        blocks.push(json!({"type": "actions", "elements": buttons}));
    }
    blocks
}

/// The request body.
pub fn payload(m: &Message, key: &str) -> Value {
    let digest = m.is_digest();
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": bound(&defang(&m.title()), 150)}}),
    ];
    for item in m.items.iter().take(SHOWN) {
        blocks.extend(item_blocks(item, digest));
    }
    if m.items.len() > SHOWN {
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("… and {} more", m.items.len() - SHOWN)}}));
    }
    let rule = m
        .items
        .first()
        .and_then(|i| i.rule.as_deref())
        .map(|r| format!(" · rule {}", esc(r)))
        .unwrap_or_default();
    blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": format!("agent-hubble{rule} · {key}")}]}));
    let first = m
        .items
        .first()
        .map(|i| format!(": {}", i.summary()))
        .unwrap_or_default();
    let text = if digest {
        format!("{}{first}", m.title())
    } else {
        format!(
            "{}{first}",
            m.items.first().map_or("", |i| i.event.heading())
        )
    };
    json!({"text": bound(&esc(&text), 3000), "blocks": blocks})
}

pub async fn send(s: &Sender, e: &Entry) -> Outcome {
    let Some(url) = &s.secrets.url else {
        return Outcome::Failed {
            reason: "no webhook URL".into(),
        };
    };
    let r = s
        .client
        .post(url)
        .json(&payload(&e.message, &e.key))
        .send()
        .await;
    classify(r, e.attempts, |_, body| {
        Some(crate::sanitize::bounded(body, 40).into_owned())
    })
    .await
}
