//! The embedded demo fleet: several accounts, regions and products, alive (findings arrive
//! and resolve), so every screen can be tried without a cloud account. It produces ASFF JSON
//! and goes through the same normaliser as Security Hub.

use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use super::{
    NormalizedPage, Query, RateLimit, Source, SourceError, SourceInfo, WorkflowOutcome,
    WorkflowUpdate, asff,
};
use crate::model::{Provider, format_rfc3339, now_ms};

pub const ACCOUNTS: [(&str, &str); 4] = [
    ("111111111111", "prod"),
    ("222222222222", "staging"),
    ("333333333333", "security"),
    ("444444444444", "dev"),
];
pub const REGIONS: [&str; 3] = ["us-east-1", "eu-west-1", "ap-southeast-2"];

mod catalog;
pub mod clouds;
pub mod scale;

/// Controls that fail somewhere in the demo fleet.
const PROBLEM_CONTROLS: [&str; 7] = [
    "S3.2", "S3.8", "EC2.19", "IAM.8", "RDS.2", "KMS.4", "EC2.13",
];

use catalog::{CONTROLS, THREATS};

struct Fleet {
    rng: StdRng,
    /// ASFF documents, one per finding.
    findings: Vec<Value>,
    next_seq: u64,
    last_evolve: i64,
    /// Milliseconds between life events (a new finding, a resolution).
    tempo_ms: i64,
}

/// Shared state behind every demo source.
#[derive(Clone)]
pub struct DemoFleet(Arc<Mutex<Fleet>>);

fn severity_json(label: &str, rng: &mut StdRng) -> Value {
    let n = match label {
        "CRITICAL" => rng.random_range(90..=100),
        "HIGH" => rng.random_range(70..=89),
        "MEDIUM" => rng.random_range(40..=69),
        "LOW" => rng.random_range(1..=39),
        _ => 0,
    };
    // Some products send only Normalized; the console derives the label.
    if rng.random_bool(0.15) {
        json!({ "Normalized": n })
    } else {
        json!({ "Label": label, "Normalized": n, "Original": label })
    }
}

/// Resource details some playbooks read (`{details:…}` placeholders).
fn details(rtype: &str, seq: u64) -> Value {
    match rtype {
        "AwsRdsDbInstance" => {
            json!({"AwsRdsDbInstance": {"DbiResourceId": format!("db-{seq:026X}"), "PubliclyAccessible": true}})
        }
        "AwsIamUser" => {
            json!({"AwsIamUser": {"UserId": format!("AIDA{seq:017X}"), "UserName": format!("user-{seq}")}})
        }
        _ => json!({}),
    }
}

impl Fleet {
    fn pick_place(&mut self) -> (&'static str, &'static str) {
        let a = ACCOUNTS[self.rng.random_range(0..ACCOUNTS.len())].0;
        let r = REGIONS[self.rng.random_range(0..REGIONS.len())];
        (a, r)
    }

    fn control_finding(&mut self, idx: usize, account: &str, region: &str, at: i64) -> Value {
        let (control, title, rtype, stem, sev, standards) = CONTROLS[idx];
        let seq = self.next_seq;
        self.next_seq += 1;
        // A few problem controls fail here and there; the rest pass everywhere, so the score
        // is a believable ~60% and moves as findings resolve.
        let failed = PROBLEM_CONTROLS.contains(&control) && self.rng.random_bool(0.35);
        let rid = match rtype {
            "AwsAccount" => format!("AWS::::Account:{account}"),
            "AwsS3Bucket" => format!("arn:aws:s3:::{stem}-{account}-{seq}"),
            "AwsEc2SecurityGroup" => {
                format!("arn:aws:ec2:{region}:{account}:security-group/sg-{seq:017x}")
            }
            "AwsEc2Instance" => format!("arn:aws:ec2:{region}:{account}:instance/i-{seq:017x}"),
            "AwsIamUser" => format!("arn:aws:iam::{account}:user/{stem}-{seq}"),
            "AwsCloudTrailTrail" => {
                format!("arn:aws:cloudtrail:{region}:{account}:trail/{stem}-{seq}")
            }
            "AwsKmsKey" => format!(
                "arn:aws:kms:{region}:{account}:key/0000{seq:04x}-demo-4000-8000-{seq:012x}"
            ),
            "AwsRdsDbInstance" => format!("arn:aws:rds:{region}:{account}:db:{stem}-{seq}"),
            "AwsSnsTopic" => format!("arn:aws:sns:{region}:{account}:{stem}-{seq}"),
            "AwsLambdaFunction" => {
                format!("arn:aws:lambda:{region}:{account}:function:{stem}-{seq}")
            }
            _ => format!(
                "arn:aws:{}:{region}:{account}:{stem}/{stem}-{seq:05x}",
                rtype.trim_start_matches("Aws").to_ascii_lowercase()
            ),
        };
        let status = if failed { "FAILED" } else { "PASSED" };
        let label = if failed { sev } else { "INFORMATIONAL" };
        let created = at - self.rng.random_range(0..90) * 86_400_000;
        json!({
            "SchemaVersion": "2018-10-08",
            "Id": format!("arn:aws:securityhub:{region}:{account}:security-control/{control}/finding/demo-{seq:06}"),
            "ProductArn": format!("arn:aws:securityhub:{region}::product/aws/securityhub"),
            "ProductName": "Security Hub",
            "CompanyName": "AWS",
            "GeneratorId": format!("security-control/{control}"),
            "AwsAccountId": account,
            "Region": region,
            "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
            "CreatedAt": format_rfc3339(created),
            "UpdatedAt": format_rfc3339(at),
            "FirstObservedAt": format_rfc3339(created),
            "LastObservedAt": format_rfc3339(at),
            "Severity": severity_json(label, &mut self.rng),
            "Title": format!("{control} {title}"),
            "Description": format!("This control checks whether {}. It fails when the resource does not meet the requirement.", title.to_lowercase()),
            "Remediation": {"Recommendation": {
                "Text": format!("For information on how to correct this issue, consult the AWS Security Hub controls documentation for {control}."),
                "Url": format!("https://docs.aws.amazon.com/console/securityhub/{control}/remediation"),
            }},
            "ProductFields": {"aws/securityhub/ProductName": "Security Hub", "aws/securityhub/CompanyName": "AWS", "ControlId": control},
            "Resources": [{"Type": rtype, "Id": rid, "Partition": "aws", "Region": region,
                           "Tags": {"env": ACCOUNTS.iter().find(|a| a.0 == account).map_or("x", |a| a.1), "owner": "team-a"},
                           "Details": details(rtype, seq)}],
            "Compliance": {"Status": status, "SecurityControlId": control,
                           "AssociatedStandards": standards.iter().map(|s| json!({"StandardsId": s})).collect::<Vec<_>>(),
                           "RelatedRequirements": ["NIST.800-53.r5 AC-3", "NIST.800-53.r5 SC-7"]},
            "Workflow": {"Status": if failed { "NEW" } else { "RESOLVED" }},
            "RecordState": "ACTIVE",
        })
    }

    fn threat_finding(&mut self, idx: usize, account: &str, region: &str, at: i64) -> Value {
        let (product, company, arn, ftype, title, rtype, sev) = THREATS[idx];
        let seq = self.next_seq;
        self.next_seq += 1;
        let created = at - self.rng.random_range(0..14 * 24) * 3_600_000;
        json!({
            "SchemaVersion": "2018-10-08",
            "Id": format!("arn:aws:{}:{region}:{account}:finding/demo-{seq:06}", arn.split('/').nth(1).unwrap_or("x")),
            "ProductArn": format!("arn:aws:securityhub:{region}::product/{arn}"),
            "ProductName": product,
            "CompanyName": company,
            "GeneratorId": format!("{product}-{}", ftype.rsplit('/').next().unwrap_or("")),
            "AwsAccountId": account,
            "Region": region,
            "Types": [ftype],
            "CreatedAt": format_rfc3339(created),
            "UpdatedAt": format_rfc3339(at),
            "Severity": severity_json(sev, &mut self.rng),
            "Title": title,
            "Description": format!("{product} reported: {title}."),
            "Resources": [{"Type": rtype, "Id": format!("arn:aws:ec2:{region}:{account}:instance/i-{seq:017x}"), "Partition": "aws", "Region": region}],
            "Workflow": {"Status": "NEW"},
            "RecordState": "ACTIVE",
        })
    }

    fn spawn_one(&mut self, at: i64) {
        let (account, region) = self.pick_place();
        let f = if self.rng.random_bool(0.6) {
            let i = self.rng.random_range(0..CONTROLS.len());
            self.control_finding(i, account, region, at)
        } else {
            let i = self.rng.random_range(0..THREATS.len());
            self.threat_finding(i, account, region, at)
        };
        self.findings.push(f);
    }

    /// Resolves one open finding: controls pass, threats get archived.
    fn resolve_one(&mut self, at: i64) {
        let open: Vec<usize> = (0..self.findings.len())
            .filter(|&i| {
                let f = &self.findings[i];
                f["RecordState"] == "ACTIVE" && f["Workflow"]["Status"] == "NEW"
            })
            .collect();
        if open.is_empty() {
            return;
        }
        let i = open[self.rng.random_range(0..open.len())];
        let f = &mut self.findings[i];
        f["UpdatedAt"] = json!(format_rfc3339(at));
        if f.get("Compliance").is_some() {
            f["Compliance"]["Status"] = json!("PASSED");
            f["Severity"] = json!({"Label": "INFORMATIONAL", "Normalized": 0});
            f["Workflow"]["Status"] = json!("RESOLVED");
        } else {
            f["RecordState"] = json!("ARCHIVED");
        }
    }

    fn evolve(&mut self, now: i64) {
        let steps = ((now - self.last_evolve) / self.tempo_ms).clamp(0, 50);
        for k in 0..steps {
            let at = self.last_evolve + (k + 1) * self.tempo_ms;
            if self.rng.random_bool(0.65) {
                self.spawn_one(at);
            } else {
                self.resolve_one(at);
            }
        }
        if steps > 0 {
            self.last_evolve = now;
        }
    }
}

impl DemoFleet {
    /// A fleet of roughly `size` findings as of `now`, reproducible for a given seed.
    pub fn new(seed: u64, size: usize, now: i64) -> Self {
        let mut fleet = Fleet {
            rng: StdRng::seed_from_u64(seed),
            findings: Vec::with_capacity(size),
            next_seq: 1,
            last_evolve: now,
            tempo_ms: 8_000,
        };
        // Every control appears in every account × region at least once, so posture has data.
        for (account, _) in ACCOUNTS {
            for region in REGIONS {
                for i in 0..CONTROLS.len() {
                    if fleet.findings.len() < size {
                        let at = now - fleet.rng.random_range(1..72) * 3_600_000;
                        let f = fleet.control_finding(i, account, region, at);
                        fleet.findings.push(f);
                    }
                }
            }
        }
        while fleet.findings.len() < size {
            let at = now - fleet.rng.random_range(1..72) * 3_600_000;
            fleet.spawn_one(at);
        }
        DemoFleet(Arc::new(Mutex::new(fleet)))
    }

    /// The standard demo: a few hundred findings, alive.
    pub fn standard() -> Self {
        Self::new(0x4855_4242, 420, now_ms())
    }

    /// How often a life event happens (tests speed it up, benchmarks stop it).
    pub fn set_tempo_ms(&self, ms: i64) {
        self.0.lock().expect("demo lock").tempo_ms = ms.max(1);
    }

    pub fn len(&self) -> usize {
        self.0.lock().expect("demo lock").findings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// One source per account × region, like a real multi-account configuration.
    pub fn sources(&self) -> Vec<Arc<dyn Source>> {
        let mut out: Vec<Arc<dyn Source>> = Vec::new();
        for (account, name) in ACCOUNTS {
            for region in REGIONS {
                out.push(Arc::new(DemoSource {
                    info: SourceInfo {
                        key: format!("demo/{name}/{region}"),
                        provider: Provider::Demo,
                        name: name.to_string(),
                        region: region.to_string(),
                    },
                    account: account.to_string(),
                    fleet: self.clone(),
                }));
            }
        }
        out
    }

    /// The whole fleet as one GetFindings-shaped body (for benchmarks and tests).
    pub fn body(&self) -> Vec<u8> {
        let fleet = self.0.lock().expect("demo lock");
        serde_json::to_vec(&json!({ "Findings": fleet.findings })).expect("demo JSON")
    }
}

pub struct DemoSource {
    info: SourceInfo,
    account: String,
    fleet: DemoFleet,
}

const DEMO_PAGE: usize = 100;

impl DemoSource {
    fn page(&self, query: &Query, token: Option<String>) -> Result<NormalizedPage, SourceError> {
        let offset: usize = match token {
            Some(t) => t
                .parse()
                .map_err(|_| SourceError::Other(format!("bad NextToken {t:?}")))?,
            None => 0,
        };
        let mut fleet = self.fleet.0.lock().expect("demo lock");
        fleet.evolve(now_ms());
        let mut mine: Vec<&Value> = fleet
            .findings
            .iter()
            .filter(|f| {
                f["AwsAccountId"] == self.account.as_str()
                    && f["Region"] == self.info.region.as_str()
            })
            .filter(|f| match query {
                Query::Full {
                    include_archived, ..
                } => *include_archived || f["RecordState"] == "ACTIVE",
                Query::UpdatedSince(t) => f["UpdatedAt"]
                    .as_str()
                    .and_then(crate::model::parse_timestamp)
                    .is_some_and(|u| u >= *t),
            })
            .collect();
        if matches!(query, Query::UpdatedSince(_)) {
            mine.sort_by_key(|f| f["UpdatedAt"].as_str().unwrap_or("").to_string());
        }
        let end = (offset + DEMO_PAGE).min(mine.len());
        let next = (end < mine.len()).then(|| end.to_string());
        let body = json!({ "Findings": mine.get(offset..end).unwrap_or(&[]), "NextToken": next });
        drop(fleet);
        let bytes = serde_json::to_vec(&body).map_err(|e| SourceError::Other(e.to_string()))?;
        let mut page = asff::normalize_page(&bytes, &self.info.key)
            .map_err(|e| SourceError::Other(e.to_string()))?;
        // Same ASFF as Security Hub, but never to be mistaken for real data.
        for n in &mut page.items {
            n.finding.provider = Provider::Demo;
        }
        Ok(page)
    }

    fn apply(&self, update: &WorkflowUpdate) -> WorkflowOutcome {
        let mut fleet = self.fleet.0.lock().expect("demo lock");
        let mut out = WorkflowOutcome::default();
        let now = format_rfc3339(now_ms());
        for r in &update.findings {
            // Like BatchUpdateFindings: UpdatedAt is left alone.
            match fleet.findings.iter_mut().find(|f| f["Id"] == r.id.as_str()) {
                Some(f) => {
                    f["Workflow"] = json!({ "Status": update.status.as_str() });
                    if let Some(text) = &update.note {
                        f["Note"] =
                            json!({"Text": text, "UpdatedBy": update.actor, "UpdatedAt": now});
                    }
                    out.processed.push(r.id.clone());
                }
                None => out.unprocessed.push((
                    r.id.clone(),
                    "FindingNotFound".into(),
                    "no such finding in the demo fleet".into(),
                )),
            }
        }
        out
    }
}

impl Source for DemoSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn fetch_page<'a>(
        &'a self,
        query: &'a Query,
        token: Option<String>,
    ) -> BoxFuture<'a, Result<NormalizedPage, SourceError>> {
        Box::pin(async move { self.page(query, token) })
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
}

#[cfg(test)]
mod tests;
