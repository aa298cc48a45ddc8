//! The new Security Hub (OCSF, GetFindingsV2 / BatchUpdateFindingsV2) through the real SDK
//! against moto with the v2 plugin: two accounts × two regions, paging, incremental polls,
//! reconcile, status changes, `api = "auto"` and posture from v2 findings.

mod support;

use agent_hubble::config::AwsApi;
use agent_hubble::model::{ComplianceStatus, Provider, Workflow};
use agent_hubble::poller::fetch_all;
use agent_hubble::sources::aws_securityhub::{SecurityHubSource, sdk_config};
use agent_hubble::sources::{Query, Source, WorkflowUpdate};
use serde_json::{Value, json};
use support::*;

const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

/// An OCSF compliance finding, as Security Hub v2 returns it.
fn ocsf(
    account: &str,
    region: &str,
    n: usize,
    control: &str,
    status_id: i64,
    modified: &str,
) -> Value {
    json!({
        "class_uid": 2003, "class_name": "Compliance Finding", "category_uid": 2,
        "activity_id": 2, "type_uid": 200302,
        "severity_id": 4, "severity": "High", "status_id": status_id,
        "time_dt": modified,
        "metadata": {
            "uid": format!("{account}-{region}-{n:04}"),
            "version": "1.6.0",
            "product": {"name": "Security Hub", "vendor_name": "AWS",
                        "uid": format!("arn:aws:securityhub:{region}::productv2/aws/securityhub")}
        },
        "cloud": {"provider": "AWS", "region": region, "account": {"uid": account}},
        "finding_info": {
            "uid": format!("arn:aws:securityhub:{region}:{account}:security-control/{control}/finding/{n}"),
            "title": format!("{control} v2 finding {n}"),
            "desc": "seeded by the OCSF tests",
            "types": ["Posture Management"],
            "created_time_dt": "2026-11-01T10:00:00.000Z",
            "modified_time_dt": modified
        },
        "resources": [{"type": "AWS::EC2::SecurityGroup",
                       "uid": format!("sg-{n:05}"),
                       "uid_alt": format!("arn:aws:ec2:{region}:{account}:security-group/sg-{n:05}"),
                       "region": region}],
        "compliance": {"control": control, "status": if status_id == 4 { "Pass" } else { "Fail" },
                       "status_id": if status_id == 4 { 1 } else { 3 },
                       "standards": ["standards/aws-foundational-security-best-practices/v/1.0.0"]},
        "remediation": {"desc": "Remove the open ingress rules.",
                        "references": ["https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html"]}
    })
}

async fn import(moto: &Moto, findings: &[Value]) {
    let r = reqwest::Client::new()
        .post(format!("{}/_hubble/securityhub/v2/findings", moto.url))
        .json(&json!({ "findings": findings }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{:?}", r.text().await);
}

async fn enable_v2(moto: &Moto, account: &str, region: &str) {
    moto.client(account, region)
        .await
        .enable_security_hub_v2()
        .send()
        .await
        .expect("EnableSecurityHubV2");
}

async fn source(moto: &Moto, account: &str, region: &str, api: AwsApi) -> SecurityHubSource {
    let t = moto.target(account, account, region);
    SecurityHubSource::new(&t.name, &t.region, &sdk_config(&t).await).with_api(api)
}

async fn all(s: &SecurityHubSource) -> Vec<agent_hubble::model::Finding> {
    let (items, skipped) = fetch_all(s, &Query::full(false)).await.unwrap();
    assert!(skipped.is_empty(), "{skipped:?}");
    items.into_iter().map(|n| n.finding).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_accounts_two_regions_paging_incremental_and_reconcile() {
    let moto = Moto::start();
    let mut n = 0;
    for account in [ACCOUNT_A, ACCOUNT_B] {
        for region in REGIONS {
            enable_v2(&moto, account, region).await;
            let batch: Vec<Value> = (0..3)
                .map(|_| {
                    n += 1;
                    ocsf(account, region, n, "EC2.19", 1, "2026-11-20T10:00:00.000Z")
                })
                .collect();
            import(&moto, &batch).await;
        }
    }
    // Paging: 130 more in one place.
    let many: Vec<Value> = (1000..1130)
        .map(|i| {
            ocsf(
                ACCOUNT_A,
                "us-east-1",
                i,
                "S3.8",
                1,
                "2026-11-20T10:00:00.000Z",
            )
        })
        .collect();
    import(&moto, &many).await;
    for account in [ACCOUNT_A, ACCOUNT_B] {
        for region in REGIONS {
            let s = source(&moto, account, region, AwsApi::V2).await;
            let found = all(&s).await;
            let want = if (account, region) == (ACCOUNT_A, "us-east-1") {
                133
            } else {
                3
            };
            assert_eq!(found.len(), want, "{account}/{region}");
            assert!(
                found
                    .iter()
                    .all(|f| f.account == account && f.region == region)
            );
            assert!(
                found
                    .iter()
                    .all(|f| f.provider == Provider::AwsSecurityHubV2)
            );
            assert_eq!(s.api().as_deref(), Some("v2 (OCSF)"));
        }
    }
    let s = source(&moto, ACCOUNT_B, "eu-west-1", AwsApi::V2).await;
    let f = all(&s).await.remove(0);
    assert_eq!(f.control_id.as_deref(), Some("EC2.19"));
    assert_eq!(f.resources[0].kind.as_str(), "AwsEc2SecurityGroup");
    assert!(
        f.resources[0]
            .id
            .starts_with("arn:aws:ec2:eu-west-1:222222222222:security-group/")
    );
    assert_eq!(f.compliance, Some(ComplianceStatus::Failed));

    // Incremental: only what changed after the watermark, oldest first.
    import(
        &moto,
        &[ocsf(
            ACCOUNT_B,
            "eu-west-1",
            5000,
            "IAM.7",
            1,
            "2026-11-25T10:00:00.000Z",
        )],
    )
    .await;
    let since = agent_hubble::model::parse_timestamp("2026-11-24T00:00:00Z").unwrap();
    let (items, _) = fetch_all(&s, &Query::UpdatedSince(since)).await.unwrap();
    let ids: Vec<&str> = items.iter().map(|n| n.finding.id.as_str()).collect();
    assert_eq!(ids, vec!["222222222222-eu-west-1-5000"]);
    let sent: Value = reqwest::get(format!(
        "{}/_hubble/requests?service=securityhub&operation=GetFindingsV2",
        moto.url
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let last = &sent["requests"].as_array().unwrap().last().unwrap()["body"];
    assert_eq!(
        last["Filters"]["CompositeFilters"][0]["DateFilters"][0]["FieldName"],
        "finding_info.modified_time_dt"
    );
    assert_eq!(last["SortCriteria"][0]["SortOrder"], "asc");

    // Another client resolves a finding with BatchUpdateFindingsV2 (modified_time does not
    // move): only a reconcile (full read) sees it.
    let other = moto.client(ACCOUNT_B, "eu-west-1").await;
    other
        .batch_update_findings_v2()
        .metadata_uids(f.id.clone())
        .status_id(4)
        .comment("closed by the cloud team")
        .send()
        .await
        .unwrap();
    let (items, _) = fetch_all(&s, &Query::UpdatedSince(since)).await.unwrap();
    assert!(
        items.iter().all(|n| n.finding.id != f.id),
        "incremental misses it"
    );
    let again = all(&s).await.into_iter().find(|x| x.id == f.id).unwrap();
    assert_eq!(again.workflow, Workflow::Resolved);
    assert_eq!(again.note.unwrap().text, "closed by the cloud team");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_changes_go_out_with_batch_update_findings_v2() {
    let moto = Moto::start();
    enable_v2(&moto, ACCOUNT_A, "us-east-1").await;
    let findings: Vec<Value> = (1..=130)
        .map(|i| {
            ocsf(
                ACCOUNT_A,
                "us-east-1",
                i,
                "EC2.19",
                1,
                "2026-11-20T10:00:00.000Z",
            )
        })
        .collect();
    import(&moto, &findings).await;
    let s = source(&moto, ACCOUNT_A, "us-east-1", AwsApi::V2).await;
    let mut refs: Vec<agent_hubble::model::FindingRef> =
        all(&s).await.iter().map(|f| f.into()).collect();
    refs.push(agent_hubble::model::FindingRef {
        id: "no-such-finding".into(),
        product_arn: "x".into(),
        source: "y".into(),
    });
    let out = s
        .update_workflow(&WorkflowUpdate {
            findings: refs,
            status: Workflow::Suppressed,
            note: Some("accepted risk, CHG-7".into()),
            actor: "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_SecOps_1/alice".into(),
            reason: None,
        })
        .await
        .unwrap();
    assert_eq!(out.processed.len(), 130, "two calls of at most 100");
    assert_eq!(out.unprocessed.len(), 1);
    assert_eq!(out.unprocessed[0].0, "no-such-finding");
    let found = all(&s).await;
    assert!(found.iter().all(|f| f.workflow == Workflow::Suppressed));
    assert!(
        found
            .iter()
            .all(|f| f.note.as_ref().unwrap().text == "accepted risk, CHG-7")
    );
}

/// `api = "auto"`: v2 where the account and region have it, v1 (ASFF) elsewhere; the
/// source says which.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_uses_v2_where_enabled_and_falls_back_to_v1() {
    let moto = Moto::start();
    enable_v2(&moto, ACCOUNT_A, "us-east-1").await;
    import(
        &moto,
        &[ocsf(
            ACCOUNT_A,
            "us-east-1",
            1,
            "EC2.19",
            1,
            "2026-11-20T10:00:00.000Z",
        )],
    )
    .await;
    seed(
        &moto.client(ACCOUNT_B, "eu-west-1").await,
        &[asff(
            ACCOUNT_B,
            "eu-west-1",
            2,
            "S3.8",
            "HIGH",
            "2026-11-20T10:00:00.000Z",
        )],
    )
    .await;
    let v2 = source(&moto, ACCOUNT_A, "us-east-1", AwsApi::Auto).await;
    assert_eq!(v2.api().as_deref(), Some("auto"));
    let f = all(&v2).await;
    assert_eq!((f.len(), f[0].provider), (1, Provider::AwsSecurityHubV2));
    assert_eq!(v2.api().as_deref(), Some("auto: v2 (OCSF)"));
    let v1 = source(&moto, ACCOUNT_B, "eu-west-1", AwsApi::Auto).await;
    let f = all(&v1).await;
    assert_eq!((f.len(), f[0].provider), (1, Provider::AwsSecurityHub));
    assert_eq!(v1.api().as_deref(), Some("auto: v1 (ASFF, no v2 here)"));
    // Asking v2 explicitly where it is not enabled is an access error, named.
    let strict = source(&moto, ACCOUNT_B, "eu-west-1", AwsApi::V2).await;
    let e = fetch_all(&strict, &Query::full(false)).await.unwrap_err();
    assert!(e.to_string().contains("AccessDeniedException"), "{e}");
}

/// Posture and reports work from v2 findings as from v1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posture_from_v2_findings() {
    let moto = Moto::start();
    enable_v2(&moto, ACCOUNT_A, "us-east-1").await;
    import(
        &moto,
        &[
            ocsf(
                ACCOUNT_A,
                "us-east-1",
                1,
                "EC2.19",
                1,
                "2026-11-20T10:00:00.000Z",
            ),
            ocsf(
                ACCOUNT_A,
                "us-east-1",
                2,
                "S3.8",
                4,
                "2026-11-20T10:00:00.000Z",
            ),
            ocsf(
                ACCOUNT_A,
                "us-east-1",
                3,
                "IAM.7",
                4,
                "2026-11-20T10:00:00.000Z",
            ),
        ],
    )
    .await;
    let s = source(&moto, ACCOUNT_A, "us-east-1", AwsApi::V2).await;
    let findings: Vec<std::sync::Arc<_>> =
        all(&s).await.into_iter().map(std::sync::Arc::new).collect();
    let p = agent_hubble::posture::score::compute(&findings, None);
    let fsbp = p
        .standards
        .iter()
        .find(|s| s.key == "fsbp")
        .expect("fsbp from v2 findings");
    assert_eq!((fsbp.counts.passed, fsbp.counts.failed), (2, 1));
    assert_eq!(fsbp.score, Some(67));
}
