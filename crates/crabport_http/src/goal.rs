//! `--goal "p99<50ms"`: a measurable goal checked on the candidate.

use crate::report::{GoalCheck, LatencyMs, TargetReport};

/// A parsed goal expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Goal {
    pub expression: String,
    pub metric: Metric,
    /// In the metric's unit: ms, requests/s or bytes.
    pub limit: f64,
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
/// bounds (`<`, `<=`), throughput a lower bound (`>`, `>=`).
///
/// # Errors
/// What is wrong with the expression, and the forms it accepts.
pub fn parse(expression: &str) -> Result<Goal, String> {
    const FORMS: &str =
        "expected e.g. p99<50ms, p50<10ms, p999<1.5s, max<200ms, rps>5000, rss<256MB or cpu<40ms";
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
    /// The goal checked on one target's figures; `None` when the target has
    /// no such figure (memory or CPU of a URL target, latency without a
    /// completed response).
    pub fn check(&self, target: &TargetReport) -> Option<GoalCheck> {
        let actual = match self.metric {
            Metric::Rps => target.rps,
            Metric::Rss => target.peak_rss_bytes? as f64,
            Metric::CpuPer1k => target.cpu_ms_per_1k_requests?,
            m => percentile(target.latency_ms.as_ref()?, m),
        };
        let met = if self.metric == Metric::Rps {
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
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goal_expressions() {
        let g = parse("p99<50ms").unwrap();
        assert_eq!((g.metric, g.limit), (Metric::P99, 50.0));
        assert_eq!(parse("p99.9 < 1.5s").unwrap().limit, 1500.0);
        assert_eq!(parse("rps>=5000").unwrap().metric, Metric::Rps);
        assert_eq!(parse("rss<256MB").unwrap().limit, 256.0 * 1024.0 * 1024.0);
        assert_eq!(parse("p50<500us").unwrap().limit, 0.5);
        for bad in [
            "p99>50ms",
            "rps<10",
            "p98<5ms",
            "p99<fast",
            "p99",
            "p99<50 parsecs",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
