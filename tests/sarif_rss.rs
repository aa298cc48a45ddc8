//! Peak memory of reading a ~60 MB SARIF log (100k results), in its own process:
//!
//!     cargo test --release --test sarif_rss -- --ignored --nocapture
//!
//! HUBBLE_SARIF_DUMP=PATH also writes the generated file (to compare other parsers on it).

use std::time::{Duration, Instant, SystemTime};

use agent_hubble::sources::sarif::Watch;

#[path = "../benches/support/sarif_gen.rs"]
mod sarif_gen;

fn status(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = s.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
#[ignore = "measurement: run with --release --ignored --nocapture"]
fn peak_rss_of_100k_results() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.sarif");
    {
        let bytes = sarif_gen::generate(100_000);
        std::fs::write(&path, &bytes).unwrap();
        if let Ok(dump) = std::env::var("HUBBLE_SARIF_DUMP") {
            std::fs::write(dump, &bytes).unwrap();
        }
    }
    let size = std::fs::metadata(&path).unwrap().len();
    // Forget the generator's peak: VmHWM restarts from the current RSS.
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let before = status("VmRSS:");
    let mut watch = Watch::new(
        vec![dir.path().to_path_buf()],
        "sarif/rss".into(),
        "acme/rss".into(),
        Duration::from_secs(5),
    );
    let t = Instant::now();
    let read = watch.read(SystemTime::now());
    let took = t.elapsed();
    let peak = status("VmHWM:");
    let held = status("VmRSS:");
    assert_eq!(read.items.len(), 100_000);
    drop(read);
    let cached = status("VmRSS:");
    println!(
        "{:.1} MB file, {} results: read+normalise {took:?}; RSS before {} MB, peak {} MB (+{} MB), \
         after (cache + one read's copy) {} MB, cache only {} MB",
        size as f64 / 1e6,
        100_000,
        before / 1024,
        peak / 1024,
        (peak - before) / 1024,
        held / 1024,
        cached / 1024,
    );
}
