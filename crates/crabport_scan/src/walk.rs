//! Which files a scan reads: JS/TS sources under the given paths, honouring
//! .gitignore/.ignore, never dependencies, build output or minified bundles.

use std::path::{Path, PathBuf};

pub const EXTENSIONS: &[&str] = &["ts", "tsx", "mts", "cts", "js", "jsx", "mjs", "cjs"];

/// Directory names skipped by default (`--exclude` adds more).
pub const DEFAULT_EXCLUDED_DIRS: &[&str] = &[
    "node_modules",
    "dist",
    "build",
    "coverage",
    ".git",
    ".next",
    "out",
];

/// Test files, skipped unless asked for: tests are rewritten, not ported,
/// and their setup callbacks mutate fixtures by design. A `test/` or `tests/`
/// directory at any depth is test code with everything under it (helpers in
/// `test-support/`, data in `fixtures/`), like `__tests__/`.
pub const TEST_GLOBS: &[&str] = &[
    "*.test.*",
    "*.spec.*",
    "__tests__/",
    "__mocks__/",
    "test/",
    "tests/",
];

/// Files to scan under `roots`, sorted. `excludes` are globs matched against
/// paths relative to each root (gitignore syntax).
///
/// # Errors
/// An invalid exclude glob.
pub fn source_files(roots: &[PathBuf], excludes: &[String]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for root in roots {
        if root.is_file() {
            files.push(root.clone());
            continue;
        }
        let mut overrides = ignore::overrides::OverrideBuilder::new(root);
        for pattern in excludes {
            overrides
                .add(&format!("!{pattern}"))
                .map_err(|e| format!("--exclude {pattern:?}: {e}"))?;
        }
        let overrides = overrides.build().map_err(|e| e.to_string())?;
        let walker = ignore::WalkBuilder::new(root)
            .overrides(overrides)
            .filter_entry(|entry| {
                !(entry.file_type().is_some_and(|t| t.is_dir())
                    && entry
                        .file_name()
                        .to_str()
                        .is_some_and(|n| DEFAULT_EXCLUDED_DIRS.contains(&n)))
            })
            .build();
        for entry in walker.flatten() {
            let path = entry.path();
            if entry.file_type().is_some_and(|t| t.is_file()) && is_source(path) {
                files.push(path.to_owned());
            }
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

fn is_source(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    // Declarations carry no runtime code; `.min.js` is a bundle.
    if name.ends_with(".d.ts")
        || name.ends_with(".d.mts")
        || name.ends_with(".d.cts")
        || name.contains(".min.")
    {
        return false;
    }
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.contains(&e))
}

/// A bundle or minified file: very long lines on average.
pub fn looks_minified(source: &str) -> bool {
    let lines = source.lines().count().max(1);
    source.len() > 4096 && source.len() / lines > 400
}
