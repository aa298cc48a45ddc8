//! The HTML report parses as XML, loads nothing and escapes hostile provider text.

use super::*;

const HOSTILE_TITLE: &str = "<script>alert(1)</script> \"&'";
const HOSTILE_RESOURCE: &str = "\"><img src=x onerror=alert(1)>\u{1b}]52;c;x\u{7}";

/// Elements and attributes the report may use: nothing that loads, links or runs anything.
const ELEMENTS: &[&str] = &[
    "html", "head", "meta", "title", "style", "body", "header", "footer", "section", "div", "p",
    "strong", "h1", "h2", "h3", "table", "thead", "tbody", "tr", "th", "td", "span", "code", "ul",
    "li",
];
const ATTRIBUTES: &[&str] = &[
    "lang", "charset", "name", "content", "class", "role", "scope",
];

fn check_element(e: &quick_xml::events::BytesStart) -> String {
    let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
    assert!(
        ELEMENTS.contains(&name.as_str()),
        "element <{name}> not allowed"
    );
    for a in e.attributes().with_checks(true) {
        let a = a.unwrap_or_else(|err| panic!("bad attribute in <{name}>: {err}"));
        let key = String::from_utf8(a.key.as_ref().to_vec()).unwrap();
        assert!(
            ATTRIBUTES.contains(&key.as_str()),
            "attribute {key} not allowed"
        );
    }
    name
}

/// Parses with an XML parser: every element closed and matched, attributes quoted and
/// allowed, entities defined. Returns the decoded text, a space between elements.
fn parse_xml(html: &str) -> String {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(html);
    let mut open: Vec<String> = Vec::new();
    let mut text = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                open.push(check_element(&e));
                text.push(' ');
            }
            Ok(Event::Empty(e)) => {
                check_element(&e);
            }
            Ok(Event::End(e)) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                assert_eq!(open.pop().as_deref(), Some(name.as_str()));
                text.push(' ');
            }
            Ok(Event::Text(t)) => text.push_str(&t.decode().unwrap()),
            Ok(Event::GeneralRef(r)) => {
                let name = r.decode().unwrap();
                let ch = match name.as_ref() {
                    "amp" => '&',
                    "lt" => '<',
                    "gt" => '>',
                    "quot" => '"',
                    "apos" => '\'',
                    _ => match r.resolve_char_ref() {
                        Ok(Some(c)) => c,
                        other => panic!("undefined entity &{name}; ({other:?})"),
                    },
                };
                text.push(ch);
            }
            Ok(Event::Eof) => break,
            Ok(Event::DocType(_) | Event::Comment(_)) => {}
            Ok(other) => panic!("unexpected {other:?}"),
            Err(e) => panic!("not well-formed at {}: {e}", reader.error_position()),
        }
    }
    assert!(open.is_empty(), "unclosed elements: {open:?}");
    text
}

#[test]
fn html_is_well_formed_self_contained_and_escapes_provider_text() {
    let mut findings = fixture();
    findings[0].title = HOSTILE_TITLE.into();
    findings[3].resources[0].id = HOSTILE_RESOURCE.into();
    let p = posture(findings, None);
    let src = sources();
    for standard in ["fsbp", "nist-800-53", "soc2", "hipaa"] {
        let html = render(&input(&p, standard, &src), Format::Html).unwrap();
        let text = parse_xml(&html);
        let lower = html.to_ascii_lowercase();
        for banned in ["<script", "http://", "https://", "url(", "@import"] {
            assert!(!lower.contains(banned), "{standard}: found {banned}");
        }
        assert!(
            !html.contains('\u{1b}') && !html.contains('\u{7}'),
            "control characters"
        );
        assert!(html.contains("@media print") && html.contains("page-break-inside:avoid"));
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &quot;&amp;&#39;"),
            "{standard}: hostile title not escaped"
        );
        assert!(text.contains(HOSTILE_TITLE), "{standard}: title lost");
        assert!(
            text.contains("\"><img src=x onerror=alert(1)>"),
            "{standard}"
        );
        // Status is written out, not only coloured.
        assert!(html.contains(">FAILED</span>"));
    }
}
