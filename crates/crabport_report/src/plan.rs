//! `crabport plan`: the waves, each with its routes and why they are there,
//! what it costs, how to verify it and how to roll it back; then what could
//! not be placed, where the code drifted from the route table, and the
//! burndown. Route paths, handler names, module files and reasons all come
//! from the scanned repository and are escaped for every format.

use std::fmt::Write as _;

use crabport_core::escape;
use crabport_plan::plan::{Burndown, PlannedRoute, ServiceFacts, Wave, WaveKind};
use crabport_plan::{Plan, State};

use crate::Styles;
use crate::assess::{section, trim, write_wrapped};
use crate::style::paint;
use crate::table::{self, Cell, Row};

/// Stable JSON: the [`Plan`] as serialised.
///
/// # Errors
/// Serialisation errors (none in practice).
pub fn json(plan: &Plan) -> serde_json::Result<String> {
    let mut text = serde_json::to_string_pretty(plan)?;
    text.push('\n');
    Ok(text)
}

fn pct(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

fn weeks(w: &Wave) -> String {
    let (low, high) = (w.effort.weeks_low, w.effort.weeks_high);
    if low == high {
        format!("{} weeks", trim(low))
    } else {
        format!("{}–{} weeks", trim(low), trim(high))
    }
}

/// `text` in pieces of at most `max` characters: a long route path stays in
/// its column instead of pushing the table off the screen.
fn chunks(text: &str, max: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    chars
        .chunks(max.max(1))
        .map(|c| c.iter().collect())
        .collect()
}

fn dash_or<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| v.to_string())
}

/// `cpu-bound, busy 78.0%` or `not profiled`.
fn profile_text(s: &ServiceFacts) -> String {
    match (&s.classification, s.busy_share) {
        (Some(c), Some(b)) => format!("{c}, busy {}", pct(b)),
        (Some(c), None) => c.clone(),
        (None, _) => "not profiled".to_owned(),
    }
}

/// The routes of wave `w`, in the order to port them.
fn wave_routes<'a>(plan: &'a Plan, w: &Wave) -> impl Iterator<Item = &'a PlannedRoute> {
    let number = w.number;
    plan.routes.iter().filter(move |r| r.wave == number)
}

/// The kind of wave `r` sits in.
fn kind_of(plan: &Plan, r: &PlannedRoute) -> Option<WaveKind> {
    plan.waves
        .iter()
        .find(|w| w.number == r.wave)
        .map(|w| w.kind)
        .or(r.kind)
}

fn blockers(r: &PlannedRoute) -> Vec<&str> {
    r.blocked_by.iter().map(|b| b.npm.as_str()).collect()
}

fn count(b: &Burndown, state: State) -> usize {
    b.by_state.get(&state).copied().unwrap_or(0)
}

/// `profiled CPU on Rust: 12.0% of 62.0%`, or why it is unknown.
fn cpu_on_rust(b: &Burndown) -> String {
    match (b.cpu_share_on_rust, b.cpu_share_total) {
        (Some(on), Some(total)) => {
            format!("profiled CPU on Rust: {} of {}", pct(on), pct(total))
        }
        _ => "profiled CPU on Rust: unknown (no profile maps to a handler)".to_owned(),
    }
}

fn thresholds_text(plan: &Plan) -> String {
    format!(
        "thresholds: a route carries the problem from {} of profiled CPU, a leaf has at most {} lines ([plan] in crabport.toml)",
        pct(plan.thresholds.hot_share_min),
        plan.thresholds.leaf_max_lines
    )
}

fn churn_header(plan: &Plan) -> String {
    format!("churn ({} d)", plan.service.churn_window_days)
}

// ---- terminal ---------------------------------------------------------------

fn kind_style(st: &Styles, kind: WaveKind) -> anstyle::Style {
    match kind {
        WaveKind::Problem => st.warn,
        WaveKind::Leaves => st.good,
        WaveKind::Rest => st.info,
        WaveKind::Blocked => st.bad,
    }
}

/// The human report: the service, each wave with its routes, then what is
/// left over and the burndown.
pub fn terminal(plan: &Plan, width: usize) -> String {
    let st = Styles::default();
    let t = |s: &str| escape::terminal(s).into_owned();
    let wrap_at = width.max(60);
    let mut out = String::new();
    let s = &plan.service;
    let _ = writeln!(
        out,
        "{} {}",
        paint(st.heading, "crabport plan"),
        paint(st.name, &t(&s.name))
    );
    let _ = writeln!(out, "  {}", profile_text(s));
    match &s.goal {
        Some(goal) => write_wrapped(&mut out, "  goal: ", 8, &t(goal), wrap_at),
        None => {
            let _ = writeln!(
                out,
                "  goal: {}",
                paint(
                    st.dim,
                    "none measurable declared: no route can carry the problem"
                )
            );
        }
    }
    let _ = writeln!(
        out,
        "  {} route(s) in {} wave(s)\n",
        plan.routes.len(),
        plan.waves.len()
    );

    for w in &plan.waves {
        let _ = writeln!(
            out,
            "{} {}",
            paint(kind_style(&st, w.kind), &format!("wave {} —", w.number)),
            paint(st.heading, w.title)
        );
        let _ = writeln!(
            out,
            "  {} {} {}",
            paint(st.heading, "effort:"),
            weeks(w),
            paint(
                st.dim,
                &format!(
                    "· {} new line(s) in {} module(s) · {}",
                    w.lines,
                    w.modules.len(),
                    wave_cpu(w)
                )
            )
        );
        for b in &w.effort.basis {
            write_wrapped(&mut out, "    ", 4, &t(b), wrap_at);
        }
        // The route column takes at most a third of the width.
        let route_width = (width / 3).max(24);
        let rows: Vec<Row> = wave_routes(plan, w)
            .map(|r| Row {
                cells: vec![
                    Cell::lines(chunks(&t(&r.key()), route_width)).styled(st.name),
                    Cell::new(r.state.as_str()),
                    Cell::new(dash_or(r.hot_share.map(pct))),
                    Cell::new(format!("{:.1}", r.friction)),
                    Cell::new(dash_or(r.churn)),
                    Cell::new(format!("{}/{}", r.size.unshared, r.size.shared)),
                    Cell::new(t(&blockers(r).join(", "))).styled(st.bad),
                ],
                detail: (!r.reasons.is_empty()).then(|| {
                    Cell::lines(r.reasons.iter().map(|x| format!("· {}", t(x))).collect())
                        .styled(st.dim)
                }),
            })
            .collect();
        let churn = churn_header(plan);
        out.push_str(&table::render(
            &[
                "route",
                "state",
                "hot",
                "friction/kloc",
                &churn,
                "lines unshared/shared",
                "blocked by",
            ],
            &rows,
            2,
            width,
            st.heading,
        ));
        let modules: Vec<String> = w.modules.iter().map(|m| t(m)).collect();
        section(
            &mut out,
            &st,
            &format!("modules first ported here ({} lines)", w.lines),
            &modules,
            wrap_at,
        );
        section(&mut out, &st, "verify", &w.verify, wrap_at);
        let _ = writeln!(out, "  {}", paint(st.heading, "rollback:"));
        write_wrapped(&mut out, "    ", 4, &t(&w.rollback), wrap_at);
        out.push('\n');
    }

    if !plan.unresolved.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            paint(st.heading, "unresolved routes (not placed)")
        );
        let rows: Vec<Row> = plan
            .unresolved
            .iter()
            .map(|u| Row {
                cells: vec![
                    Cell::new(format!("{}:{}:{}", t(&u.file), u.line, u.column)),
                    Cell::new(t(&u.reason)),
                ],
                detail: None,
            })
            .collect();
        out.push_str(&table::render(
            &["where", "reason"],
            &rows,
            2,
            width,
            st.heading,
        ));
        out.push('\n');
    }
    if !plan.drift.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            paint(st.bad, "drift: the code moved away from the route table")
        );
        for d in &plan.drift {
            write_wrapped(&mut out, "  - ", 4, &t(&d.message), wrap_at);
        }
        out.push('\n');
    }

    let b = &plan.burndown;
    let _ = writeln!(
        out,
        "{} {} route(s), {} served by Rust",
        paint(st.heading, "burndown:"),
        b.routes,
        b.routes_on_rust
    );
    let states: Vec<String> = State::ALL
        .iter()
        .map(|&s| {
            let n = count(b, s);
            let text = format!("{} {n}", s.as_str());
            if n == 0 { paint(st.dim, &text) } else { text }
        })
        .collect();
    let _ = writeln!(out, "  {}", states.join(" → "));
    let _ = writeln!(out, "  {}\n", cpu_on_rust(b));
    if !plan.limits.is_empty() {
        let limits: Vec<String> = plan.limits.iter().map(|l| t(l)).collect();
        let _ = writeln!(out, "{}", paint(st.heading, "limits:"));
        for l in &limits {
            write_wrapped(&mut out, "  - ", 4, l, wrap_at);
        }
    }
    let _ = writeln!(out, "{}", paint(st.dim, &thresholds_text(plan)));
    crate::style::write_warnings(&mut out, &st, &plan.warnings);
    out
}

// ---- markdown ---------------------------------------------------------------

/// A Markdown plan for a pull request or a wiki page: a route table per wave.
pub fn markdown(plan: &Plan) -> String {
    let md = |t: &str| escape::markdown(t).into_owned();
    let s = &plan.service;
    let mut out = format!("# crabport plan: {}\n\n", md(&s.name));
    let _ = writeln!(
        out,
        "**Service:** {} · **goal:** {}\n",
        md(&profile_text(s)),
        s.goal.as_deref().map_or_else(
            || "none measurable declared: no route can carry the problem".to_owned(),
            md
        )
    );
    let _ = writeln!(
        out,
        "{} route(s) in {} wave(s).\n",
        plan.routes.len(),
        plan.waves.len()
    );
    if !plan.waves.is_empty() {
        out.push_str(
            "| wave | routes | effort | new lines | profiled CPU |\n|---|---:|---|---:|---:|\n",
        );
        for w in &plan.waves {
            let _ = writeln!(
                out,
                "| {} — {} | {} | {} | {} | {} |",
                w.number,
                md(w.title),
                w.routes.len(),
                weeks(w),
                w.lines,
                w.hot_share.map_or_else(|| "unknown".to_owned(), pct)
            );
        }
    }
    for w in &plan.waves {
        let _ = writeln!(out, "\n## Wave {} — {}\n", w.number, md(w.title));
        let _ = writeln!(out, "**Effort:** {}\n", weeks(w));
        for b in &w.effort.basis {
            let _ = writeln!(out, "- {}", md(b));
        }
        let _ = writeln!(
            out,
            "\n| route | state | hot share | friction/kloc | {} | lines unshared / shared | blocked by |\n|---|---|---:|---:|---:|---:|---|",
            churn_header(plan)
        );
        for r in wave_routes(plan, w) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.1} | {} | {} / {} | {} |",
                md(&r.key()),
                r.state.as_str(),
                dash_or(r.hot_share.map(pct)),
                r.friction,
                dash_or(r.churn),
                r.size.unshared,
                r.size.shared,
                md(&blockers(r).join(", "))
            );
        }
        out.push_str("\n**Why each route is here**\n\n");
        for r in wave_routes(plan, w) {
            let reasons: Vec<String> = r.reasons.iter().map(|x| md(x)).collect();
            let _ = writeln!(out, "- {}: {}", md(&r.key()), reasons.join("; "));
        }
        if !w.modules.is_empty() {
            let _ = writeln!(out, "\n**Modules first ported here** ({} lines)\n", w.lines);
            for m in &w.modules {
                let _ = writeln!(out, "- {}", md(m));
            }
        }
        out.push_str("\n**Verify**\n\n");
        for v in &w.verify {
            let _ = writeln!(out, "- {}", md(v));
        }
        let _ = writeln!(out, "\n**Rollback:** {}", md(&w.rollback));
    }
    if !plan.unresolved.is_empty() {
        out.push_str("\n## Unresolved routes\n\n| where | reason |\n|---|---|\n");
        for u in &plan.unresolved {
            let _ = writeln!(
                out,
                "| {}:{}:{} | {} |",
                md(&u.file),
                u.line,
                u.column,
                md(&u.reason)
            );
        }
    }
    let drift: Vec<String> = plan.drift.iter().map(|d| d.message.clone()).collect();
    md_list(&mut out, "Drift from the route table", &drift);
    let b = &plan.burndown;
    let _ = writeln!(
        out,
        "\n## Burndown\n\n{} route(s), {} served by Rust; {}.\n",
        b.routes,
        b.routes_on_rust,
        cpu_on_rust(b)
    );
    out.push_str("| state | routes |\n|---|---:|\n");
    for state in State::ALL {
        let _ = writeln!(out, "| {} | {} |", state.as_str(), count(b, state));
    }
    md_list(&mut out, "Limits", &plan.limits);
    let _ = writeln!(out, "\n{}.", thresholds_text(plan));
    md_list(&mut out, "Warnings", &plan.warnings);
    out
}

/// A `## title` section listing `items`, escaped; nothing when empty.
fn md_list(out: &mut String, title: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n## {title}\n");
    for item in items {
        let _ = writeln!(out, "- {}", escape::markdown(item));
    }
}

// ---- html -------------------------------------------------------------------

/// How a route shows on the route map, from the wave it is in.
fn situation(kind: Option<WaveKind>) -> &'static str {
    match kind {
        Some(WaveKind::Blocked) => "blocked",
        Some(WaveKind::Problem) => "hot",
        Some(WaveKind::Leaves) => "leaf",
        Some(WaveKind::Rest) | None => "rest",
    }
}

/// 1–5: a tenth of profiled CPU per step, 40% and more the darkest.
fn heat(hot_share: Option<f64>) -> u8 {
    let tenths = (hot_share.unwrap_or(0.0).max(0.0) * 10.0).floor();
    if tenths >= 4.0 {
        5
    } else if tenths >= 3.0 {
        4
    } else if tenths >= 2.0 {
        3
    } else if tenths >= 1.0 {
        2
    } else {
        1
    }
}

const STATE_COLORS: [(State, &str); 6] = [
    (State::Node, "#9aa0a6"),
    (State::Ported, "#c5b3e6"),
    (State::Parity, "#8e6fc7"),
    (State::Canary, "#f2b45a"),
    (State::Rust, "#2e9d52"),
    (State::NodeRemoved, "#17602f"),
];

const CSS: &str = "\
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1d1d1f}\
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}h3{font-size:1.05rem}\
table{border-collapse:collapse;margin:1rem 0}td,th{padding:.3rem .6rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}\
#route-map th[scope=row]{font-weight:400;max-width:28rem;overflow-wrap:anywhere}\
#route-map td{min-width:6.5rem;text-align:center;border-left:1px solid #eee}\
#route-map thead th{text-align:center}#route-map thead th small{display:block;font-weight:400;color:#555}\
.cell{font-weight:600;border-radius:3px}.cell small{display:block;font-weight:400}\
.blocked{background:#d93025;color:#fff}.leaf{background:#2e9d52;color:#fff}.rest{background:#3b6fd4;color:#fff}\
.hot{color:#1d1d1f}.hot.h1{background:#ffe3c2}.hot.h2{background:#ffc98a}.hot.h3{background:#ffab52}\
.hot.h4{background:#f98b1f}.hot.h5{background:#e06c00;color:#fff}\
#legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:1rem}\
.swatch{display:inline-block;width:1.6rem;height:1rem;vertical-align:middle;margin-right:.35rem;border-radius:2px}\
.ramp .swatch{width:.8rem;margin-right:0;border-radius:0}.ramp .swatch:last-of-type{margin-right:.35rem}\
.wave{border-top:1px solid #ddd;margin-top:1.5rem}.muted{color:#666}code{font-size:.9em;overflow-wrap:anywhere}\
.bad,#drift li{color:#b00020;font-weight:600}svg text{font:12px system-ui,sans-serif}\
";

/// One self-contained HTML page (no network, no script): the route map —
/// routes by waves, each route's cell coloured by its situation and
/// labelled with its state — the burndown, a summary per wave, what could
/// not be placed and the limits.
pub fn html(plan: &Plan) -> String {
    let h = |t: &str| escape::html(t).into_owned();
    let s = &plan.service;
    let mut out = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
<title>crabport plan: {}</title><style>{CSS}</style></head><body>\n",
        h(&s.name)
    );
    let _ = writeln!(
        out,
        "<h1>crabport plan: {}</h1>\n<p id=\"service\">{} · goal: {}</p>\n<p>{} route(s) in {} wave(s).</p>",
        h(&s.name),
        h(&profile_text(s)),
        s.goal.as_deref().map_or_else(
            || "<span class=\"muted\">none measurable declared: no route can carry the problem</span>".to_owned(),
            |g| format!("<q>{}</q>", h(g))
        ),
        plan.routes.len(),
        plan.waves.len()
    );

    out.push_str("<h2>Route map</h2>\n");
    route_map(&mut out, plan);
    legend(&mut out);

    out.push_str("<h2>Burndown</h2>\n");
    burndown_svg(&mut out, &plan.burndown);

    out.push_str("<h2>Waves</h2>\n");
    for w in &plan.waves {
        let _ = writeln!(
            out,
            "<section class=\"wave\" id=\"wave-{n}\"><h3>Wave {n} — {}</h3>\n<p><strong>Effort:</strong> {} <span class=\"muted\">· {} new line(s) in {} module(s) · {}</span></p>\n<ul class=\"basis\">",
            h(w.title),
            weeks(w),
            w.lines,
            w.modules.len(),
            wave_cpu(w),
            n = w.number
        );
        for b in &w.effort.basis {
            let _ = writeln!(out, "<li>{}</li>", h(b));
        }
        out.push_str("</ul>\n<p><strong>Why each route is here</strong></p>\n<dl>\n");
        for r in wave_routes(plan, w) {
            let _ = writeln!(out, "<dt><code>{}</code></dt>", h(&r.key()));
            for reason in &r.reasons {
                let _ = writeln!(out, "<dd>{}</dd>", h(reason));
            }
        }
        out.push_str("</dl>\n");
        if !w.modules.is_empty() {
            let _ = writeln!(
                out,
                "<p><strong>Modules first ported here</strong> ({} lines)</p>\n<ul class=\"modules\">",
                w.lines
            );
            for m in &w.modules {
                let _ = writeln!(out, "<li><code>{}</code></li>", h(m));
            }
            out.push_str("</ul>\n");
        }
        out.push_str("<p><strong>Verify</strong></p>\n<ul class=\"verify\">\n");
        for v in &w.verify {
            let _ = writeln!(out, "<li>{}</li>", h(v));
        }
        let _ = writeln!(
            out,
            "</ul>\n<p class=\"rollback\"><strong>Rollback:</strong> {}</p>\n</section>",
            h(&w.rollback)
        );
    }

    if !plan.unresolved.is_empty() {
        out.push_str("<h2>Unresolved routes</h2>\n<table id=\"unresolved\"><tr><th>where</th><th>reason</th></tr>\n");
        for u in &plan.unresolved {
            let _ = writeln!(
                out,
                "<tr><td><code>{}:{}:{}</code></td><td>{}</td></tr>",
                h(&u.file),
                u.line,
                u.column,
                h(&u.reason)
            );
        }
        out.push_str("</table>\n");
    }
    let drift: Vec<String> = plan.drift.iter().map(|d| d.message.clone()).collect();
    html_list(&mut out, "Drift from the route table", "drift", &drift);
    html_list(&mut out, "Limits", "limits", &plan.limits);
    html_list(&mut out, "Warnings", "warnings", &plan.warnings);
    let _ = writeln!(
        out,
        "<p class=\"muted\">{}.</p>\n</body></html>",
        h(&thresholds_text(plan))
    );
    out
}

/// An `<h2>` and a `<ul id>` of `items`, escaped; nothing when empty.
fn html_list(out: &mut String, title: &str, id: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(out, "<h2>{title}</h2>\n<ul id=\"{id}\">");
    for item in items {
        let _ = writeln!(out, "<li>{}</li>", escape::html(item));
    }
    out.push_str("</ul>\n");
}

/// The route map: a row per route, a column per wave, one filled cell per
/// row (in the route's wave).
fn route_map(out: &mut String, plan: &Plan) {
    let h = |t: &str| escape::html(t).into_owned();
    out.push_str("<table id=\"route-map\"><thead><tr><th>route</th>");
    for w in &plan.waves {
        let _ = write!(
            out,
            "<th data-wave=\"{n}\">wave {n}<small>{}</small></th>",
            h(w.title),
            n = w.number
        );
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for r in &plan.routes {
        let key = h(&r.key());
        let _ = write!(
            out,
            "<tr data-route=\"{key}\"><th scope=\"row\"><code>{key}</code></th>"
        );
        for w in &plan.waves {
            if w.number != r.wave {
                out.push_str("<td></td>");
                continue;
            }
            let class = situation(kind_of(plan, r));
            let heat_class = if class == "hot" {
                format!(" h{}", heat(r.hot_share))
            } else {
                String::new()
            };
            let mut detail = Vec::new();
            if let Some(share) = r.hot_share {
                detail.push(format!("{} CPU", pct(share)));
            }
            if !r.blocked_by.is_empty() {
                detail.push(format!("blocked by {}", h(&blockers(r).join(", "))));
            }
            let _ = write!(
                out,
                "<td class=\"cell {class}{heat_class}\" data-wave=\"{}\" data-state=\"{state}\" title=\"{}\">{state}<small>{}</small></td>",
                r.wave,
                h(&r.reasons.join(" · ")),
                detail.join(" · "),
                state = r.state.as_str()
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
}

fn legend(out: &mut String) {
    out.push_str(
        "<ul id=\"legend\">\
<li><span class=\"swatch blocked\"></span>blocked: a Node-only dependency in its closure</li>\
<li class=\"ramp\"><span class=\"swatch hot h1\"></span><span class=\"swatch hot h2\"></span><span class=\"swatch hot h3\"></span><span class=\"swatch hot h4\"></span><span class=\"swatch hot h5\"></span>hot: carries the problem, darker with more profiled CPU (&lt;10% … ≥40%)</li>\
<li><span class=\"swatch leaf\"></span>leaf: small and self-contained</li>\
<li><span class=\"swatch rest\"></span>rest</li>\
<li>the label is the route's state: node → ported → parity → canary → rust → node-removed</li>\
</ul>\n",
    );
}

/// Two bars: routes by state, and the profiled CPU through handlers with
/// the part Rust serves.
fn burndown_svg(out: &mut String, b: &Burndown) {
    const W: f64 = 720.0;
    const BAR: f64 = 22.0;
    let total = b.routes.max(1) as f64;
    let _ = writeln!(
        out,
        "<svg id=\"burndown\" role=\"img\" aria-label=\"routes by state\" viewBox=\"0 0 {W} 130\" width=\"{W}\" height=\"130\">"
    );
    let _ = writeln!(
        out,
        "<text x=\"0\" y=\"14\">{} route(s), {} served by Rust</text>",
        b.routes, b.routes_on_rust
    );
    let mut x = 0.0;
    for (state, color) in STATE_COLORS {
        let n = count(b, state);
        if n == 0 {
            continue;
        }
        let w = W * n as f64 / total;
        let _ = writeln!(
            out,
            "<rect class=\"seg\" data-state=\"{s}\" data-count=\"{n}\" x=\"{x:.1}\" y=\"20\" width=\"{w:.1}\" height=\"{BAR}\" fill=\"{color}\"><title>{s}: {n}</title></rect><text x=\"{:.1}\" y=\"36\" fill=\"#fff\">{s} {n}</text>",
            x + 4.0,
            s = state.as_str()
        );
        x += w;
    }
    let text = cpu_on_rust(b);
    let _ = writeln!(out, "<text x=\"0\" y=\"72\">{text}</text>");
    if let (Some(on), Some(handlers)) = (b.cpu_share_on_rust, b.cpu_share_total) {
        let scale = |share: f64| W * share.clamp(0.0, 1.0);
        let _ = writeln!(
            out,
            "<rect x=\"0\" y=\"78\" width=\"{W}\" height=\"{BAR}\" fill=\"#eee\"/>\
<rect id=\"cpu-handlers\" x=\"0\" y=\"78\" width=\"{:.1}\" height=\"{BAR}\" fill=\"#9aa0a6\"><title>through handlers: {}</title></rect>\
<rect id=\"cpu-rust\" x=\"0\" y=\"78\" width=\"{:.1}\" height=\"{BAR}\" fill=\"#2e9d52\"><title>on Rust: {}</title></rect>\
<text x=\"0\" y=\"118\" class=\"muted\">of all profiled CPU (100% is the whole bar)</text>",
            scale(handlers),
            pct(handlers),
            scale(on),
            pct(on)
        );
    }
    out.push_str("</svg>\n<ul class=\"states\">");
    for state in State::ALL {
        let _ = write!(out, "<li>{} {}</li>", state.as_str(), count(b, state));
    }
    out.push_str("</ul>\n");
}

#[cfg(test)]
#[path = "../tests/support/plan_fixture.rs"]
pub(crate) mod fixture;

#[cfg(test)]
mod tests;

/// A wave's share of profiled CPU, or why it has none.
fn wave_cpu(w: &Wave) -> String {
    w.hot_share.map_or_else(
        || "CPU share unknown".to_owned(),
        |h| format!("{} of profiled CPU", pct(h)),
    )
}
