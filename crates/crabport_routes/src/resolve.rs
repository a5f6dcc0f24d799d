//! Module specifiers → project files, as Node and TypeScript resolve them:
//! relative paths (with the extension, `/index`, and `./x.js` → `./x.ts`),
//! tsconfig/jsconfig `paths` (with `extends` chains of relative files) and
//! `baseUrl`. Only the files the walk found count: a specifier that lands in
//! `node_modules`, `dist` or outside the root is a package, not a project file.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

const EXTENSIONS: &[&str] = &["ts", "tsx", "mts", "cts", "js", "jsx", "mjs", "cjs"];

/// `compilerOptions.paths`/`baseUrl` of one tsconfig, made absolute.
#[derive(Debug, Clone, Default)]
struct PathsConfig {
    base_url: Option<PathBuf>,
    /// Pattern (`@app/*`) → targets, absolute with the `*` kept.
    paths: Vec<(String, Vec<String>)>,
}

pub struct Resolver {
    files: HashSet<PathBuf>,
    root: PathBuf,
    /// Directory → the paths config of its nearest tsconfig.
    configs: Mutex<HashMap<PathBuf, Option<std::sync::Arc<PathsConfig>>>>,
}

impl Resolver {
    pub fn new(root: &Path, files: &[PathBuf]) -> Self {
        Self {
            files: files.iter().map(|f| lexical(f)).collect(),
            root: lexical(root),
            configs: Mutex::default(),
        }
    }

    /// The project file `specifier` names from `importer`, if any.
    pub fn resolve(&self, importer: &Path, specifier: &str) -> Option<PathBuf> {
        let dir = importer.parent()?;
        if specifier.starts_with("./")
            || specifier.starts_with("../")
            || specifier == "."
            || specifier == ".."
        {
            return self.file_or_dir(&dir.join(specifier));
        }
        if specifier.starts_with('/') {
            return self.file_or_dir(Path::new(specifier));
        }
        let config = self.config_for(dir)?;
        let mut best: Option<(usize, &(String, Vec<String>))> = None;
        for entry in &config.paths {
            let (pattern, _) = entry;
            let matched = match pattern.split_once('*') {
                Some((pre, post)) => {
                    specifier.len() >= pre.len() + post.len()
                        && specifier.starts_with(pre)
                        && specifier.ends_with(post)
                }
                None => pattern == specifier,
            };
            if matched && best.is_none_or(|(len, _)| pattern.len() > len) {
                best = Some((pattern.len(), entry));
            }
        }
        if let Some((_, (pattern, targets))) = best {
            let star = match pattern.split_once('*') {
                Some((pre, post)) => &specifier[pre.len()..specifier.len() - post.len()],
                None => "",
            };
            for target in targets {
                if let Some(found) = self.file_or_dir(Path::new(&target.replacen('*', star, 1))) {
                    return Some(found);
                }
            }
        }
        let base = config.base_url.as_ref()?;
        self.file_or_dir(&base.join(specifier))
    }

    fn file_or_dir(&self, path: &Path) -> Option<PathBuf> {
        let path = lexical(path);
        if self.files.contains(&path) {
            return Some(path);
        }
        let name = path.file_name()?.to_str()?.to_owned();
        // `./x.js` written for a `./x.ts` (TypeScript ESM), `.mjs` → `.mts`.
        for (js, ts) in [
            (".js", &["ts", "tsx"][..]),
            (".jsx", &["tsx"]),
            (".mjs", &["mts"]),
            (".cjs", &["cts"]),
        ] {
            if let Some(stem) = name.strip_suffix(js) {
                for ext in ts {
                    let candidate = path.with_file_name(format!("{stem}.{ext}"));
                    if self.files.contains(&candidate) {
                        return Some(candidate);
                    }
                }
            }
        }
        for ext in EXTENSIONS {
            let candidate = path.with_file_name(format!("{name}.{ext}"));
            if self.files.contains(&candidate) {
                return Some(candidate);
            }
        }
        for ext in EXTENSIONS {
            let candidate = path.join(format!("index.{ext}"));
            if self.files.contains(&candidate) {
                return Some(candidate);
            }
        }
        None
    }

    /// The paths config of the nearest tsconfig.json/jsconfig.json at or
    /// above `dir`, within the root.
    fn config_for(&self, dir: &Path) -> Option<std::sync::Arc<PathsConfig>> {
        let dir = lexical(dir);
        if let Ok(cache) = self.configs.lock()
            && let Some(found) = cache.get(&dir)
        {
            return found.clone();
        }
        let found = ["tsconfig.json", "jsconfig.json"]
            .iter()
            .map(|name| dir.join(name))
            .find(|p| p.is_file())
            .map(|p| std::sync::Arc::new(read_config(&p, 0)))
            .or_else(|| {
                if dir == self.root || !dir.starts_with(&self.root) {
                    return None;
                }
                self.config_for(dir.parent()?)
            });
        if let Ok(mut cache) = self.configs.lock() {
            cache.insert(dir, found.clone());
        }
        found
    }
}

/// Reads `compilerOptions.baseUrl`/`paths` of `file`, following relative
/// `extends`; a config that cannot be read or parsed counts as empty.
fn read_config(file: &Path, depth: usize) -> PathsConfig {
    let Ok(text) = std::fs::read_to_string(file) else {
        return PathsConfig::default();
    };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(&strip_jsonc(&text)) else {
        return PathsConfig::default();
    };
    let dir = file.parent().unwrap_or(Path::new("."));
    let mut config = PathsConfig::default();
    if depth < 8 {
        let extends: Vec<&str> = match json.get("extends") {
            Some(serde_json::Value::String(s)) => vec![s.as_str()],
            Some(serde_json::Value::Array(a)) => a.iter().filter_map(|v| v.as_str()).collect(),
            _ => Vec::new(),
        };
        for parent in extends.into_iter().filter(|e| e.starts_with('.')) {
            let mut path = dir.join(parent);
            if path.extension().is_none() {
                path.set_extension("json");
            }
            let inherited = read_config(&path, depth + 1);
            if inherited.base_url.is_some() {
                config.base_url = inherited.base_url;
            }
            if !inherited.paths.is_empty() {
                config.paths = inherited.paths;
            }
        }
    }
    let options = json.get("compilerOptions");
    if let Some(base) = options
        .and_then(|o| o.get("baseUrl"))
        .and_then(|b| b.as_str())
    {
        config.base_url = Some(lexical(&dir.join(base)));
    }
    if let Some(paths) = options
        .and_then(|o| o.get("paths"))
        .and_then(|p| p.as_object())
    {
        // Targets are relative to baseUrl, or to this config without one.
        let base = config.base_url.clone().unwrap_or_else(|| dir.to_owned());
        config.paths = paths
            .iter()
            .map(|(pattern, targets)| {
                let targets = targets
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|t| t.as_str())
                    .map(|t| base.join(t).to_string_lossy().into_owned())
                    .collect();
                (pattern.clone(), targets)
            })
            .collect();
    }
    config
}

/// JSON with comments and trailing commas (tsconfig's dialect) → JSON.
pub(crate) fn strip_jsonc(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            out.push(b);
            if b == b'\\' && i + 1 < bytes.len() {
                out.push(bytes[i + 1]);
                i += 2;
                continue;
            }
            if b == b'"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                out.push(b);
                i += 1;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b',' => {
                let next = bytes[i + 1..].iter().find(|c| !c.is_ascii_whitespace());
                if !matches!(next, Some(b'}' | b']')) {
                    out.push(b);
                }
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_default()
}

/// `path` with `.` and `..` folded, without touching the file system.
pub(crate) fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// The npm package a bare specifier names (`@scope/name/sub` →
/// `@scope/name`), `None` for relative paths and node builtins.
pub fn package_name(specifier: &str) -> Option<&str> {
    if specifier.starts_with('.')
        || specifier.starts_with('/')
        || specifier.starts_with("node:")
        || specifier.starts_with('#')
    {
        return None;
    }
    let mut parts = specifier.splitn(3, '/');
    let first = parts.next()?;
    let end = if first.starts_with('@') {
        first.len() + 1 + parts.next()?.len()
    } else {
        first.len()
    };
    Some(&specifier[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonc_loses_comments_and_trailing_commas_but_not_strings() {
        let text = "{ // c\n \"a\": \"//not\", /* b */ \"p\": [\"x\",],\n}";
        let json: serde_json::Value = serde_json::from_str(&strip_jsonc(text)).expect("json");
        assert_eq!(json["a"], "//not");
        assert_eq!(json["p"][0], "x");
    }

    #[test]
    fn package_names() {
        assert_eq!(package_name("@nestjs/common/x"), Some("@nestjs/common"));
        assert_eq!(package_name("lodash/fp"), Some("lodash"));
        assert_eq!(package_name("./x"), None);
        assert_eq!(package_name("node:fs"), None);
    }
}
