//! The arguments whose meaning needs decoding: ints of any size, the text forms of
//! protocol 0 (decimal lines, quoted escaped strings, raw-unicode-escape), as CPython reads
//! them.

use super::MAX_INT_BYTES;

/// Python's limit on the digits of an int read from text (`sys.int_info.default_max_str_digits`);
/// CPython's unpickler refuses longer `INT`/`LONG` lines the same way.
pub(super) const MAX_INT_DIGITS: usize = 4300;

/// An int: in 64 bits, or longer as minimal little-endian two's complement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Int {
    Small(i64),
    Big(Box<[u8]>),
}

/// An int from little-endian two's complement (`LONG1`, `LONG4`); empty is 0.
pub(super) fn int_from_le(bytes: &[u8]) -> Result<Int, String> {
    let mut b = bytes;
    // Drop sign-extension bytes to get the minimal form.
    while b.len() > 1 {
        let (top, next) = (b[b.len() - 1], b[b.len() - 2]);
        if (top == 0x00 && next & 0x80 == 0) || (top == 0xff && next & 0x80 != 0) {
            b = &b[..b.len() - 1];
        } else {
            break;
        }
    }
    if b.len() <= 8 {
        let fill = if b.last().is_some_and(|&t| t & 0x80 != 0) { 0xff } else { 0x00 };
        let mut a = [fill; 8];
        a[..b.len()].copy_from_slice(b);
        return Ok(Int::Small(i64::from_le_bytes(a)));
    }
    if b.len() > MAX_INT_BYTES {
        return Err(format!("an int of {} bytes, over the {MAX_INT_BYTES}-byte limit", b.len()));
    }
    Ok(Int::Big(b.into()))
}

/// A decimal int line as Python's `int()` reads what picklers write: optional blanks, an
/// optional sign, digits.
pub(super) fn int_from_decimal(line: &[u8]) -> Result<Int, String> {
    let bad = || format!("{:?} is not a decimal integer", String::from_utf8_lossy(line));
    let t = line.trim_ascii();
    let (negative, digits) = match t.first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    if digits.len() > MAX_INT_DIGITS {
        return Err(format!("an int of {} digits, over Python's {MAX_INT_DIGITS}-digit limit", digits.len()));
    }
    // The magnitude in base 256, little-endian: digits.len() * log(10)/log(256) + 1 bytes.
    let mut mag: Vec<u8> = Vec::with_capacity(digits.len() / 2 + 2);
    for &d in digits {
        let mut carry = u32::from(d - b'0');
        for byte in &mut mag {
            let v = u32::from(*byte) * 10 + carry;
            *byte = v as u8;
            carry = v >> 8;
        }
        while carry > 0 {
            mag.push(carry as u8);
            carry >>= 8;
        }
    }
    mag.push(0); // room for the sign bit
    if negative {
        let mut carry = true;
        for byte in &mut mag {
            let (v, c) = (!*byte).overflowing_add(u8::from(carry));
            *byte = v;
            carry = c;
        }
    }
    int_from_le(&mag)
}

/// A float line as Python's `float()` reads what picklers write (`repr` of a float).
pub(super) fn float_from_decimal(line: &[u8]) -> Result<f64, String> {
    std::str::from_utf8(line)
        .ok()
        .and_then(|s| s.trim_ascii().parse::<f64>().ok())
        .ok_or_else(|| format!("{:?} is not a float", String::from_utf8_lossy(line)))
}

/// The argument of `STRING`: quoted with `'` or `"`, then backslash escapes as Python's
/// `codecs.escape_decode` reads them.
pub(super) fn quoted_string(line: &[u8]) -> Result<Vec<u8>, String> {
    let quoted = line.len() >= 2 && matches!(line[0], b'\'' | b'"') && line[line.len() - 1] == line[0];
    if !quoted {
        return Err("the STRING argument is not quoted".into());
    }
    let body = &line[1..line.len() - 1];
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        let c = body[i];
        i += 1;
        if c != b'\\' {
            out.push(c);
            continue;
        }
        let Some(&e) = body.get(i) else {
            return Err("a trailing backslash in the STRING argument".into());
        };
        i += 1;
        match e {
            b'\n' => {}
            b'\\' | b'\'' | b'"' => out.push(e),
            b'a' => out.push(0x07),
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(0x0b),
            b'0'..=b'7' => {
                let mut v = u32::from(e - b'0');
                for _ in 0..2 {
                    match body.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push(v as u8); // as Python: octal escapes above \377 wrap
            }
            b'x' => {
                let hex = body.get(i..i + 2).and_then(|h| std::str::from_utf8(h).ok());
                let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) else {
                    return Err(format!("an invalid \\x escape at position {} of the STRING argument", i - 2));
                };
                out.push(v);
                i += 2;
            }
            other => out.extend_from_slice(&[b'\\', other]),
        }
    }
    Ok(out)
}

/// The argument of `UNICODE`: Python's raw-unicode-escape, bytes as Latin-1 code points but
/// for `\uXXXX` and `\UXXXXXXXX` after an odd number of backslashes.
pub(super) fn raw_unicode_escape(line: &[u8]) -> Result<String, String> {
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < line.len() {
        let c = line[i];
        if c != b'\\' {
            out.push(char::from(c));
            i += 1;
            continue;
        }
        let run = line[i..].iter().take_while(|&&b| b == b'\\').count();
        let next = line.get(i + run).copied();
        if run % 2 == 0 || !matches!(next, Some(b'u' | b'U')) {
            out.extend(std::iter::repeat_n('\\', run));
            i += run;
            continue;
        }
        out.extend(std::iter::repeat_n('\\', run - 1));
        let digits = if next == Some(b'u') { 4 } else { 8 };
        let start = i + run + 1;
        let hex = line.get(start..start + digits).and_then(|h| std::str::from_utf8(h).ok());
        let code =
            hex.filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit())).and_then(|h| u32::from_str_radix(h, 16).ok());
        let Some(code) = code else {
            return Err(format!("a truncated \\u escape at position {} of the UNICODE argument", i + run - 1));
        };
        let Some(ch) = char::from_u32(code) else {
            return Err(format!("\\u escape of U+{code:X} is no Unicode scalar value (a surrogate or past U+10FFFF)"));
        };
        out.push(ch);
        i = start + digits;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_from_le_are_minimal_and_sign_extended() {
        assert_eq!(int_from_le(&[]), Ok(Int::Small(0)));
        assert_eq!(int_from_le(&[0xff]), Ok(Int::Small(-1)));
        assert_eq!(int_from_le(&[0x80, 0x00]), Ok(Int::Small(128)));
        assert_eq!(int_from_le(&[0, 0, 0, 0, 0, 0, 0, 0x80]), Ok(Int::Small(i64::MIN)));
        assert_eq!(int_from_le(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00]), Ok(Int::Small(i64::MAX)));
        assert_eq!(
            int_from_le(&[0, 0, 0, 0, 0, 0, 0, 0x80, 0x00]),
            Ok(Int::Big(vec![0, 0, 0, 0, 0, 0, 0, 0x80, 0].into()))
        );
        assert!(int_from_le(&vec![1u8; MAX_INT_BYTES + 1]).is_err());
    }

    #[test]
    fn decimal_ints_match_their_le_form() {
        assert_eq!(int_from_decimal(b"7"), Ok(Int::Small(7)));
        assert_eq!(int_from_decimal(b"-300"), Ok(Int::Small(-300)));
        assert_eq!(int_from_decimal(b"-9223372036854775808"), Ok(Int::Small(i64::MIN)));
        // 2**64 = 0x1_0000_0000_0000_0000
        assert_eq!(int_from_decimal(b"18446744073709551616"), Ok(Int::Big(vec![0, 0, 0, 0, 0, 0, 0, 0, 1].into())));
        // -(2**64)
        assert_eq!(int_from_decimal(b"-18446744073709551616"), Ok(Int::Big(vec![0, 0, 0, 0, 0, 0, 0, 0, 0xff].into())));
        assert!(int_from_decimal(b"12a").is_err());
        assert!(int_from_decimal(b"").is_err());
        assert!(int_from_decimal(b"-").is_err());
        assert!(int_from_decimal(&vec![b'9'; MAX_INT_DIGITS + 1]).is_err());
    }

    #[test]
    fn quoted_strings_unescape_as_python() {
        assert_eq!(quoted_string(br"'a\nb\\\'\x41\101\q'"), Ok(b"a\nb\\'AA\\q".to_vec()));
        assert!(quoted_string(b"'abc").is_err());
        assert!(quoted_string(b"'").is_err());
        assert!(quoted_string(br"'a\'").is_err());
        assert!(quoted_string(br"'\x4'").is_err());
    }

    #[test]
    fn raw_unicode_escape_decodes_u_escapes_after_odd_backslashes() {
        assert_eq!(raw_unicode_escape(br"caf\u00e9 \U0001f600").as_deref(), Ok("caf\u{e9} \u{1f600}"));
        assert_eq!(raw_unicode_escape(br"\\u0041").as_deref(), Ok(r"\\u0041"));
        assert_eq!(raw_unicode_escape(b"\xe9").as_deref(), Ok("\u{e9}"));
        assert!(raw_unicode_escape(br"\u12").is_err());
        assert!(raw_unicode_escape(br"\ud800").is_err());
    }
}
