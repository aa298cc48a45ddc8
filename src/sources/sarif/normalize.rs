//! One SARIF log → one `Finding` per `result` of every `run`.
//!
//! Per-rule facts (title, help, severity score, CWE ids …) are worked out once per rule and
//! shared (interned) by its results; each result is parsed from its own raw JSON, which is
//! kept for the detail pane. A broken run or result is skipped with its file position.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use super::parse::{self, Log, Loose, Message, Run, SarifResult};
use super::rules::{
    Level, RuleInfo, TITLE_CHARS, first_chars, format_message, non_empty, score_severity, snippet,
    taxon_cwe,
};
use super::uri::{Resolver, repo_name};
use crate::model::{
    Cloud, Finding, Provider, RecordState, Resource, Severity, Text, Workflow, intern,
    parse_timestamp,
};
use crate::sources::Normalized;

/// Per-result problems listed for one file; the rest are counted.
const MAX_REASONS: usize = 20;

/// What the normaliser needs to know about the file besides its bytes.
#[derive(Debug, Clone)]
pub struct FileContext<'a> {
    /// Source key (`sarif/<name>`).
    pub source: &'a str,
    /// The repository of results whose run does not name one (config `repository`, else
    /// the config name).
    pub repository: &'a str,
    /// The file as shown in messages and details.
    pub file: &'a str,
    /// The file's mtime (ms): `updated_at` of its findings.
    pub mtime_ms: i64,
    /// Make absolute local paths relative to their git checkout on this machine.
    pub local_roots: bool,
}

/// The findings of one file, and one line per run or result that was skipped.
#[derive(Debug, Default)]
pub struct FileFindings {
    pub items: Vec<Normalized>,
    pub skipped: Vec<String>,
}

/// Labels of the detail pane, interned once per file.
struct Labels {
    rule: Text,
    tool: Text,
    level: Text,
    score: Text,
    baseline: Text,
    snippet: Text,
    help: Text,
    category: Text,
    revision: Text,
    file: Text,
    file_kind: Text,
    logical_kind: Text,
    repo_kind: Text,
    source: Text,
}

impl Labels {
    fn new(source: &str) -> Self {
        Labels {
            source: intern(source),
            rule: intern("Rule"),
            tool: intern("Tool"),
            level: intern("Level"),
            score: intern("Security severity"),
            baseline: intern("Baseline"),
            snippet: intern("Snippet"),
            help: intern("Help"),
            category: intern("Category"),
            revision: intern("Revision"),
            file: intern("SARIF file"),
            file_kind: intern("File"),
            logical_kind: intern("LogicalLocation"),
            repo_kind: intern("Repository"),
        }
    }
}

/// One repository a run names, as (account, region, revision).
struct Repo {
    account: Text,
    region: Text,
    revision: Option<Text>,
}

/// Facts about one run, shared by its results.
struct RunCtx<'r, 'a> {
    run: &'r Run<'a>,
    tool_name: &'r str,
    product: Text,
    company: Text,
    tool_detail: Text,
    category: Option<Text>,
    /// Rules of the driver (0) and of each extension (1…).
    components: Vec<Vec<RuleInfo<'r, 'a>>>,
    by_id: HashMap<&'r str, (usize, usize)>,
    repos: Vec<Repo>,
    default_repo: Repo,
    created_at: i64,
}

impl<'r, 'a> RunCtx<'r, 'a> {
    fn new(run: &'r Run<'a>, cx: &FileContext<'_>) -> Self {
        let driver = &run.tool.driver;
        let tool_name = driver.name.as_deref().unwrap_or("");
        let version = driver
            .semantic_version
            .as_deref()
            .or(driver.version.as_deref())
            .unwrap_or("");
        let tool_detail = if version.is_empty() {
            tool_name.to_string()
        } else {
            format!("{tool_name} {version}")
        };
        let components: Vec<Vec<RuleInfo<'r, 'a>>> = std::iter::once(driver)
            .chain(run.tool.extensions.iter())
            .map(|c| c.rules.iter().map(RuleInfo::new).collect())
            .collect();
        let mut by_id = HashMap::new();
        for (c, rules) in components.iter().enumerate() {
            for (i, r) in rules.iter().enumerate() {
                if let Some(id) = r.rule.id.as_deref() {
                    by_id.entry(id).or_insert((c, i));
                }
            }
        }
        let repos: Vec<Repo> = run
            .version_control_provenance
            .iter()
            .map(|v| {
                let account = non_empty(v.repository_uri.as_deref())
                    .map(repo_name)
                    .unwrap_or_else(|| cx.repository.to_string());
                let revision = non_empty(v.revision_id.as_deref());
                let region = non_empty(v.branch.as_deref())
                    .map(str::to_string)
                    .or_else(|| non_empty(v.revision_tag.as_deref()).map(str::to_string))
                    .or_else(|| revision.map(|r| first_chars(r, 12).to_string()))
                    .unwrap_or_default();
                Repo {
                    account: intern(&account),
                    region: intern(&region),
                    revision: revision.map(intern),
                }
            })
            .collect();
        // Results outside every mapped root belong to the unmapped (or first) repository.
        let primary = run
            .version_control_provenance
            .iter()
            .position(|v| v.mapped_to.is_none())
            .or((!repos.is_empty()).then_some(0));
        let default_repo = match primary.and_then(|i| repos.get(i)) {
            Some(r) => Repo {
                account: r.account.clone(),
                region: r.region.clone(),
                revision: r.revision.clone(),
            },
            None => Repo {
                account: intern(cx.repository),
                region: intern(""),
                revision: None,
            },
        };
        let scanned = run
            .invocations
            .iter()
            .filter_map(|i| i.end_time_utc.as_deref().or(i.start_time_utc.as_deref()))
            .filter_map(parse_timestamp)
            .max();
        RunCtx {
            run,
            tool_name,
            product: intern(tool_name),
            company: intern(driver.organization.as_deref().unwrap_or("")),
            tool_detail: intern(&tool_detail),
            category: run
                .automation_details
                .as_ref()
                .and_then(|a| non_empty(a.id.as_deref()))
                .map(intern),
            components,
            by_id,
            repos,
            default_repo,
            created_at: scanned.map_or(cx.mtime_ms, |t| t.min(cx.mtime_ms)),
        }
    }

    /// The rule a result refers to: `rule.toolComponent`/`rule.index`, `ruleIndex`, then by id.
    fn rule_of(&self, r: &SarifResult<'_>, id: Option<&str>) -> Option<&RuleInfo<'r, 'a>> {
        let idx = |i: Option<i64>| i.and_then(|i| usize::try_from(i).ok());
        let component = r
            .rule
            .as_ref()
            .and_then(|d| d.tool_component.as_ref())
            .map_or(Some(0), |c| idx(c.index).map(|i| i + 1));
        let index = idx(r.rule.as_ref().and_then(|d| d.index)).or(idx(r.rule_index));
        if let (Some(c), Some(i)) = (component, index)
            && let Some(info) = self.components.get(c).and_then(|rules| rules.get(i))
            && (id.is_none() || info.rule.id.as_deref() == id)
        {
            return Some(info);
        }
        let id = id?;
        let (c, i) = self.by_id.get(id).copied().or_else(|| {
            // Hierarchical ids (`CA2101/1`) name a sub-rule of `CA2101`.
            self.by_id.get(id.split('/').next()?).copied()
        })?;
        self.components.get(c)?.get(i)
    }

    fn message(&self, m: Option<&Message<'_>>, rule: Option<&RuleInfo<'_, '_>>) -> String {
        let Some(m) = m else {
            return String::new();
        };
        if let Some(t) = m.text.as_deref().or(m.markdown.as_deref()) {
            return if m.arguments.is_empty() {
                t.to_string()
            } else {
                format_message(t, &m.arguments)
            };
        }
        let template =
            m.id.as_deref()
                .and_then(|id| rule?.rule.message_strings.get(id))
                .and_then(|s| s.text.as_deref().or(s.markdown.as_deref()));
        template.map_or_else(String::new, |t| format_message(t, &m.arguments))
    }

    fn finding(
        &self,
        r: &SarifResult<'_>,
        resolver: &mut Resolver<'r, 'a>,
        cx: &FileContext<'_>,
        labels: &Labels,
        file_text: &Text,
    ) -> Finding {
        let rule_id = non_empty(r.rule_id.as_deref())
            .or_else(|| non_empty(r.rule.as_ref().and_then(|d| d.id.as_deref())));
        let rule = self.rule_of(r, rule_id);
        let rule_id = rule_id.or_else(|| rule.and_then(|i| i.rule.id.as_deref()));
        let message = self.message(r.message.as_ref(), rule);

        // Where: the first physical location, else a logical one.
        let physical = r
            .locations
            .iter()
            .filter_map(|l| l.physical_location.as_ref())
            .find(|p| p.artifact_location.is_some());
        let resolved = physical
            .and_then(|p| p.artifact_location.as_ref())
            .map(|a| resolver.resolve(a));
        let region = physical.and_then(|p| p.region.as_ref());
        let line = region.and_then(|g| g.start_line).filter(|l| *l > 0);
        let column = region.and_then(|g| g.start_column).filter(|c| *c > 0);
        let logical = r
            .locations
            .iter()
            .flat_map(|l| &l.logical_locations)
            .find_map(|l| {
                let by_index = l
                    .index
                    .and_then(|i| usize::try_from(i).ok())
                    .and_then(|i| self.run.logical_locations.get(i));
                [Some(l), by_index].into_iter().flatten().find_map(|l| {
                    non_empty(l.fully_qualified_name.as_deref()).or(non_empty(l.name.as_deref()))
                })
            });
        let repo = resolved
            .as_ref()
            .and_then(|r| r.vcs)
            .and_then(|i| self.repos.get(i))
            .unwrap_or(&self.default_repo);

        // Id: the tool's fingerprints, else a hash of what identifies the result.
        let mut h = Sha256::new();
        for part in [self.tool_name, rule_id.unwrap_or("")] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        let prints = if r.fingerprints.is_empty() {
            &r.partial_fingerprints
        } else {
            &r.fingerprints
        };
        if prints.is_empty() {
            let path = resolved.as_ref().map_or("", |r| r.path.as_str());
            h.update(b"location\0");
            h.update(path.as_bytes());
            h.update(format!(
                "\0{}\0{}\0",
                line.unwrap_or(0),
                column.unwrap_or(0)
            ));
            h.update(logical.unwrap_or("").as_bytes());
            h.update([0]);
            h.update(message.as_bytes());
        } else {
            h.update(b"fingerprints\0");
            for (k, v) in prints {
                h.update(k.as_bytes());
                h.update(b"=");
                match v {
                    Loose::Str(s) => h.update(s.as_bytes()),
                    Loose::Num(n) => h.update(n.to_string()),
                    Loose::Other(_) => h.update(b"?"),
                }
                h.update([0]);
            }
        }
        let digest = h.finalize();
        let mut id = format!("sarif:{}:", repo.account);
        for b in &digest[..16] {
            let _ = write!(id, "{b:02x}");
        }

        // Severity: security-severity, else the effective level (§3.27.10).
        let kind = r.kind.as_deref().unwrap_or("fail");
        let (level, why) = match r.level.as_deref().and_then(Level::parse) {
            Some(l) => (l, ""),
            None if kind != "fail" => (Level::None, "kind"),
            None => match rule.and_then(|i| i.default_level) {
                Some(l) => (l, "rule default"),
                None => (Level::Warning, "SARIF default"),
            },
        };
        let passing = matches!(kind, "pass" | "notApplicable" | "informational");
        let score = rule.and_then(|i| i.score).filter(|_| !passing);
        let severity = match score.and_then(score_severity) {
            Some(s) => s,
            None if passing => Severity::Informational,
            None => level.severity(),
        };
        let level_text = match why {
            "" => level.as_str().to_string(),
            "kind" => format!("{} (kind {kind})", level.as_str()),
            why => format!("{} ({why})", level.as_str()),
        };
        let baseline = non_empty(r.baseline_state.as_deref());
        let workflow = match baseline {
            Some("absent") => Workflow::Resolved,
            _ => Workflow::New,
        };

        let title = match rule.and_then(|i| i.title.clone()) {
            Some(t) => t,
            None => {
                let first = message.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
                let t = first_chars(first.trim(), TITLE_CHARS);
                let t = if t.is_empty() {
                    rule_id.unwrap_or("SARIF result")
                } else {
                    t
                };
                intern(t)
            }
        };
        let description = match rule.and_then(|i| i.help.as_deref()) {
            Some(help) if !message.is_empty() => intern(&format!("{message}\n\n{help}")),
            Some(help) => intern(help),
            None => intern(&message),
        };
        let resource = match (&resolved, logical) {
            (Some(res), _) => Resource {
                kind: labels.file_kind.clone(),
                id: match line {
                    Some(l) => format!("{}:{l}", res.path),
                    None => res.path.clone(),
                },
                ..Resource::default()
            },
            (None, Some(name)) => Resource {
                kind: labels.logical_kind.clone(),
                id: name.to_string(),
                ..Resource::default()
            },
            (None, None) => Resource {
                kind: labels.repo_kind.clone(),
                id: repo.account.to_string(),
                ..Resource::default()
            },
        };

        let mut details: Vec<(Text, Text)> = Vec::with_capacity(10);
        if let Some(info) = rule {
            details.push((labels.rule.clone(), info.detail.clone()));
        } else if let Some(id) = rule_id {
            details.push((labels.rule.clone(), intern(id)));
        }
        details.push((labels.tool.clone(), self.tool_detail.clone()));
        details.push((labels.level.clone(), intern(&level_text)));
        if let Some(s) = rule.and_then(|i| i.score_text.clone()) {
            details.push((labels.score.clone(), s));
        }
        if let Some(b) = baseline {
            details.push((labels.baseline.clone(), intern(b)));
        }
        let snip = physical.and_then(|p| {
            [p.region.as_ref(), p.context_region.as_ref()]
                .into_iter()
                .flatten()
                .find_map(|g| non_empty(g.snippet.as_ref()?.text.as_deref()))
        });
        if let Some(s) = snip {
            details.push((labels.snippet.clone(), intern(&snippet(s))));
        }
        if let Some(h) = rule.and_then(|i| i.help_detail.clone()) {
            details.push((labels.help.clone(), h));
        }
        if let Some(c) = &self.category {
            details.push((labels.category.clone(), c.clone()));
        }
        if let Some(rev) = &repo.revision {
            details.push((labels.revision.clone(), rev.clone()));
        }
        details.push((labels.file.clone(), file_text.clone()));

        let mut vulns: Vec<Text> = rule.map(|i| i.vulns.clone()).unwrap_or_default();
        for v in r.taxa.iter().filter_map(taxon_cwe) {
            if !vulns.iter().any(|x| *x == v) {
                vulns.push(intern(&v));
            }
        }
        let help_uri = rule.and_then(|i| i.help_uri.clone());
        Finding {
            id,
            product_arn: intern(""),
            provider: Provider::Sarif,
            cloud: Cloud::Code,
            source: labels.source.clone(),
            account: repo.account.clone(),
            account_name: None,
            region: repo.region.clone(),
            severity,
            severity_normalized: score.map(|s| (s * 10.0).round().clamp(0.0, 100.0) as u32),
            title,
            description,
            product_name: self.product.clone(),
            company_name: self.company.clone(),
            generator_id: self.category.clone().unwrap_or_default(),
            control_id: rule_id.map(intern),
            standards: Vec::new(),
            related_requirements: Vec::new(),
            types: rule.map(|i| i.types.clone()).unwrap_or_default(),
            resources: vec![resource],
            workflow,
            record_state: RecordState::Active,
            compliance: None,
            created_at: self.created_at,
            updated_at: cx.mtime_ms,
            first_observed_at: None,
            last_observed_at: None,
            remediation_text: None,
            remediation_url: help_uri.clone(),
            note: None,
            url: non_empty(r.hosted_viewer_uri.as_deref())
                .map(intern)
                .or(help_uri),
            vulns,
            search_mask: Default::default(),
            details,
        }
    }
}

/// Collects skip reasons, listing the first few and counting the rest.
struct Reasons<'v> {
    out: &'v mut Vec<String>,
    more: usize,
}

impl Reasons<'_> {
    fn push(&mut self, f: impl FnOnce() -> String) {
        if self.out.len() < MAX_REASONS {
            self.out.push(f());
        } else {
            self.more += 1;
        }
    }
}

/// Normalises one SARIF file. Err: the file as a whole is unreadable (`file:line:col: …`).
pub fn normalize_file(bytes: &[u8], cx: &FileContext<'_>) -> Result<FileFindings, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let log: Log<'_> = serde_json::from_slice(bytes).map_err(|e| parse::located(cx.file, &e))?;
    let labels = Labels::new(cx.source);
    let file_text = intern(cx.file);
    let mut items: Vec<Normalized> = Vec::new();
    let mut skipped = Vec::new();
    let mut reasons = Reasons {
        out: &mut skipped,
        more: 0,
    };
    let mut seen: HashSet<String> = HashSet::new();
    let mut runs_read = 0;
    for (n, raw_run) in log.runs.iter().enumerate() {
        let run: Run<'_> = match serde_json::from_str(raw_run.get()) {
            Ok(r) => r,
            Err(e) => {
                let at = parse::origin_of(bytes, raw_run);
                reasons.push(|| {
                    format!(
                        "{} (run {} skipped)",
                        parse::located_at(cx.file, &e, at),
                        n + 1
                    )
                });
                continue;
            }
        };
        runs_read += 1;
        let rc = RunCtx::new(&run, cx);
        if let Some(inv) = run
            .invocations
            .iter()
            .find(|i| i.execution_successful == Some(false))
        {
            let why = inv
                .tool_execution_notifications
                .iter()
                .filter(|m| m.level.as_deref() == Some("error"))
                .chain(&inv.tool_execution_notifications)
                .find_map(|m| m.message.as_ref()?.text.as_deref())
                .unwrap_or("no reason given");
            reasons.push(|| {
                format!(
                    "{}: run {} ({}) did not finish: {why}",
                    cx.file,
                    n + 1,
                    rc.tool_name
                )
            });
        }
        let mut resolver = Resolver::new(&run, cx.local_roots);
        items.reserve(run.results.len());
        for (i, raw) in run.results.iter().enumerate() {
            match serde_json::from_str::<SarifResult<'_>>(raw.get()) {
                Ok(r) => {
                    let f = rc.finding(&r, &mut resolver, cx, &labels, &file_text);
                    // Identical results (same rule, place and message) are one finding.
                    if seen.insert(f.id.clone()) {
                        items.push(Normalized {
                            finding: f,
                            raw: raw_text(raw),
                        });
                    }
                }
                Err(e) => reasons.push(|| {
                    let at = parse::origin_of(bytes, raw);
                    format!(
                        "{} (run {} result {} skipped)",
                        parse::located_at(cx.file, &e, at),
                        n + 1,
                        i + 1
                    )
                }),
            }
        }
    }
    let more = reasons.more;
    if more > 0 {
        skipped.push(format!("{}: {more} more runs or results skipped", cx.file));
    }
    if runs_read == 0 && !log.runs.is_empty() {
        return Err(skipped.into_iter().next().unwrap_or_default());
    }
    Ok(FileFindings { items, skipped })
}

fn raw_text(raw: &RawValue) -> Box<str> {
    raw.get().into()
}
