//! The style keys and symbols every theme defines (checked by `check_all`).

/// Style keys views rely on; every built-in defines them and `check_all` enforces them.
#[rustfmt::skip]
pub const REQUIRED_STYLES: &[&str] = &[
    "text", "text.muted", "text.emphasis", "title", "border", "border.focused", "header",
    "selection", "marked", "row.changed", "row.stale", "group", "severity.critical", "severity.high",
    "severity.medium", "severity.low", "severity.informational", "workflow.new",
    "workflow.notified", "workflow.resolved", "workflow.suppressed", "status.ok",
    "status.throttled", "status.error", "status.stale", "statusbar", "statusbar.key",
    "demo.badge", "frozen.badge", "filter.input", "error", "dialog", "dialog.title", "help.key",
    "help.section", "chart.axis", "chart.series.0", "chart.series.1", "chart.series.2",
    "chart.series.3", "chart.series.4", "chart.series.5",
];

/// Required symbols as (key, unicode, ascii); also the fallback when a user theme omits one.
pub const REQUIRED_SYMBOLS: &[(&str, &str, &str)] = &[
    ("mark", "●", "*"),
    ("unmark", " ", " "),
    ("sort.asc", "▲", "^"),
    ("sort.desc", "▼", "v"),
    ("ellipsis", "…", "..."),
    ("ok", "✓", "+"),
    ("error", "✗", "x"),
    ("throttled", "⧗", "~"),
    ("stale", "◌", "?"),
    ("bar.full", "█", "#"),
    ("bar.empty", "░", "."),
    ("separator", "│", "|"),
    ("group.open", "▾", "-"),
    ("group.closed", "▸", "+"),
    ("new", "✦", "N"),
    ("queued", "◆", "Q"),
];

/// Symbols the built-ins define but user themes need not (key, unicode, ascii); a theme that
/// omits one gets these forms.
pub const EXTRA_SYMBOLS: &[(&str, &str, &str)] = &[
    // Between items on one line (" 3 shown · 2 marked").
    ("dot", "·", "-"),
];

/// The severity styles, most severe first: kept apart from each other at every depth.
pub const SEVERITY_STYLES: &[&str] = &[
    "severity.critical",
    "severity.high",
    "severity.medium",
    "severity.low",
    "severity.informational",
];
