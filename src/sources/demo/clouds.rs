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

fn ago(now: i64, hours: i64) -> String {
    format_rfc3339(now - hours * HOUR)
}

fn azure_docs(sub: &str, i: usize, now: i64) -> Vec<Doc> {
    let rg = format!("/subscriptions/{sub}/resourceGroups/rg-{}", i + 1);
    let mut out = Vec::new();
    let alerts = [
        (
            "High",
            "VM_SuspiciousActivity",
            "Suspicious PowerShell activity detected",
            "vm-web-01",
            "Active",
        ),
        (
            "Medium",
            "SQL.DB_BruteForce",
            "Brute force attempt on SQL server",
            "sql-main",
            "Active",
        ),
        (
            "High",
            "Storage.Blob_AnonymousAccessAnomaly",
            "Unusual anonymous access to a storage account",
            "stcorpdata",
            "InProgress",
        ),
        (
            "Low",
            "VM_EICAR",
            "Azure Security Center test alert (not a threat)",
            "vm-test",
            "Resolved",
        ),
    ];
    for (n, (sev, atype, title, res, status)) in alerts.iter().enumerate() {
        let rid = format!("{rg}/providers/Microsoft.Compute/virtualMachines/{res}");
        let at = ago(now, (n as i64 + 1) * 7 + i as i64 * 3);
        out.push(Doc {
            json: json!({
                "id": format!("{rg}/providers/Microsoft.Security/locations/westeurope/alerts/2518{i}{n}00000000000_DEMO"),
                "name": format!("2518{i}{n}00000000000_DEMO"),
                "type": "Microsoft.Security/Locations/alerts",
                "properties": {
                    "alertType": atype, "alertDisplayName": title, "severity": sev, "status": status,
                    "description": format!("{title} on {res}. Investigate the activity and the identity that performed it."),
                    "intent": "Execution", "compromisedEntity": res, "productName": "Microsoft Defender for Cloud",
                    "vendorName": "Microsoft", "startTimeUtc": at, "endTimeUtc": at, "timeGeneratedUtc": at,
                    "processingEndTimeUtc": at, "isIncident": false,
                    "remediationSteps": ["Review the activity log of the resource.", "Rotate credentials that may be exposed."],
                    "resourceIdentifiers": [{"type": "AzureResource", "azureResourceId": rid}],
                    "alertUri": format!("https://portal.azure.com/#blade/Microsoft_Azure_Security_AzureDefenderForData/AlertBlade/alertId/2518{i}{n}/subscriptionId/{sub}")
                }
            }),
            updated: now - (n as i64 + 1) * 7 * HOUR,
        });
    }
    let recs = [
        (
            "High",
            "Management ports should be closed on your virtual machines",
            "Unhealthy",
            "vm-web-01",
        ),
        (
            "Medium",
            "Storage accounts should restrict network access",
            "Unhealthy",
            "stcorpdata",
        ),
        (
            "High",
            "Azure Defender for SQL should be enabled",
            "Unhealthy",
            "sql-main",
        ),
        (
            "Low",
            "Diagnostic logs in Key Vault should be enabled",
            "Healthy",
            "kv-corp",
        ),
        (
            "Medium",
            "MFA should be enabled on accounts with owner permissions",
            "Healthy",
            "subscription",
        ),
    ];
    for (n, (sev, title, code, res)) in recs.iter().enumerate() {
        let rid = format!("{rg}/providers/Microsoft.Compute/virtualMachines/{res}");
        let guid = format!("00000000-0000-0000-{i:04}-{n:012}");
        out.push(Doc {
            json: json!({
                "id": format!("{rid}/providers/Microsoft.Security/assessments/{guid}"),
                "name": guid,
                "type": "Microsoft.Security/assessments",
                "properties": {
                    "displayName": title,
                    "resourceDetails": {"Source": "Azure", "Id": rid},
                    "status": {"code": code, "statusChangeDate": ago(now, 30 + n as i64), "firstEvaluationDate": ago(now, 400)},
                    "metadata": {
                        "displayName": title, "severity": sev, "assessmentType": "BuiltIn",
                        "description": format!("{title}. Defender for Cloud evaluates this for every resource in scope."),
                        "remediationDescription": "Open the recommendation in Defender for Cloud and apply the quick fix, or change the resource's configuration.",
                        "categories": ["Compute"], "userImpact": "Low", "implementationEffort": "Low", "threats": ["dataExfiltration"]
                    },
                    "links": {"azurePortalUri": format!("https://portal.azure.com/#blade/Microsoft_Azure_Security/RecommendationsBlade/assessmentKey/{guid}")}
                }
            }),
            updated: now - (30 + n as i64) * HOUR,
        });
    }
    out
}

fn gcp_docs(project: &str, i: usize, now: i64) -> Vec<Doc> {
    let rows = [
        (
            "CRITICAL",
            "PUBLIC_BUCKET_ACL",
            "storage.googleapis.com/Bucket",
            "ACTIVE",
            "UNMUTED",
            "cis",
        ),
        (
            "HIGH",
            "OPEN_FIREWALL",
            "compute.googleapis.com/Firewall",
            "ACTIVE",
            "UNMUTED",
            "cis",
        ),
        (
            "HIGH",
            "SQL_PUBLIC_IP",
            "sqladmin.googleapis.com/Instance",
            "ACTIVE",
            "UNMUTED",
            "pci",
        ),
        (
            "MEDIUM",
            "MFA_NOT_ENFORCED",
            "cloudresourcemanager.googleapis.com/Organization",
            "ACTIVE",
            "MUTED",
            "cis",
        ),
        (
            "LOW",
            "FLOW_LOGS_DISABLED",
            "compute.googleapis.com/Subnetwork",
            "INACTIVE",
            "UNMUTED",
            "cis",
        ),
    ];
    rows.iter()
        .enumerate()
        .map(|(n, (sev, cat, rtype, state, mute, std))| {
            let short = rtype.rsplit('/').next().unwrap_or("r").to_lowercase();
            let resource = format!("//{}/projects/{project}/{short}s/{short}-{n}", rtype.split('/').next().unwrap_or(""));
            let at = ago(now, (n as i64 + 2) * 5 + i as i64);
            let name = format!("projects/{project}/sources/1234567890/locations/global/findings/demo{i}{n:04}");
            Doc {
                json: json!({
                    "finding": {
                        "name": name, "canonicalName": name,
                        "parent": format!("projects/{project}/sources/1234567890/locations/global"),
                        "resourceName": resource, "state": state, "category": cat, "severity": sev, "mute": mute,
                        "findingClass": "MISCONFIGURATION", "eventTime": at, "createTime": ago(now, 200 + n as i64),
                        "description": format!("{cat} found on a {short} in {project}."),
                        "nextSteps": "Change the resource's configuration as the recommendation says; see the CIS benchmark control.",
                        "sourceProperties": {"Recommendation": "Remove public access and re-run the scan.", "Explanation": "Publicly reachable resources can be found and attacked."},
                        "compliances": [{"standard": std, "version": if *std == "cis" { "2.0" } else { "4.0" }, "ids": [format!("{}.{}", n + 1, i + 1)]}],
                        "externalUri": format!("https://console.cloud.google.com/security/command-center/findings?project={project}"),
                        "parentDisplayName": "Security Health Analytics"
                    },
                    "resource": {
                        "name": resource, "type": rtype, "location": "europe-west1",
                        "gcpMetadata": {"project": format!("//cloudresourcemanager.googleapis.com/projects/{project}"), "projectDisplayName": project}
                    }
                }),
                updated: now - (n as i64 + 2) * 5 * HOUR,
            }
        })
        .collect()
}

fn github_docs(now: i64) -> Vec<Doc> {
    let rows = [
        (
            "critical",
            "py/sql-injection",
            "Database query built from user-controlled sources",
            "api/db/users.py",
            42,
        ),
        (
            "high",
            "py/path-injection",
            "Uncontrolled data used in path expression",
            "api/files/download.py",
            17,
        ),
        (
            "medium",
            "py/clear-text-logging-sensitive-data",
            "Clear-text logging of sensitive information",
            "api/auth/login.py",
            88,
        ),
        (
            "low",
            "py/flask-debug",
            "Flask app is run in debug mode",
            "api/main.py",
            9,
        ),
    ];
    rows.iter()
        .enumerate()
        .map(|(n, (sev, rule, title, path, line))| {
            let at = ago(now, (n as i64 + 1) * 11);
            Doc {
                json: json!({
                    "number": n + 1,
                    "created_at": ago(now, 300 + n as i64), "updated_at": at,
                    "html_url": format!("https://github.com/{GITHUB_REPO}/security/code-scanning/{}", n + 1),
                    "state": "open", "fixed_at": null, "dismissed_by": null, "dismissed_at": null,
                    "dismissed_reason": null, "dismissed_comment": null,
                    "rule": {"id": rule, "name": rule, "severity": "error", "security_severity_level": sev,
                             "description": title, "full_description": format!("{title}."), "tags": ["security", "external/cwe/cwe-089"],
                             "help": "Use the database driver's parameters instead of building query text."},
                    "tool": {"name": "CodeQL", "version": "2.19.0"},
                    "most_recent_instance": {"ref": "refs/heads/main", "commit_sha": "4f1c0ffee4f1c0ffee4f1c0ffee4f1c0ffee4f1c0",
                        "message": {"text": format!("{title}.")}, "location": {"path": path, "start_line": line, "end_line": line},
                        "classifications": []},
                    "repository": {"full_name": GITHUB_REPO}
                }),
                updated: now - (n as i64 + 1) * 11 * HOUR,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
