//! Notifications end to end: `agent-hubble watch` on the demo fleet sending to the local
//! receivers of every channel (tests/emulators/notify_receivers.py, smtp_server.py), which
//! validate each payload the way the vendors document it; retries on 500 and 429; a watcher
//! killed with SIGKILL and restarted; two watchers on one store; a clean SIGTERM.

mod support;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::emulator::Emulator;

const WEBHOOK_SECRET: &str = "hubble-webhook-secret";
const ROUTING_KEY: &str = "R0123456789abcdef0123456789abcde";

struct Home {
    dir: tempfile::TempDir,
    config: PathBuf,
    env: Vec<(String, String)>,
}

impl Home {
    fn new(config: &str) -> Home {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, config).unwrap();
        Home {
            dir,
            config: path,
            env: Vec::new(),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = self.real(args);
        c.arg("--demo");
        c
    }

    /// Without `--demo`: the sources the config names.
    fn real(&self, args: &[&str]) -> Command {
        let home = self.dir.path();
        let mut c = Command::new(env!("CARGO_BIN_EXE_agent-hubble"));
        c.arg("--config")
            .arg(&self.config)
            .args(args)
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_STATE_HOME", home.join("state"))
            .env("HUBBLE_WEBHOOK_SECRET", WEBHOOK_SECRET)
            .env("HUBBLE_PD_KEY", ROUTING_KEY)
            .env("HUBBLE_JIRA_TOKEN", "hubble-api-token")
            .env("HUBBLE_SMTP_PASSWORD", "hubble-smtp-pass")
            .env_remove("AGENT_HUBBLE_CONFIG")
            .env_remove("NO_COLOR");
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    fn watch(&self) -> Child {
        self.command(&["watch"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start agent-hubble watch")
    }

    /// The outbox as `notify outbox --format json` lists it.
    fn outbox(&self) -> Vec<Value> {
        self.outbox_of(self.command(&["notify", "outbox", "--format", "json"]))
    }

    fn outbox_of(&self, mut command: Command) -> Vec<Value> {
        let out = command.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// Waits until the outbox has entries and none is pending or being sent.
    fn settled(&self, timeout: Duration) -> Vec<Value> {
        let start = Instant::now();
        loop {
            let o = self.outbox();
            let busy = o
                .iter()
                .filter(|e| matches!(e["state"].as_str(), Some("pending" | "sending")))
                .count();
            if !o.is_empty() && busy == 0 {
                return o;
            }
            assert!(
                start.elapsed() < timeout,
                "outbox not settled after {timeout:?}: {busy} busy of {}",
                o.len()
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }
}

fn channel(name: &str, kind: &str, rest: &str) -> String {
    format!("[[notify.channel]]\nname = \"{name}\"\nkind = \"{kind}\"\n{rest}\n")
}

fn webhook_channel(rx: &Emulator, rate: &str) -> String {
    channel(
        "siem",
        "webhook",
        &format!(
            "url = \"{}/webhook/siem\"\nsecret_env = \"HUBBLE_WEBHOOK_SECRET\"\nrate_per_sec = {rate}\n",
            rx.url
        ),
    )
}

async fn receivers() -> Emulator {
    let rx = Emulator::start("notify_receivers.py", &[]);
    rx.post(
        "/_emu/notify/webhook-secrets",
        json!({"name": "siem", "secret": WEBHOOK_SECRET}),
    )
    .await;
    rx
}

async fn messages(rx: &Emulator, service: &str) -> Vec<Value> {
    rx.get(&format!("/_emu/notify/messages?service={service}"))
        .await["messages"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn deliveries(rx: &Emulator) -> Vec<Value> {
    rx.get("/_emu/notify/webhook/deliveries?name=siem").await["deliveries"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn sent(outbox: &[Value], channel: &str) -> Vec<Value> {
    outbox
        .iter()
        .filter(|e| e["channel"] == channel && e["state"] == "sent")
        .cloned()
        .collect()
}

fn term(child: &mut Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

fn wait_exit(child: &mut Child, timeout: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        assert!(start.elapsed() < timeout, "watch did not stop");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Each channel kind once, with a finding the demo fleet has (one CRITICAL control
/// finding), checked by the receivers against the documented shape; then SIGTERM.
#[tokio::test(flavor = "multi_thread")]
async fn watch_sends_a_new_critical_to_every_channel_in_its_documented_format() {
    let rx = receivers().await;
    let cert = tempfile::tempdir().unwrap();
    let ca = cert.path().join("ca.pem");
    let smtp = Emulator::start("smtp_server.py", &["--cert-out", ca.to_str().unwrap()]);
    let smtp_port = smtp.url.rsplit(':').next().unwrap().to_string();
    let smtp_http = format!("http://127.0.0.1:{}", smtp.extra[0]);
    let mut cfg = String::from("[notify]\nlease_secs = 10\n");
    cfg += &channel("soc-slack", "slack", "url_env = \"HUBBLE_SLACK_URL\"");
    cfg += &channel("soc-teams", "teams", "url_env = \"HUBBLE_TEAMS_URL\"");
    cfg += &webhook_channel(&rx, "0");
    cfg += &channel(
        "oncall",
        "pagerduty",
        &format!(
            "url = \"{}/v2/enqueue\"\nrouting_key_env = \"HUBBLE_PD_KEY\"",
            rx.url
        ),
    );
    cfg += &channel(
        "tickets",
        "jira",
        &format!(
            "url = \"{}/jira\"\nuser = \"hubble@example.com\"\ntoken_env = \"HUBBLE_JIRA_TOKEN\"\nproject = \"SEC\"",
            rx.url
        ),
    );
    cfg += &channel(
        "mail",
        "email",
        &format!(
            "smtp_host = \"127.0.0.1\"\nsmtp_port = {smtp_port}\nusername = \"hubble\"\npassword_env = \"HUBBLE_SMTP_PASSWORD\"\nfrom = \"hubble@example.com\"\nto = [\"soc@example.com\"]\nca_file = \"{}\"",
            ca.display()
        ),
    );
    // One finding: the first NEW CRITICAL the demo fleet lists.
    let probe = Home::new("");
    let out = probe
        .command(&[
            "findings",
            "--format",
            "json",
            "--filter",
            "sev:critical wf:new",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let first: Value = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v.as_array().and_then(|a| a.first().cloned()))
        .or_else(|| text.lines().find_map(|l| serde_json::from_str(l).ok()))
        .unwrap_or_else(|| panic!("no demo critical: {}", String::from_utf8_lossy(&out.stderr)));
    let id = first["id"].as_str().expect("finding id").to_string();
    cfg += &format!(
        "[[notify.rule]]\nname = \"one critical\"\nwhen = 'sev:critical wf:new id:\"{id}\"'\nto = [\"soc-slack\", \"soc-teams\", \"siem\", \"oncall\", \"tickets\", \"mail\"]\nnotify_existing = true\n"
    );
    let mut home = Home::new(&cfg);
    home.env = vec![
        (
            "HUBBLE_SLACK_URL".into(),
            format!("{}/slack/services/T000/B000/XXXX", rx.url),
        ),
        (
            "HUBBLE_TEAMS_URL".into(),
            format!(
                "{}/teams/workflows/wf1/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=abc",
                rx.url
            ),
        ),
    ];
    let check = home.command(&["check-config"]).output().unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let mut w = home.watch();
    let outbox = home.settled(Duration::from_secs(60));
    term(&mut w);
    let status = wait_exit(&mut w, Duration::from_secs(25));
    assert!(status.success(), "watch exit {status:?}");

    assert_eq!(outbox.len(), 6, "{outbox:#?}");
    for e in &outbox {
        assert_eq!(e["state"], "sent", "{e}");
        assert_eq!(e["finding_id"], id.as_str());
    }
    // Slack: Block Kit with the plain-text fallback, accepted.
    let slack = messages(&rx, "slack").await;
    assert_eq!(slack.len(), 1, "{slack:#?}");
    assert_eq!(slack[0]["accepted"], true, "{}", slack[0]);
    assert!(
        slack[0]["body"]["text"]
            .as_str()
            .unwrap()
            .contains("CRITICAL")
    );
    assert!(
        slack[0]["body"]["blocks"]
            .as_array()
            .is_some_and(|b| !b.is_empty())
    );
    // Teams: an Adaptive Card 1.4 in a message, accepted by the strict Workflows trigger.
    let teams = messages(&rx, "teams").await;
    assert_eq!(teams.len(), 1);
    assert_eq!(teams[0]["accepted"], true, "{}", teams[0]);
    let card = &teams[0]["body"]["attachments"][0];
    assert_eq!(
        card["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert_eq!(card["content"]["version"], "1.4");
    // Webhook: signed (the receiver checks the HMAC), enveloped, once per idempotency key.
    let hooks = messages(&rx, "webhook").await;
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0]["accepted"], true, "{}", hooks[0]);
    assert_eq!(hooks[0]["body"]["finding"]["id"], id.as_str());
    let key = hooks[0]["headers"]["X-Hubble-Idempotency-Key"]
        .as_str()
        .or_else(|| hooks[0]["headers"]["x-hubble-idempotency-key"].as_str())
        .expect("idempotency key header");
    assert_eq!(key, sent(&outbox, "siem")[0]["key"].as_str().unwrap());
    // PagerDuty: one triggered alert under a stable dedup key.
    let pd = rx.get("/_emu/notify/pagerduty/incidents").await["incidents"]
        .as_array()
        .cloned()
        .unwrap();
    assert_eq!(pd.len(), 1, "{pd:#?}");
    assert_eq!(pd[0]["status"], "triggered");
    assert_eq!(pd[0]["severity"], "critical");
    assert_eq!(pd[0]["trigger_count"], 1);
    // Jira: an issue in SEC with an ADF description (checked by the receiver) and labels;
    // its key is the outbox entry's reference.
    let issues = rx.get("/_emu/notify/jira/issues?site=cloud").await["issues"]
        .as_array()
        .cloned()
        .unwrap();
    assert_eq!(issues.len(), 1, "{issues:#?}");
    let issue_key = issues[0]["key"].as_str().unwrap();
    assert!(issue_key.starts_with("SEC-"));
    assert_eq!(issues[0]["description"]["type"], "doc");
    assert!(
        issues[0]["labels"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().is_some_and(|l| l.starts_with("hb1-"))),
        "{}",
        issues[0]["labels"]
    );
    assert_eq!(
        sent(&outbox, "tickets")[0]["reference"].as_str(),
        Some(format!("issue:{issue_key} {}/jira/browse/{issue_key}", rx.url).as_str())
    );
    // E-mail: over STARTTLS, authenticated, multipart text + HTML.
    let mail: Value = reqwest::get(format!("{smtp_http}/_emu/smtp/messages"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mail = mail["messages"].as_array().unwrap();
    assert_eq!(mail.len(), 1, "{mail:#?}");
    assert_eq!(mail[0]["tls"], true);
    assert_eq!(mail[0]["auth_user"], "hubble");
    assert!(mail[0]["text"].as_str().unwrap().contains("CRITICAL"));
    assert!(mail[0]["html"].as_str().unwrap().contains("<"));
}

fn durability_config(rx: &Emulator, rate: &str) -> String {
    let mut cfg = String::from("[notify]\nlease_secs = 5\n");
    cfg += &webhook_channel(rx, rate);
    cfg += "[[notify.rule]]\nname = \"high and up\"\nwhen = \"sev:>=high\"\nto = [\"siem\"]\nnotify_existing = true\n";
    cfg
}

fn assert_each_once(outbox: &[Value], delivered: &[Value], max_dupes: u64) {
    let entries = sent(outbox, "siem");
    assert_eq!(entries.len(), outbox.len(), "all sent: {outbox:#?}");
    let mut keys: Vec<&str> = entries.iter().map(|e| e["key"].as_str().unwrap()).collect();
    keys.sort();
    let mut got: Vec<&str> = delivered
        .iter()
        .map(|d| d["idempotency_key"].as_str().unwrap())
        .collect();
    got.sort();
    assert_eq!(keys, got, "each entry delivered under its own key");
    let dupes: u64 = delivered
        .iter()
        .map(|d| d["duplicates"].as_u64().unwrap_or(0))
        .sum();
    assert!(
        dupes <= max_dupes,
        "{dupes} duplicate deliveries (at most {max_dupes} may have been in flight)"
    );
}

/// kill -9 with most entries pending (a slow channel), restart: everything is delivered,
/// each once (a send in flight at the kill may arrive again under the same idempotency key,
/// which the receiver drops).
#[tokio::test(flavor = "multi_thread")]
async fn a_watcher_killed_with_sigkill_loses_and_duplicates_nothing() {
    let rx = receivers().await;
    let home = Home::new(&durability_config(&rx, "20"));
    let mut w = home.watch();
    // Wait until the outbox is written and sending has started, then SIGKILL.
    let start = Instant::now();
    loop {
        let o = home.outbox();
        let sent = o.iter().filter(|e| e["state"] == "sent").count();
        if sent >= 3 {
            let pending = o.len() - sent;
            assert!(pending >= 50, "{pending} pending at the kill");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "nothing sent");
        std::thread::sleep(Duration::from_millis(100));
    }
    w.kill().unwrap();
    w.wait().unwrap();
    let before = deliveries(&rx).await.len();
    let mut w = home.watch();
    let outbox = home.settled(Duration::from_secs(90));
    term(&mut w);
    assert!(wait_exit(&mut w, Duration::from_secs(25)).success());
    let delivered = deliveries(&rx).await;
    assert!(delivered.len() > before);
    // Concurrency 4 on a webhook: at most 4 sends were in flight at the kill.
    assert_each_once(&outbox, &delivered, 4);
}

/// The receiver answers 500, then 429 with Retry-After, then 200: the entry is retried
/// (with backoff, the channel paused for the Retry-After) and delivered once.
#[tokio::test(flavor = "multi_thread")]
async fn five_hundred_then_429_then_200_delivers_once() {
    let rx = receivers().await;
    rx.fault(json!({"method": "POST", "path": "^/webhook/", "status": 500, "count": 1}))
        .await;
    rx.fault(
        json!({"method": "POST", "path": "^/webhook/", "status": 429,
                    "headers": {"Retry-After": "1"}, "count": 1}),
    )
    .await;
    let mut cfg = String::from("[notify]\nlease_secs = 10\n");
    cfg += &webhook_channel(&rx, "0");
    cfg += "[[notify.rule]]\nname = \"crit\"\nwhen = \"sev:critical wf:new\"\nto = [\"siem\"]\nnotify_existing = true\n";
    let home = Home::new(&cfg);
    let mut w = home.watch();
    let outbox = home.settled(Duration::from_secs(60));
    term(&mut w);
    assert!(wait_exit(&mut w, Duration::from_secs(25)).success());
    let delivered = deliveries(&rx).await;
    assert_each_once(&outbox, &delivered, 0);
    let attempts: u64 = outbox.iter().map(|e| e["attempts"].as_u64().unwrap()).sum();
    assert!(
        attempts >= outbox.len() as u64 + 2,
        "the two refusals were retried: {attempts} attempts for {} entries",
        outbox.len()
    );
    let reqs = messages(&rx, "webhook").await;
    assert_eq!(
        reqs.len(),
        outbox.len(),
        "faulted requests are not recorded as messages"
    );
}

/// Two watchers on one store: every entry is sent by one of them, once.
#[tokio::test(flavor = "multi_thread")]
async fn two_watchers_on_one_store_send_each_entry_once() {
    let rx = receivers().await;
    let home = Home::new(&durability_config(&rx, "0"));
    let mut a = home.watch();
    let mut b = home.watch();
    let outbox = home.settled(Duration::from_secs(90));
    term(&mut a);
    term(&mut b);
    assert!(wait_exit(&mut a, Duration::from_secs(25)).success());
    assert!(wait_exit(&mut b, Duration::from_secs(25)).success());
    let delivered = deliveries(&rx).await;
    assert_each_once(&outbox, &delivered, 0);
}

/// The SLA: a CRITICAL still NEW after `escalate_after` goes to `escalate_to` (PagerDuty),
/// once, under the finding's dedup key.
#[tokio::test(flavor = "multi_thread")]
async fn a_finding_still_new_after_the_sla_is_escalated_to_pagerduty_once() {
    let rx = receivers().await;
    let mut cfg = String::from("[notify]\nlease_secs = 10\n");
    cfg += &webhook_channel(&rx, "0");
    cfg += &channel(
        "oncall",
        "pagerduty",
        &format!(
            "url = \"{}/v2/enqueue\"\nrouting_key_env = \"HUBBLE_PD_KEY\"",
            rx.url
        ),
    );
    cfg += "[[notify.rule]]\nname = \"crit\"\nwhen = \"sev:critical wf:new\"\nto = [\"siem\"]\nnotify_existing = true\nescalate_after = \"2s\"\nescalate_to = [\"oncall\"]\n";
    let home = Home::new(&cfg);
    let mut w = home.watch();
    let start = Instant::now();
    let outbox = loop {
        let o = home.outbox();
        let escalated = o
            .iter()
            .filter(|e| e["event"] == "finding.escalated")
            .count();
        let matched = o.iter().filter(|e| e["event"] == "finding.matched").count();
        let busy = o
            .iter()
            .any(|e| matches!(e["state"].as_str(), Some("pending" | "sending")));
        if matched > 0 && escalated == matched && !busy {
            break o;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{matched} matched, {escalated} escalated"
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    // A few more seconds: nothing is escalated twice.
    std::thread::sleep(Duration::from_secs(3));
    term(&mut w);
    assert!(wait_exit(&mut w, Duration::from_secs(25)).success());
    let escalations: Vec<&Value> = outbox
        .iter()
        .filter(|e| e["event"] == "finding.escalated")
        .collect();
    assert!(
        escalations
            .iter()
            .all(|e| e["channel"] == "oncall" && e["state"] == "sent")
    );
    let again = home
        .outbox()
        .iter()
        .filter(|e| e["event"] == "finding.escalated")
        .count();
    assert_eq!(again, escalations.len());
    let incidents = rx.get("/_emu/notify/pagerduty/incidents").await["incidents"]
        .as_array()
        .cloned()
        .unwrap();
    assert_eq!(incidents.len(), escalations.len());
    assert!(
        incidents
            .iter()
            .all(|i| i["trigger_count"] == 1 && i["status"] == "triggered")
    );
}

/// The whole PagerDuty life of a finding through the real AWS path: `watch` (no demo) polls
/// Security Hub on moto, triggers an incident for a CRITICAL; another user resolves the
/// finding in Security Hub; the next poll sees it and the incident is resolved under the
/// same dedup key, once.
#[tokio::test(flavor = "multi_thread")]
async fn a_finding_resolved_in_security_hub_resolves_its_pagerduty_incident() {
    use aws_sdk_securityhub::types::{
        AwsSecurityFindingIdentifier, WorkflowStatus, WorkflowUpdate,
    };
    let moto = support::Moto::start();
    let now = agent_hubble::model::format_rfc3339(agent_hubble::model::now_ms());
    let crit = support::asff(
        support::ACCOUNT_A,
        "us-east-1",
        1,
        "EC2.19",
        "CRITICAL",
        &now,
    );
    let low = support::asff(support::ACCOUNT_A, "us-east-1", 2, "S3.8", "LOW", &now);
    let client = moto.client(support::ACCOUNT_A, "us-east-1").await;
    support::seed(&client, &[crit.clone(), low]).await;
    let rx = receivers().await;
    let mut cfg = format!(
        "[poll]\ninterval_secs = 5\nmax_attempts = 1\n\n[[aws]]\nname = \"prod\"\nregions = [\"us-east-1\"]\nrole_arn = \"arn:aws:iam::{}:role/Audit\"\nendpoint_url = \"{}\"\n\n[notify]\nlease_secs = 10\n",
        support::ACCOUNT_A,
        moto.url
    );
    cfg += &channel(
        "oncall",
        "pagerduty",
        &format!(
            "url = \"{}/v2/enqueue\"\nrouting_key_env = \"HUBBLE_PD_KEY\"",
            rx.url
        ),
    );
    cfg += "[[notify.rule]]\nname = \"crit\"\nwhen = \"sev:critical\"\nto = [\"oncall\"]\nnotify_existing = true\n";
    let home = Home::new(&cfg);
    let mut real = home.real(&["watch"]);
    let mut w = real
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start agent-hubble watch");
    let incidents = || async {
        rx.get("/_emu/notify/pagerduty/incidents").await["incidents"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    let start = Instant::now();
    while incidents().await.is_empty() {
        assert!(start.elapsed() < Duration::from_secs(60), "no incident");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Another user resolves the finding in Security Hub.
    client
        .batch_update_findings()
        .finding_identifiers(
            AwsSecurityFindingIdentifier::builder()
                .id(crit["Id"].as_str().unwrap())
                .product_arn(crit["ProductArn"].as_str().unwrap())
                .build(),
        )
        .workflow(
            WorkflowUpdate::builder()
                .status(WorkflowStatus::Resolved)
                .build(),
        )
        .send()
        .await
        .expect("resolve in Security Hub");
    while incidents().await[0]["status"] != "resolved" {
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "not resolved: {:?}",
            home.outbox_of(home.real(&["notify", "outbox", "--format", "json"]))
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    term(&mut w);
    assert!(wait_exit(&mut w, Duration::from_secs(25)).success());
    let incidents = incidents().await;
    assert_eq!(incidents.len(), 1, "only the CRITICAL pages: {incidents:?}");
    assert_eq!(incidents[0]["trigger_count"], 1);
    let outbox = home.outbox_of(home.real(&["notify", "outbox", "--format", "json"]));
    let events: Vec<&str> = outbox
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(events.len(), 2, "{outbox:#?}");
    assert!(events.contains(&"finding.matched") && events.contains(&"finding.resolved"));
    assert!(outbox.iter().all(|e| e["state"] == "sent"));
}
