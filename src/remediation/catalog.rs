//! Playbook catalogue: Security Hub control → SSM Automation runbook, with parameter templates
//! filled from the finding. The built-ins are embedded from `assets/playbooks.toml`; a user's
//! `<dir>/playbooks.toml` and `<dir>/playbooks/*.toml` replace controls or add new ones (and may
//! name custom Automation documents). Every problem is a `file:line:col` diagnostic.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diag::Diagnostic;

mod template;

pub use template::{RenderError, RenderInput, render_template};

const BUILTIN_SOURCE: &str = include_str!("../../assets/playbooks.toml");
/// Where the built-in file lives in the source tree, for diagnostics.
const BUILTIN_PATH: &str = "assets/playbooks.toml";
/// [`Playbook::origin`] of the built-ins.
pub const BUILTIN_ORIGIN: &str = "builtin";

/// One control's remediation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Playbook {
    pub control: String,
    /// SSM Automation document name (or ARN of a shared one).
    pub document: String,
    pub document_version: Option<String>,
    /// What it changes, in one line, for the preview.
    pub description: String,
    /// Deletes or terminates something, or cannot be undone.
    pub destructive: bool,
    /// The document's required parameters; each has a template in `parameters`.
    pub required: Vec<String>,
    /// Parameter name → templates (several for a StringList parameter).
    pub parameters: BTreeMap<String, Vec<String>>,
    /// `builtin` or the path of the user file that defined it.
    pub origin: String,
}

impl Playbook {
    /// Every parameter rendered for `input`; the error names the parameter and placeholder.
    pub fn render(
        &self,
        input: &RenderInput,
    ) -> Result<BTreeMap<String, Vec<String>>, RenderError> {
        self.parameters
            .iter()
            .map(|(name, templates)| {
                let values = templates
                    .iter()
                    .map(|t| render_template(t, input))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| RenderError::Parameter {
                        parameter: name.clone(),
                        error: Box::new(e),
                    })?;
                Ok((name.clone(), values))
            })
            .collect()
    }

    pub fn is_builtin(&self) -> bool {
        self.origin == BUILTIN_ORIGIN
    }
}

/// All playbooks by control id.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    playbooks: BTreeMap<String, Playbook>,
}

impl Catalog {
    /// The embedded catalogue. Panics only if the shipped file is broken, which a test rules out.
    pub fn builtin() -> Catalog {
        let (playbooks, diags) = parse_file(Path::new(BUILTIN_PATH), BUILTIN_SOURCE, None);
        assert!(
            diags.is_empty(),
            "the shipped playbooks.toml is broken:\n{}",
            crate::diag::Diagnostics(diags)
        );
        let mut catalog = Catalog::default();
        catalog.extend(playbooks);
        catalog
    }

    /// The built-ins overlaid with the user's files; any diagnostic is an error.
    pub fn load(user_dir: Option<&Path>) -> Result<Catalog, Vec<Diagnostic>> {
        let mut catalog = Catalog::builtin();
        let mut diags = Vec::new();
        for (path, src) in read_user_files(user_dir, &mut diags) {
            let (playbooks, d) = parse_file(&path, &src, Some(&path));
            diags.extend(d);
            catalog.extend(playbooks);
        }
        if diags.is_empty() {
            Ok(catalog)
        } else {
            sort(&mut diags);
            Err(diags)
        }
    }

    pub fn get(&self, control: &str) -> Option<&Playbook> {
        self.playbooks.get(control)
    }

    /// Control ids, sorted.
    pub fn controls(&self) -> impl Iterator<Item = &str> {
        self.playbooks.keys().map(String::as_str)
    }

    /// Playbooks in control order.
    pub fn iter(&self) -> impl Iterator<Item = &Playbook> {
        self.playbooks.values()
    }

    pub fn len(&self) -> usize {
        self.playbooks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.playbooks.is_empty()
    }

    /// Later entries replace earlier ones with the same control.
    fn extend(&mut self, playbooks: Vec<Playbook>) {
        for p in playbooks {
            self.playbooks.insert(p.control.clone(), p);
        }
    }
}

/// For `check-config`: the built-in file and every user playbook file, all problems at once.
pub fn check_all(user_dir: Option<&Path>) -> Vec<Diagnostic> {
    let (_, mut diags) = parse_file(Path::new(BUILTIN_PATH), BUILTIN_SOURCE, None);
    let mut read_errors = Vec::new();
    for (path, src) in read_user_files(user_dir, &mut read_errors) {
        diags.extend(parse_file(&path, &src, Some(&path)).1);
    }
    diags.extend(read_errors);
    sort(&mut diags);
    diags
}

fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| (&a.file, a.line, a.col).cmp(&(&b.file, b.line, b.col)));
}

/// `<dir>/playbooks.toml`, then `<dir>/playbooks/*.toml` by name: later files win.
fn user_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = Some(dir.join("playbooks.toml"))
        .filter(|p| p.is_file())
        .into_iter()
        .collect();
    if let Ok(entries) = std::fs::read_dir(dir.join("playbooks")) {
        let mut more: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "toml"))
            .collect();
        more.sort();
        files.extend(more);
    }
    files
}

fn read_user_files(dir: Option<&Path>, diags: &mut Vec<Diagnostic>) -> Vec<(PathBuf, String)> {
    let Some(dir) = dir else { return Vec::new() };
    user_files(dir)
        .into_iter()
        .filter_map(|p| match std::fs::read_to_string(&p) {
            Ok(src) => Some((p, src)),
            Err(e) => {
                diags.push(Diagnostic::new(&p, 1, 1, format!("cannot read: {e}")));
                None
            }
        })
        .collect()
}

const FIELDS: [&str; 7] = [
    "control",
    "document",
    "document_version",
    "description",
    "destructive",
    "required",
    "parameters",
];

/// Parser state for one file.
struct FileParser<'a> {
    file: &'a Path,
    src: &'a str,
    origin: String,
    diags: Vec<Diagnostic>,
}

/// Playbooks of one file and its problems. `user_path` is `None` for the built-in file.
fn parse_file(
    file: &Path,
    src: &str,
    user_path: Option<&Path>,
) -> (Vec<Playbook>, Vec<Diagnostic>) {
    let mut p = FileParser {
        file,
        src,
        origin: user_path.map_or_else(|| BUILTIN_ORIGIN.to_string(), |p| p.display().to_string()),
        diags: Vec::new(),
    };
    let doc = match DeTable::parse(src) {
        Ok(doc) => doc,
        Err(e) => return (Vec::new(), vec![Diagnostic::from_toml(file, src, &e)]),
    };
    let mut playbooks = Vec::new();
    // Control → line of its first definition in this file.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (key, value) in doc.get_ref() {
        let items = match (key.get_ref().as_ref(), value.get_ref()) {
            ("playbook", DeValue::Array(items)) => items,
            ("playbook", other) => {
                let msg = format!(
                    "`playbook` must be a list of [[playbook]] tables, not {}",
                    other.type_str()
                );
                p.error(&value.span(), msg);
                continue;
            }
            (other, _) => {
                let msg = format!("unknown key `{other}`; playbooks are [[playbook]] tables");
                p.error(&key.span(), msg);
                continue;
            }
        };
        for item in items.iter() {
            let Some((playbook, control_span)) = p.entry(item) else {
                continue;
            };
            let line = crate::diag::line_col(src, control_span.start).0;
            if let Some(first) = seen.get(&playbook.control) {
                let msg = format!(
                    "duplicate control `{}` in this file (first defined on line {first})",
                    playbook.control
                );
                p.error(&control_span, msg);
                continue;
            }
            seen.insert(playbook.control.clone(), line);
            playbooks.push(playbook);
        }
    }
    (playbooks, p.diags)
}

impl FileParser<'_> {
    fn error(&mut self, span: &Range<usize>, message: impl Into<String>) {
        self.error_at(span.start, message);
    }

    fn error_at(&mut self, offset: usize, message: impl Into<String>) {
        let d = Diagnostic::at_offset(self.file, self.src, offset, message);
        self.diags.push(d);
    }

    /// A string field, or a diagnostic when it has another type.
    fn string(&mut self, name: &str, v: &Spanned<DeValue<'_>>) -> Option<String> {
        match v.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            other => {
                let msg = format!("`{name}` must be a string, not {}", other.type_str());
                self.error(&v.span(), msg);
                None
            }
        }
    }

    /// One `[[playbook]]` table, with the span of its `control` value.
    fn entry(&mut self, item: &Spanned<DeValue<'_>>) -> Option<(Playbook, Range<usize>)> {
        let DeValue::Table(t) = item.get_ref() else {
            let msg = format!(
                "a playbook must be a table, not {}",
                item.get_ref().type_str()
            );
            self.error(&item.span(), msg);
            return None;
        };
        let mut control: Option<(String, Range<usize>)> = None;
        let mut document = None;
        let mut pb = Playbook {
            control: String::new(),
            document: String::new(),
            document_version: None,
            description: String::new(),
            destructive: false,
            required: Vec::new(),
            parameters: BTreeMap::new(),
            origin: self.origin.clone(),
        };
        let mut required: Vec<(String, Range<usize>)> = Vec::new();
        for (key, v) in t {
            let name: &str = key.get_ref();
            match name {
                "control" => match self.string(name, v) {
                    Some(c) if c.trim().is_empty() => self.error(&v.span(), "empty `control`"),
                    Some(c) => control = Some((c.trim().to_string(), v.span())),
                    None => {}
                },
                "document" => match self.string(name, v) {
                    Some(d) if d.trim().is_empty() => self.error(
                        &v.span(),
                        "empty `document`: name the SSM Automation document",
                    ),
                    Some(d) => document = Some(d.trim().to_string()),
                    None => {}
                },
                "document_version" => pb.document_version = self.string(name, v),
                "description" => pb.description = self.string(name, v).unwrap_or_default(),
                "destructive" => match v.get_ref() {
                    DeValue::Boolean(b) => pb.destructive = *b,
                    other => {
                        let msg = format!(
                            "`destructive` must be true or false, not {}",
                            other.type_str()
                        );
                        self.error(&v.span(), msg);
                    }
                },
                "required" => required = self.string_list(name, v).unwrap_or_default(),
                "parameters" => pb.parameters = self.parameters(v),
                other => {
                    let msg = unknown_field(other);
                    self.error(&key.span(), msg);
                }
            }
        }
        for (name, span) in &required {
            if !pb.parameters.contains_key(name) {
                let msg =
                    format!("required parameter `{name}` has no template in [playbook.parameters]");
                self.error(span, msg);
            }
        }
        pb.required = required.into_iter().map(|(n, _)| n).collect();
        let header = item.span();
        let Some((c, control_span)) = control else {
            if !t.contains_key("control") {
                self.error(
                    &header,
                    "playbook has no `control` (e.g. control = \"S3.1\")",
                );
            }
            return None;
        };
        let Some(d) = document else {
            if !t.contains_key("document") {
                self.error(&header, format!("playbook for `{c}` has no `document`"));
            }
            return None;
        };
        pb.control = c;
        pb.document = d;
        Some((pb, control_span))
    }

    /// An array of strings, each with its span.
    fn string_list(
        &mut self,
        name: &str,
        v: &Spanned<DeValue<'_>>,
    ) -> Option<Vec<(String, Range<usize>)>> {
        let DeValue::Array(items) = v.get_ref() else {
            let msg = format!(
                "`{name}` must be a list of strings, not {}",
                v.get_ref().type_str()
            );
            self.error(&v.span(), msg);
            return None;
        };
        Some(
            items
                .iter()
                .filter_map(|i| Some((self.string(name, i)?, i.span())))
                .collect(),
        )
    }

    /// `[playbook.parameters]`: name → template or list of templates, each checked.
    fn parameters(&mut self, v: &Spanned<DeValue<'_>>) -> BTreeMap<String, Vec<String>> {
        let mut out = BTreeMap::new();
        let DeValue::Table(t) = v.get_ref() else {
            let msg = format!(
                "`parameters` must be a table, not {}",
                v.get_ref().type_str()
            );
            self.error(&v.span(), msg);
            return out;
        };
        for (key, value) in t {
            let name: &str = key.get_ref();
            let templates = match value.get_ref() {
                DeValue::String(s) => vec![(s.to_string(), value.span())],
                DeValue::Array(_) => self.string_list(name, value).unwrap_or_default(),
                other => {
                    let msg = format!(
                        "parameter `{name}` must be a string or a list of strings, not {}",
                        other.type_str()
                    );
                    self.error(&value.span(), msg);
                    continue;
                }
            };
            for (t, span) in &templates {
                if let Err(e) = template::parse(t) {
                    let at = content_start(self.src, span, t).map_or(span.start, |s| s + e.offset);
                    self.error_at(at, format!("parameter `{name}`: {}", e.message));
                }
            }
            out.insert(
                name.to_string(),
                templates.into_iter().map(|(t, _)| t).collect(),
            );
        }
        out
    }
}

fn unknown_field(name: &str) -> String {
    let best = FIELDS
        .iter()
        .map(|k| (crate::suggest::edit_distance(name, k), *k))
        .min();
    match best {
        Some((d, k)) if d <= (name.len() / 3).max(1) => {
            format!("unknown playbook field `{name}`; did you mean `{k}`?")
        }
        _ => format!(
            "unknown playbook field `{name}` (fields: {})",
            FIELDS.join(", ")
        ),
    }
}

/// Byte offset in `src` where the string value's text starts, when the source spells it
/// verbatim (no escapes), so template errors can point at the exact character.
fn content_start(src: &str, span: &Range<usize>, parsed: &str) -> Option<usize> {
    let raw = src.get(span.clone())?;
    let quote = raw.find(['"', '\''])?;
    let body = raw[quote..].trim_start_matches(['"', '\'']);
    let body = body.strip_prefix('\n').unwrap_or(body);
    let start = span.start + (raw.len() - body.len());
    body.starts_with(parsed).then_some(start)
}

#[cfg(test)]
mod tests;
