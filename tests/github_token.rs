//! The GitHub token chain in a child process: the binary, with no GITHUB_TOKEN or GH_TOKEN,
//! asks the GitHub CLI (a fake `gh` on PATH) against the local GitHub emulator.

mod support;

use serde_json::{Value, json};
use support::emulator::Emulator;

/// The token chain in a child process: the binary with no GITHUB_TOKEN/GH_TOKEN asks a fake
/// `gh` on PATH; without `gh` it says how to get a token.
#[tokio::test]
async fn token_from_the_github_cli_in_the_binary() {
    use std::os::unix::fs::PermissionsExt;
    let emu = Emulator::start("github_api.py", &[]);
    emu.post(
        "/_emu/github/alerts",
        json!({"repo": "acme/api", "alert": {"rule": "py/sql-injection"}}),
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    let bin = home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let args = home.path().join("gh-args");
    let gh = bin.join("gh");
    std::fs::write(
        &gh,
        format!(
            "#!/bin/sh\necho \"$@\" > {}\necho ghp_emulator\n",
            args.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = |repos: &str| {
        let cfg = home.path().join(format!("hubble-{}.toml", repos.len()));
        std::fs::write(
            &cfg,
            format!(
                "[[github]]\nname = \"acme\"\nrepos = [{repos}]\nendpoint_url = \"{}/api/v3\"\n",
                emu.url
            ),
        )
        .unwrap();
        cfg
    };
    let cfg = config("\"acme/api\"");
    let run = |cfg: &std::path::Path, path: &std::path::Path| {
        let home = home.path().to_path_buf();
        let cfg = cfg.to_path_buf();
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_agent-hubble"))
                .args([
                    "--config",
                    cfg.to_str().unwrap(),
                    "findings",
                    "--format",
                    "json",
                ])
                .env("HOME", &home)
                .env("XDG_CONFIG_HOME", home.join("config"))
                .env("XDG_DATA_HOME", home.join("data"))
                .env("XDG_STATE_HOME", home.join("state"))
                .env("PATH", path)
                .env_remove("GITHUB_TOKEN")
                .env_remove("GH_TOKEN")
                .env_remove("AGENT_HUBBLE_CONFIG")
                .output()
                .unwrap()
        })
    };
    let out = run(&cfg, &bin).await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let line: Value =
        serde_json::from_slice(out.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(
        (line["cloud"].as_str(), line["account"].as_str()),
        (Some("code"), Some("acme/api"))
    );
    assert_eq!(
        std::fs::read_to_string(&args).unwrap().trim(),
        "auth token --hostname 127.0.0.1"
    );

    let empty = home.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = run(&cfg, &empty).await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("github/acme")
            && stderr.contains("no GitHub token: set GITHUB_TOKEN or GH_TOKEN"),
        "{stderr}"
    );

    // A repository the token cannot see is reported; the others are printed.
    let cfg = config("\"acme/api\", \"acme/missing\"");
    let out = run(&cfg, &bin).await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        out.stdout
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .count(),
        1
    );
    assert!(
        stderr.contains("github/acme: acme/missing: not found"),
        "{stderr}"
    );
}
