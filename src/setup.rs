//! Turns config + environment into running parts: which sources, which store, who the
//! user is. Shared by the console and the headless commands.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_credential_types::provider::ProvideCredentials;

use crate::config::{Config, Paths};
use crate::sources::Source;
use std::collections::HashMap;

use crate::remediation::automation::{Automation, MemoryAutomation, SsmAutomation, Targets};
use crate::sources::aws_securityhub::{
    AwsTarget, SecurityHubSource, base_config, sdk_config, target_config,
};
use crate::sources::demo::DemoFleet;

pub struct Setup {
    pub sources: Vec<Arc<dyn Source>>,
    /// SSM Automation for each source key (same account × region and credentials): where
    /// executions waiting at `aws:approve` are looked for.
    pub automations: HashMap<String, Arc<dyn Automation>>,
    /// SSM Automation of the account × region a runbook targets.
    pub targets: Arc<Targets>,
    /// The analyst's own credentials (before any role_arn), for the STS identity.
    pub base: Option<aws_config::SdkConfig>,
    /// Credentials of the first source, for control metadata (standards and controls).
    pub controls: Option<aws_config::SdkConfig>,
    pub demo: bool,
    /// Said to the user before the console starts (and shown in it).
    pub notice: Option<String>,
}

/// Every configured account × region, like the aws CLI when nothing is configured, or the
/// demo fleet (asked for, or when there is neither config nor credentials and `allow_demo`).
pub async fn sources(cfg: &Config, force_demo: bool, allow_demo: bool) -> anyhow::Result<Setup> {
    if force_demo {
        return Ok(demo(None));
    }
    if cfg.has_sources() {
        let mut out: Vec<Arc<dyn Source>> = Vec::new();
        let mut automations: HashMap<String, Arc<dyn Automation>> = HashMap::new();
        let mut base = None;
        let mut controls = None;
        let mut notices = Vec::new();
        let mut loaded = HashMap::new();
        for a in &cfg.aws {
            let target = |region: &str| AwsTarget {
                name: a.name.get_ref().clone(),
                region: region.to_string(),
                profile: a.profile.clone(),
                role_arn: a.role_arn.as_ref().map(|r| r.get_ref().clone()),
                external_id: a.external_id.clone(),
                endpoint_url: a.endpoint_url.as_ref().map(|u| u.get_ref().clone()),
                max_attempts: cfg.poll.max_attempts,
            };
            let listed: Vec<String> = a
                .regions
                .get_ref()
                .iter()
                .map(|r| r.get_ref().clone())
                .collect();
            let (regions, aggregator) = aws_regions(a, &listed, &target, &mut notices).await;
            for region in regions {
                let t = target(&region);
                // Loaded once per profile and endpoint, not per account × Region.
                let key = (t.profile.clone(), t.endpoint_url.clone());
                if !loaded.contains_key(&key) {
                    loaded.insert(key.clone(), base_config(&t).await);
                }
                let shared = &loaded[&key];
                if base.is_none() {
                    let t = AwsTarget {
                        role_arn: None,
                        ..t.clone()
                    };
                    base = Some(target_config(shared, &t).await);
                }
                let sdk = target_config(shared, &t).await;
                let source = SecurityHubSource::new(&t.name, &t.region, &sdk)
                    .with_api(a.api)
                    .with_aggregator(aggregator);
                automations.insert(
                    source.info().key.clone(),
                    Arc::new(SsmAutomation::new(&sdk)),
                );
                if controls.is_none() {
                    controls = Some(sdk.clone());
                }
                out.push(Arc::new(source));
            }
        }
        out.extend(other_clouds(cfg).await?);
        let targets = Arc::new(match &base {
            Some(b) => Targets::aws(b.clone()),
            None => Targets::Fixed(Arc::new(MemoryAutomation::new(0))),
        });
        return Ok(Setup {
            sources: out,
            automations,
            targets,
            base,
            controls,
            demo: false,
            notice: (!notices.is_empty()).then(|| notices.join("\n")),
        });
    }
    // No config: behave like the aws CLI (profile, SSO, env, IMDS; AWS_REGION, AWS_ENDPOINT_URL).
    let base = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let creds = match base.credentials_provider() {
        Some(p) => tokio::time::timeout(Duration::from_secs(5), p.provide_credentials())
            .await
            .ok()
            .and_then(Result::ok),
        None => None,
    };
    match (creds, base.region()) {
        (Some(_), Some(region)) => {
            let t = AwsTarget {
                name: "default".into(),
                region: region.to_string(),
                max_attempts: cfg.poll.max_attempts,
                ..AwsTarget::default()
            };
            let sdk = sdk_config(&t).await;
            let source = SecurityHubSource::new(&t.name, &t.region, &sdk);
            let automations: HashMap<String, Arc<dyn Automation>> =
                HashMap::from([(source.info().key.clone(), Arc::new(SsmAutomation::new(&sdk)) as Arc<dyn Automation>)]);
            Ok(Setup { sources: vec![Arc::new(source)], automations, targets: Arc::new(Targets::aws(sdk.clone())), base: Some(sdk.clone()), controls: Some(sdk), demo: false, notice: None })
        }
        (Some(_), None) => anyhow::bail!(
            "AWS credentials found but no region: set AWS_REGION (or a region in your profile), or add [[aws]] entries to a config file"
        ),
        (None, _) if allow_demo => Ok(demo(Some(
            "No config file and no AWS credentials found: starting on the embedded demo fleet (--demo skips this check).".into(),
        ))),
        (None, _) => anyhow::bail!("no config file and no AWS credentials found (use --demo for the demo fleet)"),
    }
}

/// The Regions one `[[aws]]` entry polls, and whether they are an aggregation Region:
/// `aggregator = true` is the one listed Region; `"auto"` asks Security Hub from the first
/// listed Region and takes the aggregator's home Region, or falls back to every listed Region
/// (saying so) when there is no aggregator or the question fails.
async fn aws_regions(
    a: &crate::config::AwsConfig,
    listed: &[String],
    target: &impl Fn(&str) -> AwsTarget,
    notices: &mut Vec<String>,
) -> (Vec<String>, bool) {
    use crate::config::Aggregator;
    let name = a.name.get_ref();
    match a.aggregator() {
        Aggregator::Off => (listed.to_vec(), false),
        Aggregator::On => (listed.iter().take(1).cloned().collect(), true),
        Aggregator::Auto => {
            let Some(first) = listed.first() else {
                return (Vec::new(), false);
            };
            let sdk = sdk_config(&target(first)).await;
            let fallback = |why: String| {
                format!(
                    "aws/{name}: aggregator = \"auto\": {why}; polling the {} listed Region(s) one by one",
                    listed.len()
                )
            };
            match crate::sources::aws_aggregator::home_region(&sdk, a.api).await {
                Ok(Some(home)) => {
                    tracing::info!(
                        "aws/{name}: finding aggregator in {home}: one source reads the organisation there"
                    );
                    (vec![home], true)
                }
                Ok(None) => {
                    let n = fallback(format!("no finding aggregator (asked in {first})"));
                    tracing::warn!("{n}");
                    notices.push(n);
                    (listed.to_vec(), false)
                }
                Err(e) => {
                    let n = fallback(format!(
                        "cannot ask for the finding aggregator in {first} ({e})"
                    ));
                    tracing::warn!("{n}");
                    notices.push(n);
                    (listed.to_vec(), false)
                }
            }
        }
    }
}

/// Azure subscriptions, GCP parents, SARIF paths and GitHub repositories from the config.
async fn other_clouds(cfg: &Config) -> anyhow::Result<Vec<Arc<dyn Source>>> {
    let mut out: Vec<Arc<dyn Source>> = Vec::new();
    for a in &cfg.azure {
        out.extend(crate::sources::azure::sources(a, &cfg.poll).await?);
    }
    for g in &cfg.gcp {
        out.extend(crate::sources::gcp::sources(g, &cfg.poll).await?);
    }
    for s in &cfg.sarif {
        out.extend(crate::sources::sarif::sources(s).await?);
    }
    for g in &cfg.github {
        out.extend(crate::sources::github::sources(g, &cfg.poll).await?);
    }
    Ok(out)
}

fn demo(notice: Option<String>) -> Setup {
    let mut sources = DemoFleet::standard().sources();
    // One in-memory Automation for the whole demo: runs take a few seconds and succeed.
    // Runbooks are SSM Automation: only the AWS part of the fleet has them.
    let automation: Arc<dyn Automation> = Arc::new(MemoryAutomation::new(4_000));
    let automations = sources
        .iter()
        .map(|s| (s.info().key.clone(), automation.clone()))
        .collect();
    sources.extend(crate::sources::demo::clouds::sources(crate::model::now_ms()));
    // Organisation scale on demand: N more findings from one generated source.
    if let Some(n) = std::env::var("AGENT_HUBBLE_DEMO_FINDINGS")
        .ok()
        .and_then(|v| v.trim().replace(['_', ','], "").parse::<usize>().ok())
        .filter(|&n| n > 0)
    {
        sources.push(Arc::new(crate::sources::demo::scale::ScaleSource::new(n)));
    }
    Setup {
        sources,
        automations,
        targets: Arc::new(Targets::Fixed(automation)),
        base: None,
        controls: None,
        demo: true,
        notice,
    }
}

/// The SQLite store: configured, else the data dir (the demo keeps its own file).
pub fn store_path(cfg: &Config, paths: &Paths, demo: bool) -> PathBuf {
    if demo {
        return paths.data_dir.join("demo.db");
    }
    cfg.store
        .path
        .clone()
        .unwrap_or_else(|| paths.data_dir.join("hubble.db"))
}

/// The audit log: configured, else the data dir (the demo keeps its own, as its own store
/// anchors it).
pub fn audit_path(cfg: &Config, paths: &Paths, demo: bool) -> PathBuf {
    if demo {
        return paths.data_dir.join("demo-audit.jsonl");
    }
    cfg.store
        .audit_log
        .clone()
        .unwrap_or_else(|| paths.data_dir.join("audit.jsonl"))
}

/// Opens the audit log, anchored in the store, keyed when the config says so.
pub fn open_audit(
    cfg: &Config,
    paths: &Paths,
    demo: bool,
) -> Result<crate::audit::AuditLog, String> {
    let key = cfg.store.audit_key()?;
    let path = audit_path(cfg, paths, demo);
    crate::audit::AuditLog::open(&path, Some(&store_path(cfg, paths, demo)), key)
        .map_err(|e| format!("audit log {}: {e}", path.display()))
}

/// `user@host`, shown on notes and in the audit log.
pub fn local_actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(passwd_name)
        .unwrap_or_else(|| "unknown".into());
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    if host.is_empty() {
        user
    } else {
        format!("{user}@{host}")
    }
}

/// The login name of our uid from /etc/passwd (for sessions without $USER).
fn passwd_name() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find(|l| l.starts_with("Uid:"))?
        .split_whitespace()
        .nth(1)?
        .to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() > 2 && f[2] == uid).then(|| f[0].to_string())
    })
}

/// Logs go to a file in the state dir: the terminal belongs to the UI.
pub fn init_logging(paths: &Paths) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    std::fs::create_dir_all(&paths.state_dir).ok()?;
    // Our own 0600 file: the log names findings, accounts and identities.
    let path = paths.state_dir.join("agent-hubble.log");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&path)
        .ok()?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("AGENT_HUBBLE_LOG").unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new("info,aws_config=warn,aws_smithy_runtime=warn")
        });
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(guard)
}
