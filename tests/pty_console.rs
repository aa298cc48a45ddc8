//! The real binary in a pseudo-terminal, on the demo fleet, as an analyst drives it: what the
//! screen shows after each key (parsed by a VT emulator), what bytes reach the terminal, and
//! that the terminal is given back as it was found. See `tests/support/pty.rs`.

mod support;

use support::pty::{Key, Pty, WAIT, context_of, sgr_colours, sgr_sequences};

/// The two sizes every screen is checked at: the minimum and a large terminal.
const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

/// The demo fleet is ready: rows and a completed poll.
/// The demo fleet is ready: every source has answered (none pending), rows are shown. A
/// frozen view (screen-reader mode holds live updates) is applied with `f` first.
fn ready(t: &mut Pty) {
    t.wait_until("the demo fleet after its first poll", WAIT, |s| {
        s.contains("f applies") || polled(s)
    });
    if !polled(&t.screen_text()) {
        t.send(Key::Char('f'));
        t.wait_until("the held updates applied", WAIT, polled);
    }
}

fn polled(s: &str) -> bool {
    let status = s
        .lines()
        .find(|l| l.contains(" shown of "))
        .unwrap_or_default();
    status.contains("last poll")
        && !status.contains("pending")
        && !s.contains("f applies")
        && s.contains("CRIT")
        && shown(s).is_some_and(|(n, _)| n > 0)
}

/// The filter prompt is closed and `filter` is in force (top bar).
fn filtered(t: &mut Pty, filter: &str) {
    let want = format!("filter {filter}");
    t.wait_until(
        &format!("{want:?} in the top bar, prompt closed"),
        WAIT,
        |s| {
            s.lines().next().is_some_and(|l| l.contains(&want))
                && !s.lines().any(|l| l.starts_with("/ "))
        },
    );
}

/// "N shown of M" from the status bar.
fn shown(screen: &str) -> Option<(usize, usize)> {
    let line = screen.lines().find(|l| l.contains(" shown of "))?;
    let mut words = line.split_whitespace();
    let n = words.next()?.parse().ok()?;
    words.next()?; // shown
    words.next()?; // of
    let m = words.next()?.parse().ok()?;
    Some((n, m))
}

/// Presses `b` until the plain table (header `SEV…`) is back; returns how many presses.
fn ungroup(t: &mut Pty) -> usize {
    let mut presses = 0;
    while !t.row_text(1).trim_start().starts_with("SEV") {
        let before = t.row_text(1);
        t.send(Key::Char('b'));
        presses += 1;
        t.wait_until("the next grouping", WAIT, |s| {
            s.lines()
                .nth(1)
                .is_some_and(|l| l.trim_end() != before.trim_end())
        });
        assert!(presses < 12, "b never came back to the ungrouped table");
    }
    presses
}

fn quit_cleanly(t: &mut Pty, key: Key<'_>) {
    t.send(key);
    let status = t.wait_exit(WAIT);
    assert!(
        status.success(),
        "exit status {status:?}; screen:\n{}",
        t.screen_text()
    );
    t.assert_restored();
}

#[test]
fn first_screen_then_q_quits_and_gives_the_terminal_back() {
    for (w, h) in SIZES {
        let mut t = Pty::demo(w, h).spawn();
        ready(&mut t);
        let s = t.screen_text();
        let rows: Vec<&str> = s.lines().collect();
        assert_eq!(rows.len(), usize::from(h), "{s}");
        assert!(
            rows[0].contains("Agent Hubble") && rows[0].contains("DEMO"),
            "{s}"
        );
        for col in ["SEV", "ACCOUNT", "REGION", "TITLE", "STATUS"] {
            assert!(rows[1].contains(col), "{w}x{h}: header lacks {col}:\n{s}");
        }
        // Data rows fill the table: severity as text, a 12-digit account.
        let data = rows[2..usize::from(h) - 2]
            .iter()
            .filter(|r| {
                ["CRIT", "HIGH", "MED", "LOW", "INFO"]
                    .iter()
                    .any(|sev| r.trim_start_matches(['>', ' ']).starts_with(sev))
            })
            .count();
        assert_eq!(
            data,
            usize::from(h) - 4,
            "{w}x{h}: every table row holds a finding:\n{s}"
        );
        let status = rows[usize::from(h) - 2];
        assert!(
            status.contains("shown of")
                && status.contains("sources")
                && status.contains("last poll"),
            "{w}x{h}: status bar: {status:?}"
        );
        let (n, m) = shown(&s).unwrap();
        // The working view: resolved and passed findings are hidden until `a`.
        assert!(n > 0 && n < m, "the working view: {status}");
        assert!(rows[0].contains("working view"), "{s}");
        quit_cleanly(&mut t, Key::Char('q'));
    }
}

#[test]
fn ctrl_c_quits_from_inside_a_dialog() {
    let mut t = Pty::demo(80, 24).spawn();
    ready(&mut t);
    t.send(Key::Char('w'));
    t.wait_for("Set workflow status", WAIT);
    t.send(Key::Tab).send(Key::Text("half-written note"));
    t.wait_for("half-written note", WAIT);
    quit_cleanly(&mut t, Key::Ctrl('c'));
}

#[test]
fn ctrl_c_quits_from_the_filter_prompt() {
    let mut t = Pty::demo(160, 48).spawn();
    ready(&mut t);
    t.send(Key::Char('/')).send(Key::Text("sev:hi"));
    t.wait_for("sev:hi", WAIT);
    quit_cleanly(&mut t, Key::Ctrl('c'));
}

#[test]
fn filter_narrows_and_esc_in_the_prompt_restores_the_filter_in_force() {
    for (w, h) in SIZES {
        let mut t = Pty::demo(w, h).spawn();
        ready(&mut t);
        let (all, total) = shown(&t.screen_text()).unwrap();
        t.send(Key::Char('/')).send(Key::Text("sev:crit"));
        t.wait_for("sev:crit", WAIT);
        t.send(Key::Enter);
        filtered(&mut t, "sev:crit");
        t.wait_until("fewer rows", WAIT, |s| {
            shown(s).is_some_and(|(n, _)| n < all)
        });
        let s = t.screen_text();
        let (crit, total2) = shown(&s).unwrap();
        assert_eq!(total, total2);
        assert!(crit > 0, "{s}");
        let lines: Vec<&str> = s.lines().collect();
        for row in &lines[2..usize::from(h) - 2] {
            assert!(
                row.trim_start_matches(['>', ' ']).starts_with("CRIT"),
                "{w}x{h}: {row:?} under sev:crit"
            );
        }
        // More filter, then Esc: the filter before the prompt is back, rows and all.
        t.send(Key::Char('/')).send(Key::Text(" acct:111111111111"));
        t.wait_until("the longer filter applied live", WAIT, |s| {
            shown(s).is_some_and(|(n, _)| n < crit)
        });
        t.send(Key::Esc);
        t.wait_until("the filter in force before the prompt", WAIT, |s| {
            s.lines()
                .next()
                .is_some_and(|top| top.contains("filter sev:crit") && !top.contains("acct:"))
                && shown(s) == Some((crit, total))
        });
        quit_cleanly(&mut t, Key::Char('q'));
    }
}

#[test]
fn group_by_control_opens_a_group_and_cycles_back_to_the_table() {
    for (w, h) in SIZES {
        let mut t = Pty::demo(w, h).spawn();
        ready(&mut t);
        t.send(Key::Char('b'));
        t.wait_until("a BY CONTROL header", WAIT, |s| {
            s.lines()
                .nth(1)
                .is_some_and(|l| l.trim_start().starts_with("BY CONTROL"))
        });
        let s = t.screen_text();
        let groups: Vec<&str> = s
            .lines()
            .map(|l| l.trim_start_matches(['>', ' ']))
            .filter(|l| l.starts_with("▸ "))
            .collect();
        assert!(groups.len() >= 3, "{w}x{h}:\n{s}");
        for g in &groups {
            assert!(g.contains(" findings") || g.contains(" finding "), "{g:?}");
            assert!(
                ["CRIT ", "HIGH ", "MED ", "LOW ", "INFO "]
                    .iter()
                    .any(|k| g.contains(k)),
                "counts by severity as text: {g:?}"
            );
        }
        if h >= 48 {
            assert!(
                groups
                    .iter()
                    .any(|g| g.starts_with("▸ EC2.19  ") && g.contains(" findings  CRIT ")),
                "{w}x{h}: EC2.19 group:\n{s}"
            );
        }
        // → opens the selected (first) group: its marker turns and its findings follow.
        let first = groups[0].to_string();
        t.send(Key::Right);
        let key = first.trim_start_matches("▸ ").to_string();
        t.wait_until("the first group opened", WAIT, |s| {
            s.lines()
                .any(|l| l.trim_start_matches(['>', ' ']) == format!("▾ {key}"))
        });
        let s = t.screen_text();
        let lines: Vec<&str> = s.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.trim_start_matches(['>', ' ']).starts_with("▾ "))
            .unwrap();
        assert!(
            ["CRIT", "HIGH", "MED", "LOW", "INFO"]
                .iter()
                .any(|k| lines[at + 1].trim_start().starts_with(k)),
            "a finding row under the open group:\n{s}"
        );
        // b moves through the other groupings and back to the plain table.
        let presses = ungroup(&mut t);
        assert!(presses >= 2, "more than one grouping");
        ready(&mut t);
        quit_cleanly(&mut t, Key::Char('q'));
    }
}

#[test]
fn marks_with_a_filter_tell_how_many_are_hidden_and_unchanged() {
    for (w, h) in SIZES {
        let mut t = Pty::demo(w, h).spawn();
        ready(&mut t);
        // Marks cover the rows shown (the working view), not the hidden ones.
        let (total, _) = shown(&t.screen_text()).unwrap();
        t.send(Key::Char('*'));
        t.wait_for(&format!("{total} marked"), WAIT);
        t.send(Key::Char('/'))
            .send(Key::Text("sev:crit"))
            .send(Key::Enter);
        filtered(&mut t, "sev:crit");
        let (crit, _) = shown(&t.screen_text()).unwrap();
        t.send(Key::Char('w'));
        let want = format!(
            "{crit} marked, {} hidden by the filter (not changed)",
            total - crit
        );
        t.wait_for(&want, WAIT);
        t.send(Key::Esc);
        t.wait_gone(&want, WAIT);
        t.wait_for("filter sev:crit", WAIT);
        quit_cleanly(&mut t, Key::Char('q'));
    }
}

#[test]
fn detail_scrolls_to_the_last_summary_line_and_tabs_to_raw_json() {
    for (w, h) in SIZES {
        let mut t = Pty::demo(w, h).spawn();
        ready(&mut t);
        t.send(Key::Enter);
        t.wait_for("Summary", WAIT).wait_for("Severity", WAIT);
        // j, then PgDn, well past the end: the last line must come into view and stay.
        for _ in 0..5 {
            t.send(Key::Char('j'));
        }
        for _ in 0..8 {
            t.send(Key::PageDown);
        }
        t.wait_until("the Note line, the last of Summary", WAIT, |s| {
            // Alone, or beside the list on a wide screen.
            s.lines().any(|l| {
                l.trim_start_matches(['│', '|', ' ']).starts_with("Note ")
                    || l.contains("│Note ")
                    || l.contains("|Note ")
            })
        });
        // Summary → Resources → Timeline → Raw JSON.
        t.send(Key::Tab).send(Key::Tab).send(Key::Tab);
        t.wait_for("\"AwsAccountId\"", WAIT);
        quit_cleanly(&mut t, Key::Ctrl('c'));
    }
}

#[test]
fn detail_opens_scrolls_and_tabs_to_raw_json() {
    for (w, h) in SIZES {
        let mut t = Pty::demo(w, h).spawn();
        ready(&mut t);
        t.send(Key::Enter);
        t.wait_for("Summary", WAIT).wait_for("Severity", WAIT);
        for _ in 0..3 {
            t.send(Key::Char('j'));
        }
        t.send(Key::PageDown);
        t.wait_for("Remediation URL", WAIT);
        t.send(Key::Tab);
        t.wait_for("Partition", WAIT);
        t.send(Key::Tab).send(Key::Tab);
        t.wait_for("\"AwsAccountId\"", WAIT);
        t.send(Key::Esc);
        t.wait_for("shown of", WAIT).wait_gone("Raw JSON", WAIT);
        quit_cleanly(&mut t, Key::Char('q'));
    }
}

#[test]
fn help_scrolls_to_its_end_and_never_shows_an_empty_box() {
    for (w, h) in SIZES {
        let mut t = Pty::demo(w, h).spawn();
        ready(&mut t);
        t.send(Key::Char('?'));
        t.wait_for("Help", WAIT).wait_for("Navigation", WAIT);
        for _ in 0..30 {
            t.send(Key::PageDown);
        }
        for _ in 0..20 {
            t.send(Key::Char('j'));
        }
        // The last help line (the filter syntax) stays in view however far one scrolls.
        t.wait_for("free text", WAIT);
        t.send(Key::Esc);
        t.wait_gone("Navigation", WAIT);
        quit_cleanly(&mut t, Key::Char('q'));
    }
}

#[test]
fn help_opens_scrolls_and_closes() {
    for (w, h) in SIZES {
        let mut t = Pty::demo(w, h).spawn();
        ready(&mut t);
        t.send(Key::F(1));
        t.wait_for("Help", WAIT).wait_for("Navigation", WAIT);
        t.send(Key::Char('j')).send(Key::Char('j'));
        t.wait_gone("Navigation", WAIT);
        t.send(Key::Esc);
        t.wait_gone("Help (Esc", WAIT).wait_for("shown of", WAIT);
        t.send(Key::Char('?'));
        t.wait_for("Navigation", WAIT);
        t.send(Key::Esc);
        t.wait_gone("Navigation", WAIT);
        quit_cleanly(&mut t, Key::Char('q'));
    }
}

#[test]
fn resizing_redraws_keeps_the_dialog_and_says_when_too_small() {
    let mut t = Pty::demo(160, 48).spawn();
    ready(&mut t);
    t.send(Key::Char('w'));
    t.wait_for("Set workflow status", WAIT);
    for (w, h) in [(80u16, 24u16), (100, 30)] {
        t.resize(w, h);
        t.wait_until(&format!("a {w}x{h} frame with the dialog"), WAIT, |s| {
            let rows: Vec<&str> = s.lines().collect();
            s.contains("Set workflow status")
                && rows.len() == usize::from(h)
                && rows[usize::from(h) - 2].contains("shown of")
        });
    }
    t.resize(70, 20);
    t.wait_for("terminal too small: need 80×24", WAIT);
    t.resize(79, 24);
    t.wait_for("terminal too small: need 80×24, have 79×24", WAIT);
    t.resize(80, 24);
    t.wait_gone("terminal too small", WAIT)
        .wait_for("Set workflow status", WAIT);
    // Still answering keys, and no panic text anywhere.
    t.send(Key::Esc);
    t.wait_gone("Set workflow status", WAIT);
    ready(&mut t);
    quit_cleanly(&mut t, Key::Char('q'));
    let out = String::from_utf8_lossy(&t.raw()).into_owned();
    assert!(!out.contains("panicked"), "panic output");
}

// ---- bytes on the wire ----

/// Walks through the screens that draw the most kinds of things: the table, groups, the
/// detail with its tabs, help, the workflow dialog, posture with its bars and charts.
fn tour(t: &mut Pty) {
    tour_with(
        t,
        Stops {
            workflow_dialog: true,
            posture_trends: true,
        },
    );
}

/// Optional stops of the tour.
struct Stops {
    /// The workflow dialog with its note box (a ratatui-textarea).
    workflow_dialog: bool,
    /// Posture's Trends tab once its chart is drawn (it needs the demo's history), and the
    /// tabs after it; without it the tour stops at Breakdown.
    posture_trends: bool,
}

fn tour_with(t: &mut Pty, stops: Stops) {
    ready(t);
    t.send(Key::Char('b'));
    t.wait_for("BY CONTROL", WAIT);
    t.send(Key::Right);
    t.wait_until("an open group", WAIT, |s| {
        s.contains("▾") || s.contains("- (")
    });
    ungroup(t);
    t.send(Key::Char(' ')).send(Key::Char(' '));
    t.wait_for("2 marked", WAIT);
    t.send(Key::Enter);
    t.wait_for("Severity", WAIT);
    t.send(Key::PageDown).send(Key::Tab);
    t.wait_for("Partition", WAIT);
    t.send(Key::Tab).send(Key::Tab);
    t.wait_for("\"AwsAccountId\"", WAIT);
    t.send(Key::Esc);
    t.wait_for("shown of", WAIT);
    t.send(Key::Char('?'));
    t.wait_for("Navigation", WAIT);
    t.send(Key::Esc);
    t.wait_gone("Navigation", WAIT);
    if stops.workflow_dialog {
        t.send(Key::Char('w'));
        t.wait_for("Set workflow status", WAIT);
        t.send(Key::Esc);
        t.wait_gone("Set workflow status", WAIT);
    }
    t.send(Key::Char('P'));
    t.wait_for("Security score", WAIT);
    for tab in ["Breakdown", "Trends", "Findings", "Controls"] {
        let mark = t.raw_len();
        t.send(Key::Tab);
        t.wait_output_since(mark, &format!("the {tab} tab drawn"), WAIT);
        if tab == "Breakdown" && !stops.posture_trends {
            break;
        }
        if tab == "Trends" {
            t.wait_for("score over", WAIT);
        }
    }
    t.send(Key::Esc);
    t.wait_for("shown of", WAIT);
    quit_cleanly(t, Key::Char('q'));
}

/// Each offending character once, with its code point and a line of the screen it was on.
fn offenders(bytes: &[u8], bad: impl Fn(char) -> bool) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut chars: Vec<char> = text.chars().filter(|c| bad(*c)).collect();
    chars.sort();
    chars.dedup();
    let plain = strip_escapes(&text);
    let mut out = String::new();
    for c in chars {
        let ctx = context_of(&plain, |x| x == c, 2);
        out.push_str(&format!("\n  {c:?} U+{:04X}: {ctx:?}", c as u32));
    }
    out
}

/// The text a person would see, one line per cursor move: escapes dropped.
fn strip_escapes(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('[') => {
                let mut last = ' ';
                for n in it.by_ref() {
                    last = n;
                    if ('\x40'..='\x7e').contains(&n) {
                        break;
                    }
                }
                if last == 'H' {
                    out.push('\n');
                }
            }
            Some(']') => {
                for n in it.by_ref() {
                    if n == '\x07' {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The colour parts of every SGR the program wrote, each once.
fn colours_written(bytes: &[u8]) -> Vec<String> {
    let mut all: Vec<String> = sgr_sequences(bytes)
        .into_iter()
        .flat_map(|(_, p)| sgr_colours(&p))
        .collect();
    all.sort();
    all.dedup();
    all
}

#[test]
fn at_16_colours_the_theme_uses_only_the_16_named_colours() {
    // What the theme controls: no 256-palette entry above 15 and no RGB reaches the wire, and
    // the severities keep different colours on the real screen.
    for env in [None, Some(("TERM", "xterm")), Some(("TERM", "linux"))] {
        let mut b = Pty::demo(160, 48);
        b = match env {
            None => b.args(["--color", "16"]),
            Some((k, v)) => b.env(k, v),
        };
        let mut t = b.spawn();
        ready(&mut t);
        let mut looks = Vec::new();
        for sev in ["CRIT", "HIGH", "MED ", "LOW ", "INFO"] {
            t.send(Key::Char('c'))
                .send(Key::Char('/'))
                .send(Key::Text(&format!("sev:{}", sev.trim().to_lowercase())));
            t.send(Key::Enter);
            t.wait_until(&format!("only {sev} rows"), WAIT, |s| {
                let rows: Vec<&str> = s.lines().collect();
                let sel = |r: &str| r.trim_start_matches(['>', ' ']).starts_with(sev);
                sel(rows[3]) && sel(rows[2])
            });
            // Row 3 is not selected: its badge shows the severity's own style.
            let col = t.row_text(3).find(sev).unwrap() as u16;
            looks.push((sev, t.cell(3, col).look()));
        }
        for (i, (a, la)) in looks.iter().enumerate() {
            for (b, lb) in &looks[i + 1..] {
                assert_ne!(la, lb, "{env:?}: {a} and {b} look the same at 16 colours");
                assert_ne!(
                    (la.0, la.1),
                    (lb.0, lb.1),
                    "{env:?}: {a} and {b} share colours"
                );
            }
        }
        quit_cleanly(&mut t, Key::Char('q'));
        let bad: Vec<String> = colours_written(&t.raw())
            .into_iter()
            .filter(|c| {
                c.contains(";2;")
                    || c.strip_prefix("38;5;")
                        .or(c.strip_prefix("48;5;"))
                        .or(c.strip_prefix("58;5;"))
                        .is_some_and(|n| n.parse::<u8>().map_or(true, |n| n >= 16))
            })
            .collect();
        assert!(bad.is_empty(), "{env:?}: beyond 16 colours: {bad:?}");
    }
}

#[test]
fn at_16_colours_only_classic_sgr_colour_codes_are_written() {
    let mut t = Pty::demo(160, 48).args(["--color", "16"]).spawn();
    tour(&mut t);
    let colours = colours_written(&t.raw());
    let bad: Vec<&String> = colours
        .iter()
        .filter(|c| {
            !c.parse::<u16>()
                .is_ok_and(|n| matches!(n, 30..=37 | 39 | 40..=47 | 49 | 59 | 90..=97 | 100..=107))
        })
        .collect();
    assert!(
        bad.is_empty(),
        "colour codes a 16-colour terminal does not read: {bad:?} (all: {colours:?})"
    );
}

#[test]
fn ascii_mode_writes_only_ascii() {
    let mut t = Pty::demo(80, 24).arg("--ascii").spawn();
    tour(&mut t);
    let raw = t.raw();
    let bad = offenders(&raw, |c| !c.is_ascii());
    assert!(bad.is_empty(), "--ascii wrote non-ASCII characters:{bad}");
}

#[test]
fn ascii_mode_uses_the_ascii_form_of_every_theme_marker() {
    // What the theme controls: none of its Unicode markers (mark, sort arrows, status ticks,
    // bars, separators, group markers) reaches the terminal in ASCII mode.
    let mut t = Pty::demo(80, 24).arg("--ascii").spawn();
    tour(&mut t);
    let raw = t.raw();
    let markers = "●▲▼…✓✗⧗◌█░│▾▸✦◆·";
    let bad = offenders(&raw, |c| markers.contains(c) && c != '…' && c != '·');
    assert!(
        bad.is_empty(),
        "--ascii wrote theme markers in Unicode:{bad}"
    );
    // Borders are ASCII too.
    let boxes = offenders(&raw, |c| ('\u{2500}'..='\u{259f}').contains(&c));
    assert!(boxes.is_empty(), "--ascii drew boxes:{boxes}");
    assert!(support::pty::contains(&raw, b"+-"), "ASCII borders");
}

#[test]
fn screen_reader_mode_draws_no_boxes_or_blocks() {
    let mut t = Pty::demo(160, 48).arg("--screen-reader").spawn();
    tour_with(
        &mut t,
        Stops {
            workflow_dialog: true,
            posture_trends: false,
        },
    );
    let bad = offenders(&t.raw(), |c| ('\u{2500}'..='\u{259f}').contains(&c));
    assert!(
        bad.is_empty(),
        "--screen-reader drew box-drawing or block characters:{bad}"
    );
}

#[test]
fn screen_reader_mode_trend_charts_draw_no_boxes() {
    let mut t = Pty::demo(160, 48).arg("--screen-reader").spawn();
    tour(&mut t);
    let bad = offenders(&t.raw(), |c| ('\u{2500}'..='\u{259f}').contains(&c));
    assert!(
        bad.is_empty(),
        "--screen-reader drew box-drawing or block characters:{bad}"
    );
}

#[test]
fn no_color_writes_no_colour_and_the_selection_stands_apart() {
    let mut t = Pty::demo(160, 48).env("NO_COLOR", "1").spawn();
    ready(&mut t);
    // Row 2 is the selected finding; rows below are not. The badges are CRIT in both.
    assert!(
        t.row_text(2)
            .trim_start_matches(['>', ' '])
            .starts_with("CRIT")
    );
    assert!(t.row_text(3).trim_start().starts_with("CRIT"));
    let badge_col = t.row_text(3).find("CRIT").unwrap() as u16;
    let title_col = t.row_text(1).find("TITLE").unwrap() as u16;
    let selected_badge = t.cell(2, badge_col);
    let selected_text = t.cell(2, title_col);
    let badge = t.cell(3, badge_col);
    let plain = t.cell(3, title_col);
    assert!(
        selected_text.inverse,
        "selected row in reverse video: {selected_text:?}"
    );
    assert!(!badge.inverse, "a badge is not reverse video: {badge:?}");
    assert_ne!(selected_badge.look(), badge.look(), "selection vs badge");
    assert_ne!(selected_text.look(), badge.look(), "selection vs badge");
    assert_ne!(selected_text.look(), plain.look(), "selection vs plain row");
    assert!(badge.bold, "CRIT badge bold: {badge:?}");
    // The status bar does not look selected either.
    let status_row = t
        .rows()
        .iter()
        .position(|r| r.contains(" shown of "))
        .unwrap() as u16;
    let status = t.cell(status_row, 2);
    assert!(
        !status.inverse,
        "status bar is not reverse video: {status:?}"
    );
    assert_ne!(status.look(), selected_text.look());
    tour_with(
        &mut t,
        Stops {
            workflow_dialog: false,
            posture_trends: true,
        },
    );
    assert_no_colour(&t.raw());
    let raw = t.raw();
    let attrs: Vec<u16> = sgr_sequences(&raw)
        .into_iter()
        .flat_map(|(_, p)| p)
        .collect();
    assert!(
        attrs.contains(&7) && attrs.contains(&1),
        "reverse and bold used"
    );
}

fn assert_no_colour(raw: &[u8]) {
    let colours: Vec<String> = colours_written(raw)
        .into_iter()
        .filter(|c| !matches!(c.as_str(), "39" | "49" | "59"))
        .collect();
    assert!(
        colours.is_empty(),
        "NO_COLOR: colour codes written: {colours:?}"
    );
}

#[test]
fn no_color_dialogs_write_no_colour() {
    let mut t = Pty::demo(80, 24).env("NO_COLOR", "1").spawn();
    ready(&mut t);
    t.send(Key::Char('w'));
    t.wait_for("optional note", WAIT);
    quit_cleanly(&mut t, Key::Ctrl('c'));
    assert_no_colour(&t.raw());
}

/// `AGENT_HUBBLE_DEMO_FINDINGS`: the generated organisation-scale source's first sync shows
/// its progress and ETA in the status bar with the count rising, and the console stays
/// usable while it runs.
#[test]
fn a_generated_org_scale_source_shows_its_first_sync_and_stays_usable() {
    let mut t = Pty::demo(160, 48)
        .env("AGENT_HUBBLE_DEMO_FINDINGS", "200000")
        .spawn();
    t.wait_until("the org-scale first sync with its ETA", WAIT, |s| {
        s.contains("/≈200,000") && s.contains("ETA")
    });
    let first = shown(&t.screen_text()).map(|(_, total)| total).unwrap_or(0);
    t.wait_until("the count rising", WAIT, |s| {
        shown(s).is_some_and(|(_, total)| total > first)
    });
    // Usable meanwhile: the filter prompt answers.
    t.send(Key::Char('/')).send(Key::Text("sev:crit"));
    t.wait_for("sev:crit", WAIT);
    quit_cleanly(&mut t, Key::Ctrl('c'));
}
