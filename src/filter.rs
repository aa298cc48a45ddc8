//! The `/` filter language: `sev:>=high -wf:resolved acct:1234 region:eu "root user"`.
//!
//! Terms are AND-ed; `-` negates a term; `a,b` means a OR b; `"…"` quotes spaces, commas and
//! colons. Runs over 100k findings per keystroke, so needles are lowercased once at parse time
//! and matching never allocates for ASCII text.

use std::fmt;

use crate::model::{Cloud, ComplianceStatus, Finding, RecordState, Severity, Workflow};
use crate::suggest::edit_distance;

mod parse;
mod text;

use parse::{build_term, lex};

use text::{contains_ci, eq_ci, starts_with_ci};

/// A parse error at a 1-based character column of the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct FilterError {
    pub column: usize,
    pub message: String,
}

/// A parsed filter; the default one matches everything.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// In the order the user typed them (for `Display`).
    terms: Vec<Term>,
    /// Evaluation order: cheap enum tests before text scans.
    order: Vec<usize>,
}

#[derive(Debug, Clone)]
struct Term {
    negate: bool,
    /// `None` for free text.
    field: Option<Field>,
    test: Test,
    /// Normalised value items, already quoted where needed.
    shown: Vec<String>,
}

#[derive(Debug, Clone)]
enum Test {
    /// sev, wf, state, comp: bit `1 << (variant as u8)` set for each accepted value.
    Enum(u8),
    Age(Vec<(Cmp, i64)>),
    Text(Vec<Needle>),
    Free(Needle),
}

/// A comparison as the orderings (less, equal, greater) of value vs operand it accepts.
type Cmp = [bool; 3];

const OPS: [(&str, Cmp); 5] = [
    (">=", [false, true, true]),
    ("<=", [true, true, false]),
    (">", [false, false, true]),
    ("<", [true, false, false]),
    ("=", [false, true, false]),
];

/// Splits a leading comparison operator off `s`.
fn split_op(s: &str) -> Option<(&'static str, Cmp, &str)> {
    OPS.iter()
        .find_map(|(op, cmp)| Some((*op, *cmp, s.strip_prefix(op)?)))
}

fn holds<T: Ord>(cmp: Cmp, a: T, b: T) -> bool {
    cmp[(a.cmp(&b) as i8 + 1) as usize]
}

/// A text value lowercased once at parse time.
#[derive(Debug, Clone)]
struct Needle {
    lower: Box<str>,
    ascii: bool,
    /// `control:S3.*`: prefix instead of exact match.
    prefix: bool,
    /// Characters the text must contain (see [`text::char_mask`]; 0 when not ASCII).
    mask: u64,
}

impl Needle {
    fn new(text: &str, prefix: bool) -> Needle {
        let body = if prefix {
            &text[..text.len() - 1]
        } else {
            text
        };
        let lower: Box<str> = body.to_lowercase().into();
        let ascii = lower.is_ascii();
        Needle {
            mask: if ascii { text::char_mask(&lower) } else { 0 },
            lower,
            ascii,
            prefix,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Sev,
    Account,
    Region,
    Product,
    Control,
    Resource,
    ResourceType,
    Workflow,
    State,
    Compliance,
    Provider,
    Title,
    Id,
    Generator,
    Standard,
    Source,
    Age,
    Cloud,
    Tool,
    Repo,
    File,
    Vuln,
}

/// Field names and aliases; the first spelling of each field is its canonical one.
#[rustfmt::skip]
const FIELDS: &[(&str, Field)] = &[
    ("sev", Field::Sev), ("severity", Field::Sev),
    ("acct", Field::Account), ("account", Field::Account),
    ("region", Field::Region),
    ("product", Field::Product),
    ("control", Field::Control),
    ("res", Field::Resource), ("resource", Field::Resource),
    ("type", Field::ResourceType), ("rtype", Field::ResourceType),
    ("wf", Field::Workflow), ("workflow", Field::Workflow),
    ("state", Field::State), ("record", Field::State),
    ("comp", Field::Compliance), ("compliance", Field::Compliance),
    ("provider", Field::Provider),
    ("title", Field::Title),
    ("id", Field::Id),
    ("gen", Field::Generator), ("generator", Field::Generator),
    ("std", Field::Standard), ("standard", Field::Standard),
    ("source", Field::Source),
    ("age", Field::Age),
    ("cloud", Field::Cloud),
    ("tool", Field::Tool),
    ("repo", Field::Repo), ("repository", Field::Repo),
    ("file", Field::File), ("path", Field::File),
    ("cwe", Field::Vuln), ("cve", Field::Vuln), ("vuln", Field::Vuln),
];

/// The filter fields with their aliases and what they match, for the help screen.
pub fn reference() -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = Vec::new();
    let mut seen: Vec<Field> = Vec::new();
    for (_, f) in FIELDS {
        if seen.contains(f) {
            continue;
        }
        seen.push(*f);
        let names: Vec<&str> = FIELDS
            .iter()
            .filter(|(_, g)| g == f)
            .map(|(n, _)| *n)
            .collect();
        out.push((format!("{}:", names.join(": ")), f.meaning()));
    }
    out
}

impl Field {
    fn meaning(self) -> &'static str {
        match self {
            Field::Sev => "severity: sev:high, sev:>=medium, sev:crit,high",
            Field::Account => {
                "account, subscription, project or repository, id or name (substring)"
            }
            Field::Region => "region or location (prefix): region:eu",
            Field::Product => "product or tool name (substring)",
            Field::Control => "control id, exact or prefix: control:S3.8, control:S3.*",
            Field::Resource => "resource id (substring)",
            Field::ResourceType => "resource type: type:AwsS3Bucket",
            Field::Workflow => "workflow: new, notified, resolved, suppressed",
            Field::State => "record state: active, archived",
            Field::Compliance => "compliance: passed, warning, failed, not_available",
            Field::Provider => "provider: aws-securityhub, azure-defender, gcp-scc, sarif …",
            Field::Title => "title (substring)",
            Field::Id => "finding id (substring)",
            Field::Generator => "generator id (substring)",
            Field::Standard => "standard (substring): std:cis",
            Field::Source => "source key (substring): source:aws/prod",
            Field::Age => "age since created: age:<7d, age:>12h (m, h, d, w)",
            Field::Cloud => "cloud: aws, azure, gcp, code",
            Field::Tool => "code scanning tool (substring)",
            Field::Repo => "repository of a code finding (substring)",
            Field::File => "file of a code finding (substring): file:src/db.py",
            Field::Vuln => "CWE or CVE id: cwe:79, cve:2024-3094, CWE-79*",
        }
    }

    fn name(self) -> &'static str {
        FIELDS
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("?", |(n, _)| n)
    }

    fn expected(self) -> &'static str {
        match self {
            Field::Sev => "a severity (critical, high, medium, low, informational)",
            Field::Workflow => "a workflow status (new, notified, resolved, suppressed)",
            Field::State => "a record state (active, archived)",
            Field::Compliance => "a compliance status (passed, warning, failed, not_available)",
            Field::Cloud => "a cloud (aws, azure, gcp, code)",
            _ => "an age; try age:<7d or age:>12h (units m, h, d, w)",
        }
    }
}

impl Term {
    /// Whether every finding this term accepts is accepted by `p` (conservative).
    fn implies(&self, p: &Term) -> bool {
        if self.negate != p.negate || self.field != p.field {
            return false;
        }
        // For a negated term the inclusion runs the other way.
        let (wide, narrow) = if self.negate { (self, p) } else { (p, self) };
        let within = |n: &Needle, w: &Needle| match self.field {
            Some(Field::Region) => n.lower.starts_with(&*w.lower),
            Some(Field::Control) if w.prefix => n.lower.starts_with(&*w.lower),
            Some(Field::Control) => !n.prefix && n.lower == w.lower,
            _ => n.lower.contains(&*w.lower),
        };
        match (&narrow.test, &wide.test) {
            (Test::Enum(n), Test::Enum(w)) => n & !w == 0,
            (Test::Free(n), Test::Free(w)) => within(n, w),
            (Test::Text(n), Test::Text(w)) => n.iter().all(|n| w.iter().any(|w| within(n, w))),
            _ => self.shown == p.shown,
        }
    }

    /// Relative cost, used to order evaluation.
    fn cost(&self) -> u8 {
        match (&self.test, self.field) {
            (Test::Enum(_), _) => 0,
            (Test::Age(_), _) => 1,
            (Test::Text(_), Some(Field::Account | Field::Region | Field::Control)) => 2,
            (Test::Text(_), _) => 3,
            (Test::Free(_), _) => 4,
        }
    }

    fn eval(&self, f: &Finding, now_ms: i64) -> bool {
        match &self.test {
            Test::Enum(mask) => {
                let v = match self.field {
                    Some(Field::Sev) => Some(f.severity as u8),
                    Some(Field::Workflow) => Some(f.workflow as u8),
                    Some(Field::State) => Some(f.record_state as u8),
                    Some(Field::Cloud) => Some(f.cloud as u8),
                    _ => f.compliance.map(|c| c as u8),
                };
                v.is_some_and(|v| mask & bit(v) != 0)
            }
            Test::Age(ages) => {
                let age = now_ms.saturating_sub(f.created_at);
                ages.iter().any(|(cmp, ms)| holds(*cmp, age, *ms))
            }
            Test::Text(needles) => {
                let field = self.field.unwrap_or(Field::Title);
                needles.iter().any(|n| text_matches(field, f, n))
            }
            Test::Free(n) => free_matches(f, n),
        }
    }
}

fn bit(i: u8) -> u8 {
    1 << i
}

fn text_matches(field: Field, f: &Finding, n: &Needle) -> bool {
    match field {
        Field::Account => {
            contains_ci(&f.account, n)
                || f.account_name.as_deref().is_some_and(|a| contains_ci(a, n))
        }
        Field::Region => starts_with_ci(&f.region, n),
        Field::Product => contains_ci(&f.product_name, n),
        Field::Control => f.control_id.as_deref().is_some_and(|c| {
            if n.prefix {
                starts_with_ci(c, n)
            } else {
                eq_ci(c, n)
            }
        }),
        Field::Resource => f.resources.iter().any(|r| contains_ci(&r.id, n)),
        Field::ResourceType => f.resources.iter().any(|r| contains_ci(&r.kind, n)),
        Field::Provider => contains_ci(f.provider.as_str(), n),
        Field::Title => contains_ci(&f.title, n),
        Field::Id => contains_ci(&f.id, n),
        Field::Generator => contains_ci(&f.generator_id, n),
        Field::Standard => f.standards.iter().any(|s| contains_ci(s, n)),
        Field::Source => contains_ci(&f.source, n),
        // Code findings: the tool is the product, the repository the account.
        Field::Tool => contains_ci(&f.product_name, n),
        Field::Repo => f.cloud == Cloud::Code && contains_ci(&f.account, n),
        Field::File => f
            .resources
            .iter()
            .any(|r| &*r.kind == "File" && contains_ci(&r.id, n)),
        // `cwe:79` finds CWE-79 (and not CWE-790: whole ids or prefixes with `*`).
        Field::Vuln => f.vulns.iter().any(|v| vuln_matches(v, n)),
        // Enum and age fields never become text tests.
        Field::Sev
        | Field::Workflow
        | Field::State
        | Field::Compliance
        | Field::Age
        | Field::Cloud => false,
    }
}

/// A CVE/CWE id against `cwe:79`, `cwe:CWE-79`, `cve:2024-3094` or a prefix `CVE-2024-*`.
fn vuln_matches(v: &str, n: &Needle) -> bool {
    let bare = |s: &str| {
        let l = s.to_ascii_lowercase();
        l.strip_prefix("cwe-")
            .or_else(|| l.strip_prefix("cve-"))
            .map(str::to_owned)
            .unwrap_or(l)
    };
    let (have, want) = (bare(v), bare(&n.lower));
    if n.prefix {
        have.starts_with(&want)
    } else {
        have == want
    }
}

/// Short fields first so a hit skips the long description.
fn free_matches(f: &Finding, n: &Needle) -> bool {
    // A character the needle has and no field has rules the finding out without a scan.
    if n.mask & !f.search_mask.get_or_init(|| free_mask(f)) != 0 {
        return false;
    }
    free_fields(f, |s| contains_ci(s, n))
}

/// Whether `hit` is true for any text free-text search looks in.
fn free_fields(f: &Finding, mut hit: impl FnMut(&str) -> bool) -> bool {
    hit(&f.account)
        || f.account_name.as_deref().is_some_and(&mut hit)
        || hit(&f.region)
        || f.control_id.as_deref().is_some_and(&mut hit)
        || hit(&f.product_name)
        || hit(&f.title)
        || f.resources.iter().any(|r| hit(&r.kind) || hit(&r.id))
        || hit(&f.generator_id)
        || hit(&f.id)
        || f.vulns.iter().any(|v| hit(v))
        || hit(&f.description)
}

/// The characters of every free-text field (see [`text::char_mask`]).
fn free_mask(f: &Finding) -> u64 {
    let mut m = 0;
    free_fields(f, |s| {
        m |= text::char_mask(s);
        false
    });
    m
}

/// Computes the finding's search mask now (the hub does this as findings arrive, so the
/// first search in the UI does not pay for it).
pub fn warm(f: &Finding) {
    f.search_mask.get_or_init(|| free_mask(f));
}

impl Filter {
    /// Parses the filter language; an empty or blank input gives the match-all filter.
    pub fn parse(input: &str) -> Result<Filter, FilterError> {
        let terms = lex(input)?
            .iter()
            .map(|(col, raw)| build_term(raw, *col))
            .collect::<Result<Vec<_>, _>>()?;
        let mut order: Vec<usize> = (0..terms.len()).collect();
        order.sort_by_key(|&i| terms[i].cost());
        Ok(Filter { terms, order })
    }

    pub fn matches(&self, f: &Finding, now_ms: i64) -> bool {
        self.order.iter().all(|&i| {
            let t = &self.terms[i];
            t.eval(f, now_ms) != t.negate
        })
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether the answer depends on the clock (`age:` terms).
    pub fn uses_time(&self) -> bool {
        self.terms.iter().any(|t| matches!(t.test, Test::Age(_)))
    }

    /// Which finding classes (see [`class_of`]) pass every severity, workflow, record-state,
    /// compliance and cloud term, and whether those are all the terms: a rules engine then
    /// decides most findings with one table lookup.
    pub fn class_table(&self) -> ClassTable {
        let mut pass = vec![true; CLASSES];
        let mut enums_only = true;
        let mut ages_only = true;
        for t in &self.terms {
            let Test::Enum(mask) = t.test else {
                enums_only = false;
                ages_only &= matches!(t.test, Test::Age(_));
                continue;
            };
            for (class, ok) in pass.iter_mut().enumerate() {
                let (sev, wf, state, comp, cloud) = class_parts(class as u16);
                let v = match t.field {
                    Some(Field::Sev) => Some(sev),
                    Some(Field::Workflow) => Some(wf),
                    Some(Field::State) => Some(state),
                    Some(Field::Cloud) => Some(cloud),
                    _ => comp,
                };
                if v.is_some_and(|v| mask & bit(v) != 0) == t.negate {
                    *ok = false;
                }
            }
        }
        ClassTable {
            pass,
            enums_only,
            ages_only,
        }
    }

    /// True when everything `self` matches is also matched by `previous` (the user typed
    /// more), so a caller may re-filter `previous`'s results instead of every finding: a full
    /// free-text scan of 100k findings is bound by memory bandwidth, ~20 ms.
    pub fn narrows(&self, previous: &Filter) -> bool {
        previous
            .terms
            .iter()
            .all(|p| self.terms.iter().any(|t| t.implies(p)))
    }
}

/// Findings by (severity, workflow, record state, compliance or none, cloud).
pub const CLASSES: usize = 5 * 4 * 2 * 5 * 4;

/// A finding's class: its enum fields packed into one number below [`CLASSES`].
pub fn class_of(f: &Finding) -> u16 {
    let comp = f.compliance.map_or(0, |c| c as u16 + 1);
    (((f.severity as u16 * 4 + f.workflow as u16) * 2 + f.record_state as u16) * 5 + comp) * 4
        + f.cloud as u16
}

fn class_parts(class: u16) -> (u8, u8, u8, Option<u8>, u8) {
    let cloud = (class % 4) as u8;
    let rest = class / 4;
    let comp = (rest % 5) as u8;
    let rest = rest / 5;
    let state = (rest % 2) as u8;
    let rest = rest / 2;
    let wf = (rest % 4) as u8;
    let sev = (rest / 4) as u8;
    (sev, wf, state, comp.checked_sub(1), cloud)
}

/// See [`Filter::class_table`].
#[derive(Debug, Clone)]
pub struct ClassTable {
    pub pass: Vec<bool>,
    /// Every term is an enum test: `pass` is the whole answer.
    pub enums_only: bool,
    /// Every other term is an `age:` test: `pass` and the creation time are the answer.
    pub ages_only: bool,
}

impl ClassTable {
    /// The filter's answer for `f` (`filter` is the filter this table came from).
    #[inline]
    pub fn matches(&self, filter: &Filter, class: u16, f: &Finding, now_ms: i64) -> bool {
        self.pass[usize::from(class)] && (self.enums_only || filter.matches(f, now_ms))
    }

    /// The same answer from the class and creation time alone, when they suffice
    /// (`ages_only`): a caller that keeps both need not touch the finding.
    #[inline]
    pub fn matches_by_age(
        &self,
        filter: &Filter,
        class: u16,
        created_at: i64,
        now_ms: i64,
    ) -> bool {
        self.pass[usize::from(class)]
            && filter.terms.iter().all(|t| match &t.test {
                Test::Age(ages) => {
                    let age = now_ms.saturating_sub(created_at);
                    ages.iter().any(|(cmp, ms)| holds(*cmp, age, *ms)) != t.negate
                }
                _ => true,
            })
    }
}

/// `s` quoted when it would not lex back to itself.
fn quote(s: &str, free: bool) -> String {
    let needs = s.is_empty()
        || s.chars()
            .any(|c| c.is_whitespace() || matches!(c, '"' | ',' | '\\'))
        || (free && (s.starts_with('-') || s.contains(':')));
    if !needs {
        return s.to_string();
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The normalised form: canonical field names, lowercase enum values, minimal quoting.
impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.terms.iter().enumerate() {
            let sep = if i > 0 { " " } else { "" };
            let neg = if t.negate { "-" } else { "" };
            let field = t
                .field
                .map(|x| format!("{}:", x.name()))
                .unwrap_or_default();
            write!(f, "{sep}{neg}{field}{}", t.shown.join(","))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
