//! A local API emulator from `tests/emulators/` (Azure, GCP, GitHub, notification
//! receivers), started like moto: `python NAME.py --port 0` prints `READY <port>`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

pub struct Emulator {
    child: Child,
    pub url: String,
    /// Everything after the port on the READY line (e.g. the SMTP server's HTTP port).
    pub extra: Vec<String>,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

impl Emulator {
    /// Starts `tests/emulators/<script>` with extra arguments.
    pub fn start(script: &str, args: &[&str]) -> Emulator {
        let python = std::env::var("HUBBLE_MOTO_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|_| repo().join(".venv/bin/python"));
        assert!(
            python.exists(),
            "the test venv is missing at {}: run the tests with scripts/test",
            python.display()
        );
        let mut child = Command::new(&python)
            .arg(repo().join("tests/emulators").join(script))
            .args(["--host", "127.0.0.1", "--port", "0", "--exit-on-stdin-eof"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {script}: {e}"));
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("READY line");
        let mut words = line
            .trim()
            .strip_prefix("READY ")
            .unwrap_or_else(|| panic!("{script} said {line:?}"))
            .split_whitespace();
        let port = words.next().expect("port").to_string();
        Emulator {
            child,
            url: format!("http://127.0.0.1:{port}"),
            extra: words.map(str::to_owned).collect(),
        }
    }

    /// POST a JSON body to a control (or API) path; panics unless 2xx; returns the JSON answer.
    pub async fn post(&self, path: &str, body: Value) -> Value {
        let r = reqwest::Client::new()
            .post(format!("{}{path}", self.url))
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = r.status();
        let text = r.text().await.unwrap_or_default();
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    pub async fn get(&self, path: &str) -> Value {
        reqwest::get(format!("{}{path}", self.url))
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .json()
            .await
            .unwrap_or(Value::Null)
    }

    /// Arms a fault (see tests/emulators/emu_base.py).
    pub async fn fault(&self, fault: Value) {
        self.post("/_emu/faults", fault).await;
    }

    /// Requests the emulator received (method, path, query, headers, body).
    pub async fn requests(&self) -> Vec<Value> {
        self.get("/_emu/requests").await["requests"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
