//! Untrusted finding text in each channel's format. Text arrives already sanitised (no
//! controls, escapes or bidi overrides) and bounded (see `message`); here it is escaped so
//! it cannot format, mention, or link: a URL inside provider text is defanged
//! (`https[:]//evil`), so the only links in a message are the ones the console adds, and
//! those point at cloud console hosts.

/// `scheme://` → `scheme[:]//`, so chat clients and mail readers do not turn provider text
/// into links.
pub fn defang(s: &str) -> String {
    s.replace("://", "[:]//")
}

/// Slack mrkdwn (and the `text` fallback): `&`, `<`, `>` as entities, which also disarms
/// `<url|text>` links and `<!channel>` mentions.
pub fn slack(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in defang(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

/// Adaptive Card text (Teams renders a subset of Markdown in TextBlock and FactSet):
/// Markdown punctuation backslash-escaped, so `[x](url)` stays text.
pub fn card(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in defang(s).chars() {
        if "\\`*_{}[]()#+-.!<>~|".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// HTML text and attribute values.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in defang(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Plain text (e-mail text part, PagerDuty summary): defanged only.
pub fn plain(s: &str) -> String {
    defang(s)
}

/// Jira wiki markup (Data Center v2 descriptions): untrusted text goes inside a
/// `{noformat}` block, so only the closing tag could break out; it is removed.
pub fn jira_noformat(s: &str) -> String {
    let mut t = defang(s);
    while let Some(i) = t.to_ascii_lowercase().find("{noformat") {
        t.replace_range(i..i + "{noformat".len(), "(noformat");
    }
    t
}

/// A Jira label: no spaces, at most 255 characters.
pub fn jira_label(s: &str) -> String {
    let l: String = s
        .chars()
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .take(255)
        .collect();
    if l.is_empty() { "_".into() } else { l }
}

/// At most `max` characters, ending in `…` when cut.
pub fn bound(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_format_disarms_its_syntax() {
        let evil = "<!channel> <https://evil.example|click> & [x](https://e.example) *b*";
        let s = slack(evil);
        assert!(
            !s.contains('<') && !s.contains('>') && !s.contains("://"),
            "{s}"
        );
        assert!(s.contains("&lt;!channel&gt;") && s.contains("&amp;"));
        let c = card(evil);
        assert!(c.contains("\\[x\\]\\(https\\[:\\]//e\\.example\\)"), "{c}");
        let h = html("<script>alert('x')</script> \"q\" https://e");
        assert_eq!(
            h,
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &quot;q&quot; https[:]//e"
        );
        assert_eq!(
            jira_noformat("a {noformat} b {NOFORMAT}"),
            "a (noformat} b (noformat}"
        );
        assert_eq!(jira_label("S3 8"), "S3_8");
        assert_eq!(bound("abcdef", 4), "abc…");
    }
}
