//! A large, deterministic SARIF log built from the fixtures (tests/fixtures/sarif/): half
//! bandit results (snippets, context regions, CWE tags, no level on MEDIUM), half CodeQL
//! results (partialFingerprints, security-severity, uriBaseId, relatedLocations). Shared by
//! benches/sarif.rs and tests/sarif_rss.rs.

use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/sarif/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("fixture JSON")
}

/// A SARIF log with `results` results (about 500 bytes each).
pub fn generate(results: usize) -> Vec<u8> {
    let bandit = fixture("bandit-project.sarif");
    let codeql = fixture("multi-run.sarif");
    let mut bandit_run = bandit["runs"][0].clone();
    let mut codeql_run = codeql["runs"][0].clone();
    let b_templates = bandit_run["results"].as_array().expect("results").clone();
    let c_templates = codeql_run["results"].as_array().expect("results").clone();
    bandit_run["results"] = json!([]);
    codeql_run["results"] = json!([]);
    codeql_run["originalUriBaseIds"] = json!({"SRCROOT": {"uri": "file:///builds/acme/api/"}});
    codeql_run["versionControlProvenance"] = json!([{
        "repositoryUri": "https://github.com/acme/api", "branch": "main",
        "revisionId": "4f1d0b9c8e7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c",
        "mappedTo": {"uriBaseId": "SRCROOT"}
    }]);
    // Serialise the envelope with a marker where the results go, then splice them in: one
    // string per result, not a 100k-element Value tree.
    let marker = "\"@@RESULTS@@\"";
    bandit_run["results"] = json!("@@RESULTS@@");
    codeql_run["results"] = json!("@@RESULTS@@");
    let (b_head, b_tail) = split(&bandit_run, marker);
    let (c_head, c_tail) = split(&codeql_run, marker);
    let mut out = String::with_capacity(results * 520 + 64 * 1024);
    out.push_str("{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\",\"runs\":[");
    let half = results / 2;
    out.push_str(&b_head);
    for i in 0..half {
        if i > 0 {
            out.push(',');
        }
        let mut r = b_templates[i % b_templates.len()].clone();
        let loc = &mut r["locations"][0]["physicalLocation"];
        loc["artifactLocation"]["uri"] = json!(format!(
            "svc{}/pkg{}/module_{}.py",
            i % 7,
            i / 1000,
            i % 100
        ));
        loc["region"]["startLine"] = json!(i + 1);
        out.push_str(&r.to_string());
    }
    out.push_str(&b_tail);
    out.push(',');
    out.push_str(&c_head);
    for i in 0..results - half {
        if i > 0 {
            out.push(',');
        }
        let mut r = c_templates[i % c_templates.len()].clone();
        let loc = &mut r["locations"][0]["physicalLocation"];
        loc["artifactLocation"] =
            json!({"uri": format!("app/m{}/views_{}.py", i / 500, i % 50), "uriBaseId": "SRCROOT"});
        loc["region"]["startLine"] = json!(i + 1);
        loc["region"]["snippet"] = json!({"text": format!("    cursor.execute(\"SELECT * FROM t{} WHERE id=\" + request.args[\"id\"])\n", i % 13)});
        r["partialFingerprints"] = json!({"primaryLocationLineHash": format!("{:016x}:1", (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))});
        out.push_str(&r.to_string());
    }
    out.push_str(&c_tail);
    out.push_str("]}");
    out.into_bytes()
}

fn split(run: &Value, marker: &str) -> (String, String) {
    let s = run.to_string();
    let i = s.find(marker).expect("marker");
    (
        format!("{}[", &s[..i]),
        format!("]{}", &s[i + marker.len()..]),
    )
}
