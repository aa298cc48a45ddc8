//! Big views computed off the UI thread: the rows on screen stay while the worker runs, the
//! status bar says "filtering…", only the newest answer is shown, and a new snapshot is
//! swapped in together with its view.

use super::*;
use crate::query::worker::{self, ViewJob};

fn jobs(fx: &[Effect]) -> Vec<ViewJob> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::ComputeView(j) => Some((**j).clone()),
            _ => None,
        })
        .collect()
}

fn answer(app: &mut App, job: ViewJob) {
    let done = worker::run(job, &mut None);
    app.update(Msg::ViewReady(Box::new(done)));
}

#[test]
fn typing_over_a_big_view_asks_the_worker_and_shows_only_the_newest_answer() {
    let mut app = app();
    app.opts.background_view_over = Some(10);
    let before = app.rows.clone();
    assert_eq!(before.len(), 40);
    key(&mut app, KeyCode::Char('/'));
    let mut asked = Vec::new();
    for c in "sev:critical".chars() {
        asked.extend(jobs(&key(&mut app, KeyCode::Char(c))));
    }
    assert!(asked.len() > 1);
    // Nothing changed on screen yet, and the status bar says why.
    assert_eq!(app.rows, before);
    let s = screen(&app);
    assert!(s.contains("40 shown of 40 · filtering…"), "{s}");
    // An older answer arriving late is dropped.
    let newest = asked.pop().unwrap();
    answer(&mut app, asked.remove(0));
    assert_eq!(app.rows, before);
    assert!(app.filtering());
    answer(&mut app, newest);
    assert!(!app.filtering());
    let crit = app
        .snapshot
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Critical)
        .count();
    assert!(crit > 0 && crit < 40);
    assert_eq!(app.rows.len(), crit);
    let s = screen(&app);
    assert!(s.contains(&format!("{crit} shown of 40")), "{s}");
    assert!(!s.contains("filtering"), "{s}");
}

#[test]
fn a_big_snapshot_is_shown_with_its_view() {
    let mut app = app_with(ColorDepth::TrueColor, 100, 30);
    app.opts.background_view_over = Some(10);
    let old = app.snapshot.clone();
    let mut next = (*old).clone();
    let mut list = next.findings.to_vec();
    list.truncate(30);
    next.findings = Arc::new(list.into());
    next.version += 1;
    let fx = app.update(Msg::Snapshot(Arc::new(next)));
    let asked = jobs(&fx);
    assert_eq!(asked.len(), 1);
    // The rows still index the snapshot shown.
    assert!(Arc::ptr_eq(&app.snapshot, &old));
    assert_eq!(app.rows.len(), 40);
    answer(&mut app, asked[0].clone());
    assert_eq!(app.snapshot.findings.len(), 30);
    assert_eq!(app.rows.len(), 30);
    // Grouping goes through the worker too, groups and keys with it.
    let job = jobs(&key(&mut app, KeyCode::Char('b')))
        .pop()
        .expect("a job");
    assert!(job.group.is_some());
    assert!(matches!(app.rows.first(), Some(Row::Finding(_))));
    answer(&mut app, job);
    assert!(matches!(app.rows.first(), Some(Row::Group(_))));
}
