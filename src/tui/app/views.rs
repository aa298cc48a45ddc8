//! Named views and export from the console: `:view NAME`, `:view save NAME`, keys bound to
//! views, `:export csv|json|md [FILE]`.

use crossterm::event::KeyEvent;

use super::{App, Effect};
use crate::query::views::View;
use crate::tui::keymap::KeyCombo;

impl App {
    /// The view bound to this key, if any.
    pub(super) fn view_for_key(&self, key: &KeyEvent) -> Option<usize> {
        let pressed = KeyCombo::from_event(key);
        self.views.iter().position(|v| {
            v.view
                .key
                .as_deref()
                .and_then(|k| k.parse::<KeyCombo>().ok())
                .is_some_and(|k| k == pressed)
        })
    }

    pub(super) fn apply_view(&mut self, i: usize) {
        let Some(v) = self.views.get(i).cloned() else {
            return;
        };
        self.filter = v.filter;
        self.filter_text = v.view.filter.clone();
        self.sort = v.sort;
        self.scope = v.view.scope;
        self.columns = v.columns;
        self.view_name = Some(v.view.name.clone());
        self.set_group(v.group);
        self.info(format!("view {}", v.view.name));
    }

    /// The current filter, sort, grouping, scope and columns as a view.
    fn current_view(&self, name: &str) -> View {
        let sort = if self.sort.descending == self.sort.column.first_descending() {
            self.sort.column.header().to_ascii_lowercase()
        } else {
            format!("-{}", self.sort.column.header().to_ascii_lowercase())
        };
        View {
            name: name.to_string(),
            filter: self.filter_text.clone(),
            sort: Some(sort),
            group: self.group.map(|g| g.name().to_string()),
            scope: self.scope,
            columns: self
                .columns
                .iter()
                .map(|c| c.header().to_ascii_lowercase())
                .collect(),
            // A key is bound by editing views.toml (check-config checks it against the keymap).
            key: self
                .views
                .iter()
                .find(|v| v.view.name == name)
                .and_then(|v| v.view.key.clone()),
        }
    }

    pub(super) fn view_command(&mut self, arg: &str, fx: &mut Vec<Effect>) {
        let arg = arg.trim();
        if let Some(name) = arg.strip_prefix("save").map(str::trim) {
            if name.is_empty() {
                return self.error("view save NAME: give the view a name");
            }
            fx.push(Effect::SaveView(self.current_view(name)));
            return;
        }
        match self.views.iter().position(|v| v.view.name == arg) {
            Some(i) => self.apply_view(i),
            None if self.views.is_empty() => self
                .error("no saved views yet: set a filter, sort or grouping, then :view save NAME"),
            None => {
                let names: Vec<&str> = self.views.iter().map(|v| v.view.name.as_str()).collect();
                self.error(format!(
                    "no view {arg:?}; saved views: {}",
                    names.join(", ")
                ))
            }
        }
    }

    pub(super) fn export_command(&mut self, arg: &str, fx: &mut Vec<Effect>) {
        let mut words = arg.split_whitespace();
        let Some(format) = words.next().and_then(crate::query::export::Format::parse) else {
            return self.error("export csv|json|md [FILE]");
        };
        let path = words.next().map(std::path::PathBuf::from);
        let findings = self
            .view
            .iter()
            .map(|&i| self.snapshot.findings[i as usize].clone())
            .collect();
        fx.push(Effect::Export {
            format,
            path,
            findings,
        });
    }
}
