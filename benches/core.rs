//! Throughput benchmarks (criterion): ASFF normalisation vs plain JSON parsing, filter+sort
//! of 100k findings, and a full render of the findings view at 200×60 over 100k findings.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use agent_hubble::filter::Filter;
use agent_hubble::model::Finding;
use agent_hubble::query::{self as table, Column, Sort};
use agent_hubble::sources::asff::normalize_page;
use agent_hubble::sources::demo::DemoFleet;

const NOW: i64 = 1_763_800_000_000;

fn fleet(n: usize) -> Vec<u8> {
    DemoFleet::new(42, n, NOW).body()
}

fn findings(n: usize) -> Vec<Arc<Finding>> {
    normalize_page(&fleet(n), "bench")
        .unwrap()
        .items
        .into_iter()
        .map(|n| Arc::new(n.finding))
        .collect()
}

fn normalise(c: &mut Criterion) {
    let body = fleet(10_000);
    let mut g = c.benchmark_group("asff_10k");
    g.throughput(Throughput::Elements(10_000));
    g.sample_size(20);
    g.bench_function("normalize_page", |b| {
        b.iter(|| black_box(normalize_page(black_box(&body), "bench").unwrap()))
    });
    g.bench_function("serde_json_value", |b| {
        b.iter(|| black_box(serde_json::from_slice::<serde_json::Value>(black_box(&body)).unwrap()))
    });
    g.finish();
}

fn filter_sort(c: &mut Criterion) {
    let all = findings(100_000);
    let mut g = c.benchmark_group("filter_sort_100k");
    g.sample_size(20);
    let none = Filter::default();
    let typical = Filter::parse("sev:>=medium -wf:resolved").unwrap();
    let text = Filter::parse("bucket prod").unwrap();
    g.bench_function("no_filter_sort_severity", |b| {
        b.iter(|| {
            black_box(table::compute(
                &all,
                &none,
                Sort::default(),
                table::Scope::Active,
                NOW,
            ))
        })
    });
    g.bench_function("fields_sort_severity", |b| {
        b.iter(|| {
            black_box(table::compute(
                &all,
                &typical,
                Sort::default(),
                table::Scope::Active,
                NOW,
            ))
        })
    });
    let by_title = Sort {
        column: Column::Title,
        descending: false,
    };
    g.bench_function("free_text_sort_title", |b| {
        b.iter(|| {
            black_box(table::compute(
                &all,
                &text,
                by_title,
                table::Scope::Active,
                NOW,
            ))
        })
    });
    g.finish();
}

fn render(c: &mut Criterion) {
    use agent_hubble::hub::Snapshot;
    use agent_hubble::tui::app::{App, Msg, Options};
    use ratatui::{Terminal, backend::TestBackend};
    let snap = Arc::new(Snapshot {
        findings: Arc::new(findings(100_000).into()),
        ..Snapshot::default()
    });
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
    let mut term = Terminal::new(TestBackend::new(200, 60)).unwrap();
    let mut g = c.benchmark_group("render_200x60_100k");
    g.bench_function("findings_view", |b| {
        b.iter(|| {
            term.draw(|f| agent_hubble::tui::views::render(f, &app))
                .unwrap();
        })
    });
    g.finish();
}

criterion_group!(benches, normalise, filter_sort, render);
criterion_main!(benches);
