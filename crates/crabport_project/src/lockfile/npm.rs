//! `package-lock.json` / `npm-shrinkwrap.json`, lockfile versions 1, 2 and 3.
//!
//! v2/v3 list every install location in `packages` ("node_modules/a",
//! "node_modules/a/node_modules/b", "packages/api" for a workspace member);
//! a dependency resolves as Node resolves it: the nearest `node_modules`
//! walking up from the requiring location. v1 has only the nested
//! `dependencies` tree, which is flattened to the same locations.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crabport_core::InputError;
use serde::Deserialize;

use super::{Importer, LockGraph, LockedPackage, LockfileFormat, ParseResult, PkgId};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLock {
    lockfile_version: Option<u32>,
    #[serde(default)]
    packages: BTreeMap<String, RawEntry>,
    #[serde(default)]
    dependencies: BTreeMap<String, RawV1Entry>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawEntry {
    name: Option<String>,
    version: Option<String>,
    resolved: Option<String>,
    #[serde(default)]
    link: bool,
    #[serde(default)]
    has_install_script: bool,
    #[serde(default)]
    os: Vec<String>,
    #[serde(default)]
    cpu: Vec<String>,
    #[serde(default)]
    dependencies: BTreeMap<String, String>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, String>,
    #[serde(default)]
    peer_dependencies: BTreeMap<String, String>,
    #[serde(default)]
    dev_dependencies: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct RawV1Entry {
    version: String,
    #[serde(default)]
    requires: BTreeMap<String, String>,
    #[serde(default)]
    dependencies: BTreeMap<String, RawV1Entry>,
}

pub(super) fn parse(path: &Path, text: &str) -> ParseResult {
    let raw: RawLock = serde_json::from_str(text).map_err(|e| InputError::json(path, &e))?;
    let format = match raw.lockfile_version {
        Some(1) => LockfileFormat::NpmV1,
        Some(2) => LockfileFormat::NpmV2,
        Some(3) => LockfileFormat::NpmV3,
        Some(other) => return Ok(Err(format!("lockfileVersion {other} is not supported"))),
        None => return Ok(Err("no lockfileVersion field".into())),
    };
    let mut packages = raw.packages;
    if format == LockfileFormat::NpmV1 || packages.is_empty() {
        packages = flatten_v1(raw.dependencies);
    }
    Ok(Ok((format, build(packages))))
}

/// v1's nested tree → v2-style locations. Only `requires` names edges there.
fn flatten_v1(deps: BTreeMap<String, RawV1Entry>) -> BTreeMap<String, RawEntry> {
    fn walk(
        prefix: &str,
        deps: BTreeMap<String, RawV1Entry>,
        out: &mut BTreeMap<String, RawEntry>,
    ) {
        for (name, entry) in deps {
            let location = if prefix.is_empty() {
                format!("node_modules/{name}")
            } else {
                format!("{prefix}/node_modules/{name}")
            };
            // An alias ("npm:real@1.0.0") records the real name in the version.
            let (real_name, version) = match entry.version.strip_prefix("npm:") {
                Some(rest) => match super::split_name_version(rest) {
                    Some((n, v)) => (Some(n.to_owned()), v.to_owned()),
                    None => (None, entry.version.clone()),
                },
                None => (None, entry.version.clone()),
            };
            walk(&location, entry.dependencies, out);
            out.insert(
                location,
                RawEntry {
                    name: real_name,
                    version: Some(version),
                    dependencies: entry.requires,
                    ..RawEntry::default()
                },
            );
        }
    }
    let mut out = BTreeMap::new();
    walk("", deps, &mut out);
    out
}

fn build(entries: BTreeMap<String, RawEntry>) -> LockGraph {
    // Links (workspace members symlinked into node_modules) point at their target location.
    let link_target: HashMap<&str, &str> = entries
        .iter()
        .filter(|(_, e)| e.link)
        .filter_map(|(loc, e)| Some((loc.as_str(), e.resolved.as_deref()?)))
        .collect();

    let mut id_of: HashMap<&str, PkgId> = HashMap::new();
    let mut packages = Vec::new();
    for (location, entry) in &entries {
        if entry.link || location.is_empty() || !location.contains("node_modules/") {
            continue;
        }
        let name = entry
            .name
            .clone()
            .unwrap_or_else(|| name_from_location(location).to_owned());
        id_of.insert(location, packages.len());
        packages.push(LockedPackage {
            name,
            version: entry.version.clone().unwrap_or_default(),
            dependencies: Vec::new(),
            has_install_script: entry.has_install_script,
            platform_specific: !entry.os.is_empty() || !entry.cpu.is_empty(),
        });
    }

    let resolve = |from: &str, dep: &str| -> Option<PkgId> {
        let mut prefix = from;
        loop {
            let candidate = if prefix.is_empty() {
                format!("node_modules/{dep}")
            } else {
                format!("{prefix}/node_modules/{dep}")
            };
            let candidate = link_target
                .get(candidate.as_str())
                .copied()
                .unwrap_or(&candidate);
            if let Some(&id) = id_of.get(candidate) {
                return Some(id);
            }
            if prefix.is_empty() {
                return None;
            }
            prefix = prefix.rfind('/').map_or("", |i| &prefix[..i]);
        }
    };

    for (location, entry) in &entries {
        let Some(&id) = id_of.get(location.as_str()) else {
            continue;
        };
        let deps: Vec<PkgId> = entry
            .dependencies
            .keys()
            .chain(entry.optional_dependencies.keys())
            .chain(entry.peer_dependencies.keys())
            .filter_map(|dep| resolve(location, dep))
            .collect();
        packages[id].dependencies = deps;
    }

    let mut importers = BTreeMap::new();
    for (location, entry) in &entries {
        let is_importer = !entry.link && !location.contains("node_modules/");
        if !is_importer {
            continue;
        }
        let dependencies = entry
            .dependencies
            .keys()
            .chain(entry.optional_dependencies.keys())
            .chain(entry.peer_dependencies.keys())
            .chain(entry.dev_dependencies.keys())
            .filter_map(|dep| Some((dep.clone(), resolve(location, dep)?)))
            .collect();
        let dir = if location.is_empty() {
            "."
        } else {
            location.as_str()
        };
        importers.insert(dir.to_owned(), Importer { dependencies });
    }
    if !importers.contains_key(".") {
        // v1 (and a v2 file without a root entry): the root requires every top-level package.
        let dependencies = entries
            .keys()
            .filter(|loc| loc.matches("node_modules/").count() == 1)
            .filter_map(|loc| {
                Some((
                    name_from_location(loc).to_owned(),
                    *id_of.get(loc.as_str())?,
                ))
            })
            .collect();
        importers.insert(".".into(), Importer { dependencies });
    }
    LockGraph {
        packages,
        importers,
        descriptors: HashMap::new(),
    }
}

/// "node_modules/a/node_modules/@s/b" → "@s/b".
fn name_from_location(location: &str) -> &str {
    location
        .rfind("node_modules/")
        .map_or(location, |i| &location[i + "node_modules/".len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(text: &str) -> (LockfileFormat, LockGraph) {
        parse(Path::new("package-lock.json"), text)
            .unwrap()
            .unwrap()
    }

    #[test]
    fn v3_resolves_nested_before_hoisted() {
        let (format, g) = graph(
            r#"{"lockfileVersion":3,"packages":{
                "":{"dependencies":{"a":"1","b":"1"}},
                "node_modules/a":{"version":"1.0.0","dependencies":{"c":"2"}},
                "node_modules/a/node_modules/c":{"version":"2.0.0"},
                "node_modules/b":{"version":"1.0.0","dependencies":{"c":"1"},"hasInstallScript":true},
                "node_modules/c":{"version":"1.0.0","os":["darwin"]}
            }}"#,
        );
        assert_eq!(format, LockfileFormat::NpmV3);
        let a = g.resolved(".", "a", "").unwrap().1;
        assert_eq!(g.packages[a.dependencies[0]].version, "2.0.0");
        let b = g.resolved(".", "b", "").unwrap().1;
        assert!(b.has_install_script);
        let hoisted_c = &g.packages[b.dependencies[0]];
        assert_eq!(hoisted_c.version, "1.0.0");
        assert!(hoisted_c.platform_specific);
    }

    #[test]
    fn workspace_members_are_importers_and_links_resolve() {
        let (_, g) = graph(
            r#"{"lockfileVersion":2,"packages":{
                "":{"workspaces":["packages/*"]},
                "packages/api":{"name":"api","dependencies":{"lib":"*","x":"1"}},
                "packages/lib":{"name":"lib","version":"1.0.0"},
                "node_modules/api":{"resolved":"packages/api","link":true},
                "node_modules/lib":{"resolved":"packages/lib","link":true},
                "node_modules/x":{"version":"1.2.3"}
            }}"#,
        );
        assert_eq!(
            g.resolved("packages/api", "x", "").unwrap().1.version,
            "1.2.3"
        );
        // A workspace sibling is not a registry package.
        assert!(g.resolved("packages/api", "lib", "").is_none());
    }

    #[test]
    fn v1_tree_is_flattened() {
        let (format, g) = graph(
            r#"{"lockfileVersion":1,"dependencies":{
                "a":{"version":"1.0.0","requires":{"b":"^2"},"dependencies":{"b":{"version":"2.0.0"}}},
                "b":{"version":"1.0.0"},
                "al":{"version":"npm:real@3.0.0"}
            }}"#,
        );
        assert_eq!(format, LockfileFormat::NpmV1);
        let a = g.resolved(".", "a", "").unwrap().1;
        assert_eq!(g.packages[a.dependencies[0]].version, "2.0.0");
        assert_eq!(g.resolved(".", "al", "").unwrap().1.name, "real");
    }

    #[test]
    fn unknown_version_is_unsupported_not_an_error() {
        let result = parse(Path::new("package-lock.json"), r#"{"lockfileVersion":9}"#).unwrap();
        assert!(result.unwrap_err().contains("lockfileVersion 9"));
    }

    #[test]
    fn malformed_json_is_positioned() {
        let err = parse(
            Path::new("package-lock.json"),
            "{\n\"lockfileVersion\": 3,\n\"packages\": [}",
        )
        .unwrap_err();
        assert_eq!(err.position.unwrap().line, 3);
    }
}
