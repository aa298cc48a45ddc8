//! What the remediation queue holds: items, their proposals, decisions and states.

use serde::{Deserialize, Serialize};

use crate::model::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum State {
    Proposed,
    Approved,
    Rejected,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl State {
    pub const ALL: [State; 7] = [
        State::Proposed,
        State::Approved,
        State::Rejected,
        State::Running,
        State::Succeeded,
        State::Failed,
        State::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Proposed => "Proposed",
            State::Approved => "Approved",
            State::Rejected => "Rejected",
            State::Running => "Running",
            State::Succeeded => "Succeeded",
            State::Failed => "Failed",
            State::Cancelled => "Cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL
            .into_iter()
            .find(|x| x.as_str().eq_ignore_ascii_case(s))
    }

    pub fn is_final(self) -> bool {
        matches!(
            self,
            State::Rejected | State::Succeeded | State::Failed | State::Cancelled
        )
    }
}

/// Who acts: the STS caller ARN of the credentials in use, shown with the local user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub arn: String,
    pub user: String,
}

impl Identity {
    /// A short name for tables and notes: the session of an assumed role (usually the
    /// analyst's SSO user), the IAM user, else the local user.
    pub fn short(&self) -> &str {
        let resource = self.arn.splitn(6, ':').nth(5).unwrap_or("");
        match resource.split_once('/') {
            Some(("assumed-role" | "user", rest)) => rest.rsplit('/').next().unwrap_or(&self.user),
            _ => &self.user,
        }
    }

    pub fn display(&self) -> String {
        format!("{} ({})", self.user, self.arn)
    }
}

/// What is proposed: fixed once proposed (stored as JSON). `account` and `region` are the
/// *target*: where the finding's resource lives, whichever source brought the finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    pub finding_id: String,
    pub product_arn: String,
    pub source: String,
    pub account: String,
    pub region: String,
    pub control: String,
    pub severity: Severity,
    pub title: String,
    pub resource_id: String,
    pub document: String,
    /// The exact version that runs (resolved from `$DEFAULT` at proposal time).
    pub document_version: Option<String>,
    /// SHA-256 of that version's content (DescribeDocument `Hash`).
    #[serde(default)]
    pub document_hash: Option<String>,
    /// The playbook pinned the version itself (else a newer default after approval refuses).
    #[serde(default)]
    pub version_pinned: bool,
    pub parameters: std::collections::BTreeMap<String, Vec<String>>,
    pub assume_role: String,
    pub destructive: bool,
    pub description: String,
    pub approvals_required: u32,
    /// The word an approver must type, when the policy asks for one.
    pub confirm_word: Option<String>,
    /// Resource tags the policy looked at.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
}

/// The part of a proposal an approval binds to: everything that decides what runs, where,
/// as whom, and which policy applies.
#[derive(Serialize)]
struct Bound<'a> {
    v: u32,
    finding_id: &'a str,
    product_arn: &'a str,
    control: &'a str,
    severity: Severity,
    resource_id: &'a str,
    tags: &'a [(String, String)],
    document: &'a str,
    document_version: Option<&'a str>,
    document_hash: Option<&'a str>,
    parameters: &'a std::collections::BTreeMap<String, Vec<String>>,
    account: &'a str,
    region: &'a str,
    assume_role: &'a str,
    destructive: bool,
}

impl Proposal {
    /// SHA-256 over what runs (canonical JSON: fixed field order, sorted parameters).
    pub fn digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let b = Bound {
            v: 1,
            finding_id: &self.finding_id,
            product_arn: &self.product_arn,
            control: &self.control,
            severity: self.severity,
            resource_id: &self.resource_id,
            tags: &self.tags,
            document: &self.document,
            document_version: self.document_version.as_deref(),
            document_hash: self.document_hash.as_deref(),
            parameters: &self.parameters,
            account: &self.account,
            region: &self.region,
            assume_role: &self.assume_role,
            destructive: self.destructive,
        };
        let bytes = serde_json::to_vec(&b).expect("proposal serialises");
        Sha256::digest(&bytes)
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub actor: String,
    pub actor_name: String,
    pub approve: bool,
    pub justification: String,
    pub at: i64,
    /// The proposal digest this decision was made on.
    pub digest: String,
    /// The person key of the actor when deciding.
    pub person: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    pub id: String,
    pub state: State,
    pub version: i64,
    pub proposal: Proposal,
    pub requester: Identity,
    pub created_at: i64,
    pub updated_at: i64,
    pub execution_id: Option<String>,
    pub current_step: Option<String>,
    pub failure: Option<String>,
    pub cancel_requested: bool,
    pub finding_noted: bool,
    pub decisions: Vec<Decision>,
    /// Who is starting it (a runner instance) and until when (ms).
    pub lease_owner: Option<String>,
    pub lease_until: Option<i64>,
    /// The last start attempt's answer when it was not definite (retried with the same token).
    pub start_error: Option<String>,
}

impl Item {
    /// Distinct people who approved (each person counts once; the requester never counts).
    pub fn approvals(&self) -> usize {
        let mut people: Vec<&str> = self
            .decisions
            .iter()
            .filter(|d| d.approve)
            .map(|d| d.person.as_str())
            .collect();
        people.sort_unstable();
        people.dedup();
        people.len()
    }

    /// The idempotency token for StartAutomationExecution: the item id (a UUID), so a
    /// restart or a second console can never start the same item twice.
    pub fn client_token(&self) -> &str {
        &self.id
    }
}
