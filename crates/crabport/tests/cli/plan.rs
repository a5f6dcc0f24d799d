//! `crabport plan` on the plan-service fixture: 18 Express routes over four
//! routers in several files, a CPU profile recorded by running it under
//! load (`tests/fixtures/plan-service/scripts/record-profile.sh`), a
//! Node-only SDK (@sendgrid/mail) reached by two routes, and git history the
//! test writes with fixed dates. The waves asserted here come out of the
//! rules; nothing is written down but the assertions.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::assess::{Repo, copy_tree, days_ago};
use super::{crabport, recorded_cache, workspace_root};

const RENDER: &str = "GET /api/reports/:id/render";
const INVITE: &str = "POST /api/users/:id/invite";
const EMAIL: &str = "POST /api/notifications/email";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plan-service")
}

const CONFIG: &str = r#"
[[service]]
name = "plan-service"
path = "."
profile = "profiles/load.cpuprofile"
goal = { metric = "p99", target = "20ms" }
"#;

/// The fixture in a fresh repository: imported 400 days ago, then six
/// changes to the users handlers and one to the orders router within the
/// churn window (90 days), and one old change to the render handler.
fn service(config: &str) -> Repo {
    let repo = Repo::new();
    copy_tree(&fixture(), repo.path());
    std::fs::write(repo.path().join("crabport.toml"), config).unwrap();
    repo.commit("Ana", &days_ago(400), "Import plan-service");
    repo.change(
        "src/handlers/render-report.js",
        "Ben",
        &days_ago(200),
        "Tune the render table",
    );
    for (i, days) in [80, 64, 50, 33, 20, 9].into_iter().enumerate() {
        let who = ["Ana", "Ben"][i % 2];
        repo.change(
            "src/handlers/users.js",
            who,
            &days_ago(days),
            "Users: fix pagination",
        );
    }
    repo.change(
        "src/routes/orders.js",
        "Chen",
        &days_ago(15),
        "Orders: validate items",
    );
    repo
}

fn plan(dir: &Path) -> assert_cmd::Command {
    let mut cmd = crabport();
    cmd.arg("plan")
        .arg(dir)
        .arg("--offline")
        .arg("--cache-dir")
        .arg(recorded_cache());
    cmd
}

fn plan_json(dir: &Path) -> Value {
    let out = plan(dir).args(["--format", "json"]).output().unwrap();
    assert!(
        out.status.success(),
        "crabport plan failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn route<'a>(plan: &'a Value, key: &str) -> &'a Value {
    plan["routes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            format!(
                "{} {}",
                r["method"].as_str().unwrap(),
                r["path"].as_str().unwrap()
            ) == key
        })
        .unwrap_or_else(|| panic!("{key} is not in the plan"))
}

fn wave_of<'a>(plan: &'a Value, key: &str) -> &'a Value {
    let n = route(plan, key)["wave"].as_u64().unwrap();
    plan["waves"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["number"].as_u64() == Some(n))
        .unwrap()
}

fn kinds(plan: &Value) -> Vec<&str> {
    plan["waves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["kind"].as_str().unwrap())
        .collect()
}

fn reasons(route: &Value) -> String {
    route["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect::<Vec<_>>()
        .join(" | ")
}

#[test]
fn waves_come_out_of_the_rules() {
    let repo = service(CONFIG);
    let plan = plan_json(repo.path());
    let routes = plan["routes"].as_array().unwrap();
    assert_eq!(routes.len(), 18, "{plan:#}");
    assert_eq!(plan["unresolved"], serde_json::json!([]));
    assert_eq!(plan["service"]["classification"], "cpu-bound");

    // Wave 1: the hot, unblocked route, and only it; its numbers are cited.
    assert_eq!(kinds(&plan), ["problem", "leaves", "rest", "blocked"]);
    let first = &plan["waves"][0];
    assert_eq!(first["routes"], serde_json::json!([RENDER]));
    let render = route(&plan, RENDER);
    let hot = render["hot_share"].as_f64().unwrap();
    assert!(
        hot > 0.4,
        "the render handler carries most of the CPU: {hot}"
    );
    assert!(
        reasons(render).contains(&format!(
            "{:.1}% of profiled CPU passes through renderReport",
            hot * 100.0
        )),
        "{}",
        reasons(render)
    );
    assert_eq!(render["handler"]["file"], "src/handlers/render-report.js");
    for r in routes.iter().filter(|r| r["wave"] != 1) {
        assert!(r["hot_share"].as_f64().unwrap() < 0.10, "{r:#}");
    }

    // The SDK routes are last, blocked, and say by what and what unblocks them.
    let last = plan["waves"].as_array().unwrap().last().unwrap();
    let blocked: BTreeSet<&str> = last["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(blocked, [EMAIL, INVITE].into());
    for key in [INVITE, EMAIL] {
        let r = route(&plan, key);
        assert_eq!(r["blocked_by"][0]["npm"], "@sendgrid/mail", "{r:#}");
        assert_eq!(
            r["blocked_by"][0]["imported_by"],
            serde_json::json!(["src/lib/mailer.js"])
        );
        assert!(
            r["blocked_by"][0]["unblock"]
                .as_str()
                .unwrap()
                .contains("sidecar")
        );
    }
    for r in routes.iter().filter(|r| {
        !blocked.contains(
            format!(
                "{} {}",
                r["method"].as_str().unwrap(),
                r["path"].as_str().unwrap()
            )
            .as_str(),
        )
    }) {
        assert_eq!(r["blocked_by"], serde_json::json!([]), "{r:#}");
    }

    // Leaves: /health imports nothing, so its closure is its own file.
    let health = route(&plan, "GET /health");
    assert_eq!(wave_of(&plan, "GET /health")["kind"], "leaves");
    assert_eq!(health["size"]["shared"], 0);
    assert_eq!(health["modules"], 1);

    // A shared module is ported once: db.js is in the first wave (render
    // reaches it) and in no other, and the waves' lines add up to the
    // distinct modules' lines, not to the routes' closures.
    let mut seen = BTreeSet::new();
    let mut wave_lines = 0;
    for w in plan["waves"].as_array().unwrap() {
        for m in w["modules"].as_array().unwrap() {
            assert!(
                seen.insert(m.as_str().unwrap()),
                "{m} is listed in two waves"
            );
        }
        wave_lines += w["lines"].as_u64().unwrap();
    }
    assert!(
        first["modules"]
            .as_array()
            .unwrap()
            .contains(&"src/lib/db.js".into())
    );
    let closure_lines: u64 = routes
        .iter()
        .map(|r| r["size"]["lines"].as_u64().unwrap())
        .sum();
    assert!(
        wave_lines < closure_lines / 3,
        "{wave_lines} vs {closure_lines}"
    );
    let users = route(&plan, "GET /api/users");
    assert!(users["size"]["shared"].as_u64().unwrap() > 0);

    // Churn: six commits to users.js in the window, one to orders.js; the
    // render handler's change is older than the window.
    assert_eq!(users["churn"], 6, "{users:#}");
    assert_eq!(route(&plan, "GET /api/orders")["churn"], 1);
    assert_eq!(render["churn"], 0);
    assert_eq!(route(&plan, "GET /health")["churn"], 0);

    // Friction is per 1,000 lines of the closure.
    assert!(users["friction"].as_f64().unwrap() >= 0.0);

    // Effort: the first wave carries the team's ramp-up, the others do not.
    let ramp = |w: &Value| {
        w["effort"]["basis"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b.as_str().unwrap().contains("ramp-up"))
    };
    assert!(ramp(first));
    assert!(
        plan["waves"].as_array().unwrap()[1..]
            .iter()
            .all(|w| !ramp(w))
    );
    // The HTML report's route map has a row per route (the browser test of
    // the page is in crabport_report's tests/plan_html.rs).
    let html = repo.path().join("plan.html");
    self::plan(repo.path())
        .arg("--html")
        .arg(&html)
        .assert()
        .success();
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<table id=\"route-map\">"));
    for r in routes {
        assert!(
            page.contains(&format!(">{}</", r["path"].as_str().unwrap()))
                || page.contains(r["path"].as_str().unwrap())
        );
    }

    // Burndown: nothing moved yet.
    assert_eq!(plan["burndown"]["routes"], 18);
    assert_eq!(plan["burndown"]["routes_on_rust"], 0);
    assert_eq!(plan["burndown"]["by_state"]["node"], 18);
}

#[test]
fn one_fact_changes_move_routes_as_the_rules_say() {
    // No measurable goal: the hot route carries no stated problem, and
    // falls back to its size.
    let repo = service(&CONFIG.replace("goal = { metric = \"p99\", target = \"20ms\" }\n", ""));
    let plan = plan_json(repo.path());
    assert!(!kinds(&plan).contains(&"problem"), "{:?}", kinds(&plan));
    assert!(reasons(route(&plan, RENDER)).contains("no measurable goal"));

    // sidecar_ok: the SDK no longer blocks; the two routes join the others.
    let repo = service(&format!("{CONFIG}sidecar_ok = true\n"));
    let plan = plan_json(repo.path());
    assert!(!kinds(&plan).contains(&"blocked"), "{:?}", kinds(&plan));
    assert_eq!(route(&plan, INVITE)["blocked_by"], serde_json::json!([]));
    assert!(reasons(route(&plan, INVITE)).contains("sidecar_ok"));

    // A higher bar for "hot": nothing carries the problem.
    let repo = service(&format!("{CONFIG}\n[plan]\nhot_share_min = 0.9\n"));
    assert!(!kinds(&plan_json(repo.path())).contains(&"problem"));

    // No profile: hot shares are unknown, and the plan says so.
    let repo = service(&CONFIG.replace("profile = \"profiles/load.cpuprofile\"\n", ""));
    let plan = plan_json(repo.path());
    assert!(route(&plan, RENDER)["hot_share"].is_null());
    assert!(!kinds(&plan).contains(&"problem"));
    assert!(
        plan["limits"].to_string().contains("no profile"),
        "{}",
        plan["limits"]
    );

    // The mailer import moved out of the invite handler: it is unblocked.
    let repo = service(CONFIG);
    let invite = repo.path().join("src/handlers/invite.js");
    let text = std::fs::read_to_string(&invite).unwrap();
    std::fs::write(
        &invite,
        text.replace(
            "const { sendMail } = require('../lib/mailer');",
            "const sendMail = async () => {};",
        ),
    )
    .unwrap();
    let plan = plan_json(repo.path());
    assert_eq!(route(&plan, INVITE)["blocked_by"], serde_json::json!([]));
    assert_ne!(wave_of(&plan, INVITE)["kind"], "blocked");
    assert_eq!(wave_of(&plan, EMAIL)["kind"], "blocked");
}

#[test]
fn the_route_table_is_written_checked_and_exported() {
    let repo = service(CONFIG);
    let dir = repo.path();
    let table = dir.join("crabport.routes.toml");
    // No table yet: --check is an error, not a pass.
    let out = plan(dir).arg("--check").output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    plan(dir).arg("--write").assert().success();
    let text = std::fs::read_to_string(&table).unwrap();
    assert_eq!(text.matches("[[route]]").count(), 18);
    plan(dir).arg("--check").assert().success();

    // The team advances two routes; a rewrite keeps their states.
    let text = text
        .replacen(
            "path = \"/api/reports/:id/render\"\nstate = \"node\"\ntarget = \"node\"",
            "path = \"/api/reports/:id/render\"\nstate = \"canary\"\ntarget = \"node\"\ncanary_percent = 25",
            1,
        )
        .replacen(
            "path = \"/api/users\"\nstate = \"node\"\ntarget = \"node\"",
            "path = \"/api/users\"\nstate = \"parity\"\ntarget = \"node\"",
            1,
        );
    std::fs::write(&table, &text).unwrap();
    plan(dir).arg("--write").assert().success();
    let rewritten = std::fs::read_to_string(&table).unwrap();
    assert!(rewritten.contains("state = \"canary\"\ntarget = \"node\"\ncanary_percent = 25"));
    assert!(rewritten.contains("path = \"/api/users\"\nstate = \"parity\""));
    let json = plan_json(dir);
    assert_eq!(route(&json, RENDER)["state"], "canary");
    assert_eq!(json["burndown"]["by_state"]["parity"], 1);

    // The router configuration: the canary's share goes to Rust, the rest to Node.
    let out = plan(dir)
        .args(["--emit", "nginx", "--rust-upstream", "127.0.0.1:9001"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let nginx = String::from_utf8(out.stdout).unwrap();
    assert!(nginx.contains("127.0.0.1:9001"), "{nginx}");
    assert!(nginx.contains("25%"), "{nginx}");
    nginx_accepts(&nginx);
    for router in ["envoy", "traefik"] {
        let out = plan(dir).args(["--emit", router]).output().unwrap();
        assert!(out.status.success());
        let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_slice(&out.stdout).unwrap();
        assert!(!yaml.is_null());
    }

    // The last step: /version's Node handler is deleted. That is no drift,
    // and the table keeps the route so the router still sends it to Rust.
    let text = std::fs::read_to_string(&table).unwrap().replacen(
        "path = \"/version\"\nstate = \"node\"\ntarget = \"node\"",
        "path = \"/version\"\nstate = \"node-removed\"\ntarget = \"rust\"",
        1,
    );
    std::fs::write(&table, text).unwrap();
    let server = dir.join("src/server.js");
    let text = std::fs::read_to_string(&server).unwrap();
    std::fs::write(
        &server,
        text.replacen("app.get('/version', version);\n", "", 1),
    )
    .unwrap();
    plan(dir).arg("--check").assert().success();
    plan(dir).arg("--write").assert().success();
    let rewritten = std::fs::read_to_string(&table).unwrap();
    assert!(
        rewritten.contains("path = \"/version\"\nstate = \"node-removed\"\ntarget = \"rust\""),
        "{rewritten}"
    );
    let out = plan(dir).args(["--emit", "nginx"]).output().unwrap();
    assert!(String::from_utf8(out.stdout).unwrap().contains("/version"));

    // Drift: the parity route's handler changes, and a route nobody placed appears.
    let users = dir.join("src/handlers/users.js");
    let mut text = std::fs::read_to_string(&users).unwrap();
    text.push_str("\n// a change after parity was checked\n");
    std::fs::write(&users, text).unwrap();
    let text = std::fs::read_to_string(&server).unwrap();
    let text = text.replacen(
        "app.get('/health'",
        "app.get('/ready', function ready(req, res) { res.json({ ok: true }); });\napp.get('/health'",
        1,
    );
    assert!(
        text.contains("/ready"),
        "the fixture's server.js changed shape"
    );
    std::fs::write(&server, text).unwrap();
    let out = plan(dir).arg("--check").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(report.contains("GET /ready"), "{report}");
    assert!(
        report.contains(
            "GET /api/users is `parity` but its handler's module src/handlers/users.js changed"
        ),
        "{report}"
    );
    // A route only at `node` does not pin its handler.
    assert!(!report.contains("GET /api/users/:id "), "{report}");
}

#[test]
fn bad_tables_and_bad_code_are_reported_with_positions() {
    let repo = service(CONFIG);
    let dir = repo.path();
    plan(dir).arg("--write").assert().success();
    let table = dir.join("crabport.routes.toml");
    let text = std::fs::read_to_string(&table).unwrap();
    let line_of = |t: &str, needle: &str| t[..t.find(needle).unwrap()].lines().count() + 1;
    // A target that contradicts the state, pointing at the route's line.
    let bad = text.replacen(
        "state = \"node\"\ntarget = \"node\"",
        "state = \"node\"\ntarget = \"rust\"",
        1,
    );
    std::fs::write(&table, &bad).unwrap();
    let out = plan(dir).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let first_route = line_of(&bad, "[[route]]");
    assert!(
        err.contains(&format!("crabport.routes.toml:{first_route}:")),
        "{err}"
    );
    assert!(err.contains("contradicts state"), "{err}");
    let bad = text.replacen("state = \"node\"", "state = \"done\"", 1);
    std::fs::write(&table, &bad).unwrap();
    let err = String::from_utf8_lossy(&plan(dir).output().unwrap().stderr).into_owned();
    assert!(
        err.contains(&format!(
            "crabport.routes.toml:{}:",
            line_of(&bad, "state = \"done\"")
        )),
        "{err}"
    );
    std::fs::write(&table, &text).unwrap();

    // Thresholds that make no sense point at their key in crabport.toml.
    for (extra, key) in [
        (
            "\n[plan]\nleaf_max_lines = 100\nhot_share_min = 1.5\n",
            "hot_share_min",
        ),
        ("\n[assess]\nchurn_window_days = 0\n", "churn_window_days"),
    ] {
        let config = format!("{CONFIG}{extra}");
        std::fs::write(dir.join("crabport.toml"), &config).unwrap();
        let out = plan(dir).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("crabport.toml:{}:1:", line_of(&config, key))),
            "{err}"
        );
        assert!(err.contains(key), "{err}");
    }
    std::fs::write(dir.join("crabport.toml"), CONFIG).unwrap();

    // An unparsable route file: the plan goes on, and names the file and place.
    std::fs::write(
        dir.join("src/routes/broken.js"),
        "module.exports = function (router) {\n  router.get('/x', (req, res) => {\n",
    )
    .unwrap();
    let plan = plan_json(dir);
    let unresolved = plan["unresolved"].to_string();
    assert!(unresolved.contains("src/routes/broken.js"), "{unresolved}");
    assert_eq!(plan["routes"].as_array().unwrap().len(), 18);

    // Outside a git repository: churn is unknown, and that is a limit.
    let plain = tempfile::tempdir().unwrap();
    copy_tree(&fixture(), plain.path());
    std::fs::write(plain.path().join("crabport.toml"), CONFIG).unwrap();
    let plan = plan_json(plain.path());
    assert!(route(&plan, "GET /api/users")["churn"].is_null());
    assert!(
        plan["limits"].to_string().contains("no history"),
        "{}",
        plan["limits"]
    );
}

#[test]
fn the_example_has_a_plan() {
    let plan = plan_json(&workspace_root().join("examples/metrics-service"));
    assert!(plan["routes"].as_array().unwrap().len() >= 4, "{plan:#}");
    assert_eq!(plan["unresolved"], serde_json::json!([]));
    // The example declares sidecar_ok: SendGrid does not block its routes.
    assert!(!kinds(&plan).contains(&"blocked"));
}

#[test]
fn plan_json_matches_its_schema() {
    let repo = service(CONFIG);
    plan(repo.path()).arg("--write").assert().success();
    let plan = plan_json(repo.path());
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(workspace_root().join("schemas/plan.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&plan)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

/// `nginx -t` on the emitted configuration inside a minimal nginx.conf.
fn nginx_accepts(include: &str) {
    let Some(nginx) = ["nginx", "/usr/sbin/nginx"]
        .into_iter()
        .find(|n| std::process::Command::new(n).arg("-v").output().is_ok())
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "the emitted nginx configuration is checked by nginx -t: apt-get install nginx (.ci/run does)"
        );
        eprintln!("skipped nginx -t: nginx is not installed");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().display();
    std::fs::write(tmp.path().join("routes.conf"), include).unwrap();
    std::fs::write(
        tmp.path().join("nginx.conf"),
        format!(
            "daemon off;\npid {p}/nginx.pid;\nerror_log {p}/error.log;\nevents {{}}\nhttp {{\n  access_log off;\n  client_body_temp_path {p}/body;\n  proxy_temp_path {p}/proxy;\n  fastcgi_temp_path {p}/fastcgi;\n  uwsgi_temp_path {p}/uwsgi;\n  scgi_temp_path {p}/scgi;\n  include {p}/routes.conf;\n}}\n"
        ),
    )
    .unwrap();
    let out = std::process::Command::new(nginx)
        .args(["-t", "-p"])
        .arg(tmp.path())
        .arg("-c")
        .arg(tmp.path().join("nginx.conf"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "nginx -t: {}\n{include}",
        String::from_utf8_lossy(&out.stderr)
    );
}
