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

/// Style keys views rely on; every built-in defines them and `check_all` enforces them.
#[rustfmt::skip]
pub const REQUIRED_STYLES: &[&str] = &[
    "text", "text.muted", "text.emphasis", "title", "border", "border.focused", "header",
    "selection", "marked", "row.changed", "row.stale", "severity.critical", "severity.high",
    "severity.medium", "severity.low", "severity.informational", "workflow.new",
    "workflow.notified", "workflow.resolved", "workflow.suppressed", "status.ok",
    "status.throttled", "status.error", "status.stale", "statusbar", "statusbar.key",
    "demo.badge", "frozen.badge", "filter.input", "error", "dialog", "dialog.title", "help.key",
    "help.section", "chart.axis", "chart.series.0", "chart.series.1", "chart.series.2",
    "chart.series.3", "chart.series.4", "chart.series.5",
];

/// Required symbols as (key, unicode, ascii); also the fallback when a user theme omits one.
pub const REQUIRED_SYMBOLS: &[(&str, &str, &str)] = &[
    ("mark", "●", "*"),
    ("unmark", " ", " "),
    ("sort.asc", "▲", "^"),
    ("sort.desc", "▼", "v"),
    ("ellipsis", "…", "..."),
    ("ok", "✓", "+"),
    ("error", "✗", "x"),
    ("throttled", "⧗", "~"),
    ("stale", "◌", "?"),
    ("bar.full", "█", "#"),
    ("bar.empty", "░", "."),
    ("separator", "│", "|"),
];

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

    /// The marker for `key` in the form the terminal can show; `""` for unknown keys.
    pub fn symbol(&self, key: &str) -> &str {
        let forms = self.symbols.get(key);
        forms.map_or(
            "",
            |(unicode, ascii)| if self.ascii { ascii } else { unicode },
        )
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

/// Loads theme `name`: `<user_dir>/<name>.toml` if present (it extends the built-in of the
/// same name unless it says otherwise), else the built-in. At `Mono` depth the `mono` theme is
/// used whatever `name` says, so `NO_COLOR` always gets reverse/bold/underline styling.
pub fn load(
    name: &str,
    user_dir: Option<&Path>,
    depth: ColorDepth,
    ascii: bool,
) -> Result<Theme, Diagnostic> {
    let name = if depth == ColorDepth::Mono {
        "mono"
    } else {
        name
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

    // Required symbols fall back to the defaults so a partial user theme still renders.
    let mut symbols: HashMap<String, (String, String)> = REQUIRED_SYMBOLS
        .iter()
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

#[cfg(test)]
mod tests {
    use super::*;
    use ColorDepth::*;

    fn colours(t: &Theme) -> Vec<Color> {
        let styles = t.style_keys().map(|k| t.style(k));
        styles
            .flat_map(|s| [s.fg, s.bg, s.underline_color])
            .flatten()
            .collect()
    }

    /// The fg/bg pair a style actually shows: patched over `text`, REVERSED applied.
    fn shown(t: &Theme, key: &str) -> ((u8, u8, u8), (u8, u8, u8)) {
        let s = t.style(key);
        let rgb = |c: Option<Color>| color::to_rgb(c.unwrap()).unwrap();
        let (fg, bg) = (rgb(s.fg), rgb(s.bg));
        let rev = s.add_modifier.contains(Modifier::REVERSED);
        if rev { (bg, fg) } else { (fg, bg) }
    }

    fn ansi_only(cs: &[Color]) -> bool {
        cs.iter()
            .all(|c| *c == Color::Reset || color::ansi_index(*c).is_some())
    }

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(format!("{name}.toml")), text).unwrap();
    }

    #[test]
    fn builtins_at_every_depth() {
        assert!(check_all(None).is_empty(), "{:?}", check_all(None));
        for name in builtin_names() {
            for depth in [TrueColor, Ansi256, Ansi16, Mono] {
                for ascii in [false, true] {
                    let t = load(name, None, depth, ascii).unwrap();
                    let keys: Vec<&str> = t.style_keys().collect();
                    assert!(REQUIRED_STYLES.iter().all(|k| keys.contains(k)), "{name}");
                    // Built-in symbols equal the fallback table (check_all proves they are set).
                    for (key, u, a) in REQUIRED_SYMBOLS {
                        assert_eq!(t.symbol(key), if ascii { *a } else { *u }, "{name}: {key}");
                    }
                    let cs = colours(&t);
                    let no_rgb = !cs.iter().any(|c| matches!(c, Color::Rgb(..)));
                    match depth {
                        Mono => assert!(cs.iter().all(|c| *c == Color::Reset), "{name}"),
                        Ansi16 => assert!(ansi_only(&cs), "{name}: {cs:?}"),
                        Ansi256 => assert!(no_rgb, "{name}"),
                        TrueColor => {}
                    }
                }
            }
            Theme::fallback(Ansi16, true);
        }
        assert!(ansi_only(&colours(
            &load("ansi16", None, TrueColor, false).unwrap()
        )));
    }

    #[test]
    fn mono_depth_selects_the_mono_theme() {
        let t = load("high-contrast", None, Mono, false).unwrap();
        assert_eq!(t.name, "mono");
        let selection = t.style("selection").add_modifier;
        assert!(selection.contains(Modifier::REVERSED | Modifier::BOLD));
        let mono = load("mono", None, TrueColor, false).unwrap();
        assert!(colours(&mono).iter().all(|c| *c == Color::Reset));
    }

    #[test]
    fn high_contrast_is_aaa_and_default_is_readable() {
        for depth in [TrueColor, Ansi256] {
            let t = load("high-contrast", None, depth, false).unwrap();
            for key in t.style_keys() {
                let (fg, bg) = shown(&t, key);
                let ratio = color::contrast_ratio(fg, bg);
                assert!(ratio >= 7.0, "{depth:?} {key}: {ratio:.2}");
            }
        }
        let t = load("default", None, TrueColor, false).unwrap();
        let keys = ["text", "text.muted", "selection", "statusbar", "dialog"];
        for key in keys {
            let (fg, bg) = shown(&t, key);
            assert!(color::contrast_ratio(fg, bg) >= 4.5, "{key}");
        }
    }

    #[test]
    fn style_fallback_and_symbols() {
        let t = load("default", None, TrueColor, false).unwrap();
        let (base, crit) = (t.base(), t.style("severity.critical"));
        assert_eq!(base, t.style("text"));
        assert_eq!(crit.bg, base.bg, "unset bg inherits text");
        assert_eq!(t.style("severity.critical.extra.more"), crit);
        assert_eq!((t.style("no.such.key"), t.style("")), (base, base));
        assert_eq!(
            t.overlay("row.changed").fg,
            None,
            "overlay keeps the cell's fg"
        );
        assert_eq!(t.overlay("no.such.key"), Style::default());
        let a = load("default", None, TrueColor, true).unwrap();
        assert_eq!((t.symbol("mark"), a.symbol("mark")), ("●", "*"));
        assert_eq!((t.symbol("ellipsis"), a.symbol("ellipsis")), ("…", "..."));
        assert_eq!(a.symbol("no.such.symbol"), "");
    }

    #[test]
    fn user_files_override_and_extend() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let builtin = load("default", None, TrueColor, false).unwrap();
        // Same name as a built-in: extends it. ("red" would be the palette's red here.)
        write(
            d,
            "default",
            "[styles]\nselection = { fg = \"bright-red\", modifiers = [\"underlined\"] }\n",
        );
        let t = load("default", Some(d), TrueColor, false).unwrap();
        assert_eq!(t.style("selection").fg, Some(Color::LightRed));
        assert!(
            t.style("selection")
                .add_modifier
                .contains(Modifier::UNDERLINED)
        );
        assert_eq!(t.style("title"), builtin.style("title"));
        // A palette change reaches inherited styles; `default` here is the user's file.
        let mine = "inherits = \"default\"\n[palette]\naccent = \"#ff0000\"\n[styles]\n\
                    \"text.muted\" = { fg = 244, remove_modifiers = [\"bold\"] }\n\
                    [symbols]\nmark = { unicode = \"◆\", ascii = \"o\" }\n";
        write(d, "mine", mine);
        let t = load("mine", Some(d), TrueColor, true).unwrap();
        assert_eq!(t.style("title").fg, Some(Color::Rgb(255, 0, 0)));
        assert_eq!(t.style("text.muted").fg, Some(Color::Indexed(244)));
        assert_eq!(t.style("selection").fg, Some(Color::LightRed));
        assert_eq!((t.name.as_str(), t.symbol("mark")), ("mine", "o"));
        let t = load("mine", Some(d), Ansi16, false).unwrap();
        assert_eq!(
            (t.style("title").fg, t.symbol("mark")),
            (Some(Color::LightRed), "◆")
        );
        assert!(check_all(Some(d)).is_empty(), "{:?}", check_all(Some(d)));
    }

    #[test]
    fn errors_point_at_the_value() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let inh = "inherits = \"default\"\n";
        #[rustfmt::skip]
        let cases: &[(&str, String, &str)] = &[
            ("colour", format!("{inh}[palette]\naccent = \"#12345g\"\n"), "3:10: invalid colour `#12345g`"),
            ("ref", format!("{inh}[styles]\ntitle = {{ fg = \"acent\" }}\n"), "3:16: unknown palette name `acent`"),
            ("num", format!("{inh}[styles]\ntitle = {{ bg = 300 }}\n"), "3:16: invalid colour `300`"),
            ("modifier", format!("{inh}[styles]\ntitle = {{ modifiers = [\"bold\", \"blinky\"] }}\n"),
             "3:32: unknown modifier `blinky`"),
            ("syntax", format!("{inh}[styles\ntitle = {{}}\n"), "2:"),
            ("field", format!("{inh}[styles]\ntitle = {{ fg = \"red\", colour = \"red\" }}\n"),
             "3:23: unknown field `colour`"),
            ("orphan", "inherits = \"nope\"\n".into(), "1:12: unknown theme `nope`"),
            ("ctl", format!("{inh}[symbols]\nmark = {{ unicode = \"\\u001b[2J\", ascii = \"*\" }}\n"),
             "3:20: symbol `mark` has control"),
            ("a", "inherits = \"b\"\n".into(), "b.toml:2:12: theme inheritance cycle: a -> b -> a"),
        ];
        write(d, "b", "\ninherits = \"a\"\n");
        for (name, text, want) in cases {
            write(d, name, text);
            let e = load(name, Some(d), TrueColor, false)
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{name}: {e}");
            assert!(e.contains(".toml:"), "{e}");
        }
        assert!(load("../etc/passwd", Some(d), TrueColor, false).is_err());
        assert!(load("no-such-theme", None, TrueColor, false).is_err());
    }

    #[test]
    fn check_all_reports_every_file() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "partial", "[styles]\ntext = { fg = \"white\" }\n");
        write(
            d,
            "broken",
            "inherits = \"default\"\n[palette]\nx = \"#zz\"\n",
        );
        write(d, "fine", "inherits = \"high-contrast\"\n");
        let text: Vec<String> = check_all(Some(d)).iter().map(ToString::to_string).collect();
        let has = |s: &str| text.iter().any(|t| t.contains(s));
        assert!(has("broken.toml:3:5: invalid colour"), "{text:#?}");
        assert!(has(
            "partial.toml:1:1: theme `partial` does not define required style `selection`"
        ));
        assert!(
            has("required symbol `mark`") && !has("fine.toml"),
            "{text:#?}"
        );
        // A partial theme still loads: missing keys fall back to `text`, symbols to defaults.
        let t = load("partial", Some(d), TrueColor, false).unwrap();
        assert_eq!(
            (t.style("selection"), t.symbol("sort.asc")),
            (t.base(), "▲")
        );
    }
}
