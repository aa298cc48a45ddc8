//! Security Command Center v2 normalisation: 10,000 realistic `listFindingsResults` in one
//! body (Security Health Analytics misconfigurations with CIS/PCI/NIST compliances, Event
//! Threat Detection threats with MITRE ATT&CK, indicators and evidence, VM Manager CVEs;
//! resources with project metadata and paths), against `serde_json::Value` on the same bytes.
//!
//!   cargo bench --bench gcp

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};

use agent_hubble::model::format_rfc3339;
use agent_hubble::sources::gcp::normalize::normalize_page;

const N: usize = 10_000;
const NOW: i64 = 1_777_716_000_000;

fn compliances(ids: &[&str]) -> Value {
    let mut out: Vec<Value> = ["1.0", "1.1", "1.2", "1.3", "2.0"]
        .iter()
        .map(|v| json!({"standard": "cis", "version": v, "ids": ids}))
        .collect();
    out.push(json!({"standard": "pci", "version": "3.2.1", "ids": ["1.2.1"]}));
    out.push(json!({"standard": "nist", "version": "800-53", "ids": ["SC-7"]}));
    Value::Array(out)
}

fn result(i: usize) -> Value {
    let project = format!("acme-team-{:02}", i % 50);
    let number = 300_000_000_000u64 + (i % 50) as u64;
    let fid = format!(
        "{:032x}",
        (i as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)
    );
    let event = format_rfc3339(NOW - (i as i64) * 37_000);
    let (source, category, class, sev, rtype, rname, extra) = match i % 8 {
        0..=3 => {
            let (cat, rt, rn, ids) = [
                ("PUBLIC_BUCKET_ACL", "google.cloud.storage.Bucket", format!("//storage.googleapis.com/{project}-assets-{i}"), "5.1"),
                ("OPEN_FIREWALL", "google.compute.Firewall", format!("//compute.googleapis.com/projects/{project}/global/firewalls/allow-all-{i}"), "3.6"),
                ("SQL_PUBLIC_IP", "google.cloud.sql.Instance", format!("//cloudsql.googleapis.com/projects/{project}/instances/db-{i}"), "6.6"),
                ("PUBLIC_IP_ADDRESS", "google.compute.Instance", format!("//compute.googleapis.com/projects/{project}/zones/us-central1-a/instances/vm-{i}"), "4.9"),
            ][i % 4].clone();
            let extra = json!({
                "compliances": compliances(&[ids]),
                "description": "Firewall rules that allow connections from all IP addresses (0.0.0.0/0) or on all ports can expose resources to attackers.",
                "nextSteps": "Restrict the source ranges and ports of the firewall rule.",
                "sourceProperties": {"Recommendation": "Restrict the source ranges and ports of the firewall rule.",
                    "Explanation": "Firewall rules that allow connections from all IP addresses can expose resources.",
                    "ScannerName": "FIREWALL_SCANNER", "ReactivationCount": 0,
                    "ResourcePath": [project.clone(), "Production", "acme.example"],
                    "ExceptionInstructions": "Add the security mark \"allow_open_firewall\" to the asset with a value of \"true\"."},
                "externalUri": format!("https://console.cloud.google.com/networking/firewalls/details/allow-all-{i}?project={project}"),
                "mute": if i.is_multiple_of(17) { "MUTED" } else { "UNDEFINED" }
            });
            (
                "Security Health Analytics",
                cat.to_string(),
                "MISCONFIGURATION",
                "HIGH",
                rt,
                rn,
                extra,
            )
        }
        4..=6 => {
            let rn = format!(
                "//compute.googleapis.com/projects/{project}/zones/us-central1-a/instances/worker-{i}"
            );
            let extra = json!({
                "description": "A VM connected to an IP address known to be used for cryptocurrency mining.",
                "nextSteps": "Stop the instance, review how it was compromised and rotate its credentials.",
                "indicator": {"ipAddresses": ["198.51.100.23"], "domains": ["pool.mining.example"]},
                "mitreAttack": {"primaryTactic": "IMPACT", "primaryTechniques": ["RESOURCE_HIJACKING"], "version": "15"},
                "connections": [{"destinationIp": "198.51.100.23", "destinationPort": 3333, "sourceIp": "10.128.0.7",
                                 "sourcePort": 51234, "protocol": "TCP"}],
                "access": {"principalEmail": format!("svc@{project}.iam.gserviceaccount.com"), "callerIp": "203.0.113.45",
                           "serviceName": "compute.googleapis.com", "methodName": "v1.compute.instances.insert"},
                "sourceProperties": {"detectionPriority": "HIGH",
                    "detectionCategory": {"ruleName": "bad_ip", "subRuleName": "cryptomining"},
                    "evidence": [{"sourceLogId": {"projectId": project.clone(), "resourceContainer": format!("projects/{project}"),
                                                  "timestamp": event.clone(), "insertId": &fid[..12]}}],
                    "findingId": fid.clone()},
                "externalUri": format!("https://console.cloud.google.com/logs/query?project={project}"),
                "mute": "UNDEFINED"
            });
            (
                "Event Threat Detection",
                "Malware: Cryptomining Bad IP".to_string(),
                "THREAT",
                "CRITICAL",
                "google.compute.Instance",
                rn,
                extra,
            )
        }
        _ => {
            let rn = format!(
                "//compute.googleapis.com/projects/{project}/zones/europe-west1-b/instances/bastion-{i}"
            );
            let extra = json!({
                "description": "openssh-server 1:8.9p1-3ubuntu0.6 is affected by CVE-2024-6387 (regreSSHion).",
                "nextSteps": "Upgrade openssh-server to 1:8.9p1-3ubuntu0.10 or later.",
                "vulnerability": {"cve": {"id": "CVE-2024-6387",
                    "references": [{"source": "NVD", "uri": "https://nvd.nist.gov/vuln/detail/CVE-2024-6387"}],
                    "cvssv3": {"baseScore": 8.1, "attackVector": "ATTACK_VECTOR_NETWORK", "attackComplexity": "ATTACK_COMPLEXITY_HIGH"},
                    "upstreamFixAvailable": true, "impact": "HIGH", "exploitationActivity": "AVAILABLE"},
                    "offendingPackage": {"packageName": "openssh-server", "packageVersion": "1:8.9p1-3ubuntu0.6", "packageType": "os"},
                    "fixedPackage": {"packageName": "openssh-server", "packageVersion": "1:8.9p1-3ubuntu0.10", "packageType": "os"}},
                "mute": "UNDEFINED"
            });
            (
                "VM Manager",
                "OS_VULNERABILITY".to_string(),
                "VULNERABILITY",
                "MEDIUM",
                "google.compute.Instance",
                rn,
                extra,
            )
        }
    };
    let name = format!(
        "organizations/123456789012/sources/{}/locations/global/findings/{fid}",
        1000 + i % 8
    );
    let mut finding = json!({
        "name": name,
        "canonicalName": format!("projects/{number}/sources/{}/locations/global/findings/{fid}", 1000 + i % 8),
        "parent": format!("organizations/123456789012/sources/{}/locations/global", 1000 + i % 8),
        "resourceName": rname,
        "state": "ACTIVE",
        "category": category,
        "securityMarks": {"name": format!("{name}/securityMarks")},
        "eventTime": event,
        "createTime": format_rfc3339(NOW - 30 * 86_400_000 - (i as i64) * 1000),
        "severity": sev,
        "findingClass": class,
        "parentDisplayName": source,
    });
    for (k, v) in extra.as_object().unwrap() {
        finding[k] = v.clone();
    }
    json!({
        "finding": finding,
        "resource": {
            "name": rname, "displayName": rname.rsplit('/').next().unwrap(), "type": rtype,
            "cloudProvider": "GOOGLE_CLOUD_PLATFORM", "service": "compute.googleapis.com", "location": "us-central1",
            "gcpMetadata": {"project": format!("//cloudresourcemanager.googleapis.com/projects/{number}"),
                            "projectDisplayName": project, "parent": "//cloudresourcemanager.googleapis.com/folders/456789012345",
                            "parentDisplayName": "Production",
                            "folders": [{"resourceFolder": "//cloudresourcemanager.googleapis.com/folders/456789012345",
                                         "resourceFolderDisplayName": "Production"}],
                            "organization": "organizations/123456789012"},
            "resourcePath": {"nodes": [{"nodeType": "GCP_PROJECT", "id": number.to_string(), "displayName": project},
                                       {"nodeType": "GCP_FOLDER", "id": "456789012345", "displayName": "Production"},
                                       {"nodeType": "GCP_ORGANIZATION", "id": "123456789012", "displayName": "acme.example"}]},
            "resourcePathString": format!("organizations/123456789012/folders/456789012345/projects/{number}")
        }
    })
}

fn body() -> Vec<u8> {
    let results: Vec<Value> = (0..N).map(result).collect();
    serde_json::to_vec(
        &json!({"listFindingsResults": results, "nextPageToken": "bmV4dA", "totalSize": N * 3}),
    )
    .unwrap()
}

fn best_of(runs: usize, f: &dyn Fn()) -> f64 {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::MAX, f64::min)
}

fn normalise(c: &mut Criterion) {
    let body = body();
    let page = normalize_page(&body, "gcp/bench/organizations/123456789012").unwrap();
    assert_eq!(page.items.len(), N, "{:?}", page.skipped.first());
    let mut g = c.benchmark_group("gcp_10k");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(20);
    g.bench_function("normalize_page", |b| {
        b.iter(|| black_box(normalize_page(black_box(&body), "gcp/bench/organizations/1").unwrap()))
    });
    g.bench_function("serde_json_value", |b| {
        b.iter(|| black_box(serde_json::from_slice::<Value>(black_box(&body)).unwrap()))
    });
    g.finish();
    let ours = best_of(7, &|| {
        drop(black_box(normalize_page(&body, "gcp/b/o").unwrap()))
    });
    let value = best_of(7, &|| {
        drop(black_box(serde_json::from_slice::<Value>(&body).unwrap()))
    });
    println!(
        "normalise SCC v2: {:.0} findings/s ({:.1} MB/s, {} bytes/finding); serde_json::Value: {:.0} findings/s; ratio {:.2} (goal >= 1)",
        N as f64 / ours,
        body.len() as f64 / ours / 1e6,
        body.len() / N,
        N as f64 / value,
        value / ours
    );
}

criterion_group!(benches, normalise);
criterion_main!(benches);
