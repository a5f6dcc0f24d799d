//! The knowledge base as data: valid, large enough, and — against the
//! recorded index with the clock pinned to the day it was recorded — every
//! crate it names exists, is maintained (or marked stable) and has every
//! feature it names. Nothing here depends on the wall clock or on the live
//! registry's changing state: `crabport kb check` is the live report.
#![allow(clippy::unwrap_used, clippy::print_stderr)] // test helpers panic on purpose

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crabport_audit::index::{CratesIndex, IndexOptions, Lookup};
use crabport_audit::kb::{GapKind, KnowledgeBase, Status};
use crabport_audit::report::CrateState;

fn kb() -> KnowledgeBase {
    KnowledgeBase::embedded().unwrap_or_else(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        panic!(
            "knowledge base has {} problem(s):\n{}",
            list.len(),
            list.join("\n")
        )
    })
}

#[test]
fn embedded_knowledge_base_is_valid_and_covers_at_least_400_packages() {
    let kb = kb();
    let exact = kb.entries().iter().filter(|e| !e.is_pattern()).count();
    assert!(exact >= 400, "only {exact} exact npm entries");
    for status in Status::ALL {
        assert!(
            kb.entries().iter().any(|e| e.status == status),
            "no {status:?} entry"
        );
    }
}

#[test]
fn the_migration_guide_stack_maps_as_the_guide_says() {
    let kb = kb();
    let crates = |npm: &str| -> Vec<String> {
        kb.lookup(npm)
            .unwrap_or_else(|| panic!("{npm} missing"))
            .entry()
            .crates
            .iter()
            .map(|c| format!("{}{:?}", c.name, c.features))
            .collect()
    };
    // The migration guide's [dependencies] block: serde derive, tokio full, axum, sqlx, reqwest json, tracing.
    assert!(crates("express").contains(&"axum[]".to_owned()));
    assert!(crates("express").contains(&"tokio[\"full\"]".to_owned()));
    assert!(crates("pg")[0].starts_with("sqlx[\"runtime-tokio\", \"postgres\"]"));
    assert!(crates("mysql2")[0].contains("\"mysql\""));
    assert!(crates("axios")[0].starts_with("reqwest[\"json\"]"));
    assert!(crates("zod").iter().any(|c| c == "serde[\"derive\"]"));
    assert!(crates("pino").iter().any(|c| c.starts_with("tracing")));
    // Patterns cover families; exact entries win over them.
    assert!(kb.lookup("@types/node").is_some());
    assert_eq!(
        kb.lookup("@aws-sdk/client-s3").unwrap().entry().npm,
        "@aws-sdk/client-s3"
    );
    // Never recommend a deprecated crate.
    for entry in kb.entries() {
        for c in &entry.crates {
            assert!(
                ![
                    "dotenv",
                    "serde_yaml",
                    "structopt",
                    "failure",
                    "lazy_static",
                    "rusoto_core"
                ]
                .contains(&c.name.as_str()),
                "{} recommends deprecated {}",
                entry.origin,
                c.name
            );
        }
    }
}

/// The index cache the gating tests read (re-record with
/// scripts/record-index-cache.sh), and the day it was recorded.
fn recorded_cache() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../crabport/tests/fixtures/index-cache")
}

fn recorded_at() -> jiff::Timestamp {
    let path = recorded_cache().join("RECORDED_AT");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .trim()
        .parse()
        .unwrap()
}

fn open(cache_dir: PathBuf, offline: bool) -> CratesIndex {
    CratesIndex::open(IndexOptions {
        cache_dir,
        ttl: Duration::from_secs(24 * 3600),
        offline,
        concurrency: 24,
        timeout: Duration::from_secs(20),
    })
    .expect("open the crates.io index")
}

fn check_against(
    index: &CratesIndex,
    offline: bool,
    now: jiff::Timestamp,
) -> crabport_audit::kb_check::KbCheckReport {
    let kb = kb();
    let names = crabport_audit::kb_check::crate_names(&kb);
    let lookups: HashMap<String, Lookup> = names
        .iter()
        .cloned()
        .zip(index.lookup_all(&names, &|_| {}))
        .collect();
    let info = crabport_audit::index_info(index.url(), offline, &lookups);
    crabport_audit::kb_check::check(&kb, &lookups, info, now, 24)
}

/// The gate: every crate and feature the knowledge base names, as the index
/// stood on the day it was recorded. A new crate that is not in the
/// recording fails here until it is recorded — deliberately, so no entry
/// lands unchecked.
#[test]
fn every_crate_exists_is_maintained_and_has_its_features_on_the_recorded_index() {
    let report = check_against(&open(recorded_cache(), true), true, recorded_at());
    let unrecorded: Vec<String> = report
        .problems
        .iter()
        .filter(|p| p.state == CrateState::Unavailable)
        .map(|p| format!("{}: {} → {}", p.place, p.subject, p.krate))
        .collect();
    assert!(
        unrecorded.is_empty(),
        "{} crate reference(s) are not in the recorded index; run scripts/record-index-cache.sh:\n{}",
        unrecorded.len(),
        unrecorded.join("\n")
    );
    let offenders: Vec<String> = report
        .offenders()
        .map(|p| {
            format!(
                "{}: {} → {}: {} ({})",
                p.place,
                p.subject,
                p.krate,
                p.message,
                p.state.code()
            )
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "{} knowledge-base problem(s) on the recorded index:\n{}",
        offenders.len(),
        offenders.join("\n")
    );
    assert!(
        report.crates >= 400,
        "only {} crates checked",
        report.crates
    );
}

/// The check finds what it is for: a feature the release lacks, a crate it
/// could not resolve, and stale crates once time has passed — each at its
/// file and line.
#[test]
fn kb_check_names_stale_unresolved_and_featureless_crates_with_file_and_line() {
    let kb = KnowledgeBase::from_files([(
        "probe.toml",
        r#"
[[package]]
npm = "express"
status = "equivalent"
crates = [{ name = "axum", features = ["no-such-feature"] }]
note = "n"

[[package]]
npm = "left-pad"
status = "equivalent"
crates = ["crabport-no-such-crate-anywhere"]
note = "n"
"#,
    )])
    .unwrap();
    let index = open(recorded_cache(), true);
    let names = crabport_audit::kb_check::crate_names(&kb);
    let lookups: HashMap<String, Lookup> = names
        .iter()
        .cloned()
        .zip(index.lookup_all(&names, &|_| {}))
        .collect();
    let info = crabport_audit::index_info(index.url(), true, &lookups);
    let later = recorded_at()
        .checked_add(jiff::SignedDuration::from_hours(24 * 365 * 3))
        .unwrap();
    let report = crabport_audit::kb_check::check(&kb, &lookups, info, later, 24);
    let found: Vec<(String, &str)> = report
        .problems
        .iter()
        .map(|p| (p.place.clone(), p.state.code()))
        .collect();
    assert_eq!(
        found,
        [
            ("knowledge/probe.toml:3:1".to_owned(), "missing-feature"),
            ("knowledge/probe.toml:9:1".to_owned(), "unavailable"),
        ],
        "{:#?}",
        report.problems
    );
    // Three years on, what is in the recording is stale; the gate above never
    // sees that because it judges on the recording's own day.
    let stale_report = check_against(&index, true, later);
    assert!(
        stale_report
            .problems
            .iter()
            .any(|p| p.state == CrateState::Stale),
        "nothing is stale three years after the recording"
    );
}

/// A live smoke test: it fails only when the registry cannot be reached or
/// the index client is broken — never because a crate aged. Set
/// `CRABPORT_SKIP_LIVE_INDEX=1` to skip it without network.
#[test]
fn the_live_index_resolves_well_known_crates() {
    if std::env::var_os("CRABPORT_SKIP_LIVE_INDEX").is_some() {
        eprintln!(
            "SKIPPED: CRABPORT_SKIP_LIVE_INDEX is set; the live index smoke test did not run"
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let index = open(tmp.path().to_owned(), false);
    let names = ["serde".to_owned(), "tokio".to_owned()];
    for (name, lookup) in names.iter().zip(index.lookup_all(&names, &|_| {})) {
        match lookup {
            Lookup::Found { facts, .. } => {
                let newest = facts.newest.expect("a normal release");
                let feature = if name == "serde" { "derive" } else { "full" };
                assert!(
                    newest.features.contains(feature),
                    "{name} {}",
                    newest.version
                );
            }
            other => panic!("{name}: {other:?} — is https://index.crates.io/ reachable?"),
        }
    }
}

/// Main stays green as the calendar moves: these tests pass two years on.
#[test]
fn gating_knowledge_tests_pass_with_the_clock_two_years_ahead() {
    let Some((passed, output)) = crabport_core::testing::rerun_ahead(
        730,
        &["gating_knowledge_tests_pass", "the_live_index_resolves"],
    ) else {
        return;
    };
    assert!(passed, "two years ahead:\n{output}");
    assert!(
        output.contains(
            "every_crate_exists_is_maintained_and_has_its_features_on_the_recorded_index ... ok"
        ),
        "{output}"
    );
}

#[test]
fn rudderstack_maps_to_the_official_rust_sdk() {
    let kb = kb();
    let entry = kb.lookup("@rudderstack/rudder-sdk-node").unwrap().entry();
    assert_eq!(entry.status, Status::Equivalent);
    assert_eq!(entry.crates[0].name, "rudderanalytics");
    let onesignal = kb.lookup("@onesignal/node-onesignal").unwrap().entry();
    assert_eq!(onesignal.status, Status::Equivalent);
    assert_eq!(onesignal.crates[0].name, "onesignal-rust-api");
    // A community crate alone leaves a vendor-SDK gap; it is offered as an alternative.
    let sendgrid = kb.lookup("@sendgrid/mail").unwrap().entry();
    assert_eq!(sendgrid.gap_kind, Some(GapKind::VendorSdk));
    assert!(sendgrid.alternatives.iter().any(|c| c.name == "sendgrid"));
}

#[test]
fn vendor_sdk_gaps_name_the_crates_to_build_on() {
    let kb = kb();
    for entry in kb
        .entries()
        .iter()
        .filter(|e| e.gap_kind == Some(GapKind::VendorSdk))
    {
        assert!(
            !entry.alternatives.is_empty(),
            "{} ({}) is a vendor-sdk gap with no crate to call the vendor's API with",
            entry.origin,
            entry.npm
        );
    }
}

/// `std` means the standard library or the service's framework covers the
/// package: the migration guide's baseline stack (serde, tokio, axum, sqlx,
/// reqwest, tracing) and the crates that stack is built from or pairs with.
/// Any other crate doing the job makes the package `equivalent` (or
/// `partial`), and an optional convenience belongs in `alternatives`.
const FRAMEWORK_CRATES: &[&str] = &[
    "serde",
    "serde_json",
    "tokio",
    "futures",
    "bytes",
    "axum",
    "axum-extra",
    "tower",
    "tower-http",
    "http",
    "sqlx",
    "reqwest",
    "tracing",
    "tracing-subscriber",
];

#[test]
fn std_entries_name_no_crate_unless_a_framework_covers_it() {
    let kb = kb();
    let offenders: Vec<String> = kb
        .entries()
        .iter()
        .filter(|e| e.status == Status::Std)
        .flat_map(|e| {
            e.crates
                .iter()
                .filter(|c| !FRAMEWORK_CRATES.contains(&c.name.as_str()))
                .map(move |c| format!("{} ({} → {})", e.origin, e.npm, c.name))
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "`std` entries naming a crate outside the framework stack (make them equivalent/partial, or move the crate to alternatives):\n{}",
        offenders.join("\n")
    );
    let core = kb.lookup("@opentelemetry/core").unwrap().entry();
    assert_eq!(core.status, Status::Equivalent);
    assert_eq!(
        kb.lookup("body-parser").unwrap().entry().status,
        Status::Std
    );
}

#[test]
fn runtime_orms_offer_the_crate_to_port_to() {
    let kb = kb();
    for npm in [
        "typeorm",
        "sequelize",
        "sequelize-typescript",
        "@mikro-orm/core",
        "objection",
        "bookshelf",
        "mongoose",
        "@typegoose/typegoose",
    ] {
        let entry = kb.lookup(npm).unwrap().entry();
        assert_eq!(entry.status, Status::Partial, "{npm}");
        assert!(
            ["sea-orm", "mongodb"].contains(&entry.crates[0].name.as_str()),
            "{npm} → {}",
            entry.crates[0].name
        );
    }
    // A runtime-only gap still names what to build on, except DI containers,
    // which Rust replaces with explicit wiring and no crate at all.
    let di = ["inversify", "tsyringe", "typedi", "awilix"];
    for entry in kb
        .entries()
        .iter()
        .filter(|e| e.gap_kind == Some(GapKind::Dynamic) && !di.contains(&e.npm.as_str()))
    {
        assert!(
            !entry.alternatives.is_empty(),
            "{} ({}) is a dynamic gap with no crate to port to",
            entry.origin,
            entry.npm
        );
    }
}
