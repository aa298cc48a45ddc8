//! The remediation queue driven as analysts do: the real binary, one shared store and audit
//! log, distinct STS identities against moto.

use std::path::PathBuf;
use std::process::Output;

use aws_config::BehaviorVersion;
use serde_json::Value;

use super::*;

pub const T0: &str = "2026-11-20T10:00:00.000Z";

pub struct Env {
    pub moto: Moto,
    pub home: tempfile::TempDir,
    pub config: PathBuf,
}

pub type Who = Vec<(&'static str, String)>;

/// Credentials of `role` assumed with session name `session` in `account` (moto's AssumeRole
/// returns credentials whose caller ARN names both).
pub async fn session(moto: &Moto, account: &str, role: &str, session: &str) -> Who {
    let cfg = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(&moto.url)
        .region(aws_config::Region::new("us-east-1"))
        .load()
        .await;
    let out = aws_sdk_sts::Client::new(&cfg)
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/{role}"))
        .role_session_name(session)
        .send()
        .await
        .expect("assume role");
    let c = out.credentials().expect("credentials");
    vec![
        ("AWS_ACCESS_KEY_ID", c.access_key_id().to_string()),
        ("AWS_SECRET_ACCESS_KEY", c.secret_access_key().to_string()),
        ("AWS_SESSION_TOKEN", c.session_token().to_string()),
    ]
}

/// An analyst signed in through IAM Identity Center: each user is a distinct person.
pub async fn analyst(moto: &Moto, name: &str) -> Who {
    session(
        moto,
        ACCOUNT_A,
        "AWSReservedSSO_SecOps_0123456789abcdef",
        name,
    )
    .await
}

/// The standard config: remediation on, `approvals` for CRITICAL/HIGH, one [[aws]] source in
/// account A us-east-1, plus `extra` TOML (more sections, keys of [remediation] go in
/// `remediation_extra`).
pub fn write_config(
    moto: &Moto,
    home: &std::path::Path,
    approvals: u32,
    remediation_extra: &str,
    extra: &str,
) -> PathBuf {
    let config = home.join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"[poll]
max_attempts = 1

[remediation]
enabled = true
assume_role = "arn:aws:iam::{{account}}:role/HubbleRemediation"
spacing_secs = 0
poll_secs = 1
{remediation_extra}

[[remediation.policy]]
when = {{ severity = ["CRITICAL", "HIGH"] }}
approvals = {approvals}

{extra}
"#
        ),
    )
    .unwrap();
    let _ = moto;
    config
}

pub fn aws_source(moto: &Moto, name: &str, account: &str, region: &str) -> String {
    format!(
        "[[aws]]\nname = \"{name}\"\nregions = [\"{region}\"]\nrole_arn = \"arn:aws:iam::{account}:role/Audit\"\nendpoint_url = \"{}\"\n",
        moto.url
    )
}

/// Moto with `n` EC2.19 findings in account A us-east-1, and the standard config.
pub async fn setup(approvals: u32, n: usize, remediation_extra: &str) -> (Env, Vec<String>) {
    let moto = Moto::start();
    let findings: Vec<Value> = (1..=n)
        .map(|i| asff(ACCOUNT_A, "us-east-1", i, "EC2.19", "CRITICAL", T0))
        .collect();
    seed(&moto.client(ACCOUNT_A, "us-east-1").await, &findings).await;
    let home = tempfile::tempdir().unwrap();
    let source = aws_source(&moto, "prod", ACCOUNT_A, "us-east-1");
    let config = write_config(&moto, home.path(), approvals, remediation_extra, &source);
    let ids = findings
        .iter()
        .map(|f| f["Id"].as_str().unwrap().to_string())
        .collect();
    (Env { moto, home, config }, ids)
}

impl Env {
    pub fn command(
        &self,
        who: &[(&'static str, String)],
        args: &[&str],
    ) -> tokio::process::Command {
        let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_agent-hubble"));
        c.arg("--config").arg(&self.config).args(args);
        let home = self.home.path();
        c.env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("cfg"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_STATE_HOME", home.join("state"))
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
            .env_remove("AGENT_HUBBLE_CONFIG");
        for (k, v) in who {
            c.env(k, v);
        }
        c
    }

    pub async fn run(&self, who: &[(&'static str, String)], args: &[&str]) -> Output {
        self.command(who, args).output().await.unwrap()
    }

    pub async fn ok(&self, who: &[(&'static str, String)], args: &[&str]) -> String {
        let out = self.run(who, args).await;
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// `queue propose` → the item id.
    pub async fn propose(&self, who: &[(&'static str, String)], finding: &str) -> String {
        self.ok(who, &["queue", "propose", finding])
            .await
            .trim()
            .to_string()
    }

    pub async fn items(&self) -> Vec<Value> {
        let text = self.ok(&[], &["queue", "list", "--format", "json"]).await;
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    pub async fn item(&self, id: &str) -> Value {
        self.items()
            .await
            .into_iter()
            .find(|i| i["id"] == id)
            .expect("item")
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let r = reqwest::Client::new()
            .post(format!("{}{path}", self.moto.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.unwrap_or(Value::Null)
    }

    /// Tells the fake SSM how the next executions end (test-only endpoint).
    pub async fn outcome(&self, rule: Value) {
        self.post("/_hubble/ssm/outcomes", rule).await;
    }

    /// Publishes a new version of an AWS-owned runbook (as AWS updating it).
    pub async fn new_runbook_version(&self, name: &str) {
        self.post(
            "/_hubble/ssm/documents",
            serde_json::json!({ "name": name }),
        )
        .await;
    }

    pub async fn fault(&self, fault: Value) {
        self.moto.fault(fault).await;
    }

    pub async fn executions(&self) -> Vec<Value> {
        self.executions_where("").await
    }

    /// `query` like `account=222222222222&region=eu-west-1`.
    pub async fn executions_where(&self, query: &str) -> Vec<Value> {
        let v: Value = reqwest::get(format!("{}/_hubble/ssm/executions?{query}", self.moto.url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["executions"].as_array().cloned().unwrap_or_default()
    }

    /// StartAutomationExecution calls moto received (replays included).
    pub async fn start_calls(&self) -> Vec<Value> {
        let v: Value = reqwest::get(format!(
            "{}/_hubble/requests?service=ssm&operation=StartAutomationExecution",
            self.moto.url
        ))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        v["requests"].as_array().cloned().unwrap_or_default()
    }

    pub async fn finding_as(
        &self,
        account: &str,
        region: &str,
        id: &str,
    ) -> agent_hubble::model::Finding {
        let src = agent_hubble::sources::aws_securityhub::SecurityHubSource::connect(
            &self.moto.target("check", account, region),
        )
        .await;
        let (items, _) =
            agent_hubble::poller::fetch_all(&src, &agent_hubble::sources::Query::full(true))
                .await
                .unwrap();
        items
            .into_iter()
            .find(|n| n.finding.id == id)
            .expect("finding")
            .finding
    }

    pub async fn finding(&self, id: &str) -> agent_hubble::model::Finding {
        self.finding_as(ACCOUNT_A, "us-east-1", id).await
    }

    pub fn audit(&self) -> PathBuf {
        self.home.path().join("data/agent-hubble/audit.jsonl")
    }

    pub fn store(&self) -> PathBuf {
        self.home.path().join("data/agent-hubble/hubble.db")
    }

    pub async fn verify_audit(&self) -> Output {
        self.run(&[], &["audit", "verify"]).await
    }
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
