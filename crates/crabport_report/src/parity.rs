//! `crabport parity`: the verdict, routes, then each real difference with
//! the request that shows it, the noise subtracted and what failed.

use std::fmt::Write as _;

use crabport_core::escape;
use crabport_parity::report::{
    DifferenceGroup, FailedRequest, NoiseField, ParityReport, RequestRef, RouteReport,
};

use crate::Styles;
use crate::style::paint;
use crate::table::{self, Cell, Row};

/// Stable JSON (docs/parity-json.md).
///
/// # Errors
/// Serialisation errors (none in practice).
pub fn json(report: &ParityReport) -> serde_json::Result<String> {
    let mut text = serde_json::to_string_pretty(report)?;
    text.push('\n');
    Ok(text)
}

fn percent(share: f64) -> String {
    let p = share * 100.0;
    // 99.96% must not read as 100%.
    if p < 100.0 && p > 99.9 {
        "99.9%".to_owned()
    } else if p.fract() == 0.0 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

/// One sentence: how many requests are at parity, and the verdict.
pub fn headline(report: &ParityReport) -> String {
    let t = &report.total;
    let under = report.routes.iter().filter(|r| !r.passed).count();
    let routes = report.routes.len();
    let mut text = format!(
        "{} of {} requests at parity ({}): {} identical, {} differing only by noise, {} different, {} failed",
        t.identical + t.noise,
        t.requests,
        percent(t.parity()),
        t.identical,
        t.noise,
        t.different,
        t.failed
    );
    if under == 0 {
        let _ = write!(
            text,
            "; all {routes} route{} at or above {}",
            plural(routes),
            percent(report.method.min_parity)
        );
    } else {
        let _ = write!(
            text,
            "; {under} of {routes} route{} under {}",
            plural(routes),
            percent(report.method.min_parity)
        );
    }
    text
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn request_text(r: &RequestRef) -> String {
    format!(
        "{} {}  ({}:{})",
        r.method,
        r.target,
        r.file.display(),
        r.line
    )
}

/// `body /items/0/price`, `header content-type`, `status`.
fn place(part: crabport_parity::compare::Part, pointer: &str) -> String {
    use crabport_parity::compare::Part;
    match part {
        Part::Status => "status".to_owned(),
        Part::Header => format!("header {}", pointer.trim_start_matches('/')),
        Part::Body if pointer.is_empty() => "body".to_owned(),
        Part::Body => format!("body {pointer}"),
    }
}

fn value(v: Option<&String>) -> &str {
    v.map_or("(absent)", String::as_str)
}

fn route_cells(r: &RouteReport) -> [String; 7] {
    [
        r.route.clone(),
        r.requests.to_string(),
        r.identical.to_string(),
        r.noise.to_string(),
        r.different.to_string(),
        r.failed.to_string(),
        percent(r.parity),
    ]
}

const ROUTE_COLUMNS: [&str; 7] = [
    "route",
    "requests",
    "identical",
    "noise",
    "different",
    "failed",
    "parity",
];

fn method_sentence(report: &ParityReport) -> String {
    let m = &report.method;
    let sources: Vec<String> = m.sources.iter().map(|s| s.display().to_string()).collect();
    let targets: Vec<String> = m
        .targets
        .iter()
        .map(|t| {
            format!(
                "{} `{}`{}",
                t.name,
                t.source,
                if t.fresh { "" } else { " (running)" }
            )
        })
        .collect();
    let mut text = format!(
        "{} requests from {}, in order, to {}; compared: status, {}, body (JSON as JavaScript reads it); routes {}; timeout {} s; bodies over {} compared by SHA-256",
        report.total.requests,
        sources.join(", "),
        targets.join(", "),
        m.headers.join(", "),
        if m.routes_from == "inferred" {
            "inferred from the paths".to_owned()
        } else {
            format!("from {}", m.routes_from)
        },
        m.timeout_seconds,
        bytes(m.max_body_bytes),
    );
    if !m.unordered.is_empty() {
        let _ = write!(text, "; unordered arrays: {}", m.unordered.join(", "));
    }
    if !m.noise_subtraction {
        text.push_str("; no noise subtraction");
    }
    text
}

fn bytes(n: u64) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

/// The human report.
pub fn terminal(report: &ParityReport, width: usize) -> String {
    let st = Styles::default();
    let t = |s: &str| escape::terminal(s).into_owned();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}\n",
        paint(
            if report.passed { st.heading } else { st.bad },
            &headline(report)
        )
    );
    let rows: Vec<Row> = report
        .routes
        .iter()
        .map(|r| {
            let mut cells: Vec<Cell> = route_cells(r)
                .into_iter()
                .map(|c| Cell::new(t(&c)))
                .collect();
            cells[6] = Cell::new(if r.passed {
                percent(r.parity)
            } else {
                format!("{} ✗", percent(r.parity))
            })
            .styled(if r.passed { st.good } else { st.bad });
            Row {
                cells,
                detail: None,
            }
        })
        .collect();
    out.push_str(&table::render(&ROUTE_COLUMNS, &rows, 0, width, st.heading));

    if !report.differences.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            paint(
                st.heading,
                &format!(
                    "differences ({} signature{})",
                    report.differences.len(),
                    plural(report.differences.len())
                )
            )
        );
        for d in &report.differences {
            write_difference(&mut out, &st, d);
        }
    }
    if !report.noise.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            paint(st.heading, "noise (not counted against the candidate)")
        );
        for n in noise_summaries(report) {
            let _ = writeln!(
                out,
                "  {}  {}  {}",
                paint(st.info, &t(&place(n.part, n.pointer))),
                t(&n.routes),
                paint(st.dim, &t(&n.evidence))
            );
        }
    }
    if !report.failed.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            paint(
                st.bad,
                &format!(
                    "not compared ({} failure{})",
                    report.failed.len(),
                    plural(report.failed.len())
                )
            )
        );
        for f in &report.failed {
            let _ = writeln!(
                out,
                "  {}  {} {}: {}  {}",
                t(&f.route),
                t(&f.target),
                f.kind.as_str(),
                t(&f.detail),
                paint(st.dim, &t(&request_text(&f.request)))
            );
        }
    }
    let _ = writeln!(
        out,
        "\n{}",
        paint(st.dim, &format!("method: {}", t(&method_sentence(report))))
    );
    crate::style::write_warnings(&mut out, &st, &report.warnings);
    out
}

/// Noise of one field on many routes (a request id on every route), as
/// one line; the JSON and the HTML keep each route's entry.
struct NoiseSummary<'a> {
    part: crabport_parity::compare::Part,
    pointer: &'a str,
    routes: String,
    evidence: String,
}

fn noise_summaries(report: &ParityReport) -> Vec<NoiseSummary<'_>> {
    let mut groups: Vec<Vec<&NoiseField>> = Vec::new();
    for n in &report.noise {
        match groups
            .iter_mut()
            .find(|g| g[0].part == n.part && g[0].pointer == n.pointer && g[0].source == n.source)
        {
            Some(g) => g.push(n),
            None => groups.push(vec![n]),
        }
    }
    groups
        .into_iter()
        .map(|g| {
            let absorbed: usize = g.iter().map(|n| n.absorbed).sum();
            let absorbed = format!(
                "absorbed {absorbed} candidate difference{}",
                plural(absorbed)
            );
            let (routes, evidence) = if let [n] = g[..] {
                (
                    n.route.clone().unwrap_or_else(|| "every route".to_owned()),
                    format!("{}; {absorbed}", n.evidence),
                )
            } else {
                let names: Vec<&str> = g.iter().filter_map(|n| n.route.as_deref()).collect();
                let shown = names.iter().take(3).copied().collect::<Vec<_>>().join(", ");
                let routes = if names.len() > 3 {
                    format!("{} routes ({shown}, …)", names.len())
                } else {
                    shown
                };
                let seen: usize = g.iter().map(|n| n.seen).sum();
                let of: usize = g.iter().map(|n| n.of).sum();
                (
                    routes,
                    format!(
                        "baseline and secondary differed on {seen} of {of} requests of these routes; {absorbed}"
                    ),
                )
            };
            NoiseSummary {
                part: g[0].part,
                pointer: &g[0].pointer,
                routes,
                evidence,
            }
        })
        .collect()
}

fn write_difference(out: &mut String, st: &Styles, d: &DifferenceGroup) {
    let t = |s: &str| escape::terminal(s).into_owned();
    let _ = writeln!(
        out,
        "  {}  {}  {}  {}",
        paint(st.name, &t(&d.route)),
        paint(st.info, &t(&place(d.part, &d.pointer))),
        paint(st.bad, d.kind.as_str()),
        paint(
            st.dim,
            &format!(
                "×{} in {} request{}",
                d.count,
                d.requests,
                plural(d.requests)
            )
        )
    );
    let _ = writeln!(out, "    {}", paint(st.dim, d.description));
    let _ = writeln!(out, "    request    {}", t(&request_text(&d.request)));
    if let Some(body) = &d.request.body {
        let _ = writeln!(out, "    body       {}", t(&shorten(body, 200)));
    }
    let _ = writeln!(out, "    baseline   {}", t(value(d.baseline.as_ref())));
    let _ = writeln!(out, "    candidate  {}", t(value(d.candidate.as_ref())));
}

fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

/// Markdown for a pull request.
pub fn markdown(report: &ParityReport) -> String {
    let md = |t: &str| escape::markdown(t).into_owned();
    let code = |t: &str| format!("`{}`", crate::markdown_code(t));
    let mut out = format!(
        "# crabport parity\n\n**{}**\n\n| {} |\n|---|---:|---:|---:|---:|---:|---:|\n",
        md(&headline(report)),
        ROUTE_COLUMNS.join(" | ")
    );
    for r in &report.routes {
        let mut cells = route_cells(r);
        cells[0] = code(&r.route);
        if !r.passed {
            cells[6] = format!("**{}** ✗", cells[6]);
        }
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    if !report.differences.is_empty() {
        out.push_str("\n## Differences\n\n| route | where | kind | baseline | candidate | count | request |\n|---|---|---|---|---|---:|---|\n");
        for d in &report.differences {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                code(&d.route),
                code(&place(d.part, &d.pointer)),
                d.kind.as_str(),
                code(value(d.baseline.as_ref())),
                code(value(d.candidate.as_ref())),
                d.count,
                code(&request_text(&d.request)),
            );
        }
    }
    if !report.noise.is_empty() {
        out.push_str("\n## Noise (not counted)\n\n| where | routes | evidence |\n|---|---|---|\n");
        for n in noise_summaries(report) {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                code(&place(n.part, n.pointer)),
                md(&n.routes),
                md(&n.evidence)
            );
        }
    }
    if !report.failed.is_empty() {
        out.push_str(
            "\n## Not compared\n\n| route | target | failure | request |\n|---|---|---|---|\n",
        );
        for f in &report.failed {
            let _ = writeln!(
                out,
                "| {} | {} | {}: {} | {} |",
                code(&f.route),
                md(&f.target),
                f.kind.as_str(),
                md(&f.detail),
                code(&request_text(&f.request))
            );
        }
    }
    let _ = writeln!(out, "\n_method: {}_", md(&method_sentence(report)));
    for w in &report.warnings {
        let _ = writeln!(out, "\n> **warning:** {}", md(w));
    }
    out
}

/// JUnit XML: one test case per route, failing under `min_parity`, with
/// its differences and failures as the message.
pub fn junit(report: &ParityReport) -> String {
    let x = |t: &str| escape::html(t).into_owned();
    let failures = report.routes.iter().filter(|r| !r.passed).count();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"crabport parity\" tests=\"{0}\" failures=\"{failures}\">\n  <testsuite name=\"crabport parity\" tests=\"{0}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">\n",
        report.routes.len()
    );
    for r in &report.routes {
        let _ = write!(
            out,
            "    <testcase classname=\"parity\" name=\"{}\">",
            x(&r.route)
        );
        let summary = format!(
            "{}: {} requests, {} identical, {} noise, {} different, {} failed",
            percent(r.parity),
            r.requests,
            r.identical,
            r.noise,
            r.different,
            r.failed
        );
        if r.passed {
            let _ = writeln!(out, "<system-out>{}</system-out></testcase>", x(&summary));
            continue;
        }
        let mut detail = String::new();
        for d in report.differences.iter().filter(|d| d.route == r.route) {
            let _ = writeln!(
                detail,
                "{} {} (×{}): baseline {} / candidate {} — {}",
                place(d.part, &d.pointer),
                d.kind.as_str(),
                d.count,
                value(d.baseline.as_ref()),
                value(d.candidate.as_ref()),
                request_text(&d.request)
            );
        }
        for f in report.failed.iter().filter(|f| f.route == r.route) {
            let _ = writeln!(
                detail,
                "{} {}: {} — {}",
                f.target,
                f.kind.as_str(),
                f.detail,
                request_text(&f.request)
            );
        }
        let _ = writeln!(
            out,
            "\n      <failure message=\"parity {} under {}\" type=\"parity\">{}</failure>\n      <system-out>{}</system-out>\n    </testcase>",
            x(&percent(r.parity)),
            x(&percent(report.method.min_parity)),
            x(&detail),
            x(&summary)
        );
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// A self-contained page: routes, then each difference side by side.
pub fn html(report: &ParityReport) -> String {
    let h = |t: &str| escape::html(t).into_owned();
    let mut out = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
<title>crabport parity</title><style>\
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1d1d1f}\
h1{font-size:1.5rem}table{border-collapse:collapse;margin:1rem 0}td,th{padding:.3rem .7rem;border-bottom:1px solid #ddd;text-align:right;vertical-align:top}\
td:first-child,th:first-child{text-align:left}.pass{color:#0a7d32;font-weight:600}.fail{color:#b00020;font-weight:600}.dim{color:#777}\
.diff{border:1px solid #ddd;border-radius:6px;margin:1rem 0;padding:.5rem 1rem}.diff h3{margin:.2rem 0;font-size:1rem}\
.sides{display:grid;grid-template-columns:1fr 1fr;gap:1rem}.sides pre{margin:0;padding:.5rem;white-space:pre-wrap;word-break:break-all;border-radius:4px}\
.baseline pre{background:#eef6ee}.candidate pre{background:#fbeeee}code{font-size:.9em}\
</style></head><body>\n",
    );
    let _ = writeln!(
        out,
        "<h1>crabport parity</h1>\n<p id=\"headline\" class=\"{}\">{}</p>",
        if report.passed { "pass" } else { "fail" },
        h(&headline(report))
    );
    let _ = writeln!(
        out,
        "<table id=\"routes\"><tr><th>{}</th></tr>",
        ROUTE_COLUMNS.join("</th><th>")
    );
    for r in &report.routes {
        let cells: Vec<String> = route_cells(r).iter().map(|c| h(c)).collect();
        let last = cells.len() - 1;
        let _ = writeln!(
            out,
            "<tr data-route=\"{}\"><td>{}</td><td class=\"{}\">{}</td></tr>",
            h(&r.route),
            cells[..last].join("</td><td>"),
            if r.passed { "pass" } else { "fail" },
            cells[last]
        );
    }
    out.push_str("</table>\n");
    if !report.differences.is_empty() {
        out.push_str("<h2>Differences</h2>\n<div id=\"differences\">\n");
        for d in &report.differences {
            let _ = writeln!(
                out,
                "<div class=\"diff\" data-route=\"{}\" data-pointer=\"{}\" data-kind=\"{}\">\
<h3><code>{}</code> — <code>{}</code> — {} <span class=\"dim\">×{} in {} request{}</span></h3>\
<p class=\"dim\">{}</p><p>Request: <code>{}</code>{}</p>\
<div class=\"sides\"><div class=\"baseline\"><strong>baseline</strong><pre>{}</pre></div>\
<div class=\"candidate\"><strong>candidate</strong><pre>{}</pre></div></div></div>",
                h(&d.route),
                h(&d.pointer),
                d.kind.as_str(),
                h(&d.route),
                h(&place(d.part, &d.pointer)),
                d.kind.as_str(),
                d.count,
                d.requests,
                plural(d.requests),
                h(d.description),
                h(&request_text(&d.request)),
                d.request
                    .body
                    .as_deref()
                    .map(|b| format!(" with body <code>{}</code>", h(&shorten(b, 400))))
                    .unwrap_or_default(),
                h(value(d.baseline.as_ref())),
                h(value(d.candidate.as_ref())),
            );
        }
        out.push_str("</div>\n");
    }
    if !report.noise.is_empty() {
        out.push_str("<h2>Noise (not counted)</h2>\n<table id=\"noise\"><tr><th>route</th><th>where</th><th>evidence</th><th>absorbed</th></tr>\n");
        for n in &report.noise {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                h(n.route.as_deref().unwrap_or("every route")),
                h(&place(n.part, &n.pointer)),
                h(&n.evidence),
                n.absorbed
            );
        }
        out.push_str("</table>\n");
    }
    if !report.failed.is_empty() {
        out.push_str("<h2>Not compared</h2>\n<table id=\"failed\"><tr><th>route</th><th>target</th><th>failure</th><th>request</th></tr>\n");
        for f in &report.failed {
            write_failed_row(&mut out, f);
        }
        out.push_str("</table>\n");
    }
    let _ = writeln!(out, "<p class=\"dim\">{}.</p>", h(&method_sentence(report)));
    for w in &report.warnings {
        let _ = writeln!(out, "<p class=\"fail\">warning: {}</p>", h(w));
    }
    out.push_str("</body></html>\n");
    out
}

fn write_failed_row(out: &mut String, f: &FailedRequest) {
    let h = |t: &str| escape::html(t).into_owned();
    let _ = writeln!(
        out,
        "<tr><td>{}</td><td>{}</td><td>{}: {}</td><td><code>{}</code></td></tr>",
        h(&f.route),
        h(&f.target),
        f.kind.as_str(),
        h(&f.detail),
        h(&request_text(&f.request))
    );
}
