//! Jira tickets: Jira Cloud REST v3 (ADF description, Basic e-mail:API token) or Data Center
//! REST v2 (wiki-markup description with the untrusted text in `{noformat}`, Bearer personal
//! access token). An issue carries the labels `agent-hubble` and the entry's idempotency key,
//! so a retry after a crash first looks for its own label and never creates a second issue;
//! its description links back to the finding in its cloud console. The issue key is kept
//! with the finding; when the finding is resolved the issue takes the `done_transition`.

use serde_json::{Value, json};

use super::{SendContext, Sender, classify, facts, shown};
use crate::config::notify::JiraFlavor;
use crate::notify::escape::{bound, jira_label, jira_noformat};
use crate::notify::message::{EventKind, Item};
use crate::notify::outbox::{Entry, Outcome};

fn b64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            out.push(if i <= c.len() {
                T[(n >> (18 - 6 * i) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

struct Api<'a> {
    s: &'a Sender,
    base: String,
    v: &'static str,
    cloud: bool,
}

impl<'a> Api<'a> {
    fn new(s: &'a Sender) -> Result<Api<'a>, String> {
        let base = s.secrets.url.clone().ok_or("no Jira URL")?;
        let cloud = s
            .channel
            .config
            .flavor
            .as_ref()
            .is_none_or(|f| *f.get_ref() == JiraFlavor::Cloud);
        Ok(Api {
            s,
            base: base.trim_end_matches('/').to_string(),
            v: if cloud { "3" } else { "2" },
            cloud,
        })
    }

    fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let url = format!("{}/rest/api/{}{path}", self.base, self.v);
        let token = self.s.secrets.token.clone().unwrap_or_default();
        let auth = if self.cloud {
            let user = self
                .s
                .channel
                .config
                .user
                .as_ref()
                .map(|u| u.get_ref().clone())
                .unwrap_or_default();
            format!("Basic {}", b64(format!("{user}:{token}").as_bytes()))
        } else {
            format!("Bearer {token}")
        };
        self.s
            .client
            .request(method, url)
            .header("authorization", auth)
            .header("accept", "application/json")
    }

    fn project(&self) -> String {
        self.s
            .channel
            .config
            .project
            .as_ref()
            .map(|p| p.get_ref().clone())
            .unwrap_or_default()
    }

    fn browse(&self, key: &str) -> String {
        format!("{}/browse/{key}", self.base)
    }

    /// The issue labelled with `label`, if one exists.
    async fn find(&self, label: &str) -> Result<Option<String>, Outcome> {
        let jql = format!("project = {} AND labels = \"{label}\"", self.project());
        let r = if self.cloud {
            self.req(reqwest::Method::POST, "/search/jql")
                .json(&json!({"jql": jql, "fields": ["key"], "maxResults": 1}))
                .send()
                .await
        } else {
            self.req(reqwest::Method::POST, "/search")
                .json(&json!({"jql": jql, "fields": ["key"], "maxResults": 1}))
                .send()
                .await
        };
        let mut found = None;
        let out = classify(r, 1, |_, body| {
            found = serde_json::from_str::<Value>(body)
                .ok()
                .and_then(|v| v["issues"][0]["key"].as_str().map(str::to_owned));
            None
        })
        .await;
        match out {
            Outcome::Sent { .. } => Ok(found),
            other => Err(other),
        }
    }
}

fn text(t: &str) -> Value {
    json!({"type": "text", "text": if t.is_empty() { " " } else { t }})
}

/// The ADF document of a v3 description.
pub fn adf(item: &Item, key: &str, demo: bool) -> Value {
    let mut content = vec![
        json!({"type": "paragraph", "content": [text(&format!("{}{}", if demo { "[DEMO] " } else { "" }, item.summary()))]}),
    ];
    let list: Vec<Value> = facts(item)
        .into_iter()
        .map(|(k, v)| {
            json!({"type": "listItem", "content": [{"type": "paragraph", "content": [
                {"type": "text", "text": format!("{k}: "), "marks": [{"type": "strong"}]},
                text(&bound(&v, 500))
            ]}]})
        })
        .collect();
    content.push(json!({"type": "bulletList", "content": list}));
    if let Some(f) = &item.finding {
        if !f.description.is_empty() {
            content.push(json!({"type": "paragraph", "content": [text(&f.description)]}));
        }
        let links: Vec<Value> = [(f.url.as_ref(), "Open the finding in its console"), (f.resource_url.as_ref(), "Open the resource")]
            .into_iter()
            .filter_map(|(u, t)| u.map(|u| json!({"type": "paragraph", "content": [{"type": "text", "text": t, "marks": [{"type": "link", "attrs": {"href": u}}]}]})))
            .collect();
        content.extend(links);
    }
    content.push(json!({"type": "paragraph", "content": [text(&format!("Created by agent-hubble (idempotency key {key})."))]}));
    json!({"type": "doc", "version": 1, "content": content})
}

/// The wiki-markup description of a v2 issue.
pub fn wiki(item: &Item, key: &str, demo: bool) -> String {
    let mut body = String::new();
    if demo {
        body.push_str("[DEMO] ");
    }
    body.push_str("Reported by agent-hubble.\n{noformat}\n");
    body.push_str(&jira_noformat(&item.summary()));
    body.push('\n');
    for (k, v) in facts(item) {
        body.push_str(&format!("{k}: {}\n", jira_noformat(&bound(&v, 500))));
    }
    if let Some(f) = &item.finding
        && !f.description.is_empty()
    {
        body.push_str(&format!("\n{}\n", jira_noformat(&f.description)));
    }
    body.push_str("{noformat}\n");
    if let Some(u) = item.finding.as_ref().and_then(|f| f.url.as_ref()) {
        body.push_str(&format!("[Open the finding in its console|{u}]\n"));
    }
    body.push_str(&format!("Idempotency key: {key}\n"));
    body
}

/// The create-issue request body.
pub fn create_body(s: &Sender, item: &Item, key: &str, demo: bool, cloud: bool) -> Value {
    let c = &s.channel.config;
    let mut labels = vec!["agent-hubble".to_string(), key.to_string()];
    if let Some(ctl) = item.finding.as_ref().and_then(|f| f.control_id.as_ref()) {
        labels.push(jira_label(ctl));
    }
    for l in c.labels.iter().flat_map(|l| l.get_ref()) {
        labels.push(jira_label(l.get_ref()));
    }
    labels.dedup();
    let summary = format!("{}{}", if demo { "[DEMO] " } else { "" }, item.summary());
    json!({"fields": {
        "project": {"key": c.project.as_ref().map(|p| p.get_ref().clone()).unwrap_or_default()},
        "issuetype": {"name": c.issue_type.as_ref().map_or("Task".to_string(), |t| t.get_ref().clone())},
        "summary": bound(&summary.replace(['\n', '\r'], " "), 250),
        "labels": labels,
        "description": if cloud { adf(item, key, demo) } else { Value::String(wiki(item, key, demo)) },
    }})
}

fn issue_ref(api: &Api, key: &str) -> Option<String> {
    Some(format!("issue:{key} {}", api.browse(key)))
}

async fn comment(api: &Api<'_>, issue: &str, item: &Item, e: &Entry) -> Outcome {
    let line = format!("{}: {}", item.event.heading(), item.summary());
    let body = if api.cloud {
        json!({"body": {"type": "doc", "version": 1, "content": [
            {"type": "paragraph", "content": [text(&bound(&line, 2000))]},
            {"type": "paragraph", "content": [text(&format!("agent-hubble {}", e.key))]}]}})
    } else {
        json!({"body": format!("{{noformat}}\n{}\n{{noformat}}\nagent-hubble {}", jira_noformat(&bound(&line, 2000)), e.key)})
    };
    let r = api
        .req(reqwest::Method::POST, &format!("/issue/{issue}/comment"))
        .json(&body)
        .send()
        .await;
    classify(r, e.attempts, |_, _| Some(format!("comment on {issue}"))).await
}

async fn transition(api: &Api<'_>, issue: &str, e: &Entry) -> Outcome {
    let want = api
        .s
        .channel
        .config
        .done_transition
        .as_ref()
        .map_or("Done".to_string(), |t| t.get_ref().clone());
    let r = api
        .req(reqwest::Method::GET, &format!("/issue/{issue}/transitions"))
        .send()
        .await;
    let mut list = Value::Null;
    let got = classify(r, e.attempts, |_, body| {
        list = serde_json::from_str(body).unwrap_or(Value::Null);
        None
    })
    .await;
    if !matches!(got, Outcome::Sent { .. }) {
        return got;
    }
    let id = list["transitions"].as_array().and_then(|ts| {
        ts.iter()
            .find(|t| {
                t["id"].as_str() == Some(&want)
                    || t["name"]
                        .as_str()
                        .is_some_and(|n| n.eq_ignore_ascii_case(&want))
            })
            .and_then(|t| t["id"].as_str().map(str::to_owned))
    });
    let Some(id) = id else {
        // Already there (Jira offers no transition to the current status), or renamed.
        return Outcome::Sent {
            reference: Some(format!(
                "issue:{issue} (no {want:?} transition offered; left as is)"
            )),
        };
    };
    let r = api
        .req(
            reqwest::Method::POST,
            &format!("/issue/{issue}/transitions"),
        )
        .json(&json!({"transition": {"id": id}}))
        .send()
        .await;
    classify(r, e.attempts, |_, _| Some(format!("issue:{issue}"))).await
}

pub async fn send(s: &Sender, e: &Entry, ctx: &SendContext) -> Outcome {
    let api = match Api::new(s) {
        Ok(a) => a,
        Err(reason) => return Outcome::Failed { reason },
    };
    let Some(item) = e.message.items.first() else {
        return Outcome::Sent { reference: None };
    };
    let remediation = matches!(
        item.event,
        EventKind::RemediationProposed
            | EventKind::RemediationApproved
            | EventKind::RemediationSucceeded
            | EventKind::RemediationFailed
    );
    match (item.event, &ctx.ticket) {
        (EventKind::Resolved, Some(issue)) => transition(&api, issue, e).await,
        (EventKind::Resolved, None) => Outcome::Sent {
            reference: Some("no issue to resolve".into()),
        },
        (EventKind::Matched | EventKind::Ticket, Some(issue)) => Outcome::Sent {
            reference: Some(format!("already ticketed as {issue}")),
        },
        (_, Some(issue)) => comment(&api, issue, item, e).await,
        (_, None) if remediation => Outcome::Sent {
            reference: Some("no issue to comment on".into()),
        },
        (_, None) => {
            // After an attempt without a definite answer, the issue may exist: look for the
            // entry's label first.
            if ctx.previous_attempts > 0 {
                match api.find(&e.key).await {
                    Ok(Some(issue)) => {
                        return Outcome::Sent {
                            reference: issue_ref(&api, &issue),
                        };
                    }
                    Ok(None) => {}
                    Err(o) => return o,
                }
            }
            let body = create_body(s, item, &e.key, e.message.demo, api.cloud);
            let r = api
                .req(reqwest::Method::POST, "/issue")
                .json(&body)
                .send()
                .await;
            let mut key = None;
            let out = classify(r, e.attempts, |_, body| {
                key = serde_json::from_str::<Value>(body)
                    .ok()
                    .and_then(|v| v["key"].as_str().map(str::to_owned));
                None
            })
            .await;
            match (out, key) {
                (Outcome::Sent { .. }, Some(k)) => Outcome::Sent {
                    reference: issue_ref(&api, &k),
                },
                (Outcome::Sent { .. }, None) => Outcome::Failed {
                    reason: "Jira answered without an issue key".into(),
                },
                (other, _) => other,
            }
        }
    }
}

/// Checks the credentials and the project; creates nothing.
pub async fn test(s: &Sender) -> Result<String, String> {
    let api = Api::new(s)?;
    let who = api
        .req(reqwest::Method::GET, "/myself")
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = who.status();
    let body = who.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(format!("credentials refused: {}", shown(status, &body)));
    }
    let me: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let name = me["emailAddress"]
        .as_str()
        .or(me["displayName"].as_str())
        .unwrap_or("?")
        .to_string();
    let p = api
        .req(reqwest::Method::GET, &format!("/project/{}", api.project()))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = p.status();
    let body = p.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(format!(
            "project {}: {}",
            api.project(),
            shown(status, &body)
        ));
    }
    let proj: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    Ok(format!(
        "authenticated as {}; project {} ({}) found; nothing created",
        crate::sanitize::bounded(&name, 100),
        api.project(),
        crate::sanitize::bounded(proj["name"].as_str().unwrap_or(""), 100)
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64() {
        assert_eq!(
            super::b64(b"hubble@example.com:hubble-api-token"),
            "aHViYmxlQGV4YW1wbGUuY29tOmh1YmJsZS1hcGktdG9rZW4="
        );
        assert_eq!(super::b64(b"ab"), "YWI=");
    }
}
