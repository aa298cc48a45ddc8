//! The workflow dialog on GitHub code-scanning alerts: SUPPRESSED needs one of GitHub's
//! dismiss reasons, chosen in the dialog, and the reason travels with the effect.

use super::*;
use crate::model::{Cloud, Provider};

/// Two GitHub alerts (CRITICAL, HIGH) and one AWS finding (MEDIUM), sorted by severity.
fn github_snapshot() -> Arc<Snapshot> {
    let list = [Severity::Critical, Severity::High, Severity::Medium]
        .into_iter()
        .enumerate()
        .map(|(n, sev)| {
            let mut f = sample_finding(n, NOW - 3_600_000);
            f.severity = sev;
            f.source = "aws/security/us-east-1".into();
            if n < 2 {
                f.id = format!("https://github.com/acme/api/security/code-scanning/{n}");
                f.provider = Provider::GithubCodeScanning;
                f.cloud = Cloud::Code;
                f.source = "github/acme".into();
                f.account = "acme/api".into();
            }
            Arc::new(f)
        })
        .collect();
    Arc::new(Snapshot {
        version: 2,
        findings: Arc::new(list),
        ..Snapshot::default()
    })
}

fn github_app(w: u16, h: u16) -> App {
    let mut app = app_with(ColorDepth::TrueColor, w, h);
    app.update(Msg::Snapshot(github_snapshot()));
    app
}

#[test]
fn suppressing_a_github_alert_asks_for_githubs_reason() {
    let mut app = github_app(80, 24);
    assert_eq!(
        app.selected_finding().unwrap().provider,
        Provider::GithubCodeScanning
    );
    key(&mut app, KeyCode::Char('w'));
    // No reason choice until SUPPRESSED is chosen.
    assert!(!screen(&app).contains("false positive"));
    chars(&mut app, "4");
    let s = screen(&app);
    assert!(
        s.contains("Dismiss on GitHub because")
            && s.contains("5 ( ) false positive")
            && s.contains("6 ( ) won't fix")
            && s.contains("7 ( ) used in tests")
            && s.contains("5-7 reason"),
        "{s}"
    );
    // Enter without a reason is refused, with a message.
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    assert!(matches!(app.overlay, Overlay::Workflow(_)));
    let s = screen(&app);
    assert!(s.contains("choose why GitHub should dismiss"), "{s}");
    chars(&mut app, "6");
    assert!(screen(&app).contains("6 (x) won't fix"));
    key(&mut app, KeyCode::Tab);
    chars(&mut app, "only in a test fixture");
    let fx = key(&mut app, KeyCode::Enter);
    match &fx[..] {
        [
            Effect::UpdateWorkflow {
                findings,
                status: Workflow::Suppressed,
                note: Some(note),
                reason: Some(reason),
            },
        ] => {
            assert_eq!(findings.len(), 1);
            assert!(findings[0].id.contains("/security/code-scanning/"));
            assert_eq!(note, "only in a test fixture");
            assert_eq!(reason, "won't fix");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn githubs_comment_limit_and_other_statuses() {
    let mut app = github_app(100, 30);
    key(&mut app, KeyCode::Char('w'));
    chars(&mut app, "45");
    key(&mut app, KeyCode::Tab);
    chars(&mut app, &"x".repeat(281));
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    assert!(screen(&app).contains("GitHub allows (dismissal comment) 280"));
    key(&mut app, KeyCode::Esc);
    // Reopening needs no reason: none is sent.
    key(&mut app, KeyCode::Char('w'));
    key(&mut app, KeyCode::Tab);
    chars(&mut app, "1");
    let fx = key(&mut app, KeyCode::Enter);
    assert!(
        matches!(
            &fx[..],
            [Effect::UpdateWorkflow {
                status: Workflow::New,
                reason: None,
                ..
            }]
        ),
        "{fx:?}"
    );
}

#[test]
fn aws_findings_get_no_reason_choice() {
    let mut app = github_app(100, 30);
    // The MEDIUM row is the AWS finding.
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(
        app.selected_finding().unwrap().provider,
        Provider::AwsSecurityHub
    );
    key(&mut app, KeyCode::Char('w'));
    chars(&mut app, "4");
    assert!(!screen(&app).contains("Dismiss on GitHub"));
    let fx = key(&mut app, KeyCode::Enter);
    assert!(
        matches!(
            &fx[..],
            [Effect::UpdateWorkflow {
                status: Workflow::Suppressed,
                reason: None,
                ..
            }]
        ),
        "{fx:?}"
    );
}
