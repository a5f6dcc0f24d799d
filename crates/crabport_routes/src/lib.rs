//! The static route inventory of a Node/TypeScript service, and its module
//! import graph, read with oxc without booting the app.
//!
//! One parse and one semantic model per file ([`extract`]) give each file's
//! *facts*: the framework objects it creates (apps, routers, servers), what is
//! called on them (routes, mounts, plugin registrations), the functions whose
//! parameters receive such objects (route modules, fastify/hapi plugins),
//! its exports and its imports. [`compose`] then walks from every app through
//! the mounts, across files, joining prefixes. Nothing is evaluated: what
//! cannot be known from the source (a path in a variable that is not a
//! constant, a loop over routes, a dynamic `require`) is listed in
//! [`RouteInventory::unresolved`] with its position and why, never dropped.
//!
//! # Paths
//! Every path is normalised by [`path::normalise`] to one syntax: parameters
//! `:name` (hapi `{name}`, express 5 `{/:name}` optional groups → `:name?`),
//! wildcards `*` (express 4 `*`, express 5 `*splat`, hapi `{p*}`, fastify `*`,
//! path-to-regexp `(.*)`/`:p*`), regex constraints dropped (`:id(\d+)` →
//! `:id`), no trailing slash except for `/`.
//!
//! # Methods
//! Upper case as written: `GET`, `POST`, …, `ALL` (`app.all`, hapi `*`) and
//! `USE` (middleware mounted at an explicit path, e.g. `app.use('/static',
//! express.static(…))`; middleware without a path is not a route). Fastify's
//! implicit `HEAD` for every `GET` is not listed.

pub mod compose;
pub mod extract;
pub mod module_graph;
pub mod path;
pub mod resolve;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub use module_graph::ModuleGraph;

/// The frameworks whose routes the inventory reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Framework {
    Express,
    Koa,
    Fastify,
    Nestjs,
    Hapi,
    NodeHttp,
}

impl Framework {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Express => "express",
            Self::Koa => "koa",
            Self::Fastify => "fastify",
            Self::Nestjs => "nestjs",
            Self::Hapi => "hapi",
            Self::NodeHttp => "node-http",
        }
    }
}

/// A place in a file; `file` is relative to the inventory's root,
/// `/`-separated; line and column are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    pub file: String,
    pub line: u32,
    pub column: u32,
}

/// Where a route's handler is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Handler {
    #[serde(flatten)]
    pub location: Location,
    /// The handler's name when it has one (`listUsers`, `UsersController.find`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// True when `location` is the function's definition; false when it is
    /// only the expression that passes the handler (a call result, a value
    /// from a package, something not followed).
    pub resolved: bool,
}

/// One mount a route passes through, outermost first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Mount {
    /// The prefix this mount adds (`/api`), normalised; `/` when none.
    pub path: String,
    /// The `use`/`register`/call that mounts it.
    pub at: Location,
}

/// A route the inventory found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Route {
    pub method: String,
    /// The full path, normalised (see the crate docs).
    pub path: String,
    pub framework: Framework,
    pub handler: Handler,
    /// The call that declares the route (`router.get(…)`, `@Get()`).
    pub declared_at: Location,
    /// The mounts from the app down to the route's router.
    pub mounted_at: Vec<Mount>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Something that declares or mounts routes but cannot be read statically.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Unresolved {
    #[serde(flatten)]
    pub location: Location,
    pub reason: String,
}

/// A file the inventory could not read or parse.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FileError {
    #[serde(flatten)]
    pub location: Location,
    pub message: String,
}

/// The routes of a project.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RouteInventory {
    /// Sorted by path, then method.
    pub routes: Vec<Route>,
    pub unresolved: Vec<Unresolved>,
    pub files_parsed: usize,
    /// Files skipped: unparsable, unreadable, too deep or too large.
    pub file_errors: Vec<FileError>,
    /// What the inventory assumed or left out, project-wide (e.g. a fastify
    /// plugin from a package whose own routes are not listed).
    pub notes: Vec<String>,
}

/// What one pass over a project yields: its routes and its import graph.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    pub inventory: RouteInventory,
    pub graph: ModuleGraph,
}

#[derive(Debug, thiserror::Error)]
pub enum RoutesError {
    #[error("invalid exclude pattern: {0}")]
    Exclude(String),
    #[error("cannot start the worker threads: {0}")]
    Threads(String),
    #[error("{0} is not a directory")]
    NotADirectory(PathBuf),
}

/// Options of an analysis.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Extra exclude globs (gitignore syntax, relative to the root).
    pub exclude: Vec<String>,
    /// Read test files too (`*.test.*`, `*.spec.*`, `__tests__/`).
    pub include_tests: bool,
}

/// Parses every source file under `root` once and returns the route
/// inventory and the module import graph.
///
/// # Errors
/// `root` is not a directory, an exclude glob is invalid, or no threads.
pub fn analyse(root: &Path, options: &Options) -> Result<Analysis, RoutesError> {
    if !root.is_dir() {
        return Err(RoutesError::NotADirectory(root.to_owned()));
    }
    let mut exclude = options.exclude.clone();
    if !options.include_tests {
        exclude.extend(
            crabport_scan::walk::TEST_GLOBS
                .iter()
                .map(|g| (*g).to_owned()),
        );
    }
    let files = crabport_scan::walk::source_files(&[root.to_owned()], &exclude)
        .map_err(RoutesError::Exclude)?;
    let facts = extract::extract_all(root, &files)?;
    Ok(analyse_facts(root, &files, &facts))
}

/// The inventory and graph from every file's facts (`files[i]` gave
/// `facts[i]`): [`analyse`] after its parse, for a caller that parsed the
/// files itself ([`extract::extract_parsed`]).
pub fn analyse_facts(root: &Path, files: &[PathBuf], facts: &[extract::FileFacts]) -> Analysis {
    let resolver = resolve::Resolver::new(root, files);
    let graph = ModuleGraph::build(facts, &resolver);
    let inventory = compose::compose(root, facts, &resolver, &graph);
    Analysis { inventory, graph }
}

/// The route inventory of the project under `root`.
///
/// # Errors
/// As [`analyse`].
pub fn inventory(root: &Path, options: &Options) -> Result<RouteInventory, RoutesError> {
    analyse(root, options).map(|a| a.inventory)
}

/// A path as the inventory shows it: relative to `base`, `/`-separated.
pub(crate) fn display_path(base: &Path, path: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}
