//! The live parts the console and the headless watcher share: sources polled into the hub
//! (store + snapshots), account names, control metadata, the remediation service, and the
//! notification service. `main.rs` adds a terminal to this; `agent-hubble watch` does not.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, watch};

use crate::audit::AuditLog;
use crate::config::{Config, Paths};
use crate::hub::{Hub, HubInput, Snapshot};
use crate::poller::{Poller, Resume, Settings};
use crate::setup::Setup;
use crate::sources::Source;
use crate::store::Store;

pub struct Live {
    pub setup: Setup,
    pub store_path: PathBuf,
    pub snapshots: watch::Receiver<Arc<Snapshot>>,
    pub hub: mpsc::Sender<HubInput>,
    pub poller: Poller,
    pub sources_by_key: HashMap<String, Arc<dyn Source>>,
    hub_thread: std::thread::JoinHandle<()>,
    forward: tokio::task::JoinHandle<()>,
}

/// Opens the store, starts the hub and polls every source of `setup`.
pub async fn start(cfg: &Config, paths: &Paths, setup: Setup) -> Live {
    let store_path = crate::setup::store_path(cfg, paths, setup.demo);
    let store = match Store::open(&store_path) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::error!("store unavailable, running without cache: {e}");
            None
        }
    };
    let resume: HashMap<String, Resume> = setup
        .sources
        .iter()
        .filter_map(|s| {
            let key = s.info().key.clone();
            let st = store.as_ref()?.source_state(&key).ok()?;
            Some((key, Resume::from_state(&st)))
        })
        .collect();
    let infos: Vec<_> = setup.sources.iter().map(|s| s.info().clone()).collect();
    // The cache is read by the hub thread, a page at a time: the first frame does not wait.
    let (mut hub, snapshots) = Hub::loading(store, &infos);
    hub.set_history(crate::posture::HistorySettings {
        snapshot_every_ms: cfg.posture.snapshot_every_secs as i64 * 1000,
        retention_days: cfg.posture.retention_days.max(1),
        demo_backfill: setup.demo,
    });
    let (hub_tx, hub_rx) = mpsc::channel::<HubInput>(256);
    hub.set_feedback(hub_tx.downgrade());
    let hub_thread = hub.spawn(hub_rx);
    let (poll_tx, mut poll_rx) = mpsc::channel(64);
    let poller = Poller::spawn(
        setup.sources.clone(),
        |k| resume.get(k).copied().unwrap_or_default(),
        Settings::from_config(&cfg.poll),
        poll_tx,
    );
    // Account names: the config's at once (the demo's own for the demo), AWS Organizations'
    // when the credentials may list accounts (the config's still win).
    let mut names: HashMap<String, String> = if setup.demo {
        crate::sources::demo::ACCOUNTS
            .iter()
            .map(|(id, n)| (id.to_string(), n.to_string()))
            .collect()
    } else {
        Default::default()
    };
    names.extend(cfg.accounts.clone());
    if !names.is_empty() {
        let _ = hub_tx.send(HubInput::AccountNames(names)).await;
    }
    if let Some(sdk) = setup.controls.clone() {
        let hub = hub_tx.clone();
        let configured = cfg.accounts.clone();
        tokio::spawn(async move {
            match crate::sources::aws_accounts::fetch(&sdk).await {
                Ok(mut org) => {
                    tracing::info!("{} account names from AWS Organizations", org.len());
                    org.extend(configured);
                    let _ = hub.send(HubInput::AccountNames(org)).await;
                }
                Err(e) => tracing::info!("account names from the config only (Organizations: {e})"),
            }
        });
    }
    // Control metadata from the API when it answers; posture is derived from findings until then.
    if let Some(sdk) = setup.controls.clone() {
        let hub = hub_tx.clone();
        // Its own thread and runtime: the fetch's future is not Send.
        std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            match rt.block_on(crate::sources::aws_controls::fetch(&sdk)) {
                Ok(meta) => {
                    tracing::info!(
                        "control metadata from the API: {} standards, {} controls",
                        meta.enabled_standards.len(),
                        meta.controls.len()
                    );
                    let _ = hub.blocking_send(HubInput::ControlMetadata(Box::new(meta)));
                }
                Err(e) => {
                    tracing::info!("control metadata unavailable, deriving from findings: {e}")
                }
            }
        });
    }
    let forward_tx = hub_tx.clone();
    let forward = tokio::spawn(async move {
        while let Some(ev) = poll_rx.recv().await {
            if forward_tx.send(HubInput::Source(ev)).await.is_err() {
                break;
            }
        }
    });
    let sources_by_key = setup
        .sources
        .iter()
        .map(|s| (s.info().key.clone(), s.clone()))
        .collect();
    Live {
        setup,
        store_path,
        snapshots,
        hub: hub_tx,
        poller,
        sources_by_key,
        hub_thread,
        forward,
    }
}

impl Live {
    /// Stops polling and waits for the hub to write what it holds.
    pub async fn stop(self) {
        self.poller.shutdown();
        self.forward.abort();
        drop(self.hub);
        let t = self.hub_thread;
        let _ = tokio::task::spawn_blocking(move || t.join()).await;
    }

    /// The remediation service (off unless the config enables it): its command channel,
    /// queue view, who the user is, and the approver warning.
    pub async fn remediation(
        &self,
        cfg: &Config,
        paths: &Paths,
        audit: &Arc<Mutex<AuditLog>>,
    ) -> anyhow::Result<Remediation> {
        use crate::remediation as rem;
        let who = rem::identity::resolve(self.setup.base.as_ref())
            .await
            .map_err(|e| anyhow::anyhow!("remediation needs to know who you are: {e}"))?;
        let note = rem::person::warning(&who.arn, &cfg.remediation.trusted_roles());
        let catalog = rem::catalog::Catalog::load(Some(&paths.config_dir))
            .map_err(|d| anyhow::anyhow!("{}", crate::diag::Diagnostics(d)))?;
        let queue = rem::queue::Queue::open(&self.store_path, audit.clone())?
            .with_trusted_roles(cfg.remediation.trusted_roles());
        let checks = rem::runner::Checks::from_config(&cfg.remediation, catalog.clone());
        let mut runner = rem::runner::Runner::new(
            queue,
            self.setup.targets.clone(),
            self.sources_by_key.clone(),
            who.clone(),
            checks,
        );
        runner.hub = Some(self.hub.clone());
        let service = rem::service::Service {
            runner,
            catalog,
            config: cfg.remediation.clone(),
            store_path: self.store_path.clone(),
            automations: self.setup.automations.clone(),
            who: who.clone(),
        };
        let (tx, rx) = service.spawn();
        Ok(Remediation {
            commands: tx,
            view: rx,
            who,
            note,
        })
    }

    /// The notification service, when channels are configured.
    pub fn notify(
        &self,
        cfg: &Config,
        audit: &Arc<Mutex<AuditLog>>,
        actor: &str,
        read_only: bool,
        evaluate: bool,
    ) -> Result<Option<crate::notify::Handle>, String> {
        let settings = crate::notify::Settings::from_config(&cfg.notify)?;
        if settings.is_empty() {
            return Ok(None);
        }
        let ctx = crate::notify::service::Context {
            settings: Arc::new(settings),
            store_path: self.store_path.clone(),
            audit: audit.clone(),
            actor: actor.to_string(),
            clock: crate::notify::clock::system(),
            demo: self.setup.demo,
            read_only,
            evaluate,
            grace: std::time::Duration::from_secs(20),
        };
        crate::notify::service::spawn(ctx, self.snapshots.clone()).map(Some)
    }
}

pub struct Remediation {
    pub commands: mpsc::Sender<crate::remediation::service::Request>,
    pub view: watch::Receiver<Arc<crate::remediation::service::QueueView>>,
    pub who: crate::remediation::queue::Identity,
    pub note: Option<String>,
}
