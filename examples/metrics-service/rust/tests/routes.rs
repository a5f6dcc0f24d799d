#![allow(clippy::unwrap_used)]
//! The real binary on a free port, driven over HTTP. Expected bodies are what
//! the Node service answers to the same requests (`crabport parity
//! examples/metrics-service` checks the two side by side).

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_metrics-service");

/// Variables the Node service reads; cleared so the developer's shell cannot leak in.
const CONFIG_VARS: [&str; 8] = [
    "PORT",
    "LOG_LEVEL",
    "DATABASE_URL",
    "SENDGRID_API_KEY",
    "SENDGRID_API_URL",
    "ALERT_FROM",
    "WEBHOOK_URL",
    "RUST_LOG",
];

struct Server {
    child: Child,
    base: String,
    agent: ureq::Agent,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Self {
        Self::start_with(&[], None)
    }

    /// Starts the binary in a fresh directory (holding `dotenv` as `.env`, if given).
    fn start_with(env: &[(&str, &str)], dotenv: Option<&str>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        if let Some(contents) = dotenv {
            std::fs::write(dir.path().join(".env"), contents).unwrap();
        }
        let port = free_port();
        let mut cmd = Command::new(BIN);
        cmd.current_dir(dir.path())
            .arg("--port")
            .arg(port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for var in CONFIG_VARS {
            cmd.env_remove(var);
        }
        cmd.envs(env.iter().copied());
        let child = cmd.spawn().unwrap();
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into(),
            _dir: dir,
        };
        server.wait_until_up();
        server
    }

    fn wait_until_up(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            // An unrouted path: it answers 404 and counts no hit.
            if self.agent.get(self.url("/ready")).call().is_ok() {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        panic!("metrics-service did not start at {}", self.base);
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn get(&self, path: &str) -> Reply {
        Reply::from(self.agent.get(self.url(path)).call().unwrap())
    }

    fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut req = self.agent.get(self.url(path));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        Reply::from(req.call().unwrap())
    }

    fn post_json(&self, path: &str, body: &str) -> Reply {
        self.post(path, "application/json", body)
    }

    fn post(&self, path: &str, content_type: &str, body: &str) -> Reply {
        let res = self
            .agent
            .post(self.url(path))
            .header("content-type", content_type)
            .send(body)
            .unwrap();
        Reply::from(res)
    }

    fn snapshot(&self) -> serde_json::Value {
        serde_json::from_str(&self.get("/snapshot").body).unwrap()
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "still running after SIGTERM");
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Reply {
    status: u16,
    headers: http::HeaderMap,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    fn assert_json(&self, status: u16, body: &str) {
        assert_eq!((self.status, self.body.as_str()), (status, body));
        assert_eq!(
            self.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        assert!(self.header("etag").unwrap().starts_with("W/\""));
    }
}

impl From<http::Response<ureq::Body>> for Reply {
    fn from(mut res: http::Response<ureq::Body>) -> Self {
        Self {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: res.body_mut().read_to_string().unwrap(),
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn is_uuid_v4(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && s.chars()
            .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c))
        && parts[2].starts_with('4')
        && parts[3].starts_with(['8', '9', 'a', 'b'])
}

const USERS: &str = r#"[{"id":1,"name":"Ada Lovelace","email":"ada@example.com"},{"id":2,"name":"Grace Hopper","email":"grace@example.com"}]"#;
const ORDERS: &str = r#"[{"id":101,"userId":1,"total":42.5,"status":"shipped"},{"id":102,"userId":2,"total":17,"status":"pending"}]"#;
const NOT_FOUND: &str = r#"{"error":"not found"}"#;

#[test]
fn static_routes_headers_and_express_routing() {
    let server = Server::start();

    let health = server.get("/health");
    health.assert_json(200, r#"{"status":"ok"}"#);
    assert_eq!(
        health.header("etag"),
        Some("W/\"f-VaSQ4oDUiZblZNAEkkN+sX+q3Sg\"")
    );
    assert!(is_uuid_v4(health.header("x-request-id").unwrap()));
    assert_ne!(
        server.get("/health").header("x-request-id"),
        health.header("x-request-id")
    );
    let echoed = server.get_with("/health", &[("x-request-id", "req-42")]);
    assert_eq!(echoed.header("x-request-id"), Some("req-42"));

    server.get("/users").assert_json(200, USERS);
    server.get("/orders").assert_json(200, ORDERS);
    server.get("/USERS/").assert_json(200, USERS);
    server.get("/users?page=2").assert_json(200, USERS);
    server.get("/users//").assert_json(404, NOT_FOUND);
    server.get("/nope").assert_json(404, NOT_FOUND);
    server.get("/events").assert_json(404, NOT_FOUND);

    let wrong_method = Reply::from(server.agent.delete(server.url("/users")).call().unwrap());
    wrong_method.assert_json(404, NOT_FOUND);
    assert_eq!(wrong_method.header("allow"), None);

    let head = Reply::from(server.agent.head(server.url("/users")).call().unwrap());
    assert_eq!((head.status, head.body.as_str()), (200, ""));
    assert_eq!(head.header("content-length"), Some("117"));

    let etag = health.header("etag").unwrap();
    let cached = server.get_with("/health", &[("if-none-match", etag)]);
    assert_eq!((cached.status, cached.body.as_str()), (304, ""));
    assert_eq!(cached.header("etag"), Some(etag));
    assert_eq!(cached.header("content-type"), None);
    let revalidate = server.get_with(
        "/health",
        &[("if-none-match", etag), ("cache-control", "no-cache")],
    );
    assert_eq!(revalidate.status, 200);

    server
        .get("/report")
        .assert_json(503, r#"{"error":"DATABASE_URL is not set"}"#);

    let snapshot = server.snapshot();
    assert_eq!(
        snapshot["counts"],
        serde_json::json!({
            "/health": 5, "/orders": 1, "/report": 1, "/snapshot": 1, "/users": 4
        })
    );
    assert_eq!(snapshot["events"], serde_json::json!(["info", "warn"]));
}

#[test]
fn events_are_validated_logged_and_counted() {
    let server = Server::start();

    let created = server.post_json("/events", r#"{"level":"info","message":"hi"}"#);
    created.assert_json(201, r#"{"level":"info","message":"hi"}"#);
    server
        .post_json(
            "/events",
            r#"{"message":"disk \"91%\" \u2028","level":"warn","extra":1}"#,
        )
        .assert_json(
            201,
            "{\"level\":\"warn\",\"message\":\"disk \\\"91%\\\" \u{2028}\"}",
        );
    server
        .post_json("/events", r#"{"level":"warn","message":"\ud800"}"#)
        .assert_json(201, r#"{"level":"warn","message":"\ud800"}"#);

    let enum_issue = r#"{"code":"invalid_value","values":["info","warn"],"path":["level"],"message":"Invalid option: expected one of \"info\"|\"warn\""}"#;
    server.post_json("/events", "{}").assert_json(
        400,
        &format!(
            r#"{{"error":"invalid event","issues":[{enum_issue},{{"expected":"string","code":"invalid_type","path":["message"],"message":"Invalid input: expected string, received undefined"}}]}}"#
        ),
    );
    server
        .post_json("/events", r#"{"level":"error","message":""}"#)
        .assert_json(
            400,
            &format!(
                r#"{{"error":"invalid event","issues":[{enum_issue},{{"origin":"string","code":"too_small","minimum":1,"inclusive":true,"path":["message"],"message":"Too small: expected string to have >=1 characters"}}]}}"#
            ),
        );
    server.post_json("/events", "[1]").assert_json(
        400,
        r#"{"error":"invalid event","issues":[{"expected":"object","code":"invalid_type","path":[],"message":"Invalid input: expected object, received array"}]}"#,
    );
    server
        .post("/events", "text/plain", r#"{"level":"info","message":"x"}"#)
        .assert_json(
            400,
            r#"{"error":"invalid event","issues":[{"expected":"object","code":"invalid_type","path":[],"message":"Invalid input: expected object, received undefined"}]}"#,
        );

    // express.json() errors: V8's SyntaxError text, body-parser's statuses.
    server
        .post_json("/events", r#"{"level":"info",}"#)
        .assert_json(
            400,
            r#"{"error":"Expected double-quoted property name in JSON at position 16"}"#,
        );
    server.post_json("/events", r#""hello""#).assert_json(
        400,
        r#"{"error":"Unexpected token '\"', \"\"hello\"\" is not valid JSON"}"#,
    );
    server
        .post_json("/events", "[object Object]")
        .assert_json(400, r#"{"error":"\"[object Object]\" is not valid JSON"}"#);
    server
        .post("/events", "application/json; charset=latin1", "{}")
        .assert_json(415, r#"{"error":"unsupported charset \"LATIN1\""}"#);
    let large = format!(r#"{{"level":"info","message":"{}"}}"#, "x".repeat(102_400));
    server
        .post_json("/events", &large)
        .assert_json(413, r#"{"error":"request entity too large"}"#);
    // express.json() runs before routing: a bad body fails any route, uncounted.
    let bad_get = Reply::from(
        server
            .agent
            .get(server.url("/users"))
            .header("content-type", "application/json")
            .force_send_body()
            .send("{")
            .unwrap(),
    );
    bad_get.assert_json(
        400,
        r#"{"error":"Expected property name or '}' in JSON at position 1"}"#,
    );

    // Raw text: serde_json would refuse the lone surrogate that JS keeps.
    assert_eq!(
        server.get("/snapshot").body,
        "{\"counts\":{\"/events\":7,\"/snapshot\":1},\"events\":[\"info\",\"warn\",\"info: hi\",\"warn: disk \\\"91%\\\" \u{2028}\",\"warn: \\ud800\"]}"
    );
}

#[test]
fn alerts_are_validated_like_the_dto() {
    let server = Server::start();
    server
        .post_json("/alerts", r#"{"to":"ops@example.com","subject":"disk"}"#)
        .assert_json(202, r#"{"status":"logged"}"#);
    server.post_json("/alerts", "{}").assert_json(
        400,
        r#"{"error":"invalid alert","messages":["to must be an email","subject must be longer than or equal to 1 characters","subject must be a string"]}"#,
    );
    server
        .post_json(
            "/alerts",
            r#"{"to":"a@b.co","subject":"","extra":1,"2":3,"1":0,"severity":"bad","body":5}"#,
        )
        .assert_json(
            400,
            r#"{"error":"invalid alert","messages":["property 1 should not exist","property 2 should not exist","property extra should not exist","subject must be longer than or equal to 1 characters","body must be a string","severity must be one of the following values: info, warn, critical"]}"#,
        );
    server
        .post_json("/alerts", r#"{"to":"a@b.c","subject":5}"#)
        .assert_json(
            400,
            r#"{"error":"invalid alert","messages":["to must be an email","subject must be longer than or equal to 1 and shorter than or equal to 200 characters","subject must be a string"]}"#,
        );
    server
        .post_json(
            "/alerts",
            r#"{"__proto__":null,"to":"a@b.co","subject":"x"}"#,
        )
        .assert_json(500, r#"{"error":"internal error"}"#);
    assert_eq!(server.snapshot()["counts"]["/alerts"], 5);
}

/// One HTTP/1.1 request as a tiny local server received it.
struct Captured {
    head: String,
    body: String,
}

impl Captured {
    /// The (lower-cased) request head has this line.
    fn assert_head(&self, line: &str) {
        assert!(self.head.contains(line), "{line:?} not in {:?}", self.head);
    }
}

/// A local stand-in for SendGrid and the webhook: records each request, answers 202.
fn receiver() -> (String, mpsc::Receiver<Captured>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let tx = tx.clone();
            thread::spawn(move || serve_one(stream, &tx));
        }
    });
    (base, rx)
}

fn serve_one(mut stream: TcpStream, tx: &mpsc::Sender<Captured>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
            break;
        }
        head.push_str(&line.to_ascii_lowercase());
    }
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |n| n.trim().parse().unwrap());
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    stream
        .write_all(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        .unwrap();
    tx.send(Captured {
        head,
        body: String::from_utf8(body).unwrap(),
    })
    .unwrap();
}

#[test]
fn alerts_go_to_sendgrid_and_events_to_the_webhook() {
    let (base, requests) = receiver();
    let webhook = format!("{base}/hook");
    let server = Server::start_with(
        &[
            ("SENDGRID_API_KEY", "SG.test"),
            ("SENDGRID_API_URL", &base),
            ("ALERT_FROM", "Alerts Team <alerts@example.com>"),
            ("WEBHOOK_URL", &webhook),
        ],
        None,
    );

    server
        .post_json(
            "/alerts",
            r#"{"to":"ops@example.com","subject":"disk","severity":"critical"}"#,
        )
        .assert_json(202, r#"{"status":"sent"}"#);
    let mail = requests.recv_timeout(Duration::from_secs(10)).unwrap();
    mail.assert_head("post /v3/mail/send http/1.1\r\n");
    mail.assert_head("authorization: bearer sg.test\r\n");
    mail.assert_head("content-type: application/json\r\n");
    assert_eq!(
        mail.body,
        r#"{"from":{"email":"alerts@example.com","name":"Alerts Team"},"subject":"[critical] disk","personalizations":[{"to":[{"email":"ops@example.com"}]}],"content":[{"value":"disk","type":"text/plain"}]}"#
    );

    let res = server
        .agent
        .post(server.url("/events"))
        .header("content-type", "application/json")
        .header("x-request-id", "evt-7")
        .send(r#"{"level":"warn","message":"forward me"}"#)
        .unwrap();
    Reply::from(res).assert_json(201, r#"{"level":"warn","message":"forward me"}"#);
    let hook = requests.recv_timeout(Duration::from_secs(10)).unwrap();
    hook.assert_head("post /hook http/1.1\r\n");
    hook.assert_head("content-type: application/json\r\n");
    assert_eq!(
        hook.body,
        r#"{"level":"warn","message":"forward me","requestId":"evt-7"}"#
    );
}

#[test]
fn vendor_failures_answer_500_and_webhook_failures_do_not_matter() {
    // Nothing listens on a port we just freed: every outbound call fails.
    let dead = format!("http://127.0.0.1:{}", free_port());
    let server = Server::start_with(
        &[
            ("SENDGRID_API_KEY", "SG.test"),
            ("SENDGRID_API_URL", &dead),
            ("WEBHOOK_URL", &dead),
        ],
        None,
    );
    server
        .post_json("/alerts", r#"{"to":"ops@example.com","subject":"disk"}"#)
        .assert_json(500, r#"{"error":"internal error"}"#);
    server
        .post_json("/events", r#"{"level":"info","message":"fire and forget"}"#)
        .assert_json(201, r#"{"level":"info","message":"fire and forget"}"#);
}

#[test]
fn configuration_from_env_and_dotenv() {
    // PORT from the environment (no --port).
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    // .env is read, and a database that refuses connections makes /report a 500.
    let dead_db = format!(
        "DATABASE_URL=postgres://user@127.0.0.1:{}/db\n",
        free_port()
    );
    std::fs::write(dir.path().join(".env"), dead_db).unwrap();
    let mut cmd = Command::new(BIN);
    for var in CONFIG_VARS {
        cmd.env_remove(var);
    }
    let mut child = cmd
        .current_dir(dir.path())
        .env("PORT", port.to_string())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let url = format!("http://127.0.0.1:{port}/report");
    let deadline = Instant::now() + Duration::from_secs(20);
    let reply = loop {
        match agent.get(&url).call() {
            Ok(res) => break Reply::from(res),
            Err(_) if Instant::now() < deadline => thread::sleep(Duration::from_millis(50)),
            Err(err) => panic!("{err}"),
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    reply.assert_json(500, r#"{"error":"internal error"}"#);
}

#[test]
fn bad_configuration_exits_with_2() {
    for (var, value) in [("PORT", "abc"), ("LOG_LEVEL", "verbose")] {
        let mut cmd = Command::new(BIN);
        for var in CONFIG_VARS {
            cmd.env_remove(var);
        }
        let status = cmd
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
            .env(var, value)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(2), "{var}={value}");
    }
}

#[test]
fn sigterm_shuts_down_gracefully() {
    let mut server = Server::start();
    assert_eq!(server.get("/health").status, 200);
    let started = Instant::now();
    let status = server.terminate();
    assert!(status.success(), "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}
