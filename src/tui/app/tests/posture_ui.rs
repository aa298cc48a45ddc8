//! The posture view at 80×24 and 160×48, default and mono themes.

use super::*;
use crate::model::Finding;
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
        provider_scores: Vec::new(),
    };
    let mut s = (*snapshot(HealthState::Ok, None)).clone();
    s.findings = Arc::new(list.into());
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
        s.contains("C critical 1  H high 20  M medium 1  L low 5"),
        "legend with the latest counts: {s}"
    );
    assert!(s.contains("[3 Trends]"), "the active tab in text: {s}");
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

#[test]
fn scores_at_160x48_mono() {
    let app = posture_app(ColorDepth::Mono, 160, 48);
    insta::assert_snapshot!("posture_scores_160x48_mono", screen(&app));
}

#[test]
fn the_demo_fleet_has_a_meaningful_posture() {
    use crate::sources::asff::normalize_page;
    use crate::sources::demo::DemoFleet;
    let body = DemoFleet::new(3, 600, NOW).body();
    let list: Vec<Arc<Finding>> = normalize_page(&body, "demo")
        .unwrap()
        .items
        .into_iter()
        .map(|n| Arc::new(n.finding))
        .collect();
    let p = score::compute(&list, None);
    assert!(p.standards.len() >= 3, "{:?}", p.standards);
    for s in &p.standards {
        let v = s.score.expect("every demo standard has data");
        assert!((20..=95).contains(&v), "{} scores {v}", s.key);
    }
    assert!(p.by_account.len() >= 4 && p.by_region.len() >= 3);
    let current = Point::new(NOW, &p, &stats::compute(&list, NOW));
    let trend = crate::posture::history::demo_backfill(&current, 30);
    let first = trend.first().unwrap().scores["summary"];
    assert!(
        first + 10 < current.scores["summary"],
        "a visible climb: {first} → {}",
        current.scores["summary"]
    );
}

/// The providers' own scores (Azure secure score) show beside the standards, labelled by
/// cloud, with each subscription's weakest controls.
#[test]
fn provider_scores_show_beside_the_standards() {
    use crate::sources::{ProviderControlScore, ProviderScore};
    let mut s = (*posture_snapshot()).clone();
    let mut ins = (*s.insights).clone();
    let control = |name: &str, current: f64, max: f64| ProviderControlScore {
        id: name.into(),
        name: name.into(),
        current,
        max,
        percentage: 100.0 * current / max,
        healthy: 1,
        unhealthy: 2,
        not_applicable: 0,
    };
    ins.provider_scores = vec![ProviderScore {
        cloud: crate::model::Cloud::Azure,
        name: "Azure secure score".into(),
        scope: "00000000-0000-0000-0000-000000000001".into(),
        scope_name: "Contoso Production".into(),
        current: 23.5,
        max: 37.0,
        percentage: 63.5,
        controls: vec![
            control("Enable MFA", 0.0, 10.0),
            control("Secure management ports", 6.0, 8.0),
            control("Encrypt data in transit", 2.67, 4.0),
        ],
    }];
    s.insights = Arc::new(ins);
    let mut app = app_with(ColorDepth::TrueColor, 160, 48);
    app.update(Msg::Snapshot(Arc::new(s)));
    key(&mut app, KeyCode::Char('P'));
    let text = screen(&app);
    assert!(
        text.contains("AZ · Azure secure score Contoso Production"),
        "{text}"
    );
    assert!(
        text.contains(" 64% ") && text.contains("23.5/37 points"),
        "{text}"
    );
    let mfa = text.find("Enable MFA").unwrap();
    let transit = text.find("Encrypt data in transit").unwrap();
    assert!(mfa < transit, "weakest control first");
}

/// When series meet in one cell the more severe keeps it and the other moves to a free row:
/// every series stays visible (criticals were hidden by highs before).
#[test]
fn chart_markers_never_hide_a_series() {
    let mut s = (*posture_snapshot()).clone();
    let mut ins = (*s.insights).clone();
    for p in ins.history.iter_mut() {
        p.open = [5, 5, 5, 5, 0];
    }
    s.insights = Arc::new(ins);
    let mut app = app_with(ColorDepth::TrueColor, 100, 30);
    app.update(Msg::Snapshot(Arc::new(s)));
    key(&mut app, KeyCode::Char('P'));
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    let text = screen(&app);
    let plot: String = text
        .lines()
        .skip_while(|l| !l.contains("open findings by severity"))
        .skip(1)
        .collect();
    for m in ['C', 'H', 'M', 'L'] {
        assert!(plot.contains(m), "{m} hidden:\n{text}");
    }
}

/// Code scanning findings: a per-repository summary on the statistics tab, and no score under
/// any cloud standard.
#[test]
fn code_findings_have_a_repository_summary_not_a_standard_score() {
    let mut s = (*posture_snapshot()).clone();
    let mut list: Vec<Arc<Finding>> = s.findings.to_vec();
    for (n, (repo, wf)) in [
        ("acme/api", Workflow::New),
        ("acme/api", Workflow::New),
        ("acme/api", Workflow::Resolved),
        ("acme/web", Workflow::Suppressed),
    ]
    .into_iter()
    .enumerate()
    {
        let mut f = sample_finding(100 + n, NOW - 3_600_000);
        f.cloud = crate::model::Cloud::Code;
        f.provider = crate::model::Provider::Sarif;
        f.account = Text::from(repo);
        f.control_id = Some("py/sql-injection".into());
        f.compliance = None;
        f.standards = Vec::new();
        f.workflow = wf;
        list.push(Arc::new(f));
    }
    let insights = Insights {
        posture: score::compute(&list, None),
        stats: stats::compute(&list, NOW),
        history: Vec::new(),
        metadata: "derived from findings".into(),
        computed_at: NOW,
        provider_scores: Vec::new(),
    };
    assert!(
        insights
            .posture
            .controls
            .iter()
            .all(|c| c.control != "py/sql-injection"),
        "code rules are not controls"
    );
    s.findings = Arc::new(list.into());
    s.insights = Arc::new(insights);
    let mut app = app_with(ColorDepth::TrueColor, 120, 40);
    app.update(Msg::Snapshot(Arc::new(s)));
    key(&mut app, KeyCode::Char('P'));
    for _ in 0..3 {
        key(&mut app, KeyCode::Tab);
    }
    let text = screen(&app);
    assert!(text.contains("Code scanning by repository"), "{text}");
    let api = text.lines().find(|l| l.contains("acme/api")).unwrap();
    assert!(api.contains(" 33%"), "{api}");
    let web = text.lines().find(|l| l.contains("acme/web")).unwrap();
    assert!(web.trim_end().ends_with("0%"), "{web}");
}

/// At 80 columns the mean-time-to-resolve line fits whole (short severity names).
#[test]
fn time_to_resolve_fits_at_80_columns() {
    let mut app = posture_app(ColorDepth::TrueColor, 80, 24);
    for _ in 0..3 {
        key(&mut app, KeyCode::Tab);
    }
    let s = screen(&app);
    let line = s
        .lines()
        .find(|l| l.contains("Mean time to resolve"))
        .unwrap_or_else(|| panic!("{s}"));
    assert!(line.contains("INFO"), "{line}");
    assert!(
        line.contains("CRIT ") && !line.contains("CRITICAL"),
        "{line}"
    );
}

/// 1,000 accounts: the breakdown is a list to scroll, sort and narrow at 80×24, and Enter
/// filters the findings to the account.
#[test]
fn a_thousand_accounts_scroll_sort_filter_and_jump() {
    let mut list = Vec::new();
    for n in 0..2000 {
        let mut f = sample_finding(n, NOW - 3_600_000);
        f.account = format!("{:012}", 100_000_000_000u64 + (n % 1000) as u64).into();
        f.control_id = Some(if n < 1000 { "S3.8" } else { "IAM.7" }.into());
        // Account n fails S3.8 when n is a multiple of 7.
        f.compliance = Some(if n < 1000 && n % 7 == 0 {
            ComplianceStatus::Failed
        } else {
            ComplianceStatus::Passed
        });
        f.standards = vec![Text::from(FSBP)];
        list.push(Arc::new(f));
    }
    let mut s = (*snapshot(HealthState::Ok, None)).clone();
    s.insights = Arc::new(Insights {
        posture: score::compute(&list, None),
        stats: stats::compute(&list, NOW),
        history: Vec::new(),
        metadata: "derived from findings".into(),
        computed_at: NOW,
        provider_scores: Vec::new(),
    });
    s.findings = Arc::new(list.into());
    let mut app = app_with(ColorDepth::TrueColor, 80, 24);
    app.update(Msg::Snapshot(Arc::new(s)));
    key(&mut app, KeyCode::Char('P'));
    key(&mut app, KeyCode::Tab);
    let text = screen(&app);
    assert!(text.contains("1,000 accounts"), "{text}");
    assert!(text.contains("2 Regions · 1-16 of 1,002"), "{text}");
    // Worst first: an account failing S3.8 (score 50%) heads the list.
    assert!(text.contains("> account 100000000000"), "{text}");
    // Page down and to the bottom: the selection stays on screen.
    key(&mut app, KeyCode::PageDown);
    key(&mut app, KeyCode::Char('G'));
    let text = screen(&app);
    assert!(text.contains("987-1,002 of 1,002"), "{text}");
    assert!(text.contains("> Region"), "{text}");
    // Sort by name, then narrow to one account.
    key(&mut app, KeyCode::Char('s'));
    key(&mut app, KeyCode::Char('s'));
    assert_eq!(app.posture.breakdown_sort, 2);
    key(&mut app, KeyCode::Char('/'));
    chars(&mut app, "100000000126");
    let text = screen(&app);
    assert!(text.contains("1 account, 0 Regions · by name"), "{text}");
    assert!(text.contains("> account 100000000126"), "{text}");
    // Esc puts the previous filter back; Enter keeps what was typed.
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.posture.breakdown_filter, "");
    assert!(screen(&app).contains("1,000 accounts"));
    key(&mut app, KeyCode::Char('/'));
    chars(&mut app, "100000000126");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.posture.breakdown_filter, "100000000126");
    key(&mut app, KeyCode::Enter);
    assert!(!app.posture.open);
    assert_eq!(app.filter_text, "acct:100000000126 -wf:resolved");
    // Its failing finding (the passed one is outside the working view).
    assert_eq!(app.view.len(), 1);
}
