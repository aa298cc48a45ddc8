//! Compliance reports (`agent-hubble report`): a standard's score, then per requirement
//! pass/fail/unknown with the controls and failing resources behind it, then suppressed items,
//! stamped with generation time and data freshness. Markdown, HTML, CSV and JSON all render one
//! [`Model`], so they always agree.
//!
//! Requirements come from the findings' `RelatedRequirements` for CIS / PCI DSS / NIST (the
//! entries with that standard's prefix); for FSBP, and for controls without such entries, the
//! control itself is the requirement. SOC 2 and HIPAA are not Security Hub standards: the
//! derived mappings in `assets/compliance/` group controls by criterion, and every format says
//! so.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;
use std::sync::OnceLock;

use serde::Deserialize;

use super::score::{ControlResult, Counts, Posture, Status};
use super::standards;
use crate::model::{format_age, format_rfc3339};

mod html;
mod json;
mod text;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Html,
    Csv,
    Json,
}

impl FromStr for Format {
    type Err = ReportError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "md" | "markdown" => Format::Markdown,
            "html" | "htm" => Format::Html,
            "csv" => Format::Csv,
            "json" => Format::Json,
            _ => return Err(ReportError::UnknownFormat(s.to_string())),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("unknown standard {given:?}; known standards: {}", known.join(", "))]
    UnknownStandard { given: String, known: Vec<String> },
    #[error(
        "no control findings for {name} in this scope: is the standard enabled and has it been polled?"
    )]
    NoData { key: String, name: String },
    #[error("unknown report format {0:?}; use md, html, csv or json")]
    UnknownFormat(String),
    #[error("built-in mapping {file} is invalid: {message}")]
    Mapping { file: &'static str, message: String },
}

pub struct ReportInput<'a> {
    pub posture: &'a Posture,
    /// A standards key (`fsbp`, `cis-1.4`, `pci-4.0`, `nist-800-53`, …), `soc2` or `hipaa`.
    pub standard: &'a str,
    /// Set when the posture was computed for one account.
    pub account: Option<&'a str>,
    /// Milliseconds.
    pub generated_at: i64,
    /// Last successful poll (ms); None = unknown.
    pub data_as_of: Option<i64>,
    /// Per source: key, last successful poll (ms).
    pub sources: &'a [(String, Option<i64>)],
    /// Where control metadata came from, e.g. "derived from findings" or "Security Hub API".
    pub metadata: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// Requirement id without the standard's prefix (`2.1.5`, `AC-3`), a SOC 2 / HIPAA
    /// criterion, or a control id.
    pub id: String,
    /// Criterion title (SOC 2 / HIPAA) or control title (FSBP); empty when unknown.
    pub title: String,
    pub status: Status,
    /// (control, status, failing resources), in natural control order.
    pub controls: Vec<(String, Status, Vec<String>)>,
}

/// A derived mapping file (`assets/compliance/*.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Mapping {
    key: String,
    name: String,
    note: String,
    basis: String,
    criteria: Vec<Criterion>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Criterion {
    id: String,
    title: String,
    controls: Vec<String>,
}

const MAPPINGS: &[(&str, &str, &str)] = &[
    (
        "soc2",
        "assets/compliance/soc2.toml",
        include_str!("../../assets/compliance/soc2.toml"),
    ),
    (
        "hipaa",
        "assets/compliance/hipaa.toml",
        include_str!("../../assets/compliance/hipaa.toml"),
    ),
];

fn mapping(key: &str) -> Option<Result<&'static Mapping, ReportError>> {
    static PARSED: OnceLock<Vec<Result<Mapping, ReportError>>> = OnceLock::new();
    let parsed = PARSED.get_or_init(|| {
        MAPPINGS
            .iter()
            .map(|(key, file, text)| {
                let bad = |message: String| ReportError::Mapping { file, message };
                let m: Mapping = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
                if m.key != *key {
                    return Err(bad(format!("key is {:?}, expected {key:?}", m.key)));
                }
                Ok(m)
            })
            .collect()
    });
    let i = MAPPINGS.iter().position(|(k, _, _)| *k == key)?;
    Some(parsed[i].as_ref().map_err(Clone::clone))
}

/// `RelatedRequirements` prefixes that belong to a standard (AWS uses both spellings of some).
fn requirement_prefixes(key: &str) -> &'static [&'static str] {
    match key {
        "cis-1.2" => &["CIS AWS Foundations Benchmark v1.2.0/"],
        "cis-1.4" => &["CIS AWS Foundations Benchmark v1.4.0/"],
        "cis-3.0" => &["CIS AWS Foundations Benchmark v3.0.0/"],
        "cis-5.0" => &["CIS AWS Foundations Benchmark v5.0.0/"],
        "pci-3.2.1" => &["PCI DSS v3.2.1/", "PCI DSS 3.2.1/"],
        "pci-4.0" => &["PCI DSS v4.0.1/", "PCI DSS 4.0.1/"],
        "nist-800-53" => &["NIST.800-53.r5 "],
        "nist-800-171" => &["NIST.800-171.r2 ", "NIST.800-171.r2/"],
        _ => &[],
    }
}

/// Which standard a report is about.
enum Scope {
    Hub { key: String },
    Derived(&'static Mapping),
}

fn resolve(input: &ReportInput) -> Result<Scope, ReportError> {
    let given = input.standard.trim();
    let lower = given.to_ascii_lowercase();
    let derived = match lower.as_str() {
        "soc2" | "soc-2" | "soc 2" => Some("soc2"),
        "hipaa" => Some("hipaa"),
        _ => None,
    };
    if let Some(key) = derived {
        let m = mapping(key).expect("listed in MAPPINGS")?;
        let present = input
            .posture
            .controls
            .iter()
            .any(|c| m.criteria.iter().any(|cr| cr.controls.contains(&c.control)));
        if !present {
            return Err(ReportError::NoData {
                key: key.into(),
                name: m.name.clone(),
            });
        }
        return Ok(Scope::Derived(m));
    }
    let key = standards::parse(given).map(str::to_string).or_else(|| {
        let p = &input.posture.standards;
        p.iter().find(|s| s.key == given).map(|s| s.key.clone())
    });
    let Some(key) = key else {
        let mut known: Vec<String> = standards::KNOWN.iter().map(|k| k.0.to_string()).collect();
        for s in &input.posture.standards {
            if !known.contains(&s.key) {
                known.push(s.key.clone());
            }
        }
        known.extend(MAPPINGS.iter().map(|m| m.0.to_string()));
        return Err(ReportError::UnknownStandard {
            given: given.to_string(),
            known,
        });
    };
    if !input.posture.standards.iter().any(|s| s.key == key) {
        return Err(ReportError::NoData {
            name: standards::name(&key),
            key,
        });
    }
    Ok(Scope::Hub { key })
}

/// Requirement status: any control failed → failed; else any unknown → unknown; else any
/// passed → passed. Controls with no data are left out, as the score leaves them out.
fn fold(statuses: impl IntoIterator<Item = Status>) -> Status {
    let mut out = Status::NoData;
    for s in statuses {
        out = match (out, s) {
            (_, Status::Failed) | (Status::Failed, _) => Status::Failed,
            (_, Status::Unknown) | (Status::Unknown, _) => Status::Unknown,
            (_, Status::Passed) | (Status::Passed, _) => Status::Passed,
            _ => Status::NoData,
        };
    }
    out
}

/// Orders ids the way people number them: `1.10` after `1.9`, `AC-2(1)` after `AC-2`.
fn natural_cmp(a: &str, b: &str) -> Ordering {
    fn chunks(s: &str) -> impl Iterator<Item = (bool, &str)> {
        let mut rest = s;
        std::iter::from_fn(move || {
            let first = rest.chars().next()?;
            let digit = first.is_ascii_digit();
            let end = rest
                .find(|c: char| c.is_ascii_digit() != digit)
                .unwrap_or(rest.len());
            let (head, tail) = rest.split_at(end);
            rest = tail;
            Some((digit, head))
        })
    }
    let (mut x, mut y) = (chunks(a), chunks(b));
    loop {
        match (x.next(), y.next()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some((true, p)), Some((true, q))) => {
                let (p, q) = (p.trim_start_matches('0'), q.trim_start_matches('0'));
                let o = p.len().cmp(&q.len()).then_with(|| p.cmp(q));
                if o != Ordering::Equal {
                    return o;
                }
            }
            (Some((_, p)), Some((_, q))) => {
                if p != q {
                    return p.cmp(q);
                }
            }
        }
    }
}

/// Everything a report shows, computed once for all formats.
struct Model<'a> {
    input: &'a ReportInput<'a>,
    key: String,
    name: String,
    /// Set for SOC 2 / HIPAA: (note, basis, mapping file).
    derived: Option<(&'a str, &'a str, &'static str)>,
    counts: Counts,
    score: Option<u8>,
    score_without_suppressions: Option<u8>,
    requirements: Vec<Req<'a>>,
    /// Controls in scope, by id (titles, severities, suppressed resources).
    controls: HashMap<&'a str, &'a ControlResult>,
    /// The same controls in natural id order.
    ordered: Vec<&'a ControlResult>,
    /// (control, suppressed resource), in natural control order.
    suppressed: Vec<(&'a str, &'a str)>,
}

/// A requirement as the formats see it: controls by reference, so resources are not copied
/// once per requirement (NIST maps one control to dozens).
struct Req<'a> {
    id: String,
    title: String,
    status: Status,
    controls: Vec<Ctl<'a>>,
}

/// A control behind a requirement; `result` is None for a mapped control without findings.
#[derive(Clone, Copy)]
struct Ctl<'a> {
    id: &'a str,
    result: Option<&'a ControlResult>,
}

impl<'a> Ctl<'a> {
    fn status(self) -> Status {
        self.result.map_or(Status::NoData, |c| c.status)
    }

    fn failing(self) -> &'a [String] {
        self.result.map_or(&[], |c| &c.failing_resources)
    }
}

impl<'a> Model<'a> {
    fn build(input: &'a ReportInput<'a>) -> Result<Self, ReportError> {
        let posture = input.posture;
        let scope = resolve(input)?;
        let by_id: HashMap<&str, &ControlResult> = posture
            .controls
            .iter()
            .map(|c| (c.control.as_str(), c))
            .collect();
        // requirement id → (title, controls); BTreeSet dedups repeated requirement entries.
        let mut groups: Vec<(String, String, BTreeSet<&str>)> = Vec::new();
        let mut in_scope: HashMap<&str, &ControlResult> = HashMap::new();
        let (key, name, derived, counts, score, without);
        match scope {
            Scope::Hub { key: k } => {
                let prefixes = requirement_prefixes(&k);
                let mut index: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
                for c in posture.controls.iter().filter(|c| c.standards.contains(&k)) {
                    in_scope.insert(&c.control, c);
                    let mut ids: Vec<&str> = c
                        .requirements
                        .iter()
                        .filter_map(|r| prefixes.iter().find_map(|p| r.strip_prefix(p)))
                        .map(str::trim)
                        .filter(|r| !r.is_empty())
                        .collect();
                    if ids.is_empty() {
                        ids.push(&c.control);
                    }
                    for id in ids {
                        index.entry(id.to_string()).or_default().insert(&c.control);
                    }
                }
                for (id, ctrls) in index {
                    // A requirement that is a control (FSBP) takes the control's title.
                    let title = match (ctrls.len(), by_id.get(id.as_str())) {
                        (1, Some(c)) if ctrls.contains(id.as_str()) => c.title.clone(),
                        _ => String::new(),
                    };
                    groups.push((id, title, ctrls));
                }
                groups.sort_by(|a, b| natural_cmp(&a.0, &b.0));
                let s = posture.standards.iter().find(|s| s.key == k);
                let s = s.expect("resolve checked the standard has data");
                (counts, score, without) = (s.counts, s.score, s.score_without_suppressions);
                (name, derived) = (s.name.clone(), None);
                key = k;
            }
            Scope::Derived(m) => {
                let mut all = Counts::default();
                let mut without_counts = Counts::default();
                let mut absent = BTreeSet::new();
                for cr in &m.criteria {
                    // Mapped controls without findings stay listed (as no data): they show
                    // which checks to enable.
                    let ctrls: BTreeSet<&str> = cr.controls.iter().map(String::as_str).collect();
                    for id in &ctrls {
                        match by_id.get(id) {
                            Some(c) => {
                                if in_scope.insert(c.control.as_str(), c).is_none() {
                                    add(&mut all, c.status);
                                    add(&mut without_counts, c.status_without_suppressions);
                                }
                            }
                            None => {
                                if absent.insert(*id) {
                                    all.no_data += 1;
                                    without_counts.no_data += 1;
                                }
                            }
                        }
                    }
                    groups.push((cr.id.clone(), cr.title.clone(), ctrls));
                }
                let file = MAPPINGS.iter().find(|f| f.0 == m.key).map_or("", |f| f.1);
                (key, name) = (m.key.clone(), m.name.clone());
                derived = Some((m.note.as_str(), m.basis.as_str(), file));
                (counts, score) = (all, all.score());
                without = without_counts.score();
            }
        }
        let requirements = groups
            .into_iter()
            .map(|(id, title, ctrls)| {
                let mut controls: Vec<Ctl> = ctrls
                    .into_iter()
                    .map(|id| Ctl {
                        id,
                        result: by_id.get(id).copied(),
                    })
                    .collect();
                controls.sort_by(|a, b| natural_cmp(a.id, b.id));
                Req {
                    status: fold(controls.iter().map(|c| c.status())),
                    id,
                    title,
                    controls,
                }
            })
            .collect();
        let mut ordered: Vec<&ControlResult> = in_scope.values().copied().collect();
        ordered.sort_by(|a, b| natural_cmp(&a.control, &b.control));
        let suppressed = ordered
            .iter()
            .flat_map(|c| {
                c.suppressed
                    .iter()
                    .map(move |r| (c.control.as_str(), r.as_str()))
            })
            .collect();
        Ok(Model {
            input,
            key,
            name,
            derived,
            counts,
            score,
            score_without_suppressions: without,
            requirements,
            controls: in_scope,
            ordered,
            suppressed,
        })
    }

    fn scope_text(&self) -> String {
        match self.input.account {
            Some(a) => format!("account {a}"),
            None => "all accounts".to_string(),
        }
    }

    fn data_as_of_text(&self) -> String {
        match self.input.data_as_of {
            Some(t) => format!(
                "{} ({} before generation)",
                format_rfc3339(t),
                format_age(self.input.generated_at, t)
            ),
            None => "unknown (no successful poll recorded)".to_string(),
        }
    }

    fn title(&self) -> String {
        format!("Compliance report: {}", self.name)
    }

    /// How the score was computed, in one sentence.
    fn score_note(&self) -> &'static str {
        if self.derived.is_some() {
            "Derived score: passed ÷ (passed + failed + unknown) over the mapped Security Hub \
             controls; mapped controls without findings count as no data and are excluded. \
             Not a Security Hub score."
        } else {
            "Security Hub score: passed ÷ (passed + failed + unknown) controls; controls with \
             no data are excluded."
        }
    }

    fn requirement_counts(&self) -> Counts {
        let mut c = Counts::default();
        for r in &self.requirements {
            add(&mut c, r.status);
        }
        c
    }

    /// Requirement ids each control is behind, in report order.
    fn requirements_of(&self) -> HashMap<&str, Vec<&str>> {
        let mut out: HashMap<&str, Vec<&str>> = HashMap::new();
        for r in &self.requirements {
            for c in &r.controls {
                out.entry(c.id).or_default().push(&r.id);
            }
        }
        out
    }

    fn control_title(&self, id: &str) -> &str {
        self.controls.get(id).map_or("", |c| c.title.as_str())
    }
}

fn add(c: &mut Counts, s: Status) {
    match s {
        Status::Passed => c.passed += 1,
        Status::Failed => c.failed += 1,
        Status::Unknown => c.unknown += 1,
        Status::NoData => c.no_data += 1,
    }
}

fn score_text(s: Option<u8>) -> String {
    s.map_or_else(|| "n/a".to_string(), |s| format!("{s}%"))
}

/// Status as report text (never colour alone).
fn status_text(s: Status) -> &'static str {
    match s {
        Status::NoData => "NO DATA",
        s => s.as_str(),
    }
}

/// The structured view every format renders.
pub fn requirements(input: &ReportInput) -> Result<Vec<Requirement>, ReportError> {
    let model = Model::build(input)?;
    Ok(model
        .requirements
        .into_iter()
        .map(|r| Requirement {
            id: r.id,
            title: r.title,
            status: r.status,
            controls: r
                .controls
                .iter()
                .map(|c| (c.id.to_string(), c.status(), c.failing().to_vec()))
                .collect(),
        })
        .collect())
}

pub fn render(input: &ReportInput, format: Format) -> Result<String, ReportError> {
    let model = Model::build(input)?;
    Ok(match format {
        Format::Markdown => text::markdown(&model),
        Format::Csv => text::csv(&model),
        Format::Json => json::render(&model),
        Format::Html => html::render(&model),
    })
}

#[cfg(test)]
mod tests;
