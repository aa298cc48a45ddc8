//! JSON report: one pretty-printed object. Typed structs keep the field order stable whatever
//! serde_json features other crates turn on.

use serde::Serialize;

use super::{Model, score_text};
use crate::model::format_rfc3339;
use crate::posture::score::Counts;

#[derive(Serialize)]
struct Report<'a> {
    report: &'static str,
    standard: Standard<'a>,
    account_scope: Option<&'a str>,
    generated_at: String,
    data_as_of: Option<String>,
    sources: Vec<Source<'a>>,
    control_metadata: &'a str,
    score: Score,
    requirement_counts: Counts,
    requirements: Vec<Requirement<'a>>,
    /// Each control once, with its resources (requirements refer to it by id).
    controls: Vec<Control<'a>>,
    suppressed: Vec<Suppressed<'a>>,
}

#[derive(Serialize)]
struct Standard<'a> {
    key: &'a str,
    name: &'a str,
    security_hub_standard: bool,
    /// Present for SOC 2 / HIPAA only.
    derived_mapping: Option<Derived<'a>>,
}

#[derive(Serialize)]
struct Derived<'a> {
    note: &'a str,
    basis: &'a str,
    mapping_file: &'a str,
}

#[derive(Serialize)]
struct Source<'a> {
    key: &'a str,
    last_successful_poll: Option<String>,
}

#[derive(Serialize)]
struct Score {
    score: Option<u8>,
    score_without_suppressions: Option<u8>,
    display: String,
    counts: Counts,
    method: &'static str,
}

#[derive(Serialize)]
struct Requirement<'a> {
    id: &'a str,
    title: &'a str,
    status: &'static str,
    controls: Vec<ControlRef<'a>>,
}

#[derive(Serialize)]
struct ControlRef<'a> {
    control: &'a str,
    status: &'static str,
    failing_resource_count: usize,
}

#[derive(Serialize)]
struct Control<'a> {
    control: &'a str,
    title: &'a str,
    status: &'static str,
    status_without_suppressions: &'static str,
    severity: &'static str,
    requirements: Vec<&'a str>,
    failing_resources: &'a [String],
    suppressed_resources: &'a [String],
}

#[derive(Serialize)]
struct Suppressed<'a> {
    control: &'a str,
    resource: &'a str,
    control_status_without_suppressions: &'static str,
}

pub(super) fn render(m: &Model) -> String {
    let input = m.input;
    let requirements = m
        .requirements
        .iter()
        .map(|r| Requirement {
            id: &r.id,
            title: &r.title,
            status: r.status.as_str(),
            controls: r
                .controls
                .iter()
                .map(|c| ControlRef {
                    control: c.id,
                    status: c.status().as_str(),
                    failing_resource_count: c.failing().len(),
                })
                .collect(),
        })
        .collect();
    let mut reqs_of = m.requirements_of();
    let controls = m
        .ordered
        .iter()
        .map(|c| Control {
            control: &c.control,
            title: &c.title,
            status: c.status.as_str(),
            status_without_suppressions: c.status_without_suppressions.as_str(),
            severity: c.severity.as_str(),
            requirements: reqs_of.remove(c.control.as_str()).unwrap_or_default(),
            failing_resources: &c.failing_resources,
            suppressed_resources: &c.suppressed,
        })
        .collect();
    let report = Report {
        report: "compliance",
        standard: Standard {
            key: &m.key,
            name: &m.name,
            security_hub_standard: m.derived.is_none(),
            derived_mapping: m.derived.map(|(note, basis, mapping_file)| Derived {
                note,
                basis,
                mapping_file,
            }),
        },
        account_scope: input.account,
        generated_at: format_rfc3339(input.generated_at),
        data_as_of: input.data_as_of.map(format_rfc3339),
        sources: input
            .sources
            .iter()
            .map(|(key, at)| Source {
                key,
                last_successful_poll: at.map(format_rfc3339),
            })
            .collect(),
        control_metadata: input.metadata,
        score: Score {
            score: m.score,
            score_without_suppressions: m.score_without_suppressions,
            display: score_text(m.score),
            counts: m.counts,
            method: m.score_note(),
        },
        requirement_counts: m.requirement_counts(),
        requirements,
        controls,
        suppressed: m
            .suppressed
            .iter()
            .map(|(control, resource)| Suppressed {
                control,
                resource,
                control_status_without_suppressions: m
                    .controls
                    .get(control)
                    .map_or("", |c| c.status_without_suppressions.as_str()),
            })
            .collect(),
    };
    let mut out = serde_json::to_string_pretty(&report).expect("plain data serialises");
    out.push('\n');
    out
}
