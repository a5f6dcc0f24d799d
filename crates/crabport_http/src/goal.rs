//! `--goal "p99<50ms"`: a measurable goal checked on the candidate, either
//! absolute or as a ratio against the baseline (`rps>2x`, `cpu<0.5x`).

use crate::report::{Comparison, GoalCheck, LatencyMs, TargetReport};

/// A parsed goal expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Goal {
    pub expression: String,
    pub metric: Metric,
    /// In the metric's unit (ms, requests/s or bytes), or a multiple of the
    /// baseline's figure when `relative`.
    pub limit: f64,
    /// `rps>2x`: candidate / baseline, judged on the ratio's 95% interval.
    pub relative: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    P50,
    P90,
    P99,
    P999,
    Max,
    Rps,
    Rss,
    CpuPer1k,
}

impl Metric {
    fn name(self) -> &'static str {
        match self {
            Self::P50 => "p50",
            Self::P90 => "p90",
            Self::P99 => "p99",
            Self::P999 => "p999",
            Self::Max => "max",
            Self::Rps => "rps",
            Self::Rss => "rss",
            Self::CpuPer1k => "cpu",
        }
    }

    /// The metric's name in the comparison of candidate and baseline, for
    /// the metrics bench compares.
    fn comparison_name(self) -> Option<&'static str> {
        Some(match self {
            Self::P50 => "p50",
            Self::P99 => "p99",
            Self::Rps => "rps",
            Self::Rss => "peak_rss_bytes",
            Self::CpuPer1k => "cpu_ms_per_1k_requests",
            Self::P90 | Self::P999 | Self::Max => return None,
        })
    }

    fn unit(self) -> &'static str {
        match self {
            Self::Rps => "req/s",
            Self::Rss => "bytes",
            Self::CpuPer1k => "ms/1k requests",
            _ => "ms",
        }
    }
}

/// Parses `p99<50ms`, `p999<1.5s`, `max<200ms`, `rps>5000`, `rss<256MB`,
/// `cpu<40ms` (CPU ms per 1,000 requests). Latency and memory goals are upper
/// bounds (`<`, `<=`), throughput a lower bound (`>`, `>=`). A value ending in
/// `x` is a multiple of the baseline's figure: `rps>2x`, `p99<0.5x`,
/// `cpu<0.5x`, `rss<0.6x` (p50, p99, rps, cpu and rss, which bench compares).
///
/// # Errors
/// What is wrong with the expression, and the forms it accepts.
pub fn parse(expression: &str) -> Result<Goal, String> {
    const FORMS: &str = "expected e.g. p99<50ms, p50<10ms, p999<1.5s, max<200ms, rps>5000, rss<256MB or cpu<40ms, or a ratio against the baseline such as rps>2x or cpu<0.5x";
    let text: String = expression.chars().filter(|c| !c.is_whitespace()).collect();
    let text = text.to_ascii_lowercase();
    let (name, op, value) = ["<=", ">=", "<", ">"]
        .iter()
        .find_map(|op| text.split_once(op).map(|(n, v)| (n, *op, v)))
        .ok_or_else(|| format!("goal {expression:?}: no comparison; {FORMS}"))?;
    let metric = match name {
        "p50" => Metric::P50,
        "p90" => Metric::P90,
        "p99" => Metric::P99,
        "p999" | "p99.9" => Metric::P999,
        "max" => Metric::Max,
        "rps" => Metric::Rps,
        "rss" => Metric::Rss,
        "cpu" => Metric::CpuPer1k,
        other => {
            return Err(format!(
                "goal {expression:?}: unknown metric {other:?}; {FORMS}"
            ));
        }
    };
    let upper = op.starts_with('<');
    if upper == (metric == Metric::Rps) {
        return Err(format!(
            "goal {expression:?}: {} is a {} bound; {FORMS}",
            metric.name(),
            if metric == Metric::Rps {
                "lower (>)"
            } else {
                "upper (<)"
            }
        ));
    }
    if let Some(number) = value.strip_suffix('x').or_else(|| value.strip_suffix('×')) {
        let ratio: f64 = number
            .parse()
            .ok()
            .filter(|r: &f64| r.is_finite() && *r > 0.0)
            .ok_or_else(|| {
                format!("goal {expression:?}: {number:?} is not a positive ratio; {FORMS}")
            })?;
        if metric.comparison_name().is_none() {
            return Err(format!(
                "goal {expression:?}: bench compares only p50, p99, rps, cpu and rss with the baseline; {FORMS}"
            ));
        }
        return Ok(Goal {
            expression: expression.trim().to_owned(),
            metric,
            limit: ratio,
            relative: true,
        });
    }
    let split = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("goal {expression:?}: {value:?} is not a number; {FORMS}"))?;
    let scale = match (metric, unit) {
        (Metric::Rps, "" | "rps" | "req/s") => 1.0,
        (Metric::Rss, "b") => 1.0,
        (Metric::Rss, "kb" | "kib") => 1024.0,
        (Metric::Rss, "mb" | "mib") => 1024.0 * 1024.0,
        (Metric::Rss, "gb" | "gib") => 1024.0 * 1024.0 * 1024.0,
        (Metric::Rps | Metric::Rss, _) => {
            return Err(format!(
                "goal {expression:?}: unknown unit {unit:?}; {FORMS}"
            ));
        }
        (_, "ms") => 1.0,
        (_, "s") => 1000.0,
        (_, "us" | "µs") => 0.001,
        (_, _) => {
            return Err(format!(
                "goal {expression:?}: unknown unit {unit:?}; {FORMS}"
            ));
        }
    };
    Ok(Goal {
        expression: expression.trim().to_owned(),
        metric,
        limit: number * scale,
        relative: false,
    })
}

fn percentile(latency: &LatencyMs, metric: Metric) -> f64 {
    match metric {
        Metric::P50 => latency.p50,
        Metric::P90 => latency.p90,
        Metric::P99 => latency.p99,
        Metric::P999 => latency.p999,
        _ => latency.max,
    }
}

impl Goal {
    /// The goal checked on the candidate's figures (or, when relative, on
    /// its ratio to the baseline); `None` when there is no such figure
    /// (memory or CPU of a URL target, latency without a completed response,
    /// a ratio without a comparison).
    pub fn check(&self, target: &TargetReport, comparison: &[Comparison]) -> Option<GoalCheck> {
        let lower_bound = self.metric == Metric::Rps;
        if self.relative {
            let name = self.metric.comparison_name()?;
            let c = comparison.iter().find(|c| c.metric == name)?;
            // Met only when the whole 95% interval is on the goal's side:
            // a ratio that noise could explain proves nothing.
            let met = if lower_bound {
                c.ci_low >= self.limit
            } else {
                c.ci_high <= self.limit
            };
            return Some(GoalCheck {
                expression: self.expression.clone(),
                metric: self.metric.name().to_owned(),
                limit: self.limit,
                actual: c.ratio,
                unit: "× baseline",
                met,
                relative_to: Some("baseline"),
                ci_low: Some(c.ci_low),
                ci_high: Some(c.ci_high),
            });
        }
        let actual = match self.metric {
            Metric::Rps => target.rps,
            Metric::Rss => target.peak_rss_bytes? as f64,
            Metric::CpuPer1k => target.cpu_ms_per_1k_requests?,
            m => percentile(target.latency_ms.as_ref()?, m),
        };
        let met = if lower_bound {
            actual >= self.limit
        } else {
            actual <= self.limit
        };
        Some(GoalCheck {
            expression: self.expression.clone(),
            metric: self.metric.name().to_owned(),
            limit: self.limit,
            actual,
            unit: self.metric.unit(),
            met,
            relative_to: None,
            ci_low: None,
            ci_high: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> TargetReport {
        TargetReport {
            name: "candidate".into(),
            source: "cmd".into(),
            requests: 1000,
            rps: 500.0,
            latency_ms: Some(LatencyMs::default()),
            latency_uncorrected_ms: None,
            percentiles: Vec::new(),
            errors: 0,
            errors_by_kind: Default::default(),
            non_2xx: 0,
            status: Default::default(),
            in_flight_at_end: 0,
            cpu_ms_per_1k_requests: Some(40.0),
            peak_rss_bytes: Some(1 << 20),
            not_measured: Default::default(),
            generator_cpu_cores: 0.1,
            rounds: Vec::new(),
        }
    }

    fn comparison(metric: &'static str, ratio: f64, ci_low: f64, ci_high: f64) -> Comparison {
        Comparison {
            metric,
            ratio,
            ci_low,
            ci_high,
            significant: true,
            better: None,
        }
    }

    #[test]
    fn a_ratio_goal_is_met_only_when_its_whole_interval_is_on_the_goals_side() {
        let goal = parse("cpu<0.5x").unwrap();
        let met = goal
            .check(
                &target(),
                &[comparison("cpu_ms_per_1k_requests", 0.4, 0.35, 0.45)],
            )
            .unwrap();
        assert!(met.met);
        assert_eq!(
            (met.actual, met.relative_to, met.ci_high),
            (0.4, Some("baseline"), Some(0.45))
        );
        // The point estimate meets it, the interval does not: not shown.
        let straddles = goal
            .check(
                &target(),
                &[comparison("cpu_ms_per_1k_requests", 0.48, 0.4, 0.56)],
            )
            .unwrap();
        assert!(!straddles.met);
        let rps = parse("rps>2x").unwrap();
        assert!(
            rps.check(&target(), &[comparison("rps", 2.5, 2.1, 2.9)])
                .unwrap()
                .met
        );
        assert!(
            !rps.check(&target(), &[comparison("rps", 2.5, 1.9, 2.9)])
                .unwrap()
                .met
        );
        // No comparison (one target, or a generator-bound run): nothing to check.
        assert!(rps.check(&target(), &[]).is_none());
        // An absolute goal reads the candidate's own figure.
        assert!(
            parse("cpu<50ms")
                .unwrap()
                .check(&target(), &[])
                .unwrap()
                .met
        );
    }

    #[test]
    fn goal_expressions() {
        let g = parse("p99<50ms").unwrap();
        assert_eq!((g.metric, g.limit), (Metric::P99, 50.0));
        assert_eq!(parse("p99.9 < 1.5s").unwrap().limit, 1500.0);
        assert_eq!(parse("rps>=5000").unwrap().metric, Metric::Rps);
        assert_eq!(parse("rss<256MB").unwrap().limit, 256.0 * 1024.0 * 1024.0);
        assert_eq!(parse("p50<500us").unwrap().limit, 0.5);
        let ratio = parse("cpu < 0.5x").unwrap();
        assert_eq!(
            (ratio.metric, ratio.limit, ratio.relative),
            (Metric::CpuPer1k, 0.5, true)
        );
        assert!(parse("rps>=2×").unwrap().relative);
        for bad in [
            "p99>50ms",
            "rps<10",
            "p98<5ms",
            "p99<fast",
            "p99",
            "p99<50 parsecs",
            "p999<0.5x",
            "rps>0x",
            "rps<2x",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
