use super::*;
use crate::sources::Normalized;
use crate::sources::memory::sample_finding;

fn info(key: &str) -> SourceInfo {
    SourceInfo {
        key: key.into(),
        provider: crate::model::Provider::Demo,
        name: key.into(),
        region: "us-east-1".into(),
    }
}

fn item(n: usize, source: &str, updated: i64) -> Normalized {
    let mut f = sample_finding(n, updated);
    f.source = source.into();
    Normalized {
        raw: format!("{{\"n\":{n}}}").into(),
        finding: f,
    }
}

fn upsert(source: &str, items: Vec<Normalized>) -> HubInput {
    HubInput::Source(SourceEvent::Upsert {
        source: source.into(),
        items,
        skipped: vec!["bad one".into()],
    })
}

#[test]
fn cached_findings_show_at_once_marked_stale_until_first_sync() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    {
        let (mut hub, _rx) = Hub::new(Some(Store::open(&path).unwrap()), &[info("a")]);
        hub.apply(upsert("a", (0..5).map(|n| item(n, "a", 1000)).collect()));
        hub.publish();
    }
    let (mut hub, rx) = Hub::new(Some(Store::open(&path).unwrap()), &[info("a"), info("b")]);
    let snap = rx.borrow().clone();
    assert_eq!(snap.findings.len(), 5, "cache loads before any poll");
    assert_eq!(snap.stale_sources(), 2);
    hub.apply(HubInput::Source(SourceEvent::SyncDone {
        source: "a".into(),
        kind: SyncKind::Full,
        started_at: 2000,
        seen: Some((0..3).map(|n| format!("f-{n:06}")).collect()),
        watermark: Some(1000),
    }));
    hub.publish();
    let snap = hub.snapshot();
    assert_eq!(
        snap.findings.len(),
        3,
        "findings not returned by a full sync are gone"
    );
    assert_eq!(snap.stale_sources(), 1);
    assert_eq!(
        snap.sources
            .iter()
            .find(|s| s.info.key == "a")
            .unwrap()
            .findings,
        3
    );
    let store = Store::open(&path).unwrap();
    assert_eq!(store.count(), 3);
    assert_eq!(store.source_state("a").unwrap().watermark, Some(1000));
}

#[test]
fn changes_skips_local_workflow_and_raw() {
    let (mut hub, _rx) = Hub::new(Some(Store::in_memory().unwrap()), &[info("a")]);
    hub.apply(upsert("a", vec![item(1, "a", 10), item(2, "a", 10)]));
    hub.publish();
    let s1 = hub.snapshot();
    assert_eq!(s1.changed.len(), 2);
    assert_eq!(s1.skipped, 1);
    assert_eq!(s1.last_skip_reason.as_deref(), Some("bad one"));
    // Same content again: no change highlighted.
    hub.apply(upsert("a", vec![item(1, "a", 10)]));
    hub.publish();
    assert!(hub.snapshot().changed.is_empty());
    hub.apply(HubInput::LocalWorkflow {
        ids: vec!["f-000001".into()],
        status: Workflow::Resolved,
        note: None,
    });
    hub.publish();
    let s = hub.snapshot();
    let f = s.findings.iter().find(|f| f.id == "f-000001").unwrap();
    assert_eq!(f.workflow, Workflow::Resolved);
    assert!(s.changed.contains("f-000001"));
    let (tx, rx) = oneshot::channel();
    hub.apply(HubInput::RawJson {
        id: "f-000002".into(),
        reply: tx,
    });
    assert_eq!(rx.blocking_recv().unwrap().as_deref(), Some("{\"n\":2}"));
}

#[test]
fn a_full_sync_keeps_findings_updated_while_it_ran() {
    let (mut hub, _rx) = Hub::new(None, &[info("a")]);
    hub.apply(upsert("a", vec![item(1, "a", 5_000)]));
    hub.apply(HubInput::Source(SourceEvent::SyncDone {
        source: "a".into(),
        kind: SyncKind::Reconcile,
        started_at: 4_000,
        seen: Some(HashSet::new()),
        watermark: None,
    }));
    hub.publish();
    assert_eq!(hub.snapshot().findings.len(), 1);
}

#[test]
fn posture_history_is_recorded_per_cycle_and_survives_restarts() {
    use crate::model::ComplianceStatus;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let settings = crate::posture::HistorySettings {
        snapshot_every_ms: 0,
        retention_days: 90,
        demo_backfill: false,
    };
    let control = |n: usize, status: ComplianceStatus| {
        let mut it = item(n, "a", 10);
        it.finding.control_id = Some(format!("C.{n}").into());
        it.finding.compliance = Some(status);
        it.finding.standards =
            vec!["standards/aws-foundational-security-best-practices/v/1.0.0".into()];
        it
    };
    let done = |started_at| {
        HubInput::Source(SourceEvent::SyncDone {
            source: "a".into(),
            kind: SyncKind::Full,
            started_at,
            seen: None,
            watermark: None,
        })
    };
    {
        let (mut hub, _rx) = Hub::new(Some(Store::open(&path).unwrap()), &[info("a")]);
        hub.set_history(settings);
        hub.apply(upsert(
            "a",
            vec![
                control(1, ComplianceStatus::Failed),
                control(2, ComplianceStatus::Passed),
            ],
        ));
        hub.apply(done(1));
        std::thread::sleep(std::time::Duration::from_millis(5));
        hub.apply(upsert("a", vec![control(1, ComplianceStatus::Passed)]));
        hub.apply(done(2));
        hub.publish();
        let h = &hub.snapshot().insights.history;
        assert_eq!(
            h.iter().map(|p| p.scores["fsbp"]).collect::<Vec<_>>(),
            vec![50, 100]
        );
    }
    // A restart keeps the trend and extends it.
    let (mut hub, rx) = Hub::new(Some(Store::open(&path).unwrap()), &[info("a")]);
    hub.set_history(settings);
    assert_eq!(
        rx.borrow().insights.history.len(),
        2,
        "stored history shows at once"
    );
    hub.apply(upsert("a", vec![control(2, ComplianceStatus::Failed)]));
    hub.apply(done(3));
    hub.publish();
    let insights = hub.snapshot().insights.clone();
    assert_eq!(
        insights
            .history
            .iter()
            .map(|p| p.scores["fsbp"])
            .collect::<Vec<_>>(),
        vec![50, 100, 50]
    );
    assert_eq!(insights.posture.summary_score, Some(50));
}

#[test]
fn api_control_metadata_reaches_the_insights() {
    let (mut hub, rx) = Hub::new(None, &[info("a")]);
    let meta = crate::sources::aws_controls::ControlMetadata {
        enabled_standards: vec![
            "standards/aws-foundational-security-best-practices/v/1.0.0".into(),
        ],
        controls: Vec::new(),
        source: "api".into(),
        account: "111111111111".into(),
        region: "us-east-1".into(),
    };
    assert!(hub.apply(HubInput::ControlMetadata(Box::new(meta))));
    hub.publish();
    let label = rx.borrow().insights.metadata.clone();
    assert!(label.starts_with("Security Hub API"), "{label}");
    assert_eq!(
        rx.borrow().insights.posture.standards.len(),
        1,
        "enabled standards are listed"
    );
}

/// A member finding arrives through the aggregator and through the member region: one
/// finding, kept with the newest UpdatedAt, and the source does not flip on equal times.
#[test]
fn one_finding_from_two_sources_keeps_the_newest_and_does_not_flip() {
    let (mut hub, rx) = Hub::new(None, &[info("agg"), info("member")]);
    hub.apply(upsert("agg", vec![item(1, "agg", 1000)]));
    hub.apply(upsert("member", vec![item(1, "member", 1000)]));
    hub.publish();
    let snap = rx.borrow().clone();
    assert_eq!(snap.findings.len(), 1);
    assert_eq!(
        snap.findings[0].source.as_str(),
        "agg",
        "a tie keeps the first source"
    );
    hub.apply(upsert("member", vec![item(1, "member", 2000)]));
    hub.apply(upsert("agg", vec![item(1, "agg", 1500)]));
    hub.publish();
    let snap = rx.borrow().clone();
    assert_eq!(snap.findings.len(), 1);
    assert_eq!(
        (
            snap.findings[0].source.as_str(),
            snap.findings[0].updated_at
        ),
        ("member", 2000),
        "the newer copy wins, an older one never replaces it"
    );
}

/// A note an Azure/GCP/code finding cannot hold is kept in the store and survives the next
/// poll (which brings the finding without it) and a restart.
#[test]
fn notes_the_provider_cannot_hold_are_kept_locally() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let azure = |updated| {
        let mut n = item(1, "az", updated);
        n.finding.provider = crate::model::Provider::AzureDefender;
        n
    };
    {
        let (mut hub, rx) = Hub::new(Some(Store::open(&path).unwrap()), &[info("az")]);
        hub.apply(upsert("az", vec![azure(1000)]));
        hub.apply(HubInput::LocalWorkflow {
            ids: vec!["f-000001".into()],
            status: Workflow::Resolved,
            note: Some(Note {
                text: "fixed the NSG".into(),
                updated_by: "alice".into(),
                updated_at: 5,
            }),
        });
        hub.apply(upsert("az", vec![azure(2000)]));
        hub.publish();
        let snap = rx.borrow().clone();
        assert_eq!(
            snap.findings[0].note.as_ref().unwrap().text,
            "fixed the NSG"
        );
    }
    let (mut hub, rx) = Hub::new(Some(Store::open(&path).unwrap()), &[info("az")]);
    hub.apply(upsert("az", vec![azure(3000)]));
    hub.publish();
    assert_eq!(
        rx.borrow().findings[0].note.as_ref().unwrap().text,
        "fixed the NSG",
        "after a restart too"
    );
}

#[test]
fn account_names_stamp_held_and_arriving_findings() {
    let (mut hub, _rx) = Hub::new(None, &[info("a")]);
    hub.apply(upsert("a", vec![item(1, "a", 10)]));
    hub.publish();
    let account = hub.snapshot().findings[0].account.to_string();
    let names = HashMap::from([(account.clone(), "payments-prod".to_string())]);
    assert!(hub.apply(HubInput::AccountNames(names)));
    hub.publish();
    let snap = hub.snapshot();
    assert_eq!(
        snap.findings[0].account_name.as_deref(),
        Some("payments-prod")
    );
    assert!(
        snap.changed.contains(snap.findings[0].id.as_str()),
        "a renamed finding is redrawn"
    );
    hub.apply(upsert("a", vec![item(2, "a", 10)]));
    hub.publish();
    let snap = hub.snapshot();
    assert!(
        snap.findings
            .iter()
            .all(|f| f.account != account.as_str()
                || f.account_name.as_deref() == Some("payments-prod")),
        "findings that arrive later carry the name too"
    );
    let q = crate::filter::Filter::parse("acct:payments").unwrap();
    assert!(
        snap.findings.iter().any(|f| q.matches(f, 0)),
        "acct: matches the name"
    );
}

#[test]
fn a_big_cache_loads_a_page_at_a_time_and_waits_for_no_input() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    {
        let (mut hub, _rx) = Hub::new(Some(Store::open(&path).unwrap()), &[info("a"), info("old")]);
        hub.apply(upsert("a", (0..120).map(|n| item(n, "a", 1000)).collect()));
        hub.apply(upsert(
            "old",
            (200..205).map(|n| item(n, "old", 1000)).collect(),
        ));
        hub.publish();
    }
    let (mut hub, rx) = Hub::loading(Some(Store::open(&path).unwrap()), &[info("a")]);
    hub.set_load_page(25);
    // The first snapshot comes before any cached finding is read.
    let first = rx.borrow().clone();
    assert_eq!(first.findings.len(), 0);
    assert_eq!(first.loading, Some((0, 125)));
    let mut seen = Vec::new();
    while hub.load_page() {
        hub.publish();
        let s = hub.snapshot();
        seen.push((s.findings.len(), s.loading));
    }
    hub.publish();
    let last = hub.snapshot();
    assert_eq!(last.loading, None);
    // 120 of the configured source; the 5 of a source no longer configured are not shown.
    assert_eq!(last.findings.len(), 120);
    assert_eq!(seen.first(), Some(&(25, Some((25, 125)))));
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0), "{seen:?}");
    // Posture is computed once the cache is in.
    assert!(last.insights.stats.open_by_severity.iter().sum::<u32>() > 0);

    // Run by its thread: an input queued while the cache loads is applied after it, so the
    // fresher finding wins over its cached copy.
    let (mut hub, rx) = Hub::loading(Some(Store::open(&path).unwrap()), &[info("a")]);
    hub.set_load_page(10);
    let (tx, hub_rx) = mpsc::channel(8);
    tx.try_send(upsert("a", vec![item(3, "a", 5000)])).unwrap();
    drop(tx);
    hub.spawn(hub_rx).join().unwrap();
    let s = rx.borrow().clone();
    assert_eq!(s.loading, None);
    assert_eq!(s.findings.len(), 120);
    let f3 = s.findings.iter().find(|f| f.id == "f-000003").unwrap();
    assert_eq!(f3.updated_at, 5000);
}

#[test]
fn a_big_fleets_posture_is_computed_off_the_hub_thread_and_comes_back_as_input() {
    let (mut hub, _rx) = Hub::new(None, &[info("a")]);
    let (tx, mut inputs) = mpsc::channel(4);
    hub.set_feedback(tx.downgrade());
    hub.set_insights_inline_max(10);
    hub.apply(upsert("a", (0..100).map(|n| item(n, "a", 1000)).collect()));
    hub.insights_at = None; // due now
    hub.publish();
    // Published at once, the posture still the old one (empty).
    let open = |h: &Hub| {
        h.snapshot()
            .insights
            .stats
            .open_by_severity
            .iter()
            .sum::<u32>()
    };
    assert_eq!(hub.snapshot().findings.len(), 100);
    assert_eq!(open(&hub), 0);
    let input = inputs.blocking_recv().expect("posture computed");
    assert!(matches!(input, HubInput::Insights(_)));
    assert!(hub.apply(input));
    hub.publish();
    assert!(open(&hub) > 0);
    // The weak sender does not keep the hub's channel open.
    drop(tx);
    assert!(inputs.blocking_recv().is_none());
}
