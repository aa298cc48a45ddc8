//! Full reads in progress: the status bar and the sources list while a slow first sync and a
//! reconcile run, with Unicode bars and in ASCII (and screen-reader) mode.

use super::*;
use crate::poller::{SyncKind, SyncProgress};

/// Source 0 reconciles (2,300 of ≈8,000), source 1 is on its first sync, resumed
/// (10,000 of ≈90,000, or of an unknown total).
fn syncing(app: &mut App, known_total: bool) {
    let mut s = (*app.snapshot).clone();
    let mut sources = (*s.sources).clone();
    sources[0].health.progress = Some(SyncProgress {
        kind: SyncKind::Reconcile,
        pages: 23,
        findings: 2_300,
        per_sec: 90,
        total: Some(8_000),
        eta_secs: Some(64),
        resumed: false,
    });
    sources[1].health.progress = Some(SyncProgress {
        kind: SyncKind::Full,
        pages: 100,
        findings: 10_000,
        per_sec: 200,
        total: known_total.then_some(90_000),
        eta_secs: known_total.then_some(400),
        resumed: true,
    });
    s.sources = Arc::new(sources);
    app.update(Msg::Snapshot(Arc::new(s)));
}

fn open_sources(app: &mut App) {
    app.act(crate::tui::keymap::Action::Palette, &mut Vec::new());
    chars(app, "sources");
    key(app, KeyCode::Enter);
}

#[test]
fn status_bar_and_sources_show_sync_progress() {
    let mut app = app_with(ColorDepth::TrueColor, 120, 30);
    syncing(&mut app, true);
    let s = screen(&app);
    assert!(
        s.contains("syncing 2 · 12,300/≈98,000 · 290/s · ETA 7m"),
        "{s}"
    );
    open_sources(&mut app);
    let s = screen(&app);
    insta::assert_snapshot!("sources_syncing", s);
    assert!(s.contains("█") && s.contains("░"), "{s}");
    assert!(
        s.contains("  28%  2,300/≈8,000  90/s  ETA 2m  reconcile"),
        "{s}"
    );
    assert!(s.contains("first sync, resumed"), "{s}");
}

#[test]
fn without_a_total_there_is_no_eta() {
    let mut app = app_with(ColorDepth::TrueColor, 120, 30);
    syncing(&mut app, false);
    let s = screen(&app);
    assert!(
        s.contains("syncing 2 · 12,300 findings · 123 pages · 290/s"),
        "{s}"
    );
    assert!(!s.contains("ETA"), "no made-up ETA: {s}");
    open_sources(&mut app);
    let s = screen(&app);
    assert!(
        s.contains("first sync, resumed: 100 pages, 10,000 findings, 200/s (total not known yet)"),
        "{s}"
    );
}

#[test]
fn ascii_and_screen_reader_modes_have_no_block_characters() {
    let mut app = app_with(ColorDepth::TrueColor, 120, 30);
    app.theme.ascii = true;
    syncing(&mut app, true);
    open_sources(&mut app);
    let s = screen(&app);
    insta::assert_snapshot!("sources_syncing_ascii", s);
    assert!(s.contains("[######..............]  28%"), "{s}");
    for block in ['█', '░', '▓', '▒', '▏', '▕'] {
        assert!(!s.contains(block), "{block:?} in ASCII mode: {s}");
    }
    // Screen-reader mode turns ASCII on by itself.
    let opts = Options {
        screen_reader: true,
        ..app.opts.clone()
    };
    let theme = theme::load("default", None, ColorDepth::TrueColor, false).unwrap();
    let keymap = keymap::load("default", None).unwrap();
    let mut app = App::new(opts, theme, keymap, snapshot(HealthState::Ok, None), NOW);
    app.update(Msg::Resize(120, 30));
    syncing(&mut app, true);
    // Live updates are held for a screen reader (rows must not move under it); f applies
    // them, progress included.
    assert!(app.frozen);
    app.act(crate::tui::keymap::Action::Freeze, &mut Vec::new());
    open_sources(&mut app);
    let s = screen(&app);
    assert!(s.contains("[######..............]"), "{s}");
    assert!(!s.contains('█') && !s.contains('░'), "{s}");
}

/// A thousand sources (an organisation without aggregation): the list pages and jumps to
/// either end, and only the visible slice is laid out.
#[test]
fn a_thousand_sources_page_and_jump() {
    let mut app = app_with(ColorDepth::TrueColor, 120, 30);
    let mut s = (*app.snapshot).clone();
    let proto = s.sources[0].clone();
    s.sources = Arc::new(
        (0..1000)
            .map(|i| {
                let mut src = proto.clone();
                src.info.key = format!("aws/acct-{i:04}/us-east-1");
                src
            })
            .collect(),
    );
    app.update(Msg::Snapshot(Arc::new(s)));
    open_sources(&mut app);
    assert!(screen(&app).contains("aws/acct-0000/us-east-1"));
    key(&mut app, KeyCode::PageDown);
    let s = screen(&app);
    assert!(
        !s.contains("aws/acct-0000/") && s.contains("aws/acct-0025/"),
        "{s}"
    );
    key(&mut app, KeyCode::End);
    let s = screen(&app);
    assert!(s.contains("aws/acct-0999/us-east-1"), "{s}");
    // The last source is the last row: no scrolling past the end.
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(screen(&app), s);
    key(&mut app, KeyCode::Home);
    assert!(screen(&app).contains("aws/acct-0000/us-east-1"));
}

#[test]
fn status_bar_shows_the_cache_loading_with_the_count_rising() {
    let mut app = app_with(ColorDepth::TrueColor, 120, 30);
    let mut s = (*app.snapshot).clone();
    s.loading = Some((350_000, 1_000_000));
    app.update(Msg::Snapshot(Arc::new(s.clone())));
    let text = screen(&app);
    assert!(
        text.contains("loading cache 350,000/1,000,000 (35%)"),
        "{text}"
    );
    assert!(!text.contains("syncing"), "{text}");
    // Once loaded the segment goes.
    s.loading = None;
    app.update(Msg::Snapshot(Arc::new(s)));
    assert!(!screen(&app).contains("loading cache"));
}

#[test]
fn a_narrow_status_bar_keeps_the_sync_progress_short() {
    let mut app = app_with(ColorDepth::TrueColor, 80, 24);
    syncing(&mut app, true);
    assert!(screen(&app).contains("syncing 2 · 12,300/≈98,000 · 290/s · ETA 7m"));
    // With more to say (three marked), the short form, never cut off.
    for _ in 0..3 {
        key(&mut app, KeyCode::Char(' '));
    }
    let s = screen(&app);
    assert!(s.contains("3 marked"), "{s}");
    let status = s.lines().find(|l| l.contains(" shown of ")).unwrap();
    assert!(status.contains("sync 12% ETA 7m"), "{s}");
    assert!(!status.contains("cached data"), "{s}");
    // Without a total, the count.
    syncing(&mut app, false);
    let s = screen(&app);
    assert!(s.contains("sync 12,300"), "{s}");
}
