use std::path::PathBuf;
use std::sync::Arc;

use super::*;
use crate::model::{ComplianceStatus, Finding, RecordState, Resource, Text, Workflow};
use crate::posture::score::compute;
use crate::sources::memory::sample_finding;

const FSBP: &str = "standards/aws-foundational-security-best-practices/v/1.0.0";
const CIS: &str = "standards/cis-aws-foundations-benchmark/v/1.4.0";
const NIST: &str = "standards/nist-800-53/v/5.0.0";
/// 2024-06-01T12:00:00Z
const GENERATED: i64 = 1_717_243_200_000;
const ACCT_A: &str = "111111111111";
const ACCT_B: &str = "222222222222";

struct F {
    control: &'static str,
    title: &'static str,
    status: ComplianceStatus,
    stds: &'static [&'static str],
    reqs: &'static [&'static str],
    resource: &'static str,
    account: &'static str,
    region: &'static str,
    workflow: Workflow,
}

const fn f(
    control: &'static str,
    status: ComplianceStatus,
    stds: &'static [&'static str],
    reqs: &'static [&'static str],
    resource: &'static str,
) -> F {
    F {
        control,
        title: "",
        status,
        stds,
        reqs,
        resource,
        account: ACCT_A,
        region: "us-east-1",
        workflow: Workflow::New,
    }
}

fn finding(n: usize, spec: &F) -> Finding {
    let mut x = sample_finding(n, GENERATED - 86_400_000);
    x.control_id = Some(spec.control.into());
    x.compliance = Some(spec.status);
    x.standards = spec.stds.iter().map(|s| Text::from(*s)).collect();
    x.related_requirements = spec.reqs.iter().map(|s| Text::from(*s)).collect();
    x.account = spec.account.into();
    x.region = spec.region.into();
    x.workflow = spec.workflow;
    let title = if spec.title.is_empty() {
        format!("{} check", spec.control)
    } else {
        spec.title.to_string()
    };
    x.title = title.into();
    x.resources = vec![Resource {
        kind: "Other".into(),
        id: spec.resource.into(),
        ..Resource::default()
    }];
    x
}

/// A small fleet covering every status, a suppression, a region-only failure and an archived
/// finding; the same posture backs every golden file.
fn fixture() -> Vec<Finding> {
    use ComplianceStatus::*;
    const ALL3: &[&str] = &[FSBP, CIS, NIST];
    let specs = [
        F {
            title: "S3 general purpose buckets should have block public access settings enabled",
            ..f(
                "S3.1",
                Failed,
                ALL3,
                &[
                    "CIS AWS Foundations Benchmark v1.4.0/2.1.5",
                    "NIST.800-53.r5 AC-21",
                    "NIST.800-53.r5 AC-3",
                    "PCI DSS v4.0.1/1.4.4",
                ],
                "AWS::::Account:111111111111",
            )
        },
        f(
            "S3.5",
            Passed,
            &[FSBP, NIST],
            &["NIST.800-53.r5 SC-8"],
            "arn:aws:s3:::logs",
        ),
        f(
            "S3.5",
            Passed,
            &[FSBP, NIST],
            &["NIST.800-53.r5 SC-8"],
            "arn:aws:s3:::data",
        ),
        f(
            "S3.8",
            Failed,
            &[FSBP, NIST],
            &["NIST.800-53.r5 AC-3"],
            "arn:aws:s3:::public-b",
        ),
        f(
            "S3.8",
            Failed,
            &[FSBP, NIST],
            &["NIST.800-53.r5 AC-3"],
            "arn:aws:s3:::public-a",
        ),
        F {
            workflow: Workflow::Suppressed,
            ..f(
                "S3.8",
                Failed,
                &[FSBP, NIST],
                &["NIST.800-53.r5 AC-3"],
                "arn:aws:s3:::web",
            )
        },
        f(
            "S3.9",
            Warning,
            &[FSBP, NIST],
            &["NIST.800-53.r5 AU-2"],
            "arn:aws:s3:::logs",
        ),
        F {
            account: ACCT_B,
            ..f(
                "IAM.4",
                Passed,
                ALL3,
                &[
                    "CIS AWS Foundations Benchmark v1.4.0/1.4",
                    "NIST.800-53.r5 AC-3",
                ],
                "AWS::::Account:222222222222",
            )
        },
        f(
            "IAM.9",
            Failed,
            &[CIS],
            &["CIS AWS Foundations Benchmark v1.4.0/1.5"],
            "AWS::::Account:111111111111",
        ),
        F {
            region: "eu-west-1",
            ..f(
                "CloudTrail.1",
                Passed,
                ALL3,
                &[
                    "CIS AWS Foundations Benchmark v1.4.0/3.1",
                    "NIST.800-53.r5 AU-12",
                    "NIST.800-53.r5 AU-2",
                ],
                "AWS::::Account:111111111111",
            )
        },
        F {
            workflow: Workflow::Suppressed,
            ..f(
                "KMS.4",
                Failed,
                &[CIS, NIST],
                &[
                    "CIS AWS Foundations Benchmark v1.4.0/3.8",
                    "NIST.800-53.r5 SC-12",
                ],
                "arn:aws:kms:us-east-1:111111111111:key/k-1",
            )
        },
        f(
            "EC2.2",
            Passed,
            &[FSBP, NIST],
            &[],
            "arn:aws:ec2:us-east-1:111111111111:sg/sg-1",
        ),
        F {
            title: "GuardDuty should be enabled | *every* region",
            region: "eu-west-1",
            ..f(
                "GuardDuty.1",
                Failed,
                &[FSBP, NIST],
                &["NIST.800-53.r5 SI-4"],
                "AWS::::Account:111111111111",
            )
        },
        f(
            "GuardDuty.1",
            Passed,
            &[FSBP, NIST],
            &["NIST.800-53.r5 SI-4"],
            "AWS::::Account:1",
        ),
        f(
            "Config.1",
            Passed,
            &[FSBP, CIS],
            &[],
            "AWS::::Account:111111111111",
        ),
    ];
    let mut out: Vec<Finding> = specs
        .iter()
        .enumerate()
        .map(|(i, s)| finding(i, s))
        .collect();
    let mut archived = finding(99, &f("IAM.9", Failed, &[CIS], &[], "arn:aws:iam::old"));
    archived.record_state = RecordState::Archived;
    out.push(archived);
    out
}

fn posture(findings: Vec<Finding>, account: Option<&str>) -> Posture {
    let list: Vec<Arc<Finding>> = findings.into_iter().map(Arc::new).collect();
    compute(&list, account)
}

fn sources() -> Vec<(String, Option<i64>)> {
    vec![
        (
            "aws:111111111111:us-east-1".into(),
            Some(GENERATED - 300_000),
        ),
        ("aws:222222222222:eu-west-1".into(), None),
    ]
}

fn input<'a>(
    p: &'a Posture,
    standard: &'a str,
    sources: &'a [(String, Option<i64>)],
) -> ReportInput<'a> {
    ReportInput {
        posture: p,
        standard,
        account: None,
        generated_at: GENERATED,
        data_as_of: Some(GENERATED - 300_000),
        sources,
        metadata: "derived from findings",
    }
}

/// Compares with `golden/<name>`; `UPDATE_GOLDEN=1` rewrites it instead.
fn golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("src/posture/report/golden")
        .join(name);
    if std::env::var("UPDATE_GOLDEN").as_deref() == Ok("1") {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with UPDATE_GOLDEN=1 to create it",
            path.display()
        )
    });
    if expected == actual {
        return;
    }
    let (exp, act): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let mut diff = String::new();
    let mut shown = 0;
    for i in 0..exp.len().max(act.len()) {
        let (e, a) = (exp.get(i), act.get(i));
        if e != a && shown < 30 {
            shown += 1;
            diff.push_str(&format!(
                "line {}:\n  - {}\n  + {}\n",
                i + 1,
                e.unwrap_or(&"<none>"),
                a.unwrap_or(&"<none>")
            ));
        }
    }
    panic!(
        "{name} differs from {} (rerun with UPDATE_GOLDEN=1 to accept):\n{diff}",
        path.display()
    );
}

#[test]
fn golden_reports() {
    let p = posture(fixture(), None);
    let src = sources();
    for standard in ["fsbp", "cis-1.4", "nist-800-53", "soc2"] {
        let i = input(&p, standard, &src);
        for (format, ext) in [
            (Format::Markdown, "md"),
            (Format::Csv, "csv"),
            (Format::Json, "json"),
        ] {
            let out = render(&i, format).unwrap();
            golden(&format!("{standard}.{ext}"), &out);
        }
    }
}

fn status_of(reqs: &[Requirement], id: &str) -> Status {
    reqs.iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no requirement {id}"))
        .status
}

#[test]
fn requirement_status_folds_failed_over_unknown_over_passed() {
    use Status::*;
    assert_eq!(fold([Passed, Failed, Unknown]), Failed);
    assert_eq!(fold([Passed, Unknown]), Unknown);
    assert_eq!(fold([Unknown, NoData, Passed]), Unknown);
    assert_eq!(fold([Passed, Passed]), Passed);
    assert_eq!(
        fold([Passed, NoData]),
        Passed,
        "no data is left out, as in the score"
    );
    assert_eq!(fold([NoData]), NoData);
    assert_eq!(fold([]), NoData);

    let p = posture(fixture(), None);
    let src = sources();
    let reqs = requirements(&input(&p, "nist-800-53", &src)).unwrap();
    // AC-3: IAM.4 passed, S3.1 and S3.8 failed.
    let ac3 = reqs.iter().find(|r| r.id == "AC-3").unwrap();
    assert_eq!(ac3.status, Failed);
    let ids: Vec<&str> = ac3.controls.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(ids, ["IAM.4", "S3.1", "S3.8"]);
    assert_eq!(
        ac3.controls[2].2,
        ["arn:aws:s3:::public-a", "arn:aws:s3:::public-b"],
        "suppressed resources are not failing resources"
    );
    assert_eq!(
        status_of(&reqs, "AU-2"),
        Unknown,
        "S3.9 warning, CloudTrail.1 passed"
    );
    assert_eq!(status_of(&reqs, "AU-12"), Passed);
    assert_eq!(
        status_of(&reqs, "SC-12"),
        NoData,
        "KMS.4 only has suppressed findings"
    );
    assert_eq!(
        status_of(&reqs, "SI-4"),
        Failed,
        "failing in one region fails"
    );
    // A control without NIST requirements is its own requirement; other standards' ids stay out.
    assert_eq!(status_of(&reqs, "EC2.2"), Passed);
    assert!(
        reqs.iter()
            .all(|r| !r.id.contains('/') && !r.id.starts_with("NIST"))
    );
    // Natural order: AC-3 before AC-21, AU-2 before AU-12.
    let order: Vec<&str> = reqs.iter().map(|r| r.id.as_str()).collect();
    let pos = |id| order.iter().position(|x| *x == id).unwrap();
    assert!(pos("AC-3") < pos("AC-21") && pos("AU-2") < pos("AU-12"));
}

#[test]
fn fsbp_requirements_are_controls_and_pci_prefixes_strip() {
    let p = posture(fixture(), None);
    let src = sources();
    let reqs = requirements(&input(&p, "fsbp", &src)).unwrap();
    let ids: Vec<&str> = reqs.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "CloudTrail.1",
            "Config.1",
            "EC2.2",
            "GuardDuty.1",
            "IAM.4",
            "S3.1",
            "S3.5",
            "S3.8",
            "S3.9"
        ]
    );
    assert!(
        reqs.iter()
            .all(|r| r.controls.len() == 1 && r.controls[0].0 == r.id)
    );
    assert_eq!(
        reqs[3].title,
        "GuardDuty should be enabled | *every* region"
    );

    let mut findings = fixture();
    findings[0]
        .standards
        .push("standards/pci-dss/v/4.0.1".into());
    let legacy = "PCI DSS 3.2.1/1.3.1";
    findings[0].related_requirements.push(legacy.into());
    findings[0]
        .standards
        .push("standards/pci-dss/v/3.2.1".into());
    let p = posture(findings, None);
    let pci4 = requirements(&input(&p, "pci-4.0.1", &src)).unwrap();
    assert_eq!(
        pci4.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["1.4.4"]
    );
    let pci3 = requirements(&input(&p, "pci-3.2.1", &src)).unwrap();
    assert_eq!(
        pci3.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["1.3.1"]
    );
}

#[test]
fn unknown_standard_lists_the_known_ones_and_empty_standard_has_no_data() {
    let p = posture(fixture(), None);
    let src = sources();
    let err = render(&input(&p, "iso-27001", &src), Format::Markdown).unwrap_err();
    let ReportError::UnknownStandard { given, known } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(given, "iso-27001");
    for k in ["fsbp", "cis-1.4", "pci-4.0", "nist-800-53", "soc2", "hipaa"] {
        assert!(known.iter().any(|x| x == k), "{k} missing from {known:?}");
    }
    assert!(err.to_string().contains("soc2"));
    let err = requirements(&input(&p, "pci-4.0", &src)).unwrap_err();
    assert!(
        matches!(err, ReportError::NoData { ref key, .. } if key == "pci-4.0"),
        "{err:?}"
    );
    // HIPAA maps controls the fleet lacks only partly; one with none of them has no data.
    let lone = posture(
        vec![finding(
            1,
            &f("Foo.1", ComplianceStatus::Passed, &[FSBP], &[], "r"),
        )],
        None,
    );
    let err = requirements(&input(&lone, "hipaa", &src)).unwrap_err();
    assert!(matches!(err, ReportError::NoData { .. }), "{err:?}");
}

#[test]
fn formats_parse() {
    assert_eq!("md".parse::<Format>(), Ok(Format::Markdown));
    assert_eq!("Markdown".parse::<Format>(), Ok(Format::Markdown));
    assert_eq!("html".parse::<Format>(), Ok(Format::Html));
    assert_eq!("CSV".parse::<Format>(), Ok(Format::Csv));
    assert_eq!("json".parse::<Format>(), Ok(Format::Json));
    assert!("pdf".parse::<Format>().is_err());
}

#[test]
fn mappings_parse_and_name_real_looking_controls() {
    for (key, file, _) in MAPPINGS {
        let m = mapping(key)
            .unwrap()
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(
            m.note
                .starts_with("Derived mapping — not an AWS Security Hub standard")
        );
        assert!(m.criteria.len() >= 10, "{file}");
        let mut controls = BTreeSet::new();
        for c in &m.criteria {
            assert!(
                !c.controls.is_empty() && !c.title.is_empty(),
                "{file} {}",
                c.id
            );
            for id in &c.controls {
                let (svc, n) = id.split_once('.').expect(id);
                assert!(svc.chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
                assert!(n.parse::<u32>().is_ok(), "{id}");
                controls.insert(id.as_str());
            }
        }
        assert!(
            controls.len() >= 30,
            "{file} maps {} controls",
            controls.len()
        );
    }
    let soc2 = mapping("soc2").unwrap().unwrap();
    for id in ["CC6.1", "CC6.6", "CC7.2", "CC8.1"] {
        assert!(soc2.criteria.iter().any(|c| c.id == id), "{id}");
    }
    let hipaa = mapping("hipaa").unwrap().unwrap();
    for id in [
        "164.308(a)(1)(ii)(D)",
        "164.312(a)(1)",
        "164.312(b)",
        "164.312(e)(1)",
    ] {
        assert!(hipaa.criteria.iter().any(|c| c.id == id), "{id}");
    }
}

#[test]
fn soc2_and_hipaa_are_labelled_derived_in_every_format() {
    let p = posture(fixture(), None);
    let src = sources();
    for standard in ["soc2", "SOC-2", "hipaa"] {
        let i = input(&p, standard, &src);
        for format in [Format::Markdown, Format::Html, Format::Json] {
            let out = render(&i, format).unwrap();
            assert!(
                out.contains("not an AWS Security Hub standard"),
                "{standard} {format:?}"
            );
        }
        let json: serde_json::Value =
            serde_json::from_str(&render(&i, Format::Json).unwrap()).unwrap();
        assert_eq!(json["standard"]["security_hub_standard"], false);
        assert!(
            json["standard"]["derived_mapping"]["basis"]
                .as_str()
                .unwrap()
                .contains("NIST")
        );
    }
    let reqs = requirements(&input(&p, "soc2", &src)).unwrap();
    // Controls count regardless of standard membership: IAM.9 is only in CIS here.
    let cc61 = reqs.iter().find(|r| r.id == "CC6.1").unwrap();
    assert!(cc61.controls.iter().any(|c| c.0 == "IAM.9"));
    assert_eq!(cc61.status, Status::Failed);
    assert_eq!(status_of(&reqs, "CC8.1"), Status::Passed);
    assert!(
        reqs.iter()
            .all(|r| r.id != "CC6.7" || r.controls.iter().all(|c| c.0 == "S3.5"))
    );
}

#[test]
fn account_scope_is_stamped() {
    let p = posture(fixture(), Some(ACCT_B));
    let src = sources();
    let mut i = input(&p, "fsbp", &src);
    i.account = Some(ACCT_B);
    i.data_as_of = None;
    let md = render(&i, Format::Markdown).unwrap();
    assert!(md.contains("account 222222222222"), "{md}");
    assert!(md.contains("unknown (no successful poll recorded)"));
    let reqs = requirements(&i).unwrap();
    assert_eq!(
        reqs.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["IAM.4"]
    );
}

mod csv;
mod html;
