//! The plan renderers on a realistic plan (see `tests/support/plan_fixture.rs`):
//! snapshots of every format, and the hostile route's text escaped in each.
#![allow(clippy::unwrap_used)]

use super::fixture::{self, HOSTILE_FILE, HOSTILE_PATH};
use super::*;

/// The terminal text without the colours the renderer adds (the binary's
/// `anstream` strips them the same way under `NO_COLOR`). Only SGR
/// sequences (`ESC [ digits ; m`) are removed, so an escape the renderer
/// let through from the input would survive and be caught.
fn strip_sgr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("\x1b[") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .unwrap_or(after.len());
        if after[end..].starts_with('m') {
            rest = &after[end + 1..];
        } else {
            out.push_str("\x1b[");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

// ---- snapshots --------------------------------------------------------------

#[test]
fn terminal_snapshot() {
    insta::assert_snapshot!(strip_sgr(&terminal(&fixture::plan(), 100)));
}

#[test]
fn terminal_with_route_table_snapshot() {
    insta::assert_snapshot!(strip_sgr(&terminal(&fixture::plan_with_table(), 100)));
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!(markdown(&fixture::plan()));
}

#[test]
fn json_snapshot() {
    let text = json(&fixture::plan()).unwrap();
    let version = format!("\"tool_version\": \"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(text.contains(&version), "{text}");
    insta::assert_snapshot!(text.replace(&version, "\"tool_version\": \"[version]\""));
}

#[test]
fn html_snapshot() {
    insta::assert_snapshot!(html(&fixture::plan()));
}

// ---- terminal ---------------------------------------------------------------

#[test]
fn terminal_escapes_hostile_text() {
    let raw = terminal(&fixture::plan_with_table(), 100);
    // No escape sequence from the input reaches the terminal.
    assert!(!raw.contains("\x1b[31mred"), "{raw}");
    assert!(!raw.contains("\x1b[2J"), "{raw}");
    let text = strip_sgr(&raw);
    assert!(
        !text.contains('\x1b'),
        "only the renderer's colours: {text}"
    );
    assert!(text.contains("\\u{1b}[31mred\\u{1b}[0m"), "{text}");
    assert!(text.contains("\\u{1b}[2J.js"), "{text}");
    // The newline in the path is shown, not obeyed: no line starts with
    // what follows it.
    assert!(text.contains("\\u{a}| next"), "{text}");
    assert!(
        !text.lines().any(|l| l.trim_start().starts_with("| next")),
        "{text}"
    );
}

#[test]
fn terminal_lays_out_each_wave() {
    let plan = fixture::plan();
    let text = strip_sgr(&terminal(&plan, 100));
    for w in &plan.waves {
        assert!(
            text.contains(&format!("wave {} — {}", w.number, w.title)),
            "{text}"
        );
    }
    assert_eq!(text.matches("  route ").count(), plan.waves.len(), "{text}");
    assert!(text.contains("node 7 → ported 0 → parity 0 → canary 0 → rust 0 → node-removed 0"));
    assert!(
        text.contains("profiled CPU on Rust: 0.0% of 63.0%"),
        "{text}"
    );
    // A long route path wraps inside its column: the table still fits.
    assert!(
        text.lines().all(|l| l.chars().count() <= 130),
        "a line far wider than 100 columns: {text}"
    );
}

#[test]
fn terminal_shows_states_drift_and_burndown_from_the_table() {
    let text = strip_sgr(&terminal(&fixture::plan_with_table(), 100));
    assert!(text.contains("drift: the code moved away from the route table"));
    assert!(
        text.contains("GET /api/legacy is no longer in the code"),
        "{text}"
    );
    assert!(
        text.contains("is `canary` but its handler's module"),
        "{text}"
    );
    assert!(text.contains("node 4 → ported 0 → parity 1 → canary 1 → rust 1 → node-removed 0"));
    assert!(text.contains("7 route(s), 1 served by Rust"), "{text}");
    assert!(
        text.contains("profiled CPU on Rust: 1.0% of 63.0%"),
        "{text}"
    );
}

// ---- markdown ---------------------------------------------------------------

#[test]
fn markdown_escapes_hostile_text() {
    let text = markdown(&fixture::plan_with_table());
    for raw in ["<script", "<img", "<b>", "\x1b", "\n| next"] {
        assert!(!text.contains(raw), "{raw:?} unescaped: {text}");
    }
    assert!(text.contains("&lt;script&gt;"), "{text}");
    // The hostile route's row keeps its table: as many unescaped pipes as
    // the header, and every backtick escaped.
    let header = text
        .lines()
        .find(|l| l.starts_with("| route | state |"))
        .unwrap();
    let row = text
        .lines()
        .find(|l| l.starts_with("| GET /x"))
        .expect("the hostile route's row");
    let cells = |l: &str| {
        let mut n = 0;
        let mut prev = ' ';
        for c in l.chars() {
            if c == '|' && prev != '\\' {
                n += 1;
            }
            prev = c;
        }
        n
    };
    assert_eq!(cells(row), cells(header), "{row}");
    let mut prev = ' ';
    for c in row.chars() {
        assert!(c != '`' || prev == '\\', "unescaped backtick in {row}");
        prev = c;
    }
    // The module file and the unresolved reason are escaped too.
    assert!(
        text.contains("src/handlers/&lt;b&gt;evil&lt;/b&gt;\\|\\`x\\`\\[2J.js"),
        "{text}"
    );
}

#[test]
fn markdown_has_a_route_table_per_wave() {
    let plan = fixture::plan();
    let text = markdown(&plan);
    assert_eq!(
        text.matches("| route | state | hot share |").count(),
        plan.waves.len()
    );
    assert!(
        text.contains("| POST /api/invites | node | 3.0% | 46.2 | 5 | 90 / 105 | @sendgrid/mail |")
    );
    assert!(text.contains("profiled CPU on Rust: 0.0% of 63.0%"));
    assert!(text.contains("| node | 7 |\n| ported | 0 |"));
}

// ---- json -------------------------------------------------------------------

#[test]
fn json_is_the_plan_with_a_trailing_newline() {
    let plan = fixture::plan();
    let text = json(&plan).unwrap();
    assert!(text.ends_with("}\n"));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["routes"].as_array().unwrap().len(), 7);
    let kinds: Vec<&str> = v["waves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["problem", "leaves", "rest", "blocked"]);
    // Data, not markup: the hostile path is kept exactly.
    assert!(
        v["routes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["path"] == HOSTILE_PATH)
    );
    assert_eq!(v["burndown"]["by_state"]["node"], 7);
}

// ---- html -------------------------------------------------------------------

#[test]
fn html_escapes_hostile_text() {
    let page = html(&fixture::plan_with_table());
    for raw in ["<script", "<img", "<b>", "\x1b", "onerror=document.title='"] {
        assert!(!page.contains(raw), "{raw:?} unescaped");
    }
    assert!(page.contains("&lt;img src=x onerror=document.title=&#39;pwned&#39;&gt;"));
    assert!(page.contains(&escape::html(HOSTILE_FILE).into_owned()));
    assert!(!page.contains("http://") && !page.contains("https://"));
    assert!(page.contains("Content-Security-Policy"));
}

#[test]
fn html_route_map_has_one_cell_per_route_in_its_wave() {
    let plan = fixture::plan_with_table();
    let page = html(&plan);
    let map = &page[page.find("<table id=\"route-map\"").unwrap()..];
    let body = &map[map.find("<tbody>").unwrap()..map.find("</tbody>").unwrap()];
    let rows: Vec<&str> = body.split("</tr>").filter(|r| r.contains("<tr")).collect();
    assert_eq!(rows.len(), plan.routes.len());
    for (row, route) in rows.iter().zip(&plan.routes) {
        assert!(row.contains(&*escape::html(&route.key())), "{row}");
        let tds: Vec<&str> = row.split("<td").skip(1).collect();
        assert_eq!(tds.len(), plan.waves.len(), "{row}");
        let filled: Vec<usize> = (0..tds.len())
            .filter(|&i| tds[i].starts_with(" class=\"cell "))
            .collect();
        assert_eq!(filled, [route.wave as usize - 1], "{row}");
        assert!(
            tds[route.wave as usize - 1].contains(&format!(
                "data-state=\"{s}\" title=",
                s = route.state.as_str()
            )),
            "{row}"
        );
    }
    // Coloured by situation: the hot route darkest, the SDK routes blocked.
    assert!(page.contains("class=\"cell hot h5\" data-wave=\"1\" data-state=\"canary\""));
    assert_eq!(
        page.matches("class=\"cell blocked\" data-wave=\"4\"")
            .count(),
        2
    );
    assert_eq!(
        page.matches("class=\"cell leaf\" data-wave=\"2\"").count(),
        3
    );
    assert_eq!(
        page.matches("class=\"cell rest\" data-wave=\"3\"").count(),
        1
    );
    assert!(page.contains("<ul id=\"legend\">"));
    assert!(page.contains("<rect class=\"seg\" data-state=\"rust\" data-count=\"1\""));
    assert!(page.contains("<ul id=\"drift\">"));
}

#[test]
fn heat_steps_by_a_tenth_of_profiled_cpu() {
    let steps: Vec<u8> = [
        None,
        Some(0.05),
        Some(0.1),
        Some(0.29),
        Some(0.35),
        Some(0.4),
        Some(0.9),
    ]
    .into_iter()
    .map(heat)
    .collect();
    assert_eq!(steps, [1, 1, 2, 3, 4, 5, 5]);
}

// ---- without a profile ------------------------------------------------------

#[test]
fn an_unprofiled_plan_says_what_it_cannot_know() {
    let plan = fixture::plan_unprofiled();
    assert!(plan.waves.iter().all(|w| w.kind != WaveKind::Problem));
    let text = strip_sgr(&terminal(&plan, 100));
    assert!(text.contains("not profiled"), "{text}");
    assert!(text.contains("profiled CPU on Rust: unknown"), "{text}");
    let md = markdown(&plan);
    assert!(md.contains("| GET /healthz | node | — |"), "{md}");
    let page = html(&plan);
    assert!(!page.contains("id=\"cpu-rust\""));
    assert!(!page.contains("class=\"cell hot"));
}
