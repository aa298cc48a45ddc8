use super::*;

/// The OCSF examples the moto plugin serves (shapes from AWS's OCSF user guide).
fn example(kind: &str) -> serde_json::Value {
    let all: serde_json::Value =
        serde_json::from_str(include_str!("../../../tests/moto/ocsf_examples.json")).unwrap();
    all[kind].clone()
}

fn page(findings: &[serde_json::Value]) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({"Findings": findings, "NextToken": "t2"})).unwrap()
}

#[test]
fn compliance_finding() {
    let body = page(&[example("compliance")]);
    let p = normalize_page(&body, "aws/sec/us-east-1").unwrap();
    assert_eq!(p.next_token.as_deref(), Some("t2"));
    let f = &p.items[0].finding;
    assert_eq!(
        f.id,
        "063b8e099a5f5cdadcaddfb844474cb7f62e9adcbb3086d5dd8f5e3aa0ec9f36"
    );
    assert_eq!(
        (f.provider, f.cloud),
        (Provider::AwsSecurityHubV2, Cloud::Aws)
    );
    assert_eq!(
        (f.account.as_str(), f.region.as_str()),
        ("123456789012", "us-east-1")
    );
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.workflow, Workflow::New);
    assert_eq!(f.control_id.as_deref(), Some("S3.8"));
    assert_eq!(f.compliance, Some(ComplianceStatus::Failed));
    assert!(f.standards[0].contains("aws-foundational-security-best-practices"));
    assert_eq!(crate::posture::standards::key(&f.standards[0]), "fsbp");
    let r = &f.resources[0];
    assert_eq!(
        (r.kind.as_str(), r.id.as_str()),
        ("AwsS3Bucket", "arn:aws:s3:::payments-exports")
    );
    assert_eq!((&*r.tags[0].0, &*r.tags[0].1), ("env", "prod"));
    assert_eq!(f.product_name.as_str(), "Security Hub");
    assert!(f.updated_at > f.created_at);
    assert!(f.first_observed_at.is_some() && f.last_observed_at.is_some());
    assert_eq!(
        &*p.items[0].raw,
        serde_json::to_string(&example("compliance")).unwrap()
    );
}

#[test]
fn detection_and_vulnerability_findings() {
    let p = normalize_page(
        &page(&[example("detection"), example("vulnerability")]),
        "s",
    )
    .unwrap();
    assert_eq!(p.items.len(), 2, "{:?}", p.skipped);
    let d = &p.items[0].finding;
    assert_eq!(
        (d.severity, d.product_name.as_str()),
        (Severity::Critical, "GuardDuty")
    );
    assert!(
        d.details
            .iter()
            .any(|(k, v)| k.as_str() == "MITRE ATT&CK" && v.contains("T1071"))
    );
    assert!(d.control_id.is_none());
    let v = &p.items[1].finding;
    assert_eq!(v.workflow, Workflow::Notified, "In Progress");
    assert!(
        v.vulns.iter().any(|c| c.starts_with("CVE-")),
        "{:?}",
        v.vulns
    );
}

#[test]
fn missing_fields_hostile_text_and_bad_items() {
    let mut hostile = example("compliance");
    hostile["finding_info"]["title"] = "\u{1b}[2J\u{202e}evil".into();
    hostile["metadata"]["uid"] = "x-1".into();
    hostile["status_id"] = 5.into();
    hostile["severity_id"] = 99.into();
    hostile["severity"] = "Medium".into();
    let minimal = serde_json::json!({
        "metadata": {"uid": "min"},
        "cloud": {"account": {"uid": "111111111111"}, "region": "eu-west-1"},
        "time": 1_700_000_000_000i64,
    });
    let no_account = serde_json::json!({"metadata": {"uid": "bad"}, "time": 1});
    let wrong_type = serde_json::json!({"metadata": {"uid": 7}});
    let p = normalize_page(&page(&[hostile, minimal, no_account, wrong_type]), "s").unwrap();
    assert_eq!(p.items.len(), 2);
    assert_eq!(p.skipped.len(), 2, "{:?}", p.skipped);
    assert!(p.skipped[0].contains("bad") && p.skipped[0].contains("cloud.account.uid"));
    let h = &p.items[0].finding;
    assert_eq!(
        h.title.as_str(),
        "\u{1b}[2J\u{202e}evil",
        "kept as received; views sanitise"
    );
    assert_eq!(
        (h.workflow, h.record_state),
        (Workflow::Resolved, RecordState::Archived)
    );
    assert_eq!(
        h.severity,
        Severity::Medium,
        "99 Other: the caption decides"
    );
    let m = &p.items[1].finding;
    assert_eq!(
        (m.severity, m.workflow, m.created_at),
        (Severity::Informational, Workflow::New, 1_700_000_000_000)
    );
    assert!(
        normalize_page(b"{\"Findings\": 3}", "s").is_err(),
        "a broken envelope is an error"
    );
}

#[test]
fn resource_types_map_to_asff_names() {
    assert_eq!(asff_type("AWS::EC2::SecurityGroup"), "AwsEc2SecurityGroup");
    assert_eq!(asff_type("AWS::IAM::User"), "AwsIamUser");
    assert_eq!(asff_type("Other"), "Other");
    for w in Workflow::ALL {
        assert_eq!(workflow(Some(i64::from(status_id(w)))).0, w);
    }
}
