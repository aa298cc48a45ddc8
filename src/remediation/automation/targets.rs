//! SSM Automation clients per target: a runbook runs where the finding's resource lives (its
//! account and region), whichever source brought the finding. Credentials are the proposal's
//! assume role (the `[remediation] assume_role` template filled with the target account),
//! assumed from the analyst's base identity; the client is built for the target region.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_config::{Region, SdkConfig};

use super::{Automation, SsmAutomation};

pub type TargetsError = String;

/// (account, region, assume role) → its client.
type Cache = Mutex<HashMap<(String, String, String), Arc<dyn Automation>>>;

pub enum Targets {
    /// Real AWS: clients built on first use and kept.
    Aws { base: Box<SdkConfig>, cache: Cache },
    /// One automation for every target (the demo fleet, tests).
    Fixed(Arc<dyn Automation>),
}

/// The account of an IAM role ARN.
pub fn role_account(role_arn: &str) -> Option<&str> {
    let mut parts = role_arn.splitn(6, ':');
    (parts.next()? == "arn").then_some(())?;
    let (_partition, service, _region) = (parts.next()?, parts.next()?, parts.next()?);
    let account = parts.next()?;
    (service == "iam" && parts.next()?.starts_with("role/")).then_some(account)
}

/// Can a runbook for `account` run with this assume role? The reason when not.
pub fn check_reach(assume_role: &str, account: &str) -> Result<(), TargetsError> {
    match role_account(assume_role) {
        Some(a) if a == account => Ok(()),
        Some(a) => Err(format!(
            "the assume role {assume_role} is in account {a}, but the finding's resource is in account {account}: \
             use {{account}} in [remediation] assume_role so the runbook runs in the finding's own account"
        )),
        None => Err(format!(
            "assume role {assume_role:?} is not an IAM role ARN"
        )),
    }
}

impl Targets {
    pub fn aws(base: SdkConfig) -> Targets {
        Targets::Aws {
            base: Box::new(base),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The SSM Automation of `account` × `region`, acting as `assume_role`.
    pub async fn get(
        &self,
        account: &str,
        region: &str,
        assume_role: &str,
    ) -> Result<Arc<dyn Automation>, TargetsError> {
        let (base, cache) = match self {
            Targets::Fixed(a) => return Ok(a.clone()),
            Targets::Aws { base, cache } => (base, cache),
        };
        check_reach(assume_role, account)?;
        let key = (
            account.to_string(),
            region.to_string(),
            assume_role.to_string(),
        );
        if let Some(a) = cache.lock().expect("targets").get(&key) {
            return Ok(a.clone());
        }
        let provider = aws_config::sts::AssumeRoleProvider::builder(assume_role)
            .session_name("agent-hubble-remediation")
            .region(Region::new(region.to_string()))
            .configure(base.as_ref())
            .build()
            .await;
        let config = base
            .clone()
            .into_builder()
            .region(Region::new(region.to_string()))
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(provider),
            )
            .build();
        let a: Arc<dyn Automation> = Arc::new(SsmAutomation::new(&config));
        cache.lock().expect("targets").insert(key, a.clone());
        Ok(a)
    }

    /// Every client built so far (for executions waiting at `aws:approve`).
    pub fn known(&self) -> Vec<(String, Arc<dyn Automation>)> {
        match self {
            Targets::Fixed(_) => Vec::new(),
            Targets::Aws { cache, .. } => cache
                .lock()
                .expect("targets")
                .iter()
                .map(|((acct, region, _), a)| (format!("{acct}/{region}"), a.clone()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reach_needs_the_target_account() {
        assert!(
            check_reach(
                "arn:aws:iam::222222222222:role/HubbleRemediation",
                "222222222222"
            )
            .is_ok()
        );
        let e = check_reach(
            "arn:aws:iam::111111111111:role/HubbleRemediation",
            "222222222222",
        )
        .unwrap_err();
        assert!(e.contains("{account}") && e.contains("222222222222"), "{e}");
        assert!(check_reach("arn:aws:sts::1:assumed-role/x/y", "1").is_err());
        assert_eq!(
            role_account("arn:aws-cn:iam::123456789012:role/a/b"),
            Some("123456789012")
        );
    }
}
