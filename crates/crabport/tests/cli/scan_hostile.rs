//! `crabport scan` on hostile and odd input, as a careful attacker would
//! write it: files nested deep enough to overflow a parser's stack, broken
//! suppressions, misspelt rule names in crabport.toml, and file names made of
//! the characters that break reports.

use std::path::Path;

use serde_json::Value;

use super::{assert_valid_sarif, crabport, report_of};

/// The seed's aliasing pattern: two findings in any scan that analysed it.
const NORMAL: &str = "let events = [];\nconst logInfo = () => events.push(\"info\");\nconst logWarn = () => events.push(\"warn\");\n";

fn scan_json(dir: &Path) -> (Option<i32>, Value, String) {
    let out = crabport()
        .args(["scan", "--format", "json"])
        .arg(dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e}); exit {:?}; stderr: {stderr}",
            out.status.code()
        )
    });
    (out.status.code(), report, stderr)
}

fn findings_of<'r>(report: &'r Value, file: &str) -> Vec<&'r str> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"] == file)
        .map(|f| f["rule"].as_str().unwrap())
        .collect()
}

/// One level per line, so no file looks minified and each is analysed or refused on its merits.
fn nested(open: &str, middle: &str, close: &str, depth: usize) -> String {
    format!(
        "{}{middle}{}\n",
        format!("{open}\n").repeat(depth),
        format!("{close}\n").repeat(depth)
    )
}

#[test]
fn ten_thousand_nested_parens_is_a_finding_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let deep = [
        (
            "parens.js",
            format!("x = {};", nested("(", "1", ")", 10_000)),
        ),
        (
            "arrays.js",
            format!("x = {};", nested("[", "1", "]", 10_000)),
        ),
        (
            "objects.js",
            format!("x = {};", nested("{a:", "1", "}", 10_000)),
        ),
        ("functions.js", nested("function f() {", "", "}", 10_000)),
        (
            "templates.js",
            format!("x = {};", nested("`${", "1", "}`", 5_000)),
        ),
        ("arrows.js", format!("x = {}1;\n", "a =>\n".repeat(10_000))),
    ];
    // Deep but analysable: recursion the nesting limit does not count runs on
    // a stack sized to the file.
    let allowed = [
        (
            "parens500.js",
            format!("{NORMAL}x = {};", nested("(", "1", ")", 500)),
        ),
        ("nots.js", format!("x = {}1;\n", "!\n".repeat(100_000))),
        (
            "ternaries.js",
            format!("x = {}c;\n", "a ? b :\n".repeat(20_000)),
        ),
        (
            "else-ifs.js",
            format!("if (a) {{}}\n{}", "else if (a) {}\n".repeat(20_000)),
        ),
        ("sums.js", format!("x = {}1;\n", "1 +\n".repeat(100_000))),
        (
            "jsx.jsx",
            format!("x = {};", nested("<a>", "", "</a>", 3_000)),
        ),
        (
            "types.ts",
            format!("type T = {};", nested("A<", "B", ">", 3_000)),
        ),
    ];
    for (name, text) in deep.iter().chain(&allowed) {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    std::fs::write(dir.path().join("normal.js"), NORMAL).unwrap();

    let (code, report, stderr) = scan_json(dir.path());
    assert_eq!(code, Some(0), "{stderr}");
    for (name, _) in &deep {
        let rules = findings_of(&report, name);
        assert_eq!(rules, ["too-deep"], "{name}");
    }
    let parens = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"] == "parens.js")
        .unwrap();
    assert_eq!(
        (parens["line"].as_u64(), parens["column"].as_u64()),
        (Some(1001), Some(1)),
        "where the limit is crossed"
    );
    for (name, _) in &allowed {
        assert!(
            !findings_of(&report, name).contains(&"too-deep"),
            "{name} was refused"
        );
        assert!(
            !findings_of(&report, name).contains(&"parse-error"),
            "{name} did not parse"
        );
    }
    assert_eq!(
        findings_of(&report, "parens500.js"),
        ["aliased-closure-mutation", "shared-module-state"],
        "a deep file under the limit is analysed"
    );
    assert_eq!(
        findings_of(&report, "normal.js"),
        ["aliased-closure-mutation", "shared-module-state"],
        "the other files are still reported"
    );
    assert_eq!(report["summary"]["files"], 14);

    // A lone deep file, which a thread pool might run on the calling thread.
    let lone = tempfile::tempdir().unwrap();
    std::fs::write(lone.path().join("sums.js"), &allowed[4].1).unwrap();
    let (code, report, stderr) = scan_json(lone.path());
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(report["summary"]["files"], 1);

    let out = crabport().args(["explain", "too-deep"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("too-deep (scan-file)"));
}

#[test]
fn unknown_rule_in_scan_disable_names_file_line_col() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.js"), NORMAL).unwrap();
    for (config, at, says) in [
        (
            "[scan]\ndisable = [\"explicit-any\", \"explict-any\"]\n",
            "crabport.toml:2:28",
            "unknown rule \"explict-any\" (did you mean \"explicit-any\"?)",
        ),
        (
            "[scan]\nseverity = { \"floating-promises\" = \"info\" }\n",
            "crabport.toml:2:14",
            "unknown rule \"floating-promises\" (did you mean \"floating-promise\"?)",
        ),
        (
            "[scan]\ndisable = [\"no-such-thing-at-all\"]\n",
            "crabport.toml:2:12",
            "unknown rule \"no-such-thing-at-all\";",
        ),
    ] {
        std::fs::write(dir.path().join("crabport.toml"), config).unwrap();
        let out = crabport().arg("scan").arg(dir.path()).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(at) && err.contains(says), "{config}: {err}");
    }
    // Codes that are not rules can be disabled too.
    std::fs::write(
        dir.path().join("crabport.toml"),
        "[scan]\ndisable = [\"invalid-suppression\", \"too-deep\"]\n",
    )
    .unwrap();
    assert!(
        crabport()
            .arg("scan")
            .arg(dir.path())
            .output()
            .unwrap()
            .status
            .success()
    );
}

#[test]
fn malformed_crabport_ignore_is_reported_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let source = "\
let events = [];
// crabport-ignore
const a = () => events.push(1);
// crabport-ignore aliased-closure-mutaton: typo
const b = () => events.push(2);
// crabport-ignore shared-module-state, no-such-rule: both listed
let counts = {}; const c = () => { counts.x = 1; };
// crabport-ignore shared-module-state
let more = {}; const d = () => { more.x = 1; };
/* crabport-ignore shared-module-state: a block comment */
let last = {}; const e = () => { last.x = 1; };
x(); // crabport-ignore shared-module-state: after code
// crabport-ignored shared-module-state: not the directive
";
    std::fs::write(dir.path().join("ignores.js"), source).unwrap();
    let (code, report, stderr) = scan_json(dir.path());
    assert_eq!(code, Some(0), "{stderr}");
    let invalid: Vec<(u64, u64, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "invalid-suppression")
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expect = [
        (2, 1, "it names no rule"),
        (
            4,
            20,
            "unknown rule \"aliased-closure-mutaton\" (did you mean `aliased-closure-mutation`?)",
        ),
        (6, 41, "unknown rule \"no-such-rule\""),
        (8, 1, "it gives no reason"),
        (10, 1, "only a `//` line comment suppresses"),
        (12, 6, "it follows code on its line"),
        (13, 4, "`crabport-ignored` is not a directive"),
    ];
    assert_eq!(invalid.len(), expect.len(), "{invalid:#?}");
    for ((line, column, message), (l, c, says)) in invalid.iter().zip(expect) {
        assert_eq!((*line, *column), (l, c), "{message}");
        assert!(message.contains(says), "{message}");
    }
    // The valid name in a comment that also names an unknown one still suppresses.
    let counts_flagged = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "shared-module-state" && f["line"] == 7);
    assert!(
        !counts_flagged,
        "shared-module-state on line 7 was not suppressed"
    );
    // It reaches every format, escaped.
    for format in ["terminal", "markdown", "sarif"] {
        let out = crabport()
            .args(["scan", "--format", format])
            .arg(dir.path())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("invalid-suppression"), "{format}: {text}");
    }
}

#[test]
fn sarif_uri_is_percent_encoded() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = "odd dir/a <b> `c` #d ?e %f ü\u{1b}[31m.js";
    std::fs::create_dir_all(dir.path().join("odd dir")).unwrap();
    std::fs::write(dir.path().join(hostile), NORMAL).unwrap();

    let log = report_of(crabport().arg("scan").arg(dir.path()), "sarif");
    assert_valid_sarif(&log);
    let uris: Vec<&str> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(uris.len(), 2);
    for uri in uris {
        assert_eq!(
            uri,
            "odd%20dir/a%20%3Cb%3E%20%60c%60%20%23d%20%3Fe%20%25f%20%C3%BC%1B%5B31m.js"
        );
    }
    // The other formats carry no raw escape character from the name.
    for format in ["terminal", "json", "markdown"] {
        let out = crabport()
            .args(["scan", "--format", format])
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            !out.stdout.contains(&0x1b),
            "{format} printed a raw ESC from a file name"
        );
    }
}
