//! Which project files import which: `import`, `export … from`, `require`,
//! `import()` with a literal, `import x = require()`; resolved through
//! relative paths and tsconfig `paths`/`baseUrl` ([`crate::resolve`]).
//! Type-only imports are kept as edges but marked: they are erased at run
//! time, so [`ModuleGraph::reachable`] does not follow them.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use crate::extract::{FileFacts, ImportKind};
use crate::resolve::{Resolver, package_name};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EdgeKind {
    Import,
    ReExport,
    Require,
    DynamicImport,
}

/// One specifier a module names.
#[derive(Debug, Clone, Serialize)]
pub struct Edge {
    pub specifier: String,
    pub kind: EdgeKind,
    pub line: u32,
    pub column: u32,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub type_only: bool,
    /// The project file it resolves to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The npm package it names, when it is not a project file or a builtin.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
}

/// A `require(x)`/`import(x)` whose argument is not a literal.
#[derive(Debug, Clone, Serialize)]
pub struct DynamicImport {
    pub line: u32,
    pub column: u32,
    pub expression: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Module {
    /// Relative to the root, `/`-separated.
    pub file: String,
    pub lines: usize,
    /// Of the file's bytes: tells when it changed.
    pub fingerprint: String,
    pub imports: Vec<Edge>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dynamic: Vec<DynamicImport>,
}

/// Every parsed file and its imports.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ModuleGraph {
    pub modules: Vec<Module>,
    #[serde(skip)]
    index: HashMap<String, usize>,
}

const BUILTINS: &[&str] = &[
    "assert",
    "async_hooks",
    "buffer",
    "child_process",
    "cluster",
    "console",
    "constants",
    "crypto",
    "dgram",
    "diagnostics_channel",
    "dns",
    "domain",
    "events",
    "fs",
    "http",
    "http2",
    "https",
    "inspector",
    "module",
    "net",
    "os",
    "path",
    "perf_hooks",
    "process",
    "punycode",
    "querystring",
    "readline",
    "repl",
    "stream",
    "string_decoder",
    "sys",
    "timers",
    "tls",
    "trace_events",
    "tty",
    "url",
    "util",
    "v8",
    "vm",
    "wasi",
    "worker_threads",
    "zlib",
];

impl ModuleGraph {
    pub fn build(facts: &[FileFacts], resolver: &Resolver) -> Self {
        let display: HashMap<&std::path::Path, &str> = facts
            .iter()
            .map(|f| (f.path.as_path(), f.display.as_str()))
            .collect();
        let modules: Vec<Module> = facts
            .iter()
            .map(|f| Module {
                file: f.display.clone(),
                lines: f.lines,
                fingerprint: f.fingerprint.clone(),
                imports: f
                    .imports
                    .iter()
                    .map(|i| {
                        let target = resolver
                            .resolve(&f.path, &i.specifier)
                            .and_then(|t| display.get(t.as_path()).map(|d| (*d).to_owned()));
                        let package = match &target {
                            Some(_) => None,
                            None => package_name(&i.specifier)
                                .filter(|p| !BUILTINS.contains(&p.split('/').next().unwrap_or(p)))
                                .map(str::to_owned),
                        };
                        Edge {
                            specifier: i.specifier.clone(),
                            kind: match i.kind {
                                ImportKind::Import => EdgeKind::Import,
                                ImportKind::ReExport => EdgeKind::ReExport,
                                ImportKind::Require => EdgeKind::Require,
                                ImportKind::DynamicImport => EdgeKind::DynamicImport,
                            },
                            line: i.at.line,
                            column: i.at.column,
                            type_only: i.type_only,
                            target,
                            package,
                        }
                    })
                    .collect(),
                dynamic: f
                    .dynamic_imports
                    .iter()
                    .map(|(at, e)| DynamicImport {
                        line: at.line,
                        column: at.column,
                        expression: e.clone(),
                    })
                    .collect(),
            })
            .collect();
        let index = modules
            .iter()
            .enumerate()
            .map(|(i, m)| (m.file.clone(), i))
            .collect();
        Self { modules, index }
    }

    pub fn module(&self, file: &str) -> Option<&Module> {
        self.index.get(file).map(|&i| &self.modules[i])
    }

    /// The project files `file` reaches at run time, itself included
    /// (empty when `file` is not in the graph).
    pub fn reachable(&self, file: &str) -> BTreeSet<String> {
        self.reachable_from([file])
    }

    /// The project files any of `files` reaches at run time.
    pub fn reachable_from<'f>(&self, files: impl IntoIterator<Item = &'f str>) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<usize> = files
            .into_iter()
            .filter_map(|f| self.index.get(f).copied())
            .collect();
        while let Some(i) = stack.pop() {
            let module = &self.modules[i];
            if !seen.insert(module.file.clone()) {
                continue;
            }
            for edge in module.imports.iter().filter(|e| !e.type_only) {
                if let Some(t) = edge.target.as_ref().and_then(|t| self.index.get(t)) {
                    stack.push(*t);
                }
            }
        }
        seen
    }

    /// The npm packages the files `file` reaches import at run time.
    pub fn packages_reachable(&self, file: &str) -> BTreeSet<String> {
        self.reachable(file)
            .iter()
            .filter_map(|f| self.module(f))
            .flat_map(|m| m.imports.iter().filter(|e| !e.type_only))
            .filter_map(|e| e.package.clone())
            .collect()
    }
}
