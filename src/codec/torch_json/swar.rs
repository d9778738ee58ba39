//! Eight bytes at a time (SWAR: SIMD within a register), for the two byte tests the torch-JSON
//! reader and writer make on every string: "where does this string end" and "does this string
//! need escaping". Plain integer arithmetic on `u64` words, no `unsafe`, no target features.
//!
//! `v - ONES & !v & HIGHS` sets the high bit of every zero byte of `v` up to and including
//! the first (lowest) one exactly; above it a borrow may set more. So a mask built from it
//! is non-zero exactly when some byte matches, and its lowest set bit is the first match.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The word of eight bytes at `at` (little-endian: byte `k` in memory is byte `k` of the word).
#[inline(always)]
pub(super) fn word(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

/// Whether `b` ends a string as written in JSON: `"`, `\` or a control byte.
#[inline(always)]
pub(super) fn special(b: u8) -> bool {
    b == b'"' || b == b'\\' || b < 0x20
}

/// High bits at the [`special`] bytes of `word`: zero if there is none, else the lowest set
/// bit is in the first one (`trailing_zeros() / 8` is its index).
#[inline(always)]
pub(super) fn special_mask(word: u64) -> u64 {
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let below_0x20 = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
    zero(word ^ (ONES * u64::from(b'"'))) | zero(word ^ (ONES * u64::from(b'\\'))) | below_0x20
}

/// Whether each of the eight bytes is printable ASCII (`' '..='~'`) other than `"` and `\`:
/// nothing that Python's `json.dumps` escapes.
#[inline(always)]
pub(super) fn plain_ascii(word: u64) -> bool {
    // A byte >= 0x7F gets its high bit from the +1 or has it already; a carry only leaves a
    // byte 0xFF, which is flagged itself.
    let above_0x7e = (word.wrapping_add(ONES) | word) & HIGHS;
    special_mask(word) | above_0x7e == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both tests against the byte rule: every pair of byte values at pairs of positions
    /// (the first match is found whatever follows it, in either order).
    #[test]
    fn the_word_tests_agree_with_the_byte_rules() {
        let first = |w: [u8; 8]| w.iter().position(|&b| special(b));
        let found = |w: [u8; 8]| {
            let mask = special_mask(u64::from_le_bytes(w));
            (mask != 0).then(|| (mask.trailing_zeros() / 8) as usize)
        };
        let printable = |w: [u8; 8]| w.iter().all(|&b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\');
        for a in 0..=255u8 {
            assert_eq!(special(a), a == b'"' || a == b'\\' || a < 0x20);
            for b in 0..=255u8 {
                for (p, q) in [(0, 1), (0, 7), (2, 5), (3, 4), (6, 7), (1, 0), (7, 0), (5, 2)] {
                    let mut w = [b'a'; 8];
                    w[p] = a;
                    w[q] = b;
                    assert_eq!(found(w), first(w), "{w:?}");
                    assert_eq!(plain_ascii(u64::from_le_bytes(w)), printable(w), "{w:?}");
                }
            }
        }
    }
}
