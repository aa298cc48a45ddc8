//! Who is acting: the STS caller ARN of the analyst's own credentials (their SSO or
//! assumed-role session), shown with the local user name.

use std::time::Duration;

use aws_config::SdkConfig;

use super::queue::Identity;

/// Plays a second analyst on the demo fleet (read only without AWS).
pub const ENV_DEMO_USER: &str = "AGENT_HUBBLE_DEMO_USER";

/// Asks STS who these credentials are. Without AWS (the demo) the identity is local: the
/// local user, or `AGENT_HUBBLE_DEMO_USER` when set.
pub async fn resolve(config: Option<&SdkConfig>) -> Result<Identity, String> {
    let Some(config) = config else {
        return Ok(local(std::env::var(ENV_DEMO_USER).ok().as_deref()));
    };
    let user = crate::setup::local_actor();
    let client = aws_sdk_sts::Client::new(config);
    let call = client.get_caller_identity().send();
    match tokio::time::timeout(Duration::from_secs(10), call).await {
        Ok(Ok(out)) => match out.arn() {
            Some(arn) => Ok(Identity {
                arn: arn.to_string(),
                user,
            }),
            None => Err("STS GetCallerIdentity returned no ARN".into()),
        },
        Ok(Err(e)) => Err(format!(
            "STS GetCallerIdentity: {}",
            aws_sdk_sts::error::DisplayErrorContext(e)
        )),
        Err(_) => Err("STS GetCallerIdentity timed out".into()),
    }
}

/// The demo's identity: `demo_user` if given (and sane), else the local user.
pub fn local(demo_user: Option<&str>) -> Identity {
    let user = demo_user
        .map(|u| crate::sanitize::line(u.trim()))
        .filter(|u| !u.is_empty())
        .map(|u| u.chars().take(64).collect::<String>())
        .unwrap_or_else(crate::setup::local_actor);
    Identity {
        arn: format!("local:{user}"),
        user,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn demo_user_names_a_distinct_local_person() {
        let bob = super::local(Some("bob"));
        assert_eq!((bob.arn.as_str(), bob.user.as_str()), ("local:bob", "bob"));
        assert_ne!(super::local(Some("alice")).arn, bob.arn);
        assert_eq!(super::local(Some("  ")).arn, super::local(None).arn);
        assert!(!super::local(Some("ev\u{1b}[2Jil")).user.contains('\u{1b}'));
    }
}
