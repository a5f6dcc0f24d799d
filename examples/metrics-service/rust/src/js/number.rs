//! JS `ToNumber`, for the few places the Node service compares a request
//! value with a number (`x.length < 1` in zod and class-validator) and for
//! `Number(process.env.PORT)`.

use super::json::Value;
use super::string::is_js_whitespace;

/// `ToNumber(value)` for a value that came out of `JSON.parse`.
pub fn to_number(value: &Value) -> f64 {
    let mut value = value;
    loop {
        return match value {
            Value::Null => 0.0,
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::Number(n) => *n,
            Value::String(s) => string_to_number(&s.to_string_lossy()),
            // An array becomes `array.join(",")` first: empty is "", one element is that
            // element's string, more than one contains a comma and is NaN.
            Value::Array(items) => match items.as_slice() {
                [] => 0.0,
                [only] => match only {
                    Value::Null => 0.0,
                    Value::Bool(_) | Value::Object(_) => f64::NAN,
                    other => {
                        value = other;
                        continue;
                    }
                },
                _ => f64::NAN,
            },
            // "[object Object]"
            Value::Object(_) => f64::NAN,
        };
    }
}

/// `StringToNumber`: `Number(" 42 ")` is 42, `Number("")` is 0, `Number("0x1F")` is 31.
pub fn string_to_number(s: &str) -> f64 {
    let s = s.trim_matches(|c: char| is_js_whitespace(u32::from(c)));
    if s.is_empty() {
        return 0.0;
    }
    let lower = s.get(..2).map(str::to_ascii_lowercase);
    let radix = match lower.as_deref() {
        Some("0x") => 16,
        Some("0o") => 8,
        Some("0b") => 2,
        _ => return decimal(s),
    };
    let digits = &s[2..];
    if digits.is_empty() {
        return f64::NAN;
    }
    let mut n = 0.0;
    for c in digits.chars() {
        let Some(d) = c.to_digit(radix) else {
            return f64::NAN;
        };
        n = n * f64::from(radix) + f64::from(d);
    }
    n
}

fn decimal(s: &str) -> f64 {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    if unsigned == "Infinity" {
        return if s.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    let b = unsigned.as_bytes();
    let mut i = 0;
    let int_digits = count_digits(&b[i..]);
    i += int_digits;
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = count_digits(&b[i..]);
        i += frac_digits;
    }
    if int_digits == 0 && frac_digits == 0 {
        return f64::NAN;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_digits = count_digits(&b[i..]);
        if exp_digits == 0 {
            return f64::NAN;
        }
        i += exp_digits;
    }
    if i != b.len() {
        return f64::NAN;
    }
    // Validated above: Rust's float syntax is a superset of this one.
    s.parse().unwrap_or(f64::NAN)
}

fn count_digits(b: &[u8]) -> usize {
    b.iter().take_while(|c| c.is_ascii_digit()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_to_number_follows_the_spec() {
        let cases: &[(&str, f64)] = &[
            ("", 0.0),
            ("  \n", 0.0),
            (" 42 ", 42.0),
            ("3000", 3000.0),
            ("1e3", 1000.0),
            (".5", 0.5),
            ("5.", 5.0),
            ("-1.5e-1", -0.15),
            ("+7", 7.0),
            ("0x1F", 31.0),
            ("0B101", 5.0),
            ("0o17", 15.0),
            ("-Infinity", f64::NEG_INFINITY),
        ];
        for (s, n) in cases {
            assert_eq!(string_to_number(s), *n, "{s:?}");
        }
        for s in [
            "abc", "1_000", "-0x1", "0x", "infinity", "inf", "nan", ".", "1e", "e5", "1 2",
        ] {
            assert!(string_to_number(s).is_nan(), "{s:?}");
        }
    }
}
