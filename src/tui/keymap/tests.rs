use super::*;

const NONE: KeyModifiers = KeyModifiers::NONE;

fn press(map: &Keymap, code: KeyCode, mods: KeyModifiers) -> Option<Action> {
    map.action(&KeyEvent::new(code, mods))
}

/// Loads `name` from a temporary user dir holding `files`.
fn load_with(name: &str, files: &[(&str, &str)]) -> Result<Keymap, Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    for (file, text) in files {
        std::fs::write(dir.path().join(file), text).unwrap();
    }
    load(name, Some(dir.path())).map_err(|ds| {
        ds.iter()
            .map(|d| format!("{}:{}: {}", d.line, d.col, d.message))
            .collect()
    })
}

#[test]
fn builtins_load_cleanly_and_bind_everything() {
    assert_eq!(check_all(None), []);
    for name in builtin_names() {
        let map = load(name, None).unwrap();
        assert_eq!(map.name, *name);
        for a in Action::ALL {
            assert!(!map.keys_for(a).is_empty(), "{name}: {a} unbound");
        }
    }
    let (vim, arrows) = (load("vim", None).unwrap(), load("arrows", None).unwrap());
    assert_eq!(press(&vim, KeyCode::Down, NONE), None);
    for c in "hjkl".chars() {
        assert_eq!(press(&arrows, KeyCode::Char(c), NONE), None);
    }
}

#[test]
fn default_has_vim_keys_and_arrows() {
    let map = Keymap::default();
    let ctrl = KeyModifiers::CONTROL;
    let cases = [
        (KeyCode::Char('j'), NONE, Action::MoveDown),
        (KeyCode::Down, NONE, Action::MoveDown),
        (KeyCode::Char('k'), NONE, Action::MoveUp),
        (KeyCode::Char('d'), ctrl, Action::PageDown),
        (KeyCode::PageDown, NONE, Action::PageDown),
        (KeyCode::Char(' '), NONE, Action::Mark),
        (KeyCode::Char('/'), NONE, Action::Filter),
        (KeyCode::Char(':'), NONE, Action::Palette),
        (KeyCode::F(1), NONE, Action::Help),
        (KeyCode::Esc, NONE, Action::Back),
        (KeyCode::Char('q'), NONE, Action::Quit),
        (KeyCode::Char('c'), ctrl, Action::ForceQuit),
    ];
    for (code, mods, want) in cases {
        assert_eq!(press(&map, code, mods), Some(want), "{code:?}");
    }
    assert_eq!(map.keys_for(Action::Help), ["?", "f1"]);
    assert_eq!(map.keys_for(Action::Bottom), ["G", "end"]);
}

#[test]
fn shift_is_normalised() {
    let map = Keymap::default();
    let shift = KeyModifiers::SHIFT;
    for (c, mods) in [('G', NONE), ('G', shift), ('g', shift)] {
        assert_eq!(press(&map, KeyCode::Char(c), mods), Some(Action::Bottom));
    }
    assert_eq!(press(&map, KeyCode::Char('g'), NONE), Some(Action::Top));
    assert_eq!(press(&map, KeyCode::Char('?'), shift), Some(Action::Help));
    assert_eq!(press(&map, KeyCode::BackTab, shift), Some(Action::PrevTab));
    assert_eq!(press(&map, KeyCode::Tab, shift), Some(Action::PrevTab));
    let release = KeyEvent::new_with_kind(KeyCode::Char('q'), NONE, KeyEventKind::Release);
    assert_eq!(map.action(&release), None);
    let g: KeyCombo = "shift-g".parse().unwrap();
    assert_eq!(g, "G".parse().unwrap());
    assert_eq!(
        g,
        KeyCombo::from_event(&KeyEvent::new(KeyCode::Char('g'), shift))
    );
}

#[test]
fn key_syntax_round_trips() {
    let canonical = "j G ? / : - + * é up down left right pageup pagedown home end enter esc \
        tab backtab space backspace delete insert f1 f12 ctrl-d ctrl-D alt-x ctrl-alt-delete \
        shift-f4 shift-up ctrl-- ctrl-space super-k";
    for k in canonical.split_whitespace() {
        let parsed: KeyCombo = k.parse().unwrap_or_else(|e| panic!("{k}: {e}"));
        assert_eq!(parsed.to_string(), k);
    }
    let aliases = "CTRL+d=ctrl-d Ctrl-PageDown=ctrl-pagedown shift-g=G shift-G=G \
        shift-tab=backtab pgdn=pagedown Escape=esc F5=f5 alt-shift-x=alt-X \
        control-meta-a=ctrl-alt-a Return=enter";
    for pair in aliases.split_whitespace() {
        let (alias, want) = pair.split_once('=').unwrap();
        assert_eq!(
            alias.parse::<KeyCombo>().unwrap().to_string(),
            want,
            "{alias}"
        );
    }
    for bad in [
        "", "ctrl-", "shift-/", "pgdwn", "f25", "hyper-x", " ", "jj", "éé", "alt-é+",
    ] {
        assert!(bad.parse::<KeyCombo>().is_err(), "{bad:?}");
    }
    let e = "pagedwn".parse::<KeyCombo>().unwrap_err();
    assert_eq!(e.0, "unknown key `pagedwn`; did you mean `pagedown`?");
}

#[test]
fn action_names_round_trip() {
    for a in Action::ALL {
        assert_eq!(a.name().parse::<Action>(), Ok(a));
        assert!(!a.description().is_empty());
    }
    let e = "mvoe_down".parse::<Action>().unwrap_err();
    assert_eq!(e.0, "unknown action `mvoe_down`; did you mean `move_down`?");
}

#[test]
fn user_file_replaces_only_listed_actions() {
    let map = load_with(
        "default",
        &[("default.toml", "[bindings]\nmove_down = [\"e\", \"down\"]")],
    )
    .unwrap();
    assert_eq!(map.keys_for(Action::MoveDown), ["e", "down"]);
    assert_eq!(map.keys_for(Action::MoveUp), ["k", "up"]);
    assert_eq!(press(&map, KeyCode::Char('j'), NONE), None);
    // A stand-alone map has only its own keys, plus the reserved ones.
    let map = load_with("mine", &[("mine.toml", "[bindings]\nquit = \"x\"\n")]).unwrap();
    assert_eq!(map.keys_for(Action::Quit), ["x"]);
    assert_eq!(map.keys_for(Action::ForceQuit), ["ctrl-c"]);
    assert_eq!(map.keys_for(Action::Back), ["esc"]);
    assert!(map.keys_for(Action::MoveDown).is_empty());
    // Inheriting another user map, which itself extends its built-in.
    let files = [
        ("vim.toml", "[bindings]\nquit = [\"Z\"]\n"),
        (
            "mine.toml",
            "inherits = \"vim\"\n[bindings]\ncopy = [\"Y\"]\n",
        ),
    ];
    let map = load_with("mine", &files).unwrap();
    assert_eq!(map.keys_for(Action::Quit), ["Z"]);
    assert_eq!(map.keys_for(Action::Copy), ["Y"]);
    assert_eq!(map.keys_for(Action::MoveDown), ["j"]);
}

#[test]
fn ctrl_c_and_esc_are_reserved() {
    let src = "[bindings]\nforce_quit = [\"ctrl-q\"]\nback = []\n";
    let map = load_with("default", &[("default.toml", src)]).unwrap();
    assert_eq!(map.keys_for(Action::ForceQuit), ["ctrl-q", "ctrl-c"]);
    assert_eq!(
        press(&map, KeyCode::Char('c'), KeyModifiers::CONTROL),
        Some(Action::ForceQuit)
    );
    assert_eq!(map.keys_for(Action::Back), ["esc"]);
    let src = "[bindings]\ncopy = [\"ctrl-c\"]\nquit = [\"q\", \"esc\"]\n";
    assert_eq!(
        load_with("default", &[("default.toml", src)]).unwrap_err(),
        [
            "2:9: `ctrl-c` is reserved for force_quit; remove it from copy",
            "3:14: `esc` is reserved for back; remove it from quit",
        ]
    );
}

#[test]
fn diagnostics_point_at_the_problem() {
    let src = "name = \"mine\"\ninherits = \"default\"\n\n[bindings]\nmvoe_down = [\"n\"]\n\
               quit = [\"q\", \"ctrl-\", 3]\n";
    assert_eq!(
        load_with("mine", &[("mine.toml", src)]).unwrap_err(),
        [
            "5:1: unknown action `mvoe_down`; did you mean `move_down`?",
            "6:14: bad key: missing key after `ctrl-`",
            "6:23: expected a key string like \"ctrl-d\"",
        ]
    );
    let src = "inherits = \"default\"\n[bindings]\nmark = [\"space\", \"j\"]\n";
    let got = load_with("mine", &[("mine.toml", src)]).unwrap_err();
    assert_eq!(got, ["3:18: `j` is bound to both move_down and mark"]);
    let got = load_with("mine", &[("mine.toml", "name = 1\n[bindings\n")]).unwrap_err();
    assert!(got[0].starts_with("2:10: "), "{got:?}");
    let got = load_with("mine", &[("mine.toml", "name = 1\nbindngs = {}\n")]).unwrap_err();
    assert_eq!(
        got,
        [
            "1:8: `name` must be a string, not integer",
            "2:1: unknown setting `bindngs`; did you mean `bindings`?",
        ]
    );
}

#[test]
fn inheritance_cycles_and_unknown_parents() {
    let files = [
        ("a.toml", "inherits = \"b\"\n"),
        ("b.toml", "\ninherits = \"a\"\n"),
    ];
    assert_eq!(
        load_with("a", &files).unwrap_err(),
        ["2:12: inheritance cycle: a → b → a"]
    );
    let got = load_with("a", &[("a.toml", "inherits = \"nope\"\n")]).unwrap_err();
    assert_eq!(
        got,
        ["1:12: no keymap named `nope` (built-in: default, vim, arrows)"]
    );
    // A user `default.toml` may name its built-in parent explicitly.
    assert!(load_with("default", &[("default.toml", "inherits = \"default\"\n")]).is_ok());
    assert!(load("nope", None).is_err());
}

#[test]
fn help_lists_every_action_once() {
    let map = load_with("default", &[("default.toml", "[bindings]\ncopy = []\n")]).unwrap();
    let help = map.help();
    let titles: Vec<_> = help.iter().map(|s| s.title).collect();
    assert_eq!(
        titles,
        ["Navigation", "Findings", "Remediation", "Views", "General"]
    );
    let entries: Vec<_> = help.iter().flat_map(|s| s.entries.clone()).collect();
    let mut seen: Vec<Action> = entries.iter().map(|e| e.2).collect();
    seen.sort();
    assert_eq!(seen, Action::ALL);
    let find = |a: Action| entries.iter().find(|e| e.2 == a).unwrap();
    assert_eq!(find(Action::Copy).0, "(unbound)");
    assert_eq!(
        (find(Action::Help).0.as_str(), find(Action::Help).1),
        ("?, f1", "Show this help")
    );
}

#[test]
fn check_all_reports_user_files_once() {
    let dir = tempfile::tempdir().unwrap();
    for (file, text) in [
        ("base.toml", "[bindings]\nbogus = [\"x\"]\n"),
        ("child.toml", "inherits = \"base\"\n"),
        ("notes.txt", "ignored"),
    ] {
        std::fs::write(dir.path().join(file), text).unwrap();
    }
    let got = check_all(Some(dir.path()));
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].file.ends_with("base.toml") && got[0].line == 2);
}
