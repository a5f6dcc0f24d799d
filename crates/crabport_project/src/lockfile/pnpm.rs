//! `pnpm-lock.yaml`, lockfile versions 6.x and 9.x.
//!
//! v6 keys packages as `/name@version(peer@x)`; v9 splits metadata
//! (`packages`, keyed `name@version`) from installed instances (`snapshots`,
//! keyed `name@version(peer@x)`). Importers map each workspace directory to
//! `{ specifier, version }` per dependency.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde_yaml_ng::{Mapping, Value};

use super::{Importer, LockGraph, LockedPackage, LockfileFormat, ParseResult, PkgId};

const DEP_SECTIONS: &[&str] = &["dependencies", "optionalDependencies", "devDependencies"];

pub(super) fn parse(path: &Path, text: &str) -> ParseResult {
    let doc: Value = serde_yaml_ng::from_str(text).map_err(|e| super::yaml_error(path, &e))?;
    let version = doc.get("lockfileVersion").map(|v| match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    });
    let format = match version.as_deref().and_then(|v| v.split('.').next()) {
        Some("6" | "7") => LockfileFormat::PnpmV6,
        Some("9") => LockfileFormat::PnpmV9,
        _ => {
            return Ok(Err(format!(
                "pnpm lockfileVersion {} is not supported (6.x and 9.x are)",
                version.as_deref().unwrap_or("(missing)")
            )));
        }
    };
    let v9 = format == LockfileFormat::PnpmV9;
    let empty = Mapping::new();
    let metadata = doc
        .get("packages")
        .and_then(Value::as_mapping)
        .unwrap_or(&empty);
    let instances = if v9 {
        doc.get("snapshots")
            .and_then(Value::as_mapping)
            .unwrap_or(metadata)
    } else {
        metadata
    };

    let mut id_of: HashMap<&str, PkgId> = HashMap::new();
    let mut packages = Vec::with_capacity(instances.len());
    for (key, entry) in instances {
        let Some(key) = key.as_str() else { continue };
        let bare = key.strip_prefix('/').unwrap_or(key);
        let Some((name, version)) = super::split_name_version(bare) else {
            continue;
        };
        let plain_version = strip_peer_suffix(version);
        let meta = if v9 {
            metadata
                .get(format!("{name}@{plain_version}"))
                .unwrap_or(entry)
        } else {
            entry
        };
        let flag = |field: &str| meta.get(field).and_then(Value::as_bool).unwrap_or(false);
        id_of.insert(key, packages.len());
        packages.push(LockedPackage {
            name: name.to_owned(),
            version: plain_version.to_owned(),
            dependencies: Vec::new(),
            // pnpm 8 also sets requiresBuild on every optional package it did
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
        if version.starts_with("link:") || version.starts_with("file:") {
            return None;
        }
        let key = if !v9 {
            if version.starts_with('/') {
                version.to_owned()
            } else {
                format!("/{name}@{version}")
            }
        } else if strip_peer_suffix(version)
            .get(1..)
            .is_some_and(|v| v.contains('@'))
        {
            // An alias: the version is the full `real@1.0.0` key.
            version.to_owned()
        } else {
            format!("{name}@{version}")
        };
        id_of.get(key.as_str()).copied()
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

fn entry_flag(entry: &Value, field: &str) -> bool {
    entry.get(field).and_then(Value::as_bool).unwrap_or(false)
}

/// `18.2.0(react@18.2.0)` → `18.2.0`.
fn strip_peer_suffix(version: &str) -> &str {
    version.find('(').map_or(version, |i| &version[..i])
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
    fn old_versions_are_unsupported_and_bad_yaml_is_positioned() {
        let r = parse(Path::new("pnpm-lock.yaml"), "lockfileVersion: 5.4\n").unwrap();
        assert!(r.unwrap_err().contains("5.4"));
        let err = parse(
            Path::new("pnpm-lock.yaml"),
            "lockfileVersion: '9.0'\nimporters: [\n",
        )
        .unwrap_err();
        assert!(err.position.is_some(), "{err}");
    }
}
