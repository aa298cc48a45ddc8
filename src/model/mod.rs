//! The normalised finding every provider emits and every view reads.

mod time;

pub use self::time::{format_age, format_rfc3339, now_ms, parse_timestamp};

use serde::{Deserialize, Serialize};

mod text;

pub use self::text::{Text, intern};

/// A finding's character set for free-text search, computed once on first use and kept
/// with the (immutable, shared) finding: a search then rejects most findings with one AND
/// instead of scanning ten strings. Not part of the finding's value: always equal.
#[derive(Debug, Clone, Default)]
pub struct SearchMask(std::sync::OnceLock<u64>);

impl SearchMask {
    pub fn get_or_init(&self, f: impl FnOnce() -> u64) -> u64 {
        *self.0.get_or_init(f)
    }
}

impl PartialEq for SearchMask {
    fn eq(&self, _: &SearchMask) -> bool {
        true
    }
}

/// Severity label, ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Informational,
    ];

    /// ASFF rule for a missing `Label`: 0 INFORMATIONAL, 1–39 LOW, 40–69 MEDIUM, 70–89 HIGH, 90–100 CRITICAL.
    pub fn from_normalized(n: u32) -> Severity {
        match n {
            0 => Severity::Informational,
            1..=39 => Severity::Low,
            40..=69 => Severity::Medium,
            70..=89 => Severity::High,
            _ => Severity::Critical,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Informational => "INFORMATIONAL",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }

    /// Short text form used in tables: colour is never the only cue.
    pub fn short(self) -> &'static str {
        match self {
            Severity::Informational => "INFO",
            Severity::Low => "LOW",
            Severity::Medium => "MED",
            Severity::High => "HIGH",
            Severity::Critical => "CRIT",
        }
    }

    /// Accepts full names, short names and common abbreviations, any case.
    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s.to_ascii_lowercase().as_str() {
            "informational" | "info" | "i" => Severity::Informational,
            "low" | "l" => Severity::Low,
            "medium" | "med" | "m" => Severity::Medium,
            "high" | "h" => Severity::High,
            "critical" | "crit" | "c" => Severity::Critical,
            _ => return None,
        })
    }
}

/// Workflow status of a finding (ASFF `Workflow.Status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Workflow {
    New,
    Notified,
    Resolved,
    Suppressed,
}

impl Workflow {
    pub const ALL: [Workflow; 4] = [
        Workflow::New,
        Workflow::Notified,
        Workflow::Resolved,
        Workflow::Suppressed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Workflow::New => "NEW",
            Workflow::Notified => "NOTIFIED",
            Workflow::Resolved => "RESOLVED",
            Workflow::Suppressed => "SUPPRESSED",
        }
    }

    pub fn parse(s: &str) -> Option<Workflow> {
        Some(match s.to_ascii_lowercase().as_str() {
            "new" => Workflow::New,
            "notified" => Workflow::Notified,
            "resolved" => Workflow::Resolved,
            "suppressed" => Workflow::Suppressed,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RecordState {
    Active,
    Archived,
}

impl RecordState {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordState::Active => "ACTIVE",
            RecordState::Archived => "ARCHIVED",
        }
    }

    pub fn parse(s: &str) -> Option<RecordState> {
        Some(match s.to_ascii_lowercase().as_str() {
            "active" => RecordState::Active,
            "archived" => RecordState::Archived,
            _ => return None,
        })
    }
}

/// ASFF `Compliance.Status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ComplianceStatus {
    Passed,
    Warning,
    Failed,
    NotAvailable,
}

impl ComplianceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ComplianceStatus::Passed => "PASSED",
            ComplianceStatus::Warning => "WARNING",
            ComplianceStatus::Failed => "FAILED",
            ComplianceStatus::NotAvailable => "NOT_AVAILABLE",
        }
    }

    pub fn parse(s: &str) -> Option<ComplianceStatus> {
        Some(match s.to_ascii_lowercase().as_str() {
            "passed" | "pass" => ComplianceStatus::Passed,
            "warning" | "warn" => ComplianceStatus::Warning,
            "failed" | "fail" => ComplianceStatus::Failed,
            "not_available" | "notavailable" | "na" => ComplianceStatus::NotAvailable,
            _ => return None,
        })
    }
}

/// Which kind of provider produced a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Provider {
    #[serde(rename = "aws-securityhub")]
    AwsSecurityHub,
    /// The new Security Hub (OCSF, GetFindingsV2).
    #[serde(rename = "aws-securityhub-v2")]
    AwsSecurityHubV2,
    #[serde(rename = "azure-defender")]
    AzureDefender,
    #[serde(rename = "gcp-scc")]
    GcpScc,
    #[serde(rename = "sarif")]
    Sarif,
    #[serde(rename = "github-code-scanning")]
    GithubCodeScanning,
    #[serde(rename = "demo")]
    Demo,
}

impl Provider {
    pub const ALL: [Provider; 7] = [
        Provider::AwsSecurityHub,
        Provider::AwsSecurityHubV2,
        Provider::AzureDefender,
        Provider::GcpScc,
        Provider::Sarif,
        Provider::GithubCodeScanning,
        Provider::Demo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::AwsSecurityHub => "aws-securityhub",
            Provider::AwsSecurityHubV2 => "aws-securityhub-v2",
            Provider::AzureDefender => "azure-defender",
            Provider::GcpScc => "gcp-scc",
            Provider::Sarif => "sarif",
            Provider::GithubCodeScanning => "github-code-scanning",
            Provider::Demo => "demo",
        }
    }

    /// The provider keeps a note with the finding (Security Hub Note, OCSF comment). Notes
    /// for the others are kept in the store, shown in the detail and audited.
    pub fn holds_notes(self) -> bool {
        matches!(
            self,
            Provider::AwsSecurityHub | Provider::AwsSecurityHubV2 | Provider::Demo
        )
    }
}

/// Where a finding lives: the column and `cloud:` filter values.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Cloud {
    #[default]
    Aws,
    Azure,
    Gcp,
    /// Code scanning (SARIF files, GitHub): the "account" is a repository.
    Code,
}

impl Cloud {
    pub const ALL: [Cloud; 4] = [Cloud::Aws, Cloud::Azure, Cloud::Gcp, Cloud::Code];

    pub fn as_str(self) -> &'static str {
        match self {
            Cloud::Aws => "aws",
            Cloud::Azure => "azure",
            Cloud::Gcp => "gcp",
            Cloud::Code => "code",
        }
    }

    /// Table form: `AWS`, `AZ`, `GCP`, `CODE`.
    pub fn short(self) -> &'static str {
        match self {
            Cloud::Aws => "AWS",
            Cloud::Azure => "AZ",
            Cloud::Gcp => "GCP",
            Cloud::Code => "CODE",
        }
    }

    pub fn parse(s: &str) -> Option<Cloud> {
        Some(match s.to_ascii_lowercase().as_str() {
            "aws" | "amazon" => Cloud::Aws,
            "azure" | "az" | "microsoft" => Cloud::Azure,
            "gcp" | "google" | "gcloud" => Cloud::Gcp,
            "code" | "sarif" | "github" => Cloud::Code,
            _ => return None,
        })
    }

    /// What "account" means for this cloud (labels in the detail pane and reports).
    pub fn account_label(self) -> &'static str {
        match self {
            Cloud::Aws => "Account",
            Cloud::Azure => "Subscription",
            Cloud::Gcp => "Project",
            Cloud::Code => "Repository",
        }
    }

    pub fn region_label(self) -> &'static str {
        match self {
            Cloud::Aws => "Region",
            Cloud::Azure | Cloud::Gcp => "Location",
            Cloud::Code => "Ref",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Resource {
    /// ASFF `Type`, e.g. `AwsS3Bucket`.
    pub kind: Text,
    /// ARN or provider-specific identifier.
    pub id: String,
    // Region, partition and tags repeat across a fleet: interned, a million resources hold
    // each once (about 300 bytes a finding less than owned strings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<Text>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<(Text, Text)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub text: String,
    pub updated_by: String,
    pub updated_at: i64,
}

/// One normalised finding. Timestamps are Unix milliseconds, UTC.
/// Text fields hold provider text as received; views sanitise before display.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub id: String,
    pub product_arn: Text,
    pub provider: Provider,
    #[serde(default)]
    pub cloud: Cloud,
    /// Key of the source (account × region poller) that produced it.
    pub source: Text,
    pub account: Text,
    /// What people call the account (config `[accounts]`, AWS Organizations), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_name: Option<Text>,
    pub region: Text,
    pub severity: Severity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity_normalized: Option<u32>,
    pub title: Text,
    #[serde(default)]
    pub description: Text,
    #[serde(default)]
    pub product_name: Text,
    #[serde(default)]
    pub company_name: Text,
    #[serde(default)]
    pub generator_id: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_id: Option<Text>,
    /// `Compliance.AssociatedStandards[].StandardsId`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub standards: Vec<Text>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related_requirements: Vec<Text>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<Text>,
    #[serde(default)]
    pub resources: Vec<Resource>,
    pub workflow: Workflow,
    pub record_state: RecordState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compliance: Option<ComplianceStatus>,
    pub created_at: i64,
    pub updated_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_observed_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_observed_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation_text: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation_url: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Note>,
    /// The finding in its own console (Azure portal, Cloud console, GitHub), when the
    /// provider gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<Text>,
    /// CVE and CWE ids (`CVE-2024-3094`, `CWE-79`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vulns: Vec<Text>,
    /// Which characters the free-text fields hold (see `filter`), computed once.
    #[serde(skip)]
    pub search_mask: SearchMask,
    /// Provider-specific fields for the detail pane, in the provider's order:
    /// (label, value), e.g. ("Intent", "Execution"), ("Finding class", "THREAT").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<(Text, Text)>,
}

impl Finding {
    /// The first resource, which ASFF treats as the primary one.
    pub fn primary_resource(&self) -> Option<&Resource> {
        self.resources.first()
    }

    pub fn resource_type(&self) -> &str {
        self.primary_resource().map_or("", |r| r.kind.as_str())
    }

    pub fn resource_id(&self) -> &str {
        self.primary_resource().map_or("", |r| r.id.as_str())
    }

    /// Still needs attention: active and not resolved or suppressed.
    pub fn is_open(&self) -> bool {
        self.record_state == RecordState::Active
            && matches!(self.workflow, Workflow::New | Workflow::Notified)
    }

    /// The line-oriented JSON shape of `agent-hubble findings --format json`.
    pub fn to_output_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "product_arn": self.product_arn,
            "provider": self.provider.as_str(),
            "cloud": self.cloud.as_str(),
            "source": self.source,
            "account": self.account,
            "account_name": self.account_name,
            "region": self.region,
            "severity": self.severity.as_str(),
            "title": self.title,
            "product_name": self.product_name,
            "control_id": self.control_id,
            "resource_type": self.resource_type(),
            "resource_id": self.resource_id(),
            "workflow_status": self.workflow.as_str(),
            "record_state": self.record_state.as_str(),
            "compliance_status": self.compliance.map(|c| c.as_str()),
            "created_at": format_rfc3339(self.created_at),
            "updated_at": format_rfc3339(self.updated_at),
            "url": self.url,
            "vulns": self.vulns,
        })
    }
}

/// Identifies a finding for BatchUpdateFindings-style calls.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_names_agree() {
        for p in Provider::ALL {
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
        for c in Cloud::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
            assert_eq!(Cloud::parse(c.short()), Some(c));
        }
    }

    #[test]
    fn severity_parse_and_order() {
        assert_eq!(Severity::parse("Crit"), Some(Severity::Critical));
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Informational);
        assert_eq!(Workflow::parse("SUPPRESSED"), Some(Workflow::Suppressed));
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FindingRef {
    pub id: String,
    pub product_arn: Text,
    pub source: Text,
}

impl From<&Finding> for FindingRef {
    fn from(f: &Finding) -> Self {
        FindingRef {
            id: f.id.clone(),
            product_arn: f.product_arn.clone(),
            source: f.source.clone(),
        }
    }
}
