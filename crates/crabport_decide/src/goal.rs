//! Is a declared goal measurable, and which `crabport bench` check restates it?
//!
//! "Cut p99 from 180 ms to under 50 ms" names a metric and a number: it is
//! measurable and becomes `p99<50ms`. "Halve instance count" names a metric
//! and a ratio: measurable too, and bench checks it against the baseline
//! (`cpu<0.5x`). "It'll be more modern" names neither. Teams that want no
//! parsing declare `goal = { metric = "p99", target = "50ms" }`.

use serde::Serialize;

/// A goal as crabport.toml declares it: free text, or a metric and a target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum GoalSpec {
    Text(String),
    Structured { metric: String, target: String },
}

/// What crabport made of a service's `goal`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Goal {
    pub text: String,
    /// `text` (parsed from words) or `structured` (`{ metric, target }`).
    pub declared_as: &'static str,
    /// Names a metric and a number (or a ratio) to reach.
    pub measurable: bool,
    /// The metric it names: `p99`, `throughput`, `memory`, `cpu`, `instances`, `cost`, `incidents` …
    pub metric: Option<String>,
    /// The target as a multiple of today's figure: 0.5 for "halve", 2 for
    /// "double", 0.6 for "cut by 40%". `null` for an absolute target.
    pub ratio: Option<f64>,
    /// The goal as a `crabport bench --goal` expression, when bench can check it.
    pub bench_check: Option<String>,
    /// Why the bench check stands for the goal, when it is not the metric itself.
    pub bench_note: Option<String>,
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
    ("faster", "latency"),
    ("quicker", "latency"),
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
    ("bill", "cost"),
    ("incident", "incidents"),
    ("bug", "incidents"),
    ("error", "errors"),
    ("error rate", "errors"),
];

/// Metric names a structured goal may use, with the name [`METRICS`] gives them.
const STRUCTURED_METRICS: &[(&str, &str)] = &[
    ("p50", "p50"),
    ("p90", "p90"),
    ("p95", "p95"),
    ("p99", "p99"),
    ("p999", "p999"),
    ("p99.9", "p999"),
    ("latency", "latency"),
    ("throughput", "throughput"),
    ("rps", "throughput"),
    ("memory", "memory"),
    ("rss", "memory"),
    ("cpu", "cpu"),
    ("instances", "instances"),
    ("cost", "cost"),
    ("incidents", "incidents"),
    ("errors", "errors"),
];

/// Words that introduce the target value: "to under 50 ms", "below 200 MB".
const TARGET_WORDS: &[&str] = &["under", "below", "to", "<", "<=", "≤", "at most", "within"];

/// Throughput is the one metric where more is better.
fn higher_is_better(metric: &str) -> bool {
    metric == "throughput"
}

/// The goal a service declares, whichever way it is written.
pub fn from_spec(spec: &GoalSpec) -> Goal {
    match spec {
        GoalSpec::Text(text) => analyze(text),
        GoalSpec::Structured { metric, target } => {
            structured(metric, target).unwrap_or_else(|_| Goal {
                text: format!("{metric}: {target}"),
                declared_as: "structured",
                measurable: false,
                metric: None,
                ratio: None,
                bench_check: None,
                bench_note: None,
            })
        }
    }
}

pub fn analyze(text: &str) -> Goal {
    let lower = text.to_lowercase();
    let metric = METRICS
        .iter()
        .filter_map(|(word, metric)| find_word(&lower, word).map(|at| (at, *metric)))
        .min_by_key(|(at, _)| *at)
        .map(|(_, metric)| metric.to_owned());
    let numbers = quantities(&lower);
    let ratio = metric.as_deref().and_then(|m| ratio_of(&lower, m));
    // "zero incidents" is a number too.
    let zero = find_word(&lower, "zero").is_some() || find_word(&lower, "no").is_some();
    let absolute = numbers
        .iter()
        .any(|q| !q.is_multiple() && !is_change(&lower, q));
    let measurable = metric.is_some() && (absolute || ratio.is_some() || zero);
    let (bench_check, bench_note) = match metric.as_deref() {
        Some(m) => match bench_check(m, &lower, &numbers) {
            Some(check) => (Some(check), None),
            None => ratio.map_or((None, None), |r| ratio_check(m, r)),
        },
        None => (None, None),
    };
    Goal {
        text: text.to_owned(),
        declared_as: "text",
        measurable,
        metric,
        ratio,
        bench_check,
        bench_note,
    }
}

/// `{ metric = "p99", target = "50ms" }`, `{ metric = "throughput", target = "2x" }`,
/// `{ metric = "memory", target = "-40%" }`, `{ metric = "incidents", target = "0" }`.
///
/// # Errors
/// An unknown metric or a target that does not suit it, naming what is accepted.
pub fn structured(metric: &str, target: &str) -> Result<Goal, String> {
    let names: Vec<&str> = STRUCTURED_METRICS.iter().map(|(n, _)| *n).collect();
    let key = metric.trim().to_lowercase();
    let metric = STRUCTURED_METRICS
        .iter()
        .find(|(name, _)| *name == key)
        .map(|(_, m)| *m)
        .ok_or_else(|| {
            format!(
                "unknown goal metric {metric:?}; expected one of {}",
                names.join(", ")
            )
        })?;
    let forms = "a ratio such as \"0.5x\" or \"2x\", a change such as \"-40%\", or an absolute target such as \"50ms\", \"5000\" (req/s), \"256MB\" or \"0\"";
    let spaced: String = target.trim().to_lowercase();
    let compact: String = spaced.chars().filter(|c| !c.is_whitespace()).collect();
    let text = format!("{metric}: {}", target.trim());
    let goal =
        |ratio: Option<f64>, (bench_check, bench_note): (Option<String>, Option<String>)| Goal {
            text: text.clone(),
            declared_as: "structured",
            measurable: true,
            metric: Some(metric.to_owned()),
            ratio,
            bench_check,
            bench_note,
        };
    // A ratio: "0.5x", "2×".
    if let Some(number) = compact
        .strip_suffix('x')
        .or_else(|| compact.strip_suffix('×'))
    {
        let ratio: f64 = number
            .parse()
            .ok()
            .filter(|r: &f64| r.is_finite() && *r > 0.0)
            .ok_or_else(|| {
                format!("goal target {target:?}: {number:?} is not a positive ratio; {forms}")
            })?;
        return Ok(goal(Some(ratio), ratio_check(metric, ratio)));
    }
    // A change: "-40%", "+25%".
    if let Some(number) = compact.strip_suffix('%') {
        let change: f64 = number
            .parse()
            .ok()
            .filter(|c: &f64| c.is_finite() && *c > -100.0 && number.starts_with(['+', '-']))
            .ok_or_else(|| {
                format!("goal target {target:?}: a change needs a sign and more than -100% (\"-40%\", \"+25%\"); {forms}")
            })?;
        let ratio = 1.0 + change / 100.0;
        return Ok(goal(Some(ratio), ratio_check(metric, ratio)));
    }
    // An absolute target, in the words the text parser understands.
    let numbers = quantities(&spaced);
    let [quantity] = numbers.as_slice() else {
        return Err(format!("goal target {target:?} is not one value; {forms}"));
    };
    if quantity.start != 0 || quantity.end != spaced.len() {
        return Err(format!("goal target {target:?} is not one value; {forms}"));
    }
    let unit = quantity.unit.as_str();
    let unit_fits = match metric {
        "p50" | "p90" | "p95" | "p99" | "p999" | "latency" => {
            matches!(unit, "ms" | "s" | "us" | "µs")
        }
        "throughput" => matches!(unit, "" | "rps" | "req/s"),
        "memory" => matches!(unit, "mb" | "mib" | "gb" | "gib"),
        // bench's CPU figure: milliseconds per 1,000 requests.
        "cpu" => unit == "ms",
        _ => true,
    };
    if !unit_fits {
        return Err(format!(
            "goal target {target:?}: {unit:?} is not a unit of {metric}; {forms}"
        ));
    }
    let check = match metric {
        "cpu" => Some(format!("cpu<{}ms", trim_number(quantity.value))),
        _ => bench_check(metric, &spaced, &numbers),
    };
    Ok(goal(None, (check, None)))
}

/// A number with its unit, and where it and its unit lie in the text.
#[derive(Debug, Clone, PartialEq)]
struct Quantity {
    start: usize,
    end: usize,
    value: f64,
    unit: String,
}

impl Quantity {
    /// `2x`, `10×`, `3 times`: a multiple, not an amount.
    fn is_multiple(&self) -> bool {
        matches!(self.unit.as_str(), "x" | "×" | "times" | "fold")
    }
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
        let rest = &text[i..];
        let trimmed = rest.trim_start().trim_start_matches('-');
        let unit: String = trimmed
            .chars()
            .take_while(|c| c.is_ascii_alphabetic() || matches!(c, '%' | '/' | '×' | 'µ'))
            .collect();
        let end = i + (rest.len() - trimmed.len()) + unit.len();
        if let Some(value) = value {
            out.push(Quantity {
                start,
                end,
                value,
                unit,
            });
        }
    }
    out
}

/// The target quantity: the one after a target word, else the last amount
/// that is not where the metric starts from ("from 180 ms").
fn target<'q>(text: &str, numbers: &'q [Quantity]) -> Option<&'q Quantity> {
    let amounts = || {
        numbers
            .iter()
            .filter(|q| !q.is_multiple() && !is_change(text, q))
    };
    amounts()
        .find(|q| {
            let before = text[..q.start].trim_end();
            TARGET_WORDS.iter().any(|w| before.ends_with(w))
        })
        .or_else(|| {
            amounts()
                .rev()
                .find(|q| !text[..q.start].trim_end().ends_with("from"))
        })
}

fn bench_check(metric: &str, text: &str, numbers: &[Quantity]) -> Option<String> {
    let q = target(text, numbers)?;
    let value = trim_number(q.value);
    match metric {
        "p50" | "p90" | "p99" | "p999" | "latency" => {
            let unit = match q.unit.as_str() {
                "ms" | "millisecond" | "milliseconds" => "ms",
                "s" | "sec" | "second" | "seconds" => "s",
                "us" | "µs" | "microseconds" => "us",
                _ => return None,
            };
            let name = if metric == "latency" { "p50" } else { metric };
            Some(format!("{name}<{value}{unit}"))
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

/// Which way the words move the metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Down,
    Up,
    /// "improve", "faster": whichever way is better for the metric.
    Better,
}

const DOWN_WORDS: &[&str] = &[
    "cut", "reduce", "lower", "decrease", "drop", "shrink", "save", "trim", "slash", "less",
    "fewer", "smaller", "cheaper", "halve",
];
const UP_WORDS: &[&str] = &[
    "increase", "raise", "boost", "grow", "more", "higher", "greater",
];

fn direction(text: &str) -> Direction {
    let first = |words: &[&str]| words.iter().filter_map(|w| find_word(text, w)).min();
    match (first(DOWN_WORDS), first(UP_WORDS)) {
        (Some(down), Some(up)) if up < down => Direction::Up,
        (Some(_), _) => Direction::Down,
        (None, Some(_)) => Direction::Up,
        (None, None) => Direction::Better,
    }
}

/// A percentage that is a change ("by 40%", "40% less"), not an amount ("below 1%").
fn is_change(text: &str, q: &Quantity) -> bool {
    if q.unit != "%" {
        return false;
    }
    let before = text[..q.start].trim_end();
    let after = text[q.end..].trim_start();
    let next: String = after.chars().take_while(|c| c.is_alphabetic()).collect();
    before.ends_with("by")
        || DOWN_WORDS.contains(&next.as_str())
        || UP_WORDS.contains(&next.as_str())
        || matches!(next.as_str(), "faster" | "quicker" | "better")
}

/// The target as a multiple of today's figure, when the words give one.
fn ratio_of(text: &str, metric: &str) -> Option<f64> {
    let better_is_up = higher_is_better(metric);
    let way = direction(text);
    let up = match way {
        Direction::Up => true,
        Direction::Down => false,
        Direction::Better => better_is_up,
    };
    // Words that are ratios themselves.
    const FIXED: &[(&str, f64)] = &[
        ("halve", 0.5),
        ("halving", 0.5),
        ("halved", 0.5),
        ("in half", 0.5),
        ("by half", 0.5),
        ("double", 2.0),
        ("doubling", 2.0),
        ("doubled", 2.0),
        ("triple", 3.0),
        ("tripled", 3.0),
        ("quadruple", 4.0),
    ];
    let fixed = FIXED
        .iter()
        .filter_map(|(w, r)| {
            find_word(text, w)
                .filter(|&at| !text[at + w.len()..].starts_with('-'))
                .map(|at| (at, *r))
        })
        .min_by_key(|(at, _)| *at);
    if let Some((_, r)) = fixed {
        return Some(r);
    }
    let oriented = |n: f64| if up { n } else { 1.0 / n };
    let numbers = quantities(text);
    if let Some(q) = numbers.iter().find(|q| q.is_multiple() && q.value > 0.0) {
        return Some(oriented(q.value));
    }
    if find_word(text, "twice").is_some() {
        return Some(oriented(2.0));
    }
    if let Some(q) = numbers.iter().find(|q| is_change(text, q)) {
        let change = q.value / 100.0;
        return Some(if up { 1.0 + change } else { 1.0 - change }).filter(|r| *r > 0.0);
    }
    // "by a third", "to a quarter", "by two thirds".
    const FRACTIONS: &[(&str, f64)] = &[
        ("two thirds", 2.0 / 3.0),
        ("three quarters", 0.75),
        ("a third", 1.0 / 3.0),
        ("one third", 1.0 / 3.0),
        ("a quarter", 0.25),
        ("one quarter", 0.25),
    ];
    let (at, fraction) = FRACTIONS
        .iter()
        .find_map(|(w, f)| find_word(text, w).map(|at| (at, *f)))?;
    if text[..at].trim_end().ends_with("to") {
        return Some(fraction);
    }
    Some(if up { 1.0 + fraction } else { 1.0 - fraction })
}

/// A ratio as a bench check against the baseline, when bench measures the metric.
fn ratio_check(metric: &str, ratio: f64) -> (Option<String>, Option<String>) {
    let r = trim_ratio(ratio);
    let check = |expr: String| (Some(expr), None);
    match metric {
        "throughput" => check(format!("rps>{r}x")),
        "p50" | "latency" => check(format!("p50<{r}x")),
        "p99" => check(format!("p99<{r}x")),
        "memory" => check(format!("rss<{r}x")),
        "cpu" => check(format!("cpu<{r}x")),
        "instances" => (
            Some(format!("cpu<{r}x")),
            Some(format!(
                "instance count follows CPU per request where CPU sets it: the same traffic on {r}× the instances needs CPU per 1,000 requests at most {r}× the baseline's"
            )),
        ),
        _ => (None, None),
    }
}

/// Two decimals at most: `0.5`, `0.67`, `2`.
fn trim_ratio(r: f64) -> String {
    let rounded = (r * 100.0).round() / 100.0;
    trim_number(rounded)
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
        // A percentage that is an amount, not a change.
        let g = analyze("error rate below 1%");
        assert!(g.measurable);
        assert_eq!((g.metric.as_deref(), g.ratio), (Some("errors"), None));
    }

    #[test]
    fn ratio_words_are_measurable_goals_checked_against_the_baseline() {
        for (text, metric, ratio, check) in [
            ("halve instance count", "instances", 0.5, Some("cpu<0.5x")),
            (
                "cut the number of pods in half",
                "instances",
                0.5,
                Some("cpu<0.5x"),
            ),
            ("double throughput", "throughput", 2.0, Some("rps>2x")),
            (
                "triple requests per second",
                "throughput",
                3.0,
                Some("rps>3x"),
            ),
            ("cut memory by 40%", "memory", 0.6, Some("rss<0.6x")),
            ("40% more throughput", "throughput", 1.4, Some("rps>1.4x")),
            ("improve p99 by 25%", "p99", 0.75, Some("p99<0.75x")),
            ("reduce CPU by a third", "cpu", 2.0 / 3.0, Some("cpu<0.67x")),
            ("cut memory to a quarter", "memory", 0.25, Some("rss<0.25x")),
            ("2× throughput", "throughput", 2.0, Some("rps>2x")),
            ("10x faster", "latency", 0.1, Some("p50<0.1x")),
            ("reduce p99 latency 3x", "p99", 1.0 / 3.0, Some("p99<0.33x")),
            (
                "handle twice the requests per second",
                "throughput",
                2.0,
                Some("rps>2x"),
            ),
            ("cut cloud cost in half", "cost", 0.5, None),
            ("halve p99 from 180 ms", "p99", 0.5, Some("p99<0.5x")),
        ] {
            let g = analyze(text);
            assert!(g.measurable, "{text}");
            assert_eq!(g.metric.as_deref(), Some(metric), "{text}");
            let r = g.ratio.unwrap_or_else(|| panic!("{text}: no ratio"));
            assert!((r - ratio).abs() < 1e-9, "{text}: {r}");
            assert_eq!(g.bench_check.as_deref(), check, "{text}");
        }
        let g = analyze("halve instance count");
        assert!(
            g.bench_note
                .as_deref()
                .is_some_and(|n| n.contains("CPU per 1,000 requests"))
        );
        // A hyphenated word is not a ratio, and a ratio needs a metric.
        assert!(!analyze("double-check the port").measurable);
        assert!(!analyze("make it 10x better").measurable);
    }

    #[test]
    fn structured_goals_need_no_parsing() {
        for (metric, target, check, ratio) in [
            ("p99", "50ms", Some("p99<50ms"), None),
            ("p99.9", "1.5 s", Some("p999<1.5s"), None),
            ("throughput", "2x", Some("rps>2x"), Some(2.0)),
            ("rps", "5000", Some("rps>5000"), None),
            ("memory", "-40%", Some("rss<0.6x"), Some(0.6)),
            ("memory", "256MB", Some("rss<256MB"), None),
            ("cpu", "40ms", Some("cpu<40ms"), None),
            ("instances", "0.5x", Some("cpu<0.5x"), Some(0.5)),
            ("incidents", "0", None, None),
            ("p95", "20ms", None, None),
        ] {
            let g = structured(metric, target).unwrap_or_else(|e| panic!("{metric} {target}: {e}"));
            assert!(g.measurable);
            assert_eq!(g.declared_as, "structured");
            assert_eq!(g.bench_check.as_deref(), check, "{metric} {target}");
            assert_eq!(g.ratio, ratio, "{metric} {target}");
        }
        for (metric, target, says) in [
            ("speed", "2x", "unknown goal metric"),
            ("p99", "50 parsecs", "not a unit of p99"),
            ("memory", "40%", "needs a sign"),
            ("throughput", "0x", "not a positive ratio"),
            ("p99", "under 50ms", "not one value"),
        ] {
            let err = structured(metric, target).unwrap_err();
            assert!(err.contains(says), "{metric} {target}: {err}");
        }
    }
}
