//! The sources list (`:sources`): each source's health, and what was skipped as malformed.

use super::*;

/// A broken file beside readable ones does not make its source fail: the count is in the
/// status bar and the reason, with file and position, in the sources list.
#[test]
fn the_last_skip_reason_is_in_the_sources_list() {
    let mut s = (*snapshot(HealthState::Ok, None)).clone();
    s.skipped = 2;
    s.last_skip_reason = Some("reports/broken.sarif:185:3: truncated JSON\u{1b}[31m".into());
    let mut app = app_with(ColorDepth::TrueColor, 120, 30);
    app.update(Msg::Snapshot(Arc::new(s)));
    assert!(screen(&app).contains("2 malformed skipped"));
    key(&mut app, KeyCode::Char(':'));
    chars(&mut app, "sources");
    key(&mut app, KeyCode::Enter);
    let text = screen(&app);
    assert!(
        text.contains("2 malformed skipped; the last: reports/broken.sarif:185:3: truncated JSON"),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "sanitised");
}
