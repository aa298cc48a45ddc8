use super::*;

fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |k| {
        pairs
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    }
}

#[test]
fn setting_parses_and_deserialises() {
    assert_eq!("auto".parse(), Ok(ColorSetting::Auto));
    assert_eq!("TrueColor".parse(), Ok(ColorSetting::TrueColor));
    assert_eq!("256".parse(), Ok(ColorSetting::Ansi256));
    assert_eq!("16".parse(), Ok(ColorSetting::Ansi16));
    assert_eq!("mono".parse(), Ok(ColorSetting::Mono));
    assert!("88".parse::<ColorSetting>().is_err());
    #[derive(Deserialize)]
    struct C {
        color: ColorSetting,
    }
    let c: C = toml::from_str(r#"color = "256""#).unwrap();
    assert_eq!(c.color, ColorSetting::Ansi256);
    let c: C = toml::from_str("color = 16").unwrap();
    assert_eq!(c.color, ColorSetting::Ansi16);
    assert!(toml::from_str::<C>(r#"color = "rainbow""#).is_err());
    for s in ["auto", "truecolor", "256", "16", "mono"] {
        assert_eq!(s.parse::<ColorSetting>().unwrap().to_string(), s);
    }
}

#[test]
fn detection_order() {
    use ColorDepth::*;
    let truecolor = [("COLORTERM", "truecolor"), ("TERM", "xterm-256color")];
    assert_eq!(detect(ColorSetting::Auto, env(&truecolor)), TrueColor);
    assert_eq!(detect(ColorSetting::Ansi16, env(&truecolor)), Ansi16);
    assert_eq!(detect(ColorSetting::Mono, env(&truecolor)), Mono);
    let no_color = [("NO_COLOR", "1"), ("COLORTERM", "24bit")];
    assert_eq!(detect(ColorSetting::Auto, env(&no_color)), Mono);
    // An explicit setting beats NO_COLOR.
    assert_eq!(detect(ColorSetting::TrueColor, env(&no_color)), TrueColor);
    let empty_no_color = [("NO_COLOR", ""), ("COLORTERM", "24bit")];
    assert_eq!(detect(ColorSetting::Auto, env(&empty_no_color)), TrueColor);
    let t256 = [("TERM", "screen-256color")];
    assert_eq!(detect(ColorSetting::Auto, env(&t256)), Ansi256);
    assert_eq!(detect(ColorSetting::Auto, env(&[("TERM", "dumb")])), Mono);
    assert_eq!(
        detect(ColorSetting::Auto, env(&[("TERM", "xterm")])),
        Ansi16
    );
    assert_eq!(detect(ColorSetting::Auto, env(&[])), Ansi16);
    let direct = [("TERM", "xterm-direct")];
    assert_eq!(detect(ColorSetting::Auto, env(&direct)), TrueColor);
}

#[test]
fn palette_tables() {
    assert_eq!(xterm_rgb(16), (0, 0, 0));
    assert_eq!(xterm_rgb(21), (0, 0, 255));
    assert_eq!(xterm_rgb(196), (255, 0, 0));
    assert_eq!(xterm_rgb(231), (255, 255, 255));
    assert_eq!(xterm_rgb(232), (8, 8, 8));
    assert_eq!(xterm_rgb(255), (238, 238, 238));
    assert_eq!(to_rgb(Color::Reset), None);
    assert_eq!(to_rgb(Color::Gray), Some((229, 229, 229)));
    assert_eq!(to_rgb(Color::DarkGray), Some((127, 127, 127)));
    assert_eq!(to_rgb(Color::Indexed(9)), Some((255, 0, 0)));
    assert_eq!(to_rgb(Color::Rgb(1, 2, 3)), Some((1, 2, 3)));
}

#[test]
fn nearest_256_is_exact_on_palette_and_nearest_elsewhere() {
    for i in 16..=255u8 {
        let got = nearest_256(xterm_rgb(i));
        assert_eq!(xterm_rgb(got), xterm_rgb(i), "index {i}");
    }
    // Brute force over a coarse grid: the fast pick must be as near as the best entry.
    for r in (0..=255).step_by(17) {
        for g in (0..=255).step_by(51) {
            for b in (0..=255).step_by(15) {
                let c = (r as u8, g as u8, b as u8);
                let best = (16..=255u8).map(|i| dist2(c, xterm_rgb(i))).min().unwrap();
                let got = dist2(c, xterm_rgb(nearest_256(c)));
                // The per-channel cube pick is the classic approximation; allow a hair.
                assert!(got <= best + best / 4 + 48, "{c:?}: {got} vs {best}");
            }
        }
    }
    assert_eq!(nearest_256((0x1b, 0x1e, 0x24)), 234);
}

#[test]
fn degrade_by_depth() {
    use ColorDepth::*;
    let rgb = Color::Rgb(250, 10, 10);
    assert_eq!(degrade(rgb, TrueColor), rgb);
    assert_eq!(degrade(rgb, Ansi256), Color::Indexed(196));
    assert_eq!(degrade(rgb, Ansi16), Color::LightRed);
    assert_eq!(degrade(rgb, Mono), Color::Reset);
    assert_eq!(degrade(Color::Rgb(0x1b, 0x1e, 0x24), Ansi16), Color::Black);
    assert_eq!(degrade(Color::Rgb(0xd8, 0xde, 0xe9), Ansi16), Color::Gray);
    assert_eq!(degrade(Color::Indexed(3), Ansi16), Color::Yellow);
    assert_eq!(degrade(Color::Indexed(196), Ansi16), Color::LightRed);
    assert_eq!(degrade(Color::Indexed(196), Ansi256), Color::Indexed(196));
    assert_eq!(degrade(Color::Blue, Ansi16), Color::Blue);
    assert_eq!(degrade(Color::Blue, Mono), Color::Reset);
    assert_eq!(degrade(Color::Reset, Ansi16), Color::Reset);
    for i in 0..=255u8 {
        let d = degrade(Color::Indexed(i), Ansi16);
        assert!(ansi_index(d).is_some(), "{i} -> {d:?}");
    }
}

#[test]
fn wcag_contrast() {
    let black = (0, 0, 0);
    let white = (255, 255, 255);
    assert!((contrast_ratio(black, white) - 21.0).abs() < 1e-9);
    assert!((contrast_ratio(white, black) - 21.0).abs() < 1e-9);
    assert!((contrast_ratio(white, white) - 1.0).abs() < 1e-9);
    // Published reference values: #777 on white ≈ 4.48, pure red on white ≈ 4.0.
    assert!((contrast_ratio((0x77, 0x77, 0x77), white) - 4.48).abs() < 0.01);
    assert!((contrast_ratio((255, 0, 0), white) - 4.0).abs() < 0.01);
}

#[test]
fn colour_literals() {
    assert_eq!(parse_color("#1b1e24"), Some(Color::Rgb(0x1b, 0x1e, 0x24)));
    assert_eq!(parse_color("#FFF"), Some(Color::Rgb(255, 255, 255)));
    assert_eq!(parse_color("red"), Some(Color::Red));
    assert_eq!(parse_color("bright-black"), Some(Color::DarkGray));
    assert_eq!(parse_color("bright_white"), Some(Color::White));
    assert_eq!(parse_color("white"), Some(Color::Gray));
    assert_eq!(parse_color("light-red"), Some(Color::LightRed));
    assert_eq!(parse_color("dark-gray"), Some(Color::DarkGray));
    assert_eq!(parse_color("reset"), Some(Color::Reset));
    assert_eq!(parse_color("42"), Some(Color::Indexed(42)));
    for bad in [
        "#12345",
        "#gggggg",
        "256",
        "",
        "bright-reset",
        "purple",
        "#1b1e24x",
    ] {
        assert_eq!(parse_color(bad), None, "{bad}");
    }
}

#[test]
fn sixteen_colours_go_by_hue_and_brightness() {
    let n = |hex: &str| nearest_16(to_rgb(parse_color(hex).unwrap()).unwrap());
    // Pastels keep their hue (plain RGB distance to xterm's palette made all of these grey).
    assert_eq!(n("#f0707a"), Color::LightRed);
    assert_eq!(n("#ebcb8b"), Color::Yellow);
    assert_eq!(n("#88c0d0"), Color::Cyan);
    assert_eq!(n("#b48ead"), Color::Magenta);
    // Greys by lightness; muted text is bright black.
    assert_eq!(n("#8b95a7"), Color::DarkGray);
    assert_eq!(n("#d8dee9"), Color::Gray);
    assert_eq!(n("#ffffff"), Color::White);
    assert_eq!(n("#000000"), Color::Black);
    // The xterm palette maps to itself where it is a reasonable colour.
    for i in [0u8, 1, 2, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15] {
        assert_eq!(nearest_16(xterm_rgb(i)), ANSI16[i as usize], "index {i}");
    }
    // Ranked lists hold each colour once.
    let r = ranked_16((10, 200, 30));
    assert_eq!(r[0], Color::Green);
    let mut seen = r.to_vec();
    seen.dedup();
    assert_eq!(seen.len(), 16);
}

#[test]
fn distinct_16_keeps_colours_apart_at_least_cost() {
    let red = (0xf0, 0x70, 0x7a);
    let orange = (0xe5, 0xa0, 0x6a);
    let yellow = (0xeb, 0xcb, 0x8b);
    // Nearest picks collide (orange and yellow are both "yellow")...
    assert_eq!(nearest_16(orange), nearest_16(yellow));
    let got = distinct_16(&[red, orange, yellow], &[]);
    let mut d = got.clone();
    d.sort_by_key(|c| ansi_index(*c));
    d.dedup();
    assert_eq!(d.len(), 3, "{got:?}");
    assert_eq!(got[0], Color::LightRed, "the best pick stays when it can");
    // ...and a taken colour is avoided.
    let got = distinct_16(&[red], &[Color::LightRed]);
    assert_ne!(got[0], Color::LightRed);
    assert_eq!(distinct_16(&[], &[]), vec![]);
}
