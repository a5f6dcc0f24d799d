//! The plan's HTML page in a real browser: headless Chromium renders it and
//! dumps the DOM. The route map survives the parser with one cell per route
//! in its wave's column, the legend is there, and the hostile route's path
//! (an `<img onerror>` and a `<script>` that set the title) stays text, with
//! the page's Content-Security-Policy and without it.
#![allow(clippy::unwrap_used, clippy::print_stderr)] // test helpers panic on purpose

#[path = "support/plan_fixture.rs"]
mod fixture;

use std::path::Path;
use std::process::Command;

use fixture::{PWNED, TITLE};

/// The Chromium binary, or `None` (skip) off CI.
fn browser() -> Option<&'static str> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        });
    match found {
        Some(b) => Some(b),
        None if std::env::var_os("CI").is_some() => {
            panic!(
                "the HTML test renders in a real Chromium: apt-get install chromium (.ci/run does)"
            )
        }
        None => {
            eprintln!("skipped: chromium is not installed (apt-get install chromium)");
            None
        }
    }
}

/// The DOM after Chromium has loaded `file` (scripts run, images failed).
fn dump_dom(browser: &str, file: &Path) -> String {
    let out = Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"])
        .arg(
            format!("file://{}", file.display())
                .replace(' ', "%20")
                .replace('<', "%3C")
                .replace('>', "%3E"),
        )
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        dom.contains("</html>"),
        "chromium dumped no DOM: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dom
}

/// The document's title (the first `<title>`: the head's, not an SVG's).
fn title(dom: &str) -> &str {
    let start = dom.find("<title>").unwrap() + "<title>".len();
    &dom[start..start + dom[start..].find("</title>").unwrap()]
}

/// How Chromium serialises a text node of `text` rendered through
/// `escape::html`: control characters gone, `&`, `<`, `>` as entities.
fn as_dom_text(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// What only a parsed element (not escaped text) leaves in the DOM.
fn assert_no_injected_elements(dom: &str) {
    for element in ["<img", "<script", "<b>"] {
        assert!(
            !dom.contains(element),
            "{element} parsed from the input: {dom}"
        );
    }
    assert_eq!(title(dom), TITLE, "a script from the input ran: {dom}");
    assert!(!dom.contains(&format!("<title>{PWNED}")));
}

#[test]
fn the_route_map_renders_in_a_real_browser_and_the_hostile_path_stays_text() {
    let Some(browser) = browser() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();

    // The harness sees a script run: the same payload, unescaped, sets the
    // title.
    let control = dir.path().join("control.html");
    std::fs::write(
        &control,
        format!(
            "<!doctype html><html><head><title>{TITLE}</title></head><body>{}</body></html>",
            fixture::HOSTILE_PATH
        ),
    )
    .unwrap();
    assert_eq!(title(&dump_dom(browser, &control)), PWNED);

    let plan = fixture::plan_with_table();
    let page = crabport_report::plan::html(&plan);
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no network references"
    );
    let file = dir.path().join("plan <map>.html");
    std::fs::write(&file, &page).unwrap();
    let dom = dump_dom(browser, &file);
    assert_no_injected_elements(&dom);
    assert!(dom.contains(&as_dom_text(fixture::HOSTILE_PATH)), "{dom}");

    // The route map: a column per wave, a row per route, its one filled
    // cell in its wave's column, labelled with its state.
    let map = &dom[dom.find("<table id=\"route-map\">").expect("the route map")..];
    let map = &map[..map.find("</table>").unwrap()];
    let head = &map[..map.find("</thead>").unwrap()];
    for w in &plan.waves {
        assert!(
            head.contains(&format!("<th data-wave=\"{0}\">wave {0}<small>", w.number)),
            "{head}"
        );
    }
    let body = &map[map.find("<tbody>").unwrap()..];
    let rows: Vec<&str> = body.split("</tr>").filter(|r| r.contains("<tr")).collect();
    assert_eq!(rows.len(), plan.routes.len(), "{map}");
    for (row, route) in rows.iter().zip(&plan.routes) {
        assert!(
            row.contains(&format!(
                "<th scope=\"row\"><code>{}</code></th>",
                as_dom_text(&route.key())
            )),
            "{} not in {row}",
            route.key()
        );
        let cells: Vec<&str> = row.split("<td").skip(1).collect();
        assert_eq!(cells.len(), plan.waves.len(), "{row}");
        let filled: Vec<usize> = (0..cells.len())
            .filter(|&i| cells[i].starts_with(" class=\"cell "))
            .collect();
        let column = route.wave as usize - 1;
        assert_eq!(
            filled,
            [column],
            "{} in wave {}: {row}",
            route.key(),
            route.wave
        );
        let cell = cells[column];
        assert!(
            cell.contains(&format!("data-wave=\"{}\"", route.wave)),
            "{cell}"
        );
        let label = &cell[cell.find("\">").unwrap() + 2..];
        assert!(label.starts_with(route.state.as_str()), "{cell}");
    }
    for situation in ["hot h5", "blocked", "leaf", "rest"] {
        assert!(
            map.contains(&format!("class=\"cell {situation}\"")),
            "no {situation} cell: {map}"
        );
    }

    // The legend, the burndown and the per-wave summary.
    let legend = &dom[dom.find("<ul id=\"legend\">").expect("the legend")..];
    let legend = &legend[..legend.find("</ul>").unwrap()];
    for swatch in ["blocked", "hot h1", "hot h5", "leaf", "rest"] {
        assert!(
            legend.contains(&format!("class=\"swatch {swatch}\"")),
            "{legend}"
        );
    }
    assert!(dom.contains("<svg id=\"burndown\""), "{dom}");
    assert!(dom.contains("profiled CPU on Rust: 1.0% of 63.0%"), "{dom}");
    for w in &plan.waves {
        assert!(dom.contains(&format!(
            "<section class=\"wave\" id=\"wave-{}\">",
            w.number
        )));
    }
    assert!(dom.contains("<table id=\"unresolved\">"));
    assert!(dom.contains("<ul id=\"limits\">"));

    // Without the Content-Security-Policy, escaping alone keeps the
    // hostile path from running.
    let csp_start = page
        .find("<meta http-equiv=\"Content-Security-Policy\"")
        .unwrap();
    let csp_end = csp_start + page[csp_start..].find('>').unwrap() + 1;
    let no_csp = format!("{}{}", &page[..csp_start], &page[csp_end..]);
    assert!(!no_csp.contains("Content-Security-Policy"));
    let file = dir.path().join("plan-no-csp.html");
    std::fs::write(&file, no_csp).unwrap();
    assert_no_injected_elements(&dump_dom(browser, &file));
}
