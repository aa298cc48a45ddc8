//! Typed, borrowing serde model of the parts of SARIF 2.1.0 the console reads (OASIS
//! sarif-schema-2.1.0.json). Everything else is skipped by serde. The model is lenient
//! where real tools are sloppy: `null` for arrays and maps, unknown `level` values, tags that
//! are not strings, a missing `version`. It is strict only where a guess would be wrong: a
//! `version` other than 2.1.0, a top level that is not a SARIF log.
//!
//! Runs and results are kept as raw JSON first and parsed one by one, so one broken run or
//! result is skipped (with its position) instead of failing the whole file, and each result's
//! JSON is kept for the detail pane.

use std::borrow::{Borrow, Cow};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Deref;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use serde_json::value::RawValue;

/// A string borrowed from the input when it has no escapes. (`#[serde(borrow)]` alone only
/// borrows a bare `Cow<str>` field, not one inside `Option`, `Vec` or a map.)
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Str<'a>(pub Cow<'a, str>);

impl Deref for Str<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'a> From<&'a str> for Str<'a> {
    fn from(s: &'a str) -> Self {
        Str(Cow::Borrowed(s))
    }
}

impl Borrow<str> for Str<'_> {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// `null` and a missing field both mean "empty".
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Only 2.1.0 is read; a missing version is tolerated (some converters omit it).
fn version<'de, D: Deserializer<'de>>(d: D) -> Result<(), D::Error> {
    let v = Option::<Str<'de>>::deserialize(d)?;
    match v.as_deref() {
        None | Some("2.1.0") => Ok(()),
        Some(other) => Err(de::Error::custom(format_args!(
            "SARIF version {other:?} is not supported (only 2.1.0)"
        ))),
    }
}

#[derive(Deserialize)]
pub struct Log<'a> {
    #[serde(default, deserialize_with = "version")]
    pub version: (),
    #[serde(borrow)]
    pub runs: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Run<'a> {
    #[serde(borrow)]
    pub tool: Tool<'a>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    pub results: Vec<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    pub original_uri_base_ids: HashMap<Str<'a>, ArtifactLocation<'a>>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    pub artifacts: Vec<Artifact<'a>>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    pub version_control_provenance: Vec<VersionControl<'a>>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    pub invocations: Vec<Invocation<'a>>,
    #[serde(borrow, default)]
    pub automation_details: Option<AutomationDetails<'a>>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    pub logical_locations: Vec<LogicalLocation<'a>>,
}

#[derive(Deserialize)]
pub struct Tool<'a> {
    #[serde(borrow)]
    pub driver: ToolComponent<'a>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    pub extensions: Vec<ToolComponent<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolComponent<'a> {
    #[serde(borrow, default)]
    pub name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub version: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub semantic_version: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub organization: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    pub rules: Vec<Rule<'a>>,
}

/// `reportingDescriptor`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Rule<'a> {
    #[serde(borrow, default)]
    pub id: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub short_description: Option<Message<'a>>,
    #[serde(borrow, default)]
    pub full_description: Option<Message<'a>>,
    #[serde(borrow, default)]
    pub help: Option<Message<'a>>,
    #[serde(borrow, default)]
    pub help_uri: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub default_configuration: Option<RuleConfig<'a>>,
    #[serde(borrow, default)]
    pub properties: Option<Properties<'a>>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    pub relationships: Vec<Relationship<'a>>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    pub message_strings: HashMap<Str<'a>, Message<'a>>,
}

#[derive(Deserialize)]
pub struct RuleConfig<'a> {
    #[serde(borrow, default)]
    pub level: Option<Str<'a>>,
}

/// A property bag: only `tags` and GitHub's `security-severity` are read.
#[derive(Deserialize, Default)]
pub struct Properties<'a> {
    #[serde(borrow, default, deserialize_with = "nullable")]
    pub tags: Vec<Loose<'a>>,
    #[serde(borrow, default, rename = "security-severity")]
    pub security_severity: Option<Loose<'a>>,
}

/// A string, a number, or anything else (ignored): property bags are free-form.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum Loose<'a> {
    Str(#[serde(borrow)] Str<'a>),
    Num(f64),
    Other(IgnoredAny),
}

impl Loose<'_> {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Loose::Str(s) => Some(&s.0),
            _ => None,
        }
    }

    /// A finite number, from a JSON number or a numeric string.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Loose::Num(n) => Some(*n),
            Loose::Str(s) => s.trim().parse().ok(),
            Loose::Other(_) => None,
        }
        .filter(|n: &f64| n.is_finite())
    }
}

#[derive(Deserialize, Default)]
pub struct Message<'a> {
    #[serde(borrow, default)]
    pub text: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub markdown: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub id: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    pub arguments: Vec<Loose<'a>>,
}

/// `reportingDescriptorReference` (result.rule, relationships, taxa).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DescriptorRef<'a> {
    #[serde(borrow, default)]
    pub id: Option<Str<'a>>,
    #[serde(default)]
    pub index: Option<i64>,
    #[serde(borrow, default)]
    pub tool_component: Option<ComponentRef<'a>>,
}

#[derive(Deserialize, Default)]
pub struct ComponentRef<'a> {
    #[serde(borrow, default)]
    pub name: Option<Str<'a>>,
    #[serde(default)]
    pub index: Option<i64>,
}

#[derive(Deserialize)]
pub struct Relationship<'a> {
    #[serde(borrow)]
    pub target: DescriptorRef<'a>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactLocation<'a> {
    #[serde(borrow, default)]
    pub uri: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub uri_base_id: Option<Str<'a>>,
    #[serde(default)]
    pub index: Option<i64>,
}

#[derive(Deserialize)]
pub struct Artifact<'a> {
    #[serde(borrow, default)]
    pub location: Option<ArtifactLocation<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionControl<'a> {
    #[serde(borrow, default)]
    pub repository_uri: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub revision_id: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub branch: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub revision_tag: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub mapped_to: Option<ArtifactLocation<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Invocation<'a> {
    #[serde(borrow, default)]
    pub start_time_utc: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub end_time_utc: Option<Str<'a>>,
    #[serde(default)]
    pub execution_successful: Option<bool>,
    #[serde(borrow, default)]
    pub working_directory: Option<ArtifactLocation<'a>>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    pub tool_execution_notifications: Vec<Notification<'a>>,
}

#[derive(Deserialize)]
pub struct Notification<'a> {
    #[serde(borrow, default)]
    pub level: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub message: Option<Message<'a>>,
}

#[derive(Deserialize)]
pub struct AutomationDetails<'a> {
    #[serde(borrow, default)]
    pub id: Option<Str<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct LogicalLocation<'a> {
    #[serde(borrow, default)]
    pub name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub fully_qualified_name: Option<Str<'a>>,
    #[serde(default)]
    pub index: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult<'a> {
    #[serde(borrow, default)]
    pub rule_id: Option<Str<'a>>,
    #[serde(default)]
    pub rule_index: Option<i64>,
    #[serde(borrow, default)]
    pub rule: Option<DescriptorRef<'a>>,
    #[serde(borrow, default)]
    pub kind: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub level: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub message: Option<Message<'a>>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    pub locations: Vec<Location<'a>>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    pub fingerprints: BTreeMap<Str<'a>, Loose<'a>>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    pub partial_fingerprints: BTreeMap<Str<'a>, Loose<'a>>,
    #[serde(borrow, default)]
    pub baseline_state: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub hosted_viewer_uri: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    pub taxa: Vec<DescriptorRef<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location<'a> {
    #[serde(borrow, default)]
    pub physical_location: Option<PhysicalLocation<'a>>,
    #[serde(borrow, default, deserialize_with = "nullable")]
    pub logical_locations: Vec<LogicalLocation<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation<'a> {
    #[serde(borrow, default)]
    pub artifact_location: Option<ArtifactLocation<'a>>,
    #[serde(borrow, default)]
    pub region: Option<Region<'a>>,
    #[serde(borrow, default)]
    pub context_region: Option<Region<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Region<'a> {
    #[serde(default)]
    pub start_line: Option<i64>,
    #[serde(default)]
    pub start_column: Option<i64>,
    #[serde(borrow, default)]
    pub snippet: Option<Snippet<'a>>,
}

/// `artifactContent`: only the text form is shown (a `binary` snippet is skipped).
#[derive(Deserialize)]
pub struct Snippet<'a> {
    #[serde(borrow, default)]
    pub text: Option<Str<'a>>,
}

/// 1-based line and column of byte `offset` in `text`.
pub fn position(text: &[u8], offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    // Columns count characters, like serde_json's (which counts bytes; close enough for
    // ASCII JSON): UTF-8 continuation bytes are not counted.
    let col = before[start..]
        .iter()
        .filter(|&&b| (b & 0xC0) != 0x80)
        .count()
        + 1;
    (line, col)
}

/// A serde_json error as `file:line:col: message` (without serde's own " at line …").
pub fn located(file: &str, e: &serde_json::Error) -> String {
    located_at(file, e, (1, 1))
}

/// Same, for an error inside a nested raw value that starts at `origin` (line, col) in the file.
pub fn located_at(file: &str, e: &serde_json::Error, origin: (usize, usize)) -> String {
    let msg = e.to_string();
    let msg = match msg.rsplit_once(" at line ") {
        Some((m, _)) => m.to_string(),
        None => msg,
    };
    let (line, col) = if e.line() == 0 {
        origin
    } else if e.line() == 1 {
        (origin.0, origin.1 + e.column().saturating_sub(1))
    } else {
        (origin.0 + e.line() - 1, e.column())
    };
    let what = match e.classify() {
        serde_json::error::Category::Eof => "truncated JSON: ",
        serde_json::error::Category::Syntax => "invalid JSON: ",
        serde_json::error::Category::Data => "not SARIF 2.1.0: ",
        serde_json::error::Category::Io => "",
    };
    format!("{file}:{line}:{col}: {what}{msg}")
}

/// Where a raw value borrowed from `text` starts.
pub fn origin_of(text: &[u8], raw: &RawValue) -> (usize, usize) {
    let offset = (raw.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
    position(text, offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_versions() {
        assert_eq!(position(b"ab\ncd", 4), (2, 2));
        assert_eq!(position(b"ab", 0), (1, 1));
        let e = serde_json::from_str::<Log<'_>>("{\"version\": \"2.0.0\", \"runs\": []}")
            .err()
            .unwrap();
        let m = located("x.sarif", &e);
        assert!(m.starts_with("x.sarif:1:"), "{m}");
        assert!(m.contains("\"2.0.0\" is not supported"), "{m}");
        assert!(serde_json::from_str::<Log<'_>>("{\"runs\": []}").is_ok());
        let r: Run<'_> =
            serde_json::from_str(r#"{"tool":{"driver":{"name":"x","rules":null}},"results":null}"#)
                .unwrap();
        assert!(r.results.is_empty() && r.tool.driver.rules.is_empty());
    }

    #[test]
    fn loose_property_values() {
        let p: Properties<'_> = serde_json::from_str(
            r#"{"tags":["security",1,null,{"a":1},"CWE-79"],"security-severity":"8.1"}"#,
        )
        .unwrap();
        let tags: Vec<_> = p.tags.iter().filter_map(Loose::as_str).collect();
        assert_eq!(tags, ["security", "CWE-79"]);
        assert_eq!(p.security_severity.unwrap().as_f64(), Some(8.1));
        let p: Properties<'_> = serde_json::from_str(r#"{"security-severity":"NaN"}"#).unwrap();
        assert_eq!(p.security_severity.unwrap().as_f64(), None);
    }
}
