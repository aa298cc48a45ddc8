//! Themes: TOML palettes, semantic styles and symbols, with `inherits`, user overrides and
//! positioned diagnostics. Colours are degraded to the terminal's depth on load, so nothing
//! downstream ever has to think about colour depth.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use toml::Spanned;

use super::color::{self, ColorDepth};
use crate::diag::Diagnostic;

mod keys;
pub use keys::{EXTRA_SYMBOLS, REQUIRED_STYLES, REQUIRED_SYMBOLS, SEVERITY_STYLES};

const BUILTINS: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("mono", include_str!("../../themes/mono.toml")),
    ("ansi16", include_str!("../../themes/ansi16.toml")),
];

pub fn builtin_names() -> &'static [&'static str] {
    &["default", "high-contrast", "mono", "ansi16"]
}

/// A loaded theme; cheap to query every frame.
#[derive(Debug, Clone)]
pub struct Theme {
    pub name: String,
    pub depth: ColorDepth,
    pub ascii: bool,
    /// Screen-reader mode: markers drawn with box-drawing or block characters use their
    /// ASCII form (see [`Theme::for_screen_reader`]).
    pub screen_reader: bool,
    base: Style,
    styles: HashMap<String, Style>,
    symbols: HashMap<String, (String, String)>,
}

impl Theme {
    /// Style for a semantic key: the exact key, else its parents (`a.b.c` → `a.b` → `a`), else
    /// `text`; always patched over `text` so unset fg/bg inherit the base.
    pub fn style(&self, key: &str) -> Style {
        self.base.patch(self.overlay(key))
    }

    /// The key's own style *not* patched over `text`, for layering on top of another style
    /// (`cell.patch(theme.overlay("row.changed"))` keeps the cell's fg); same key fallback,
    /// but an unknown key gives an empty style.
    pub fn overlay(&self, key: &str) -> Style {
        let mut k = key;
        loop {
            if let Some(s) = self.styles.get(k) {
                return *s;
            }
            match k.rfind('.') {
                Some(i) => k = &k[..i],
                None => return Style::default(),
            }
        }
    }

    /// The marker for `key` in the form the terminal can show; `""` for unknown keys. ASCII
    /// mode gives every ASCII form; screen-reader mode gives the ASCII form of any marker
    /// drawn with box-drawing (U+2500–U+257F) or block (U+2580–U+259F) characters.
    pub fn symbol(&self, key: &str) -> &str {
        let forms = self.symbols.get(key);
        forms.map_or("", |(unicode, ascii)| {
            if self.ascii || (self.screen_reader && unicode.chars().any(is_drawing)) {
                ascii
            } else {
                unicode
            }
        })
    }

    /// The same theme for screen-reader mode: no box-drawing or block characters in markers
    /// (separators, bars), whatever the theme says.
    pub fn for_screen_reader(mut self, on: bool) -> Theme {
        self.screen_reader = on;
        self
    }

    /// The `text` style: the background and foreground of everything.
    pub fn base(&self) -> Style {
        self.base
    }

    /// Keys the theme defines itself (after inheritance), for tests and `check-config`.
    pub fn style_keys(&self) -> impl Iterator<Item = &str> {
        self.styles.keys().map(String::as_str)
    }

    /// A built-in theme that cannot fail (tested): what to use when a user theme is broken.
    pub fn fallback(depth: ColorDepth, ascii: bool) -> Theme {
        load("default", None, depth, ascii).expect("built-in themes are valid")
    }
}

/// Box drawing (U+2500–U+257F) or block elements (U+2580–U+259F).
pub fn is_drawing(c: char) -> bool {
    ('\u{2500}'..='\u{259f}').contains(&c)
}

/// Loads theme `name`: `<user_dir>/<name>.toml` if present (it extends the built-in of the
/// same name unless it says otherwise), else the built-in. At `Mono` depth the `mono` theme is
/// used whatever `name` says, so `NO_COLOR` always gets reverse/bold/underline styling. At 16
/// colours the built-in `default` becomes `ansi16` (the terminal's own fg/bg and hand-picked
/// named colours) unless the user has a `default.toml` of their own; every other theme is
/// degraded, keeping the severities apart (see [`color::distinct_16`]).
pub fn load(
    name: &str,
    user_dir: Option<&Path>,
    depth: ColorDepth,
    ascii: bool,
) -> Result<Theme, Diagnostic> {
    let user_default = || user_dir.is_some_and(|d| d.join("default.toml").exists());
    let name = match depth {
        ColorDepth::Mono => "mono",
        ColorDepth::Ansi16 if name == "default" && !user_default() => "ansi16",
        _ => name,
    };
    let mut diags = Vec::new();
    match build(name, user_dir, depth, ascii, &mut diags) {
        Some(built) if diags.is_empty() => Ok(built.theme),
        _ => Err(diags.swap_remove(0)),
    }
}

/// Every problem in every built-in and user theme, including required keys missing after
/// inheritance. For `check-config`.
pub fn check_all(user_dir: Option<&Path>) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let mut names: Vec<(String, Option<&Path>)> = builtin_names()
        .iter()
        .map(|n| (n.to_string(), None))
        .collect();
    if let Some(dir) = user_dir
        && let Ok(entries) = std::fs::read_dir(dir)
    {
        let mut user: Vec<String> = entries
            .filter_map(|e| {
                e.ok()?
                    .file_name()
                    .to_str()?
                    .strip_suffix(".toml")
                    .map(str::to_owned)
            })
            .collect();
        user.sort();
        names.extend(user.into_iter().map(|n| (n, Some(dir))));
    }
    for (name, dir) in names {
        let before = diags.len();
        let Some(built) = build(&name, dir, ColorDepth::TrueColor, false, &mut diags) else {
            continue;
        };
        if diags.len() > before {
            continue;
        }
        let missing_styles = REQUIRED_STYLES
            .iter()
            .filter(|k| !built.theme.styles.contains_key(**k))
            .map(|k| format!("theme `{name}` does not define required style `{k}`"));
        let missing_symbols = REQUIRED_SYMBOLS
            .iter()
            .filter(|(k, ..)| !built.defined_symbols.iter().any(|d| d == k))
            .map(|(k, ..)| format!("theme `{name}` does not define required symbol `{k}`"));
        for msg in missing_styles.chain(missing_symbols) {
            diags.push(Diagnostic::new(&built.leaf, 1, 1, msg));
        }
    }
    diags
}

// ---- file format ----

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawTheme {
    #[serde(rename = "name")]
    _name: Option<String>,
    inherits: Option<Spanned<String>>,
    palette: BTreeMap<String, Spanned<ColorText>>,
    styles: BTreeMap<String, RawStyle>,
    symbols: BTreeMap<String, RawSymbol>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawStyle {
    fg: Option<Spanned<ColorText>>,
    bg: Option<Spanned<ColorText>>,
    underline_color: Option<Spanned<ColorText>>,
    modifiers: Vec<Spanned<String>>,
    remove_modifiers: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSymbol {
    unicode: Spanned<String>,
    ascii: Spanned<String>,
}

/// A colour as written: a string, or a bare palette index like `bg = 234`.
#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "a colour: \"#rrggbb\", an ANSI name, \"reset\" or 0-255"
)]
enum ColorText {
    Text(String),
    Index(i64),
}

impl ColorText {
    fn text(&self) -> String {
        match self {
            ColorText::Text(s) => s.clone(),
            ColorText::Index(i) => i.to_string(),
        }
    }
}

// ---- loading ----

struct Source {
    name: String,
    path: PathBuf,
    text: String,
    builtin: bool,
}

struct Layer {
    src: Source,
    raw: RawTheme,
}

impl Layer {
    fn diag(&self, span: std::ops::Range<usize>, msg: impl Into<String>) -> Diagnostic {
        Diagnostic::at_offset(&self.src.path, &self.src.text, span.start, msg)
    }
}

struct Built {
    theme: Theme,
    leaf: PathBuf,
    defined_symbols: Vec<String>,
}

fn builtin_source(name: &str) -> Option<Source> {
    let (name, text) = BUILTINS.iter().find(|(n, _)| *n == name)?;
    Some(Source {
        name: name.to_string(),
        path: PathBuf::from(format!("builtin:themes/{name}.toml")),
        text: text.to_string(),
        builtin: true,
    })
}

/// Theme names become file names, so keep them to a safe alphabet.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

fn find_source(
    name: &str,
    user_dir: Option<&Path>,
    builtin_only: bool,
) -> Result<Option<Source>, Diagnostic> {
    if let Some(dir) = user_dir.filter(|_| !builtin_only) {
        let path = dir.join(format!("{name}.toml"));
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let (name, builtin) = (name.to_string(), false);
                return Ok(Some(Source {
                    name,
                    path,
                    text,
                    builtin,
                }));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                let msg = format!("cannot read theme: {e}");
                return Err(Diagnostic::new(&path, 1, 1, msg));
            }
        }
    }
    Ok(builtin_source(name))
}

/// The inheritance chain, root first. A user file inherits the built-in of its own name unless
/// it names a parent; built-ins only ever inherit built-ins.
fn chain(name: &str, user_dir: Option<&Path>) -> Result<Vec<Layer>, Diagnostic> {
    let mut layers: Vec<Layer> = Vec::new();
    let mut want = (name.to_string(), false);
    // The layer and span of the `inherits` that asked for `want`.
    let mut referer: Option<(usize, std::ops::Range<usize>)> = None;
    loop {
        let fail = |msg: String| match &referer {
            Some((i, span)) => layers[*i].diag(span.clone(), msg),
            None => {
                let file = user_dir.map_or_else(|| PathBuf::from(name), |d| d.join(name));
                Diagnostic::new(&file, 1, 1, msg)
            }
        };
        if !valid_name(&want.0) {
            return Err(fail(format!("invalid theme name `{}`", want.0)));
        }
        let Some(src) = find_source(&want.0, user_dir, want.1)? else {
            let known = builtin_names().join(", ");
            return Err(fail(format!(
                "unknown theme `{}` (built-in: {known})",
                want.0
            )));
        };
        if layers
            .iter()
            .any(|l| l.src.name == src.name && l.src.builtin == src.builtin)
        {
            let mut path: Vec<&str> = layers.iter().map(|l| l.src.name.as_str()).collect();
            path.push(&src.name);
            return Err(fail(format!(
                "theme inheritance cycle: {}",
                path.join(" -> ")
            )));
        }
        let raw: RawTheme = toml::from_str(&src.text)
            .map_err(|e| Diagnostic::from_toml(&src.path, &src.text, &e))?;
        let next = match &raw.inherits {
            Some(parent) => {
                referer = Some((layers.len(), parent.span()));
                let parent = parent.get_ref().clone();
                let builtin_only = src.builtin || parent == src.name;
                Some((parent, builtin_only))
            }
            None if !src.builtin && builtin_source(&src.name).is_some() => {
                referer = None;
                Some((src.name.clone(), true))
            }
            None => None,
        };
        layers.push(Layer { src, raw });
        match next {
            Some(n) => want = n,
            None => break,
        }
    }
    layers.reverse();
    Ok(layers)
}

fn parse_modifier(s: &str) -> Option<Modifier> {
    Some(match s.to_ascii_lowercase().replace('-', "_").as_str() {
        "bold" => Modifier::BOLD,
        "dim" => Modifier::DIM,
        "italic" => Modifier::ITALIC,
        "underline" | "underlined" => Modifier::UNDERLINED,
        "blink" | "slow_blink" => Modifier::SLOW_BLINK,
        "rapid_blink" => Modifier::RAPID_BLINK,
        "reverse" | "reversed" => Modifier::REVERSED,
        "hidden" => Modifier::HIDDEN,
        "crossed_out" | "strikethrough" => Modifier::CROSSED_OUT,
        _ => return None,
    })
}

fn build(
    name: &str,
    user_dir: Option<&Path>,
    depth: ColorDepth,
    ascii: bool,
    diags: &mut Vec<Diagnostic>,
) -> Option<Built> {
    let layers = chain(name, user_dir).map_err(|d| diags.push(d)).ok()?;

    let mut palette: HashMap<&str, Color> = HashMap::new();
    for layer in &layers {
        for (key, value) in &layer.raw.palette {
            match color::parse_color(&value.get_ref().text()) {
                Some(c) => drop(palette.insert(key, c)),
                None => diags.push(layer.diag(
                    value.span(),
                    format!(
                        "invalid colour `{}` for palette entry `{key}` (expected \"#rrggbb\", \
                         an ANSI name, \"reset\" or 0-255)",
                        value.get_ref().text()
                    ),
                )),
            }
        }
    }

    // A child's style entry replaces the parent's whole entry; palette changes still reach
    // the parent's entries because references resolve against the merged palette.
    let mut raw_styles: BTreeMap<&str, &Layer> = BTreeMap::new();
    for layer in &layers {
        for key in layer.raw.styles.keys() {
            raw_styles.insert(key, layer);
        }
    }
    let mut styles = HashMap::new();
    // The colours as written (before degrading), for keeping severities apart at 16 colours.
    let mut written: HashMap<&str, (Option<Color>, Option<Color>)> = HashMap::new();
    for (key, layer) in raw_styles {
        let raw = &layer.raw.styles[key];
        let mut style = Style::default();
        let mut colour = |value: &Option<Spanned<ColorText>>| {
            let value = value.as_ref()?;
            color::resolve(&value.get_ref().text(), &palette)
                .map(|c| color::degrade(c, depth))
                .map_err(|msg| diags.push(layer.diag(value.span(), msg)))
                .ok()
        };
        style.fg = colour(&raw.fg);
        style.bg = colour(&raw.bg);
        style.underline_color = colour(&raw.underline_color);
        // A 16-colour terminal has no underline colour (SGR 58 is an extension).
        if depth == ColorDepth::Ansi16 {
            style.underline_color = None;
        }
        let as_written = |v: &Option<Spanned<ColorText>>| {
            color::resolve(&v.as_ref()?.get_ref().text(), &palette).ok()
        };
        written.insert(key, (as_written(&raw.fg), as_written(&raw.bg)));
        for (list, add) in [(&raw.modifiers, true), (&raw.remove_modifiers, false)] {
            for m in list {
                match parse_modifier(m.get_ref()) {
                    Some(x) if add => style = style.add_modifier(x),
                    Some(x) => style = style.remove_modifier(x),
                    None => diags.push(layer.diag(
                        m.span(),
                        format!(
                            "unknown modifier `{}` (expected bold, dim, italic, underlined, \
                             reversed, crossed-out, hidden, slow-blink or rapid-blink)",
                            m.get_ref()
                        ),
                    )),
                }
            }
        }
        styles.insert(key.to_string(), style);
    }

    if depth == ColorDepth::Ansi16 {
        keep_apart_at_16(&mut styles, &written);
    }

    // Required symbols fall back to the defaults so a partial user theme still renders.
    let mut symbols: HashMap<String, (String, String)> = REQUIRED_SYMBOLS
        .iter()
        .chain(EXTRA_SYMBOLS)
        .map(|(k, u, a)| (k.to_string(), (u.to_string(), a.to_string())))
        .collect();
    let mut defined_symbols = Vec::new();
    for layer in &layers {
        for (key, sym) in &layer.raw.symbols {
            let (u, a) = (&sym.unicode, &sym.ascii);
            let bad = [
                (u, "control or invisible characters"),
                (a, "control or invisible characters"),
            ]
            .into_iter()
            .find(|(v, _)| crate::sanitize::line(v.get_ref()) != v.get_ref().as_str())
            .or(Some((a, "a non-ASCII `ascii` form")).filter(|_| !a.get_ref().is_ascii()));
            if let Some((value, what)) = bad {
                diags.push(layer.diag(value.span(), format!("symbol `{key}` has {what}")));
            } else {
                symbols.insert(key.clone(), (u.get_ref().clone(), a.get_ref().clone()));
                defined_symbols.push(key.clone());
            }
        }
    }

    let base = styles.get("text").copied().unwrap_or_default();
    let leaf = layers[layers.len() - 1].src.path.clone();
    let theme = Theme {
        name: name.to_string(),
        depth,
        ascii,
        screen_reader: false,
        base,
        styles,
        symbols,
    };
    Some(Built {
        theme,
        leaf,
        defined_symbols,
    })
}

/// At 16 colours: the severities' key colours (the badge background if the style has one,
/// else the foreground) all different, re-picking only colours that were approximated (RGB or
/// a 256-palette index; a named colour is the theme's own choice and stays); then no
/// foreground equal to the background it is drawn on.
fn keep_apart_at_16(
    styles: &mut HashMap<String, Style>,
    written: &HashMap<&str, (Option<Color>, Option<Color>)>,
) {
    let real = |c: Option<Color>| c.filter(|c| *c != Color::Reset);
    // (style key, true if the key colour is the background, the colour as written)
    let mut keys: Vec<(&str, bool, Color)> = Vec::new();
    for &key in SEVERITY_STYLES {
        let Some((fg, bg)) = written.get(key) else {
            continue;
        };
        if let Some(bg) = real(*bg) {
            keys.push((key, true, bg));
        } else if let Some(fg) = real(*fg) {
            keys.push((key, false, fg));
        }
    }
    let (fixed, approx): (Vec<_>, Vec<_>) =
        keys.into_iter().partition(|(_, _, c)| color::is_named(*c));
    let taken: Vec<Color> = fixed
        .iter()
        .map(|(_, _, c)| color::degrade(*c, ColorDepth::Ansi16))
        .collect();
    let wanted: Vec<(u8, u8, u8)> = approx
        .iter()
        .map(|(_, _, c)| color::to_rgb(*c).unwrap_or((0, 0, 0)))
        .collect();
    let picks = color::distinct_16(&wanted, &taken);
    for ((key, is_bg, _), pick) in approx.iter().zip(picks) {
        if let Some(st) = styles.get_mut(*key) {
            if *is_bg {
                st.bg = Some(pick);
            } else {
                st.fg = Some(pick);
            }
        }
    }
    // Text never in its own background's colour (the style's, else the base's).
    let base_bg = styles.get("text").and_then(|s| real(s.bg));
    let keys: Vec<String> = styles.keys().cloned().collect();
    for key in keys {
        let Some(orig) = written.get(key.as_str()).and_then(|w| real(w.0)) else {
            continue;
        };
        let st = styles.get_mut(&key).expect("listed");
        let bg = real(st.bg).or(base_bg);
        if st.fg.is_some() && st.fg == bg && !color::is_named(orig) {
            let rgb = color::to_rgb(orig).unwrap_or((0, 0, 0));
            st.fg = color::ranked_16(rgb).into_iter().find(|c| Some(*c) != bg);
        }
    }
}

#[cfg(test)]
mod tests;
