use super::*;

const FSBP: &str = "standards/aws-foundational-security-best-practices/v/1.0.0";
const CIS12: &str = "ruleset/cis-aws-foundations-benchmark/v/1.2.0";
const NIST: &str = "standards/nist-800-53/v/5.0.0";
const PCI: &str = "standards/pci-dss/v/3.2.1";

fn def(id: &str, found_in: &[&str]) -> Def {
    Def {
        id: id.into(),
        title: format!("{id} title"),
        severity: Some(Severity::High),
        found_in: found_in.iter().map(|s| s.to_string()).collect(),
    }
}

fn assoc(standard: &str, enabled: bool, requirements: &[&str]) -> Assoc {
    Assoc {
        standard: standard.into(),
        enabled,
        requirements: requirements.iter().map(|s| s.to_string()).collect(),
    }
}

fn order() -> Vec<String> {
    [FSBP, CIS12, NIST].iter().map(|s| s.to_string()).collect()
}

#[test]
fn fragments_of_standards_arns() {
    let cases = [
        (
            "arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0",
            FSBP,
        ),
        (
            "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0",
            CIS12,
        ),
        (
            "arn:aws:securityhub:eu-west-1::standards/pci-dss/v/3.2.1",
            PCI,
        ),
        (
            "arn:aws-us-gov:securityhub:us-gov-west-1::standards/nist-800-53/v/5.0.0",
            NIST,
        ),
        // Already a fragment, or an ARN-ish prefix the caller pasted: keep what findings use.
        (FSBP, FSBP),
        (" ruleset/cis-aws-foundations-benchmark/v/1.2.0 ", CIS12),
        ("securityhub:::standards/pci-dss/v/3.2.1", PCI),
        ("acme/custom", "acme/custom"),
        ("", ""),
    ];
    for (arn, want) in cases {
        assert_eq!(standards_fragment(arn), want, "{arn}");
    }
}

#[test]
fn severity_ratings_map_to_model_severities() {
    assert_eq!(severity(Some(&SeverityRating::Low)), Some(Severity::Low));
    assert_eq!(
        severity(Some(&SeverityRating::Critical)),
        Some(Severity::Critical)
    );
    assert_eq!(severity(Some(&SeverityRating::from("SOMETHING"))), None);
    assert_eq!(severity(None), None);
}

#[test]
fn standards_are_those_the_control_is_enabled_in() {
    let assocs = HashMap::from([(
        "S3.8".to_string(),
        vec![
            assoc(NIST, true, &["NIST.800-53.r5 AC-21"]),
            assoc(FSBP, false, &[]),
            assoc(PCI, true, &["PCI DSS v3.2.1/1.2.1"]), // PCI is not enabled: ignored
        ],
    )]);
    let out = build(vec![def("S3.8", &[FSBP, NIST])], assocs, &order());
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].standards, vec![NIST.to_string()]);
    assert!(out[0].enabled);
    assert_eq!(out[0].related_requirements, vec!["NIST.800-53.r5 AC-21"]);
    assert_eq!(out[0].title, "S3.8 title");
    assert_eq!(out[0].severity, Some(Severity::High));
}

#[test]
fn a_control_disabled_everywhere_keeps_its_standards() {
    let assocs = HashMap::from([(
        "IAM.4".to_string(),
        vec![
            assoc(NIST, false, &["NIST.800-53.r5 AC-2"]),
            assoc(CIS12, false, &["CIS AWS Foundations Benchmark v1.2.0/1.12"]),
            assoc(FSBP, false, &["NIST.800-53.r5 AC-2"]),
        ],
    )]);
    let out = build(vec![def("IAM.4", &[])], assocs, &order());
    assert!(!out[0].enabled);
    // In subscription order, whatever order the API answered in.
    assert_eq!(out[0].standards, vec![FSBP, CIS12, NIST]);
    assert_eq!(
        out[0].related_requirements,
        vec![
            "NIST.800-53.r5 AC-2",
            "CIS AWS Foundations Benchmark v1.2.0/1.12"
        ]
    );
}

#[test]
fn without_associations_the_listing_standards_count_as_enabled() {
    let out = build(
        vec![def("SNS.1", &[NIST, NIST]), def("Gone.1", &[PCI])],
        HashMap::new(),
        &order(),
    );
    let sns = out.iter().find(|c| c.id == "SNS.1").unwrap();
    assert_eq!(
        (sns.standards.clone(), sns.enabled),
        (vec![NIST.to_string()], true)
    );
    let gone = out.iter().find(|c| c.id == "Gone.1").unwrap();
    assert_eq!((gone.standards.is_empty(), gone.enabled), (true, false));
}

#[test]
fn controls_sort_with_numbers_as_numbers() {
    let ids = [
        "S3.10",
        "EC2.13",
        "S3.2",
        "1.12",
        "EC2.2",
        "PCI.IAM.1",
        "2.1",
        "Config.1",
        "s3.9",
    ];
    let defs = ids.iter().map(|id| def(id, &[FSBP])).collect();
    let out: Vec<String> = build(defs, HashMap::new(), &order())
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(
        out,
        [
            "1.12",
            "2.1",
            "Config.1",
            "EC2.2",
            "EC2.13",
            "PCI.IAM.1",
            "S3.2",
            "s3.9",
            "S3.10"
        ]
    );
}

#[test]
fn metadata_round_trips_through_serde() {
    let meta = ControlMetadata {
        enabled_standards: vec![FSBP.into()],
        controls: build(vec![def("S3.1", &[FSBP])], HashMap::new(), &order()),
        source: "api".into(),
        account: "111111111111".into(),
        region: "eu-west-1".into(),
    };
    let text = serde_json::to_string(&meta).unwrap();
    assert!(text.contains("\"severity\":\"HIGH\""), "{text}");
    assert_eq!(
        serde_json::from_str::<ControlMetadata>(&text).unwrap(),
        meta
    );
}
