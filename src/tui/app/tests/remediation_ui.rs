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
            document_version: None,
            parameters: [("SecurityGroupId".to_string(), vec!["sg-0abc".to_string()])].into(),
            assume_role: "arn:aws:iam::111111111111:role/HubbleRemediation".into(),
            destructive,
            description: "removes open ingress rules".into(),
            approvals_required: 2,
            confirm_word: confirm.map(str::to_owned),
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
        }],
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
            confirm: None
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
