//! The workload of `crabport bench`: a TOML request file or one URL, its
//! routes spread by weight, each request serialised once to HTTP/1.1 bytes;
//! and the target, loopback unless the caller allows remote hosts.
//!
//! ```toml
//! [[request]]
//! method = "POST"                       # default GET
//! path = "/logs"                        # required, starts with /
//! weight = 3                            # default 1, > 0
//! headers = { "x-api-key" = "k" }       # optional
//! json = { level = "info" }             # or body = '…', or body_base64 = '…'
//! mutates = true                        # parity: changes state (default: not GET/HEAD/OPTIONS)
//! ```

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::ops::Range;
use std::path::Path;

use crabport_core::{InputError, LineIndex};
use serde::Deserialize;
use toml::Spanned;

/// One route of a workload as reports show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Route {
    pub method: String,
    pub path: String,
    pub weight: u32,
}

/// Routes with their headers and bodies, not yet tied to a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    requests: Vec<Request>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Request {
    route: Route,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    /// `application/json` for `json = …` unless a header sets its own.
    content_type: Option<&'static str>,
    /// `mutates = true|false` (parity replays; bench ignores it).
    mutates: Option<bool>,
    /// 1-based line of its `[[request]]` (1 for a request from flags).
    line: usize,
}

/// A request of a workload as written, for tools that replay each once
/// (`crabport parity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkloadEntry<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub headers: &'a [(String, String)],
    pub body: Option<&'a [u8]>,
    /// The content type crabport adds when no header sets one.
    pub content_type: Option<&'static str>,
    pub mutates: Option<bool>,
    pub line: usize,
}

/// A request that cannot be built (from flags rather than a file).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid request: {0}")]
pub struct RequestError(String);

impl Workload {
    /// Reads a TOML request file (`[[request]]` tables).
    ///
    /// # Errors
    /// An unreadable file, or a malformed one: the error names the file and
    /// the line of the offending value.
    pub fn from_file(path: &Path) -> Result<Self, InputError> {
        let text = std::fs::read_to_string(path).map_err(|e| InputError::io(path, &e))?;
        Self::parse(path, &text)
    }

    /// Parses the text of a request file; `path` only names it in errors.
    ///
    /// # Errors
    /// As [`Workload::from_file`].
    pub fn parse(path: &Path, text: &str) -> Result<Self, InputError> {
        let at = |span: Range<usize>, message: String| {
            InputError::at(path, LineIndex::new(text).position(span.start), message)
        };
        let raw: RawFile = toml::from_str(text)
            .map_err(|e| at(e.span().unwrap_or(0..0), e.message().trim().to_owned()))?;
        if raw.request.is_empty() {
            return Err(InputError::new(
                path,
                "no [[request]] table: a request file needs at least one",
            ));
        }
        let lines = LineIndex::new(text);
        let requests = raw
            .request
            .into_iter()
            .map(|r| {
                let line = lines.position(r.span().start).line;
                r.into_inner()
                    .validate(line)
                    .map_err(|(span, m)| at(span, m))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { requests })
    }

    /// One request: `method` (case-insensitive) to `path` (with its query),
    /// as given on the command line with a URL.
    ///
    /// # Errors
    /// A method that is not an HTTP token, or a path that is not one.
    pub fn single(path: &str, method: &str) -> Result<Self, RequestError> {
        let route = Route {
            method: check_method(method).map_err(RequestError)?,
            path: check_path(path).map_err(RequestError)?,
            weight: 1,
        };
        Ok(Self {
            requests: vec![Request {
                route,
                headers: Vec::new(),
                body: None,
                content_type: None,
                mutates: None,
                line: 1,
            }],
        })
    }

    /// Each request once, in file order, as written.
    pub fn entries(&self) -> impl Iterator<Item = WorkloadEntry<'_>> {
        self.requests.iter().map(|r| WorkloadEntry {
            method: &r.route.method,
            path: &r.route.path,
            headers: &r.headers,
            body: r.body.as_deref(),
            content_type: r.content_type,
            mutates: r.mutates,
            line: r.line,
        })
    }

    /// The routes in file order, for reports.
    pub fn routes(&self) -> Vec<Route> {
        self.requests.iter().map(|r| r.route.clone()).collect()
    }

    /// Serialises every request once, with `Host: authority` unless the file
    /// sets its own `host` header.
    pub fn prepare(&self, authority: &str) -> PreparedWorkload {
        let mut cumulative = Vec::with_capacity(self.requests.len());
        let mut total = 0u64;
        let requests = self
            .requests
            .iter()
            .map(|r| {
                total += u64::from(r.route.weight);
                cumulative.push(total);
                PreparedRequest {
                    bytes: r.serialise(authority).into_boxed_slice(),
                    head: r.route.method == "HEAD",
                }
            })
            .collect();
        PreparedWorkload {
            requests,
            cumulative,
        }
    }
}

impl Request {
    fn serialise(&self, authority: &str) -> Vec<u8> {
        use std::fmt::Write as _;
        let mut head = format!("{} {} HTTP/1.1\r\n", self.route.method, self.route.path);
        let has = |name: &str| {
            self.headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(name))
        };
        if !has("host") {
            // `write!` to a String cannot fail.
            let _ = write!(head, "Host: {authority}\r\n");
        }
        for (name, value) in &self.headers {
            let _ = write!(head, "{name}: {value}\r\n");
        }
        if let Some(content_type) = self.content_type.filter(|_| !has("content-type")) {
            let _ = write!(head, "Content-Type: {content_type}\r\n");
        }
        let body = self.body.as_deref().unwrap_or_default();
        // Servers may wait for (or reject a missing) length on methods with a body.
        if self.body.is_some() || matches!(self.route.method.as_str(), "POST" | "PUT" | "PATCH") {
            let _ = write!(head, "Content-Length: {}\r\n", body.len());
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body);
        bytes
    }
}

/// A workload as bytes on the wire, with a cheap weighted choice.
#[derive(Debug, Clone)]
pub struct PreparedWorkload {
    requests: Vec<PreparedRequest>,
    /// Running sums of the weights: request `i` owns `[cumulative[i-1], cumulative[i])`.
    cumulative: Vec<u64>,
}

/// One serialised request.
#[derive(Debug, Clone)]
pub struct PreparedRequest {
    bytes: Box<[u8]>,
    head: bool,
}

impl PreparedRequest {
    /// The complete HTTP/1.1 request.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// A HEAD request: its response has headers only, whatever they say.
    pub fn is_head(&self) -> bool {
        self.head
    }
}

impl PreparedWorkload {
    /// The requests in file order.
    pub fn requests(&self) -> &[PreparedRequest] {
        &self.requests
    }

    /// A request drawn with probability proportional to its weight.
    pub fn pick(&self, rng: &mut Rng) -> &PreparedRequest {
        match self.requests.as_slice() {
            [only] => only,
            requests => {
                let total = self.cumulative.last().copied().unwrap_or(0);
                let r = rng.below(total);
                let i = self.cumulative.partition_point(|&c| c <= r);
                // `r < total` keeps `i` in range; a workload is never empty.
                &requests[i.min(requests.len() - 1)]
            }
        }
    }
}

/// wyrand: a fast, small, non-cryptographic generator, plenty for choosing
/// routes; seeded per connection so runs are reproducible.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0xa076_1d64_78bd_642f);
        let t = u128::from(self.0) * u128::from(self.0 ^ 0xe703_7ed1_a0b4_28db);
        ((t >> 64) as u64) ^ (t as u64)
    }

    /// Uniform in `0..n` (0 when `n` is 0); the multiply-shift bias is at
    /// most `n / 2^64`, far below what a benchmark can see.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    request: Vec<Spanned<RawRequest>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequest {
    method: Option<Spanned<String>>,
    path: Spanned<String>,
    weight: Option<Spanned<i64>>,
    headers: Option<BTreeMap<String, Spanned<String>>>,
    body: Option<Spanned<String>>,
    /// Raw bytes that are not UTF-8 (a recorded upload).
    body_base64: Option<Spanned<String>>,
    json: Option<Spanned<toml::Value>>,
    mutates: Option<bool>,
}

type Invalid = (Range<usize>, String);

impl RawRequest {
    fn validate(self, line: usize) -> Result<Request, Invalid> {
        let method = match &self.method {
            Some(m) => check_method(m.get_ref()).map_err(|e| (m.span(), e))?,
            None => "GET".to_owned(),
        };
        let path = check_path(self.path.get_ref()).map_err(|e| (self.path.span(), e))?;
        let weight = match &self.weight {
            Some(w) => u32::try_from(*w.get_ref())
                .ok()
                .filter(|&w| w > 0)
                .ok_or_else(|| {
                    let message = format!(
                        "`weight` must be a whole number from 1 to {}, not {}",
                        u32::MAX,
                        w.get_ref()
                    );
                    (w.span(), message)
                })?,
            None => 1,
        };
        let mut headers = Vec::new();
        for (name, value) in self.headers.unwrap_or_default() {
            let span = value.span();
            check_header(&name, value.get_ref()).map_err(|e| (span, e))?;
            headers.push((name, value.into_inner()));
        }
        let raw = match (self.body, self.body_base64) {
            (Some(_), Some(b64)) => {
                return Err((
                    b64.span(),
                    "set `body` or `body_base64`, not both".to_owned(),
                ));
            }
            (Some(body), None) => Some(body.into_inner().into_bytes()),
            (None, Some(b64)) => {
                use base64::Engine as _;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(b64.get_ref().trim())
                    .map_err(|e| (b64.span(), format!("`body_base64` is not base64: {e}")))?;
                Some(bytes)
            }
            (None, None) => None,
        };
        let (body, content_type) = match (raw, self.json) {
            (Some(_), Some(json)) => {
                return Err((json.span(), "set `body` or `json`, not both".to_owned()));
            }
            (Some(body), None) => (Some(body), None),
            (None, Some(json)) => {
                let span = json.span();
                let value = toml_to_json(json.get_ref()).map_err(|e| (span.clone(), e))?;
                let text = serde_json::to_vec(&value).map_err(|e| (span, e.to_string()))?;
                (Some(text), Some("application/json"))
            }
            (None, None) => (None, None),
        };
        Ok(Request {
            route: Route {
                method,
                path,
                weight,
            },
            headers,
            body,
            content_type,
            mutates: self.mutates,
            line,
        })
    }
}

/// RFC 9110 `tchar`: what a method or a header name may contain.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn check_method(method: &str) -> Result<String, String> {
    if is_token(method) {
        // Methods are case-sensitive on the wire, but a lower-case `get` is a typo, not a new method.
        Ok(method.to_ascii_uppercase())
    } else {
        Err(format!("`{method}` is not an HTTP method"))
    }
}

fn check_path(path: &str) -> Result<String, String> {
    if !path.starts_with('/') {
        return Err(format!("`path` must start with `/`, not `{path}`"));
    }
    // Anything else would break the request line; non-ASCII must be percent-encoded.
    if let Some(c) = path.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(format!(
            "`path` contains {c:?}: percent-encode spaces, control and non-ASCII characters"
        ));
    }
    Ok(path.to_owned())
}

fn check_header(name: &str, value: &str) -> Result<(), String> {
    if !is_token(name) {
        return Err(format!("`{name}` is not a valid header name"));
    }
    if ["content-length", "transfer-encoding"]
        .iter()
        .any(|h| name.eq_ignore_ascii_case(h))
    {
        return Err(format!(
            "`{name}` is set by crabport from the body; remove it"
        ));
    }
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(format!(
            "the value of `{name}` contains a control character (line break?)"
        ));
    }
    Ok(())
}

fn toml_to_json(value: &toml::Value) -> Result<serde_json::Value, String> {
    use serde_json::Value as J;
    Ok(match value {
        toml::Value::String(s) => J::String(s.clone()),
        toml::Value::Integer(i) => J::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(J::Number)
            .ok_or_else(|| format!("`json`: {f} cannot be written in JSON"))?,
        toml::Value::Boolean(b) => J::Bool(*b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(items) => {
            J::Array(items.iter().map(toml_to_json).collect::<Result<_, _>>()?)
        }
        toml::Value::Table(table) => J::Object(
            table
                .iter()
                .map(|(k, v)| Ok((k.clone(), toml_to_json(v)?)))
                .collect::<Result<_, String>>()?,
        ),
    })
}

/// Where the load goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The host as written (lower-cased; IPv6 without brackets).
    pub host: String,
    pub port: u16,
    /// `host[:port]` for the `Host` header.
    pub authority: String,
    /// Path and query of the URL, `/` when it has none.
    pub path: String,
    /// The addresses to connect to, in order of preference.
    pub addrs: Vec<SocketAddr>,
}

/// A target URL crabport will not load.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("no target: give a URL such as http://127.0.0.1:3000/")]
    Empty,
    #[error(
        "`{0}`: https is not supported; crabport bench speaks plain HTTP/1.1, so point it at the service's http port on loopback"
    )]
    Https(String),
    #[error("`{input}`: unsupported scheme `{scheme}`; use http://")]
    Scheme { input: String, scheme: String },
    #[error("`{input}` is not a valid target: {reason}")]
    Invalid { input: String, reason: String },
    #[error(
        "`{host}` is not a loopback address; crabport bench loads only loopback targets unless --allow-remote is given"
    )]
    NotLoopback { host: String },
    #[error("cannot resolve `{host}`: {reason}")]
    Resolve { host: String, reason: String },
}

/// Parses `http://host[:port][/path]` or `host[:port][/path]`.
///
/// `localhost` (and `*.localhost`) is loopback without asking DNS; other
/// names are resolved only with `allow_remote`, so a plain run never leaves
/// the machine.
///
/// # Errors
/// A malformed URL, https or another scheme, or a non-loopback host without
/// `allow_remote`.
pub fn parse_target(url_or_host: &str, allow_remote: bool) -> Result<Target, TargetError> {
    let input = url_or_host.trim();
    if input.is_empty() {
        return Err(TargetError::Empty);
    }
    let invalid = |reason: &str| TargetError::Invalid {
        input: input.to_owned(),
        reason: reason.to_owned(),
    };
    let rest = match input.split_once("://") {
        Some((scheme, rest)) => match scheme.to_ascii_lowercase().as_str() {
            "http" => rest,
            "https" => return Err(TargetError::Https(input.to_owned())),
            _ => {
                return Err(TargetError::Scheme {
                    input: input.to_owned(),
                    scheme: scheme.to_owned(),
                });
            }
        },
        None => input,
    };
    let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    let path = match path {
        "" => "/".to_owned(),
        p if p.starts_with('?') => format!("/{p}"),
        p => p.to_owned(),
    };
    check_path(&path).map_err(|reason| invalid(&reason))?;
    if authority.contains('@') {
        return Err(invalid(
            "credentials in the URL are not supported; set an authorization header in a request file",
        ));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| invalid("unclosed `[` in the host"))?;
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| invalid("junk after `]`"))?,
            ),
        };
        (host, port)
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(invalid("no host"));
    }
    let port = match port {
        None => 80,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|&p| p != 0)
            .ok_or_else(|| invalid("the port must be a number from 1 to 65535"))?,
    };
    let host = host.to_ascii_lowercase();
    let addrs = resolve(&host, port, allow_remote)?;
    let bracketed = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.clone()
    };
    let authority = if port == 80 {
        bracketed
    } else {
        format!("{bracketed}:{port}")
    };
    Ok(Target {
        host,
        port,
        authority,
        path,
        addrs,
    })
}

fn resolve(host: &str, port: u16, allow_remote: bool) -> Result<Vec<SocketAddr>, TargetError> {
    let not_loopback = || TargetError::NotLoopback {
        host: host.to_owned(),
    };
    if let Ok(ip) = host.parse::<IpAddr>() {
        if !allow_remote && !ip.to_canonical().is_loopback() {
            return Err(not_loopback());
        }
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    if host == "localhost" || host.ends_with(".localhost") {
        // RFC 6761: always loopback. IPv4 first: most servers listen there.
        return Ok(vec![
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port),
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), port),
        ]);
    }
    if !allow_remote {
        return Err(not_loopback());
    }
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| TargetError::Resolve {
            host: host.to_owned(),
            reason: e.to_string(),
        })?
        .collect();
    if addrs.is_empty() {
        return Err(TargetError::Resolve {
            host: host.to_owned(),
            reason: "no addresses".to_owned(),
        });
    }
    Ok(addrs)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn parse(text: &str) -> Result<Workload, InputError> {
        Workload::parse(Path::new("bench.toml"), text)
    }

    fn err(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    fn wire(workload: &Workload, i: usize) -> String {
        let prepared = workload.prepare("127.0.0.1:3000");
        String::from_utf8(prepared.requests()[i].bytes().to_vec()).unwrap()
    }

    #[test]
    fn a_good_file_gives_routes_and_wire_bytes() {
        let w = parse(
            r#"
[[request]]
path = "/users"
weight = 3
headers = { "x-api-key" = "k" }

[[request]]
method = "post"
path = "/logs?sync=1"
json = { level = "info", n = 2 }

[[request]]
method = "PUT"
path = "/raw"
body = 'abc'
headers = { "Content-Type" = "text/plain", host = "api.test" }
"#,
        )
        .unwrap();
        let routes: Vec<_> = w
            .routes()
            .into_iter()
            .map(|r| (r.method, r.path, r.weight))
            .collect();
        assert_eq!(
            routes,
            [
                ("GET".into(), "/users".into(), 3),
                ("POST".into(), "/logs?sync=1".into(), 1),
                ("PUT".into(), "/raw".into(), 1),
            ]
        );
        assert_eq!(
            wire(&w, 0),
            "GET /users HTTP/1.1\r\nHost: 127.0.0.1:3000\r\nx-api-key: k\r\n\r\n"
        );
        assert_eq!(
            wire(&w, 1),
            "POST /logs?sync=1 HTTP/1.1\r\nHost: 127.0.0.1:3000\r\nContent-Type: application/json\r\n\
             Content-Length: 22\r\n\r\n{\"level\":\"info\",\"n\":2}"
        );
        // The file's own host and content type win.
        assert_eq!(
            wire(&w, 2),
            "PUT /raw HTTP/1.1\r\nContent-Type: text/plain\r\nhost: api.test\r\nContent-Length: 3\r\n\r\nabc"
        );
        assert!(!w.prepare("x").requests()[0].is_head());
    }

    #[test]
    fn single_request_and_head() {
        let w = Workload::single("/health", "head").unwrap();
        assert_eq!(
            wire(&w, 0),
            "HEAD /health HTTP/1.1\r\nHost: 127.0.0.1:3000\r\n\r\n"
        );
        assert!(w.prepare("x").requests()[0].is_head());
        assert_eq!(
            Workload::single("health", "GET").unwrap_err().to_string(),
            "invalid request: `path` must start with `/`, not `health`"
        );
        assert!(Workload::single("/", "GE T").is_err());
    }

    #[test]
    fn each_error_names_file_and_line() {
        let cases = [
            ("", "bench.toml: no [[request]] table"),
            (
                "[[request]]\nmethod = \"GET\"\n",
                "bench.toml:1:1: missing field `path`",
            ),
            (
                "[[request]]\npath = \"users\"\n",
                "bench.toml:2:8: `path` must start with `/`",
            ),
            (
                "[[request]]\npath = \"/a b\"\n",
                "bench.toml:2:8: `path` contains ' '",
            ),
            (
                "[[request]]\npath = \"/\"\nweight = 0\n",
                "bench.toml:3:10: `weight` must be a whole number from 1",
            ),
            ("[[request]]\npath = \"/\"\nweight = -2\n", "not -2"),
            (
                "[[request]]\npath = \"/\"\nweight = 1.5\n",
                "bench.toml:3:10: invalid type: floating point",
            ),
            (
                "[[request]]\npath = \"/\"\nmethod = \"G T\"\n",
                "bench.toml:3:10: `G T` is not an HTTP method",
            ),
            (
                "[[request]]\npath = \"/\"\n\nheaders = { \"x y\" = \"1\" }\n",
                "bench.toml:4:21: `x y` is not a valid header name",
            ),
            (
                "[[request]]\npath = \"/\"\nheaders = { \"content-length\" = \"1\" }\n",
                "bench.toml:3:32: `content-length` is set by crabport",
            ),
            (
                "[[request]]\npath = \"/\"\nheaders = { a = \"1\\r\\nb: 2\" }\n",
                "bench.toml:3:17: the value of `a` contains a control character",
            ),
            (
                "[[request]]\npath = \"/\"\nbody = \"x\"\njson = { a = 1 }\n",
                "bench.toml:4:8: set `body` or `json`, not both",
            ),
            (
                "[[request]]\npath = \"/\"\njson = { a = nan }\n",
                "bench.toml:3:8: `json`: NaN cannot be written in JSON",
            ),
            (
                "[[request]]\npath = \"/\"\nbogus = 1\n",
                "bench.toml:3:1: unknown field `bogus`",
            ),
            (
                "[[requests]]\npath = \"/\"\n",
                "bench.toml:1:3: unknown field `requests`",
            ),
            ("[[request]]\npath = \"/\n", "bench.toml:2:"),
        ];
        for (text, want) in cases {
            let got = err(text);
            assert!(got.contains(want), "{text:?}\n got: {got}\nwant: {want}");
        }
    }

    #[test]
    fn from_file_reports_missing_file() {
        let e = Workload::from_file(Path::new("/nonexistent/bench.toml")).unwrap_err();
        assert_eq!(e.to_string(), "/nonexistent/bench.toml: file not found");
    }

    #[test]
    fn weighted_choice_follows_weights() {
        let w = parse(
            "[[request]]\npath = \"/a\"\nweight = 1\n\
             [[request]]\npath = \"/b\"\nweight = 3\n\
             [[request]]\npath = \"/c\"\nweight = 6\n",
        )
        .unwrap();
        let prepared = w.prepare("h");
        let mut rng = Rng::new(7);
        let mut counts = [0u32; 3];
        let n = 100_000;
        for _ in 0..n {
            let picked = prepared.pick(&mut rng);
            let i = prepared
                .requests()
                .iter()
                .position(|r| std::ptr::eq(r, picked))
                .unwrap();
            counts[i] += 1;
        }
        // Binomial: σ ≤ √(n/4) ≈ 158; allow 5σ.
        for (count, weight) in counts.iter().zip([1.0, 3.0, 6.0]) {
            let expected = f64::from(n) * weight / 10.0;
            assert!(
                (f64::from(*count) - expected).abs() < 800.0,
                "{counts:?} vs weight {weight}"
            );
        }
        // Deterministic for a seed.
        let again: Vec<_> = (0..8).map(|_| Rng::new(42).next_u64()).collect();
        assert!(again.iter().all(|&x| x == again[0]));
    }

    #[test]
    fn rng_below_is_in_range() {
        let mut rng = Rng::new(0);
        assert!((0..10_000).all(|_| rng.below(3) < 3));
        assert_eq!(rng.below(0), 0);
    }

    #[test]
    fn loopback_targets() {
        let t = parse_target("http://127.0.0.1:3000/users?x=1", false).unwrap();
        assert_eq!(
            (
                t.host.as_str(),
                t.port,
                t.authority.as_str(),
                t.path.as_str()
            ),
            ("127.0.0.1", 3000, "127.0.0.1:3000", "/users?x=1")
        );
        assert_eq!(t.addrs, ["127.0.0.1:3000".parse().unwrap()]);

        let t = parse_target("http://LocalHost:3000", false).unwrap();
        assert_eq!(
            (t.authority.as_str(), t.path.as_str()),
            ("localhost:3000", "/")
        );
        assert!(
            t.addrs
                .iter()
                .all(|a| a.ip().is_loopback() && a.port() == 3000)
        );

        let t = parse_target("[::1]:8080/x#frag", false).unwrap();
        assert_eq!(
            (t.host.as_str(), t.authority.as_str(), t.path.as_str()),
            ("::1", "[::1]:8080", "/x")
        );

        let t = parse_target("127.0.0.2?q", false).unwrap();
        assert_eq!(
            (t.port, t.authority.as_str(), t.path.as_str()),
            (80, "127.0.0.2", "/?q")
        );
    }

    #[test]
    fn remote_targets_need_allow_remote() {
        let e = parse_target("http://10.0.0.5:3000/", false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`10.0.0.5` is not a loopback address; crabport bench loads only loopback targets unless --allow-remote is given"
        );
        assert!(matches!(
            parse_target("http://example.com/", false),
            Err(TargetError::NotLoopback { .. })
        ));
        assert!(matches!(
            parse_target("http://[::ffff:10.0.0.1]/", false),
            Err(TargetError::NotLoopback { .. })
        ));
        // Mapped loopback is loopback.
        assert!(parse_target("http://[::ffff:127.0.0.1]:1/", false).is_ok());
        let t = parse_target("http://10.0.0.5:3000/", true).unwrap();
        assert_eq!(t.addrs, ["10.0.0.5:3000".parse().unwrap()]);
    }

    #[test]
    fn bad_targets_say_why() {
        let https = parse_target("https://127.0.0.1/", false)
            .unwrap_err()
            .to_string();
        assert!(https.contains("https is not supported"), "{https}");
        let cases = [
            ("", "no target"),
            ("ftp://127.0.0.1/", "unsupported scheme `ftp`"),
            ("http://127.0.0.1:99999/", "port must be a number"),
            ("http://127.0.0.1:0/", "port must be a number"),
            ("http://:3000/", "no host"),
            ("http://u:p@127.0.0.1/", "credentials"),
            ("http://[::1/", "unclosed `[`"),
            ("http://127.0.0.1/a b", "percent-encode"),
        ];
        for (input, want) in cases {
            let got = parse_target(input, false).unwrap_err().to_string();
            assert!(got.contains(want), "{input:?}: {got}");
        }
    }
}
