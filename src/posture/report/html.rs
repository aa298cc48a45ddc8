//! HTML report: one self-contained, well-formed (XHTML-compatible) file. Inline CSS only, no
//! scripts, fonts, images or links, so it opens offline and prints as it reads. Every piece of
//! provider text is escaped; status is always written out, colour only repeats it.

use std::fmt::Write;

use super::{Model, Status, score_text, status_text};
use crate::model::format_rfc3339;
use crate::posture::standards;
use crate::sanitize;

const CSS: &str = "\
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1b1b1b;\
max-width:72rem;margin:1.5rem auto;padding:0 1rem}\
h1{font-size:1.6rem;margin:0 0 .5rem}h2{font-size:1.25rem;margin:1.8rem 0 .6rem;\
border-bottom:2px solid #444}h3{font-size:1.05rem;margin:1.2rem 0 .4rem}\
table{border-collapse:collapse;width:100%;margin:.4rem 0 1rem;page-break-inside:avoid;\
break-inside:avoid}th,td{border:1px solid #999;padding:.25rem .5rem;text-align:left;\
vertical-align:top}th{background:#eee}td.num{text-align:right}\
code{font:12px/1.4 ui-monospace,Menlo,Consolas,monospace;word-break:break-all}\
.derived{border:2px solid #8a5a00;padding:.5rem .75rem;background:#fff6e0}\
.st{display:inline-block;font-weight:bold;padding:0 .35rem;border:1px solid currentColor;\
border-radius:3px}.st-passed{color:#126b12}.st-failed{color:#a40000}\
.st-unknown{color:#7a5a00}.st-no-data{color:#555}\
.score{font-size:2rem;font-weight:bold}ul.res{margin:.2rem 0 1rem;padding-left:1.4rem}\
section.req{page-break-inside:avoid;break-inside:avoid}\
footer{margin-top:2rem;color:#555;font-size:.85rem}\
@media print{body{margin:0;max-width:none;font-size:11pt;color:#000}\
th,.derived{background:none}.st{color:#000}h2,h3{page-break-after:avoid;break-after:avoid}\
table,tr,section.req{page-break-inside:avoid;break-inside:avoid}}";

/// Escapes text for element content and quoted attributes. Characters XML 1.0 forbids are
/// dropped, as `sanitize::line` drops controls, so any XML parser accepts the file.
fn esc(s: &str) -> String {
    let clean = sanitize::line(s);
    let mut out = String::with_capacity(clean.len());
    for c in clean.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

fn status(s: Status) -> String {
    let class = match s {
        Status::Passed => "passed",
        Status::Failed => "failed",
        Status::Unknown => "unknown",
        Status::NoData => "no-data",
    };
    format!("<span class=\"st st-{class}\">{}</span>", status_text(s))
}

fn code(s: &str) -> String {
    format!("<code>{}</code>", esc(s))
}

fn table_head(o: &mut String, cols: &[&str]) {
    o.push_str("<table>\n<thead><tr>");
    for c in cols {
        let _ = write!(o, "<th scope=\"col\">{c}</th>");
    }
    o.push_str("</tr></thead>\n<tbody>\n");
}

pub(super) fn render(m: &Model) -> String {
    let input = m.input;
    let mut o = String::new();
    o.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
    o.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n");
    let _ = writeln!(o, "<title>{}</title>", esc(&m.title()));
    let _ = writeln!(o, "<style>{CSS}</style>\n</head>\n<body>");
    let _ = writeln!(o, "<header>\n<h1>{}</h1>", esc(&m.title()));
    if let Some((note, basis, file)) = m.derived {
        let _ = writeln!(
            o,
            "<div class=\"derived\" role=\"note\"><p><strong>{}</strong></p>\
             <p>How it was derived: {} Mapping file: {}.</p></div>",
            esc(note),
            esc(basis),
            code(file)
        );
    }
    o.push_str("</header>\n<section>\n<h2>About this report</h2>\n");
    table_head(&mut o, &["Field", "Value"]);
    let kind = if m.derived.is_some() {
        "Derived mapping — not an AWS Security Hub standard"
    } else {
        standards::kind(&m.key)
    };
    let rows = [
        ("Standard", format!("{} ({})", esc(&m.name), code(&m.key))),
        ("Kind", esc(kind)),
        ("Account scope", esc(&m.scope_text())),
        ("Generated at", esc(&format_rfc3339(input.generated_at))),
        ("Data as of", esc(&m.data_as_of_text())),
        ("Control metadata", esc(input.metadata)),
    ];
    for (k, v) in rows {
        let _ = writeln!(o, "<tr><th scope=\"row\">{k}</th><td>{v}</td></tr>");
    }
    o.push_str("</tbody>\n</table>\n");
    if !input.sources.is_empty() {
        table_head(&mut o, &["Source", "Last successful poll"]);
        for (key, at) in input.sources {
            let at = at.map_or_else(|| "never".to_string(), format_rfc3339);
            let _ = writeln!(o, "<tr><td>{}</td><td>{}</td></tr>", code(key), esc(&at));
        }
        o.push_str("</tbody>\n</table>\n");
    }

    o.push_str("</section>\n<section>\n<h2>Score</h2>\n");
    let _ = writeln!(
        o,
        "<p><span class=\"score\">{}</span> — without suppressions: <strong>{}</strong></p>",
        esc(&score_text(m.score)),
        esc(&score_text(m.score_without_suppressions))
    );
    table_head(&mut o, &["Passed", "Failed", "Unknown", "No data"]);
    let c = m.counts;
    let _ = writeln!(
        o,
        "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
         <td class=\"num\">{}</td></tr>\n</tbody>\n</table>",
        c.passed, c.failed, c.unknown, c.no_data
    );
    let _ = writeln!(o, "<p>{}</p>", esc(m.score_note()));

    let rc = m.requirement_counts();
    let _ = writeln!(
        o,
        "</section>\n<section>\n<h2>Requirements</h2>\n<p>{} requirements: {} passed, {} \
         failed, {} unknown, {} no data.</p>",
        m.requirements.len(),
        rc.passed,
        rc.failed,
        rc.unknown,
        rc.no_data
    );
    let titled = m.requirements.iter().any(|r| !r.title.is_empty());
    if titled {
        table_head(&mut o, &["Requirement", "Title", "Status", "Controls"]);
    } else {
        table_head(&mut o, &["Requirement", "Status", "Controls"]);
    }
    for r in &m.requirements {
        let controls = r
            .controls
            .iter()
            .map(|c| format!("{} {}", code(c.id), status(c.status())))
            .collect::<Vec<_>>()
            .join(", ");
        let title = if titled {
            format!("<td>{}</td>", esc(&r.title))
        } else {
            String::new()
        };
        let _ = writeln!(
            o,
            "<tr><td>{}</td>{title}<td>{}</td><td>{controls}</td></tr>",
            code(&r.id),
            status(r.status)
        );
    }
    o.push_str("</tbody>\n</table>\n</section>\n<section>\n");
    o.push_str("<h2>Failed and unknown requirements</h2>\n");
    let open: Vec<_> = m
        .requirements
        .iter()
        .filter(|r| matches!(r.status, Status::Failed | Status::Unknown))
        .collect();
    if open.is_empty() {
        o.push_str("<p>None.</p>\n");
    } else {
        o.push_str("<p>The resources are listed once per control under Failing resources.</p>\n");
    }
    for r in open {
        let _ = writeln!(
            o,
            "<section class=\"req\">\n<h3>{} — {}</h3>",
            code(&r.id),
            status(r.status)
        );
        if !r.title.is_empty() {
            let _ = writeln!(o, "<p>{}</p>", esc(&r.title));
        }
        table_head(&mut o, &["Control", "Status", "Title", "Failing resources"]);
        for c in &r.controls {
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
                code(c.id),
                status(c.status()),
                esc(m.control_title(c.id)),
                c.failing().len()
            );
        }
        o.push_str("</tbody>\n</table>\n</section>\n");
    }

    o.push_str("</section>\n<section>\n<h2>Failing resources</h2>\n");
    let reqs_of = m.requirements_of();
    let failing: Vec<_> = m
        .ordered
        .iter()
        .filter(|c| !c.failing_resources.is_empty())
        .collect();
    if failing.is_empty() {
        o.push_str("<p>None.</p>\n");
    }
    for c in failing {
        let _ = writeln!(
            o,
            "<section class=\"ctl\">\n<h3>{} — {}</h3>\n<p>{}</p>",
            code(&c.control),
            status(c.status),
            esc(&c.title)
        );
        let reqs = reqs_of
            .get(c.control.as_str())
            .map_or(&[][..], Vec::as_slice);
        if reqs != [c.control.as_str()] {
            let list: Vec<String> = reqs.iter().map(|r| code(r)).collect();
            let _ = writeln!(o, "<p>Requirements: {}</p>", list.join(", "));
        }
        o.push_str("<ul class=\"res\">\n");
        for x in &c.failing_resources {
            let _ = writeln!(o, "<li>{}</li>", code(x));
        }
        o.push_str("</ul>\n</section>\n");
    }

    o.push_str("</section>\n<section>\n<h2>Suppressed items</h2>\n");
    if m.suppressed.is_empty() {
        o.push_str("<p>None.</p>\n");
    } else {
        o.push_str(
            "<p>Failing findings hidden by a SUPPRESSED workflow status; they do not count \
             against the score above.</p>\n",
        );
        table_head(
            &mut o,
            &["Control", "Resource", "Control status without suppressions"],
        );
        for (c, x) in &m.suppressed {
            let without = m
                .controls
                .get(c)
                .map(|c| status(c.status_without_suppressions));
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                code(c),
                code(x),
                without.unwrap_or_default()
            );
        }
        o.push_str("</tbody>\n</table>\n");
    }
    let _ = writeln!(
        o,
        "</section>\n<footer><p>Generated by agent-hubble at {}.</p></footer>\n</body>\n</html>",
        esc(&format_rfc3339(input.generated_at))
    );
    o
}
