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

/// Two styles a person can tell apart without reading the text: colours or attributes differ.
fn look(s: Style) -> (Option<Color>, Option<Color>, Modifier) {
    (s.fg, s.bg, s.add_modifier - s.sub_modifier)
}

#[test]
fn at_16_colours_every_style_is_a_named_colour_and_severities_stay_apart() {
    let dir = tempfile::tempdir().unwrap();
    // A user theme of pastel RGB severities that the plain nearest-colour pick collapses.
    write(
        dir.path(),
        "pastel",
        "inherits = \"default\"\n[styles]\n\
         \"severity.critical\" = { fg = \"#f0707a\" }\n\"severity.high\" = { fg = \"#f08070\" }\n\
         \"severity.medium\" = { fg = \"#e5a06a\" }\n\"severity.low\" = { fg = \"#ebcb8b\" }\n\
         \"severity.informational\" = { fg = \"#e0c090\" }\n",
    );
    let mut names: Vec<(&str, Option<&Path>)> =
        builtin_names().iter().map(|n| (*n, None)).collect();
    names.push(("pastel", Some(dir.path())));
    for (name, user) in names {
        let t = load(name, user, Ansi16, false).unwrap();
        for key in t.style_keys() {
            let s = t.style(key);
            for c in [s.fg, s.bg, s.underline_color].into_iter().flatten() {
                assert!(
                    !matches!(c, Color::Indexed(_) | Color::Rgb(..)),
                    "{name} {key}: {c:?} at 16 colours"
                );
            }
            assert_eq!(
                s.underline_color, None,
                "{name} {key}: no SGR 58 at 16 colours"
            );
        }
        for (i, a) in SEVERITY_STYLES.iter().enumerate() {
            for b in &SEVERITY_STYLES[i + 1..] {
                let (sa, sb) = (t.style(a), t.style(b));
                assert_ne!(look(sa), look(sb), "{name}: {a} and {b} look the same");
                if name != "mono" {
                    assert_ne!(
                        (sa.fg, sa.bg),
                        (sb.fg, sb.bg),
                        "{name}: {a} and {b} have the same colours at 16 colours"
                    );
                }
            }
        }
    }
    // The built-in default becomes ansi16 at 16 colours; a user's own default.toml does not.
    assert_eq!(load("default", None, Ansi16, false).unwrap().name, "ansi16");
    assert_eq!(
        load("default", None, Ansi256, false).unwrap().name,
        "default"
    );
    write(
        dir.path(),
        "default",
        "[styles]\n\"title\" = { fg = \"#ff0000\" }\n",
    );
    let mine = load("default", Some(dir.path()), Ansi16, false).unwrap();
    assert_eq!(mine.name, "default");
    assert_eq!(mine.style("title").fg, Some(Color::LightRed));
    assert_ne!(
        mine.style("severity.critical").fg,
        mine.style("severity.high").fg,
        "red and orange stay apart"
    );
}

#[test]
fn high_contrast_at_16_colours_keeps_its_hues() {
    let t = load("high-contrast", None, Ansi16, false).unwrap();
    let fg = |k: &str| t.style(k).fg.unwrap();
    assert_eq!(t.style("severity.critical").bg, Some(Color::LightRed));
    assert_eq!(fg("severity.critical"), Color::Black);
    assert_eq!(fg("severity.high"), Color::Yellow);
    assert_eq!(fg("severity.medium"), Color::LightYellow);
    assert_eq!(fg("severity.low"), Color::LightBlue);
    assert_eq!(t.base().bg, Some(Color::Black));
    assert_eq!(t.base().fg, Some(Color::White));
    // No text in the colour of its own background.
    for key in t.style_keys() {
        let s = t.style(key);
        assert!(s.fg != s.bg || s.fg.is_none(), "{key}: {s:?}");
    }
}

#[test]
fn mono_selection_differs_from_every_badge_and_status_style() {
    for depth in [Mono, Ansi16, TrueColor] {
        let t = load("mono", None, depth, false).unwrap();
        let sel = t.style("selection");
        assert!(
            sel.add_modifier
                .contains(Modifier::REVERSED | Modifier::BOLD),
            "{sel:?}"
        );
        let others = t
            .style_keys()
            .filter(|k| {
                [
                    "severity.",
                    "status",
                    "demo.",
                    "frozen.",
                    "workflow.",
                    "marked",
                    "dialog",
                ]
                .iter()
                .any(|p| k.starts_with(p))
            })
            .collect::<Vec<_>>();
        assert!(others.len() >= 15, "{others:?}");
        for key in others {
            let s = t.style(key);
            assert_ne!(look(s), look(sel), "{key} looks like the selection");
            // Reverse video is the selection's alone, so a selected row never reads as a
            // badge and a badge never reads as the selected row.
            assert!(
                !s.add_modifier.contains(Modifier::REVERSED),
                "{key} uses reverse video: {s:?}"
            );
        }
        // The status bar is set apart from rows without looking selected.
        assert!(
            t.style("statusbar")
                .add_modifier
                .contains(Modifier::UNDERLINED)
        );
        assert!(colours(&t).iter().all(|c| *c == Color::Reset));
    }
}

#[test]
fn screen_reader_mode_draws_no_boxes_or_blocks() {
    for name in builtin_names() {
        let t = load(name, None, TrueColor, false)
            .unwrap()
            .for_screen_reader(true);
        for (key, unicode, ascii) in REQUIRED_SYMBOLS.iter().chain(EXTRA_SYMBOLS) {
            let s = t.symbol(key);
            assert!(!s.chars().any(is_drawing), "{name} {key}: {s:?}");
            if unicode.chars().any(is_drawing) {
                assert_eq!(s, *ascii, "{name} {key}");
            } else {
                assert_eq!(s, *unicode, "{name} {key}: other markers keep their form");
            }
        }
        assert_eq!(t.symbol("separator"), "|");
        assert_eq!(t.symbol("bar.full"), "#");
        let plain = load(name, None, TrueColor, false).unwrap();
        assert_eq!(plain.symbol("separator"), "│");
    }
}

#[test]
fn ascii_mode_gives_ascii_for_every_symbol() {
    for name in builtin_names() {
        let t = load(name, None, TrueColor, true).unwrap();
        for (key, ..) in REQUIRED_SYMBOLS.iter().chain(EXTRA_SYMBOLS) {
            assert!(t.symbol(key).is_ascii(), "{name} {key}");
        }
        assert_eq!(t.symbol("ellipsis"), "...");
        assert_eq!(t.symbol("dot"), "-");
    }
}
