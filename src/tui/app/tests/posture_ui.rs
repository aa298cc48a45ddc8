//! The posture view at 80×24 and 160×48, default and mono themes.

use super::*;
use crate::model::{ComplianceStatus, Text};
use crate::posture::history::Point;
use crate::posture::{Insights, score, stats};

const FSBP: &str = "standards/aws-foundational-security-best-practices/v/1.0.0";
const CIS: &str = "standards/cis-aws-foundations-benchmark/v/1.4.0";

fn posture_snapshot() -> Arc<Snapshot> {
    let mut list = Vec::new();
    for (n, (control, status, stds)) in [
        ("S3.8", ComplianceStatus::Failed, &[FSBP, CIS][..]),
        ("S3.8", ComplianceStatus::Failed, &[FSBP, CIS][..]),
        ("EC2.19", ComplianceStatus::Failed, &[FSBP][..]),
        ("IAM.7", ComplianceStatus::Passed, &[FSBP, CIS][..]),
        ("KMS.4", ComplianceStatus::Passed, &[CIS][..]),
        ("RDS.2", ComplianceStatus::Warning, &[FSBP][..]),
    ]
    .into_iter()
    .enumerate()
    {
        let mut f = sample_finding(n, NOW - 3_600_000);
        f.control_id = Some(control.into());
        f.title = format!("{control} control title").into();
        f.compliance = Some(status);
        f.standards = stds.iter().map(|s| Text::from(*s)).collect();
        list.push(Arc::new(f));
    }
    let history: Vec<Point> = (0..30)
        .map(|d| Point {
            at: NOW - (29 - d) * 86_400_000,
            scores: [
                ("fsbp".to_string(), (20 + d * 2) as u8),
                ("summary".to_string(), (25 + d) as u8),
            ]
            .into(),
            open: [10 - (d / 3) as u32, 20, 30 - d as u32, 5, 1],
        })
        .collect();
    let insights = Insights {
        posture: score::compute(&list, None),
        stats: stats::compute(&list, NOW),
        history,
        metadata: "derived from findings".into(),
        computed_at: NOW,
    };
    let mut s = (*snapshot(HealthState::Ok, None)).clone();
    s.findings = Arc::new(list);
    s.insights = Arc::new(insights);
    Arc::new(s)
}

fn posture_app(depth: ColorDepth, w: u16, h: u16) -> App {
    let mut app = app_with(depth, w, h);
    app.update(Msg::Snapshot(posture_snapshot()));
    key(&mut app, KeyCode::Char('P'));
    app
}

#[test]
fn scores_at_80x24_default_and_mono() {
    for (depth, name) in [
        (ColorDepth::TrueColor, "posture_scores_80x24"),
        (ColorDepth::Mono, "posture_scores_80x24_mono"),
    ] {
        let app = posture_app(depth, 80, 24);
        let s = screen(&app);
        insta::assert_snapshot!(name, s);
        // FSBP: S3.8 and EC2.19 fail, IAM.7 passes, RDS.2 unknown → 1/4 = 25%.
        assert!(
            s.contains("AWS Foundational Security Best Practices") && s.contains("25%"),
            "{s}"
        );
        assert!(
            s.contains("CIS AWS Foundations Benchmark v1.4.0") && s.contains("67%"),
            "{s}"
        );
    }
}

#[test]
fn every_tab_at_160x48() {
    let mut app = posture_app(ColorDepth::TrueColor, 160, 48);
    for (tab, name) in [
        "posture_scores_160x48",
        "posture_breakdown_160x48",
        "posture_trends_160x48",
        "posture_findings_160x48",
        "posture_controls_160x48",
    ]
    .into_iter()
    .enumerate()
    {
        assert_eq!(app.posture.tab, tab);
        insta::assert_snapshot!(name, screen(&app));
        key(&mut app, KeyCode::Tab);
    }
}

#[test]
fn trends_use_markers_and_ascii_mode_has_no_unicode_glyphs() {
    let mut app = posture_app(ColorDepth::Mono, 100, 30);
    app.theme.ascii = true;
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Char('s')); // 30 days
    let s = screen(&app);
    assert!(s.contains("score over 30 days, 20% -> 78%"), "{s}");
    assert!(
        s.contains("markers: C critical H high M medium L low"),
        "{s}"
    );
    assert!(s.contains('*') && s.contains('C') && s.contains('|'), "{s}");
    let glyphs = ['█', '░', '│', '─', '•', '▲', '▼', '→'];
    assert!(!s.chars().any(|c| glyphs.contains(&c)), "ASCII mode: {s}");
    key(&mut app, KeyCode::BackTab);
    let s = screen(&app);
    assert!(
        s.contains('#') && !s.chars().any(|c| glyphs.contains(&c)),
        "ASCII bars: {s}"
    );
}

#[test]
fn a_failing_control_jumps_to_its_findings() {
    let mut app = posture_app(ColorDepth::TrueColor, 120, 30);
    for _ in 0..4 {
        key(&mut app, KeyCode::Tab);
    }
    let s = screen(&app);
    let s38 = s.find("S3.8").unwrap();
    assert!(
        s38 < s.find("EC2.19").unwrap(),
        "most failing resources first: {s}"
    );
    key(&mut app, KeyCode::Enter);
    assert!(!app.posture.open);
    assert_eq!(app.filter_text, "control:S3.8 -wf:resolved");
    assert_eq!(app.view.len(), 2);
}
