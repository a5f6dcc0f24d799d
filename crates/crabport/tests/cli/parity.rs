//! `crabport parity` against real processes: the example's Node service and
//! its Rust port (which must agree), and small Node servers that differ on
//! purpose, so each difference, noise field and failure is one we planted.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use super::{crabport, example, workspace_root};

/// A Node server on $PORT; `argv[2]` picks how it differs from the
/// baseline. `/users/:id` answers a fresh `requestId` every time (noise the
/// secondary must reveal) and a `seen` counter (state both sides share).
const SERVER_JS: &str = r#"
const http = require("http"), crypto = require("crypto");
const variant = process.argv[2];
let seen = 0;
http.createServer((q, s) => {
  q.resume();
  s.setHeader("x-request-id", crypto.randomUUID()); // compared only when asked
  q.on("end", () => {
    const url = new URL(q.url, "http://localhost");
    const user = url.pathname.match(/^\/users\/(\d+)$/);
    if (user) {
      const id = Number(user[1]);
      if (variant === "flaky" && id === 1) return q.socket.destroy();
      seen++;
      const price = variant === "changed" && id === 7 ? 6 : 5;
      s.writeHead(200, { "content-type": "application/json; charset=utf-8", "x-trace": crypto.randomUUID() });
      return s.end(`{"id":${id},"requestId":"${crypto.randomUUID()}","items":[{"sku":"a","price":1},{"sku":"b","price":${price}}],"seen":${seen}}`);
    }
    if (url.pathname === "/health") {
      s.writeHead(200, { "content-type": "application/json" });
      // serde_json's `1.0` where JSON.stringify writes `1`.
      return s.end(variant === "changed" ? '{"ok":true,"uptime":1.0}' : '{"ok":true,"uptime":1}');
    }
    s.writeHead(404, { "content-type": "text/plain" });
    s.end("not found");
  });
}).listen(Number(process.env.PORT));
"#;

const REQUESTS: &str = r#"{"v":1,"method":"GET","target":"/users/1","headers":[["accept","application/json"]]}
{"v":1,"method":"GET","target":"/users/7","headers":[]}
{"v":1,"method":"GET","target":"/users/7?verbose=1","headers":[]}
{"v":1,"method":"GET","target":"/health","headers":[]}
{"v":1,"method":"POST","target":"/nope","headers":[["content-type","text/plain"]],"body_base64":"aGk="}
"#;

/// A project in a temporary directory: the server, the requests, and a
/// crabport.toml whose candidate runs `variant`.
fn project(variant: &str, extra_config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("server.js"), SERVER_JS).unwrap();
    std::fs::write(dir.path().join("requests.jsonl"), REQUESTS).unwrap();
    std::fs::write(
        dir.path().join("crabport.toml"),
        format!(
            "[parity]\nbaseline = \"node server.js baseline\"\ncandidate = \"node server.js {variant}\"\nrequests = \"requests.jsonl\"\n{extra_config}"
        ),
    )
    .unwrap();
    dir
}

/// `crabport parity DIR ARGS…`: (exit code, stdout, stderr).
fn parity(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = crabport()
        .arg("parity")
        .arg(dir)
        .args(args)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `parity_json` of a run marked for [`super::bench::processes_of_run`].
fn parity_json_env(dir: &Path, run: &str) -> (Option<i32>, Value, String) {
    let out = crabport()
        .env(super::bench::RUN_MARKER, run)
        .arg("parity")
        .arg(dir)
        .args(["--format", "json"])
        .timeout(Duration::from_secs(900))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}); stderr: {stderr}"));
    (out.status.code(), report, stderr)
}

fn parity_json(dir: &Path, args: &[&str]) -> (Option<i32>, Value, String) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = parity(dir, &all);
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    (code, report, stderr)
}

fn route<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["routes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["route"] == name)
        .unwrap_or_else(|| panic!("no route {name}: {report:#}"))
}

/// The difference groups as (route, pointer, kind, baseline, candidate),
/// an absent value as `(absent)`.
fn differences(report: &Value) -> Vec<(String, String, String, String, String)> {
    report["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["route"].as_str().unwrap().to_owned(),
                d["pointer"].as_str().unwrap().to_owned(),
                d["kind"].as_str().unwrap().to_owned(),
                d["baseline"].as_str().unwrap_or("(absent)").to_owned(),
                d["candidate"].as_str().unwrap_or("(absent)").to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_example_port_answers_like_the_node_service() {
    // As a user runs it: [bench.build] builds both sides, [parity] names
    // the 131 requests; the secondary Node instance shows the generated
    // x-request-id to be noise.
    let (code, report, stderr) = parity_json_env(&example(), "parity-example");
    assert_eq!(code, Some(0), "{report:#}\n{stderr}");
    assert_eq!(report["total"]["requests"], 131, "{report:#}");
    assert_eq!(report["total"]["different"], 0, "{report:#}");
    assert_eq!(report["total"]["failed"], 0, "{report:#}");
    assert!(report["differences"].as_array().unwrap().is_empty());
    for r in report["routes"].as_array().unwrap() {
        assert_eq!(r["parity"], 1.0, "{r}");
    }
    let noise = report["noise"].as_array().unwrap();
    assert!(
        noise.iter().any(|n| n["part"] == "header"
            && n["pointer"] == "/x-request-id"
            && n["source"] == "secondary"),
        "the generated request id is noise: {noise:#?}"
    );
    // The counters reflect every request before: the same history on
    // both sides (fresh instances, the same order).
    let snapshot = route(&report, "GET /snapshot");
    assert_eq!(
        (&snapshot["requests"], &snapshot["different"]),
        (&Value::from(1), &Value::from(0)),
        "{snapshot}"
    );
    let left = super::bench::processes_of_run("parity-example");
    assert!(left.is_empty(), "left running: {left:?}");
}

#[test]
fn a_changed_field_is_shown_at_its_pointer_on_its_route_and_noise_is_not_counted() {
    let dir = project("changed", "");
    let (code, report, stderr) = parity_json(dir.path(), &[]);
    assert_eq!(code, Some(1), "under 100% parity exits 1: {stderr}");
    let mut found = differences(&report);
    found.sort();
    let d = |route: &str, pointer: &str, kind: &str, b: &str, c: &str| {
        let s = str::to_owned;
        (s(route), s(pointer), s(kind), s(b), s(c))
    };
    assert_eq!(
        found,
        [
            d("GET /health", "/uptime", "number-format", "1", "1.0"),
            d("GET /users/:id", "/items/1/price", "value", "5", "6"),
        ],
        "{report:#}"
    );
    let price = &report["differences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["pointer"] == "/items/1/price")
        .unwrap();
    // The smaller of the two requests that show it.
    assert_eq!(price["request"]["target"], "/users/7", "{price}");
    assert_eq!(price["request"]["line"], 2, "{price}");
    assert_eq!(price["count"], 2);
    let users = route(&report, "GET /users/:id");
    assert_eq!(
        (
            &users["requests"],
            &users["identical"],
            &users["noise"],
            &users["different"]
        ),
        (
            &Value::from(3),
            &Value::from(0),
            &Value::from(1),
            &Value::from(2)
        ),
        "{users}"
    );
    assert_eq!(route(&report, "GET /health")["different"], 1);
    assert_eq!(route(&report, "POST /nope")["identical"], 1);
    let noise = report["noise"].as_array().unwrap();
    let request_id = noise
        .iter()
        .find(|n| n["pointer"] == "/requestId")
        .unwrap_or_else(|| panic!("requestId is noise: {noise:#?}"));
    assert_eq!(request_id["source"], "secondary");
    assert_eq!(request_id["route"], "GET /users/:id");
    assert_eq!(request_id["seen"], 3);
    assert!(
        request_id["evidence"]
            .as_str()
            .unwrap()
            .contains("on 3 of 3 requests"),
        "{request_id}"
    );
    // x-trace differs on every answer but is not a compared header.
    assert!(!report.to_string().contains("x-trace"), "{report:#}");
}

#[test]
fn write_ignores_commits_the_noise_and_the_next_run_applies_it_without_a_secondary() {
    let dir = project("baseline", "# the team's own comment stays\n");
    let (code, report, stderr) = parity_json(dir.path(), &["--write-ignores"]);
    assert_eq!(
        code,
        Some(0),
        "the same server on both sides: {report:#}\n{stderr}"
    );
    assert_eq!(route(&report, "GET /users/:id")["noise"], 3, "{report:#}");
    let config = std::fs::read_to_string(dir.path().join("crabport.toml")).unwrap();
    assert!(
        config.contains("# the team's own comment stays"),
        "{config}"
    );
    let parsed: toml::Table = toml::from_str(&config).unwrap();
    let rules = parsed["parity"]["ignore"].as_array().unwrap();
    assert_eq!(rules.len(), 1, "{config}");
    assert_eq!(
        rules[0]["route"].as_str(),
        Some("GET /users/:id"),
        "{config}"
    );
    assert_eq!(rules[0]["pointer"].as_str(), Some("/requestId"), "{config}");
    assert!(
        rules[0]["reason"].as_str().unwrap().contains("secondary"),
        "{config}"
    );

    let (code, report, stderr) = parity_json(dir.path(), &["--no-secondary"]);
    assert_eq!(code, Some(0), "{report:#}\n{stderr}");
    assert_eq!(report["method"]["noise_subtraction"], false);
    let noise = report["noise"].as_array().unwrap();
    assert_eq!(noise.len(), 1, "{noise:#?}");
    assert_eq!(noise[0]["source"], "config");
    assert_eq!(noise[0]["absorbed"], 3);
    assert!(
        noise[0]["evidence"]
            .as_str()
            .unwrap()
            .contains("crabport.toml:"),
        "{noise:#?}"
    );

    // Written once: a second --write-ignores adds nothing.
    let before = std::fs::read_to_string(dir.path().join("crabport.toml")).unwrap();
    let (code, _, stderr) = parity_json(dir.path(), &["--write-ignores"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("crabport.toml")).unwrap(),
        before
    );
}

#[test]
fn noise_on_every_route_is_written_as_one_rule_for_every_route() {
    let dir = project("baseline", "");
    let (code, _, stderr) =
        parity_json(dir.path(), &["--header", "x-request-id", "--write-ignores"]);
    assert_eq!(code, Some(0), "{stderr}");
    let config = std::fs::read_to_string(dir.path().join("crabport.toml")).unwrap();
    let parsed: toml::Table = toml::from_str(&config).unwrap();
    let rules = parsed["parity"]["ignore"].as_array().unwrap();
    let header: Vec<_> = rules.iter().filter(|r| r.get("header").is_some()).collect();
    assert_eq!(header.len(), 1, "{config}");
    assert_eq!(header[0]["header"].as_str(), Some("x-request-id"));
    assert!(header[0].get("route").is_none(), "{config}");
    assert!(
        header[0]["reason"]
            .as_str()
            .unwrap()
            .contains("all 3 routes"),
        "{config}"
    );
    // The body field is noise on one route only: its rule stays on it.
    let body: Vec<_> = rules
        .iter()
        .filter(|r| r.get("pointer").is_some())
        .collect();
    assert_eq!(body.len(), 1, "{config}");
    assert_eq!(body[0]["route"].as_str(), Some("GET /users/:id"));

    let (code, report, stderr) =
        parity_json(dir.path(), &["--header", "x-request-id", "--no-secondary"]);
    assert_eq!(
        code,
        Some(0),
        "the rules cover it without a secondary: {report:#}\n{stderr}"
    );
}

#[test]
fn requests_that_get_no_answer_are_counted_and_shown_never_dropped() {
    let dir = project("flaky", "");
    let (code, report, stderr) = parity_json(dir.path(), &[]);
    assert_eq!(code, Some(1), "{stderr}");
    let failed = report["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert_eq!(failed[0]["target"], "candidate");
    assert_eq!(failed[0]["request"]["target"], "/users/1");
    assert_eq!(failed[0]["kind"], "closed", "{failed:#?}");
    let users = route(&report, "GET /users/:id");
    assert_eq!(users["failed"], 1, "{users}");
    // The connection is opened again: the requests after it are compared.
    assert_eq!(users["requests"], 3, "{users}");
    assert_eq!(report["total"]["failed"], 1);
    assert_eq!(route(&report, "GET /health")["identical"], 1);
}

#[test]
fn bad_input_names_the_file_and_position() {
    let dir = project("baseline", "");
    let jsonl = dir.path().join("broken.jsonl");
    std::fs::write(
        &jsonl,
        "{\"v\":1,\"method\":\"GET\",\"target\":\"/users/1\",\"headers\":[]}\n{\"v\":1,\"method\":\"GET\",\"target\":}\n",
    )
    .unwrap();
    let (code, _, stderr) = parity(dir.path(), &["--requests", jsonl.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("broken.jsonl:2:"), "{stderr}");

    let har = dir.path().join("broken.har");
    std::fs::write(&har, "{\"log\": {\"entries\": [\n  {\"request\": \n").unwrap();
    let (code, _, stderr) = parity(dir.path(), &["--har", har.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("broken.har:"), "{stderr}");

    let dir = project("baseline", "\n[[parity.ignore]]\npointer = \"requestId\"\n");
    let (code, _, stderr) = parity(dir.path(), &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("crabport.toml:6:"), "{stderr}");
    assert!(stderr.contains("must start with"), "{stderr}");
}

#[test]
fn junit_has_one_case_per_route_and_markdown_a_row_per_route() {
    let dir = project("changed", "");
    let (code, junit, stderr) = parity(dir.path(), &["--format", "junit"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(junit.starts_with("<?xml"), "{junit}");
    assert_eq!(junit.matches("<testcase ").count(), 3, "{junit}");
    assert_eq!(junit.matches("<failure").count(), 2, "{junit}");
    assert!(junit.contains("name=\"GET /users/:id\""), "{junit}");
    assert!(junit.contains("/items/1/price"), "{junit}");
    assert!(junit.contains("tests=\"3\" failures=\"2\""), "{junit}");

    let (code, markdown, stderr) = parity(dir.path(), &["--format", "markdown"]);
    assert_eq!(code, Some(1), "{stderr}");
    for route in ["GET /users/:id", "GET /health", "POST /nope"] {
        assert!(
            markdown.contains(&format!("| `{route}` |")),
            "{route}: {markdown}"
        );
    }
    assert!(markdown.contains("`body /items/1/price`"), "{markdown}");
}

#[test]
fn parity_json_matches_its_schema() {
    let dir = project("changed", "");
    let (_, report, _) = parity_json(dir.path(), &[]);
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(workspace_root().join("schemas/parity.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{report:#}");
}

#[test]
fn html_report_shows_each_difference_side_by_side_in_a_real_browser() {
    let dir = project("changed", "");
    let html = dir.path().join("parity <report>.html");
    let (code, _, stderr) = parity(dir.path(), &["--html", html.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{stderr}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no network references"
    );
    let dom = super::rendered_dom(&html);
    assert!(
        dom.contains(r#"class="diff" data-route="GET /users/:id" data-pointer="/items/1/price" data-kind="value""#),
        "{dom}"
    );
    assert!(
        dom.contains(r#"data-pointer="/uptime" data-kind="number-format""#),
        "{dom}"
    );
    assert!(dom.contains("id=\"noise\""), "{dom}");
    assert_eq!(dom.matches("<tr data-route=").count(), 3, "{dom}");
}
