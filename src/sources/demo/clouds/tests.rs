use super::*;
use crate::model::Severity;

async fn all(s: &Arc<dyn Source>) -> NormalizedPage {
    s.fetch_page(&Query::full(false), None).await.unwrap()
}

/// Every document goes through the real normaliser without a skip, in its own cloud.
#[tokio::test]
async fn every_cloud_normalises_cleanly() {
    let now = 1_800_000_000_000;
    let mut clouds = std::collections::BTreeMap::new();
    for s in sources(now) {
        let p = all(&s).await;
        assert!(p.skipped.is_empty(), "{}: {:?}", s.info().key, p.skipped);
        assert!(!p.items.is_empty(), "{}", s.info().key);
        for n in &p.items {
            *clouds.entry(n.finding.cloud.as_str()).or_insert(0) += 1;
            assert_eq!(n.finding.source.as_str(), s.info().key);
        }
    }
    assert_eq!(clouds.get("azure"), Some(&18));
    assert_eq!(clouds.get("gcp"), Some(&10));
    assert_eq!(clouds.get("code"), Some(&4));
}

/// Workflow changes take the provider's path: Azure alerts change, recommendations are
/// refused; GCP resolve is INACTIVE; GitHub keeps the dismiss reason.
#[tokio::test]
async fn workflow_changes_as_the_providers_do() {
    let srcs = sources(1_800_000_000_000);
    let az = &srcs[0];
    let p = all(az).await;
    let alert = p
        .items
        .iter()
        .find(|n| n.finding.id.contains("/alerts/"))
        .unwrap();
    let rec = p
        .items
        .iter()
        .find(|n| n.finding.id.contains("/assessments/"))
        .unwrap();
    let update = |id: &str, status| WorkflowUpdate {
        findings: vec![crate::model::FindingRef {
            id: id.to_string(),
            product_arn: crate::model::intern(""),
            source: crate::model::intern(""),
        }],
        status,
        note: Some("checked".into()),
        actor: "alice".into(),
        reason: Some("false positive".into()),
    };
    let out = az
        .update_workflow(&update(&alert.finding.id, Workflow::Resolved))
        .await
        .unwrap();
    assert_eq!(out.processed.len(), 1);
    let out = az
        .update_workflow(&update(&rec.finding.id, Workflow::Resolved))
        .await
        .unwrap();
    assert_eq!(out.unprocessed[0].1, "RecommendationStateIsComputed");
    let after = all(az).await;
    let a = after
        .items
        .iter()
        .find(|n| n.finding.id == alert.finding.id)
        .unwrap();
    assert_eq!(a.finding.workflow, Workflow::Resolved);

    let g = &srcs[2];
    let first = all(g).await.items[0].finding.clone();
    assert_eq!(first.severity, Severity::Critical);
    g.update_workflow(&update(&first.id, Workflow::Resolved))
        .await
        .unwrap();
    let again = all(g).await;
    let f = again
        .items
        .iter()
        .find(|n| n.finding.id == first.id)
        .unwrap();
    assert_eq!(f.finding.workflow, Workflow::Resolved, "INACTIVE");

    let gh = srcs.last().unwrap();
    let first = all(gh).await.items[0].finding.clone();
    gh.update_workflow(&update(&first.id, Workflow::Suppressed))
        .await
        .unwrap();
    let again = all(gh).await;
    let f = again
        .items
        .iter()
        .find(|n| n.finding.id == first.id)
        .unwrap();
    assert!(f.raw.contains("false positive"), "{}", f.raw);
}

#[tokio::test]
async fn azure_secure_score_counts_recommendations() {
    let s = &sources(1_800_000_000_000)[0];
    let scores = s.scores().await.unwrap();
    assert_eq!(scores.len(), 1);
    assert_eq!(scores[0].controls[0].healthy, 2);
    assert_eq!(scores[0].controls[0].unhealthy, 3);
    assert_eq!(scores[0].percentage, 40.0);
}

/// The other clouds are alive too: findings arrive and resolve over time.
#[tokio::test]
async fn findings_arrive_and_resolve() {
    let now = crate::model::now_ms();
    for typed in typed(now) {
        let key = typed.info().key.clone();
        let s: Arc<dyn Source> = typed.clone();
        let before = all(&s).await.items;
        let open = |items: &[crate::sources::Normalized]| {
            items.iter().filter(|n| n.finding.is_open()).count()
        };
        typed.evolve(now + TEMPO_MS + 1_000);
        let after = all(&s).await.items;
        assert_eq!(after.len(), before.len() + 1, "{key}: one arrived");
        assert_eq!(open(&after), open(&before) + 1, "{key}: and it is open");
        typed.evolve(now + 3 * TEMPO_MS);
        let later = all(&s).await.items;
        assert_eq!(later.len(), after.len(), "{key}");
        assert_eq!(open(&later), open(&after) - 1, "{key}: one resolved");
    }
}
