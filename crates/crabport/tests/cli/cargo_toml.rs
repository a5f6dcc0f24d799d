//! `--cargo-toml` is a block a team can build with: the output for a fixture
//! whose packages ask for conflicting crates is made the Cargo.toml of a
//! scratch crate, resolved by cargo (against the committed lockfile, so
//! registry releases after the recording change nothing) and `cargo check`ed.
//!
//! What it proves: every version and feature in the block exists and
//! resolves together; the resolved graph has one JWT library, one LLM
//! client, one TLS stack (no native-tls, no OpenSSL) and exactly one
//! jsonwebtoken crypto backend; and all of it compiles. It needs the
//! crates.io registry to download the locked crates (cached after the first
//! run). After a change to the block, refresh the lockfile with
//! `CRABPORT_UPDATE_CARGO_LOCK=1 cargo test -p crabport --test cli cargo_toml`.

use std::path::Path;
use std::process::Command as Process;

use serde_json::Value;

use super::audit;

fn fixture() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cargo-toml/conflicts")
}

fn cargo(dir: &Path, args: &[&str]) -> std::process::Output {
    Process::new(env!("CARGO"))
        .args(args)
        .current_dir(dir)
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("cargo-toml-check"),
        )
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap()
}

#[test]
fn cargo_toml_of_conflicting_needs_builds_with_one_choice_per_job() {
    let out = audit(&fixture()).arg("--cargo-toml").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let block = String::from_utf8(out.stdout).unwrap();

    // Each choice is stated where the team reads the block.
    for said in [
        "# - JSON Web Tokens: jsonwebtoken, not josekit (asked for by node-jose).",
        "# - LLM client: genai, not rig-core (asked for by @openai/agents).",
        "# - TLS stack: rustls, not native-tls (asked for by nodemailer).",
        "# - jsonwebtoken features: rust_crypto, not aws_lc_rs (asked for by aws-jwt-verify).",
    ] {
        assert!(block.contains(said), "missing {said:?} in:\n{block}");
    }

    let update = std::env::var_os("CRABPORT_UPDATE_CARGO_LOCK").is_some();
    let scratch = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(scratch.path().join("src")).unwrap();
    std::fs::write(scratch.path().join("src/lib.rs"), "").unwrap();
    std::fs::write(
        scratch.path().join("Cargo.toml"),
        format!(
            "[package]\nname = \"cargo-toml-check\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[workspace]\n\n{block}"
        ),
    )
    .unwrap();
    let lock = fixture().join("Cargo.lock");
    if !update {
        std::fs::copy(&lock, scratch.path().join("Cargo.lock")).unwrap();
    }
    let locked: &[&str] = if update { &[] } else { &["--locked"] };

    let metadata = cargo(
        scratch.path(),
        &[&["metadata", "--format-version", "1"], locked].concat(),
    );
    assert!(
        metadata.status.success(),
        "cargo metadata: {}\n(the block changed since the lockfile was made? see this file's docs)",
        String::from_utf8_lossy(&metadata.stderr)
    );
    if update {
        std::fs::copy(scratch.path().join("Cargo.lock"), &lock).unwrap();
    }
    let metadata: Value = serde_json::from_slice(&metadata.stdout).unwrap();
    let names: std::collections::HashMap<&str, &str> = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let resolved: Vec<(&str, Vec<&str>)> = metadata["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                names[n["id"].as_str().unwrap()],
                n["features"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f.as_str().unwrap())
                    .collect(),
            )
        })
        .collect();
    for absent in ["native-tls", "openssl-sys", "josekit", "rig-core"] {
        assert!(
            !resolved.iter().any(|(name, _)| *name == absent),
            "{absent} is in the resolved graph"
        );
    }
    let jwt_backends: Vec<&str> = resolved
        .iter()
        .filter(|(name, _)| *name == "jsonwebtoken")
        .flat_map(|(_, features)| features.iter().copied())
        .filter(|f| ["rust_crypto", "aws_lc_rs"].contains(f))
        .collect();
    assert_eq!(jwt_backends, ["rust_crypto"]);

    let check = cargo(scratch.path(), &[&["check", "--quiet"], locked].concat());
    assert!(
        check.status.success(),
        "cargo check of the generated block failed:\n{}\n--- Cargo.toml ---\n{block}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn every_audit_format_states_the_merge_choices() {
    let report = super::json_of(&mut audit(&fixture()));
    super::assert_valid(&report);
    let decisions = report["cargo_plan"]["decisions"].as_array().unwrap();
    let kinds: Vec<&str> = decisions
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "one-crate-per-job",
            "one-crate-per-job",
            "one-stack",
            "exclusive-features"
        ]
    );
    let terminal = String::from_utf8(audit(&fixture()).output().unwrap().stdout).unwrap();
    assert!(
        terminal.contains("4 choices where the packages' needs conflict")
            && terminal.contains("TLS stack: rustls not native-tls"),
        "{terminal}"
    );
    let markdown = String::from_utf8(
        audit(&fixture())
            .args(["--format", "markdown"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        markdown.contains("- **jsonwebtoken features**: `rust_crypto`, not `aws_lc_rs`"),
        "{markdown}"
    );
}
