use super::*;
use serde_json::{Value, json};

const SOURCE: &str = "gcp/org/organizations/123456789012";

/// A Security Health Analytics finding as ListFindings returns it (proto3 JSON mapping).
fn sha() -> Value {
    json!({
        "finding": {
            "name": "organizations/123456789012/sources/9001/locations/global/findings/5b2f1c0a",
            "canonicalName": "projects/314159265358/sources/9001/locations/global/findings/5b2f1c0a",
            "parent": "organizations/123456789012/sources/9001/locations/global",
            "resourceName": "//storage.googleapis.com/acme-web-assets",
            "state": "ACTIVE",
            "category": "PUBLIC_BUCKET_ACL",
            "externalUri": "https://console.cloud.google.com/storage/browser/acme-web-assets",
            "sourceProperties": {"Recommendation": "Use the recommendation", "ReactivationCount": 0,
                                 "ResourcePath": ["acme-web-prod", "Production"]},
            "securityMarks": {"name": "organizations/123456789012/sources/9001/locations/global/findings/5b2f1c0a/securityMarks"},
            "eventTime": "2026-05-02T10:00:00.123Z",
            "createTime": "2026-05-01T09:00:00Z",
            "severity": "HIGH",
            "mute": "UNDEFINED",
            "findingClass": "MISCONFIGURATION",
            "parentDisplayName": "Security Health Analytics",
            "description": "Cloud Storage buckets should not be anonymously or publicly accessible. More text here.",
            "nextSteps": "Remove allUsers and allAuthenticatedUsers from the bucket's IAM policy.",
            "compliances": [
                {"standard": "cis", "version": "1.3", "ids": ["5.1"]},
                {"standard": "cis", "version": "2.0", "ids": ["5.1"]},
                {"standard": "nist", "version": "800-53", "ids": ["AC-2"]}
            ],
            "someFieldAddedNextYear": {"nested": [1, 2, 3]}
        },
        "resource": {
            "name": "//storage.googleapis.com/acme-web-assets",
            "displayName": "acme-web-assets",
            "type": "google.cloud.storage.Bucket",
            "cloudProvider": "GOOGLE_CLOUD_PLATFORM",
            "service": "storage.googleapis.com",
            "location": "us",
            "gcpMetadata": {
                "project": "//cloudresourcemanager.googleapis.com/projects/314159265358",
                "projectDisplayName": "acme-web-prod",
                "parent": "//cloudresourcemanager.googleapis.com/folders/456789012345",
                "parentDisplayName": "Production",
                "organization": "organizations/123456789012"
            }
        }
    })
}

fn norm(v: &Value) -> Result<Finding, String> {
    normalize_one(&v.to_string(), &intern(SOURCE))
}

fn detail<'f>(f: &'f Finding, label: &str) -> Option<&'f str> {
    f.details
        .iter()
        .find(|(k, _)| k.as_str() == label)
        .map(|(_, v)| v.as_str())
}

#[test]
fn normalises_a_security_health_analytics_finding() {
    let f = norm(&sha()).unwrap();
    assert_eq!(
        f.id,
        "organizations/123456789012/sources/9001/locations/global/findings/5b2f1c0a"
    );
    assert_eq!(f.provider, Provider::GcpScc);
    assert_eq!(f.cloud, Cloud::Gcp);
    assert_eq!(f.source, SOURCE);
    assert_eq!(f.account, "acme-web-prod");
    assert_eq!(f.region, "us");
    assert_eq!(f.severity, Severity::High);
    assert_eq!(
        f.title,
        "Public bucket ACL: Cloud Storage buckets should not be anonymously or publicly accessible."
    );
    assert!(f.description.starts_with("Cloud Storage buckets"));
    assert_eq!(f.product_name, "Security Health Analytics");
    assert_eq!(f.company_name, "Google");
    assert_eq!(f.control_id.as_deref(), Some("PUBLIC_BUCKET_ACL"));
    assert_eq!(f.types, vec![intern("MISCONFIGURATION")]);
    assert_eq!(f.resource_type(), "google.cloud.storage.Bucket");
    assert_eq!(f.resource_id(), "//storage.googleapis.com/acme-web-assets");
    assert_eq!(f.resources[0].region.as_deref(), Some("us"));
    assert_eq!(f.workflow, Workflow::New);
    assert_eq!(f.record_state, RecordState::Active);
    assert_eq!(f.compliance, Some(ComplianceStatus::Failed));
    assert_eq!(
        f.standards,
        vec![
            intern("gcp/cis/1.3"),
            intern("gcp/cis/2.0"),
            intern("gcp/nist/800-53")
        ]
    );
    assert_eq!(
        f.related_requirements,
        vec![
            intern("CIS 1.3 5.1"),
            intern("CIS 2.0 5.1"),
            intern("NIST 800-53 AC-2")
        ]
    );
    assert_eq!(
        f.created_at,
        parse_timestamp("2026-05-01T09:00:00Z").unwrap()
    );
    assert_eq!(
        f.updated_at,
        parse_timestamp("2026-05-02T10:00:00.123Z").unwrap()
    );
    assert_eq!(f.last_observed_at, Some(f.updated_at));
    assert_eq!(
        f.remediation_text.as_deref(),
        Some("Remove allUsers and allAuthenticatedUsers from the bucket's IAM policy.")
    );
    assert_eq!(
        f.url.as_deref(),
        Some("https://console.cloud.google.com/storage/browser/acme-web-assets")
    );
    assert_eq!(detail(&f, "Finding class"), Some("MISCONFIGURATION"));
    assert_eq!(detail(&f, "Mute"), Some("UNDEFINED"));
    assert_eq!(detail(&f, "Parent"), Some("Security Health Analytics"));
    assert_eq!(
        f.generator_id,
        "organizations/123456789012/sources/9001/locations/global"
    );
    assert!(f.vulns.is_empty());
}

#[test]
fn state_and_mute_map_to_workflow_and_compliance() {
    let mut v = sha();
    v["finding"]["mute"] = json!("MUTED");
    v["finding"]["muteInitiator"] = json!("organizations/123456789012/muteConfigs/dev");
    v["finding"]["muteUpdateTime"] = json!("2026-05-03T00:00:00Z");
    let f = norm(&v).unwrap();
    assert_eq!(f.workflow, Workflow::Suppressed);
    assert_eq!(f.compliance, Some(ComplianceStatus::Failed));
    // updated = max(eventTime, muteUpdateTime)
    assert_eq!(
        f.updated_at,
        parse_timestamp("2026-05-03T00:00:00Z").unwrap()
    );
    assert_eq!(
        detail(&f, "Mute"),
        Some("MUTED by organizations/123456789012/muteConfigs/dev at 2026-05-03T00:00:00Z")
    );

    v["finding"]["state"] = json!("INACTIVE");
    let f = norm(&v).unwrap();
    assert_eq!(f.workflow, Workflow::Resolved, "inactive wins over muted");
    assert_eq!(f.compliance, Some(ComplianceStatus::Passed));
    assert_eq!(f.record_state, RecordState::Active);

    v["finding"]["state"] = json!("ACTIVE");
    v["finding"]["mute"] = json!("UNMUTED");
    assert_eq!(norm(&v).unwrap().workflow, Workflow::New);
}

#[test]
fn severities() {
    for (s, want) in [
        ("CRITICAL", Severity::Critical),
        ("HIGH", Severity::High),
        ("MEDIUM", Severity::Medium),
        ("LOW", Severity::Low),
        ("SEVERITY_UNSPECIFIED", Severity::Informational),
        ("SOMETHING_NEW", Severity::Informational),
    ] {
        let mut v = sha();
        v["finding"]["severity"] = json!(s);
        assert_eq!(norm(&v).unwrap().severity, want, "{s}");
    }
    let mut v = sha();
    v["finding"].as_object_mut().unwrap().remove("severity");
    assert_eq!(norm(&v).unwrap().severity, Severity::Informational);
}

#[test]
fn threat_finding_with_mitre_indicator_and_no_compliance() {
    let v = json!({
        "finding": {
            "name": "organizations/123456789012/sources/777/locations/global/findings/c0ffee",
            "parent": "organizations/123456789012/sources/777/locations/global",
            "resourceName": "//compute.googleapis.com/projects/acme-web-prod/zones/us-central1-a/instances/gpu-train-2",
            "state": "ACTIVE",
            "category": "Malware: Cryptomining Bad IP",
            "eventTime": "2026-05-02T10:00:00Z",
            "createTime": "2026-05-02T10:00:00Z",
            "severity": "HIGH",
            "findingClass": "THREAT",
            "indicator": {"ipAddresses": ["198.51.100.23", "203.0.113.9"], "domains": ["bad.example"]},
            "mitreAttack": {"primaryTactic": "IMPACT", "primaryTechniques": ["RESOURCE_HIJACKING"],
                            "additionalTactics": ["EXECUTION"], "version": "15"},
            "parentDisplayName": "Event Threat Detection",
            "sourceProperties": {"detectionCategory": {"ruleName": "bad_ip"}, "Recommendation": 7}
        },
        "resource": {"name": "//compute.googleapis.com/projects/acme-web-prod/zones/us-central1-a/instances/gpu-train-2",
                     "type": "google.compute.Instance", "location": "us-central1-a"}
    });
    let f = norm(&v).unwrap();
    assert_eq!(
        f.title, "Malware: Cryptomining Bad IP",
        "prose categories stay"
    );
    assert_eq!(f.account, "acme-web-prod", "project from the resource name");
    assert_eq!(f.region, "us-central1-a");
    assert_eq!(f.compliance, None);
    assert!(f.standards.is_empty());
    assert_eq!(
        f.remediation_text, None,
        "a non-string Recommendation is ignored"
    );
    assert_eq!(
        detail(&f, "Indicator"),
        Some("IPs 198.51.100.23, 203.0.113.9; domains bad.example")
    );
    assert_eq!(
        detail(&f, "MITRE ATT&CK"),
        Some("tactic IMPACT; techniques RESOURCE_HIJACKING; also tactics EXECUTION")
    );
    assert_eq!(detail(&f, "Mute"), None);
    assert_eq!(f.product_name, "Event Threat Detection");
}

#[test]
fn vulnerability_finding_carries_its_cve() {
    let mut v = sha();
    v["finding"]["category"] = json!("OS_VULNERABILITY");
    v["finding"]["findingClass"] = json!("VULNERABILITY");
    v["finding"]["vulnerability"] =
        json!({"cve": {"id": "CVE-2024-6387", "cvssv3": {"baseScore": 8.1}}});
    let f = norm(&v).unwrap();
    assert_eq!(f.vulns, vec![intern("CVE-2024-6387")]);
    assert!(f.title.starts_with("OS vulnerability: "));
}

#[test]
fn minimal_finding_falls_back_for_everything() {
    // Only a name and a time: what an old or custom source may send.
    let v = json!({"finding": {
        "name": "organizations/123/sources/5/findings/f1",
        "eventTime": "2026-11-30T10:00:00Z"
    }});
    let f = norm(&v).unwrap();
    assert_eq!(f.account, "organizations/123");
    assert_eq!(f.region, "global");
    assert_eq!(f.severity, Severity::Informational);
    assert_eq!(f.workflow, Workflow::New);
    assert_eq!(f.product_name, DEFAULT_PRODUCT);
    assert_eq!(f.title, "");
    assert_eq!(f.control_id, None);
    assert!(f.resources.is_empty() && f.types.is_empty() && f.details.is_empty());
    assert_eq!(f.created_at, f.updated_at);
    assert_eq!(
        f.url.as_deref(),
        Some(
            "https://console.cloud.google.com/security/command-center/findingsv2;name=organizations%2F123%2Fsources%2F5%2Ffindings%2Ff1?organizationId=123"
        )
    );
}

#[test]
fn account_fallbacks() {
    // Project number from gcpMetadata when there is no id anywhere.
    let v = json!({"finding": {"name": "organizations/1/sources/2/locations/eu/findings/x",
                               "resourceName": "//storage.googleapis.com/b", "eventTime": "2026-01-01T00:00:00Z"},
                   "resource": {"gcpMetadata": {"project": "//cloudresourcemanager.googleapis.com/projects/42"}}});
    let f = norm(&v).unwrap();
    assert_eq!(f.account, "42");
    assert_eq!(f.region, "eu", "location from the finding name");
    // Project parent in the name.
    let v = json!({"finding": {"name": "projects/acme-data-dev/sources/2/findings/x",
                               "eventTime": "2026-01-01T00:00:00Z"}});
    assert_eq!(norm(&v).unwrap().account, "acme-data-dev");
    // Canonical name beats the organization prefix.
    let v = json!({"finding": {"name": "organizations/1/sources/2/findings/x",
                               "canonicalName": "projects/77/sources/2/findings/x",
                               "eventTime": "2026-01-01T00:00:00Z"}});
    assert_eq!(norm(&v).unwrap().account, "77");
}

#[test]
fn humanises_categories() {
    assert_eq!(humanise("PUBLIC_BUCKET_ACL"), "Public bucket ACL");
    assert_eq!(humanise("OPEN_SSH_PORT"), "Open SSH port");
    assert_eq!(humanise("SQL_PUBLIC_IP"), "SQL public IP");
    assert_eq!(humanise("MFA_NOT_ENFORCED"), "MFA not enforced");
    assert_eq!(humanise("KMS_KEY_NOT_ROTATED"), "KMS key not rotated");
    assert_eq!(humanise("__ODD__NAME_"), "Odd name");
    assert_eq!(
        humanise("Persistence: IAM Anomalous Grant"),
        "Persistence: IAM Anomalous Grant"
    );
    assert_eq!(humanise(""), "");
}

#[test]
fn long_descriptions_are_cut_in_the_title_only() {
    let mut v = sha();
    let long = "é".repeat(400);
    v["finding"]["description"] = json!(long);
    let f = norm(&v).unwrap();
    assert_eq!(f.title.chars().count(), TITLE_MAX);
    assert!(f.title.ends_with('…'));
    assert_eq!(f.description.chars().count(), 400);
}

#[test]
fn hostile_text_is_kept_verbatim_for_the_views_to_sanitise() {
    let mut v = sha();
    let evil = "\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\u{202e}gnp.exe\r\nline2\u{0}";
    v["finding"]["category"] = json!(evil);
    v["finding"]["description"] = json!(evil);
    v["finding"]["parentDisplayName"] = json!(evil);
    v["finding"]["mute"] = json!(evil);
    v["resource"]["gcpMetadata"]["projectDisplayName"] = json!(evil);
    let f = norm(&v).unwrap();
    assert_eq!(f.description, evil);
    assert_eq!(f.product_name, evil);
    assert_eq!(f.account, evil);
    assert!(f.title.starts_with(evil));
    assert_eq!(
        f.workflow,
        Workflow::New,
        "an unknown mute value is not MUTED"
    );
    // The raw JSON keeps the escapes exactly as sent.
    let body = json!({"listFindingsResults": [v]}).to_string();
    let page = normalize_page(body.as_bytes(), SOURCE).unwrap();
    assert!(page.items[0].raw.contains("\\u001b"));
}

#[test]
fn bad_items_are_skipped_and_counted() {
    let mut bad_time = sha();
    bad_time["finding"]["eventTime"] = json!("yesterday");
    let mut bad_type = sha();
    bad_type["finding"]["severity"] = json!(3);
    let body = json!({
        "listFindingsResults": [
            sha(),
            bad_time,
            bad_type,
            {"resource": {"name": "x"}},
            {"finding": {"eventTime": "2026-01-01T00:00:00Z"}},
            {"finding": {"name": "organizations/1/sources/2/findings/no-time"}},
            "not an object",
            null
        ],
        "nextPageToken": "tok-2",
        "totalSize": 8
    })
    .to_string();
    let page = normalize_page(body.as_bytes(), SOURCE).unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.skipped.len(), 7, "{:#?}", page.skipped);
    assert!(
        page.skipped[0].contains("eventTime is not a timestamp"),
        "{}",
        page.skipped[0]
    );
    assert!(
        page.skipped[1].contains("5b2f1c0a"),
        "names the finding: {}",
        page.skipped[1]
    );
    assert_eq!(page.next_token.as_deref(), Some("tok-2"));
    // The raw JSON is the list result exactly as received.
    let raw: Value = serde_json::from_str(&page.items[0].raw).unwrap();
    assert_eq!(raw, sha());
}

#[test]
fn empty_and_malformed_envelopes() {
    let page = normalize_page(b"{}", SOURCE).unwrap();
    assert!(page.items.is_empty() && page.next_token.is_none());
    let page = normalize_page(br#"{"nextPageToken": ""}"#, SOURCE).unwrap();
    assert!(page.next_token.is_none());
    assert!(normalize_page(b"<html>", SOURCE).is_err());
    assert!(normalize_page(br#"{"listFindingsResults": 5}"#, SOURCE).is_err());
}

#[test]
fn escaped_strings_are_decoded() {
    let body = r#"{"listFindingsResults":[{"finding":{"name":"organizations/1/sources/2/findings/a\u002fb","eventTime":"2026-01-01T00:00:00Z","description":"say \"hi\"\n"}}]}"#;
    let page = normalize_page(body.as_bytes(), SOURCE).unwrap();
    let f = &page.items[0].finding;
    assert_eq!(f.id, "organizations/1/sources/2/findings/a/b");
    assert_eq!(f.description, "say \"hi\"\n");
}
