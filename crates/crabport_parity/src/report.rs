//! What `crabport parity` found: the data every renderer lays out.
//! Stable JSON (docs/parity-json.md, schemas/parity.schema.json).

use std::path::PathBuf;

use serde::Serialize;

use crate::compare::{Kind, Part};
use crate::replay::FailureKind;

/// Bump when a field changes meaning or disappears; adding fields does not bump it.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct ParityReport {
    pub schema_version: u32,
    pub tool: &'static str,
    pub tool_version: &'static str,
    pub method: Method,
    /// All routes together.
    pub total: Tally,
    /// In order of first appearance in the requests.
    pub routes: Vec<RouteReport>,
    /// Real differences, one per signature (route, part, pattern, kind),
    /// each with the smallest request that shows it.
    pub differences: Vec<DifferenceGroup>,
    /// Fields that are not counted against the candidate, and why.
    pub noise: Vec<NoiseField>,
    /// Every request that could not be replayed or compared, per target.
    pub failed: Vec<FailedRequest>,
    /// True when every route is at or above `min_parity`.
    pub passed: bool,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Method {
    /// The request files, in the order read.
    pub sources: Vec<PathBuf>,
    pub targets: Vec<TargetInfo>,
    /// A second baseline instance ran: differences between the two
    /// baselines were subtracted as noise.
    pub noise_subtraction: bool,
    pub timeout_seconds: f64,
    /// Longer bodies are compared by length and SHA-256.
    pub max_body_bytes: u64,
    /// A route passes at or above this share of its requests (0–1).
    pub min_parity: f64,
    /// Response headers compared (besides status and body).
    pub headers: Vec<String>,
    /// Array pointers compared without regard to order.
    pub unordered: Vec<String>,
    /// Where routes come from: `crabport.routes.toml` or `inferred`.
    pub routes_from: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetInfo {
    /// `baseline`, `secondary` or `candidate`.
    pub name: String,
    /// The command crabport started (with `{port}`), or the URL.
    pub source: String,
    /// Started by crabport for this run, so it saw only these requests.
    pub fresh: bool,
}

/// Requests by what their comparison found. `requests` is the sum of the
/// other four.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub requests: usize,
    /// No difference at all.
    pub identical: usize,
    /// Differences, all of them noise or ignored.
    pub noise: usize,
    /// At least one real difference.
    pub different: usize,
    /// Not compared: the baseline or the candidate gave no answer.
    pub failed: usize,
}

impl Tally {
    /// Share of requests that are identical or differ only by noise;
    /// failed requests count against it (unproven is not equal).
    pub fn parity(&self) -> f64 {
        if self.requests == 0 {
            return 1.0;
        }
        #[allow(clippy::cast_precision_loss)] // request counts are far below 2^52
        let share = (self.identical + self.noise) as f64 / self.requests as f64;
        share
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RouteReport {
    /// `GET /users/:id`.
    pub route: String,
    pub requests: usize,
    pub identical: usize,
    pub noise: usize,
    pub different: usize,
    pub failed: usize,
    /// (identical + noise) / requests.
    pub parity: f64,
    pub passed: bool,
}

/// Which request, as the reproducer and the failure lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestRef {
    /// 0-based position in the replay order.
    pub index: usize,
    pub method: String,
    pub target: String,
    pub file: PathBuf,
    pub line: usize,
    /// Its body, when it has one (lossy UTF-8, cut at 2 KiB).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DifferenceGroup {
    pub route: String,
    /// The smallest request that shows the difference.
    pub request: RequestRef,
    pub part: Part,
    /// Where, in that request's answer (RFC 6901 pointer for bodies,
    /// `/name` for headers, empty for the status and whole bodies).
    pub pointer: String,
    /// The pointer with array indices as `*`: what the group shares.
    pub pattern: String,
    pub kind: Kind,
    /// The kind in words.
    pub description: &'static str,
    /// Raw JSON text as the baseline wrote it; `null` when absent.
    pub baseline: Option<String>,
    pub candidate: Option<String>,
    /// Occurrences across all requests.
    pub count: usize,
    /// Requests with at least one occurrence.
    pub requests: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct NoiseField {
    /// The route it was seen on; `None` for a configured rule on every route.
    pub route: Option<String>,
    pub part: Part,
    /// A pattern (`/items/*/updatedAt`; `/date` for a header).
    pub pointer: String,
    /// `secondary` (the two baselines differed here) or `config` (an
    /// ignore rule in crabport.toml).
    pub source: NoiseSource,
    /// In words: how often the baselines differed, with an example, or
    /// which rule ignores it.
    pub evidence: String,
    /// Requests of the route where the two baselines differed here.
    pub seen: usize,
    /// Requests of the route compared against the secondary.
    pub of: usize,
    /// Candidate differences it absorbed.
    pub absorbed: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoiseSource {
    Secondary,
    Config,
}

#[derive(Debug, Clone, Serialize)]
pub struct FailedRequest {
    pub route: String,
    pub request: RequestRef,
    /// Which target gave no answer.
    pub target: String,
    pub kind: FailureKind,
    pub detail: String,
}
