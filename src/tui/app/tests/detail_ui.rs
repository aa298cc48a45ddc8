//! The detail: every line reachable, the timeline, search, refresh after a change, and the
//! side-by-side layout of wide terminals.

use super::*;
use crate::timeline::{Event as TimelineEvent, Origin};

fn open(app: &mut App) -> String {
    key(app, KeyCode::Enter);
    app.detail.as_ref().unwrap().id.clone()
}

/// The last line of the summary (the note) is reachable at 80×24, in both border modes.
#[test]
fn every_summary_line_is_reachable() {
    for reader in [false, true] {
        let mut app = app_with(ColorDepth::TrueColor, 80, 24);
        app.opts.screen_reader = reader;
        // Row 3 has a note; the working view may sort it anywhere: find it.
        while app.selected_finding().unwrap().note.is_none() {
            key(&mut app, KeyCode::Char('j'));
        }
        open(&mut app);
        key(&mut app, KeyCode::Char('G'));
        let s = screen(&app);
        assert!(s.contains("looked at it (by alice"), "reader={reader}\n{s}");
        // One more line down changes nothing: the bottom is the bottom.
        let before = app.detail.as_ref().unwrap().scroll;
        key(&mut app, KeyCode::Char('j'));
        assert_eq!(app.detail.as_ref().unwrap().scroll, before);
        assert!(before > 0, "the summary is longer than the screen at 80×24");
    }
}

#[test]
fn timeline_merges_provider_console_and_remediation() {
    let mut app = app_with(ColorDepth::TrueColor, 100, 30);
    let id = open(&mut app);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.detail.as_ref().unwrap().tab, DetailTab::Timeline);
    assert!(screen(&app).contains("loading the audit log"));
    app.update(Msg::Timeline {
        id: id.clone(),
        events: vec![
            TimelineEvent::new(
                NOW - 60_000,
                Origin::Console,
                "alice",
                "workflow NOTIFIED \"paged the owner\" (ok: 1 processed)",
            ),
            TimelineEvent::new(
                NOW - 7_200_000,
                Origin::Provider,
                "bob",
                "updated: Workflow.Status NEW -> NOTIFIED",
            ),
        ],
        error: Some("provider history: AccessDeniedException: not allowed".into()),
    });
    let s = screen(&app);
    insta::assert_snapshot!("detail_timeline", s);
    let console = s
        .find("[console] workflow NOTIFIED")
        .expect("console event");
    let provider = s
        .find("[provider] updated: Workflow.Status")
        .expect("provider event");
    assert!(console < provider, "newest first\n{s}");
    assert!(
        s.contains("[provider] created"),
        "the finding's own milestones\n{s}"
    );
    assert!(
        s.contains("not read") && s.contains("AccessDenied"),
        "what failed is said\n{s}"
    );
    // A timeline for another finding (the user moved on) is ignored.
    app.update(Msg::Timeline {
        id: "other".into(),
        events: vec![],
        error: None,
    });
    assert!(screen(&app).contains("[console] workflow NOTIFIED"));
}

#[test]
fn search_in_the_detail_not_the_list() {
    let mut app = app_with(ColorDepth::TrueColor, 100, 30);
    open(&mut app);
    let filter_before = app.filter_text.clone();
    key(&mut app, KeyCode::Char('/'));
    assert!(matches!(app.overlay, Overlay::Search(_)));
    assert!(screen(&app).contains("search:"));
    chars(&mut app, "remediation");
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.filter_text, filter_before,
        "the list's filter is untouched"
    );
    let msg = app.message.clone().unwrap().1;
    assert!(msg.starts_with("match 1 of 2"), "{msg}");
    let s = screen(&app);
    assert!(
        s.contains("> Remediation"),
        "the current match is marked in text\n{s}"
    );
    assert!(s.contains("* Remediation URL"), "{s}");
    key(&mut app, KeyCode::Char('n'));
    assert!(app.message.clone().unwrap().1.starts_with("match 2 of 2"));
    key(&mut app, KeyCode::Char('n'));
    assert!(
        app.message.clone().unwrap().1.starts_with("match 1 of 2"),
        "wraps around"
    );
    key(&mut app, KeyCode::Char('N'));
    assert!(app.message.clone().unwrap().1.starts_with("match 2 of 2"));
    // Esc ends the search, keeps the detail open; / offers the query again.
    key(&mut app, KeyCode::Esc);
    assert!(app.detail.as_ref().unwrap().search.is_none());
    assert!(app.detail.is_some());
    key(&mut app, KeyCode::Char('/'));
    let Overlay::Search(ta) = &app.overlay else {
        panic!("search prompt")
    };
    assert_eq!(ta.lines().join(""), "remediation");
    // Typed but not applied: Esc keeps it for the next /.
    chars(&mut app, " url");
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('/'));
    let Overlay::Search(ta) = &app.overlay else {
        panic!("search prompt")
    };
    assert_eq!(ta.lines().join(""), "remediation url");
    key(&mut app, KeyCode::Enter);
    assert!(app.message.clone().unwrap().1.starts_with("match 1 of 1"));
    // No match says so, in the tab searched.
    key(&mut app, KeyCode::Char('/'));
    for _ in 0..20 {
        key(&mut app, KeyCode::Backspace);
    }
    chars(&mut app, "zzzz-nothing");
    key(&mut app, KeyCode::Enter);
    let (level, msg) = app.message.clone().unwrap();
    assert_eq!(level, Level::Error);
    assert!(
        msg.contains("no match for \"zzzz-nothing\" in Summary"),
        "{msg}"
    );
}

#[test]
fn search_reaches_a_match_below_the_screen_in_raw_json() {
    let mut app = app_with(ColorDepth::TrueColor, 80, 24);
    let id = open(&mut app);
    key(&mut app, KeyCode::BackTab);
    let body: Vec<String> = (0..60).map(|i| format!("\"K{i}\": {i}")).collect();
    app.update(Msg::RawJson {
        id,
        json: Some(format!("{{{}, \"Needle\": \"here\"}}", body.join(", "))),
    });
    key(&mut app, KeyCode::Char('/'));
    chars(&mut app, "needle");
    key(&mut app, KeyCode::Enter);
    let s = screen(&app);
    assert!(
        s.contains("> ") && s.contains("\"Needle\": \"here\""),
        "scrolled to the match\n{s}"
    );
}

#[test]
fn raw_json_and_timeline_reload_when_the_open_finding_changes() {
    let mut app = app();
    let id = open(&mut app);
    let mut changed = std::collections::HashSet::new();
    changed.insert(id.clone());
    let mut s = (*snapshot(HealthState::Ok, None)).clone();
    s.changed = Arc::new(changed);
    let fx = app.update(Msg::Snapshot(Arc::new(s.clone())));
    assert!(fx.contains(&Effect::LoadRaw(id.clone())), "{fx:?}");
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::LoadTimeline(r) if r.id == id))
    );
    // Frozen too: the raw JSON comes from the store, not the held snapshot.
    key(&mut app, KeyCode::Char('f'));
    let fx = app.update(Msg::Snapshot(Arc::new(s)));
    assert!(fx.contains(&Effect::LoadRaw(id.clone())));
    // Unrelated changes do not reload.
    let fx = app.update(Msg::Snapshot(snapshot(HealthState::Ok, None)));
    assert!(!fx.iter().any(|e| matches!(e, Effect::LoadRaw(_))));
    // After a workflow change the timeline (audit log) is read again.
    let fx = app.update(Msg::WorkflowDone {
        status: Workflow::Notified,
        processed: 1,
        unprocessed: vec![],
        error: None,
    });
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::LoadTimeline(r) if r.id == id))
    );
}

#[test]
fn wide_terminals_show_list_and_detail_side_by_side() {
    let mut app = app_with(ColorDepth::TrueColor, 160, 40);
    let s = screen(&app);
    insta::assert_snapshot!("wide_preview", s);
    let first = app.selected_finding().unwrap().title.clone();
    assert!(s.contains("Preview (enter opens it"), "{s}");
    assert!(
        s.contains(&first.to_string()),
        "the preview shows the selected finding\n{s}"
    );
    assert!(
        s.contains("SEVERITY") || s.contains("SEV"),
        "the list stays\n{s}"
    );
    key(&mut app, KeyCode::Char('j'));
    let second = app.selected_finding().unwrap().title.clone();
    assert!(
        screen(&app).contains(&second.to_string()),
        "the preview follows the selection"
    );
    open(&mut app);
    let s = screen(&app);
    assert!(
        s.contains("[1 Summary]") && s.contains("SEV"),
        "detail open beside the list\n{s}"
    );
    // Keys scroll the detail while it is open; Esc gives the list back.
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(app.selected_finding().unwrap().title, second);
    key(&mut app, KeyCode::Esc);
    assert!(app.detail.is_none());
    // Narrower than 140: the detail takes the screen, as before.
    app.update(Msg::Resize(139, 40));
    assert!(!screen(&app).contains("Preview"));
}
