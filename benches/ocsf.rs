//! OCSF (GetFindingsV2) normalisation vs plain JSON parsing of the same bytes: 10,000
//! findings of the three classes Security Hub v2 returns (compliance, detection,
//! vulnerability), built from AWS-documented shapes with unique ids.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::Value;

use agent_hubble::sources::ocsf::normalize_page;

fn body(n: usize) -> Vec<u8> {
    let all: Value =
        serde_json::from_str(include_str!("../tests/moto/ocsf_examples.json")).unwrap();
    let kinds = ["compliance", "compliance", "detection", "vulnerability"];
    let accounts = [
        "111111111111",
        "222222222222",
        "333333333333",
        "444444444444",
    ];
    let findings: Vec<Value> = (0..n)
        .map(|i| {
            let mut f = all[kinds[i % kinds.len()]].clone();
            let account = accounts[i % accounts.len()];
            f["metadata"]["uid"] = format!("{:064x}", i as u128 * 0x9e37_79b9_7f4a_7c15).into();
            f["cloud"]["account"]["uid"] = account.into();
            f["finding_info"]["uid"] =
                format!("arn:aws:securityhub:us-east-1:{account}:finding/{i}").into();
            if let Some(r) = f["resources"].get_mut(0) {
                r["uid"] = format!("resource-{i}").into();
            }
            f
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({ "Findings": findings })).unwrap()
}

fn normalise(c: &mut Criterion) {
    let body = body(10_000);
    let mut g = c.benchmark_group("ocsf_10k");
    g.throughput(Throughput::Elements(10_000));
    g.sample_size(20);
    g.bench_function("normalize_page", |b| {
        b.iter(|| black_box(normalize_page(black_box(&body), "bench").unwrap()))
    });
    g.bench_function("serde_json_value", |b| {
        b.iter(|| black_box(serde_json::from_slice::<Value>(black_box(&body)).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, normalise);
criterion_main!(benches);
