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
            "{}:3:25: \"mars-1\" is not an AWS region name (like \"eu-west-1\")",
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
    assert!(
        rows.iter()
            .all(|r| r["severity"] == "CRITICAL" && r["provider"] == "demo")
    );
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

#[test]
fn audit_verify_names_the_first_broken_line() {
    let home = tempfile::tempdir().unwrap();
    let log = home.path().join("audit.jsonl");
    {
        let mut a = agent_hubble::audit::AuditLog::open(&log).unwrap();
        for i in 0..3 {
            a.record(
                "alice",
                "workflow:RESOLVED",
                &format!("f-{i}"),
                "fixed",
                "ok",
            )
            .unwrap();
        }
    }
    let out = hubble(home.path(), &["audit", "verify", log.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("3 entries"));
    let mut bytes = std::fs::read(&log).unwrap();
    let i = bytes.iter().position(|&b| b == b'f').unwrap();
    bytes[i] = b'g';
    std::fs::write(&log, bytes).unwrap();
    let out = hubble(home.path(), &["audit", "verify", log.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("audit.jsonl:2:"), "{}", stderr(&out));
}
