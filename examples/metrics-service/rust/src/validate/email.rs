//! validator.js `isEmail(str)` with its default options (validator 13.15,
//! through class-validator's `@IsEmail()`), ported over UTF-16 code units
//! because that is what its regular expressions and `.length` checks see.
//!
//! Defaults in force: `allow_utf8_local_part`, `require_tld`, no display
//! name, no IP domains, no underscores, the 254/64/254 length limits.

use crate::js::string::is_js_whitespace;

/// `encodeURI` throws on a lone surrogate, so validator.js's byte-length check
/// throws, and express answers 500. This is that outcome.
#[derive(Debug, PartialEq, Eq)]
pub struct UriError;

pub fn is_email(s: &[u16]) -> Result<bool, UriError> {
    if s.len() > 254 {
        return Ok(false);
    }
    // `parts.pop()` is the domain; the user is everything before the last '@'.
    let at = s.iter().rposition(|&u| u == u16::from(b'@'));
    let (user, domain) = match at {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (&s[..0], s),
    };
    if utf8_len(user)? > 64 || utf8_len(domain)? > 254 {
        return Ok(false);
    }
    if !is_fqdn(domain) {
        return Ok(false);
    }
    if user.first() == Some(&u16::from(b'"')) && user.last() == Some(&u16::from(b'"')) {
        // `user.slice(1, user.length - 1)`: empty when user is a single '"'.
        let inner = if user.len() >= 2 {
            &user[1..user.len() - 1]
        } else {
            &user[..0]
        };
        return Ok(quoted_user_utf8(inner));
    }
    Ok(user
        .split(|&u| u == u16::from(b'.'))
        .all(|part| !part.is_empty() && part.iter().all(|&u| user_utf8_char(u))))
}

/// `isByteLength`'s `encodeURI(str).split(/%..|./).length - 1`: the UTF-8 length.
fn utf8_len(units: &[u16]) -> Result<usize, UriError> {
    char::decode_utf16(units.iter().copied()).try_fold(0, |n, c| match c {
        Ok(c) => Ok(n + c.len_utf8()),
        Err(_) => Err(UriError),
    })
}

fn in_ranges(u: u16, ranges: &[(u16, u16)]) -> bool {
    ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&u))
}

fn ascii(u: u16) -> Option<u8> {
    u8::try_from(u).ok().filter(u8::is_ascii)
}

/// `emailUserUtf8Part`: `[a-z\d!#\$%&'\*\+\-\/=\?\^_`{\|}~\u00A1-\uD7FF\uF900-\uFDCF\uFDF0-\uFFEF]` with `i`.
fn user_utf8_char(u: u16) -> bool {
    match ascii(u) {
        Some(b) => b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b),
        None => in_ranges(u, &[(0xA1, 0xD7FF), (0xF900, 0xFDCF), (0xFDF0, 0xFFEF)]),
    }
}

const UTF8_RANGES: [(u16, u16); 3] = [(0xA0, 0xD7FF), (0xF900, 0xFDCF), (0xFDF0, 0xFFEF)];

/// `quotedEmailUserUtf8`: a run of plain characters and backslash escapes.
fn quoted_user_utf8(inner: &[u16]) -> bool {
    let plain = |u: u16| {
        is_js_whitespace(u32::from(u))
            || in_ranges(
                u,
                &[
                    (0x01, 0x08),
                    (0x0B, 0x0C),
                    (0x0E, 0x1F),
                    (0x7F, 0x7F),
                    (0x21, 0x21),
                    (0x23, 0x5B),
                    (0x5D, 0x7E),
                ],
            )
            || in_ranges(u, &UTF8_RANGES)
    };
    let escaped = |u: u16| {
        in_ranges(u, &[(0x01, 0x09), (0x0B, 0x0C), (0x0D, 0x7F)]) || in_ranges(u, &UTF8_RANGES)
    };
    let mut i = 0;
    while i < inner.len() {
        if inner[i] == u16::from(b'\\') {
            match inner.get(i + 1) {
                Some(&next) if escaped(next) => i += 2,
                _ => return false,
            }
        } else if plain(inner[i]) {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

/// validator.js `isFQDN(domain, { require_tld: true, allow_underscores: false })`.
fn is_fqdn(domain: &[u16]) -> bool {
    let parts: Vec<&[u16]> = domain.split(|&u| u == u16::from(b'.')).collect();
    let Some(tld) = parts.last() else {
        return false;
    };
    if parts.len() < 2 {
        return false;
    }
    // /^([a-z\u00A1-\u00A8\u00AA-\uD7FF\uF900-\uFDCF\uFDF0-\uFFEF]{2,}|xn[a-z0-9-]{2,})$/i
    let tld_letter = |u: u16| {
        ascii(u).is_some_and(|b| b.is_ascii_alphabetic())
            || in_ranges(
                u,
                &[
                    (0xA1, 0xA8),
                    (0xAA, 0xD7FF),
                    (0xF900, 0xFDCF),
                    (0xFDF0, 0xFFEF),
                ],
            )
    };
    let letters = tld.len() >= 2 && tld.iter().all(|&u| tld_letter(u));
    let punycode = tld.len() >= 4
        && tld[..2]
            .iter()
            .map(|&u| ascii(u).map(|b| b.to_ascii_lowercase()))
            .eq([Some(b'x'), Some(b'n')])
        && tld[2..]
            .iter()
            .all(|&u| ascii(u).is_some_and(|b| b.is_ascii_alphanumeric() || b == b'-'));
    if !letters && !punycode {
        return false;
    }
    if tld.iter().any(|&u| is_js_whitespace(u32::from(u))) {
        return false;
    }
    parts.iter().all(|part| {
        part.len() <= 63
            && !part.is_empty()
            // /^[a-z_\u00a1-\uffff0-9-]+$/i
            && part.iter().all(|&u| match ascii(u) {
                Some(b) => b.is_ascii_alphanumeric() || b == b'_' || b == b'-',
                None => u >= 0xA1,
            })
            // no full-width characters
            && !part.iter().any(|&u| (0xFF01..=0xFF5E).contains(&u))
            && part.first() != Some(&u16::from(b'-'))
            && part.last() != Some(&u16::from(b'-'))
            && !part.contains(&u16::from(b'_'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(s: &str) -> Result<bool, UriError> {
        is_email(&s.encode_utf16().collect::<Vec<_>>())
    }

    /// Verdicts of the Node service (validator 13.15.35) for each address.
    #[test]
    fn verdicts_match_validator_js() {
        let valid = [
            "a@b.co",
            "A@B.CO",
            "ü@bü.de",
            "a@xn--bcher-kva.ch",
            "a@b.xn--p1ai",
            "a+b@b.co",
            "\"@b.co",
            "\"a\\\\b\"@b.co",
        ];
        let invalid = [
            "a@b",
            "a@b.c",
            "a@b.c0",
            "a@b.123",
            "a@-b.co",
            "a@b-.co",
            "a@b_c.co",
            "a..b@b.co",
            ".a@b.co",
            "a@b..co",
            "a@@b.co",
            " a@b.co",
            "a@b.co ",
            "a@localhost",
            "@b.co",
            "a@[1.2.3.4]",
            "a@b.co.",
            "a@ａ.co",
            "nope",
        ];
        for s in valid {
            assert_eq!(check(s), Ok(true), "{s:?}");
        }
        for s in invalid {
            assert_eq!(check(s), Ok(false), "{s:?}");
        }
    }

    #[test]
    fn lone_surrogates_throw_like_encode_uri() {
        let user: Vec<u16> = [0xD800].into_iter().chain("@b.co".encode_utf16()).collect();
        assert_eq!(is_email(&user), Err(UriError));
        let domain: Vec<u16> = "a@b"
            .encode_utf16()
            .chain([0xD800])
            .chain(".co".encode_utf16())
            .collect();
        assert_eq!(is_email(&domain), Err(UriError));
    }
}
