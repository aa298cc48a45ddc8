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

/// Like [`fit`] but cutting the middle (`sg-0…015d`): for ids, whose unique part is the
/// tail. Exactly `width` columns.
pub fn fit_middle(s: &str, width: usize, ellipsis: &str) -> String {
    use unicode_segmentation::UnicodeSegmentation;
    let text = line(s);
    let w = UnicodeWidthStr::width(&*text);
    if w <= width {
        return fit(&text, width);
    }
    let ell_w = UnicodeWidthStr::width(ellipsis);
    if width <= ell_w + 2 {
        return fit_with(&text, width, ellipsis);
    }
    let keep = width - ell_w;
    let (head_w, tail_w) = (keep - keep * 2 / 3, keep * 2 / 3);
    let mut head = String::new();
    let mut hw = 0;
    for g in text.graphemes(true) {
        let gw = UnicodeWidthStr::width(g);
        if hw + gw > head_w {
            break;
        }
        head.push_str(g);
        hw += gw;
    }
    let mut tail: Vec<&str> = Vec::new();
    let mut tw = 0;
    for g in text.graphemes(true).rev() {
        let gw = UnicodeWidthStr::width(g);
        if tw + gw > tail_w {
            break;
        }
        tail.push(g);
        tw += gw;
    }
    tail.reverse();
    let out = format!("{head}{ellipsis}{}", tail.concat());
    fit(&out, width)
}

/// The sanitised text cut into rows of at most `width` columns, at spaces where it can and
/// inside a word only when the word is longer than a row (by grapheme, so wide and combining
/// characters never split). Bounded to 4,000 characters first.
pub fn wrap(s: &str, width: usize) -> Vec<String> {
    use unicode_segmentation::UnicodeSegmentation;
    let width = width.max(1);
    let text = bounded(s, 4000);
    let mut rows: Vec<String> = Vec::new();
    let mut row = String::new();
    let mut w = 0;
    for word in text.split_word_bounds() {
        let ww = UnicodeWidthStr::width(word);
        if w + ww <= width {
            row.push_str(word);
            w += ww;
            continue;
        }
        if word.trim().is_empty() {
            // A space at the end of a row: the row ends here.
            rows.push(std::mem::take(&mut row).trim_end().to_string());
            w = 0;
            continue;
        }
        if ww <= width && w > 0 {
            rows.push(std::mem::take(&mut row).trim_end().to_string());
            w = 0;
        }
        for g in word.graphemes(true) {
            let gw = UnicodeWidthStr::width(g);
            if w + gw > width && w > 0 {
                rows.push(std::mem::take(&mut row));
                w = 0;
            }
            row.push_str(g);
            w += gw;
        }
    }
    rows.push(row);
    rows
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
mod tests;
