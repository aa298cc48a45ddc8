//! Budget checks that criterion does not express: render p99, peak RSS holding 100k
//! findings, bytes written to the terminal while idle, and the idle cost (CPU time, RSS) of
//! 1,000 sources against 1. Prints one line per number.
//!
//!   cargo bench --bench budgets

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agent_hubble::hub::{Hub, HubInput, Snapshot};
use agent_hubble::model::Finding;
use agent_hubble::poller::SourceEvent;
use agent_hubble::query::{self as table, Sort};
use agent_hubble::sources::SourceInfo;
use agent_hubble::sources::asff::normalize_page;
use agent_hubble::sources::demo::DemoFleet;
use agent_hubble::tui::app::{App, Msg, Options};
use ratatui::Terminal;

const NOW: i64 = 1_763_800_000_000;

fn theme() -> agent_hubble::tui::theme::Theme {
    agent_hubble::tui::theme::load(
        "default",
        None,
        agent_hubble::tui::color::ColorDepth::TrueColor,
        false,
    )
    .unwrap()
}

fn keymap() -> agent_hubble::tui::keymap::Keymap {
    agent_hubble::tui::keymap::load("default", None).unwrap()
}

/// 100k distinct findings, 1,000 at a time (ids made unique per batch).
fn pages(n_pages: usize, f: &mut impl FnMut(Vec<agent_hubble::sources::Normalized>)) {
    for p in 0..n_pages {
        let body = DemoFleet::new(p as u64, 1000, NOW).body();
        let mut page = normalize_page(&body, "bench/src").unwrap();
        for n in &mut page.items {
            n.finding.id = format!("{}/p{p}", n.finding.id);
        }
        f(page.items);
    }
}

fn findings_100k() -> Vec<Arc<Finding>> {
    let mut out = Vec::with_capacity(100_000);
    pages(100, &mut |items| {
        out.extend(items.into_iter().map(|n| Arc::new(n.finding)))
    });
    out
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn normalise_ratio() {
    let body = DemoFleet::new(42, 10_000, NOW).body();
    let time = |f: &dyn Fn()| {
        let mut best = f64::MAX;
        for _ in 0..7 {
            let t = Instant::now();
            f();
            best = best.min(t.elapsed().as_secs_f64());
        }
        best
    };
    let ours = time(&|| drop(std::hint::black_box(normalize_page(&body, "b").unwrap())));
    let value = time(&|| {
        drop(std::hint::black_box(
            serde_json::from_slice::<serde_json::Value>(&body).unwrap(),
        ))
    });
    println!(
        "normalise ASFF: {:.0} findings/s ({:.1} MB/s); serde_json::Value: {:.0} findings/s; ratio {:.2} (goal >= 0.33)",
        10_000.0 / ours,
        body.len() as f64 / ours / 1e6,
        10_000.0 / value,
        value / ours
    );
}

fn filter_sort(all: &[Arc<Finding>]) {
    let filter = agent_hubble::filter::Filter::parse("sev:>=medium -wf:resolved").unwrap();
    let mut times: Vec<f64> = (0..30)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(table::compute(
                all,
                &filter,
                Sort::default(),
                table::Scope::Active,
                NOW,
            ));
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let t = Instant::now();
    let n = all.iter().filter(|f| filter.matches(f, NOW)).count();
    let filter_only = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let everything = agent_hubble::filter::Filter::default();
    std::hint::black_box(table::compute(
        all,
        &everything,
        Sort::default(),
        table::Scope::Active,
        NOW,
    ));
    let sort_only = t.elapsed().as_secs_f64() * 1e3;
    println!(
        "  filter alone {filter_only:.1} ms ({n} match); sort of all, no filter {sort_only:.1} ms"
    );
    println!(
        "filter+sort 100k: median {:.1} ms, max {:.1} ms (goal < 30 ms)",
        percentile(&times, 0.5),
        times[times.len() - 1]
    );
}

fn render_p99(all: Vec<Arc<Finding>>) {
    let snap = Arc::new(Snapshot {
        findings: Arc::new(all.into()),
        ..Snapshot::default()
    });
    let mut app = App::new(Options::default(), theme(), keymap(), snap, NOW);
    app.update(Msg::Resize(200, 60));
    let mut term = Terminal::new(ratatui::backend::TestBackend::new(200, 60)).unwrap();
    let mut times = Vec::new();
    for i in 0..2000 {
        // Move the selection so every frame differs, as when an analyst scrolls.
        let down = crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char('j'));
        app.update(Msg::Key(down));
        let t = Instant::now();
        term.draw(|f| agent_hubble::tui::views::render(f, &app))
            .unwrap();
        if i >= 100 {
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    times.sort_by(f64::total_cmp);
    println!(
        "render 200x60 over 100k: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms (goal p99 < 2 ms)",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times[times.len() - 1]
    );
}

fn vm(key: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn vm_hwm_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Runs in a fresh process: the real path (pages → hub with an on-disk store → snapshot → app).
fn rss_child() {
    let dir = std::env::temp_dir().join(format!("hubble-rss-{}", std::process::id()));
    let store = agent_hubble::store::Store::open(&dir.join("h.db")).unwrap();
    let info = SourceInfo {
        key: "bench/src".into(),
        provider: agent_hubble::model::Provider::Demo,
        name: "b".into(),
        region: "us-east-1".into(),
    };
    let (mut hub, rx) = Hub::new(Some(store), &[info]);
    let detail = std::env::var("HUBBLE_RSS_DETAIL").is_ok();
    pages(100, &mut |items| {
        if detail
            && items
                .first()
                .is_some_and(|n| n.finding.id.ends_with("/p50"))
        {
            eprintln!(
                "half loaded: rss {:.1} hwm {:.1}",
                vm("VmRSS:"),
                vm_hwm_mb()
            );
        }
        hub.apply(HubInput::Source(SourceEvent::Upsert {
            source: "bench/src".into(),
            items,
            skipped: Vec::new(),
        }));
        // As the hub thread does: a snapshot at least every 150 ms while events arrive.
        hub.publish();
    });
    if detail {
        eprintln!("loaded: rss {:.1} hwm {:.1}", vm("VmRSS:"), vm_hwm_mb());
    }
    hub.publish();
    let snap = rx.borrow().clone();
    if detail {
        eprintln!("published: rss {:.1} hwm {:.1}", vm("VmRSS:"), vm_hwm_mb());
    }
    let mut app = App::new(Options::default(), theme(), keymap(), snap.clone(), NOW);
    app.update(Msg::Resize(200, 60));
    println!("{} {:.1}", snap.findings.len(), vm_hwm_mb());
    let _ = std::fs::remove_dir_all(dir);
}

fn peak_rss() {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .arg("--rss-child")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace();
    let (n, mb) = (parts.next().unwrap_or("?"), parts.next().unwrap_or("?"));
    println!(
        "peak RSS holding {n} findings (hub + SQLite store + snapshot + app): {mb} MB (goal < 300 MB)"
    );
}

#[derive(Clone)]
struct Counting(Arc<AtomicUsize>);

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.fetch_add(buf.len(), Ordering::SeqCst);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn idle_bytes() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let count = Arc::new(AtomicUsize::new(0));
        let backend = ratatui::backend::CrosstermBackend::new(
            agent_hubble::tui::run::SyncWriter::new(Counting(count.clone())),
        );
        let mut term = Terminal::with_options(
            backend,
            ratatui::TerminalOptions {
                viewport: ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, 120, 40)),
            },
        )
        .unwrap();
        let body = DemoFleet::new(1, 2000, agent_hubble::model::now_ms()).body();
        let list: Vec<Arc<Finding>> = normalize_page(&body, "s")
            .unwrap()
            .items
            .into_iter()
            .map(|n| Arc::new(n.finding))
            .collect();
        let snap = Arc::new(Snapshot {
            findings: Arc::new(list.into()),
            ..Snapshot::default()
        });
        let (_snap_tx, snap_rx) = tokio::sync::watch::channel(snap.clone());
        let app = App::new(
            Options::default(),
            theme(),
            keymap(),
            snap,
            agent_hubble::model::now_ms(),
        );
        let (hub_tx, _hub_rx) = tokio::sync::mpsc::channel(1);
        let ctx = agent_hubble::tui::run::EffectContext {
            sources: Default::default(),
            hub: hub_tx,
            audit: None::<Arc<Mutex<agent_hubble::audit::AuditLog>>>,
            refresh: Arc::new(tokio::sync::Notify::new()),
            actor: "bench".into(),
            remediation: None,
            queue_view: None,
            paths: None,
            notify: None,
            notify_view: None,
        };
        let events = futures::stream::pending::<std::io::Result<crossterm::event::Event>>();
        let counter = count.clone();
        let measure = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let start = counter.load(Ordering::SeqCst);
            tokio::time::sleep(Duration::from_secs(10)).await;
            (start, counter.load(Ordering::SeqCst) - start)
        });
        let run = agent_hubble::tui::run::run(&mut term, app, events, snap_rx, ctx);
        let _ = tokio::time::timeout(Duration::from_secs(11), run).await;
        let (first_frame, idle) = measure.await.unwrap();
        println!("bytes written: first frame {first_frame}, then {idle} over 10 s idle (goal 0)");
    });
}

/// `report` for 100k findings: normalise the GetFindings pages, score, render every format.
fn report_100k() {
    use agent_hubble::posture::report::{Format, ReportInput, render};
    let t = Instant::now();
    let all = findings_100k();
    let normalised = t.elapsed().as_secs_f64();
    let posture = agent_hubble::posture::score::compute(&all, None);
    let scored = t.elapsed().as_secs_f64();
    let sources = vec![("bench/src".to_string(), Some(NOW))];
    let mut sizes = Vec::new();
    for (name, format) in [
        ("md", Format::Markdown),
        ("html", Format::Html),
        ("csv", Format::Csv),
        ("json", Format::Json),
    ] {
        let input = ReportInput {
            posture: &posture,
            standard: "nist-800-53",
            account: None,
            generated_at: NOW,
            data_as_of: Some(NOW),
            sources: &sources,
            metadata: "derived from findings",
        };
        let text = render(&input, format).expect("report");
        sizes.push(format!("{name} {} KB", text.len() / 1024));
    }
    let total = t.elapsed().as_secs_f64();
    println!(
        "report 100k end to end: {total:.2} s (normalise {normalised:.2} s, score {:.3} s, render all four formats {:.2} s; {}) (goal < 5 s)",
        scored - normalised,
        total - scored,
        sizes.join(", ")
    );
}

/// CPU time (user + system) of this process so far, from /proc/self/stat (clock ticks).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at field 3.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    // CLK_TCK is 100 on Linux.
    Duration::from_millis(ticks * 10)
}

/// Runs in a fresh process: `n` in-memory sources (one finding each) on the real poller and
/// hub (in-memory store), polled every `interval_secs`. Once every source has completed its
/// first sync, measures CPU time over a 10 s window; prints "cpu_ms rss_mb".
fn sources_child(n: usize, interval_secs: u64) {
    use agent_hubble::poller::{Poller, Resume, Settings};
    use agent_hubble::sources::Source;
    use agent_hubble::sources::memory::{MemorySource, sample_finding};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let sources: Vec<Arc<dyn Source>> = (0..n)
            .map(|i| {
                let s = MemorySource::new(&format!("bench/{i:04}"));
                s.put(sample_finding(i, agent_hubble::model::now_ms() - 3_600_000));
                Arc::new(s) as Arc<dyn Source>
            })
            .collect();
        let infos: Vec<SourceInfo> = sources.iter().map(|s| s.info().clone()).collect();
        let store = agent_hubble::store::Store::in_memory().unwrap();
        let (hub, mut snaps) = Hub::new(Some(store), &infos);
        let (hub_tx, hub_rx) = tokio::sync::mpsc::channel::<HubInput>(256);
        let _hub = hub.spawn(hub_rx);
        let (tx, mut rx) = tokio::sync::mpsc::channel(64);
        let settings = Settings {
            interval: Duration::from_secs(interval_secs),
            ..Settings::default()
        };
        let poller = Poller::spawn(sources, |_| Resume::default(), settings, tx);
        tokio::spawn(async move {
            while let Some(ev) = rx.recv().await {
                if hub_tx.send(HubInput::Source(ev)).await.is_err() {
                    break;
                }
            }
        });
        while snaps.borrow_and_update().stale_sources() > 0 {
            snaps.changed().await.unwrap();
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let cpu = cpu_time();
        tokio::time::sleep(Duration::from_secs(10)).await;
        let used = cpu_time() - cpu;
        println!("{} {:.1}", used.as_millis(), vm("VmRSS:"));
        poller.shutdown();
    });
}

/// Runs in a fresh process: `n` Security Hub sources built the way setup builds them (SDK
/// config loaded once, then per account × Region with its own assume-role provider and
/// client; endpoint and static credentials from the environment, nothing is called).
/// Prints "build_ms rss_mb".
fn aws_sources_child(n: usize) {
    use agent_hubble::sources::aws_securityhub::{
        AwsTarget, SecurityHubSource, base_config, target_config,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let t0 = Instant::now();
        let mut keep = Vec::with_capacity(n);
        let mut shared = None;
        for i in 0..n {
            let t = AwsTarget {
                name: format!("a{i:04}"),
                region: "us-east-1".into(),
                profile: None,
                role_arn: Some(format!(
                    "arn:aws:iam::{:012}:role/Audit",
                    100_000_000_000u64 + i as u64
                )),
                external_id: None,
                endpoint_url: Some("http://127.0.0.1:9".into()),
                max_attempts: 1,
            };
            // As setup does: the SDK config loaded once, then per account × Region.
            let shared = match &shared {
                Some(c) => c,
                None => shared.insert(base_config(&t).await),
            };
            let cfg = target_config(shared, &t).await;
            keep.push(SecurityHubSource::new(&t.name, &t.region, &cfg));
        }
        let took = t0.elapsed();
        println!("{} {:.1}", took.as_millis(), vm("VmRSS:"));
        drop(keep);
    });
}

fn idle_sources() {
    let exe = std::env::current_exe().unwrap();
    let measure = |n: usize, interval: u64| -> (f64, f64) {
        let out = std::process::Command::new(&exe)
            .args(["--sources-child", &n.to_string(), &interval.to_string()])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let mut parts = text
            .split_whitespace()
            .map(|x| x.parse::<f64>().unwrap_or(f64::NAN));
        (
            parts.next().unwrap_or(f64::NAN),
            parts.next().unwrap_or(f64::NAN),
        )
    };
    let (cpu1, rss1) = measure(1, 3600);
    let (cpu1000, rss1000) = measure(1000, 3600);
    println!(
        "idle, 1 source: CPU {cpu1:.0} ms over 10 s ({:.2}%), RSS {rss1:.1} MB",
        cpu1 / 100.0
    );
    println!(
        "idle, 1,000 sources: CPU {cpu1000:.0} ms over 10 s ({:.2}%), RSS {rss1000:.1} MB (+{:.1} MB, {:.1} KB per source) (goal: CPU ≈ 0)",
        cpu1000 / 100.0,
        rss1000 - rss1,
        (rss1000 - rss1) * 1024.0 / 999.0
    );
    let aws = |n: usize| -> (f64, f64) {
        let out = std::process::Command::new(&exe)
            .args(["--aws-sources-child", &n.to_string()])
            .env("AWS_ACCESS_KEY_ID", "bench")
            .env("AWS_SECRET_ACCESS_KEY", "bench")
            .env_remove("AWS_PROFILE")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let mut parts = text
            .split_whitespace()
            .map(|x| x.parse::<f64>().unwrap_or(f64::NAN));
        (
            parts.next().unwrap_or(f64::NAN),
            parts.next().unwrap_or(f64::NAN),
        )
    };
    let (ms1, aws1) = aws(1);
    let (ms1000, aws1000) = aws(1000);
    println!(
        "1,000 Security Hub sources built (one role and client each, nothing called): {ms1000:.0} ms (1: {ms1:.0} ms), RSS {aws1000:.1} MB (+{:.1} MB over 1, {:.1} KB per source)",
        aws1000 - aws1,
        (aws1000 - aws1) * 1024.0 / 999.0
    );
    let (busy, _) = measure(1000, 5);
    println!(
        "1,000 sources polled every 5 s (in-memory, 16 at a time): CPU {busy:.0} ms over 10 s ({:.1}%)",
        busy / 100.0
    );
}

fn main() {
    if std::env::args().any(|a| a == "--rss-child") {
        return rss_child();
    }
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--sources-child") {
        let n = args.get(i + 1).and_then(|x| x.parse().ok()).unwrap_or(1);
        let interval = args.get(i + 2).and_then(|x| x.parse().ok()).unwrap_or(3600);
        return sources_child(n, interval);
    }
    if let Some(i) = args.iter().position(|a| a == "--aws-sources-child") {
        let n = args.get(i + 1).and_then(|x| x.parse().ok()).unwrap_or(1);
        return aws_sources_child(n);
    }
    if args.iter().any(|a| a == "--idle-sources") {
        return idle_sources();
    }
    // `cargo test --benches` runs bench binaries once; keep that quick.
    if std::env::args().any(|a| a == "--test" || a == "--list")
        || std::env::args().count() <= 1
            && std::env::var("HUBBLE_BUDGETS_FULL").is_err()
            && cfg!(debug_assertions)
    {
        println!("budgets: run with `cargo bench --bench budgets`");
        return;
    }
    normalise_ratio();
    let all = findings_100k();
    filter_sort(&all);
    render_p99(all);
    peak_rss();
    report_100k();
    idle_bytes();
    idle_sources();
}
