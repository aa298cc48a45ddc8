//! Organisation mode against moto (with the aggregation and Organizations plugins): a
//! delegated administrator with a finding aggregator in its home Region; one source there
//! returns every member account's findings from every linked Region, each with its own
//! account and Region; a workflow change through it reaches the member's finding; account
//! names come from Organizations; `aggregator = "auto"` finds the home Region (v1 and v2) or
//! falls back to the listed Regions, saying why.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use agent_hubble::config::Config;
use agent_hubble::hub::{Hub, HubInput};
use agent_hubble::model::{FindingRef, Workflow};
use agent_hubble::poller::{Poller, Resume, Settings, SourceEvent, fetch_all};
use agent_hubble::sources::aws_securityhub::sdk_config;
use agent_hubble::sources::{Query, Source, WorkflowUpdate};
use agent_hubble::store::Store;
use serde_json::{Value, json};
use support::*;
use tokio::sync::mpsc;

const MANAGEMENT: &str = "123456789012";
const ADMIN: &str = ACCOUNT_A;
const PROD: &str = ACCOUNT_B;
const DEV: &str = "333333333333";
const T0: &str = "2026-11-20T10:00:00.000Z";

async fn register(moto: &Moto, id: &str, name: &str) {
    let r = reqwest::Client::new()
        .post(format!("{}/_hubble/organizations/accounts", moto.url))
        .json(&json!({"id": id, "name": name}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{r:?}");
}

/// The organisation: the management account names ADMIN the Security Hub administrator; ADMIN
/// aggregates every Region in us-east-1. Returns (account, region) → findings seeded.
async fn organisation(moto: &Moto) -> BTreeMap<(String, String), usize> {
    for (id, name) in [
        (MANAGEMENT, "management"),
        (ADMIN, "security"),
        (PROD, "prod"),
        (DEV, "dev"),
    ] {
        register(moto, id, name).await;
    }
    let mgmt = moto.client(MANAGEMENT, "us-east-1").await;
    mgmt.enable_security_hub().send().await.unwrap();
    mgmt.enable_organization_admin_account()
        .admin_account_id(ADMIN)
        .send()
        .await
        .unwrap();
    let admin = moto.client(ADMIN, "us-east-1").await;
    admin.enable_security_hub().send().await.unwrap();
    admin
        .create_finding_aggregator()
        .region_linking_mode("ALL_REGIONS")
        .send()
        .await
        .unwrap();
    let mut seeded = BTreeMap::new();
    for (account, region, n) in [
        (ADMIN, "us-east-1", 1),
        (PROD, "eu-west-1", 3),
        (PROD, "ap-southeast-2", 2),
        (DEV, "us-east-1", 2),
        // More than a page: the aggregated read pages across member Regions.
        (DEV, "eu-west-1", 120),
    ] {
        let findings: Vec<Value> = (0..n)
            .map(|i| asff(account, region, i, "EC2.19", "HIGH", T0))
            .collect();
        seed(&moto.client(account, region).await, &findings).await;
        seeded.insert((account.to_string(), region.to_string()), n);
    }
    seeded
}

fn config(moto: &Moto, body: &str) -> Config {
    let text = format!(
        "[poll]\nmax_attempts = 1\n\n{body}\nendpoint_url = \"{}\"\n",
        moto.url
    );
    Config::parse(&text, std::path::Path::new("t.toml")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_source_in_the_aggregation_region_reads_the_whole_organisation() {
    let moto = Moto::start();
    let seeded = organisation(&moto).await;
    let cfg = config(
        &moto,
        &format!(
            "[[aws]]\nname = \"org\"\nregions = [\"us-east-1\"]\naggregator = true\nrole_arn = \"arn:aws:iam::{ADMIN}:role/Audit\""
        ),
    );
    let setup = agent_hubble::setup::sources(&cfg, false, false)
        .await
        .unwrap();
    assert_eq!(
        setup.sources.len(),
        1,
        "one source, not one per account × Region"
    );
    let src = setup.sources[0].clone();
    assert_eq!(src.info().key, "aws/org/us-east-1");
    assert_eq!(src.api().as_deref(), Some("v1 (ASFF), org aggregator"));

    let (items, skipped) = fetch_all(src.as_ref(), &Query::full(false)).await.unwrap();
    assert!(skipped.is_empty());
    let mut got: BTreeMap<(String, String), usize> = BTreeMap::new();
    for n in &items {
        assert_eq!(n.finding.source, "aws/org/us-east-1");
        *got.entry((n.finding.account.to_string(), n.finding.region.to_string()))
            .or_default() += 1;
    }
    assert_eq!(got, seeded, "every member account and Region, each its own");

    // A workflow change through the administrator reaches the member's own finding.
    let target = items
        .iter()
        .find(|n| n.finding.account == PROD && n.finding.region == "ap-southeast-2")
        .unwrap();
    let out = src
        .update_workflow(&WorkflowUpdate {
            findings: vec![FindingRef::from(&target.finding)],
            status: Workflow::Resolved,
            note: Some("accepted risk, org-wide".into()),
            actor: "alice@bastion".into(),
            reason: None,
        })
        .await
        .unwrap();
    assert_eq!(out.processed, vec![target.finding.id.clone()]);
    assert!(out.unprocessed.is_empty());
    let theirs = moto
        .client(PROD, "ap-southeast-2")
        .await
        .get_findings()
        .send()
        .await
        .unwrap();
    let f = theirs
        .findings()
        .iter()
        .find(|f| f.id() == Some(target.finding.id.as_str()))
        .unwrap();
    assert_eq!(
        f.workflow().and_then(|w| w.status()).map(|s| s.as_str()),
        Some("RESOLVED")
    );
    assert_eq!(
        f.note().and_then(|n| n.text()),
        Some("accepted risk, org-wide")
    );

    // Names from Organizations (the Security Hub administrator is a delegated administrator).
    let sdk = sdk_config(&moto.target("org", ADMIN, "us-east-1")).await;
    let names = agent_hubble::sources::aws_accounts::fetch(&sdk)
        .await
        .unwrap();
    assert_eq!(names[PROD], "prod");
    assert_eq!(names[DEV], "dev");

    // The console's path: poller → hub, names stamped on the member findings.
    let (mut hub, _rx) = Hub::new(Some(Store::in_memory().unwrap()), &[src.info().clone()]);
    hub.apply(HubInput::AccountNames(names.into_iter().collect()));
    let (tx, mut rx) = mpsc::channel(16);
    let poller = Poller::spawn(
        vec![src.clone()],
        |_| Resume::default(),
        Settings::default(),
        tx,
    );
    loop {
        let ev = rx.recv().await.unwrap();
        let done = matches!(ev, SourceEvent::SyncDone { .. });
        hub.apply(HubInput::Source(ev));
        if done {
            break;
        }
    }
    poller.shutdown();
    hub.publish();
    let snap = hub.snapshot();
    assert_eq!(snap.findings.len(), 128);
    let dev = snap
        .findings
        .iter()
        .find(|f| f.account == DEV && f.region == "eu-west-1")
        .unwrap();
    assert_eq!(dev.account_name.as_deref(), Some("dev"));
    let resolved = snap
        .findings
        .iter()
        .find(|f| f.id == target.finding.id)
        .unwrap();
    assert_eq!(resolved.workflow, Workflow::Resolved);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregator_auto_finds_the_home_region_or_falls_back() {
    let moto = Moto::start();
    organisation(&moto).await;
    // ListFindingAggregators is asked in the first listed Region, where the hub must be on.
    moto.client(ADMIN, "eu-west-1")
        .await
        .enable_security_hub()
        .send()
        .await
        .unwrap();
    moto.client(PROD, "eu-west-1")
        .await
        .enable_security_hub()
        .send()
        .await
        .ok();
    let entry = |name: &str, account: &str, regions: &str, extra: &str| {
        format!(
            "[[aws]]\nname = \"{name}\"\nregions = [{regions}]\naggregator = \"auto\"\nrole_arn = \"arn:aws:iam::{account}:role/Audit\"\n{extra}"
        )
    };
    let keys = |s: &agent_hubble::setup::Setup| -> Vec<String> {
        s.sources.iter().map(|s| s.info().key.clone()).collect()
    };

    // An aggregator: its home Region, whatever the listed Regions.
    let cfg = config(
        &moto,
        &entry("org", ADMIN, "\"eu-west-1\", \"ap-southeast-2\"", ""),
    );
    let setup = agent_hubble::setup::sources(&cfg, false, false)
        .await
        .unwrap();
    assert_eq!(keys(&setup), vec!["aws/org/us-east-1"]);
    assert_eq!(setup.notice, None);
    let (items, _) = fetch_all(setup.sources[0].as_ref(), &Query::full(false))
        .await
        .unwrap();
    assert_eq!(items.len(), 128);

    // None: every listed Region, and a one-line notice why.
    let cfg = config(
        &moto,
        &entry("prod", PROD, "\"eu-west-1\", \"ap-southeast-2\"", ""),
    );
    let setup = agent_hubble::setup::sources(&cfg, false, false)
        .await
        .unwrap();
    assert_eq!(
        keys(&setup),
        vec!["aws/prod/eu-west-1", "aws/prod/ap-southeast-2"]
    );
    assert_eq!(
        setup.notice.as_deref(),
        Some(
            "aws/prod: aggregator = \"auto\": no finding aggregator (asked in eu-west-1); polling the 2 listed Region(s) one by one"
        )
    );

    // The question itself fails (Security Hub is off in the first Region): the same fallback.
    let cfg = config(&moto, &entry("dev", DEV, "\"ca-central-1\"", ""));
    let setup = agent_hubble::setup::sources(&cfg, false, false)
        .await
        .unwrap();
    assert_eq!(keys(&setup), vec!["aws/dev/ca-central-1"]);
    let notice = setup.notice.unwrap();
    assert!(
        notice.starts_with("aws/dev: aggregator = \"auto\": cannot ask for the finding aggregator in ca-central-1 (access denied: InvalidAccessException")
            && notice.ends_with("; polling the 1 listed Region(s) one by one")
            && !notice.contains('\n'),
        "{notice}"
    );
}

/// v2: ListAggregatorsV2 finds the home Region; GetFindingStatisticsV2 gives the first sync
/// its expected total.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregator_auto_with_the_v2_api() {
    let moto = Moto::start();
    for (id, name) in [
        (MANAGEMENT, "management"),
        (ADMIN, "security"),
        (PROD, "prod"),
    ] {
        register(&moto, id, name).await;
    }
    let mgmt = moto.client(MANAGEMENT, "us-east-1").await;
    mgmt.enable_security_hub().send().await.unwrap();
    mgmt.enable_organization_admin_account()
        .admin_account_id(ADMIN)
        .feature(aws_sdk_securityhub::types::SecurityHubFeature::SecurityHubV2)
        .send()
        .await
        .unwrap();
    let mut findings = Vec::new();
    for (account, region, n) in [(ADMIN, "us-east-1", 2), (PROD, "eu-west-1", 5)] {
        let c = moto.client(account, region).await;
        c.enable_security_hub_v2().send().await.unwrap();
        for i in 0..n {
            findings.push(json!({
                "class_uid": 2004, "severity_id": 4,
                "metadata": {"uid": format!("v2-{account}-{region}-{i}"),
                              "product": {"uid": "arn:aws:securityhub:::product/aws/guardduty", "name": "GuardDuty"}},
                "finding_info": {"uid": format!("fi-{account}-{region}-{i}"), "title": "Recon"},
                "cloud": {"account": {"uid": account}, "region": region},
            }));
        }
    }
    let r = reqwest::Client::new()
        .post(format!("{}/_hubble/securityhub/v2/findings", moto.url))
        .json(&json!({ "findings": findings }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{:?}", r.text().await);
    let admin = moto.client(ADMIN, "us-east-1").await;
    admin
        .create_aggregator_v2()
        .region_linking_mode("ALL_REGIONS")
        .send()
        .await
        .unwrap();
    moto.client(ADMIN, "eu-west-1")
        .await
        .enable_security_hub_v2()
        .send()
        .await
        .unwrap();
    let cfg = config(
        &moto,
        &format!(
            "[[aws]]\nname = \"org\"\nregions = [\"eu-west-1\"]\napi = \"v2\"\naggregator = \"auto\"\nrole_arn = \"arn:aws:iam::{ADMIN}:role/Audit\""
        ),
    );
    let setup = agent_hubble::setup::sources(&cfg, false, false)
        .await
        .unwrap();
    assert_eq!(setup.sources.len(), 1);
    let src: Arc<dyn Source> = setup.sources[0].clone();
    assert_eq!(src.info().key, "aws/org/us-east-1");
    assert_eq!(src.estimate_total(false).await.unwrap(), Some(7));
    let (items, _) = fetch_all(src.as_ref(), &Query::full(false)).await.unwrap();
    let mut where_: Vec<(String, String)> = items
        .iter()
        .map(|n| (n.finding.account.to_string(), n.finding.region.to_string()))
        .collect();
    where_.dedup();
    where_.sort();
    where_.dedup();
    assert_eq!(
        where_,
        vec![
            (ADMIN.to_string(), "us-east-1".to_string()),
            (PROD.to_string(), "eu-west-1".to_string())
        ]
    );
}
