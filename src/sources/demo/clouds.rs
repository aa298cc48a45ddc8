//! The demo fleet's other clouds: two Azure subscriptions (Defender alerts, recommendations
//! and a secure score), two GCP projects (SCC v2 findings) and one GitHub repository (code
//! scanning). Each keeps its documents in the provider's own JSON and goes through the same
//! normaliser as the real source, so the demo shows what a real Azure, GCP or GitHub finding
//! looks like, notes kept in the store, GitHub's dismiss reasons and all.

use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use serde_json::{Value, json};

use crate::model::{Cloud, Provider, Workflow, format_rfc3339};
use crate::sources::{
    NormalizedPage, ProviderControlScore, ProviderScore, Query, RateLimit, Source, SourceError,
    SourceInfo, WorkflowOutcome, WorkflowUpdate, azure, gcp, github,
};

pub const AZURE_SUBSCRIPTIONS: [(&str, &str); 2] = [
    ("00000000-0000-0000-0000-00000000a001", "corp-prod"),
    ("00000000-0000-0000-0000-00000000a002", "corp-dev"),
];
pub const GCP_PROJECTS: [&str; 2] = ["acme-prod", "acme-data"];
pub const GITHUB_REPO: &str = "acme/api";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Azure,
    Gcp,
    Github,
}

/// One document: its JSON and when it last changed (for incremental reads).
struct Doc {
    json: Value,
    updated: i64,
}

pub struct CloudDemoSource {
    info: SourceInfo,
    kind: Kind,
    /// The subscription, project or repository.
    scope: String,
    docs: Mutex<Vec<Doc>>,
    /// When the last life event happened (a finding arrived or resolved) and how many so far.
    life: Mutex<(i64, u64)>,
}

/// Time between life events of one source: with five of them, something happens every
/// ten seconds or so.
const TEMPO_MS: i64 = 50_000;

const HOUR: i64 = 3_600_000;

/// Every other-cloud demo source, their documents dated relative to `now`.
pub fn sources(now: i64) -> Vec<Arc<dyn Source>> {
    typed(now)
        .into_iter()
        .map(|s| s as Arc<dyn Source>)
        .collect()
}

fn typed(now: i64) -> Vec<Arc<CloudDemoSource>> {
    let mut out: Vec<Arc<CloudDemoSource>> = Vec::new();
    for (i, (sub, name)) in AZURE_SUBSCRIPTIONS.iter().enumerate() {
        out.push(Arc::new(CloudDemoSource::new(
            Kind::Azure,
            Provider::AzureDefender,
            format!("demo/azure/{name}"),
            name,
            "global",
            sub,
            azure_docs(sub, i, now),
        )));
    }
    for (i, project) in GCP_PROJECTS.iter().enumerate() {
        out.push(Arc::new(CloudDemoSource::new(
            Kind::Gcp,
            Provider::GcpScc,
            format!("demo/gcp/{project}"),
            project,
            "global",
            project,
            gcp_docs(project, i, now),
        )));
    }
    out.push(Arc::new(CloudDemoSource::new(
        Kind::Github,
        Provider::GithubCodeScanning,
        format!("demo/github/{GITHUB_REPO}"),
        GITHUB_REPO,
        "-",
        GITHUB_REPO,
        github_docs(now),
    )));
    out
}

impl CloudDemoSource {
    fn new(
        kind: Kind,
        provider: Provider,
        key: String,
        name: &str,
        region: &str,
        scope: &str,
        docs: Vec<Doc>,
    ) -> Self {
        CloudDemoSource {
            info: SourceInfo {
                key,
                provider,
                name: name.to_string(),
                region: region.to_string(),
            },
            kind,
            scope: scope.to_string(),
            docs: Mutex::new(docs),
            life: Mutex::new((crate::model::now_ms(), 0)),
        }
    }

    /// The fleet is alive: alternately a new finding arrives (a copy of one of its kind,
    /// dated now) and an open one is resolved (fixed on GitHub, resolved in Defender,
    /// INACTIVE in SCC), as the provider would report them.
    fn evolve(&self, now: i64) {
        let mut life = self.life.lock().expect("demo lock");
        if now - life.0 < TEMPO_MS {
            return;
        }
        life.0 = now;
        life.1 += 1;
        let n = life.1;
        let stamp = format_rfc3339(now);
        let mut docs = self.docs.lock().expect("demo lock");
        if n % 2 == 1 && docs.len() < 40 {
            let template = docs.iter().find(|d| match self.kind {
                Kind::Azure => d.json["id"]
                    .as_str()
                    .is_some_and(|i| i.contains("/alerts/")),
                _ => true,
            });
            let Some(mut j) = template.map(|d| d.json.clone()) else {
                return;
            };
            match self.kind {
                Kind::Azure => {
                    let id = format!("{}-{n}", j["id"].as_str().unwrap_or(""));
                    j["name"] = json!(id.rsplit('/').next().unwrap_or(""));
                    j["id"] = json!(id);
                    let p = &mut j["properties"];
                    p["status"] = json!("Active");
                    for k in [
                        "startTimeUtc",
                        "endTimeUtc",
                        "timeGeneratedUtc",
                        "processingEndTimeUtc",
                    ] {
                        p[k] = json!(stamp);
                    }
                }
                Kind::Gcp => {
                    let f = &mut j["finding"];
                    let name = format!("{}n{n}", f["name"].as_str().unwrap_or(""));
                    f["name"] = json!(name);
                    f["canonicalName"] = json!(name);
                    f["state"] = json!("ACTIVE");
                    f["mute"] = json!("UNMUTED");
                    f["eventTime"] = json!(stamp);
                    f["createTime"] = json!(stamp);
                }
                Kind::Github => {
                    let number = 100 + n;
                    j["number"] = json!(number);
                    j["html_url"] = json!(format!(
                        "https://github.com/{GITHUB_REPO}/security/code-scanning/{number}"
                    ));
                    j["state"] = json!("open");
                    j["created_at"] = json!(stamp);
                    j["updated_at"] = json!(stamp);
                }
            }
            docs.push(Doc {
                json: j,
                updated: now,
            });
        } else if let Some(d) = docs.iter_mut().find(|d| match self.kind {
            Kind::Azure => d.json["properties"]["status"] == "Active",
            Kind::Gcp => d.json["finding"]["state"] == "ACTIVE",
            Kind::Github => d.json["state"] == "open",
        }) {
            let j = &mut d.json;
            match self.kind {
                Kind::Azure => {
                    j["properties"]["status"] = json!("Resolved");
                    j["properties"]["processingEndTimeUtc"] = json!(stamp);
                }
                Kind::Gcp => {
                    j["finding"]["state"] = json!("INACTIVE");
                    j["finding"]["eventTime"] = json!(stamp);
                }
                Kind::Github => {
                    j["state"] = json!("fixed");
                    j["fixed_at"] = json!(stamp);
                    j["updated_at"] = json!(stamp);
                }
            }
            d.updated = now;
        }
    }

    fn page(&self, query: &Query) -> Result<NormalizedPage, SourceError> {
        self.evolve(crate::model::now_ms());
        let docs = self.docs.lock().expect("demo lock");
        let wanted: Vec<&Value> = docs
            .iter()
            .filter(|d| match query {
                Query::Full { .. } => true,
                Query::UpdatedSince(t) => d.updated >= *t,
            })
            .map(|d| &d.json)
            .collect();
        let key = &self.info.key;
        let page = match self.kind {
            Kind::Azure => {
                let body = serde_json::to_vec(&json!({ "value": wanted })).expect("demo JSON");
                let ctx = azure::normalize::Ctx::new(key, &self.scope, crate::model::now_ms());
                let mut page =
                    azure::normalize::normalize_page(&body, &ctx, azure::normalize::Kind::Any)
                        .map_err(SourceError::Other)?;
                // As `[accounts]` in the config would name the subscription.
                let name = crate::model::intern(&self.info.name);
                for n in &mut page.items {
                    n.finding.account_name = Some(name.clone());
                }
                page
            }
            Kind::Gcp => {
                let body = serde_json::to_vec(&json!({ "listFindingsResults": wanted }))
                    .expect("demo JSON");
                gcp::normalize::normalize_page(&body, key)
                    .map_err(|e| SourceError::Other(e.to_string()))?
            }
            Kind::Github => {
                let body = serde_json::to_vec(&wanted).expect("demo JSON");
                github::normalize_page(&body, key, Some(&self.scope))
                    .map_err(|e| SourceError::Other(e.to_string()))?
            }
        };
        Ok(page)
    }

    /// Changes the document as the provider's API would; what the API refuses, refused alike.
    fn apply(&self, u: &WorkflowUpdate) -> WorkflowOutcome {
        let mut out = WorkflowOutcome::default();
        let now = crate::model::now_ms();
        let stamp = format_rfc3339(now);
        let mut docs = self.docs.lock().expect("demo lock");
        for r in &u.findings {
            let Some(doc) = docs.iter_mut().find(|d| doc_id(self.kind, &d.json) == r.id) else {
                out.unprocessed.push((
                    r.id.clone(),
                    "NotFound".into(),
                    "no such finding in the demo fleet".into(),
                ));
                continue;
            };
            let j = &mut doc.json;
            match self.kind {
                Kind::Azure if r.id.contains("/assessments/") => {
                    out.unprocessed.push((
                        r.id.clone(),
                        "RecommendationStateIsComputed".into(),
                        "Defender recommendations change state when the resource is fixed; they cannot be set from the console".into(),
                    ));
                    continue;
                }
                Kind::Azure => {
                    j["properties"]["status"] = json!(match u.status {
                        Workflow::New => "Active",
                        Workflow::Notified => "InProgress",
                        Workflow::Resolved => "Resolved",
                        Workflow::Suppressed => "Dismissed",
                    });
                    j["properties"]["processingEndTimeUtc"] = json!(stamp);
                }
                Kind::Gcp => {
                    let f = &mut j["finding"];
                    match u.status {
                        Workflow::Resolved => f["state"] = json!("INACTIVE"),
                        Workflow::Suppressed => f["mute"] = json!("MUTED"),
                        Workflow::New | Workflow::Notified => {
                            f["state"] = json!("ACTIVE");
                            f["mute"] = json!("UNMUTED");
                        }
                    }
                    f["eventTime"] = json!(stamp);
                }
                Kind::Github => match u.status {
                    Workflow::Resolved | Workflow::Suppressed => {
                        j["state"] = json!("dismissed");
                        j["dismissed_reason"] =
                            json!(u.reason.clone().unwrap_or_else(|| "won't fix".into()));
                        j["dismissed_comment"] = json!(u.note.clone());
                        j["dismissed_at"] = json!(stamp);
                        j["dismissed_by"] = json!({ "login": u.actor });
                        j["updated_at"] = json!(stamp);
                    }
                    Workflow::New | Workflow::Notified => {
                        j["state"] = json!("open");
                        j["dismissed_reason"] = Value::Null;
                        j["dismissed_at"] = Value::Null;
                        j["updated_at"] = json!(stamp);
                    }
                },
            }
            doc.updated = now;
            out.processed.push(r.id.clone());
        }
        out
    }

    fn secure_score(&self) -> Vec<ProviderScore> {
        if self.kind != Kind::Azure {
            return Vec::new();
        }
        let docs = self.docs.lock().expect("demo lock");
        let (mut healthy, mut unhealthy) = (0u32, 0u32);
        for d in docs.iter() {
            match d.json["properties"]["status"]["code"].as_str() {
                Some("Healthy") => healthy += 1,
                Some("Unhealthy") => unhealthy += 1,
                _ => {}
            }
        }
        let max = f64::from(healthy + unhealthy).max(1.0);
        let current = f64::from(healthy);
        vec![ProviderScore {
            cloud: Cloud::Azure,
            name: "Azure secure score".into(),
            scope: self.scope.clone(),
            scope_name: self.info.name.clone(),
            current,
            max,
            percentage: (current / max * 100.0).round(),
            controls: vec![ProviderControlScore {
                id: "demo-hardening".into(),
                name: "Secure management ports and storage".into(),
                current,
                max,
                percentage: (current / max * 100.0).round(),
                healthy,
                unhealthy,
                not_applicable: 0,
            }],
        }]
    }
}

/// The id the normaliser gives a document.
fn doc_id(kind: Kind, j: &Value) -> String {
    match kind {
        Kind::Azure => j["id"].as_str().unwrap_or("").to_string(),
        Kind::Gcp => j["finding"]["name"].as_str().unwrap_or("").to_string(),
        Kind::Github => github_id(j),
    }
}

fn github_id(j: &Value) -> String {
    j["html_url"].as_str().unwrap_or("").to_string()
}

impl Source for CloudDemoSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn fetch_page<'a>(
        &'a self,
        query: &'a Query,
        _token: Option<String>,
    ) -> BoxFuture<'a, Result<NormalizedPage, SourceError>> {
        Box::pin(async move { self.page(query) })
    }

    fn update_workflow<'a>(
        &'a self,
        update: &'a WorkflowUpdate,
    ) -> BoxFuture<'a, Result<WorkflowOutcome, SourceError>> {
        Box::pin(async move { Ok(self.apply(update)) })
    }

    fn rate_limit(&self) -> RateLimit {
        RateLimit {
            per_sec: 50.0,
            burst: 50,
        }
    }

    fn scores(&self) -> BoxFuture<'_, Result<Vec<ProviderScore>, SourceError>> {
        Box::pin(async move { Ok(self.secure_score()) })
    }
}

mod docs;
use docs::{azure_docs, gcp_docs, github_docs};

#[cfg(test)]
mod tests;
