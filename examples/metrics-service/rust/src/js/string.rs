//! JavaScript strings as the Node service sees them.
//!
//! A JS string is a sequence of UTF-16 code units and may hold lone surrogates
//! (`JSON.parse('"\\ud800"')` is a valid one-unit string). A Rust `String`
//! cannot, so a [`JsStr`] keeps WTF-8: UTF-8, plus three-byte sequences for
//! lone surrogates. Text copied from a request body (valid UTF-8) is WTF-8
//! as it is, so the common case is a zero-copy slice of the body.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;

/// A JavaScript string value, stored as WTF-8.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct JsStr(Bytes);

impl JsStr {
    #[cfg(test)]
    pub const fn from_static(s: &'static str) -> Self {
        Self(Bytes::from_static(s.as_bytes()))
    }

    /// Wraps bytes that are already WTF-8 (a slice of UTF-8 text, or the
    /// output of [`Wtf8Builder`]).
    pub(crate) fn from_wtf8(bytes: Bytes) -> Self {
        Self(bytes)
    }

    pub fn as_wtf8(&self) -> &[u8] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn eq_str(&self, s: &str) -> bool {
        self.0 == s.as_bytes()
    }

    /// The string's UTF-16 code units, as JS indexes it.
    pub fn to_utf16(&self) -> Vec<u16> {
        wtf8_to_utf16(&self.0)
    }

    /// `str.length` in JS: the number of UTF-16 code units.
    pub fn utf16_len(&self) -> usize {
        code_points(&self.0)
            .map(|cp| if cp >= 0x1_0000 { 2 } else { 1 })
            .sum()
    }

    /// For logs and vendor payloads that must be UTF-8: lone surrogates become U+FFFD.
    pub fn to_string_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }
}

impl fmt::Debug for JsStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string_lossy(), f)
    }
}

impl fmt::Display for JsStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_lossy())
    }
}

/// Builds WTF-8 from UTF-16 code units and UTF-8 text, pairing surrogates
/// the way a JS string would when the two halves meet.
#[derive(Default)]
pub struct Wtf8Builder {
    buf: Vec<u8>,
    pending_high: Option<u16>,
}

impl Wtf8Builder {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            buf: Vec::with_capacity(capacity),
            pending_high: None,
        }
    }

    pub fn push_str(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        self.flush_high();
        self.buf.extend_from_slice(s.as_bytes());
    }

    pub fn push_unit(&mut self, unit: u16) {
        if let Some(high) = self.pending_high.take() {
            if (0xDC00..=0xDFFF).contains(&unit) {
                let cp = 0x1_0000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(unit) - 0xDC00);
                push_code_point(&mut self.buf, cp);
                return;
            }
            push_code_point(&mut self.buf, u32::from(high));
        }
        if (0xD800..=0xDBFF).contains(&unit) {
            self.pending_high = Some(unit);
        } else {
            push_code_point(&mut self.buf, u32::from(unit));
        }
    }

    pub fn push_units(&mut self, units: &[u16]) {
        for &unit in units {
            self.push_unit(unit);
        }
    }

    fn flush_high(&mut self) {
        if let Some(high) = self.pending_high.take() {
            push_code_point(&mut self.buf, u32::from(high));
        }
    }

    pub fn finish(mut self) -> JsStr {
        self.flush_high();
        JsStr(Bytes::from(self.buf))
    }
}

/// Encodes one code point (surrogates included) as generalized UTF-8.
fn push_code_point(out: &mut Vec<u8>, cp: u32) {
    // Truncating casts are the point here: each byte takes 6 (or fewer) bits.
    #[allow(clippy::cast_possible_truncation)]
    match cp {
        0..=0x7F => out.push(cp as u8),
        0x80..=0x7FF => out.extend_from_slice(&[0xC0 | (cp >> 6) as u8, 0x80 | (cp & 0x3F) as u8]),
        0x800..=0xFFFF => out.extend_from_slice(&[
            0xE0 | (cp >> 12) as u8,
            0x80 | ((cp >> 6) & 0x3F) as u8,
            0x80 | (cp & 0x3F) as u8,
        ]),
        _ => out.extend_from_slice(&[
            0xF0 | (cp >> 18) as u8,
            0x80 | ((cp >> 12) & 0x3F) as u8,
            0x80 | ((cp >> 6) & 0x3F) as u8,
            0x80 | (cp & 0x3F) as u8,
        ]),
    }
}

/// The code points of WTF-8 (which every [`JsStr`] holds), lone surrogates included.
pub fn code_points(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        let b0 = u32::from(*bytes.get(i)?);
        let cont = |k: usize| u32::from(bytes.get(i + k).copied().unwrap_or(0x80) & 0x3F);
        let (cp, len) = match b0 {
            0..=0x7F => (b0, 1),
            0xC0..=0xDF => (((b0 & 0x1F) << 6) | cont(1), 2),
            0xE0..=0xEF => (((b0 & 0x0F) << 12) | (cont(1) << 6) | cont(2), 3),
            0xF0..=0xF7 => (
                ((b0 & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3),
                4,
            ),
            // Not produced by this module; step over it rather than loop.
            _ => (0xFFFD, 1),
        };
        i += len;
        Some(cp)
    })
}

pub fn wtf8_to_utf16(bytes: &[u8]) -> Vec<u16> {
    let mut units = Vec::with_capacity(bytes.len());
    for cp in code_points(bytes) {
        push_utf16(&mut units, cp);
    }
    units
}

#[allow(clippy::cast_possible_truncation)]
fn push_utf16(units: &mut Vec<u16>, cp: u32) {
    if cp >= 0x1_0000 {
        let c = cp - 0x1_0000;
        units.push(0xD800 | (c >> 10) as u16);
        units.push(0xDC00 | (c & 0x3FF) as u16);
    } else {
        units.push(cp as u16);
    }
}

/// Appends `s` as a JSON string literal exactly as `JSON.stringify` writes it:
/// `"` and `\` escaped, `\b \f \n \r \t`, other controls as `\u00xx`, lone
/// surrogates as `\udxxx` (lower-case hex), everything else verbatim.
pub fn write_json_string(out: &mut Vec<u8>, s: &[u8]) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    write_json_escaped(out, s);
    out.push(b'"');
}

/// The inside of [`write_json_string`]: `s` escaped, without the quotes.
pub fn write_json_escaped(out: &mut Vec<u8>, s: &[u8]) {
    let mut start = 0;
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if b >= 0x20 && b != b'"' && b != b'\\' && b != 0xED {
            i += 1;
            continue;
        }
        if b == 0xED {
            // 0xED 0xA0..=0xBF starts an encoded surrogate; 0xED 0x80..=0x9F is U+D000..U+D7FF.
            if s.get(i + 1).is_some_and(|&b1| b1 >= 0xA0) && i + 2 < s.len() {
                out.extend_from_slice(&s[start..i]);
                let cp = 0xD000 | (u32::from(s[i + 1] & 0x3F) << 6) | u32::from(s[i + 2] & 0x3F);
                write_u_escape(out, cp);
                i += 3;
                start = i;
            } else {
                i += 1;
            }
            continue;
        }
        out.extend_from_slice(&s[start..i]);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0C => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => write_u_escape(out, u32::from(b)),
        }
        i += 1;
        start = i;
    }
    out.extend_from_slice(&s[start..]);
}

fn write_u_escape(out: &mut Vec<u8>, cp: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(b"\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[((cp >> shift) & 0xF) as usize]);
    }
}

/// The characters JS `\s` and `String.prototype.trim` treat as white space.
pub fn is_js_whitespace(unit: u32) -> bool {
    matches!(
        unit,
        0x09..=0x0D
            | 0x20
            | 0xA0
            | 0x1680
            | 0x2000..=0x200A
            | 0x2028
            | 0x2029
            | 0x202F
            | 0x205F
            | 0x3000
            | 0xFEFF
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stringify(s: &JsStr) -> String {
        let mut out = Vec::new();
        write_json_string(&mut out, s.as_wtf8());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes_like_json_stringify() {
        let s = JsStr::from_static("a\"b\\c\u{8}\u{c}\n\r\t\u{1}\u{1f}\u{7f}\u{2028}é😀");
        assert_eq!(
            stringify(&s),
            "\"a\\\"b\\\\c\\b\\f\\n\\r\\t\\u0001\\u001f\u{7f}\u{2028}é😀\""
        );
    }

    #[test]
    fn lone_surrogates_survive_and_pairs_join() {
        let mut b = Wtf8Builder::default();
        b.push_unit(0xD800);
        b.push_str("x");
        b.push_unit(0xD83D);
        b.push_unit(0xDE00);
        b.push_unit(0xDFFF);
        let s = b.finish();
        assert_eq!(stringify(&s), "\"\\ud800x😀\\udfff\"");
        assert_eq!(s.utf16_len(), 5);
        assert_eq!(
            s.to_utf16(),
            vec![0xD800, u16::from(b'x'), 0xD83D, 0xDE00, 0xDFFF]
        );
    }

    #[test]
    fn hangul_near_the_surrogate_range_is_not_escaped() {
        // U+D7A3 is 0xED 0x9E 0xA3 in UTF-8: same lead byte as a surrogate.
        assert_eq!(stringify(&JsStr::from_static("\u{d7a3}")), "\"\u{d7a3}\"");
    }
}
