//! Keys as keymap files write them and as crossterm reports them.

use std::fmt;
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{ParseError, suggest};

/// Key names; the first name of a code is the canonical one.
#[rustfmt::skip]
const KEY_NAMES: &[(&str, KeyCode)] = &[
    ("up", KeyCode::Up), ("down", KeyCode::Down), ("left", KeyCode::Left),
    ("right", KeyCode::Right), ("pageup", KeyCode::PageUp), ("pagedown", KeyCode::PageDown),
    ("home", KeyCode::Home), ("end", KeyCode::End), ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc), ("tab", KeyCode::Tab), ("backtab", KeyCode::BackTab),
    ("space", KeyCode::Char(' ')), ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete), ("insert", KeyCode::Insert),
    ("pgup", KeyCode::PageUp), ("pgdn", KeyCode::PageDown), ("return", KeyCode::Enter),
    ("escape", KeyCode::Esc), ("del", KeyCode::Delete), ("ins", KeyCode::Insert),
];

#[rustfmt::skip]
const MODIFIERS: &[(&str, KeyModifiers)] = &[
    ("ctrl", KeyModifiers::CONTROL), ("alt", KeyModifiers::ALT),
    ("shift", KeyModifiers::SHIFT), ("super", KeyModifiers::SUPER),
    ("control", KeyModifiers::CONTROL), ("meta", KeyModifiers::ALT),
];

/// A key with modifiers, normalised so that what crossterm reports and what a keymap file
/// says compare equal: `G`, `shift-g` and Char('G')+SHIFT are one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyCombo {
    code: KeyCode,
    mods: KeyModifiers,
}

impl KeyCombo {
    pub fn new(code: KeyCode, mods: KeyModifiers) -> KeyCombo {
        let mut mods = mods & !(KeyModifiers::HYPER | KeyModifiers::META);
        let code = match code {
            KeyCode::Char(c) if mods.contains(KeyModifiers::SHIFT) => KeyCode::Char(to_upper(c)),
            KeyCode::Tab if mods.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
            other => other,
        };
        // The character already carries shift (`?`, `G`); terminals differ on the flag.
        if matches!(code, KeyCode::Char(_) | KeyCode::BackTab) {
            mods.remove(KeyModifiers::SHIFT);
        }
        KeyCombo { code, mods }
    }

    pub fn from_event(ev: &KeyEvent) -> KeyCombo {
        KeyCombo::new(ev.code, ev.modifiers)
    }

    pub fn code(&self) -> KeyCode {
        self.code
    }

    pub fn mods(&self) -> KeyModifiers {
        self.mods
    }
}

fn to_upper(c: char) -> char {
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

impl FromStr for KeyCombo {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<KeyCombo, ParseError> {
        let mut rest = s;
        let mut mods = KeyModifiers::NONE;
        // `-`, `+` and `ctrl--` are keys too, so a separator is only one when text follows.
        while let Some(i) = rest
            .find(['-', '+'])
            .filter(|&i| i > 0 && i + 1 < rest.len())
        {
            let Some(m) = MODIFIERS
                .iter()
                .find(|(n, _)| rest[..i].eq_ignore_ascii_case(n))
            else {
                break;
            };
            mods |= m.1;
            rest = &rest[i + 1..];
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (None, _) => return Err(ParseError(format!("empty key in `{s}`"))),
            (Some(c), None) if c.is_whitespace() || c.is_control() => {
                return Err(ParseError("write `space`, `tab` or `enter` by name".into()));
            }
            (Some(c), None) => {
                if mods.contains(KeyModifiers::SHIFT) && !c.is_alphabetic() {
                    let msg = format!("write the shifted character itself instead of `{s}`");
                    return Err(ParseError(msg));
                }
                KeyCode::Char(c)
            }
            _ => {
                let lower = rest.to_ascii_lowercase();
                let f_key = lower.strip_prefix('f').and_then(|n| n.parse::<u8>().ok());
                match (KEY_NAMES.iter().find(|(n, _)| *n == lower), f_key) {
                    (Some((_, code)), _) => *code,
                    (None, Some(n @ 1..=24)) => KeyCode::F(n),
                    _ if lower
                        .strip_suffix(['-', '+'])
                        .is_some_and(|p| MODIFIERS.iter().any(|m| m.0 == p)) =>
                    {
                        return Err(ParseError(format!("missing key after `{rest}`")));
                    }
                    _ => return Err(suggest("key", &lower, KEY_NAMES.iter().map(|k| k.0))),
                }
            }
        };
        Ok(KeyCombo::new(code, mods))
    }
}

/// Canonical form: `ctrl-d`, `G`, `pagedown`, `shift-f4`, `space`.
impl fmt::Display for KeyCombo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, m) in &MODIFIERS[..4] {
            if self.mods.contains(*m) {
                write!(f, "{name}-")?;
            }
        }
        match (self.code, KEY_NAMES.iter().find(|(_, c)| *c == self.code)) {
            (_, Some((name, _))) => f.write_str(name),
            (KeyCode::F(n), _) => write!(f, "f{n}"),
            (KeyCode::Char(c), _) => write!(f, "{c}"),
            (code, _) => write!(f, "{}", format!("{code:?}").to_ascii_lowercase()),
        }
    }
}
