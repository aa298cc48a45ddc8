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
