//! Notification rules over a large fleet: one full evaluation of 50 rules (in the console's
//! filter language) over 100k findings, as on every snapshot that does not directly follow
//! the last one; an incremental pass over a batch of 100 changed findings; and the outbox
//! write + claim of 1000 items on a real SQLite store. Goal (issue 11): full pass < 20 ms.

use std::path::Path;
use std::sync::{Arc, Mutex};

use agent_hubble::config::Config;
use agent_hubble::hub::Snapshot;
use agent_hubble::model::{Finding, Severity};
use agent_hubble::notify::message::{EventKind, Item, external_key};
use agent_hubble::notify::outbox::{NewItem, Outbox};
use agent_hubble::notify::rules::Engine;
use agent_hubble::notify::settings::Settings;
use agent_hubble::sources::asff::normalize_page;
use agent_hubble::sources::demo::DemoFleet;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

const NOW: i64 = 1_767_268_800_000;

fn findings_100k() -> Vec<Arc<Finding>> {
    let mut out = Vec::with_capacity(100_000);
    for p in 0..100u64 {
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
    findings: &Arc<Vec<Arc<Finding>>>,
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
    let all = Arc::new(findings_100k());
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

criterion_group!(benches, bench);
criterion_main!(benches);
