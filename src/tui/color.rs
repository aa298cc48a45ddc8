//! Colour depth detection, degradation of theme colours, and contrast maths.
//!
//! We decide the depth ourselves (including `NO_COLOR`) and degrade every theme colour on load,
//! so the renderer never emits a sequence the terminal cannot show.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use ratatui::style::Color;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// What the terminal can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColorDepth {
    TrueColor,
    Ansi256,
    Ansi16,
    Mono,
}

/// The `color = …` setting; `Auto` means "look at the environment".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ColorSetting {
    #[default]
    Auto,
    TrueColor,
    Ansi256,
    Ansi16,
    Mono,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseColorSettingError(pub String);

impl fmt::Display for ParseColorSettingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid colour setting `{}` (expected auto, truecolor, 256, 16 or mono)",
            self.0
        )
    }
}

impl std::error::Error for ParseColorSettingError {}

impl FromStr for ColorSetting {
    type Err = ParseColorSettingError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(ColorSetting::Auto),
            "truecolor" | "24bit" | "24-bit" => Ok(ColorSetting::TrueColor),
            "256" | "ansi256" => Ok(ColorSetting::Ansi256),
            "16" | "ansi16" | "ansi" => Ok(ColorSetting::Ansi16),
            "mono" | "none" | "no" | "off" => Ok(ColorSetting::Mono),
            _ => Err(ParseColorSettingError(s.to_string())),
        }
    }
}

impl fmt::Display for ColorSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ColorSetting::Auto => "auto",
            ColorSetting::TrueColor => "truecolor",
            ColorSetting::Ansi256 => "256",
            ColorSetting::Ansi16 => "16",
            ColorSetting::Mono => "mono",
        })
    }
}

// Accepts strings and bare integers, since `color = 256` is an easy thing to write in TOML.
impl<'de> Deserialize<'de> for ColorSetting {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ColorSetting;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(r#""auto", "truecolor", "256", "16" or "mono""#)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ColorSetting, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ColorSetting, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ColorSetting, E> {
                self.visit_str(&v.to_string())
            }
        }
        d.deserialize_any(V)
    }
}

/// Picks the depth: an explicit setting wins, then `NO_COLOR`, `COLORTERM`, `TERM`.
/// `env` is injected so tests (and callers with a captured environment) need no globals.
pub fn detect(setting: ColorSetting, env: impl Fn(&str) -> Option<String>) -> ColorDepth {
    match setting {
        ColorSetting::TrueColor => return ColorDepth::TrueColor,
        ColorSetting::Ansi256 => return ColorDepth::Ansi256,
        ColorSetting::Ansi16 => return ColorDepth::Ansi16,
        ColorSetting::Mono => return ColorDepth::Mono,
        ColorSetting::Auto => {}
    }
    if env("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        return ColorDepth::Mono;
    }
    let colorterm = env("COLORTERM").unwrap_or_default().to_ascii_lowercase();
    if colorterm == "truecolor" || colorterm == "24bit" {
        return ColorDepth::TrueColor;
    }
    let term = env("TERM").unwrap_or_default().to_ascii_lowercase();
    if term.ends_with("-direct") {
        return ColorDepth::TrueColor;
    }
    if term.contains("256color") {
        return ColorDepth::Ansi256;
    }
    if term == "dumb" {
        return ColorDepth::Mono;
    }
    ColorDepth::Ansi16
}

/// xterm's default RGB for the 16 ANSI colours, in index order.
const ANSI16_RGB: [(u8, u8, u8); 16] = [
    (0, 0, 0),
    (205, 0, 0),
    (0, 205, 0),
    (205, 205, 0),
    (0, 0, 238),
    (205, 0, 205),
    (0, 205, 205),
    (229, 229, 229),
    (127, 127, 127),
    (255, 0, 0),
    (0, 255, 0),
    (255, 255, 0),
    (92, 92, 255),
    (255, 0, 255),
    (0, 255, 255),
    (255, 255, 255),
];

const ANSI16: [Color; 16] = [
    Color::Black,
    Color::Red,
    Color::Green,
    Color::Yellow,
    Color::Blue,
    Color::Magenta,
    Color::Cyan,
    Color::Gray,
    Color::DarkGray,
    Color::LightRed,
    Color::LightGreen,
    Color::LightYellow,
    Color::LightBlue,
    Color::LightMagenta,
    Color::LightCyan,
    Color::White,
];

const CUBE_LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];

/// Index 0–15 of a named ANSI colour.
pub fn ansi_index(c: Color) -> Option<u8> {
    ANSI16.iter().position(|&n| n == c).map(|i| i as u8)
}

/// RGB of an xterm-256 palette entry.
pub fn xterm_rgb(i: u8) -> (u8, u8, u8) {
    match i {
        0..=15 => ANSI16_RGB[i as usize],
        16..=231 => {
            let i = i - 16;
            (
                CUBE_LEVELS[(i / 36) as usize],
                CUBE_LEVELS[(i / 6 % 6) as usize],
                CUBE_LEVELS[(i % 6) as usize],
            )
        }
        _ => {
            let v = 8 + 10 * (i - 232);
            (v, v, v)
        }
    }
}

/// RGB a colour shows as on an xterm with default palette; `None` for `Reset`.
pub fn to_rgb(c: Color) -> Option<(u8, u8, u8)> {
    match c {
        Color::Reset => None,
        Color::Rgb(r, g, b) => Some((r, g, b)),
        Color::Indexed(i) => Some(xterm_rgb(i)),
        named => ansi_index(named).map(xterm_rgb),
    }
}

fn dist2(a: (u8, u8, u8), b: (u8, u8, u8)) -> u32 {
    let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).pow(2) as u32;
    d(a.0, b.0) + d(a.1, b.1) + d(a.2, b.2)
}

/// Nearest entry in 16–255 (the system 16 are left out: users redefine them).
pub fn nearest_256(rgb: (u8, u8, u8)) -> u8 {
    let level = |v: u8| -> u8 {
        match v {
            0..48 => 0,
            48..115 => 1,
            _ => (v - 35) / 40,
        }
    };
    let (r, g, b) = (level(rgb.0), level(rgb.1), level(rgb.2));
    let cube = 16 + 36 * r + 6 * g + b;
    let avg = ((u16::from(rgb.0) + u16::from(rgb.1) + u16::from(rgb.2)) / 3) as u8;
    let grey = 232
        + if avg > 238 {
            23
        } else {
            avg.saturating_sub(3) / 10
        };
    if dist2(rgb, xterm_rgb(grey)) < dist2(rgb, xterm_rgb(cube)) {
        grey
    } else {
        cube
    }
}

/// What each named colour stands for on a 16-colour terminal whose palette we do not know:
/// a hue family (`None` for the greys) and a nominal brightness (HSV value for the hues, HSL
/// lightness for the greys). Palettes differ a lot (xterm, VGA, Solarized, Tango…), but red
/// stays reddish and "bright" stays brighter in all of them, which plain RGB distance to
/// xterm's defaults does not respect (it maps most pastels to grey).
const NOMINAL_16: [(Option<f64>, f64); 16] = [
    (None, 0.0),
    (Some(0.0), 0.8),
    (Some(120.0), 0.8),
    // Dark yellow is brown or orange in many palettes: it stands for orange too.
    (Some(40.0), 0.8),
    (Some(225.0), 0.8),
    (Some(300.0), 0.8),
    (Some(185.0), 0.8),
    (None, 0.8),
    (None, 0.5),
    (Some(0.0), 0.97),
    (Some(120.0), 0.97),
    (Some(60.0), 0.97),
    (Some(225.0), 0.97),
    (Some(300.0), 0.97),
    (Some(185.0), 0.97),
    (None, 1.0),
];

/// How badly named colour `i` (0–15) stands in for `rgb` on a 16-colour terminal: lower is
/// better. Hue matters most for colourful inputs, lightness for greyish ones.
pub fn cost_16(rgb: (u8, u8, u8), i: usize) -> f64 {
    let (r, g, b) = (
        f64::from(rgb.0) / 255.0,
        f64::from(rgb.1) / 255.0,
        f64::from(rgb.2) / 255.0,
    );
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let chroma = max - min;
    let (hue, nominal) = NOMINAL_16[i];
    match hue {
        None => ((max + min) / 2.0 - nominal).abs() + 3.0 * chroma,
        Some(h0) => {
            let h = if chroma == 0.0 {
                0.0
            } else if max == r {
                60.0 * ((g - b) / chroma).rem_euclid(6.0)
            } else if max == g {
                60.0 * ((b - r) / chroma + 2.0)
            } else {
                60.0 * ((r - g) / chroma + 4.0)
            };
            let dh = (h - h0).abs() % 360.0;
            let dh = dh.min(360.0 - dh);
            1.5 * (max - nominal).abs() + 1.2 * dh / 60.0 + 4.0 * (0.2 - chroma).max(0.0)
        }
    }
}

/// The named colours ranked for `rgb`, best first.
pub fn ranked_16(rgb: (u8, u8, u8)) -> [Color; 16] {
    let mut idx: [usize; 16] = std::array::from_fn(|i| i);
    idx.sort_by(|&a, &b| cost_16(rgb, a).total_cmp(&cost_16(rgb, b)));
    idx.map(|i| ANSI16[i])
}

/// The named ANSI colour that best stands for `rgb` on a 16-colour terminal (by hue family
/// and brightness, see [`cost_16`]), never `Indexed`.
pub fn nearest_16(rgb: (u8, u8, u8)) -> Color {
    ranked_16(rgb)[0]
}

/// Named colours for `wanted`, all different from each other and from `taken`, with the least
/// total [`cost_16`]: what keeps colours that must be told apart (the severities) apart at 16
/// colours. Exact (a small branch and bound; `wanted` is a handful of colours). Falls back to
/// the plain nearest colour for entries beyond what 16 colours can keep apart.
pub fn distinct_16(wanted: &[(u8, u8, u8)], taken: &[Color]) -> Vec<Color> {
    let free: Vec<usize> = (0..16).filter(|i| !taken.contains(&ANSI16[*i])).collect();
    if wanted.len() > free.len() {
        return wanted.iter().map(|c| nearest_16(*c)).collect();
    }
    let costs: Vec<Vec<f64>> = wanted
        .iter()
        .map(|c| (0..16).map(|i| cost_16(*c, i)).collect())
        .collect();
    struct Search<'a> {
        costs: &'a [Vec<f64>],
        free: &'a [usize],
        used: [bool; 16],
        pick: Vec<usize>,
        best: (f64, Vec<usize>),
    }
    fn go(s: &mut Search<'_>, k: usize, sum: f64) {
        if sum >= s.best.0 {
            return;
        }
        if k == s.costs.len() {
            s.best = (sum, s.pick.clone());
            return;
        }
        for &i in s.free {
            if !s.used[i] {
                s.used[i] = true;
                s.pick.push(i);
                go(s, k + 1, sum + s.costs[k][i]);
                s.pick.pop();
                s.used[i] = false;
            }
        }
    }
    let mut s = Search {
        costs: &costs,
        free: &free,
        used: [false; 16],
        pick: Vec::new(),
        best: (f64::INFINITY, Vec::new()),
    };
    go(&mut s, 0, 0.0);
    s.best.1.into_iter().map(|i| ANSI16[i]).collect()
}

/// Maps a colour to one the depth can show; `Reset` passes through. At 16 colours the result
/// is always a named colour (SGR 30–37/90–97), never `Indexed`.
pub fn degrade(c: Color, depth: ColorDepth) -> Color {
    match (depth, c) {
        (ColorDepth::Mono, _) => Color::Reset,
        (_, Color::Reset) | (ColorDepth::TrueColor, _) => c,
        (ColorDepth::Ansi256, Color::Rgb(r, g, b)) => Color::Indexed(nearest_256((r, g, b))),
        (ColorDepth::Ansi256, _) => c,
        (ColorDepth::Ansi16, Color::Indexed(i)) if i < 16 => ANSI16[i as usize],
        (ColorDepth::Ansi16, Color::Indexed(_) | Color::Rgb(..)) => {
            to_rgb(c).map_or(Color::Reset, nearest_16)
        }
        (ColorDepth::Ansi16, _) => c,
    }
}

/// True for a colour a 16-colour terminal shows exactly as the theme meant it (a named colour
/// or a palette index below 16): one to keep rather than re-pick.
pub fn is_named(c: Color) -> bool {
    ansi_index(c).is_some() || matches!(c, Color::Indexed(i) if i < 16)
}

fn linear(c: u8) -> f64 {
    let c = f64::from(c) / 255.0;
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// WCAG 2.x relative luminance.
pub fn luminance(c: (u8, u8, u8)) -> f64 {
    0.2126 * linear(c.0) + 0.7152 * linear(c.1) + 0.0722 * linear(c.2)
}

/// WCAG 2.x contrast ratio, 1.0 ..= 21.0, symmetric.
pub fn contrast_ratio(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    let (hi, lo) = if la >= lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

/// Parses a theme colour literal: `#rrggbb`, `#rgb`, an ANSI name (`red`, `bright-black`,
/// also ratatui's `dark-gray`/`light-red` spellings), `reset`, or an index `0`–`255`.
pub fn parse_color(s: &str) -> Option<Color> {
    let s = s.trim();
    if let Some(hex) = s.strip_prefix('#') {
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let v = |i: usize, n: usize| u8::from_str_radix(&hex[i..i + n], 16).ok();
        return match hex.len() {
            6 => Some(Color::Rgb(v(0, 2)?, v(2, 2)?, v(4, 2)?)),
            3 => Some(Color::Rgb(v(0, 1)? * 17, v(1, 1)? * 17, v(2, 1)? * 17)),
            _ => None,
        };
    }
    if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() {
        return s.parse::<u8>().ok().map(Color::Indexed);
    }
    let name = s.to_ascii_lowercase().replace(['_', ' '], "-");
    let (bright, base) = match name
        .strip_prefix("bright-")
        .or_else(|| name.strip_prefix("light-"))
    {
        Some(rest) => (true, rest),
        None => (false, name.as_str()),
    };
    let i = match base {
        "reset" | "default" if !bright => return Some(Color::Reset),
        "black" => 0,
        "red" => 1,
        "green" => 2,
        "yellow" => 3,
        "blue" => 4,
        "magenta" => 5,
        "cyan" => 6,
        "white" => 7,
        "gray" | "grey" if !bright => 7,
        "dark-gray" | "dark-grey" if !bright => return Some(Color::DarkGray),
        _ => return None,
    };
    Some(ANSI16[i + if bright { 8 } else { 0 }])
}

/// A style's colour: a palette name first (so a palette may redefine `red`), then a literal.
pub fn resolve(text: &str, palette: &HashMap<&str, Color>) -> Result<Color, String> {
    if let Some(c) = palette.get(text) {
        return Ok(*c);
    }
    if let Some(c) = parse_color(text) {
        return Ok(c);
    }
    if text.starts_with('#') || text.bytes().all(|b| b.is_ascii_digit()) {
        Err(format!(
            "invalid colour `{text}` (expected \"#rrggbb\", an ANSI name, \"reset\" or 0-255)"
        ))
    } else {
        Err(format!("unknown palette name `{text}`"))
    }
}

#[cfg(test)]
mod tests;
