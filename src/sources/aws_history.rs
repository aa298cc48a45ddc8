//! GetFindingHistory (Security Hub CSPM, v1): what changed in a finding, when and by whom,
//! for the detail's timeline. The v2 API keeps no such history.

use aws_sdk_securityhub::Client;
use aws_sdk_securityhub::types::AwsSecurityFindingIdentifier;

use super::SourceError;
use super::aws_securityhub::classify;
use crate::model::FindingRef;
use crate::timeline::{Event, Origin};

/// At most this many records (the API pages at 100); the oldest ones past it are left out.
const MAX_RECORDS: usize = 1_000;
/// Longest old/new value shown; history can carry whole JSON lists.
const VALUE_CHARS: usize = 80;

pub async fn history(client: &Client, f: &FindingRef) -> Result<Vec<Event>, SourceError> {
    let ident = AwsSecurityFindingIdentifier::builder()
        .id(&f.id)
        .product_arn(f.product_arn.as_str())
        .build();
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .get_finding_history()
            .finding_identifier(ident.clone())
            .max_results(100)
            .set_next_token(token)
            .send()
            .await
            .map_err(classify)?;
        for r in page.records() {
            let Some(at) = r.update_time().and_then(|t| t.to_millis().ok()) else {
                continue;
            };
            let who = r
                .update_source()
                .and_then(|s| s.identity())
                .map(short_identity)
                .unwrap_or_default();
            let what = if r.finding_created() == Some(true) {
                "created (imported)".to_string()
            } else {
                let changes: Vec<String> = r
                    .updates()
                    .iter()
                    .map(|u| {
                        format!(
                            "{} {} -> {}",
                            u.updated_field().unwrap_or("?"),
                            bounded(u.old_value().unwrap_or("-")),
                            bounded(u.new_value().unwrap_or("-"))
                        )
                    })
                    .collect();
                let how = match r
                    .update_source()
                    .and_then(|s| s.r#type())
                    .map(|t| t.as_str())
                {
                    Some("BATCH_UPDATE_FINDINGS") => "updated",
                    _ => "re-imported",
                };
                format!("{how}: {}", changes.join("; "))
            };
            out.push(Event::new(at, Origin::Provider, who, what));
        }
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        if token.is_none() || out.len() >= MAX_RECORDS {
            return Ok(out);
        }
    }
}

/// The session or user at the end of an ARN; a product ARN stays as its product name.
fn short_identity(arn: &str) -> String {
    match arn.rsplit_once('/') {
        Some((_, last)) if !last.is_empty() => last.to_string(),
        _ => arn.to_string(),
    }
}

fn bounded(v: &str) -> String {
    if v.chars().count() <= VALUE_CHARS {
        v.to_string()
    } else {
        let mut s: String = v.chars().take(VALUE_CHARS - 1).collect();
        s.push('…');
        s
    }
}
