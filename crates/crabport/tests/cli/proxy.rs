//! `crabport proxy` in front of the example's real pair: some routes on
//! Rust, some on Node, one shadowed; a benchmark through it; the route
//! table edited mid-run; the Rust port killed mid-run.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{crabport, example, workspace_root};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One GET over a fresh connection: the status, or `None` when nothing
/// answered.
fn get(addr: SocketAddr, path: &str) -> Option<u16> {
    get_with(addr, path, "")
}

/// One GET as user `user` (the sticky key): the status.
fn get_as(addr: SocketAddr, path: &str, user: u32) -> Option<u16> {
    get_with(addr, path, &format!("x-user: u{user}\r\n"))
}

fn get_with(addr: SocketAddr, path: &str, headers: &str) -> Option<u16> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nhost: shop.test\r\n{headers}connection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    out.get(9..12)?.parse().ok()
}

fn wait_up(port: u16) {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let started = Instant::now();
    while get(addr, "/health").is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "nothing answers on {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Kills the service when the test ends, however it ends.
struct Service(Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_service(mut command: Command, port: u16) -> Service {
    command
        .env("PORT", port.to_string())
        .env_remove("DATABASE_URL")
        .env_remove("SENDGRID_API_KEY")
        .env_remove("WEBHOOK_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let service = Service(command.spawn().unwrap());
    wait_up(port);
    service
}

fn table(dir: &Path, health: &str) {
    std::fs::write(
        dir.join("crabport.routes.toml"),
        format!(
            "version = 1\n\n[[route]]\nmethod = \"GET\"\npath = \"/users\"\nstate = \"rust\"\n\n[[route]]\nmethod = \"GET\"\npath = \"/orders\"\nstate = \"parity\"\n\n[[route]]\nmethod = \"GET\"\npath = \"/health\"\nstate = \"{health}\"\n"
        ),
    )
    .unwrap();
}

fn release_binary() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root().join("target"), PathBuf::from)
        .join("release/metrics-service")
}

/// The example's Node service and Rust port, running.
struct Pair {
    node_port: u16,
    rust_port: u16,
    _node: Service,
    rust: Service,
    _cwd: tempfile::TempDir,
}

/// Both sides built by the example's own build steps (one parity run on one
/// request; a build another test runs at the same time is waited for).
fn start_pair() -> Pair {
    let one = tempfile::tempdir().unwrap();
    let health = one.path().join("health.jsonl");
    std::fs::write(
        &health,
        "{\"v\":1,\"method\":\"GET\",\"target\":\"/health\",\"headers\":[]}\n",
    )
    .unwrap();
    let built = crabport()
        .arg("parity")
        .arg(example())
        .args(["--requests", health.to_str().unwrap(), "-q"])
        .timeout(Duration::from_secs(900))
        .output()
        .unwrap();
    assert_eq!(
        built.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let (node_port, rust_port) = (free_port(), free_port());
    let mut node_cmd = Command::new("node");
    node_cmd.arg("dist/server.js").current_dir(example());
    let node = start_service(node_cmd, node_port);
    let mut rust_cmd = Command::new(release_binary());
    rust_cmd.current_dir(one.path());
    let rust = start_service(rust_cmd, rust_port);
    Pair {
        node_port,
        rust_port,
        _node: node,
        rust,
        _cwd: one,
    }
}

/// A `crabport proxy` in front of the pair, listening.
struct RunningProxy {
    child: Child,
    addr: SocketAddr,
    stderr: std::thread::JoinHandle<String>,
}

fn start_proxy(dir: &Path, pair: &Pair, extra: &[&str]) -> RunningProxy {
    let mut child = Command::new(env!("CARGO_BIN_EXE_crabport"))
        .arg("proxy")
        .arg(dir)
        .args(["--listen", "127.0.0.1:0", "--format", "json"])
        .args([
            "--baseline",
            &format!("http://127.0.0.1:{}", pair.node_port),
        ])
        .args([
            "--candidate",
            &format!("http://127.0.0.1:{}", pair.rust_port),
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let addr: SocketAddr = loop {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "the proxy exited before listening"
        );
        if let Some(a) = line
            .trim()
            .strip_prefix("crabport proxy: listening on http://")
        {
            break a.parse().unwrap();
        }
    };
    let stderr = std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = stderr.read_to_string(&mut rest);
        rest
    });
    RunningProxy {
        child,
        addr,
        stderr,
    }
}

impl RunningProxy {
    /// SIGTERM, then the JSON summary and what it wrote on stderr.
    fn stop(mut self) -> (Value, String) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let started = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(
                started.elapsed() < Duration::from_secs(40),
                "the proxy did not stop"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        let mut out = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let stderr = self.stderr.join().unwrap();
        assert!(status.success(), "{stderr}");
        let summary: Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{stderr}"));
        let schema: Value = serde_json::from_str(
            &std::fs::read_to_string(workspace_root().join("schemas/proxy.schema.json")).unwrap(),
        )
        .unwrap();
        let errors: Vec<String> = jsonschema::validator_for(&schema)
            .unwrap()
            .iter_errors(&summary)
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}\n{summary:#}");
        (summary, stderr)
    }
}

fn route_of(summary: &Value, name: &str) -> Value {
    summary["routes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["route"] == name)
        .unwrap_or_else(|| panic!("no {name}: {summary:#}"))
        .clone()
}

#[test]
fn proxy_in_front_of_the_example_pair_routes_shadows_reloads_and_falls_back() {
    let mut pair = start_pair();
    let dir = tempfile::tempdir().unwrap();
    table(dir.path(), "node");
    let proxy = start_proxy(dir.path(), &pair, &[]);
    let addr = proxy.addr;

    // A benchmark through the proxy, and the table edited during it:
    // /health moves to Rust without a failed request.
    std::fs::write(
        dir.path().join("requests.toml"),
        "[[request]]\npath = \"/users\"\n\n[[request]]\npath = \"/orders\"\n\n[[request]]\npath = \"/health\"\n",
    )
    .unwrap();
    let edit = {
        let dir = dir.path().to_path_buf();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(1500));
            table(&dir, "rust");
        })
    };
    let bench = crabport()
        .arg("bench")
        .arg(dir.path())
        .args(["--baseline", &format!("http://{addr}")])
        .args([
            "--requests",
            dir.path().join("requests.toml").to_str().unwrap(),
        ])
        .args([
            "--rounds",
            "2",
            "--duration",
            "2s",
            "--warmup",
            "0s",
            "-c",
            "4",
            "--rate",
            "300",
            "--format",
            "json",
        ])
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    edit.join().unwrap();
    let report: Value = serde_json::from_slice(&bench.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bench.stderr)));
    let target = &report["targets"][0];
    assert!(target["requests"].as_u64().unwrap() > 500, "{target}");
    assert_eq!(
        target["errors"], 0,
        "no failed request through the proxy: {target}"
    );

    // The port dies: idempotent requests to its routes are served by Node.
    let _ = pair.rust.0.kill();
    let _ = pair.rust.0.wait();
    for _ in 0..10 {
        assert_eq!(get(addr, "/users"), Some(200));
    }

    let (summary, stderr) = proxy.stop();
    assert!(stderr.contains("reloaded"), "{stderr}");
    let route = |name: &str| route_of(&summary, name);
    let users = route("GET /users");
    assert!(users["rust"].as_u64().unwrap() > 0, "{users}");
    assert_eq!(users["fallbacks"], 10, "{users}");
    assert_eq!(users["errors"], 0, "{users}");
    let orders = route("GET /orders");
    assert!(
        orders["shadow"]["compared"].as_u64().unwrap() > 0,
        "{orders}"
    );
    assert_eq!(orders["shadow"]["parity"], 1.0, "{orders}");
    assert_eq!(
        orders["rust"], 0,
        "state parity is still served by Node: {orders}"
    );
    let health = route("GET /health");
    assert!(
        health["node"].as_u64().unwrap() > 0 && health["rust"].as_u64().unwrap() > 0,
        "moved mid-run: {health}"
    );
    for r in summary["routes"].as_array().unwrap() {
        assert_eq!(r["errors"], 0, "{r}");
    }
}

#[test]
fn promote_raises_a_canary_step_by_step_while_its_shadows_agree() {
    let pair = start_pair();
    let dir = tempfile::tempdir().unwrap();
    let table_path = dir.path().join("crabport.routes.toml");
    let table = "version = 1\n\n# moving first: the cheapest route\n[[route]]\nmethod = \"GET\"\npath = \"/users\"\nstate = \"canary\"\ncanary_percent = 1\n\n[[route]]\nmethod = \"GET\"\npath = \"/health\"\nstate = \"node\"\n";
    std::fs::write(&table_path, table).unwrap();
    let proxy = start_proxy(
        dir.path(),
        &pair,
        &[
            "--sticky",
            "x-user",
            "--promote",
            "--promote-steps",
            "1,50,100",
            "--promote-interval",
            "1s",
            "--promote-min-requests",
            "20",
        ],
    );
    // Many users, until the route is cut over (or a minute has passed).
    let started = Instant::now();
    let mut user = 0;
    let mut seen_half = false;
    loop {
        assert_eq!(get_as(proxy.addr, "/users", user), Some(200));
        user += 1;
        if user % 50 == 0 {
            let text = std::fs::read_to_string(&table_path).unwrap();
            seen_half |= text.contains("canary_percent = 50");
            if text.contains("state = \"rust\"") {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "not promoted after {user} requests:\n{text}"
            );
        }
    }
    // Served by Rust from now on.
    for u in 0..20 {
        assert_eq!(get_as(proxy.addr, "/users", u), Some(200));
    }
    let (summary, stderr) = proxy.stop();
    assert!(seen_half, "the table showed the 50% step");
    let text = std::fs::read_to_string(&table_path).unwrap();
    assert!(
        text.contains("# moving first: the cheapest route") && !text.contains("canary_percent"),
        "{text}"
    );
    assert!(stderr.contains("promoted GET /users: 1% → 50%"), "{stderr}");
    let steps: Vec<(u64, u64)> = summary["promotions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["action"], "raise", "{e}");
            assert!(e["window"]["compared"].as_u64().unwrap() >= 20, "{e}");
            assert_eq!(e["window"]["parity"], 1.0, "{e}");
            (e["from"].as_u64().unwrap(), e["to"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(steps, [(1, 50), (50, 100)], "{summary:#}");
    let users = route_of(&summary, "GET /users");
    assert!(users["rust"].as_u64().unwrap() >= 20, "{users}");
    assert_eq!(users["errors"], 0, "{users}");
    assert_eq!(users["shadow"]["different"], 0, "{users}");
}
