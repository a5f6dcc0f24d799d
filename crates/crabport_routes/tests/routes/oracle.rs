//! The oracle: on apps that mirror small real public apps, the static
//! inventory equals the route listing of the same app booted under node
//! (`tests/oracle/list-routes.cjs`). Each fixture commits its package.json
//! and package-lock.json; the test installs them with `npm ci` into a copy
//! under the target directory. No node, no npm or no registry: the test
//! fails, it does not skip.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crabport_routes::{Options, path::normalise};

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn copy_sources(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the oracle copy");
    for entry in std::fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("fixture entry");
        let name = entry.file_name();
        if name == "node_modules" {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().expect("file type").is_dir() {
            copy_sources(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy fixture file");
        }
    }
}

/// The fixture copied under the target dir with its locked dependencies.
fn installed(fixture: &str) -> PathBuf {
    let source = crate_dir().join("tests/fixtures").join(fixture);
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("oracle")
        .join(fixture);
    copy_sources(&source, &work);
    let lock = std::fs::read_to_string(source.join("package-lock.json"))
        .expect("the fixture commits a package-lock.json");
    let stamp = work.join("node_modules/.crabport-installed-lock");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(lock.as_str()) {
        let out = Command::new("npm")
            .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
            .current_dir(&work)
            .output()
            .expect("npm must be installed to run the oracle test");
        assert!(
            out.status.success(),
            "`npm ci` failed in {} (is the npm registry reachable?):\n{}{}",
            work.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(&stamp, &lock).expect("write the install stamp");
    }
    work
}

fn runtime(work: &Path, framework: &str, entry: &str) -> BTreeSet<(String, String)> {
    let out = Command::new("node")
        .arg(crate_dir().join("tests/oracle/list-routes.cjs"))
        .arg(framework)
        .arg(entry)
        .current_dir(work)
        .output()
        .expect("node must be installed to run the oracle test");
    assert!(
        out.status.success(),
        "booting {entry} under node failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: Vec<(String, String)> =
        serde_json::from_slice(&out.stdout).expect("the listing is JSON");
    listed
        .into_iter()
        .map(|(m, p)| (m, normalise(&p)))
        .collect()
}

fn assert_oracle(fixture: &str, framework: &str, entry: &str) {
    let work = installed(fixture);
    let runtime = runtime(&work, framework, entry);
    let inventory = crabport_routes::inventory(
        &crate_dir().join("tests/fixtures").join(fixture),
        &Options::default(),
    )
    .expect("inventory");
    let stat: BTreeSet<(String, String)> = inventory
        .routes
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    let missing: Vec<_> = runtime.difference(&stat).collect();
    let extra: Vec<_> = stat.difference(&runtime).collect();
    assert!(
        missing.is_empty() && extra.is_empty() && inventory.unresolved.is_empty(),
        "{fixture}: the static inventory differs from the running app\n  only at run time: {missing:?}\n  only static: {extra:?}\n  unresolved: {:#?}",
        inventory.unresolved
    );
    assert!(
        runtime.len() >= 10,
        "{fixture}: too few routes for an oracle: {runtime:?}"
    );
    // Every handler of these apps is a function the inventory can find.
    let unresolved_handlers: Vec<_> = inventory
        .routes
        .iter()
        .filter(|r| !r.handler.resolved && r.method != "USE")
        .map(|r| format!("{} {} ← {:?}", r.method, r.path, r.handler))
        .collect();
    assert!(
        unresolved_handlers.is_empty(),
        "{fixture}: handlers not located: {unresolved_handlers:#?}"
    );
}

#[test]
fn express4_realworld_matches_its_router_stack() {
    assert_oracle("express4-realworld", "express", "app.js");
}

#[test]
fn express5_esm_matches_its_router_stack() {
    assert_oracle("express5-esm", "express", "src/app.js");
}

#[test]
fn fastify_demo_matches_its_on_route_hook() {
    assert_oracle("fastify-demo", "fastify", "app.js");
}
