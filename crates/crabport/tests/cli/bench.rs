//! `crabport bench` against real services: the example's Node service and
//! its Rust port, started from the example's crabport.toml exactly as a
//! user runs it, and broken targets that must fail clearly and leave no
//! process behind.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{crabport, example};

/// Processes whose command line contains `needle`, other than this test's.
fn processes_matching(needle: &str) -> Vec<String> {
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

/// Builds the Node example as its README says, unless it is built already.
fn example_is_built() {
    let dir = example();
    if dir.join("dist/server.js").is_file() && dir.join("node_modules").is_dir() {
        return;
    }
    for args in [
        &["ci", "--no-audit", "--no-fund"][..],
        &["run", "build"][..],
    ] {
        let status = std::process::Command::new("npm")
            .args(args)
            .current_dir(&dir)
            .status()
            .unwrap_or_else(|e| {
                panic!(
                    "`npm {}` in {}: {e}; install Node.js 20+ with npm",
                    args.join(" "),
                    dir.display()
                )
            });
        assert!(
            status.success(),
            "`npm {}` failed in {}",
            args.join(" "),
            dir.display()
        );
    }
}

#[test]
fn bench_of_the_example_measures_both_targets_and_leaves_nothing_behind() {
    example_is_built();
    let out = crabport()
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
        assert!(lo <= hi && lo > 0.0 && r > 0.0, "{c}");
        assert!(c["significant"].is_boolean(), "{c}");
    }
    // The example's [[service]] goal, restated as a bench check, was checked.
    assert!(report["goal"]["expression"].is_string(), "{report}");
    assert_eq!(
        out.status.code(),
        Some(if report["goal"]["met"] == true { 0 } else { 1 })
    );

    let left = processes_matching("dist/server.js");
    assert!(left.is_empty(), "Node service left running: {left:?}");
    let left = processes_matching("release/metrics-service");
    assert!(left.is_empty(), "Rust port left running: {left:?}");
}

fn bench(args: &[&str]) -> (Option<i32>, String, Duration) {
    let started = Instant::now();
    let out = crabport()
        .arg("bench")
        .arg(std::env::temp_dir())
        .args(["--rounds", "1", "--duration", "1s", "--warmup", "0s"])
        .args(args)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        started.elapsed(),
    )
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
    let browser = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            std::process::Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect(
            "the HTML test renders in a real Chromium: apt-get install chromium (.ci/run does)",
        );
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
    let dom = std::process::Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"])
        .arg(
            format!("file://{}", html.display())
                .replace(' ', "%20")
                .replace('<', "%3C")
                .replace('>', "%3E"),
        )
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("id=\"latency-plot\""), "{dom}");
    for target in ["baseline", "candidate"] {
        let series = format!("class=\"series\" data-target=\"{target}\" fill=\"none\"");
        assert!(dom.contains(&series), "{target} line missing: {dom}");
    }
    let ratio_rows = dom.matches("<tr><td>").count();
    assert_eq!(ratio_rows, 5 + 2, "five ratios and two targets: {dom}");
    assert!(processes_matching("crabport-html-").is_empty());
}
