//! The emulator, a service-account key it minted, and sources that use it.

use std::path::PathBuf;
use std::time::Duration;

use agent_hubble::poller;
use agent_hubble::sources::gcp::auth::AdcSettings;
use agent_hubble::sources::gcp::client::RetryPolicy;
use agent_hubble::sources::gcp::{GcpSource, GcpTarget};
use agent_hubble::sources::{Normalized, Query};
use serde_json::{Value, json};

use crate::support::emulator::Emulator;

pub const ORG: &str = "organizations/123456789012";
pub const FULL: Query = Query::Full {
    include_archived: false,
    from: None,
};

pub struct Gcp {
    pub emu: Emulator,
    pub dir: tempfile::TempDir,
    /// The service account's key file and email.
    pub key: PathBuf,
    pub email: String,
}

impl Gcp {
    /// An emulator with the demo organization and a service-account key for it.
    pub async fn start() -> Gcp {
        let emu = Emulator::start("gcp_scc.py", &[]);
        emu.post("/_emu/gcp/seed-demo", json!({})).await;
        let dir = tempfile::tempdir().unwrap();
        let sa = emu.post("/_emu/gcp/service-accounts", json!({})).await;
        let key = dir.path().join("sa.json");
        std::fs::write(&key, sa.to_string()).unwrap();
        assert!(
            sa["token_uri"]
                .as_str()
                .unwrap()
                .starts_with("http://127.0.0.1:")
        );
        Gcp {
            email: sa["client_email"].as_str().unwrap().to_string(),
            emu,
            dir,
            key,
        }
    }

    pub fn target(&self, name: &str, parent: &str) -> GcpTarget {
        GcpTarget {
            name: name.into(),
            parent: parent.into(),
            location: "global".into(),
            endpoint_url: Some(self.emu.url.clone()),
            adc: AdcSettings {
                credentials_file: Some(self.key.clone()),
                gcloud_adc_file: None,
                // Never reached while a key file is given.
                metadata_host: Some("127.0.0.1:1".into()),
            },
            page_size: 1000,
            retry: RetryPolicy {
                base_delay: Duration::from_millis(50),
                ..RetryPolicy::default()
            },
        }
    }

    pub fn source(&self, parent: &str) -> GcpSource {
        GcpSource::new(&self.target("test", parent)).unwrap()
    }

    /// The emulator's stored findings: name → finding JSON.
    pub async fn stored(&self) -> Vec<Value> {
        self.emu.get("/_emu/gcp/findings").await["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["finding"].clone())
            .collect()
    }

    pub async fn stored_one(&self, name: &str) -> Value {
        self.stored()
            .await
            .into_iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("{name} not stored"))
    }

    /// ListFindings requests the emulator received.
    pub async fn lists(&self) -> Vec<Value> {
        self.emu
            .requests()
            .await
            .into_iter()
            .filter(|r| r["method"] == "GET" && r["path"].as_str().unwrap().ends_with("/findings"))
            .collect()
    }
}

pub async fn clear_faults(emu: &Emulator) {
    reqwest::Client::new()
        .delete(format!("{}/_emu/faults", emu.url))
        .send()
        .await
        .unwrap();
}

pub fn q<'a>(r: &'a Value, k: &str) -> Option<&'a str> {
    r["query"][k][0].as_str()
}

pub async fn all(s: &GcpSource, query: &Query) -> Vec<Normalized> {
    let (items, skipped) = poller::fetch_all(s, query).await.expect("fetch");
    assert!(skipped.is_empty(), "{skipped:?}");
    items
}
