//! Posture benchmarks: score + breakdowns for 100k control findings over 500 controls ×
//! 50 accounts (runs on every poll cycle; goal < 50 ms), and the end-to-end report.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};

use agent_hubble::model::{ComplianceStatus, Finding, Text};
use agent_hubble::sources::memory::sample_finding;

const STANDARDS: [&str; 4] = [
    "standards/aws-foundational-security-best-practices/v/1.0.0",
    "standards/cis-aws-foundations-benchmark/v/1.4.0",
    "standards/pci-dss/v/4.0.1",
    "standards/nist-800-53/v/5.0.0",
];

/// 100k control findings: 500 controls × 50 accounts × 4 regions (fewer resources per cell).
pub fn fleet() -> Vec<Arc<Finding>> {
    let mut out = Vec::with_capacity(100_000);
    let mut seed = 0x9e37_79b9_u64;
    for i in 0..100_000usize {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let control = i % 500;
        let mut f = sample_finding(i, 1_700_000_000_000 + i as i64);
        f.control_id = Some(format!("CTL.{control}").into());
        f.account = format!("{:012}", 100_000_000_000u64 + (i / 500 % 50) as u64).into();
        f.region = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2"][i / 25_000].into();
        f.compliance = Some(match seed % 20 {
            0..=1 => ComplianceStatus::Failed,
            2 => ComplianceStatus::Warning,
            _ => ComplianceStatus::Passed,
        });
        f.standards = STANDARDS
            .iter()
            .take(1 + control % 4)
            .map(|s| Text::from(*s))
            .collect();
        f.related_requirements = vec![format!("NIST.800-53.r5 AC-{}", control % 25).into()];
        out.push(Arc::new(f));
    }
    out
}

fn score(c: &mut Criterion) {
    let findings = fleet();
    let mut g = c.benchmark_group("posture_100k");
    g.sample_size(20);
    g.bench_function("score_and_breakdowns", |b| {
        b.iter(|| {
            black_box(agent_hubble::posture::score::compute(
                black_box(&findings),
                None,
            ))
        })
    });
    g.bench_function("stats", |b| {
        b.iter(|| {
            black_box(agent_hubble::posture::stats::compute(
                black_box(&findings),
                1_800_000_000_000,
            ))
        })
    });
    g.finish();
}

criterion_group!(benches, score);
criterion_main!(benches);
