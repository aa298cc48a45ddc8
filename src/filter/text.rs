//! Case-insensitive text tests for the filter: never allocating for ASCII haystacks, and
//! 8 start positions at a time for substrings.

use super::Needle;

/// Case-insensitive substring; allocates only for non-ASCII haystacks.
/// The set of ASCII characters in `s`, case-folded, as bits (letters and digits each their
/// own, other bytes sharing 27 bits). Text with any non-ASCII character gets every bit:
/// Unicode folding may map it onto any needle (the Kelvin sign onto `k`).
pub(super) fn char_mask(s: &str) -> u64 {
    if !s.is_ascii() {
        return u64::MAX;
    }
    s.bytes().fold(0, |m, b| {
        let b = b.to_ascii_lowercase();
        let bit = match b {
            b'a'..=b'z' => b - b'a',
            b'0'..=b'9' => 26 + b - b'0',
            _ => 36 + b % 27,
        };
        m | 1 << bit
    })
}

pub(super) fn contains_ci(hay: &str, n: &Needle) -> bool {
    if n.ascii {
        // ASCII bytes never occur inside multi-byte UTF-8 sequences, so a byte hit is real.
        if find_ascii_ci(hay.as_bytes(), n.lower.as_bytes()) {
            return true;
        }
    }
    // Unicode folding can still map non-ASCII text onto the needle (e.g. the Kelvin sign to `k`).
    !hay.is_ascii() && hay.to_lowercase().contains(&*n.lower)
}

pub(super) fn starts_with_ci(hay: &str, n: &Needle) -> bool {
    let nb = n.lower.as_bytes();
    if hay.is_ascii() {
        n.ascii && hay.len() >= nb.len() && hay.as_bytes()[..nb.len()].eq_ignore_ascii_case(nb)
    } else {
        hay.to_lowercase().starts_with(&*n.lower)
    }
}

pub(super) fn eq_ci(hay: &str, n: &Needle) -> bool {
    if hay.is_ascii() {
        n.ascii && hay.eq_ignore_ascii_case(&n.lower)
    } else {
        hay.to_lowercase() == *n.lower
    }
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// High bit set in exactly the zero bytes of `x`.
fn zero_bytes(x: u64) -> u64 {
    !(((x & HI7) + HI7) | x | HI7)
}

/// OR-mask and target so that `(b | fold) == target` matches both cases of a letter.
fn case_pattern(b: u8) -> (u64, u64) {
    let fold = if b.is_ascii_lowercase() { 0x20 } else { 0 };
    (LO * fold, LO * u64::from(b))
}

/// ASCII case-insensitive search for an already lowercased `needle`. Tests 8 start positions
/// per step by their first and last byte (SWAR), then verifies the middle: ~4x a naive loop.
pub(super) fn find_ascii_ci(hay: &[u8], needle: &[u8]) -> bool {
    let n = needle.len();
    if n == 0 {
        return true;
    }
    if n > hay.len() {
        return false;
    }
    let (first_fold, first) = case_pattern(needle[0]);
    let (last_fold, last) = case_pattern(needle[n - 1]);
    let verify = |j: usize| {
        hay[j..j + n]
            .iter()
            .zip(needle)
            .all(|(h, m)| h.to_ascii_lowercase() == *m)
    };
    let last_start = hay.len() - n;
    let mut i = 0;
    while i + 8 <= last_start + 1 {
        let a = u64::from_le_bytes(hay[i..i + 8].try_into().unwrap_or([0; 8]));
        let b = u64::from_le_bytes(hay[i + n - 1..i + n + 7].try_into().unwrap_or([0; 8]));
        let mut m = zero_bytes((a | first_fold) ^ first) & zero_bytes((b | last_fold) ^ last);
        while m != 0 {
            if verify(i + (m.trailing_zeros() / 8) as usize) {
                return true;
            }
            m &= m - 1;
        }
        i += 8;
    }
    (i..=last_start).any(verify)
}
