//! SARIF: parse + normalise a ~60 MB log of 100k results (generated from the fixtures), and
//! what a poll of a watched directory costs when nothing changed (the `changed()` check) and
//! when another file changed (cached files are served from memory).

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use agent_hubble::sources::sarif::{FileContext, Watch, normalize_file};

#[path = "support/sarif_gen.rs"]
mod sarif_gen;

fn bench(c: &mut Criterion) {
    // `cargo test --all-targets` runs each benchmark once as a smoke test: keep that small.
    let real = std::env::args().any(|a| a == "--bench");
    let results = if real { 100_000 } else { 2_000 };
    let bytes = sarif_gen::generate(results);
    let cx = FileContext {
        source: "sarif/bench",
        repository: "acme/bench",
        file: "big.sarif",
        mtime_ms: 1_700_000_000_000,
        local_roots: false,
    };
    let n = normalize_file(&bytes, &cx)
        .expect("generated SARIF")
        .items
        .len();
    assert_eq!(n, results);
    eprintln!("generated {:.1} MB, {n} results", bytes.len() as f64 / 1e6);

    let mut g = c.benchmark_group("sarif");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(15));
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("parse_normalize_60MB_100k_results", |b| {
        b.iter(|| normalize_file(black_box(&bytes), &cx).unwrap().items.len())
    });

    // A watched directory with the big file read once.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.sarif"), &bytes).unwrap();
    let mut watch = Watch::new(
        vec![dir.path().to_path_buf()],
        "sarif/bench".into(),
        "acme/bench".into(),
        Duration::from_secs(5),
    );
    assert_eq!(watch.read(SystemTime::now()).items.len(), n);
    g.bench_function("poll_served_from_cache_100k", |b| {
        b.iter(|| watch.read(SystemTime::now()).items.len())
    });
    g.throughput(Throughput::Elements(1));
    g.bench_function("idle_changed_check", |b| {
        b.iter(|| black_box(watch.changed()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
