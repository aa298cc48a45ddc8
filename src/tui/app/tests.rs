//! UI tests: the whole app rendered to a `TestBackend`, asserted on text and cell styles.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Modifier;

use super::*;
use crate::hub::{Snapshot, SourceStatus};
use crate::model::{Finding, Note, Severity, Workflow};
use crate::poller::{Health, HealthState};
use crate::query::Column;
use crate::sources::SourceInfo;
use crate::sources::memory::sample_finding;
use crate::tui::color::ColorDepth;
use crate::tui::{keymap, theme, views};

const NOW: i64 = 1_763_800_000_000;

fn findings() -> Vec<Arc<Finding>> {
    (0..40)
        .map(|i| {
            let mut f = sample_finding(i, NOW - (i as i64) * 3_600_000);
            f.source = "aws/security/us-east-1".into();
            if i == 3 {
                f.title = "Evil \u{1b}]52;c;cGF3bmVk\u{7}title \u{1b}[2J\u{202e}desrever\u{202c} 日本語 end".into();
                f.note = Some(Note { text: "looked at it".into(), updated_by: "alice".into(), updated_at: NOW });
                f.remediation_url = Some("https://docs.aws.amazon.com/x".into());
            }
            Arc::new(f)
        })
        .collect()
}

fn snapshot(health: HealthState, error: Option<&str>) -> Arc<Snapshot> {
    let mut h = Health {
        state: health,
        last_error: error.map(str::to_owned),
        last_ok: Some(NOW - 120_000),
        failures: 0,
        api: None,
        progress: None,
    };
    if health == HealthState::Pending {
        h.last_ok = None;
    }
    Arc::new(Snapshot {
        version: 1,
        findings: Arc::new(findings().into()),
        sources: Arc::new(vec![
            SourceStatus {
                info: SourceInfo {
                    key: "aws/security/us-east-1".into(),
                    provider: crate::model::Provider::AwsSecurityHub,
                    name: "security".into(),
                    region: "us-east-1".into(),
                },
                health: Health {
                    state: HealthState::Ok,
                    last_error: None,
                    last_ok: Some(NOW - 120_000),
                    failures: 0,
                    api: None,
                    progress: None,
                },
                stale: false,
                findings: 40,
            },
            SourceStatus {
                info: SourceInfo {
                    key: "aws/security/eu-west-1".into(),
                    provider: crate::model::Provider::AwsSecurityHub,
                    name: "security".into(),
                    region: "eu-west-1".into(),
                },
                health: h,
                stale: true,
                findings: 0,
            },
        ]),
        last_ok: Some(NOW - 120_000),
        ..Snapshot::default()
    })
}

fn app_with(depth: ColorDepth, w: u16, h: u16) -> App {
    let theme_name = if depth == ColorDepth::Mono {
        "mono"
    } else {
        "default"
    };
    let theme = theme::load(theme_name, None, depth, false).unwrap();
    let keymap = keymap::load("default", None).unwrap();
    let opts = Options {
        demo: false,
        read_only: false,
        screen_reader: false,
        actor: "tester@host".into(),
        remediation: true,
        approver_note: None,
        alert: Some(crate::filter::Filter::parse("sev:critical").unwrap()),
        alert_with: crate::config::AlertWith::Bell,
        notify: NotifyOptions::default(),
        background_view_over: None,
    };
    let mut app = App::new(opts, theme, keymap, snapshot(HealthState::Ok, None), NOW);
    app.update(Msg::Resize(w, h));
    app
}

fn app() -> App {
    app_with(ColorDepth::TrueColor, 100, 30)
}

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn chars(app: &mut App, s: &str) {
    for c in s.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn render(app: &App) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    t.draw(|f| views::render(f, app)).unwrap();
    t
}

fn text(t: &Terminal<TestBackend>) -> String {
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..buf.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            // A wide character covers the next cell too.
            skip = unicode_width::UnicodeWidthStr::width(sym).saturating_sub(1);
            line.push_str(sym);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn screen(app: &App) -> String {
    text(&render(app))
}

#[test]
fn findings_view() {
    let app = app();
    let s = screen(&app);
    insta::assert_snapshot!("findings_view", s);
    // Severity is text, not only colour.
    assert!(s.contains("CRIT") && s.contains("HIGH") && s.contains("MED"));
    assert!(s.contains("40 shown of 40"));
}

#[test]
fn hostile_text_never_reaches_the_buffer_raw() {
    let mut app = app_with(ColorDepth::TrueColor, 200, 50);
    let t = render(&app);
    let buf = t.backend().buffer().clone();
    for cell in buf.content() {
        for c in cell.symbol().chars() {
            assert!(!c.is_control(), "control char {c:?} in buffer");
            assert!(
                !('\u{202a}'..='\u{202e}').contains(&c) && !('\u{2066}'..='\u{2069}').contains(&c),
                "bidi {c:?}"
            );
        }
    }
    // Columns stay aligned: the AGE column header and every row's age start at the same x.
    let s = text(&t);
    let header_x = s.lines().nth(1).unwrap().find("AGE").unwrap();
    let evil_line = s
        .lines()
        .find(|l| l.contains("Evil"))
        .expect("hostile row shown");
    assert!(evil_line.contains("日本語"), "{evil_line}");
    let evil_chars: Vec<char> = evil_line.chars().collect();
    let normal = s.lines().find(|l| l.contains("Finding number 1 ")).unwrap();
    // Compare by display columns: wide chars occupy two cells but one char.
    let col =
        |l: &str, pat: &str| unicode_width::UnicodeWidthStr::width(&l[..l.find(pat).unwrap()]);
    assert_eq!(
        col(normal, "NEW"),
        col(evil_line, "NEW"),
        "{normal}\n{evil_line}"
    );
    assert!(header_x > 0 && !evil_chars.is_empty());
    // Detail pane too.
    app.selected = app
        .view
        .iter()
        .position(|&i| app.snapshot.findings[i as usize].id == "f-000003")
        .unwrap();
    key(&mut app, KeyCode::Enter);
    let s = screen(&app);
    assert!(s.contains("Evil") && !s.contains('\u{1b}'));
}

#[test]
fn selection_in_mono_theme_is_reverse_video() {
    let app = app_with(ColorDepth::Mono, 100, 30);
    let t = render(&app);
    let buf = t.backend().buffer();
    // Row 2 (after top bar and header) is the selected row.
    for x in 2..60 {
        let cell = &buf[(x, 2)];
        assert!(
            cell.modifier.contains(Modifier::REVERSED),
            "x={x} {:?}",
            cell
        );
        assert_eq!(cell.fg, ratatui::style::Color::Reset);
        assert_eq!(cell.bg, ratatui::style::Color::Reset);
    }
    assert!(
        !buf[(30, 3)].modifier.contains(Modifier::REVERSED),
        "unselected row is plain"
    );
    for cell in buf.content() {
        assert!(
            matches!(cell.fg, ratatui::style::Color::Reset)
                && matches!(cell.bg, ratatui::style::Color::Reset),
            "mono uses no colour"
        );
    }
}

#[test]
fn severity_colour_follows_the_theme() {
    let app = app();
    let t = render(&app);
    let buf = t.backend().buffer();
    let s = text(&t);
    let y = s.lines().position(|l| l.contains("HIGH ")).unwrap() as u16;
    let x = s.lines().nth(y as usize).unwrap().find("HIGH").unwrap() as u16;
    assert_eq!(buf[(x, y)].fg, app.theme.style("severity.high").fg.unwrap());
}

#[test]
fn filter_live_and_errors() {
    let mut app = app();
    key(&mut app, KeyCode::Char('/'));
    chars(&mut app, "sev:crit");
    assert_eq!(app.view.len(), 8);
    let mut t = render(&app);
    let s = text(&t);
    insta::assert_snapshot!("filter_input", s);
    // The real cursor sits at the caret, after the text.
    let pos = t.get_cursor_position().unwrap();
    assert_eq!((pos.x, pos.y), (2 + "sev:crit".len() as u16, 27));
    chars(&mut app, "x");
    assert!(
        matches!(&app.message, Some((Level::Error, m)) if m.contains("filter")),
        "{:?}",
        app.message
    );
    assert_eq!(app.view.len(), 8, "a bad filter keeps the last good one");
    key(&mut app, KeyCode::Backspace);
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.overlay, Overlay::None));
    assert_eq!(app.filter_text, "sev:crit");
    // Esc while editing keeps the filter in force.
    key(&mut app, KeyCode::Char('/'));
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.view.len(), 8);
    assert!(screen(&app).contains("filter sev:crit"));
    // A half-typed change is undone by Esc, even one the live preview applied.
    key(&mut app, KeyCode::Char('/'));
    for _ in 0..4 {
        key(&mut app, KeyCode::Backspace);
    }
    chars(&mut app, "high");
    assert_eq!(app.filter_text, "sev:high", "live preview");
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.filter_text, "sev:crit");
    assert_eq!(app.view.len(), 8);
    // `sev:hgih` typed after `sev:h`: Esc restores the filter before the prompt, not `sev:h`.
    key(&mut app, KeyCode::Char('c'));
    key(&mut app, KeyCode::Char('/'));
    chars(&mut app, "sev:hgih");
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.filter_text, "");
    assert_eq!(app.view.len(), 40);
}

#[test]
fn detail_tabs_scroll_and_raw_json() {
    let mut app = app();
    let fx = key(&mut app, KeyCode::Enter);
    let id = app.detail.as_ref().unwrap().id.clone();
    let f = crate::model::FindingRef::from(app.detail_finding().unwrap().as_ref());
    assert_eq!(
        fx,
        vec![Effect::LoadRaw(id.clone()), Effect::LoadTimeline(f)]
    );
    let s = screen(&app);
    insta::assert_snapshot!("detail_summary", s);
    key(&mut app, KeyCode::BackTab);
    assert!(screen(&app).contains("loading…"));
    app.update(Msg::RawJson {
        id: id.clone(),
        json: Some(r#"{"Id": "x", "Title": "\u001b[31mred", "Nested": {"A": [1, 2]}}"#.into()),
    });
    let s = screen(&app);
    assert!(
        s.contains("\"Nested\": {") && s.contains("    \"A\": ["),
        "{s}"
    );
    assert!(!s.contains('\u{1b}'));
    key(&mut app, KeyCode::Esc);
    assert!(app.detail.is_none());
}

#[test]
fn help_is_generated_from_the_keymap() {
    let mut app = app_with(ColorDepth::TrueColor, 100, 48);
    key(&mut app, KeyCode::Char('?'));
    let s = screen(&app);
    insta::assert_snapshot!("help", s);
    for a in [Action::Freeze, Action::SetWorkflow] {
        assert!(s.contains(a.description()), "{a:?}");
    }
    // Long descriptions wrap under their own column.
    assert!(s.contains("Filter findings (e.g. sev:>=high -wf:resolved); in a finding, search"));
    // Keys never run into descriptions.
    assert!(
        s.contains("pagedown, ctrl-d, ctrl-f  Move down one page"),
        "{s}"
    );
    // Scrolling far past the end keeps the last line in view: never a blank box.
    for _ in 0..200 {
        key(&mut app, KeyCode::Char('j'));
    }
    let s = screen(&app);
    assert!(s.contains("free text"), "the last line: {s}");
    assert!(
        s.contains("cwe:") && s.contains("cloud:"),
        "filter fields listed: {s}"
    );
    key(&mut app, KeyCode::Esc);
    assert!(matches!(app.overlay, Overlay::None));
    // The title names the active keymap's keys.
    let theme = theme::load("default", None, ColorDepth::TrueColor, false).unwrap();
    let arrows = keymap::load("arrows", None).unwrap();
    let mut a = App::new(app.opts.clone(), theme, arrows, app.snapshot.clone(), NOW);
    a.update(Msg::Resize(100, 40));
    a.update(Msg::Key(KeyEvent::new(KeyCode::F(1), KeyModifiers::NONE)));
    let s = screen(&a);
    assert!(
        s.contains("Help (esc closes, down/up scroll") && !s.contains("j/k"),
        "{s}"
    );
}

#[test]
fn too_small_screen_and_resize() {
    let mut app = app_with(ColorDepth::TrueColor, 79, 24);
    let s = screen(&app);
    assert!(
        s.contains("terminal too small: need 80×24, have 79×24"),
        "{s}"
    );
    app.update(Msg::Resize(80, 24));
    let s = screen(&app);
    assert!(!s.contains("too small") && s.contains("SEV"));
    insta::assert_snapshot!("findings_80x24", s);
}

#[test]
fn marks_and_bulk_workflow_with_note() {
    let mut app = app();
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Char(' '));
    assert_eq!(app.marks.len(), 2);
    key(&mut app, KeyCode::Char('w'));
    let t = render(&app);
    let s = text(&t);
    assert!(
        s.contains("Set workflow status of 2 finding(s)")
            && s.contains("1 ( ) NEW")
            && s.contains("4 ( ) SUPPRESSED"),
        "{s}"
    );
    // Enter with nothing chosen does not submit.
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    chars(&mut app, "4");
    key(&mut app, KeyCode::Tab);
    chars(&mut app, "risk accepted");
    let mut t = render(&app);
    let pos = t.get_cursor_position().unwrap();
    let s = text(&t);
    let note_y = s.lines().position(|l| l.contains("risk accepted")).unwrap() as u16;
    assert_eq!(pos.y, note_y, "cursor on the note line");
    let fx = key(&mut app, KeyCode::Enter);
    match &fx[..] {
        [
            Effect::UpdateWorkflow {
                findings,
                status,
                note,
                reason: None,
            },
        ] => {
            assert_eq!(findings.len(), 2);
            assert_eq!(*status, Workflow::Suppressed);
            assert_eq!(note.as_deref(), Some("risk accepted"));
        }
        other => panic!("{other:?}"),
    }
    assert!(app.marks.is_empty());
    app.update(Msg::WorkflowDone {
        status: Workflow::Suppressed,
        processed: 1,
        unprocessed: vec![("f-1".into(), "FindingNotFound".into(), "gone".into())],
        error: None,
    });
    assert!(screen(&app).contains("1 not processed (first: f-1: FindingNotFound gone)"));
}

#[test]
fn esc_cancels_workflow_dialog_and_read_only_hides_it() {
    let mut app = app();
    key(&mut app, KeyCode::Char('w'));
    chars(&mut app, "3");
    assert!(key(&mut app, KeyCode::Esc).is_empty());
    assert!(matches!(app.overlay, Overlay::None));
    app.opts.read_only = true;
    key(&mut app, KeyCode::Char('w'));
    assert!(matches!(app.overlay, Overlay::None));
    assert!(screen(&app).contains("read-only"));
}

#[test]
fn freeze_holds_updates_and_sort_changes() {
    let mut app = app();
    key(&mut app, KeyCode::Char('f'));
    let mut fewer = (*snapshot(HealthState::Ok, None)).clone();
    fewer.findings = Arc::new(findings().into_iter().take(5).collect());
    app.update(Msg::Snapshot(Arc::new(fewer)));
    assert_eq!(app.view.len(), 40, "frozen");
    assert!(screen(&app).contains("FROZEN: updates waiting, f applies"));
    key(&mut app, KeyCode::Char('f'));
    assert_eq!(app.view.len(), 5);
    key(&mut app, KeyCode::Char('S'));
    assert!(!app.sort.descending);
    key(&mut app, KeyCode::Char('g'));
    let first = app.selected_finding().unwrap().severity;
    assert_eq!(first, Severity::Informational);
}

#[test]
fn status_bar_shows_source_health_and_last_error() {
    let mut app = app();
    app.update(Msg::Snapshot(snapshot(
        HealthState::Throttled,
        Some("ThrottlingException: Rate exceeded"),
    )));
    let s = screen(&app);
    assert!(s.contains("1 ok") && s.contains("1 throttled"), "{s}");
    assert!(
        s.contains("throttled aws/security/eu-west-1: ThrottlingException: Rate exceeded"),
        "{s}"
    );
    assert!(s.contains("last poll 2m ago"));
    app.update(Msg::Snapshot(snapshot(
        HealthState::Error,
        Some("InvalidAccessException: not subscribed"),
    )));
    assert!(screen(&app).contains("1 error"));
}

#[test]
fn palette_runs_commands() {
    let mut app = app();
    key(&mut app, KeyCode::Char(':'));
    chars(&mut app, "sort title");
    let t = render(&app);
    assert!(text(&t).contains("Command"));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.sort.column, Column::Title);
    key(&mut app, KeyCode::Char(':'));
    chars(&mut app, "filter acct:222");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.filter_text, "acct:222");
    key(&mut app, KeyCode::Char(':'));
    chars(&mut app, "sources");
    key(&mut app, KeyCode::Enter);
    assert!(screen(&app).contains("aws/security/eu-west-1"));
}

#[test]
fn ctrl_c_always_quits() {
    let mut app = app();
    key(&mut app, KeyCode::Char('w'));
    key(&mut app, KeyCode::Tab);
    let fx = app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    assert_eq!(fx, vec![Effect::Quit]);
}

#[test]
fn selection_stays_on_top_while_data_streams_in_until_the_user_moves() {
    let mut app = app();
    let part = |n: usize| {
        let mut s = (*snapshot(HealthState::Ok, None)).clone();
        s.findings = Arc::new(findings().into_iter().rev().take(n).collect());
        Arc::new(s)
    };
    app.update(Msg::Snapshot(part(3)));
    app.update(Msg::Snapshot(part(40)));
    assert_eq!(app.selected, 0);
    assert_eq!(app.selected_finding().unwrap().severity, Severity::Critical);
    // Once the user has moved, the selection follows its finding.
    key(&mut app, KeyCode::Char('j'));
    let id = app.selected_finding().unwrap().id.clone();
    app.update(Msg::Snapshot(snapshot(HealthState::Ok, None)));
    assert_eq!(app.selected_finding().unwrap().id, id);
}

mod detail_ui;
mod github_ui;
mod marks_ui;
mod notify_ui;
mod posture_ui;
mod remediation_ui;
mod sources_ui;
mod sync_ui;
mod views_ui;
mod worker_ui;
