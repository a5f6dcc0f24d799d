//! Routes with their evidence in, waves out: the rules that place each route.
//!
//! 1. **problem** — the routes that carry the service's problem: not
//!    blocked, at least `hot_share_min` of the profiled CPU passes through
//!    the handler, the service is CPU-bound (or mixed) and has a measurable
//!    goal. Porting them is what the goal is measured on.
//! 2. **leaves** — not blocked, closure of at most `leaf_max_lines` lines:
//!    small, self-contained routes first (fewest shared lines, then fewest
//!    lines), as .NET's upgrade tools order work bottom-up from the leaves.
//! 3. **rest** — every other route that is not blocked, smallest first.
//! 4. **blocked** — routes whose closure imports a Node-only SDK, each with
//!    what unblocks it. With `sidecar_ok` declared they are not blocked.
//!
//! A module appears in the first wave whose routes reach it, and is ported
//! (and counted in a wave's size and effort) once.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::table::{RouteTable, State};

/// The rules' thresholds (`[plan]` in crabport.toml).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlanThresholds {
    /// A route carries the problem from this share of profiled CPU (0–1).
    pub hot_share_min: f64,
    /// A route is a leaf up to this many lines in its closure.
    pub leaf_max_lines: usize,
}

impl Default for PlanThresholds {
    fn default() -> Self {
        Self {
            hot_share_min: 0.10,
            leaf_max_lines: 150,
        }
    }
}

impl PlanThresholds {
    /// # Errors
    /// A share outside (0, 1].
    pub fn validate(&self) -> Result<(), crabport_decide::ThresholdError> {
        if !(self.hot_share_min > 0.0 && self.hot_share_min <= 1.0) {
            return Err(crabport_decide::ThresholdError::new(
                "hot_share_min",
                format!(
                    "hot_share_min = {} must be above 0 and at most 1",
                    self.hot_share_min
                ),
            ));
        }
        Ok(())
    }
}

/// Where a route's handler is (relative to the service directory).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct HandlerRef {
    pub file: String,
    pub line: u32,
    pub column: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// False when only the expression passing the handler was found.
    pub resolved: bool,
}

/// A Node-only dependency in a route's closure.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Blocker {
    pub npm: String,
    pub gap_kind: String,
    /// The modules of the closure that import it.
    pub imported_by: Vec<String>,
    /// What unblocks the route.
    pub unblock: String,
}

/// One module of the service: size and ownership friction.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ModuleFacts {
    pub lines: usize,
    pub findings: usize,
    /// Σ severity weights of its scan findings.
    pub weight: u32,
}

/// What is known about one route before placing it.
#[derive(Debug, Clone, Serialize)]
pub struct RouteFacts {
    pub method: String,
    pub path: String,
    pub framework: String,
    pub handler: HandlerRef,
    /// The modules the handler's module reaches, itself included.
    pub closure: Vec<String>,
    /// Node-only SDKs the closure imports.
    pub blocked_by: Vec<Blocker>,
    /// Other dependency gaps and unknown packages in the closure.
    pub gaps: Vec<String>,
    pub unknown: Vec<String>,
    /// Share of profiled (busy) CPU whose stack passes through the handler.
    pub hot_share: Option<f64>,
    /// Commits touching the closure in the churn window.
    pub churn: Option<usize>,
    /// Fingerprint of the handler's module, to tell when it changed.
    pub fingerprint: String,
}

/// The service as a whole, as the rules read it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ServiceFacts {
    pub name: String,
    /// `cpu-bound`, `io-bound`, `mixed`; `None` without a profile.
    pub classification: Option<String>,
    pub busy_share: Option<f64>,
    /// The measurable goal, as declared; `None` when none is.
    pub goal: Option<String>,
    pub sidecar_ok: bool,
    pub churn_window_days: u32,
}

/// A route that could not be read statically.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct UnresolvedRoute {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub reason: String,
}

/// Everything plan places routes from.
#[derive(Debug, Clone, Default)]
pub struct PlanInput {
    pub service: ServiceFacts,
    pub routes: Vec<RouteFacts>,
    pub modules: BTreeMap<String, ModuleFacts>,
    pub unresolved: Vec<UnresolvedRoute>,
    /// What missing evidence leaves out of the plan.
    pub limits: Vec<String>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WaveKind {
    Problem,
    Leaves,
    Rest,
    Blocked,
}

impl WaveKind {
    pub fn title(self) -> &'static str {
        match self {
            Self::Problem => "the routes that carry the problem",
            Self::Leaves => "leaves: small, self-contained routes",
            Self::Rest => "the rest",
            Self::Blocked => "blocked: Node-only dependencies",
        }
    }
}

/// Lines in a route's closure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Size {
    pub lines: usize,
    /// In modules no other route reaches.
    pub unshared: usize,
    /// In modules other routes reach too (ported once).
    pub shared: usize,
}

/// A route with its place in the plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedRoute {
    pub method: String,
    pub path: String,
    pub framework: String,
    pub handler: HandlerRef,
    pub wave: u32,
    pub state: State,
    pub blocked_by: Vec<Blocker>,
    pub hot_share: Option<f64>,
    /// Weighted scan findings per 1,000 lines of the closure.
    pub friction: f64,
    pub findings: usize,
    pub churn: Option<usize>,
    pub size: Size,
    pub modules: usize,
    /// Why it is in its wave, with the numbers.
    pub reasons: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<String>,
    #[serde(skip)]
    pub fingerprint: String,
    #[serde(skip)]
    pub kind: Option<WaveKind>,
}

impl PlannedRoute {
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// One step of the migration.
#[derive(Debug, Clone, Serialize)]
pub struct Wave {
    pub number: u32,
    pub kind: WaveKind,
    pub title: &'static str,
    /// `METHOD path`, in the order to port them.
    pub routes: Vec<String>,
    /// Modules first needed in this wave: ported here, reused later.
    pub modules: Vec<String>,
    /// Lines of those modules.
    pub lines: usize,
    /// Σ of its routes' hot shares; `None` without a profile that maps.
    pub hot_share: Option<f64>,
    pub effort: crabport_decide::Effort,
    /// How to tell the wave worked.
    pub verify: Vec<String>,
    pub rollback: String,
}

/// Progress: routes by state, and profiled CPU served by Rust.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Burndown {
    pub routes: usize,
    pub by_state: BTreeMap<State, usize>,
    /// Routes whose traffic Rust serves (`rust`, `node-removed`).
    pub routes_on_rust: usize,
    /// Of the profiled CPU that passes through a handler: the share whose
    /// routes Rust serves. `None` without a profile.
    pub cpu_share_on_rust: Option<f64>,
    pub cpu_share_total: Option<f64>,
}

/// The plan.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub schema_version: u32,
    pub tool: &'static str,
    pub tool_version: &'static str,
    pub service: ServiceFacts,
    pub thresholds: PlanThresholds,
    pub routes: Vec<PlannedRoute>,
    pub waves: Vec<Wave>,
    pub unresolved: Vec<UnresolvedRoute>,
    pub burndown: Burndown,
    /// Where the code has moved away from crabport.routes.toml.
    pub drift: Vec<crate::table::Drift>,
    pub limits: Vec<String>,
    pub warnings: Vec<String>,
}

/// Bump when a field changes meaning or disappears.
pub const SCHEMA_VERSION: u32 = 1;

/// Places every route (see the module docs) and checks the route table.
pub fn plan(
    input: PlanInput,
    thresholds: &PlanThresholds,
    assess: &crabport_decide::Thresholds,
    table: Option<&RouteTable>,
) -> Plan {
    let PlanInput {
        service,
        routes,
        modules,
        unresolved,
        limits,
        warnings,
    } = input;
    // How many routes reach each module.
    let mut reach: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &routes {
        for m in &r.closure {
            *reach.entry(m).or_default() += 1;
        }
    }
    let lines_of = |m: &str| modules.get(m).map_or(0, |f| f.lines);
    let goal_ok = service.goal.is_some();
    let cpu_ok = matches!(
        service.classification.as_deref(),
        Some("cpu-bound" | "mixed")
    );
    let mut planned: Vec<PlannedRoute> = routes
        .iter()
        .map(|r| {
            let mut size = Size::default();
            let (mut weight, mut findings) = (0u32, 0usize);
            for m in &r.closure {
                let lines = lines_of(m);
                size.lines += lines;
                if reach.get(m.as_str()).copied().unwrap_or(0) > 1 {
                    size.shared += lines;
                } else {
                    size.unshared += lines;
                }
                if let Some(f) = modules.get(m) {
                    weight += f.weight;
                    findings += f.findings;
                }
            }
            let friction = crate::friction(weight, size.lines);
            let blocked = !r.blocked_by.is_empty() && !service.sidecar_ok;
            let hot = r.hot_share.is_some_and(|h| h >= thresholds.hot_share_min);
            let (kind, reasons) = place(
                r, &size, &service, thresholds, blocked, hot, goal_ok, cpu_ok,
            );
            PlannedRoute {
                method: r.method.clone(),
                path: r.path.clone(),
                framework: r.framework.clone(),
                handler: r.handler.clone(),
                wave: 0,
                state: table
                    .and_then(|t| t.get(&r.method, &r.path))
                    .map_or(State::Node, |e| e.state),
                blocked_by: if service.sidecar_ok {
                    Vec::new()
                } else {
                    r.blocked_by.clone()
                },
                hot_share: r.hot_share,
                friction,
                findings,
                churn: r.churn,
                size,
                modules: r.closure.len(),
                reasons,
                gaps: r.gaps.clone(),
                fingerprint: r.fingerprint.clone(),
                kind: Some(kind),
            }
        })
        .collect();
    // Within a wave: the hottest problem first; leaves sharing least first;
    // the rest and the blocked smallest first.
    planned.sort_by(|a, b| {
        let kind = a.kind.cmp(&b.kind);
        kind.then_with(|| match a.kind {
            Some(WaveKind::Problem) => b
                .hot_share
                .unwrap_or(0.0)
                .total_cmp(&a.hot_share.unwrap_or(0.0)),
            Some(WaveKind::Leaves) => {
                (a.size.shared, a.size.lines).cmp(&(b.size.shared, b.size.lines))
            }
            _ => a.size.lines.cmp(&b.size.lines),
        })
        .then_with(|| (&a.path, &a.method).cmp(&(&b.path, &b.method)))
    });

    let mut waves: Vec<Wave> = Vec::new();
    let mut ported: BTreeSet<&str> = BTreeSet::new();
    let mut counted_gaps: BTreeSet<String> = BTreeSet::new();
    let by_key: BTreeMap<String, &RouteFacts> = routes
        .iter()
        .map(|r| (format!("{} {}", r.method, r.path), r))
        .collect();
    for kind in [
        WaveKind::Problem,
        WaveKind::Leaves,
        WaveKind::Rest,
        WaveKind::Blocked,
    ] {
        let members: Vec<&mut PlannedRoute> = planned
            .iter_mut()
            .filter(|r| r.kind == Some(kind))
            .collect();
        if members.is_empty() {
            continue;
        }
        let number = u32::try_from(waves.len() + 1).unwrap_or(u32::MAX);
        let mut new_modules = Vec::new();
        let (mut gaps, mut unknown) = (0, 0);
        let mut hot_share: Option<f64> = None;
        let mut keys = Vec::new();
        for r in members {
            r.wave = number;
            keys.push(r.key());
            if let Some(h) = r.hot_share {
                *hot_share.get_or_insert(0.0) += h;
            }
            let facts = by_key[&r.key()];
            for m in &facts.closure {
                if ported.insert(m) {
                    new_modules.push(m.clone());
                }
            }
            for g in facts
                .gaps
                .iter()
                .chain(facts.blocked_by.iter().map(|b| &b.npm))
            {
                if counted_gaps.insert(g.clone()) {
                    gaps += 1;
                }
            }
            for u in &facts.unknown {
                if counted_gaps.insert(u.clone()) {
                    unknown += 1;
                }
            }
        }
        let lines: usize = new_modules.iter().map(|m| lines_of(m)).sum();
        let weight: u32 = new_modules
            .iter()
            .filter_map(|m| modules.get(m))
            .map(|f| f.weight)
            .sum();
        let friction = crate::friction(weight, lines);
        let effort = crabport_decide::port_effort(
            Some((lines, friction)),
            gaps,
            unknown,
            waves.is_empty(),
            assess,
        );
        waves.push(Wave {
            number,
            kind,
            title: kind.title(),
            verify: verify(&keys, &service, kind),
            rollback: format!(
                "set the state of wave {number}'s routes back to `node` in crabport.routes.toml and re-emit the router configuration (`crabport plan --emit …`): the router sends them to Node again, which still serves them until `node-removed`"
            ),
            routes: keys,
            modules: new_modules,
            lines,
            hot_share,
            effort,
        });
    }
    planned.sort_by(|a, b| {
        (a.wave, a.kind)
            .cmp(&(b.wave, b.kind))
            .then(std::cmp::Ordering::Equal)
    });

    let drift = table.map_or_else(Vec::new, |t| crate::table::drift(t, &planned));
    let burndown = burndown(&planned);
    Plan {
        schema_version: SCHEMA_VERSION,
        tool: "crabport",
        tool_version: env!("CARGO_PKG_VERSION"),
        service,
        thresholds: thresholds.clone(),
        routes: planned,
        waves,
        unresolved,
        burndown,
        drift,
        limits,
        warnings,
    }
}

/// The wave of one route and why, with the figures.
#[allow(clippy::too_many_arguments)]
fn place(
    r: &RouteFacts,
    size: &Size,
    service: &ServiceFacts,
    t: &PlanThresholds,
    blocked: bool,
    hot: bool,
    goal_ok: bool,
    cpu_ok: bool,
) -> (WaveKind, Vec<String>) {
    let pct = |s: f64| format!("{:.1}%", s * 100.0);
    let mut reasons = Vec::new();
    let hot_text = r.hot_share.map(|h| {
        format!(
            "{} of profiled CPU passes through {}",
            pct(h),
            r.handler.name.as_deref().unwrap_or("its handler")
        )
    });
    if blocked {
        for b in &r.blocked_by {
            reasons.push(format!(
                "blocked by {} ({}, imported by {}): {}",
                b.npm,
                b.gap_kind,
                b.imported_by.join(", "),
                b.unblock
            ));
        }
        if let Some(h) = &hot_text {
            reasons.push(h.clone());
        }
        return (WaveKind::Blocked, reasons);
    }
    if !r.blocked_by.is_empty() {
        let names: Vec<&str> = r.blocked_by.iter().map(|b| b.npm.as_str()).collect();
        reasons.push(format!(
            "imports the Node-only {} but sidecar_ok is declared: the port calls the vendor's API or a sidecar",
            names.join(", ")
        ));
    }
    if hot && goal_ok && cpu_ok {
        reasons.push(format!(
            "{} (≥ {} hot_share_min)",
            hot_text.unwrap_or_default(),
            pct(t.hot_share_min)
        ));
        reasons.push(format!(
            "the service is {} (busy {}) and its goal is measurable: \"{}\"",
            service.classification.as_deref().unwrap_or_default(),
            pct(service.busy_share.unwrap_or(0.0)),
            service.goal.as_deref().unwrap_or_default()
        ));
        return (WaveKind::Problem, reasons);
    }
    if hot {
        let why = if !goal_ok {
            "the service has no measurable goal".to_owned()
        } else {
            format!(
                "the service is {}, not CPU-bound",
                service.classification.as_deref().unwrap_or("unprofiled")
            )
        };
        reasons.push(format!(
            "{}, but {why}: not a problem route",
            hot_text.clone().unwrap_or_default()
        ));
    }
    if size.lines <= t.leaf_max_lines {
        reasons.push(format!(
            "a leaf: {} lines in {} module(s) (≤ {} leaf_max_lines), {} of them shared with other routes",
            size.lines,
            r.closure.len(),
            t.leaf_max_lines,
            size.shared
        ));
        (WaveKind::Leaves, reasons)
    } else {
        reasons.push(format!(
            "{} lines in {} module(s) (> {} leaf_max_lines), {} shared with other routes",
            size.lines,
            r.closure.len(),
            t.leaf_max_lines,
            size.shared
        ));
        (WaveKind::Rest, reasons)
    }
}

fn verify(keys: &[String], service: &ServiceFacts, kind: WaveKind) -> Vec<String> {
    let mut out = vec![format!(
        "crabport bench with a request file covering {}: the port must not be slower",
        keys.join(", ")
    )];
    if kind == WaveKind::Problem
        && let Some(goal) = &service.goal
    {
        out.push(format!(
            "the goal on these routes: \"{goal}\" (crabport bench --goal)"
        ));
    }
    out.push(
        "response parity on the same requests before `parity` (crabport parity, once it exists; until then a recorded-response diff)"
            .to_owned(),
    );
    out
}

fn burndown(routes: &[PlannedRoute]) -> Burndown {
    let mut b = Burndown {
        routes: routes.len(),
        ..Burndown::default()
    };
    let profiled = routes.iter().any(|r| r.hot_share.is_some());
    let (mut total, mut on_rust) = (0.0, 0.0);
    for r in routes {
        *b.by_state.entry(r.state).or_default() += 1;
        let share = r.hot_share.unwrap_or(0.0);
        total += share;
        if r.state.target() == crate::emit::Target::Rust {
            b.routes_on_rust += 1;
            on_rust += share;
        }
    }
    if profiled {
        b.cpu_share_total = Some(total);
        b.cpu_share_on_rust = Some(on_rust);
    }
    b
}
