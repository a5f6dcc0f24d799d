//! `yarn.lock`: classic (v1, yarn's own indented format) and berry (YAML
//! with `__metadata`).
//!
//! Both key entries by descriptors (`name@range`, several per entry) and list
//! dependencies as `name range`, so a dependency resolves by looking its
//! descriptor up. Classic records no workspace members: the members'
//! package.json descriptors resolve against the same table.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crabport_core::{InputError, Position};
use serde_yaml_ng::Value;

use super::syml::{self, Node};
use super::{Importer, LockGraph, LockedPackage, LockfileFormat, ParseResult, PkgId};

pub(super) fn parse(path: &Path, text: &str) -> ParseResult {
    if text.lines().any(|l| l.starts_with("__metadata:")) {
        parse_berry(path, text)
    } else {
        parse_classic(path, text)
    }
}

/// A parsed entry before edges are resolved.
struct Entry {
    descriptors: Vec<String>,
    package: LockedPackage,
    deps: Vec<(String, String)>,
    workspace_dir: Option<String>,
    /// berry: the entry's `resolution`, which relative descriptors of its
    /// dependencies are bound to (`file:./x::locator=<it, encoded>`).
    locator: Option<String>,
}

/// What `encodeURIComponent` leaves alone; berry encodes bound locators with it.
const URI_COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// berry's `bindDescriptor`: `range` with the parent's locator as a parameter.
fn bind(range: &str, locator: &str) -> String {
    let encoded = percent_encoding::utf8_percent_encode(locator, URI_COMPONENT);
    // A range with parameters already (`::version=…`) gets one more.
    if range.contains("::") {
        format!("{range}&locator={encoded}")
    } else {
        format!("{range}::locator={encoded}")
    }
}

/// Descriptors index entries; a classic graph's importers are filled later
/// from package.json files (see [`super::super::Project`]).
fn link(entries: Vec<Entry>, berry: bool) -> LockGraph {
    let mut by_descriptor: HashMap<String, PkgId> = HashMap::new();
    for (id, entry) in entries.iter().enumerate() {
        for d in &entry.descriptors {
            by_descriptor.insert(d.clone(), id);
        }
    }
    // Relative descriptors (`file:`, `link:`, `patch:` with `./x.patch`) are
    // keyed bound to the locator of the package that declares them.
    let lookup = |name: &str, range: &str, locator: Option<&str>| -> Option<PkgId> {
        locator
            .and_then(|l| by_descriptor.get(&format!("{name}@{}", bind(range, l))))
            .or_else(|| by_descriptor.get(&format!("{name}@{range}")))
            .or_else(|| {
                berry
                    .then(|| by_descriptor.get(&format!("{name}@npm:{range}")))
                    .flatten()
            })
            .copied()
    };
    let mut packages = Vec::with_capacity(entries.len());
    let mut importers = BTreeMap::new();
    let mut workspace_ids = Vec::new();
    for (id, entry) in entries.iter().enumerate() {
        let locator = entry.locator.as_deref();
        let deps: Vec<PkgId> = entry
            .deps
            .iter()
            .filter_map(|(n, r)| lookup(n, r, locator))
            .collect();
        if let Some(dir) = &entry.workspace_dir {
            workspace_ids.push(id);
            let dependencies = entry
                .deps
                .iter()
                .filter_map(|(n, r)| Some((n.clone(), lookup(n, r, locator)?)))
                .collect();
            importers.insert(dir.clone(), Importer { dependencies });
        }
        let mut package = entry.package.clone();
        package.dependencies = deps;
        packages.push(package);
    }
    // Workspace members are the project's own code, not registry packages:
    // importers keep their edges, nothing else should resolve to them.
    for importer in importers.values_mut() {
        importer
            .dependencies
            .retain(|_, id| !workspace_ids.contains(id));
    }
    for package in &mut packages {
        package
            .dependencies
            .retain(|id| !workspace_ids.contains(id));
    }
    LockGraph {
        packages,
        importers,
        descriptors: by_descriptor,
    }
}

/// Yarn classic: `"a@^1", a@~1.2:` headers, two-space fields, four-space maps.
fn parse_classic(path: &Path, text: &str) -> ParseResult {
    let mut entries: Vec<Entry> = Vec::new();
    let mut section: Option<&str> = None;
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        let err = |column: usize, message: &str| {
            InputError::at(
                path,
                Position {
                    line: line_no,
                    column,
                },
                message,
            )
        };
        let trimmed = line.trim_end();
        if trimmed.is_empty() || trimmed.trim_start().starts_with('#') {
            continue;
        }
        let indent = trimmed.len() - trimmed.trim_start().len();
        let body = trimmed.trim_start();
        match indent {
            0 => {
                let header = body.strip_suffix(':').ok_or_else(|| {
                    err(trimmed.len(), "expected an entry header ending with ':'")
                })?;
                let descriptors =
                    split_descriptors(header).map_err(|(col, msg)| err(col + 1, &msg))?;
                let name = descriptors
                    .first()
                    .and_then(|d| descriptor_name(d))
                    .ok_or_else(|| err(1, "expected a `name@range` descriptor"))?
                    .to_owned();
                entries.push(Entry {
                    descriptors,
                    package: LockedPackage {
                        name,
                        ..LockedPackage::default()
                    },
                    deps: Vec::new(),
                    workspace_dir: None,
                    locator: None,
                });
                section = None;
            }
            2 => {
                let entry = entries
                    .last_mut()
                    .ok_or_else(|| err(3, "field outside of an entry"))?;
                if let Some(map) = body.strip_suffix(':') {
                    section = Some(match map {
                        "dependencies" | "optionalDependencies" => "deps",
                        _ => "other",
                    });
                    continue;
                }
                section = None;
                let (key, value) =
                    split_pair(body).map_err(|(col, msg)| err(indent + col + 1, &msg))?;
                if key == "version" {
                    entry.package.version = value;
                }
            }
            4 => {
                let entry = entries
                    .last_mut()
                    .ok_or_else(|| err(5, "dependency outside of an entry"))?;
                match section {
                    Some("deps") => {
                        let pair =
                            split_pair(body).map_err(|(col, msg)| err(indent + col + 1, &msg))?;
                        entry.deps.push(pair);
                    }
                    Some(_) => {}
                    None => return Err(err(5, "unexpected indentation")),
                }
            }
            _ => return Err(err(indent + 1, "unexpected indentation")),
        }
    }
    Ok(Ok((LockfileFormat::YarnClassic, link(entries, false))))
}

/// `"a@^1", a@~1.2` → descriptors without quotes.
fn split_descriptors(header: &str) -> Result<Vec<String>, (usize, String)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for part in header.split(", ") {
        let unquoted = unquote(part.trim()).map_err(|m| (offset, m))?;
        out.push(unquoted);
        offset += part.len() + 2;
    }
    Ok(out)
}

/// `key "value"` or `key value` → (key, value).
fn split_pair(body: &str) -> Result<(String, String), (usize, String)> {
    let (key, rest) = if let Some(stripped) = body.strip_prefix('"') {
        let end = stripped
            .find('"')
            .ok_or((0, "unterminated quoted key".to_owned()))?;
        (stripped[..end].to_owned(), &stripped[end + 1..])
    } else {
        let end = body
            .find(' ')
            .ok_or((0, format!("expected `key value`, found `{body}`")))?;
        (body[..end].to_owned(), &body[end..])
    };
    let value = unquote(rest.trim()).map_err(|m| (body.len() - rest.len(), m))?;
    Ok((key, value))
}

fn unquote(s: &str) -> Result<String, String> {
    match s.strip_prefix('"') {
        Some(inner) => inner
            .strip_suffix('"')
            .map(|v| v.replace("\\\"", "\""))
            .ok_or_else(|| "unterminated string".to_owned()),
        None => Ok(s.to_owned()),
    }
}

/// `@scope/name@npm:^1` → `@scope/name`.
fn descriptor_name(descriptor: &str) -> Option<&str> {
    let at = descriptor.get(1..)?.find('@')? + 1;
    Some(&descriptor[..at])
}

fn parse_berry(path: &Path, text: &str) -> ParseResult {
    let doc = match syml::parse(text) {
        Ok(doc) => doc,
        // Outside the subset yarn writes: yarn falls back to a full YAML
        // parser, and so do we; if that fails too, our error is the clearer.
        Err(err) => match serde_yaml_ng::from_str::<Value>(text) {
            Ok(value) => from_yaml(&value),
            Err(_) => return Err(InputError::at(path, err.position, err.message)),
        },
    };
    let metadata_version = doc
        .get("__metadata")
        .and_then(|m| m.get("version"))
        .and_then(Node::as_str);
    match metadata_version.and_then(|v| v.trim().parse::<u32>().ok()) {
        Some(4..) => {}
        other => {
            return Ok(Err(format!(
                "yarn berry lockfile __metadata.version {} is not supported",
                other.map_or_else(|| "(missing)".to_owned(), |v| v.to_string())
            )));
        }
    }
    let mut entries = Vec::new();
    for (key, value) in doc.entries() {
        if key == "__metadata" {
            continue;
        }
        let descriptors: Vec<String> = key.split(',').map(|d| d.trim().to_owned()).collect();
        let resolution = value
            .get("resolution")
            .and_then(Node::as_str)
            .unwrap_or_default();
        let Some(name) = descriptor_name(resolution)
            .or_else(|| descriptors.first().and_then(|d| descriptor_name(d)))
            .map(str::to_owned)
        else {
            continue;
        };
        let workspace_dir = resolution
            .strip_prefix(&name)
            .and_then(|r| r.strip_prefix("@workspace:"))
            .map(str::to_owned);
        let mut deps = Vec::new();
        for field in ["dependencies", "optionalDependencies"] {
            for (dep, range) in value.get(field).map(Node::entries).unwrap_or_default() {
                if let Some(range) = range.as_str() {
                    deps.push((dep.clone(), range.to_owned()));
                }
            }
        }
        entries.push(Entry {
            descriptors,
            package: LockedPackage {
                name,
                version: value
                    .get("version")
                    .and_then(Node::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                dependencies: Vec::new(),
                has_install_script: false,
                platform_specific: value.get("conditions").is_some(),
            },
            deps,
            workspace_dir,
            locator: (!resolution.is_empty()).then(|| resolution.to_owned()),
        });
    }
    Ok(Ok((LockfileFormat::YarnBerry, link(entries, true))))
}

/// A full YAML document (the fallback) as the subset's tree.
fn from_yaml(value: &Value) -> Node {
    match value {
        Value::Mapping(map) => Node::Map(
            map.iter()
                .filter_map(|(k, v)| Some((value_string(k)?, from_yaml(v))))
                .collect(),
        ),
        Value::Sequence(items) => Node::List(items.iter().map(from_yaml).collect()),
        Value::Tagged(tagged) => from_yaml(&tagged.value),
        other => Node::Scalar(value_string(other).unwrap_or_default()),
    }
}

fn value_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLASSIC: &str = r#"# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


"@scope/a@^1.0.0", "@scope/a@^1.1.0":
  version "1.2.0"
  resolved "https://registry.yarnpkg.com/@scope/a/-/a-1.2.0.tgz"
  dependencies:
    b "~2.0.0"
  optionalDependencies:
    "c" "^3"

b@~2.0.0:
  version "2.0.1"

c@^3:
  version "3.0.0"
"#;

    #[test]
    fn classic_entries_and_edges() {
        let (format, g) = parse(Path::new("yarn.lock"), CLASSIC).unwrap().unwrap();
        assert_eq!(format, LockfileFormat::YarnClassic);
        assert_eq!(g.packages.len(), 3);
        let a = &g.packages[0];
        assert_eq!((a.name.as_str(), a.version.as_str()), ("@scope/a", "1.2.0"));
        let deps: Vec<_> = a
            .dependencies
            .iter()
            .map(|&i| g.packages[i].name.as_str())
            .collect();
        assert_eq!(deps, ["b", "c"]);
    }

    #[test]
    fn classic_errors_are_positioned() {
        let err = parse(Path::new("yarn.lock"), "a@^1:\n  version \"1.0.0\n").unwrap_err();
        assert_eq!(err.position.unwrap().line, 2);
        assert!(err.message.contains("unterminated"), "{}", err.message);
        let err = parse(Path::new("yarn.lock"), "a@^1\n").unwrap_err();
        assert_eq!(err.position.unwrap().line, 1);
    }

    /// The subset parser reads every berry fixture (written by yarn 3 and 4)
    /// exactly as a full YAML parser does, where the YAML parser can.
    #[test]
    fn berry_subset_parser_agrees_with_a_yaml_parser() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lockfiles");
        let mut compared = 0;
        for dir in [
            "yarn-berry",
            "yarn-berry-protocols",
            "yarn-berry-long-key-v4",
        ] {
            let text = std::fs::read_to_string(fixtures.join(dir).join("yarn.lock")).unwrap();
            let ours = syml::parse(&text).unwrap();
            let yaml: Value = serde_yaml_ng::from_str(&text).unwrap();
            assert_eq!(ours, from_yaml(&yaml), "{dir}");
            compared += ours.entries().len();
        }
        assert!(compared > 150, "{compared}");
    }

    #[test]
    fn berry_outside_the_subset_falls_back_to_yaml() {
        // Flow mappings are valid YAML that yarn reads (through js-yaml) but never writes.
        let text = "__metadata: {version: 8}\n\n\"a@npm:^1\": {version: 1.0.0, resolution: \"a@npm:1.0.0\"}\n";
        let (_, g) = parse(Path::new("yarn.lock"), text).unwrap().unwrap();
        assert_eq!(g.packages[0].version, "1.0.0");
    }

    #[test]
    fn berry_workspaces_and_conditions() {
        let text = r#"
__metadata:
  version: 8
  cacheKey: 10c0

"root@workspace:.":
  version: 0.0.0-use.local
  resolution: "root@workspace:."
  languageName: unknown
  linkType: soft

"api@workspace:packages/api":
  version: 0.0.0-use.local
  resolution: "api@workspace:packages/api"
  dependencies:
    sharp: "npm:0.33.5"
  languageName: unknown
  linkType: soft

"sharp@npm:0.33.5":
  version: 0.33.5
  resolution: "sharp@npm:0.33.5"
  dependencies:
    "@img/sharp-linux-x64": "npm:0.33.5"
  languageName: node
  linkType: hard

"@img/sharp-linux-x64@npm:0.33.5":
  version: 0.33.5
  resolution: "@img/sharp-linux-x64@npm:0.33.5"
  conditions: os=linux & cpu=x64
  languageName: node
  linkType: hard
"#;
        let (format, g) = parse(Path::new("yarn.lock"), text).unwrap().unwrap();
        assert_eq!(format, LockfileFormat::YarnBerry);
        let sharp = g.resolved("packages/api", "sharp", "0.33.5").unwrap().1;
        assert_eq!(sharp.version, "0.33.5");
        assert!(g.packages[sharp.dependencies[0]].platform_specific);
        assert!(g.importers.contains_key("."));
    }
}
