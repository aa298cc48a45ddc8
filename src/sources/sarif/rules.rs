//! Facts about one rule (title, help, severity score, CWE ids …), worked out once per rule
//! and shared (interned) by its results, and the text helpers of the normaliser.

use std::fmt::Write as _;

use super::parse::{DescriptorRef, Loose, Message, Rule};
use crate::model::{Severity, Text, intern};

pub(super) const SNIPPET_LINES: usize = 6;
pub(super) const SNIPPET_CHARS: usize = 600;
pub(super) const TITLE_CHARS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Level {
    None,
    Note,
    Warning,
    Error,
}

impl Level {
    pub(super) fn parse(s: &str) -> Option<Level> {
        Some(match s {
            "none" => Level::None,
            "note" => Level::Note,
            "warning" => Level::Warning,
            "error" => Level::Error,
            _ => return None,
        })
    }

    pub(super) fn as_str(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }

    pub(super) fn severity(self) -> Severity {
        match self {
            Level::Error => Severity::High,
            Level::Warning => Severity::Medium,
            Level::Note => Severity::Low,
            Level::None => Severity::Informational,
        }
    }
}

/// GitHub's bands for `security-severity`; a negative score is ignored.
pub fn score_severity(score: f64) -> Option<Severity> {
    Some(match score {
        s if !s.is_finite() || s < 0.0 => return None,
        s if s >= 9.0 => Severity::Critical,
        s if s >= 7.0 => Severity::High,
        s if s >= 4.0 => Severity::Medium,
        s if s > 0.0 => Severity::Low,
        _ => Severity::Informational,
    })
}

/// `external/cwe/cwe-089`, `CWE-79`, `cwe-1004` → `CWE-89` …; `CVE-2024-3094` kept.
pub fn vuln_id(tag: &str) -> Option<String> {
    let last = tag.trim().rsplit('/').next()?;
    let (prefix, rest) = last.split_at_checked(4)?;
    if prefix.eq_ignore_ascii_case("cwe-") {
        if rest.is_empty() || rest.len() > 7 || !rest.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        return Some(format!("CWE-{}", rest.parse::<u32>().ok()?));
    }
    if prefix.eq_ignore_ascii_case("cve-") {
        let (year, num) = rest.split_once('-')?;
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if year.len() == 4 && digits(year) && (4..=9).contains(&num.len()) && digits(num) {
            return Some(format!("CVE-{year}-{num}"));
        }
    }
    None
}

/// A CWE taxon reference (`relationships[].target`, `result.taxa[]`).
pub(super) fn taxon_cwe(r: &DescriptorRef<'_>) -> Option<String> {
    let component = r.tool_component.as_ref()?.name.as_deref()?;
    if !component.eq_ignore_ascii_case("CWE") {
        return None;
    }
    let id = r.id.as_deref()?;
    vuln_id(id).or_else(|| vuln_id(&format!("CWE-{id}")))
}

pub(super) fn first_chars(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

pub(super) fn non_empty(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.trim().is_empty())
}

/// A few lines of a snippet, bounded.
pub(super) fn snippet(s: &str) -> String {
    let mut out = String::new();
    for (i, line) in s.split_inclusive('\n').enumerate() {
        if i == SNIPPET_LINES || out.len() + line.len() > SNIPPET_CHARS {
            out.push('…');
            break;
        }
        out.push_str(line);
    }
    if out.is_empty() && !s.is_empty() {
        out.push_str(first_chars(s, SNIPPET_CHARS));
        out.push('…');
    }
    out.trim_end_matches(['\n', '\r']).to_string()
}

/// `{0}`-style placeholders filled from `arguments` (§3.11.5); `{{`/`}}` are braces.
pub(super) fn format_message(template: &str, args: &[Loose<'_>]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if tail.starts_with('{')
            && let Some(end) = tail[1..].find('}').map(|e| e + 1)
            && let Ok(n) = tail[1..end].parse::<usize>()
            && let Some(a) = args.get(n)
        {
            match a {
                Loose::Str(s) => out.push_str(s),
                Loose::Num(x) => {
                    let _ = write!(out, "{x}");
                }
                Loose::Other(_) => {}
            }
            rest = &tail[end + 1..];
            continue;
        }
        out.push_str(&tail[..1]);
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

/// Facts about one rule, shared by its results.
pub(super) struct RuleInfo<'r, 'a> {
    pub(super) rule: &'r Rule<'a>,
    pub(super) title: Option<Text>,
    pub(super) help: Option<Text>,
    pub(super) help_uri: Option<Text>,
    pub(super) help_detail: Option<Text>,
    pub(super) default_level: Option<Level>,
    pub(super) score: Option<f64>,
    pub(super) score_text: Option<Text>,
    pub(super) vulns: Vec<Text>,
    pub(super) types: Vec<Text>,
    pub(super) detail: Text,
}

impl<'r, 'a> RuleInfo<'r, 'a> {
    pub(super) fn new(rule: &'r Rule<'a>) -> Self {
        let text = |m: &Option<Message<'_>>| {
            m.as_ref()
                .and_then(|m| non_empty(m.text.as_deref()).or(non_empty(m.markdown.as_deref())))
                .map(intern)
        };
        let help = text(&rule.help).or_else(|| text(&rule.full_description));
        let help_uri = non_empty(rule.help_uri.as_deref()).map(intern);
        let help_detail = help_uri
            .clone()
            .or_else(|| help.as_deref().map(|h| intern(&snippet(h))));
        let props = rule.properties.as_ref();
        let score = props
            .and_then(|p| p.security_severity.as_ref())
            .and_then(Loose::as_f64)
            .filter(|s| *s >= 0.0);
        let mut vulns: Vec<String> = Vec::new();
        let mut types = Vec::new();
        for tag in props
            .into_iter()
            .flat_map(|p| &p.tags)
            .filter_map(Loose::as_str)
        {
            match vuln_id(tag) {
                Some(v) => vulns.push(v),
                None if !tag.is_empty() => types.push(intern(tag)),
                None => {}
            }
        }
        vulns.extend(
            rule.relationships
                .iter()
                .filter_map(|r| taxon_cwe(&r.target)),
        );
        vulns.sort();
        vulns.dedup();
        let id = rule.id.as_deref().unwrap_or("");
        let detail = match rule.name.as_deref() {
            Some(n) if !n.is_empty() && n != id => format!("{id} {n}"),
            _ => id.to_string(),
        };
        RuleInfo {
            rule,
            title: rule
                .short_description
                .as_ref()
                .and_then(|m| non_empty(m.text.as_deref()).or(non_empty(m.markdown.as_deref())))
                .map(intern),
            help,
            help_uri,
            help_detail,
            default_level: rule
                .default_configuration
                .as_ref()
                .and_then(|c| c.level.as_deref())
                .and_then(Level::parse),
            score,
            score_text: score.map(|s| intern(&format!("{s}"))),
            vulns: vulns.iter().map(|v| intern(v)).collect(),
            types,
            detail: intern(&detail),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_bands() {
        assert_eq!(vuln_id("external/cwe/cwe-089").as_deref(), Some("CWE-89"));
        assert_eq!(vuln_id("CWE-79").as_deref(), Some("CWE-79"));
        assert_eq!(vuln_id("cwe-1004").as_deref(), Some("CWE-1004"));
        assert_eq!(vuln_id("external/cwe/cwe-150\u{1b}[2J"), None);
        assert_eq!(vuln_id("security"), None);
        assert_eq!(vuln_id("CVE-2024-3094").as_deref(), Some("CVE-2024-3094"));
        assert_eq!(score_severity(9.0), Some(Severity::Critical));
        assert_eq!(score_severity(8.9), Some(Severity::High));
        assert_eq!(score_severity(4.0), Some(Severity::Medium));
        assert_eq!(score_severity(0.1), Some(Severity::Low));
        assert_eq!(score_severity(0.0), Some(Severity::Informational));
        assert_eq!(score_severity(-1.0), None);
    }

    #[test]
    fn messages_and_snippets() {
        let args = [Loose::Str("a".into()), Loose::Num(2.0)];
        assert_eq!(
            format_message("x {0} {1} {{2}} {9}", &args),
            "x a 2 {2} {9}"
        );
        assert_eq!(format_message("}{", &args), "}{");
        assert_eq!(format_message("{", &args), "{");
        assert_eq!(format_message("{}{0", &args), "{}{0");
        assert_eq!(snippet("a\nb\n"), "a\nb");
        let long: String = (0..20).map(|i| format!("line {i}\n")).collect();
        assert_eq!(snippet(&long).lines().count(), 7);
        assert!(snippet(&"é".repeat(5000)).chars().count() <= SNIPPET_CHARS + 1);
    }
}
