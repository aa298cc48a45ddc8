//! Parameter templates: literal text with `{placeholder}`s filled from a finding.

use std::fmt;

use serde_json::Value;

use crate::model::Finding;

/// What a template is rendered against.
#[derive(Debug, Clone, Copy)]
pub struct RenderInput<'a> {
    pub finding: &'a Finding,
    /// The finding's raw ASFF JSON, for `{details:…}`.
    pub raw: Option<&'a Value>,
    /// The AutomationAssumeRole template, e.g. `arn:aws:iam::{account}:role/HubbleRemediation`.
    pub assume_role_template: &'a str,
}

/// Why a template could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("bad template `{template}`: {message}")]
    Syntax { template: String, message: String },
    #[error("{{{placeholder}}}: the finding has no resource")]
    NoResource { placeholder: String },
    #[error("{{{placeholder}}}: the finding has no value for it")]
    NoValue { placeholder: String },
    #[error("{{tag:{key}}}: the resource has no tag `{key}`")]
    NoSuchTag { key: String },
    #[error("{{details:{path}}}: no such field under Resources[0].Details{}", if *.raw_missing { " (raw finding JSON not available)" } else { "" })]
    NoSuchDetail { path: String, raw_missing: bool },
    #[error("parameter `{parameter}`: {error}")]
    Parameter {
        parameter: String,
        error: Box<RenderError>,
    },
}

impl RenderError {
    /// The innermost error, without the parameter context.
    pub fn root(&self) -> &RenderError {
        match self {
            RenderError::Parameter { error, .. } => error.root(),
            e => e,
        }
    }
}

/// The placeholders a template may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Placeholder {
    ResourceId,
    ResourceName,
    ResourceType,
    Account,
    Region,
    Partition,
    AssumeRole,
    FindingId,
    Control,
    Tag(String),
    Details(Vec<String>),
}

/// The placeholders without an argument, as written between the braces.
const SIMPLE: [(&str, Placeholder); 9] = [
    ("resource_id", Placeholder::ResourceId),
    ("resource_name", Placeholder::ResourceName),
    ("resource_type", Placeholder::ResourceType),
    ("account", Placeholder::Account),
    ("region", Placeholder::Region),
    ("partition", Placeholder::Partition),
    ("assume_role", Placeholder::AssumeRole),
    ("finding_id", Placeholder::FindingId),
    ("control", Placeholder::Control),
];

impl fmt::Display for Placeholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Placeholder::Tag(k) => write!(f, "tag:{k}"),
            Placeholder::Details(p) => write!(f, "details:{}", p.join(".")),
            simple => {
                let name = SIMPLE.iter().find(|(_, p)| p == simple).map(|(n, _)| *n);
                f.write_str(name.unwrap_or_default())
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    Literal(String),
    Placeholder(Placeholder),
}

/// A template error at a byte offset of the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub offset: usize,
    pub message: String,
}

/// Splits a template into literal text and placeholders; `{{` and `}}` are literal braces.
pub(crate) fn parse(t: &str) -> Result<Vec<Segment>, SyntaxError> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut rest = t.char_indices().peekable();
    while let Some((i, c)) = rest.next() {
        match c {
            '{' if rest.peek().is_some_and(|&(_, n)| n == '{') => {
                rest.next();
                lit.push('{');
            }
            '}' if rest.peek().is_some_and(|&(_, n)| n == '}') => {
                rest.next();
                lit.push('}');
            }
            '}' => {
                return Err(SyntaxError {
                    offset: i,
                    message: "unmatched `}` (write `}}` for a literal brace)".into(),
                });
            }
            '{' => {
                let Some(len) = t[i + 1..]
                    .find(['}', '{'])
                    .filter(|&n| t[i + 1 + n..].starts_with('}'))
                else {
                    return Err(SyntaxError {
                        offset: i,
                        message: "unclosed `{` (write `{{` for a literal brace)".into(),
                    });
                };
                let body = &t[i + 1..i + 1 + len];
                let ph = placeholder(body).map_err(|message| SyntaxError { offset: i, message })?;
                if !lit.is_empty() {
                    out.push(Segment::Literal(std::mem::take(&mut lit)));
                }
                out.push(Segment::Placeholder(ph));
                // Skip the body and the closing brace.
                while rest.next_if(|&(j, _)| j <= i + 1 + len).is_some() {}
            }
            c => lit.push(c),
        }
    }
    if !lit.is_empty() {
        out.push(Segment::Literal(lit));
    }
    Ok(out)
}

fn placeholder(body: &str) -> Result<Placeholder, String> {
    if let Some((_, p)) = SIMPLE.iter().find(|(n, _)| *n == body) {
        return Ok(p.clone());
    }
    if let Some(key) = body.strip_prefix("tag:") {
        if key.is_empty() {
            return Err("`{tag:}` needs a tag key, e.g. `{tag:Owner}`".into());
        }
        return Ok(Placeholder::Tag(key.to_string()));
    }
    if let Some(path) = body.strip_prefix("details:") {
        let parts: Vec<String> = path.split('.').map(str::to_string).collect();
        if parts.iter().any(String::is_empty) {
            return Err(format!(
                "`{{details:{path}}}` needs a dotted path, e.g. \
                 `{{details:AwsRdsDbInstance.DbiResourceId}}`"
            ));
        }
        return Ok(Placeholder::Details(parts));
    }
    Err(unknown(body))
}

fn unknown(body: &str) -> String {
    let names = || {
        SIMPLE
            .iter()
            .map(|(n, _)| *n)
            .chain(["tag:KEY", "details:Path"])
    };
    let best = names()
        .map(|k| (crate::suggest::edit_distance(body, k), k))
        .min();
    match best {
        Some((d, k)) if d <= (body.len() / 3).max(1) => {
            format!("unknown placeholder `{{{body}}}`; did you mean `{{{k}}}`?")
        }
        _ => {
            let all: Vec<&str> = names().collect();
            format!(
                "unknown placeholder `{{{body}}}` (known: {})",
                all.join(", ")
            )
        }
    }
}

/// Renders one template against a finding.
pub fn render_template(t: &str, input: &RenderInput) -> Result<String, RenderError> {
    render(t, input, true)
}

fn render(t: &str, input: &RenderInput, allow_role: bool) -> Result<String, RenderError> {
    let segments = parse(t).map_err(|e| RenderError::Syntax {
        template: t.to_string(),
        message: e.message,
    })?;
    let mut out = String::new();
    for s in &segments {
        match s {
            Segment::Literal(l) => out.push_str(l),
            Segment::Placeholder(p) => out.push_str(&value(p, input, allow_role)?),
        }
    }
    Ok(out)
}

fn value(p: &Placeholder, input: &RenderInput, allow_role: bool) -> Result<String, RenderError> {
    let f = input.finding;
    let name = || p.to_string();
    let no_value = || RenderError::NoValue {
        placeholder: name(),
    };
    let resource = || {
        f.primary_resource().ok_or_else(|| RenderError::NoResource {
            placeholder: name(),
        })
    };
    let non_empty = |s: &str| {
        if s.is_empty() {
            Err(no_value())
        } else {
            Ok(s.to_string())
        }
    };
    match p {
        Placeholder::ResourceId => non_empty(&resource()?.id),
        Placeholder::ResourceName => non_empty(resource_name(&resource()?.id)),
        Placeholder::ResourceType => non_empty(&resource()?.kind),
        Placeholder::Account => non_empty(&f.account),
        Placeholder::Region => {
            let from_resource = f.primary_resource().and_then(|r| r.region.as_deref());
            non_empty(
                Some(&*f.region)
                    .filter(|r| !r.is_empty())
                    .or(from_resource)
                    .unwrap_or(""),
            )
        }
        Placeholder::Partition => Ok(partition(f)),
        Placeholder::AssumeRole if allow_role => {
            non_empty(&render(input.assume_role_template, input, false)?)
        }
        // The role template cannot refer to itself.
        Placeholder::AssumeRole => Err(RenderError::Syntax {
            template: input.assume_role_template.to_string(),
            message: "the assume-role template cannot use `{assume_role}`".into(),
        }),
        Placeholder::FindingId => non_empty(&f.id),
        Placeholder::Control => non_empty(f.control_id.as_deref().unwrap_or("")),
        Placeholder::Tag(key) => resource()?
            .tags
            .iter()
            .find(|(k, _)| **k == **key)
            .map(|(_, v)| v.to_string())
            .ok_or_else(|| RenderError::NoSuchTag { key: key.clone() }),
        Placeholder::Details(path) => details(input.raw, path),
    }
}

/// The last segment of an ARN's resource part (bucket, `sg-…`, user name, key id, topic …);
/// anything else is split the same way.
pub(crate) fn resource_name(id: &str) -> &str {
    let resource = match id.strip_prefix("arn:") {
        Some(rest) => rest.splitn(5, ':').nth(4).unwrap_or(""),
        None => id,
    };
    resource.rsplit(['/', ':']).next().unwrap_or("")
}

/// The resource's partition, else the one in its ARN or the product ARN, else `aws`.
fn partition(f: &Finding) -> String {
    let from_arn = |s: &str| {
        s.strip_prefix("arn:")
            .and_then(|r| r.split(':').next())
            .filter(|p| !p.is_empty())
            .map(str::to_string)
    };
    let r = f.primary_resource();
    r.and_then(|r| {
        r.partition
            .as_deref()
            .filter(|p| !p.is_empty())
            .map(str::to_string)
    })
    .or_else(|| r.and_then(|r| from_arn(&r.id)))
    .or_else(|| from_arn(&f.product_arn))
    .unwrap_or_else(|| "aws".to_string())
}

fn details(raw: Option<&Value>, path: &[String]) -> Result<String, RenderError> {
    let missing = |raw_missing| RenderError::NoSuchDetail {
        path: path.join("."),
        raw_missing,
    };
    let raw = raw.ok_or_else(|| missing(true))?;
    let mut v = raw
        .get("Resources")
        .and_then(|r| r.get(0))
        .and_then(|r| r.get("Details"))
        .ok_or_else(|| missing(false))?;
    for seg in path {
        v = match v {
            Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
            v => v.get(seg.as_str()),
        }
        .ok_or_else(|| missing(false))?;
    }
    match v {
        Value::String(s) if !s.is_empty() => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null | Value::String(_) => Err(missing(false)),
        other => Ok(other.to_string()),
    }
}

#[cfg(test)]
mod tests;
