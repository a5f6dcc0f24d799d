//! The Rust in every rule's documentation is checked by the compiler: the
//! naive port fails with the error it names, the idiomatic fix compiles and
//! prints what the docs say.

#![allow(clippy::unwrap_used)] // test helpers panic on purpose

use std::process::Command;

use crabport_scan::rules::all;

fn rustc(dir: &std::path::Path, name: &str, code: &str, extra: &[&str]) -> std::process::Output {
    let src = dir.join(format!("{name}.rs"));
    std::fs::write(&src, code).unwrap();
    Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .args([
            "--edition",
            "2024",
            "--error-format",
            "short",
            "--crate-name",
            name,
        ])
        .args(extra)
        .arg(&src)
        .current_dir(dir)
        .output()
        .expect("rustc runs")
}

#[test]
fn naive_ports_fail_with_the_documented_error() {
    let tmp = tempfile::tempdir().unwrap();
    for rule in all() {
        let doc = rule.doc();
        let Some(naive) = doc.naive_rust else {
            continue;
        };
        let name = format!("naive_{}", doc.code.replace('-', "_"));
        let out = rustc(tmp.path(), &name, naive.code, &["--emit", "metadata"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "{}: the naive port compiled",
            doc.code
        );
        assert!(
            stderr.contains(&format!("error[{}]", naive.error)),
            "{}: expected error[{}], rustc said:\n{stderr}",
            doc.code,
            naive.error
        );
    }
}

#[test]
fn idiomatic_fixes_compile_and_print_what_the_docs_say() {
    let tmp = tempfile::tempdir().unwrap();
    for rule in all() {
        let doc = rule.doc();
        let name = format!("fix_{}", doc.code.replace('-', "_"));
        let out = rustc(tmp.path(), &name, doc.idiomatic_rust, &["-o", &name]);
        assert!(
            out.status.success(),
            "{}: the idiomatic fix does not compile:\n{}",
            doc.code,
            String::from_utf8_lossy(&out.stderr)
        );
        if let Some(expected) = doc.idiomatic_output {
            let run = Command::new(tmp.path().join(&name)).output().unwrap();
            assert!(
                run.status.success(),
                "{}: the fix exits with {:?}",
                doc.code,
                run.status
            );
            assert_eq!(
                String::from_utf8_lossy(&run.stdout),
                expected,
                "{}",
                doc.code
            );
        }
    }
}
