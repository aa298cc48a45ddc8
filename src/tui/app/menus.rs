//! `y` (copy menu) and `o` (console links): numbered choices, OSC 52 copy.

use crossterm::event::{KeyCode, KeyEvent};

use super::{App, Effect, Menu, MenuValue, Overlay};
use crate::query::short_resource;

impl App {
    pub(super) fn open_copy_menu(&mut self) {
        let Some(f) = self.selected_finding().or(self.detail_finding()).cloned() else {
            return self.error("no finding selected");
        };
        let mut items = vec![
            ("finding id".to_string(), MenuValue::Text(f.id.clone())),
            (
                format!("resource ({})", short_resource(f.resource_id())),
                MenuValue::Text(f.resource_id().to_string()),
            ),
            ("title".to_string(), MenuValue::Text(f.title.to_string())),
            ("raw JSON".to_string(), MenuValue::RawJson(f.id.clone())),
        ];
        if let Some(u) = crate::links::finding_url(&f) {
            items.push(("console link of the finding".into(), MenuValue::Text(u)));
        }
        self.overlay = Overlay::Menu(Menu {
            title: "Copy (OSC 52): a number chooses, Esc closes".into(),
            items,
        });
    }

    pub(super) fn open_links(&mut self, fx: &mut Vec<Effect>) {
        let Some(f) = self.selected_finding().or(self.detail_finding()).cloned() else {
            return self.error("no finding selected");
        };
        let mut items = Vec::new();
        if let Some(u) = crate::links::finding_url(&f) {
            items.push((format!("finding: {u}"), MenuValue::Text(u)));
        }
        if let Some(u) = crate::links::resource_url(&f) {
            items.push((format!("resource: {u}"), MenuValue::Text(u)));
        }
        let Some((_, MenuValue::Text(first))) = items.first().cloned() else {
            return self.info("no console link for this finding");
        };
        // Shown, and the first copied at once (a terminal cannot open a browser over SSH).
        fx.push(Effect::Copy(first));
        self.overlay = Overlay::Menu(Menu {
            title: "Console links: the first is copied (OSC 52); 2 copies the resource's".into(),
            items,
        });
    }

    pub(super) fn menu_key(&mut self, m: Menu, key: KeyEvent, fx: &mut Vec<Effect>) {
        let pick = match key.code {
            KeyCode::Enter => Some(0),
            KeyCode::Char(c @ '1'..='9') => Some(c as usize - '1' as usize),
            KeyCode::Esc => return,
            _ => None,
        };
        let Some((label, value)) = pick.and_then(|i| m.items.get(i)).cloned() else {
            self.overlay = Overlay::Menu(m);
            return;
        };
        match value {
            MenuValue::Text(t) => fx.push(Effect::Copy(t)),
            MenuValue::RawJson(id) => fx.push(Effect::CopyRaw(id)),
        }
        let what = label.split(':').next().unwrap_or(&label).to_string();
        self.info(format!("copied the {what} (OSC 52)"));
    }
}
