use super::*;
use serde_json::json;

fn base() -> serde_json::Value {
    json!({
        "SchemaVersion": "2018-10-08",
        "Id": "arn:aws:securityhub:us-east-1:111111111111:security-control/S3.8/finding/abc",
        "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/securityhub",
        "GeneratorId": "security-control/S3.8",
        "AwsAccountId": "111111111111",
        "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
        "CreatedAt": "2024-05-01T12:00:00.000Z",
        "UpdatedAt": "2024-05-02T12:00:00.000Z",
        "Severity": {"Label": "HIGH", "Normalized": 70, "Original": "HIGH"},
        "Title": "S3 general purpose buckets should block public access",
        "Description": "This control checks …",
        "Remediation": {"Recommendation": {"Text": "Fix it", "Url": "https://docs.aws.amazon.com/x"}},
        "ProductFields": {"aws/securityhub/ProductName": "Security Hub", "aws/securityhub/CompanyName": "AWS"},
        "Resources": [{"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::bucket", "Partition": "aws", "Region": "us-east-1", "Tags": {"b": "2", "a": "1"}, "Details": {"AwsS3Bucket": {"Owner": "x"}}}],
        "Compliance": {"Status": "FAILED", "SecurityControlId": "S3.8", "RelatedRequirements": ["NIST.800-53.r5 AC-21"],
                       "AssociatedStandards": [{"StandardsId": "standards/aws-foundational-security-best-practices/v/1.0.0"}]},
        "Workflow": {"Status": "NEW"},
        "RecordState": "ACTIVE"
    })
}

fn norm(v: &serde_json::Value) -> Result<Finding, String> {
    normalize_one(&v.to_string(), "aws/test/us-east-1")
}

#[test]
fn normalises_a_control_finding() {
    let f = norm(&base()).unwrap();
    assert_eq!(f.account, "111111111111");
    assert_eq!(f.region, "us-east-1");
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.severity_normalized, Some(70));
    assert_eq!(f.control_id.as_deref(), Some("S3.8"));
    assert_eq!(f.product_name, "Security Hub");
    assert_eq!(f.company_name, "AWS");
    assert_eq!(f.resource_type(), "AwsS3Bucket");
    assert_eq!(f.resource_id(), "arn:aws:s3:::bucket");
    assert_eq!(
        f.resources[0].tags,
        vec![("a".into(), "1".into()), ("b".into(), "2".into())]
    );
    assert_eq!(f.compliance, Some(ComplianceStatus::Failed));
    assert_eq!(f.standards.len(), 1);
    assert_eq!(f.workflow, Workflow::New);
    assert_eq!(f.record_state, RecordState::Active);
    assert_eq!(
        f.remediation_url.as_deref(),
        Some("https://docs.aws.amazon.com/x")
    );
    assert_eq!(f.updated_at - f.created_at, 86_400_000);
    assert_eq!(f.source, "aws/test/us-east-1");
}

#[test]
fn severity_label_derived_from_normalized_when_absent() {
    for (n, want) in [
        (0, Severity::Informational),
        (1, Severity::Low),
        (39, Severity::Low),
        (40, Severity::Medium),
        (69, Severity::Medium),
        (70, Severity::High),
        (89, Severity::High),
        (90, Severity::Critical),
        (100, Severity::Critical),
    ] {
        let mut v = base();
        v["Severity"] = json!({ "Normalized": n });
        assert_eq!(norm(&v).unwrap().severity, want, "normalized {n}");
    }
    let mut v = base();
    v["Severity"] = json!({ "Product": 8.3e1 });
    assert_eq!(
        norm(&v).unwrap().severity,
        Severity::High,
        "deprecated Product"
    );
    let mut v = base();
    v.as_object_mut().unwrap().remove("Severity");
    assert_eq!(norm(&v).unwrap().severity, Severity::Informational);
}

#[test]
fn odd_timestamps_with_offsets_and_nanoseconds() {
    let mut v = base();
    v["UpdatedAt"] = json!("2024-05-02T14:00:00.123456789+02:00");
    v["CreatedAt"] = json!("2024-05-01T12:00:00Z");
    v["FirstObservedAt"] = json!("2024-05-01T07:00:00-05:00");
    let f = norm(&v).unwrap();
    assert_eq!(f.updated_at - f.created_at, 86_400_000 + 123);
    assert_eq!(f.first_observed_at, Some(f.created_at));
    v["UpdatedAt"] = json!("last tuesday");
    let e = norm(&v).unwrap_err();
    assert!(e.contains("UpdatedAt") && e.contains("last tuesday"), "{e}");
}

#[test]
fn missing_optional_fields() {
    let v = json!({
        "Id": "x-1",
        "ProductArn": "arn:aws:securityhub:eu-west-1::product/acme/scanner",
        "AwsAccountId": "222222222222",
        "UpdatedAt": "2024-01-01T00:00:00Z",
        "Severity": {"Label": "low"}
    });
    let f = norm(&v).unwrap();
    assert_eq!(
        f.region, "eu-west-1",
        "region falls back to the product ARN"
    );
    assert_eq!(f.created_at, f.updated_at);
    assert_eq!(f.severity, Severity::Low);
    assert_eq!(f.control_id, None);
    assert_eq!(f.resource_id(), "");
    assert_eq!(f.workflow, Workflow::New);
    assert_eq!(f.compliance, None);
}

#[test]
fn legacy_workflow_state_and_control_from_generator() {
    let mut v = base();
    v.as_object_mut().unwrap().remove("Workflow");
    v["WorkflowState"] = json!("DEFERRED");
    v["Compliance"] = json!({"Status": "PASSED"});
    v["GeneratorId"] = json!("aws-foundational-security-best-practices/v/1.0.0/EC2.19");
    let f = norm(&v).unwrap();
    assert_eq!(f.workflow, Workflow::Suppressed);
    assert_eq!(f.control_id.as_deref(), Some("EC2.19"));
    let mut v = base();
    v["Compliance"] = json!(null);
    v["GeneratorId"] = json!("arn:aws:guardduty:us-east-1:1:detector/x");
    assert_eq!(norm(&v).unwrap().control_id, None);
}

#[test]
fn page_skips_and_counts_malformed_findings() {
    let good = base();
    let mut no_id = base();
    no_id.as_object_mut().unwrap().remove("Id");
    let mut bad_type = base();
    bad_type["Severity"] = json!("HIGH");
    let mut bad_time = base();
    bad_time["Id"] = json!("t-1");
    bad_time["UpdatedAt"] = json!(17);
    let body = json!({"Findings": [good, no_id, bad_type, bad_time, 42], "NextToken": "tok"});
    let page = normalize_page(body.to_string().as_bytes(), "s").unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.skipped.len(), 4, "{:?}", page.skipped);
    assert!(
        page.skipped.iter().any(|s| s.contains("t-1")),
        "{:?}",
        page.skipped
    );
    assert_eq!(page.next_token.as_deref(), Some("tok"));
    assert!(
        page.items[0].raw.contains("\"Details\""),
        "raw JSON is kept whole"
    );
    assert!(normalize_page(b"{\"Findings\": [", "s").is_err());
    let empty = normalize_page(br#"{"Findings": [], "NextToken": ""}"#, "s").unwrap();
    assert!(empty.items.is_empty() && empty.next_token.is_none());
}

#[test]
fn escaped_strings_are_decoded() {
    let mut v = base();
    v["Title"] = json!("quote \" and \u{1b}[31m escape");
    let f = norm(&v).unwrap();
    assert_eq!(
        f.title, "quote \" and \u{1b}[31m escape",
        "sanitising is the view's job"
    );
}
