//! Working views, group-by, named views, "+N new" and alerts.

use super::*;

/// Group by control: closed groups with counts by severity, most findings first; → opens,
/// space marks a whole group, Enter filters to it.
#[test]
fn group_by_control() {
    let mut app = app_with(ColorDepth::TrueColor, 80, 24);
    key(&mut app, KeyCode::Char('b'));
    assert_eq!(app.group, Some(crate::query::GroupBy::Control));
    let s = screen(&app);
    insta::assert_snapshot!("grouped_by_control_80x24", s);
    assert_eq!(app.rows.len(), 10, "ten controls, closed");
    assert!(s.contains("▸ S3.0  4 findings  CRIT 4"), "{s}");
    // Open the first group: its findings follow it.
    key(&mut app, KeyCode::Right);
    assert_eq!(app.rows.len(), 14);
    assert!(screen(&app).contains("▾ S3.0"));
    key(&mut app, KeyCode::Left);
    assert_eq!(app.rows.len(), 10);
    // Space marks every finding of the group; w then acts on them.
    key(&mut app, KeyCode::Char(' '));
    assert_eq!(app.marks.len(), 4);
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Char('w'));
    assert!(screen(&app).contains("Set workflow status of 4 finding(s)"));
    key(&mut app, KeyCode::Esc);
    // Enter filters to the group.
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.filter_text, "control:S3.0");
    assert_eq!(app.view.len(), 4);
    // Groups ordered by key, then no grouping.
    app.run_command(
        crate::tui::dialogs::PaletteCommand::Group,
        "account",
        &mut Vec::new(),
    );
    assert_eq!(app.group, Some(crate::query::GroupBy::Account));
    app.run_command(
        crate::tui::dialogs::PaletteCommand::Group,
        "none",
        &mut Vec::new(),
    );
    assert_eq!((app.group, app.rows.len()), (None, 4));
}

/// Arrivals are marked (a text marker) until they have been on screen, counted as "+N new",
/// reachable with n; while frozen they are counted as waiting; a critical one raises the
/// alert (bell by default).
#[test]
fn what_is_new() {
    let mut app = app_with(ColorDepth::TrueColor, 100, 24);
    let mut s = (*app.snapshot).clone();
    let mut list = findings();
    let mut f = sample_finding(90, NOW);
    f.severity = Severity::Critical;
    f.title = "Brand new critical".into();
    list.push(Arc::new(f));
    let mut low = sample_finding(91, NOW - 10);
    low.severity = Severity::Low;
    list.push(Arc::new(low));
    s.findings = Arc::new(list.into());
    s.arrived = Arc::new(["f-000090".to_string(), "f-000091".to_string()].into());
    s.changed = s.arrived.clone();
    let fx = app.update(Msg::Snapshot(Arc::new(s.clone())));
    assert_eq!(
        fx,
        vec![Effect::Alert {
            text: "CRIT Brand new critical in 111111111111".into(),
            with: crate::config::AlertWith::Bell
        }],
        "only the critical one alerts"
    );
    let text = screen(&app);
    assert!(text.contains("+2 new since you looked (n)"), "{text}");
    let row = text
        .lines()
        .find(|l| l.contains("Brand new critical"))
        .unwrap();
    assert!(row.starts_with("  ✦ "), "{row:?}");
    // The low one is below the screen: n jumps to it, then it has been seen.
    key(&mut app, KeyCode::Char('N'));
    key(&mut app, KeyCode::Char('N'));
    assert_eq!(app.selected_finding().unwrap().id, "f-000091");
    key(&mut app, KeyCode::Char('j'));
    assert!(app.unseen.is_empty(), "{:?}", app.unseen);
    assert!(!screen(&app).contains("new since you looked (n)"));
    // Frozen: counted as waiting, marked once applied.
    key(&mut app, KeyCode::Char('f'));
    let mut more = s.clone();
    let mut list = s.findings.to_vec();
    list.push(Arc::new(sample_finding(92, NOW)));
    more.findings = Arc::new(list.into());
    more.arrived = Arc::new(["f-000092".to_string()].into());
    more.changed = more.arrived.clone();
    app.update(Msg::Snapshot(Arc::new(more)));
    assert!(screen(&app).contains("FROZEN: 1 changed finding(s) waiting, 1 new, f applies"));
    key(&mut app, KeyCode::Char('f'));
    assert!(app.unseen.contains("f-000092"));
}

/// The working view by default, `a` for everything; named views applied from the palette
/// and by their key; `:view save` and `:export` go out as effects.
#[test]
fn working_view_named_views_and_export() {
    use crate::tui::dialogs::PaletteCommand;
    let mut app = app();
    let mut s = (*app.snapshot).clone();
    let mut list = s.findings.to_vec();
    Arc::make_mut(&mut list[0]).workflow = Workflow::Resolved;
    Arc::make_mut(&mut list[1]).compliance = Some(crate::model::ComplianceStatus::Passed);
    s.findings = Arc::new(list.into());
    app.update(Msg::Snapshot(Arc::new(s)));
    assert_eq!(
        app.view.len(),
        38,
        "resolved and passed are not in the working view"
    );
    assert!(screen(&app).contains("working view"));
    key(&mut app, KeyCode::Char('a'));
    assert_eq!(app.view.len(), 40);
    assert!(screen(&app).contains("ALL findings"));
    key(&mut app, KeyCode::Char('a'));
    // A saved view: filter, sort, group, scope, columns, a key.
    let view = crate::query::views::View {
        name: "crit-by-account".into(),
        filter: "sev:critical".into(),
        sort: Some("account".into()),
        group: Some("account".into()),
        scope: crate::query::Scope::All,
        columns: vec!["severity".into(), "account".into(), "title".into()],
        key: Some("f6".into()),
    };
    app.views = vec![view.resolve().unwrap()];
    app.update(Msg::Key(KeyEvent::new(KeyCode::F(6), KeyModifiers::NONE)));
    assert_eq!(app.filter_text, "sev:critical");
    assert_eq!(app.group, Some(crate::query::GroupBy::Account));
    assert_eq!(app.scope, crate::query::Scope::All);
    assert!(screen(&app).contains("view crit-by-account"));
    app.run_command(PaletteCommand::Group, "none", &mut Vec::new());
    assert_eq!(
        app.shown_columns(),
        vec![Column::Severity, Column::Account, Column::Title]
    );
    let mut fx = Vec::new();
    app.run_command(PaletteCommand::View, "save mine", &mut fx);
    let [Effect::SaveView(v)] = &fx[..] else {
        panic!("{fx:?}")
    };
    assert_eq!(
        (v.name.as_str(), v.filter.as_str(), v.group.as_deref()),
        ("mine", "sev:critical", None)
    );
    let mut fx = Vec::new();
    app.run_command(PaletteCommand::Export, "csv /tmp/x.csv", &mut fx);
    let [
        Effect::Export {
            format,
            path,
            findings,
        },
    ] = &fx[..]
    else {
        panic!("{fx:?}")
    };
    assert_eq!(*format, crate::query::export::Format::Csv);
    assert_eq!(path.as_deref(), Some(std::path::Path::new("/tmp/x.csv")));
    assert_eq!(findings.len(), app.view.len());
    app.run_command(PaletteCommand::View, "nope", &mut Vec::new());
    assert!(screen(&app).contains("no view \"nope\"; saved views: crit-by-account"));
}

/// `y` offers id, resource, title, raw JSON and the console link; `o` shows the finding's
/// and its resource's console links and copies the first.
#[test]
fn copy_menu_and_console_links() {
    let mut app = app();
    key(&mut app, KeyCode::Char('y'));
    let s = screen(&app);
    assert!(
        s.contains("1 finding id") && s.contains("4 raw JSON"),
        "{s}"
    );
    let fx = key(&mut app, KeyCode::Char('2'));
    assert_eq!(fx, vec![Effect::Copy("arn:aws:s3:::bucket-0".into())]);
    assert!(screen(&app).contains("copied the resource"));
    key(&mut app, KeyCode::Char('y'));
    assert_eq!(
        key(&mut app, KeyCode::Char('4')),
        vec![Effect::CopyRaw("f-000000".into())]
    );
    let fx = key(&mut app, KeyCode::Char('o'));
    let [Effect::Copy(url)] = &fx[..] else {
        panic!("{fx:?}")
    };
    assert!(
        url.starts_with("https://us-east-1.console.aws.amazon.com/securityhub/"),
        "{url}"
    );
    let s = screen(&app);
    assert!(
        s.contains("1 finding: https://us-east-1.console.aws.amazon.com")
            && s.contains("2 resource: https://s3.console.aws.amazon.com/s3/buckets/bucket-0"),
        "{s}"
    );
    key(&mut app, KeyCode::Esc);
    assert!(matches!(app.overlay, Overlay::None));
}

/// Grouped by resource at 80 columns, a long id is cut in the middle: the unique tail stays.
#[test]
fn long_group_keys_keep_their_tail() {
    let mut app = app_with(ColorDepth::TrueColor, 80, 24);
    let mut s = (*app.snapshot).clone();
    let mut list = s.findings.to_vec();
    for (i, f) in list.iter_mut().enumerate() {
        Arc::make_mut(f).resources[0].id =
            format!("arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0000000000000{i:03}");
    }
    s.findings = Arc::new(list.into());
    app.update(Msg::Snapshot(Arc::new(s)));
    key(&mut app, KeyCode::Char('b'));
    key(&mut app, KeyCode::Char('b'));
    assert_eq!(app.group, Some(crate::query::GroupBy::Resource));
    let text = screen(&app);
    // Cut in the middle; the group's own id (its tail) and the counts are whole.
    assert!(text.contains("▸ arn:aws:ec2:eu-west-…"), "{text}");
    assert!(
        text.contains("security-group/sg-0000000000000035  1 finding  CRIT"),
        "{text}"
    );
}
