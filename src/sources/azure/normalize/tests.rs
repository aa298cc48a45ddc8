use super::*;
use serde_json::{Value, json};

const SUB: &str = "20ff7fc3-e762-44dd-bd96-b71116dcdc23";
const NOW: i64 = 1_700_000_000_000;

fn ctx() -> Ctx {
    Ctx::new(&format!("azure/prod/{SUB}"), SUB, NOW)
}

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/azure/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(&path).expect(&path)).expect("fixture JSON")
}

/// The response body of a spec example (`responses.200.body`).
fn spec_body(name: &str) -> Vec<u8> {
    serde_json::to_vec(&fixture(name)["responses"]["200"]["body"]).unwrap()
}

fn one(v: &Value, kind: Kind) -> Result<Option<Finding>, String> {
    normalize_one(&v.to_string(), &ctx(), kind)
}

fn spec_alert() -> Value {
    fixture("GetAlertsSubscription_example.json")["responses"]["200"]["body"]["value"][0].clone()
}

#[test]
fn spec_example_alerts() {
    let page = normalize_page(
        &spec_body("GetAlertsSubscription_example.json"),
        &ctx(),
        Kind::Alerts,
    )
    .unwrap();
    assert_eq!((page.items.len(), page.skipped.len()), (2, 0));
    assert_eq!(page.next_token, None);
    let f = &page.items[0].finding;
    assert_eq!(
        f.id,
        format!(
            "/subscriptions/{SUB}/resourceGroups/myRg1/providers/Microsoft.Security/locations/westeurope/alerts/2518770965529163669_F144EE95-A3E5-42DA-A279-967D115809AA"
        )
    );
    assert_eq!(
        (f.provider, f.cloud),
        (Provider::AzureDefender, Cloud::Azure)
    );
    assert_eq!(f.account, SUB);
    assert_eq!(f.region, "westeurope");
    assert_eq!(f.source, format!("azure/prod/{SUB}"));
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.title, "Azure Security Center test alert (not a threat)");
    assert!(f.description.starts_with("This is a test alert"));
    assert_eq!(f.product_name, "Azure Security Center");
    assert_eq!(f.company_name, "Microsoft");
    assert_eq!(f.control_id.as_deref(), Some("VM_EICAR"));
    assert_eq!(f.types, vec![intern("Execution")]);
    assert_eq!(
        f.resources.len(),
        1,
        "the LogAnalytics identifier is not a resource"
    );
    assert_eq!(f.resource_type(), "Microsoft.Compute/virtualMachines");
    assert!(f.resource_id().ends_with("/virtualMachines/vm1"));
    assert_eq!(
        (f.workflow, f.record_state),
        (Workflow::New, RecordState::Active)
    );
    assert_eq!(f.compliance, None);
    assert_eq!(
        f.created_at,
        parse_timestamp("2020-02-22T00:00:00Z").unwrap()
    );
    // processingEndTimeUtc is newer than timeGeneratedUtc.
    assert_eq!(
        f.updated_at,
        parse_timestamp("2020-02-23T13:47:58.920Z").unwrap()
    );
    assert_eq!(
        f.remediation_text.as_deref(),
        Some("No further action is needed.")
    );
    assert!(
        f.url
            .as_deref()
            .unwrap()
            .starts_with("https://portal.azure.com/#blade/")
    );
    let d: Vec<(&str, &str)> = f
        .details
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        d,
        vec![
            ("Alert type", "VM_EICAR"),
            ("Intent", "Execution"),
            (
                "Techniques",
                "T1059, T1053, T1072; T1059.001, T1059.006, T1053.002"
            ),
            ("Compromised entity", "vm1"),
            ("Status", "Active"),
            ("Plan", "testName"),
            ("Incident", "yes"),
        ]
    );
    assert!(
        page.items[0].raw.contains("supportingEvidence"),
        "raw JSON kept whole"
    );
    let g = &page.items[1].finding;
    assert_eq!(g.severity, Severity::Medium);
    assert_eq!(g.remediation_text.as_deref().unwrap().lines().count(), 6);
    assert!(
        g.description
            .contains("c:\\users\\contosoUser\\scrsave.scr"),
        "escapes decoded"
    );
}

#[test]
fn alert_statuses_map_to_workflow_and_stay_active() {
    for (status, wf) in [
        ("Active", Workflow::New),
        ("InProgress", Workflow::Notified),
        ("Resolved", Workflow::Resolved),
        ("Dismissed", Workflow::Suppressed),
        ("SomethingNew", Workflow::New),
    ] {
        let mut a = spec_alert();
        a["properties"]["status"] = json!(status);
        let f = one(&a, Kind::Alerts).unwrap().unwrap();
        assert_eq!(
            (f.workflow, f.record_state),
            (wf, RecordState::Active),
            "{status}"
        );
        assert_eq!(
            f.is_open(),
            matches!(wf, Workflow::New | Workflow::Notified)
        );
    }
}

#[test]
fn minimal_alert_takes_defaults() {
    let a = json!({
        "id": format!("/subscriptions/{SUB}/providers/Microsoft.Security/locations/centralus/alerts/x1"),
        "properties": {"timeGeneratedUtc": "2024-01-02T03:04:05Z", "severity": "Informational"}
    });
    let f = one(&a, Kind::Alerts).unwrap().unwrap();
    assert_eq!(f.region, "centralus");
    assert_eq!(f.severity, Severity::Informational);
    assert_eq!(f.title, "Defender alert");
    assert_eq!(f.product_name, DEFENDER);
    assert_eq!(f.company_name, "Microsoft");
    assert_eq!(f.control_id, None);
    assert!(f.resources.is_empty() && f.types.is_empty() && f.details.is_empty());
    assert_eq!(f.created_at, f.updated_at);
    assert_eq!((f.remediation_text.clone(), f.url.clone()), (None, None));
    // Unknown severity reads as Medium; nulls are as good as absent.
    let a = json!({"id": "/subscriptions/s/providers/Microsoft.Security/locations/l/alerts/y",
                   "properties": {"startTimeUtc": "2024-01-02T03:04:05Z", "severity": "Severe",
                                  "resourceIdentifiers": null, "techniques": null, "status": null}});
    let f = one(&a, Kind::Alerts).unwrap().unwrap();
    assert_eq!((f.severity, f.workflow), (Severity::Medium, Workflow::New));
}

#[test]
fn bad_alerts_are_skipped_with_a_reason() {
    let mut no_time = spec_alert();
    for k in ["startTimeUtc", "timeGeneratedUtc", "processingEndTimeUtc"] {
        no_time["properties"].as_object_mut().unwrap().remove(k);
    }
    let mut bad_time = spec_alert();
    bad_time["properties"]["startTimeUtc"] = json!("yesterday");
    let mut wrong_type = spec_alert();
    wrong_type["properties"]["techniques"] = json!("T1059");
    let body = json!({"value": [spec_alert(), no_time, bad_time, wrong_type, {"name": "no-id"}, 42],
                      "nextLink": "https://management.azure.com/next"});
    let page = normalize_page(body.to_string().as_bytes(), &ctx(), Kind::Alerts).unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.skipped.len(), 5, "{:?}", page.skipped);
    assert!(
        page.skipped[0].contains("without any timestamp"),
        "{}",
        page.skipped[0]
    );
    assert!(page.skipped[1].contains("startTimeUtc is not a timestamp"));
    assert!(
        page.skipped[2].starts_with("item /subscriptions/"),
        "{}",
        page.skipped[2]
    );
    assert!(page.skipped[3].contains("without an ARM id"));
    assert!(page.skipped.iter().all(|s| !s.contains('\n')));
    assert_eq!(
        page.next_token.as_deref(),
        Some("https://management.azure.com/next")
    );
    assert!(normalize_page(b"{\"value\": 3}", &ctx(), Kind::Alerts).is_err());
    assert!(normalize_page(b"<html>", &ctx(), Kind::Alerts).is_err());
}

#[test]
fn hostile_text_is_kept_as_received_without_panics() {
    let hostile =
        "\u{1b}[2J\u{1b}]52;c;ZXZpbA==\u{7}\u{202e}gpj.exe\u{202c} \u{0}\u{85}\u{2066}x\u{fffd}";
    let mut a = spec_alert();
    a["properties"]["alertDisplayName"] = json!(hostile);
    a["properties"]["description"] = json!(hostile.repeat(1000));
    a["properties"]["compromisedEntity"] = json!(hostile);
    a["properties"]["remediationSteps"] = json!([hostile, "", hostile]);
    a["properties"]["intent"] = json!(format!("{hostile}, Execution"));
    let f = one(&a, Kind::Alerts).unwrap().unwrap();
    assert_eq!(f.title, hostile);
    assert_eq!(
        f.description.chars().count(),
        hostile.chars().count() * 1000
    );
    assert_eq!(f.types.len(), 2);
    assert_eq!(
        f.remediation_text.as_deref().unwrap(),
        format!("{hostile}\n{hostile}")
    );
    // Ids and timestamps of any shape never panic.
    for id in [
        "/",
        "//////",
        "/subscriptions",
        "/locations/",
        "/x/providers",
        "/a/providers/",
    ] {
        let mut a = spec_alert();
        a["id"] = json!(id);
        let _ = one(&a, Kind::Any);
        let _ = resource_type(id);
        let _ = alert_location(id);
    }
    for t in [
        "2024-13-01T00:00:00Z",
        "9999999999",
        "2024-01-01T25:61:61Z",
        "\u{202e}",
    ] {
        let mut a = spec_alert();
        a["properties"]["startTimeUtc"] = json!(t);
        let _ = one(&a, Kind::Alerts);
    }
}

#[test]
fn resource_types_from_arm_ids() {
    for (id, t) in [
        (
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1",
            "Microsoft.Compute/virtualMachines",
        ),
        (
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/sql/databases/db",
            "Microsoft.Sql/servers/databases",
        ),
        ("/subscriptions/s", "Microsoft.Resources/subscriptions"),
        (
            "/subscriptions/s/resourceGroups/rg",
            "Microsoft.Resources/resourceGroups",
        ),
        (
            "/subscriptions/s/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm2",
            "microsoft.compute/virtualmachines",
        ),
        (
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm/providers/Microsoft.GuestConfiguration/guestConfigurationAssignments/a",
            "Microsoft.GuestConfiguration/guestConfigurationAssignments",
        ),
        ("machine-01", ""),
    ] {
        assert_eq!(resource_type(id), t, "{id}");
    }
}

#[test]
fn spec_example_assessments() {
    let page = normalize_page(
        &spec_body("ListAssessments_example.json"),
        &ctx(),
        Kind::Assessments,
    )
    .unwrap();
    // vmss2 is NotApplicable: not a finding, and not a malformed item either.
    assert_eq!((page.items.len(), page.skipped.len()), (1, 0));
    let f = &page.items[0].finding;
    assert!(f.id.ends_with(
        "/vmss1/providers/Microsoft.Security/assessments/21300918-b2e3-0346-785f-c77ff57d243b"
    ));
    assert_eq!(
        f.control_id.as_deref(),
        Some("21300918-b2e3-0346-785f-c77ff57d243b")
    );
    assert_eq!(
        f.title,
        "Install endpoint protection solution on virtual machine scale sets"
    );
    assert_eq!(
        (f.compliance, f.workflow),
        (Some(ComplianceStatus::Passed), Workflow::Resolved)
    );
    assert!(!f.is_open());
    assert_eq!(f.standards, vec![intern(MCSB)]);
    assert_eq!(
        f.resource_type(),
        "Microsoft.Compute/virtualMachineScaleSets"
    );
    assert!(f.resource_id().ends_with("/virtualMachineScaleSets/vmss1"));
    // No metadata in the list (no $expand), no dates in the example.
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!((f.created_at, f.updated_at), (NOW, NOW));
    assert_eq!(f.region, "");
    assert_eq!(f.url, None);
}

#[test]
fn expanded_assessments_from_the_emulator() {
    let body = serde_json::to_vec(&fixture("emulator_assessments_expanded.json")["body"]).unwrap();
    let page = normalize_page(&body, &ctx(), Kind::Assessments).unwrap();
    assert_eq!((page.items.len(), page.skipped.len()), (5, 0));
    let mfa = &page.items[0].finding;
    assert_eq!(
        mfa.control_id.as_deref(),
        Some("94290b00-4d0c-d7b4-7cea-064a9554e681")
    );
    assert_eq!(
        mfa.title,
        "MFA should be enabled on accounts with owner permissions on subscriptions"
    );
    assert_eq!(
        (mfa.severity, mfa.compliance),
        (Severity::High, Some(ComplianceStatus::Failed))
    );
    assert_eq!((mfa.workflow, mfa.is_open()), (Workflow::New, true));
    assert_eq!(mfa.resource_type(), "Microsoft.Resources/subscriptions");
    assert!(mfa.description.starts_with("Multi-Factor Authentication"));
    assert!(
        mfa.remediation_text
            .as_deref()
            .unwrap()
            .contains("Conditional Access")
    );
    assert!(
        mfa.url
            .as_deref()
            .unwrap()
            .contains("assessmentKey/94290b00")
    );
    assert!(mfa.generator_id.contains("policyDefinitions/"));
    assert_eq!(mfa.types, vec![intern("IdentityAndAccess")]);
    let d: Vec<(&str, &str)> = mfa
        .details
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        d[..4],
        [
            ("Categories", "IdentityAndAccess"),
            ("User impact", "Moderate"),
            ("Implementation effort", "Moderate"),
            (
                "Threats",
                "accountBreach, dataExfiltration, maliciousInsider"
            ),
        ]
    );
    assert!(
        mfa.created_at > NOW && mfa.updated_at >= mfa.created_at,
        "dates from the status"
    );
    let storage = &page.items[2].finding;
    assert_eq!(storage.resource_type(), "Microsoft.Storage/storageAccounts");
    assert!(page.items[3].finding.compliance == Some(ComplianceStatus::Passed));
}

#[test]
fn assessment_edge_cases() {
    let id = format!(
        "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Web/sites/app/providers/Microsoft.Security/assessments/k1"
    );
    // Capitalised resourceDetails keys, no name, display name only in metadata, no dates.
    let a = json!({"id": id, "properties": {
        "resourceDetails": {"Source": "Azure", "Id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/app", "Extra": [1]},
        "status": {"code": "unhealthy", "cause": "", "description": "\u{202e}evil"},
        "metadata": {"displayName": "From metadata", "severity": "Low", "categories": null}}});
    let f = one(&a, Kind::Any).unwrap().unwrap();
    assert_eq!(f.control_id.as_deref(), Some("k1"));
    assert_eq!(f.title, "From metadata");
    assert_eq!(f.severity, Severity::Low);
    assert_eq!(f.resource_type(), "Microsoft.Web/sites");
    assert_eq!(f.compliance, Some(ComplianceStatus::Failed));
    assert!(
        f.details
            .iter()
            .any(|(k, v)| k == "Status description" && v == "\u{202e}evil")
    );
    // No resourceDetails: the resource comes from the assessment id.
    let a = json!({"id": id, "name": "k1", "properties": {"status": {"code": "Healthy"}}});
    let f = one(&a, Kind::Assessments).unwrap().unwrap();
    assert_eq!(
        f.resource_id(),
        "/subscriptions/20ff7fc3-e762-44dd-bd96-b71116dcdc23/resourceGroups/rg/providers/Microsoft.Web/sites/app"
    );
    assert_eq!(f.title, "k1");
    // On-premises machine.
    let a = json!({"id": id, "name": "k1", "properties": {"status": {"code": "Unhealthy"},
        "resourceDetails": {"source": "OnPremise", "machineName": "host-7", "sourceComputerId": "x"}}});
    let f = one(&a, Kind::Assessments).unwrap().unwrap();
    assert_eq!(
        (f.resource_type(), f.resource_id()),
        ("OnPremise", "host-7")
    );
    // NotApplicable is not a finding; a missing or unknown status is a bad item.
    let na = json!({"id": id, "properties": {"status": {"code": "NotApplicable"}}});
    assert_eq!(one(&na, Kind::Assessments).unwrap(), None);
    let none = json!({"id": id, "properties": {"displayName": "x"}});
    assert!(
        one(&none, Kind::Assessments)
            .unwrap_err()
            .contains("without a status")
    );
    let odd = json!({"id": id, "properties": {"status": {"code": "Sideways"}}});
    assert!(
        one(&odd, Kind::Assessments)
            .unwrap_err()
            .contains("unknown assessment status")
    );
    let text_status = json!({"id": id, "properties": {"status": "Healthy"}});
    assert!(one(&text_status, Kind::Assessments).is_err());
    let bad_date =
        json!({"id": id, "properties": {"status": {"code": "Healthy", "statusChangeDate": "x"}}});
    assert!(
        one(&bad_date, Kind::Assessments)
            .unwrap_err()
            .contains("statusChangeDate")
    );
}

#[test]
fn a_mixed_body_is_read_in_one_pass() {
    let mut value =
        fixture("GetAlertsSubscription_example.json")["responses"]["200"]["body"]["value"]
            .as_array()
            .unwrap()
            .clone();
    value.extend(
        fixture("emulator_assessments_expanded.json")["body"]["value"]
            .as_array()
            .unwrap()
            .clone(),
    );
    // Without `type`, the id decides.
    let mut untyped = value[0].clone();
    untyped.as_object_mut().unwrap().remove("type");
    value.push(untyped);
    let body = json!({"value": value}).to_string();
    let page = normalize_page(body.as_bytes(), &ctx(), Kind::Any).unwrap();
    let alerts = page
        .items
        .iter()
        .filter(|n| n.finding.compliance.is_none())
        .count();
    assert_eq!(
        (alerts, page.items.len() - alerts, page.skipped.len()),
        (3, 5, 0)
    );
}

#[test]
fn posture_scores_recommendations_under_mcsb() {
    let body = serde_json::to_vec(&fixture("emulator_assessments_expanded.json")["body"]).unwrap();
    let findings: Vec<std::sync::Arc<Finding>> = normalize_page(&body, &ctx(), Kind::Assessments)
        .unwrap()
        .items
        .into_iter()
        .map(|n| std::sync::Arc::new(n.finding))
        .collect();
    let p = crate::posture::score::compute(&findings, None);
    let mcsb = p.standards.iter().find(|s| s.key == "azure-mcsb").unwrap();
    assert!(
        mcsb.name.contains("Microsoft cloud security benchmark"),
        "{}",
        mcsb.name
    );
    // 3 recommendations unhealthy, 2 healthy (the NotApplicable one is not counted).
    assert_eq!((mcsb.counts.passed, mcsb.counts.failed), (2, 3));
    assert_eq!(mcsb.score, Some(40));
    assert!(p.by_account.contains_key(SUB));
}
