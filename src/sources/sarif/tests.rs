//! The normaliser on every fixture in tests/fixtures/sarif/ (see its README).

use super::normalize::{FileContext, FileFindings, normalize_file};
use crate::model::{Finding, Severity, Workflow, parse_timestamp};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sarif/");
/// 2030: later than every time in the fixtures.
const MTIME: i64 = 1_900_000_000_000;

fn cx(name: &str) -> FileContext<'_> {
    FileContext {
        source: "sarif/test",
        repository: "acme/fallback",
        file: name,
        mtime_ms: MTIME,
        local_roots: false,
    }
}

fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(format!("{DIR}{name}")).unwrap()
}

fn read(name: &str) -> FileFindings {
    normalize_file(&bytes(name), &cx(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn findings(name: &str) -> Vec<Finding> {
    read(name).items.into_iter().map(|n| n.finding).collect()
}

fn detail<'f>(f: &'f Finding, label: &str) -> Option<&'f str> {
    f.details
        .iter()
        .find(|(k, _)| k.as_str() == label)
        .map(|(_, v)| v.as_str())
}

fn vulns(f: &Finding) -> Vec<&str> {
    f.vulns.iter().map(|v| v.as_str()).collect()
}

const FIXTURES: [&str; 13] = [
    "bandit-project.sarif",
    "base-ids.sarif",
    "baseline.sarif",
    "empty-results.sarif",
    "fingerprints.sarif",
    "hostile.sarif",
    "multi-run.sarif",
    "no-fingerprints.sarif",
    "no-locations.sarif",
    "security-severity.sarif",
    "snippets.sarif",
    "vcs.sarif",
    "sarif-schema-2.1.0.json",
];

#[test]
fn ids_are_stable_unique_and_prefixed() {
    for name in &FIXTURES[..12] {
        let a = findings(name);
        let mut other = cx(name);
        other.mtime_ms += 60_000;
        other.file = "elsewhere/copy.sarif";
        let b: Vec<Finding> = normalize_file(&bytes(name), &other)
            .unwrap()
            .items
            .into_iter()
            .map(|n| n.finding)
            .collect();
        let ids: Vec<&str> = a.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(
            ids,
            b.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
            "{name}"
        );
        let unique: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "{name}");
        for f in &a {
            assert!(
                f.id.starts_with(&format!("sarif:{}:", f.account)),
                "{}",
                f.id
            );
            assert_eq!(f.id.len(), "sarif::".len() + f.account.len() + 32);
            assert_eq!(f.cloud, crate::model::Cloud::Code);
            assert_eq!(f.provider, crate::model::Provider::Sarif);
            assert_eq!(f.compliance, None);
            assert_eq!((f.source.as_str(), f.updated_at), ("sarif/test", MTIME));
        }
    }
    // The schema is JSON but not a SARIF log.
    assert!(normalize_file(&bytes(FIXTURES[12]), &cx("schema.json")).is_err());
}

#[test]
fn multiple_runs_and_tools() {
    let f = findings("multi-run.sarif");
    let tools: Vec<&str> = f.iter().map(|f| f.product_name.as_str()).collect();
    assert_eq!(tools, ["CodeQL", "CodeQL", "Bandit", "Bandit"]);
    let sql = &f[0];
    assert_eq!(sql.control_id.as_deref(), Some("py/sql-injection"));
    assert_eq!(sql.title, "SQL query built from user-controlled sources");
    assert_eq!(
        (sql.severity, sql.severity_normalized),
        (Severity::High, Some(88))
    );
    assert_eq!(vulns(sql), ["CWE-89"]);
    assert_eq!(sql.resource_type(), "File");
    assert_eq!(sql.resource_id(), "app/db/queries.py:42");
    assert_eq!(
        (sql.account.as_str(), sql.region.as_str()),
        ("acme/fallback", "")
    );
    assert_eq!(sql.company_name, "GitHub");
    assert!(
        sql.description
            .starts_with("This SQL query depends on a [user-provided value](1).")
    );
    assert!(
        sql.description.ends_with("Use parameterized queries."),
        "{}",
        sql.description
    );
    let help = "https://codeql.github.com/codeql-query-help/python/py-sql-injection/";
    assert_eq!(sql.url.as_deref(), Some(help));
    assert_eq!(detail(sql, "Help"), Some(help));
    assert_eq!(detail(sql, "Tool"), Some("CodeQL 2.20.1"));
    assert_eq!(detail(sql, "Category"), Some("/language:python/"));
    assert_eq!(vulns(&f[1]), ["CWE-215", "CWE-489"]);
    let b602 = &f[2];
    assert_eq!(b602.severity, Severity::High);
    assert_eq!(vulns(b602), ["CWE-78"]);
    assert_eq!(
        detail(b602, "Rule"),
        Some("B602 subprocess_popen_with_shell_equals_true")
    );
    assert_eq!(detail(b602, "Tool"), Some("Bandit 1.9.4"));
    assert_eq!(detail(b602, "SARIF file"), Some("multi-run.sarif"));
    assert_eq!(
        b602.title,
        "subprocess call with shell=True identified, security issue."
    );
    assert_eq!(
        (f[3].severity, vulns(&f[3])),
        (Severity::Low, vec!["CWE-259"])
    );
}

#[test]
fn results_without_physical_locations() {
    let f = findings("no-locations.sarif");
    let res: Vec<(&str, &str)> = f
        .iter()
        .map(|f| (f.resource_type(), f.resource_id()))
        .collect();
    assert_eq!(
        res,
        [
            ("Repository", "acme/fallback"),
            ("Repository", "acme/fallback"),
            ("LogicalLocation", "acme.billing.Invoice.total"),
            ("LogicalLocation", "acme.billing"),
            ("Repository", "acme/fallback"),
        ]
    );
    assert_eq!(f[0].title, "Branch protection missing");
    assert_eq!(f[0].severity, Severity::High);
    assert_eq!(f[4].severity, Severity::Low);
}

#[test]
fn uri_base_id_chains_resolve() {
    let f = findings("base-ids.sarif");
    let res: Vec<&str> = f.iter().map(|f| f.resource_id()).collect();
    assert_eq!(
        res,
        [
            "src/billing/invoice.py:10",
            "src/app.py:20",
            "tests/test_invoice.py:30",
            "Dockerfile:40",
            "src/billing/invoice.py:50",
            "requests/sessions.py:60",
            "scripts/deploy prod.py:70",
            "/etc/acme/settings.py:80",
            "lib/util.py:90",
            "cfg/loader.py:100",
        ]
    );
    assert!(
        f.iter()
            .all(|f| vulns(f) == ["CWE-95"] && f.severity == Severity::Medium)
    );
}

#[test]
fn fingerprints_make_ids_survive_moves() {
    let text = String::from_utf8(bytes("fingerprints.sarif")).unwrap();
    let moved = text.replace("\"startLine\": 42", "\"startLine\": 44");
    assert_ne!(text, moved);
    let a = findings("fingerprints.sarif");
    let b = normalize_file(moved.as_bytes(), &cx("fingerprints.sarif"))
        .unwrap()
        .items;
    assert_eq!(
        a[0].id, b[0].finding.id,
        "same fingerprint, new line: same finding"
    );
    assert_eq!(b[0].finding.resource_id(), "app/db/queries.py:44");
    assert_eq!(a.len(), 4);
    // Without fingerprints the place is part of the identity.
    let text = String::from_utf8(bytes("no-fingerprints.sarif")).unwrap();
    let moved = text.replace("\"startLine\": 12", "\"startLine\": 13");
    let a = findings("no-fingerprints.sarif");
    let b = normalize_file(moved.as_bytes(), &cx("x")).unwrap().items;
    assert_ne!(a[0].id, b[0].finding.id);
    assert_eq!(a[1].id, b[1].finding.id);
}

#[test]
fn identical_results_are_one_finding() {
    let f = findings("no-fingerprints.sarif");
    let res: Vec<&str> = f.iter().map(|f| f.resource_id()).collect();
    // Same line, other column: two findings; the exact duplicate: one.
    assert_eq!(
        res,
        [
            "/builds/acme/web/src/legacy.js:12",
            "/builds/acme/web/src/legacy.js:48",
            "/builds/acme/web/src/legacy.js:48",
        ]
    );
    assert_eq!(f[0].title, "Disallow the use of eval()");
    assert_eq!(
        f[0].url.as_deref(),
        Some("https://eslint.org/docs/latest/rules/no-eval")
    );
}

#[test]
fn severity_from_security_severity_then_level() {
    let f = findings("security-severity.sarif");
    let got: Vec<(&str, Severity, Option<&str>)> = f
        .iter()
        .map(|f| {
            (
                f.control_id.as_deref().unwrap(),
                f.severity,
                detail(f, "Level"),
            )
        })
        .collect();
    use Severity::*;
    assert_eq!(
        got,
        [
            ("SEC001", Critical, Some("error (rule default)")),
            ("SEC002", High, Some("error")),
            ("SEC003", Medium, Some("note (rule default)")),
            ("SEC004", Low, Some("none (rule default)")),
            ("QUAL001", Medium, Some("warning (rule default)")),
            ("QUAL002", Medium, Some("warning (SARIF default)")),
            ("SEC005", Medium, Some("warning")),
            ("SEC006", High, Some("note")),
            ("QUAL002", Informational, Some("none (kind pass)")),
            ("EXT999", High, Some("error")),
            ("SEC001", Critical, Some("error (rule default)")),
        ]
    );
    assert_eq!(f[0].severity_normalized, Some(98));
    assert_eq!(detail(&f[7], "Security severity"), Some("8.1"));
    assert_eq!(f[6].severity_normalized, None, "\"high\" is not a score");
    let cwe: Vec<Vec<&str>> = f.iter().map(vulns).collect();
    assert_eq!(cwe[0], ["CWE-89"]);
    assert_eq!(cwe[1], ["CWE-79"]);
    assert_eq!(cwe[2], ["CWE-22", "CWE-23"]);
    assert_eq!(cwe[3], ["CWE-1004"]);
    assert!(cwe[4].is_empty() && cwe[9].is_empty());
    assert_eq!(f[9].title, "EXT999: rule not in tool.driver.rules");
    assert_eq!(
        f[10].title, "SQL injection",
        "rule found through result.rule"
    );
    assert!(f[0].types.iter().any(|t| t == "security"));
}

#[test]
fn baseline_absent_is_resolved() {
    let f = findings("baseline.sarif");
    let wf: Vec<Workflow> = f.iter().map(|f| f.workflow).collect();
    use Workflow::*;
    assert_eq!(wf, [New, New, New, Resolved, New]);
    assert_eq!(detail(&f[3], "Baseline"), Some("absent"));
    assert_eq!(detail(&f[4], "Baseline"), None);
    assert!(!f[3].is_open() && f[0].is_open());
}

#[test]
fn snippets_are_kept_briefly() {
    let f = findings("snippets.sarif");
    let s: Vec<Option<&str>> = f.iter().map(|f| detail(f, "Snippet")).collect();
    assert_eq!(
        s[0],
        Some("    cursor.execute(\"SELECT * FROM users WHERE id=\" + uid)")
    );
    assert!(
        s[1].unwrap().contains("\r\n\t\"SELECT"),
        "kept as received: {:?}",
        s[1]
    );
    assert!(
        s[2].unwrap().starts_with("def purge(table):"),
        "from the context region"
    );
    assert_eq!(s[3], Some("db.execute(\"DROP TABLE \" + name)"));
    assert_eq!(s[4], None, "binary snippets are not shown");
    assert_eq!(
        f[3].resource_id(),
        "app/min.py",
        "no line without startLine"
    );
    assert!(f.iter().all(|f| vulns(f) == ["CWE-89"]));
}

#[test]
fn version_control_provenance_names_the_repository() {
    let f = findings("vcs.sarif");
    assert_eq!(
        (f[0].account.as_str(), f[0].region.as_str()),
        ("acme/api", "main")
    );
    assert_eq!(f[0].resource_id(), "app/db/queries.py:42");
    assert_eq!(
        detail(&f[0], "Revision"),
        Some("4f1d0b9c8e7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c")
    );
    assert!(f[0].id.starts_with("sarif:acme/api:"));
    // The second repository is mapped to vendor/shared/ under the first.
    assert_eq!(
        (f[1].account.as_str(), f[1].region.as_str()),
        ("acme/shared-lib", "release/2.x")
    );
    assert_eq!(f[1].resource_id(), "web/app.py:9");
    assert_eq!(
        f[0].created_at,
        parse_timestamp("2026-03-01T10:04:40Z").unwrap()
    );
    assert_eq!(f[0].updated_at, MTIME);
    assert_eq!(f[0].generator_id, "nightly/python/2026-03-01");
}

#[test]
fn hostile_text_is_kept_and_nothing_panics() {
    let f = findings("hostile.sarif");
    assert_eq!(f.len(), 8);
    assert!(f[0].product_name.contains('\u{1b}'));
    assert!(f[0].control_id.as_deref().unwrap().contains('\n'));
    assert_eq!(f[0].title, "\u{1b}[32mLooks green\u{1b}[0m");
    assert_eq!(f[0].severity, Severity::Critical);
    assert!(
        f[0].vulns.is_empty(),
        "a tag with an escape sequence is no CWE id"
    );
    assert!(f[0].description.contains("\u{1b}[2J"));
    assert!(f.iter().any(|f| f.description.contains('\u{202e}')));
    assert!(f.iter().any(|f| f.description.contains('\0')));
    assert!(f.iter().any(|f| f.description.len() >= 100 * 1024));
    assert!(f.iter().all(|f| f.title.chars().count() <= 200));
    assert_eq!(f[0].resource_id(), "src/%1B[2Jevil.py:1");
    assert_eq!(f[6].resource_id(), "../../../../etc/passwd:1");
    assert_eq!(f[7].resource_id(), "src/déjà vu/файл.py:2147483647");
    assert_eq!(f[7].control_id.as_deref().map(str::len), Some(2000));
    // The filter and the table code read these fields: they must not choke either.
    let q = crate::filter::Filter::parse("tool:evil cwe:150 file:passwd").unwrap();
    assert!(!f.iter().any(|x| q.matches(x, 0)));
}

#[test]
fn empty_and_failed_runs() {
    let r = read("empty-results.sarif");
    assert!(r.items.is_empty());
    assert_eq!(r.skipped.len(), 1, "{:?}", r.skipped);
    assert!(r.skipped[0].starts_with("empty-results.sarif: run 3 (ESLint) did not finish"));
    assert!(r.skipped[0].contains("Parsing error"));
}

#[test]
fn malformed_files_are_reported_with_their_position() {
    let e = normalize_file(&bytes("malformed.sarif"), &cx("reports/malformed.sarif")).unwrap_err();
    assert!(e.starts_with("reports/malformed.sarif:185:"), "{e}");
    assert!(e.contains("truncated JSON"), "{e}");
    let e = normalize_file(&bytes("not-sarif.json"), &cx("not-sarif.json")).unwrap_err();
    assert!(
        e.starts_with("not-sarif.json:25:1: not SARIF 2.1.0: missing field `runs`"),
        "{e}"
    );
    let e = normalize_file(
        b"{\n  \"version\": \"2.0.0\",\n  \"runs\": []}",
        &cx("old.sarif"),
    )
    .unwrap_err();
    assert!(e.starts_with("old.sarif:2:"), "{e}");
    assert!(e.contains("\"2.0.0\" is not supported"), "{e}");
    for junk in [
        &b""[..],
        b"[]",
        b"null",
        b"\xff\xfe",
        b"{\"runs\": 5}",
        b"{\"runs\": [1]}",
    ] {
        assert!(normalize_file(junk, &cx("junk.sarif")).is_err(), "{junk:?}");
    }
}

#[test]
fn a_broken_result_or_run_is_skipped_with_its_position() {
    let doc = r#"{"version": "2.1.0", "runs": [
  {"tool": {"driver": {"name": "T"}}, "results": [
    {"ruleId": "A", "message": {"text": "ok"}},
    {"ruleId": "B", "message": {"text": "bad"},
     "locations": [{"physicalLocation": {"region": {"startLine": "x"}}}]}
  ]},
  {"tool": 7}
]}"#;
    let r = normalize_file(doc.as_bytes(), &cx("r.sarif")).unwrap();
    assert_eq!(r.items.len(), 1);
    assert_eq!(r.skipped.len(), 2, "{:?}", r.skipped);
    assert!(
        r.skipped[0].starts_with("r.sarif:5:68: not SARIF 2.1.0: invalid type"),
        "{:?}",
        r.skipped
    );
    assert!(r.skipped[0].ends_with("(run 1 result 2 skipped)"));
    assert!(r.skipped[1].starts_with("r.sarif:7:"), "{:?}", r.skipped);
    // The raw JSON of each finding is kept for the detail pane.
    let raw: serde_json::Value = serde_json::from_str(&r.items[0].raw).unwrap();
    assert_eq!(raw["ruleId"], "A");
}

#[test]
fn lenient_with_real_world_oddities() {
    // A BOM, nulls, no version, an unknown level, message strings with arguments, a rule
    // in an extension (CodeQL packs), CWE through taxa.
    let doc = "\u{feff}{\"runs\": [{\"tool\": {\"driver\": {\"name\": \"CodeQL\", \"rules\": null},
      \"extensions\": [{\"name\": \"pack\", \"rules\": [{\"id\": \"js/x\",
        \"messageStrings\": {\"default\": {\"text\": \"{0} flows to {1}\"}},
        \"defaultConfiguration\": {\"level\": \"error\"}}]}]},
      \"results\": [{\"rule\": {\"id\": \"js/x\", \"index\": 0, \"toolComponent\": {\"index\": 0}},
        \"message\": {\"id\": \"default\", \"arguments\": [\"input\", \"eval\"]},
        \"level\": \"critical\", \"locations\": null,
        \"taxa\": [{\"id\": \"94\", \"toolComponent\": {\"name\": \"CWE\"}}]}]}]}";
    let r = normalize_file(doc.as_bytes(), &cx("odd.sarif")).unwrap();
    let f = &r.items[0].finding;
    assert_eq!(f.title, "input flows to eval");
    assert_eq!(f.control_id.as_deref(), Some("js/x"));
    assert_eq!(
        f.severity,
        Severity::High,
        "unknown level: the rule's default"
    );
    assert_eq!(vulns(f), ["CWE-94"]);
}

#[test]
fn bandit_output_from_a_real_scan() {
    let f = findings("bandit-project.sarif");
    assert_eq!(f.len(), 9);
    let b608 = f
        .iter()
        .find(|f| f.control_id.as_deref() == Some("B608"))
        .unwrap();
    assert_eq!(b608.resource_id(), "inventory/db.py:8");
    assert_eq!(
        b608.severity,
        Severity::Medium,
        "bandit MEDIUM has no level"
    );
    assert_eq!(detail(b608, "Level"), Some("warning (SARIF default)"));
    assert_eq!(vulns(b608), ["CWE-89"]);
    assert_eq!(b608.company_name, "PyCQA");
    assert!(
        detail(b608, "Snippet")
            .unwrap()
            .contains("SELECT id, name, qty")
    );
    let sev = |id: &str| {
        f.iter()
            .find(|f| f.control_id.as_deref() == Some(id))
            .unwrap()
            .severity
    };
    assert_eq!(
        (sev("B324"), sev("B403"), sev("B602")),
        (Severity::High, Severity::Low, Severity::High)
    );
    let q = crate::filter::Filter::parse("tool:bandit repo:fallback file:db.py cwe:89").unwrap();
    assert_eq!(f.iter().filter(|x| q.matches(x, 0)).count(), 1);
}
