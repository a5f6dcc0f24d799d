//! Request files → the requests to replay, in file order. The format is
//! chosen by extension:
//!
//! - `.toml`: a bench request file (`[[request]]`; each replayed once,
//!   `weight` ignored, `mutates = true` marks a state change).
//! - `.har` (or a `.json` with `log.entries`): HAR 1.2 as browsers export it.
//!   Every entry is kept (filter the export to the service first) except
//!   `data:` and `blob:` URLs; only the path and query of its URL are sent.
//! - `.jsonl`/`.ndjson`: crabport's recording (what `crabport proxy
//!   --record` writes), one request per line:
//!
//!   ```json
//!   {"v":1,"method":"POST","target":"/events?x=1","headers":[["content-type","application/json"]],"body_base64":"e30=","mutates":true}
//!   ```
//!
//!   `headers` are pairs so repeated headers survive; `body_base64` and
//!   `mutates` (default: any method but GET, HEAD and OPTIONS) are optional;
//!   `ts`, `route` and `status` are written by the recorder for people and
//!   not read. Other fields are ignored, so newer recorders stay readable.
//!
//! `host`, `content-length` and hop-by-hop headers are dropped (the
//! replayer sets them), as are HTTP/2 pseudo-headers (`:authority`).

use std::io::Write;
use std::path::Path;

use base64::Engine as _;
use crabport_core::{InputError, LineIndex};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::exchange::{Origin, Request};

const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Reads one request file.
///
/// # Errors
/// An unreadable file, an unknown extension, or bad content: the error names
/// the file, and the line and column where the content is wrong.
pub fn load(path: &Path) -> Result<Vec<Request>, InputError> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let read = || std::fs::read_to_string(path).map_err(|e| InputError::io(path, &e));
    match ext.as_str() {
        "toml" => from_workload(path),
        "har" => har(path, &read()?),
        "json" => {
            let text = read()?;
            if text.contains("\"entries\"") {
                har(path, &text)
            } else {
                Err(InputError::new(
                    path,
                    "a .json request file must be a HAR export (with log.entries)",
                ))
            }
        }
        "jsonl" | "ndjson" => record(path, &read()?),
        _ => Err(InputError::new(
            path,
            "unknown request file type: use .toml (bench requests), .har (browser export) or .jsonl (crabport proxy --record)",
        )),
    }
}

/// Whether `method` changes state unless the file says otherwise: all but
/// the safe methods (RFC 9110 §9.2.1).
pub fn mutating(method: &str) -> bool {
    !matches!(method, "GET" | "HEAD" | "OPTIONS")
}

/// Headers the replayer sets itself, or that do not exist in HTTP/1.1.
fn dropped(name: &str) -> bool {
    name.starts_with(':')
        || [
            "host",
            "content-length",
            "connection",
            "keep-alive",
            "proxy-connection",
            "transfer-encoding",
            "te",
            "trailer",
            "upgrade",
        ]
        .iter()
        .any(|h| name.eq_ignore_ascii_case(h))
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// What a request file says about one request, before it is checked.
struct Parts<'a> {
    method: &'a str,
    target: &'a str,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// As the file marks it; else implied by the method.
    mutates: Option<bool>,
}

/// The request, checked, with the headers the replayer sets itself
/// dropped; `Err` is the message.
fn checked(parts: Parts<'_>, origin: Origin) -> Result<Request, String> {
    let Parts {
        method,
        target,
        headers,
        body,
        mutates,
    } = parts;
    if !is_token(method) {
        return Err(format!("`{method}` is not an HTTP method"));
    }
    if !target.starts_with('/') {
        return Err(format!("the target must start with `/`, not `{target}`"));
    }
    if let Some(c) = target.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(format!(
            "the target contains {c:?}: spaces, control and non-ASCII characters must be percent-encoded"
        ));
    }
    let mut kept = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        if dropped(&name) {
            continue;
        }
        if !is_token(&name) {
            return Err(format!("`{name}` is not a valid header name"));
        }
        if value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(format!(
                "the value of header `{name}` contains a control character (line break?)"
            ));
        }
        kept.push((name, value));
    }
    let method = method.to_ascii_uppercase();
    Ok(Request {
        mutates: mutates.unwrap_or_else(|| mutating(&method)),
        method,
        target: target.to_owned(),
        headers: kept,
        body,
        origin,
    })
}

fn from_workload(path: &Path) -> Result<Vec<Request>, InputError> {
    let workload = crabport_http::request::Workload::from_file(path)?;
    Ok(workload
        .entries()
        .map(|e| {
            let mut headers = e.headers.to_vec();
            if let Some(ct) = e.content_type
                && !headers
                    .iter()
                    .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            {
                headers.push(("content-type".to_owned(), ct.to_owned()));
            }
            headers.retain(|(n, _)| !dropped(n));
            Request {
                mutates: e.mutates.unwrap_or_else(|| mutating(e.method)),
                method: e.method.to_owned(),
                target: e.path.to_owned(),
                headers,
                body: e.body.map(<[u8]>::to_vec).unwrap_or_default(),
                origin: Origin {
                    file: path.to_path_buf(),
                    line: e.line,
                },
            }
        })
        .collect())
}

#[derive(Deserialize)]
struct HarFile<'a> {
    #[serde(borrow)]
    log: HarLog<'a>,
}

#[derive(Deserialize)]
struct HarLog<'a> {
    #[serde(borrow)]
    entries: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct HarEntry {
    request: HarRequest,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HarRequest {
    method: String,
    url: String,
    #[serde(default)]
    headers: Vec<HarHeader>,
    post_data: Option<HarPostData>,
}

#[derive(Deserialize)]
struct HarHeader {
    name: String,
    value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HarPostData {
    #[serde(default)]
    mime_type: String,
    text: Option<String>,
    encoding: Option<String>,
    #[serde(default)]
    params: Vec<HarParam>,
}

#[derive(Deserialize)]
struct HarParam {
    name: String,
    value: Option<String>,
}

/// The path and query of an absolute URL, or `None` for a scheme that is
/// not a request to a server (`data:`, `blob:`).
fn url_target(url: &str) -> Result<Option<String>, String> {
    let Some((scheme, rest)) = url.split_once(':') else {
        return Err(format!("`{url}` is not an absolute URL"));
    };
    match scheme.to_ascii_lowercase().as_str() {
        "http" | "https" => {}
        "data" | "blob" => return Ok(None),
        other => {
            return Err(format!(
                "`{other}:` URLs cannot be replayed over HTTP: {url}"
            ));
        }
    }
    let rest = rest
        .strip_prefix("//")
        .ok_or_else(|| format!("`{url}` has no host"))?;
    let rest = rest.split('#').next().unwrap_or("");
    Ok(Some(match rest.find(['/', '?']) {
        Some(i) if rest[i..].starts_with('?') => format!("/{}", &rest[i..]),
        Some(i) => rest[i..].to_owned(),
        None => "/".to_owned(),
    }))
}

fn form_encode(params: &[HarParam]) -> String {
    let enc = |s: &str| {
        let mut out = String::new();
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                out.push(char::from(b));
            } else if b == b' ' {
                out.push('+');
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    };
    params
        .iter()
        .map(|p| format!("{}={}", enc(&p.name), enc(p.value.as_deref().unwrap_or(""))))
        .collect::<Vec<_>>()
        .join("&")
}

fn har(path: &Path, text: &str) -> Result<Vec<Request>, InputError> {
    let file: HarFile<'_> = serde_json::from_str(text).map_err(|e| {
        let mut err = InputError::json(path, &e);
        err.message = format!("not a HAR file: {}", err.message);
        err
    })?;
    let lines = LineIndex::new(text);
    let mut requests = Vec::with_capacity(file.log.entries.len());
    for raw in file.log.entries {
        let raw = raw.get();
        let start = raw.as_ptr() as usize - text.as_ptr() as usize;
        let at = |offset: usize, message: String| {
            InputError::at(path, lines.position(start + offset), message)
        };
        let entry: HarEntry = serde_json::from_str(raw).map_err(|e| {
            at(
                offset_of(raw, e.line(), e.column()),
                format!("HAR entry: {}", strip_position(&e)),
            )
        })?;
        let r = entry.request;
        let Some(target) = url_target(&r.url).map_err(|m| at(0, m))? else {
            continue;
        };
        let body = match &r.post_data {
            None => Vec::new(),
            Some(p) => match (&p.text, p.encoding.as_deref()) {
                (Some(t), Some("base64")) => BASE64
                    .decode(t.trim())
                    .map_err(|e| at(0, format!("postData.text is not base64: {e}")))?,
                (Some(t), _) => t.clone().into_bytes(),
                (None, _) => form_encode(&p.params).into_bytes(),
            },
        };
        let mut headers: Vec<(String, String)> =
            r.headers.into_iter().map(|h| (h.name, h.value)).collect();
        if let Some(p) = &r.post_data
            && !p.mime_type.is_empty()
            && !headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            headers.push(("content-type".to_owned(), p.mime_type.clone()));
        }
        let parts = Parts {
            method: &r.method,
            target: &target,
            headers,
            body,
            mutates: None,
        };
        let origin = Origin {
            file: path.to_path_buf(),
            line: lines.position(start).line,
        };
        requests.push(checked(parts, origin).map_err(|m| at(0, m))?);
    }
    Ok(requests)
}

/// A serde_json message without its " at line N column M".
fn strip_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    text.rfind(" at line ")
        .map_or(text.as_str(), |i| &text[..i])
        .to_owned()
}

/// The byte offset in `text` of a serde_json (line, column), both 1-based.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (line_start + column.saturating_sub(1)).min(text.len())
}

/// One line of a recording.
#[derive(Deserialize, Serialize)]
struct RecordLine {
    v: u32,
    method: String,
    target: String,
    #[serde(default)]
    headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body_base64: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mutates: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ts: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    route: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
}

const RECORD_VERSION: u32 = 1;

fn record(path: &Path, text: &str) -> Result<Vec<Request>, InputError> {
    let mut requests = Vec::new();
    let count = text.lines().count();
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let at = |column: usize, message: String| {
            InputError::at(
                path,
                crabport_core::Position {
                    line: number,
                    column,
                },
                message,
            )
        };
        let r: RecordLine = serde_json::from_str(line).map_err(|e| {
            if e.is_eof() && number == count && !text.ends_with('\n') {
                at(
                    e.column().max(1),
                    "this last line is cut short (was the recording interrupted?): remove it to replay the rest".to_owned(),
                )
            } else {
                at(e.column().max(1), strip_position(&e))
            }
        })?;
        if r.v != RECORD_VERSION {
            return Err(at(
                1,
                format!(
                    "recording format version {} is not known to this crabport (it reads {RECORD_VERSION})",
                    r.v
                ),
            ));
        }
        let body = match &r.body_base64 {
            Some(b) => BASE64
                .decode(b)
                .map_err(|e| at(1, format!("`body_base64` is not base64: {e}")))?,
            None => Vec::new(),
        };
        let parts = Parts {
            method: &r.method,
            target: &r.target,
            headers: r.headers,
            body,
            mutates: r.mutates,
        };
        let origin = Origin {
            file: path.to_path_buf(),
            line: number,
        };
        requests.push(checked(parts, origin).map_err(|m| at(1, m))?);
    }
    Ok(requests)
}

/// What a recorder knows about a request beyond the request itself.
#[derive(Debug, Clone, Default)]
pub struct RecordExtra {
    pub ts: Option<String>,
    pub route: Option<String>,
    pub status: Option<u16>,
}

/// Writes `request` as one line of a recording.
///
/// # Errors
/// Errors of `out`.
pub fn write_record(
    out: &mut impl Write,
    request: &Request,
    extra: &RecordExtra,
) -> std::io::Result<()> {
    let line = RecordLine {
        v: RECORD_VERSION,
        method: request.method.clone(),
        target: request.target.clone(),
        headers: request.headers.clone(),
        body_base64: (!request.body.is_empty()).then(|| BASE64.encode(&request.body)),
        mutates: (request.mutates != mutating(&request.method)).then_some(request.mutates),
        ts: extra.ts.clone(),
        route: extra.route.clone(),
        status: extra.status,
    };
    serde_json::to_writer(&mut *out, &line)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn a_recording_round_trips_and_keeps_repeated_headers() {
        let dir = tempfile::tempdir().unwrap();
        let request = Request {
            method: "POST".to_owned(),
            target: "/events?x=1".to_owned(),
            headers: vec![
                ("x-request-id".to_owned(), "a".to_owned()),
                ("x-request-id".to_owned(), "b".to_owned()),
            ],
            body: vec![0xff, 0xfe, b'{'],
            mutates: true,
            origin: Origin {
                file: dir.path().join("r.jsonl"),
                line: 2,
            },
        };
        let get = Request {
            method: "GET".to_owned(),
            target: "/users".to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
            mutates: true, // marked: not implied by GET
            origin: request.origin.clone(),
        };
        let mut out = b"\n".to_vec();
        write_record(&mut out, &request, &RecordExtra::default()).unwrap();
        write_record(
            &mut out,
            &get,
            &RecordExtra {
                status: Some(200),
                ..RecordExtra::default()
            },
        )
        .unwrap();
        let path = write(dir.path(), "r.jsonl", std::str::from_utf8(&out).unwrap());
        let loaded = load(&path).unwrap();
        assert_eq!(loaded[0], request);
        assert_eq!(loaded[1].origin.line, 3);
        assert_eq!(loaded[1].target, get.target);
        assert!(loaded[1].mutates);
    }

    #[test]
    fn a_bad_or_cut_recording_line_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let good = r#"{"v":1,"method":"GET","target":"/a","headers":[]}"#;
        let path = write(
            dir.path(),
            "r.jsonl",
            &format!("{good}\n{{\"v\":1,\"method\":\"GET\",\"target\":}}\n"),
        );
        let e = load(&path).unwrap_err().to_string();
        assert!(e.contains("r.jsonl:2:"), "{e}");
        let path = write(
            dir.path(),
            "cut.jsonl",
            &format!("{good}\n{{\"v\":1,\"meth"),
        );
        let e = load(&path).unwrap_err().to_string();
        assert!(e.contains("cut.jsonl:2:") && e.contains("cut short"), "{e}");
        let path = write(
            dir.path(),
            "v.jsonl",
            r#"{"v":9,"method":"GET","target":"/"}"#,
        );
        assert!(load(&path).unwrap_err().to_string().contains("version 9"));
        let path = write(
            dir.path(),
            "t.jsonl",
            r#"{"v":1,"method":"GET","target":"/a b"}"#,
        );
        assert!(load(&path).unwrap_err().to_string().contains("t.jsonl:1:"));
    }

    const HAR: &str = r#"{
  "log": {
    "version": "1.2",
    "creator": { "name": "WebInspector", "version": "537.36" },
    "entries": [
      {
        "startedDateTime": "2026-11-30T10:00:00.000Z",
        "request": {
          "method": "GET",
          "url": "https://api.example.com/users/7?expand=orders#top",
          "httpVersion": "http/2.0",
          "headers": [
            { "name": ":authority", "value": "api.example.com" },
            { "name": ":method", "value": "GET" },
            { "name": "accept", "value": "application/json" },
            { "name": "cookie", "value": "sid=1" },
            { "name": "host", "value": "api.example.com" }
          ]
        }
      },
      {
        "request": { "method": "GET", "url": "data:image/png;base64,AAAA", "headers": [] }
      },
      {
        "request": {
          "method": "POST",
          "url": "http://localhost:3000/upload",
          "headers": [{ "name": "Content-Length", "value": "3" }],
          "postData": { "mimeType": "application/octet-stream", "text": "/wA=", "encoding": "base64" }
        }
      },
      {
        "request": {
          "method": "post",
          "url": "http://localhost:3000",
          "headers": [],
          "postData": { "mimeType": "application/x-www-form-urlencoded", "params": [{ "name": "a b", "value": "1&2" }] }
        }
      }
    ]
  }
}"#;

    #[test]
    fn a_browser_har_becomes_requests_with_their_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "chrome.har", HAR);
        let r = load(&path).unwrap();
        assert_eq!(r.len(), 3, "the data: URL is skipped");
        assert_eq!(r[0].target, "/users/7?expand=orders");
        assert_eq!(
            r[0].headers,
            [
                ("accept".to_owned(), "application/json".to_owned()),
                ("cookie".to_owned(), "sid=1".to_owned())
            ]
        );
        assert_eq!(r[0].origin.line, 6);
        assert!(!r[0].mutates);
        assert_eq!(r[1].body, [0xff, 0x00]);
        assert_eq!(
            r[1].headers,
            [(
                "content-type".to_owned(),
                "application/octet-stream".to_owned()
            )]
        );
        assert!(r[1].mutates);
        assert_eq!(r[2].method, "POST");
        assert_eq!(r[2].target, "/");
        assert_eq!(r[2].body, b"a+b=1%262");
    }

    #[test]
    fn a_bad_har_names_the_position() {
        let dir = tempfile::tempdir().unwrap();
        let bad = HAR.replace("\"method\": \"POST\"", "\"method\": 5");
        let path = write(dir.path(), "bad.har", &bad);
        let e = load(&path).unwrap_err().to_string();
        assert!(e.contains("bad.har:26:"), "{e}");
        let path = write(
            dir.path(),
            "ws.har",
            &HAR.replace("http://localhost:3000/upload", "ws://localhost/x"),
        );
        let e = load(&path).unwrap_err().to_string();
        assert!(e.contains("ws.har:24:") && e.contains("`ws:`"), "{e}");
        let path = write(dir.path(), "cut.har", &HAR[..400]);
        let e = load(&path).unwrap_err().to_string();
        assert!(e.contains("cut.har:") && e.contains("truncated"), "{e}");
    }

    #[test]
    fn a_bench_file_is_replayed_once_per_request_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "requests.toml",
            "[[request]]\npath = \"/users\"\nweight = 5\n\n[[request]]\nmethod = \"POST\"\npath = \"/events\"\njson = { level = \"info\" }\n\n[[request]]\nmethod = \"GET\"\npath = \"/reset\"\nmutates = true\nbody_base64 = \"/w==\"\n",
        );
        let r = load(&path).unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(
            (r[0].origin.line, r[1].origin.line, r[2].origin.line),
            (1, 5, 10)
        );
        assert_eq!(r[1].body, br#"{"level":"info"}"#);
        assert_eq!(
            r[1].headers,
            [("content-type".to_owned(), "application/json".to_owned())]
        );
        assert!(r[1].mutates && r[2].mutates && !r[0].mutates);
        assert_eq!(r[2].body, [0xff]);
        let e = load(&write(dir.path(), "x.txt", ""))
            .unwrap_err()
            .to_string();
        assert!(e.contains(".har"), "{e}");
    }
}
