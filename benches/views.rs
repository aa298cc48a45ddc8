//! Issue 10 budgets (criterion): group-by over 100k findings, a grouped keystroke end to end,
//! and what "+N new" bookkeeping adds to applying a 1k-finding update.

use std::collections::HashSet;
use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use agent_hubble::filter::Filter;
use agent_hubble::hub::{Hub, HubInput, Snapshot};
use agent_hubble::model::Finding;
use agent_hubble::poller::SourceEvent;
use agent_hubble::query::{self, GroupBy, GroupOrder, Scope, Sort};
use agent_hubble::sources::asff::normalize_page;
use agent_hubble::sources::demo::DemoFleet;
use agent_hubble::sources::{Normalized, SourceInfo};
use agent_hubble::tui::app::{App, Msg, Options};

const NOW: i64 = 1_763_800_000_000;

fn items(seed: u64, n: usize) -> Vec<Normalized> {
    normalize_page(&DemoFleet::new(seed, n, NOW).body(), "bench")
        .unwrap()
        .items
}

fn findings(n: usize) -> Vec<Arc<Finding>> {
    items(42, n)
        .into_iter()
        .map(|n| Arc::new(n.finding))
        .collect()
}

fn app(snap: Arc<Snapshot>) -> App {
    let theme = agent_hubble::tui::theme::load(
        "default",
        None,
        agent_hubble::tui::color::ColorDepth::TrueColor,
        false,
    )
    .unwrap();
    let keymap = agent_hubble::tui::keymap::load("default", None).unwrap();
    let mut app = App::new(Options::default(), theme, keymap, snap, NOW);
    app.update(Msg::Resize(200, 60));
    app
}

fn group_by(c: &mut Criterion) {
    let all = findings(100_000);
    let view = query::compute(&all, &Filter::default(), Sort::default(), Scope::All, NOW);
    let mut g = c.benchmark_group("group_by_100k");
    g.sample_size(20);
    for by in [
        GroupBy::Control,
        GroupBy::Resource,
        GroupBy::Account,
        GroupBy::Title,
    ] {
        // Per keystroke: regroup the view with the keys interned for this snapshot.
        let keys = query::GroupKeys::new(&all, by);
        g.bench_function(by.name(), |b| {
            b.iter(|| black_box(query::group_keyed(&keys, &view, GroupOrder::Count, false)))
        });
        // Once per snapshot: intern the keys.
        g.bench_function(format!("keys_{}", by.name()), |b| {
            b.iter(|| black_box(query::GroupKeys::new(&all, by)))
        });
    }
    // A keystroke whose filter was not seen for this snapshot (no cached view): filter and
    // sort every finding, then regroup.
    let keys = query::GroupKeys::new(&all, GroupBy::Control);
    g.bench_function("recompute_uncached_grouped_by_control", |b| {
        b.iter(|| {
            let v = query::compute(&all, &Filter::default(), Sort::default(), Scope::All, NOW);
            black_box(query::group_keyed(&keys, &v, GroupOrder::Count, false))
        })
    });
    // A keystroke in the filter prompt while grouped: filter, sort, group and rows, as the
    // app does it, alternating 'x' (narrows: the shown rows re-filtered, free text over every
    // field) and Backspace (widens back to a view already computed for this snapshot).
    // Resource is the worst case: nearly every finding is its own group.
    let snap = Arc::new(Snapshot {
        findings: Arc::new(all.clone().into()),
        ..Snapshot::default()
    });
    for by in [GroupBy::Control, GroupBy::Resource] {
        let mut a = app(snap.clone());
        a.set_group(Some(by));
        a.update(Msg::Key(KeyEvent::new(
            KeyCode::Char('/'),
            KeyModifiers::NONE,
        )));
        let mut flip = false;
        g.bench_function(format!("keystroke_grouped_by_{}", by.name()), |b| {
            b.iter(|| {
                flip = !flip;
                let code = if flip {
                    KeyCode::Char('x')
                } else {
                    KeyCode::Backspace
                };
                black_box(a.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))));
            })
        });
    }
    g.finish();
}

fn news(c: &mut Criterion) {
    let info = SourceInfo {
        key: "bench".into(),
        provider: agent_hubble::model::Provider::Demo,
        name: "bench".into(),
        region: "us-east-1".into(),
    };
    let (mut hub, _rx) = Hub::new(None, std::slice::from_ref(&info));
    hub.apply(HubInput::Source(SourceEvent::Upsert {
        source: "bench".into(),
        items: items(42, 100_000),
        skipped: vec![],
    }));
    hub.publish();
    let mut a = app(hub.snapshot());
    // 1k findings updated (newer UpdatedAt each round, so the hub keeps them).
    let base: Vec<Normalized> = items(42, 1_000);
    let mut round = 0i64;
    let mut g = c.benchmark_group("apply_1k_into_100k");
    g.sample_size(20);
    g.bench_function("hub_apply_publish_and_app_update", |b| {
        b.iter(|| {
            round += 1;
            let batch: Vec<Normalized> = base
                .iter()
                .map(|n| {
                    let mut n = n.clone();
                    n.finding.updated_at += round;
                    n
                })
                .collect();
            hub.apply(HubInput::Source(SourceEvent::Upsert {
                source: "bench".into(),
                items: batch,
                skipped: vec![],
            }));
            hub.publish();
            black_box(a.update(Msg::Snapshot(hub.snapshot())));
        })
    });
    // The same snapshot applied by the app with and without 1k arrivals: the difference is
    // the "+N new" bookkeeping (unseen set, counts, markers).
    let snap = hub.snapshot();
    let ids: HashSet<String> = snap
        .findings
        .iter()
        .take(1_000)
        .map(|f| f.id.clone())
        .collect();
    let with_arrivals = Arc::new(Snapshot {
        arrived: Arc::new(ids.clone()),
        changed: Arc::new(ids),
        ..(*snap).clone()
    });
    let without = Arc::new(Snapshot {
        arrived: Arc::new(HashSet::new()),
        changed: with_arrivals.changed.clone(),
        ..(*snap).clone()
    });
    g.bench_function("app_update_no_arrivals", |b| {
        b.iter(|| {
            a.unseen.clear();
            black_box(a.update(Msg::Snapshot(without.clone())))
        })
    });
    g.bench_function("app_update_1k_arrivals", |b| {
        b.iter(|| {
            a.unseen.clear();
            black_box(a.update(Msg::Snapshot(with_arrivals.clone())));
            black_box(a.news())
        })
    });
    g.finish();
}

criterion_group!(benches, group_by, news);
criterion_main!(benches);
