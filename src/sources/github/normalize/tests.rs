use super::*;
use crate::filter::Filter;

fn alert() -> serde_json::Value {
    serde_json::json!({
        "number": 42,
        "created_at": "2026-01-05T09:12:44Z",
        "updated_at": "2026-01-06T10:00:00Z",
        "url": "https://api.github.com/repos/acme/api/code-scanning/alerts/42",
        "html_url": "https://github.com/acme/api/security/code-scanning/42",
        "state": "open",
        "fixed_at": null,
        "dismissed_by": null,
        "dismissed_at": null,
        "dismissed_reason": null,
        "dismissed_comment": null,
        "rule": {
            "id": "py/sql-injection",
            "name": "py/sql-injection",
            "severity": "error",
            "security_severity_level": "high",
            "description": "SQL query built from user-controlled sources",
            "full_description": "Building a SQL query from user-controlled sources is vulnerable.",
            "tags": ["security", "external/cwe/cwe-089", "external/cwe/cwe-089", "external/cwe/cwe-1236"],
            "help": "# SQL injection\nUse parameters.",
            "help_uri": "https://codeql.github.com/codeql-query-help/python/py-sql-injection/"
        },
        "tool": {"name": "CodeQL", "version": "2.20.1", "guid": null},
        "most_recent_instance": {
            "ref": "refs/heads/main",
            "commit_sha": "abc123",
            "message": {"text": "This SQL query depends on a user-provided value."},
            "location": {"path": "app/db/queries.py", "start_line": 42, "end_line": 42},
            "classifications": []
        },
        "instances_url": "https://api.github.com/repos/acme/api/code-scanning/alerts/42/instances",
        "assignees": []
    })
}

fn one(v: &serde_json::Value) -> Finding {
    normalize_one(&v.to_string(), "github/acme", Some("acme/api")).unwrap()
}

#[test]
fn an_open_alert_becomes_a_code_finding() {
    let f = one(&alert());
    assert_eq!(
        f.id,
        "https://github.com/acme/api/security/code-scanning/42"
    );
    assert_eq!(f.cloud, Cloud::Code);
    assert_eq!(f.provider, Provider::GithubCodeScanning);
    assert_eq!(&*f.account, "acme/api");
    assert_eq!(&*f.region, "refs/heads/main");
    assert_eq!(f.severity, Severity::High);
    assert_eq!(&*f.title, "SQL query built from user-controlled sources");
    assert_eq!(
        &*f.description,
        "This SQL query depends on a user-provided value.\n\nBuilding a SQL query from user-controlled sources is vulnerable."
    );
    assert_eq!(f.control_id.as_deref(), Some("py/sql-injection"));
    assert_eq!(&*f.product_name, "CodeQL");
    assert_eq!(&*f.company_name, "GitHub");
    assert_eq!(f.resources.len(), 1);
    assert_eq!(&*f.resources[0].kind, "File");
    assert_eq!(f.resources[0].id, "app/db/queries.py:42");
    assert_eq!(f.workflow, Workflow::New);
    assert_eq!(
        f.created_at,
        parse_timestamp("2026-01-05T09:12:44Z").unwrap()
    );
    assert_eq!(
        f.updated_at,
        parse_timestamp("2026-01-06T10:00:00Z").unwrap()
    );
    assert_eq!(f.url.as_deref(), Some(f.id.as_str()));
    let vulns: Vec<&str> = f.vulns.iter().map(|v| v.as_str()).collect();
    assert_eq!(vulns, ["CWE-89", "CWE-1236"]);
    assert_eq!(f.types, vec![intern("security")]);
    assert_eq!(
        f.remediation_url.as_deref(),
        Some("https://codeql.github.com/codeql-query-help/python/py-sql-injection/")
    );
    let d: Vec<(&str, &str)> = f.details.iter().map(|(k, v)| (&**k, &**v)).collect();
    assert_eq!(
        d,
        [
            ("Rule", "py/sql-injection"),
            ("Tool", "CodeQL 2.20.1"),
            ("Alert", "#42"),
            ("State", "open"),
            ("Ref", "refs/heads/main"),
            ("Commit", "abc123"),
            (
                "Help",
                "https://codeql.github.com/codeql-query-help/python/py-sql-injection/"
            ),
        ]
    );
    assert_eq!(parse_id(&f.id), Some(("acme/api".into(), 42)));
}

#[test]
fn filter_tokens_find_code_findings() {
    let f = one(&alert());
    for (expr, hit) in [
        ("tool:codeql", true),
        ("tool:bandit", false),
        ("repo:acme/api", true),
        ("repo:acme/web", false),
        ("file:queries.py", true),
        ("file:main.py", false),
        ("cwe:89", true),
        ("cwe:CWE-1236", true),
        ("cwe:8", false),
        ("cloud:code", true),
    ] {
        let filter = Filter::parse(expr).unwrap();
        assert_eq!(filter.matches(&f, 0), hit, "{expr}");
    }
}

#[test]
fn dismissed_and_fixed_states() {
    let mut a = alert();
    a["state"] = "dismissed".into();
    a["dismissed_at"] = "2026-01-13T08:30:00Z".into();
    a["updated_at"] = "2026-01-13T08:30:00Z".into();
    a["dismissed_reason"] = "false positive".into();
    a["dismissed_comment"] = "validated by safe_join()".into();
    a["dismissed_by"] = serde_json::json!({"login": "mona", "id": 1});
    let f = one(&a);
    assert_eq!(f.workflow, Workflow::Suppressed);
    let dismissed = f.details.iter().find(|(k, _)| &**k == "Dismissed").unwrap();
    assert_eq!(
        &*dismissed.1,
        "false positive by mona: validated by safe_join()"
    );
    let note = f.note.unwrap();
    assert_eq!(
        (note.text.as_str(), note.updated_by.as_str()),
        ("validated by safe_join()", "mona")
    );
    assert_eq!(
        f.updated_at,
        parse_timestamp("2026-01-13T08:30:00Z").unwrap()
    );

    let mut a = alert();
    a["state"] = "fixed".into();
    a["fixed_at"] = "2026-02-02T16:20:11Z".into();
    let f = one(&a);
    assert_eq!(f.workflow, Workflow::Resolved);
    // fixed_at later than updated_at still moves the finding's update time.
    assert_eq!(
        f.updated_at,
        parse_timestamp("2026-02-02T16:20:11Z").unwrap()
    );
}

#[test]
fn severity_falls_back_to_the_rule_severity() {
    for (level, sev, want) in [
        (Some("critical"), "note", Severity::Critical),
        (Some("low"), "error", Severity::Low),
        (None, "error", Severity::High),
        (None, "warning", Severity::Medium),
        (None, "note", Severity::Low),
        (None, "none", Severity::Informational),
    ] {
        let mut a = alert();
        a["rule"]["security_severity_level"] = level.into();
        a["rule"]["severity"] = sev.into();
        assert_eq!(one(&a).severity, want, "{level:?} {sev}");
    }
}

#[test]
fn org_listing_names_the_repository_and_odd_urls_fall_back() {
    let mut a = alert();
    a["repository"] = serde_json::json!({"full_name": "acme/web", "id": 7});
    a["html_url"] = "https://github.com/acme/web/security/code-scanning/42".into();
    let f = normalize_one(&a.to_string(), "github/acme", None).unwrap();
    assert_eq!(&*f.account, "acme/web");
    assert_eq!(
        f.id,
        "https://github.com/acme/web/security/code-scanning/42"
    );
    // An html_url that does not name the alert: the id is repo#number.
    a["html_url"] = "https://proxy.example/alert?id=42".into();
    let f = normalize_one(&a.to_string(), "github/acme", None).unwrap();
    assert_eq!(f.id, "acme/web#42");
    assert_eq!(parse_id(&f.id), Some(("acme/web".into(), 42)));
    // GHES form.
    assert_eq!(
        parse_id("http://127.0.0.1:9/acme/api/security/code-scanning/7"),
        Some(("acme/api".into(), 7))
    );
    assert_eq!(parse_id("arn:aws:securityhub:x"), None);
    assert_eq!(parse_id("a/b#x"), None);
}

#[test]
fn bad_alerts_are_skipped_and_counted() {
    let mut missing_time = alert();
    missing_time["created_at"] = serde_json::Value::Null;
    let mut bad_time = alert();
    bad_time["number"] = 43.into();
    bad_time["updated_at"] = "yesterday".into();
    let mut no_number = alert();
    no_number.as_object_mut().unwrap().remove("number");
    no_number.as_object_mut().unwrap().remove("html_url");
    let mut wrong_type = alert();
    wrong_type["rule"] = "oops".into();
    let body = serde_json::json!([alert(), missing_time, bad_time, no_number, wrong_type, 17]);
    let page =
        normalize_page(body.to_string().as_bytes(), "github/acme", Some("acme/api")).unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.skipped.len(), 5, "{:?}", page.skipped);
    assert!(
        page.skipped[1].contains("updated_at is not a timestamp"),
        "{:?}",
        page.skipped
    );
    assert!(normalize_page(b"{\"message\":\"Not Found\"}", "s", None).is_err());
    // No repository anywhere: skipped, not a panic.
    let mut a = alert();
    a["html_url"] = serde_json::Value::Null;
    assert!(
        normalize_one(&a.to_string(), "s", None)
            .unwrap_err()
            .contains("no repository")
    );
}

#[test]
fn hostile_text_is_kept_as_received() {
    let mut a = alert();
    let evil = "Evil \u{1b}]52;c;cGF3bmVk\u{7} \u{202e}txet\u{202c} 日本語";
    a["rule"]["description"] = evil.into();
    a["most_recent_instance"]["message"]["text"] = evil.into();
    a["most_recent_instance"]["location"]["path"] = "../../\u{1b}[2Jx.py".into();
    a["rule"]["tags"] = serde_json::json!([
        "external/cwe/cwe-",
        "external/cwe/cwe-99999999999999",
        "external/cwe/cwé-1",
        null
    ]);
    let page = normalize_page(
        serde_json::json!([a]).to_string().as_bytes(),
        "s",
        Some("acme/api"),
    );
    // A null tag makes the tag list malformed: skipped, never a panic.
    assert_eq!(page.unwrap().skipped.len(), 1);
    a["rule"]["tags"] = serde_json::json!([
        "external/cwe/cwe-",
        "external/cwe/cwe-99999999999999",
        "external/cwe/cwé-1"
    ]);
    let f = one(&a);
    assert_eq!(&*f.title, evil);
    assert!(f.description.starts_with(evil));
    assert_eq!(f.resources[0].id, "../../\u{1b}[2Jx.py:42");
    assert!(f.vulns.is_empty());
}
