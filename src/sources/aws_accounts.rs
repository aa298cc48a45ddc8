//! Account names from AWS Organizations (`ListAccounts`), when the credentials may ask: the
//! management account or a delegated administrator. Anything else (access denied, not in an
//! organisation) leaves the names from the config.

use std::collections::HashMap;

use aws_config::SdkConfig;

use super::SourceError;
use super::aws_securityhub::classify;

/// id → name of every account of the organisation.
pub async fn fetch(config: &SdkConfig) -> Result<HashMap<String, String>, SourceError> {
    let client = aws_sdk_organizations::Client::new(config);
    let mut out = HashMap::new();
    let mut token = None;
    loop {
        let page = client
            .list_accounts()
            .max_results(20)
            .set_next_token(token)
            .send()
            .await
            .map_err(classify)?;
        for a in page.accounts() {
            if let (Some(id), Some(name)) = (a.id(), a.name()) {
                out.insert(id.to_string(), name.to_string());
            }
        }
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            return Ok(out);
        }
    }
}
