//! What express does around every handler: the request id, `express.json()`,
//! case-insensitive routing with an optional trailing slash, and `res.json`
//! (content type, weak ETag, 304 for a matching `If-None-Match`).

use std::cell::RefCell;
use std::hash::BuildHasher as _;
use std::io::Write as _;

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::response::Response;
use base64::Engine as _;
use bytes::{Bytes, BytesMut};
use http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use http::{HeaderName, HeaderValue, Method, StatusCode, Uri};
use sha1::{Digest as _, Sha1};

use crate::body::{self, BodyError};
use crate::js::json::Value;
use crate::js::string::{Wtf8Builder, write_json_string};
use crate::metrics::Route;

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const JSON_UTF8: HeaderValue = HeaderValue::from_static("application/json; charset=utf-8");

/// One request as the handlers see it: express's `req`/`res` reduced to what
/// this service uses. Extracting it runs the middleware `server.ts` installs
/// before its routes, so a handler can count its hit and answer.
pub struct Exchange {
    /// `res.locals.requestId`: the incoming `x-request-id`, or a new uuid v4.
    pub request_id: HeaderValue,
    /// `req.body` after `express.json()`: `None` is `undefined`.
    pub body: Option<Value>,
    /// `If-None-Match`, kept only when express's `req.fresh` could be true
    /// (GET or HEAD, no `Cache-Control: no-cache`).
    if_none_match: Option<Bytes>,
}

impl<S: Send + Sync> FromRequest<S> for Exchange {
    type Rejection = Response;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Response> {
        let (parts, body) = req.into_parts();
        let headers = &parts.headers;
        let request_id = request_id(headers);
        let if_none_match = if_none_match(&parts.method, headers);
        let mut exchange = Exchange {
            request_id,
            body: None,
            if_none_match,
        };
        match body::read_json(headers, body).await {
            Ok(value) => exchange.body = value,
            Err(err) => return Err(exchange.body_error(&err)),
        }
        Ok(exchange)
    }
}

impl Exchange {
    /// `res.status(status).json(…)` for a body built per request.
    pub fn json(&self, status: StatusCode, body: Vec<u8>) -> Response {
        let etag = etag(&body);
        self.send(status, Bytes::from(body), etag)
    }

    /// `res.status(status).json(…)` for a body fixed at startup.
    pub fn json_static(&self, status: StatusCode, body: &StaticJson) -> Response {
        self.send(status, body.body.clone(), body.etag.clone())
    }

    /// `{"error": message}`, as the 404 handler and the error handler answer.
    pub fn error(&self, status: StatusCode, message: &str) -> Response {
        self.json(status, error_body(message.as_bytes()))
    }

    fn body_error(&self, err: &BodyError) -> Response {
        let mut message = Wtf8Builder::with_capacity(err.message.len());
        message.push_units(&err.message);
        let status = StatusCode::from_u16(err.status).unwrap_or(StatusCode::BAD_REQUEST);
        self.json(status, error_body(message.finish().as_wtf8()))
    }

    fn send(&self, status: StatusCode, body: Bytes, etag: HeaderValue) -> Response {
        // express's res.send: a fresh GET/HEAD becomes a bodyless 304 that keeps the ETag.
        let fresh = status.is_success()
            && self
                .if_none_match
                .as_ref()
                .is_some_and(|inm| is_fresh(inm, etag.as_bytes()));
        let mut response = if fresh {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::NOT_MODIFIED;
            response
        } else {
            let mut response = Response::new(Body::from(body));
            *response.status_mut() = status;
            response.headers_mut().insert(CONTENT_TYPE, JSON_UTF8);
            response
        };
        let headers = response.headers_mut();
        headers.insert(X_REQUEST_ID, self.request_id.clone());
        headers.insert(ETAG, etag);
        response
    }
}

fn error_body(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 12);
    out.extend_from_slice(b"{\"error\":");
    write_json_string(&mut out, message);
    out.push(b'}');
    out
}

/// A response body fixed at startup, with its ETag computed once.
pub struct StaticJson {
    body: Bytes,
    etag: HeaderValue,
}

impl StaticJson {
    pub fn new(json: &'static str) -> Self {
        Self {
            body: Bytes::from_static(json.as_bytes()),
            etag: etag(json.as_bytes()),
        }
    }
}

/// The `etag` package's weak tag, as express sets it: `W/"<len hex>-<sha1 base64, 27 chars>"`.
pub fn etag(body: &[u8]) -> HeaderValue {
    if body.is_empty() {
        return HeaderValue::from_static("W/\"0-2jmj7l5rSw0yVb/vlWAYkK/YBwk\"");
    }
    let digest = Sha1::digest(body);
    // `W/"` + up to 16 hex digits + `-` + 27 base64 characters + `"` fits in 64 bytes.
    let mut tag = [0u8; 64];
    let mut len = {
        let mut cursor = &mut tag[..];
        let _ = write!(cursor, "W/\"{:x}-", body.len());
        64 - cursor.len()
    };
    len += base64::engine::general_purpose::STANDARD_NO_PAD
        .encode_slice(digest, &mut tag[len..])
        .unwrap_or(0);
    tag[len] = b'"';
    len += 1;
    HeaderValue::from_bytes(&tag[..len]).unwrap_or_else(|_| HeaderValue::from_static("W/\"0-\""))
}

fn if_none_match(method: &Method, headers: &http::HeaderMap) -> Option<Bytes> {
    if method != Method::GET && method != Method::HEAD {
        return None;
    }
    let inm = joined_bytes(headers, IF_NONE_MATCH)?;
    if inm.is_empty() {
        return None;
    }
    // fresh: /(?:^|,)\s*?no-cache\s*?(?:,|$)/ on Cache-Control
    let no_cache = joined_bytes(headers, CACHE_CONTROL).is_some_and(|cc| {
        cc.split(|&b| b == b',')
            .any(|part| trim_js_space(part) == b"no-cache")
    });
    (!no_cache).then_some(inm)
}

fn trim_js_space(mut s: &[u8]) -> &[u8] {
    let space = |b: u8| matches!(b, 0x09..=0x0D | 0x20 | 0xA0);
    while let [first, rest @ ..] = s {
        if !space(*first) {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !space(*last) {
            break;
        }
        s = rest;
    }
    s
}

/// The `fresh` package's `If-None-Match` check against our ETag.
fn is_fresh(if_none_match: &[u8], etag: &[u8]) -> bool {
    if if_none_match == b"*" {
        return true;
    }
    parse_token_list(if_none_match).into_iter().any(|tag| {
        tag == etag
            || (tag.len() == etag.len() + 2 && tag.starts_with(b"W/") && &tag[2..] == etag)
            || (etag.len() == tag.len() + 2 && etag.starts_with(b"W/") && &etag[2..] == tag)
    })
}

/// `fresh`'s `parseTokenList`: comma-separated, leading spaces dropped.
fn parse_token_list(s: &[u8]) -> Vec<&[u8]> {
    let (mut start, mut end) = (0, 0);
    let mut list = Vec::new();
    for (i, &b) in s.iter().enumerate() {
        match b {
            b' ' => {
                if start == end {
                    start = i + 1;
                    end = i + 1;
                }
            }
            b',' => {
                list.push(&s[start..end]);
                start = i + 1;
                end = i + 1;
            }
            _ => end = i + 1,
        }
    }
    list.push(&s[start..end]);
    list
}

/// Node joins repeated request headers with ", ".
pub fn joined_bytes(headers: &http::HeaderMap, name: HeaderName) -> Option<Bytes> {
    let mut values = headers.get_all(name).iter();
    let first = values.next()?;
    let Some(second) = values.next() else {
        return Some(Bytes::copy_from_slice(first.as_bytes()));
    };
    let mut out = first.as_bytes().to_vec();
    for value in std::iter::once(second).chain(values) {
        out.extend_from_slice(b", ");
        out.extend_from_slice(value.as_bytes());
    }
    Some(Bytes::from(out))
}

/// `req.header("x-request-id") ?? uuidv4()`.
fn request_id(headers: &http::HeaderMap) -> HeaderValue {
    let mut values = headers.get_all(X_REQUEST_ID).iter();
    match (values.next(), values.next()) {
        (None, _) => new_request_id(),
        (Some(only), None) => only.clone(),
        (Some(_), Some(_)) => joined_bytes(headers, X_REQUEST_ID)
            .and_then(|joined| HeaderValue::from_maybe_shared(joined).ok())
            .unwrap_or_else(new_request_id),
    }
}

/// How many ids one refill makes. Node's `crypto.randomUUID` likewise draws
/// entropy for 128 UUIDs at a time.
const IDS_PER_REFILL: usize = 128;

thread_local! {
    /// Formatted ids (36 bytes each) waiting to be handed out; each id is a
    /// shared slice of this buffer, so handing one out allocates nothing.
    static REQUEST_IDS: RefCell<BytesMut> = RefCell::new(BytesMut::new());
}

/// A random (v4) UUID, formatted as `uuid`'s `v4()` does.
pub fn new_request_id() -> HeaderValue {
    REQUEST_IDS.with_borrow_mut(|ids| {
        if ids.is_empty() {
            refill_request_ids(ids);
        }
        let id = ids.split_to(36.min(ids.len())).freeze();
        HeaderValue::from_maybe_shared(id)
            .unwrap_or_else(|_| HeaderValue::from_static("00000000-0000-4000-8000-000000000000"))
    })
}

fn refill_request_ids(ids: &mut BytesMut) {
    let mut random = [0u8; 16 * IDS_PER_REFILL];
    if getrandom::fill(&mut random).is_err() {
        // No OS entropy (should not happen on Linux): fall back to std's
        // randomly keyed hasher rather than hand out duplicate ids.
        let state = std::collections::hash_map::RandomState::new();
        for (i, chunk) in random.chunks_mut(8).enumerate() {
            chunk.copy_from_slice(&state.hash_one(i).to_le_bytes());
        }
    }
    ids.reserve(36 * IDS_PER_REFILL);
    for chunk in random.chunks_exact(16) {
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(chunk);
        let uuid = uuid::Builder::from_random_bytes(bytes).into_uuid();
        let mut text = [0u8; 36];
        ids.extend_from_slice(uuid.hyphenated().encode_lower(&mut text).as_bytes());
    }
}

/// express's router matches `/users` case-insensitively and with one optional
/// trailing slash (`/USERS/` is `/users`, `/users//` is not). axum's matcher is
/// exact, so a request whose path is a loose spelling of a route is rewritten
/// to the route's path before routing. Exact paths (all normal traffic) pass
/// through untouched, without allocating.
pub fn express_routing(mut req: Request) -> Request {
    let path = req.uri().path();
    if Route::ALL.iter().any(|r| r.path() == path) {
        return req;
    }
    let trimmed = match path.strip_suffix('/') {
        Some(t) if !t.is_empty() => t,
        _ => path,
    };
    let Some(route) = Route::ALL
        .iter()
        .find(|r| r.path().eq_ignore_ascii_case(trimmed))
    else {
        return req;
    };
    let path_and_query = match req.uri().query() {
        Some(query) => format!("{}?{query}", route.path()),
        None => route.path().to_owned(),
    };
    let mut parts = req.uri().clone().into_parts();
    if let Ok(pq) = path_and_query.parse() {
        parts.path_and_query = Some(pq);
        if let Ok(uri) = Uri::from_parts(parts) {
            *req.uri_mut() = uri;
        }
    }
    req
}

/// axum names the allowed methods (`Allow: GET,HEAD`) when a path exists but
/// the method does not; express's 404 handler sends no such header.
pub fn express_response(mut res: Response) -> Response {
    if res.status() == StatusCode::NOT_FOUND {
        res.headers_mut().remove(http::header::ALLOW);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_match_express() {
        // Values from the Node service's responses.
        assert_eq!(
            etag(br#"{"status":"ok"}"#),
            "W/\"f-VaSQ4oDUiZblZNAEkkN+sX+q3Sg\""
        );
        assert_eq!(
            etag(br#"{"error":"not found"}"#),
            "W/\"15-3jlv4LtvSUoQruAmr3ef7Px06u0\""
        );
    }

    #[test]
    fn freshness_follows_the_fresh_package() {
        let tag = b"W/\"f-abc\"";
        assert!(is_fresh(b"*", tag));
        assert!(is_fresh(b"W/\"f-abc\"", tag));
        assert!(is_fresh(b"\"f-abc\"", tag));
        assert!(is_fresh(b"\"x\", W/\"f-abc\"", tag));
        assert!(!is_fresh(b"\"x\"", tag));
    }

    #[test]
    fn request_ids_are_distinct_v4_uuids() {
        let ids: Vec<HeaderValue> = (0..300).map(|_| new_request_id()).collect();
        for id in &ids {
            let text = id.to_str().unwrap();
            let uuid = uuid::Uuid::parse_str(text).unwrap();
            assert_eq!(uuid.get_version_num(), 4);
            assert_eq!(text, uuid.hyphenated().to_string());
        }
        let unique: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len());
    }

    #[test]
    fn loose_paths_route_like_express() {
        let path = |p: &str| {
            let req = Request::builder().uri(p).body(Body::empty()).unwrap();
            express_routing(req).uri().to_string()
        };
        assert_eq!(path("/users"), "/users");
        assert_eq!(path("/USERS/"), "/users");
        assert_eq!(path("/Snapshot?x=1"), "/snapshot?x=1");
        assert_eq!(path("/users//"), "/users//");
        assert_eq!(path("//users"), "//users");
        assert_eq!(path("/"), "/");
    }
}
