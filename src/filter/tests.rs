use super::text::find_ascii_ci;
use super::*;

const NOW: i64 = 1_700_000_000_000;
const DAY: i64 = 86_400_000;

fn finding() -> Finding {
    let f = serde_json::from_value(serde_json::json!({
        "id": "arn:aws:securityhub:eu-west-1:111122223333:finding/abc-123",
        "product_arn": "arn:aws:securityhub:eu-west-1::product/aws/securityhub",
        "provider": "demo", "source": "prod/eu-west-1",
        "account": "111122223333", "region": "eu-west-1", "severity": "HIGH",
        "title": "S3 general purpose buckets should block public access",
        "description": "Déjà vu: the bucket policy allows ÉCRITURE by anyone.",
        "product_name": "Security Hub", "generator_id": "security-control/S3.8",
        "control_id": "S3.8", "standards": ["standards/cis-aws-foundations-benchmark/v/1.4.0"],
        "resources": [{"kind": "AwsS3Bucket", "id": "arn:aws:s3:::prod-logs"},
                      {"kind": "AwsIamRole", "id": "arn:aws:iam::111122223333:role/Writer"}],
        "workflow": "NEW", "record_state": "ACTIVE", "compliance": "FAILED",
        "created_at": NOW - 3 * DAY, "updated_at": NOW - DAY,
    }));
    let mut f: Finding = f.unwrap();
    f.provider = crate::model::Provider::AwsSecurityHub;
    f
}

/// Each input matches the fixture (or not), also after a `Display` round trip.
fn check(yes: &[&str], no: &[&str]) {
    let f = finding();
    let cases = yes
        .iter()
        .map(|y| (y, true))
        .chain(no.iter().map(|n| (n, false)));
    for (input, want) in cases {
        let filter = Filter::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(filter.matches(&f, NOW), want, "{input}");
        let again = Filter::parse(&filter.to_string()).unwrap_or_else(|e| panic!("{filter}: {e}"));
        assert_eq!(again.matches(&f, NOW), want, "{input} → {filter}");
        assert_eq!(again.to_string(), filter.to_string());
    }
}

fn error(input: &str) -> (usize, String) {
    let e = Filter::parse(input).expect_err(input);
    (e.column, e.message)
}

#[test]
fn empty_filter_matches_everything() {
    for input in ["", "   "] {
        let f = Filter::parse(input).unwrap();
        assert!(f.is_empty() && f.matches(&finding(), NOW));
        assert_eq!(f.to_string(), "");
    }
    assert!(Filter::default().matches(&finding(), NOW));
    assert!(!Filter::parse("x").unwrap().is_empty());
}

#[test]
#[rustfmt::skip]
fn enum_fields_and_aliases() {
    check(
        &[
            "sev:high", "severity:HIGH", "sev:high,critical", "sev:>=high", "sev:>medium",
            "sev:<critical", "sev:=h", "wf:new", "wf:resolved,new", "state:active",
            "comp:failed", "comp:passed,fail", "SEV:High",
        ],
        &[
            "sev:critical", "sev:low,medium", "sev:>high", "sev:<=low", "workflow:resolved",
            "record:archived", "compliance:passed",
        ],
    );
}

#[test]
#[rustfmt::skip]
fn text_fields_and_aliases() {
    check(
        &[
            "acct:1111", "account:2222333", "region:eu", "region:EU-WEST-1",
            "product:security", "control:s3.8", "control:S3.*", "res:prod-logs",
            "resource:role/writer", "type:s3bucket", "rtype:AwsIamRole", "provider:aws",
            "title:\"public access\"", "id:abc-123", "gen:security-control", "std:cis",
            "source:prod",
        ],
        &[
            "acct:9999", "region:west", "product:guard", "control:S3", "control:S3.80",
            "control:ec2.*", "res:missing", "type:Ec2", "provider:azure", "title:PUBLIC nope",
            "id:xyz", "generator:S3.9", "standard:pci", "source:dev",
        ],
    );
}

#[test]
#[rustfmt::skip]
fn negation_or_quotes_and_and() {
    check(
        &[
            "-wf:resolved", "-noise", "\"-\"", "sev:high wf:new", "acct:1111,9999",
            "title:\"block public\",zzz", "\"general purpose\"", "arn:aws:s3:::prod-logs",
        ],
        &[
            "-wf:new", "-sev:high,critical", "-bucket", "sev:high wf:resolved",
            "acct:8888,9999", "\"purpose general\"", "\"-noise\"", "title:\"a,b\"",
            "\"bucket:policy\"",
        ],
    );
}

#[test]
#[rustfmt::skip]
fn free_text_searches_many_fields() {
    check(
        &[
            "BLOCK", "abc-123", "prod-logs", "awsiamrole", "s3.8", "\"security hub\"",
            "2223333", "eu-west", "security-control", "policy",
        ],
        &["security nope", "nowhere"],
    );
}

#[test]
#[rustfmt::skip]
fn unicode_case() {
    check(&["déjà", "DÉJÀ", "écriture", "ÉCRITURE", "\"vu: THE\""], &["ecriture"]);
    // The Kelvin sign lowercases to an ASCII `k`.
    let mut f = finding();
    f.title = "\u{212A}ey rotation".into();
    assert!(Filter::parse("key").unwrap().matches(&f, NOW));
    assert!(Filter::parse("title:KEY").unwrap().matches(&f, NOW));
}

#[test]
#[rustfmt::skip]
fn age_units_and_comparisons() {
    check(
        &[
            "age:<7d", "age:>2d", "age:<1w", "age:>71h", "age:<73h", "age:>4319m",
            "age:<4321m", "age:3d", "age:<2d,>2d", "age:<=3d",
        ],
        &["age:<2d", "age:>1w", "age:2d", "age:>73h", "-age:<7d"],
    );
    assert_eq!(Filter::parse("age:3D").unwrap().to_string(), "age:<=3d");
}

#[test]
fn display_normalises() {
    let f =
        Filter::parse(r#"severity:HIGH,>=Crit  -workflow:Resolved "root user" rtype:S3 x"y\"z""#)
            .unwrap();
    assert_eq!(
        f.to_string(),
        r#"sev:high,>=critical -wf:resolved "root user" type:S3 "xy\"z""#
    );
    let f = Filter::parse(r#"title:"a b",c "-dash" "a:b" comp:na"#).unwrap();
    assert_eq!(
        f.to_string(),
        r#"title:"a b",c "-dash" "a:b" comp:not_available"#
    );
}

#[test]
fn errors_have_columns() {
    assert_eq!(error("sev:high bogus:x").0, 10);
    assert!(error("sevrity:high").1.contains("did you mean `severity`"));
    assert!(error("zzzzzz:1").1.contains("known: sev"));
    assert!(
        error("ab:1").1.contains("known: sev"),
        "no far-fetched hint for short names"
    );
    assert_eq!(
        error("wf:new sev:hgh"),
        (
            12,
            "`hgh` is not a severity (critical, high, medium, low, informational)".into()
        )
    );
    assert_eq!(error("sev:high,crit,bad").0, 15);
    assert_eq!(error(r#"x title:"open"#), (9, "unterminated quote".into()));
    assert_eq!(error("sev:"), (5, "empty value".into()));
    assert_eq!(error("acct:1,,2").0, 8);
    assert_eq!(error("acct:1,").0, 8);
    assert_eq!(error(r#"title:"""#).0, 7);
    assert_eq!(error("a -").0, 3);
    assert_eq!(error(r#""""#).0, 1);
    assert_eq!(
        error("wf:done").1,
        "`done` is not a workflow status (new, notified, resolved, suppressed)"
    );
    assert!(error("state:gone").1.contains("record state"));
    assert!(error("comp:ok").1.contains("compliance status"));
    assert_eq!(error("x age:<7y").0, 7);
    // Only ASCII words name fields; the rest is free text.
    assert_eq!(Filter::parse("été:x").unwrap().to_string(), r#""été:x""#);
    assert_eq!(error("é sev:x").0, 7, "columns count characters, not bytes");
    assert_eq!(
        Filter::parse("sev:x").unwrap_err().to_string(),
        "column 5: `x` is not a severity (critical, high, medium, low, informational)"
    );
}

#[test]
fn narrows_when_the_user_types_more() {
    let narrows = |a: &str, b: &str| {
        Filter::parse(a)
            .unwrap()
            .narrows(&Filter::parse(b).unwrap())
    };
    for (now, before) in [
        ("bucket", "buck"),
        ("buck x", "buck"),
        ("sev:high", "sev:>=high"),
        ("acct:1111", "acct:11"),
        ("region:eu-west", "region:eu"),
        ("-wf:new,resolved", "-wf:new"),
        ("-ab", "-abc"),
        ("title:ab,abc", "title:a"),
        ("control:S3.8", "control:s3.8"),
        ("control:S3.8*", "control:s3.*"),
        ("x", ""),
        ("age:<7d", "age:<7d"),
    ] {
        assert!(narrows(now, before), "{now} after {before}");
    }
    for (now, before) in [
        ("buck", "bucket"),
        ("sev:>=high", "sev:high"),
        ("region:west", "region:eu"),
        ("-abc", "-ab"),
        ("-wf:new", "-wf:new,resolved"),
        ("-title:ab", "-title:ab,c"),
        ("title:a", "acct:a"),
        ("-x", "x"),
        ("age:<8d", "age:<7d"),
        ("control:S3.80", "control:S3.8"),
        ("control:S3.8*", "control:s3.8"),
        ("", "x"),
    ] {
        assert!(!narrows(now, before), "{now} after {before}");
    }
}

#[test]
fn ascii_search_agrees_with_naive() {
    let hay = b"The Quick brown fox jumps over the lazy dog; QUICKER still 0123456789";
    for len in 1..12 {
        for start in 0..hay.len() - len {
            let needle = hay[start..start + len].to_ascii_lowercase();
            assert!(find_ascii_ci(hay, &needle), "{start}+{len}");
        }
    }
    for miss in ["quickest", "dog;x", "zz", "9x", "@"] {
        assert!(!find_ascii_ci(hay, miss.as_bytes()), "{miss}");
    }
    assert!(find_ascii_ci(b"", b"") && !find_ascii_ci(b"ab", b"abc"));
}

#[test]
fn cloud_and_code_tokens() {
    use crate::model::{Cloud, Resource};
    let mut az = finding();
    az.cloud = Cloud::Azure;
    let mut code = finding();
    code.cloud = Cloud::Code;
    code.account = "acme/api".into();
    code.product_name = "CodeQL".into();
    code.resources = vec![Resource {
        kind: "File".into(),
        id: "src/db.py:42".into(),
        ..Resource::default()
    }];
    code.vulns = vec!["CWE-89".into(), "CWE-790".into()];
    let aws = finding();
    let m = |q: &str, x: &crate::model::Finding| Filter::parse(q).unwrap().matches(x, 0);
    assert!(m("cloud:azure", &az) && !m("cloud:azure", &aws) && m("cloud:az,code", &code));
    assert!(m("-cloud:aws", &code) && !m("-cloud:aws", &aws));
    assert!(m("tool:codeql repo:acme/ file:db.py", &code));
    assert!(!m("repo:acme", &aws), "repo: only matches code findings");
    assert!(m("cwe:89", &code) && m("cwe:CWE-89", &code) && !m("cwe:79", &code));
    assert!(m("cwe:79*", &code), "prefix finds CWE-790");
    assert!(m("CWE-89", &code), "free text searches the ids");
    assert_eq!(
        Filter::parse("cloud:mars").unwrap_err().to_string(),
        "column 7: `mars` is not a cloud (aws, azure, gcp, code)"
    );
    assert_eq!(
        Filter::parse("cloud:AZ cve:2024-3094").unwrap().to_string(),
        "cloud:azure cwe:2024-3094"
    );
}

#[test]
fn class_tables_agree_with_matching() {
    use crate::model::{Cloud, ComplianceStatus, RecordState};
    for text in [
        "sev:critical wf:new",
        "sev:>=high -wf:resolved",
        "state:archived",
        "comp:failed cloud:aws",
        "-comp:passed",
        "sev:critical control:S3.*",
        "wf:new age:<1h",
        "-age:>7d sev:>=high",
        "age:<2h title:x",
        "",
    ] {
        let filter = Filter::parse(text).unwrap();
        let table = filter.class_table();
        for (n, sev) in Severity::ALL.into_iter().enumerate() {
            for wf in Workflow::ALL {
                for state in [RecordState::Active, RecordState::Archived] {
                    for comp in [
                        None,
                        Some(ComplianceStatus::Passed),
                        Some(ComplianceStatus::Failed),
                    ] {
                        for cloud in [Cloud::Aws, Cloud::Gcp] {
                            let mut f = crate::sources::memory::sample_finding(n * 10, 0);
                            (
                                f.severity,
                                f.workflow,
                                f.record_state,
                                f.compliance,
                                f.cloud,
                            ) = (sev, wf, state, comp, cloud);
                            let class = super::class_of(&f);
                            assert!(usize::from(class) < super::CLASSES);
                            assert_eq!(
                                table.matches(&filter, class, &f, 0),
                                filter.matches(&f, 0),
                                "{text} {sev:?} {wf:?} {state:?} {comp:?} {cloud:?}"
                            );
                            if table.ages_only {
                                // An hour and eight days after creation.
                                for now in [f.created_at + 3_600_001, f.created_at + 8 * DAY] {
                                    assert_eq!(
                                        table.matches_by_age(&filter, class, f.created_at, now),
                                        filter.matches(&f, now),
                                        "{text} at {now}"
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
        let other = |w: &str| text.contains(w);
        assert_eq!(
            table.enums_only,
            !other("control") && !other("age") && !other("title"),
            "{text}"
        );
        assert_eq!(
            table.ages_only,
            !text.contains("control") && !text.contains("title"),
            "{text}"
        );
    }
}

#[test]
fn search_mask_never_hides_a_match() {
    use crate::sources::memory::sample_finding;
    let mut odd = sample_finding(7, 1);
    odd.title = "\u{212A}MS key rotation".into(); // Kelvin sign: folds to 'k'
    odd.description = "Übersicht".into();
    let mut plain = sample_finding(8, 2);
    plain.description = "no such letters".into();
    let findings: Vec<_> = (0..20)
        .map(|i| sample_finding(i, i as i64))
        .chain([odd, plain])
        .collect();
    let needles = [
        "x", "k", "kms", "sg-0", "015d", "q", "Z9", "ü", "über", "", "::", "arn:aws",
    ];
    let mut rejected = 0;
    for f in &findings {
        for n in needles {
            let needle = Needle::new(n, false);
            let scan = free_fields(f, |s| contains_ci(s, &needle));
            assert_eq!(free_matches(f, &needle), scan, "{n:?} in {}", f.id);
            rejected += usize::from(needle.mask & !free_mask(f) != 0);
        }
    }
    // The mask does reject without a scan (else the test proves nothing).
    assert!(rejected > 20, "{rejected}");
    // Non-ASCII text can fold onto any needle: every bit set.
    assert_eq!(free_mask(&findings[20]), u64::MAX);
}
