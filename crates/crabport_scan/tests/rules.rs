//! Fixtures per rule (fail and pass), snapshot-tested, and the must-holds of the migration guide.

#![allow(clippy::unwrap_used)] // test helpers panic on purpose

use std::path::{Path, PathBuf};

use crabport_core::finding::Severity;
use crabport_scan::{ScanOptions, scan};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// `rule  file:line:col  message` for every finding in `path`.
fn findings(path: &str) -> Vec<String> {
    let file = fixtures().join(path);
    let report = scan(&fixtures(), &[file], &ScanOptions::default(), &|| {}).unwrap();
    report
        .findings
        .iter()
        .map(|f| {
            format!(
                "{}  {}:{}:{}  {}",
                f.rule, f.file, f.line, f.column, f.message
            )
        })
        .collect()
}

#[test]
fn migration_guide_metrics_ts_gives_exactly_its_findings() {
    assert_eq!(
        findings("migration-guide/metrics.ts"),
        [
            "shared-module-state  migration-guide/metrics.ts:2:7  module-level `counts` is mutated from recordHit (member write)",
            "aliased-closure-mutation  migration-guide/metrics.ts:7:7  `events` is captured and mutated by 2 closures: logInfo and logWarn",
            "shared-module-state  migration-guide/metrics.ts:7:7  module-level `events` is mutated from logInfo (.push()) and logWarn (.push())",
        ]
    );
}

#[test]
fn migration_guide_fix_has_no_aliasing() {
    assert!(
        !findings("migration-guide/metrics_fixed.ts")
            .iter()
            .any(|f| f.starts_with("aliased-closure-mutation"))
    );
}

/// Checks every fixture of `code`: each `fail*.{ts,js,…}` must give findings
/// of the rule, snapshot-tested with severity and help; each `pass*` none.
/// A rule has at least one of each; `fail-<class>.ts` beside `fail.ts` holds
/// one class of cases.
fn check_rule_fixtures(code: &str) {
    let (mut fails, mut passes) = (0, 0);
    for (name, stem) in &fixture_files(code) {
        let stem = stem.as_str();
        let path = format!("{code}/{name}");
        let own = own_findings(code, &path);
        if is_fail_fixture(stem) {
            fails += 1;
            assert!(!own.is_empty(), "{path} found nothing");
            insta::assert_snapshot!(format!("{code}-{stem}"), own.join("\n"));
        } else if stem == "pass" || stem.starts_with("pass-") {
            passes += 1;
            assert!(own.is_empty(), "{path}: {own:#?}");
        }
    }
    assert!(
        fails > 0 && passes > 0,
        "{code} needs fail and pass fixtures in {}",
        fixtures().join(code).display()
    );
}

/// `(file name, stem)` of each fixture of `code`, sorted; the stem is the
/// name up to its first dot (`fail-generics` of `fail-generics.ts`).
fn fixture_files(code: &str) -> Vec<(String, String)> {
    let dir = fixtures().join(code);
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .map(|name| {
            let stem = name
                .split_once('.')
                .map_or(name.as_str(), |(s, _)| s)
                .to_owned();
            (name, stem)
        })
        .collect();
    files.sort();
    files
}

fn is_fail_fixture(stem: &str) -> bool {
    stem == "fail" || stem.starts_with("fail-")
}

/// `file:line:col severity message` and the help under it, for the findings
/// of `code` in `path`.
fn own_findings(code: &str, path: &str) -> Vec<String> {
    let file = fixtures().join(path);
    let report = scan(&fixtures(), &[file], &ScanOptions::default(), &|| {}).unwrap();
    report
        .findings
        .iter()
        .filter(|f| f.rule == code)
        .map(|f| {
            format!(
                "{}:{}:{} {} {}\n  help: {}",
                f.file,
                f.line,
                f.column,
                f.severity.code(),
                f.message,
                f.help
            )
        })
        .collect()
}

/// One test per rule, so one rule runs alone (`cargo test -p crabport_scan
/// --test rules floating_promise`) and one failure hides no other.
macro_rules! rule_fixture_tests {
    ($($test:ident => $code:literal),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                check_rule_fixtures($code);
            }
        )*
        const TESTED_RULES: &[&str] = &[$($code),*];
    };
}

rule_fixture_tests! {
    shared_module_state => "shared-module-state",
    aliased_closure_mutation => "aliased-closure-mutation",
    mutation_during_iteration => "mutation-during-iteration",
    event_emitter_callbacks => "event-emitter-callbacks",
    cyclic_references => "cyclic-references",
    shared_memory_threads => "shared-memory-threads",
    floating_promise => "floating-promise",
    dynamic_code => "dynamic-code",
    runtime_reflection => "runtime-reflection",
    decorators => "decorators",
    explicit_any => "explicit-any",
    nullish_juggling => "nullish-juggling",
    float_money => "float-money",
    exception_control_flow => "exception-control-flow",
    prototype_inheritance => "prototype-inheritance",
}

#[test]
fn every_rule_has_its_fixture_test() {
    let mut codes: Vec<&str> = crabport_scan::rules::all().map(|r| r.code()).collect();
    let mut tested = TESTED_RULES.to_vec();
    codes.sort_unstable();
    tested.sort_unstable();
    assert_eq!(codes, tested, "add the rule to rule_fixture_tests!");
}

/// A snapshot no fail fixture produces any more is a stale claim about the
/// output.
#[test]
fn no_orphaned_snapshots() {
    let produced: std::collections::BTreeSet<String> = TESTED_RULES
        .iter()
        .flat_map(|code| {
            fixture_files(code)
                .into_iter()
                .filter(|(_, stem)| is_fail_fixture(stem))
                .map(move |(_, stem)| format!("rules__{code}-{stem}.snap"))
        })
        .collect();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    for entry in std::fs::read_dir(dir).unwrap() {
        let file = entry.unwrap().file_name().into_string().unwrap();
        assert!(produced.contains(&file), "orphaned snapshot {file}");
    }
}

#[test]
fn a_file_that_does_not_parse_is_a_finding_and_the_scan_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("broken.ts"), "const = ;\n").unwrap();
    std::fs::write(
        tmp.path().join("ok.ts"),
        "let n = 0;\nexport function f() { n++; }\n",
    )
    .unwrap();
    let report = scan(
        tmp.path(),
        &[tmp.path().to_owned()],
        &ScanOptions::default(),
        &|| {},
    )
    .unwrap();
    let rules: Vec<(&str, &str)> = report
        .findings
        .iter()
        .map(|f| (f.rule, f.file.as_str()))
        .collect();
    assert_eq!(
        rules,
        [
            ("parse-error", "broken.ts"),
            ("shared-module-state", "ok.ts")
        ]
    );
    assert_eq!(report.summary.files, 2);
}

#[test]
fn dependencies_build_output_and_bundles_are_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    for dir in ["node_modules/x", "dist", "src"] {
        std::fs::create_dir_all(tmp.path().join(dir)).unwrap();
        std::fs::write(
            tmp.path().join(dir).join("a.js"),
            "let n = 0;\nexports.f = function () { n++; };\n",
        )
        .unwrap();
    }
    std::fs::write(tmp.path().join("src/app.min.js"), "let n=0;").unwrap();
    std::fs::write(
        tmp.path().join("src/types.d.ts"),
        "export declare let n: number;\n",
    )
    .unwrap();
    // Test files are skipped unless asked for: by name, and everything under
    // `__tests__/`, `test/` or `tests/` (their helpers and fixtures too).
    let test_files = [
        "src/a.test.js",
        "src/b.spec.ts",
        "src/__tests__/c.js",
        "test/d.js",
        "test/test-support/e.js",
        "packages/x/tests/fixtures/f.ts",
    ];
    for test_file in test_files {
        let path = tmp.path().join(test_file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "let n = 0;\nexports.f = function () { n++; };\n").unwrap();
    }
    // Names that merely contain "test" are source.
    for source_file in ["src/testing/g.js", "src/contest/h.js"] {
        let path = tmp.path().join(source_file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "let n = 0;\nexports.f = function () { n++; };\n").unwrap();
    }
    let report = scan(
        tmp.path(),
        &[tmp.path().to_owned()],
        &ScanOptions::default(),
        &|| {},
    )
    .unwrap();
    let files: Vec<&str> = report.findings.iter().map(|f| f.file.as_str()).collect();
    assert_eq!(files, ["src/a.js", "src/contest/h.js", "src/testing/g.js"]);
    let with_tests = ScanOptions {
        include_tests: true,
        ..ScanOptions::default()
    };
    let report = scan(tmp.path(), &[tmp.path().to_owned()], &with_tests, &|| {}).unwrap();
    assert_eq!(report.findings.len(), 3 + test_files.len());
}

/// floating-promise follows imports: the calls wait until every file's
/// exports are known (one parse per file), then only confirmed ones remain,
/// with the configured severity and `crabport-ignore` applied.
#[test]
fn floating_promise_resolves_async_functions_exported_by_another_file() {
    let tmp = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = tmp.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "lib/store.ts",
        "export async function save(x: string) {\n  return x;\n}\nexport function count() {\n  return 1;\n}\n",
    );
    write("lib/index.ts", "export * from \"./store\";\n");
    write(
        "app.ts",
        "import { save, count } from \"./lib\";\nimport { save as direct } from \"./lib/store.js\";\n\
export function handle() {\n  save(\"a\");\n  count();\n  // crabport-ignore floating-promise: fire and forget\n  direct(\"b\");\n  direct(\"c\");\n}\n",
    );
    let options = ScanOptions {
        severity: [("floating-promise".to_owned(), Severity::Error)].into(),
        ..ScanOptions::default()
    };
    let report = scan(tmp.path(), &[tmp.path().to_owned()], &options, &|| {}).unwrap();
    let found: Vec<(&str, &str, usize, Severity)> = report
        .findings
        .iter()
        .map(|f| (f.rule, f.file.as_str(), f.line, f.severity))
        .collect();
    assert_eq!(
        found,
        [
            ("floating-promise", "app.ts", 4, Severity::Error),
            ("floating-promise", "app.ts", 8, Severity::Error),
        ]
    );
    assert_eq!(report.summary.suppressed, 1);
}
