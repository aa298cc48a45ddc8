//! Drives the real binary in a pseudo-terminal, as a person at a terminal would.
//!
//! `portable-pty` gives the PTY (spawn with a controlling terminal, resize → SIGWINCH, the
//! master's fd for termios); a reader thread keeps **every byte** the program writes (for
//! byte-level assertions) and feeds a `vt100` parser (for the screen a person would see).
//!
//! ```ignore
//! let mut t = Pty::demo(80, 24).arg("--ascii").spawn();
//! t.wait_for("last poll", WAIT);
//! t.send(Key::Text("/sev:crit")).send(Key::Enter);
//! t.wait_for("filter sev:crit", WAIT);
//! t.send(Key::Char('q'));
//! assert!(t.wait_exit(WAIT).success());
//! t.assert_restored();
//! ```
//!
//! Synchronisation is always on what the screen shows (`wait_for`, `wait_until`), with a
//! bounded timeout that panics with the screen. The only fixed pause is the short gap after a
//! lone Esc (see [`Key::Esc`]).
//!
//! Limits: raw mode is checked through the termios of the PTY (read on the master, which on
//! Linux shares the line discipline with the slave) — this is what the kernel holds, so it is
//! exact, but only on Unix; `portable-pty` does not expose the slave's fd, and the check needs
//! the master to stay open after the child exits (it does: `Pty` owns it until dropped).

#![allow(dead_code)]

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

/// A generous default for one step on a busy 2-core machine (a debug build, other tests
/// running in parallel). Steps normally take milliseconds; this only bounds a failure.
pub const WAIT: Duration = Duration::from_secs(20);

/// A key as a terminal sends it (xterm's sequences, which crossterm 0.29 parses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key<'a> {
    /// Literal text, sent as typed (UTF-8). Do not put an Esc in it.
    Text(&'a str),
    Char(char),
    Enter,
    /// A lone ESC byte. crossterm reads ESC followed by more bytes in the same read as
    /// Alt+key, so `send` pauses briefly after it to keep it alone.
    Esc,
    Tab,
    BackTab,
    Backspace,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    Delete,
    /// Ctrl + a letter: `Ctrl('c')` is 0x03.
    Ctrl(char),
    /// F1–F12.
    F(u8),
}

impl Key<'_> {
    /// The bytes a terminal (xterm, normal cursor-key mode) sends for this key.
    pub fn bytes(&self) -> Vec<u8> {
        let s: &[u8] = match self {
            Key::Text(t) => return t.as_bytes().to_vec(),
            Key::Char(c) => return c.to_string().into_bytes(),
            Key::Enter => b"\r",
            Key::Esc => b"\x1b",
            Key::Tab => b"\t",
            Key::BackTab => b"\x1b[Z",
            Key::Backspace => b"\x7f",
            Key::Up => b"\x1b[A",
            Key::Down => b"\x1b[B",
            Key::Right => b"\x1b[C",
            Key::Left => b"\x1b[D",
            Key::Home => b"\x1b[H",
            Key::End => b"\x1b[F",
            Key::PageUp => b"\x1b[5~",
            Key::PageDown => b"\x1b[6~",
            Key::Delete => b"\x1b[3~",
            Key::Ctrl(c) => {
                let c = c.to_ascii_lowercase();
                assert!(c.is_ascii_lowercase(), "Ctrl({c:?}): only letters");
                return vec![c as u8 - b'a' + 1];
            }
            Key::F(n) => {
                return match n {
                    1..=4 => vec![0x1b, b'O', b'P' + (n - 1)],
                    5 => b"\x1b[15~".to_vec(),
                    6..=10 => format!("\x1b[{}~", 11 + n).into_bytes(),
                    11 | 12 => format!("\x1b[{}~", 12 + n).into_bytes(),
                    _ => panic!("F{n}: only F1-F12"),
                };
            }
        };
        s.to_vec()
    }
}

/// What a test wants to start: the binary, its arguments, its environment, the window.
pub struct PtyBuilder {
    args: Vec<String>,
    env: Vec<(String, String)>,
    cols: u16,
    rows: u16,
}

/// The terminal attributes of one cell as the parsed screen holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellStyle {
    pub text: String,
    pub fg: vt100::Color,
    pub bg: vt100::Color,
    pub bold: bool,
    pub dim: bool,
    pub italic: bool,
    pub underline: bool,
    pub inverse: bool,
}

impl CellStyle {
    /// Everything but the text: what tells two cells apart to the eye.
    pub fn look(&self) -> (vt100::Color, vt100::Color, bool, bool, bool, bool, bool) {
        (
            self.fg,
            self.bg,
            self.bold,
            self.dim,
            self.italic,
            self.underline,
            self.inverse,
        )
    }
}

struct State {
    raw: Vec<u8>,
    parser: vt100::Parser,
    eof: bool,
}

/// The program running in a PTY. Killed (and reaped) on drop if still running.
pub struct Pty {
    master: Box<dyn MasterPty + Send>,
    writer: Arc<Mutex<Box<dyn Write + Send>>>,
    child: Box<dyn Child + Send + Sync>,
    shared: Arc<(Mutex<State>, Condvar)>,
    reader: Option<JoinHandle<()>>,
    status: Option<portable_pty::ExitStatus>,
    home: tempfile::TempDir,
    raw_seen: bool,
}

fn nz(n: u16) -> NonZeroU16 {
    NonZeroU16::new(n).expect("a terminal of at least 1×1")
}

fn size(cols: u16, rows: u16) -> PtySize {
    PtySize {
        rows,
        cols,
        pixel_width: 0,
        pixel_height: 0,
    }
}

impl PtyBuilder {
    pub fn arg(mut self, a: impl Into<String>) -> Self {
        self.args.push(a.into());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, a: I) -> Self {
        self.args.extend(a.into_iter().map(Into::into));
        self
    }

    /// Sets (or overrides: `TERM`) a variable for the program.
    pub fn env(mut self, k: impl Into<String>, v: impl Into<String>) -> Self {
        let k = k.into();
        self.env.retain(|(key, _)| *key != k);
        self.env.push((k, v.into()));
        self
    }

    pub fn size(mut self, cols: u16, rows: u16) -> Self {
        self.cols = cols;
        self.rows = rows;
        self
    }

    /// Starts the binary. Its environment is built from nothing: an isolated home (HOME and
    /// every XDG dir in a fresh tempdir), `TERM=xterm-256color`, a PATH, no `COLORTERM`, no
    /// `NO_COLOR`, no `AGENT_HUBBLE_*`, no AWS credentials — then whatever the test set.
    pub fn spawn(self) -> Pty {
        let home = tempfile::tempdir().expect("tempdir");
        let h = home.path();
        let pair = native_pty_system()
            .openpty(size(self.cols, self.rows))
            .expect("openpty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_agent-hubble"));
        cmd.args(&self.args);
        cmd.env_clear();
        cmd.cwd(h);
        let base: [(&str, PathBuf); 6] = [
            ("HOME", h.to_path_buf()),
            ("XDG_CONFIG_HOME", h.join("config")),
            ("XDG_DATA_HOME", h.join("data")),
            ("XDG_STATE_HOME", h.join("state")),
            ("XDG_CACHE_HOME", h.join("cache")),
            ("XDG_RUNTIME_DIR", h.join("run")),
        ];
        for (k, v) in base {
            cmd.env(k, v);
        }
        for (k, v) in [
            ("PATH", "/usr/local/bin:/usr/bin:/bin"),
            ("TERM", "xterm-256color"),
            ("LANG", "C.UTF-8"),
            ("USER", "pty-tester"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("AWS_CONFIG_FILE", "/nonexistent/agent-hubble-pty"),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                "/nonexistent/agent-hubble-pty",
            ),
        ] {
            cmd.env(k, v);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).expect("spawn agent-hubble");
        // Only the child holds the slave now, so reads end (EIO) when it exits.
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = Arc::new(Mutex::new(pair.master.take_writer().expect("pty writer")));
        let answer = writer.clone();
        let shared = Arc::new((
            Mutex::new(State {
                raw: Vec::with_capacity(1 << 20),
                parser: vt100::Parser::new(nz(self.rows), nz(self.cols), 0),
                eof: false,
            }),
            Condvar::new(),
        ));
        let sh = shared.clone();
        let handle = std::thread::spawn(move || {
            let mut buf = [0u8; 16 * 1024];
            loop {
                let n = match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let (lock, cv) = &*sh;
                let mut st = lock.lock().unwrap_or_else(|e| e.into_inner());
                let from = st.raw.len().saturating_sub(3);
                st.raw.extend_from_slice(&buf[..n]);
                // A terminal answers "where is the cursor?" (DSR 6); crossterm asks it (via
                // ratatui) and gives up after a while without an answer. Answered after the
                // bytes before it are on the screen, like a terminal would.
                let asks = st.raw[from..]
                    .windows(4)
                    .filter(|w| *w == b"\x1b[6n")
                    .count();
                st.parser.process(&buf[..n]);
                if asks > 0 {
                    let (row, col) = st.parser.screen().cursor_position();
                    let reply = format!("\x1b[{};{}R", row + 1, col + 1).repeat(asks);
                    let mut w = answer.lock().unwrap_or_else(|e| e.into_inner());
                    let _ = w.write_all(reply.as_bytes());
                    let _ = w.flush();
                }
                cv.notify_all();
            }
            let (lock, cv) = &*sh;
            lock.lock().unwrap_or_else(|e| e.into_inner()).eof = true;
            cv.notify_all();
        });
        Pty {
            master: pair.master,
            writer,
            child,
            shared,
            reader: Some(handle),
            status: None,
            home,
            raw_seen: false,
        }
    }
}

impl Pty {
    /// The binary with `--demo`, at `cols`×`rows`.
    pub fn demo(cols: u16, rows: u16) -> PtyBuilder {
        PtyBuilder {
            args: vec!["--demo".into()],
            env: Vec::new(),
            cols,
            rows,
        }
    }

    /// The binary with no arguments at all, at `cols`×`rows`.
    pub fn bare(cols: u16, rows: u16) -> PtyBuilder {
        PtyBuilder {
            args: Vec::new(),
            env: Vec::new(),
            cols,
            rows,
        }
    }

    /// The isolated home (HOME; XDG dirs are `config`, `data`, `state`, `cache` below it).
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Types one key.
    pub fn send(&mut self, key: Key<'_>) -> &mut Self {
        {
            let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
            w.write_all(&key.bytes()).expect("write to pty");
            w.flush().expect("flush pty");
        }
        if key == Key::Esc {
            // Keep the ESC alone in crossterm's read, or the next key becomes Alt+key.
            std::thread::sleep(Duration::from_millis(80));
        }
        self
    }

    /// Types several keys in order.
    pub fn keys(&mut self, keys: &[Key<'_>]) -> &mut Self {
        for k in keys {
            self.send(*k);
        }
        self
    }

    /// Resizes the PTY: the kernel sends SIGWINCH to the program. The parser takes the new
    /// size at once (the program redraws everything after a resize).
    pub fn resize(&mut self, cols: u16, rows: u16) -> &mut Self {
        {
            let mut st = self.state();
            st.parser.set_size(nz(rows), nz(cols));
        }
        self.master.resize(size(cols, rows)).expect("resize pty");
        self
    }

    /// The size the parser holds (cols, rows).
    pub fn size(&self) -> (u16, u16) {
        let (rows, cols) = self.state().parser.screen().size();
        (cols.get(), rows.get())
    }

    /// The screen as text: one line per row, trailing spaces trimmed.
    pub fn screen_text(&self) -> String {
        Self::text_of(self.state().parser.screen())
    }

    fn text_of(screen: &vt100::Screen) -> String {
        let (_, cols) = screen.size();
        screen
            .rows(0, cols.get())
            .map(|r| r.trim_end().to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// One row's text (untrimmed, `cols` wide).
    pub fn row_text(&self, row: u16) -> String {
        let st = self.state();
        let (_, cols) = st.parser.screen().size();
        st.parser
            .screen()
            .rows(0, cols.get())
            .nth(usize::from(row))
            .unwrap_or_default()
    }

    /// The screen's rows, untrimmed.
    pub fn rows(&self) -> Vec<String> {
        let st = self.state();
        let (_, cols) = st.parser.screen().size();
        st.parser.screen().rows(0, cols.get()).collect()
    }

    /// Style and text of the cell at (row, col), 0-based.
    pub fn cell(&self, row: u16, col: u16) -> CellStyle {
        let st = self.state();
        let c = st
            .parser
            .screen()
            .cell(row, col)
            .unwrap_or_else(|| panic!("no cell at row {row}, col {col}"));
        CellStyle {
            text: c.contents().to_string(),
            fg: c.fgcolor(),
            bg: c.bgcolor(),
            bold: c.bold(),
            dim: c.dim(),
            italic: c.italic(),
            underline: c.underline(),
            inverse: c.inverse(),
        }
    }

    /// Where `text` first appears on screen (row, col), by characters, if it does.
    pub fn find(&self, text: &str) -> Option<(u16, u16)> {
        self.rows().iter().enumerate().find_map(|(r, line)| {
            line.find(text)
                .map(|byte| (r as u16, line[..byte].chars().count() as u16))
        })
    }

    /// Every byte the program has written so far.
    pub fn raw(&self) -> Vec<u8> {
        self.state().raw.clone()
    }

    /// How many bytes the program has written so far (a mark for [`Pty::raw_since`]).
    pub fn raw_len(&self) -> usize {
        self.state().raw.len()
    }

    pub fn raw_since(&self, mark: usize) -> Vec<u8> {
        self.state().raw[mark..].to_vec()
    }

    /// Waits until `cond` holds for the screen text, or panics after `timeout` with `what`
    /// and the screen.
    pub fn wait_until(
        &mut self,
        what: &str,
        timeout: Duration,
        mut cond: impl FnMut(&str) -> bool,
    ) -> &mut Self {
        let deadline = Instant::now() + timeout;
        let (lock, cv) = &*self.shared;
        let mut st = lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let text = Self::text_of(st.parser.screen());
            if cond(&text) {
                break;
            }
            let now = Instant::now();
            if now >= deadline || st.eof {
                let why = if st.eof {
                    "the program exited"
                } else {
                    "timed out"
                };
                let (rows, cols) = st.parser.screen().size();
                drop(st);
                let exit = self.child.try_wait().ok().flatten();
                panic!(
                    "waiting for {what} ({why} after {:?}; exit status {exit:?}); screen {cols}×{rows}:\n{}\n{}\n{}",
                    timeout - deadline.saturating_duration_since(now),
                    "-".repeat(usize::from(cols.get())),
                    text,
                    "-".repeat(usize::from(cols.get()))
                );
            }
            // New bytes wake us; the cap re-checks a condition that depends on time.
            let wait = (deadline - now).min(Duration::from_millis(200));
            st = cv
                .wait_timeout(st, wait)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        drop(st);
        self.check_raw_mode();
        self
    }

    /// Waits until the program has written something after `mark` (from [`Pty::raw_len`]):
    /// a redraw that may not change the text (a highlighted tab, a style).
    pub fn wait_output_since(&mut self, mark: usize, what: &str, timeout: Duration) -> &mut Self {
        let deadline = Instant::now() + timeout;
        loop {
            // A frame is written in one go (synchronized update), so its end is what counts.
            if self.raw_len() > mark && contains(&self.raw_since(mark), b"\x1b[?2026l") {
                return self;
            }
            if Instant::now() >= deadline {
                panic!(
                    "waiting for {what}: nothing drawn in {timeout:?}; screen:\n{}",
                    self.screen_text()
                );
            }
            let (lock, cv) = &*self.shared;
            let st = lock.lock().unwrap_or_else(|e| e.into_inner());
            let _ = cv.wait_timeout(st, Duration::from_millis(100));
        }
    }

    /// Waits until `text` is on screen.
    pub fn wait_for(&mut self, text: &str, timeout: Duration) -> &mut Self {
        self.wait_until(&format!("{text:?} on screen"), timeout, |s| {
            s.contains(text)
        })
    }

    /// Waits until `text` is no longer on screen.
    pub fn wait_gone(&mut self, text: &str, timeout: Duration) -> &mut Self {
        self.wait_until(&format!("{text:?} gone from screen"), timeout, |s| {
            !s.contains(text)
        })
    }

    /// Records once that the program has put the terminal in raw mode (so the check after
    /// exit that it came back means something).
    fn check_raw_mode(&mut self) {
        if !self.raw_seen
            && self.status.is_none()
            && let Some((icanon, echo)) = self.termios_flags()
        {
            self.raw_seen = !icanon && !echo;
        }
    }

    /// (ICANON, ECHO) of the PTY's line discipline, read on the master.
    pub fn termios_flags(&self) -> Option<(bool, bool)> {
        let fd = self.master.as_raw_fd()?;
        // SAFETY: a plain tcgetattr into a zeroed struct on an fd the master owns.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        if unsafe { libc::tcgetattr(fd, &mut t) } != 0 {
            return None;
        }
        Some((t.c_lflag & libc::ICANON != 0, t.c_lflag & libc::ECHO != 0))
    }

    /// Waits for the program to exit and for its last bytes; kills it and panics (with the
    /// screen) after `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> portable_pty::ExitStatus {
        if let Some(s) = &self.status {
            return s.clone();
        }
        let deadline = Instant::now() + timeout;
        let status = loop {
            match self.child.try_wait().expect("try_wait") {
                Some(s) => break s,
                None if Instant::now() >= deadline => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    panic!(
                        "the program did not exit within {timeout:?}; screen:\n{}",
                        self.screen_text()
                    );
                }
                None => std::thread::sleep(Duration::from_millis(20)),
            }
        };
        // The reader ends at EOF/EIO once the child (the slave's only holder) is gone.
        let (lock, cv) = &*self.shared;
        let mut st = lock.lock().unwrap_or_else(|e| e.into_inner());
        let until = Instant::now() + Duration::from_secs(5);
        while !st.eof && Instant::now() < until {
            st = cv
                .wait_timeout(st, Duration::from_millis(100))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        drop(st);
        self.status = Some(status.clone());
        status
    }

    /// After exit: the terminal is as the program found it. The last bytes leave the
    /// alternate screen (`ESC[?1049l`) and show the cursor (`ESC[?25h`), bracketed paste is
    /// off, and the PTY is back in canonical mode with echo (it was seen in raw mode before).
    pub fn assert_restored(&mut self) {
        assert!(
            self.status.is_some(),
            "assert_restored: call wait_exit first"
        );
        let raw = self.raw();
        let tail = &raw[raw.len().saturating_sub(64)..];
        let leave = rfind(&raw, b"\x1b[?1049l");
        let enter = rfind(&raw, b"\x1b[?1049h");
        let show = rfind(&raw, b"\x1b[?25h");
        let hide = rfind(&raw, b"\x1b[?25l");
        assert!(
            enter.is_some(),
            "never entered the alternate screen; tail {}",
            escape(tail)
        );
        assert!(
            leave > enter,
            "the alternate screen was not left at the end; tail {}",
            escape(tail)
        );
        assert!(
            show > hide,
            "the cursor was not shown again at the end; tail {}",
            escape(tail)
        );
        // Nothing drawn after the restore: only escape sequences may follow it.
        let after = &raw[leave.expect("checked")..];
        assert!(
            raw.ends_with(b"\x1b[?25h") && only_escapes(after),
            "the output must end with the restore (leave alt screen, show cursor); tail {}",
            escape(tail)
        );
        {
            let st = self.state();
            let s = st.parser.screen();
            assert!(
                !s.alternate_screen(),
                "parser still on the alternate screen"
            );
            assert!(!s.hide_cursor(), "parser: cursor still hidden");
            assert!(!s.bracketed_paste(), "parser: bracketed paste still on");
        }
        assert!(
            self.raw_seen,
            "the terminal was never seen in raw mode while the program ran"
        );
        let (icanon, echo) = self.termios_flags().expect("termios of the pty");
        assert!(
            icanon && echo,
            "raw mode not left: ICANON={icanon} ECHO={echo}"
        );
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        if self.status.is_none() && matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if let Some(h) = self.reader.take() {
            // Detached if the reader is stuck; it ends with the process anyway.
            if h.is_finished() {
                let _ = h.join();
            }
        }
    }
}

pub fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// True if `b` is only CSI/ESC sequences (no printable text).
fn only_escapes(b: &[u8]) -> bool {
    let mut i = 0;
    while i < b.len() {
        if b[i] != 0x1b {
            return false;
        }
        i += 1;
        if b.get(i) == Some(&b'[') {
            i += 1;
            while i < b.len() && !(0x40..=0x7e).contains(&b[i]) {
                i += 1;
            }
        }
        i += 1;
    }
    true
}

/// Bytes shown with escapes visible, for failure messages.
pub fn escape(b: &[u8]) -> String {
    String::from_utf8_lossy(b)
        .chars()
        .flat_map(|c| {
            if c == '\x1b' {
                "\\e".chars().collect::<Vec<_>>()
            } else if c.is_control() {
                format!("\\x{:02x}", c as u32).chars().collect()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// Every SGR (`CSI … m`) in the output, with its parameters as written (`;` and `:` both
/// separate them; an empty parameter is 0), and its byte offset.
pub fn sgr_sequences(b: &[u8]) -> Vec<(usize, Vec<u16>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] == 0x1b && b[i + 1] == b'[' {
            let start = i;
            let mut j = i + 2;
            while j < b.len() && (0x30..=0x3f).contains(&b[j]) {
                j += 1;
            }
            // Intermediate bytes.
            while j < b.len() && (0x20..=0x2f).contains(&b[j]) {
                j += 1;
            }
            if j < b.len() && b[j] == b'm' {
                let params = &b[i + 2..j];
                if !params.starts_with(b"?") && !params.starts_with(b">") {
                    let list = params
                        .split(|c| *c == b';' || *c == b':')
                        .map(|p| {
                            std::str::from_utf8(p)
                                .ok()
                                .and_then(|s| s.parse().ok())
                                .unwrap_or(0)
                        })
                        .collect();
                    out.push((start, list));
                }
            }
            i = j + 1;
        } else {
            i += 1;
        }
    }
    out
}

/// What an SGR's parameters set, split into the colour parts (each as written, e.g.
/// `"38;5;9"`, `"31"`, `"39"`) and the rest.
pub fn sgr_colours(params: &[u16]) -> Vec<String> {
    let mut out = Vec::new();
    let mut k = 0;
    while k < params.len() {
        let p = params[k];
        match p {
            38 | 48 | 58 => match params.get(k + 1) {
                Some(5) => {
                    let n = params.get(k + 2).copied().unwrap_or(0);
                    out.push(format!("{p};5;{n}"));
                    k += 3;
                    continue;
                }
                Some(2) => {
                    let rgb: Vec<String> = params[k + 2..(k + 5).min(params.len())]
                        .iter()
                        .map(u16::to_string)
                        .collect();
                    out.push(format!("{p};2;{}", rgb.join(";")));
                    k += 5;
                    continue;
                }
                _ => out.push(p.to_string()),
            },
            30..=37 | 39 | 40..=47 | 49 | 59 | 90..=97 | 100..=107 => out.push(p.to_string()),
            _ => {}
        }
        k += 1;
    }
    out
}

/// Text a person can read in a failure message: the offending characters with some context.
pub fn context_of(text: &str, pred: impl Fn(char) -> bool, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        if line.chars().any(&pred) {
            let l: String = line.chars().filter(|c| !c.is_control()).collect();
            out.push(l.trim().to_string());
            if out.len() >= max {
                break;
            }
        }
    }
    out
}
