//! Markdown (terminal and GitHub) and CSV (RFC 4180) reports.
//!
//! Provider text (titles, resource ids) is untrusted: it goes through `sanitize::line` so it
//! cannot carry terminal escapes or break a table row, and is escaped for the format.

use std::fmt::Write;

use super::{Model, Status, score_text, status_text};
use crate::model::format_rfc3339;
use crate::posture::standards;
use crate::sanitize;

/// Markdown text: backslash-escapes every character Markdown or inline HTML could act on.
fn md(s: &str) -> String {
    let clean = sanitize::line(s);
    let mut out = String::with_capacity(clean.len());
    for c in clean.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '&' | '#' | '~' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Markdown code span (ids, ARNs): literal inside, `|` escaped for tables.
fn code(s: &str) -> String {
    let clean = sanitize::line(s).replace('|', "\\|");
    if clean.is_empty() {
        return String::new();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in clean.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if clean.starts_with('`') || clean.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{clean}{pad}{fence}")
}

pub(super) fn markdown(m: &Model) -> String {
    let mut o = String::new();
    let input = m.input;
    let _ = writeln!(o, "# {}\n", md(&m.title()));
    if let Some((note, basis, file)) = m.derived {
        let _ = writeln!(o, "> **{}**\n>", md(note));
        let _ = writeln!(
            o,
            "> How it was derived: {} Mapping file: {}.\n",
            md(basis),
            code(file)
        );
    }
    o.push_str("| Field | Value |\n| --- | --- |\n");
    let standard = format!("{} ({})", md(&m.name), code(&m.key));
    let kind = if m.derived.is_some() {
        "derived mapping — not an AWS Security Hub standard"
    } else {
        standards::kind(&m.key)
    };
    let rows = [
        ("Standard", standard),
        ("Kind", kind.to_string()),
        ("Account scope", md(&m.scope_text())),
        ("Generated at", format_rfc3339(input.generated_at)),
        // Our own text: no provider input, and `<1m` reads better unescaped.
        ("Data as of", m.data_as_of_text()),
        ("Control metadata", md(input.metadata)),
    ];
    for (k, v) in rows {
        let _ = writeln!(o, "| {k} | {v} |");
    }
    if !input.sources.is_empty() {
        o.push_str("\n| Source | Last successful poll |\n| --- | --- |\n");
        for (key, at) in input.sources {
            let at = at.map_or_else(|| "never".to_string(), format_rfc3339);
            let _ = writeln!(o, "| {} | {at} |", code(key));
        }
    }

    o.push_str("\n## Score\n\n");
    o.push_str("| Score | Without suppressions | Passed | Failed | Unknown | No data |\n");
    o.push_str("| --- | --- | --- | --- | --- | --- |\n");
    let c = m.counts;
    let _ = writeln!(
        o,
        "| {} | {} | {} | {} | {} | {} |\n",
        score_text(m.score),
        score_text(m.score_without_suppressions),
        c.passed,
        c.failed,
        c.unknown,
        c.no_data
    );
    let _ = writeln!(o, "{}", md(m.score_note()));

    let rc = m.requirement_counts();
    let _ = writeln!(
        o,
        "\n## Requirements\n\n{} requirements: {} passed, {} failed, {} unknown, {} no data.\n",
        m.requirements.len(),
        rc.passed,
        rc.failed,
        rc.unknown,
        rc.no_data
    );
    let titled = m.requirements.iter().any(|r| !r.title.is_empty());
    o.push_str(if titled {
        "| Requirement | Title | Status | Controls |\n| --- | --- | --- | --- |\n"
    } else {
        "| Requirement | Status | Controls |\n| --- | --- | --- |\n"
    });
    for r in &m.requirements {
        let controls = r
            .controls
            .iter()
            .map(|c| format!("{} {}", code(c.id), status_text(c.status())))
            .collect::<Vec<_>>()
            .join(", ");
        let title = if titled {
            format!(" {} |", md(&r.title))
        } else {
            String::new()
        };
        let _ = writeln!(
            o,
            "| {} |{title} {} | {controls} |",
            code(&r.id),
            status_text(r.status)
        );
    }

    o.push_str("\n## Failed and unknown requirements\n\n");
    let open: Vec<_> = m
        .requirements
        .iter()
        .filter(|r| matches!(r.status, Status::Failed | Status::Unknown))
        .collect();
    if open.is_empty() {
        o.push_str("None.\n\n");
    } else {
        o.push_str("The resources are listed once per control under Failing resources.\n\n");
    }
    for r in open {
        let _ = writeln!(o, "### {} — {}\n", md(&r.id), status_text(r.status));
        if !r.title.is_empty() {
            let _ = writeln!(o, "{}\n", md(&r.title));
        }
        o.push_str("| Control | Status | Title | Failing resources |\n");
        o.push_str("| --- | --- | --- | --- |\n");
        for c in &r.controls {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} |",
                code(c.id),
                status_text(c.status()),
                md(m.control_title(c.id)),
                c.failing().len()
            );
        }
        o.push('\n');
    }

    o.push_str("## Failing resources\n\n");
    let reqs_of = m.requirements_of();
    let failing: Vec<_> = m
        .ordered
        .iter()
        .filter(|c| !c.failing_resources.is_empty())
        .collect();
    if failing.is_empty() {
        o.push_str("None.\n\n");
    }
    for c in failing {
        let _ = writeln!(
            o,
            "### {} — {}\n\n{}\n",
            md(&c.control),
            status_text(c.status),
            md(&c.title)
        );
        let reqs = reqs_of
            .get(c.control.as_str())
            .map_or(&[][..], Vec::as_slice);
        if reqs != [c.control.as_str()] {
            let list: Vec<String> = reqs.iter().map(|r| code(r)).collect();
            let _ = writeln!(o, "Requirements: {}\n", list.join(", "));
        }
        for x in &c.failing_resources {
            let _ = writeln!(o, "- {}", code(x));
        }
        o.push('\n');
    }

    o.push_str("## Suppressed items\n\n");
    if m.suppressed.is_empty() {
        o.push_str("None.\n");
    } else {
        o.push_str(
            "Failing findings hidden by a SUPPRESSED workflow status; they do not count \
             against the score above.\n\n",
        );
        o.push_str("| Control | Resource | Control status without suppressions |\n");
        o.push_str("| --- | --- | --- |\n");
        for (c, x) in &m.suppressed {
            let without = m.controls.get(c).map(|c| c.status_without_suppressions);
            let without = without.map_or("", status_text);
            let _ = writeln!(o, "| {} | {} | {without} |", code(c), code(x));
        }
    }
    o
}

/// One RFC 4180 field. Cells a spreadsheet would run as a formula get a leading `'`.
fn field(s: &str) -> String {
    let clean = sanitize::line(s);
    let guarded = if clean.starts_with(['=', '+', '-', '@']) {
        format!("'{clean}")
    } else {
        clean.into_owned()
    };
    if guarded.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// One row per (requirement, control, resource); suppressed resources flagged. CRLF endings.
pub(super) fn csv(m: &Model) -> String {
    let mut o = String::from(
        "standard,requirement,requirement_status,control,control_status,resource,suppressed\r\n",
    );
    let mut row = |req: &str, rs: Status, control: &str, cs: Status, res: &str, sup: bool| {
        let cells = [
            field(&m.key),
            field(req),
            rs.as_str().to_string(),
            field(control),
            cs.as_str().to_string(),
            field(res),
            sup.to_string(),
        ];
        o.push_str(&cells.join(","));
        o.push_str("\r\n");
    };
    for r in &m.requirements {
        for c in &r.controls {
            let suppressed = c.result.map_or(&[][..], |c| &c.suppressed);
            let (id, s) = (c.id, c.status());
            if c.failing().is_empty() && suppressed.is_empty() {
                row(&r.id, r.status, id, s, "", false);
            }
            for x in c.failing() {
                row(&r.id, r.status, id, s, x, false);
            }
            for x in suppressed {
                row(&r.id, r.status, id, s, x, true);
            }
        }
    }
    o
}
