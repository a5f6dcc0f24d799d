//! `JSON.parse` as V8 (Node 20) does it, errors included.
//!
//! express answers an unparsable body with `400 {"error": <the SyntaxError
//! message>}`, so the message is part of the HTTP contract. This parser
//! follows V8's `JsonParser` (src/json/json-parser.cc): the same grammar, the
//! same error templates and the same positions (UTF-16 code units), and the
//! same quirks (`{"a" 1}` says "Expected ':'", `{"a":1,"b" 1}` does not).
//! It is iterative, like V8's, so a deeply nested body cannot overflow the stack.
//!
//! serde_json is not used here: it rejects numbers V8 accepts (`1e400` is
//! `Infinity` in JS) and strings V8 accepts (`"\ud800"`), and its errors are
//! not V8's.

use std::collections::HashMap;

use bytes::Bytes;

use super::string::{JsStr, Wtf8Builder};

/// A parsed JSON value, with JS semantics where they differ from JSON's.
#[derive(Debug)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    String(JsStr),
    Array(Vec<Value>),
    Object(Object),
}

/// A plain object from `JSON.parse`: properties in creation order, a repeated
/// key keeps its first position and its last value (JS `CreateDataProperty`).
#[derive(Debug, Default)]
pub struct Object {
    props: Vec<(JsStr, Value)>,
}

impl Object {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.props
            .iter()
            .find(|(k, _)| k.eq_str(key))
            .map(|(_, v)| v)
    }

    /// `Object.keys` order: array-index keys ascending, then the others in creation order.
    pub fn own_keys(&self) -> Vec<(&JsStr, &Value)> {
        let mut indexed: Vec<(u32, &JsStr, &Value)> = Vec::new();
        let mut named = Vec::new();
        for (k, v) in &self.props {
            match array_index(k.as_wtf8()) {
                Some(i) => indexed.push((i, k, v)),
                None => named.push((k, v)),
            }
        }
        indexed.sort_by_key(|(i, _, _)| *i);
        indexed
            .into_iter()
            .map(|(_, k, v)| (k, v))
            .chain(named)
            .collect()
    }
}

/// An "array index" property key: the canonical decimal form of 0..=2^32-2.
fn array_index(key: &[u8]) -> Option<u32> {
    if key.is_empty() || key.len() > 10 || !key.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if key.len() > 1 && key[0] == b'0' {
        return None;
    }
    let n = key.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
    u32::try_from(n).ok().filter(|&n| n != u32::MAX)
}

/// Builds an object with JS's duplicate-key rule; past a handful of keys it
/// indexes them so a body with thousands of keys stays linear.
#[derive(Default)]
struct ObjectBuilder {
    props: Vec<(JsStr, Value)>,
    index: Option<HashMap<JsStr, usize>>,
}

impl ObjectBuilder {
    const LINEAR_MAX: usize = 16;

    fn insert(&mut self, key: JsStr, value: Value) {
        let existing = match &self.index {
            Some(index) => index.get(&key).copied(),
            None => self.props.iter().position(|(k, _)| *k == key),
        };
        if let Some(i) = existing {
            self.props[i].1 = value;
            return;
        }
        if let Some(index) = &mut self.index {
            index.insert(key.clone(), self.props.len());
        }
        self.props.push((key, value));
        if self.index.is_none() && self.props.len() > Self::LINEAR_MAX {
            let index = self
                .props
                .iter()
                .enumerate()
                .map(|(i, (k, _))| (k.clone(), i))
                .collect();
            self.index = Some(index);
        }
    }

    fn finish(self) -> Object {
        Object { props: self.props }
    }
}

impl Drop for Value {
    // The default drop recurses once per nesting level; a 100 kB body of `[[[[…`
    // would overflow a worker thread's stack. Flatten instead.
    fn drop(&mut self) {
        let mut stack = Vec::new();
        take_children(self, &mut stack);
        while let Some(mut value) = stack.pop() {
            take_children(&mut value, &mut stack);
        }
    }
}

fn take_children(value: &mut Value, stack: &mut Vec<Value>) {
    match value {
        Value::Array(items) => stack.append(items),
        Value::Object(object) => stack.extend(object.props.drain(..).map(|(_, v)| v)),
        _ => {}
    }
}

/// V8's one-character token classes (`one_char_json_tokens`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token {
    String,
    Number,
    LBrace,
    RBrace,
    LBrack,
    RBrack,
    True,
    False,
    Null,
    Colon,
    Comma,
    Whitespace,
    Illegal,
    Eos,
}

fn token_of(byte: Option<u8>) -> Token {
    match byte {
        None => Token::Eos,
        Some(b'"') => Token::String,
        Some(b'-' | b'0'..=b'9') => Token::Number,
        Some(b'{') => Token::LBrace,
        Some(b'}') => Token::RBrace,
        Some(b'[') => Token::LBrack,
        Some(b']') => Token::RBrack,
        Some(b't') => Token::True,
        Some(b'f') => Token::False,
        Some(b'n') => Token::Null,
        Some(b':') => Token::Colon,
        Some(b',') => Token::Comma,
        Some(b' ' | b'\t' | b'\n' | b'\r') => Token::Whitespace,
        Some(_) => Token::Illegal,
    }
}

/// V8's explicit message templates (the "… in JSON at position N" family).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Template {
    ExpectedPropNameOrRBrace,
    ExpectedCommaOrRBrack,
    ExpectedCommaOrRBrace,
    UnterminatedString,
    ExpectedColonAfterPropertyName,
    ExpectedDoubleQuotedPropertyName,
    ExponentPartMissingNumber,
    UnterminatedFractionalNumber,
    NoNumberAfterMinusSign,
    BadControlCharacter,
    BadUnicodeEscape,
    BadEscapedCharacter,
    UnexpectedNonWhiteSpaceCharacter,
}

impl Template {
    /// The message up to " at position N".
    fn text(self) -> &'static str {
        match self {
            Self::ExpectedPropNameOrRBrace => "Expected property name or '}' in JSON",
            Self::ExpectedCommaOrRBrack => "Expected ',' or ']' after array element in JSON",
            Self::ExpectedCommaOrRBrace => "Expected ',' or '}' after property value in JSON",
            Self::UnterminatedString => "Unterminated string in JSON",
            Self::ExpectedColonAfterPropertyName => "Expected ':' after property name in JSON",
            Self::ExpectedDoubleQuotedPropertyName => {
                "Expected double-quoted property name in JSON"
            }
            Self::ExponentPartMissingNumber => "Exponent part is missing a number in JSON",
            Self::UnterminatedFractionalNumber => "Unterminated fractional number in JSON",
            Self::NoNumberAfterMinusSign => "No number after minus sign in JSON",
            Self::BadControlCharacter => "Bad control character in string literal in JSON",
            Self::BadUnicodeEscape => "Bad Unicode escape in JSON",
            Self::BadEscapedCharacter => "Bad escaped character in JSON",
            Self::UnexpectedNonWhiteSpaceCharacter => {
                "Unexpected non-whitespace character after JSON"
            }
        }
    }
}

/// A `SyntaxError` from `JSON.parse`: where, and what V8 would say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// Byte offset into the source.
    pos: usize,
    token: Token,
    template: Option<Template>,
}

/// V8's `kMaxContextCharacters`: how much source an "Unexpected token" message quotes.
const CONTEXT: usize = 10;

impl SyntaxError {
    /// The error's `message`, as UTF-16 (it can quote half of a surrogate pair).
    pub fn message(&self, src: &str) -> Vec<u16> {
        let pos = src[..self.pos].encode_utf16().count();
        if let Some(template) = self.template {
            return units(&format!("{} at position {pos}", template.text()));
        }
        match self.token {
            Token::Eos => units("Unexpected end of JSON input"),
            Token::Number => units(&format!("Unexpected number in JSON at position {pos}")),
            Token::String => units(&format!("Unexpected string in JSON at position {pos}")),
            _ => {
                let source: Vec<u16> = src.encode_utf16().collect();
                if ["[object Object]", "undefined", "Infinity", "NaN"].contains(&src) {
                    return [&units("\"")[..], &source, &units("\" is not valid JSON")].concat();
                }
                let len = source.len();
                let (open, snippet, close) = if len <= 2 * CONTEXT {
                    ("\"", &source[..], "\"")
                } else if pos < CONTEXT {
                    ("\"", &source[..pos + CONTEXT], "\"...")
                } else if pos < len - CONTEXT {
                    ("...\"", &source[pos - CONTEXT..pos + CONTEXT], "\"...")
                } else {
                    ("...\"", &source[pos - CONTEXT..], "\"")
                };
                [
                    &units("Unexpected token '")[..],
                    &source[pos..=pos],
                    &units("', "),
                    &units(open),
                    snippet,
                    &units(close),
                    &units(" is not valid JSON"),
                ]
                .concat()
            }
        }
    }
}

fn units(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

/// `JSON.parse(text)`. `text` must be the whole of `bytes` (so strings can be
/// zero-copy slices of it).
pub fn parse(bytes: &Bytes, text: &str) -> Result<Value, SyntaxError> {
    debug_assert_eq!(bytes.as_ref(), text.as_bytes());
    let mut parser = Parser {
        bytes,
        src: text.as_bytes(),
        pos: 0,
    };
    let value = parser.parse_value()?;
    if !parser.check(Token::Eos) {
        return Err(parser.report(
            parser.token(),
            Some(Template::UnexpectedNonWhiteSpaceCharacter),
        ));
    }
    Ok(value)
}

struct Parser<'a> {
    bytes: &'a Bytes,
    src: &'a [u8],
    pos: usize,
}

enum Frame {
    Array(Vec<Value>),
    Object(ObjectBuilder, JsStr),
}

impl Parser<'_> {
    fn byte(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn token(&self) -> Token {
        token_of(self.byte())
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.byte(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn report(&self, token: Token, template: Option<Template>) -> SyntaxError {
        SyntaxError {
            pos: self.pos,
            token,
            template,
        }
    }

    /// V8's `ReportUnexpectedCharacter(CurrentCharacter())`.
    fn unexpected_character(&self) -> SyntaxError {
        self.report(self.token(), None)
    }

    fn check(&mut self, token: Token) -> bool {
        self.skip_whitespace();
        if self.token() == token {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, token: Token, template: Option<Template>) -> Result<(), SyntaxError> {
        if self.token() == token {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.report(self.token(), template))
        }
    }

    fn expect_next(&mut self, token: Token, template: Option<Template>) -> Result<(), SyntaxError> {
        self.skip_whitespace();
        self.expect(token, template)
    }

    fn parse_value(&mut self) -> Result<Value, SyntaxError> {
        let mut stack: Vec<Frame> = Vec::new();
        'produce: loop {
            // Produce a value (or open a container and go round again).
            self.skip_whitespace();
            let mut value = match self.token() {
                Token::String => {
                    self.pos += 1;
                    Value::String(self.scan_string()?)
                }
                Token::Number => Value::Number(self.scan_number()?),
                Token::LBrace => {
                    self.pos += 1;
                    if self.check(Token::RBrace) {
                        Value::Object(Object::default())
                    } else {
                        self.expect_next(Token::String, Some(Template::ExpectedPropNameOrRBrace))?;
                        let key = self.scan_string()?;
                        self.expect_next(
                            Token::Colon,
                            Some(Template::ExpectedColonAfterPropertyName),
                        )?;
                        stack.push(Frame::Object(ObjectBuilder::default(), key));
                        continue 'produce;
                    }
                }
                Token::LBrack => {
                    self.pos += 1;
                    if self.check(Token::RBrack) {
                        Value::Array(Vec::new())
                    } else {
                        stack.push(Frame::Array(Vec::new()));
                        continue 'produce;
                    }
                }
                Token::True => {
                    self.scan_literal(b"true")?;
                    Value::Bool(true)
                }
                Token::False => {
                    self.scan_literal(b"false")?;
                    Value::Bool(false)
                }
                Token::Null => {
                    self.scan_literal(b"null")?;
                    Value::Null
                }
                _ => return Err(self.unexpected_character()),
            };
            // Hand the value to the enclosing container, closing containers as they end.
            loop {
                let Some(mut frame) = stack.pop() else {
                    return Ok(value);
                };
                match &mut frame {
                    Frame::Array(items) => {
                        items.push(value);
                        if self.check(Token::Comma) {
                            stack.push(frame);
                            continue 'produce;
                        }
                        self.expect(Token::RBrack, Some(Template::ExpectedCommaOrRBrack))?;
                    }
                    Frame::Object(object, key) => {
                        object.insert(std::mem::take(key), value);
                        if self.check(Token::Comma) {
                            self.expect_next(
                                Token::String,
                                Some(Template::ExpectedDoubleQuotedPropertyName),
                            )?;
                            *key = self.scan_string()?;
                            self.expect_next(Token::Colon, None)?;
                            stack.push(frame);
                            continue 'produce;
                        }
                        self.expect(Token::RBrace, Some(Template::ExpectedCommaOrRBrace))?;
                    }
                }
                value = match frame {
                    Frame::Array(items) => Value::Array(items),
                    Frame::Object(object, _) => Value::Object(object.finish()),
                };
            }
        }
    }

    /// V8's `ScanLiteral`: the first character already matched.
    fn scan_literal(&mut self, literal: &[u8]) -> Result<(), SyntaxError> {
        let rest = &self.src[self.pos..];
        if rest.starts_with(literal) {
            self.pos += literal.len();
            return Ok(());
        }
        self.pos += 1;
        for &expected in &literal[1..] {
            match self.byte() {
                None => return Err(self.report(Token::Eos, None)),
                Some(b) if b != expected => return Err(self.unexpected_character()),
                Some(_) => self.pos += 1,
            }
        }
        Err(self.report(Token::Eos, None))
    }

    /// V8's `ParseJsonNumber`, from the sign or first digit.
    fn scan_number(&mut self) -> Result<f64, SyntaxError> {
        let start = self.pos;
        let negative = self.byte() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        if self.byte() == Some(b'0') {
            self.pos += 1;
            match self.byte() {
                Some(b'0'..=b'9') => return Err(self.report(Token::Number, None)),
                Some(b'.' | b'e' | b'E' | b'-' | b'+') => {}
                _ if !negative => return Ok(0.0),
                _ => {}
            }
        } else {
            let digits_start = self.pos;
            self.skip_digits();
            if self.pos == digits_start {
                return Err(self.report(Token::Illegal, Some(Template::NoNumberAfterMinusSign)));
            }
        }
        if self.byte() == Some(b'.') {
            self.pos += 1;
            if !self.byte().is_some_and(|b| b.is_ascii_digit()) {
                return Err(
                    self.report(Token::Illegal, Some(Template::UnterminatedFractionalNumber))
                );
            }
            self.skip_digits();
        }
        if matches!(self.byte(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.byte(), Some(b'-' | b'+')) {
                self.pos += 1;
            }
            if !self.byte().is_some_and(|b| b.is_ascii_digit()) {
                return Err(self.report(Token::Illegal, Some(Template::ExponentPartMissingNumber)));
            }
            self.skip_digits();
        }
        // The grammar above is a subset of Rust's float syntax, and both round correctly
        // (and overflow to infinity, as `JSON.parse("1e400")` does).
        let literal = std::str::from_utf8(&self.src[start..self.pos]).unwrap_or("NaN");
        Ok(literal.parse().unwrap_or(f64::NAN))
    }

    fn skip_digits(&mut self) {
        while self.byte().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
    }

    /// V8's `ScanJsonString`, after the opening quote. Unescaped strings are
    /// slices of the body; escapes build a new WTF-8 string.
    fn scan_string(&mut self) -> Result<JsStr, SyntaxError> {
        let start = self.pos;
        let mut built: Option<Wtf8Builder> = None;
        let mut run_start = start;
        loop {
            let Some(b) = self.byte() else {
                return Err(self.report(Token::Illegal, Some(Template::UnterminatedString)));
            };
            match b {
                b'"' => {
                    let s = match built {
                        None => JsStr::from_wtf8(self.bytes.slice(start..self.pos)),
                        Some(mut builder) => {
                            builder.push_str(self.text(run_start, self.pos));
                            builder.finish()
                        }
                    };
                    self.pos += 1;
                    return Ok(s);
                }
                b'\\' => {
                    let builder = built
                        .get_or_insert_with(|| Wtf8Builder::with_capacity(self.pos - start + 16));
                    builder.push_str(self.text(run_start, self.pos));
                    self.pos += 1;
                    let unit = self.scan_escape()?;
                    if let Some(builder) = &mut built {
                        builder.push_unit(unit);
                    }
                    run_start = self.pos;
                }
                0x00..=0x1F => {
                    return Err(self.report(Token::Illegal, Some(Template::BadControlCharacter)));
                }
                _ => self.pos += 1,
            }
        }
    }

    fn text(&self, from: usize, to: usize) -> &str {
        // Both ends sit on ASCII bytes of valid UTF-8, so this cannot fail.
        std::str::from_utf8(&self.src[from..to]).unwrap_or_default()
    }

    /// One escape, the cursor just past the backslash; leaves the cursor past the escape.
    fn scan_escape(&mut self) -> Result<u16, SyntaxError> {
        let unit = match self.byte() {
            None => return Err(self.report(Token::Eos, None)),
            Some(b'"') => 0x22,
            Some(b'\\') => 0x5C,
            Some(b'/') => 0x2F,
            Some(b'b') => 0x08,
            Some(b'f') => 0x0C,
            Some(b'n') => 0x0A,
            Some(b'r') => 0x0D,
            Some(b't') => 0x09,
            Some(b'u') => {
                let mut value: u16 = 0;
                for _ in 0..4 {
                    self.pos += 1;
                    let digit = self.byte().and_then(|b| char::from(b).to_digit(16));
                    let Some(digit) = digit else {
                        return Err(self.report(Token::Illegal, Some(Template::BadUnicodeEscape)));
                    };
                    // At most four hex digits: fits in u16.
                    #[allow(clippy::cast_possible_truncation)]
                    let digit = digit as u16;
                    value = value * 16 + digit;
                }
                value
            }
            Some(b) if b < 0x80 => {
                return Err(self.report(Token::Illegal, Some(Template::BadEscapedCharacter)));
            }
            Some(b) => {
                // V8 looks Latin-1 characters up in its escape table (all illegal escapes);
                // anything above U+00FF is reported as an unexpected token.
                let is_latin1 = b == 0xC2 || b == 0xC3;
                let template = is_latin1.then_some(Template::BadEscapedCharacter);
                return Err(self.report(Token::Illegal, template));
            }
        };
        self.pos += 1;
        Ok(unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(src: &str) -> String {
        let bytes = Bytes::copy_from_slice(src.as_bytes());
        match parse(&bytes, src) {
            Ok(_) => "OK".to_owned(),
            Err(e) => String::from_utf16_lossy(&e.message(src)),
        }
    }

    /// Each pair was produced by `JSON.parse` in Node v20.20.2 (V8 11.3); lone
    /// surrogates in V8's messages show here as U+FFFD.
    #[test]
    fn errors_match_v8() {
        let cases: &[(&str, &str)] = &[
            ("{", "Expected property name or '}' in JSON at position 1"),
            ("[", "Unexpected end of JSON input"),
            (
                "{\"a\"",
                "Expected ':' after property name in JSON at position 4",
            ),
            ("{\"a\":", "Unexpected end of JSON input"),
            (
                "{\"a\":1",
                "Expected ',' or '}' after property value in JSON at position 6",
            ),
            (
                "{\"a\":1,",
                "Expected double-quoted property name in JSON at position 7",
            ),
            (
                "{\"a\":1,}",
                "Expected double-quoted property name in JSON at position 7",
            ),
            ("[1,]", "Unexpected token ']', \"[1,]\" is not valid JSON"),
            (
                "[1 2]",
                "Expected ',' or ']' after array element in JSON at position 3",
            ),
            (
                "{\"a\" 1}",
                "Expected ':' after property name in JSON at position 5",
            ),
            (
                "{a:1}",
                "Expected property name or '}' in JSON at position 1",
            ),
            (
                "{\"a\":1 \"b\":2}",
                "Expected ',' or '}' after property value in JSON at position 7",
            ),
            ("[tru]", "Unexpected token ']', \"[tru]\" is not valid JSON"),
            (
                "[trux]",
                "Unexpected token 'x', \"[trux]\" is not valid JSON",
            ),
            ("[nul", "Unexpected end of JSON input"),
            ("[01]", "Unexpected number in JSON at position 2"),
            ("[-]", "No number after minus sign in JSON at position 2"),
            (
                "[1.]",
                "Unterminated fractional number in JSON at position 3",
            ),
            (
                "[1e]",
                "Exponent part is missing a number in JSON at position 3",
            ),
            (
                "[1e+]",
                "Exponent part is missing a number in JSON at position 4",
            ),
            ("[-01]", "Unexpected number in JSON at position 3"),
            ("[.5]", "Unexpected token '.', \"[.5]\" is not valid JSON"),
            ("[\"\\x\"]", "Bad escaped character in JSON at position 3"),
            ("[\"\\u12G4\"]", "Bad Unicode escape in JSON at position 6"),
            ("[\"\\u12\"]", "Bad Unicode escape in JSON at position 6"),
            ("[\"abc", "Unterminated string in JSON at position 5"),
            (
                "[\"a\nb\"]",
                "Bad control character in string literal in JSON at position 3",
            ),
            (
                "[1]x",
                "Unexpected non-whitespace character after JSON at position 3",
            ),
            ("[1] ", "OK"),
            (
                "{\"a\":1}}",
                "Unexpected non-whitespace character after JSON at position 7",
            ),
            (
                "[aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]",
                "Unexpected token 'a', \"[aaaaaaaaaa\"... is not valid JSON",
            ),
            (
                "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,x]",
                "Unexpected token 'x', ...\",13,14,15,x]\" is not valid JSON",
            ),
            (
                "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,x,1,2,3,4,5,6,7,8,9]",
                "Unexpected token 'x', ...\",18,19,20,x,1,2,3,4,\"... is not valid JSON",
            ),
            ("[object Object]", "\"[object Object]\" is not valid JSON"),
            ("", "Unexpected end of JSON input"),
            (" ", "Unexpected end of JSON input"),
            (
                "{\"a\":\"é😀\" x}",
                "Expected ',' or '}' after property value in JSON at position 11",
            ),
            (
                "[😀]",
                "Unexpected token '\u{fffd}', \"[😀]\" is not valid JSON",
            ),
            ("[\"\\", "Unexpected end of JSON input"),
            ("[\"\\u", "Bad Unicode escape in JSON at position 4"),
            ("[t", "Unexpected end of JSON input"),
            ("[f]", "Unexpected token ']', \"[f]\" is not valid JSON"),
            (
                "[\"a\"x]",
                "Expected ',' or ']' after array element in JSON at position 4",
            ),
            (
                "[1\"a\"]",
                "Expected ',' or ']' after array element in JSON at position 2",
            ),
            (
                "[{}2]",
                "Expected ',' or ']' after array element in JSON at position 3",
            ),
            (
                "{\"a\":1,\"b\"}",
                "Unexpected token '}', \"{\"a\":1,\"b\"}\" is not valid JSON",
            ),
            (
                "{\"a\":1,2}",
                "Expected double-quoted property name in JSON at position 7",
            ),
            ("[\"\\ud800\"]", "OK"),
            ("[1e400]", "OK"),
            ("[-0]", "OK"),
            ("[1,é]", "Unexpected token 'é', \"[1,é]\" is not valid JSON"),
            (
                "{\"a\":[}",
                "Unexpected token '}', \"{\"a\":[}\" is not valid JSON",
            ),
            ("[\t\n]", "OK"),
            ("{\"\\u00\"}", "Bad Unicode escape in JSON at position 6"),
            ("[-a]", "No number after minus sign in JSON at position 2"),
            (
                "[0x1]",
                "Expected ',' or ']' after array element in JSON at position 2",
            ),
            ("[1E2]", "OK"),
            ("[+1]", "Unexpected token '+', \"[+1]\" is not valid JSON"),
            (
                "[x                  ",
                "Unexpected token 'x', \"[x                  \" is not valid JSON",
            ),
            (
                "[x                   ",
                "Unexpected token 'x', \"[x         \"... is not valid JSON",
            ),
            (
                "[         x                             ",
                "Unexpected token 'x', ...\"[         x         \"... is not valid JSON",
            ),
            (
                "[                            x          ",
                "Unexpected token 'x', ...\"          x         \"... is not valid JSON",
            ),
            (
                "[                             x         ",
                "Unexpected token 'x', ...\"          x         \" is not valid JSON",
            ),
            ("[\"\\é\"]", "Bad escaped character in JSON at position 3"),
            (
                "[\"\\ā\"]",
                "Unexpected token 'ā', \"[\"\\ā\"]\" is not valid JSON",
            ),
            (
                "[\"\\😀\"]",
                "Unexpected token '\u{fffd}', \"[\"\\😀\"]\" is not valid JSON",
            ),
            ("[tr\"]", "Unexpected string in JSON at position 3"),
            ("[tr1]", "Unexpected number in JSON at position 3"),
            ("[n-]", "Unexpected number in JSON at position 2"),
            (
                "{\"a\":1,\"b\" 2}",
                "Unexpected number in JSON at position 11",
            ),
            ("{\"a\":1,\"b\"", "Unexpected end of JSON input"),
            (
                "{\"a\":1,\"b\":}",
                "Unexpected token '}', \"{\"a\":1,\"b\":}\" is not valid JSON",
            ),
            (
                "[\"\u{0}\"]",
                "Bad control character in string literal in JSON at position 2",
            ),
            ("[\"\u{7f}\"]", "OK"),
            (
                "{\"a\"\u{a0}:1}",
                "Expected ':' after property name in JSON at position 4",
            ),
            (
                "[1,\u{a0}]",
                "Unexpected token '\u{a0}', \"[1,\u{a0}]\" is not valid JSON",
            ),
            ("{\"\\ud83d\\ude00\":1}", "OK"),
        ];
        for (src, expected) in cases {
            assert_eq!(message(src), *expected, "JSON.parse({src:?})");
        }
    }

    #[test]
    fn values_have_js_semantics() {
        let src =
            r#"{"b":1,"2":true,"a":null,"b":"\ud83d\ude00\u0041","1":[1e400,-0],"__proto__":{}}"#;
        let bytes = Bytes::copy_from_slice(src.as_bytes());
        let Ok(Value::Object(ref object)) = parse(&bytes, src) else {
            panic!("not an object");
        };
        let keys: Vec<String> = object
            .own_keys()
            .iter()
            .map(|(k, _)| k.to_string())
            .collect();
        assert_eq!(keys, ["1", "2", "b", "a", "__proto__"]);
        let Some(Value::String(b)) = object.get("b") else {
            panic!("b is not a string");
        };
        assert_eq!(b.to_string(), "😀A");
        let Some(Value::Array(items)) = object.get("1") else {
            panic!("1 is not an array");
        };
        assert!(matches!(items[0], Value::Number(n) if n == f64::INFINITY));
    }

    #[test]
    fn deep_nesting_neither_recurses_nor_overflows() {
        let src = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
        let bytes = Bytes::from(src.clone());
        assert!(parse(&bytes, &src).is_ok());
    }

    #[test]
    fn many_duplicate_keys_keep_first_position_last_value() {
        let mut src = String::from("{");
        for i in 0..100 {
            src.push_str(&format!("\"k{}\":{i},", i % 40));
        }
        src.push_str("\"end\":0}");
        let bytes = Bytes::from(src.clone());
        let Ok(Value::Object(ref object)) = parse(&bytes, &src) else {
            panic!("not an object");
        };
        assert_eq!(object.own_keys().len(), 41);
        assert!(matches!(object.get("k0"), Some(Value::Number(n)) if *n == 80.0));
        assert_eq!(object.own_keys()[0].0.to_string(), "k0");
    }
}
