//! POST /events: the zod schema of `server.ts`, with zod 4's issues.
//!
//! ```ts
//! const eventSchema = z.object({
//!   level: z.enum(["info", "warn"]),
//!   message: z.string().min(1),
//! });
//! ```
//!
//! `safeParse` reports every issue (it does not stop at the first), in shape
//! order, each as `{…, "path": [...], "message": "..."}` with zod 4's English
//! messages. The cases below are the ones a JSON body can reach.

use super::JsonArray;
use crate::js::json::Value;
use crate::js::number::to_number;
use crate::js::string::{JsStr, write_json_string};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warn => "warn",
        }
    }
}

/// `parsed.data`: `{ level, message }`.
#[derive(Debug)]
pub struct Event<'a> {
    pub level: Level,
    pub message: &'a JsStr,
}

/// `eventSchema.safeParse(req.body)`; the error is the `issues` array as JSON.
pub fn parse_event(body: Option<&Value>) -> Result<Event<'_>, Vec<u8>> {
    let mut issues = Issues::default();
    let Some(Value::Object(object)) = body else {
        issues.invalid_type("object", body, &[]);
        return Err(issues.finish());
    };

    let level_value = object.get("level");
    let level = match level_value {
        Some(Value::String(s)) if s.eq_str("info") => Some(Level::Info),
        Some(Value::String(s)) if s.eq_str("warn") => Some(Level::Warn),
        _ => None,
    };
    if level.is_none() {
        issues.push(
            br#"{"code":"invalid_value","values":["info","warn"],"path":["level"],"message":"Invalid option: expected one of \"info\"|\"warn\""}"#,
        );
    }

    let message_value = object.get("message");
    let message = match message_value {
        Some(Value::String(s)) => {
            // `.min(1)` counts code points; only "" has fewer than one.
            if s.is_empty() {
                issues.too_small("string", "message");
                None
            } else {
                Some(s)
            }
        }
        other => {
            issues.invalid_type("string", other, &["message"]);
            // zod runs length checks on anything with a `length` after a type
            // failure: `[]` and `{"length": 0}` get a second issue.
            match other {
                Some(Value::Array(items)) if items.is_empty() => {
                    issues.too_small("array", "message");
                }
                // `length >= 1` is false for NaN too.
                Some(Value::Object(o)) => {
                    let length = o.get("length").map(to_number);
                    if length.is_some_and(|n| n.is_nan() || n < 1.0) {
                        issues.too_small("unknown", "message");
                    }
                }
                _ => {}
            }
            None
        }
    };

    match (level, message) {
        (Some(level), Some(message)) => Ok(Event { level, message }),
        _ => Err(issues.finish()),
    }
}

/// zod's `parsedType`, through the English locale's `getTypeName`.
fn received(value: Option<&Value>) -> &'static str {
    match value {
        None => "undefined",
        Some(Value::Null) => "null",
        Some(Value::Bool(_)) => "boolean",
        Some(Value::Number(n)) if *n == f64::INFINITY => "Infinity",
        Some(Value::Number(n)) if *n == f64::NEG_INFINITY => "-Infinity",
        Some(Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Array(_)) => "array",
        Some(Value::Object(_)) => "object",
    }
}

#[derive(Default)]
struct Issues {
    array: JsonArray,
}

impl Issues {
    fn push(&mut self, issue: &[u8]) {
        self.array.push_json(issue);
    }

    fn invalid_type(&mut self, expected: &str, value: Option<&Value>, path: &[&str]) {
        let received = received(value);
        let mut issue = Vec::with_capacity(128);
        issue.extend_from_slice(br#"{"expected":""#);
        issue.extend_from_slice(expected.as_bytes());
        issue.extend_from_slice(br#"","code":"invalid_type","path":["#);
        for (i, segment) in path.iter().enumerate() {
            if i > 0 {
                issue.push(b',');
            }
            write_json_string(&mut issue, segment.as_bytes());
        }
        issue.extend_from_slice(br#"],"message":"Invalid input: expected "#);
        issue.extend_from_slice(expected.as_bytes());
        issue.extend_from_slice(b", received ");
        issue.extend_from_slice(received.as_bytes());
        issue.extend_from_slice(br#""}"#);
        self.push(&issue);
    }

    /// `.min(1)` failing; `origin` is zod's `getLengthableOrigin`.
    fn too_small(&mut self, origin: &str, field: &str) {
        let expectation = match origin {
            "string" => "to have >=1 characters",
            "array" => "to have >=1 items",
            _ => "to be >=1",
        };
        let issue = format!(
            r#"{{"origin":"{origin}","code":"too_small","minimum":1,"inclusive":true,"path":["{field}"],"message":"Too small: expected {origin} {expectation}"}}"#
        );
        self.push(issue.as_bytes());
    }

    fn finish(self) -> Vec<u8> {
        self.array.finish()
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::js::json::parse;

    fn issues(body: Option<&str>) -> String {
        let value = body.map(|src| parse(&Bytes::copy_from_slice(src.as_bytes()), src).unwrap());
        match parse_event(value.as_ref()) {
            Ok(event) => format!("ok {} {}", event.level.as_str(), event.message),
            Err(json) => String::from_utf8(json).unwrap(),
        }
    }

    /// Expected values are the `issues` arrays the Node service (zod 4.6.7) answered.
    #[test]
    fn issues_match_zod() {
        let enum_issue = r#"{"code":"invalid_value","values":["info","warn"],"path":["level"],"message":"Invalid option: expected one of \"info\"|\"warn\""}"#;
        let cases: Vec<(Option<&str>, String)> = vec![
            (Some(r#"{"level":"info","message":"hi"}"#), "ok info hi".to_owned()),
            (
                None,
                r#"[{"expected":"object","code":"invalid_type","path":[],"message":"Invalid input: expected object, received undefined"}]"#.to_owned(),
            ),
            (
                Some("[1]"),
                r#"[{"expected":"object","code":"invalid_type","path":[],"message":"Invalid input: expected object, received array"}]"#.to_owned(),
            ),
            (
                Some("{}"),
                format!(
                    r#"[{enum_issue},{{"expected":"string","code":"invalid_type","path":["message"],"message":"Invalid input: expected string, received undefined"}}]"#
                ),
            ),
            (
                Some(r#"{"level":"error","message":""}"#),
                format!(
                    r#"[{enum_issue},{{"origin":"string","code":"too_small","minimum":1,"inclusive":true,"path":["message"],"message":"Too small: expected string to have >=1 characters"}}]"#
                ),
            ),
            (
                Some(r#"{"level":null,"message":null}"#),
                format!(
                    r#"[{enum_issue},{{"expected":"string","code":"invalid_type","path":["message"],"message":"Invalid input: expected string, received null"}}]"#
                ),
            ),
            (
                Some(r#"{"level":"info","message":[]}"#),
                r#"[{"expected":"string","code":"invalid_type","path":["message"],"message":"Invalid input: expected string, received array"},{"origin":"array","code":"too_small","minimum":1,"inclusive":true,"path":["message"],"message":"Too small: expected array to have >=1 items"}]"#.to_owned(),
            ),
            (
                Some(r#"{"level":"info","message":{"length":"0"}}"#),
                r#"[{"expected":"string","code":"invalid_type","path":["message"],"message":"Invalid input: expected string, received object"},{"origin":"unknown","code":"too_small","minimum":1,"inclusive":true,"path":["message"],"message":"Too small: expected unknown to be >=1"}]"#.to_owned(),
            ),
            (
                Some(r#"{"level":"info","message":1e400}"#),
                r#"[{"expected":"string","code":"invalid_type","path":["message"],"message":"Invalid input: expected string, received Infinity"}]"#.to_owned(),
            ),
            (
                Some(r#"{"level":"info","message":true}"#),
                r#"[{"expected":"string","code":"invalid_type","path":["message"],"message":"Invalid input: expected string, received boolean"}]"#.to_owned(),
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(issues(body), expected, "body {body:?}");
        }
    }
}
