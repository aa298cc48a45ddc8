//! Where the GitHub token comes from: `GITHUB_TOKEN`, else `GH_TOKEN`, else the GitHub CLI
//! (`gh auth token --hostname HOST`). Never from the config file. Looked up when a request
//! first needs it (so a missing `gh` only matters to a GitHub source, and only then), kept,
//! and looked up again after GitHub answers 401.

use std::ffi::{OsStr, OsString};
use std::sync::Mutex;
use std::time::Duration;

/// How long `gh auth token` may take.
const GH_TIMEOUT: Duration = Duration::from_secs(10);

pub enum Token {
    /// Given by the caller (tests, embedding).
    Fixed(String),
    /// The environment and `gh`, for this host (`github.com` or a GHES host).
    Chain {
        host: String,
        gh: OsString,
        cached: Mutex<Option<String>>,
    },
}

impl Token {
    pub fn chain(host: &str) -> Token {
        Token::Chain {
            host: host.to_string(),
            gh: "gh".into(),
            cached: Mutex::new(None),
        }
    }

    pub async fn get(&self) -> Result<String, String> {
        match self {
            Token::Fixed(t) => Ok(t.clone()),
            Token::Chain { host, gh, cached } => {
                let known = cached.lock().expect("token").clone();
                if let Some(t) = known {
                    return Ok(t);
                }
                let (t, from) = from_chain(host, |k| std::env::var(k).ok(), gh).await?;
                tracing::debug!("GitHub token for {host} from {from}");
                *cached.lock().expect("token") = Some(t.clone());
                Ok(t)
            }
        }
    }

    /// GitHub refused the token: look it up again next time (`gh auth refresh` may have run).
    pub fn forget(&self) {
        if let Token::Chain { cached, .. } = self {
            *cached.lock().expect("token") = None;
        }
    }
}

/// The token chain with the environment and the `gh` program given. Returns the token and
/// where it came from.
pub async fn from_chain(
    host: &str,
    env: impl Fn(&str) -> Option<String>,
    gh: &OsStr,
) -> Result<(String, &'static str), String> {
    for name in ["GITHUB_TOKEN", "GH_TOKEN"] {
        if let Some(t) = env(name).map(|t| t.trim().to_string())
            && !t.is_empty()
        {
            return Ok((t, name));
        }
    }
    let login = format!("gh auth login --hostname {host}");
    let mut cmd = tokio::process::Command::new(gh);
    cmd.args(["auth", "token", "--hostname", host])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!(
                "no GitHub token: set GITHUB_TOKEN or GH_TOKEN, or install the GitHub CLI and run `{login}`"
            ));
        }
        Err(e) => {
            return Err(format!(
                "no GitHub token: GITHUB_TOKEN and GH_TOKEN are not set and `gh` cannot run: {e}"
            ));
        }
    };
    let out = match tokio::time::timeout(GH_TIMEOUT, child.wait_with_output()).await {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => return Err(format!("no GitHub token: `gh auth token` failed: {e}")),
        Err(_) => {
            return Err(format!(
                "no GitHub token: GITHUB_TOKEN and GH_TOKEN are not set and `gh auth token` did not answer within {} s",
                GH_TIMEOUT.as_secs()
            ));
        }
    };
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if out.status.success() && !token.is_empty() && !token.contains(char::is_whitespace) {
        return Ok((token, "gh auth token"));
    }
    let said = String::from_utf8_lossy(&out.stderr);
    let said = said
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no token");
    Err(format!(
        "no GitHub token: GITHUB_TOKEN and GH_TOKEN are not set and `gh auth token --hostname {host}` said: {}; run `{login}`",
        crate::sanitize::line(said.trim())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn fake_gh(dir: &std::path::Path, script: &str) -> OsString {
        let p = dir.join("gh");
        std::fs::write(&p, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p.into_os_string()
    }

    #[tokio::test]
    async fn env_first_then_gh_with_the_host() {
        let dir = tempfile::tempdir().unwrap();
        let args = dir.path().join("args");
        let gh = fake_gh(
            dir.path(),
            &format!("echo \"$@\" > {}\necho ghp_from_cli", args.display()),
        );
        let env = |k: &str| (k == "GH_TOKEN").then(|| "ghp_gh_token".to_string());
        assert_eq!(
            from_chain("github.com", env, &gh).await.unwrap(),
            ("ghp_gh_token".into(), "GH_TOKEN")
        );
        let both = |k: &str| Some(format!("tok_{k}"));
        assert_eq!(
            from_chain("github.com", both, &gh).await.unwrap().1,
            "GITHUB_TOKEN"
        );
        let empty = |_: &str| Some("  ".to_string());
        let (t, from) = from_chain("ghe.example.com", empty, &gh).await.unwrap();
        assert_eq!((t.as_str(), from), ("ghp_from_cli", "gh auth token"));
        assert_eq!(
            std::fs::read_to_string(&args).unwrap().trim(),
            "auth token --hostname ghe.example.com"
        );
    }

    #[tokio::test]
    async fn missing_or_failing_gh_is_a_clear_message() {
        let dir = tempfile::tempdir().unwrap();
        let none = |_: &str| None;
        let e = from_chain("github.com", none, OsStr::new("/nonexistent/gh"))
            .await
            .unwrap_err();
        assert!(
            e.contains("set GITHUB_TOKEN or GH_TOKEN") && e.contains("gh auth login"),
            "{e}"
        );
        let gh = fake_gh(
            dir.path(),
            "echo 'no oauth token found for github.com' >&2\nexit 1",
        );
        let e = from_chain("github.com", none, &gh).await.unwrap_err();
        assert!(
            e.contains("no oauth token found") && e.contains("gh auth login --hostname github.com"),
            "{e}"
        );
    }
}
