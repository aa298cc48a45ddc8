//! Named views: a filter, a sort, a grouping, a scope and columns under a name, saved as TOML
//! in the config dir (`views.toml`), listed in the palette, bound to keys and usable from
//! `findings --view NAME`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Column, GroupBy, Scope, Sort};
use crate::diag::Diagnostic;
use crate::filter::Filter;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct View {
    pub name: String,
    #[serde(default)]
    pub filter: String,
    /// A column name (`severity`, `age`, `title` …); `-` in front reverses its direction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default)]
    pub scope: Scope,
    /// Columns to show (others hidden); empty: all that fit.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    /// A key that applies the view (`F6`, `alt-1` …); must not clash with the keymap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ViewsFile {
    #[serde(default)]
    view: Vec<View>,
}

/// A view checked and ready to apply.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub view: View,
    pub filter: Filter,
    pub sort: Sort,
    pub group: Option<GroupBy>,
    pub columns: Vec<Column>,
}

pub fn path(config_dir: &Path) -> PathBuf {
    config_dir.join("views.toml")
}

impl View {
    /// Parses its parts; the error names what is wrong.
    pub fn resolve(&self) -> Result<Resolved, String> {
        let filter = Filter::parse(&self.filter).map_err(|e| format!("filter: {e}"))?;
        let sort = match &self.sort {
            None => Sort::default(),
            Some(s) => {
                let (rev, name) = match s.strip_prefix('-') {
                    Some(n) => (true, n),
                    None => (false, s.as_str()),
                };
                let column =
                    Column::parse(name).ok_or_else(|| format!("sort: no column {name:?}"))?;
                Sort {
                    column,
                    descending: column.first_descending() != rev,
                }
            }
        };
        let group = match self.group.as_deref() {
            None | Some("none") => None,
            Some(g) => {
                Some(GroupBy::parse(g).ok_or_else(|| format!("group: cannot group by {g:?}"))?)
            }
        };
        let columns = self
            .columns
            .iter()
            .map(|c| Column::parse(c).ok_or_else(|| format!("columns: no column {c:?}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Resolved {
            view: self.clone(),
            filter,
            sort,
            group,
            columns,
        })
    }
}

/// Every view in `<config_dir>/views.toml` (none when the file does not exist); all
/// problems at once as file:line:col diagnostics.
pub fn load(config_dir: &Path) -> Result<Vec<Resolved>, Vec<Diagnostic>> {
    let file = path(config_dir);
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(vec![Diagnostic::new(
                &file,
                1,
                1,
                format!("cannot read: {e}"),
            )]);
        }
    };
    let parsed: ViewsFile =
        toml::from_str(&text).map_err(|e| vec![Diagnostic::from_toml(&file, &text, &e)])?;
    let mut out = Vec::new();
    let mut diags = Vec::new();
    let mut names = std::collections::HashSet::new();
    for v in parsed.view {
        // Position: the view's `name = "…"` line.
        let at = text.find(&format!("name = \"{}\"", v.name)).unwrap_or(0);
        if v.name.trim().is_empty() {
            diags.push(Diagnostic::at_offset(
                &file,
                &text,
                at,
                "a view needs a name",
            ));
            continue;
        }
        if !names.insert(v.name.clone()) {
            diags.push(Diagnostic::at_offset(
                &file,
                &text,
                at,
                format!("view {:?} is defined twice", v.name),
            ));
        }
        match v.resolve() {
            Ok(r) => out.push(r),
            Err(e) => diags.push(Diagnostic::at_offset(
                &file,
                &text,
                at,
                format!("view {:?}: {e}", v.name),
            )),
        }
    }
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(diags)
    }
}

/// Saves (adds or replaces by name) a view, keeping the others.
pub fn save(config_dir: &Path, view: View) -> Result<PathBuf, String> {
    let file = path(config_dir);
    let mut all: ViewsFile = match std::fs::read_to_string(&file) {
        Ok(t) => toml::from_str(&t).map_err(|e| format!("{}: {}", file.display(), e.message()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => ViewsFile::default(),
        Err(e) => return Err(format!("{}: {e}", file.display())),
    };
    all.view.retain(|v| v.name != view.name);
    all.view.push(view);
    let text = toml::to_string_pretty(&all).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(config_dir).map_err(|e| format!("{}: {e}", config_dir.display()))?;
    let tmp = file.with_extension("toml.tmp");
    std::fs::write(
        &tmp,
        format!("# Named views of agent-hubble (`:view save NAME` writes here).\n{text}"),
    )
    .and_then(|_| std::fs::rename(&tmp, &file))
    .map_err(|e| format!("{}: {e}", file.display()))?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_load_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load(dir.path()).unwrap().is_empty());
        let v = View {
            name: "criticals".into(),
            filter: "sev:critical".into(),
            sort: Some("-age".into()),
            group: Some("control".into()),
            scope: Scope::Working,
            columns: vec!["severity".into(), "title".into()],
            key: Some("f6".into()),
        };
        save(dir.path(), v.clone()).unwrap();
        save(
            dir.path(),
            View {
                name: "all".into(),
                filter: String::new(),
                sort: None,
                group: None,
                scope: Scope::All,
                columns: vec![],
                key: None,
            },
        )
        .unwrap();
        let mut again = v.clone();
        again.filter = "sev:high".into();
        save(dir.path(), again).unwrap();
        let views = load(dir.path()).unwrap();
        assert_eq!(views.len(), 2);
        let c = views.iter().find(|r| r.view.name == "criticals").unwrap();
        assert_eq!(c.view.filter, "sev:high", "replaced by name");
        assert_eq!(c.group, Some(GroupBy::Control));
        assert_eq!(
            c.sort,
            Sort {
                column: Column::Age,
                descending: true
            },
            "-age: oldest first"
        );
        assert_eq!(c.columns, vec![Column::Severity, Column::Title]);
        std::fs::write(
            path(dir.path()),
            "[[view]]\nname = \"bad\"\nfilter = \"sev:\"\n\n[[view]]\nname = \"worse\"\ngroup = \"planet\"\n",
        )
        .unwrap();
        let e = load(dir.path()).unwrap_err();
        assert_eq!(e.len(), 2, "{e:?}");
        assert_eq!((e[0].line, e[1].line), (2, 6));
        assert!(e[1].message.contains("cannot group by \"planet\""));
    }
}
