//! GitHub code-scanning normalisation (criterion): 10,000 alerts of one organisation listing
//! body (alerts as GitHub returns them, each with its `repository`), normalised, against
//! `serde_json::from_slice::<Value>` on the same bytes.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};

use agent_hubble::sources::github::normalize_page;

const RULES: [(&str, &str, &str, &str, &[&str]); 6] = [
    (
        "py/sql-injection",
        "error",
        "high",
        "SQL query built from user-controlled sources",
        &["security", "external/cwe/cwe-089"],
    ),
    (
        "py/path-injection",
        "error",
        "high",
        "Uncontrolled data used in path expression",
        &[
            "security",
            "external/cwe/cwe-022",
            "external/cwe/cwe-023",
            "external/cwe/cwe-036",
        ],
    ),
    (
        "js/xss",
        "error",
        "medium",
        "Client-side cross-site scripting",
        &["security", "external/cwe/cwe-079", "external/cwe/cwe-116"],
    ),
    (
        "py/flask-debug",
        "error",
        "high",
        "Flask app is run in debug mode",
        &["security", "external/cwe/cwe-215", "external/cwe/cwe-489"],
    ),
    (
        "py/unused-import",
        "note",
        "",
        "Unused import",
        &["maintainability", "useless-code"],
    ),
    (
        "B602",
        "warning",
        "",
        "subprocess call with shell=True identified",
        &[],
    ),
];

fn repository(owner: &str, name: &str, id: u64) -> Value {
    let api = format!("https://api.github.com/repos/{owner}/{name}");
    let mut r = json!({
        "id": id, "node_id": "R_kgDOExample", "name": name, "full_name": format!("{owner}/{name}"),
        "owner": {"login": owner, "id": 9919, "node_id": "O_kgDOExample", "type": "Organization",
                  "avatar_url": "https://avatars.githubusercontent.com/u/9919?v=4", "gravatar_id": "",
                  "url": format!("https://api.github.com/users/{owner}"), "html_url": format!("https://github.com/{owner}"),
                  "site_admin": false},
        "private": true, "html_url": format!("https://github.com/{owner}/{name}"),
        "description": "Service code", "fork": false, "url": api,
    });
    for k in [
        "archive",
        "assignees",
        "blobs",
        "branches",
        "collaborators",
        "comments",
        "commits",
        "compare",
        "contents",
        "contributors",
        "deployments",
        "downloads",
        "events",
        "forks",
        "git_commits",
        "git_refs",
        "git_tags",
        "issue_comment",
        "issue_events",
        "issues",
        "keys",
        "labels",
        "languages",
        "merges",
        "milestones",
        "notifications",
        "pulls",
        "releases",
        "stargazers",
        "statuses",
        "subscribers",
        "subscription",
        "tags",
        "teams",
        "trees",
        "hooks",
    ] {
        r[format!("{k}_url")] = format!("{api}/{k}{{/id}}").into();
    }
    r
}

fn body(n: usize) -> Vec<u8> {
    let repos: Vec<Value> = (0..40)
        .map(|i| repository("acme", &format!("service-{i:02}"), 700_000 + i))
        .collect();
    let alerts: Vec<Value> = (0..n)
        .map(|i| {
            let (id, severity, level, desc, tags) = RULES[i % RULES.len()];
            let repo = &repos[i % repos.len()];
            let full = repo["full_name"].as_str().unwrap();
            let number = i / repos.len() + 1;
            let state = ["open", "open", "open", "dismissed", "fixed"][i % 5];
            let api = format!("https://api.github.com/repos/{full}/code-scanning/alerts/{number}");
            json!({
                "number": number,
                "created_at": "2026-01-05T09:12:44Z",
                "updated_at": "2026-02-05T10:00:00Z",
                "url": api,
                "html_url": format!("https://github.com/{full}/security/code-scanning/{number}"),
                "instances_url": format!("{api}/instances"),
                "state": state,
                "fixed_at": if state == "fixed" { json!("2026-02-05T10:00:00Z") } else { Value::Null },
                "dismissed_by": if state == "dismissed" { json!({"login": "mona", "id": 1, "type": "User"}) } else { Value::Null },
                "dismissed_at": if state == "dismissed" { json!("2026-02-05T10:00:00Z") } else { Value::Null },
                "dismissed_reason": if state == "dismissed" { json!("false positive") } else { Value::Null },
                "dismissed_comment": if state == "dismissed" { json!("validated two lines above") } else { Value::Null },
                "rule": {
                    "id": id, "name": id, "severity": severity,
                    "security_severity_level": if level.is_empty() { Value::Null } else { json!(level) },
                    "description": desc,
                    "full_description": format!("{desc}: a longer explanation of why this pattern is dangerous and when it is not."),
                    "tags": tags,
                    "help": format!("# {desc}\n\nAn explanation of the issue with an example.\n\n## Recommendation\nUse the safe API instead of building the value from user input.\n\n## References\n* https://owasp.org/\n"),
                    "help_uri": format!("https://codeql.github.com/codeql-query-help/{id}/"),
                },
                "tool": {"name": if id == "B602" { "Bandit" } else { "CodeQL" }, "version": "2.20.1", "guid": null},
                "most_recent_instance": {
                    "ref": "refs/heads/main",
                    "analysis_key": ".github/workflows/codeql.yml:analyze",
                    "environment": "{\"language\":\"python\"}",
                    "category": "/language:python",
                    "state": state,
                    "commit_sha": "39406e42cb832f683daa691dd652a8dc36ee8930",
                    "message": {"text": format!("This value depends on a user-provided value ({i}).")},
                    "location": {"path": format!("app/module_{}/file_{}.py", i % 97, i % 13), "start_line": 10 + i % 400, "end_line": 10 + i % 400, "start_column": 5, "end_column": 42},
                    "classifications": [],
                },
                "dismissal_approved_by": null,
                "assignees": [],
                "repository": repo,
            })
        })
        .collect();
    serde_json::to_vec(&alerts).unwrap()
}

fn normalise(c: &mut Criterion) {
    let body = body(10_000);
    let page = normalize_page(&body, "github/bench", None).unwrap();
    assert_eq!((page.items.len(), page.skipped.len()), (10_000, 0));
    eprintln!("github_10k: body {:.1} MB", body.len() as f64 / 1e6);
    let mut g = c.benchmark_group("github_10k");
    g.throughput(Throughput::Elements(10_000));
    g.sample_size(20);
    g.bench_function("normalize_page", |b| {
        b.iter(|| black_box(normalize_page(black_box(&body), "github/bench", None).unwrap()))
    });
    g.bench_function("serde_json_value", |b| {
        b.iter(|| black_box(serde_json::from_slice::<Value>(black_box(&body)).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, normalise);
criterion_main!(benches);
