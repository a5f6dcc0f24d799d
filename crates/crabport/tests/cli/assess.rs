//! `crabport assess` on exercise 3 of the migration guide's page "Common Migration Challenges", built from real evidence: four
//! services in a git repository whose history the test writes with fixed
//! dates, CPU profiles recorded by running real Node programs under
//! `node --cpu-prof`, real package.json dependencies audited against the
//! recorded index, and the facts a team would declare in crabport.toml.
//! No verdict is written down anywhere but in the assertions.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::sync::OnceLock;

use serde_json::Value;

use super::{RECORDED_AT, crabport, recorded_cache};

fn fixture_tree() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/assess")
}

/// A `node` that records profiles with the real clock: under libfaketime
/// (the two-years-ahead re-run) V8's sampler misbehaves, and a profile is an
/// input recorded beforehand, not something crabport's clock decides.
fn node_command() -> Process {
    let mut cmd = Process::new(node());
    cmd.env_remove("LD_PRELOAD");
    cmd
}

fn node() -> &'static str {
    let ok = Process::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "these tests record CPU profiles with a real `node` (20+); install Node.js"
    );
    "node"
}

/// The two profiles, recorded once per test run: the CPU-bound transformer
/// at full load, and the vendor wrapper awaiting a slow local HTTP server.
fn profiles() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let tree = fixture_tree();
        let status = node_command()
            .args(["--cpu-prof", "--cpu-prof-name=transformer.cpuprofile"])
            .arg("--cpu-prof-dir")
            .arg(&dir)
            .arg(tree.join("services/transformer/src/transform.js"))
            .env("RUN_MS", "1500")
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "the transformer failed to run");

        let mut vendor = node_command()
            .arg(tree.join("services/vendor-wrapper/src/slow-vendor.js"))
            .env("DELAY_MS", "60")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut port = String::new();
        BufReader::new(vendor.stdout.take().unwrap())
            .read_line(&mut port)
            .unwrap();
        let status = node_command()
            .args(["--cpu-prof", "--cpu-prof-name=vendor-wrapper.cpuprofile"])
            .arg("--cpu-prof-dir")
            .arg(&dir)
            .arg(tree.join("services/vendor-wrapper/src/wrapper.js"))
            .env("VENDOR_URL", format!("http://127.0.0.1:{}", port.trim()))
            .env("REQUESTS", "20")
            .stdout(Stdio::null())
            .status();
        let _ = vendor.kill();
        let _ = vendor.wait();
        assert!(
            status.unwrap().success(),
            "the vendor wrapper failed to run"
        );
        dir
    })
}

/// One git commit with fixed author, dates and message, of everything staged.
pub(super) struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    /// An empty repository on branch `main`.
    pub(super) fn new() -> Self {
        let repo = Repo {
            dir: tempfile::tempdir().unwrap(),
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    pub(super) fn git(&self, args: &[&str]) {
        let out = Process::new("git")
            .args(args)
            .current_dir(self.dir.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Appends a line to `file` and commits it as `who` on `date`.
    pub(super) fn change(&self, file: &str, who: &str, date: &str, message: &str) {
        let path = self.dir.path().join(file);
        let mut text = std::fs::read_to_string(&path).unwrap_or_default();
        text.push_str(&format!("// {date}: {message}\n"));
        std::fs::write(&path, text).unwrap();
        self.commit(who, date, message);
    }

    pub(super) fn commit(&self, who: &str, date: &str, message: &str) {
        self.git(&["add", "-A"]);
        let email = format!("{}@acme.test", who.to_lowercase());
        let out = Process::new("git")
            .args(["commit", "-q", "-m", message])
            .current_dir(self.dir.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", who)
            .env("GIT_AUTHOR_EMAIL", &email)
            .env("GIT_COMMITTER_NAME", who)
            .env("GIT_COMMITTER_EMAIL", &email)
            .env("GIT_AUTHOR_DATE", format!("{date}T10:00:00Z"))
            .env("GIT_COMMITTER_DATE", format!("{date}T10:00:00Z"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git commit: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub(super) fn path(&self) -> &Path {
        self.dir.path()
    }
}

pub(super) fn copy_tree(from: &Path, to: &Path) {
    copy_tree_except(from, to, &|_| false);
}

/// [`copy_tree`] without the entries (at any depth) `skip` names.
pub(super) fn copy_tree_except(from: &Path, to: &Path, skip: &dyn Fn(&str) -> bool) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if skip(&entry.file_name().to_string_lossy()) {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree_except(&entry.path(), &target, skip);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Days as `YYYY-MM-DD`, counting back from the pinned clock (2026-11-24).
pub(super) fn days_ago(days: i64) -> String {
    let now: jiff::Timestamp = RECORDED_AT.parse().unwrap();
    let date = now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    date.checked_sub(jiff::Span::new().days(days))
        .unwrap()
        .to_string()
}

/// The test repository: three services with two years of calm history by
/// four people, and an admin tool started six weeks ago by one engineer who
/// commits to it almost daily.
fn repository() -> Repo {
    let repo = Repo::new();
    let tree = fixture_tree();
    for service in [
        "services/transformer",
        "services/vendor-wrapper",
        "packages/billing",
    ] {
        std::fs::create_dir_all(repo.path().join(service)).unwrap();
        copy_tree(&tree.join(service), &repo.path().join(service));
    }
    std::fs::create_dir_all(repo.path().join("profiles")).unwrap();
    for p in ["transformer.cpuprofile", "vendor-wrapper.cpuprofile"] {
        std::fs::copy(profiles().join(p), repo.path().join("profiles").join(p)).unwrap();
    }
    repo.commit(
        "Ana",
        &days_ago(900),
        "Initial import of the platform services",
    );
    let people = ["Ana", "Ben", "Chen", "Dara"];
    // Calm maintenance: one commit a fortnight or so, spread over the team.
    for (i, days) in (30..880_i32).step_by(23).rev().enumerate() {
        let who = people[i % people.len()];
        let file = match i % 3 {
            0 => "services/transformer/src/transform.js",
            1 => "services/vendor-wrapper/src/wrapper.js",
            _ => "packages/billing/src/invoice.js",
        };
        repo.change(file, who, &days_ago(i64::from(days)), "Routine maintenance");
    }
    repo.change(
        "packages/billing/src/invoice.js",
        "Ben",
        &days_ago(266),
        "Fix rounding of invoice totals (off by a cent)",
    );
    repo.change(
        "packages/billing/src/invoice.js",
        "Chen",
        &days_ago(106),
        "Guard against undefined discount lines",
    );
    // The admin tool: six weeks old, one owner, a change almost every day.
    std::fs::create_dir_all(repo.path().join("services/admin")).unwrap();
    copy_tree(
        &tree.join("services/admin"),
        &repo.path().join("services/admin"),
    );
    repo.commit("Eve", &days_ago(42), "Admin tool: first version");
    for days in (1..42_i64).rev().step_by(2) {
        repo.change(
            "services/admin/src/app.js",
            "Eve",
            &days_ago(days),
            "Admin: new screen",
        );
    }
    repo
}

/// crabport.toml with the facts a team declares, in the words of exercise 3.
struct Facts {
    transformer: &'static str,
    wrapper: &'static str,
    admin: &'static str,
    billing: &'static str,
}

impl Default for Facts {
    fn default() -> Self {
        Self {
            transformer: r#"profile = "profiles/transformer.cpuprofile"
hot_path = true
goal = "cut p99 from 180 ms to under 50 ms""#,
            wrapper: r#"profile = "profiles/vendor-wrapper.cpuprofile"
sidecar_ok = false
goal = "cut p99 from 900 ms to under 300 ms""#,
            admin: "",
            billing: format!(
                r#"goal = "zero rounding incidents for two quarters"
incidents = [
  {{ date = "{march}", kind = "rounding", summary = "invoice off by a cent" }},
  {{ date = "{august}", kind = "null-undefined", summary = "discount applied to a missing line" }},
]"#,
                march = days_ago(267),
                august = days_ago(106)
            )
            .leak(),
        }
    }
}

fn write_config(repo: &Repo, facts: &Facts) {
    let text = format!(
        r#"[[service]]
name = "json-transformer"
path = "services/transformer"
{}

[[service]]
name = "vendor-wrapper"
path = "services/vendor-wrapper"
{}

[[service]]
name = "admin-tool"
path = "services/admin"
{}

[[service]]
name = "billing"
path = "packages/billing"
{}
"#,
        facts.transformer, facts.wrapper, facts.admin, facts.billing
    );
    std::fs::write(repo.path().join("crabport.toml"), text).unwrap();
}

fn assess(dir: &Path) -> assert_cmd::Command {
    let mut cmd = crabport();
    cmd.arg("assess")
        .arg(dir)
        .arg("--offline")
        .arg("--cache-dir")
        .arg(recorded_cache());
    cmd
}

fn assess_json(dir: &Path) -> Value {
    let out = assess(dir).args(["--format", "json"]).output().unwrap();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// (verdict, primary reason) per service, in crabport.toml's order.
fn verdicts(report: &Value) -> Vec<(String, String, String)> {
    report["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_owned(),
                s["verdict"].as_str().unwrap().to_owned(),
                s["primary_reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn verdict_of(report: &Value, name: &str) -> (String, String) {
    let s = service(report, name);
    (
        s["verdict"].as_str().unwrap().to_owned(),
        s["primary_reason"].as_str().unwrap().to_owned(),
    )
}

fn service<'r>(report: &'r Value, name: &str) -> &'r Value {
    report["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap()
}

fn reason_codes(s: &Value) -> Vec<&str> {
    s["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect()
}

fn pair(verdict: &str, reason: &str) -> (String, String) {
    (verdict.to_owned(), reason.to_owned())
}

#[test]
fn exercise_three_from_real_evidence() {
    let repo = repository();
    write_config(&repo, &Facts::default());
    let report = assess_json(repo.path());
    let got: Vec<(String, String, String)> = verdicts(&report);
    let want: Vec<(String, String, String)> = [
        ("json-transformer", "migrate-now", "cpu-bound"),
        ("vendor-wrapper", "do-not-migrate", "node-only-sdk"),
        ("admin-tool", "migrate-later", "churn"),
        ("billing", "migrate-now", "correctness"),
    ]
    .iter()
    .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
    .collect();
    assert_eq!(got, want);

    // The evidence behind each verdict is in the report, measured.
    let transformer = service(&report, "json-transformer");
    let profile = &transformer["evidence"]["profile"];
    assert_eq!(profile["classification"], "cpu-bound");
    assert!(profile["busy_share"].as_f64().unwrap() >= 0.7, "{profile}");
    assert!(
        profile["hot_functions"][0]["file"]
            .as_str()
            .unwrap()
            .ends_with("transform.js"),
        "{profile}"
    );
    assert_eq!(
        transformer["bench_check"], "p99<50ms",
        "the goal restated as a bench check"
    );
    assert!(transformer["measure"].as_array().unwrap().iter().any(|m| {
        m.as_str()
            .unwrap()
            .contains("crabport bench --goal \"p99<50ms\"")
    }));

    let wrapper = service(&report, "vendor-wrapper");
    assert_eq!(wrapper["evidence"]["profile"]["classification"], "io-bound");
    assert!(
        wrapper["evidence"]["profile"]["idle_share"]
            .as_f64()
            .unwrap()
            >= 0.6
    );
    assert_eq!(
        wrapper["evidence"]["dependencies"]["node_only_sdks"][0]["npm"],
        "@sendgrid/mail"
    );
    assert!(
        reason_codes(wrapper).contains(&"io-bound"),
        "both reasons of the guide are cited"
    );

    let admin = service(&report, "admin-tool");
    let history = &admin["evidence"]["history"];
    assert!(history["age_days"].as_f64().unwrap() < 43.0, "{history}");
    let authors: Vec<u64> = history["windows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["distinct_authors"].as_u64().unwrap())
        .collect();
    assert!(authors.iter().all(|a| *a == 1), "{authors:?}");
    assert!(reason_codes(admin).contains(&"young-code"));

    let billing = service(&report, "billing");
    assert!(
        billing["evidence"]["history"]["correctness_signals"]
            .as_array()
            .unwrap()
            .len()
            >= 2,
        "the bug-fix commits are found in history"
    );
    assert!(billing["effort"]["weeks_high"].as_f64().unwrap() >= 8.0);
    assert!(billing["evidence"]["missing"][0]["evidence"] == "profile");

    // The other formats render the same decisions.
    let terminal = assess(repo.path()).output().unwrap();
    let text = String::from_utf8(terminal.stdout).unwrap();
    assert!(text.contains("MIGRATE NOW"), "{text}");
    assert!(
        text.contains("2 migrate-now, 1 migrate-later, 1 do-not-migrate"),
        "{text}"
    );
    let md = assess(repo.path())
        .args(["--format", "markdown"])
        .output()
        .unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(
        md.contains("| vendor-wrapper | **do-not-migrate** | `node-only-sdk` |"),
        "{md}"
    );
}

/// Change one fact, and the verdict moves exactly as the rules say.
#[test]
fn one_fact_changes_the_verdict_as_the_rules_say() {
    let repo = repository();
    let profiles = repo.path().join("profiles");

    // Service 2 made CPU-bound, still with a Node-only SDK and no sidecar:
    // the SDK still decides.
    std::fs::copy(
        profiles.join("transformer.cpuprofile"),
        profiles.join("wrapper-busy.cpuprofile"),
    )
    .unwrap();
    let busy_wrapper = r#"profile = "profiles/wrapper-busy.cpuprofile"
hot_path = true
sidecar_ok = false
goal = "cut p99 from 900 ms to under 300 ms""#;
    write_config(
        &repo,
        &Facts {
            wrapper: busy_wrapper,
            ..Facts::default()
        },
    );
    let report = assess_json(repo.path());
    assert_eq!(
        verdict_of(&report, "vendor-wrapper"),
        pair("do-not-migrate", "node-only-sdk")
    );
    assert_eq!(
        service(&report, "vendor-wrapper")["evidence"]["profile"]["classification"],
        "cpu-bound"
    );

    // … and with a sidecar allowed, CPU-bound on the hot path with a goal migrates.
    let sidecar = busy_wrapper.replace("sidecar_ok = false", "sidecar_ok = true");
    let sidecar: &'static str = Box::leak(sidecar.into_boxed_str());
    write_config(
        &repo,
        &Facts {
            wrapper: sidecar,
            ..Facts::default()
        },
    );
    let report = assess_json(repo.path());
    assert_eq!(
        verdict_of(&report, "vendor-wrapper"),
        pair("migrate-now", "cpu-bound")
    );
    assert!(reason_codes(service(&report, "vendor-wrapper")).contains(&"sidecar"));

    // The I/O-bound wrapper with a sidecar allowed: I/O-bound decides.
    write_config(
        &repo,
        &Facts {
            wrapper: r#"profile = "profiles/vendor-wrapper.cpuprofile"
sidecar_ok = true
goal = "cut p99 from 900 ms to under 300 ms""#,
            ..Facts::default()
        },
    );
    let report = assess_json(repo.path());
    assert_eq!(
        verdict_of(&report, "vendor-wrapper"),
        pair("do-not-migrate", "io-bound")
    );
    let measure = service(&report, "vendor-wrapper")["measure"].to_string();
    assert!(
        measure.contains("profile the database and downstream calls first"),
        "{measure}"
    );

    // Service 1 with a hype goal: never migrate-now without a number.
    write_config(
        &repo,
        &Facts {
            transformer: r#"profile = "profiles/transformer.cpuprofile"
hot_path = true
goal = "it'll be more modern""#,
            ..Facts::default()
        },
    );
    let report = assess_json(repo.path());
    assert_eq!(
        verdict_of(&report, "json-transformer"),
        pair("migrate-later", "no-measurable-goal")
    );

    // Service 1 off the hot path.
    write_config(
        &repo,
        &Facts {
            transformer: r#"profile = "profiles/transformer.cpuprofile"
goal = "cut p99 from 180 ms to under 50 ms""#,
            ..Facts::default()
        },
    );
    let report = assess_json(repo.path());
    assert_eq!(
        verdict_of(&report, "json-transformer"),
        pair("migrate-later", "not-hot-path")
    );

    // Service 4 with one incident: not repeated, so no correctness reason,
    // and without a profile there is no performance reason either.
    write_config(
        &repo,
        &Facts {
            billing: format!(
                r#"goal = "zero rounding incidents for two quarters"
incidents = [{{ date = "{march}", kind = "rounding", summary = "invoice off by a cent" }}]"#,
                march = days_ago(267)
            )
            .leak(),
            ..Facts::default()
        },
    );
    let report = assess_json(repo.path());
    assert_eq!(
        verdict_of(&report, "billing"),
        pair("migrate-later", "no-profile")
    );

    // Service 4 with two incidents of a class types do not prevent.
    write_config(
        &repo,
        &Facts {
            billing: format!(
                r#"goal = "zero rounding incidents for two quarters"
incidents = [
  {{ date = "{march}", kind = "outage", summary = "region down" }},
  {{ date = "{august}", kind = "latency", summary = "slow invoices" }},
]"#,
                march = days_ago(267),
                august = days_ago(106)
            )
            .leak(),
            ..Facts::default()
        },
    );
    let report = assess_json(repo.path());
    assert_eq!(
        verdict_of(&report, "billing"),
        pair("migrate-later", "no-profile")
    );

    // Service 3 once three more people work on it: no longer churn by a small team.
    write_config(&repo, &Facts::default());
    for (who, days) in [("Ben", 5), ("Chen", 4), ("Dara", 3)] {
        repo.change(
            "services/admin/src/app.js",
            who,
            &days_ago(days),
            "Admin: review fixes",
        );
    }
    let report = assess_json(repo.path());
    assert_eq!(
        verdict_of(&report, "admin-tool"),
        pair("migrate-later", "no-profile")
    );
    assert_eq!(
        verdict_of(&report, "billing"),
        pair("migrate-now", "correctness")
    );
}

#[test]
fn bad_input_is_a_positioned_error_or_a_limited_verdict() {
    let repo = repository();
    // A service path that does not exist: file, line and column.
    std::fs::write(
        repo.path().join("crabport.toml"),
        "[[service]]\nname = \"ghost\"\npath = \"services/ghost\"\n",
    )
    .unwrap();
    let out = assess(repo.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("crabport.toml:3:8"), "{err}");
    assert!(err.contains("services/ghost"), "{err}");

    // Malformed TOML.
    std::fs::write(repo.path().join("crabport.toml"), "[[service]]\nname = \n").unwrap();
    let out = assess(repo.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("crabport.toml:2:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // An unknown incident kind names the allowed ones.
    std::fs::write(
        repo.path().join("crabport.toml"),
        "[[service]]\nname = \"billing\"\npath = \"packages/billing\"\nincidents = [{ date = \"2026-03-02\", kind = \"rouding\" }]\n",
    )
    .unwrap();
    let out = assess(repo.path()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("crabport.toml:4:") && err.contains("rounding"),
        "{err}"
    );

    // A truncated profile: the profile's file, line and column.
    let text =
        std::fs::read_to_string(repo.path().join("profiles/transformer.cpuprofile")).unwrap();
    std::fs::write(
        repo.path().join("profiles/cut.cpuprofile"),
        &text[..text.len() / 2],
    )
    .unwrap();
    std::fs::write(
        repo.path().join("crabport.toml"),
        "[[service]]\nname = \"t\"\npath = \"services/transformer\"\nprofile = \"profiles/cut.cpuprofile\"\n",
    )
    .unwrap();
    let out = assess(repo.path()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cut.cpuprofile:1:") && err.contains("truncated"),
        "{err}"
    );

    // Not a git repository: history is optional evidence, so the verdict
    // says it is missing and what that costs.
    let plain = tempfile::tempdir().unwrap();
    copy_tree(&fixture_tree(), plain.path());
    let report = assess_json(plain.path());
    let names: Vec<&str> = report["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "@acme/billing",
            "admin-tool",
            "json-transformer",
            "vendor-wrapper"
        ],
        "no crabport.toml: each workspace package is a service"
    );
    let limits = report["services"][0]["limits"].to_string();
    assert!(
        limits.contains("no history") && limits.contains("churn"),
        "{limits}"
    );
}

#[test]
fn assess_verdict_does_not_depend_on_how_the_path_is_typed() {
    let repo = repository();
    write_config(&repo, &Facts::default());
    let parent = repo.path().parent().unwrap();
    let name = repo.path().file_name().unwrap().to_str().unwrap();
    let run = |arg: &str| -> Value {
        let out = assess(Path::new(arg))
            .current_dir(parent)
            .args(["--format", "json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{arg}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let absolute = run(repo.path().to_str().unwrap());
    assert_eq!(
        verdict_of(&absolute, "admin-tool"),
        pair("migrate-later", "churn"),
        "the absolute path sees the history"
    );
    for spelling in [
        name.to_owned(),
        format!("./{name}/"),
        format!("{name}/../{name}"),
    ] {
        assert_eq!(run(&spelling), absolute, "`crabport assess {spelling}`");
    }
}

#[test]
fn service_path_outside_the_project_is_refused() {
    let repo = repository();
    for path in ["/etc", "../../etc", "services/../.."] {
        std::fs::write(
            repo.path().join("crabport.toml"),
            format!("[[service]]\nname = \"out\"\npath = \"{path}\"\n"),
        )
        .unwrap();
        let out = assess(repo.path()).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{path}: {err}");
        assert!(
            err.contains("crabport.toml:3:8") && err.contains("outside the project"),
            "{path}: {err}"
        );
    }
}

#[test]
fn structured_and_ratio_goals_are_measurable_and_restated_for_bench() {
    let repo = repository();
    for (goal, check) in [
        (r#"{ metric = "p99", target = "50ms" }"#, "p99<50ms"),
        (r#""halve instance count""#, "cpu<0.5x"),
    ] {
        write_config(
            &repo,
            &Facts {
                transformer: format!(
                    "profile = \"profiles/transformer.cpuprofile\"\nhot_path = true\ngoal = {goal}"
                )
                .leak(),
                ..Facts::default()
            },
        );
        let report = assess_json(repo.path());
        assert_eq!(
            verdict_of(&report, "json-transformer"),
            pair("migrate-now", "cpu-bound"),
            "{goal}"
        );
        let service = &report["services"][0];
        assert_eq!(service["bench_check"], check, "{goal}");
    }
    // A structured goal with a metric crabport does not know: its position.
    write_config(
        &repo,
        &Facts {
            transformer: r#"goal = { metric = "speed", target = "2x" }"#,
            ..Facts::default()
        },
    );
    let out = assess(repo.path()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("crabport.toml:4:8") && err.contains("unknown goal metric \"speed\""),
        "{err}"
    );
}
