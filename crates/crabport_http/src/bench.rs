//! The benchmark method: start the targets, warm them up, alternate rounds
//! A B A B …, and turn the rounds into medians, ratios with bootstrap
//! intervals, and a headline that never claims what was not measured.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::goal::Goal;
use crate::load::{self, Mode, RunOptions, RunResult};
use crate::process::{self, RssSampler};
use crate::report::{
    BenchReport, Comparison, LatencyMs, Method, NoResult, PLOT_PERCENTILES, PercentilePoint,
    RoundReport, SweepResult, SweepStep, TargetReport,
};
use crate::request::{self, Workload};
use crate::stats;
use crate::targets;

pub use crate::targets::{TargetSource, TargetSpec};

#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub mode: Mode,
    pub warmup: Duration,
    pub rounds: usize,
    pub round: Duration,
    pub noise: f64,
    pub ready_path: String,
    pub ready_timeout: Duration,
    /// Per request; also bounds the wait for requests in flight at a round's end.
    pub timeout: Duration,
    /// The longest response body accepted.
    pub max_body: u64,
    pub allow_remote: bool,
    pub goal: Option<Goal>,
    /// `--sweep`: the p99 limit each step must stay within.
    pub sweep_p99_ms: Option<f64>,
}

impl BenchOptions {
    /// The load generator's options for one run of `duration`.
    fn run(&self, mode: Mode, duration: Duration) -> RunOptions {
        RunOptions {
            timeout: self.timeout,
            max_body: self.max_body,
            ..RunOptions::new(mode, duration)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Process(#[from] process::ProcessError),
    #[error(transparent)]
    Load(#[from] load::LoadError),
    #[error(transparent)]
    Start(#[from] targets::StartError),
}

/// A started or found target during the run.
struct Live {
    spec: TargetSpec,
    process: Option<process::Target>,
    endpoint: request::Target,
    /// The workload serialised once for this target's host.
    prepared: request::PreparedWorkload,
    rounds: Vec<Round>,
    latency: Histogram<u64>,
    uncorrected: Option<Histogram<u64>>,
    status: BTreeMap<u16, u64>,
    errors: BTreeMap<String, u64>,
    peak_rss: Option<u64>,
}

struct Round {
    result: RunResult,
    cpu_ms: Option<f64>,
    peak_rss: Option<u64>,
}

/// Runs the whole benchmark. Targets started here are stopped before it
/// returns, on success and on error alike.
///
/// # Errors
/// A target that does not start, never answers or dies; a load error.
pub fn run(
    targets: &[TargetSpec],
    workload: &Workload,
    options: &BenchOptions,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<BenchReport, BenchError> {
    let mut live: Vec<Live> = Vec::new();
    let outcome = run_started(targets, workload, options, progress, &mut live);
    // Stop every target whatever happened; report the first problem.
    let stopped = targets::stop_all(live.iter_mut().filter_map(|l| l.process.take()));
    let report = outcome?;
    stopped?;
    Ok(report)
}

fn run_started(
    targets: &[TargetSpec],
    workload: &Workload,
    options: &BenchOptions,
    progress: &(dyn Fn(&str) + Sync),
    live: &mut Vec<Live>,
) -> Result<BenchReport, BenchError> {
    for spec in targets {
        progress(&format!("starting {}", spec.name));
        let targets::Live {
            process, endpoint, ..
        } = spec.start(
            &targets::Readiness {
                path: options.ready_path.clone(),
                timeout: options.ready_timeout,
            },
            options.allow_remote,
        )?;
        live.push(Live {
            spec: spec.clone(),
            process,
            prepared: workload.prepare(&endpoint.authority),
            endpoint,
            rounds: Vec::new(),
            latency: new_histogram(),
            uncorrected: matches!(options.mode, Mode::Open { .. }).then(new_histogram),
            status: BTreeMap::new(),
            errors: BTreeMap::new(),
            peak_rss: None,
        });
    }

    // Warm-up: Node's JIT needs it; results are thrown away.
    if !options.warmup.is_zero() {
        for l in live.iter_mut() {
            progress(&format!("warming up {}", l.spec.name));
            load::run(
                &l.endpoint,
                &l.prepared,
                &options.run(options.mode, options.warmup),
            )?;
            check_alive(l)?;
        }
    }

    for round in 0..options.rounds {
        for l in live.iter_mut() {
            progress(&format!(
                "round {}/{}: {}",
                round + 1,
                options.rounds,
                l.spec.name
            ));
            let before = l.process.as_ref().map(process::Target::usage);
            let sampler = l
                .process
                .as_ref()
                .map(|p| RssSampler::start(&[p]))
                .transpose()?;
            let result = load::run(
                &l.endpoint,
                &l.prepared,
                &options.run(options.mode, options.round),
            )?;
            let peak_rss = match sampler {
                Some(s) => s.finish()?.first().map(|p| p.peak_rss_bytes),
                None => None,
            };
            let after = l.process.as_ref().map(process::Target::usage);
            check_alive(l)?;
            let cpu_ms = before.zip(after).map(|(b, a)| a.cpu_ms_since(&b));
            absorb(l, &result);
            if let Some(peak) = peak_rss {
                l.peak_rss = Some(l.peak_rss.unwrap_or(0).max(peak));
            }
            l.rounds.push(Round {
                result,
                cpu_ms,
                peak_rss,
            });
        }
    }

    let mut sweep = Vec::new();
    if let Some(limit) = options.sweep_p99_ms {
        for l in live.iter_mut() {
            sweep.push(sweep_target(l, options, limit, progress)?);
        }
    }

    Ok(build_report(live, workload, options, sweep))
}

fn check_alive(l: &mut Live) -> Result<(), BenchError> {
    if let Some(p) = l.process.as_mut() {
        p.check_alive()?;
    }
    Ok(())
}

fn new_histogram() -> Histogram<u64> {
    // µs from 1 to 60 s at 3 significant digits: bounded memory whatever the run length.
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("constant bounds are valid")
}

fn absorb(l: &mut Live, r: &RunResult) {
    let _ = l.latency.add(&r.latency);
    if let (Some(all), Some(u)) = (l.uncorrected.as_mut(), r.latency_uncorrected.as_ref()) {
        let _ = all.add(u);
    }
    for (s, n) in &r.status {
        *l.status.entry(*s).or_default() += n;
    }
    for (k, n) in &r.errors {
        *l.errors.entry(k.clone()).or_default() += n;
    }
}

/// Raises the rate step by step (×1.5) from a tenth of the closed-loop
/// throughput until p99 exceeds the limit or requests fail.
fn sweep_target(
    l: &mut Live,
    options: &BenchOptions,
    limit_ms: f64,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<SweepResult, BenchError> {
    let closed_rps = stats::median(&l.rounds.iter().map(|r| r.result.rps).collect::<Vec<_>>());
    let connections = match options.mode {
        Mode::Closed { connections } | Mode::Open { connections, .. } => connections,
    };
    let mut rate = (closed_rps / 10.0).max(10.0);
    let mut steps = Vec::new();
    let mut best = None;
    let step_duration = options
        .round
        .min(Duration::from_secs(5))
        .max(Duration::from_secs(1));
    for _ in 0..12 {
        progress(&format!("sweep {}: {rate:.0} req/s", l.spec.name));
        let r = load::run(
            &l.endpoint,
            &l.prepared,
            &options.run(Mode::Open { rate, connections }, step_duration),
        )?;
        check_alive(l)?;
        let p99 = load::latency_ms(&r.latency).p99;
        let errors = error_count(&r);
        // No response at all is no evidence of meeting the limit.
        let within = r.requests > 0 && p99 <= limit_ms && errors == 0;
        steps.push(SweepStep {
            rate,
            achieved_rps: r.rps,
            p99_ms: p99,
            errors,
            within,
        });
        if !within {
            break;
        }
        best = Some(rate);
        rate *= 1.5;
    }
    Ok(SweepResult {
        target: l.spec.name.clone(),
        p99_limit_ms: limit_ms,
        steps,
        max_rate_within: best,
    })
}

fn error_count(r: &RunResult) -> u64 {
    r.errors.values().sum::<u64>()
        + r.status
            .iter()
            .filter(|(s, _)| !(200..300).contains(*s))
            .map(|(_, n)| n)
            .sum::<u64>()
}

/// The percentiles, or `None` when no response completed: an empty
/// histogram has no latency, not a latency of zero.
fn latency(h: &Histogram<u64>) -> Option<LatencyMs> {
    if h.is_empty() {
        return None;
    }
    let p = load::latency_ms(h);
    Some(LatencyMs {
        p50: p.p50,
        p90: p.p90,
        p99: p.p99,
        p999: p.p999,
        max: p.max,
    })
}

fn target_report(l: &Live) -> TargetReport {
    let rounds: Vec<RoundReport> = l
        .rounds
        .iter()
        .map(|r| {
            let lat = latency(&r.result.latency);
            RoundReport {
                requests: r.result.requests,
                rps: r.result.rps,
                p50_ms: lat.map(|l| l.p50),
                p99_ms: lat.map(|l| l.p99),
                errors: error_count(&r.result),
                errors_by_kind: r.result.errors.clone(),
                in_flight_at_end: r.result.in_flight_at_end,
                cpu_ms_per_1k_requests: r
                    .cpu_ms
                    .filter(|_| r.result.requests > 0)
                    .map(|c| c * 1000.0 / r.result.requests as f64),
                peak_rss_bytes: r.peak_rss,
                generator_bound: r.result.generator_bound,
            }
        })
        .collect();
    let cpu: Vec<f64> = rounds
        .iter()
        .filter_map(|r| r.cpu_ms_per_1k_requests)
        .collect();
    let generator_cpu_ms: f64 = l
        .rounds
        .iter()
        .map(|r| r.result.generator_cpu.as_secs_f64() * 1000.0)
        .sum();
    let wall_ms: f64 = l
        .rounds
        .iter()
        .map(|r| r.result.elapsed.as_secs_f64() * 1000.0)
        .sum();
    let non_2xx = l
        .status
        .iter()
        .filter(|(s, _)| !(200..300).contains(*s))
        .map(|(_, n)| n)
        .sum::<u64>();
    let requests: u64 = rounds.iter().map(|r| r.requests).sum();
    let cpu_ms_per_1k_requests = (!cpu.is_empty()).then(|| stats::median(&cpu));
    let latency_ms = latency(&l.latency);
    // The true reason for every figure that is missing.
    let url = matches!(l.spec.source, TargetSource::Url(_));
    let mut not_measured = BTreeMap::new();
    if latency_ms.is_none() {
        not_measured.insert("latency_ms", "no-responses");
    }
    if cpu_ms_per_1k_requests.is_none() {
        let reason = if url { "url-target" } else { "no-responses" };
        not_measured.insert("cpu_ms_per_1k_requests", reason);
    }
    if l.peak_rss.is_none() {
        let reason = if url { "url-target" } else { "no-sample" };
        not_measured.insert("peak_rss_bytes", reason);
    }
    TargetReport {
        name: l.spec.name.clone(),
        source: match &l.spec.source {
            TargetSource::Command { command, .. } => command.clone(),
            TargetSource::Url(url) => url.clone(),
        },
        requests,
        rps: stats::median(&rounds.iter().map(|r| r.rps).collect::<Vec<_>>()),
        latency_ms,
        latency_uncorrected_ms: l.uncorrected.as_ref().and_then(latency),
        percentiles: if l.latency.is_empty() {
            Vec::new()
        } else {
            PLOT_PERCENTILES
                .iter()
                .map(|p| PercentilePoint {
                    percentile: *p,
                    ms: l.latency.value_at_quantile(p / 100.0) as f64 / 1000.0,
                })
                .collect()
        },
        errors: l.errors.values().sum::<u64>() + non_2xx,
        errors_by_kind: l.errors.clone(),
        non_2xx,
        status: l.status.clone(),
        in_flight_at_end: rounds.iter().map(|r| r.in_flight_at_end).sum(),
        cpu_ms_per_1k_requests,
        peak_rss_bytes: l.peak_rss,
        not_measured,
        generator_cpu_cores: if wall_ms > 0.0 {
            generator_cpu_ms / wall_ms
        } else {
            0.0
        },
        rounds,
    }
}

/// Per-round values of one metric, for the ratio.
fn per_round(t: &TargetReport, metric: &str) -> Vec<f64> {
    t.rounds
        .iter()
        .filter_map(|r| match metric {
            "rps" => Some(r.rps),
            "p50" => r.p50_ms,
            "p99" => r.p99_ms,
            "cpu_ms_per_1k_requests" => r.cpu_ms_per_1k_requests,
            "peak_rss_bytes" => r.peak_rss_bytes.map(|b| b as f64),
            _ => None,
        })
        .collect()
}

fn build_report(
    live: &[Live],
    workload: &Workload,
    options: &BenchOptions,
    sweep: Vec<SweepResult>,
) -> BenchReport {
    let targets: Vec<TargetReport> = live.iter().map(target_report).collect();
    let generator_bound = targets
        .iter()
        .any(|t| t.rounds.iter().any(|r| r.generator_bound));
    let no_result = no_result(&targets);
    let mut comparison = Vec::new();
    if let [baseline, candidate] = targets.as_slice()
        && !generator_bound
        && no_result.is_none()
    {
        for metric in [
            "rps",
            "p50",
            "p99",
            "cpu_ms_per_1k_requests",
            "peak_rss_bytes",
        ] {
            let Some(est) = stats::ratio_of_medians(
                &per_round(baseline, metric),
                &per_round(candidate, metric),
                options.noise,
            ) else {
                continue;
            };
            // Throughput: higher is better; everything else: lower.
            let candidate_better = if metric == "rps" {
                est.ratio > 1.0
            } else {
                est.ratio < 1.0
            };
            comparison.push(Comparison {
                metric,
                ratio: est.ratio,
                ci_low: est.ci_low,
                ci_high: est.ci_high,
                significant: est.significant,
                better: est.significant.then_some(if candidate_better {
                    "candidate"
                } else {
                    "baseline"
                }),
            });
        }
    }
    let goal = options.goal.as_ref().and_then(|g| {
        let candidate = targets
            .iter()
            .find(|t| t.name == "candidate")
            .or(targets.last())?;
        // A target that completed nothing in a round has no figure to check.
        let unmeasured = no_result
            .as_ref()
            .is_some_and(|n| n.targets.contains(&candidate.name));
        if unmeasured {
            return None;
        }
        g.check(candidate, &comparison)
    });
    let summary = match &no_result {
        Some(n) => n.message.clone(),
        None => headline(&targets, &comparison, generator_bound),
    };
    let mut warnings = Vec::new();
    // Without a result the headline says why nothing was checked.
    if let (Some(wanted), None, None) = (&options.goal, &goal, &no_result) {
        warnings.push(if wanted.relative {
            format!(
                "goal {} is a ratio against the baseline, and there is no such comparison (it needs both targets, a measured baseline and a load generator that was not the bottleneck): the goal was not checked",
                wanted.expression
            )
        } else {
            format!(
                "goal {}: the candidate has no such figure (CPU and memory are measured only for targets crabport starts): the goal was not checked",
                wanted.expression
            )
        });
    }
    let unmeasured = |t: &TargetReport| {
        no_result
            .as_ref()
            .is_some_and(|n| n.targets.contains(&t.name))
    };
    // The headline already says why an unmeasured target has no figures.
    for t in targets.iter().filter(|t| !unmeasured(t)) {
        let failed: u64 = t.errors_by_kind.values().sum();
        if failed > 0 {
            warnings.push(format!(
                "{}: {failed} of {} requests got no complete response ({})",
                t.name,
                t.requests + failed,
                kinds(&t.errors_by_kind)
            ));
        }
        if t.non_2xx > 0 {
            warnings.push(format!(
                "{}: {} of {} responses were not 2xx; check the request file",
                t.name, t.non_2xx, t.requests
            ));
        }
    }
    if options.rounds < 3 && targets.len() == 2 && no_result.is_none() {
        warnings.push(format!(
            "{} round(s) per target: the confidence intervals are wide; use --rounds 5 or more for a decision",
            options.rounds
        ));
    }
    let (mode, connections, rate) = match options.mode {
        Mode::Closed { connections } => ("closed", connections, None),
        Mode::Open { rate, connections } => ("open", connections, Some(rate)),
    };
    BenchReport {
        schema_version: crate::report::SCHEMA_VERSION,
        tool: "crabport",
        tool_version: env!("CARGO_PKG_VERSION"),
        method: Method {
            mode,
            connections,
            rate,
            warmup_seconds: options.warmup.as_secs_f64(),
            rounds: options.rounds,
            round_seconds: options.round.as_secs_f64(),
            timeout_seconds: options.timeout.as_secs_f64(),
            max_body_bytes: options.max_body,
            noise_threshold: options.noise,
            workload: workload.routes(),
        },
        targets,
        comparison,
        generator_bound,
        goal,
        sweep,
        no_result,
        summary,
        warnings,
    }
}

/// `timeout 150, closed 2`: errors by kind, most frequent first.
fn kinds(errors: &BTreeMap<String, u64>) -> String {
    let mut by_count: Vec<(&String, &u64)> = errors.iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    by_count
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A target with a round in which no response completed has no figures
/// worth a comparison: rounds are the samples, and that one is missing.
fn no_result(targets: &[TargetReport]) -> Option<NoResult> {
    let mut names = Vec::new();
    let mut reasons = Vec::new();
    for t in targets {
        let empty: Vec<usize> = t
            .rounds
            .iter()
            .enumerate()
            .filter(|(_, r)| r.requests == 0)
            .map(|(i, _)| i + 1)
            .collect();
        if empty.is_empty() {
            continue;
        }
        let total = t.rounds.len();
        let which = if empty.len() == total {
            format!(
                "in {}",
                if total == 1 {
                    "its only round".to_owned()
                } else {
                    format!("any of its {total} rounds")
                }
            )
        } else {
            let list: Vec<String> = empty.iter().map(usize::to_string).collect();
            format!(
                "in round{} {} of {total}",
                if empty.len() == 1 { "" } else { "s" },
                list.join(", ")
            )
        };
        let failed: u64 = t.errors_by_kind.values().sum();
        let why = if failed == 0 {
            "no request was sent".to_owned()
        } else {
            format!(
                "{failed} request{} got no complete response: {}",
                if failed == 1 { "" } else { "s" },
                kinds(&t.errors_by_kind)
            )
        };
        reasons.push(format!(
            "the {} completed no response {which} ({why})",
            t.name
        ));
        names.push(t.name.clone());
    }
    if names.is_empty() {
        return None;
    }
    let message = if targets.len() == 2 {
        format!(
            "No comparison: {}; a ratio needs complete responses from both targets in every round",
            reasons.join("; ")
        )
    } else {
        format!("No result: {}", reasons.join("; "))
    };
    Some(NoResult {
        reason: "no-responses",
        targets: names,
        message,
    })
}

fn headline(targets: &[TargetReport], comparison: &[Comparison], generator_bound: bool) -> String {
    if generator_bound {
        return "The load generator was the bottleneck: no comparison is reported".to_owned();
    }
    let [_, _] = targets else {
        return match targets.first() {
            Some(t) => format!(
                "{}: {:.0} req/s, p99 {:.2} ms",
                t.name,
                t.rps,
                t.latency_ms.map_or(0.0, |l| l.p99)
            ),
            None => "nothing was measured".to_owned(),
        };
    };
    let Some(rps) = comparison.iter().find(|c| c.metric == "rps") else {
        return "no throughput to compare".to_owned();
    };
    let p99 = comparison.iter().find(|c| c.metric == "p99");
    let mut text = if rps.significant {
        format!(
            "candidate throughput {:.2}× baseline (95% CI {:.2}–{:.2})",
            rps.ratio, rps.ci_low, rps.ci_high
        )
    } else {
        "throughput: no significant difference".to_owned()
    };
    if let Some(p) = p99 {
        if p.significant {
            text.push_str(&format!(
                "; p99 {:.2}× (95% CI {:.2}–{:.2})",
                p.ratio, p.ci_low, p.ci_high
            ));
        } else {
            text.push_str("; p99: no significant difference");
        }
    }
    text
}
