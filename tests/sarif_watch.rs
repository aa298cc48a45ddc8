//! SARIF files end to end: the real scanners (bandit, ruff) run on tests/fixtures/sarif/project/
//! at test time, their output is dropped into a watched directory, and the real poller brings
//! the findings in — then new, broken, rewritten and deleted files, without a restart.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use agent_hubble::model::{Finding, Severity, Workflow};
use agent_hubble::poller::{self, HealthState, Poller, Resume, Settings, SourceEvent};
use agent_hubble::sources::sarif::SarifSource;
use agent_hubble::sources::{Query, Source};
use tokio::sync::mpsc;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn project() -> PathBuf {
    repo().join("tests/fixtures/sarif/project")
}

fn python() -> PathBuf {
    let p = std::env::var("HUBBLE_MOTO_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo().join(".venv/bin/python"));
    assert!(
        p.exists(),
        "the test venv is missing at {}: run the tests with scripts/test",
        p.display()
    );
    p
}

/// Runs a scanner from the project directory (as make_scanner_sarif.sh does).
fn scan(args: &[&str], ok: &[i32]) {
    let out = Command::new(python())
        .args(args)
        .current_dir(project())
        .output()
        .expect("run the scanner");
    let code = out.status.code().unwrap_or(-1);
    assert!(
        ok.contains(&code),
        "{args:?} exited {code}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn bandit(out: &Path) {
    // Exit 1: issues found (expected).
    let o = out.to_str().unwrap();
    scan(
        &["-m", "bandit", "-r", ".", "-f", "sarif", "-o", o, "-q"],
        &[0, 1],
    );
}

fn ruff(out: &Path) {
    let o = out.to_str().unwrap();
    let args = [
        "-m",
        "ruff",
        "check",
        "--no-cache",
        "--isolated",
        "--select",
        "S",
    ];
    let more = [
        "--exit-zero",
        "--output-format",
        "sarif",
        "--output-file",
        o,
        ".",
    ];
    scan(&[&args[..], &more[..]].concat(), &[0]);
}

/// (bandit id, project-relative path) → line, from the `# …: Bnnn` markers in the project.
fn markers() -> Vec<(String, String, usize)> {
    let mut out = Vec::new();
    let dir = project().join("inventory");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
    {
        let rel = format!("inventory/{}", path.file_name().unwrap().to_string_lossy());
        for (n, line) in std::fs::read_to_string(path).unwrap().lines().enumerate() {
            let line = line.trim_end();
            if let Some(i) = line.rfind(": B")
                && line[..i].contains('#')
                && line[i + 2..].len() == 4
                && line[i + 3..].bytes().all(|b| b.is_ascii_digit())
            {
                out.push((line[i + 2..].to_string(), rel.clone(), n + 1));
            }
        }
    }
    out
}

/// What the console would show: the hub's upsert and removal rules, in miniature. A full
/// read is announced by `SyncStarted`; what it upserts is marked with its start, and at its
/// `SyncDone` the findings it did not return (and not updated since it began) are gone.
#[derive(Default)]
struct View {
    findings: HashMap<String, Finding>,
    marks: HashMap<String, i64>,
    reading: Option<i64>,
    skipped: Vec<String>,
    syncs: usize,
    upserts: usize,
    health: Vec<HealthState>,
}

impl View {
    fn apply(&mut self, ev: SourceEvent) {
        match ev {
            SourceEvent::SyncStarted { started_at, .. } => self.reading = Some(started_at),
            SourceEvent::Upsert { items, skipped, .. } => {
                self.upserts += 1;
                self.skipped.extend(skipped);
                for n in items {
                    if let Some(at) = self.reading {
                        self.marks.insert(n.finding.id.clone(), at);
                    }
                    self.findings.insert(n.finding.id.clone(), n.finding);
                }
            }
            SourceEvent::Gone { ids, .. } => {
                for id in ids {
                    self.findings.remove(&id);
                }
            }
            SourceEvent::SyncDone {
                started_at, seen, ..
            } => {
                self.syncs += 1;
                let marks = &self.marks;
                match seen {
                    Some(seen) => self
                        .findings
                        .retain(|id, f| seen.contains(id) || f.updated_at >= started_at),
                    None if self.reading == Some(started_at) => self.findings.retain(|id, f| {
                        marks.get(id).is_some_and(|m| *m >= started_at)
                            || f.updated_at >= started_at
                    }),
                    None => {}
                }
                self.reading = None;
            }
            // Progress reports during a read are not the read's outcome.
            SourceEvent::Health { health, .. } if health.progress.is_none() => {
                self.health.push(health.state)
            }
            _ => {}
        }
    }

    fn tool(&self, name: &str) -> Vec<&Finding> {
        let mut v: Vec<_> = self
            .findings
            .values()
            .filter(|f| f.product_name == name)
            .collect();
        v.sort_by(|a, b| a.resource_id().cmp(b.resource_id()));
        v
    }

    fn rule(&self, id: &str) -> Option<&Finding> {
        self.findings
            .values()
            .find(|f| f.control_id.as_deref() == Some(id))
    }
}

/// Applies events until `done` holds after a completed sync; the time it took.
async fn until(
    rx: &mut mpsc::Receiver<SourceEvent>,
    view: &mut View,
    within: Duration,
    what: &str,
    done: impl Fn(&View) -> bool,
) -> Duration {
    let start = Instant::now();
    loop {
        let left = within.checked_sub(start.elapsed()).unwrap_or_default();
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Some(ev)) => {
                let sync = matches!(ev, SourceEvent::SyncDone { .. });
                view.apply(ev);
                if sync && done(view) {
                    return start.elapsed();
                }
            }
            Ok(None) => panic!("poller stopped while waiting for {what}"),
            Err(_) => panic!(
                "no {what} within {within:?}; findings {:?}, skipped {:?}",
                view.findings
                    .values()
                    .map(|f| f.resource_id())
                    .collect::<Vec<_>>(),
                view.skipped
            ),
        }
    }
}

/// Writes a file the way CI jobs should: to a temporary name, then renamed into place.
fn drop_file(dir: &Path, name: &str, bytes: &[u8]) {
    let tmp = dir.join(format!(".{name}.partial"));
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, dir.join(name)).unwrap();
}

fn settings() -> Settings {
    Settings {
        interval: Duration::from_secs(60),
        reconcile: Duration::from_secs(900),
        overlap: Duration::ZERO,
        min_backoff: Duration::from_secs(1),
        max_backoff: Duration::from_secs(5),
        include_archived: false,
        max_concurrent: 16,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scanner_output_in_a_watched_directory() {
    let dir = tempfile::tempdir().unwrap();
    let watched = dir.path().join("reports");
    let staging = dir.path().join("staging");
    std::fs::create_dir_all(&watched).unwrap();
    std::fs::create_dir_all(&staging).unwrap();
    bandit(&watched.join("bandit.sarif"));
    ruff(&staging.join("ruff.sarif"));

    let source = SarifSource::new("ci", vec![watched.clone()], "acme/inventory");
    assert_eq!(source.info().key, "sarif/ci");
    let (tx, mut rx) = mpsc::channel(64);
    let poller = Poller::spawn(
        vec![Arc::new(source)],
        |_| Resume::default(),
        settings(),
        tx,
    );
    let mut view = View::default();

    // 1. The bandit results, with the rule, place, CWE and severity bandit gave them.
    until(
        &mut rx,
        &mut view,
        Duration::from_secs(20),
        "bandit findings",
        |v| !v.tool("Bandit").is_empty(),
    )
    .await;
    let planted = markers();
    assert_eq!(planted.len(), 7, "{planted:?}");
    for (rule, file, line) in &planted {
        let place = format!("{file}:{line}");
        let hit = view
            .tool("Bandit")
            .into_iter()
            .any(|f| f.control_id.as_deref() == Some(rule) && f.resource_id() == place);
        assert!(hit, "bandit {rule} at {place} missing");
    }
    let b608 = view.rule("B608").unwrap();
    assert_eq!(b608.resource_id(), "inventory/db.py:8");
    assert_eq!(b608.vulns, ["CWE-89"]);
    assert_eq!(
        b608.severity,
        Severity::Medium,
        "MEDIUM: no level, SARIF's warning"
    );
    assert_eq!(b608.account, "acme/inventory");
    assert_eq!(b608.resource_type(), "File");
    assert_eq!(view.rule("B602").unwrap().severity, Severity::High);
    assert_eq!(view.rule("B602").unwrap().vulns, ["CWE-78"]);
    assert_eq!(view.rule("B105").unwrap().severity, Severity::Low);
    let bandit_count = view.tool("Bandit").len();
    assert_eq!(bandit_count, 9);

    // 2. A new file appears within a few seconds, without a restart.
    drop_file(
        &watched,
        "ruff.sarif",
        &std::fs::read(staging.join("ruff.sarif")).unwrap(),
    );
    let took = until(
        &mut rx,
        &mut view,
        Duration::from_secs(8),
        "ruff findings",
        |v| !v.tool("ruff").is_empty(),
    )
    .await;
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let ruff_found = view.tool("ruff");
    assert_eq!(ruff_found.len(), 7);
    for (rule, file, line) in &planted {
        let want = format!("S{}", &rule[1..]);
        let hit = ruff_found.iter().any(|f| {
            f.control_id.as_deref() == Some(want.as_str())
                && f.resource_id().ends_with(&format!("{file}:{line}"))
                && !f.resource_id().starts_with("file:")
        });
        assert!(
            hit,
            "ruff {want} at {file}:{line} missing: {:?}",
            ruff_found
                .iter()
                .map(|f| f.resource_id())
                .collect::<Vec<_>>()
        );
    }
    assert!(ruff_found.iter().all(|f| f.severity == Severity::High));
    assert_eq!(view.tool("Bandit").len(), bandit_count);

    // 3. A file still being written does not flash an error; it loads once complete.
    let late = std::fs::read(repo().join("tests/fixtures/sarif/vcs.sarif")).unwrap();
    std::fs::write(watched.join("late.sarif"), &late[..late.len() / 2]).unwrap();
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    std::fs::write(watched.join("late.sarif"), &late).unwrap();
    until(
        &mut rx,
        &mut view,
        Duration::from_secs(8),
        "the completed file",
        |v| v.findings.values().any(|f| f.account == "acme/api"),
    )
    .await;
    assert!(
        !view.skipped.iter().any(|s| s.contains("late.sarif")),
        "{:?}",
        view.skipped
    );

    // 4. A broken file is reported with its position; the others still load.
    let broken = std::fs::read(repo().join("tests/fixtures/sarif/malformed.sarif")).unwrap();
    std::fs::write(watched.join("broken.sarif"), broken).unwrap();
    until(
        &mut rx,
        &mut view,
        Duration::from_secs(15),
        "the broken file reported",
        |v| v.skipped.iter().any(|s| s.contains("broken.sarif:185:")),
    )
    .await;
    let reason = view
        .skipped
        .iter()
        .find(|s| s.contains("broken.sarif"))
        .unwrap();
    assert!(reason.contains(&format!("{}:185:", watched.join("broken.sarif").display())));
    assert!(reason.contains("truncated JSON"), "{reason}");
    assert_eq!(view.tool("Bandit").len(), bandit_count);
    assert_eq!(view.tool("ruff").len(), 7);
    // The health report that follows the sync.
    match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
        Ok(Some(ev @ SourceEvent::Health { .. })) => view.apply(ev),
        other => panic!("expected a health report, got {other:?}"),
    }
    assert_eq!(
        view.health.last(),
        Some(&HealthState::Ok),
        "{:?}",
        view.health
    );

    // 5. An idle directory is not read again.
    let (upserts, syncs) = (view.upserts, view.syncs);
    let quiet = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
    assert!(
        quiet.is_err(),
        "an idle directory produced {:?}",
        quiet
            .unwrap()
            .map(|e| format!("{e:?}").chars().take(200).collect::<String>())
    );
    assert_eq!((view.upserts, view.syncs), (upserts, syncs));

    // 6. A rescan that says a result is gone (baselineState absent) resolves its finding.
    let path = watched.join("bandit.sarif");
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    for r in doc["runs"][0]["results"].as_array_mut().unwrap() {
        if r["ruleId"] == "B608" {
            r["baselineState"] = "absent".into();
        }
    }
    drop_file(
        &watched,
        "bandit.sarif",
        &serde_json::to_vec_pretty(&doc).unwrap(),
    );
    until(
        &mut rx,
        &mut view,
        Duration::from_secs(8),
        "B608 resolved",
        |v| {
            v.rule("B608")
                .is_some_and(|f| f.workflow == Workflow::Resolved)
        },
    )
    .await;
    assert!(
        view.tool("Bandit")
            .iter()
            .filter(|f| f.workflow == Workflow::New)
            .count()
            == bandit_count - 1
    );

    // 7. A deleted file's findings disappear.
    std::fs::remove_file(watched.join("ruff.sarif")).unwrap();
    until(
        &mut rx,
        &mut view,
        Duration::from_secs(8),
        "ruff findings gone",
        |v| v.tool("ruff").is_empty(),
    )
    .await;
    assert_eq!(view.tool("Bandit").len(), bandit_count);
    poller.shutdown();
}

fn age(path: &Path) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(600))
        .unwrap();
}

#[tokio::test]
async fn layout_of_watched_directories_and_health() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = repo().join("tests/fixtures/sarif");
    let root = dir.path();
    for (from, to) in [
        ("multi-run.sarif", "a.sarif"),
        ("vcs.sarif", "nested/deeper/b.SARIF.json"),
        ("baseline.sarif", ".hidden/c.sarif"),
        ("snippets.sarif", "d.sarif.tmp"),
        ("no-locations.sarif", "e.json"),
    ] {
        std::fs::create_dir_all(root.join(to).parent().unwrap()).unwrap();
        std::fs::copy(fixtures.join(from), root.join(to)).unwrap();
    }
    let source = SarifSource::new("layout", vec![root.to_path_buf()], "acme/x");
    let full = Query::Full {
        include_archived: false,
        from: None,
    };
    let (items, skipped) = poller::fetch_all(&source, &full).await.unwrap();
    assert!(skipped.is_empty(), "{skipped:?}");
    let files: std::collections::BTreeSet<String> = items
        .iter()
        .flat_map(|n| &n.finding.details)
        .filter(|(k, _)| k == "SARIF file")
        .map(|(_, v)| v.rsplit('/').next().unwrap().to_string())
        .collect();
    assert_eq!(
        files.into_iter().collect::<Vec<_>>(),
        ["a.sarif", "b.SARIF.json"]
    );
    assert_eq!(items.len(), 6);

    // Broken beside readable files: listed, not an error; the readable ones still count.
    let broken = root.join("broken.sarif");
    std::fs::copy(fixtures.join("malformed.sarif"), &broken).unwrap();
    age(&broken);
    let (items, skipped) = poller::fetch_all(&source, &full).await.unwrap();
    assert_eq!(items.len(), 6);
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert!(
        skipped[0].starts_with(&format!("{}:185:", broken.display())),
        "{skipped:?}"
    );

    // Nothing readable: the source is unhealthy, with the reason.
    let only = SarifSource::new("broken", vec![broken.clone()], "acme/x");
    let err = poller::fetch_all(&only, &full)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("broken.sarif:185:"), "{err}");
    let missing = SarifSource::new("gone", vec![root.join("nope")], "acme/x");
    let err = poller::fetch_all(&missing, &full)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("nope"), "{err}");
    // An empty directory is fine: no findings, no error.
    let empty = tempfile::tempdir().unwrap();
    let none = SarifSource::new("empty", vec![empty.path().to_path_buf()], "acme/x");
    assert!(poller::fetch_all(&none, &full).await.unwrap().0.is_empty());
}
