//! Lockfiles as one dependency graph, whatever wrote them.
//!
//! Supported: `package-lock.json`/`npm-shrinkwrap.json` v1–v3, `yarn.lock`
//! (classic and berry), `pnpm-lock.yaml` (lockfile 5.x, 6.x and 9.x).

mod npm;
mod pnpm;
mod syml;
mod yarn;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crabport_core::InputError;

/// Index of a package in [`LockGraph::packages`].
pub type PkgId = usize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LockfileFormat {
    NpmV1,
    NpmV2,
    NpmV3,
    YarnClassic,
    YarnBerry,
    PnpmV5,
    PnpmV6,
    PnpmV9,
}

/// One resolved package in the tree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockedPackage {
    pub name: String,
    pub version: String,
    /// Resolved dependencies (including optional ones that the lockfile resolved).
    pub dependencies: Vec<PkgId>,
    /// npm `hasInstallScript`, pnpm `requiresBuild`: runs install scripts,
    /// often a native build.
    pub has_install_script: bool,
    /// Restricted to some OS/CPU (npm `os`/`cpu`, pnpm `os`/`cpu`, berry
    /// `conditions`): a prebuilt platform binary.
    pub platform_specific: bool,
}

/// A package.json the lockfile resolved: the root or a workspace member.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Importer {
    /// Declared name (package.json key) → resolved package.
    pub dependencies: BTreeMap<String, PkgId>,
}

/// The lockfile's dependency graph.
#[derive(Debug, Clone, Default)]
pub struct LockGraph {
    pub packages: Vec<LockedPackage>,
    /// Keyed by the member's directory relative to the lockfile, `.` for the root.
    pub importers: BTreeMap<String, Importer>,
    /// yarn: `name@range` → package, for package.json entries the lockfile
    /// does not list per importer (classic records no importers at all).
    pub descriptors: std::collections::HashMap<String, PkgId>,
}

impl LockGraph {
    /// The package that `name` (declared as `spec` by the importer at
    /// `importer_dir`, relative to the lockfile) resolved to.
    pub fn resolved(
        &self,
        importer_dir: &str,
        name: &str,
        spec: &str,
    ) -> Option<(PkgId, &LockedPackage)> {
        let id = self
            .importers
            .get(importer_dir)
            .and_then(|i| i.dependencies.get(name))
            .or_else(|| self.descriptors.get(&format!("{name}@{spec}")))
            .or_else(|| self.descriptors.get(&format!("{name}@npm:{spec}")))
            .copied()?;
        Some((id, self.packages.get(id)?))
    }

    /// Every package reachable from `roots`, each with the root it was first
    /// reached through (breadth first, so the attribution is the shortest path).
    pub fn closure(&self, roots: impl IntoIterator<Item = PkgId>) -> Vec<(PkgId, PkgId)> {
        let mut via = vec![None::<PkgId>; self.packages.len()];
        let mut queue = std::collections::VecDeque::new();
        for root in roots {
            if root < via.len() && via[root].is_none() {
                via[root] = Some(root);
                queue.push_back(root);
            }
        }
        let mut order = Vec::new();
        while let Some(id) = queue.pop_front() {
            let root = via[id].unwrap_or(id);
            order.push((id, root));
            for &dep in &self.packages[id].dependencies {
                if dep < via.len() && via[dep].is_none() {
                    via[dep] = Some(root);
                    queue.push_back(dep);
                }
            }
        }
        order
    }
}

/// A parsed lockfile.
#[derive(Debug, Clone)]
pub struct Lockfile {
    pub path: PathBuf,
    pub format: LockfileFormat,
    pub graph: LockGraph,
}

/// What reading a lockfile gave.
#[derive(Debug)]
pub enum LockfileRead {
    Parsed(Lockfile),
    /// A lockfile crabport cannot read (unknown version, bun's binary file):
    /// package.json alone is audited.
    Unsupported {
        path: PathBuf,
        reason: String,
    },
}

/// Lockfile names in the order a package manager would prefer them.
pub const LOCKFILE_NAMES: &[&str] = &[
    "npm-shrinkwrap.json",
    "package-lock.json",
    "pnpm-lock.yaml",
    "yarn.lock",
    "bun.lock",
    "bun.lockb",
];

/// Reads the lockfile at `path`, picking the parser from its name.
///
/// # Errors
/// Unreadable or malformed lockfile: an [`InputError`] with the position.
pub fn read(path: &Path) -> Result<LockfileRead, InputError> {
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if file_name.starts_with("bun.lock") {
        return Ok(LockfileRead::Unsupported {
            path: path.to_owned(),
            reason: "bun lockfiles are not supported yet".into(),
        });
    }
    let text = std::fs::read_to_string(path).map_err(|e| InputError::io(path, &e))?;
    let text = text.trim_start_matches('\u{feff}');
    let parsed = match file_name {
        "package-lock.json" | "npm-shrinkwrap.json" => npm::parse(path, text)?,
        "pnpm-lock.yaml" => pnpm::parse(path, text)?,
        "yarn.lock" => yarn::parse(path, text)?,
        _ => {
            return Err(InputError::new(path, "not a lockfile crabport knows"));
        }
    };
    Ok(match parsed {
        Ok((format, graph)) => LockfileRead::Parsed(Lockfile {
            path: path.to_owned(),
            format,
            graph,
        }),
        Err(reason) => LockfileRead::Unsupported {
            path: path.to_owned(),
            reason,
        },
    })
}

/// A parser's answer: a graph, or (in the inner `Err`) why this version of the
/// format is not supported.
type ParseResult = Result<Result<(LockfileFormat, LockGraph), String>, InputError>;

/// Positions from serde_yaml_ng errors.
fn yaml_error(path: &Path, err: &serde_yaml_ng::Error) -> InputError {
    let message = err.to_string();
    let message = message
        .rfind(" at line ")
        .map_or(message.as_str(), |i| &message[..i])
        .to_owned();
    match err.location() {
        Some(loc) => InputError::at(
            path,
            crabport_core::Position {
                line: loc.line(),
                column: loc.column(),
            },
            message,
        ),
        None => InputError::new(path, message),
    }
}

/// `name@version` keys: the `@` that separates the version (a scoped name starts with `@`).
fn split_name_version(key: &str) -> Option<(&str, &str)> {
    let at = key.get(1..)?.find('@')? + 1;
    Some((&key[..at], &key[at + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_version_split_handles_scopes() {
        assert_eq!(
            split_name_version("express@4.1.0"),
            Some(("express", "4.1.0"))
        );
        assert_eq!(
            split_name_version("@img/sharp@0.33.0"),
            Some(("@img/sharp", "0.33.0"))
        );
        assert_eq!(split_name_version("@img/sharp"), None);
    }

    #[test]
    fn closure_attributes_to_the_nearest_root() {
        let pkg = |name: &str, deps: Vec<PkgId>| LockedPackage {
            name: name.into(),
            version: "1.0.0".into(),
            dependencies: deps,
            ..LockedPackage::default()
        };
        let graph = LockGraph {
            packages: vec![
                pkg("a", vec![2]),
                pkg("b", vec![3]),
                pkg("c", vec![3]),
                pkg("d", vec![0]),
            ],
            ..LockGraph::default()
        };
        let closure = graph.closure([0, 1]);
        assert_eq!(closure, vec![(0, 0), (1, 1), (2, 0), (3, 1)]);
    }
}
