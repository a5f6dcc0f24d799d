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
        let package = registry_name(&spec).unwrap_or_else(|| name.clone());
        Self {
            name,
            package,
            spec,
            kind,
        }
    }

    /// Where the package comes from, judged from its specifier.
    pub fn source(&self) -> DependencySource {
        spec_source(&self.spec)
    }
}

fn spec_source(spec: &str) -> DependencySource {
    let spec = spec.trim();
    if spec.starts_with("workspace:") {
        DependencySource::Workspace
    } else if spec.starts_with("link:") || spec.starts_with("portal:") {
        DependencySource::Link
    } else if let Some(inner) = patched_descriptor(spec) {
        // A patched package is still the package it patches.
        spec_source(split_descriptor(&inner).map_or("", |(_, range)| range))
    } else if spec.starts_with("file:") {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DependencySource {
    Registry,
    /// `workspace:`: a member of this workspace.
    Workspace,
    /// `link:` / `portal:`: a symlink to a directory of the project's own code.
    Link,
    /// `file:`: a local directory or tarball, copied in.
    Local,
    Remote,
}

impl DependencySource {
    /// The project's own code rather than a package to map to a crate.
    pub fn is_internal(self) -> bool {
        matches!(self, Self::Workspace | Self::Link)
    }
}

/// The registry package a specifier names when it differs from the declared
/// name: `npm:@scope/real@^1.2` → `@scope/real`, `npm:real` → `real`, and
/// yarn's `patch:real@npm%3A1.0.0#./fix.patch` → `real`. `npm:^4.17.0` (a
/// range for the declared name, as yarn berry allows) names nothing else.
fn registry_name(spec: &str) -> Option<String> {
    if let Some(rest) = spec.strip_prefix("npm:") {
        return npm_alias_target(rest).map(str::to_owned);
    }
    let inner = patched_descriptor(spec)?;
    let (name, range) = split_descriptor(&inner)?;
    Some(registry_name(range).unwrap_or_else(|| name.to_owned()))
}

/// What follows `npm:`: `name@range`, `@scope/name@range`, a bare name, or
/// (yarn berry) a bare range of the declared package.
fn npm_alias_target(rest: &str) -> Option<&str> {
    if let Some((name, _)) = split_descriptor(rest) {
        return Some(name);
    }
    if rest.is_empty() || is_semver_range(rest) {
        return None;
    }
    Some(rest)
}

/// `patch:name@npm%3A1.0.0#./fix.patch::locator=…` → `name@npm:1.0.0`.
pub(crate) fn patched_descriptor(spec: &str) -> Option<String> {
    let inner = spec.strip_prefix("patch:")?;
    let descriptor = inner.split('#').next().unwrap_or(inner);
    Some(
        percent_encoding::percent_decode_str(descriptor)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

/// `name@range` / `@scope/name@range` → (name, range); `None` without a range part.
pub(crate) fn split_descriptor(descriptor: &str) -> Option<(&str, &str)> {
    let at = descriptor.get(1..)?.find('@')? + 1;
    Some((&descriptor[..at], &descriptor[at + 1..]))
}

/// A node-semver range (`^4.17.0`, `1.x || >=2.1 <3`, `1.2.3 - 2`, `*`), as
/// opposed to a package name (`7zip-bin`, `xml2js`).
pub fn is_semver_range(text: &str) -> bool {
    fn partial(version: &str) -> bool {
        let version = version.strip_prefix(['v', '=']).unwrap_or(version);
        let core = version.split(['-', '+']).next().unwrap_or_default();
        let rest = &version[core.len()..];
        let parts: Vec<&str> = core.split('.').collect();
        parts.len() <= 3
            && parts.iter().all(|p| {
                !p.is_empty()
                    && (p.bytes().all(|b| b.is_ascii_digit()) || matches!(*p, "x" | "X" | "*"))
            })
            // A pre-release or build suffix only follows a full `x.y.z`.
            && (rest.is_empty() || parts.len() == 3)
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.'))
    }
    text.split("||").all(|set| {
        let tokens: Vec<&str> = set.split_whitespace().collect();
        tokens.iter().enumerate().all(|(i, token)| {
            if *token == "-" {
                // A hyphen range `1.0 - 2.0` needs a version on each side.
                return i > 0 && i + 1 < tokens.len();
            }
            let version = token.trim_start_matches(['<', '>', '=', '~', '^']);
            partial(version)
        })
    }) && !text.trim().is_empty()
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
        assert_eq!(dep("link:../x"), DependencySource::Link);
        assert_eq!(dep("portal:../x"), DependencySource::Link);
        assert_eq!(
            dep("patch:x@npm%3A1.0.0#./patches/x.patch"),
            DependencySource::Registry
        );
        assert_eq!(
            dep("patch:x@github%3Auser%2Frepo#./x.patch"),
            DependencySource::Remote
        );
    }

    /// (declared name, registry package) of each dependency.
    fn declared_and_package(m: &Manifest) -> Vec<(&str, &str)> {
        m.dependencies
            .iter()
            .map(|d| (d.name.as_str(), d.package.as_str()))
            .collect()
    }

    #[test]
    fn npm_range_without_a_name_is_the_declared_package() {
        let m = parse(
            r#"{"dependencies":{"lodash":"npm:^4.17.0","ms":"npm:2.x || >=3.0.0-beta.1 <4","left-pad":"npm:1.0.0 - 1.3.0","7zip":"npm:7zip-bin","z":"npm:*"}}"#,
        )
        .unwrap();
        assert_eq!(
            declared_and_package(&m),
            [
                ("7zip", "7zip-bin"),
                ("left-pad", "left-pad"),
                ("lodash", "lodash"),
                ("ms", "ms"),
                ("z", "z"),
            ]
        );
    }

    #[test]
    fn patch_protocol_names_the_patched_package() {
        let m = parse(
            r#"{"dependencies":{
                "left-pad":"patch:left-pad@npm%3A1.3.0#./patches/left-pad.patch",
                "@s/x":"patch:@s/x@npm%3A2.0.0#~/.yarn/patches/x.patch::locator=root%40workspace%3A.",
                "old":"patch:old@npm%3Areal%401.0.0#./real.patch"}}"#,
        )
        .unwrap();
        assert_eq!(
            declared_and_package(&m),
            [("@s/x", "@s/x"), ("left-pad", "left-pad"), ("old", "real")]
        );
    }

    #[test]
    fn semver_ranges_are_told_from_names() {
        for range in [
            "^4.17.0",
            "~1",
            "1.x",
            "*",
            ">=1.2.3 <2",
            "1 - 2",
            "v1.0.0",
            "1.0.0-rc.1+b",
        ] {
            assert!(is_semver_range(range), "{range}");
        }
        for name in ["lodash", "7zip-bin", "xml2js", "latest", "x-y", "", "1 -"] {
            assert!(!is_semver_range(name), "{name}");
        }
    }
}
