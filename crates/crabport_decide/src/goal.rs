//! Is a declared goal measurable, and which `crabport bench` check restates it?
//!
//! "Cut p99 from 180 ms to under 50 ms" names a metric and a number: it is
//! measurable and becomes `p99<50ms`. "It'll be more modern" names neither.

use serde::Serialize;

/// What crabport made of a service's `goal`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Goal {
    pub text: String,
    /// Names a metric and a number to reach.
    pub measurable: bool,
    /// The metric it names: `p99`, `throughput`, `memory`, `cpu`, `cost`, `incidents` …
    pub metric: Option<String>,
    /// The goal as a `crabport bench --goal` expression, when bench can check it.
    pub bench_check: Option<String>,
}

/// Metric words, longest first so `p99.9` wins over `p99`.
const METRICS: &[(&str, &str)] = &[
    ("p99.9", "p999"),
    ("p999", "p999"),
    ("p99", "p99"),
    ("p95", "p95"),
    ("p90", "p90"),
    ("p50", "p50"),
    ("median", "p50"),
    ("latency", "latency"),
    ("response time", "latency"),
    ("throughput", "throughput"),
    ("requests per second", "throughput"),
    ("req/s", "throughput"),
    ("rps", "throughput"),
    ("memory", "memory"),
    ("rss", "memory"),
    ("heap", "memory"),
    ("cpu", "cpu"),
    ("instance", "instances"),
    ("pod", "instances"),
    ("cost", "cost"),
    ("incident", "incidents"),
    ("bug", "incidents"),
    ("error", "errors"),
    ("error rate", "errors"),
];

/// Words that introduce the target value: "to under 50 ms", "below 200 MB".
const TARGET_WORDS: &[&str] = &["under", "below", "to", "<", "<=", "≤", "at most", "within"];

pub fn analyze(text: &str) -> Goal {
    let lower = text.to_lowercase();
    let metric = METRICS
        .iter()
        .filter_map(|(word, metric)| find_word(&lower, word).map(|at| (at, *metric)))
        .min_by_key(|(at, _)| *at)
        .map(|(_, metric)| metric.to_owned());
    let numbers = quantities(&lower);
    // "zero incidents" is a number too.
    let zero = find_word(&lower, "zero").is_some() || find_word(&lower, "no").is_some();
    let measurable = metric.is_some() && (!numbers.is_empty() || zero);
    let bench_check = metric
        .as_deref()
        .and_then(|m| bench_check(m, &lower, &numbers));
    Goal {
        text: text.to_owned(),
        measurable,
        metric,
        bench_check,
    }
}

/// A number with its unit, and where it ends in the text.
#[derive(Debug, Clone, PartialEq)]
struct Quantity {
    start: usize,
    value: f64,
    unit: String,
}

fn quantities(text: &str) -> Vec<Quantity> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts_number = bytes[i].is_ascii_digit()
            && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'.'));
        if !starts_number {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.' || bytes[i] == b',')
        {
            i += 1;
        }
        let value: Option<f64> = text[start..i]
            .trim_end_matches(['.', ','])
            .replace(',', "")
            .parse()
            .ok();
        let rest = text[i..].trim_start();
        let unit: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphabetic() || *c == '%' || *c == '/')
            .collect();
        if let Some(value) = value {
            out.push(Quantity { start, value, unit });
        }
    }
    out
}

/// The target quantity: the one after a target word, else the last one.
fn target<'q>(text: &str, numbers: &'q [Quantity]) -> Option<&'q Quantity> {
    numbers
        .iter()
        .find(|q| {
            let before = text[..q.start].trim_end();
            TARGET_WORDS.iter().any(|w| before.ends_with(w))
        })
        .or_else(|| numbers.last())
}

fn bench_check(metric: &str, text: &str, numbers: &[Quantity]) -> Option<String> {
    let q = target(text, numbers)?;
    let value = trim_number(q.value);
    match metric {
        "p50" | "p90" | "p99" | "p999" => {
            let unit = match q.unit.as_str() {
                "ms" | "millisecond" | "milliseconds" => "ms",
                "s" | "sec" | "second" | "seconds" => "s",
                "us" | "µs" | "microseconds" => "us",
                _ => return None,
            };
            Some(format!("{metric}<{value}{unit}"))
        }
        "throughput" => Some(format!("rps>{value}")),
        "memory" => {
            let unit = match q.unit.as_str() {
                "mb" | "mib" => "MB",
                "gb" | "gib" => "GB",
                _ => return None,
            };
            Some(format!("rss<{value}{unit}"))
        }
        _ => None,
    }
}

fn trim_number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// Byte offset of `word` (or its plural) in `text` where it is not part of
/// a longer word.
fn find_word(text: &str, word: &str) -> Option<usize> {
    let is_word = |c: char| c.is_alphanumeric() || c == '.';
    text.match_indices(word).map(|(at, _)| at).find(|&at| {
        let before = text[..at].chars().next_back();
        let rest = &text[at + word.len()..];
        let rest = rest.strip_prefix('s').unwrap_or(rest);
        !before.is_some_and(is_word) && !rest.chars().next().is_some_and(char::is_alphanumeric)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_migration_guides_goal_is_a_bench_check() {
        let goal = analyze("cut p99 from 180 ms to under 50 ms");
        assert!(goal.measurable);
        assert_eq!(goal.metric.as_deref(), Some("p99"));
        assert_eq!(goal.bench_check.as_deref(), Some("p99<50ms"));
    }

    #[test]
    fn hype_is_not_a_goal() {
        for text in [
            "it'll be more modern",
            "rewrite it in Rust",
            "faster",
            "p99 must improve",
        ] {
            assert!(!analyze(text).measurable, "{text}");
        }
    }

    #[test]
    fn other_measurable_goals() {
        let g = analyze("zero rounding incidents in the next two quarters");
        assert!(g.measurable);
        assert_eq!(g.metric.as_deref(), Some("incidents"));
        assert_eq!(g.bench_check, None);
        let g = analyze("serve 20,000 req/s per instance");
        assert_eq!(g.metric.as_deref(), Some("throughput"));
        assert_eq!(g.bench_check.as_deref(), Some("rps>20000"));
        let g = analyze("memory below 256 MB per pod");
        assert_eq!(g.bench_check.as_deref(), Some("rss<256MB"));
        let g = analyze("p99.9 under 1.5 s");
        assert_eq!(g.bench_check.as_deref(), Some("p999<1.5s"));
        // "rps" inside another word is not a metric.
        assert_eq!(analyze("corpse 5").metric, None);
    }
}
