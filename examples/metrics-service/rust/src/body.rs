//! `app.use(express.json())`: body-parser 2's JSON parser, run for every
//! request before routing, as express does.
//!
//! Parity notes: a body is read only when the request has one (a
//! Content-Length or Transfer-Encoding header) and its media type is exactly
//! `application/json`; otherwise `req.body` stays `undefined` (`None`). An
//! empty body is `{}`. The top level must be an object or array ("strict").
//! Errors carry body-parser's status and message (400 with V8's
//! `SyntaxError` text, 413 over 100 kB, 415 for a charset or encoding).
//!
//! Known gaps, answered with 415 where Node would decode: UTF-16/32 charsets
//! (iconv-lite) and gzip/deflate/br bodies (zlib).

use axum::body::Body;
use bytes::Bytes;
use http::HeaderMap;
use http::header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
use http_body_util::BodyExt as _;

use crate::js::json::{self, Value};

/// body-parser's default `limit: "100kb"`.
pub const LIMIT: usize = 100 * 1024;

/// An http-errors error with `expose: true`: the status and `err.message`.
#[derive(Debug)]
pub struct BodyError {
    pub status: u16,
    /// UTF-16, since a `SyntaxError` can quote half a surrogate pair.
    pub message: Vec<u16>,
}

impl BodyError {
    fn new(status: u16, message: &str) -> Self {
        Self {
            status,
            message: message.encode_utf16().collect(),
        }
    }
}

/// Reads and parses the body if body-parser would; `Ok(None)` is `req.body === undefined`.
pub async fn read_json(headers: &HeaderMap, body: Body) -> Result<Option<Value>, BodyError> {
    // type-is `hasBody`: a Transfer-Encoding header, or a numeric Content-Length.
    let has_body = headers.contains_key(TRANSFER_ENCODING) || headers.contains_key(CONTENT_LENGTH);
    if !has_body {
        return Ok(None);
    }
    match check_headers(headers) {
        Ok(true) => {}
        outcome => {
            // Node discards a body nobody reads; so must we, or the connection
            // cannot carry the next request.
            drain(body).await;
            return outcome.map(|_| None);
        }
    }
    let bytes = read_limited(body).await?;
    parse_strict(decode_utf8(bytes)).map(Some)
}

/// Whether body-parser reads this body (`Ok(false)`: not JSON, left undefined),
/// or the error it answers without reading it.
fn check_headers(headers: &HeaderMap) -> Result<bool, BodyError> {
    let Some(content_type) = headers.get(CONTENT_TYPE).map(|v| v.as_bytes()) else {
        return Ok(false);
    };
    if !is_json_media_type(content_type) {
        return Ok(false);
    }

    let charset = charset(content_type).unwrap_or_else(|| "utf-8".to_owned());
    if charset != "utf-8" {
        // Node rejects charsets not starting with "utf-"; it would decode utf-16 and
        // utf-32 where this port answers the same 415.
        return Err(BodyError::new(
            415,
            &format!("unsupported charset \"{}\"", charset.to_uppercase()),
        ));
    }

    // `(req.headers["content-encoding"] || "identity").toLowerCase()`
    let encoding =
        crate::express::joined_bytes(headers, CONTENT_ENCODING).map(|e| latin1(&e).to_lowercase());
    if let Some(encoding) = encoding.filter(|e| !e.is_empty() && e != "identity") {
        // Node would inflate gzip, deflate and br; this port does not.
        return Err(BodyError::new(
            415,
            &format!("unsupported content encoding \"{encoding}\""),
        ));
    }

    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > LIMIT as u64) {
        return Err(too_large());
    }
    Ok(true)
}

/// Collects the body, failing with 413 past [`LIMIT`]. A single-chunk body
/// (the usual case) is kept as is, without copying.
async fn read_limited(mut body: Body) -> Result<Bytes, BodyError> {
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut total = 0;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Err(BodyError::new(400, "request aborted"));
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        total += data.len();
        if total > LIMIT {
            drain(body).await;
            return Err(too_large());
        }
        chunks.push(data);
    }
    Ok(match chunks.len() {
        0 => Bytes::new(),
        1 => chunks.swap_remove(0),
        _ => Bytes::from(chunks.concat()),
    })
}

/// How much of a refused body is read and discarded before answering.
const DRAIN_MAX: usize = 10 * LIMIT;

/// Reads and discards what is left of a body, as Node does with a body it
/// refuses (body-parser's `dump`) or never reads: the client gets its answer on
/// a live connection instead of a reset while it is still sending. Past
/// [`DRAIN_MAX`] this gives up and the connection closes after the response.
async fn drain(mut body: Body) {
    let mut discarded = 0;
    while discarded <= DRAIN_MAX {
        match body.frame().await {
            Some(Ok(frame)) => discarded += frame.data_ref().map_or(0, Bytes::len),
            _ => return,
        }
    }
}

fn too_large() -> BodyError {
    BodyError::new(413, "request entity too large")
}

/// iconv-lite's UTF-8 decode: a leading BOM is dropped, invalid sequences become U+FFFD.
fn decode_utf8(bytes: Bytes) -> Bytes {
    let bytes = if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.slice(3..)
    } else {
        bytes
    };
    match std::str::from_utf8(&bytes) {
        Ok(_) => bytes,
        Err(_) => Bytes::from(String::from_utf8_lossy(&bytes).into_owned()),
    }
}

/// body-parser's strict `parse(body)`.
fn parse_strict(bytes: Bytes) -> Result<Value, BodyError> {
    let text = std::str::from_utf8(&bytes).unwrap_or_default();
    if text.is_empty() {
        return Ok(Value::Object(json::Object::default()));
    }
    let first = text
        .bytes()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    if !matches!(first, Some(b'{' | b'[')) {
        return Err(BodyError {
            status: 400,
            message: strict_violation(text),
        });
    }
    json::parse(&bytes, text).map_err(|e| BodyError {
        status: 400,
        message: e.message(text),
    })
}

/// body-parser's `createStrictSyntaxError`: parse the text with everything from
/// the first non-blank character on replaced by `#`, then put the original
/// characters back into the message. (A blank body parses `""` instead.)
fn strict_violation(text: &str) -> Vec<u16> {
    let source: Vec<u16> = text.encode_utf16().collect();
    let blank = |u: &u16| matches!(u, 0x20 | 0x09 | 0x0A | 0x0D);
    let Some(index) = source.iter().position(|u| !blank(u)) else {
        return "Unexpected end of JSON input".encode_utf16().collect();
    };
    let blank_prefix = &text[..index]; // ASCII blanks: byte and UTF-16 offsets agree
    let partial = format!("{blank_prefix}{}", "#".repeat(source.len() - index));
    let partial_bytes = Bytes::from(partial.clone());
    let Err(error) = json::parse(&partial_bytes, &partial) else {
        return "strict violation".encode_utf16().collect();
    };
    let message = error.message(&partial);
    let mut out = Vec::with_capacity(message.len());
    let mut i = 0;
    while i < message.len() {
        if message[i] == u16::from(b'#') {
            let run = message[i..]
                .iter()
                .take_while(|&&u| u == u16::from(b'#'))
                .count();
            let end = (index + run).min(source.len());
            out.extend_from_slice(&source[index..end]);
            i += run;
        } else {
            out.push(message[i]);
            i += 1;
        }
    }
    out
}

/// type-is: the media type before any `;`, trimmed and lower-cased, is `application/json`.
fn is_json_media_type(content_type: &[u8]) -> bool {
    let end = content_type
        .iter()
        .position(|&b| b == b';')
        .unwrap_or(content_type.len());
    content_type[..end]
        .trim_ascii()
        .eq_ignore_ascii_case(b"application/json")
}

/// content-type 2's parameter parser, for the first `charset`, lower-cased.
fn charset(content_type: &[u8]) -> Option<String> {
    let text = latin1(content_type);
    let mut rest = text.split_once(';')?.1;
    loop {
        let (param, tail) = split_param(rest);
        if let Some((key, value)) = param
            && key
                .trim_matches([' ', '\t'])
                .eq_ignore_ascii_case("charset")
        {
            return Some(value.to_lowercase());
        }
        rest = tail?;
    }
}

/// One `key=value` (value possibly quoted) and whatever follows its `;`.
fn split_param(s: &str) -> (Option<(&str, String)>, Option<&str>) {
    let s = s.trim_start_matches([' ', '\t']);
    let Some(eq) = s.find(['=', ';']).filter(|&i| s.as_bytes()[i] == b'=') else {
        return (None, s.split_once(';').map(|(_, t)| t));
    };
    let key = &s[..eq];
    let after = s[eq + 1..].trim_start_matches([' ', '\t']);
    if let Some(quoted) = after.strip_prefix('"') {
        let mut value = String::new();
        let mut chars = quoted.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    let tail = quoted[i + 1..].split_once(';').map(|(_, t)| t);
                    return (Some((key, value)), tail);
                }
                '\\' => {
                    if let Some((_, escaped)) = chars.next() {
                        value.push(escaped);
                    }
                }
                c => value.push(c),
            }
        }
        // An unterminated quoted value is dropped.
        return (None, None);
    }
    let (value, tail) = match after.split_once(';') {
        Some((v, t)) => (v, Some(t)),
        None => (after, None),
    };
    (
        Some((key, value.trim_end_matches([' ', '\t']).to_owned())),
        tail,
    )
}

/// Node reads header bytes as Latin-1.
pub fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict(text: &str) -> String {
        match parse_strict(Bytes::copy_from_slice(text.as_bytes())) {
            Ok(_) => "OK".to_owned(),
            Err(e) => String::from_utf16_lossy(&e.message),
        }
    }

    /// Answers of the Node service (body-parser 2.4.0) to these bodies.
    #[test]
    fn strict_mode_matches_body_parser() {
        assert_eq!(strict(""), "OK");
        assert_eq!(strict("   "), "Unexpected end of JSON input");
        assert_eq!(
            strict("\"hello\""),
            "Unexpected token '\"', \"\"hello\"\" is not valid JSON"
        );
        assert_eq!(
            strict("  true"),
            "Unexpected token 't', \"  true\" is not valid JSON"
        );
        assert_eq!(
            strict("  nullnullnullnullnullnull"),
            "Unexpected token 'n', \"  nullnullnu\"... is not valid JSON"
        );
        assert_eq!(
            strict("{"),
            "Expected property name or '}' in JSON at position 1"
        );
    }

    #[test]
    fn content_type_parameters() {
        assert!(is_json_media_type(b"application/json"));
        assert!(is_json_media_type(b" APPLICATION/JSON ; charset=utf-8"));
        assert!(!is_json_media_type(b"application/vnd.api+json"));
        assert!(!is_json_media_type(b"text/plain"));
        assert_eq!(charset(b"application/json"), None);
        assert_eq!(
            charset(b"application/json; charset=UTF-8").as_deref(),
            Some("utf-8")
        );
        assert_eq!(
            charset(b"application/json;a=1; Charset=\"Latin1\"").as_deref(),
            Some("latin1")
        );
        assert_eq!(
            charset(b"application/json; foo; charset=utf-16 ").as_deref(),
            Some("utf-16")
        );
    }
}
