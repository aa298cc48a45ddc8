//! Test support: a real moto server (with our plugin) and SDK clients acting as other users.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Once;

use agent_hubble::sources::aws_securityhub::{AwsTarget, sdk_config};
use aws_sdk_securityhub::Client;
use aws_sdk_securityhub::types::AwsSecurityFinding;
use serde_json::{Value, json};

pub mod emulator;
pub mod pty;
pub mod queue_env;

pub const ACCOUNT_A: &str = "111111111111";
pub const ACCOUNT_B: &str = "222222222222";

/// A moto server on a free port, stopped on drop.
pub struct Moto {
    child: Child,
    pub url: String,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Credentials and settings for every SDK client in the tests (moto accepts any key).
pub fn fake_env() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| unsafe {
        // SAFETY: set once, before any test thread reads these (all tests call this first).
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
        std::env::set_var("AWS_REGION", "us-east-1");
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        std::env::set_var("AWS_CONFIG_FILE", "/nonexistent/agent-hubble-test");
        std::env::set_var(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/agent-hubble-test",
        );
    });
}

impl Moto {
    pub fn start() -> Moto {
        fake_env();
        let python = std::env::var("HUBBLE_MOTO_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|_| repo().join(".venv/bin/python"));
        let server = std::env::var("HUBBLE_MOTO_SERVER")
            .map(PathBuf::from)
            .unwrap_or_else(|_| repo().join("tests/moto/hubble_moto.py"));
        assert!(
            python.exists(),
            "moto is not installed at {}: run the tests with scripts/test (it creates the venv)",
            python.display()
        );
        let mut child = Command::new(&python)
            .arg(&server)
            .args(["--host", "127.0.0.1", "--port", "0", "--exit-on-stdin-eof"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", python.display()));
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("READY line");
        let port = line
            .trim()
            .strip_prefix("READY ")
            .unwrap_or_else(|| panic!("moto said {line:?}"));
        Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    pub fn target(&self, name: &str, account: &str, region: &str) -> AwsTarget {
        AwsTarget {
            name: name.into(),
            region: region.into(),
            role_arn: Some(format!("arn:aws:iam::{account}:role/Audit")),
            endpoint_url: Some(self.url.clone()),
            max_attempts: 1,
            ..AwsTarget::default()
        }
    }

    /// A Security Hub client acting as `account` (through AssumeRole, as the console does).
    pub async fn client(&self, account: &str, region: &str) -> Client {
        Client::new(&sdk_config(&self.target("seed", account, region)).await)
    }

    /// The AWS calls moto received (`/_hubble/requests`), oldest first; `query` filters them
    /// (e.g. "operation=GetFindings&account=111111111111").
    pub async fn requests(&self, query: &str) -> Vec<Value> {
        let v: Value = reqwest::Client::new()
            .get(format!("{}/_hubble/requests?{query}", self.url))
            .send()
            .await
            .expect("request log")
            .json()
            .await
            .expect("request log JSON");
        v["requests"].as_array().cloned().unwrap_or_default()
    }

    pub async fn clear_requests(&self) {
        reqwest::Client::new()
            .delete(format!("{}/_hubble/requests", self.url))
            .send()
            .await
            .expect("request log");
    }

    /// Arms a test-only fault in the plugin.
    pub async fn fault(&self, body: Value) {
        let r = reqwest::Client::new()
            .post(format!("{}/_hubble/faults", self.url))
            .json(&body)
            .send()
            .await
            .expect("fault endpoint");
        assert!(r.status().is_success(), "arming fault failed: {r:?}");
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Security Hub control finding in ASFF, as an integration would import it.
pub fn asff(
    account: &str,
    region: &str,
    n: usize,
    control: &str,
    severity: &str,
    updated: &str,
) -> Value {
    json!({
        "SchemaVersion": "2018-10-08",
        "Id": format!("arn:aws:securityhub:{region}:{account}:security-control/{control}/finding/{n:05}"),
        "ProductArn": format!("arn:aws:securityhub:{region}::product/aws/securityhub"),
        "GeneratorId": format!("security-control/{control}"),
        "AwsAccountId": account,
        "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
        "CreatedAt": "2026-11-01T10:00:00.000Z",
        "UpdatedAt": updated,
        "Severity": {"Label": severity},
        "Title": format!("{control} finding {n}"),
        "Description": "seeded by the integration tests",
        "Resources": [{"Type": "AwsEc2SecurityGroup", "Id": format!("arn:aws:ec2:{region}:{account}:security-group/sg-{n:05}"), "Region": region}],
        "Compliance": {"Status": "FAILED", "SecurityControlId": control},
        "Workflow": {"Status": "NEW"},
        "RecordState": "ACTIVE",
    })
}

/// Enables Security Hub and imports `findings` (in batches of 100) as another client would.
pub async fn seed(client: &Client, findings: &[Value]) {
    client.enable_security_hub().send().await.ok();
    for chunk in findings.chunks(100) {
        let list: Vec<AwsSecurityFinding> = chunk.iter().map(to_sdk).collect();
        let out = client
            .batch_import_findings()
            .set_findings(Some(list))
            .send()
            .await
            .expect("import");
        assert_eq!(out.failed_count(), Some(0), "{out:?}");
    }
}

/// The SDK has no serde for its types, so build the few fields the tests use.
fn to_sdk(v: &Value) -> AwsSecurityFinding {
    use aws_sdk_securityhub::types::*;
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
    let r = &v["Resources"][0];
    AwsSecurityFinding::builder()
        .schema_version(s("SchemaVersion"))
        .id(s("Id"))
        .product_arn(s("ProductArn"))
        .generator_id(s("GeneratorId"))
        .aws_account_id(s("AwsAccountId"))
        .types(v["Types"][0].as_str().unwrap_or_default())
        .created_at(s("CreatedAt"))
        .updated_at(s("UpdatedAt"))
        .severity(
            Severity::builder()
                .label(SeverityLabel::from(
                    v["Severity"]["Label"].as_str().unwrap_or("LOW"),
                ))
                .build(),
        )
        .title(s("Title"))
        .description(s("Description"))
        .resources(
            Resource::builder()
                .r#type(r["Type"].as_str().unwrap_or_default())
                .id(r["Id"].as_str().unwrap_or_default())
                .region(r["Region"].as_str().unwrap_or_default())
                .build(),
        )
        .compliance(
            Compliance::builder()
                .status(ComplianceStatus::from(
                    v["Compliance"]["Status"].as_str().unwrap_or("FAILED"),
                ))
                .security_control_id(
                    v["Compliance"]["SecurityControlId"]
                        .as_str()
                        .unwrap_or_default(),
                )
                .build(),
        )
        .workflow(Workflow::builder().status(WorkflowStatus::New).build())
        .record_state(RecordState::from(
            v["RecordState"].as_str().unwrap_or("ACTIVE"),
        ))
        .build()
}
