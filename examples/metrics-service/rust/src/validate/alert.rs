//! POST /alerts: `parseAlert` of `alerts.ts`, the class-validator DTO.
//!
//! ```ts
//! export class AlertDto {
//!   @IsEmail() to!: string;
//!   @IsString() @Length(1, 200) subject!: string;
//!   @IsOptional() @IsString() body?: string;
//!   @IsIn(["info", "warn", "critical"]) severity: "info" | "warn" | "critical" = "warn";
//! }
//! const alert = Object.assign(new AlertDto(), input);
//! const errors = await validate(alert, { whitelist: true, forbidNonWhitelisted: true });
//! errors.flatMap((e) => Object.values(e.constraints ?? {}))
//! ```
//!
//! The messages and their order follow class-validator 0.15: whitelist errors
//! first (in `Object.keys` order), then per property in declaration order,
//! `@Length` before `@IsString` (decorators register bottom-up). The JS
//! object model leaks through in a few places and is reproduced on purpose:
//! a `constructor` key or an object-valued `__proto__` makes class-validator
//! lose the class ("an unknown value was passed…"), a null one crashes it
//! (500), and keys naming `Object.prototype` methods that take arguments pass
//! the whitelist.

use std::borrow::Cow;

use super::JsonArray;
use super::email::{UriError, is_email};
use crate::js::json::Value;
use crate::js::number::to_number;
use crate::js::string::JsStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Info,
    Warn,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Critical => "critical",
        }
    }
}

/// A validated alert.
#[derive(Debug)]
pub struct Alert {
    pub to: JsStr,
    pub subject: JsStr,
    /// `undefined` and `null` both pass `@IsOptional()`.
    pub body: Option<JsStr>,
    pub severity: Severity,
}

#[derive(Debug)]
pub enum AlertError {
    /// The `messages` array, as JSON.
    Invalid(Vec<u8>),
    /// Node throws inside validation; express answers 500.
    Internal(&'static str),
}

/// A DTO property after `Object.assign`: the class field's value, or the input's.
#[derive(Clone, Copy)]
enum Slot<'a> {
    Undefined,
    Warn,
    Value(&'a Value),
}

/// `Object.prototype` methods whose `length` is not 0: class-validator's
/// `groupedMetadatas[key]` finds them on a plain object, so the whitelist
/// lets the key through.
const PROTOTYPE_METHODS_WITH_ARGS: [&str; 8] = [
    "constructor",
    "hasOwnProperty",
    "isPrototypeOf",
    "propertyIsEnumerable",
    "__defineGetter__",
    "__defineSetter__",
    "__lookupGetter__",
    "__lookupSetter__",
];

pub fn parse_alert(input: Option<&Value>) -> Result<Alert, AlertError> {
    let mut to = Slot::Undefined;
    let mut subject = Slot::Undefined;
    let mut body = Slot::Undefined;
    let mut severity = Slot::Warn;
    let mut own_constructor: Option<&Value> = None;
    let mut prototype: Option<&Value> = None;
    // Own keys that are not DTO fields, in `Object.keys` order (array indices
    // first; the DTO's own fields sit between those and the named extras but
    // never fail the whitelist).
    let mut extra: Vec<Cow<'_, [u8]>> = Vec::new();

    match input {
        Some(Value::Object(object)) => {
            for (key, value) in object.own_keys() {
                match key.as_wtf8() {
                    b"to" => to = Slot::Value(value),
                    b"subject" => subject = Slot::Value(value),
                    b"body" => body = Slot::Value(value),
                    b"severity" => severity = Slot::Value(value),
                    // `dto.__proto__ = value` is the prototype setter, not a property.
                    b"__proto__" => {
                        if matches!(value, Value::Object(_) | Value::Array(_) | Value::Null) {
                            prototype = Some(value);
                        }
                    }
                    b"constructor" => own_constructor = Some(value),
                    name => {
                        if !PROTOTYPE_METHODS_WITH_ARGS
                            .iter()
                            .any(|m| m.as_bytes() == name)
                        {
                            extra.push(Cow::Borrowed(name));
                        }
                    }
                }
            }
        }
        Some(Value::Array(items)) => {
            extra.extend((0..items.len()).map(|i| Cow::Owned(i.to_string().into_bytes())));
        }
        // `Object.assign` ignores null, undefined and non-string primitives; a
        // strict JSON body is never a string.
        _ => {}
    }

    // class-validator looks the metadata up by `object.constructor`.
    let constructor = match (own_constructor, prototype) {
        (Some(value), _) => Constructor::Value(value),
        (None, None) => Constructor::AlertDto,
        (None, Some(Value::Null)) => Constructor::Undefined,
        (None, Some(Value::Object(proto))) => proto
            .get("constructor")
            .map_or(Constructor::Builtin, Constructor::Value),
        (None, Some(_)) => Constructor::Builtin,
    };
    match constructor {
        Constructor::AlertDto => {}
        Constructor::Undefined | Constructor::Value(Value::Null) => {
            return Err(AlertError::Internal(
                "class-validator: cannot read 'prototype' of the object's constructor",
            ));
        }
        Constructor::Builtin | Constructor::Value(_) => {
            let mut messages = JsonArray::default();
            messages.push_string(b"an unknown value was passed to the validate function");
            return Err(AlertError::Invalid(messages.finish()));
        }
    }

    let mut messages = JsonArray::default();
    for key in &extra {
        let mut message = Vec::with_capacity(key.len() + 26);
        message.extend_from_slice(b"property ");
        message.extend_from_slice(key);
        message.extend_from_slice(b" should not exist");
        messages.push_string(&message);
    }

    // @IsEmail()
    let to_ok = match slot_string(to) {
        Some(s) => is_email(&s.to_utf16()).map_err(|UriError| {
            AlertError::Internal("validator.isEmail: encodeURI threw URIError (lone surrogate)")
        })?,
        None => false,
    };
    if !to_ok {
        messages.push_string(b"to must be an email");
    }

    // @IsString() @Length(1, 200): isLength runs first.
    if !slot_string(subject).is_some_and(|s| is_length(&s.to_utf16(), 1, 200)) {
        messages.push_string(length_message(subject).as_bytes());
    }
    if slot_string(subject).is_none() {
        messages.push_string(b"subject must be a string");
    }

    // @IsOptional() @IsString()
    let body_missing = matches!(body, Slot::Undefined | Slot::Value(Value::Null));
    if !body_missing && slot_string(body).is_none() {
        messages.push_string(b"body must be a string");
    }

    // @IsIn(["info", "warn", "critical"])
    let severity = match severity {
        Slot::Warn => Some(Severity::Warn),
        Slot::Value(Value::String(s)) if s.eq_str("info") => Some(Severity::Info),
        Slot::Value(Value::String(s)) if s.eq_str("warn") => Some(Severity::Warn),
        Slot::Value(Value::String(s)) if s.eq_str("critical") => Some(Severity::Critical),
        _ => None,
    };
    if severity.is_none() {
        messages.push_string(b"severity must be one of the following values: info, warn, critical");
    }

    match (severity, slot_string(to), slot_string(subject)) {
        (Some(severity), Some(to), Some(subject)) if messages.is_empty() => Ok(Alert {
            to: to.clone(),
            subject: subject.clone(),
            body: slot_string(body).cloned(),
            severity,
        }),
        _ => Err(AlertError::Invalid(messages.finish())),
    }
}

enum Constructor<'a> {
    AlertDto,
    /// `Object` or `Array`, inherited from a replaced prototype.
    Builtin,
    Undefined,
    Value(&'a Value),
}

fn slot_string(slot: Slot<'_>) -> Option<&JsStr> {
    match slot {
        Slot::Value(Value::String(s)) => Some(s),
        _ => None,
    }
}

/// validator.js `isLength(str, { min, max })`: UTF-16 length, less surrogate
/// pairs, less variation selectors that follow another character.
fn is_length(units: &[u16], min: usize, max: usize) -> bool {
    let is_selector = |u: u16| u == 0xFE0E || u == 0xFE0F;
    let count_pairs = |matches: &dyn Fn(u16, u16) -> bool| {
        let (mut n, mut i) = (0, 0);
        while i + 1 < units.len() {
            if matches(units[i], units[i + 1]) {
                n += 1;
                i += 2;
            } else {
                i += 1;
            }
        }
        n
    };
    let presentation = count_pairs(&|a, b| !is_selector(a) && is_selector(b));
    let surrogate_pairs =
        count_pairs(&|a, b| (0xD800..=0xDBFF).contains(&a) && (0xDC00..=0xDFFF).contains(&b));
    let len = units.len() - presentation - surrogate_pairs;
    (min..=max).contains(&len)
}

/// `@Length(1, 200)`'s default message, which inspects `value.length` with JS comparisons.
fn length_message(subject: Slot<'_>) -> &'static str {
    const LONGER: &str = "subject must be longer than or equal to 1 characters";
    const SHORTER: &str = "subject must be shorter than or equal to 200 characters";
    const BETWEEN: &str =
        "subject must be longer than or equal to 1 and shorter than or equal to 200 characters";
    let value = match subject {
        Slot::Undefined => return LONGER,
        Slot::Warn => return BETWEEN,
        Slot::Value(v) => v,
    };
    // `!args.value`
    let falsy = match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => *n == 0.0 || n.is_nan(),
        Value::String(s) => s.is_empty(),
        Value::Array(_) | Value::Object(_) => false,
    };
    if falsy {
        return LONGER;
    }
    // `args.value.length`, compared with `<` and `>` (undefined compares false).
    let length = match value {
        Value::String(s) => Some(usize_to_f64(s.utf16_len())),
        Value::Array(items) => Some(usize_to_f64(items.len())),
        Value::Object(o) => o.get("length").map(to_number),
        _ => None,
    };
    match length {
        Some(n) if n < 1.0 => LONGER,
        Some(n) if n > 200.0 => SHORTER,
        _ => BETWEEN,
    }
}

fn usize_to_f64(n: usize) -> f64 {
    // Lengths here are bounded by the 100 kB body limit.
    u32::try_from(n).map_or(f64::INFINITY, f64::from)
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::js::json::parse;

    fn outcome(body: &str) -> String {
        let value = parse(&Bytes::copy_from_slice(body.as_bytes()), body).unwrap();
        match parse_alert(Some(&value)) {
            Ok(alert) => format!(
                "ok {} {} {:?} {}",
                alert.to,
                alert.subject,
                alert.body.map(|b| b.to_string()),
                alert.severity.as_str()
            ),
            Err(AlertError::Invalid(json)) => String::from_utf8(json).unwrap(),
            Err(AlertError::Internal(_)) => "500".to_owned(),
        }
    }

    /// Expected values are the Node service's answers (class-validator 0.15.1).
    #[test]
    fn messages_match_class_validator() {
        let cases: &[(&str, &str)] = &[
            (
                "{}",
                r#"["to must be an email","subject must be longer than or equal to 1 characters","subject must be a string"]"#,
            ),
            (r#"{"to":"a@b.co","subject":"x"}"#, "ok a@b.co x None warn"),
            (
                r#"{"to":"a@b.co","subject":"x","severity":"info","body":"hi"}"#,
                r#"ok a@b.co x Some("hi") info"#,
            ),
            (
                r#"{"to":"a@b.co","subject":"","extra":1,"2":3,"1":0,"severity":"bad","body":5}"#,
                r#"["property 1 should not exist","property 2 should not exist","property extra should not exist","subject must be longer than or equal to 1 characters","body must be a string","severity must be one of the following values: info, warn, critical"]"#,
            ),
            (
                r#"{"to":"nope","subject":5}"#,
                r#"["to must be an email","subject must be longer than or equal to 1 and shorter than or equal to 200 characters","subject must be a string"]"#,
            ),
            (
                r#"{"to":"nope","subject":0}"#,
                r#"["to must be an email","subject must be longer than or equal to 1 characters","subject must be a string"]"#,
            ),
            (
                r#"{"to":"a@b.co","subject":{"length":300}}"#,
                r#"["subject must be shorter than or equal to 200 characters","subject must be a string"]"#,
            ),
            (
                r#"{"to":"a@b.co","subject":"x","body":null,"severity":null}"#,
                r#"["severity must be one of the following values: info, warn, critical"]"#,
            ),
            (
                "[1,2]",
                r#"["property 0 should not exist","property 1 should not exist","to must be an email","subject must be longer than or equal to 1 characters","subject must be a string"]"#,
            ),
            (
                r#"{"constructor":1,"to":"a@b.co","subject":"x"}"#,
                r#"["an unknown value was passed to the validate function"]"#,
            ),
            (
                r#"{"__proto__":[],"to":"a@b.co","subject":"x"}"#,
                r#"["an unknown value was passed to the validate function"]"#,
            ),
            (
                r#"{"__proto__":1,"to":"a@b.co","subject":"x"}"#,
                "ok a@b.co x None warn",
            ),
            (r#"{"__proto__":null,"to":"a@b.co","subject":"x"}"#, "500"),
            (r#"{"constructor":null,"to":"a@b.co","subject":"x"}"#, "500"),
            (r#"{"__proto__":{"constructor":null}}"#, "500"),
            (
                r#"{"hasOwnProperty":1,"to":"a@b.co","subject":"x"}"#,
                "ok a@b.co x None warn",
            ),
            (
                r#"{"valueOf":1,"isPrototypeOf":1,"__defineGetter__":1,"__lookupSetter__":2,"propertyIsEnumerable":3,"toLocaleString":4,"to":"a@b.co","subject":"x"}"#,
                r#"["property valueOf should not exist","property toLocaleString should not exist"]"#,
            ),
            (
                r#"{"4294967295":1,"4294967294":1,"01":1,"10":1,"9":1,"to":"a@b.co","subject":"x"}"#,
                r#"["property 9 should not exist","property 10 should not exist","property 4294967294 should not exist","property 4294967295 should not exist","property 01 should not exist"]"#,
            ),
            (r#"{"to":"\ud800@b.co","subject":"x"}"#, "500"),
            (
                r#"{"to":"a@b.co","subject":"\ufe0f"}"#,
                "ok a@b.co \u{fe0f} None warn",
            ),
            (
                r#"{"to":"a@b.co","subject":true}"#,
                r#"["subject must be longer than or equal to 1 and shorter than or equal to 200 characters","subject must be a string"]"#,
            ),
            (
                r#"{"to":"a@b.co","subject":{"length":"5"}}"#,
                r#"["subject must be longer than or equal to 1 and shorter than or equal to 200 characters","subject must be a string"]"#,
            ),
            (
                r#"{"to":"a@b.co","subject":"x","severity":["warn"]}"#,
                r#"["severity must be one of the following values: info, warn, critical"]"#,
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(outcome(body), *expected, "body {body}");
        }
        let long = format!(r#"{{"to":"a@b.co","subject":"{}"}}"#, "x".repeat(201));
        assert_eq!(
            outcome(&long),
            r#"["subject must be shorter than or equal to 200 characters"]"#
        );
        let emoji = format!(r#"{{"to":"a@b.co","subject":"{}"}}"#, "😀".repeat(150));
        assert!(outcome(&emoji).starts_with("ok "));
    }
}
