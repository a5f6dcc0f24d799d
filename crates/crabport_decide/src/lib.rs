//! The decision engine: one service's evidence in, a verdict out. No I/O.
//!
//! The rules follow "when not to migrate" of the migration guide's page
//! "Common Migration Challenges", checked in this order
//! (the first that applies decides; every other fact is still cited):
//!
//! 1. A Node-only vendor SDK and no Node sidecar allowed → **do-not-migrate**
//!    (`node-only-sdk`).
//! 2. High churn shipped by a small team → **migrate-later** (`churn`):
//!    commits per week over the churn window ≥ `churn_min_commits_per_week`
//!    and distinct authors ≤ `small_team_max_authors`. Young code is cited.
//! 3. Repeated incidents of a class Rust's types prevent (≥
//!    `correctness_min_incidents` within `incident_window_days`) →
//!    **migrate-now** (`correctness`), even when not CPU-bound.
//! 4. A GC share ≥ `memory_min_gc_share` → **migrate-now** (`memory`).
//! 5. I/O-bound (idle ≥ `io_bound_min_idle`) → **do-not-migrate**
//!    (`io-bound`): profile the database and downstream calls first.
//! 6. CPU-bound (busy ≥ `cpu_bound_min_busy`) on the hot path →
//!    **migrate-now** (`cpu-bound`); off the hot path → migrate-later
//!    (`not-hot-path`).
//! 7. Mixed → migrate-later (`mixed`); no profile → migrate-later (`no-profile`).
//!
//! A would-be migrate-now without a measurable goal becomes migrate-later
//! (`no-measurable-goal`): never migrate without a number to hit.

pub mod codes;
pub mod evidence;
pub mod goal;

use serde::{Deserialize, Serialize};

use crabport_evidence::profile::Classification;

pub use evidence::*;
pub use goal::{Goal, GoalSpec};

/// Every number the rules compare against; `[assess]` in crabport.toml.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    /// Share of profiled time not idle at or above which a profile is CPU-bound.
    pub cpu_bound_min_busy: f64,
    /// Share of profiled time idle at or above which a profile is I/O-bound.
    pub io_bound_min_idle: f64,
    /// Share of profiled time in the garbage collector that makes memory a reason.
    pub memory_min_gc_share: f64,
    /// The history window that measures churn, in days.
    pub churn_window_days: u32,
    /// Commits per week in that window at or above which code churns.
    pub churn_min_commits_per_week: f64,
    /// Distinct authors in the last year at or below which the team is small.
    pub small_team_max_authors: usize,
    /// Code younger than this many days is young.
    pub young_max_days: f64,
    /// Incidents of a type-preventable class that make correctness a reason.
    pub correctness_min_incidents: usize,
    /// Incidents older than this many days do not count.
    pub incident_window_days: u32,
    /// Ported lines per engineer-day, slow and fast ends of the estimate.
    pub lines_per_day_low: f64,
    pub lines_per_day_high: f64,
    /// Weeks before a TypeScript team stops fighting the borrow checker (the
    /// migration guide: four to eight); zero when the team already writes Rust.
    pub ramp_up_weeks_low: f64,
    pub ramp_up_weeks_high: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            cpu_bound_min_busy: 0.70,
            io_bound_min_idle: 0.60,
            memory_min_gc_share: 0.15,
            churn_window_days: 90,
            churn_min_commits_per_week: 2.0,
            small_team_max_authors: 2,
            young_max_days: 180.0,
            correctness_min_incidents: 2,
            incident_window_days: 365,
            lines_per_day_low: 50.0,
            lines_per_day_high: 150.0,
            ramp_up_weeks_low: 4.0,
            ramp_up_weeks_high: 8.0,
        }
    }
}

impl Thresholds {
    /// The profile classification's share of these thresholds.
    pub fn profile(&self) -> crabport_evidence::profile::Thresholds {
        crabport_evidence::profile::Thresholds {
            cpu_bound_min_busy: self.cpu_bound_min_busy,
            io_bound_min_idle: self.io_bound_min_idle,
        }
    }

    /// Shares within 0–1 with a mixed band between CPU- and I/O-bound,
    /// positive rates and windows, ranges the right way round.
    ///
    /// # Errors
    /// The first threshold that makes no sense, named as in crabport.toml.
    pub fn validate(&self) -> Result<(), ThresholdError> {
        for (name, share) in [
            ("cpu_bound_min_busy", self.cpu_bound_min_busy),
            ("io_bound_min_idle", self.io_bound_min_idle),
            ("memory_min_gc_share", self.memory_min_gc_share),
        ] {
            if !(0.0..=1.0).contains(&share) {
                return Err(ThresholdError::new(
                    name,
                    format!("{name} = {share} is a share of profiled time: 0.0 to 1.0"),
                ));
            }
        }
        if self.cpu_bound_min_busy + self.io_bound_min_idle <= 1.0 {
            return Err(ThresholdError::new(
                "io_bound_min_idle",
                format!(
                    "cpu_bound_min_busy ({}) + io_bound_min_idle ({}) must exceed 1.0, or a profile could be both CPU- and I/O-bound",
                    self.cpu_bound_min_busy, self.io_bound_min_idle
                ),
            ));
        }
        for (name, days) in [
            ("churn_window_days", self.churn_window_days),
            ("incident_window_days", self.incident_window_days),
        ] {
            if days == 0 {
                return Err(ThresholdError::new(
                    name,
                    format!("{name} must be at least 1"),
                ));
            }
        }
        if !(self.lines_per_day_low > 0.0 && self.lines_per_day_low <= self.lines_per_day_high) {
            return Err(ThresholdError::new(
                "lines_per_day_low",
                "lines_per_day_low must be positive and at most lines_per_day_high",
            ));
        }
        if !(self.ramp_up_weeks_low >= 0.0 && self.ramp_up_weeks_low <= self.ramp_up_weeks_high) {
            return Err(ThresholdError::new(
                "ramp_up_weeks_low",
                "ramp_up_weeks_low must be at least 0 and at most ramp_up_weeks_high",
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    MigrateNow,
    MigrateLater,
    DoNotMigrate,
}

impl Verdict {
    pub fn code(self) -> &'static str {
        match self {
            Self::MigrateNow => "migrate-now",
            Self::MigrateLater => "migrate-later",
            Self::DoNotMigrate => "do-not-migrate",
        }
    }
}

/// Why: stable kebab-case codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReasonCode {
    CpuBound,
    IoBound,
    Mixed,
    Correctness,
    Memory,
    Churn,
    NodeOnlySdk,
    NoMeasurableGoal,
    NotHotPath,
    NoProfile,
    Sidecar,
    YoungCode,
    CorrectnessSignals,
    Gaps,
    Friction,
}

impl ReasonCode {
    pub const ALL: &[ReasonCode] = &[
        Self::CpuBound,
        Self::IoBound,
        Self::Mixed,
        Self::Correctness,
        Self::Memory,
        Self::Churn,
        Self::NodeOnlySdk,
        Self::NoMeasurableGoal,
        Self::NotHotPath,
        Self::NoProfile,
        Self::Sidecar,
        Self::YoungCode,
        Self::CorrectnessSignals,
        Self::Gaps,
        Self::Friction,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::CpuBound => "cpu-bound",
            Self::IoBound => "io-bound",
            Self::Mixed => "mixed",
            Self::Correctness => "correctness",
            Self::Memory => "memory",
            Self::Churn => "churn",
            Self::NodeOnlySdk => "node-only-sdk",
            Self::NoMeasurableGoal => "no-measurable-goal",
            Self::NotHotPath => "not-hot-path",
            Self::NoProfile => "no-profile",
            Self::Sidecar => "sidecar",
            Self::YoungCode => "young-code",
            Self::CorrectnessSignals => "correctness-signals",
            Self::Gaps => "gaps",
            Self::Friction => "friction",
        }
    }
}

/// Which way a fact pushes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stance {
    /// Toward migrating.
    For,
    /// Against migrating (now).
    Against,
    /// Context: cost, caveats.
    Neutral,
}

/// One fact behind the verdict, with its numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    pub code: ReasonCode,
    pub stance: Stance,
    pub message: String,
}

/// A threshold that makes no sense, with the key to blame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ThresholdError {
    /// The crabport.toml key, for the error's position.
    pub key: &'static str,
    pub message: String,
}

impl ThresholdError {
    pub fn new(key: &'static str, message: impl Into<String>) -> Self {
        Self {
            key,
            message: message.into(),
        }
    }
}

/// A rough porting cost and what it rests on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Effort {
    pub weeks_low: f64,
    pub weeks_high: f64,
    pub basis: Vec<String>,
}

/// The decision for one service.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub verdict: Verdict,
    pub primary_reason: ReasonCode,
    /// The primary reason first, then every other fact considered.
    pub reasons: Vec<Reason>,
    /// Facts that would move the verdict, with today's figures.
    pub would_change: Vec<String>,
    /// What to measure before and after a port.
    pub measure: Vec<String>,
    /// The goal as a `crabport bench --goal` expression, when it has one.
    pub bench_check: Option<String>,
    pub goal: Option<Goal>,
    pub effort: Effort,
    /// How missing evidence limits this verdict.
    pub limits: Vec<String>,
}

/// The facts the rules compare, computed once.
struct Facts<'e> {
    e: &'e ServiceEvidence,
    t: &'e Thresholds,
    goal: Option<Goal>,
    preventable_incidents: Vec<&'e Incident>,
    churn: Option<(f64, usize)>,
    age_days: Option<f64>,
}

impl<'e> Facts<'e> {
    fn new(e: &'e ServiceEvidence, t: &'e Thresholds, now: jiff::Timestamp) -> Self {
        let today = now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
        let preventable_incidents = e
            .declared
            .incidents
            .iter()
            .filter(|i| i.kind.prevented_by_types())
            .filter(|i| {
                today
                    .since(i.date)
                    .map(|span| span.get_days())
                    .is_ok_and(|days| {
                        (0..=i64::from(t.incident_window_days)).contains(&i64::from(days))
                    })
            })
            .collect();
        let churn = e.history.as_ref().and_then(|h| {
            let window = h.windows.iter().find(|w| w.days == t.churn_window_days)?;
            let authors = h
                .windows
                .iter()
                .max_by_key(|w| w.days)
                .map_or(window.distinct_authors, |w| w.distinct_authors);
            Some((window.commits_per_week, authors))
        });
        Self {
            e,
            t,
            goal: e.declared.goal.as_ref().map(goal::from_spec),
            preventable_incidents,
            churn,
            age_days: e.history.as_ref().and_then(|h| h.age_days),
        }
    }

    fn measurable_goal(&self) -> bool {
        self.goal.as_ref().is_some_and(|g| g.measurable)
    }

    fn sidecar_ok(&self) -> bool {
        self.e.declared.sidecar_ok == Some(true)
    }

    fn node_only(&self) -> Vec<&'e str> {
        self.e
            .dependencies
            .iter()
            .flat_map(|d| &d.node_only_sdks)
            .map(|g| g.npm.as_str())
            .collect()
    }

    /// Classified with these thresholds (the profile's own classification
    /// used the ones `assess` passed to it, normally the same).
    fn classification(&self) -> Option<Classification> {
        let thresholds = self.t.profile();
        self.e
            .profile
            .as_ref()
            .map(|p| thresholds.classify(p.busy_share, p.idle_share))
    }

    fn churning(&self) -> bool {
        self.churn.is_some_and(|(per_week, authors)| {
            per_week >= self.t.churn_min_commits_per_week
                && authors <= self.t.small_team_max_authors
        })
    }

    fn correctness(&self) -> bool {
        self.preventable_incidents.len() >= self.t.correctness_min_incidents
    }

    fn memory(&self) -> bool {
        self.e
            .profile
            .as_ref()
            .is_some_and(|p| p.gc_share >= self.t.memory_min_gc_share)
    }
}

fn pct(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// "`a`, `b`" — at most eight names, then how many more.
fn list(names: &[&str]) -> String {
    const SHOWN: usize = 8;
    let mut text = names
        .iter()
        .take(SHOWN)
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        text.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    text
}

/// The verdict for one service. `now` dates the incident window.
pub fn decide(e: &ServiceEvidence, t: &Thresholds, now: jiff::Timestamp) -> Assessment {
    let f = Facts::new(e, t, now);
    let mut reasons = facts_as_reasons(&f);
    let node_only = f.node_only();

    let (verdict, primary) = if !node_only.is_empty() && !f.sidecar_ok() {
        (Verdict::DoNotMigrate, ReasonCode::NodeOnlySdk)
    } else if f.churning() {
        (Verdict::MigrateLater, ReasonCode::Churn)
    } else if f.correctness() {
        (Verdict::MigrateNow, ReasonCode::Correctness)
    } else if f.memory() {
        (Verdict::MigrateNow, ReasonCode::Memory)
    } else {
        match f.classification() {
            Some(Classification::IoBound) => (Verdict::DoNotMigrate, ReasonCode::IoBound),
            Some(Classification::CpuBound) if e.declared.hot_path == Some(true) => {
                (Verdict::MigrateNow, ReasonCode::CpuBound)
            }
            Some(Classification::CpuBound) => (Verdict::MigrateLater, ReasonCode::NotHotPath),
            Some(Classification::Mixed) => (Verdict::MigrateLater, ReasonCode::Mixed),
            None => (Verdict::MigrateLater, ReasonCode::NoProfile),
        }
    };
    // Never migrate-now without a number to hit.
    let (verdict, primary) = if verdict == Verdict::MigrateNow && !f.measurable_goal() {
        reasons.push(Reason {
            code: ReasonCode::NoMeasurableGoal,
            stance: Stance::Against,
            message: match &f.goal {
                Some(g) => format!(
                    "the goal \"{}\" names no metric and number to reach; `{}` alone would justify a port, not this goal",
                    g.text,
                    primary.code()
                ),
                None => format!(
                    "no goal is declared; `{}` alone would justify a port, but only with a measurable target",
                    primary.code()
                ),
            },
        });
        (Verdict::MigrateLater, ReasonCode::NoMeasurableGoal)
    } else {
        (verdict, primary)
    };
    // The primary reason first, then the rest in the order they were found.
    if let Some(at) = reasons.iter().position(|r| r.code == primary) {
        let first = reasons.remove(at);
        reasons.insert(0, first);
    }

    Assessment {
        verdict,
        primary_reason: primary,
        would_change: would_change(&f, primary),
        measure: measure(&f, primary),
        bench_check: f.goal.as_ref().and_then(|g| g.bench_check.clone()),
        effort: effort(&f),
        limits: e
            .missing
            .iter()
            .map(|m| format!("no {}: {} — {}", m.evidence, m.reason, m.limits))
            .collect(),
        goal: f.goal.clone(),
        reasons,
    }
}

/// Every fact with a bearing on the decision, as a reason with its numbers.
fn facts_as_reasons(f: &Facts<'_>) -> Vec<Reason> {
    let t = f.t;
    let mut out = Vec::new();
    let mut push = |code, stance, message: String| {
        out.push(Reason {
            code,
            stance,
            message,
        })
    };

    let node_only = f.node_only();
    if !node_only.is_empty() {
        if f.sidecar_ok() {
            push(
                ReasonCode::Sidecar,
                Stance::Neutral,
                format!(
                    "{} {} a Node-only SDK; sidecar_ok = true: it stays in a Node sidecar (or the port calls the vendor's API directly), so it does not block a port",
                    list(&node_only),
                    if node_only.len() == 1 { "is" } else { "are" }
                ),
            );
        } else {
            push(
                ReasonCode::NodeOnlySdk,
                Stance::Against,
                format!(
                    "{} {} a Node-only SDK with no maintained Rust equivalent, and no Node sidecar is allowed (sidecar_ok = false): a port loses the vendor's maintained SDK",
                    list(&node_only),
                    if node_only.len() == 1 { "is" } else { "are" }
                ),
            );
        }
    }

    if let Some((per_week, authors)) = f.churn {
        if f.churning() {
            push(
                ReasonCode::Churn,
                Stance::Against,
                format!(
                    "{per_week:.1} commits/week over the last {} days (≥ {:.1}) by {authors} author(s) in the last year (≤ {}): code that changes every sprint keeps TypeScript's iteration speed",
                    t.churn_window_days, t.churn_min_commits_per_week, t.small_team_max_authors
                ),
            );
        } else {
            push(
                ReasonCode::Churn,
                Stance::Neutral,
                format!(
                    "{per_week:.1} commits/week over the last {} days, {authors} author(s) in the last year: {}",
                    t.churn_window_days,
                    if per_week >= t.churn_min_commits_per_week {
                        "busy, but spread over a team"
                    } else {
                        "stable enough to port"
                    }
                ),
            );
        }
    }
    if let Some(age) = f.age_days
        && age < t.young_max_days
    {
        push(
            ReasonCode::YoungCode,
            Stance::Against,
            format!(
                "the code is {age:.0} days old (< {:.0}): young code is still finding its shape",
                t.young_max_days
            ),
        );
    }

    let incidents = &f.preventable_incidents;
    if !incidents.is_empty() {
        let kinds: std::collections::BTreeSet<&str> =
            incidents.iter().map(|i| i.kind.code()).collect();
        let stance = if f.correctness() {
            Stance::For
        } else {
            Stance::Neutral
        };
        push(
            ReasonCode::Correctness,
            stance,
            format!(
                "{} incident(s) in the last {} days of a class Rust's types prevent ({}; threshold {}): {}",
                incidents.len(),
                t.incident_window_days,
                kinds.into_iter().collect::<Vec<_>>().join(", "),
                t.correctness_min_incidents,
                incidents
                    .iter()
                    .map(|i| format!("{} {}", i.date, i.summary))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        );
    }
    if let Some(history) = &f.e.history {
        let signals = history.correctness_signals.len();
        if signals > 0 {
            let counts: Vec<String> = history
                .signal_counts
                .iter()
                .map(|(kind, n)| format!("{} {n}", kind.code()))
                .collect();
            push(
                ReasonCode::CorrectnessSignals,
                Stance::Neutral,
                format!(
                    "{signals} commit(s) in the last year mention correctness bugs ({}){}",
                    counts.join(", "),
                    if incidents.is_empty() {
                        ": if these reached production, declare them as incidents in crabport.toml"
                    } else {
                        ""
                    }
                ),
            );
        }
    }

    if let Some(p) = &f.e.profile {
        let shares = format!(
            "{} busy ({} program, {} GC), {} idle over {:.1} s of profile",
            pct(p.busy_share),
            pct(p.program_share),
            pct(p.gc_share),
            pct(p.idle_share),
            p.duration_ms / 1000.0
        );
        let classification = f.classification().unwrap_or(p.classification);
        let (code, stance, message) = match classification {
            Classification::CpuBound => (
                if f.e.declared.hot_path == Some(true) {
                    ReasonCode::CpuBound
                } else {
                    ReasonCode::NotHotPath
                },
                Stance::For,
                format!(
                    "CPU-bound: {shares} (busy ≥ {}){}",
                    pct(t.cpu_bound_min_busy),
                    hottest(p)
                ),
            ),
            Classification::IoBound => (
                ReasonCode::IoBound,
                Stance::Against,
                format!(
                    "I/O-bound: {shares} (idle ≥ {}): the time is spent waiting, and rewriting the glue in Rust will not move p99",
                    pct(t.io_bound_min_idle)
                ),
            ),
            Classification::Mixed => (
                ReasonCode::Mixed,
                Stance::Neutral,
                format!(
                    "mixed: {shares} (neither busy ≥ {} nor idle ≥ {}){}",
                    pct(t.cpu_bound_min_busy),
                    pct(t.io_bound_min_idle),
                    hottest(p)
                ),
            ),
        };
        push(code, stance, message);
        if f.memory() {
            push(
                ReasonCode::Memory,
                Stance::For,
                format!(
                    "{} of profiled time is garbage collection (≥ {}): Rust has no GC pauses and smaller heaps",
                    pct(p.gc_share),
                    pct(t.memory_min_gc_share)
                ),
            );
        }
        if classification == Classification::CpuBound && f.e.declared.hot_path != Some(true) {
            push(
                ReasonCode::NotHotPath,
                Stance::Against,
                "not declared on the hot path (hot_path = true): speeding it up may not change what users see".to_owned(),
            );
        }
    } else {
        push(
            ReasonCode::NoProfile,
            Stance::Neutral,
            "no CPU profile: crabport cannot tell CPU-bound from I/O-bound".to_owned(),
        );
    }

    match &f.goal {
        Some(g) if !g.measurable => push(
            ReasonCode::NoMeasurableGoal,
            Stance::Against,
            format!(
                "the goal \"{}\" is not measurable: it names no metric and number (e.g. \"cut p99 from 180 ms to under 50 ms\")",
                g.text
            ),
        ),
        None => push(
            ReasonCode::NoMeasurableGoal,
            Stance::Against,
            "no goal is declared: a migration needs a measurable reason (CPU cost, memory, latency tail, a correctness class)".to_owned(),
        ),
        Some(_) => {}
    }

    if let Some(d) = &f.e.dependencies {
        let gaps: Vec<&str> = d.other_gaps.iter().map(|g| g.npm.as_str()).collect();
        if !gaps.is_empty() || !d.unknown.is_empty() {
            push(
                ReasonCode::Gaps,
                Stance::Neutral,
                format!(
                    "{} of {} production dependencies have no maintained crate{}{}",
                    gaps.len(),
                    d.production,
                    if gaps.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", list(&gaps))
                    },
                    if d.unknown.is_empty() {
                        String::new()
                    } else {
                        format!("; {} are unknown to crabport", d.unknown.len())
                    }
                ),
            );
        }
    }
    if let Some(c) = &f.e.code
        && c.findings > 0
    {
        let mut top: Vec<(&String, &usize)> = c.hazards.iter().collect();
        top.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        let top: Vec<String> = top
            .iter()
            .take(3)
            .map(|(r, n)| format!("{r} {n}"))
            .collect();
        push(
            ReasonCode::Friction,
            Stance::Neutral,
            format!(
                "ownership friction {:.1} per 1,000 lines: {} finding{} in {} lines ({})",
                c.friction_per_kloc,
                c.findings,
                if c.findings == 1 { "" } else { "s" },
                c.lines,
                top.join(", ")
            ),
        );
    }
    out
}

/// ", hottest: `transform` (41%), `JSON.parse` …" from a profile.
fn hottest(p: &crabport_evidence::profile::ProfileAnalysis) -> String {
    let mut parts: Vec<String> = p
        .hot_functions
        .iter()
        .take(2)
        .map(|h| format!("`{}` {}", h.name, pct(h.self_share)))
        .collect();
    parts.extend(
        p.builtins
            .iter()
            .filter(|b| b.share >= 0.005)
            .take(2)
            .map(|b| format!("{} built-ins {}", b.category.code(), pct(b.share))),
    );
    if parts.is_empty() {
        String::new()
    } else {
        format!("; hottest: {}", parts.join(", "))
    }
}

fn would_change(f: &Facts<'_>, primary: ReasonCode) -> Vec<String> {
    let t = f.t;
    let mut out = Vec::new();
    let busy = f.e.profile.as_ref().map(|p| (p.busy_share, p.idle_share));
    match primary {
        ReasonCode::NodeOnlySdk => {
            let names = list(&f.node_only());
            out.push(format!(
                "allowing a Node sidecar for {names} (sidecar_ok = true)"
            ));
            out.push(format!(
                "a maintained Rust crate for {names}, or calling the vendor's REST API directly"
            ));
        }
        ReasonCode::Churn => {
            if let Some((per_week, authors)) = f.churn {
                out.push(format!(
                    "the code settling: under {:.1} commits/week over {} days (now {per_week:.1})",
                    t.churn_min_commits_per_week, t.churn_window_days
                ));
                out.push(format!(
                    "more than {} people working on it (now {authors})",
                    t.small_team_max_authors
                ));
            }
            out.push(
                "then a real performance or correctness problem with a measurable goal".to_owned(),
            );
        }
        ReasonCode::IoBound => {
            if let Some((busy, idle)) = busy {
                out.push(format!(
                    "a profile under production load with busy ≥ {} (now {} busy, {} idle)",
                    pct(t.cpu_bound_min_busy),
                    pct(busy),
                    pct(idle)
                ));
            }
            out.push(format!(
                "{} or more incidents of a class Rust's types prevent (now {})",
                t.correctness_min_incidents,
                f.preventable_incidents.len()
            ));
            out.push(format!(
                "garbage collection ≥ {} of profiled time (memory)",
                pct(t.memory_min_gc_share)
            ));
        }
        ReasonCode::CpuBound | ReasonCode::Correctness | ReasonCode::Memory => {
            if !f.node_only().is_empty() {
                out.push("withdrawing the Node sidecar allowance for the Node-only SDK".to_owned());
            }
            out.push(format!(
                "churn rising to ≥ {:.1} commits/week with ≤ {} authors",
                t.churn_min_commits_per_week, t.small_team_max_authors
            ));
            if primary == ReasonCode::CpuBound {
                out.push(format!(
                    "a profile after the obvious fixes (caching, a faster JSON or regex path) with busy under {}",
                    pct(t.cpu_bound_min_busy)
                ));
            }
        }
        ReasonCode::NoMeasurableGoal => {
            out.push("a measurable goal in crabport.toml, e.g. goal = \"cut p99 from 180 ms to under 50 ms\" or \"zero rounding incidents for two quarters\"".to_owned());
        }
        ReasonCode::NotHotPath => {
            out.push("hot_path = true: the service is on the critical request path".to_owned());
        }
        ReasonCode::Mixed => {
            if let Some((busy, idle)) = busy {
                out.push(format!(
                    "a profile of the busy routes alone: busy ≥ {} makes it CPU-bound, idle ≥ {} I/O-bound (now {} busy, {} idle)",
                    pct(t.cpu_bound_min_busy),
                    pct(t.io_bound_min_idle),
                    pct(busy),
                    pct(idle)
                ));
            }
        }
        ReasonCode::NoProfile => {
            out.push("a CPU profile under production-like load: `node --cpu-prof --cpu-prof-dir=profiles dist/server.js`, then profile = \"profiles/…cpuprofile\" in crabport.toml".to_owned());
        }
        _ => {}
    }
    out
}

fn measure(f: &Facts<'_>, primary: ReasonCode) -> Vec<String> {
    let mut out = Vec::new();
    match primary {
        ReasonCode::IoBound => {
            out.push("profile the database and downstream calls first: query plans, indexes, connection-pool waits, downstream p99".to_owned());
        }
        ReasonCode::NodeOnlySdk => {
            out.push("the vendor API's share of request latency: if the time is in the vendor, a port cannot help".to_owned());
        }
        ReasonCode::Correctness => {
            let kinds: std::collections::BTreeSet<&str> = f
                .preventable_incidents
                .iter()
                .map(|i| i.kind.code())
                .collect();
            out.push(format!(
                "incidents per quarter of kind {} before and after the port",
                kinds.into_iter().collect::<Vec<_>>().join(", ")
            ));
            out.push("scan findings of float-money, nullish-juggling and exception-control-flow in the code being ported".to_owned());
        }
        _ => {}
    }
    if matches!(
        primary,
        ReasonCode::CpuBound | ReasonCode::Memory | ReasonCode::NotHotPath | ReasonCode::Mixed
    ) || f.classification() == Some(Classification::CpuBound)
    {
        out.push("p50/p99 latency, throughput and CPU ms per 1,000 requests of the Node service and the port under the same load (`crabport bench`)".to_owned());
    }
    if let Some(g) = f.goal.as_ref().filter(|g| g.bench_check.is_some()) {
        let check = g.bench_check.as_deref().unwrap_or_default();
        let relative = if g.ratio.is_some() {
            " (a ratio of the port's figure to the Node service's, met when its whole 95% interval is on the goal's side)"
        } else {
            ""
        };
        let note = g
            .bench_note
            .as_deref()
            .map(|n| format!("; {n}"))
            .unwrap_or_default();
        out.push(format!(
            "the goal as a check on the port: `crabport bench --goal \"{check}\"`{relative}{note}"
        ));
    } else if let Some(g) = f.goal.as_ref().filter(|g| g.measurable) {
        out.push(format!("the goal as stated: \"{}\"", g.text));
    }
    out
}

fn effort(f: &Facts<'_>) -> Effort {
    let (gaps, unknown) = f.e.dependencies.as_ref().map_or((0, 0), |d| {
        (d.other_gaps.len() + d.node_only_sdks.len(), d.unknown.len())
    });
    port_effort(
        f.e.code.as_ref().map(|c| (c.lines, c.friction_per_kloc)),
        gaps,
        unknown,
        true,
        f.t,
    )
}

/// A rough porting cost: `code` is (lines, friction per 1,000 lines); gaps
/// and unknown dependencies add days each; `ramp_up` adds the team's
/// ownership ramp-up (once per migration: plan counts it in its first wave).
pub fn port_effort(
    code: Option<(usize, f64)>,
    gaps: usize,
    unknown: usize,
    ramp_up: bool,
    t: &Thresholds,
) -> Effort {
    let mut basis = Vec::new();
    let (mut low_days, mut high_days) = (0.0, 0.0);
    if let Some((lines, friction_per_kloc)) = code {
        // Friction slows a port: ×1 with none, ×2 from 100 weighted findings per 1,000 lines.
        let factor = 1.0 + friction_per_kloc.min(100.0) / 100.0;
        low_days += lines as f64 / t.lines_per_day_high * factor;
        high_days += lines as f64 / t.lines_per_day_low * factor;
        basis.push(format!(
            "{lines} lines at {:.0}–{:.0} lines per engineer-day, ×{factor:.2} for ownership friction {friction_per_kloc:.1}/kloc",
            t.lines_per_day_low, t.lines_per_day_high
        ));
    } else {
        basis.push("no code evidence: the size of the port is unknown".to_owned());
    }
    if gaps > 0 {
        low_days += 2.0 * gaps as f64;
        high_days += 5.0 * gaps as f64;
        basis.push(format!(
            "{gaps} dependency gap(s) at 2–5 days each (a REST client, a sidecar, or your own code)"
        ));
    }
    if unknown > 0 {
        low_days += 0.5 * unknown as f64;
        high_days += 2.0 * unknown as f64;
        basis.push(format!(
            "{unknown} unknown dependency(ies) at ½–2 days each to find a crate"
        ));
    }
    let (ramp_low, ramp_high) = if ramp_up {
        (t.ramp_up_weeks_low, t.ramp_up_weeks_high)
    } else {
        (0.0, 0.0)
    };
    if ramp_high > 0.0 {
        basis.push(format!(
            "plus {ramp_low:.0}–{ramp_high:.0} weeks of ownership ramp-up for a TypeScript team (the estimate of the migration guide's page \"Common Migration Challenges\"; set ramp_up_weeks_* to 0 for a team that writes Rust)"
        ));
    }
    // Half weeks for small ports; whole weeks where halves are false precision.
    let round = |w: f64| {
        if w > 20.0 {
            w.ceil()
        } else {
            (w * 2.0).ceil() / 2.0
        }
    };
    Effort {
        weeks_low: round(low_days / 5.0 + ramp_low),
        weeks_high: round(high_days / 5.0 + ramp_high),
        basis,
    }
}

/// Bump when a field changes meaning or disappears; adding fields does not bump it.
pub const SCHEMA_VERSION: u32 = 1;

/// `crabport assess --format json`: one entry per service.
#[derive(Debug, Clone, Serialize)]
pub struct AssessReport {
    pub schema_version: u32,
    pub tool: &'static str,
    pub tool_version: &'static str,
    /// When the history windows and incident window end (RFC 3339).
    pub assessed_at: String,
    pub thresholds: Thresholds,
    pub services: Vec<ServiceAssessment>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceAssessment {
    pub name: String,
    pub path: String,
    #[serde(flatten)]
    pub assessment: Assessment,
    pub evidence: ServiceEvidence,
}
