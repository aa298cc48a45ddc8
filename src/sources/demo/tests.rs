use super::*;
use crate::model::{Severity, Workflow};

fn all(src: &dyn Source, q: &Query) -> Vec<crate::sources::Normalized> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = rt.block_on(src.fetch_page(q, token)).unwrap();
        assert!(page.skipped.is_empty(), "{:?}", page.skipped);
        out.extend(page.items);
        token = page.next_token;
        if token.is_none() {
            return out;
        }
    }
}

#[test]
fn fleet_is_varied() {
    let fleet = DemoFleet::new(7, 600, now_ms());
    let sources = fleet.sources();
    assert_eq!(sources.len(), ACCOUNTS.len() * REGIONS.len());
    let full = Query::full(true);
    let found: Vec<_> = sources
        .iter()
        .flat_map(|s| all(s.as_ref(), &full))
        .collect();
    assert_eq!(found.len(), 600);
    let f =
        |p: &dyn Fn(&crate::model::Finding) -> bool| found.iter().filter(|n| p(&n.finding)).count();
    for sev in Severity::ALL {
        assert!(f(&|x| x.severity == sev) > 0, "no {sev:?}");
    }
    for product in [
        "Security Hub",
        "GuardDuty",
        "Inspector",
        "Macie",
        "Acme Cloud Scanner",
    ] {
        assert!(f(&|x| x.product_name == product) > 0, "no {product}");
    }
    assert!(f(&|x| x.severity_normalized.is_some() && x.control_id.is_some()) > 100);
}

#[test]
fn fleet_lives_and_honours_workflow_updates() {
    let start = now_ms() - 60_000;
    let fleet = DemoFleet::new(9, 200, start);
    fleet.set_tempo_ms(1_000);
    let src = &fleet.sources()[0];
    let before = all(src.as_ref(), &Query::UpdatedSince(start - 1));
    assert!(fleet.len() > 200, "new findings arrived");
    assert!(!before.is_empty());
    let target = &before[0].finding;
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let out = rt
        .block_on(src.update_workflow(&WorkflowUpdate {
            findings: vec![target.into()],
            status: Workflow::Suppressed,
            note: Some("accepted risk".into()),
            actor: "tester".into(),
            reason: None,
        }))
        .unwrap();
    assert_eq!(out.processed, vec![target.id.clone()]);
    let after = all(src.as_ref(), &Query::full(true));
    let same = after.iter().find(|n| n.finding.id == target.id).unwrap();
    assert_eq!(same.finding.workflow, Workflow::Suppressed);
    assert_eq!(
        same.finding.updated_at, target.updated_at,
        "UpdatedAt unchanged"
    );
    assert_eq!(same.finding.note.as_ref().unwrap().updated_by, "tester");
}
