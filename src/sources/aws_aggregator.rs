//! Organisation mode: Security Hub's own cross-Region aggregation plus delegated
//! administration let one endpoint (the administrator's aggregation Region) return every
//! member account's findings from every linked Region, each with its own AwsAccountId and
//! Region. `[[aws]] aggregator = "auto"` finds that Region here.

use aws_config::SdkConfig;
use aws_sdk_securityhub::Client;

use super::SourceError;
use super::aws_securityhub::classify;
use crate::config::AwsApi;

/// The aggregation (home) Region of the account's finding aggregator, asked from the Region
/// `config` names: ListFindingAggregators + GetFindingAggregator for the v1 API,
/// ListAggregatorsV2 + GetAggregatorV2 for v2 (`api = "auto"`: v2 where the account has it).
/// None when the account has no aggregator.
pub async fn home_region(config: &SdkConfig, api: AwsApi) -> Result<Option<String>, SourceError> {
    let client = Client::new(config);
    let v2 = match api {
        AwsApi::V1 => false,
        AwsApi::V2 => true,
        AwsApi::Auto => super::aws_v2::has_v2(&client).await?,
    };
    if v2 {
        let list = client
            .list_aggregators_v2()
            .send()
            .await
            .map_err(classify)?;
        let Some(arn) = list
            .aggregators_v2()
            .iter()
            .find_map(|a| a.aggregator_v2_arn())
        else {
            return Ok(None);
        };
        let got = client
            .get_aggregator_v2()
            .aggregator_v2_arn(arn)
            .send()
            .await
            .map_err(classify)?;
        return Ok(got.aggregation_region().map(str::to_owned));
    }
    let list = client
        .list_finding_aggregators()
        .send()
        .await
        .map_err(classify)?;
    let Some(arn) = list
        .finding_aggregators()
        .iter()
        .find_map(|a| a.finding_aggregator_arn())
    else {
        return Ok(None);
    };
    let got = client
        .get_finding_aggregator()
        .finding_aggregator_arn(arn)
        .send()
        .await
        .map_err(classify)?;
    Ok(got.finding_aggregation_region().map(str::to_owned))
}
