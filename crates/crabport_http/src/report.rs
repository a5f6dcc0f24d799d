//! What `crabport bench` measured: the data every renderer lays out.
//! Stable JSON (docs/bench-json.md).

use std::collections::BTreeMap;

use serde::Serialize;

/// Bump when a field changes meaning or disappears; adding fields does not bump it.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub schema_version: u32,
    pub tool: &'static str,
    pub tool_version: &'static str,
    pub method: Method,
    pub targets: Vec<TargetReport>,
    /// candidate / baseline per metric; empty with one target, or when the
    /// generator was the bottleneck (its numbers would measure itself).
    pub comparison: Vec<Comparison>,
    /// The load generator used (nearly) all of its CPU in some round: the
    /// targets' throughput is a floor, not a measurement, and no ratio is given.
    pub generator_bound: bool,
    /// The candidate's check against `--goal` (or the service's goal).
    pub goal: Option<GoalCheck>,
    /// `--sweep`: each target's highest rate within the p99 limit.
    pub sweep: Vec<SweepResult>,
    /// Set when a target completed no response in some round: its figures
    /// are not a measurement, no ratio is given, and `crabport bench` exits 2.
    pub no_result: Option<NoResult>,
    /// One sentence: the headline, never a speedup that is not significant.
    pub summary: String,
    pub warnings: Vec<String>,
}

/// Why the run has no result to report.
#[derive(Debug, Clone, Serialize)]
pub struct NoResult {
    /// `no-responses`: a target completed no response in one round or more.
    pub reason: &'static str,
    /// The targets concerned.
    pub targets: Vec<String>,
    /// Plainly, for people: what happened and what it means.
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Method {
    /// `closed` (as fast as possible over N connections) or `open` (constant rate).
    pub mode: &'static str,
    pub connections: usize,
    /// Requests per second, open loop.
    pub rate: Option<f64>,
    pub warmup_seconds: f64,
    pub rounds: usize,
    pub round_seconds: f64,
    /// A request without a complete response this long after it was sent
    /// is a `timeout` error; requests in flight when a round ends are
    /// waited for up to this long.
    pub timeout_seconds: f64,
    /// Longer response bodies are `body-too-large` errors.
    pub max_body_bytes: u64,
    /// Ratios within 1 ± this are never called a difference.
    pub noise_threshold: f64,
    pub workload: Vec<Route>,
}

pub use crate::request::Route;

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LatencyMs {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetReport {
    /// `baseline` or `candidate`.
    pub name: String,
    /// The command crabport started, or the URL it was given.
    pub source: String,
    /// Completed requests over every measured round (a request in flight
    /// when a round ended counts once it completed).
    pub requests: u64,
    /// Median over rounds of the responses completed within each round per second.
    pub rps: f64,
    /// Over every measured round; from the intended send time in open loop
    /// (coordinated omission corrected). `null` when no response completed.
    pub latency_ms: Option<LatencyMs>,
    /// Open loop only: from the actual send time.
    pub latency_uncorrected_ms: Option<LatencyMs>,
    /// The latency distribution over every measured round, for plots.
    pub percentiles: Vec<PercentilePoint>,
    /// Requests that got no response, plus non-2xx responses.
    pub errors: u64,
    pub errors_by_kind: BTreeMap<String, u64>,
    pub non_2xx: u64,
    pub status: BTreeMap<u16, u64>,
    /// Requests in flight when rounds ended, waited for (up to the
    /// timeout) and counted as responses or errors.
    pub in_flight_at_end: u64,
    /// CPU of the target's whole process tree per 1,000 completed requests
    /// (median over rounds); `null` when not measured (see `not_measured`).
    pub cpu_ms_per_1k_requests: Option<f64>,
    /// Peak resident memory of the whole process tree; `null` when not measured.
    pub peak_rss_bytes: Option<u64>,
    /// Why a figure is `null`, by field (`latency_ms`,
    /// `cpu_ms_per_1k_requests`, `peak_rss_bytes`): `url-target` (crabport
    /// did not start it, so there is no process tree to watch),
    /// `no-responses` (no response completed), `no-sample` (no process of
    /// the tree could be read).
    pub not_measured: BTreeMap<&'static str, &'static str>,
    /// The generator's CPU per second of wall time while loading this target
    /// (1.0 = one core busy).
    pub generator_cpu_cores: f64,
    pub rounds: Vec<RoundReport>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PercentilePoint {
    /// 0–100.
    pub percentile: f64,
    pub ms: f64,
}

/// The percentiles a latency plot shows: dense in the tail.
pub const PLOT_PERCENTILES: &[f64] = &[
    0.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 97.5, 99.0, 99.5, 99.75, 99.9, 99.95, 99.99, 100.0,
];

#[derive(Debug, Clone, Serialize)]
pub struct RoundReport {
    pub requests: u64,
    pub rps: f64,
    /// `null` when no response completed in the round.
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub errors: u64,
    pub errors_by_kind: BTreeMap<String, u64>,
    pub in_flight_at_end: u64,
    pub cpu_ms_per_1k_requests: Option<f64>,
    pub peak_rss_bytes: Option<u64>,
    pub generator_bound: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// `rps`, `p50`, `p99`, `cpu_ms_per_1k_requests`, `peak_rss_bytes`.
    pub metric: &'static str,
    /// candidate / baseline of the medians over rounds.
    pub ratio: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub significant: bool,
    /// Which target the ratio favours when significant.
    pub better: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GoalCheck {
    /// As given, e.g. `p99<50ms`.
    pub expression: String,
    pub metric: String,
    pub limit: f64,
    pub actual: f64,
    pub unit: &'static str,
    pub met: bool,
    /// `baseline` for a ratio goal (`rps>2x`): `actual` is candidate /
    /// baseline, and `met` needs the whole 95% interval on the goal's side.
    pub relative_to: Option<&'static str>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SweepResult {
    pub target: String,
    pub p99_limit_ms: f64,
    pub steps: Vec<SweepStep>,
    /// The highest rate whose p99 stayed within the limit with no errors.
    pub max_rate_within: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SweepStep {
    pub rate: f64,
    pub achieved_rps: f64,
    pub p99_ms: f64,
    pub errors: u64,
    pub within: bool,
}
