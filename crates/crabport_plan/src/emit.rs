//! Router configurations from the route table: the strangler fig as nginx,
//! Envoy or Traefik configuration.
//!
//! # Semantics
//!
//! - Everything not in the table goes to Node: unported routes stay with the
//!   old app. A route whose target is Rust goes to Rust; a route with
//!   `canary_percent = Some(p)` sends p% of its requests to Rust and the rest
//!   to Node, whatever its target (0 means none, 100 or more means all).
//! - A request is matched on method and path (never the query string). `GET`
//!   also matches `HEAD`, as in express; `ALL` matches any method; `USE`
//!   matches any method and every path below its own (`/static` matches
//!   `/static` and `/static/…`, not `/staticx`).
//! - Paths: `:name` is one non-empty segment, `:name?` may be absent (with the
//!   `/` or `.` before it), `*` is anything, slashes included. Matching is
//!   exact and case-sensitive: `/users/` and `/Users` are not `/users`, so
//!   they fall through to Node, which is always the safe side.
//! - The more specific route wins, whatever the input order: compared
//!   segment by segment, a literal beats a literal mixed with parameters,
//!   which beats a parameter, which beats a wildcard; an exact path beats a
//!   prefix; a route for one method beats `ALL` on the same path. Every
//!   format gets the routes in that one order, most specific first (ties
//!   broken by method and path, so the output is deterministic): nginx and
//!   Envoy take the first match, Traefik gets descending `priority`.
//! - Node routes are emitted only where a less specific route would
//!   otherwise send their requests to Rust (`GET /users/me` before
//!   `GET /users/:id`); elsewhere the default already sends them to Node.
//! - Paths come from scanned repositories and are not trusted. A route whose
//!   method is not a plain token, or whose path has a character outside URL
//!   path syntax (quotes, spaces, braces, newlines, `%`, `?`, `#`, non-ASCII),
//!   is left out (it stays on Node) and named in a comment, escaped; see
//!   [`check`]. Everything emitted is quoted for the target syntax as well.
//!
//! # Formats
//!
//! - [`nginx`]: a file to `include` inside `http { }`. One `map` of
//!   `"$request_method $uri"` against regexes in order picks the upstream,
//!   and one `location /` proxies to it. A map rather than a `location` per
//!   route because a location owns every method: `GET /users/me` (Node) in
//!   its own location could not let `POST /users/me` fall through to
//!   `ALL /users/:id` (Rust). Canary shares come from `split_clients` on
//!   `$request_id` (per request; key it on a cookie for sticky sessions).
//! - [`envoy`]: a v3 static bootstrap, routes first-match in order, canary
//!   as `weighted_clusters`.
//! - [`traefik`]: v3 file-provider dynamic configuration, one router per
//!   route with an explicit `priority` (Traefik's default orders by rule
//!   length, which is not specificity), canary as a `weighted` service.
//!   The listen port belongs to Traefik's static configuration (an entry
//!   point), so [`Upstreams::listen`] is only mentioned in a comment there.

mod envoy;
mod nginx;
mod pattern;
mod traefik;

use std::cmp::Reverse;
use std::fmt::Write as _;

/// Where a route's requests go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    Node,
    Rust,
}

impl Target {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Node => "node",
            Self::Rust => "rust",
        }
    }
}

/// One row of the route table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRoute {
    /// Upper case: `GET`, `POST`, …, `ALL` (any method) or `USE` (any
    /// method, and `path` is a prefix).
    pub method: String,
    /// Normalised: `/users/:id`, `/users/:id?`, `/files/*`, `/`.
    pub path: String,
    pub target: Target,
    /// Share of this route's requests sent to Rust while canarying
    /// (1..=99); `None` = all to `target`.
    pub canary_percent: Option<u8>,
    pub wave: Option<u32>,
}

impl TableRoute {
    /// A route with no canary and no wave.
    pub fn new(method: impl Into<String>, path: impl Into<String>, target: Target) -> Self {
        Self {
            method: method.into(),
            path: path.into(),
            target,
            canary_percent: None,
            wave: None,
        }
    }
}

/// The two apps, as `host:port` (`127.0.0.1:3000`, `[::1]:3000`,
/// `node.internal:80`), and the port the router listens on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstreams {
    pub node: String,
    pub rust: String,
    /// nginx's `listen` and Envoy's listener port; Traefik's entry point is
    /// static configuration, so there it is only a comment.
    pub listen: u16,
}

/// The port a router listens on unless told otherwise.
pub const DEFAULT_LISTEN: u16 = 8080;

impl Upstreams {
    /// Node and Rust upstreams, listening on [`DEFAULT_LISTEN`].
    pub fn new(node: impl Into<String>, rust: impl Into<String>) -> Self {
        Self {
            node: node.into(),
            rust: rust.into(),
            listen: DEFAULT_LISTEN,
        }
    }
}

/// Why a route is left out of the emitted configuration (it stays on Node).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmitError {
    #[error("method {0:?} is not an upper-case HTTP method")]
    Method(String),
    #[error("path {0:?} does not start with '/'")]
    Relative(String),
    #[error(
        "path {path:?} has {ch:?}, which is outside URL path syntax or would be decoded differently by each router"
    )]
    Char { path: String, ch: char },
}

/// Whether `route` can be emitted: a method of upper-case ASCII letters
/// (methods are case-sensitive; express's are upper case), and a
/// path whose literal parts hold only the characters RFC 3986 allows in a
/// path, less `%` (nginx matches decoded paths, Envoy and express encoded
/// ones). `?` is allowed only as an optional parameter's mark.
pub fn check(route: &TableRoute) -> Result<(), EmitError> {
    let method = &route.method;
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(EmitError::Method(method.clone()));
    }
    let path = &route.path;
    if !path.starts_with('/') {
        return Err(EmitError::Relative(path.clone()));
    }
    match pattern::literal_chars(path)
        .find(|&c| !(c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@/".contains(c)))
    {
        Some(ch) => Err(EmitError::Char {
            path: path.clone(),
            ch,
        }),
        None => Ok(()),
    }
}

/// nginx configuration to `include` inside `http { }`.
pub fn nginx(routes: &[TableRoute], upstreams: &Upstreams) -> String {
    nginx::render(&Plan::new(routes), upstreams)
}

/// Envoy v3 static bootstrap (YAML).
pub fn envoy(routes: &[TableRoute], upstreams: &Upstreams) -> String {
    envoy::render(&Plan::new(routes), upstreams)
}

/// Traefik v3 file-provider dynamic configuration (YAML).
pub fn traefik(routes: &[TableRoute], upstreams: &Upstreams) -> String {
    traefik::render(&Plan::new(routes), upstreams)
}

/// HEAD before GET (GET also serves HEAD), one method before any.
fn method_rank(m: Methods<'_>) -> (u8, &str) {
    match m {
        Methods::One("HEAD") => (0, ""),
        Methods::One(m) => (1, m),
        Methods::GetHead => (1, "GET"),
        Methods::Any => (2, ""),
    }
}

/// Where a rule sends its requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum To {
    Node,
    Rust,
    /// This percentage to Rust, the rest to Node.
    Canary(u8),
}

/// Which methods a rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Methods<'a> {
    Any,
    /// `GET`, which also serves `HEAD`.
    GetHead,
    One(&'a str),
}

impl Methods<'_> {
    /// The methods as a regex alternation, `None` for any.
    fn regex(self) -> Option<String> {
        match self {
            Methods::Any => None,
            Methods::GetHead => Some("GET|HEAD".to_owned()),
            Methods::One(m) => Some(m.to_owned()),
        }
    }
}

/// One emitted route, checked and placed.
struct Rule<'a> {
    methods: Methods<'a>,
    path: &'a str,
    /// `USE`: the path and everything below it.
    prefix: bool,
    to: To,
    /// `wave N, METHOD PATH -> rust`, for comments and names.
    note: String,
}

impl Rule<'_> {
    fn regex(&self) -> String {
        pattern::regex(self.path, self.prefix)
    }

    /// Matches exactly one path, written as is.
    fn is_literal(&self) -> bool {
        !self.prefix && pattern::is_literal(self.path)
    }
}

/// The table in match order, most specific first, and what was left out.
struct Plan<'a> {
    rules: Vec<Rule<'a>>,
    rejected: Vec<EmitError>,
    canaries: Vec<u8>,
}

impl<'a> Plan<'a> {
    fn new(routes: &'a [TableRoute]) -> Self {
        let mut rejected = Vec::new();
        let mut rules: Vec<(Rule<'a>, Vec<u8>)> = Vec::new();
        for route in routes {
            if let Err(e) = check(route) {
                rejected.push(e);
                continue;
            }
            let prefix = route.method == "USE";
            let methods = match route.method.as_str() {
                "ALL" | "USE" => Methods::Any,
                "GET" => Methods::GetHead,
                m => Methods::One(m),
            };
            let to = match (route.canary_percent, route.target) {
                (Some(0), _) | (None, Target::Node) => To::Node,
                (Some(100..), _) | (None, Target::Rust) => To::Rust,
                (Some(p), _) => To::Canary(p),
            };
            let wave = route
                .wave
                .map_or_else(|| "no wave".to_owned(), |w| format!("wave {w}"));
            let to_text = match to {
                To::Node => "node".to_owned(),
                To::Rust => "rust".to_owned(),
                To::Canary(p) => format!("canary {p}% rust"),
            };
            let note = format!("{wave}, {} {} -> {to_text}", route.method, route.path);
            let key = pattern::specificity(&route.path, prefix);
            rules.push((
                Rule {
                    methods,
                    path: &route.path,
                    prefix,
                    to,
                    note,
                },
                key,
            ));
        }
        rules.sort_by(|(a, ka), (b, kb)| {
            (Reverse(ka), method_rank(a.methods), a.path, a.to, &a.note).cmp(&(
                Reverse(kb),
                method_rank(b.methods),
                b.path,
                b.to,
                &b.note,
            ))
        });
        // A second row for the same method and path is never reached; of
        // conflicting duplicates the sort put Node's first.
        rules.dedup_by(|(b, _), (a, _)| {
            a.methods == b.methods && a.path == b.path && a.prefix == b.prefix
        });
        // A Node rule matters only if a later rule could send its requests
        // to Rust; otherwise the default does the same.
        let mut rust_below = false;
        let mut kept: Vec<Rule<'a>> = Vec::new();
        for (rule, _) in rules.into_iter().rev() {
            if rule.to != To::Node || rust_below {
                rust_below |= rule.to != To::Node;
                kept.push(rule);
            }
        }
        kept.reverse();
        // Input order must not show in the output.
        rejected.sort_by_cached_key(ToString::to_string);
        let mut canaries: Vec<u8> = kept
            .iter()
            .filter_map(|r| match r.to {
                To::Canary(p) => Some(p),
                _ => None,
            })
            .collect();
        canaries.sort_unstable();
        canaries.dedup();
        Plan {
            rules: kept,
            rejected,
            canaries,
        }
    }

    /// What the file is, then a `# skipped …` line per rejected route.
    fn header(&self, out: &mut String, what: &str) {
        let _ = writeln!(
            out,
            "# crabport strangler-fig router: {what}. Generated from the route table;"
        );
        out.push_str("# requests no route below matches go to node.\n");
        for e in &self.rejected {
            let _ = writeln!(
                out,
                "# skipped (stays on node): {}",
                comment(&e.to_string())
            );
        }
    }
}

/// `s` fit for the rest of a `#` comment line: printable ASCII only, so no
/// line break (YAML's U+2028 and U+0085 included) can end the comment.
fn comment(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c == ' ' || c.is_ascii_graphic() {
                c.to_string()
            } else {
                c.escape_unicode().to_string()
            }
        })
        .collect()
}

/// `s` as a YAML double-quoted scalar; anything not printable ASCII is
/// escaped, so the value cannot end the line or the string.
fn yaml(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' ' => out.push(' '),
            c if c.is_ascii_graphic() => out.push(c),
            c if u32::from(c) <= 0xffff => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => {
                let _ = write!(out, "\\U{:08x}", u32::from(c));
            }
        }
    }
    out.push('"');
    out
}

/// `host:port` as host and port; `[v6]:port` loses its brackets. A port
/// that does not parse becomes 0, which the router refuses at load time.
fn host_port(addr: &str) -> (&str, u16) {
    let (host, port) = addr.rsplit_once(':').unwrap_or((addr, ""));
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    (host, port.parse().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(method: &str, path: &str, target: Target) -> TableRoute {
        TableRoute {
            wave: Some(1),
            ..TableRoute::new(method, path, target)
        }
    }

    #[test]
    fn order_is_specificity_not_input() {
        let routes = [
            route("USE", "/static", Target::Rust),
            route("GET", "/static/:f", Target::Node),
            route("GET", "/static/app.js", Target::Rust),
            route("HEAD", "/static/app.js", Target::Node),
        ];
        let plan = Plan::new(&routes);
        let order: Vec<&str> = plan.rules.iter().map(|r| r.note.as_str()).collect();
        assert_eq!(
            order,
            [
                "wave 1, HEAD /static/app.js -> node",
                "wave 1, GET /static/app.js -> rust",
                "wave 1, GET /static/:f -> node",
                "wave 1, USE /static -> rust",
            ]
        );
        let mut reversed = routes.to_vec();
        reversed.reverse();
        let upstreams = Upstreams::new("127.0.0.1:3000", "127.0.0.1:4000");
        assert_eq!(nginx(&routes, &upstreams), nginx(&reversed, &upstreams));
    }

    #[test]
    fn node_rules_only_where_rust_is_below() {
        let routes = [
            route("GET", "/a", Target::Node),
            route("GET", "/b/me", Target::Node),
            route("GET", "/b/:id", Target::Rust),
        ];
        let plan = Plan::new(&routes);
        let paths: Vec<&str> = plan.rules.iter().map(|r| r.path).collect();
        assert_eq!(paths, ["/b/me", "/b/:id"]);
    }

    #[test]
    fn canary_shares_are_clamped() {
        let mut zero = route("GET", "/z", Target::Rust);
        zero.canary_percent = Some(0);
        let mut all = route("GET", "/a", Target::Node);
        all.canary_percent = Some(150);
        let mut half = route("GET", "/h", Target::Node);
        half.canary_percent = Some(50);
        let routes = [zero, all, half];
        let plan = Plan::new(&routes);
        let to: Vec<To> = plan.rules.iter().map(|r| r.to).collect();
        assert_eq!(to, [To::Rust, To::Canary(50)]);
        assert_eq!(plan.canaries, [50]);
    }

    #[test]
    fn hostile_routes_are_rejected_not_emitted() {
        let bad = [
            route("GET", "/a\"; } server { listen 1;", Target::Rust),
            route("GET", "/a\nb", Target::Rust),
            route("GET", "/caf\u{e9}", Target::Rust),
            route("GET", "/a%20b", Target::Rust),
            route("GET", "users", Target::Rust),
            route("GET;", "/a", Target::Rust),
            route("get", "/a", Target::Rust),
        ];
        for r in &bad {
            assert!(check(r).is_err(), "{r:?}");
        }
        let plan = Plan::new(&bad);
        assert!(plan.rules.is_empty());
        assert_eq!(plan.rejected.len(), bad.len());
        let mut header = String::new();
        plan.header(&mut header, "test");
        assert_eq!(header.lines().count(), 2 + bad.len());
        assert!(header.contains(r"/a\nb"), "{header}");
    }

    #[test]
    fn quoting() {
        assert_eq!(yaml("a\"b\\c\nd\u{2028}"), r#""a\"b\\c\u000ad\u2028""#);
        assert_eq!(comment("a\r\nb\u{85}"), r"a\u{d}\u{a}b\u{85}");
        assert_eq!(host_port("127.0.0.1:3000"), ("127.0.0.1", 3000));
        assert_eq!(host_port("[::1]:80"), ("::1", 80));
        assert_eq!(host_port("nohost"), ("nohost", 0));
    }
}
