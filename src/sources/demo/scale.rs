//! `AGENT_HUBBLE_DEMO_FINDINGS=N`: one more demo source with N generated control findings
//! across 1,000 accounts, each made from its position when its page is read (none is held in
//! memory), to try the console at organisation scale: a first sync with progress and ETA,
//! then, on the next start, the cache loading behind the first frame with the count rising.

use futures::future::BoxFuture;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use super::{CONTROLS, Fleet, REGIONS};
use crate::model::Provider;
use crate::sources::{NormalizedPage, Query, RateLimit, Source, SourceError, SourceInfo, asff};

/// Findings per page, as Security Hub returns them.
const PAGE: usize = 100;

pub struct ScaleSource {
    info: SourceInfo,
    n: usize,
}

/// Finding `i` was updated `i` seconds after this (2026-11-01T00:00Z): the same on every
/// start, oldest first, so incremental polls find nothing new and a full read can resume.
const BASE: i64 = 1_793_491_200_000;

impl ScaleSource {
    pub fn new(n: usize) -> ScaleSource {
        ScaleSource {
            info: SourceInfo {
                key: "demo/org-scale/us-east-1".into(),
                provider: Provider::Demo,
                name: "org-scale".into(),
                region: "us-east-1".into(),
            },
            n,
        }
    }

    /// Finding `i`, the same every time it is made.
    fn finding(&self, i: usize) -> Value {
        let mut fleet = Fleet {
            rng: StdRng::seed_from_u64(0x5CA1E ^ i as u64),
            findings: Vec::new(),
            next_seq: 10_000_000 + i as u64,
            last_evolve: BASE,
            tempo_ms: i64::MAX,
        };
        let account = format!("{:012}", 500_000_000_000u64 + (i % 1000) as u64);
        let region = REGIONS[(i / 1000) % REGIONS.len()];
        let at = BASE + i as i64 * 1000;
        fleet.control_finding(i % CONTROLS.len(), &account, region, at)
    }
}

impl Source for ScaleSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn fetch_page<'a>(
        &'a self,
        query: &'a Query,
        token: Option<String>,
    ) -> BoxFuture<'a, Result<NormalizedPage, SourceError>> {
        Box::pin(async move {
            let start: usize = match token {
                Some(t) => t
                    .parse()
                    .map_err(|_| SourceError::Other(format!("bad NextToken {t:?}")))?,
                // Oldest first: an instant is a position.
                None => match query {
                    Query::UpdatedSince(t) | Query::Full { from: Some(t), .. } => {
                        ((t - BASE).max(0) as usize).div_ceil(1000).min(self.n)
                    }
                    Query::Full { from: None, .. } => 0,
                },
            };
            let end = (start + PAGE).min(self.n);
            let findings: Vec<Value> = (start..end).map(|i| self.finding(i)).collect();
            let next = (end < self.n).then(|| end.to_string());
            let body = json!({ "Findings": findings, "NextToken": next });
            let bytes = serde_json::to_vec(&body).map_err(|e| SourceError::Other(e.to_string()))?;
            let mut page = asff::normalize_page(&bytes, &self.info.key)
                .map_err(|e| SourceError::Other(e.to_string()))?;
            for n in &mut page.items {
                n.finding.provider = Provider::Demo;
            }
            Ok(page)
        })
    }

    /// As Security Hub's GetFindings (3 requests/s, 100 a page): about 300 findings/s, so
    /// the first sync of a big N shows its progress and ETA for a while.
    fn rate_limit(&self) -> RateLimit {
        crate::sources::SECURITY_HUB_GET_FINDINGS
    }

    fn resumable(&self) -> bool {
        true
    }

    fn estimate_total(
        &self,
        _include_archived: bool,
    ) -> BoxFuture<'_, Result<Option<u64>, SourceError>> {
        Box::pin(async move { Ok(Some(self.n as u64)) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pages_are_made_from_positions_and_stay_the_same() {
        let s = ScaleSource::new(250);
        let full = Query::Full {
            include_archived: false,
            from: None,
        };
        let p1 = s.fetch_page(&full, None).await.unwrap();
        assert_eq!(p1.items.len(), 100);
        assert_eq!(p1.next_token.as_deref(), Some("100"));
        let last = s.fetch_page(&full, Some("200".into())).await.unwrap();
        assert_eq!(last.items.len(), 50);
        assert!(last.next_token.is_none());
        // The same finding every time; ids unique; 1,000 accounts' worth of account ids.
        let again = s.fetch_page(&full, None).await.unwrap();
        assert_eq!(p1.items[7].finding, again.items[7].finding);
        let mut ids: Vec<&str> = p1.items.iter().map(|n| n.finding.id.as_str()).collect();
        ids.dedup();
        assert_eq!(ids.len(), 100);
        assert_eq!(&*p1.items[3].finding.account, "500000000003");
        // Oldest first: an incremental read after the newest finding returns nothing new, and
        // a resumed full read starts at its checkpoint.
        let newer = s
            .fetch_page(&Query::UpdatedSince(BASE + 250_000), None)
            .await
            .unwrap();
        assert!(newer.items.is_empty());
        let resumed = Query::Full {
            include_archived: false,
            from: Some(BASE + 240_000),
        };
        let tail = s.fetch_page(&resumed, None).await.unwrap();
        assert_eq!(tail.items.len(), 10);
        assert_eq!(tail.items[0].finding, last.items[40].finding);
        assert_eq!(s.estimate_total(false).await.unwrap(), Some(250));
    }
}
