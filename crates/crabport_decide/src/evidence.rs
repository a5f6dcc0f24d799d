//! What `assess` knows about one service, gathered before any decision.

use std::collections::BTreeMap;

use crabport_evidence::history::ServiceHistory;
use crabport_evidence::profile::ProfileAnalysis;
use serde::{Deserialize, Serialize};

/// Every piece of evidence about one service. Optional evidence that could
/// not be gathered is `None` and listed in `missing` with the reason.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceEvidence {
    pub name: String,
    /// The service's directory, relative to the project root.
    pub path: String,
    pub declared: Declared,
    pub profile: Option<ProfileAnalysis>,
    pub history: Option<ServiceHistory>,
    pub dependencies: Option<DependencyEvidence>,
    pub code: Option<CodeEvidence>,
    pub missing: Vec<MissingEvidence>,
}

/// Facts the team states in crabport.toml.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Declared {
    pub hot_path: Option<bool>,
    pub goal: Option<crate::goal::GoalSpec>,
    pub sidecar_ok: Option<bool>,
    pub incidents: Vec<Incident>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Incident {
    pub date: jiff::civil::Date,
    pub kind: IncidentKind,
    #[serde(default)]
    pub summary: String,
}

/// The class of a production incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IncidentKind {
    Rounding,
    Precision,
    NullUndefined,
    TypeError,
    UnhandledError,
    DataRace,
    Latency,
    Outage,
    Memory,
    Config,
    Other,
}

impl IncidentKind {
    /// A class of bug Rust's type system rules out or forces a decision on:
    /// `Option` for null/undefined, `Result` for unhandled errors, decimal or
    /// integer newtypes for rounding and precision, `Send`/`Sync` for data races.
    pub fn prevented_by_types(self) -> bool {
        matches!(
            self,
            Self::Rounding
                | Self::Precision
                | Self::NullUndefined
                | Self::TypeError
                | Self::UnhandledError
                | Self::DataRace
        )
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Rounding => "rounding",
            Self::Precision => "precision",
            Self::NullUndefined => "null-undefined",
            Self::TypeError => "type-error",
            Self::UnhandledError => "unhandled-error",
            Self::DataRace => "data-race",
            Self::Latency => "latency",
            Self::Outage => "outage",
            Self::Memory => "memory",
            Self::Config => "config",
            Self::Other => "other",
        }
    }
}

/// The audit of the service's production dependencies, condensed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DependencyEvidence {
    pub production: usize,
    /// Vendor SDKs with no maintained Rust equivalent.
    pub node_only_sdks: Vec<GapPackage>,
    /// Other gaps: reflection-heavy, browser-only, no crate.
    pub other_gaps: Vec<GapPackage>,
    pub unknown: Vec<String>,
    pub native_addons: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GapPackage {
    pub npm: String,
    /// `vendor-sdk`, `dynamic`, `browser` or `no-crate`.
    pub gap_kind: String,
    pub note: Option<String>,
}

/// The scan of the service's code, condensed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CodeEvidence {
    pub files: usize,
    pub lines: usize,
    pub findings: usize,
    /// Σ severity weight (info 1, warning 3, error 5) per 1,000 lines.
    pub friction_per_kloc: f64,
    /// Findings per rule.
    pub hazards: BTreeMap<String, usize>,
}

/// Evidence `assess` could not gather, and what that costs the verdict.
#[derive(Debug, Clone, Serialize)]
pub struct MissingEvidence {
    /// `profile`, `history`, `dependencies` or `code`.
    pub evidence: &'static str,
    pub reason: String,
    /// What the verdict cannot say without it.
    pub limits: String,
}
