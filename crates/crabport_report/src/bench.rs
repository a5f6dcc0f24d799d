//! `crabport bench`: the ratios first, then each target's figures.

use std::fmt::Write as _;

use crabport_core::escape;
use crabport_http::report::{BenchReport, Comparison, LatencyMs, TargetReport};

use crate::Styles;
use crate::style::paint;
use crate::table::{self, Cell, Row};

/// Stable JSON (docs/bench-json.md).
///
/// # Errors
/// Serialisation errors (none in practice).
pub fn json(report: &BenchReport) -> serde_json::Result<String> {
    let mut text = serde_json::to_string_pretty(report)?;
    text.push('\n');
    Ok(text)
}

fn metric_label(metric: &str) -> &'static str {
    match metric {
        "rps" => "throughput (req/s)",
        "p50" => "latency p50",
        "p99" => "latency p99",
        "cpu_ms_per_1k_requests" => "CPU per 1k requests",
        "peak_rss_bytes" => "peak RSS",
        _ => "metric",
    }
}

/// "3.10× (2.95–3.21)" or "no significant difference (0.97–1.04)".
pub fn ratio_text(c: &Comparison) -> String {
    let interval = format!("95% CI {:.2}–{:.2}", c.ci_low, c.ci_high);
    if c.significant {
        format!("{:.2}× ({interval})", c.ratio)
    } else {
        format!("no significant difference ({:.2}×, {interval})", c.ratio)
    }
}

/// ` (95% CI 0.30–0.40)` for a ratio goal, empty for an absolute one.
fn goal_interval(goal: &crabport_http::report::GoalCheck) -> String {
    match (goal.ci_low, goal.ci_high) {
        (Some(low), Some(high)) => format!(" (95% CI {low:.2}–{high:.2})"),
        _ => String::new(),
    }
}

fn better_text(c: &Comparison) -> &'static str {
    match c.better {
        Some("candidate") => "candidate better",
        Some("baseline") => "baseline better",
        _ => "",
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// Why a figure is missing, from its reason code (docs/bench-json.md).
fn not_measured(t: &TargetReport, field: &str) -> &'static str {
    match t.not_measured.get(field).copied() {
        Some("url-target") => "not measured (a URL target: crabport did not start it)",
        Some("no-responses") => "not measured: no response completed",
        Some("no-sample") => "not measured: no process of its tree could be read",
        _ => "not measured",
    }
}

fn latency_line(l: &LatencyMs) -> String {
    format!(
        "p50 {} · p90 {} · p99 {} · p99.9 {} · max {} ms",
        ms(l.p50),
        ms(l.p90),
        ms(l.p99),
        ms(l.p999),
        ms(l.max)
    )
}

fn target_rows(t: &TargetReport) -> Vec<(String, String)> {
    let mut rows = vec![
        (
            "source".to_owned(),
            escape::terminal(&t.source).into_owned(),
        ),
        (
            "requests".to_owned(),
            format!(
                "{} in {} rounds, {:.0} req/s (median)",
                t.requests,
                t.rounds.len(),
                t.rps
            ),
        ),
        (
            "latency".to_owned(),
            t.latency_ms
                .as_ref()
                .map_or_else(|| not_measured(t, "latency_ms").to_owned(), latency_line),
        ),
    ];
    if let Some(u) = &t.latency_uncorrected_ms {
        rows.push(("uncorrected".to_owned(), latency_line(u)));
    }
    let errors = if t.errors == 0 {
        "none".to_owned()
    } else {
        let kinds: Vec<String> = t
            .errors_by_kind
            .iter()
            .map(|(k, n)| format!("{} {n}", escape::terminal(k)))
            .chain(
                t.status
                    .iter()
                    .filter(|(s, _)| !(200..300).contains(*s))
                    .map(|(s, n)| format!("HTTP {s} {n}")),
            )
            .collect();
        format!("{} ({})", t.errors, kinds.join(", "))
    };
    rows.push(("errors".to_owned(), errors));
    rows.push((
        "CPU".to_owned(),
        t.cpu_ms_per_1k_requests.map_or_else(
            || not_measured(t, "cpu_ms_per_1k_requests").to_owned(),
            |c| format!("{c:.1} ms per 1,000 requests (whole process tree)"),
        ),
    ));
    rows.push((
        "peak RSS".to_owned(),
        t.peak_rss_bytes
            .map_or_else(|| not_measured(t, "peak_rss_bytes").to_owned(), mib),
    ));
    rows.push((
        "generator".to_owned(),
        format!("{:.2} cores busy", t.generator_cpu_cores),
    ));
    rows
}

/// The figures of the per-target table; `name` escapes the target's name
/// for the format.
fn target_cells(t: &TargetReport, name: impl Fn(&str) -> String) -> [String; 10] {
    let l = |pick: fn(&LatencyMs) -> f64| {
        t.latency_ms
            .as_ref()
            .map_or_else(|| "—".to_owned(), |l| ms(pick(l)))
    };
    [
        name(&t.name),
        format!("{:.0}", t.rps),
        l(|l| l.p50),
        l(|l| l.p90),
        l(|l| l.p99),
        l(|l| l.p999),
        l(|l| l.max),
        t.errors.to_string(),
        t.cpu_ms_per_1k_requests
            .map_or_else(|| "—".to_owned(), |c| format!("{c:.1}")),
        t.peak_rss_bytes.map_or_else(|| "—".to_owned(), mib),
    ]
}

const TARGET_COLUMNS: [&str; 10] = [
    "target",
    "req/s",
    "p50 ms",
    "p90 ms",
    "p99 ms",
    "p99.9 ms",
    "max ms",
    "errors",
    "CPU ms / 1k req",
    "peak RSS",
];

/// How the numbers were taken, in one sentence.
fn method_sentence(m: &crabport_http::report::Method) -> String {
    format!(
        "{} loop, {} connections{}, {:.0} s warm-up, {} alternating rounds of {:.0} s (requests in flight at a round's end are waited for); a request without a complete response after {} s is a timeout; ratios are medians of rounds with 95% bootstrap intervals; within ±{:.0}% is noise",
        m.mode,
        m.connections,
        m.rate
            .map_or_else(String::new, |r| format!(" at {r:.0} req/s")),
        m.warmup_seconds,
        m.rounds,
        m.round_seconds,
        ms(m.timeout_seconds),
        m.noise_threshold * 100.0
    )
}

/// The human report: the headline and ratios, then each target.
pub fn terminal(report: &BenchReport, width: usize) -> String {
    let st = Styles::default();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}\n",
        paint(
            if report.no_result.is_some() {
                st.bad
            } else {
                st.heading
            },
            &escape::terminal(&report.summary)
        )
    );
    if !report.comparison.is_empty() {
        let rows: Vec<Row> = report
            .comparison
            .iter()
            .map(|c| Row {
                cells: vec![
                    Cell::new(metric_label(c.metric)),
                    Cell::new(ratio_text(c)).styled(if c.significant { st.good } else { st.dim }),
                    Cell::new(better_text(c)),
                ],
                detail: None,
            })
            .collect();
        out.push_str(&table::render(
            &["candidate / baseline", "ratio", ""],
            &rows,
            0,
            width,
            st.heading,
        ));
        out.push('\n');
    }
    if report.generator_bound {
        let _ = writeln!(
            out,
            "{} the load generator was the bottleneck: these numbers measure crabport, not the targets, so no ratio is given. Use fewer connections or a constant --rate.\n",
            paint(st.bad, "generator-bound:")
        );
    }
    if let Some(goal) = &report.goal {
        let _ = writeln!(
            out,
            "{} {} on the candidate: {:.2} {}{} → {}\n",
            paint(st.heading, "goal"),
            escape::terminal(&goal.expression),
            goal.actual,
            goal.unit,
            goal_interval(goal),
            if goal.met {
                paint(st.good, "met")
            } else {
                paint(st.bad, "MISSED")
            }
        );
    }
    for t in &report.targets {
        let _ = writeln!(out, "{}", paint(st.heading, &escape::terminal(&t.name)));
        for (label, value) in target_rows(t) {
            let _ = writeln!(out, "  {} {value}", paint(st.dim, &format!("{label:<12}")));
        }
        out.push('\n');
    }
    for s in &report.sweep {
        let _ = writeln!(
            out,
            "{} {} (p99 ≤ {} ms): {}",
            paint(st.heading, "sweep"),
            escape::terminal(&s.target),
            ms(s.p99_limit_ms),
            s.max_rate_within.map_or_else(
                || "no rate met the limit".to_owned(),
                |r| format!("{r:.0} req/s")
            )
        );
        for step in &s.steps {
            let _ = writeln!(
                out,
                "  {:>8.0} req/s → {:>8.0} achieved, p99 {} ms, {} errors{}",
                step.rate,
                step.achieved_rps,
                ms(step.p99_ms),
                step.errors,
                if step.within { "" } else { "  ✗" }
            );
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "{}",
        paint(
            st.dim,
            &format!("method: {}", method_sentence(&report.method))
        )
    );
    crate::style::write_warnings(&mut out, &st, &report.warnings);
    out
}

/// Markdown for a pull request.
pub fn markdown(report: &BenchReport) -> String {
    let md = |t: &str| escape::markdown(t).into_owned();
    let mut out = format!("# crabport bench\n\n**{}**\n\n", md(&report.summary));
    if !report.comparison.is_empty() {
        out.push_str(
            "| candidate / baseline | ratio | 95% CI | significant |\n|---|---:|---|---|\n",
        );
        for c in &report.comparison {
            let _ = writeln!(
                out,
                "| {} | {:.2}× | {:.2}–{:.2} | {} |",
                metric_label(c.metric),
                c.ratio,
                c.ci_low,
                c.ci_high,
                if c.significant {
                    better_text(c)
                } else {
                    "no significant difference"
                }
            );
        }
        out.push('\n');
    }
    if report.generator_bound {
        out.push_str("> **Generator-bound:** the load generator was the bottleneck, so no ratio is given.\n\n");
    }
    if let Some(goal) = &report.goal {
        let _ = writeln!(
            out,
            "Goal `{}` on the candidate: {:.2} {}{} — **{}**\n",
            crate::markdown_code(&goal.expression),
            goal.actual,
            goal.unit,
            goal_interval(goal),
            if goal.met { "met" } else { "missed" }
        );
    }
    let _ = writeln!(
        out,
        "| {} |\n|---|{}",
        TARGET_COLUMNS.join(" | "),
        "---:|".repeat(TARGET_COLUMNS.len() - 1)
    );
    for t in &report.targets {
        let _ = writeln!(out, "| {} |", target_cells(t, |n| md(n)).join(" | "));
    }
    for t in &report.targets {
        let _ = writeln!(
            out,
            "\n`{}`: `{}`",
            md(&t.name),
            crate::markdown_code(&t.source)
        );
    }
    let _ = writeln!(out, "\n{}.", method_sentence(&report.method));
    for w in &report.warnings {
        let _ = writeln!(out, "\n> {}", md(w));
    }
    out
}

/// One self-contained HTML page (no network): latency-percentile plots of
/// the targets and the ratio table.
pub fn html(report: &BenchReport) -> String {
    let h = |t: &str| escape::html(t).into_owned();
    let mut out = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\
<title>crabport bench</title><style>\
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1d1d1f}\
h1{font-size:1.5rem}table{border-collapse:collapse;margin:1rem 0}td,th{padding:.3rem .7rem;border-bottom:1px solid #ddd;text-align:right}\
td:first-child,th:first-child{text-align:left}.sig{color:#0a7d32;font-weight:600}.ns{color:#777}\
.bad{color:#b00020;font-weight:600}svg text{font:12px system-ui,sans-serif}code{font-size:.9em}\
</style></head><body>\n",
    );
    let _ = writeln!(
        out,
        "<h1>crabport bench</h1>\n<p{}><strong>{}</strong></p>",
        if report.no_result.is_some() {
            " id=\"no-result\" class=\"bad\""
        } else {
            ""
        },
        h(&report.summary)
    );
    if report.generator_bound {
        out.push_str(
            "<p class=\"bad\">The load generator was the bottleneck: no ratio is given.</p>\n",
        );
    }
    if !report.comparison.is_empty() {
        out.push_str("<table id=\"ratios\"><tr><th>candidate / baseline</th><th>ratio</th><th>95% CI</th><th></th></tr>\n");
        for c in &report.comparison {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{:.2}×</td><td>{:.2}–{:.2}</td><td class=\"{}\">{}</td></tr>",
                metric_label(c.metric),
                c.ratio,
                c.ci_low,
                c.ci_high,
                if c.significant { "sig" } else { "ns" },
                if c.significant {
                    better_text(c)
                } else {
                    "no significant difference"
                }
            );
        }
        out.push_str("</table>\n");
    }
    if let Some(goal) = &report.goal {
        let _ = writeln!(
            out,
            "<p>Goal <code>{}</code> on the candidate: {:.2} {}{} — <span class=\"{}\">{}</span></p>",
            h(&goal.expression),
            goal.actual,
            goal.unit,
            goal_interval(goal),
            if goal.met { "sig" } else { "bad" },
            if goal.met { "met" } else { "missed" }
        );
    }
    out.push_str("<h2>Latency by percentile</h2>\n");
    out.push_str(&percentile_plot(report));
    let _ = writeln!(
        out,
        "<table id=\"targets\"><tr><th>{}</th></tr>",
        TARGET_COLUMNS.join("</th><th>")
    );
    for t in &report.targets {
        let _ = writeln!(
            out,
            "<tr><td>{}</td></tr>",
            target_cells(t, |n| h(n)).join("</td><td>")
        );
    }
    out.push_str("</table>\n");
    for t in &report.targets {
        let _ = writeln!(
            out,
            "<p><code>{}</code>: <code>{}</code></p>",
            h(&t.name),
            h(&t.source)
        );
    }
    let _ = writeln!(
        out,
        "<p class=\"ns\">{}.</p>",
        method_sentence(&report.method)
    );
    out.push_str("</body></html>\n");
    out
}

/// An SVG of latency (log ms) against percentile on the usual
/// 1/(1−p) scale, one line per target.
fn percentile_plot(report: &BenchReport) -> String {
    const W: f64 = 720.0;
    const H: f64 = 320.0;
    const LEFT: f64 = 60.0;
    const BOTTOM: f64 = 40.0;
    const COLORS: [&str; 4] = ["#d1495b", "#00798c", "#edae49", "#30638e"];
    // x: log10(1/(1-p)), capped at 99.99 (x = 4).
    let x_of = |p: f64| {
        let p = (p / 100.0).min(0.9999);
        let x = (1.0 / (1.0 - p)).log10() / 4.0;
        LEFT + x * (W - LEFT - 20.0)
    };
    let all: Vec<f64> = report
        .targets
        .iter()
        .flat_map(|t| t.percentiles.iter().map(|p| p.ms))
        .filter(|v| *v > 0.0)
        .collect();
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min).max(0.001);
    let hi = all.iter().copied().fold(0.0, f64::max).max(lo * 10.0);
    let (log_lo, log_hi) = (lo.log10().floor(), hi.log10().ceil());
    let y_of = |v: f64| {
        let v = v.max(10f64.powf(log_lo));
        let t = (v.log10() - log_lo) / (log_hi - log_lo);
        H - BOTTOM - t * (H - BOTTOM - 10.0)
    };
    let mut svg = format!(
        "<svg id=\"latency-plot\" role=\"img\" aria-label=\"latency by percentile\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\">\n"
    );
    for (p, label) in [
        (0.0, "0"),
        (90.0, "90"),
        (99.0, "99"),
        (99.9, "99.9"),
        (99.99, "99.99"),
    ] {
        let x = x_of(p);
        let _ = writeln!(
            svg,
            "<line x1=\"{x:.1}\" y1=\"10\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#eee\"/><text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">p{label}</text>",
            H - BOTTOM,
            H - BOTTOM + 16.0
        );
    }
    let mut decade = log_lo;
    while decade <= log_hi {
        let v = 10f64.powf(decade);
        let y = y_of(v);
        let _ = writeln!(
            svg,
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#eee\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{} ms</text>",
            W - 20.0,
            LEFT - 6.0,
            y + 4.0,
            ms(v)
        );
        decade += 1.0;
    }
    for (i, t) in report.targets.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let points: Vec<String> = t
            .percentiles
            .iter()
            .filter(|p| p.percentile <= 99.99)
            .map(|p| format!("{:.1},{:.1}", x_of(p.percentile), y_of(p.ms)))
            .collect();
        let _ = writeln!(
            svg,
            "<polyline class=\"series\" data-target=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"/>",
            escape::html(&t.name),
            points.join(" ")
        );
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"{color}\">{}</text>",
            LEFT + 10.0,
            24.0 + 16.0 * i as f64,
            escape::html(&t.name)
        );
    }
    svg.push_str("</svg>\n");
    svg
}
