//! The CLI as a user runs it. The index is the recorded cache under
//! tests/fixtures/index-cache (re-record with scripts/record-index-cache.sh),
//! read `--offline` with the clock pinned, so these tests are reproducible
//! and never touch the network.
#![allow(clippy::unwrap_used, clippy::print_stderr)] // test helpers panic on purpose

use std::path::{Path, PathBuf};

use assert_cmd::Command;

#[path = "cli/assess.rs"]
mod assess;
#[path = "cli/bench.rs"]
mod bench;
#[path = "cli/cargo_toml.rs"]
mod cargo_toml;
#[path = "cli/extract.rs"]
mod extract;
#[path = "cli/parity.rs"]
mod parity;
#[path = "cli/plan.rs"]
mod plan;
#[path = "cli/proxy.rs"]
mod proxy;
#[path = "cli/scan_hostile.rs"]
mod scan_hostile;
use serde_json::Value;

/// The day the recorded cache was made; staleness is judged from it, never
/// from the wall clock.
const RECORDED_AT: &str = include_str!("fixtures/index-cache/RECORDED_AT").trim_ascii_end();

/// The DOM of a local HTML file after headless Chromium has loaded it.
/// Chromium is required: the HTML reports are checked in a real browser.
fn rendered_dom(html: &Path) -> String {
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
    String::from_utf8_lossy(&dom.stdout).into_owned()
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn example() -> PathBuf {
    workspace_root().join("examples/metrics-service")
}

fn lockfile_fixture(name: &str) -> PathBuf {
    workspace_root()
        .join("crates/crabport_project/tests/fixtures/lockfiles")
        .join(name)
}

fn recorded_cache() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/index-cache")
}

fn crabport() -> Command {
    let mut cmd = Command::cargo_bin("crabport").unwrap();
    cmd.env("CRABPORT_NOW", RECORDED_AT)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .env_remove("CRABPORT_CACHE_DIR");
    cmd
}

/// `crabport audit <path> --offline` against the recorded cache.
fn audit(path: &Path) -> Command {
    let mut cmd = crabport();
    cmd.arg("audit")
        .arg(path)
        .arg("--offline")
        .arg("--cache-dir")
        .arg(recorded_cache());
    cmd
}

fn json_of(cmd: &mut Command) -> Value {
    report_of(cmd, "json")
}

/// The report `cmd` prints in `format` (json or sarif), after a successful run.
fn report_of(cmd: &mut Command, format: &str) -> Value {
    let out = cmd.arg("--format").arg(format).output().unwrap();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn schema_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(workspace_root().join("schemas/audit.schema.json")).unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

fn assert_valid(report: &Value) {
    let validator = schema_validator();
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "schema violations:\n{}",
        errors.join("\n")
    );
}

#[test]
fn help_lists_the_subcommands() {
    let out = crabport().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for sub in ["audit", "explain"] {
        assert!(text.contains(sub), "{sub} missing from --help:\n{text}");
    }
}

#[test]
fn example_audit_json_snapshot_and_schema() {
    let report = json_of(&mut audit(&example()));
    assert_valid(&report);
    insta::assert_json_snapshot!("metrics_service_audit", report, {
        ".index.oldest_cache_age_seconds" => "[age]",
        ".tool_version" => "[version]",
        ".packages[].knowledge.source" => "[knowledge file:line]",
    });
}

#[test]
fn example_audit_maps_the_migration_guide_stack() {
    let report = json_of(&mut audit(&example()));
    let status = |npm: &str| {
        report["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["npm"] == npm)
            .unwrap_or_else(|| panic!("{npm} not in report"))
            .clone()
    };
    assert_eq!(status("express")["status"], "equivalent");
    assert_eq!(status("express")["crates"][0]["name"], "axum");
    assert_eq!(status("@sendgrid/mail")["status"], "gap");
    assert_eq!(status("@sendgrid/mail")["gap_kind"], "vendor-sdk");
    assert_eq!(status("class-validator")["gap_kind"], "dynamic");
    assert_eq!(status("reflect-metadata")["gap_kind"], "dynamic");
    let pg = &status("pg")["crates"][0];
    assert_eq!(pg["name"], "sqlx");
    assert_eq!(
        pg["features"],
        serde_json::json!(["runtime-tokio", "postgres"])
    );
    assert_eq!(pg["state"], "ok");
    assert_eq!(report["summary"]["total"], 11);
    assert_eq!(report["summary"]["unknown"], 0);
    // Versions come from the real lockfile.
    assert_eq!(report["lockfile"]["format"], "npm-v3");
    assert!(
        status("express")["npm_version"]
            .as_str()
            .unwrap()
            .starts_with("5.")
    );
}

#[test]
fn example_terminal_report_snapshot() {
    let out = audit(&example()).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\x1b'), "NO_COLOR must strip colours");
    let text = regex_free_redact_age(&text);
    insta::assert_snapshot!("metrics_service_terminal", text);
}

/// The cache age depends on the checkout's file times.
fn regex_free_redact_age(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("from cache (oldest ") {
            Some(i) => format!(
                "{}from cache (oldest [age]){}",
                &l[..i],
                &l[l[i..].find(')').map_or(l.len(), |j| i + j + 1)..]
            ),
            None => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn cargo_toml_block_is_valid_and_complete() {
    let out = audit(&example()).arg("--cargo-toml").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let doc: toml::Table =
        toml::from_str(&text).unwrap_or_else(|e| panic!("invalid TOML: {e}\n{text}"));
    let deps = doc["dependencies"].as_table().unwrap();
    assert_eq!(
        doc.keys().collect::<Vec<_>>(),
        ["dependencies"],
        "only a [dependencies] table"
    );
    let features = |name: &str| -> Vec<String> {
        deps[name]["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(features("sqlx"), ["postgres", "runtime-tokio"]);
    assert_eq!(features("tokio"), ["full"]);
    assert_eq!(features("serde"), ["derive"]);
    assert_eq!(features("reqwest"), ["json"]);
    assert!(deps.contains_key("axum") && deps.contains_key("tracing"));
    // Versions are exact resolved releases, as `cargo add` writes them.
    let axum = deps["axum"].as_str().unwrap();
    assert_eq!(axum.split('.').count(), 3, "{axum}");
    // What stays in Node is explained in comments.
    assert!(
        text.contains("# @sendgrid/mail — gap (vendor-sdk)"),
        "{text}"
    );
    assert!(text.contains("# class-validator — gap (dynamic)"), "{text}");
}

#[test]
fn markdown_report_has_the_gaps() {
    let out = audit(&example())
        .args(["--format", "markdown"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("## crabport audit"));
    assert!(text.contains("### Stays in Node"));
    assert!(text.contains("| `@sendgrid/mail` | vendor-sdk |"), "{text}");
}

#[test]
fn fail_on_gap_exits_1_and_unknown_alone_exits_0() {
    audit(&example())
        .args(["--fail-on", "gap"])
        .assert()
        .code(1);
    audit(&example())
        .args(["--fail-on", "unknown,crate-problem"])
        .assert()
        .code(0);
}

/// Every lockfile format, made by the real tool, gives the same answer for the same project.
#[test]
fn every_lockfile_format_gives_the_same_audit() {
    let mut reference: Option<(Value, Value)> = None;
    for format in [
        "npm-v1",
        "npm-v2",
        "npm-v3",
        "yarn-classic",
        "yarn-berry",
        "pnpm-v5.3",
        "pnpm-v5",
        "pnpm-v6",
        "pnpm-v9",
    ] {
        let report = json_of(&mut audit(&lockfile_fixture(format)));
        assert_valid(&report);
        assert!(
            report["warnings"].as_array().unwrap().is_empty(),
            "{format}: {}",
            report["warnings"]
        );
        let mut packages: Vec<(String, String, String)> = report["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["npm"].as_str().unwrap().to_owned(),
                    p["npm_version"].as_str().unwrap_or("none").to_owned(),
                    p["dependency_kind"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        packages.sort();
        let natives: Vec<&str> = report["native_addons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["npm"].as_str().unwrap())
            .collect();
        assert_eq!(
            natives,
            ["bcrypt", "better-sqlite3", "fsevents", "sharp"],
            "{format}"
        );
        let packages = serde_json::to_value(packages).unwrap();
        let natives = serde_json::to_value(natives).unwrap();
        match &reference {
            None => reference = Some((packages, natives)),
            Some((p, n)) => {
                assert_eq!(&packages, p, "{format} resolves differently from npm-v1");
                assert_eq!(&natives, n, "{format}");
            }
        }
        if format != "npm-v1" {
            let names: Vec<&str> = report["workspaces"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w["name"].as_str().unwrap())
                .collect();
            assert_eq!(
                names,
                ["@fixture/api", "@fixture/worker"],
                "{format}: workspaces grouped per package"
            );
        }
    }
}

/// Copies a lockfile fixture (package.json files and lockfile) into a temp
/// dir, with a `.git` so no lockfile above it is picked up.
fn fixture_copy(name: &str) -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    copy(&lockfile_fixture(name), tmp.path());
    std::fs::create_dir(tmp.path().join(".git")).unwrap();
    tmp
}

fn add_dependencies(package_json: &Path, deps: &[(&str, &str)]) {
    let mut manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(package_json).unwrap()).unwrap();
    for (name, spec) in deps {
        manifest["dependencies"][*name] = Value::from(*spec);
    }
    std::fs::write(
        package_json,
        serde_json::to_string_pretty(&manifest).unwrap(),
    )
    .unwrap();
}

#[test]
fn package_json_out_of_sync_with_the_lockfile_warns_naming_the_packages() {
    for (format, lockfile) in [
        ("npm-v3", "package-lock.json"),
        ("yarn-classic", "yarn.lock"),
        ("yarn-berry", "yarn.lock"),
        ("pnpm-v5", "pnpm-lock.yaml"),
        ("pnpm-v9", "pnpm-lock.yaml"),
    ] {
        let tmp = fixture_copy(format);
        add_dependencies(
            &tmp.path().join("packages/api/package.json"),
            &[("left-pad", "^1.3.0"), ("zod", "^4.0.0")],
        );
        add_dependencies(
            &tmp.path().join("packages/worker/package.json"),
            &[("uuid", "^11.0.0")],
        );
        let report = json_of(&mut audit(tmp.path()));
        let warnings: Vec<&str> = report["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap())
            .filter(|w| w.contains("out of sync"))
            .collect();
        assert_eq!(
            warnings,
            [
                format!(
                    "{lockfile} does not list 2 dependencies of @fixture/api (packages/api): left-pad, zod; package.json and the lockfile are out of sync (run the package manager's install), so their versions are unknown"
                ),
                format!(
                    "{lockfile} does not list 1 dependency of @fixture/worker (packages/worker): uuid; package.json and the lockfile are out of sync (run the package manager's install), so their versions are unknown"
                ),
            ],
            "{format}"
        );
        // The audit still runs: the new dependencies are in it, without a version.
        let uuid = report["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["npm"] == "uuid")
            .unwrap();
        assert_eq!(uuid["npm_version"], Value::Null, "{format}");
        assert_eq!(uuid["status"], "equivalent", "{format}");
    }
}

#[test]
fn workspace_and_link_dependencies_are_listed_as_internal_packages() {
    for format in [
        "yarn-berry-protocols",
        "pnpm-v5-protocols",
        "pnpm-v6-protocols",
        "pnpm-v9-protocols",
    ] {
        let report = json_of(&mut audit(&lockfile_fixture(format)));
        assert_valid(&report);
        assert_eq!(
            report["internal_packages"],
            serde_json::json!([
                {"name": "@fixture/lib", "spec": "workspace:*", "workspace": "@fixture/app", "dependency_kind": "prod"},
                {"name": "linked", "spec": "link:../../linked", "workspace": "@fixture/app", "dependency_kind": "prod"},
            ]),
            "{format}"
        );
        let audited: Vec<&str> = report["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["npm"].as_str().unwrap())
            .collect();
        assert!(
            !audited.contains(&"@fixture/lib") && !audited.contains(&"linked"),
            "{format}: {audited:?}"
        );
        let text =
            String::from_utf8(audit(&lockfile_fixture(format)).output().unwrap().stdout).unwrap();
        assert!(
            text.contains("  · 2 internal packages (workspace:, link:; the project's own code, not audited): @fixture/lib, linked\n"),
            "{format}: {text}"
        );
        let out = audit(&lockfile_fixture(format))
            .args(["--format", "markdown"])
            .output()
            .unwrap();
        let markdown = String::from_utf8(out.stdout).unwrap();
        assert!(
            markdown.contains("**2** internal package(s) (workspace:, link:; the project's own code, not audited): `@fixture/lib`, `linked`."),
            "{format}: {markdown}"
        );
    }
}

/// Versions of non-registry and aliased dependencies, as their lockfiles record them.
#[test]
fn protocol_dependencies_get_their_locked_versions() {
    let versions = |format: &str| -> Vec<(String, String)> {
        let report = json_of(&mut audit(&lockfile_fixture(format)));
        assert!(
            !report["warnings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|w| w.as_str().unwrap().contains("out of sync")),
            "{format}: {}",
            report["warnings"]
        );
        let mut v: Vec<(String, String)> = report["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["npm"].as_str().unwrap().to_owned(),
                    p["npm_version"].as_str().unwrap_or("none").to_owned(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    };
    // yarn berry: `lodash: npm:^4.17.0`, a relative patch:, a file: directory.
    assert_eq!(
        versions("yarn-berry-protocols"),
        pairs(&[
            ("left-pad", "1.3.0"),
            ("lodash", "4.18.1"),
            ("ms", "2.1.3"),
            ("shared", "2.0.0")
        ])
    );
    // pnpm: a tarball URL, an npm: alias, a file: directory, a peer-suffixed package.
    for format in [
        "pnpm-v5-protocols",
        "pnpm-v6-protocols",
        "pnpm-v9-protocols",
    ] {
        assert_eq!(
            versions(format),
            pairs(&[
                ("left-pad", "1.3.0"),
                ("lodash", "4.17.21"),
                ("ms", "2.1.3"),
                ("react", "18.2.0"),
                ("react-dom", "18.2.0"),
                ("shared", "2.0.0")
            ]),
            "{format}"
        );
    }
}

#[test]
fn yarn_berry_key_longer_than_1024_chars_audits() {
    for format in ["yarn-berry-long-key-v3", "yarn-berry-long-key-v4"] {
        let report = json_of(&mut audit(&lockfile_fixture(format)));
        let packages = report["packages"].as_array().unwrap();
        assert_eq!(packages.len(), 51, "{format}");
        assert!(
            packages
                .iter()
                .all(|p| p["npm"] == "ms" && p["npm_version"] == "2.1.3"),
            "{format}"
        );
    }
}

#[test]
fn include_dev_lists_dev_dependencies_separately() {
    let report = json_of(audit(&lockfile_fixture("npm-v3")).arg("--include-dev"));
    let dev: Vec<&str> = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["dependency_kind"] == "dev")
        .map(|p| p["npm"].as_str().unwrap())
        .collect();
    assert_eq!(dev, ["prettier", "typescript"]);
    assert_eq!(report["dev_summary"]["total"], 2);
    // Production counts are unchanged by --include-dev.
    let without = json_of(&mut audit(&lockfile_fixture("npm-v3")));
    assert_eq!(report["summary"], without["summary"]);
}

#[test]
fn missing_package_json_is_exit_2_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let out = audit(tmp.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("package.json") && err.contains("no package.json here"),
        "{err}"
    );
}

#[test]
fn malformed_package_json_points_at_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("package.json"),
        "{\n  \"name\": \"x\",\n  \"dependencies\": {\"a\": 1}\n}\n",
    )
    .unwrap();
    let out = audit(tmp.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("package.json:3:25: invalid type: integer `1`, expected a string"),
        "{err}"
    );
}

#[test]
fn malformed_lockfile_is_exit_2_and_unknown_version_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join(".git")).unwrap();
    std::fs::write(
        tmp.path().join("package.json"),
        r#"{"dependencies":{"express":"^5"}}"#,
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("package-lock.json"),
        "{\"lockfileVersion\": 3,\n\"packages\": {,}}",
    )
    .unwrap();
    let out = audit(tmp.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("package-lock.json:2:"), "{err}");

    std::fs::write(
        tmp.path().join("package-lock.json"),
        r#"{"lockfileVersion": 99}"#,
    )
    .unwrap();
    let out = audit(tmp.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("lockfileVersion 99 is not supported"), "{err}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["packages"][0]["npm"], "express");
    assert_eq!(report["packages"][0]["npm_version"], Value::Null);
}

#[test]
fn offline_without_cache_reports_unavailable_never_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = crabport();
    cmd.arg("audit")
        .arg(example())
        .args(["--offline", "--format", "json", "--cache-dir"])
        .arg(tmp.path());
    let out = cmd.output().unwrap();
    assert!(out.status.success());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let states: std::collections::BTreeSet<&str> = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["crates"].as_array().unwrap().iter())
        .map(|c| c["state"].as_str().unwrap())
        .collect();
    assert_eq!(states.into_iter().collect::<Vec<_>>(), ["unavailable"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not missing"));
}

#[test]
fn unreachable_registry_degrades_to_the_cache_with_a_warning() {
    // A registry replacement that refuses connections: every lookup fails fast,
    // and the (expired) cache answers.
    let tmp = tempfile::tempdir().unwrap();
    let cargo_home = tmp.path().join("cargo-home");
    std::fs::create_dir_all(&cargo_home).unwrap();
    std::fs::write(
        cargo_home.join("config.toml"),
        "[source.crates-io]\nreplace-with = \"mirror\"\n[source.mirror]\nregistry = \"sparse+http://127.0.0.1:9/index/\"\n",
    )
    .unwrap();
    let cache = tmp.path().join("cache");
    let out = crabport()
        .env("CARGO_HOME", &cargo_home)
        .arg("audit")
        .arg(example())
        .args([
            "--format",
            "json",
            "--cache-ttl",
            "0s",
            "--timeout",
            "2s",
            "--cache-dir",
        ])
        .arg(&cache)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["index"]["url"], "http://127.0.0.1:9/index/");
    assert!(report["index"]["unavailable"].as_u64().unwrap() > 0);
    assert_eq!(report["index"]["fetched"], 0);
}

#[test]
fn explain_prints_status_docs_and_rejects_unknown_codes() {
    let out = crabport().args(["explain", "vendor-sdk"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("vendor-sdk (gap-kind)"), "{text}");
    assert!(text.contains("reqwest"));
    let out = crabport().arg("explain").output().unwrap();
    let list = String::from_utf8(out.stdout).unwrap();
    for code in [
        "equivalent",
        "partial",
        "std",
        "not-needed",
        "gap",
        "unknown",
        "stale",
        "missing",
        "native-addon",
    ] {
        assert!(list.contains(code), "{code} not listed");
    }
    crabport()
        .args(["explain", "no-such-code"])
        .assert()
        .code(2);
}

#[test]
fn closed_pipe_exits_quietly() {
    use std::io::Read as _;
    use std::process::Stdio;
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("crabport"))
        .env("CRABPORT_NOW", RECORDED_AT)
        .arg("audit")
        .arg(example())
        .args(["--offline", "--cache-dir"])
        .arg(recorded_cache())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "exit {status:?}: {err}");
    assert!(!err.contains("error"), "{err}");
}

#[test]
fn untrusted_names_are_escaped_in_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join(".git")).unwrap();
    std::fs::write(
        tmp.path().join("package.json"),
        r#"{"name":"evil\u001b[2J","dependencies":{"x|<script>`y":"1.0.0"}}"#,
    )
    .unwrap();
    let terminal = String::from_utf8(audit(tmp.path()).output().unwrap().stdout).unwrap();
    assert!(!terminal.contains('\x1b'), "{terminal:?}");
    let markdown = String::from_utf8(
        audit(tmp.path())
            .args(["--format", "markdown"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        !markdown.chars().any(|c| c.is_control() && c != '\n'),
        "{markdown:?}"
    );
    // The name sits in a code span (rendered literally) and cannot break the table row.
    let row = markdown
        .lines()
        .find(|l| l.contains("script") && l.starts_with("| "))
        .unwrap();
    assert_eq!(row.matches('|').count(), 7, "{row}");
    assert!(row.contains("`x¦<script>'y`"), "{row}");
    let toml_text = String::from_utf8(
        audit(tmp.path())
            .arg("--cargo-toml")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    toml::from_str::<toml::Table>(&toml_text).unwrap();
}

/// A real HTTP server standing in for the npm registry: answers `requests`
/// connections, each with the body whose request-line fragment matches (404
/// otherwise).
fn fake_npm_registry(
    requests: usize,
    routes: &[(&'static str, &'static str)],
) -> (u16, std::thread::JoinHandle<()>) {
    use std::io::{BufRead as _, BufReader, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let routes = routes.to_vec();
    let server = std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let mut stream = stream.unwrap();
            let mut request_line = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            reader.read_line(&mut request_line).unwrap();
            // Drain the headers.
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap() > 2 {
                line.clear();
            }
            let body = routes
                .iter()
                .find(|(fragment, _)| request_line.contains(fragment))
                .map_or("", |(_, body)| body);
            let status = if body.is_empty() {
                "404 Not Found"
            } else {
                "200 OK"
            };
            write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
        }
    });
    (port, server)
}

/// `crabport audit --npm-hints --format json` against the fake registry on `port`.
fn npm_hints_audit(
    port: u16,
    dir: &Path,
    server: std::thread::JoinHandle<()>,
    extra: &[&str],
) -> Value {
    let out = crabport()
        .env("npm_config_registry", format!("http://127.0.0.1:{port}"))
        .arg("audit")
        .arg(dir)
        .args(["--npm-hints", "--format", "json"])
        .args(extra)
        .arg("--cache-dir")
        .arg(dir.join("index-cache"))
        .output()
        .unwrap();
    server.join().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Keywords in the published package.json that name a package the knowledge
/// base maps (here `redis` and `ioredis`) propose those crates, unverified,
/// and never change the status.
#[test]
fn npm_metadata_proposes_unverified_candidate_crates() {
    let (port, server) = fake_npm_registry(
        1,
        &[(
            "/@zz%2fcache-kit/latest ",
            r#"{"name":"@zz/cache-kit","keywords":["cache","Redis","ioredis","typescript"]}"#,
        )],
    );
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join(".git")).unwrap();
    std::fs::write(
        tmp.path().join("package.json"),
        r#"{"dependencies":{"@zz/cache-kit":"^2"}}"#,
    )
    .unwrap();
    let report = npm_hints_audit(port, tmp.path(), server, &[]);
    let package = &report["packages"][0];
    assert_eq!(package["status"], "unknown");
    let candidates: Vec<&Value> = package["hints"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["kind"] == "candidate-crate")
        .collect();
    assert_eq!(candidates.len(), 2, "{package}");
    assert!(candidates.iter().all(|h| h["verified"] == false));
    let first = candidates[0]["message"].as_str().unwrap();
    assert!(
        first.contains("`redis`") && first.contains("knowledge/database.toml:"),
        "{first}"
    );
    assert!(
        candidates[1]["message"]
            .as_str()
            .unwrap()
            .contains("`ioredis`")
    );
    assert_valid(&report);
}

/// `--npm-hints` against a real HTTP server standing in for the registry.
#[test]
fn npm_hints_come_from_the_registry_and_are_unverified() {
    let (port, server) = fake_npm_registry(
        2,
        &[
            (
                "/zz-native-thing/1.2.3 ",
                r#"{"name":"zz-native-thing","version":"1.2.3","gypfile":true}"#,
            ),
            (
                "/@zz%2fwidget/latest ",
                r#"{"name":"@zz/widget","peerDependencies":{"react":"^19"},"deprecated":"use @zz/widget2"}"#,
            ),
        ],
    );

    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join(".git")).unwrap();
    std::fs::write(
        tmp.path().join("package.json"),
        r#"{"dependencies":{"zz-native-thing":"1.2.3","@zz/widget":"^1"}}"#,
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("package-lock.json"),
        r#"{"lockfileVersion":3,"packages":{"":{"dependencies":{"zz-native-thing":"1.2.3"}},"node_modules/zz-native-thing":{"version":"1.2.3"}}}"#,
    )
    .unwrap();
    let report = npm_hints_audit(port, tmp.path(), server, &["--concurrency", "1"]);
    let hints = |npm: &str| -> Vec<(String, bool)> {
        report["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["npm"] == npm)
            .unwrap()["hints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h["kind"].as_str().unwrap().to_owned(),
                    h["verified"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(
        hints("zz-native-thing"),
        [("native-addon".to_owned(), false)]
    );
    assert_eq!(
        hints("@zz/widget"),
        [
            ("browser-package".to_owned(), false),
            ("deprecated".to_owned(), false)
        ]
    );
    assert_eq!(
        report["summary"]["unknown"], 2,
        "hints never change the status"
    );
}

/// A snapshot no test asserts any more is a stale claim about the output.
#[test]
fn no_orphaned_snapshots() {
    let source = include_str!("cli.rs");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    for entry in std::fs::read_dir(dir).unwrap() {
        let file = entry.unwrap().file_name().into_string().unwrap();
        let Some(name) = file
            .strip_prefix("cli__")
            .and_then(|f| f.strip_suffix(".snap"))
        else {
            panic!("unexpected file in tests/snapshots: {file}");
        };
        assert!(
            source.contains(&format!("\"{name}\"")),
            "orphaned snapshot {file}"
        );
    }
}

fn scan_fixtures() -> PathBuf {
    workspace_root().join("crates/crabport_scan/tests/fixtures")
}

#[test]
fn scan_migration_guide_metrics_reports_its_findings_in_json() {
    let out = crabport()
        .args(["scan", "--format", "json"])
        .arg(scan_fixtures().join("migration-guide"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let metrics: Vec<(String, u64, u64)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"] == "metrics.ts")
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        metrics,
        [
            ("shared-module-state".to_owned(), 2, 7),
            ("aliased-closure-mutation".to_owned(), 7, 7),
            ("shared-module-state".to_owned(), 7, 7),
        ]
    );
    for field in [
        "rule",
        "severity",
        "confidence",
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
        "message",
        "help",
    ] {
        assert!(
            report["findings"][0].get(field).is_some(),
            "findings[] lacks {field}"
        );
    }
    assert_eq!(report["summary"]["files"], 2);
}

#[test]
fn scan_fail_on_severity_and_terminal_code_frames() {
    let guide = scan_fixtures().join("migration-guide");
    crabport()
        .arg("scan")
        .arg(&guide)
        .args(["--fail-on", "error"])
        .assert()
        .code(1);
    let out = crabport()
        .arg("scan")
        .arg(guide.join("metrics_fixed.ts"))
        .args(["--fail-on", "error"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("warning[shared-module-state]"), "{text}");
    assert!(text.contains("2 | const events: string[] = [];"), "{text}");
    assert!(text.contains("  |       ^^^^^^"), "{text}");
}

#[test]
fn scan_bad_input_is_exit_2() {
    crabport().args(["scan", "/no/such/dir"]).assert().code(2);
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("crabport.toml"),
        "[scan]\ndisable = [\"no-such-rule\"]\n",
    )
    .unwrap();
    let out = crabport().arg("scan").arg(tmp.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown rule \"no-such-rule\""));
}

#[test]
fn explain_prints_a_rule_with_its_rust() {
    let out = crabport()
        .args(["explain", "aliased-closure-mutation"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("error[E0499]"), "{text}");
    assert!(
        text.contains("let mut log = |level: &str| events.push(level.to_string());"),
        "{text}"
    );
}

/// The official SARIF 2.1.0 schema (see `tests/fixtures/sarif/README.md`).
fn sarif_schema() -> Value {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sarif/sarif-schema-2.1.0.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn assert_valid_sarif(log: &Value) {
    let validator = jsonschema::validator_for(&sarif_schema()).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF schema violations:\n{}",
        errors.join("\n")
    );
}

#[test]
fn scan_sarif_is_valid_sarif_2_1_0_with_rules_and_fingerprints() {
    let log = report_of(
        crabport()
            .arg("scan")
            .arg(scan_fixtures().join("migration-guide")),
        "sarif",
    );
    assert_valid_sarif(&log);
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["id"] == "aliased-closure-mutation"));
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    for r in results {
        let id = r["ruleId"].as_str().unwrap();
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], id);
        assert!(
            r["partialFingerprints"]["crabport/v1"]
                .as_str()
                .unwrap()
                .len()
                == 16
        );
    }
    // Fingerprints differ between distinct findings.
    let prints: std::collections::BTreeSet<&str> = results
        .iter()
        .map(|r| r["partialFingerprints"]["crabport/v1"].as_str().unwrap())
        .collect();
    assert_eq!(prints.len(), results.len());
}

#[test]
fn scan_markdown_summarises() {
    let out = crabport()
        .args(["scan", "--format", "markdown"])
        .arg(scan_fixtures().join("migration-guide"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("## crabport scan"));
    assert!(text.contains("| `shared-module-state` | 3 |"), "{text}");
}

/// Main stays green as the calendar moves: the CLI tests (audit, assess,
/// scan, explain, kb against the recorded index) pass two years on. Bench
/// measures real time, the Cargo.toml build test runs cargo, parity and
/// proxy build the example port and drive real servers with no calendar in
/// what they compare, and extract's builds download crates and npm packages
/// over TLS (whose certificates a faked clock sees as expired); all are
/// left out.
#[test]
fn gating_cli_tests_pass_with_the_clock_two_years_ahead() {
    let Some((passed, output)) = crabport_core::testing::rerun_ahead(
        730,
        &[
            "gating_cli_tests_pass",
            "bench::",
            "cargo_toml::",
            "parity::",
            "proxy::",
            "extract::every_supported",
            "extract::the_example",
        ],
    ) else {
        return;
    };
    assert!(passed, "two years ahead:\n{output}");
    assert!(output.contains("test result: ok."), "{output}");
}
