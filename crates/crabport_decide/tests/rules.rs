//! The decision rules one at a time, on evidence built from real parsed
//! profiles and hand-set history figures: which rule wins when several apply.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use crabport_decide::{
    CodeEvidence, Declared, DependencyEvidence, GapPackage, GoalSpec, Incident, IncidentKind,
    ReasonCode, ServiceEvidence, Thresholds, Verdict, decide,
};
use crabport_evidence::history::{ServiceHistory, Window};
use crabport_evidence::profile::{self, ProfileAnalysis};

const NOW: &str = "2026-11-24T00:00:00Z";

/// A profile whose samples are `idle`, `gc` and `busy` milliseconds long.
fn profile(idle: u64, gc: u64, busy: u64) -> ProfileAnalysis {
    let frame = |name: &str| serde_json::json!({ "functionName": name, "scriptId": "0", "url": "", "lineNumber": -1, "columnNumber": -1 });
    let text = serde_json::json!({
        "nodes": [
            { "id": 1, "callFrame": frame("(root)"), "children": [2, 3, 4] },
            { "id": 2, "callFrame": frame("(idle)") },
            { "id": 3, "callFrame": frame("(garbage collector)") },
            { "id": 4, "callFrame": frame("work") }
        ],
        "startTime": 0,
        "endTime": (idle + gc + busy + 1) * 1000,
        "samples": [2, 3, 4, 2],
        "timeDeltas": [0, idle * 1000, gc * 1000, busy * 1000]
    })
    .to_string();
    let parsed = profile::parse(Path::new("p.cpuprofile"), &text).unwrap();
    profile::analyze(
        &[(PathBuf::from("p.cpuprofile"), parsed)],
        &profile::Thresholds::default(),
    )
}

fn history(commits_per_week: f64, authors: usize, age_days: f64) -> ServiceHistory {
    let window = |days| Window {
        days,
        commits: 10,
        commits_per_week,
        lines_added: 100,
        lines_removed: 10,
        authors: Vec::new(),
        distinct_authors: authors,
        top_author_share: 1.0,
    };
    ServiceHistory {
        name: "svc".into(),
        first_commit: None,
        last_commit: None,
        age_days: Some(age_days),
        windows: vec![window(90), window(365)],
        hottest_files: Vec::new(),
        correctness_signals: Vec::new(),
        signal_counts: Default::default(),
    }
}

fn evidence() -> ServiceEvidence {
    ServiceEvidence {
        name: "svc".into(),
        path: "svc".into(),
        declared: Declared {
            hot_path: Some(true),
            goal: Some(GoalSpec::Text("cut p99 from 180 ms to under 50 ms".into())),
            sidecar_ok: None,
            incidents: Vec::new(),
        },
        profile: Some(profile(50, 20, 930)),
        history: Some(history(0.5, 5, 900.0)),
        dependencies: Some(DependencyEvidence::default()),
        code: Some(CodeEvidence {
            files: 10,
            lines: 2000,
            findings: 4,
            friction_per_kloc: 6.0,
            hazards: Default::default(),
        }),
        missing: Vec::new(),
    }
}

fn verdict(e: &ServiceEvidence) -> (Verdict, ReasonCode) {
    let a = decide(e, &Thresholds::default(), NOW.parse().unwrap());
    (a.verdict, a.primary_reason)
}

fn incidents(kind: IncidentKind, dates: &[&str]) -> Vec<Incident> {
    dates
        .iter()
        .map(|d| Incident {
            date: d.parse().unwrap(),
            kind,
            summary: "x".into(),
        })
        .collect()
}

fn vendor_sdk() -> DependencyEvidence {
    DependencyEvidence {
        production: 2,
        node_only_sdks: vec![GapPackage {
            npm: "@vendor/sdk".into(),
            gap_kind: "vendor-sdk".into(),
            note: None,
        }],
        ..DependencyEvidence::default()
    }
}

#[test]
fn cpu_bound_on_the_hot_path_with_a_goal_migrates_now() {
    let e = evidence();
    assert_eq!(verdict(&e), (Verdict::MigrateNow, ReasonCode::CpuBound));
    let a = decide(&e, &Thresholds::default(), NOW.parse().unwrap());
    assert_eq!(a.bench_check.as_deref(), Some("p99<50ms"));
    assert!(
        a.reasons[0]
            .message
            .contains("95% busy (93% program, 2% GC)"),
        "{}",
        a.reasons[0].message
    );
}

#[test]
fn a_node_only_sdk_without_a_sidecar_outranks_everything() {
    let mut e = evidence();
    e.dependencies = Some(vendor_sdk());
    e.declared.incidents = incidents(IncidentKind::Rounding, &["2026-03-02", "2026-08-10"]);
    assert_eq!(
        verdict(&e),
        (Verdict::DoNotMigrate, ReasonCode::NodeOnlySdk)
    );
    e.declared.sidecar_ok = Some(true);
    assert_eq!(verdict(&e), (Verdict::MigrateNow, ReasonCode::Correctness));
}

#[test]
fn churn_by_a_small_team_waits_even_with_incidents() {
    let mut e = evidence();
    e.history = Some(history(4.0, 1, 40.0));
    e.declared.incidents = incidents(IncidentKind::NullUndefined, &["2026-03-02", "2026-08-10"]);
    assert_eq!(verdict(&e), (Verdict::MigrateLater, ReasonCode::Churn));
    // The same churn spread over a team is not the churn rule.
    e.history = Some(history(4.0, 6, 40.0));
    assert_eq!(verdict(&e), (Verdict::MigrateNow, ReasonCode::Correctness));
}

#[test]
fn correctness_and_memory_stand_against_io_bound() {
    let mut e = evidence();
    e.profile = Some(profile(900, 10, 90));
    assert_eq!(verdict(&e), (Verdict::DoNotMigrate, ReasonCode::IoBound));
    e.declared.incidents = incidents(IncidentKind::Rounding, &["2026-03-02", "2026-08-10"]);
    assert_eq!(verdict(&e), (Verdict::MigrateNow, ReasonCode::Correctness));
    e.declared.incidents.clear();
    e.profile = Some(profile(600, 200, 200));
    assert_eq!(verdict(&e), (Verdict::MigrateNow, ReasonCode::Memory));
}

#[test]
fn only_recent_incidents_of_a_preventable_class_count() {
    let mut e = evidence();
    e.profile = Some(profile(900, 10, 90));
    e.declared.incidents = incidents(IncidentKind::Rounding, &["2025-03-02", "2026-08-10"]);
    assert_eq!(
        verdict(&e),
        (Verdict::DoNotMigrate, ReasonCode::IoBound),
        "one is older than a year"
    );
    e.declared.incidents = incidents(IncidentKind::Outage, &["2026-03-02", "2026-08-10"]);
    assert_eq!(
        verdict(&e),
        (Verdict::DoNotMigrate, ReasonCode::IoBound),
        "outages are not a type problem"
    );
}

#[test]
fn never_migrate_now_without_a_measurable_goal() {
    let mut e = evidence();
    e.declared.goal = Some(GoalSpec::Text("it'll be more modern".into()));
    assert_eq!(
        verdict(&e),
        (Verdict::MigrateLater, ReasonCode::NoMeasurableGoal)
    );
    e.declared.goal = None;
    assert_eq!(
        verdict(&e),
        (Verdict::MigrateLater, ReasonCode::NoMeasurableGoal)
    );
}

#[test]
fn the_guides_ratio_goals_are_measurable_and_keep_migrate_now() {
    let t = Thresholds::default();
    let now = NOW.parse().unwrap();
    for (goal, check) in [
        (GoalSpec::Text("halve instance count".into()), "cpu<0.5x"),
        (GoalSpec::Text("double throughput per pod".into()), "rps>2x"),
        (GoalSpec::Text("cut memory by 40%".into()), "rss<0.6x"),
        (
            GoalSpec::Structured {
                metric: "p99".into(),
                target: "50ms".into(),
            },
            "p99<50ms",
        ),
    ] {
        let mut e = evidence();
        e.declared.goal = Some(goal.clone());
        let a = decide(&e, &t, now);
        assert_eq!(
            (a.verdict, a.primary_reason),
            (Verdict::MigrateNow, ReasonCode::CpuBound),
            "{goal:?}"
        );
        assert_eq!(a.bench_check.as_deref(), Some(check), "{goal:?}");
        assert!(
            a.measure.iter().any(|m| m.contains(check)),
            "{goal:?}: {:?}",
            a.measure
        );
    }
}

#[test]
fn without_a_profile_or_off_the_hot_path_it_waits() {
    let mut e = evidence();
    e.declared.hot_path = None;
    assert_eq!(verdict(&e), (Verdict::MigrateLater, ReasonCode::NotHotPath));
    e.profile = Some(profile(450, 10, 540));
    assert_eq!(verdict(&e), (Verdict::MigrateLater, ReasonCode::Mixed));
    e.profile = None;
    assert_eq!(verdict(&e), (Verdict::MigrateLater, ReasonCode::NoProfile));
}

#[test]
fn thresholds_are_configurable() {
    let e = evidence();
    let strict = Thresholds {
        cpu_bound_min_busy: 0.97,
        ..Thresholds::default()
    };
    // 95% busy is CPU-bound by default, mixed under a 97% threshold.
    let a = decide(&e, &strict, NOW.parse().unwrap());
    assert_eq!(
        (a.verdict, a.primary_reason),
        (Verdict::MigrateLater, ReasonCode::Mixed)
    );
    let lazy_team = Thresholds {
        small_team_max_authors: 10,
        ..Thresholds::default()
    };
    let mut churny = evidence();
    churny.history = Some(history(3.0, 5, 400.0));
    assert_eq!(
        verdict(&churny),
        (Verdict::MigrateNow, ReasonCode::CpuBound)
    );
    let a = decide(&churny, &lazy_team, NOW.parse().unwrap());
    assert_eq!(
        (a.verdict, a.primary_reason),
        (Verdict::MigrateLater, ReasonCode::Churn)
    );
}

#[test]
fn effort_rests_on_lines_friction_gaps_and_ramp_up() {
    let mut e = evidence();
    e.dependencies = Some(DependencyEvidence {
        unknown: vec!["left-pad".into()],
        ..vendor_sdk()
    });
    let a = decide(&e, &Thresholds::default(), NOW.parse().unwrap());
    // 2000 lines ×1.06 at 150/day = 14.1 days, + 2 gap days + ½ unknown → 3.3 weeks + 4 ramp-up.
    assert_eq!(a.effort.weeks_low, 7.5);
    // 2000 ×1.06 at 50/day = 42.4 days + 5 + 2 → 9.9 weeks + 8 → 17.9.
    assert_eq!(a.effort.weeks_high, 18.0);
    assert_eq!(a.effort.basis.len(), 4);
}

#[test]
fn every_verdict_and_reason_is_documented_for_explain() {
    let documented = |code: &str| crabport_decide::codes::CODES.iter().any(|c| c.code == code);
    for v in [
        Verdict::MigrateNow,
        Verdict::MigrateLater,
        Verdict::DoNotMigrate,
    ] {
        assert!(documented(v.code()), "{}", v.code());
    }
    for r in ReasonCode::ALL {
        assert!(documented(r.code()), "{}", r.code());
        // The JSON spelling is the documented code.
        assert_eq!(serde_json::to_value(r).unwrap(), r.code());
    }
    assert_eq!(
        crabport_decide::codes::CODES.len(),
        3 + ReasonCode::ALL.len(),
        "no documentation without a code"
    );
}
