//! The parity report's renderers on one report whose names come from a
//! hostile recording: a route with markup, a pointer with a `|` and a
//! backtick, a target with a terminal escape. Snapshots hold the layout;
//! the assertions hold the escaping, which a snapshot review could miss.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use crabport_parity::compare::{Kind, Part};
use crabport_parity::replay::FailureKind;
use crabport_parity::report::{
    DifferenceGroup, FailedRequest, Method, NoiseField, NoiseSource, ParityReport, RequestRef,
    RouteReport, SCHEMA_VERSION, Tally, TargetInfo,
};

const HOSTILE_ROUTE: &str = "GET /<script>alert(1)</script>/:id";

fn request(index: usize, target: &str, line: usize) -> RequestRef {
    RequestRef {
        index,
        method: "GET".to_owned(),
        target: target.to_owned(),
        file: PathBuf::from("requests.jsonl"),
        line,
        body: None,
    }
}

fn route(name: &str, tally: Tally) -> RouteReport {
    RouteReport {
        route: name.to_owned(),
        requests: tally.requests,
        identical: tally.identical,
        noise: tally.noise,
        different: tally.different,
        failed: tally.failed,
        parity: tally.parity(),
        passed: tally.parity() >= 1.0,
    }
}

fn report() -> ParityReport {
    let users = Tally {
        requests: 4,
        identical: 1,
        noise: 1,
        different: 1,
        failed: 1,
    };
    let health = Tally {
        requests: 2,
        identical: 2,
        noise: 0,
        different: 0,
        failed: 0,
    };
    ParityReport {
        schema_version: SCHEMA_VERSION,
        tool: "crabport",
        tool_version: "0.1.0",
        method: Method {
            sources: vec![PathBuf::from("requests.jsonl")],
            targets: ["baseline", "secondary", "candidate"]
                .into_iter()
                .map(|name| TargetInfo {
                    name: name.to_owned(),
                    source: format!("node {name}.js"),
                    fresh: true,
                })
                .collect(),
            noise_subtraction: true,
            timeout_seconds: 30.0,
            max_body_bytes: 64 << 20,
            min_parity: 1.0,
            headers: vec!["content-type".to_owned(), "x-request-id".to_owned()],
            unordered: Vec::new(),
            routes_from: "inferred".to_owned(),
        },
        total: Tally {
            requests: 6,
            identical: 3,
            noise: 1,
            different: 1,
            failed: 1,
        },
        routes: vec![route(HOSTILE_ROUTE, users), route("GET /health", health)],
        differences: vec![DifferenceGroup {
            route: HOSTILE_ROUTE.to_owned(),
            request: request(1, "/<script>alert(1)</script>/7\u{1b}[2J", 2),
            part: Part::Body,
            pointer: "/a|b/`x`".to_owned(),
            pattern: "/a|b/`x`".to_owned(),
            kind: Kind::Value,
            description: "a different value",
            baseline: Some("\"<b>bold</b>\"".to_owned()),
            candidate: Some("\"]]></failure>\"".to_owned()),
            count: 1,
            requests: 1,
        }],
        noise: vec![NoiseField {
            route: Some(HOSTILE_ROUTE.to_owned()),
            part: Part::Header,
            pointer: "/x-request-id".to_owned(),
            source: NoiseSource::Secondary,
            evidence: "baseline and secondary differed on 3 of 3 requests (e.g. \"a\" vs \"b\")"
                .to_owned(),
            seen: 3,
            of: 3,
            absorbed: 1,
        }],
        failed: vec![FailedRequest {
            route: HOSTILE_ROUTE.to_owned(),
            request: request(3, "/x/1", 4),
            target: "candidate".to_owned(),
            kind: FailureKind::Closed,
            detail: "connection closed before a response <eof>".to_owned(),
        }],
        passed: false,
        warnings: Vec::new(),
    }
}

#[test]
fn terminal_report() {
    let text = crabport_report::parity::terminal(&report(), 100);
    assert!(
        !text.contains("\u{1b}[2J"),
        "escapes from the recording are not passed to the terminal"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn markdown_report() {
    let text = crabport_report::parity::markdown(&report());
    // Markup from the recording only inside code spans, where it is text.
    for line in text.lines() {
        for (n, piece) in line.split('`').enumerate() {
            assert!(
                n % 2 == 1 || !piece.contains('<'),
                "markup outside code: {line}"
            );
        }
    }
    // A `|` in a cell would split the table row.
    for line in text.lines().filter(|l| l.starts_with('|')) {
        assert!(!line.contains("a|b"), "unescaped pipe: {line}");
    }
    insta::assert_snapshot!(text);
}

#[test]
fn junit_report() {
    let text = crabport_report::parity::junit(&report());
    assert!(
        !text.contains("<script>") && !text.contains("<b>"),
        "{text}"
    );
    assert!(!text.contains("]]></failure>\""), "{text}");
    assert_eq!(text.matches("<testcase ").count(), 2);
    assert_eq!(text.matches("<failure").count(), 1);
    insta::assert_snapshot!(text);
}

#[test]
fn html_report_keeps_recorded_text_as_text() {
    let page = crabport_report::parity::html(&report());
    assert!(
        !page.contains("<script>") && !page.contains("<b>bold"),
        "markup from the recording"
    );
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        page.contains("default-src 'none'"),
        "a CSP keeps anything else inert"
    );
    assert!(!page.contains("http://") && !page.contains("https://"));
}
