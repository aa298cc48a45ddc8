//! The filter language's lexer and term builder.

use super::*;

/// One character of a term, remembering whether it was inside quotes and its column.
#[derive(Clone, Copy)]
pub(super) struct Ch {
    c: char,
    quoted: bool,
    col: usize,
}

/// Splits the input into whitespace-separated terms, each with its starting column. Quotes
/// may appear anywhere in a term; `\"` and `\\` escape inside them.
pub(super) fn lex(input: &str) -> Result<Vec<(usize, Vec<Ch>)>, FilterError> {
    let mut terms = Vec::new();
    let mut cur: Option<(usize, Vec<Ch>)> = None;
    let mut open: Option<usize> = None;
    let mut chars = input.chars().zip(1..).peekable();
    while let Some((c, col)) = chars.next() {
        if open.is_none() && c.is_whitespace() {
            terms.extend(cur.take());
            continue;
        }
        let quoted = open.is_some();
        let term = &mut cur.get_or_insert_with(|| (col, Vec::new())).1;
        match c {
            '"' => open = if quoted { None } else { Some(col) },
            '\\' if quoted && matches!(chars.peek(), Some(('"' | '\\', _))) => {
                let (c, col) = chars.next().unwrap_or((c, col));
                term.push(Ch { c, quoted, col });
            }
            _ => term.push(Ch { c, quoted, col }),
        }
    }
    if let Some(col) = open {
        return Err(err(col, "unterminated quote"));
    }
    terms.extend(cur);
    Ok(terms)
}

fn err(column: usize, message: impl Into<String>) -> FilterError {
    FilterError {
        column,
        message: message.into(),
    }
}

pub(super) fn build_term(raw: &[Ch], col: usize) -> Result<Term, FilterError> {
    let negate = raw.first().is_some_and(|c| c.c == '-' && !c.quoted);
    let body = if negate { &raw[1..] } else { raw };
    if body.is_empty() {
        return Err(err(col, "empty term: quote `-` or text to search for it"));
    }
    // A field name is unquoted letters followed by an unquoted `:`.
    let p = body
        .iter()
        .position(|c| c.quoted || !(c.c.is_ascii_alphabetic() || c.c == '_'))
        .filter(|&p| p > 0 && body[p].c == ':' && !body[p].quoted);
    let name: String = body[..p.unwrap_or(0)].iter().map(|c| c.c).collect();
    let lname = name.to_ascii_lowercase();
    // Pasted ARNs (`arn:aws:…`) are free text, not an unknown field.
    let Some(p) = p.filter(|_| lname != "arn") else {
        let text: String = body.iter().map(|c| c.c).collect();
        return Ok(Term {
            negate,
            field: None,
            shown: vec![quote(&text, true)],
            test: Test::Free(Needle::new(&text, false)),
        });
    };
    let Some(field) = FIELDS.iter().find(|(n, _)| *n == lname).map(|(_, f)| *f) else {
        return Err(err(body[0].col, unknown_field(&name)));
    };
    let items = split_items(&body[p + 1..], body[p].col + 1)?;
    let (test, shown) = build_test(field, &items)?;
    Ok(Term {
        negate,
        field: Some(field),
        test,
        shown,
    })
}

fn unknown_field(name: &str) -> String {
    let best = FIELDS
        .iter()
        .map(|(n, _)| (edit_distance(&name.to_ascii_lowercase(), n), *n))
        .min();
    match best {
        Some((d, n)) if d <= (name.len() / 3).max(1) => {
            format!("unknown field `{name}`; did you mean `{n}`?")
        }
        _ => {
            let names: Vec<&str> = FIELDS.iter().map(|(n, _)| *n).collect();
            format!(
                "unknown field `{name}` (known: {}); quote text that contains `:`",
                names.join(", ")
            )
        }
    }
}

/// Splits a value on unquoted commas into (text, column) items; empty items are errors.
fn split_items(value: &[Ch], col: usize) -> Result<Vec<(String, usize)>, FilterError> {
    let mut items = vec![(String::new(), col)];
    for ch in value {
        if ch.c == ',' && !ch.quoted {
            items.push((String::new(), ch.col + 1));
        } else if let Some((text, _)) = items.last_mut() {
            text.push(ch.c);
        }
    }
    match items.iter().find(|(t, _)| t.is_empty()) {
        Some((_, col)) => Err(err(*col, "empty value")),
        None => Ok(items),
    }
}

/// Compiles value items into a test plus their normalised display forms.
fn build_test(field: Field, items: &[(String, usize)]) -> Result<(Test, Vec<String>), FilterError> {
    let mut mask = 0u8;
    let mut ages = Vec::new();
    let mut needles = Vec::new();
    let mut shown = Vec::new();
    for (text, col) in items {
        let bad = |what: &str| err(*col, format!("`{text}` is not {what}"));
        let (op, cmp, rest) = split_op(text).unwrap_or(("", OPS[4].1, text));
        let value = match field {
            Field::Sev => Severity::parse(rest).map(|s| {
                for t in Severity::ALL.into_iter().filter(|t| holds(cmp, *t, s)) {
                    mask |= bit(t as u8);
                }
                format!("{op}{}", s.as_str().to_ascii_lowercase())
            }),
            Field::Workflow => Workflow::parse(text).map(|w| {
                mask |= bit(w as u8);
                w.as_str().to_ascii_lowercase()
            }),
            Field::State => RecordState::parse(text).map(|s| {
                mask |= bit(s as u8);
                s.as_str().to_ascii_lowercase()
            }),
            Field::Compliance => ComplianceStatus::parse(text).map(|c| {
                mask |= bit(c as u8);
                c.as_str().to_ascii_lowercase()
            }),
            Field::Cloud => Cloud::parse(text).map(|c| {
                mask |= bit(c as u8);
                c.as_str().to_string()
            }),
            Field::Age => parse_age(rest).map(|(ms, unit)| {
                // A bare `age:7d` means "at most 7 days old".
                let (op, cmp) = if op.is_empty() { OPS[1] } else { (op, cmp) };
                ages.push((cmp, ms));
                format!("{op}{unit}")
            }),
            _ => {
                needles.push(Needle::new(
                    text,
                    matches!(field, Field::Control | Field::Vuln) && text.ends_with('*'),
                ));
                Some(quote(text, false))
            }
        };
        shown.push(value.ok_or_else(|| bad(field.expected()))?);
    }
    let test = match field {
        Field::Sev | Field::Workflow | Field::State | Field::Compliance | Field::Cloud => {
            Test::Enum(mask)
        }
        Field::Age => Test::Age(ages),
        _ => Test::Text(needles),
    };
    Ok((test, shown))
}

/// `7d` → (ms, "7d").
fn parse_age(text: &str) -> Option<(i64, String)> {
    let unit = text.chars().last()?.to_ascii_lowercase();
    let amount: u64 = text[..text.len() - unit.len_utf8()].parse().ok()?;
    let per: u64 = match unit {
        'm' => 60_000,
        'h' => 3_600_000,
        'd' => 86_400_000,
        'w' => 604_800_000,
        _ => return None,
    };
    let ms = i64::try_from(amount.checked_mul(per)?).ok()?;
    Some((ms, format!("{amount}{unit}")))
}
