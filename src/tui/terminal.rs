//! Terminal setup and restore. Restores on drop (every exit path) and from the panic hook.

use std::io::{self, Write};

use crossterm::{cursor, execute, terminal};

/// Puts the terminal back: leave the alternate screen, show the cursor, cooked mode.
pub fn restore() {
    let _ = terminal::disable_raw_mode();
    let mut out = io::stdout();
    let _ = execute!(
        out,
        crossterm::event::DisableBracketedPaste,
        terminal::LeaveAlternateScreen,
        cursor::Show
    );
    let _ = out.flush();
}

pub struct TerminalGuard;

impl TerminalGuard {
    pub fn enter() -> io::Result<TerminalGuard> {
        install_panic_hook();
        terminal::enable_raw_mode()?;
        let guard = TerminalGuard;
        execute!(
            io::stdout(),
            terminal::EnterAlternateScreen,
            crossterm::event::EnableBracketedPaste,
            cursor::Hide
        )?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        tracing::error!("panic: {info}");
        previous(info);
    }));
}

/// Rewrites the colour SGRs crossterm writes for the 16 named colours (`38;5;N`/`48;5;N`,
/// N < 16) as the classic `30–37`/`90–97` and `40–47`/`100–107`, which every terminal
/// understands, including 16-colour ones (the Linux console, old xterms, serial consoles)
/// that do not know `38;5`. Same colours, so it is safe at every depth; nothing else changes.
/// A sequence cut between two writes is held until the next write (or flush).
pub struct Sgr16<W: Write> {
    inner: W,
    pending: Vec<u8>,
    out: Vec<u8>,
}

impl<W: Write> Sgr16<W> {
    pub fn new(inner: W) -> Self {
        Sgr16 {
            inner,
            pending: Vec::new(),
            out: Vec::with_capacity(64 * 1024),
        }
    }

    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    pub fn into_inner(mut self) -> W {
        let _ = self.flush();
        let Sgr16 { inner, .. } = self;
        inner
    }
}

/// Rewrites one SGR's parameters (`38;5;9;48;5;0` → `91;40`); `None` if nothing changes.
fn rewrite_sgr(params: &[u8]) -> Option<Vec<u8>> {
    if params.iter().any(|b| !(b.is_ascii_digit() || *b == b';')) {
        return None;
    }
    let list: Vec<&[u8]> = params.split(|b| *b == b';').collect();
    let num = |p: &[u8]| -> Option<u16> { std::str::from_utf8(p).ok()?.parse().ok() };
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    let mut changed = false;
    let mut i = 0;
    while i < list.len() {
        let p = num(list[i]);
        if let (Some(base @ (38 | 48)), Some(Some(5)), Some(Some(n))) = (
            p,
            list.get(i + 1).map(|x| num(x)),
            list.get(i + 2).map(|x| num(x)),
        ) && n < 16
        {
            let code = match (base, n) {
                (38, 0..=7) => 30 + n,
                (38, _) => 90 + n - 8,
                (_, 0..=7) => 40 + n,
                (_, _) => 100 + n - 8,
            };
            out.push(code.to_string());
            changed = true;
            i += 3;
            continue;
        }
        // Extended colours we leave alone: skip their arguments so they are not misread.
        match (p, list.get(i + 1).and_then(|x| num(x))) {
            (Some(38 | 48 | 58), Some(5)) => {
                let end = (i + 3).min(list.len());
                out.extend(
                    list[i..end]
                        .iter()
                        .map(|x| String::from_utf8_lossy(x).into()),
                );
                i = end;
            }
            (Some(38 | 48 | 58), Some(2)) => {
                let end = (i + 5).min(list.len());
                out.extend(
                    list[i..end]
                        .iter()
                        .map(|x| String::from_utf8_lossy(x).into()),
                );
                i = end;
            }
            _ => {
                out.push(String::from_utf8_lossy(list[i]).into());
                i += 1;
            }
        }
    }
    changed.then(|| out.join(";").into_bytes())
}

impl<W: Write> Write for Sgr16<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut data = std::mem::take(&mut self.pending);
        data.extend_from_slice(buf);
        self.out.clear();
        let mut i = 0;
        while i < data.len() {
            if data[i] != 0x1b {
                // Copy the run up to the next ESC in one go.
                let next = data[i..]
                    .iter()
                    .position(|b| *b == 0x1b)
                    .map_or(data.len(), |p| i + p);
                self.out.extend_from_slice(&data[i..next]);
                i = next;
                continue;
            }
            if i + 1 >= data.len() {
                self.pending.extend_from_slice(&data[i..]);
                break;
            }
            if data[i + 1] != b'[' {
                self.out.push(0x1b);
                i += 1;
                continue;
            }
            // CSI: parameters 0x30–0x3F, intermediates 0x20–0x2F, final 0x40–0x7E.
            let mut j = i + 2;
            while j < data.len() && (0x20..=0x3f).contains(&data[j]) {
                j += 1;
            }
            if j >= data.len() {
                if data.len() - i > 256 {
                    // Not a sequence we will ever finish: pass it on.
                    self.out.extend_from_slice(&data[i..]);
                } else {
                    self.pending.extend_from_slice(&data[i..]);
                }
                break;
            }
            match (data[j] == b'm')
                .then(|| rewrite_sgr(&data[i + 2..j]))
                .flatten()
            {
                Some(params) => {
                    self.out.extend_from_slice(b"\x1b[");
                    self.out.extend_from_slice(&params);
                    self.out.push(b'm');
                }
                None => self.out.extend_from_slice(&data[i..=j]),
            }
            i = j + 1;
        }
        self.inner.write_all(&self.out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.inner.write_all(&rest)?;
        }
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(chunks: &[&[u8]]) -> Vec<u8> {
        let mut w = Sgr16::new(Vec::new());
        for c in chunks {
            w.write_all(c).unwrap();
        }
        w.into_inner()
    }

    #[test]
    fn named_colours_become_classic_sgr() {
        assert_eq!(run(&[b"\x1b[38;5;1m"]), b"\x1b[31m");
        assert_eq!(run(&[b"\x1b[38;5;9m"]), b"\x1b[91m");
        assert_eq!(run(&[b"\x1b[48;5;0m"]), b"\x1b[40m");
        assert_eq!(run(&[b"\x1b[48;5;15m"]), b"\x1b[107m");
        // crossterm's SetColors: fg and bg in one SGR.
        assert_eq!(run(&[b"a\x1b[38;5;11;48;5;4mb"]), b"a\x1b[93;44mb");
        assert_eq!(run(&[b"\x1b[1;38;5;7m"]), b"\x1b[1;37m");
    }

    #[test]
    fn everything_else_is_untouched() {
        for s in [
            &b"\x1b[38;5;196m"[..],
            b"\x1b[48;2;1;5;9m",
            b"\x1b[38;2;9;5;1;48;5;200m",
            b"\x1b[58;5;3m",
            b"\x1b[39m\x1b[49m\x1b[59m\x1b[0m",
            b"\x1b[?1049h\x1b[?25l\x1b[2J\x1b[5;9H",
            b"\x1b]52;c;YQ==\x07",
            b"plain \xe2\x94\x82 text",
            b"\x1b[38:5:1m",
        ] {
            assert_eq!(run(&[s]), s, "{}", String::from_utf8_lossy(s));
        }
        // 38;2 arguments are not read as 38;5.
        assert_eq!(run(&[b"\x1b[38;2;5;5;1m"]), b"\x1b[38;2;5;5;1m");
    }

    #[test]
    fn sequences_split_across_writes() {
        let whole = b"x\x1b[1;38;5;3;48;5;12my\x1b[0m";
        let want = b"x\x1b[1;33;104my\x1b[0m".to_vec();
        for cut in 0..whole.len() {
            let (a, b) = whole.split_at(cut);
            assert_eq!(run(&[a, b]), want, "cut at {cut}");
        }
        // A lone ESC at the end of the stream is written on flush.
        assert_eq!(run(&[b"z\x1b"]), b"z\x1b");
    }
}
