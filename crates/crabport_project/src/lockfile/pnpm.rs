//! `pnpm-lock.yaml`, lockfile versions 5.x, 6.x and 9.x.
//!
//! v5 (pnpm 6/7) keys packages as `/name/version_peer@x+peer@y`; v6 (pnpm 8)
//! as `/name@version(peer@x)`; v9 (pnpm 9/10) splits metadata (`packages`,
//! keyed `name@version`) from installed instances (`snapshots`, keyed
//! `name@version(peer@x)`). Packages not from the registry (tarball URLs,
//! `file:` directories) have other keys and carry `name`/`version` fields.
//! Importers map each workspace directory to `{ specifier, version }` per
//! dependency (v5: a plain version, beside a `specifiers` map); a v5 file
//! without workspaces keeps those sections at the top level.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde_yaml_ng::{Mapping, Value};

use super::{Importer, LockGraph, LockedPackage, LockfileFormat, ParseResult, PkgId};

const DEP_SECTIONS: &[&str] = &["dependencies", "optionalDependencies", "devDependencies"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dialect {
    V5,
    V6,
    V9,
}

pub(super) fn parse(path: &Path, text: &str) -> ParseResult {
    let doc: Value = serde_yaml_ng::from_str(text).map_err(|e| super::yaml_error(path, &e))?;
    let version = doc.get("lockfileVersion").map(|v| match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    });
    let (format, dialect) = match version.as_deref().and_then(|v| v.split('.').next()) {
        Some("5") => (LockfileFormat::PnpmV5, Dialect::V5),
        Some("6" | "7") => (LockfileFormat::PnpmV6, Dialect::V6),
        Some("9") => (LockfileFormat::PnpmV9, Dialect::V9),
        _ => {
            return Ok(Err(format!(
                "pnpm lockfileVersion {} is not supported (5.x, 6.x and 9.x are)",
                version.as_deref().unwrap_or("(missing)")
            )));
        }
    };
    let empty = Mapping::new();
    let metadata = doc
        .get("packages")
        .and_then(Value::as_mapping)
        .unwrap_or(&empty);
    let instances = if dialect == Dialect::V9 {
        doc.get("snapshots")
            .and_then(Value::as_mapping)
            .unwrap_or(metadata)
    } else {
        metadata
    };
    let lock_dir = path.parent().unwrap_or(Path::new("."));

    let mut id_of: HashMap<&str, PkgId> = HashMap::new();
    let mut packages = Vec::with_capacity(instances.len());
    for (key, entry) in instances {
        let Some(key) = key.as_str() else { continue };
        let parsed = split_key(key, dialect);
        let meta = match (dialect, parsed) {
            (Dialect::V9, Some((name, version))) => metadata
                .get(format!("{name}@{}", strip_peer_suffix(version, dialect)))
                .unwrap_or(entry),
            _ => entry,
        };
        let field = |name: &str| meta.get(name).and_then(Value::as_str);
        // Tarball and directory entries name themselves; so may a v9 tarball's `version`.
        let Some(name) = field("name").or(parsed.map(|(n, _)| n)) else {
            continue;
        };
        let mut version = field("version")
            .or(parsed.map(|(_, v)| strip_peer_suffix(v, dialect)))
            .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))
            .unwrap_or_default()
            .to_owned();
        if version.is_empty()
            && let Some(dir) = meta
                .get("resolution")
                .and_then(|r| r.get("directory"))
                .and_then(Value::as_str)
        {
            // pnpm 8+ records no version for a `file:` directory: its package.json has it.
            version = directory_version(&lock_dir.join(dir)).unwrap_or_default();
        }
        let flag = |field: &str| meta.get(field).and_then(Value::as_bool).unwrap_or(false);
        id_of.insert(key, packages.len());
        packages.push(LockedPackage {
            name: name.to_owned(),
            version,
            dependencies: Vec::new(),
            // pnpm 7/8 also set requiresBuild on every optional package they did
            // not fetch (tslib, wasm fallbacks): only trust it on the others.
            has_install_script: flag("requiresBuild")
                && !flag("optional")
                && !entry_flag(entry, "optional"),
            platform_specific: meta.get("os").is_some()
                || meta.get("cpu").is_some()
                || meta.get("libc").is_some(),
        });
    }

    let reference = |name: &str, version: &str| -> Option<PkgId> {
        id_of
            .get(dependency_key(name, version, dialect)?.as_str())
            .copied()
    };

    for (key, entry) in instances {
        let Some(&id) = key.as_str().and_then(|k| id_of.get(k)) else {
            continue;
        };
        packages[id].dependencies = ["dependencies", "optionalDependencies"]
            .iter()
            .filter_map(|section| entry.get(section).and_then(Value::as_mapping))
            .flatten()
            .filter_map(|(dep, version)| reference(dep.as_str()?, version.as_str()?))
            .collect();
    }

    let mut importers = BTreeMap::new();
    let importer_entries: Vec<(String, &Value)> =
        match doc.get("importers").and_then(Value::as_mapping) {
            Some(map) => map
                .iter()
                .filter_map(|(dir, v)| Some((dir.as_str()?.to_owned(), v)))
                .collect(),
            // A single project keeps its sections at the top level.
            None => vec![(".".to_owned(), &doc)],
        };
    for (dir, entry) in importer_entries {
        let dependencies = DEP_SECTIONS
            .iter()
            .filter_map(|section| entry.get(section).and_then(Value::as_mapping))
            .flatten()
            .filter_map(|(dep, spec)| {
                let dep = dep.as_str()?;
                let version = match spec {
                    Value::String(v) => v.as_str(),
                    other => other.get("version")?.as_str()?,
                };
                Some((dep.to_owned(), reference(dep, version)?))
            })
            .collect();
        importers.insert(dir, Importer { dependencies });
    }
    Ok(Ok((
        format,
        LockGraph {
            packages,
            importers,
            descriptors: HashMap::new(),
        },
    )))
}

/// A registry package's key → (name, version with any peer suffix); `None`
/// for keys that are not `name` + `version` (tarballs, `file:` in v5/v6).
fn split_key(key: &str, dialect: Dialect) -> Option<(&str, &str)> {
    match dialect {
        Dialect::V5 => {
            let bare = key.strip_prefix('/')?;
            let scope_end = if bare.starts_with('@') {
                bare.find('/')? + 1
            } else {
                0
            };
            let name_end = scope_end + bare[scope_end..].find('/')?;
            Some((&bare[..name_end], &bare[name_end + 1..]))
        }
        Dialect::V6 => super::split_name_version(key.strip_prefix('/')?),
        Dialect::V9 => super::split_name_version(key),
    }
}

/// What a dependency's version in an importer or package entry points at:
/// the package key, as pnpm's `refToRelative` computes it. `None` for `link:`.
fn dependency_key(name: &str, reference: &str, dialect: Dialect) -> Option<String> {
    if reference.starts_with("link:") {
        return None;
    }
    Some(match dialect {
        Dialect::V5 | Dialect::V6 if reference.starts_with("file:") => reference.to_owned(),
        // `4.17.21`, `18.2.0_react@18.2.0`; a `/` means a full key (an alias, a tarball).
        Dialect::V5 if !reference.contains('/') => format!("/{name}/{reference}"),
        Dialect::V6
            if !reference[..reference.find('(').unwrap_or(reference.len())].contains('/') =>
        {
            format!("/{name}@{reference}")
        }
        Dialect::V5 | Dialect::V6 => reference.to_owned(),
        Dialect::V9 => {
            let at = reference.find('@');
            let colon = reference.find(':');
            let paren = reference.find('(');
            match at {
                // An alias or scoped key (`real@1.0.0`, `@s/real@1.0.0`).
                Some(0) => reference.to_owned(),
                Some(at) if colon.is_none_or(|c| at < c) && paren.is_none_or(|p| at < p) => {
                    reference.to_owned()
                }
                _ => format!("{name}@{reference}"),
            }
        }
    })
}

/// The `version` of the package.json in `dir`.
fn directory_version(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("package.json")).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    value.get("version")?.as_str().map(str::to_owned)
}

fn entry_flag(entry: &Value, field: &str) -> bool {
    entry.get(field).and_then(Value::as_bool).unwrap_or(false)
}

/// `18.2.0(react@18.2.0)` → `18.2.0`; v5: `18.2.0_react@18.2.0` → `18.2.0`.
fn strip_peer_suffix(version: &str, dialect: Dialect) -> &str {
    let end = match dialect {
        Dialect::V5 => version.find(['_', '(']),
        Dialect::V6 | Dialect::V9 => version.find('('),
    };
    end.map_or(version, |i| &version[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v6_keys_and_peer_suffixes() {
        let text = r#"
lockfileVersion: '6.0'
importers:
  .:
    devDependencies:
      prettier: {specifier: 3.0.0, version: 3.0.0}
  packages/web:
    dependencies:
      react-dom: {specifier: 18.2.0, version: 18.2.0(react@18.2.0)}
      lib: {specifier: workspace:*, version: link:../lib}
packages:
  /prettier@3.0.0:
    dev: true
  /react-dom@18.2.0(react@18.2.0):
    dependencies:
      react: 18.2.0
    dev: false
  /react@18.2.0:
    dev: false
  /fsevents@2.3.3:
    os: [darwin]
    requiresBuild: true
"#;
        let (format, g) = parse(Path::new("pnpm-lock.yaml"), text).unwrap().unwrap();
        assert_eq!(format, LockfileFormat::PnpmV6);
        let (_, dom) = g.resolved("packages/web", "react-dom", "18.2.0").unwrap();
        assert_eq!(dom.version, "18.2.0");
        assert_eq!(g.packages[dom.dependencies[0]].name, "react");
        assert!(g.resolved("packages/web", "lib", "workspace:*").is_none());
        let fsevents = g.packages.iter().find(|p| p.name == "fsevents").unwrap();
        assert!(fsevents.has_install_script && fsevents.platform_specific);
    }

    #[test]
    fn v9_snapshots_and_aliases() {
        let text = r#"
lockfileVersion: '9.0'
importers:
  .:
    dependencies:
      old-name: {specifier: npm:string-width@4.2.3, version: string-width@4.2.3}
      '@img/sharp-linux-x64': {specifier: 0.33.5, version: 0.33.5}
packages:
  string-width@4.2.3:
    resolution: {integrity: sha512-x}
  '@img/sharp-linux-x64@0.33.5':
    cpu: [x64]
    os: [linux]
snapshots:
  string-width@4.2.3: {}
  '@img/sharp-linux-x64@0.33.5':
    optional: true
"#;
        let (format, g) = parse(Path::new("pnpm-lock.yaml"), text).unwrap().unwrap();
        assert_eq!(format, LockfileFormat::PnpmV9);
        assert_eq!(
            g.resolved(".", "old-name", "").unwrap().1.name,
            "string-width"
        );
        assert!(
            g.resolved(".", "@img/sharp-linux-x64", "")
                .unwrap()
                .1
                .platform_specific
        );
    }

    #[test]
    fn v5_single_project_keys_peers_and_aliases() {
        let text = r#"
lockfileVersion: 5.4
specifiers:
  '@testing-library/react': ^13.0.0
  old: npm:string-width@4.2.3
  react: 18.2.0
dependencies:
  '@testing-library/react': 13.4.0_react@18.2.0
  old: /string-width/4.2.3
  react: 18.2.0
packages:
  /@testing-library/react/13.4.0_react@18.2.0:
    dependencies:
      react: 18.2.0
    dev: false
  /react/18.2.0:
    dev: false
  /string-width/4.2.3:
    dev: false
"#;
        let (format, g) = parse(Path::new("pnpm-lock.yaml"), text).unwrap().unwrap();
        assert_eq!(format, LockfileFormat::PnpmV5);
        let (_, tl) = g.resolved(".", "@testing-library/react", "").unwrap();
        assert_eq!(
            (tl.name.as_str(), tl.version.as_str()),
            ("@testing-library/react", "13.4.0")
        );
        assert_eq!(g.packages[tl.dependencies[0]].name, "react");
        assert_eq!(g.resolved(".", "old", "").unwrap().1.name, "string-width");
    }

    #[test]
    fn old_versions_are_unsupported_and_bad_yaml_is_positioned() {
        let r = parse(Path::new("pnpm-lock.yaml"), "lockfileVersion: 4.0\n").unwrap();
        assert!(r.unwrap_err().contains("4.0"));
        let err = parse(
            Path::new("pnpm-lock.yaml"),
            "lockfileVersion: '9.0'\nimporters: [\n",
        )
        .unwrap_err();
        assert!(err.position.is_some(), "{err}");
    }
}
