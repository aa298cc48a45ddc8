//! Who is acting: the STS caller ARN of the analyst's own credentials (their SSO or
//! assumed-role session), shown with the local user name.

use std::time::Duration;

use aws_config::SdkConfig;

use super::queue::Identity;

/// Asks STS who these credentials are. Without AWS (the demo) the identity is local.
pub async fn resolve(config: Option<&SdkConfig>) -> Result<Identity, String> {
    let user = crate::setup::local_actor();
    let Some(config) = config else {
        return Ok(Identity {
            arn: format!("local:{user}"),
            user,
        });
    };
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
