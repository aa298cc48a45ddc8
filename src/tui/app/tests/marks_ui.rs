//! Marks, bulk actions and what the filter hides.

use super::*;

/// Marks hidden by a later filter are never acted on, and the dialog says so.
#[test]
fn bulk_actions_act_only_on_visible_marks() {
    let mut app = app_with(ColorDepth::TrueColor, 80, 24);
    key(&mut app, KeyCode::Char('*'));
    assert_eq!(app.marks.len(), 40);
    key(&mut app, KeyCode::Char('/'));
    chars(&mut app, "sev:critical");
    key(&mut app, KeyCode::Enter);
    let shown = app.view.len();
    assert!(shown > 0 && shown < 40, "{shown}");
    key(&mut app, KeyCode::Char('w'));
    let s = screen(&app);
    assert!(
        s.contains(&format!(
            "{shown} marked, {} hidden by the filter",
            40 - shown
        )),
        "{s}"
    );
    chars(&mut app, "3");
    let fx = key(&mut app, KeyCode::Enter);
    let [Effect::UpdateWorkflow { findings, .. }] = &fx[..] else {
        panic!("{fx:?}")
    };
    assert_eq!(findings.len(), shown, "only the visible marks change");
    assert!(findings.iter().all(|f| {
        app.snapshot
            .findings
            .iter()
            .any(|x| x.id == f.id && x.severity == Severity::Critical)
    }));
    assert_eq!(app.marks.len(), 40 - shown, "hidden marks stay marked");
}

/// Esc in the workflow dialog keeps the note; `w` on the same findings brings it back.
#[test]
fn esc_keeps_the_workflow_note() {
    let mut app = app();
    key(&mut app, KeyCode::Char('w'));
    chars(&mut app, "2");
    key(&mut app, KeyCode::Tab);
    chars(&mut app, "asked the owner");
    key(&mut app, KeyCode::Esc);
    assert!(matches!(app.overlay, Overlay::None));
    assert!(screen(&app).contains("the note is kept"));
    key(&mut app, KeyCode::Char('w'));
    let s = screen(&app);
    assert!(
        s.contains("asked the owner") && s.contains("(x) NOTIFIED"),
        "{s}"
    );
    let fx = key(&mut app, KeyCode::Enter);
    assert!(
        matches!(&fx[..], [Effect::UpdateWorkflow { note: Some(n), status: Workflow::Notified, .. }] if n == "asked the owner"),
        "{fx:?}"
    );
    // Sent: no draft any more.
    key(&mut app, KeyCode::Char('w'));
    assert!(!screen(&app).contains("asked the owner"));
}

/// The status bar says which Security Hub API the sources read once any is not v1, and the
/// sources list names it per source.
#[test]
fn status_bar_and_sources_name_the_api() {
    let mut app = app_with(ColorDepth::TrueColor, 120, 30);
    let mut s = (*app.snapshot).clone();
    let mut sources = (*s.sources).clone();
    sources[0].health.api = Some("auto: v2 (OCSF)".into());
    sources[1].health.api = Some("v1 (ASFF)".into());
    s.sources = Arc::new(sources);
    app.update(Msg::Snapshot(Arc::new(s)));
    assert!(screen(&app).contains("api v1:1 v2:1"), "{}", screen(&app));
    app.act(crate::tui::keymap::Action::Palette, &mut Vec::new());
    chars(&mut app, "sources");
    key(&mut app, KeyCode::Enter);
    let s = screen(&app);
    assert!(
        s.contains("api auto: v2 (OCSF)") && s.contains("api v1 (ASFF)"),
        "{s}"
    );
}
