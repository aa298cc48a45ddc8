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

/// What is proposed: fixed once proposed (stored as JSON).
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
    pub document_version: Option<String>,
    pub parameters: std::collections::BTreeMap<String, Vec<String>>,
    pub assume_role: String,
    pub destructive: bool,
    pub description: String,
    pub approvals_required: u32,
    /// The word an approver must type, when the policy asks for one.
    pub confirm_word: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub actor: String,
    pub actor_name: String,
    pub approve: bool,
    pub justification: String,
    pub at: i64,
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
}

impl Item {
    pub fn approvals(&self) -> usize {
        self.decisions.iter().filter(|d| d.approve).count()
    }

    /// The idempotency token for StartAutomationExecution: the item id (a UUID), so a
    /// restart or a second console can never start the same item twice.
    pub fn client_token(&self) -> &str {
        &self.id
    }
}
