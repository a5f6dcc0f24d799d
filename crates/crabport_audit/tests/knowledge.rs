//! The knowledge base as data: valid, large enough, and — against the live
//! crates.io index — every crate it names exists, is maintained (or marked
//! stable) and has every feature it names.
#![allow(clippy::unwrap_used, clippy::print_stderr)] // test helpers panic on purpose

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crabport_audit::index::{CratesIndex, IndexOptions, Lookup, Source};
use crabport_audit::kb::{GapKind, KnowledgeBase, Status};

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

/// CI runs this against the live index. Answers are cached under the target
/// directory for a day; if the registry is unreachable, cached answers are
/// used and said so, and crates that could not be resolved at all are
/// listed apart from real offenders.
#[test]
fn every_crate_exists_is_maintained_and_has_its_features_on_the_live_index() {
    if std::env::var_os("CRABPORT_SKIP_LIVE_INDEX").is_some() {
        eprintln!(
            "SKIPPED: CRABPORT_SKIP_LIVE_INDEX is set; the live knowledge-base check did not run"
        );
        return;
    }
    let kb = kb();
    let index = CratesIndex::open(IndexOptions {
        cache_dir: std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("kb-live-index"),
        ttl: Duration::from_secs(24 * 3600),
        offline: false,
        concurrency: 24,
        timeout: Duration::from_secs(20),
    })
    .expect("open the crates.io index");
    let names: Vec<String> = kb
        .entries()
        .iter()
        .flat_map(|e| e.all_crates().map(|c| c.name.clone()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let lookups: BTreeMap<String, Lookup> = names
        .iter()
        .cloned()
        .zip(index.lookup_all(&names, &|_| {}))
        .collect();

    let now = jiff::Timestamp::now();
    let stale_before = now
        .checked_sub(jiff::SignedDuration::from_hours(24 * 730))
        .unwrap();
    let mut offenders = Vec::new();
    let mut unreachable = Vec::new();
    let mut from_cache_after_error = 0;
    for entry in kb.entries() {
        for spec in entry.all_crates() {
            let place = format!("{} ({} → {})", entry.origin, entry.npm, spec.name);
            match &lookups[&spec.name] {
                Lookup::Unavailable { error } => unreachable.push(format!("{place}: {error}")),
                Lookup::Missing { .. } => {
                    offenders.push(format!("{place}: no such crate on crates.io"))
                }
                Lookup::Found { facts, source } => {
                    if matches!(source, Source::CacheAfterError { .. }) {
                        from_cache_after_error += 1;
                    }
                    let Some(newest) = &facts.newest else {
                        offenders
                            .push(format!("{place}: every release is yanked or a pre-release"));
                        continue;
                    };
                    if !spec.stable && newest.pubtime.is_some_and(|t| t < stale_before) {
                        offenders.push(format!(
                            "{place}: newest release {} ({}) is older than 24 months; replace it or mark it stable = true",
                            newest.version,
                            newest.pubtime.map(|t| t.to_string()).unwrap_or_default()
                        ));
                    }
                    for feature in spec
                        .features
                        .iter()
                        .filter(|f| !newest.features.contains(*f))
                    {
                        offenders.push(format!(
                            "{place}: {} {} has no feature `{feature}`",
                            spec.name, newest.version
                        ));
                    }
                }
            }
        }
    }
    if from_cache_after_error > 0 {
        eprintln!(
            "note: the index was unreachable for {from_cache_after_error} lookups; their cached answers were checked"
        );
    }
    assert!(
        unreachable.is_empty(),
        "the crates.io index could not be reached for {} crate reference(s) with nothing cached — this is a network problem, not a knowledge-base one:\n{}",
        unreachable.len(),
        unreachable
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        offenders.is_empty(),
        "{} knowledge-base problem(s) against the live index:\n{}",
        offenders.len(),
        offenders.join("\n")
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
