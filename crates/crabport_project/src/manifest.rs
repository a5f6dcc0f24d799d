//! `package.json`: the fields a migration audit needs, with positioned errors.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crabport_core::InputError;
use serde::Deserialize;

/// Which `package.json` section a dependency comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DependencyKind {
    Prod,
    Optional,
    Peer,
    Dev,
}

impl DependencyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Prod => "prod",
            Self::Optional => "optional",
            Self::Peer => "peer",
            Self::Dev => "dev",
        }
    }
}

/// One declared dependency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    /// The key in package.json (the name code imports).
    pub name: String,
    /// The registry package behind it: differs from `name` for aliases (`"npm:real@1"`).
    pub package: String,
    /// The version range or other specifier as written.
    pub spec: String,
    pub kind: DependencyKind,
}

impl Dependency {
    fn new(name: String, spec: String, kind: DependencyKind) -> Self {
        let package = alias_target(&spec).unwrap_or(&name).to_owned();
        Self {
            name,
            package,
            spec,
            kind,
        }
    }

    /// Where the package comes from, judged from its specifier.
    pub fn source(&self) -> DependencySource {
        let spec = self.spec.trim();
        if spec.starts_with("workspace:") {
            DependencySource::Workspace
        } else if spec.starts_with("file:")
            || spec.starts_with("link:")
            || spec.starts_with("portal:")
        {
            DependencySource::Local
        } else if spec.starts_with("git")
            || spec.starts_with("github:")
            || spec.starts_with("http:")
            || spec.starts_with("https:")
            || (spec.contains('/') && !spec.starts_with("npm:") && !spec.starts_with('@'))
        {
            DependencySource::Remote
        } else {
            DependencySource::Registry
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DependencySource {
    Registry,
    Workspace,
    Local,
    Remote,
}

/// `"npm:@scope/real@^1.2"` → `@scope/real`.
fn alias_target(spec: &str) -> Option<&str> {
    let rest = spec.strip_prefix("npm:")?;
    let at = rest.get(1..)?.find('@').map_or(rest.len(), |i| i + 1);
    Some(&rest[..at])
}

/// A parsed `package.json`.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub path: PathBuf,
    pub name: Option<String>,
    pub version: Option<String>,
    pub private: bool,
    /// Published as a library (has an entry point and is not private): its
    /// peer dependencies are part of what it needs at run time.
    pub is_library: bool,
    pub dependencies: Vec<Dependency>,
    /// Workspace globs from the `workspaces` field (npm, yarn).
    pub workspaces: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    private: Option<serde_json::Value>,
    main: Option<serde_json::Value>,
    module: Option<serde_json::Value>,
    exports: Option<serde_json::Value>,
    types: Option<serde_json::Value>,
    #[serde(default)]
    dependencies: BTreeMap<String, String>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, String>,
    #[serde(default)]
    peer_dependencies: BTreeMap<String, String>,
    #[serde(default)]
    dev_dependencies: BTreeMap<String, String>,
    workspaces: Option<RawWorkspaces>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawWorkspaces {
    List(Vec<String>),
    Object {
        #[serde(default)]
        packages: Vec<String>,
    },
}

impl Manifest {
    /// Reads and parses `package.json` at `path`.
    ///
    /// # Errors
    /// An [`InputError`] naming the file (and line:column for a parse error).
    pub fn read(path: &Path) -> Result<Self, InputError> {
        let text = std::fs::read_to_string(path).map_err(|e| InputError::io(path, &e))?;
        Self::parse(path, &text)
    }

    /// Parses the text of a `package.json`; `path` is used for errors.
    ///
    /// # Errors
    /// An [`InputError`] with line:column and what was expected.
    pub fn parse(path: &Path, text: &str) -> Result<Self, InputError> {
        let raw: RawManifest = serde_json::from_str(text.trim_start_matches('\u{feff}'))
            .map_err(|e| InputError::json(path, &e))?;
        let private = matches!(raw.private, Some(serde_json::Value::Bool(true)))
            || matches!(&raw.private, Some(serde_json::Value::String(s)) if s == "true");
        let has_entry = raw.main.is_some()
            || raw.module.is_some()
            || raw.exports.is_some()
            || raw.types.is_some();
        // A name present in `dependencies` and `optionalDependencies` is optional
        // (npm's own rule); dev entries that duplicate prod ones are ignored.
        let mut dependencies = Vec::new();
        for (name, spec) in &raw.dependencies {
            if !raw.optional_dependencies.contains_key(name) {
                dependencies.push(Dependency::new(
                    name.clone(),
                    spec.clone(),
                    DependencyKind::Prod,
                ));
            }
        }
        for (name, spec) in raw.optional_dependencies {
            dependencies.push(Dependency::new(name, spec, DependencyKind::Optional));
        }
        for (name, spec) in raw.peer_dependencies {
            if !raw.dependencies.contains_key(&name) {
                dependencies.push(Dependency::new(name, spec, DependencyKind::Peer));
            }
        }
        for (name, spec) in raw.dev_dependencies {
            if !raw.dependencies.contains_key(&name) {
                dependencies.push(Dependency::new(name, spec, DependencyKind::Dev));
            }
        }
        let workspaces = match raw.workspaces {
            Some(RawWorkspaces::List(list)) => list,
            Some(RawWorkspaces::Object { packages }) => packages,
            None => Vec::new(),
        };
        Ok(Self {
            path: path.to_owned(),
            name: raw.name,
            version: raw.version,
            private,
            is_library: has_entry && !private,
            dependencies,
            workspaces,
        })
    }

    /// The directory holding this package.json.
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crabport_core::Position;

    fn parse(text: &str) -> Result<Manifest, InputError> {
        Manifest::parse(Path::new("package.json"), text)
    }

    #[test]
    fn sections_map_to_kinds() {
        let m = parse(
            r#"{"name":"svc","private":true,
                "dependencies":{"express":"^4","fsevents":"^2"},
                "optionalDependencies":{"fsevents":"^2"},
                "peerDependencies":{"react":"*"},
                "devDependencies":{"typescript":"5"}}"#,
        )
        .unwrap();
        let kinds: Vec<_> = m
            .dependencies
            .iter()
            .map(|d| (d.name.as_str(), d.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                ("express", DependencyKind::Prod),
                ("fsevents", DependencyKind::Optional),
                ("react", DependencyKind::Peer),
                ("typescript", DependencyKind::Dev),
            ]
        );
        assert!(!m.is_library);
    }

    #[test]
    fn aliases_resolve_to_the_real_package() {
        let m = parse(r#"{"dependencies":{"old":"npm:@scope/new@^2.0.0","plain":"npm:lodash"}}"#)
            .unwrap();
        assert_eq!(m.dependencies[0].package, "@scope/new");
        assert_eq!(m.dependencies[1].package, "lodash");
    }

    #[test]
    fn workspaces_accept_both_shapes() {
        assert_eq!(
            parse(r#"{"workspaces":["a/*"]}"#).unwrap().workspaces,
            ["a/*"]
        );
        assert_eq!(
            parse(r#"{"workspaces":{"packages":["b/*"],"nohoist":["x"]}}"#)
                .unwrap()
                .workspaces,
            ["b/*"]
        );
    }

    #[test]
    fn errors_point_at_line_and_column() {
        let err = parse("{\n  \"dependencies\": {\n    \"express\": 4\n  }\n}").unwrap_err();
        assert_eq!(
            err.position,
            Some(Position {
                line: 3,
                column: 16
            })
        );
        assert!(err.message.contains("expected a string"), "{}", err.message);
        let err = parse("{\"name\": \"x\",}").unwrap_err();
        assert_eq!(err.position.map(|p| p.line), Some(1));
    }

    #[test]
    fn sources_are_classified() {
        let dep =
            |spec: &str| Dependency::new("x".into(), spec.into(), DependencyKind::Prod).source();
        assert_eq!(dep("^1.0.0"), DependencySource::Registry);
        assert_eq!(dep("workspace:*"), DependencySource::Workspace);
        assert_eq!(dep("file:../x"), DependencySource::Local);
        assert_eq!(dep("github:user/repo"), DependencySource::Remote);
        assert_eq!(dep("user/repo#v1"), DependencySource::Remote);
        assert_eq!(dep("npm:@s/x@1"), DependencySource::Registry);
    }
}
