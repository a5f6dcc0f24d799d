//! `crabport bench` against real services: the example's Node service and
//! its Rust port, built and started from the example's crabport.toml
//! exactly as a user runs it; broken targets that must fail clearly and
//! leave no process behind; servers that never complete a response; build
//! steps; output paths.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{crabport, example};

/// Set on the crabport a test runs (`.env(RUN_MARKER, name)`): every
/// process it starts inherits it, so a test finds what it left behind and
/// not what a test running beside it started from the same example.
pub(crate) const RUN_MARKER: &str = "CRABPORT_TEST_RUN";

/// Processes started under `RUN_MARKER=name`, with their command lines.
pub(crate) fn processes_of_run(name: &str) -> Vec<String> {
    let marker = format!("{RUN_MARKER}={name}").into_bytes();
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.flatten() {
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        if environ.split(|b| *b == 0).any(|v| v == marker.as_slice()) {
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            found.push(format!(
                "{}: {}",
                entry.file_name().to_string_lossy(),
                String::from_utf8_lossy(&cmdline).replace('\0', " ")
            ));
        }
    }
    found
}

/// Processes whose command line contains `needle`, other than this test's.
pub(crate) fn processes_matching(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(needle) && !cmdline.contains("cargo test") {
            found.push(format!("{}: {cmdline}", name.to_string_lossy()));
        }
    }
    found
}

#[test]
fn bench_of_the_example_measures_both_targets_and_leaves_nothing_behind() {
    // No preparation: [bench.build] of the example builds both sides
    // (npm ci && npm run build when dist/ is missing or stale, cargo build).
    let out = crabport()
        .env(RUN_MARKER, "bench-example")
        .arg("bench")
        .arg(example())
        .args([
            "--format",
            "json",
            "--rounds",
            "3",
            "--duration",
            "1s",
            "--warmup",
            "1s",
            "--connections",
            "8",
            // Open loop at a rate both serve easily: on a 2-core CI machine a
            // closed loop against the Rust port can saturate the generator's
            // core, and then (rightly) no ratio is reported.
            "--rate",
            "1000",
        ])
        .timeout(Duration::from_secs(900))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}); stderr: {stderr}"));
    let names: Vec<&str> = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["baseline", "candidate"], "{report}");
    for t in report["targets"].as_array().unwrap() {
        assert!(t["requests"].as_u64().unwrap() > 100, "{t}");
        assert!(t["rps"].as_f64().unwrap() > 0.0, "{t}");
        assert!(t["cpu_ms_per_1k_requests"].as_f64().unwrap() > 0.0, "{t}");
        assert!(t["peak_rss_bytes"].as_u64().unwrap() > 1_000_000, "{t}");
        let l = &t["latency_ms"];
        for p in ["p50", "p90", "p99", "p999", "max"] {
            assert!(l[p].as_f64().is_some(), "{p} in {t}");
        }
        assert!(l["p50"].as_f64() <= l["p99"].as_f64());
        // Open loop: corrected (from the intended send time) and uncorrected.
        let uncorrected = t["latency_uncorrected_ms"]["p99"].as_f64().unwrap();
        assert!(l["p99"].as_f64().unwrap() >= uncorrected, "{t}");
        assert_eq!(t["errors"], 0, "{t}");
        assert_eq!(t["rounds"].as_array().unwrap().len(), 3);
    }
    assert!(!report["generator_bound"].as_bool().unwrap(), "{report}");
    let comparison = report["comparison"].as_array().unwrap();
    let metrics: Vec<&str> = comparison
        .iter()
        .map(|c| c["metric"].as_str().unwrap())
        .collect();
    assert_eq!(
        metrics,
        [
            "rps",
            "p50",
            "p99",
            "cpu_ms_per_1k_requests",
            "peak_rss_bytes"
        ]
    );
    for c in comparison {
        let (lo, r, hi) = (
            c["ci_low"].as_f64().unwrap(),
            c["ratio"].as_f64().unwrap(),
            c["ci_high"].as_f64().unwrap(),
        );
        // CPU is read in clock ticks (10 ms): a round of the Rust port can
        // measure 0, so a CI may reach 0 but never go below it.
        assert!(lo <= hi && lo >= 0.0 && r > 0.0, "{c}");
        assert!(c["significant"].is_boolean(), "{c}");
    }
    // The example's [[service]] goal, restated as a bench check, was checked.
    assert!(report["goal"]["expression"].is_string(), "{report}");
    assert_eq!(
        out.status.code(),
        Some(if report["goal"]["met"] == true { 0 } else { 1 })
    );

    let left = processes_of_run("bench-example");
    assert!(left.is_empty(), "left running: {left:?}");
}

/// `crabport bench` with short rounds from the temporary directory:
/// (exit code, stderr, how long it took).
fn bench(args: &[&str]) -> (Option<i32>, String, Duration) {
    let started = Instant::now();
    let (code, _, stderr) = bench_in(&std::env::temp_dir(), args);
    (code, stderr, started.elapsed())
}

/// A tiny Node server on $PORT; `extra` runs after it listens.
fn node_server(marker: &str, extra: &str) -> String {
    format!(
        "node -e \"require('http').createServer((q,s)=>s.end('ok')).listen(process.env.PORT,()=>{{{extra}}}); /* {marker} */\""
    )
}

#[test]
fn broken_targets_fail_clearly_fast_and_leave_no_orphans() {
    // A command that fails at once.
    let (code, err, took) = bench(&["--baseline", "exit 3"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("baseline") && err.contains('3'), "{err}");
    assert!(took < Duration::from_secs(10), "{took:?}");

    // A command that never answers: bounded by --ready-timeout.
    let (code, err, took) = bench(&[
        "--candidate",
        "sleep 30 # crabport-never-listens",
        "--ready-timeout",
        "1s",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("candidate"), "{err}");
    assert!(took < Duration::from_secs(15), "{took:?}");
    assert!(processes_matching("crabport-never-listens").is_empty());

    // A server that dies mid-run.
    let dies = node_server(
        "crabport-dies-midway",
        "setTimeout(()=>process.exit(7),500)",
    );
    let (code, err, _) = bench(&["--baseline", &dies]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("baseline"), "{err}");
    assert!(processes_matching("crabport-dies-midway").is_empty());

    // Remote hosts need --allow-remote.
    let (code, err, _) = bench(&["--baseline", "http://example.com/"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--allow-remote"), "{err}");
}

#[test]
fn a_malformed_request_file_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("requests.toml");
    std::fs::write(&file, "[[request]]\npath = \"/users\"\n\n[[request]]\nmethod = \"GET\"\nweight = 0\npath = \"/orders\"\n").unwrap();
    let ok = node_server("crabport-request-file", "");
    let (code, err, _) = bench(&["--baseline", &ok, "--requests", file.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("requests.toml:6:"), "{err}");
    assert!(processes_matching("crabport-request-file").is_empty());
}

#[test]
fn a_single_target_and_a_missed_goal_exit_one() {
    let server = node_server("crabport-goal", "");
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let out = crabport()
        .arg("bench")
        .arg(dir.path())
        .args([
            "--candidate",
            &server,
            "--rounds",
            "1",
            "--duration",
            "1s",
            "--warmup",
            "0s",
        ])
        .args(["--goal", "rps>100000000", "--format", "json", "--html"])
        .arg(&html)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["goal"]["met"], false);
    assert!(report["comparison"].as_array().unwrap().is_empty());
    assert!(Path::new(&html).is_file());
    assert!(processes_matching("crabport-goal").is_empty());
}

/// The HTML report is one self-contained page that a real browser renders:
/// the ratio table and a latency line per target survive Chromium's parser.
#[test]
fn html_report_renders_in_a_real_browser() {
    let a = node_server("crabport-html-a", "");
    let b = node_server("crabport-html-b", "");
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("bench <report>.html");
    let out = crabport()
        .arg("bench")
        .arg(dir.path())
        .args(["--baseline", &a, "--candidate", &b])
        .args([
            "--rounds",
            "2",
            "--duration",
            "1s",
            "--warmup",
            "0s",
            "-c",
            "4",
            "--html",
        ])
        .arg(&html)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no network references"
    );
    let dom = super::rendered_dom(&html);
    assert!(dom.contains("id=\"latency-plot\""), "{dom}");
    for target in ["baseline", "candidate"] {
        let series = format!("class=\"series\" data-target=\"{target}\" fill=\"none\"");
        assert!(dom.contains(&series), "{target} line missing: {dom}");
    }
    let ratio_rows = dom.matches("<tr><td>").count();
    assert_eq!(ratio_rows, 5 + 2, "five ratios and two targets: {dom}");
    assert!(processes_matching("crabport-html-").is_empty());
}

/// Misbehaving HTTP servers on $PORT, by `argv[1]`; every one answers the
/// readiness probe's first bytes ("HTTP/") like a real server would.
const MISBEHAVING_JS: &str = r#"
const net = require("net"), http = require("http");
const kind = process.argv[2];
const port = Number(process.env.PORT);
const fast = (c, piece) => {
  const go = () => { while (!c.destroyed && c.write(piece)); };
  c.on("drain", go);
  go();
};
if (kind === "ok") {
  http.createServer((q, s) => s.end("ok")).listen(port);
} else if (kind === "endless-chunked") {
  http.createServer((q, s) => { s.writeHead(200); const t = setInterval(() => s.write("x"), 20); s.on("close", () => clearInterval(t)); }).listen(port);
} else {
  net.createServer((c) => {
    c.on("error", () => {});
    c.on("data", () => {
      if (kind === "stalled-body") c.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b");
      if (kind === "endless-headers") { c.write("HTTP/1.1 200 OK\r\n"); fast(c, "x-more: " + "h".repeat(1000) + "\r\n"); }
      if (kind === "closed-mid-body") { c.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\ncut short"); c.destroy(); }
      if (kind === "huge-body") { c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"); fast(c, "10000\r\n" + "x".repeat(65536) + "\r\n"); }
    });
  }).listen(port);
}
"#;

fn misbehaving() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("servers.js"), MISBEHAVING_JS).unwrap();
    dir
}

/// `crabport bench` in `dir` with short rounds: (exit code, stdout, stderr).
fn bench_in(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    bench_in_env(dir, &[], args)
}

fn bench_in_env(dir: &Path, env: &[(&str, &Path)], args: &[&str]) -> (Option<i32>, String, String) {
    let out = crabport()
        .arg("bench")
        .arg(dir)
        .current_dir(dir)
        .envs(env.iter().copied())
        .args([
            "--rounds",
            "1",
            "--duration",
            "1s",
            "--warmup",
            "0s",
            "-c",
            "2",
        ])
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

#[test]
fn a_target_that_never_completes_a_response_is_no_comparison_and_exits_2() {
    let dir = misbehaving();
    for (kind, error) in [
        ("endless-chunked", "timeout"),
        ("stalled-body", "timeout"),
        ("endless-headers", "head-too-large"),
        ("closed-mid-body", "closed"),
        ("huge-body", "body-too-large"),
    ] {
        let baseline = format!("node servers.js {kind}");
        let (code, stdout, stderr) = bench_in(
            dir.path(),
            &[
                "--baseline",
                &baseline,
                "--candidate",
                "node servers.js ok",
                "--timeout",
                "300ms",
                "--max-body",
                "1MiB",
                "--format",
                "json",
            ],
        );
        assert_eq!(code, Some(2), "{kind}: {stderr}");
        let report: Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("{kind}: not JSON ({e}): {stdout}; {stderr}"));
        let baseline = &report["targets"][0];
        assert_eq!(baseline["requests"], 0, "{kind}: {baseline}");
        let errors = baseline["errors_by_kind"][error].as_u64().unwrap_or(0);
        assert!(errors >= 2, "{kind}: {error} expected: {baseline}");
        assert_eq!(
            baseline["errors"], errors,
            "{kind}: only {error}: {baseline}"
        );
        assert_eq!(baseline["latency_ms"], Value::Null, "{kind}");
        assert_eq!(
            baseline["not_measured"]["cpu_ms_per_1k_requests"], "no-responses",
            "{kind}: {baseline}"
        );
        // The candidate was measured all the same.
        assert!(
            report["targets"][1]["requests"].as_u64().unwrap() > 10,
            "{kind}"
        );
        assert_eq!(report["no_result"]["reason"], "no-responses", "{kind}");
        assert_eq!(
            report["no_result"]["targets"],
            serde_json::json!(["baseline"])
        );
        assert_eq!(report["comparison"], serde_json::json!([]), "{kind}");
        let headline = report["summary"].as_str().unwrap();
        assert!(
            headline.starts_with("No comparison: the baseline completed no response")
                && headline.contains(&format!("{error} {errors}")),
            "{kind}: {headline}"
        );
        assert!(
            stderr.contains("error: no comparison: the baseline completed no response"),
            "{kind}: {stderr}"
        );
    }
    assert!(processes_matching("servers.js").is_empty());
}

#[test]
fn a_command_target_that_completed_nothing_says_so_not_that_it_is_a_url() {
    let dir = misbehaving();
    let (code, stdout, stderr) = bench_in(
        dir.path(),
        &[
            "--candidate",
            "node servers.js endless-chunked",
            "--timeout",
            "300ms",
        ],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stdout.starts_with("No result: the candidate completed no response in its only round"),
        "{stdout}"
    );
    let lines: Vec<&str> = stdout.lines().map(str::trim).collect();
    assert!(
        lines.contains(&"requests     0 in 1 rounds, 0 req/s (median)"),
        "{stdout}"
    );
    assert!(
        lines.contains(&"latency      not measured: no response completed"),
        "{stdout}"
    );
    assert!(
        lines.contains(&"CPU          not measured: no response completed"),
        "{stdout}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("errors       ") && l.contains("timeout")),
        "{stdout}"
    );
    assert!(!stdout.contains("URL target"), "{stdout}");
    // A URL target that answers: its CPU and memory are not measured
    // because crabport did not start it, and that is what it says.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = std::process::Command::new("node")
        .args(["servers.js", "ok"])
        .env("PORT", port.to_string())
        .current_dir(dir.path())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/");
    let up = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            up.elapsed() < Duration::from_secs(20),
            "node did not listen"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let (code, stdout, stderr) = bench_in(dir.path(), &["--candidate", &url]);
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(code, Some(0), "{stderr}");
    let lines: Vec<&str> = stdout.lines().map(str::trim).collect();
    assert!(
        lines.contains(&"CPU          not measured (a URL target: crabport did not start it)"),
        "{stdout}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("latency      p50 ")),
        "{stdout}"
    );
}

#[test]
fn an_unwritable_html_path_fails_before_any_build_or_target_starts() {
    let dir = misbehaving();
    std::fs::write(
        dir.path().join("crabport.toml"),
        "[bench]\nbaseline = \"touch started && node servers.js ok\"\n\n[bench.build.baseline]\nrun = \"touch built\"\n",
    )
    .unwrap();
    let started = Instant::now();
    let (code, _, stderr) = bench_in(dir.path(), &["--html", "/nonexistent-dir/report.html"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot write the HTML report to /nonexistent-dir/report.html"),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(!dir.path().join("built").exists(), "the build ran");
    assert!(!dir.path().join("started").exists(), "the target ran");
}

#[test]
fn an_html_report_that_cannot_be_written_at_the_end_goes_to_a_fallback_file() {
    let dir = misbehaving();
    let tmp = tempfile::tempdir().unwrap();
    // /dev/full opens for writing, then every write fails (ENOSPC).
    let (code, stdout, stderr) = bench_in_env(
        dir.path(),
        &[("TMPDIR", tmp.path())],
        &[
            "--candidate",
            "node servers.js ok",
            "--format",
            "json",
            "--html",
            "/dev/full",
        ],
    );
    assert_eq!(code, Some(2), "{stderr}");
    // The figures reached stdout all the same.
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert!(report["targets"][0]["requests"].as_u64().unwrap() > 10);
    let fallback = tmp
        .path()
        .read_dir()
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("crabport-bench-full-"))
        .unwrap_or_else(|| panic!("no fallback file in {}: {stderr}", tmp.path().display()));
    assert!(
        stderr.contains(&format!(
            "cannot write the HTML report to /dev/full: No space left on device (os error 28); it was written to {} instead",
            fallback.display()
        )),
        "{stderr}"
    );
    assert!(
        std::fs::read_to_string(&fallback)
            .unwrap()
            .contains("id=\"latency-plot\"")
    );
}

/// A project whose baseline is built from src/ into dist/ by a shell
/// command that logs each run.
fn project_with_a_build(run: &str) -> tempfile::TempDir {
    let dir = misbehaving();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::copy(
        dir.path().join("servers.js"),
        dir.path().join("src/server.js"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("crabport.toml"),
        format!(
            "[bench]\nbaseline = \"touch started && node dist/server.js ok\"\n\n[bench.build.baseline]\nrun = {run:?}\noutputs = [\"dist\"]\ninputs = [\"src\"]\n"
        ),
    )
    .unwrap();
    dir
}

fn builds(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("builds.log")).map_or(0, |log| log.lines().count())
}

#[test]
fn a_build_step_runs_when_its_outputs_are_missing_or_stale_and_is_skipped_when_fresh() {
    let dir = project_with_a_build(
        "echo built >> builds.log && mkdir -p dist && cp src/server.js dist/server.js",
    );
    let d = dir.path();
    let (code, _, stderr) = bench_in(d, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(builds(d), 1);
    assert!(
        stderr.contains("build baseline: `echo built >> builds.log"),
        "{stderr}"
    );
    assert!(stderr.contains("(dist does not exist)"), "{stderr}");

    let (code, _, stderr) = bench_in(d, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(builds(d), 1, "fresh: {stderr}");
    assert!(
        stderr.contains("build baseline: fresh, skipped (dist newer than src)"),
        "{stderr}"
    );

    // An input changed after the build.
    let later = std::time::SystemTime::now() + Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(d.join("src/server.js"))
        .unwrap()
        .set_modified(later)
        .unwrap();
    let (code, _, stderr) = bench_in(d, &["--no-build"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(builds(d), 1, "--no-build: {stderr}");
    assert!(
        stderr.contains("build baseline: skipped (--no-build)"),
        "{stderr}"
    );
    let (code, _, stderr) = bench_in(d, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(builds(d), 2, "stale: {stderr}");
    assert!(
        stderr.contains("(src/server.js is newer than dist/server.js)"),
        "{stderr}"
    );

    // A target given by flag replaces the configured one, and its build.
    let (code, _, stderr) = bench_in(d, &["--baseline", "node src/server.js ok"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("build baseline"), "{stderr}");
}

#[test]
fn a_failing_build_shows_its_output_and_exits_2_without_starting_targets() {
    let dir = project_with_a_build(
        "echo compiling; printf 'src/a.ts(1,7): error TS2322: \\033[31mnope\\n' >&2; exit 3",
    );
    let (code, stdout, stderr) = bench_in(dir.path(), &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("error: the baseline build `echo compiling;")
            && stderr.contains("failed (exit status: 3) in ")
            && stderr.contains("so no target was started; its last output:\n  | compiling\n  | src/a.ts(1,7): error TS2322: \\u{1b}[31mnope"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("started").exists(),
        "the target was started"
    );
}
