//! GitHub code-scanning alert JSON → normalised `Finding`.
//!
//! Like the ASFF normaliser: only the fields the console uses are deserialised (borrowed where
//! possible), the rest is skipped by serde and each alert's JSON is kept verbatim as raw JSON.
//! A code finding's shape (shared with SARIF): account = repository `owner/name`, region = the
//! git ref, one `File` resource `path:line`, tool = product, rule = control, CWE ids as vulns.

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;

use serde::Deserialize;
use serde::de::{Deserializer, Visitor};
use serde_json::value::RawValue;

use crate::model::{
    Cloud, Finding, Note, Provider, RecordState, Resource, Severity, Text, Workflow, intern,
    parse_timestamp,
};
use crate::sources::{Normalized, NormalizedPage};

/// A string borrowed from the body unless it has escapes. (serde borrows a `Cow<str>`
/// field only when it is not wrapped: `Option<Cow<str>>` would always allocate.)
#[derive(Default)]
struct Str<'a>(Cow<'a, str>);

impl Deref for Str<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v))
            }
        }
        d.deserialize_str(V).map(Str)
    }
}

#[derive(Deserialize)]
struct Alert<'a> {
    number: u64,
    #[serde(borrow)]
    created_at: Str<'a>,
    #[serde(borrow, default)]
    updated_at: Option<Str<'a>>,
    #[serde(borrow, default)]
    html_url: Option<Str<'a>>,
    #[serde(borrow, default)]
    state: Option<Str<'a>>,
    #[serde(borrow, default)]
    fixed_at: Option<Str<'a>>,
    #[serde(borrow, default)]
    dismissed_by: Option<User<'a>>,
    #[serde(borrow, default)]
    dismissed_at: Option<Str<'a>>,
    #[serde(borrow, default)]
    dismissed_reason: Option<Str<'a>>,
    #[serde(borrow, default)]
    dismissed_comment: Option<Str<'a>>,
    #[serde(borrow, default)]
    rule: Option<Rule<'a>>,
    #[serde(borrow, default)]
    tool: Option<Tool<'a>>,
    #[serde(borrow, default)]
    most_recent_instance: Option<Instance<'a>>,
    /// Only in organisation listings.
    #[serde(borrow, default)]
    repository: Option<Repository<'a>>,
}

#[derive(Deserialize)]
struct User<'a> {
    #[serde(borrow, default)]
    login: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Repository<'a> {
    #[serde(borrow, default)]
    full_name: Option<Str<'a>>,
}

#[derive(Deserialize, Default)]
struct Rule<'a> {
    #[serde(borrow, default)]
    id: Option<Str<'a>>,
    #[serde(borrow, default)]
    name: Option<Str<'a>>,
    #[serde(borrow, default)]
    severity: Option<Str<'a>>,
    #[serde(borrow, default)]
    security_severity_level: Option<Str<'a>>,
    #[serde(borrow, default)]
    description: Option<Str<'a>>,
    #[serde(borrow, default)]
    full_description: Option<Str<'a>>,
    #[serde(borrow, default)]
    tags: Option<Vec<Str<'a>>>,
    #[serde(borrow, default)]
    help: Option<Str<'a>>,
    #[serde(borrow, default)]
    help_uri: Option<Str<'a>>,
}

#[derive(Deserialize, Default)]
struct Tool<'a> {
    #[serde(borrow, default)]
    name: Option<Str<'a>>,
    #[serde(borrow, default)]
    version: Option<Str<'a>>,
}

#[derive(Deserialize, Default)]
struct Instance<'a> {
    #[serde(borrow, default, rename = "ref")]
    git_ref: Option<Str<'a>>,
    #[serde(borrow, default)]
    commit_sha: Option<Str<'a>>,
    #[serde(borrow, default)]
    message: Option<Message<'a>>,
    #[serde(borrow, default)]
    location: Option<Location<'a>>,
    #[serde(borrow, default)]
    classifications: Option<Vec<Option<Str<'a>>>>,
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow, default)]
    text: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Location<'a> {
    #[serde(borrow, default)]
    path: Option<Str<'a>>,
    #[serde(default)]
    start_line: Option<u64>,
}

/// Parses one list answer (a JSON array of alerts). `repo` names the repository of a
/// per-repository listing (organisation listings carry it in every alert). A malformed alert is
/// skipped and counted; only a body that is not an array is an error.
pub fn normalize_page(
    body: &[u8],
    source: &str,
    repo: Option<&str>,
) -> Result<NormalizedPage, serde_json::Error> {
    let alerts: Vec<&RawValue> = serde_json::from_slice(body)?;
    let mut out = NormalizedPage {
        items: Vec::with_capacity(alerts.len()),
        ..NormalizedPage::default()
    };
    for raw in alerts {
        match normalize_one(raw.get(), source, repo) {
            Ok(finding) => out.items.push(Normalized {
                finding,
                raw: raw.get().into(),
            }),
            Err(e) => out.skipped.push(e),
        }
    }
    Ok(out)
}

/// Normalises one alert. The error names the alert (its html_url or number) and the cause.
pub fn normalize_one(json: &str, source: &str, repo: Option<&str>) -> Result<Finding, String> {
    let a: Alert<'_> = serde_json::from_str(json).map_err(|e| {
        let v = serde_json::from_str::<serde_json::Value>(json).ok();
        let name = v.as_ref().and_then(|v| {
            v.get("html_url")
                .and_then(|u| u.as_str())
                .map(str::to_owned)
                .or_else(|| v.get("number").map(|n| format!("#{n}")))
        });
        match name {
            Some(n) => format!("alert {n}: {e}"),
            None => format!("alert without a readable number: {e}"),
        }
    })?;
    convert(a, source, repo)
}

/// `(owner/repo, number)` of a finding id: an alert's html_url
/// (`https://HOST/OWNER/REPO/security/code-scanning/N`) or `OWNER/REPO#N`.
pub fn parse_id(id: &str) -> Option<(String, u64)> {
    let (repo, n) = match id.split_once("/security/code-scanning/") {
        Some((head, n)) => {
            let mut parts = head.rsplit('/');
            let name = parts.next()?;
            let owner = parts.next()?;
            (format!("{owner}/{name}"), n)
        }
        None => {
            let (repo, n) = id.rsplit_once('#')?;
            (repo.to_string(), n)
        }
    };
    let ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    };
    let (owner, name) = repo.split_once('/')?;
    if !ok(owner) || !ok(name) || n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((repo, n.parse().ok()?))
}

fn time_field(what: &str, name: &str, v: Option<&str>) -> Result<Option<i64>, String> {
    match v {
        None | Some("") => Ok(None),
        Some(s) => parse_timestamp(s)
            .map(Some)
            .ok_or_else(|| format!("alert {what}: {name} is not a timestamp: {s:?}")),
    }
}

fn nonempty<'a>(s: &'a Option<Str<'_>>) -> Option<&'a str> {
    s.as_deref().filter(|s| !s.is_empty())
}

/// `rule.security_severity_level` (from the SARIF security-severity score) first, else the
/// rule's own severity: error HIGH, warning MEDIUM, note LOW.
fn severity(rule: &Rule<'_>) -> Severity {
    let level = nonempty(&rule.security_severity_level).map(str::to_ascii_lowercase);
    match level.as_deref() {
        Some("critical") => return Severity::Critical,
        Some("high") => return Severity::High,
        Some("medium") => return Severity::Medium,
        Some("low") => return Severity::Low,
        _ => {}
    }
    match nonempty(&rule.severity)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("error") => Severity::High,
        Some("warning") => Severity::Medium,
        Some("note") => Severity::Low,
        _ => Severity::Informational,
    }
}

/// `external/cwe/cwe-079` → `CWE-79`.
fn cwe(tag: &str) -> Option<Text> {
    let rest = tag.get(..17)?;
    if !rest.eq_ignore_ascii_case("external/cwe/cwe-") {
        return None;
    }
    let n: u32 = tag[17..].parse().ok()?;
    Some(intern(&format!("CWE-{n}")))
}

fn convert(a: Alert<'_>, source: &str, repo_hint: Option<&str>) -> Result<Finding, String> {
    let number = a.number;
    let html_url = nonempty(&a.html_url);
    let what = html_url.map_or_else(|| format!("#{number}"), str::to_owned);
    // The repository as GitHub spells it: the listing's own field, else the html_url, else
    // the repository that was listed.
    let from_url = html_url.and_then(parse_id).filter(|(_, n)| *n == number);
    let repo = a
        .repository
        .as_ref()
        .and_then(|r| nonempty(&r.full_name))
        .map(str::to_owned)
        .or_else(|| from_url.as_ref().map(|(r, _)| r.clone()))
        .or_else(|| repo_hint.map(str::to_owned))
        .ok_or_else(|| format!("alert {what}: no repository"))?;
    // The html_url identifies the alert across repositories and GitHub hosts; it is the id
    // when it names this alert (so a workflow change can find it again).
    let id = match (&from_url, html_url) {
        (Some((r, _)), Some(u)) if r.eq_ignore_ascii_case(&repo) => u.to_string(),
        _ => format!("{repo}#{number}"),
    };
    let created_at = time_field(&what, "created_at", Some(&*a.created_at))?
        .ok_or_else(|| format!("alert {what}: created_at is empty"))?;
    let updated = time_field(&what, "updated_at", a.updated_at.as_deref())?;
    let fixed_at = time_field(&what, "fixed_at", a.fixed_at.as_deref())?;
    let dismissed_at = time_field(&what, "dismissed_at", a.dismissed_at.as_deref())?;
    let updated_at = [updated, fixed_at, dismissed_at]
        .into_iter()
        .flatten()
        .fold(created_at, i64::max);
    let state = nonempty(&a.state).unwrap_or("open");
    let workflow = match state {
        "dismissed" => Workflow::Suppressed,
        "fixed" => Workflow::Resolved,
        // open, and any state GitHub adds later: still needs a look.
        _ => Workflow::New,
    };
    let rule = a.rule.unwrap_or_default();
    let tool = a.tool.unwrap_or_default();
    let inst = a.most_recent_instance.unwrap_or_default();
    let rule_id = nonempty(&rule.id);
    let tool_name = nonempty(&tool.name).unwrap_or("code scanning");
    let title = nonempty(&rule.description)
        .or(nonempty(&rule.name))
        .or(rule_id)
        .unwrap_or("code scanning alert");
    let message = inst
        .message
        .as_ref()
        .and_then(|m| nonempty(&m.text))
        .unwrap_or("");
    let about = nonempty(&rule.full_description).or(nonempty(&rule.help));
    let description = match about {
        Some(about) if !message.is_empty() && about != message => {
            intern(&format!("{message}\n\n{about}"))
        }
        Some(about) => intern(about),
        None => intern(message),
    };
    let git_ref = nonempty(&inst.git_ref).unwrap_or("");
    let resources = inst
        .location
        .as_ref()
        .and_then(|l| {
            let path = nonempty(&l.path)?;
            Some(Resource {
                kind: intern("File"),
                id: match l.start_line {
                    Some(line) => format!("{path}:{line}"),
                    None => path.to_string(),
                },
                ..Resource::default()
            })
        })
        .into_iter()
        .collect();
    let tags = rule.tags.as_deref().unwrap_or_default();
    let mut vulns: Vec<Text> = Vec::new();
    let mut types = Vec::new();
    for t in tags.iter().filter(|t| !t.is_empty()) {
        match cwe(t) {
            Some(c) if !vulns.contains(&c) => vulns.push(c),
            Some(_) => {}
            None => types.push(intern(t)),
        }
    }
    let dismissed_by = a
        .dismissed_by
        .as_ref()
        .and_then(|u| nonempty(&u.login))
        .unwrap_or("");
    let comment = nonempty(&a.dismissed_comment);

    let mut details: Vec<(Text, Text)> = Vec::with_capacity(8);
    let mut add = |k: &str, v: &str| details.push((intern(k), intern(v)));
    if let Some(id) = rule_id {
        match nonempty(&rule.name).filter(|n| *n != id) {
            Some(name) => add("Rule", &format!("{id} ({name})")),
            None => add("Rule", id),
        }
    }
    match nonempty(&tool.version) {
        Some(v) => add("Tool", &format!("{tool_name} {v}")),
        None => add("Tool", tool_name),
    }
    add("Alert", &format!("#{number}"));
    add("State", state);
    if workflow == Workflow::Suppressed {
        let mut d = nonempty(&a.dismissed_reason)
            .unwrap_or("no reason")
            .to_string();
        if !dismissed_by.is_empty() {
            d.push_str(" by ");
            d.push_str(dismissed_by);
        }
        if let Some(c) = comment {
            d.push_str(": ");
            d.push_str(c);
        }
        add("Dismissed", &d);
    }
    if !git_ref.is_empty() {
        add("Ref", git_ref);
    }
    if let Some(sha) = nonempty(&inst.commit_sha) {
        add("Commit", sha);
    }
    let classes: Vec<&str> = inst
        .classifications
        .iter()
        .flatten()
        .filter_map(|c| c.as_deref())
        .filter(|c| !c.is_empty())
        .collect();
    if !classes.is_empty() {
        add("Classification", &classes.join(", "));
    }
    if let Some(u) = nonempty(&rule.help_uri) {
        add("Help", u);
    }

    let note = (workflow == Workflow::Suppressed)
        .then_some(comment)
        .flatten()
        .map(|c| Note {
            text: c.to_string(),
            updated_by: dismissed_by.to_string(),
            updated_at: dismissed_at.unwrap_or(updated_at),
        });
    Ok(Finding {
        id,
        product_arn: Text::default(),
        provider: Provider::GithubCodeScanning,
        cloud: Cloud::Code,
        source: intern(source),
        account: intern(&repo),
        account_name: None,
        region: intern(git_ref),
        severity: severity(&rule),
        severity_normalized: None,
        title: intern(title),
        description,
        product_name: intern(tool_name),
        company_name: intern("GitHub"),
        generator_id: intern(rule_id.unwrap_or("")),
        control_id: rule_id.map(intern),
        standards: Vec::new(),
        related_requirements: Vec::new(),
        types,
        resources,
        workflow,
        record_state: RecordState::Active,
        compliance: None,
        created_at,
        updated_at,
        first_observed_at: Some(created_at),
        last_observed_at: None,
        remediation_text: nonempty(&rule.help).map(intern),
        remediation_url: nonempty(&rule.help_uri).map(intern),
        note,
        url: html_url.map(intern),
        vulns,
        search_mask: Default::default(),
        details,
    })
}

#[cfg(test)]
mod tests;
