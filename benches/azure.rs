//! Defender for Cloud normalisation (criterion): 10,000 alerts and assessments in one ARM
//! list body, against `serde_json::from_slice::<Value>` of the same bytes (goal: ≥ 1×).
//!
//! The body is built from the spec's example alerts and the emulator's expanded assessments,
//! varied per item (ids, resources, locations, states, times) the way a large tenant looks:
//! 4,000 alerts over 12 alert types, 6,000 assessments of 12 recommendations.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};

use agent_hubble::sources::azure::normalize::{Ctx, Kind, normalize_page};

const SUB: &str = "20ff7fc3-e762-44dd-bd96-b71116dcdc23";
const NOW: i64 = 1_763_800_000_000;
const ALERTS: usize = 4_000;
const ASSESSMENTS: usize = 6_000;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/azure/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(&path).expect(&path)).expect("fixture JSON")
}

fn iso(ms: i64) -> String {
    agent_hubble::model::format_rfc3339(ms)
}

fn body() -> Vec<u8> {
    let alerts = fixture("GetAlertsSubscription_example.json")["responses"]["200"]["body"]["value"]
        .as_array()
        .unwrap()
        .clone();
    let assessments = fixture("emulator_assessments_expanded.json")["body"]["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["properties"]["status"]["code"] != "NotApplicable")
        .cloned()
        .collect::<Vec<_>>();
    let locations = ["westeurope", "eastus", "northeurope", "centralus"];
    let statuses = [
        "Active",
        "Active",
        "Active",
        "InProgress",
        "Resolved",
        "Dismissed",
    ];
    let severities = ["High", "Medium", "Low", "Informational"];
    let mut value = Vec::with_capacity(ALERTS + ASSESSMENTS);
    for i in 0..ALERTS {
        let mut a = alerts[i % alerts.len()].clone();
        let rg = format!("rg-{}", i % 40);
        let vm = format!(
            "/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/vm-{i:05}"
        );
        let loc = locations[i % locations.len()];
        let name = format!(
            "{}_{:08X}-A3E5-42DA-A279-{i:012}",
            2518770965529163669u64 - i as u64,
            i
        );
        a["id"] = json!(format!(
            "/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Security/locations/{loc}/alerts/{name}"
        ));
        a["name"] = json!(name);
        let p = &mut a["properties"];
        let kind = i % 12;
        p["alertType"] = json!(format!("VM_Detection{kind}"));
        p["alertDisplayName"] = json!(format!("Suspicious activity of kind {kind} detected"));
        p["severity"] = json!(severities[i % severities.len()]);
        p["status"] = json!(statuses[i % statuses.len()]);
        p["compromisedEntity"] = json!(format!("vm-{i:05}"));
        p["resourceIdentifiers"][0]["azureResourceId"] = json!(vm);
        let start = NOW - (i as i64) * 60_000;
        p["startTimeUtc"] = json!(iso(start));
        p["endTimeUtc"] = json!(iso(start));
        p["timeGeneratedUtc"] = json!(iso(start + 90_000));
        p["processingEndTimeUtc"] = json!(iso(start + 91_000));
        value.push(a);
    }
    let resource_kinds = [
        "Microsoft.Compute/virtualMachines",
        "Microsoft.Storage/storageAccounts",
        "Microsoft.Sql/servers",
        "Microsoft.Web/sites",
    ];
    for i in 0..ASSESSMENTS {
        let mut a = assessments[i % assessments.len()].clone();
        let key = format!("{:08x}-4d0c-d7b4-7cea-064a9554e681", i % 12);
        let rid = format!(
            "/subscriptions/{SUB}/resourceGroups/rg-{}/providers/{}/res-{i:05}",
            i % 40,
            resource_kinds[i % resource_kinds.len()]
        );
        a["id"] = json!(format!(
            "{rid}/providers/Microsoft.Security/assessments/{key}"
        ));
        a["name"] = json!(key);
        let p = &mut a["properties"];
        p["resourceDetails"]["id"] = json!(rid);
        p["status"]["code"] = json!(if i % 3 == 0 { "Healthy" } else { "Unhealthy" });
        p["status"]["firstEvaluationDate"] = json!(iso(NOW - 86_400_000 * (i as i64 % 90)));
        p["status"]["statusChangeDate"] = json!(iso(NOW - 3_600_000 * (i as i64 % 48)));
        value.push(a);
    }
    serde_json::to_vec(&json!({"value": value})).unwrap()
}

fn normalise(c: &mut Criterion) {
    let body = body();
    let ctx = Ctx::new(&format!("azure/bench/{SUB}"), SUB, NOW);
    let page = normalize_page(&body, &ctx, Kind::Any).unwrap();
    assert_eq!(
        (page.items.len(), page.skipped.len()),
        (ALERTS + ASSESSMENTS, 0),
        "{:?}",
        page.skipped.first()
    );
    eprintln!(
        "azure_10k body: {} bytes, {} findings",
        body.len(),
        page.items.len()
    );
    let mut g = c.benchmark_group("azure_10k");
    g.throughput(Throughput::Elements((ALERTS + ASSESSMENTS) as u64));
    g.sample_size(20);
    g.bench_function("normalize_page", |b| {
        b.iter(|| black_box(normalize_page(black_box(&body), &ctx, Kind::Any).unwrap()))
    });
    g.bench_function("serde_json_value", |b| {
        b.iter(|| black_box(serde_json::from_slice::<Value>(black_box(&body)).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, normalise);
criterion_main!(benches);
