//! Discovers a Node.js project: its `package.json`, workspace members
//! (npm/yarn `workspaces`, `pnpm-workspace.yaml`) and lockfile.

pub mod lockfile;
pub mod manifest;

use std::path::{Path, PathBuf};

use crabport_core::InputError;

pub use lockfile::{LockGraph, LockedPackage, Lockfile, LockfileFormat, PkgId};
pub use manifest::{Dependency, DependencyKind, DependencySource, Manifest};

/// A package.json in the project: the root or a workspace member.
#[derive(Debug, Clone)]
pub struct Member {
    /// Directory relative to the project root, `.` for the root, `/`-separated.
    pub dir: String,
    pub manifest: Manifest,
}

impl Member {
    /// The member's display name: its package name, else its directory.
    pub fn display_name(&self) -> &str {
        self.manifest.name.as_deref().unwrap_or(&self.dir)
    }
}

/// A discovered project.
#[derive(Debug)]
pub struct Project {
    /// The directory that was asked for.
    pub root: PathBuf,
    /// The root package first, then workspace members sorted by directory.
    pub members: Vec<Member>,
    pub lockfile: Option<Lockfile>,
    /// The project root relative to the lockfile's directory (`.` when they
    /// are the same; the lockfile may sit in an enclosing workspace root).
    lockfile_prefix: String,
    /// Things the user should know that do not stop the audit.
    pub warnings: Vec<String>,
}

impl Project {
    /// Reads `dir/package.json`, its workspace members and the lockfile.
    ///
    /// # Errors
    /// A missing or malformed package.json or lockfile: an [`InputError`]
    /// naming the file and position.
    pub fn discover(dir: &Path) -> Result<Self, InputError> {
        let root_manifest_path = dir.join("package.json");
        if !root_manifest_path.is_file() {
            return Err(InputError::new(
                &root_manifest_path,
                if dir.is_dir() {
                    "no package.json here: point crabport at a Node.js project directory"
                } else {
                    "directory not found"
                },
            ));
        }
        let root_manifest = Manifest::read(&root_manifest_path)?;
        let mut warnings = Vec::new();

        let mut patterns = root_manifest.workspaces.clone();
        let pnpm_workspace = dir.join("pnpm-workspace.yaml");
        if pnpm_workspace.is_file() {
            patterns.extend(read_pnpm_workspace(&pnpm_workspace)?);
        }
        let mut members = vec![Member {
            dir: ".".into(),
            manifest: root_manifest,
        }];
        for member_dir in expand_workspaces(dir, &patterns, &mut warnings) {
            let manifest = Manifest::read(&dir.join(&member_dir).join("package.json"))?;
            members.push(Member {
                dir: member_dir,
                manifest,
            });
        }

        let (lockfile, lockfile_prefix) = match find_lockfile(dir, &mut warnings) {
            Some((path, prefix)) => match lockfile::read(&path)? {
                lockfile::LockfileRead::Parsed(lock) => (Some(lock), prefix),
                lockfile::LockfileRead::Unsupported { path, reason } => {
                    warnings.push(format!(
                        "{}: {reason}; versions and native addons come from package.json alone",
                        path.display()
                    ));
                    (None, prefix)
                }
            },
            None => (None, ".".into()),
        };
        Ok(Self {
            root: dir.to_owned(),
            members,
            lockfile,
            lockfile_prefix,
            warnings,
        })
    }

    /// The workspace member at `dir` as a project of its own, sharing this
    /// project's lockfile: what discovering that directory would give,
    /// without reading the files again. `None` when no member is there, or
    /// when the member has a lockfile of its own (discover it then).
    pub fn member_project(&self, dir: &str) -> Option<Project> {
        let member = self.members.iter().find(|m| m.dir == dir && dir != ".")?;
        let member_dir = self.root.join(dir);
        if lockfile::LOCKFILE_NAMES
            .iter()
            .any(|name| member_dir.join(name).is_file())
        {
            return None;
        }
        Some(Project {
            root: member_dir,
            lockfile_prefix: if self.lockfile.is_some() {
                self.importer_dir(member)
            } else {
                ".".to_owned()
            },
            members: vec![Member {
                dir: ".".to_owned(),
                manifest: member.manifest.clone(),
            }],
            lockfile: self.lockfile.clone(),
            warnings: Vec::new(),
        })
    }

    /// The member's directory as the lockfile's importers name it.
    pub fn importer_dir(&self, member: &Member) -> String {
        match (self.lockfile_prefix.as_str(), member.dir.as_str()) {
            (".", dir) => dir.to_owned(),
            (prefix, ".") => prefix.to_owned(),
            (prefix, dir) => format!("{prefix}/{dir}"),
        }
    }

    /// Whether `dep` is the project's own code rather than a package to map
    /// to a crate: `workspace:`, `link:` or `portal:`, or the name of one of
    /// the workspace's packages (npm and yarn classic declare a sibling with
    /// a plain range).
    pub fn is_internal(&self, dep: &Dependency) -> bool {
        dep.source().is_internal()
            || (dep.package == dep.name
                && self
                    .members
                    .iter()
                    .any(|m| m.manifest.name.as_deref() == Some(dep.name.as_str())))
    }

    /// What `dep` of `member` resolved to in the lockfile, if there is one.
    pub fn resolved(&self, member: &Member, dep: &Dependency) -> Option<(PkgId, &LockedPackage)> {
        let lock = self.lockfile.as_ref()?;
        lock.graph
            .resolved(&self.importer_dir(member), &dep.name, &dep.spec)
    }
}

fn read_pnpm_workspace(path: &Path) -> Result<Vec<String>, InputError> {
    #[derive(serde::Deserialize)]
    struct PnpmWorkspace {
        #[serde(default)]
        packages: Vec<String>,
    }
    let text = std::fs::read_to_string(path).map_err(|e| InputError::io(path, &e))?;
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let parsed: PnpmWorkspace =
        serde_yaml_ng::from_str(&text).map_err(|e| lockfile_yaml_error(path, &e))?;
    Ok(parsed.packages)
}

fn lockfile_yaml_error(path: &Path, err: &serde_yaml_ng::Error) -> InputError {
    let position = err.location().map(|l| crabport_core::Position {
        line: l.line(),
        column: l.column(),
    });
    InputError {
        path: path.to_owned(),
        position,
        message: err.to_string(),
    }
}

/// Workspace globs → member directories (relative, sorted, deduplicated).
///
/// As npm and pnpm glob them: `!pattern` excludes; `node_modules` and hidden
/// directories are never entered; a symlinked directory may match a pattern
/// but is never descended into (npm's `follow: false`), so a link back up
/// (`packages/loop -> ../..`) cannot loop; the root is never its own member,
/// and two paths to one directory give one member.
fn expand_workspaces(root: &Path, patterns: &[String], warnings: &mut Vec<String>) -> Vec<String> {
    let compile = |pattern: &str| {
        globset::GlobBuilder::new(pattern.trim_start_matches("./").trim_end_matches('/'))
            .literal_separator(true)
            .build()
            .map(|g| g.compile_matcher())
    };
    let mut includes = Vec::new();
    let mut excludes = Vec::new();
    for pattern in patterns {
        let (negated, body) = match pattern.strip_prefix('!') {
            Some(body) => (true, body),
            None => (false, pattern.as_str()),
        };
        match compile(body) {
            Ok(matcher) if negated => excludes.push(matcher),
            Ok(matcher) => includes.push((pattern, matcher)),
            Err(e) => warnings.push(format!(
                "workspace pattern {pattern:?} is not a valid glob: {e}"
            )),
        }
    }
    if includes.is_empty() {
        return Vec::new();
    }
    // Without `**`, nothing deeper than the longest pattern can match.
    let max_depth = includes
        .iter()
        .map(|(p, _)| (!p.contains("**")).then(|| p.trim_end_matches('/').split('/').count()))
        .collect::<Option<Vec<usize>>>()
        .and_then(|depths| depths.into_iter().max());
    let walker = ignore::WalkBuilder::new(root)
        .standard_filters(false)
        .follow_links(false)
        .max_depth(max_depth)
        .filter_entry(|entry| {
            let name = entry.file_name().to_string_lossy();
            entry.depth() == 0 || !(name.starts_with('.') || name == "node_modules")
        })
        .build();
    let root_identity = root.canonicalize().ok();
    let mut matched = vec![false; includes.len()];
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    for entry in walker.flatten() {
        if entry.depth() == 0 {
            continue;
        }
        let path = entry.path();
        let Ok(rel) = path.strip_prefix(root) else {
            continue;
        };
        let rel = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let hits: Vec<usize> = includes
            .iter()
            .enumerate()
            .filter(|(_, (_, m))| m.is_match(&rel))
            .map(|(i, _)| i)
            .collect();
        // `is_file` follows a symlinked directory: it may be a member, it is just never walked.
        if hits.is_empty()
            || excludes.iter().any(|e| e.is_match(&rel))
            || !path.join("package.json").is_file()
        {
            continue;
        }
        let identity = path.canonicalize().unwrap_or_else(|_| path.to_owned());
        if root_identity.as_ref() == Some(&identity) {
            continue;
        }
        for i in hits {
            matched[i] = true;
        }
        found.push((rel, identity));
    }
    for ((pattern, _), hit) in includes.iter().zip(&matched) {
        if !hit {
            warnings.push(format!("workspace pattern {pattern:?} matches no package"));
        }
    }
    // Two paths to one directory (a symlinked member): keep the real path.
    let is_real = |rel: &str, identity: &Path| {
        root_identity
            .as_ref()
            .is_some_and(|r| identity.strip_prefix(r).is_ok_and(|p| p == Path::new(rel)))
    };
    found.sort_by(|(a, ia), (b, ib)| is_real(b, ib).cmp(&is_real(a, ia)).then_with(|| a.cmp(b)));
    let mut seen = std::collections::HashSet::new();
    let mut dirs: Vec<String> = found
        .into_iter()
        .filter(|(_, identity)| seen.insert(identity.clone()))
        .map(|(rel, _)| rel)
        .collect();
    dirs.sort();
    dirs
}

/// The lockfile of `dir`, or of the nearest enclosing workspace root, and
/// `dir`'s path relative to it.
fn find_lockfile(dir: &Path, warnings: &mut Vec<String>) -> Option<(PathBuf, String)> {
    let absolute = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
    let mut rel_parts: Vec<String> = Vec::new();
    let mut current: Option<&Path> = Some(&absolute);
    while let Some(candidate_dir) = current {
        let found: Vec<PathBuf> = lockfile::LOCKFILE_NAMES
            .iter()
            .map(|name| candidate_dir.join(name))
            .filter(|p| p.is_file())
            .collect();
        if let Some(first) = found.first() {
            if found.len() > 1 {
                warnings.push(format!(
                    "several lockfiles in {}; using {}",
                    candidate_dir.display(),
                    first.file_name().unwrap_or_default().to_string_lossy()
                ));
            }
            rel_parts.reverse();
            let prefix = if rel_parts.is_empty() {
                ".".to_owned()
            } else {
                rel_parts.join("/")
            };
            // Keep the path as the user gave it when it is the project's own lockfile.
            let path = if prefix == "." {
                dir.join(first.file_name().unwrap_or_default())
            } else {
                first.clone()
            };
            return Some((path, prefix));
        }
        // Stop at a repository boundary: a lockfile above it belongs to something else.
        if candidate_dir.join(".git").exists() {
            return None;
        }
        rel_parts.push(candidate_dir.file_name()?.to_string_lossy().into_owned());
        current = candidate_dir.parent();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rel: &str, text: &str) {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn workspaces_are_expanded_and_excluded() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        write(
            root,
            "package.json",
            r#"{"name":"root","workspaces":["packages/*","!packages/skip"]}"#,
        );
        write(root, "packages/b/package.json", r#"{"name":"b"}"#);
        write(root, "packages/a/package.json", r#"{"name":"a"}"#);
        write(root, "packages/skip/package.json", r#"{"name":"skip"}"#);
        write(root, "packages/not-a-package/README.md", "");
        std::fs::create_dir_all(root.join(".git")).unwrap();
        let project = Project::discover(root).unwrap();
        let dirs: Vec<_> = project.members.iter().map(|m| m.dir.as_str()).collect();
        assert_eq!(dirs, [".", "packages/a", "packages/b"]);
        assert!(project.lockfile.is_none());
    }

    /// Runs discovery in a thread so that a regression fails instead of hanging.
    fn discover_within(root: &Path, limit: std::time::Duration) -> Project {
        let root = root.to_owned();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(Project::discover(&root));
        });
        rx.recv_timeout(limit)
            .expect("workspace discovery did not finish")
            .unwrap()
    }

    #[cfg(unix)]
    #[test]
    fn workspace_glob_through_a_symlink_loop_terminates() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        write(
            root,
            "package.json",
            r#"{"name":"root","workspaces":["packages/*","**"]}"#,
        );
        write(root, "packages/a/package.json", r#"{"name":"a"}"#);
        write(root, "tools/b/package.json", r#"{"name":"b"}"#);
        std::os::unix::fs::symlink("../..", root.join("packages/loop")).unwrap();
        std::os::unix::fs::symlink("../tools/b", root.join("packages/b-link")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        let project = discover_within(root, std::time::Duration::from_secs(120));
        let dirs: Vec<_> = project.members.iter().map(|m| m.dir.as_str()).collect();
        // The loop is the root itself: not a member; b is found once, under its real path.
        assert_eq!(dirs, [".", "packages/a", "tools/b"]);
        assert!(project.warnings.is_empty(), "{:?}", project.warnings);
    }

    #[test]
    fn double_star_skips_node_modules_hidden_dirs_and_the_root() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        write(
            root,
            "package.json",
            r#"{"name":"root","workspaces":["**"]}"#,
        );
        write(root, "apps/web/package.json", r#"{"name":"web"}"#);
        write(
            root,
            "apps/web/node_modules/dep/package.json",
            r#"{"name":"dep"}"#,
        );
        write(root, "node_modules/top/package.json", r#"{"name":"top"}"#);
        write(root, ".cache/x/package.json", r#"{"name":"x"}"#);
        std::fs::create_dir_all(root.join(".git")).unwrap();
        let project = Project::discover(root).unwrap();
        let dirs: Vec<_> = project.members.iter().map(|m| m.dir.as_str()).collect();
        assert_eq!(dirs, [".", "apps/web"]);
    }

    #[test]
    fn workspace_glob_matching_nothing_is_a_warning() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        write(
            root,
            "package.json",
            r#"{"workspaces":["packages/*","libs/*","[bad"]}"#,
        );
        write(root, "packages/a/package.json", r#"{"name":"a"}"#);
        std::fs::create_dir_all(root.join(".git")).unwrap();
        let project = Project::discover(root).unwrap();
        assert_eq!(project.members.len(), 2);
        assert_eq!(
            project.warnings,
            [
                "workspace pattern \"[bad\" is not a valid glob: error parsing glob '[bad': unclosed character class; missing ']'",
                "workspace pattern \"libs/*\" matches no package",
            ]
        );
    }

    #[test]
    fn pnpm_workspace_file_is_read() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        write(root, "package.json", r#"{"name":"root"}"#);
        write(root, "pnpm-workspace.yaml", "packages:\n  - 'apps/*'\n");
        write(root, "apps/web/package.json", r#"{"name":"web"}"#);
        std::fs::create_dir_all(root.join(".git")).unwrap();
        let project = Project::discover(root).unwrap();
        assert_eq!(project.members[1].dir, "apps/web");
    }

    #[test]
    fn a_member_finds_the_workspace_lockfile_above_it() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        write(root, "package.json", r#"{"workspaces":["packages/*"]}"#);
        write(
            root,
            "package-lock.json",
            r#"{"lockfileVersion":3,"packages":{"":{},"packages/api":{"dependencies":{"x":"1"}},"node_modules/x":{"version":"1.0.0"}}}"#,
        );
        write(
            root,
            "packages/api/package.json",
            r#"{"name":"api","dependencies":{"x":"1"}}"#,
        );
        let project = Project::discover(&root.join("packages/api")).unwrap();
        let member = &project.members[0];
        assert_eq!(project.importer_dir(member), "packages/api");
        let dep = &member.manifest.dependencies[0];
        assert_eq!(project.resolved(member, dep).unwrap().1.version, "1.0.0");
    }

    #[test]
    fn missing_package_json_is_a_clear_error() {
        let tmp = tempfile::tempdir().unwrap();
        let err = Project::discover(tmp.path()).unwrap_err();
        assert!(err.to_string().contains("no package.json here"), "{err}");
    }

    #[test]
    fn unsupported_lockfile_is_a_warning() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        write(root, "package.json", r#"{"dependencies":{"x":"1"}}"#);
        write(root, "package-lock.json", r#"{"lockfileVersion":7}"#);
        let project = Project::discover(root).unwrap();
        assert!(project.lockfile.is_none());
        assert!(
            project.warnings[0].contains("lockfileVersion 7"),
            "{:?}",
            project.warnings
        );
    }
}
