//! Keys → actions. Built-in keymaps are embedded; a user's `<dir>/NAME.toml` overrides or
//! extends the built-in of the same name (or `inherits` another map), and every problem is
//! reported as `file:line:col` from the TOML spans.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diag::Diagnostic;
use crate::suggest::edit_distance;

/// Groups of the `?` help screen, in display order.
pub const SECTIONS: [&str; 5] = ["Navigation", "Findings", "Remediation", "Views", "General"];

macro_rules! actions {
    ($($variant:ident $name:literal $section:literal $desc:literal;)*) => {
        /// Everything a key can do in the console; the UI dispatches on these.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action { $($variant),* }

        impl Action {
            pub const ALL: [Action; [$($name),*].len()] = [$(Action::$variant),*];

            /// Stable snake_case name used in keymap files.
            pub fn name(self) -> &'static str {
                match self { $(Action::$variant => $name),* }
            }

            /// One line for the help screen.
            pub fn description(self) -> &'static str {
                match self { $(Action::$variant => $desc),* }
            }

            /// Which of [`SECTIONS`] lists it.
            pub fn section(self) -> &'static str {
                match self { $(Action::$variant => $section),* }
            }
        }
    };
}

actions! {
    Quit "quit" "General" "Quit (asks first if a draft would be lost)";
    ForceQuit "force_quit" "General" "Quit immediately";
    Help "help" "General" "Show this help";
    Back "back" "General" "Back out of a dialog, pane or prompt (never destroys anything)";
    MoveUp "move_up" "Navigation" "Move up one row";
    MoveDown "move_down" "Navigation" "Move down one row";
    PageUp "page_up" "Navigation" "Move up one page";
    PageDown "page_down" "Navigation" "Move down one page";
    Top "top" "Navigation" "Go to the first row";
    Bottom "bottom" "Navigation" "Go to the last row";
    Open "open" "Findings" "Open the selected finding";
    Filter "filter" "Views" "Filter findings (e.g. sev:>=high -wf:resolved); in a finding, search its text (n next, N previous)";
    ClearFilter "clear_filter" "Views" "Clear the filter";
    Palette "palette" "General" "Open the command palette";
    Freeze "freeze" "Views" "Freeze or resume live updates";
    Mark "mark" "Findings" "Mark or unmark the selected finding";
    MarkAll "mark_all" "Findings" "Mark every finding shown";
    ClearMarks "clear_marks" "Findings" "Clear all marks";
    SortNext "sort_next" "Views" "Sort by the next column";
    SortReverse "sort_reverse" "Views" "Reverse the sort order";
    SetWorkflow "set_workflow" "Findings" "Set workflow status of the selected or marked findings";
    Refresh "refresh" "Views" "Poll sources now";
    ShowAll "show_all" "Views" "Show everything (resolved, suppressed, passed, archived) or the working view";
    NextTab "next_tab" "Navigation" "Next detail tab (summary, resources, timeline, raw JSON)";
    PrevTab "prev_tab" "Navigation" "Previous detail tab";
    ScrollLeft "scroll_left" "Navigation" "Scroll left";
    ScrollRight "scroll_right" "Navigation" "Scroll right";
    Copy "copy" "Findings" "Copy the id, resource, title, raw JSON or console link (OSC 52)";
    OpenLinks "open_links" "Findings" "Show the finding's and its resource's console links and copy one (OSC 52)";
    ToggleAscii "toggle_ascii" "Views" "Switch between Unicode and ASCII symbols";
    Propose "propose" "Remediation" "Propose the playbook of the selected or marked findings (shows a preview first)";
    Queue "queue" "Remediation" "Show or hide the remediation queue";
    Decide "decide" "Remediation" "Approve or reject the selected queue item or waiting execution";
    CancelItem "cancel_item" "Remediation" "Cancel the selected queue item (stops a running execution)";
    Posture "posture" "Views" "Show or hide the posture view (scores, breakdowns, trends, statistics)";
    NextNew "next_new" "Findings" "Jump to the next finding that arrived since you looked";
    GroupBy "group_by" "Views" "Group by control, resource, account, region, product, cloud, title, severity, none";
    Ticket "ticket" "Findings" "Create a ticket (Jira) for the selected or marked findings (a preview first)";
    Notify "notify" "Findings" "Send a one-off notification about the selected or marked findings to a channel";
    Notifications "notifications" "Views" "Show or hide the notifications view (outbox: retry, discard; rules and their matches)";
}

/// A keymap name, action name or key that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

/// `name`, plus "did you mean" when one of `known` is close.
fn suggest<'a>(what: &str, name: &str, known: impl Iterator<Item = &'a str>) -> ParseError {
    let best = known.map(|k| (edit_distance(name, k), k)).min();
    ParseError(match best {
        Some((d, k))
            if d <= (name.len() / 3).max(1) || (!name.is_empty() && k.starts_with(name)) =>
        {
            format!("unknown {what} `{name}`; did you mean `{k}`?")
        }
        _ => format!("unknown {what} `{name}`"),
    })
}

impl FromStr for Action {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Action, ParseError> {
        Action::ALL
            .iter()
            .copied()
            .find(|a| a.name() == s)
            .ok_or_else(|| suggest("action", s, Action::ALL.iter().map(|a| a.name())))
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

mod key;

pub use key::KeyCombo;

/// One group of the `?` screen: (keys joined with ", ", description, action).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpSection {
    pub title: &'static str,
    pub entries: Vec<(String, &'static str, Action)>,
}

/// A resolved keymap: every key maps to at most one action.
#[derive(Debug, Clone)]
pub struct Keymap {
    pub name: String,
    /// Keys per action (indexed by `Action as usize`), in file order.
    keys: Vec<Vec<KeyCombo>>,
    lookup: HashMap<KeyCombo, Action>,
}

impl Keymap {
    /// The action for a key press or repeat; releases (Windows, kitty) are ignored.
    pub fn action(&self, ev: &KeyEvent) -> Option<Action> {
        if ev.kind == KeyEventKind::Release {
            return None;
        }
        self.lookup.get(&KeyCombo::from_event(ev)).copied()
    }

    pub fn combos_for(&self, a: Action) -> &[KeyCombo] {
        &self.keys[a as usize]
    }

    /// Display strings of the keys bound to `a`, in file order.
    pub fn keys_for(&self, a: Action) -> Vec<String> {
        self.combos_for(a).iter().map(|k| k.to_string()).collect()
    }

    /// The `?` screen, one section per entry of [`SECTIONS`], every action listed.
    pub fn help(&self) -> Vec<HelpSection> {
        SECTIONS
            .iter()
            .map(|&s| HelpSection {
                title: s,
                entries: Action::ALL
                    .iter()
                    .filter(|a| a.section() == s)
                    .map(|&a| {
                        let keys = self.keys_for(a);
                        let keys = if keys.is_empty() {
                            "(unbound)".to_string()
                        } else {
                            keys.join(", ")
                        };
                        (keys, a.description(), a)
                    })
                    .collect(),
            })
            .collect()
    }
}

/// The built-in `default` map.
impl Default for Keymap {
    fn default() -> Self {
        load("default", None).unwrap_or_else(|_| Keymap {
            name: "default".into(),
            keys: vec![Vec::new(); Action::ALL.len()],
            lookup: HashMap::new(),
        })
    }
}

pub fn builtin_names() -> &'static [&'static str] {
    &["default", "vim", "arrows"]
}

fn builtin_source(name: &str) -> Option<&'static str> {
    Some(match name {
        "default" => include_str!("../../keymaps/default.toml"),
        "vim" => include_str!("../../keymaps/vim.toml"),
        "arrows" => include_str!("../../keymaps/arrows.toml"),
        _ => return None,
    })
}

fn builtin_path(name: &str) -> PathBuf {
    PathBuf::from(format!("keymaps/{name}.toml"))
}

/// Where something was written, for diagnostics.
#[derive(Debug, Clone)]
struct Loc {
    file: PathBuf,
    line: usize,
    col: usize,
    /// Position of the file in the inheritance chain; the most derived is the highest.
    depth: usize,
}

impl Loc {
    fn at(file: &Path, src: &str, offset: usize) -> Loc {
        let (line, col) = crate::diag::line_col(src, offset);
        Loc {
            file: file.to_path_buf(),
            line,
            col,
            depth: 0,
        }
    }

    fn diag(&self, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(&self.file, self.line, self.col, message)
    }
}

/// One parsed file: its parent and the actions it (re)binds.
struct Layer {
    inherits: Option<(String, Loc)>,
    bindings: Vec<(Action, Vec<(KeyCombo, Loc)>)>,
}

fn parse_layer(file: &Path, src: &str, diags: &mut Vec<Diagnostic>) -> Layer {
    let mut layer = Layer {
        inherits: None,
        bindings: Vec::new(),
    };
    let doc = match DeTable::parse(src) {
        Ok(doc) => doc,
        Err(e) => {
            diags.push(Diagnostic::from_toml(file, src, &e));
            return layer;
        }
    };
    let loc = |s: &std::ops::Range<usize>| Loc::at(file, src, s.start);
    for (key, value) in doc.get_ref() {
        let name: &str = key.get_ref();
        match (name, value.get_ref()) {
            ("name", DeValue::String(_)) => {}
            ("inherits", DeValue::String(p)) => {
                layer.inherits = Some((p.to_string(), loc(&value.span())));
            }
            ("bindings", DeValue::Table(t)) => {
                for (action, keys) in t {
                    match action.get_ref().parse::<Action>() {
                        Ok(a) => layer.bindings.push((a, parse_keys(keys, &loc, diags))),
                        Err(e) => diags.push(loc(&action.span()).diag(e.0)),
                    }
                }
            }
            ("name" | "inherits" | "bindings", v) => {
                let want = if name == "bindings" {
                    "a table"
                } else {
                    "a string"
                };
                let msg = format!("`{name}` must be {want}, not {}", v.type_str());
                diags.push(loc(&value.span()).diag(msg));
            }
            (other, _) => {
                let e = suggest(
                    "setting",
                    other,
                    ["name", "inherits", "bindings"].into_iter(),
                );
                diags.push(loc(&key.span()).diag(e.0));
            }
        }
    }
    layer
}

/// A string or an array of strings, each a key; bad entries become diagnostics.
fn parse_keys(
    value: &Spanned<DeValue<'_>>,
    loc: &dyn Fn(&std::ops::Range<usize>) -> Loc,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(KeyCombo, Loc)> {
    let items = match value.get_ref() {
        DeValue::Array(items) => items.iter().collect(),
        DeValue::String(_) => vec![value],
        other => {
            let msg = format!(
                "expected a list of keys like [\"j\", \"down\"], not {}",
                other.type_str()
            );
            diags.push(loc(&value.span()).diag(msg));
            return Vec::new();
        }
    };
    let mut keys: Vec<(KeyCombo, Loc)> = Vec::new();
    for item in items {
        let at = loc(&item.span());
        match item.get_ref().as_str().map(str::parse::<KeyCombo>) {
            Some(Ok(k)) if keys.iter().any(|(x, _)| *x == k) => {}
            Some(Ok(k)) => keys.push((k, at)),
            Some(Err(e)) => diags.push(at.diag(format!("bad key: {e}"))),
            None => diags.push(at.diag("expected a key string like \"ctrl-d\"")),
        }
    }
    keys
}

/// Resolves a keymap name into layers, parents first.
struct Loader<'a> {
    user_dir: Option<&'a Path>,
    /// (is user file, name) of the files being resolved, for cycle detection.
    stack: Vec<(bool, String)>,
    layers: Vec<Layer>,
    diags: Vec<Diagnostic>,
}

impl Loader<'_> {
    /// A user file shadows the built-in of the same name, which becomes its implicit parent;
    /// built-ins only ever inherit built-ins.
    fn resolve(&mut self, name: &str, builtin_only: bool, from: Option<&Loc>) {
        let on_stack = |user: bool| self.stack.iter().any(|(u, n)| *u == user && n == name);
        let user_file = self
            .user_dir
            .map(|d| d.join(format!("{name}.toml")))
            .filter(|p| !builtin_only && !on_stack(true) && p.is_file());
        let (is_user, file, src) = if let Some(p) = user_file {
            match std::fs::read_to_string(&p) {
                Ok(src) => (true, p, src),
                Err(e) => {
                    return self
                        .diags
                        .push(Diagnostic::new(&p, 1, 1, format!("cannot read: {e}")));
                }
            }
        } else if let Some(src) = builtin_source(name).filter(|_| !on_stack(false)) {
            (false, builtin_path(name), src.to_string())
        } else {
            let msg = if on_stack(true) || on_stack(false) {
                let chain: Vec<&str> = self.stack.iter().map(|(_, n)| n.as_str()).collect();
                format!("inheritance cycle: {} → {name}", chain.join(" → "))
            } else {
                let known = builtin_names().join(", ");
                format!("no keymap named `{name}` (built-in: {known})")
            };
            let here = self
                .user_dir
                .map_or_else(|| builtin_path(name), |d| d.join(format!("{name}.toml")));
            let at = from.cloned().unwrap_or(Loc {
                file: here,
                line: 1,
                col: 1,
                depth: 0,
            });
            return self.diags.push(at.diag(msg));
        };
        let layer = parse_layer(&file, &src, &mut self.diags);
        self.stack.push((is_user, name.to_string()));
        match &layer.inherits {
            Some((parent, at)) => self.resolve(parent, !is_user, Some(at)),
            None if is_user && builtin_source(name).is_some() => self.resolve(name, false, None),
            None => {}
        }
        self.stack.pop();
        self.layers.push(layer);
    }
}

/// Loads keymap `name`: `<user_dir>/NAME.toml` if present (over the built-in of that name),
/// else the built-in. Any diagnostic (bad action, bad key, conflict, cycle) is an error.
pub fn load(name: &str, user_dir: Option<&Path>) -> Result<Keymap, Vec<Diagnostic>> {
    let mut loader = Loader {
        user_dir,
        stack: Vec::new(),
        layers: Vec::new(),
        diags: Vec::new(),
    };
    loader.resolve(name, false, None);
    let Loader {
        layers, mut diags, ..
    } = loader;

    // Each layer replaces the keys of the actions it lists.
    // `None` marks the reserved keys the loader adds itself.
    let mut keys: Vec<Vec<(KeyCombo, Option<Loc>)>> = vec![Vec::new(); Action::ALL.len()];
    for (depth, layer) in layers.iter().enumerate() {
        for (action, ks) in &layer.bindings {
            keys[*action as usize] = ks
                .iter()
                .map(|(k, l)| (*k, Some(Loc { depth, ..l.clone() })))
                .collect();
        }
    }
    // ctrl-c always quits and esc always backs out, whatever a user file says.
    let ctrl_c = KeyCombo::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    let esc = KeyCombo::new(KeyCode::Esc, KeyModifiers::NONE);
    for (action, key) in [(Action::ForceQuit, ctrl_c), (Action::Back, esc)] {
        if !keys[action as usize].iter().any(|(k, _)| *k == key) {
            keys[action as usize].push((key, None));
        }
    }

    let mut lookup: HashMap<KeyCombo, (Action, &Option<Loc>)> = HashMap::new();
    for action in Action::ALL {
        for (key, loc) in &keys[action as usize] {
            let reserved = match key.code() {
                KeyCode::Esc if action != Action::Back => Some(Action::Back),
                _ if *key == ctrl_c && action != Action::ForceQuit => Some(Action::ForceQuit),
                _ => None,
            };
            if let Some(owner) = reserved {
                if let Some(at) = loc {
                    diags.push(at.diag(format!(
                        "`{key}` is reserved for {owner}; remove it from {action}"
                    )));
                }
                continue;
            }
            let Some((other, other_loc)) = lookup.get(key) else {
                lookup.insert(*key, (action, loc));
                continue;
            };
            // Report at the binding from the most derived file, where the edit most likely is.
            let at = [loc, *other_loc]
                .into_iter()
                .flatten()
                .max_by_key(|l| (l.depth, l.line, l.col));
            if let Some(at) = at {
                diags.push(at.diag(format!("`{key}` is bound to both {other} and {action}")));
            }
        }
    }
    if !diags.is_empty() {
        diags.sort_by(|a, b| (&a.file, a.line, a.col).cmp(&(&b.file, b.line, b.col)));
        return Err(diags);
    }
    let lookup = lookup.into_iter().map(|(k, (a, _))| (k, a)).collect();
    let keys = keys
        .iter()
        .map(|ks| ks.iter().map(|(k, _)| *k).collect())
        .collect();
    Ok(Keymap {
        name: name.to_string(),
        keys,
        lookup,
    })
}

/// For `check-config`: every built-in, then every `*.toml` in `user_dir` as loaded by name.
pub fn check_all(user_dir: Option<&Path>) -> Vec<Diagnostic> {
    let mut names: Vec<(String, Option<&Path>)> = builtin_names()
        .iter()
        .map(|n| (n.to_string(), None))
        .collect();
    if let Some(dir) = user_dir
        && let Ok(entries) = std::fs::read_dir(dir)
    {
        let mut stems: Vec<String> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .filter_map(|p| Some(p.file_stem()?.to_str()?.to_string()))
            .collect();
        stems.sort();
        names.extend(stems.into_iter().map(|s| (s, Some(dir))));
    }
    let mut out: Vec<Diagnostic> = names
        .iter()
        .filter_map(|(n, dir)| load(n, *dir).err())
        .flatten()
        .collect();
    // A broken parent is reported once, not once per child.
    let mut seen = std::collections::HashSet::new();
    out.retain(|d| seen.insert(d.to_string()));
    out
}

#[cfg(test)]
mod tests;
