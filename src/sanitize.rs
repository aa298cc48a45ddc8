//! External text → terminal-safe text: the one place every view goes through.
//!
//! Strings from cloud APIs, files and webhooks may carry escape sequences (OSC 52 clipboard
//! writes, screen clears), bidi overrides that disguise text, and invisible characters that
//! terminals disagree about and that break column alignment. Everything here is pure and
//! returns `Cow::Borrowed` when the input is already clean.

use std::borrow::Cow;

use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

/// Single-line display form: controls and escape sequences removed, whitespace collapsed.
pub fn line(s: &str) -> Cow<'_, str> {
    clean(s, Mode::Line, usize::MAX).0
}

/// Like [`line`] but keeps line breaks (CRLF/CR → `\n`) and expands tabs to 4 spaces.
/// Spaces are not collapsed here, so indentation of raw JSON survives.
pub fn multiline(s: &str) -> Cow<'_, str> {
    clean(s, Mode::Multi, usize::MAX).0
}

/// [`line`], then at most `max_chars` characters (ending in `…` when cut). Stops scanning the
/// input early, so huge strings cost only what is kept.
pub fn bounded(s: &str, max_chars: usize) -> Cow<'_, str> {
    let (text, truncated) = clean(s, Mode::Line, max_chars);
    if !truncated {
        return text;
    }
    if max_chars == 0 {
        return Cow::Borrowed("");
    }
    // Cut at the last grapheme boundary that leaves room for the ellipsis.
    let limit = max_chars - 1;
    let mut cut = 0;
    let mut chars = 0;
    for (i, g) in text.grapheme_indices(true) {
        chars += g.chars().count();
        if chars > limit {
            break;
        }
        cut = i + g.len();
    }
    let mut out = text[..cut].trim_end_matches(' ').to_string();
    out.push('…');
    Cow::Owned(out)
}

/// Display width in terminal columns of the sanitised text.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(&*line(s))
}

/// A table cell of exactly `width` columns: sanitised, cut by display width with a trailing `…`,
/// padded with spaces. `UnicodeWidthStr::width(&fit(s, w)) == w` for every input.
pub fn fit(s: &str, width: usize) -> String {
    fit_with(s, width, "…")
}

/// [`fit`] with a caller-chosen ellipsis (e.g. the theme's ASCII `...`). An ellipsis wider
/// than `width` is left out.
pub fn fit_with(s: &str, width: usize, ellipsis: &str) -> String {
    let ell = line(ellipsis);
    let ell_w = UnicodeWidthStr::width(&*ell);
    let (ell, ell_w) = if ell_w <= width {
        (&*ell, ell_w)
    } else {
        ("", 0)
    };
    // Every kept grapheme but zero-width ones takes a column, so this bounds the work.
    let cap = width.saturating_mul(4).saturating_add(16);
    let (text, truncated) = clean(s, Mode::Line, cap);
    let mut out = String::with_capacity(width + 4);
    if text.is_ascii() {
        if !truncated && text.len() <= width {
            out.push_str(&text);
        } else {
            out.push_str(text[..width - ell_w].trim_end_matches(' '));
            out.push_str(ell);
        }
    } else {
        let graphemes: Vec<(&str, usize)> = text
            .graphemes(true)
            .map(|g| (g, UnicodeWidthStr::width(g)))
            .collect();
        let total: usize = graphemes.iter().map(|g| g.1).sum();
        let cut = truncated || total > width;
        let limit = if cut { width - ell_w } else { width };
        let mut acc = 0;
        let mut end = 0;
        for &(g, w) in &graphemes {
            if acc + w > limit {
                break;
            }
            acc += w;
            end += g.len();
        }
        let mut content = &text[..end];
        let rebuilt;
        // unicode-width joins a few cross-grapheme ligatures (Arabic lam-alef, Lisu tones, Khmer
        // coeng) that ratatui lays out grapheme by grapheme; drop the joining grapheme so both agree.
        if UnicodeWidthStr::width(content) != acc {
            rebuilt = without_ligatures(&graphemes, limit);
            content = &rebuilt;
        }
        if cut {
            out.push_str(content.trim_end_matches(' '));
            out.push_str(ell);
        } else {
            out.push_str(content);
        }
    }
    let w = UnicodeWidthStr::width(out.as_str());
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(w)));
    debug_assert_eq!(UnicodeWidthStr::width(out.as_str()), width, "{out:?}");
    out
}

fn without_ligatures(graphemes: &[(&str, usize)], limit: usize) -> String {
    let mut out = String::new();
    let mut acc = 0;
    for &(g, w) in graphemes {
        if acc + w > limit {
            break;
        }
        let before = out.len();
        out.push_str(g);
        if UnicodeWidthStr::width(out.as_str()) == acc + w {
            acc += w;
        } else {
            out.truncate(before);
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Line,
    Multi,
}

/// Output that stays a borrow of the input for as long as it is a prefix of it.
struct Out<'a> {
    src: &'a str,
    buf: Option<String>,
    /// While `buf` is `None`, the output is `src[..end]`.
    end: usize,
    chars: usize,
}

impl<'a> Out<'a> {
    fn keep(&mut self, at: usize, c: char) {
        match &mut self.buf {
            None if at == self.end => self.end += c.len_utf8(),
            _ => self.owned().push(c),
        }
        self.chars += 1;
    }

    fn push(&mut self, c: char) {
        self.owned().push(c);
        self.chars += 1;
    }

    fn owned(&mut self) -> &mut String {
        let (src, end) = (self.src, self.end);
        self.buf.get_or_insert_with(|| {
            let mut b = String::with_capacity(src.len());
            b.push_str(&src[..end]);
            b
        })
    }

    fn finish(self) -> Cow<'a, str> {
        match self.buf {
            None => Cow::Borrowed(&self.src[..self.end]),
            Some(b) => Cow::Owned(b),
        }
    }
}

type Cursor<'a> = std::iter::Peekable<std::str::CharIndices<'a>>;

/// Sanitises `s`, emitting at most `max_chars` characters; the flag says whether more would
/// have followed.
fn clean(s: &str, mode: Mode, max_chars: usize) -> (Cow<'_, str>, bool) {
    let plain =
        s.bytes().all(|b| (0x20..0x7f).contains(&b)) && (mode == Mode::Multi || !s.contains("  "));
    if plain {
        return if s.len() <= max_chars {
            (Cow::Borrowed(s), false)
        } else {
            (Cow::Borrowed(&s[..max_chars]), true)
        };
    }
    let mut out = Out {
        src: s,
        buf: None,
        end: 0,
        chars: 0,
    };
    let mut it: Cursor<'_> = s.char_indices().peekable();
    // True at the start and after whitespace or stripped text: a combining mark here has no
    // base of its own and would attach to whatever the terminal drew before it.
    let mut need_base = true;
    let mut after_space = false;
    let mut truncated = false;
    while let Some((at, c)) = it.next() {
        if out.chars >= max_chars && !is_dropped(c) {
            truncated = true;
            break;
        }
        match c {
            '\x1b' => {
                skip_after_esc(&mut it);
                need_base = true;
            }
            '\u{9b}' => {
                skip_csi(&mut it);
                need_base = true;
            }
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => {
                if skip_string(&mut it, c == '\u{9d}') {
                    skip_after_esc(&mut it);
                }
                need_base = true;
            }
            _ if c.is_whitespace() || c == '\x0b' || c == '\x0c' => {
                need_base = true;
                match mode {
                    Mode::Line => {
                        if !after_space {
                            if c == ' ' {
                                out.keep(at, c)
                            } else {
                                out.push(' ')
                            }
                        }
                        after_space = true;
                    }
                    Mode::Multi => match c {
                        ' ' | '\n' => out.keep(at, c),
                        '\r' if it.peek().is_some_and(|&(_, n)| n == '\n') => {}
                        '\t' => (0..4).for_each(|_| out.push(' ')),
                        '\r' | '\x0b' | '\x0c' | '\u{85}' | '\u{2028}' | '\u{2029}' => {
                            out.push('\n')
                        }
                        _ => out.push(' '),
                    },
                }
            }
            _ if is_dropped(c) => need_base = true,
            _ if need_base && extends_previous(c) => {}
            _ => {
                out.keep(at, c);
                need_base = false;
                after_space = false;
            }
        }
    }
    (out.finish(), truncated)
}

/// Characters removed outright (escape introducers are handled before this is asked).
fn is_dropped(c: char) -> bool {
    matches!(c,
        '\0'..='\x08' | '\x0e'..='\x1f' | '\x7f' | '\u{80}'..='\u{84}' | '\u{86}'..='\u{9f}'
        // soft hyphen; Arabic/Syriac prepended format marks and the Arabic letter mark
        | '\u{ad}' | '\u{600}'..='\u{605}' | '\u{61c}' | '\u{6dd}' | '\u{70f}'
        | '\u{890}'..='\u{891}' | '\u{8e2}'
        // Hangul fillers and Khmer inherent vowels: invisible, widths disagree across terminals
        | '\u{115f}' | '\u{1160}' | '\u{17b4}' | '\u{17b5}' | '\u{3164}' | '\u{ffa0}'
        // Mongolian variation selectors and vowel separator
        | '\u{180b}'..='\u{180f}'
        // zero-width space/joiners, LRM/RLM, bidi embeddings/overrides/isolates, invisible ops
        | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{206f}'
        | '\u{fe00}'..='\u{fe0f}' | '\u{feff}' | '\u{fff0}'..='\u{fffb}' | '\u{fffe}' | '\u{ffff}'
        // halfwidth (semi-)voiced marks: ratatui and unicode-width count them differently
        | '\u{ff9e}' | '\u{ff9f}'
        | '\u{110bd}' | '\u{110cd}' | '\u{13430}'..='\u{1343f}' | '\u{1bca0}'..='\u{1bca3}'
        | '\u{1d173}'..='\u{1d17a}'
        // tags and variation selectors supplement (the whole default-ignorable plane-14 block)
        | '\u{e0000}'..='\u{e0fff}'
    )
}

/// Combining marks, spacing marks, emoji modifiers, lone jamo vowels…: anything that joins
/// the grapheme before it or takes no column of its own.
fn extends_previous(c: char) -> bool {
    if c.is_ascii() {
        return false;
    }
    if unicode_width::UnicodeWidthChar::width(c) == Some(0) {
        return true;
    }
    let mut buf = [0u8; 5];
    buf[0] = b'a';
    let n = c.encode_utf8(&mut buf[1..]).len();
    std::str::from_utf8(&buf[..=n]).is_ok_and(|s| s.graphemes(true).nth(1).is_none())
}

/// After an ESC: CSI, OSC, DCS/SOS/PM/APC strings, or a short escape. A string cut short by a
/// new ESC starts another sequence, handled here in a loop rather than by recursion.
fn skip_after_esc(it: &mut Cursor<'_>) {
    loop {
        let osc = match it.peek().map(|&(_, c)| c) {
            Some('[') => {
                it.next();
                return skip_csi(it);
            }
            Some(']') => true,
            Some('P' | 'X' | '^' | '_') => false,
            _ => {
                // nF/Fp/Fe/Fs: intermediates 0x20–0x2f, then one final byte.
                while it
                    .next_if(|&(_, c)| ('\x20'..='\x2f').contains(&c))
                    .is_some()
                {}
                it.next_if(|&(_, c)| ('\x30'..='\x7e').contains(&c));
                return;
            }
        };
        it.next();
        if !skip_string(it, osc) {
            return;
        }
    }
}

/// Parameters and intermediates, then a final byte; anything else ends it early.
fn skip_csi(it: &mut Cursor<'_>) {
    while it
        .next_if(|&(_, c)| ('\x20'..='\x3f').contains(&c))
        .is_some()
    {}
    it.next_if(|&(_, c)| ('\x40'..='\x7e').contains(&c));
}

/// Skips a control string up to ST (or BEL for OSC). Returns true when an ESC that is not
/// part of ST cut it short, so the caller parses a new sequence.
fn skip_string(it: &mut Cursor<'_>, bel_ends: bool) -> bool {
    while let Some((_, c)) = it.next() {
        match c {
            '\x07' if bel_ends => return false,
            '\u{9c}' => return false,
            '\x1b' => return it.next_if(|&(_, n)| n == '\\').is_none(),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
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
}
