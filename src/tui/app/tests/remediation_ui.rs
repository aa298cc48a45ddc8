//! The remediation dialogs and the queue view.

use super::*;
use crate::remediation::queue::{Decision, Identity, Item, Proposal, State};
use crate::remediation::service::{Command, QueueView, Reply};

fn item(state: State, destructive: bool, confirm: Option<&str>) -> Item {
    Item {
        id: "0123abcd-0000-4000-8000-000000000001".into(),
        state,
        version: 1,
        proposal: Proposal {
            finding_id: "f-000001".into(),
            product_arn: "arn:aws:securityhub:us-east-1::product/aws/securityhub".into(),
            source: "aws/security/us-east-1".into(),
            account: "111111111111".into(),
            region: "us-east-1".into(),
            control: "EC2.19".into(),
            severity: Severity::Critical,
            title: "open sg".into(),
            resource_id: "arn:aws:ec2:us-east-1:111111111111:security-group/sg-0abc".into(),
            document: "AWSConfigRemediation-RemoveUnrestrictedSourceIngressRules".into(),
            document_version: Some("3".into()),
            document_hash: Some("ab".repeat(32)),
            version_pinned: false,
            parameters: [("SecurityGroupId".to_string(), vec!["sg-0abc".to_string()])].into(),
            assume_role: "arn:aws:iam::111111111111:role/HubbleRemediation".into(),
            destructive,
            description: "removes open ingress rules".into(),
            approvals_required: 2,
            confirm_word: confirm.map(str::to_owned),
            tags: Vec::new(),
        },
        requester: Identity {
            arn: "arn:aws:sts::111111111111:assumed-role/SOC/alice".into(),
            user: "alice".into(),
        },
        created_at: NOW - 120_000,
        updated_at: NOW,
        execution_id: None,
        current_step: None,
        failure: None,
        cancel_requested: false,
        finding_noted: false,
        decisions: vec![Decision {
            actor: "arn:bob".into(),
            actor_name: "bob".into(),
            approve: true,
            justification: "ok".into(),
            at: NOW,
            digest: String::new(),
            person: "arn:bob".into(),
        }],
        lease_owner: None,
        lease_until: None,
        start_error: None,
    }
}

fn with_queue(items: Vec<Item>) -> App {
    let mut app = app_with(ColorDepth::TrueColor, 110, 34);
    app.update(Msg::Queue(Arc::new(QueueView {
        items,
        waiting: Vec::new(),
        error: None,
    })));
    key(&mut app, KeyCode::Char('Q'));
    app
}

#[test]
fn queue_view_lists_state_requester_approvals_and_step() {
    let mut running = item(State::Running, false, None);
    running.id = "99999999-0000-4000-8000-000000000002".into();
    running.execution_id = Some("exec-42".into());
    running.current_step = Some("RemoveRules".into());
    let app = with_queue(vec![item(State::Proposed, false, None), running]);
    let s = screen(&app);
    insta::assert_snapshot!("queue_view", s);
    assert!(s.contains("QUEUE (1 awaiting decision)"));
    assert!(
        s.contains("Proposed") && s.contains("alice") && s.contains("1/2"),
        "{s}"
    );
    assert!(s.contains("exec-42 RemoveRules"), "{s}");
}

#[test]
fn approval_prompt_defaults_to_cancel_and_esc_never_approves() {
    let mut app = with_queue(vec![item(State::Proposed, false, None)]);
    key(&mut app, KeyCode::Char('d'));
    let s = screen(&app);
    assert!(
        s.contains("1 ( ) Approve") && s.contains("2 ( ) Reject") && s.contains("3 (x) Cancel"),
        "{s}"
    );
    assert!(
        s.contains("AWSConfigRemediation-RemoveUnrestrictedSourceIngressRules")
            && s.contains("sg-0abc")
    );
    // Enter on the default does nothing; Esc after choosing Approve does nothing either.
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    assert!(matches!(app.overlay, Overlay::None));
    key(&mut app, KeyCode::Char('d'));
    chars(&mut app, "1");
    assert!(key(&mut app, KeyCode::Esc).is_empty());
    assert!(matches!(app.overlay, Overlay::None));
}

#[test]
fn approving_puts_the_real_cursor_at_the_caret_and_sends_the_justification() {
    let mut app = with_queue(vec![item(State::Proposed, false, None)]);
    key(&mut app, KeyCode::Char('d'));
    chars(&mut app, "1");
    key(&mut app, KeyCode::Tab);
    chars(&mut app, "change 42");
    let mut t = render(&app);
    let pos = t.get_cursor_position().unwrap();
    let s = text(&t);
    let y = s.lines().position(|l| l.contains("change 42")).unwrap() as u16;
    let line = s.lines().nth(y as usize).unwrap();
    let x = unicode_width::UnicodeWidthStr::width(&line[..line.find("change 42").unwrap()]) as u16;
    assert_eq!(
        (pos.x, pos.y),
        (x + 9, y),
        "cursor right after the typed text"
    );
    // Text typed into the box never changes the choice (digits included).
    chars(&mut app, " 2");
    let fx = key(&mut app, KeyCode::Enter);
    assert_eq!(
        fx,
        vec![Effect::Remediation(Command::Approve {
            id: "0123abcd-0000-4000-8000-000000000001".into(),
            reason: "change 42 2".into(),
            confirm: None,
            digest: item(State::Proposed, false, None).proposal.digest(),
        })]
    );
}

#[test]
fn reject_and_destructive_need_a_justification_and_the_confirm_word() {
    let mut app = with_queue(vec![item(State::Proposed, true, Some("sg-0abc"))]);
    key(&mut app, KeyCode::Char('d'));
    chars(&mut app, "2");
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    assert!(screen(&app).contains("a justification is required to reject"));
    // Now approve: justification given, but the confirmation word is wrong.
    key(&mut app, KeyCode::BackTab);
    chars(&mut app, "1");
    key(&mut app, KeyCode::Tab);
    chars(&mut app, "CAB-7 approved");
    key(&mut app, KeyCode::Tab);
    chars(&mut app, "sg-0abd");
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    assert!(
        screen(&app).contains("type \"sg-0abc\" to confirm"),
        "{}",
        screen(&app)
    );
    for _ in 0..7 {
        key(&mut app, KeyCode::Backspace);
    }
    chars(&mut app, "sg-0abc");
    let fx = key(&mut app, KeyCode::Enter);
    assert!(
        matches!(&fx[..], [Effect::Remediation(Command::Approve { confirm: Some(c), .. })] if c == "sg-0abc"),
        "{fx:?}"
    );
}

#[test]
fn propose_shows_a_preview_first_and_cancel_is_the_default() {
    let mut app = app();
    let fx = key(&mut app, KeyCode::Char('p'));
    assert!(matches!(&fx[..], [Effect::Remediation(Command::Preview(f))] if f.len() == 1));
    let p = item(State::Proposed, false, None).proposal;
    app.update(Msg::Remediation(Reply::Preview(vec![
        Ok(p.clone()),
        Err("no playbook for control X.1".into()),
    ])));
    let s = screen(&app);
    assert!(
        s.contains("Propose remediation for 1 finding(s)")
            && s.contains("no playbook for control X.1"),
        "{s}"
    );
    assert!(
        key(&mut app, KeyCode::Enter).is_empty(),
        "Cancel is the default"
    );
    app.update(Msg::Remediation(Reply::Preview(vec![Ok(p.clone())])));
    chars(&mut app, "1");
    assert_eq!(
        key(&mut app, KeyCode::Enter),
        vec![Effect::Remediation(Command::Propose(vec![p]))]
    );
}

#[test]
fn remediation_off_or_read_only_refuses() {
    let mut app = app();
    app.opts.remediation = false;
    assert!(key(&mut app, KeyCode::Char('p')).is_empty());
    assert!(screen(&app).contains("remediation is off"));
    app.opts.remediation = true;
    app.opts.read_only = true;
    assert!(key(&mut app, KeyCode::Char('p')).is_empty());
}

/// At 80×24 the approval prompt of a destructive runbook shows the vital lines first (what
/// it changes, destructive, target, approvals so far/needed) and says there is more.
#[test]
fn approval_prompt_at_80x24_shows_the_vital_lines_first() {
    let mut app = app_with(ColorDepth::TrueColor, 80, 24);
    app.update(Msg::Queue(Arc::new(QueueView {
        items: vec![item(State::Proposed, true, Some("sg-0abc"))],
        waiting: Vec::new(),
        error: None,
    })));
    key(&mut app, KeyCode::Char('Q'));
    key(&mut app, KeyCode::Char('d'));
    let t = render(&app);
    let s = text(&t);
    insta::assert_snapshot!("approval_prompt_80x24_destructive", s);
    for want in [
        "Changes          removes open ingress rules",
        "Destructive      YES",
        "Target           account 111111111111 region us-east-1",
        "Approvals        1 of 2 so far",
        "more: PgDn",
        "1 ( ) Approve",
        "3 (x) Cancel",
        "Type \"sg-0abc\" to confirm:",
    ] {
        assert!(s.contains(want), "{want:?} missing:\n{s}");
    }
    // "YES" is drawn in the error style, not only as text.
    let y = s
        .lines()
        .position(|l| l.contains("Destructive      YES"))
        .unwrap() as u16;
    let x = s.lines().nth(y as usize).unwrap().find("YES").unwrap() as u16;
    assert_eq!(
        t.backend().buffer()[(x, y)].style().fg,
        app.theme.style("error").fg
    );
    // Scrolling reaches the rest; the cue turns into "top".
    for _ in 0..6 {
        key(&mut app, KeyCode::PageDown);
    }
    let s = screen(&app);
    assert!(s.contains("Digest") && s.contains("top: PgUp"), "{s}");
}

/// Esc keeps the typed justification; reopening the same item brings it back (the choice
/// starts at Cancel again); a changed item starts clean.
#[test]
fn esc_keeps_the_justification_as_a_draft() {
    let mut app = with_queue(vec![item(State::Proposed, false, None)]);
    key(&mut app, KeyCode::Char('d'));
    chars(&mut app, "1");
    key(&mut app, KeyCode::Tab);
    chars(&mut app, "checked with the app team");
    assert!(key(&mut app, KeyCode::Esc).is_empty());
    assert!(matches!(app.overlay, Overlay::None));
    assert!(screen(&app).contains("what you typed is kept"));
    key(&mut app, KeyCode::Char('d'));
    let s = screen(&app);
    assert!(s.contains("checked with the app team"), "{s}");
    assert!(
        s.contains("3 (x) Cancel"),
        "the choice is not restored: {s}"
    );
    assert!(
        key(&mut app, KeyCode::Enter).is_empty(),
        "Enter on Cancel does nothing"
    );
    // Sending the decision uses the restored text.
    key(&mut app, KeyCode::Char('d'));
    chars(&mut app, "1");
    let fx = key(&mut app, KeyCode::Enter);
    assert!(
        matches!(&fx[..], [Effect::Remediation(Command::Approve { reason, .. })] if reason == "checked with the app team"),
        "{fx:?}"
    );
    // A newer version of the item does not get an old draft.
    key(&mut app, KeyCode::Char('d'));
    key(&mut app, KeyCode::Tab);
    chars(&mut app, "draft for v1");
    key(&mut app, KeyCode::Esc);
    let mut changed = item(State::Proposed, false, None);
    changed.version = 2;
    app.update(Msg::Queue(Arc::new(QueueView {
        items: vec![changed],
        waiting: Vec::new(),
        error: None,
    })));
    key(&mut app, KeyCode::Char('d'));
    assert!(!screen(&app).contains("draft for v1"));
}

/// `X` asks for a reason and an explicit choice (Keep is the default) before cancelling.
#[test]
fn cancel_asks_for_a_reason_and_a_confirmation() {
    let mut app = with_queue(vec![item(State::Approved, false, None)]);
    assert!(
        key(&mut app, KeyCode::Char('X')).is_empty(),
        "nothing happens at once"
    );
    let s = screen(&app);
    assert!(s.contains("Cancel a remediation item"), "{s}");
    assert!(
        s.contains("1 ( ) Cancel the item") && s.contains("2 (x) Keep it"),
        "{s}"
    );
    assert!(
        key(&mut app, KeyCode::Enter).is_empty(),
        "Keep is the default"
    );
    assert!(matches!(app.overlay, Overlay::None));
    key(&mut app, KeyCode::Char('X'));
    chars(&mut app, "1");
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    assert!(screen(&app).contains("a reason is required to cancel"));
    // The focus moved to the reason box.
    chars(&mut app, "wrong window");
    assert!(matches!(app.overlay, Overlay::CancelItem(_)));
    let fx = key(&mut app, KeyCode::Enter);
    assert_eq!(
        fx,
        vec![Effect::Remediation(Command::Cancel {
            id: "0123abcd-0000-4000-8000-000000000001".into(),
            reason: "wrong window".into(),
        })]
    );
}

/// Sessions that cannot be told apart are named in the queue view, where people decide.
#[test]
fn queue_view_says_when_sessions_count_as_one_person() {
    let mut app = with_queue(vec![item(State::Proposed, false, None)]);
    app.opts.approver_note = crate::remediation::person::warning(
        "arn:aws:sts::111111111111:assumed-role/Analyst/alice",
        &[],
    );
    let s = screen(&app);
    assert!(
        s.contains("approvals: every session of role arn:aws:iam::111111111111:role/Analyst counts as one person"),
        "{s}"
    );
}
