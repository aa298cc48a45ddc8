//! The binary as a script would use it: exit codes, positioned errors, headless output.

use std::path::Path;
use std::process::{Command, Output};

fn hubble(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_agent-hubble"))
        .args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env_remove("AGENT_HUBBLE_CONFIG")
        .env_remove("NO_COLOR")
        .output()
        .expect("run agent-hubble")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn check_config_reports_file_line_and_column() {
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("bad.toml");
    std::fs::write(
        &cfg,
        "[[aws]]\nname = \"prod\"\nregions = [\"us-east-1\", \"mars-1\"]\n",
    )
    .unwrap();
    let out = hubble(home.path(), &["check-config", cfg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out).trim(),
        format!(
            "{}:3:25: \"mars-1\" is not an AWS region the SDK knows (like \"eu-west-1\")",
            cfg.display()
        )
    );
    // The console refuses the same file before touching the terminal.
    let out = hubble(home.path(), &["--config", cfg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(":3:25:"));
}

#[test]
fn check_config_validates_user_keymaps_and_themes() {
    let home = tempfile::tempdir().unwrap();
    let keymaps = home.path().join("config/agent-hubble/keymaps");
    let themes = home.path().join("config/agent-hubble/themes");
    std::fs::create_dir_all(&keymaps).unwrap();
    std::fs::create_dir_all(&themes).unwrap();
    std::fs::write(keymaps.join("mine.toml"), "name = \"mine\"\ninherits = \"default\"\n[bindings]\nmove_dwn = [\"x\"]\nrefresh = [\"j\"]\n").unwrap();
    std::fs::write(themes.join("loud.toml"), "name = \"loud\"\ninherits = \"default\"\n[styles]\n\"title\" = { fg = \"nosuchcolour\" }\n").unwrap();
    let out = hubble(home.path(), &["check-config"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let e = stderr(&out);
    let lines: Vec<&str> = e.lines().collect();
    assert!(
        lines.iter().any(|l| l.contains("mine.toml:4:1:")
            && l.contains("move_dwn")
            && l.contains("move_down")),
        "{e}"
    );
    assert!(
        lines.iter().any(|l| l.contains("mine.toml:5:")
            && l.contains("refresh")
            && l.contains("move_down")),
        "conflict: {e}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("loud.toml:4:") && l.contains("nosuchcolour")),
        "{e}"
    );
}

#[test]
fn check_config_passes_a_good_setup() {
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("good.toml");
    std::fs::write(&cfg, "[ui]\ntheme = \"high-contrast\"\nkeymap = \"vim\"\n[[aws]]\nname = \"prod\"\nregions = [\"eu-west-1\"]\n").unwrap();
    let out = hubble(home.path(), &["check-config", cfg.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::write(&cfg, "[ui]\ntheme = \"nope\"\n").unwrap();
    let out = hubble(home.path(), &["check-config", cfg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(":2:9: theme:"), "{}", stderr(&out));
}

#[test]
fn demo_findings_work_offline() {
    let home = tempfile::tempdir().unwrap();
    let out = hubble(
        home.path(),
        &[
            "findings",
            "--demo",
            "--format",
            "json",
            "--filter",
            "sev:critical",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(rows.len() > 10);
    assert!(rows.iter().all(|r| r["severity"] == "CRITICAL"));
    // The demo fleet's other clouds come through their own normalisers.
    let clouds: std::collections::BTreeSet<&str> =
        rows.iter().filter_map(|r| r["cloud"].as_str()).collect();
    assert_eq!(
        clouds.into_iter().collect::<Vec<_>>(),
        ["aws", "code", "gcp"],
        "{text}"
    );
    assert!(rows.iter().any(|r| r["provider"] == "demo"));
    assert!(rows.iter().any(|r| r["provider"] == "gcp-scc"));
    let out = hubble(home.path(), &["findings", "--demo"]);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.starts_with("SEV  ACCOUNT"), "{table}");
    assert!(!table.contains('\u{1b}'), "table output is sanitised");
    let out = hubble(
        home.path(),
        &["findings", "--demo", "--filter", "sevv:high"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("column 1"), "{}", stderr(&out));
}

/// The audit log as an operator checks it: the binary's own store anchors it, so a deleted
/// tail, a deleted middle and an edit are all named; a torn last line is only a warning.
#[test]
fn audit_verify_names_tampering_and_tolerates_a_torn_line() {
    let home = tempfile::tempdir().unwrap();
    let log = home.path().join("data/agent-hubble/audit.jsonl");
    let store = home.path().join("data/agent-hubble/hubble.db");
    let write = |n: usize| {
        let mut a = agent_hubble::audit::AuditLog::open(&log, Some(&store), None).unwrap();
        for i in 0..n {
            a.record(
                "alice",
                "workflow:RESOLVED",
                &format!("f-{i}"),
                "fixed",
                "ok",
            )
            .unwrap();
        }
    };
    write(5);
    let verify = || hubble(home.path(), &["audit", "verify"]);
    let out = verify();
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        stdout.contains("5 entries") && stdout.contains("anchored at entry 5"),
        "{stdout}"
    );
    let original = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = original.lines().collect();

    // Deleted tail: the whole last two lines.
    std::fs::write(&log, format!("{}\n", lines[..3].join("\n"))).unwrap();
    let out = verify();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("entries 4..5 are missing"),
        "{}",
        stderr(&out)
    );

    // Deleted middle.
    std::fs::write(
        &log,
        format!("{}\n{}\n", lines[..2].join("\n"), lines[3..].join("\n")),
    )
    .unwrap();
    let out = verify();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("audit.jsonl:3: entries 3..3 are missing"),
        "{}",
        stderr(&out)
    );

    // One changed byte.
    std::fs::write(&log, original.replacen("f-1", "f-9", 1)).unwrap();
    let out = verify();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("audit.jsonl:3:"), "{}", stderr(&out));

    // A torn last line (crash mid-write), then more entries: warnings, never a failure.
    std::fs::write(&log, format!("{original}{{\"seq\":6,\"ts\":\"2026-")).unwrap();
    let out = verify();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("warning: line 6 is torn"),
        "{}",
        stderr(&out)
    );
    write(2);
    let out = verify();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("line 7 records the repair"),
        "{}",
        stderr(&out)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("anchored at entry 8"));
}

/// Keyed mode: the key comes from a 0600 file named in the config; verifying needs it, and a
/// chain rewritten without it fails.
#[test]
fn keyed_audit_log_needs_the_key() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    let key_file = home.path().join("audit.key");
    std::fs::write(&key_file, "correct horse battery staple 0123\n").unwrap();
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let cfg = home.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!("[store]\naudit_key_file = \"{}\"\n", key_file.display()),
    )
    .unwrap();
    let log = home.path().join("data/agent-hubble/audit.jsonl");
    let store = home.path().join("data/agent-hubble/hubble.db");
    let key = agent_hubble::audit::Key::from_file(&key_file).unwrap();
    {
        let mut a = agent_hubble::audit::AuditLog::open(&log, Some(&store), Some(key)).unwrap();
        for i in 0..3 {
            a.record("alice", "workflow:RESOLVED", &format!("f-{i}"), "", "ok")
                .unwrap();
        }
    }
    let cfg_arg = cfg.to_str().unwrap();
    let out = hubble(home.path(), &["--config", cfg_arg, "audit", "verify"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("keyed (HMAC-SHA256)"));
    let out = hubble(home.path(), &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(2), "no key: cannot verify");
    assert!(
        stderr(&out).contains("the log is keyed"),
        "{}",
        stderr(&out)
    );
    // The same key from an environment variable named in the config.
    let env_cfg = home.path().join("env.toml");
    std::fs::write(&env_cfg, "[store]\naudit_key_env = \"HUBBLE_AUDIT_KEY\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_agent-hubble"))
        .args(["--config", env_cfg.to_str().unwrap(), "audit", "verify"])
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_STATE_HOME", home.path().join("state"))
        .env("HUBBLE_AUDIT_KEY", "correct horse battery staple 0123")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("keyed (HMAC-SHA256)"));
    // Rewrite the second entry; without the key the forger cannot fix the chain.
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::write(&log, text.replacen("f-1", "f-x", 1)).unwrap();
    let out = hubble(home.path(), &["--config", cfg_arg, "audit", "verify"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    // A key file others can read is refused with its position.
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = hubble(home.path(), &["check-config", cfg_arg]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("config.toml:2:18: ") && stderr(&out).contains("chmod 600"),
        "{}",
        stderr(&out)
    );
}

/// A source that cannot be reached is named in one readable line, not a debug dump; the
/// exit code says a source failed.
#[test]
fn an_unreachable_source_is_one_readable_line() {
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("c.toml");
    std::fs::write(
        &cfg,
        "[poll]\nmax_attempts = 1\n\n[[aws]]\nname = \"gone\"\nregions = [\"eu-west-1\"]\nendpoint_url = \"http://127.0.0.1:9\"\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_agent-hubble"))
        .args(["--config", cfg.to_str().unwrap(), "findings"])
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_STATE_HOME", home.path().join("state"))
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let line = err
        .lines()
        .find(|l| l.contains("aws/gone/eu-west-1"))
        .expect(&err);
    assert!(
        line.contains("cannot connect") || line.contains("timed out"),
        "{line}"
    );
    assert!(
        line.chars().count() < 250,
        "{} chars: {line}",
        line.chars().count()
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// `findings --format csv|md` and `--view NAME` (its filter, sort, scope; grouped views print
/// their groups).
#[test]
fn findings_formats_and_views() {
    let home = tempfile::tempdir().unwrap();
    let csv = hubble(
        home.path(),
        &[
            "findings",
            "--demo",
            "--format",
            "csv",
            "--filter",
            "sev:critical",
        ],
    );
    assert!(csv.status.success(), "{}", stderr(&csv));
    let text = String::from_utf8(csv.stdout).unwrap();
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("severity,cloud,account,account_name,region,control")
    );
    let rows: Vec<&str> = lines.collect();
    assert!(
        !rows.is_empty() && rows.iter().all(|r| r.starts_with("CRITICAL,")),
        "{text}"
    );
    let md = hubble(
        home.path(),
        &[
            "findings",
            "--demo",
            "--format",
            "md",
            "--filter",
            "sev:critical",
        ],
    );
    let text = String::from_utf8(md.stdout).unwrap();
    assert!(
        text.starts_with("| severity | cloud |") && text.contains("|---|"),
        "{text}"
    );
    assert!(
        text.trim_end()
            .ends_with(&format!("{} findings", rows.len()))
    );
    // A view in the config dir.
    let dir = home.path().join("config/agent-hubble");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("views.toml"),
        "[[view]]\nname = \"by-control\"\nfilter = \"sev:>=high\"\ngroup = \"control\"\nscope = \"working\"\n",
    )
    .unwrap();
    let out = hubble(home.path(), &["findings", "--demo", "--view", "by-control"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("CONTROL") && text.contains(" groups, "),
        "{text}"
    );
    let out = hubble(home.path(), &["findings", "--demo", "--view", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no view \"nope\""));
}

/// `AGENT_HUBBLE_DEMO_FINDINGS=N` adds a generated source of N findings across 1,000
/// accounts to the demo; without it the demo is the usual few hundred.
#[test]
fn demo_findings_env_adds_a_generated_org_scale_source() {
    let home = tempfile::tempdir().unwrap();
    let run = |n: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_agent-hubble"));
        c.args(["findings", "--demo", "--format", "json"])
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_STATE_HOME", home.path().join("state"))
            .env_remove("AGENT_HUBBLE_CONFIG")
            .env_remove("AGENT_HUBBLE_DEMO_FINDINGS");
        if let Some(n) = n {
            c.env("AGENT_HUBBLE_DEMO_FINDINGS", n);
        }
        let out = c.output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let rows: Vec<serde_json::Value> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        rows
    };
    let generated = |rows: &[serde_json::Value]| {
        rows.iter()
            .filter(|r| {
                r["account"]
                    .as_str()
                    .is_some_and(|a| a.starts_with("5000000"))
            })
            .count()
    };
    let plain = run(None);
    assert_eq!(generated(&plain), 0);
    let rows = run(Some("2,500"));
    assert_eq!(generated(&rows), 2500);
    let accounts: std::collections::HashSet<&str> = rows
        .iter()
        .filter_map(|r| r["account"].as_str())
        .filter(|a| a.starts_with("5000000"))
        .collect();
    assert_eq!(accounts.len(), 1000);
}
