//! Each channel's sender against the local receivers (tests/emulators/notify_receivers.py,
//! smtp_server.py): the PagerDuty alert resolved under its dedup key, the Jira issue moved to
//! Done on resolve, hostile finding text escaped for Slack, a wrong webhook secret and a
//! permanent SMTP refusal shown as failures, a temporary one retried.

mod support;

use std::path::Path;
use std::sync::Arc;

use agent_hubble::config::Config;
use agent_hubble::model::{Finding, Severity};
use agent_hubble::notify::channels::{SendContext, Sender};
use agent_hubble::notify::message::{
    EventKind, FindingInfo, Item, Message, dedup_key, external_key,
};
use agent_hubble::notify::outbox::{Entry, Outcome, State};
use agent_hubble::notify::settings::Settings;
use agent_hubble::sources::memory::sample_finding;
use serde_json::{Value, json};
use support::emulator::Emulator;

fn sender(toml: &str, name: &str) -> Sender {
    let cfg = Config::parse(toml, Path::new("t.toml")).expect("config");
    let settings = Settings::from_config(&cfg.notify).expect("settings");
    Sender::new(settings.channel(name).expect("channel")).expect("sender")
}

fn finding(title: &str) -> Arc<Finding> {
    let mut f = sample_finding(7, 1_767_268_800_000);
    f.severity = Severity::Critical;
    f.title = title.into();
    Arc::new(f)
}

fn entry(channel: &str, event: EventKind, f: &Finding) -> Entry {
    let raw = format!("rule|{}|{}|{channel}", event.as_str(), f.id);
    let key = match channel {
        "oncall" => dedup_key(&f.id),
        _ => external_key(&raw),
    };
    let item = Item {
        event,
        key: key.clone(),
        occurred_at: 1_767_268_800_000,
        rule: Some("new criticals".into()),
        finding: Some(FindingInfo::from_finding(f)),
        remediation: None,
        source: None,
        note: None,
        actor: None,
    };
    Entry {
        id: 1,
        key,
        raw_key: raw,
        channel: channel.into(),
        rule: item.rule.clone(),
        event: event.as_str().into(),
        finding_id: Some(f.id.clone()),
        message: Message::single(item, false),
        state: State::Sending,
        attempts: 1,
        not_before: 0,
        lease_owner: None,
        created_at: 0,
        updated_at: 0,
        sent_at: None,
        last_error: None,
        reference: None,
    }
}

async fn messages(rx: &Emulator, service: &str) -> Vec<Value> {
    rx.get(&format!("/_emu/notify/messages?service={service}"))
        .await["messages"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn pagerduty_triggers_once_per_finding_and_resolves_under_the_same_dedup_key() {
    let rx = Emulator::start("notify_receivers.py", &[]);
    unsafe { std::env::set_var("HUBBLE_T_PD_KEY", "R0123456789abcdef0123456789abcde") };
    let s = sender(
        &format!(
            "[[notify.channel]]\nname = \"oncall\"\nkind = \"pagerduty\"\nurl = \"{}/v2/enqueue\"\nrouting_key_env = \"HUBBLE_T_PD_KEY\"\n",
            rx.url
        ),
        "oncall",
    );
    let f = finding("Security group allows 0.0.0.0/0 to port 22");
    for ev in [EventKind::Matched, EventKind::Escalated] {
        let out = s
            .send(&entry("oncall", ev, &f), &SendContext::default())
            .await;
        assert!(matches!(out, Outcome::Sent { .. }), "{ev:?}: {out:?}");
    }
    let incidents = rx.get("/_emu/notify/pagerduty/incidents").await["incidents"].clone();
    assert_eq!(incidents.as_array().unwrap().len(), 1, "{incidents}");
    assert_eq!(incidents[0]["status"], "triggered");
    assert_eq!(incidents[0]["trigger_count"], 2);
    let out = s
        .send(
            &entry("oncall", EventKind::Resolved, &f),
            &SendContext::default(),
        )
        .await;
    assert!(matches!(out, Outcome::Sent { .. }), "{out:?}");
    let incidents = rx.get("/_emu/notify/pagerduty/incidents").await["incidents"].clone();
    assert_eq!(incidents.as_array().unwrap().len(), 1);
    assert_eq!(incidents[0]["status"], "resolved");
    assert_eq!(incidents[0]["dedup_key"], dedup_key(&f.id).as_str());
    let trigger = &messages(&rx, "pagerduty").await[0]["body"];
    assert_eq!(trigger["payload"]["severity"], "critical");
    assert!(trigger["payload"]["summary"].as_str().unwrap().len() <= 1024);
}

#[tokio::test]
async fn jira_creates_an_adf_issue_and_moves_it_to_done_on_resolve() {
    let rx = Emulator::start("notify_receivers.py", &[]);
    unsafe { std::env::set_var("HUBBLE_T_JIRA", "hubble-api-token") };
    let s = sender(
        &format!(
            "[[notify.channel]]\nname = \"tickets\"\nkind = \"jira\"\nurl = \"{}/jira\"\nuser = \"hubble@example.com\"\ntoken_env = \"HUBBLE_T_JIRA\"\nproject = \"SEC\"\nlabels = [\"soc\"]\n",
            rx.url
        ),
        "tickets",
    );
    let f = finding("Bucket <b>public</b> {code} [link|http://evil.example]");
    let created = s
        .send(
            &entry("tickets", EventKind::Ticket, &f),
            &SendContext::default(),
        )
        .await;
    let Outcome::Sent {
        reference: Some(reference),
    } = created
    else {
        panic!("{created:?}")
    };
    assert!(reference.starts_with("issue:SEC-1 "), "{reference}");
    let issues = rx.get("/_emu/notify/jira/issues?site=cloud").await["issues"].clone();
    let issue = &issues[0];
    assert_eq!(issue["description"]["type"], "doc");
    assert_eq!(issue["description"]["version"], 1);
    let labels: Vec<&str> = issue["labels"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(labels.contains(&"soc"), "{labels:?}");
    assert!(labels.iter().any(|l| l.starts_with("hb1-")), "{labels:?}");
    assert!(labels.iter().all(|l| !l.contains(' ')));
    // Resolved: the issue takes the Done transition.
    let ctx = SendContext {
        ticket: Some("SEC-1".into()),
        previous_attempts: 0,
    };
    let out = s
        .send(&entry("tickets", EventKind::Resolved, &f), &ctx)
        .await;
    assert!(matches!(out, Outcome::Sent { .. }), "{out:?}");
    let issues = rx.get("/_emu/notify/jira/issues?site=cloud").await["issues"].clone();
    assert_eq!(issues[0]["status"], "Done", "{}", issues[0]);
    assert_eq!(issues.as_array().unwrap().len(), 1, "no second issue");
}

#[tokio::test]
async fn slack_escapes_hostile_finding_text_and_a_wrong_webhook_secret_fails_with_the_answer() {
    let rx = Emulator::start("notify_receivers.py", &[]);
    rx.post(
        "/_emu/notify/webhook-secrets",
        json!({"name": "siem", "secret": "right"}),
    )
    .await;
    unsafe {
        std::env::set_var(
            "HUBBLE_T_SLACK",
            format!("{}/slack/services/T000/B000/XXXX", rx.url),
        );
        std::env::set_var("HUBBLE_T_SECRET", "wrong");
    }
    let toml = format!(
        "[[notify.channel]]\nname = \"soc-slack\"\nkind = \"slack\"\nurl_env = \"HUBBLE_T_SLACK\"\n\
         [[notify.channel]]\nname = \"siem\"\nkind = \"webhook\"\nurl = \"{}/webhook/siem\"\nsecret_env = \"HUBBLE_T_SECRET\"\n",
        rx.url
    );
    let f = finding("<!channel> *pwned* <https://evil.example|click> \u{1b}[2J\u{202e}gnp.exe");
    let slack = sender(&toml, "soc-slack");
    let out = slack
        .send(
            &entry("soc-slack", EventKind::Matched, &f),
            &SendContext::default(),
        )
        .await;
    assert!(matches!(out, Outcome::Sent { .. }), "{out:?}");
    let body = messages(&rx, "slack").await[0]["body"].to_string();
    assert!(!body.contains("<!channel>"), "{body}");
    assert!(!body.contains("<https://evil.example"), "{body}");
    assert!(body.contains("&lt;!channel&gt;"), "{body}");
    assert!(
        !body.contains("\\u001b") && !body.contains('\u{202e}'),
        "{body}"
    );
    let hook = sender(&toml, "siem");
    let out = hook
        .send(
            &entry("siem", EventKind::Matched, &f),
            &SendContext::default(),
        )
        .await;
    match out {
        Outcome::Failed { reason } => assert!(reason.starts_with("HTTP 401"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn smtp_refusals_fail_when_permanent_and_retry_when_temporary() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    let smtp = Emulator::start("smtp_server.py", &["--cert-out", ca.to_str().unwrap()]);
    let port = smtp.url.rsplit(':').next().unwrap();
    let http = format!("http://127.0.0.1:{}", smtp.extra[0]);
    unsafe { std::env::set_var("HUBBLE_T_SMTP", "hubble-smtp-pass") };
    let s = sender(
        &format!(
            "[[notify.channel]]\nname = \"mail\"\nkind = \"email\"\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {port}\nusername = \"hubble\"\npassword_env = \"HUBBLE_T_SMTP\"\nfrom = \"hubble@example.com\"\nto = [\"soc@example.com\"]\nca_file = \"{}\"\n",
            ca.display()
        ),
        "mail",
    );
    let client = reqwest::Client::new();
    let arm = |code: u16| {
        client
            .post(format!("{http}/_emu/smtp/faults"))
            .json(&json!({"code": code, "count": 1, "stage": "rcpt"}))
            .send()
    };
    let f = finding("Root account <used> & MFA off");
    arm(451).await.unwrap();
    let out = s
        .send(
            &entry("mail", EventKind::Matched, &f),
            &SendContext::default(),
        )
        .await;
    assert!(matches!(out, Outcome::Retry { .. }), "{out:?}");
    arm(550).await.unwrap();
    let out = s
        .send(
            &entry("mail", EventKind::Matched, &f),
            &SendContext::default(),
        )
        .await;
    assert!(matches!(out, Outcome::Failed { .. }), "{out:?}");
    let out = s
        .send(
            &entry("mail", EventKind::Matched, &f),
            &SendContext::default(),
        )
        .await;
    assert!(matches!(out, Outcome::Sent { .. }), "{out:?}");
    let mail: Value = client
        .get(format!("{http}/_emu/smtp/messages"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let m = &mail["messages"][0];
    assert_eq!(m["tls"], true);
    let html = m["html"].as_str().unwrap();
    assert!(html.contains("&lt;used&gt; &amp; MFA"), "{html}");
    assert!(m["text"].as_str().unwrap().contains("Root account"));
}
