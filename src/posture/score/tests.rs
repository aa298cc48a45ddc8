use super::*;
use crate::model::Text;
use crate::sources::memory::sample_finding;

const FSBP: &str = "standards/aws-foundational-security-best-practices/v/1.0.0";
const CIS: &str = "standards/cis-aws-foundations-benchmark/v/1.4.0";

fn f(n: usize, control: &str, status: ComplianceStatus, stds: &[&str]) -> Finding {
    let mut f = sample_finding(n, 1_000);
    f.control_id = Some(control.into());
    f.compliance = Some(status);
    f.standards = stds.iter().map(|s| Text::from(*s)).collect();
    f.account = "111111111111".into();
    f.region = "us-east-1".into();
    f
}

fn score(list: Vec<Finding>) -> Posture {
    compute(&list.into_iter().map(Arc::new).collect::<Vec<_>>(), None)
}

fn std<'a>(p: &'a Posture, key: &str) -> &'a StandardScore {
    p.standards.iter().find(|s| s.key == key).unwrap()
}

#[test]
fn passed_failed_unknown_and_no_data() {
    use ComplianceStatus::*;
    let mut archived = f(5, "D.1", Failed, &[FSBP]);
    archived.record_state = RecordState::Archived;
    let p = score(vec![
        f(1, "A.1", Passed, &[FSBP]),
        f(2, "A.1", Passed, &[FSBP]),
        f(3, "B.1", Failed, &[FSBP]),
        f(4, "B.1", Passed, &[FSBP]),
        f(6, "C.1", Warning, &[FSBP]),
        f(7, "E.1", NotAvailable, &[FSBP]),
        archived,
    ]);
    // A passed, B failed, C and E unknown (in the denominator), D has no data (excluded).
    let s = std(&p, "fsbp");
    assert_eq!(
        s.counts,
        Counts {
            passed: 1,
            failed: 1,
            unknown: 2,
            no_data: 0
        }
    );
    assert_eq!(s.score, Some(25));
    assert!(
        p.controls.iter().all(|c| c.control != "D.1"),
        "archived-only control has no data"
    );
}

#[test]
fn a_suppressed_failure_turns_the_control_passed_but_shows_without_suppressions() {
    use ComplianceStatus::*;
    let mut suppressed = f(1, "S3.8", Failed, &[FSBP]);
    suppressed.workflow = Workflow::Suppressed;
    let p = score(vec![
        suppressed,
        f(2, "S3.8", Passed, &[FSBP]),
        f(3, "S3.9", Failed, &[FSBP]),
    ]);
    let s = std(&p, "fsbp");
    assert_eq!((s.score, s.score_without_suppressions), (Some(50), Some(0)));
    let c = p.controls.iter().find(|c| c.control == "S3.8").unwrap();
    assert_eq!(
        (c.status, c.status_without_suppressions),
        (Status::Passed, Status::Failed)
    );
    assert_eq!(c.suppressed, vec!["arn:aws:s3:::bucket-1".to_string()]);
    assert_eq!(
        (p.summary_score, p.summary_without_suppressions),
        (Some(50), Some(0))
    );
}

#[test]
fn a_control_failing_in_one_region_fails_everywhere() {
    use ComplianceStatus::*;
    let mut west = f(2, "EC2.19", Failed, &[FSBP]);
    west.region = "eu-west-1".into();
    let mut other_account = f(3, "EC2.19", Passed, &[FSBP]);
    other_account.account = "222222222222".into();
    let p = score(vec![f(1, "EC2.19", Passed, &[FSBP]), west, other_account]);
    assert_eq!(std(&p, "fsbp").counts.failed, 1);
    assert_eq!(p.by_region["us-east-1"]["fsbp"].passed, 1);
    assert_eq!(p.by_region["eu-west-1"]["fsbp"].failed, 1);
    assert_eq!(
        p.by_account["111111111111"]["fsbp"].failed, 1,
        "us-east-1 passed, eu-west-1 failed"
    );
    assert_eq!(p.by_account["222222222222"]["fsbp"].passed, 1);
    let only = compute(&[Arc::new(f(9, "EC2.19", Passed, &[FSBP]))], Some("999"));
    assert!(only.controls.is_empty(), "--account filters");
}

#[test]
fn the_summary_counts_each_control_once() {
    use ComplianceStatus::*;
    let p = score(vec![
        f(1, "IAM.1", Failed, &[FSBP, CIS]),
        f(2, "IAM.2", Passed, &[FSBP, CIS]),
        f(3, "IAM.3", Passed, &[CIS]),
    ]);
    assert_eq!(
        std(&p, "fsbp").counts,
        Counts {
            passed: 1,
            failed: 1,
            unknown: 0,
            no_data: 0
        }
    );
    assert_eq!(
        std(&p, "cis-1.4").counts,
        Counts {
            passed: 2,
            failed: 1,
            unknown: 0,
            no_data: 0
        }
    );
    assert_eq!(
        p.summary,
        Counts {
            passed: 2,
            failed: 1,
            unknown: 0,
            no_data: 0
        },
        "not 3 passed + 2 failed"
    );
    assert_eq!(p.summary_score, Some(67));
    assert_eq!(
        p.standards
            .iter()
            .map(|s| s.key.as_str())
            .collect::<Vec<_>>(),
        ["fsbp", "cis-1.4"],
        "known order"
    );
}

#[test]
fn documented_ratio_style() {
    // The Security Hub docs' example: 357 of 515 controls passed → 69%.
    let c = Counts {
        passed: 357,
        failed: 100,
        unknown: 58,
        no_data: 12,
    };
    assert_eq!(c.score(), Some(69));
    assert_eq!(
        Counts {
            passed: 1,
            failed: 1,
            unknown: 0,
            no_data: 0
        }
        .score(),
        Some(50)
    );
    assert_eq!(
        Counts {
            passed: 2,
            failed: 1,
            unknown: 0,
            no_data: 0
        }
        .score(),
        Some(67),
        "66.67 rounds up"
    );
    assert_eq!(
        Counts {
            passed: 1,
            failed: 2,
            unknown: 0,
            no_data: 0
        }
        .score(),
        Some(33)
    );
    assert_eq!(Counts::default().score(), None);
}

#[test]
fn findings_without_compliance_are_not_controls() {
    let mut gd = sample_finding(1, 1);
    gd.compliance = None;
    gd.control_id = None;
    assert!(score(vec![gd]).controls.is_empty());
}

#[test]
fn failing_resources_and_severity() {
    use ComplianceStatus::*;
    let mut a = f(1, "S3.8", Failed, &[FSBP]);
    a.severity = Severity::Medium;
    let mut b = f(2, "S3.8", Failed, &[FSBP]);
    b.severity = Severity::High;
    let p = score(vec![a, b]);
    let c = &p.controls[0];
    assert_eq!(c.failing_resources.len(), 2);
    assert_eq!(c.severity, Severity::High);
}

#[test]
fn api_metadata_adds_no_data_controls_and_drops_disabled_ones() {
    use crate::sources::aws_controls::{ControlDef, ControlMetadata};
    use ComplianceStatus::*;
    let def = |id: &str, enabled: bool| ControlDef {
        id: id.into(),
        title: format!("{id} from the API"),
        severity: Some(Severity::High),
        standards: vec![FSBP.into()],
        enabled,
        related_requirements: Vec::new(),
    };
    let meta = ControlMetadata {
        enabled_standards: vec![FSBP.into()],
        controls: vec![def("A.1", true), def("B.1", false), def("Z.9", true)],
        source: "api".into(),
        account: "111111111111".into(),
        region: "us-east-1".into(),
    };
    let findings: Vec<Arc<Finding>> =
        vec![f(1, "A.1", Passed, &[FSBP]), f(2, "B.1", Failed, &[FSBP])]
            .into_iter()
            .map(Arc::new)
            .collect();
    let p = compute_with(&findings, None, Some(&meta));
    let s = std(&p, "fsbp");
    // B.1 is disabled (its failure does not count); Z.9 is enabled with no findings: no data.
    assert_eq!(
        s.counts,
        Counts {
            passed: 1,
            failed: 0,
            unknown: 0,
            no_data: 1
        }
    );
    assert_eq!(s.score, Some(100));
    assert_eq!(
        p.controls
            .iter()
            .find(|c| c.control == "A.1")
            .unwrap()
            .title,
        "A.1 from the API"
    );
}
