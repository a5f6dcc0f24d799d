//! The audit's result: plain data every renderer shares. Field names are a
//! public, documented interface (`docs/audit-json.md`, `schemas/audit.schema.json`).

use serde::Serialize;

use crabport_project::{DependencyKind, LockfileFormat};

use crate::kb::GapKind;

/// Bump when a field changes meaning or disappears; adding fields does not bump it.
pub const SCHEMA_VERSION: u32 = 1;

/// The status of one npm package in the report: the knowledge base's, or
/// `unknown` when it has no entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PackageStatus {
    Equivalent,
    Partial,
    Std,
    NotNeeded,
    Gap,
    Unknown,
}

impl PackageStatus {
    pub fn code(self) -> &'static str {
        match self {
            Self::Equivalent => "equivalent",
            Self::Partial => "partial",
            Self::Std => "std",
            Self::NotNeeded => "not-needed",
            Self::Gap => "gap",
            Self::Unknown => "unknown",
        }
    }
}

impl From<crate::kb::Status> for PackageStatus {
    fn from(s: crate::kb::Status) -> Self {
        use crate::kb::Status;
        match s {
            Status::Equivalent => Self::Equivalent,
            Status::Partial => Self::Partial,
            Status::Std => Self::Std,
            Status::NotNeeded => Self::NotNeeded,
            Status::Gap => Self::Gap,
        }
    }
}

/// What the index said of a suggested crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CrateState {
    /// Exists, newest release within the staleness window (or marked stable).
    Ok,
    /// Newest release older than the staleness window and not marked stable.
    Stale,
    /// No such crate, or every release yanked or pre-release.
    Missing,
    /// Exists, but a feature the knowledge base names is not in the newest release.
    MissingFeature,
    /// The index could not be asked and nothing was cached.
    Unavailable,
}

impl CrateState {
    pub fn code(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Stale => "stale",
            Self::Missing => "missing",
            Self::MissingFeature => "missing-feature",
            Self::Unavailable => "unavailable",
        }
    }
}

/// A suggested crate, resolved like `cargo add --dry-run`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrateReport {
    pub name: String,
    /// Newest release that is neither yanked nor a pre-release.
    pub version: Option<String>,
    pub features: Vec<String>,
    pub default_features: bool,
    /// When that release was published (RFC 3339).
    pub pubtime: Option<String>,
    /// `true`: exists, recent (or marked stable) and has the named features.
    /// `null` when the index could not tell.
    pub maintained: Option<bool>,
    pub state: CrateState,
    /// Marked feature-complete in the knowledge base.
    pub stable: bool,
    /// Named features the newest release does not have.
    pub missing_features: Vec<String>,
    pub rust_version: Option<String>,
    /// Why the state is not `ok`, in words.
    pub detail: Option<String>,
}

/// A hint about a package the knowledge base does not know. Never a verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hint {
    /// `vendor-scope`, `same-name-crate`, `native-addon`, `browser-package`,
    /// `deprecated` (the last three from npm metadata, `--npm-hints`), `not-from-registry`.
    pub kind: &'static str,
    pub message: String,
    /// Always `false`: a hint is a lead to check, not a fact.
    pub verified: bool,
}

/// One npm dependency of one workspace package.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PackageReport {
    /// The workspace package (or root package) that declares it.
    pub workspace: String,
    pub npm: String,
    /// Resolved version from the lockfile; `null` without one.
    pub npm_version: Option<String>,
    /// The range or specifier as written in package.json.
    pub npm_spec: String,
    pub dependency_kind: DependencyKind,
    pub status: PackageStatus,
    pub gap_kind: Option<GapKind>,
    pub crates: Vec<CrateReport>,
    pub alternatives: Vec<CrateReport>,
    pub note: Option<String>,
    /// The knowledge-base entry used: its npm name or pattern and where it is written.
    pub knowledge: Option<KnowledgeRef>,
    /// The package is (or ships) a native addon.
    pub native: bool,
    pub hints: Vec<Hint>,
}

impl PackageReport {
    /// Every recommended crate resolved and maintained.
    pub fn has_maintained_crate(&self) -> bool {
        !self.crates.is_empty() && self.crates.iter().all(|c| c.maintained == Some(true))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnowledgeRef {
    pub entry: String,
    pub source: String,
}

/// A native addon somewhere in the production tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NativeAddon {
    pub npm: String,
    pub version: String,
    /// `certain`: known or built with a native toolchain helper;
    /// `likely`: ships prebuilt platform binaries; `possible`: only an install script.
    pub confidence: &'static str,
    pub evidence: Vec<String>,
    /// The direct dependencies it is reached through.
    pub required_by: Vec<String>,
    pub workspaces: Vec<String>,
}

/// Counts over distinct npm packages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub total: usize,
    pub equivalent: usize,
    pub partial: usize,
    pub std: usize,
    pub not_needed: usize,
    pub gap: usize,
    pub unknown: usize,
    pub gap_kinds: GapKindCounts,
    /// Packages whose every recommended crate exists, is maintained and has the named features.
    pub with_maintained_crate: usize,
    /// Packages with a recommended crate that is stale, missing, lacks a feature or could not be resolved.
    pub crate_problems: usize,
    pub native_addons: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GapKindCounts {
    pub vendor_sdk: usize,
    pub dynamic: usize,
    pub browser: usize,
    pub no_crate: usize,
}

/// One audited package.json.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkspaceReport {
    pub name: String,
    /// Directory relative to the audited root, `.` for the root.
    pub path: String,
    pub version: Option<String>,
    /// A published library: its peer dependencies are audited as production.
    pub is_library: bool,
    pub summary: Summary,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockfileInfo {
    pub path: String,
    pub format: LockfileFormat,
}

/// How the crates.io index was consulted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IndexInfo {
    pub url: String,
    pub offline: bool,
    /// Crates fetched in full.
    pub fetched: usize,
    /// Cache entries the registry confirmed current.
    pub revalidated: usize,
    /// Answered from the cache (within the TTL, or offline).
    pub cached: usize,
    /// Answered from the cache because the registry could not be reached.
    pub cached_after_error: usize,
    /// Could not be resolved at all.
    pub unavailable: usize,
    /// Age of the oldest cache entry used, in seconds.
    pub oldest_cache_age_seconds: Option<u64>,
}

/// The whole audit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditReport {
    pub schema_version: u32,
    pub tool: &'static str,
    pub tool_version: &'static str,
    /// When staleness was judged (RFC 3339).
    pub checked_at: String,
    pub stale_after_months: u32,
    pub lockfile: Option<LockfileInfo>,
    pub index: IndexInfo,
    pub workspaces: Vec<WorkspaceReport>,
    /// Production dependencies of every workspace package (and dev ones with `--include-dev`).
    pub packages: Vec<PackageReport>,
    pub native_addons: Vec<NativeAddon>,
    /// Production dependencies, counted once each across workspaces.
    pub summary: Summary,
    /// Dev dependencies, with `--include-dev`.
    pub dev_summary: Option<Summary>,
    /// The `[dependencies]` block of the port (`--cargo-toml`), with the
    /// choices its merge made.
    pub cargo_plan: crate::policy::CargoPlan,
    pub warnings: Vec<String>,
    /// Dependencies on the project's own code (`workspace:`, `link:`,
    /// `portal:`, workspace siblings), from the audited sections: not npm
    /// packages to map to crates, so not in `packages`.
    pub internal_packages: Vec<InternalPackage>,
}

/// A dependency on another package of the same project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InternalPackage {
    /// The name it is declared under.
    pub name: String,
    /// The specifier as written (`workspace:*`, `link:../lib`, `^1.0.0`).
    pub spec: String,
    /// The workspace package that declares it.
    pub workspace: String,
    pub dependency_kind: DependencyKind,
}

impl AuditReport {
    pub fn production(&self) -> impl Iterator<Item = &PackageReport> {
        self.packages
            .iter()
            .filter(|p| p.dependency_kind != DependencyKind::Dev)
    }
}
