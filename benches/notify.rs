//! Notification rules over a large fleet: one full evaluation of 50 rules (in the console's
//! filter language) over 100k findings, as on every snapshot that does not directly follow
//! the last one; an incremental pass over a batch of 100 changed findings; the outbox
//! write + claim of 1000 items on a real SQLite store; and the outbox's delivery throughput
//! to a local signed webhook. Goals (issue 11): full pass < 20 ms; >= 500 deliveries/s.

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agent_hubble::config::Config;
use agent_hubble::hub::Snapshot;
use agent_hubble::model::{Finding, Severity};
use agent_hubble::notify::channels::Sender;
use agent_hubble::notify::message::{EventKind, Item, external_key};
use agent_hubble::notify::outbox::{NewItem, Outbox, State};
use agent_hubble::notify::rules::Engine;
use agent_hubble::notify::settings::Settings;
use agent_hubble::notify::worker::{Worker, senders};
use agent_hubble::notify::{clock, plan};
use agent_hubble::sources::asff::normalize_page;
use agent_hubble::sources::demo::DemoFleet;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use tokio::sync::{Notify, watch};

#[path = "support/webhook_receiver.rs"]
mod webhook_receiver;
use webhook_receiver::Receiver;

const NOW: i64 = 1_767_268_800_000;

fn findings_100k() -> Vec<Arc<Finding>> {
    demo_findings(100)
}

/// Demo-fleet findings, 1000 per page, ids made unique across pages.
fn demo_findings(pages: u64) -> Vec<Arc<Finding>> {
    let mut out = Vec::with_capacity(pages as usize * 1000);
    for p in 0..pages {
        let body = DemoFleet::new(p, 1000, NOW).body();
        let page = normalize_page(&body, "bench/src").unwrap();
        out.extend(page.items.into_iter().map(|mut n| {
            n.finding.id = format!("{}/p{p}", n.finding.id);
            Arc::new(n.finding)
        }));
    }
    out
}

/// 50 rules of the shapes a SOC writes: severity and workflow classes, accounts, regions,
/// controls, titles, resource types, ages.
fn settings() -> Arc<Settings> {
    let whens = [
        "sev:critical wf:new",
        "sev:>=high wf:new",
        "sev:critical,high state:active",
        "wf:new age:<1h",
        "sev:critical acct:111",
        "sev:high region:us-east",
        "control:S3.",
        "control:EC2.19 sev:>=high",
        "type:AwsS3Bucket sev:>=medium",
        "title:public",
        "title:encryption wf:new",
        "sev:low wf:notified",
        "cloud:aws sev:critical",
        "sev:medium region:eu-",
        "age:>7d wf:new sev:>=high",
    ];
    let mut cfg = String::from(
        "[[notify.channel]]\nname = \"siem\"\nkind = \"webhook\"\nurl = \"http://127.0.0.1:9/\"\nsecret_env = \"HUBBLE_BENCH_UNUSED\"\n",
    );
    for i in 0..50 {
        cfg += &format!(
            "[[notify.rule]]\nname = \"rule {i}\"\nwhen = \"{}\"\nto = [\"siem\"]\n",
            whens[i % whens.len()]
        );
    }
    let cfg = Config::parse(&cfg, Path::new("bench.toml")).expect("bench config");
    Arc::new(Settings::from_config(&cfg.notify).expect("settings"))
}

fn snapshot(
    version: u64,
    findings: &Arc<agent_hubble::hub::FindingList>,
    changed: Vec<Arc<Finding>>,
) -> Snapshot {
    Snapshot {
        version,
        findings: findings.clone(),
        changed_findings: Arc::new(changed),
        ..Snapshot::default()
    }
}

fn bench(c: &mut Criterion) {
    let all = Arc::new(agent_hubble::hub::FindingList::from(findings_100k()));
    let settings = settings();
    let mut g = c.benchmark_group("notify_rules");
    g.sample_size(10);
    // A full pass of 50 rules over 100k findings against an engine that has seen them all
    // (the steady state: a snapshot after a gap, or the periodic full pass).
    let mut warm = Engine::new(settings.clone(), &[]);
    warm.evaluate(&snapshot(1, &all, Vec::new()), NOW, true);
    let mut v = 1;
    g.bench_function("full_100k_findings_50_rules", |b| {
        b.iter(|| {
            v += 2;
            warm.evaluate(&snapshot(v, &all, Vec::new()), NOW, true)
                .len()
        })
    });
    // The first pass (every finding new to the engine: interning and a change per match).
    g.bench_function("first_pass_100k_findings_50_rules", |b| {
        b.iter_batched(
            || Engine::new(settings.clone(), &[]),
            |mut e| e.evaluate(&snapshot(1, &all, Vec::new()), NOW, true).len(),
            BatchSize::PerIteration,
        )
    });
    // An incremental pass: 100 findings changed (raised to CRITICAL and back).
    let mut inc = Engine::new(settings.clone(), &[]);
    inc.evaluate(&snapshot(1, &all, Vec::new()), NOW, true);
    let mut version = 1;
    let mut flip = false;
    g.bench_function("incremental_100_changed_50_rules", |b| {
        b.iter(|| {
            version += 1;
            flip = !flip;
            let changed: Vec<Arc<Finding>> = all
                .iter()
                .take(100)
                .map(|f| {
                    let mut f = (**f).clone();
                    f.severity = if flip {
                        Severity::Critical
                    } else {
                        Severity::Low
                    };
                    Arc::new(f)
                })
                .collect();
            inc.evaluate(&snapshot(version, &all, changed), NOW, false)
                .len()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("notify_outbox");
    g.sample_size(10);
    g.bench_function("enqueue_and_claim_1000", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let store = dir.path().join("b.db");
                let audit = agent_hubble::audit::AuditLog::open(
                    &dir.path().join("a.jsonl"),
                    Some(&store),
                    None,
                )
                .unwrap();
                let outbox =
                    Outbox::open(&store, Some(Arc::new(Mutex::new(audit))), "bench").unwrap();
                (dir, outbox)
            },
            |(dir, mut outbox)| {
                let items: Vec<NewItem> = (0..1000)
                    .map(|i| {
                        let raw = format!("bench|{i}");
                        NewItem {
                            channel: "siem".into(),
                            raw_key: raw.clone(),
                            item: Item {
                                event: EventKind::Test,
                                key: external_key(&raw),
                                occurred_at: NOW,
                                rule: None,
                                finding: None,
                                remediation: None,
                                source: None,
                                note: Some("bench".into()),
                                actor: None,
                            },
                            not_before: NOW,
                            digest_ms: None,
                            demo: false,
                        }
                    })
                    .collect();
                outbox.enqueue(items, NOW).unwrap();
                let channels = [("siem".to_string(), (0.0, 1000usize))]
                    .into_iter()
                    .collect();
                let claimed = outbox.claim(&channels, NOW, 60_000, 1000).unwrap();
                assert_eq!(claimed.len(), 1000);
                drop(dir);
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// The webhook channel of the throughput bench. `rate_per_sec = 0` is "no limit" and 64 is
/// the most sends in flight `check-config` allows, so the channel's own limits do not bound
/// the run: the worker, the store and the HTTP round trips do.
const RATE_PER_SEC: f64 = 0.0;
const CONCURRENCY: u32 = 64;
const SECRET: &str = "bench-webhook-secret";

/// One run, prepared outside the timing: a fresh store whose outbox holds one pending,
/// audited webhook entry per finding (enqueued as the console's `n` does), and the channel's
/// sender (its secret read from a 0600 file, its HTTP client built).
struct Run {
    _dir: tempfile::TempDir,
    outbox: Arc<Mutex<Outbox>>,
    settings: Arc<Settings>,
    senders: HashMap<String, Arc<Sender>>,
}

impl Run {
    fn prepare(receiver: &Receiver, findings: &[Arc<Finding>]) -> Run {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("webhook.secret");
        std::fs::write(&secret, SECRET).unwrap();
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
        let cfg = format!(
            "[[notify.channel]]\nname = \"siem\"\nkind = \"webhook\"\nurl = \"http://{}/hook\"\n\
             secret_file = {:?}\nrate_per_sec = {RATE_PER_SEC:?}\nconcurrency = {CONCURRENCY}\n",
            receiver.addr,
            secret.display().to_string(),
        );
        let cfg = Config::parse(&cfg, Path::new("bench.toml")).expect("bench config");
        let settings = Arc::new(Settings::from_config(&cfg.notify).expect("settings"));
        let store = dir.path().join("b.db");
        let audit =
            agent_hubble::audit::AuditLog::open(&dir.path().join("a.jsonl"), Some(&store), None)
                .unwrap();
        let mut outbox = Outbox::open(&store, Some(Arc::new(Mutex::new(audit))), "bench").unwrap();
        let now = agent_hubble::model::now_ms();
        let items = plan::manual(
            &settings,
            "siem",
            findings,
            EventKind::Shared,
            Some("outbox throughput bench"),
            "bench",
            now,
            false,
        );
        let ids = outbox.enqueue(items, now).unwrap();
        assert_eq!(ids.len(), findings.len(), "every finding enqueued once");
        let (senders, missing) = senders(&settings);
        assert!(missing.is_empty(), "{missing:?}");
        Run {
            _dir: dir,
            outbox: Arc::new(Mutex::new(outbox)),
            settings,
            senders,
        }
    }

    /// Runs the outbox worker (claims with leases, sends, records each outcome) until the
    /// receiver has answered one request per entry and the worker has stopped with every
    /// outcome recorded; returns that time. Then checks that exactly `n` distinct, correctly
    /// signed requests arrived and that the store has all `n` entries sent.
    async fn deliver(self, receiver: &Receiver) -> Duration {
        let n = self.outbox.lock().unwrap().counts().unwrap()[&State::Pending];
        receiver.expect(n);
        let (stop_tx, stop) = watch::channel(false);
        let worker = Worker {
            outbox: self.outbox.clone(),
            senders: self.senders,
            settings: self.settings,
            clock: clock::system(),
            wake: Arc::new(Notify::new()),
            stop,
            grace: Duration::from_secs(30),
        };
        let start = Instant::now();
        let task = tokio::spawn(worker.run());
        let all_in = receiver.tally.all_in.notified();
        if tokio::time::timeout(Duration::from_secs(120), all_in)
            .await
            .is_err()
        {
            panic!(
                "not every entry delivered in 120 s: (ok, bad signature, malformed, keys) = {:?} of {n}",
                receiver.counts()
            );
        }
        // Stop claiming; the worker returns once the sends in flight have been recorded.
        stop_tx.send(true).unwrap();
        task.await.unwrap();
        let took = start.elapsed();
        assert_eq!(
            receiver.counts(),
            (n, 0, 0, n),
            "(ok, bad signature, malformed, distinct idempotency keys)"
        );
        let counts = self.outbox.lock().unwrap().counts().unwrap();
        assert_eq!(counts.get(&State::Sent), Some(&n), "{counts:?}");
        assert_eq!(counts.values().sum::<usize>(), n, "{counts:?}");
        took
    }
}

/// Outbox throughput to a local webhook: N entries pending in a real SQLite store, sent by
/// the real worker and webhook sender (signed envelope over HTTP/1.1 keep-alive) to a local
/// receiver that verifies every signature. Goal (issue 11): >= 500 deliveries/s.
fn throughput(c: &mut Criterion) {
    // `cargo test --all-targets` runs each benchmark once as a smoke test: keep that small.
    let real = std::env::args().any(|a| a == "--bench");
    let n: usize = if real { 2_000 } else { 200 };
    let findings: Vec<Arc<Finding>> = demo_findings(n.div_ceil(1000) as u64)
        .into_iter()
        .take(n)
        .collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let receiver = rt.block_on(Receiver::start(SECRET));
    let mut g = c.benchmark_group("notify_throughput");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function(format!("webhook_{n}_signed_deliveries"), |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    let run = Run::prepare(&receiver, &findings);
                    rt.block_on(run.deliver(&receiver))
                })
                .sum()
        })
    });
    g.finish();
}

criterion_group!(benches, bench, throughput);
criterion_main!(benches);
