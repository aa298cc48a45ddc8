//! The findings of a view as CSV, JSON lines or a Markdown table: `findings --format` and the
//! console's `:export`. Every field is sanitised; CSV quotes per RFC 4180 and defuses cells a
//! spreadsheet would read as a formula.

use std::io::Write;
use std::sync::Arc;

use crate::model::{Finding, format_rfc3339};
use crate::sanitize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
    Markdown,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "json" | "jsonl" => Some(Format::Json),
            "md" | "markdown" => Some(Format::Markdown),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "jsonl",
            Format::Markdown => "md",
        }
    }
}

const FIELDS: [&str; 15] = [
    "severity",
    "cloud",
    "account",
    "account_name",
    "region",
    "control",
    "resource_type",
    "resource",
    "title",
    "workflow",
    "compliance",
    "product",
    "created",
    "updated",
    "id",
];

fn values(f: &Finding) -> [String; 15] {
    [
        f.severity.as_str().to_string(),
        f.cloud.as_str().to_string(),
        f.account.to_string(),
        f.account_name.as_deref().unwrap_or("").to_string(),
        f.region.to_string(),
        f.control_id.as_deref().unwrap_or_default().to_string(),
        f.resource_type().to_string(),
        f.resource_id().to_string(),
        f.title.to_string(),
        f.workflow.as_str().to_string(),
        f.compliance.map(|c| c.as_str()).unwrap_or("").to_string(),
        f.product_name.to_string(),
        format_rfc3339(f.created_at),
        format_rfc3339(f.updated_at),
        f.id.clone(),
    ]
}

fn csv_cell(s: &str) -> String {
    let s = sanitize::line(s);
    // A cell starting with = + - @ is a formula to a spreadsheet: keep it text.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.into_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn md_cell(s: &str) -> String {
    sanitize::line(s)
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['<', '>'], "")
}

/// Writes `rows` (indices into `findings`) in `format`.
pub fn write(
    out: &mut impl Write,
    format: Format,
    findings: &[Arc<Finding>],
    rows: &[u32],
) -> std::io::Result<()> {
    match format {
        Format::Csv => {
            writeln!(out, "{}", FIELDS.join(","))?;
            for &i in rows {
                let v = values(&findings[i as usize]);
                let cells: Vec<String> = v.iter().map(|c| csv_cell(c)).collect();
                writeln!(out, "{}", cells.join(","))?;
            }
        }
        Format::Json => {
            for &i in rows {
                writeln!(out, "{}", findings[i as usize].to_output_json())?;
            }
        }
        Format::Markdown => {
            writeln!(out, "| {} |", FIELDS.join(" | "))?;
            writeln!(out, "|{}", "---|".repeat(FIELDS.len()))?;
            for &i in rows {
                let v = values(&findings[i as usize]);
                let cells: Vec<String> = v.iter().map(|c| md_cell(c)).collect();
                writeln!(out, "| {} |", cells.join(" | "))?;
            }
            writeln!(out, "\n{} findings", rows.len())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::memory::sample_finding;

    #[test]
    fn csv_quotes_defuses_and_sanitises() {
        let mut f = sample_finding(1, 1_700_000_000_000);
        f.title = "=HYPERLINK(\"x\"), \"quoted\"\u{1b}[2J".into();
        let all = vec![Arc::new(f)];
        let mut out = Vec::new();
        write(&mut out, Format::Csv, &all, &[0]).unwrap();
        let text = String::from_utf8(out).unwrap();
        let row = text.lines().nth(1).unwrap();
        assert!(
            row.contains("\"'=HYPERLINK(\"\"x\"\"), \"\"quoted\"\"\""),
            "{row}"
        );
        assert!(!text.contains('\u{1b}'));
        assert_eq!(text.lines().next().unwrap().split(',').count(), 15);
    }

    #[test]
    fn markdown_and_json() {
        let mut f = sample_finding(2, 1_700_000_000_000);
        f.title = "a | b <script>".into();
        let all = vec![Arc::new(f)];
        let mut out = Vec::new();
        write(&mut out, Format::Markdown, &all, &[0]).unwrap();
        let md = String::from_utf8(out).unwrap();
        assert!(
            md.contains("a \\| b script") && md.ends_with("1 findings\n"),
            "{md}"
        );
        let mut out = Vec::new();
        write(&mut out, Format::Json, &all, &[0]).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["id"], "f-000002");
    }
}
