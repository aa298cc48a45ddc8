use super::*;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

#[rustfmt::skip]
const HOSTILE: &[(&str, &str)] = &[
    ("\x1b]52;c;SGVsbG8=\x07title", "title"), ("\x1b[2J\x1b[31mred\x1b[0m", "red"),
    ("\x1bP1;2|payload\x1b\\ok", "ok"), ("\u{202E}evil\u{202C}", "evil"), ("\u{9b}31m", ""),
    ("a\u{0}b\u{7}c\u{7f}", "abc"), ("\u{301}", ""), ("\u{301}x", "x"), ("a\x07\u{301}b", "ab"),
    ("e\u{301}", "e\u{301}"),
    // Unterminated sequences at the end swallow the rest, as a terminal would.
    ("ok\x1b", "ok"), ("ok\x1b[", "ok"), ("ok\x1b[31;4", "ok"), ("ok\x1b]0;title", "ok"),
    ("ok\x1bPq#0;2;0;0;0", "ok"), ("ok\u{9d}8;;http://x", "ok"), ("ok\u{9b}", "ok"),
    ("\x1b]0;t\x1b[31mx", "x"), ("\u{9d}0;x\u{9c}ok", "ok"),
    ("\x1b_apc\x1b\\a\x1b^pm\x1b\\b\x1bXsos\x1b\\c", "abc"), ("\x1b(Bx\x1b7y\x1bcz\x1b#8w", "xyzw"),
    ("\x1b\x1b[1mz", "z"), ("\u{85}\u{8d}x", " x"),
    ("a\t\tb\r\nc\u{2028}d\u{85}e   f\u{a0}g", "a b c d e f g"),
    ("\u{200B}zero\u{2060}\u{FEFF}width\u{ad}", "zerowidth"), ("\u{2066}\u{200F}iso\u{2069}\u{61C}", "iso"),
    ("x\u{FE0F}\u{E0041}\u{E0100}", "x"), ("\u{1F3FB}skin", "skin"), ("\u{1161}a\u{1161}", "a\u{1161}"),
];

/// The sets the spec forbids in `line` output, written out independently of `is_dropped`.
#[rustfmt::skip]
fn forbidden(c: char) -> bool {
    matches!(c,
        '\0'..='\x1f' | '\x7f'..='\u{9f}' | '\u{ad}' | '\u{61c}' | '\u{200b}'..='\u{200f}'
        | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}'
        | '\u{fe00}'..='\u{fe0f}' | '\u{feff}' | '\u{e0000}'..='\u{e007f}' | '\u{e0100}'..='\u{e01ef}')
}

#[test]
fn hostile_strings() {
    for (input, want) in HOSTILE {
        assert_eq!(line(input), *want, "input {input:?}");
    }
}

#[test]
fn multiline_keeps_breaks_and_indentation() {
    assert_eq!(multiline("a\r\nb\rc\n\td"), "a\nb\nc\n    d");
    assert_eq!(multiline("x\u{2028}y\u{85}z"), "x\ny\nz");
    assert_eq!(
        multiline("{\n  \"k\": \x1b[31m1\x1b[0m\n}"),
        "{\n  \"k\": 1\n}"
    );
    assert_eq!(multiline("\n\u{301}a"), "\na");
    for (input, _) in HOSTILE {
        let m = multiline(input);
        assert!(!m.chars().any(|c| c != '\n' && forbidden(c)), "{m:?}");
        assert_eq!(multiline(&m), m);
    }
}

#[test]
fn clean_input_is_borrowed() {
    for s in ["plain ascii", "", "日本語 ok", "e\u{301}", "tab-free\nline"] {
        if !s.contains('\n') {
            assert!(matches!(line(s), Cow::Borrowed(b) if b == s), "{s:?}");
        }
        assert!(matches!(multiline(s), Cow::Borrowed(b) if b == s), "{s:?}");
    }
    // Stripping only a tail still borrows a prefix.
    assert!(matches!(line("abc\x1b[0m"), Cow::Borrowed("abc")));
    assert!(matches!(line("a  b"), Cow::Owned(_)));
}

#[test]
fn long_strings() {
    let big = format!(
        "{}\x1b]0;{}\x07end",
        "A".repeat(1 << 20),
        "x".repeat(1 << 16)
    );
    let l = line(&big);
    assert_eq!(l.len(), (1 << 20) + 3);
    let b = bounded(&big, 10);
    assert_eq!(b, "AAAAAAAAA…");
    assert_eq!(bounded("short", 10), "short");
    assert_eq!(bounded("exactly10!", 10), "exactly10!");
    assert_eq!(bounded("exactly11!!", 10), "exactly11…");
    assert_eq!(bounded("ab  cd", 4), "ab…");
    assert_eq!(bounded("anything", 0), "");
    assert_eq!(bounded("ee\u{301}\u{301}\u{301}x", 4), "e…");
    assert!(bounded(&"\x07".repeat(100), 3).is_empty());
    let unterminated = format!("ok\x1bP{}", "p".repeat(1 << 20));
    assert_eq!(line(&unterminated), "ok");
}

#[test]
fn widths() {
    assert_eq!(width("日本語"), 6);
    assert_eq!(width("👍"), 2);
    // ZWJ and VS16 are stripped, so widths do not depend on emoji-sequence support.
    assert_eq!(line("👩‍👩‍👧"), "👩👩👧");
    assert_eq!(width("👩‍👩‍👧"), 6);
    assert_eq!(width("❤\u{FE0F}"), 1);
    assert_eq!(width("e\u{301}"), 1);
    assert_eq!(width("\x1b[31mred\x1b[0m"), 3);
}

const NASTY: &[&str] = &[
    "",
    "x",
    "\u{301}x",
    "e\u{301}",
    "日本語",
    "日本語テキスト",
    "a日本",
    "👩‍👩‍👧",
    "\u{FE0F}",
    "👍🏽 ok",
    "🇩🇪🇫🇷",
    "\x1b[31mred\x1b[0m and more",
    "\u{202E}evil\u{202C}",
    "\u{1161}\u{1161}\u{1161}",
    "لا إله",
    "ꓸꓹꓼ",
    "ក្ក្ក",
    "ｶﾞｷﾞ",
    "tab\tsep\u{2028}x",
    "ab\u{0}cd\u{7f}",
    "\u{3000}wide space\u{3000}",
    "…",
    "Ａｂｃ１２３",
    "z\u{20DD}\u{20DD}",
];

#[test]
fn fit_is_always_exact_width() {
    let long = "日本".repeat(50) + &"e\u{301}".repeat(50);
    let many_marks = format!("a{}", "\u{301}".repeat(500));
    let mut inputs: Vec<String> = NASTY.iter().map(|s| s.to_string()).collect();
    inputs.extend([long, many_marks, "\u{1161}".repeat(500)]);
    for s in &inputs {
        for w in 0..=24 {
            for ell in ["…", "...", ""] {
                let f = fit_with(s, w, ell);
                assert_eq!(UnicodeWidthStr::width(f.as_str()), w, "{s:?} w={w} {f:?}");
                assert!(!f.chars().any(forbidden), "{f:?}");
            }
        }
    }
    assert_eq!(fit("hello world", 8), "hello w…");
    assert_eq!(fit("hello", 8), "hello   ");
    assert_eq!(fit("日本語", 4), "日… ");
    assert_eq!(fit("日本語", 5), "日本…");
    assert_eq!(fit("日本語", 6), "日本語");
    assert_eq!(fit("ab cd", 4), "ab… ");
    assert_eq!(fit("abc", 0), "");
    assert_eq!(fit_with("abcdef", 5, "..."), "ab...");
    assert_eq!(fit_with("abcdef", 2, "..."), "ab");
}

#[test]
fn idempotent() {
    let mut inputs: Vec<String> = HOSTILE.iter().map(|(s, _)| s.to_string()).collect();
    inputs.extend(NASTY.iter().map(|s| s.to_string()));
    // A small LCG over a pool of awkward characters.
    let pool: Vec<char> = "a \t\n\r\x1b[]P\\\x07;0m\u{9b}\u{9c}\u{9d}\u{301}\u{200d}\u{fe0f}日👩\u{202e}\u{85}\u{2028}e"
        .chars()
        .collect();
    let mut seed = 0x2545_f491_u64;
    for _ in 0..2000 {
        let len = (seed >> 33) as usize % 24;
        let s: String = (0..len)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                pool[(seed >> 33) as usize % pool.len()]
            })
            .collect();
        inputs.push(s);
    }
    for s in &inputs {
        let once = line(s);
        assert_eq!(line(&once), once, "{s:?}");
        let m = multiline(s);
        assert_eq!(multiline(&m), m, "{s:?}");
        assert!(!once.chars().any(forbidden), "{s:?} -> {once:?}");
        assert!(!once.contains("  "));
    }
}

#[test]
fn no_forbidden_code_points_survive() {
    let high = [0xfe00..0xff00u32, 0xe0000..0xe0200];
    for cp in (0..0x3000u32).chain(high.into_iter().flatten()) {
        let Some(c) = char::from_u32(cp) else {
            continue;
        };
        for s in [
            format!("{c}"),
            format!("x{c}y"),
            format!("{c}\u{301}"),
            format!("\x1b{c}z"),
        ] {
            let l = line(&s);
            assert!(!l.chars().any(forbidden), "U+{cp:04X}: {l:?}");
            let m = multiline(&s);
            assert!(
                !m.chars().any(|c| c != '\n' && forbidden(c)),
                "U+{cp:04X}: {m:?}"
            );
            assert_eq!(UnicodeWidthStr::width(fit(&s, 3).as_str()), 3, "U+{cp:04X}");
        }
    }
}

#[test]
fn fitted_cells_keep_columns_in_a_buffer() {
    let widths = [6usize, 4, 9, 3, 5];
    let rows: &[[&str; 5]] = &[
        [
            "日本語テキスト",
            "👩‍👩‍👧",
            "\x1b[31mred\x1b[0m",
            "e\u{301}e\u{301}xx",
            "ok",
        ],
        ["\u{301}x", "ｶﾞｷﾞｸﾞ", "لا إله إلا", "\u{FE0F}", "ꓸꓹꓼꓹꓼ"],
        ["a日本", "🇩🇪🇫🇷", "ក្ក្ក្ក", "\u{1161}a", "\t\t"],
    ];
    let total: usize = widths.iter().map(|w| w + 1).sum();
    let mut buf = Buffer::empty(Rect::new(0, 0, total as u16, rows.len() as u16));
    for (y, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row.iter().zip(widths).map(|(s, w)| fit(s, w)).collect();
        let spans: Vec<Span> = cells
            .iter()
            .flat_map(|c| [Span::raw(c.as_str()), Span::raw("|")])
            .collect();
        Line::from(spans).render(Rect::new(0, y as u16, total as u16, 1), &mut buf);
        let mut x = 0;
        for (cell, w) in cells.iter().zip(widths) {
            // The first visible grapheme sits at the cell's column, the separator right after.
            if let Some(g) = cell
                .graphemes(true)
                .find(|g| UnicodeWidthStr::width(*g) > 0)
            {
                assert_eq!(buf[(x as u16, y as u16)].symbol(), g, "row {y} {cell:?}");
            }
            assert_eq!(
                buf[((x + w) as u16, y as u16)].symbol(),
                "|",
                "row {y} {cell:?}"
            );
            x += w + 1;
        }
    }
}

#[test]
fn wrap_breaks_at_spaces_and_keeps_every_row_within_the_width() {
    assert_eq!(
        wrap("Removes every ingress rule of the group", 16),
        vec!["Removes every", "ingress rule of", "the group"]
    );
    assert_eq!(
        wrap("arn:aws:ec2:eu-west-1:1:sg-0", 10),
        vec!["arn:aws:ec", "2:eu-west-", "1:1:sg-0"]
    );
    assert_eq!(wrap("", 5), vec![""]);
    for s in [
        "日本語のテキストです とても 長い",
        "a\u{1b}[2Jb c\u{202e}d e f",
        &"x".repeat(50),
    ] {
        for row in wrap(s, 7) {
            assert!(UnicodeWidthStr::width(row.as_str()) <= 7, "{row:?}");
            assert!(!row.contains('\u{1b}') && !row.contains('\u{202e}'));
        }
    }
}

#[test]
fn middle_ellipsis_keeps_the_unique_tail() {
    assert_eq!(fit_middle("sg-00000000000000015d", 10, "…"), "sg-…00015d");
    assert_eq!(fit_middle("short", 10, "…"), "short     ");
    assert_eq!(fit_middle("sg-00000000000000015d", 10, "..."), "sg-...015d");
    for s in [
        "日本語のリソース名前です",
        "a\u{1b}[2Jbcdefghijklmnop",
        &"x".repeat(40),
    ] {
        for w in [4, 7, 12] {
            let out = fit_middle(s, w, "…");
            assert_eq!(UnicodeWidthStr::width(out.as_str()), w, "{out:?}");
            assert!(!out.contains('\u{1b}'));
        }
    }
}
