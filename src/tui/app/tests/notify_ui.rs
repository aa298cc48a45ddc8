//! Tickets (`t`), one-off notifications (`n`) and the notifications view (`I`).

use super::*;
use crate::config::notify::ChannelKind;
use crate::notify::message::{EventKind, Item as NotifyItem, Message};
use crate::notify::outbox::{Entry, State};
use crate::notify::service::{ChannelRow, Command, RuleRow, View};

fn with_channels(read_only: bool) -> App {
    let mut app = app_with(ColorDepth::TrueColor, 110, 34);
    app.opts.read_only = read_only;
    app.opts.notify = NotifyOptions {
        enabled: true,
        channels: vec![
            ("soc-slack".into(), ChannelKind::Slack, String::new()),
            ("tickets".into(), ChannelKind::Jira, "SEC".into()),
            ("oncall".into(), ChannelKind::Pagerduty, String::new()),
        ],
    };
    app
}

fn notify_effects(fx: &[Effect]) -> Vec<Command> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Notify(c) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

fn entry(id: i64, state: State, channel: &str, error: Option<&str>) -> Entry {
    let key = format!("hb1-{:032x}", id);
    Entry {
        id,
        key: key.clone(),
        raw_key: format!("r|{id}"),
        channel: channel.into(),
        rule: Some("new criticals".into()),
        event: "finding.matched".into(),
        finding_id: Some("f-000001".into()),
        message: Message::single(
            NotifyItem {
                event: EventKind::Matched,
                key,
                occurred_at: NOW - 60_000,
                rule: Some("new criticals".into()),
                finding: None,
                remediation: None,
                source: None,
                note: None,
                actor: None,
            },
            false,
        ),
        state,
        attempts: if state == State::Failed { 3 } else { 1 },
        not_before: NOW,
        lease_owner: None,
        created_at: NOW - 120_000,
        updated_at: NOW - 60_000,
        sent_at: (state == State::Sent).then_some(NOW - 60_000),
        last_error: error.map(str::to_owned),
        reference: (state == State::Sent && channel == "tickets").then(|| "SEC-24".into()),
    }
}

fn view() -> View {
    let mut tickets = std::collections::HashMap::new();
    let first = findings()[0].id.clone();
    tickets.insert(
        first,
        vec![("tickets".to_string(), "SEC-24".to_string(), false)],
    );
    View {
        entries: vec![
            entry(
                3,
                State::Failed,
                "soc-slack",
                Some("HTTP 404: channel_not_found \u{1b}[31mred"),
            ),
            entry(2, State::Pending, "oncall", None),
            entry(1, State::Sent, "tickets", None),
        ],
        counts: [(State::Failed, 1), (State::Pending, 1), (State::Sent, 1)].into(),
        rules: vec![RuleRow {
            name: "new criticals".into(),
            when: "sev:critical wf:new".into(),
            to: vec!["soc-slack".into(), "oncall".into()],
            matching: 7,
            open: 5,
        }],
        channels: vec![
            ChannelRow {
                name: "soc-slack".into(),
                kind: ChannelKind::Slack,
                unavailable: None,
                paused: Some((NOW + 30_000, "HTTP 429".into())),
            },
            ChannelRow {
                name: "tickets".into(),
                kind: ChannelKind::Jira,
                unavailable: Some("HUBBLE_JIRA_TOKEN is not set".into()),
                paused: None,
            },
        ],
        tickets,
        error: None,
        evaluating: true,
    }
}

#[test]
fn ticket_preview_defaults_to_cancel_and_creates_on_the_chosen_channel() {
    let mut app = with_channels(false);
    key(&mut app, KeyCode::Char('t'));
    let s = screen(&app);
    insta::assert_snapshot!("ticket_preview", s);
    assert!(s.contains("Cancel"), "{s}");
    // Enter on the default choice creates nothing.
    let fx = key(&mut app, KeyCode::Enter);
    assert!(notify_effects(&fx).is_empty());
    assert!(matches!(app.overlay, Overlay::None));
    // Choosing the Jira channel (1) and confirming queues one ticket for the selection.
    key(&mut app, KeyCode::Char('t'));
    key(&mut app, KeyCode::Char('1'));
    let fx = key(&mut app, KeyCode::Enter);
    match notify_effects(&fx).as_slice() {
        [Command::Ticket { channel, findings }] => {
            assert_eq!(channel, "tickets");
            assert_eq!(findings.len(), 1);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_finding_with_a_ticket_shows_its_key_and_is_not_ticketed_again() {
    let mut app = with_channels(false);
    app.update(Msg::Notify(Arc::new(view())));
    key(&mut app, KeyCode::Enter);
    let s = screen(&app);
    assert!(s.contains("SEC-24"), "the detail shows the issue key: {s}");
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('t'));
    let s = screen(&app);
    assert!(
        s.contains("SEC-24 on tickets") && s.contains("skipped"),
        "{s}"
    );
}

#[test]
fn n_sends_a_note_to_the_chosen_channel_and_keeps_a_cancelled_draft() {
    let mut app = with_channels(false);
    key(&mut app, KeyCode::Char('n'));
    // Enter before a channel is chosen sends nothing.
    let fx = key(&mut app, KeyCode::Enter);
    assert!(notify_effects(&fx).is_empty());
    assert!(screen(&app).contains("choose a channel first"));
    key(&mut app, KeyCode::Char('3'));
    key(&mut app, KeyCode::Tab);
    chars(&mut app, "please look");
    let s = screen(&app);
    insta::assert_snapshot!("notify_dialog", s);
    // Esc keeps the draft; n brings it back.
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('n'));
    let fx = key(&mut app, KeyCode::Enter);
    match notify_effects(&fx).as_slice() {
        [
            Command::Notify {
                channel,
                findings,
                note,
            },
        ] => {
            assert_eq!(channel, "oncall");
            assert_eq!(note, "please look");
            assert_eq!(findings.len(), 1);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn notifications_view_lists_outbox_channels_and_rules_and_retries_a_failed_entry() {
    let mut app = with_channels(false);
    app.update(Msg::Notify(Arc::new(view())));
    key(&mut app, KeyCode::Char('I'));
    let s = screen(&app);
    insta::assert_snapshot!("notifications_view", s);
    assert!(s.contains("channel_not_found"));
    assert!(!s.contains('\u{1b}'), "the receiver's answer is sanitised");
    assert!(s.contains("new criticals"));
    // The failed entry (first) opens its dialog; Close is the default.
    key(&mut app, KeyCode::Enter);
    let fx = key(&mut app, KeyCode::Enter);
    assert!(notify_effects(&fx).is_empty());
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('1'));
    let fx = key(&mut app, KeyCode::Enter);
    assert_eq!(notify_effects(&fx), vec![Command::Retry(3)]);
}

#[test]
fn read_only_refuses_tickets_notes_and_retries() {
    let mut app = with_channels(true);
    app.update(Msg::Notify(Arc::new(view())));
    key(&mut app, KeyCode::Char('t'));
    assert!(matches!(app.overlay, Overlay::None));
    assert!(screen(&app).contains("read-only mode"));
    key(&mut app, KeyCode::Char('n'));
    assert!(matches!(app.overlay, Overlay::None));
    key(&mut app, KeyCode::Char('I'));
    let fx = key(&mut app, KeyCode::Enter);
    assert!(notify_effects(&fx).is_empty());
    assert!(matches!(app.overlay, Overlay::None));
}

/// Without channels the view and the keys say how to turn notifications on, whole at 80×24.
#[test]
fn without_channels_the_hint_is_whole_at_80x24() {
    let mut app = app_with(ColorDepth::TrueColor, 80, 24);
    app.update(Msg::Snapshot(snapshot(HealthState::Ok, None)));
    key(&mut app, KeyCode::Char('I'));
    let s = screen(&app);
    let words = s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("add [[notify.channel]] and [[notify.rule]] to the config"),
        "{s}"
    );
    key(&mut app, KeyCode::Char('I'));
    assert!(!app.notify_view);
    key(&mut app, KeyCode::Char('t'));
    let s = screen(&app);
    assert!(
        s.contains("notifications are off: add [[notify.channel]] to the config"),
        "{s}"
    );
}
