//! The exported router configurations route requests the way the route
//! table says: a real nginx proxies real requests to two real upstreams, and
//! the Envoy and Traefik YAML is parsed and its matchers evaluated (in
//! order, or by priority) against the same requests.
#![allow(clippy::unwrap_used, clippy::print_stderr)] // test helpers panic on purpose

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crabport_plan::emit::{self, TableRoute, Target, Upstreams};
use regex::Regex;
use serde_yaml_ng::Value;

/// A literal with every regex metacharacter URL paths allow.
/// (`:` before a non-name character is literal too.)
const ODD: &str = "/a'b$c(d)+e=f,g!h@i&j~k;l:~m";

fn route(method: &str, path: &str, target: Target) -> TableRoute {
    TableRoute {
        wave: Some(1),
        ..TableRoute::new(method, path, target)
    }
}

/// Less specific routes first, so the order has to come from specificity.
fn table() -> Vec<TableRoute> {
    let mut canary = route("GET", "/canary", Target::Rust);
    canary.canary_percent = Some(50);
    canary.wave = None;
    vec![
        route("USE", "/static", Target::Rust),
        route("GET", "/static/private", Target::Node),
        route("GET", "/users/:id", Target::Rust),
        route("POST", "/users/:id", Target::Node),
        route("DELETE", "/users/:id", Target::Rust),
        route("GET", "/users/me", Target::Node),
        canary,
        route("GET", "/files/*", Target::Rust),
        route("GET", "/docs/v1.0", Target::Rust),
        route("GET", "/posts/:id?", Target::Rust),
        route("GET", "/report/:name.:ext", Target::Rust),
        route("GET", ODD, Target::Rust),
        route("GET", &format!("{ODD}/:id"), Target::Rust),
        // Node-only; kept, since rules below it send to Rust (pruning is
        // conservative: it does not ask whether they overlap).
        route("GET", "/legacy", Target::Node),
        // Node-only and the least specific: nothing below it to shadow.
        route("ALL", "/*", Target::Node),
        // Hostile paths from a scanned repository: left out, not emitted.
        route("GET", "/a\"; } server { listen 1;", Target::Rust),
        route("GET", "/x\n}\nserver {\nlisten 2;", Target::Rust),
        route("ALL", "/evil`) || PathPrefix(`/", Target::Rust),
        route("GET", "/y\"\n  injected: 1", Target::Rust),
    ]
}

/// Routes emitted for [`table`]: all but the hostile four and `ALL /*`.
const EMITTED: usize = 14;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Backend {
    Node,
    Rust,
    /// A canary: some requests to each.
    Both,
}
use Backend::{Both, Node, Rust};

/// What each request should reach.
const EXPECT: &[(&str, &str, Backend)] = &[
    ("GET", "/", Node),
    ("GET", "/unlisted", Node),
    ("GET", "/legacy", Node),
    ("GET", "/users/42", Rust),
    ("HEAD", "/users/42", Rust),
    ("POST", "/users/42", Node),
    ("DELETE", "/users/42", Rust),
    ("GET", "/users/me", Node),
    ("DELETE", "/users/me", Rust),
    ("GET", "/users", Node),
    ("GET", "/users/42/x", Node),
    ("GET", "/static", Rust),
    ("POST", "/static/css/a.css", Rust),
    ("GET", "/staticx", Node),
    ("GET", "/static/private", Node),
    ("PUT", "/static/private", Rust),
    ("GET", "/files/a/b.txt", Rust),
    ("GET", "/files", Node),
    ("GET", "/docs/v1.0", Rust),
    ("GET", "/docs/v1x0", Node),
    ("GET", "/posts", Rust),
    ("GET", "/posts/5", Rust),
    ("GET", "/posts/5/x", Node),
    ("GET", "/report/q3.pdf", Rust),
    ("GET", "/report/q3", Node),
    ("GET", "/report/q3xpdf", Node),
    ("GET", ODD, Rust),
    ("GET", "/a'b$c(d)e=f,g!h@i&j~k;l:~m", Node),
    ("GET", "/a'b$c(d)+e=f,g!h@i&j~k;l:~mm", Node),
    ("GET", "/a'b$c(d)+e=f,g!h@i&j~k;l:~m/7", Rust),
    ("GET", "/a'b$c(d)e=f,g!h@i&j~k;l:~m/7", Node),
    ("GET", "/a'b$cd)+e=f,g!h@i&j~k;l:~m/7", Node),
    ("GET", "/canary", Both),
    ("GET", "/a", Node),
];

fn upstreams(listen: u16) -> Upstreams {
    Upstreams {
        node: "127.0.0.1:3000".to_owned(),
        rust: "127.0.0.1:4000".to_owned(),
        listen,
    }
}

#[test]
fn output_does_not_depend_on_input_order() {
    let mut reversed = table();
    reversed.reverse();
    let up = upstreams(8080);
    assert_eq!(emit::nginx(&table(), &up), emit::nginx(&reversed, &up));
    assert_eq!(emit::envoy(&table(), &up), emit::envoy(&reversed, &up));
    assert_eq!(emit::traefik(&table(), &up), emit::traefik(&reversed, &up));
}

#[test]
fn routes_carry_wave_comments_and_hostile_ones_are_named_escaped() {
    let up = upstreams(8080);
    for text in [
        emit::nginx(&table(), &up),
        emit::envoy(&table(), &up),
        emit::traefik(&table(), &up),
    ] {
        assert!(text.contains("# wave 1, GET /users/:id -> rust"), "{text}");
        assert!(text.contains("# no wave, GET /canary -> canary 50% rust"));
        assert_eq!(text.matches("# skipped (stays on node)").count(), 4);
        assert!(text.contains(r#"path "/x\n}\nserver {\nlisten 2;""#));
    }
}

// ---- nginx ----------------------------------------------------------------

/// The nginx binary, or `None` (skip) off CI.
fn nginx_binary() -> Option<PathBuf> {
    let found = ["nginx", "/usr/sbin/nginx"].into_iter().find(|b| {
        Command::new(b)
            .arg("-v")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    match found {
        Some(b) => Some(b.into()),
        None if std::env::var_os("CI").is_some() => {
            panic!("the nginx tests run a real nginx: apt-get install nginx (.ci/run does)")
        }
        None => {
            eprintln!("skipped: nginx is not installed (apt-get install nginx)");
            None
        }
    }
}

/// A whole nginx.conf in `dir` around the emitted include, everything
/// nginx writes kept inside `dir`.
fn nginx_conf(dir: &Path, emitted: &str) -> PathBuf {
    let include = dir.join("crabport.conf");
    std::fs::write(&include, emitted).unwrap();
    let d = dir.display();
    let conf = format!(
        r#"daemon off;
master_process off;
pid "{d}/nginx.pid";
error_log "{d}/error.log";
events {{}}
http {{
    access_log off;
    client_body_temp_path "{d}/client_body";
    proxy_temp_path "{d}/proxy";
    fastcgi_temp_path "{d}/fastcgi";
    uwsgi_temp_path "{d}/uwsgi";
    scgi_temp_path "{d}/scgi";
    include "{}";
}}
"#,
        include.display()
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, conf).unwrap();
    path
}

fn nginx_command(nginx: &Path, dir: &Path, conf: &Path) -> Command {
    let mut cmd = Command::new(nginx);
    cmd.arg("-p")
        .arg(dir)
        .arg("-e")
        .arg(dir.join("error.log"))
        .arg("-c")
        .arg(conf);
    cmd
}

#[test]
fn nginx_accepts_the_config() {
    let Some(nginx) = nginx_binary() else { return };
    let dir = tempfile::tempdir().unwrap();
    let emitted = emit::nginx(&table(), &upstreams(free_port()));
    // The hostile paths added no block or directive of their own.
    let directives = |start: &str| {
        emitted
            .lines()
            .filter(|l| l.trim_start().starts_with(start))
            .count()
    };
    assert_eq!(directives("server {"), 1, "{emitted}");
    assert_eq!(directives("listen "), 1, "{emitted}");
    let conf = nginx_conf(dir.path(), &emitted);
    let out = nginx_command(&nginx, dir.path(), &conf)
        .arg("-t")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "nginx -t: {}\n{emitted}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An HTTP server on a free port answering every request with its name, in
/// the body and in `X-Backend` (which HEAD answers carry too).
fn upstream(name: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || answer(stream, name));
        }
    });
    addr
}

fn answer(mut stream: TcpStream, name: &str) {
    let mut head = Vec::new();
    let mut chunk = [0; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&chunk[..n]),
        }
    }
    let body = if head.starts_with(b"HEAD ") { "" } else { name };
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nX-Backend: {name}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        name.len()
    );
}

/// Which upstream answered `method path` through the proxy on `port`.
fn backend_of(port: u16, method: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: crabport.test\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(
        response.starts_with("HTTP/1.1 200"),
        "{method} {path}: {response}"
    );
    response
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("x-backend: ")
                .map(str::to_owned)
        })
        .unwrap_or_else(|| panic!("{method} {path}: no X-Backend in {response}"))
}

/// nginx, stopped when dropped (`master_process off`: one process).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn nginx_routes_real_requests() {
    let Some(nginx) = nginx_binary() else { return };
    let node = upstream("node");
    let rust = upstream("rust");
    let listen = free_port();
    let up = Upstreams { node, rust, listen };
    let dir = tempfile::tempdir().unwrap();
    let conf = nginx_conf(dir.path(), &emit::nginx(&table(), &up));
    let mut running = Running(
        nginx_command(&nginx, dir.path(), &conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", listen)).is_err() {
        let log = || std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default();
        if let Some(status) = running.0.try_wait().unwrap() {
            panic!("nginx exited ({status}): {}", log());
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "nginx: {}",
            log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    for &(method, path, expected) in EXPECT {
        let seen: BTreeSet<String> = (0..if expected == Both { 100 } else { 1 })
            .map(|_| backend_of(listen, method, path))
            .collect();
        let want: BTreeSet<String> = match expected {
            Node => ["node".to_owned()].into(),
            Rust => ["rust".to_owned()].into(),
            Both => ["node".to_owned(), "rust".to_owned()].into(),
        };
        assert_eq!(seen, want, "{method} {path}");
    }
}

// ---- Envoy and Traefik: their matchers, evaluated ----------------------------

enum PathMatch {
    Exact(String),
    Prefix(String),
    /// Envoy's `path_separated_prefix`: the path or below it at a `/`.
    Separated(String),
    Regex(Regex),
}

impl PathMatch {
    fn matches(&self, path: &str) -> bool {
        match self {
            PathMatch::Exact(p) => path == p,
            PathMatch::Prefix(p) => path.starts_with(p.as_str()),
            PathMatch::Separated(p) => path
                .strip_prefix(p.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/')),
            PathMatch::Regex(r) => r.is_match(path),
        }
    }
}

struct Matcher {
    /// `None`: any method.
    methods: Option<Regex>,
    path: PathMatch,
    to: Backend,
}

/// The first matcher that matches, else what a config without a default
/// does (which no test expects: every config has one).
fn first_match(matchers: &[Matcher], method: &str, path: &str) -> Option<Backend> {
    matchers
        .iter()
        .find(|m| m.methods.as_ref().is_none_or(|r| r.is_match(method)) && m.path.matches(path))
        .map(|m| m.to)
}

fn check_expectations(what: &str, matchers: &[Matcher]) {
    for &(method, path, expected) in EXPECT {
        assert_eq!(
            first_match(matchers, method, path),
            Some(expected),
            "{what}: {method} {path}"
        );
    }
}

fn str_of<'v>(v: &'v Value, what: &str) -> &'v str {
    v.as_str().unwrap_or_else(|| panic!("{what}: {v:?}"))
}

/// A regex as RE2-style syntax the `regex` crate also takes, anchored.
fn anchored(re: &str) -> Regex {
    assert!(re.starts_with('^') && re.ends_with('$'), "{re}");
    Regex::new(re).unwrap_or_else(|e| panic!("{re}: {e}"))
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap())
        .collect()
}

fn weighted(entries: &Value, name_key: &str, node: &str, rust: &str) -> Backend {
    let weights: Vec<(&str, u64)> = entries
        .as_sequence()
        .unwrap()
        .iter()
        .map(|e| (str_of(&e[name_key], "name"), e["weight"].as_u64().unwrap()))
        .collect();
    assert_eq!(weights.iter().map(|w| w.1).sum::<u64>(), 100, "{weights:?}");
    let names: BTreeSet<&str> = weights.iter().map(|w| w.0).collect();
    assert_eq!(names, [node, rust].into());
    Both
}

#[test]
fn envoy_routes_in_order() {
    let yaml = emit::envoy(&table(), &upstreams(8081));
    let doc: Value = serde_yaml_ng::from_str(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    let listener = &doc["static_resources"]["listeners"][0];
    assert_eq!(
        listener["address"]["socket_address"]["port_value"].as_u64(),
        Some(8081)
    );
    let hcm = &listener["filter_chains"][0]["filters"][0];
    assert_eq!(
        str_of(&hcm["name"], "filter"),
        "envoy.filters.network.http_connection_manager"
    );
    let config = &hcm["typed_config"];
    assert_eq!(
        str_of(&config["@type"], "@type"),
        "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
    );
    assert_eq!(
        str_of(
            &config["http_filters"][0]["typed_config"]["@type"],
            "router"
        ),
        "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"
    );
    let clusters: Vec<(&str, &str, u64)> = doc["static_resources"]["clusters"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|c| {
            let socket = &c["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]
                ["address"]["socket_address"];
            (
                str_of(&c["name"], "cluster"),
                str_of(&socket["address"], "address"),
                socket["port_value"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        clusters,
        [
            ("crabport_node", "127.0.0.1", 3000),
            ("crabport_rust", "127.0.0.1", 4000)
        ]
    );

    let routes = config["route_config"]["virtual_hosts"][0]["routes"]
        .as_sequence()
        .unwrap();
    // The hostile paths added no route and no key.
    assert_eq!(routes.len(), EMITTED + 1, "{yaml}");
    let matchers: Vec<Matcher> = routes
        .iter()
        .map(|r| {
            assert_eq!(keys(r), ["match", "name", "route"].into());
            let m = &r["match"];
            let kinds: Vec<&str> = keys(m).into_iter().filter(|k| *k != "headers").collect();
            assert_eq!(kinds.len(), 1, "{m:?}");
            let value = &m[kinds[0]];
            let path = match kinds[0] {
                "path" => PathMatch::Exact(str_of(value, "path").to_owned()),
                "prefix" => PathMatch::Prefix(str_of(value, "prefix").to_owned()),
                "path_separated_prefix" => {
                    let p = str_of(value, "path_separated_prefix");
                    assert!(!p.ends_with('/'), "Envoy refuses a trailing /: {p}");
                    PathMatch::Separated(p.to_owned())
                }
                // Envoy's route regexes match the whole path.
                "safe_regex" => PathMatch::Regex(anchored(str_of(&value["regex"], "regex"))),
                other => panic!("unexpected match {other}"),
            };
            let methods = m["headers"].as_sequence().map(|headers| {
                assert_eq!(headers.len(), 1);
                assert_eq!(str_of(&headers[0]["name"], "header"), ":method");
                let re = str_of(&headers[0]["string_match"]["safe_regex"]["regex"], "method");
                Regex::new(&format!("^(?:{re})$")).unwrap()
            });
            let action = &r["route"];
            let to = match action["cluster"].as_str() {
                Some("crabport_node") => Node,
                Some("crabport_rust") => Rust,
                Some(other) => panic!("unknown cluster {other}"),
                None => weighted(
                    &action["weighted_clusters"]["clusters"],
                    "name",
                    "crabport_node",
                    "crabport_rust",
                ),
            };
            Matcher { methods, path, to }
        })
        .collect();
    check_expectations("envoy", &matchers);
}

#[test]
fn traefik_routes_by_priority() {
    let yaml = emit::traefik(&table(), &upstreams(8080));
    let doc: Value = serde_yaml_ng::from_str(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    assert_eq!(keys(&doc), ["http"].into());
    assert_eq!(keys(&doc["http"]), ["routers", "services"].into());
    let services = &doc["http"]["services"];
    assert_eq!(
        str_of(
            &services["crabport-node"]["loadBalancer"]["servers"][0]["url"],
            "url"
        ),
        "http://127.0.0.1:3000"
    );
    assert_eq!(
        str_of(
            &services["crabport-rust"]["loadBalancer"]["servers"][0]["url"],
            "url"
        ),
        "http://127.0.0.1:4000"
    );
    let service = |name: &str| match name {
        "crabport-node" => Node,
        "crabport-rust" => Rust,
        other => weighted(
            &services[other]["weighted"]["services"],
            "name",
            "crabport-node",
            "crabport-rust",
        ),
    };

    let routers = doc["http"]["routers"].as_mapping().unwrap();
    assert_eq!(routers.len(), EMITTED + 1, "{yaml}");
    // Nothing but these matchers joined by && and ||: no injected matcher.
    let piece = Regex::new(r"(Method|Path|PathPrefix|PathRegexp)\(`([^`]*)`\)").unwrap();
    let mut by_priority: Vec<(u64, Matcher)> = routers
        .values()
        .map(|r| {
            assert_eq!(keys(r), ["priority", "rule", "service"].into());
            let rule = str_of(&r["rule"], "rule");
            let rest = piece.replace_all(rule, "");
            assert!(
                rest.chars().all(|c| "()&| ".contains(c)),
                "{rule} leaves {rest}"
            );
            let mut methods = Vec::new();
            let mut paths = Vec::new();
            for c in piece.captures_iter(rule) {
                let arg = c[2].to_owned();
                match &c[1] {
                    "Method" => methods.push(arg),
                    "Path" => paths.push(PathMatch::Exact(arg)),
                    "PathPrefix" => paths.push(PathMatch::Prefix(arg)),
                    _ => paths.push(PathMatch::Regex(anchored(&arg))),
                }
            }
            assert_eq!(paths.len(), 1, "{rule}");
            let methods = (!methods.is_empty())
                .then(|| Regex::new(&format!("^(?:{})$", methods.join("|"))).unwrap());
            let matcher = Matcher {
                methods,
                path: paths.pop().unwrap(),
                to: service(str_of(&r["service"], "service")),
            };
            (r["priority"].as_u64().unwrap(), matcher)
        })
        .collect();
    by_priority.sort_by_key(|(p, _)| std::cmp::Reverse(*p));
    let priorities: BTreeSet<u64> = by_priority.iter().map(|(p, _)| *p).collect();
    assert_eq!(priorities.len(), by_priority.len(), "ties are ambiguous");
    assert_eq!(by_priority.last().unwrap().0, 1, "the catch-all is last");
    let matchers: Vec<Matcher> = by_priority.into_iter().map(|(_, m)| m).collect();
    check_expectations("traefik", &matchers);
}
