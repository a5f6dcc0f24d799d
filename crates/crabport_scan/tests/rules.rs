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

/// Every rule has `tests/fixtures/<rule>/fail.*` (its findings are
/// snapshot-tested) and `pass.*` (where it must find nothing).
#[test]
fn every_rule_has_fail_and_pass_fixtures() {
    let mut missing = Vec::new();
    for rule in crabport_scan::rules::all() {
        let code = rule.code();
        let dir = fixtures().join(code);
        let find = |stem: &str| -> Option<String> {
            std::fs::read_dir(&dir).ok()?.flatten().find_map(|e| {
                let name = e.file_name().into_string().ok()?;
                name.starts_with(&format!("{stem}."))
                    .then(|| format!("{code}/{name}"))
            })
        };
        let (Some(fail), Some(pass)) = (find("fail"), find("pass")) else {
            missing.push(code);
            continue;
        };
        let prefix = format!("{code}  ");
        let own = |path: &str| -> Vec<String> {
            findings(path)
                .into_iter()
                .filter(|f| f.starts_with(&prefix))
                .collect()
        };
        let fail_findings = own(&fail);
        assert!(!fail_findings.is_empty(), "{fail} found nothing");
        insta::assert_snapshot!(format!("{code}-fail"), fail_findings.join("\n"));
        let pass_findings = own(&pass);
        assert!(pass_findings.is_empty(), "{pass}: {pass_findings:#?}");
    }
    assert!(
        missing.is_empty(),
        "rules without fail/pass fixtures: {missing:?}"
    );
}

/// A snapshot no test asserts any more is a stale claim about the output.
#[test]
fn no_orphaned_snapshots() {
    let codes: Vec<&str> = crabport_scan::rules::all().map(|r| r.code()).collect();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    for entry in std::fs::read_dir(dir).unwrap() {
        let file = entry.unwrap().file_name().into_string().unwrap();
        let code = file
            .strip_prefix("rules__")
            .and_then(|f| f.strip_suffix("-fail.snap"))
            .unwrap_or_else(|| panic!("unexpected file in tests/snapshots: {file}"));
        assert!(codes.contains(&code), "orphaned snapshot {file}");
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
    // Test files are skipped unless asked for.
    std::fs::create_dir_all(tmp.path().join("src/__tests__")).unwrap();
    for test_file in ["src/a.test.js", "src/b.spec.ts", "src/__tests__/c.js"] {
        std::fs::write(
            tmp.path().join(test_file),
            "let n = 0;\nexports.f = function () { n++; };\n",
        )
        .unwrap();
    }
    let report = scan(
        tmp.path(),
        &[tmp.path().to_owned()],
        &ScanOptions::default(),
        &|| {},
    )
    .unwrap();
    let files: Vec<&str> = report.findings.iter().map(|f| f.file.as_str()).collect();
    assert_eq!(files, ["src/a.js"]);
    let with_tests = ScanOptions {
        include_tests: true,
        ..ScanOptions::default()
    };
    let report = scan(tmp.path(), &[tmp.path().to_owned()], &with_tests, &|| {}).unwrap();
    assert_eq!(report.findings.len(), 4);
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
