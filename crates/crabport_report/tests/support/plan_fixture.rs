//! A realistic plan for the renderers' tests, shared by the unit tests
//! (`src/plan/tests.rs`) and the browser test (`tests/plan_html.rs`).
//!
//! `reports-api`, a CPU-bound Express service: one hot route (a report
//! renderer, the problem), two routes that reach `@sendgrid/mail` through a
//! shared mailer (blocked), two leaves, one larger route sharing the
//! template and db modules, and one route whose path, handler file and
//! handler name are hostile: HTML, a Markdown table break, backticks, an ANSI
//! escape and a newline.
#![allow(dead_code, clippy::unwrap_used)] // each test binary uses part of it

use std::collections::BTreeMap;
use std::path::Path;

use crabport_plan::plan::{
    Blocker, HandlerRef, ModuleFacts, PlanInput, RouteFacts, ServiceFacts, UnresolvedRoute,
};
use crabport_plan::{Plan, PlanThresholds, RouteTable};

/// What a script injected through the path would do.
pub const PWNED: &str = "pwned";
pub const HOSTILE_PATH: &str = "/x<img src=x onerror=document.title='pwned'><script>document.title='pwned'</script>|a|`b`\x1b[31mred\x1b[0m\n| next";
pub const HOSTILE_FILE: &str = "src/handlers/<b>evil</b>|`x`\x1b[2J.js";
pub const HOSTILE_NAME: &str = "h<script>document.title='pwned'</script>";
pub const TITLE: &str = "crabport plan: reports-api";

const RENDER: &str = "src/handlers/render-report.js";
const INVITES: &str = "src/handlers/invites.js";
const RESET: &str = "src/handlers/password-reset.js";
const HEALTH: &str = "src/handlers/health.js";
const USERS: &str = "src/handlers/users.js";
const REPORTS: &str = "src/handlers/reports.js";
const TEMPLATE: &str = "src/lib/template.js";
const DB: &str = "src/lib/db.js";
const MAILER: &str = "src/lib/mailer.js";

fn module(lines: usize, findings: usize, weight: u32) -> ModuleFacts {
    ModuleFacts {
        lines,
        findings,
        weight,
    }
}

#[allow(clippy::too_many_arguments)]
fn route(
    method: &str,
    path: &str,
    file: &str,
    line: u32,
    name: &str,
    closure: &[&str],
    hot_share: Option<f64>,
    churn: usize,
) -> RouteFacts {
    RouteFacts {
        method: method.to_owned(),
        path: path.to_owned(),
        framework: "express".to_owned(),
        handler: HandlerRef {
            file: file.to_owned(),
            line,
            column: 1,
            name: Some(name.to_owned()),
            resolved: true,
        },
        closure: closure.iter().map(|m| (*m).to_owned()).collect(),
        blocked_by: Vec::new(),
        gaps: Vec::new(),
        unknown: Vec::new(),
        hot_share,
        churn: Some(churn),
        fingerprint: format!("fp-{name}"),
    }
}

fn sendgrid() -> Blocker {
    Blocker {
        npm: "@sendgrid/mail".to_owned(),
        gap_kind: "vendor-sdk".to_owned(),
        imported_by: vec![MAILER.to_owned()],
        unblock: "call the vendor's HTTP API from Rust with a REST client (reqwest), or keep the call in a Node sidecar; then declare sidecar_ok = true for the service".to_owned(),
    }
}

/// The evidence of `reports-api`; `profiled` false drops the profile (no
/// classification, no hot shares).
pub fn input(profiled: bool) -> PlanInput {
    let share = |s: f64| profiled.then_some(s);
    let mut invites = route(
        "POST",
        "/api/invites",
        INVITES,
        12,
        "createInvite",
        &[INVITES, MAILER, DB],
        share(0.03),
        5,
    );
    invites.blocked_by.push(sendgrid());
    let mut reset = route(
        "POST",
        "/api/password-reset",
        RESET,
        8,
        "requestReset",
        &[RESET, MAILER, DB],
        share(0.02),
        3,
    );
    reset.blocked_by.push(sendgrid());
    let routes = vec![
        route(
            "GET",
            "/api/reports/:id/render",
            RENDER,
            92,
            "renderReport",
            &[RENDER, TEMPLATE, DB],
            share(0.46),
            14,
        ),
        invites,
        reset,
        route(
            "GET",
            "/healthz",
            HEALTH,
            3,
            "health",
            &[HEALTH],
            share(0.01),
            1,
        ),
        route(
            "GET",
            "/api/users/:id",
            USERS,
            20,
            "getUser",
            &[USERS, DB],
            share(0.04),
            6,
        ),
        route(
            "GET",
            "/api/reports",
            REPORTS,
            30,
            "listReports",
            &[REPORTS, TEMPLATE, DB],
            share(0.07),
            9,
        ),
        route(
            "GET",
            HOSTILE_PATH,
            HOSTILE_FILE,
            1,
            HOSTILE_NAME,
            &[HOSTILE_FILE],
            share(0.0),
            0,
        ),
    ];
    let modules: BTreeMap<String, ModuleFacts> = [
        (RENDER, module(240, 6, 14)),
        (TEMPLATE, module(180, 3, 9)),
        (DB, module(60, 1, 2)),
        (MAILER, module(45, 1, 3)),
        (INVITES, module(90, 2, 4)),
        (RESET, module(70, 0, 0)),
        (HEALTH, module(12, 0, 0)),
        (USERS, module(70, 1, 1)),
        (REPORTS, module(140, 2, 5)),
        (HOSTILE_FILE, module(20, 0, 0)),
    ]
    .into_iter()
    .map(|(m, f)| (m.to_owned(), f))
    .collect();
    PlanInput {
        service: ServiceFacts {
            name: "reports-api".to_owned(),
            classification: profiled.then(|| "cpu-bound".to_owned()),
            busy_share: share(0.78),
            goal: Some("p99 of GET /api/reports/:id/render under 120 ms at 200 req/s".to_owned()),
            sidecar_ok: false,
            churn_window_days: 90,
        },
        routes,
        modules,
        unresolved: vec![
            UnresolvedRoute {
                file: "src/routes/index.js".to_owned(),
                line: 14,
                column: 3,
                reason: "router.use(prefix, …) with a computed prefix: its routes are not listed"
                    .to_owned(),
            },
            UnresolvedRoute {
                file: HOSTILE_FILE.to_owned(),
                line: 2,
                column: 5,
                reason: "app[verb](\"<img src=x onerror=document.title='pwned'>\") with a computed method"
                    .to_owned(),
            },
        ],
        limits: vec![
            "2 route registration(s) could not be read statically: the plan places the 7 it found"
                .to_owned(),
        ],
        warnings: vec!["package-lock.json is older than package.json | `npm ci` may install other versions".to_owned()],
    }
}

/// The plan without a route table: every route at `node`.
pub fn plan() -> Plan {
    crabport_plan::plan(
        input(true),
        &PlanThresholds::default(),
        &crabport_decide::Thresholds::default(),
        None,
    )
}

/// A route table the team has advanced: the health check on Rust, the
/// render route at canary (its handler changed since), users at parity,
/// and a route the code no longer has.
pub const TABLE: &str = r#"version = 1

[[route]]
method = "GET"
path = "/healthz"
state = "rust"
fingerprint = "fp-health"

[[route]]
method = "GET"
path = "/api/reports/:id/render"
state = "canary"
canary_percent = 25
fingerprint = "fp-renderReport-before"

[[route]]
method = "GET"
path = "/api/users/:id"
state = "parity"
fingerprint = "fp-getUser"

[[route]]
method = "GET"
path = "/api/legacy"
state = "node"
"#;

/// The plan against [`TABLE`]: states, drift and a burndown that moved.
pub fn plan_with_table() -> Plan {
    let table = RouteTable::parse(Path::new("crabport.routes.toml"), TABLE).unwrap();
    crabport_plan::plan(
        input(true),
        &PlanThresholds::default(),
        &crabport_decide::Thresholds::default(),
        Some(&table),
    )
}

/// The plan without a profile.
pub fn plan_unprofiled() -> Plan {
    crabport_plan::plan(
        input(false),
        &PlanThresholds::default(),
        &crabport_decide::Thresholds::default(),
        None,
    )
}
