//! Control metadata from the Security Hub API against a real moto server (the plugin under
//! tests/moto adds standards and controls, with the catalogue in tests/moto/standards.json).

mod support;

use std::collections::BTreeSet;

use agent_hubble::model::Severity;
use agent_hubble::sources::SourceError;
use agent_hubble::sources::aws_controls::{self, ControlDef, ControlMetadata};
use agent_hubble::sources::aws_securityhub::sdk_config;
use aws_sdk_securityhub::Client;
use aws_sdk_securityhub::types::{ControlStatus, StandardsSubscriptionRequest};
use serde_json::{Value, json};
use support::*;

const REGION: &str = "us-east-1";
const FSBP: &str = "standards/aws-foundational-security-best-practices/v/1.0.0";
const CIS12: &str = "ruleset/cis-aws-foundations-benchmark/v/1.2.0";
const NIST: &str = "standards/nist-800-53/v/5.0.0";
const NIST_ARN: &str = "arn:aws:securityhub:us-east-1::standards/nist-800-53/v/5.0.0";

fn table() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/moto/standards.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("standards.json")).expect("json")
}

/// Security control ids of the catalogue in any of these standards (table keys).
fn catalogue_ids(table: &Value, keys: &[&str]) -> BTreeSet<String> {
    table["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .filter(|c| keys.iter().any(|k| c["standards"].get(k).is_some()))
        .map(|c| c["id"].as_str().expect("id").to_string())
        .collect()
}

async fn fetch(moto: &Moto, account: &str, region: &str) -> Result<ControlMetadata, SourceError> {
    aws_controls::fetch(&sdk_config(&moto.target("controls", account, region)).await).await
}

fn control<'a>(meta: &'a ControlMetadata, id: &str) -> &'a ControlDef {
    meta.controls
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("{id} missing from {:?}", meta.controls))
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Makes the plugin answer at most `n` items a page, whatever MaxResults asks (AWS may too).
async fn cap_pages(moto: &Moto, n: u32) {
    let r = reqwest::Client::new()
        .post(format!("{}/_hubble/standards/paging", moto.url))
        .json(&json!({ "max_page": n }))
        .send()
        .await
        .expect("paging endpoint");
    assert!(r.status().is_success(), "{r:?}");
}

/// Disables `control_id` in the standard whose fragment is `standard`, as the console would.
async fn disable(hub: &Client, standard: &str, control_id: &str) {
    let subs = hub.get_enabled_standards().send().await.expect("standards");
    let sub = subs
        .standards_subscriptions()
        .iter()
        .find(|s| s.standards_arn().is_some_and(|a| a.ends_with(standard)))
        .and_then(|s| s.standards_subscription_arn())
        .expect("subscribed");
    let controls = hub
        .describe_standards_controls()
        .standards_subscription_arn(sub)
        .max_results(100)
        .send()
        .await
        .expect("controls");
    let arn = controls
        .controls()
        .iter()
        .find(|c| c.control_id() == Some(control_id))
        .and_then(|c| c.standards_control_arn())
        .expect("control in standard");
    hub.update_standards_control()
        .standards_control_arn(arn)
        .control_status(ControlStatus::Disabled)
        .disabled_reason("compensating control")
        .send()
        .await
        .expect("disable");
}

/// Hub with the default standards (FSBP, CIS v1.2.0) plus NIST 800-53; S3.8 disabled in FSBP
/// only, IAM.7 disabled in both standards that contain it.
async fn seeded_hub(moto: &Moto) -> Client {
    let hub = moto.client(ACCOUNT_A, REGION).await;
    hub.enable_security_hub().send().await.expect("enable hub");
    hub.batch_enable_standards()
        .standards_subscription_requests(
            StandardsSubscriptionRequest::builder()
                .standards_arn(NIST_ARN)
                .build(),
        )
        .send()
        .await
        .expect("enable NIST");
    disable(&hub, FSBP, "S3.8").await;
    disable(&hub, FSBP, "IAM.7").await;
    disable(&hub, NIST, "IAM.7").await;
    hub
}

#[tokio::test]
async fn reads_standards_and_controls_from_the_consolidated_view() {
    let moto = Moto::start();
    seeded_hub(&moto).await;
    let meta = fetch(&moto, ACCOUNT_A, REGION).await.expect("fetch");

    assert_eq!(
        (
            meta.source.as_str(),
            meta.account.as_str(),
            meta.region.as_str()
        ),
        ("api", ACCOUNT_A, REGION)
    );
    assert_eq!(meta.enabled_standards, strings(&[FSBP, CIS12, NIST]));
    let table = table();
    let ids: BTreeSet<String> = meta.controls.iter().map(|c| c.id.clone()).collect();
    assert_eq!(
        ids,
        catalogue_ids(&table, &["fsbp", "cis-1.2", "nist-800-53"])
    );
    // Every title and severity is the catalogue's.
    for c in table["controls"].as_array().unwrap() {
        let Some(got) = meta.controls.iter().find(|m| m.id == c["id"]) else {
            continue;
        };
        assert_eq!(got.title, c["title"].as_str().unwrap(), "{}", got.id);
        assert_eq!(
            got.severity.map(Severity::as_str),
            c["severity"].as_str(),
            "{}",
            got.id
        );
    }

    let s38 = control(&meta, "S3.8");
    assert_eq!(
        s38.title,
        "S3 general purpose buckets should block public access"
    );
    assert_eq!(s38.severity, Some(Severity::High));
    assert_eq!(
        (s38.standards.clone(), s38.enabled),
        (strings(&[NIST]), true)
    );

    let iam7 = control(&meta, "IAM.7");
    assert_eq!(
        (iam7.standards.clone(), iam7.enabled),
        (strings(&[FSBP, NIST]), false)
    );

    let iam4 = control(&meta, "IAM.4");
    assert_eq!(iam4.title, "IAM root user access key should not exist");
    assert_eq!(iam4.severity, Some(Severity::Critical));
    assert_eq!(iam4.standards, strings(&[FSBP, CIS12, NIST]));
    assert!(
        iam4.related_requirements
            .contains(&"CIS AWS Foundations Benchmark v1.2.0/1.12".to_string())
    );

    assert_eq!(control(&meta, "KMS.4").standards, strings(&[CIS12, NIST]));
    assert_eq!(control(&meta, "SNS.1").standards, strings(&[NIST]));
    let disabled: Vec<&str> = meta
        .controls
        .iter()
        .filter(|c| !c.enabled)
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(disabled, ["IAM.7"]);
    let pos = |id: &str| meta.controls.iter().position(|c| c.id == id).unwrap();
    assert!(pos("EC2.2") < pos("EC2.13") && pos("EC2.13") < pos("IAM.1"));

    // Short pages (every operation pages) read the same.
    cap_pages(&moto, 2).await;
    assert_eq!(
        fetch(&moto, ACCOUNT_A, REGION).await.expect("paged fetch"),
        meta
    );
}

#[tokio::test]
async fn falls_back_to_describe_standards_controls() {
    let moto = Moto::start();
    seeded_hub(&moto).await;
    // A role without securityhub:ListSecurityControlDefinitions (or a partition without it).
    moto.fault(
        json!({"operation": "ListSecurityControlDefinitions", "error": "AccessDeniedException",
                      "status": 403, "count": 1000}),
    )
    .await;
    let meta = fetch(&moto, ACCOUNT_A, REGION).await.expect("fetch");
    assert_eq!(meta.enabled_standards, strings(&[FSBP, CIS12, NIST]));

    // Standard control ids: FSBP and NIST share S3.8; CIS v1.2.0 names IAM.4 "1.12".
    let s38 = control(&meta, "S3.8");
    assert_eq!(
        (s38.standards.clone(), s38.enabled),
        (strings(&[NIST]), true)
    );
    let cis = control(&meta, "1.12");
    assert_eq!(cis.title, "IAM root user access key should not exist");
    assert_eq!(cis.severity, Some(Severity::Critical));
    assert_eq!(cis.standards, strings(&[CIS12]));
    assert_eq!(
        cis.related_requirements,
        strings(&["CIS AWS Foundations Benchmark v1.2.0/1.12"])
    );
    assert_eq!(control(&meta, "IAM.4").standards, strings(&[FSBP, NIST]));
    assert!(!control(&meta, "IAM.7").enabled);
    cap_pages(&moto, 3).await;
    assert_eq!(
        fetch(&moto, ACCOUNT_A, REGION).await.expect("paged fetch"),
        meta
    );
}

#[tokio::test]
async fn a_hub_without_standards_has_no_controls() {
    let moto = Moto::start();
    let hub = moto.client(ACCOUNT_B, REGION).await;
    hub.enable_security_hub()
        .enable_default_standards(false)
        .send()
        .await
        .expect("enable hub");
    let meta = fetch(&moto, ACCOUNT_B, REGION).await.expect("fetch");
    assert_eq!(meta.account, ACCOUNT_B);
    assert!(meta.enabled_standards.is_empty() && meta.controls.is_empty());
}

#[tokio::test]
async fn no_hub_is_an_error_the_caller_can_fall_back_from() {
    let moto = Moto::start();
    seeded_hub(&moto).await;
    for (account, region) in [(ACCOUNT_A, "us-west-2"), (ACCOUNT_B, REGION)] {
        match fetch(&moto, account, region).await {
            Err(SourceError::Auth(msg)) => assert!(msg.contains("InvalidAccessException"), "{msg}"),
            other => panic!("{account}/{region}: expected an access error, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn throttling_is_reported_as_such() {
    let moto = Moto::start();
    seeded_hub(&moto).await;
    moto.fault(
        json!({"operation": "ListStandardsControlAssociations", "error": "ThrottlingException",
                      "count": 1000}),
    )
    .await;
    assert!(matches!(
        fetch(&moto, ACCOUNT_A, REGION).await,
        Err(SourceError::Throttled(_))
    ));
}
