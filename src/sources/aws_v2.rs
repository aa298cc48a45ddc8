//! The new Security Hub's API (OCSF): GetFindingsV2 with composite filters for full reads and
//! `finding_info.modified_time_dt` windows, BatchUpdateFindingsV2 for workflow changes, and
//! the `api = "auto"` decision (v2 where the account and region have it, else v1).

use aws_sdk_securityhub::Client;
use aws_sdk_securityhub::error::ProvideErrorMetadata;
use aws_sdk_securityhub::types::{
    AllowedOperators, CompositeFilter, DateFilter, GroupByField, GroupByRule, OcsfDateField,
    OcsfDateFilter, OcsfFindingFilters, OcsfStringField, OcsfStringFilter, SortCriterion,
    SortOrder, StringFilter, StringFilterComparison,
};

use super::aws_securityhub::{CaptureBody, PAGE_SIZE, classify};
use super::{NormalizedPage, Query, SourceError, WorkflowOutcome, WorkflowUpdate, ocsf};
use crate::model::format_rfc3339;

/// BatchUpdateFindingsV2 takes at most 100 MetadataUids per call.
pub const BATCH_UPDATE_V2_LIMIT: usize = 100;

/// One GetFindingsV2 page for `query`.
pub async fn get_page(
    client: &Client,
    key: &str,
    query: &Query,
    token: Option<String>,
) -> Result<NormalizedPage, SourceError> {
    let capture = CaptureBody::default();
    let mut req = client
        .get_findings_v2()
        .max_results(PAGE_SIZE)
        .set_next_token(token);
    // Oldest first, full reads too: an interrupted full sync resumes at the modified time of
    // its last complete page.
    let oldest_first = SortCriterion::builder()
        .field("finding_info.modified_time_dt")
        .sort_order(SortOrder::Ascending)
        .build();
    let filters = match query {
        // Resumed: every status from the checkpoint on (archiving moves the modified time, so
        // a finding archived meanwhile shows up here and is dropped by the poller).
        Query::Full {
            from: Some(from), ..
        } => Some(modified_since(*from)),
        Query::Full {
            include_archived: false,
            from: None,
        } => Some(not_archived()),
        Query::Full { .. } => None,
        Query::UpdatedSince(since) => Some(modified_since(*since)),
    };
    req = req.set_filters(filters).sort_criteria(oldest_first);
    req.customize()
        .interceptor(capture.clone())
        .send()
        .await
        .map_err(classify)?;
    let body = capture
        .take()
        .ok_or_else(|| SourceError::Other("GetFindingsV2 response body was not captured".into()))?;
    ocsf::normalize_page(&body, key)
        .map_err(|e| SourceError::Other(format!("GetFindingsV2 returned malformed JSON: {e}")))
}

/// Status is not Archived.
fn not_archived() -> OcsfFindingFilters {
    let filter = OcsfStringFilter::builder()
        .field_name(OcsfStringField::Status)
        .filter(
            StringFilter::builder()
                .value("Archived")
                .comparison(StringFilterComparison::NotEquals)
                .build(),
        )
        .build();
    OcsfFindingFilters::builder()
        .composite_filters(CompositeFilter::builder().string_filters(filter).build())
        .build()
}

/// finding_info.modified_time_dt from `since` on, to the same fixed far end as v1 (stable
/// across the pages of one read).
fn modified_since(since: i64) -> OcsfFindingFilters {
    let window = OcsfDateFilter::builder()
        .field_name(OcsfDateField::FindingInfoModifiedTimeDt)
        .filter(
            DateFilter::builder()
                .start(format_rfc3339(since))
                .end(super::aws_securityhub::WINDOW_END)
                .build(),
        )
        .build();
    OcsfFindingFilters::builder()
        .composite_filters(CompositeFilter::builder().date_filters(window).build())
        .composite_operator(AllowedOperators::And)
        .build()
}

/// How many findings a full read returns, from GetFindingStatisticsV2: findings grouped by
/// `status` (one value per finding), with the full read's filter, counts summed.
pub async fn count(client: &Client, include_archived: bool) -> Result<u64, SourceError> {
    let mut rule = GroupByRule::builder().group_by_field(GroupByField::Status);
    if !include_archived {
        rule = rule.filters(not_archived());
    }
    let out = client
        .get_finding_statistics_v2()
        .group_by_rules(rule.build())
        .send()
        .await
        .map_err(classify)?;
    Ok(out
        .group_by_results()
        .iter()
        .flat_map(|r| r.group_by_values())
        .map(|v| u64::try_from(v.count().unwrap_or(0)).unwrap_or(0))
        .sum())
}

/// StatusId and Comment for findings by their metadata.uid, ≤ 100 per call.
pub async fn batch_update(
    client: &Client,
    update: &WorkflowUpdate,
) -> Result<WorkflowOutcome, SourceError> {
    let mut outcome = WorkflowOutcome::default();
    for chunk in update.findings.chunks(BATCH_UPDATE_V2_LIMIT) {
        let mut req = client
            .batch_update_findings_v2()
            .set_metadata_uids(Some(chunk.iter().map(|f| f.id.clone()).collect()))
            .status_id(ocsf::status_id(update.status));
        if let Some(text) = update.note.as_deref().filter(|t| !t.is_empty()) {
            // The Comment holds 512 characters.
            req = req.comment(text.chars().take(512).collect::<String>());
        }
        let out = req.send().await.map_err(classify)?;
        outcome.merge(WorkflowOutcome {
            processed: out
                .processed_findings()
                .iter()
                .filter_map(|p| p.metadata_uid().map(str::to_owned))
                .collect(),
            unprocessed: out
                .unprocessed_findings()
                .iter()
                .map(|u| {
                    (
                        u.metadata_uid().unwrap_or_default().to_string(),
                        u.error_code()
                            .map(|c| c.as_str().to_string())
                            .unwrap_or_default(),
                        u.error_message().unwrap_or_default().to_string(),
                    )
                })
                .collect(),
        });
    }
    Ok(outcome)
}

/// For `api = "auto"`: does this account and region have the new Security Hub? Asks
/// DescribeSecurityHubV2 (ResourceNotFoundException = no); when that call itself is not
/// allowed, GetFindingsV2 answers AccessDeniedException "not enabled" the same way.
pub async fn has_v2(client: &Client) -> Result<bool, SourceError> {
    match client.describe_security_hub_v2().send().await {
        Ok(_) => return Ok(true),
        Err(e) if e.code() == Some("ResourceNotFoundException") => return Ok(false),
        Err(e) => tracing::debug!("DescribeSecurityHubV2: {}", classify(e)),
    }
    match client.get_findings_v2().max_results(1).send().await {
        Ok(_) => Ok(true),
        Err(e)
            if e.code() == Some("AccessDeniedException")
                && e.message()
                    .is_some_and(|m| m.to_ascii_lowercase().contains("not enabled")) =>
        {
            Ok(false)
        }
        Err(e) => Err(classify(e)),
    }
}
