//! Lockfile parsers against lockfiles written by the real package managers
//! (tests/fixtures/lockfiles, made by its regen.sh). Each test is named after
//! the behaviour it pins.
#![allow(clippy::unwrap_used)] // tests panic on purpose

use std::path::{Path, PathBuf};

use crabport_project::{LockfileFormat, Project};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/lockfiles")
        .join(name)
}

fn discover(name: &str) -> Project {
    let project = Project::discover(&fixture(name)).unwrap();
    assert!(project.lockfile.is_some(), "{name}: {:?}", project.warnings);
    project
}

/// (declared name, registry package, resolved name, resolved version) of
/// every dependency of the member at `dir`, in package.json order.
fn resolutions(project: &Project, dir: &str) -> Vec<(String, String, String, String)> {
    let member = project.members.iter().find(|m| m.dir == dir).unwrap();
    member
        .manifest
        .dependencies
        .iter()
        .filter(|d| !project.is_internal(d))
        .map(|d| {
            let (name, version) = project
                .resolved(member, d)
                .map_or(("-".into(), "-".into()), |(_, p)| {
                    (p.name.clone(), p.version.clone())
                });
            (d.name.clone(), d.package.clone(), name, version)
        })
        .collect()
}

fn row(
    declared: &str,
    package: &str,
    name: &str,
    version: &str,
) -> (String, String, String, String) {
    (declared.into(), package.into(), name.into(), version.into())
}

#[test]
fn yarn_berry_key_longer_than_1024_chars_parses() {
    // yarn 3.1 writes the key plainly (a YAML parser stops at 1,024
    // characters); yarn 4 uses YAML's explicit `? key` form.
    for dir in ["yarn-berry-long-key-v3", "yarn-berry-long-key-v4"] {
        let text = std::fs::read_to_string(fixture(dir).join("yarn.lock")).unwrap();
        let long_key = text.lines().find(|l| l.len() > 1024).unwrap();
        assert_eq!(
            long_key.starts_with("? "),
            dir.ends_with("v4"),
            "{dir}: the fixture no longer has the key form it is for"
        );
        let project = discover(dir);
        assert_eq!(
            project.lockfile.as_ref().unwrap().format,
            LockfileFormat::YarnBerry
        );
        let rows = resolutions(&project, ".");
        assert_eq!(rows.len(), 51, "{dir}");
        for (declared, package, name, version) in rows {
            assert_eq!(
                (package.as_str(), name.as_str(), version.as_str()),
                ("ms", "ms", "2.1.3"),
                "{dir}: {declared}"
            );
        }
    }
}

#[test]
fn yarn_berry_npm_range_without_a_name_is_the_declared_package() {
    let project = discover("yarn-berry-protocols");
    let rows = resolutions(&project, "packages/app");
    assert!(
        rows.contains(&row("lodash", "lodash", "lodash", "4.18.1")),
        "{rows:?}"
    );
}

#[test]
fn yarn_berry_patch_and_file_dependencies_keep_their_versions() {
    // `patch:…#./patches/left-pad.patch` and `file:../../vendor/shared` are
    // keyed bound to the declaring workspace (`::locator=…`) in yarn.lock.
    let project = discover("yarn-berry-protocols");
    let rows = resolutions(&project, "packages/app");
    assert!(
        rows.contains(&row("left-pad", "left-pad", "left-pad", "1.3.0")),
        "{rows:?}"
    );
    assert!(
        rows.contains(&row("shared", "shared", "shared", "2.0.0")),
        "{rows:?}"
    );
    // The patch resolution in the root's `resolutions` leaves ms at its version.
    assert_eq!(
        resolutions(&project, "packages/lib"),
        [row("ms", "ms", "ms", "2.1.3")]
    );
}

#[test]
fn pnpm_tarball_file_alias_and_peer_dependencies_have_their_versions() {
    for (dir, format) in [
        ("pnpm-v5-protocols", LockfileFormat::PnpmV5),
        ("pnpm-v6-protocols", LockfileFormat::PnpmV6),
        ("pnpm-v9-protocols", LockfileFormat::PnpmV9),
    ] {
        let project = discover(dir);
        assert_eq!(project.lockfile.as_ref().unwrap().format, format, "{dir}");
        assert_eq!(
            resolutions(&project, "packages/app"),
            [
                row("ms", "ms", "ms", "2.1.3"),
                row("old-lodash", "lodash", "lodash", "4.17.21"),
                row("react", "react", "react", "18.2.0"),
                row("react-dom", "react-dom", "react-dom", "18.2.0"),
                row("shared", "shared", "shared", "2.0.0"),
            ],
            "{dir}"
        );
        // A peer-suffixed key (`_react@18.2.0` in v5, `(react@18.2.0)` after) keeps its edges.
        let graph = &project.lockfile.as_ref().unwrap().graph;
        let dom = graph
            .packages
            .iter()
            .find(|p| p.name == "react-dom")
            .unwrap();
        let deps: Vec<&str> = dom
            .dependencies
            .iter()
            .map(|&d| graph.packages[d].name.as_str())
            .collect();
        assert!(
            deps.contains(&"react") && deps.contains(&"scheduler"),
            "{dir}: {deps:?}"
        );
        assert_eq!(
            resolutions(&project, "packages/lib"),
            [row("left-pad", "left-pad", "left-pad", "1.3.0")],
            "{dir}"
        );
    }
}

#[test]
fn workspace_and_link_dependencies_are_internal() {
    for dir in [
        "yarn-berry-protocols",
        "pnpm-v5-protocols",
        "pnpm-v6-protocols",
        "pnpm-v9-protocols",
    ] {
        let project = discover(dir);
        let app = project
            .members
            .iter()
            .find(|m| m.dir == "packages/app")
            .unwrap();
        let internal: Vec<&str> = app
            .manifest
            .dependencies
            .iter()
            .filter(|d| project.is_internal(d))
            .map(|d| d.name.as_str())
            .collect();
        assert_eq!(internal, ["@fixture/lib", "linked"], "{dir}");
    }
}

#[test]
fn workspace_siblings_declared_with_a_range_are_internal() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::create_dir_all(root.join(".git")).unwrap();
    std::fs::create_dir_all(root.join("packages/api")).unwrap();
    std::fs::create_dir_all(root.join("packages/lib")).unwrap();
    std::fs::write(
        root.join("package.json"),
        r#"{"workspaces":["packages/*"]}"#,
    )
    .unwrap();
    std::fs::write(
        root.join("packages/api/package.json"),
        r#"{"name":"api","dependencies":{"lib":"^1.0.0","ms":"^2"}}"#,
    )
    .unwrap();
    std::fs::write(
        root.join("packages/lib/package.json"),
        r#"{"name":"lib","version":"1.0.0"}"#,
    )
    .unwrap();
    let project = Project::discover(root).unwrap();
    let api = &project.members[1];
    let internal: Vec<bool> = api
        .manifest
        .dependencies
        .iter()
        .map(|d| project.is_internal(d))
        .collect();
    assert_eq!(internal, [true, false]);
}

#[test]
fn pnpm_lockfile_5_resolves_like_lockfile_6() {
    let reference = discover("pnpm-v6");
    for dir in ["pnpm-v5", "pnpm-v5.3"] {
        let project = discover(dir);
        let lock = project.lockfile.as_ref().unwrap();
        assert_eq!(lock.format, LockfileFormat::PnpmV5, "{dir}");
        for member in ["packages/api", "packages/worker"] {
            // pnpm 6/7 do not install peers (autoInstallPeers is off): compare the rest.
            let without_peers = |p: &Project| {
                let m = p.members.iter().find(|m| m.dir == member).unwrap();
                let peers: Vec<&str> = m
                    .manifest
                    .dependencies
                    .iter()
                    .filter(|d| d.kind == crabport_project::DependencyKind::Peer)
                    .map(|d| d.name.as_str())
                    .collect();
                resolutions(p, member)
                    .into_iter()
                    .filter(|r| !peers.contains(&r.0.as_str()))
                    .collect::<Vec<_>>()
            };
            let rows = without_peers(&project);
            assert!(rows.iter().all(|r| r.3 != "-"), "{dir} {member}: {rows:?}");
            assert_eq!(rows, without_peers(&reference), "{dir} {member}");
        }
        // The tree below: sharp's prebuilt platform packages, bcrypt's install script.
        let graph = &lock.graph;
        let sharp = graph.packages.iter().find(|p| p.name == "sharp").unwrap();
        assert!(
            sharp
                .dependencies
                .iter()
                .any(|&d| graph.packages[d].platform_specific),
            "{dir}"
        );
        assert!(
            graph
                .packages
                .iter()
                .any(|p| p.name == "bcrypt" && p.has_install_script),
            "{dir}"
        );
    }
}

#[test]
fn yarn_berry_syntax_errors_are_positioned() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("yarn.lock");
    std::fs::write(
        &path,
        "__metadata:\n  version: 8\n\n\"a@npm:^1\":\n  version: \"1.0.0\n  resolution: \"a@npm:1.0.0\"\n",
    )
    .unwrap();
    let err = crabport_project::lockfile::read(&path).unwrap_err();
    let position = err.position.unwrap();
    assert_eq!((position.line, position.column), (5, 12), "{err}");
    assert!(err.to_string().contains("yarn.lock:5:12"), "{err}");
}
