//! Documentation of the verdicts and reason codes `assess` prints, for
//! `crabport explain <code>`.

use crabport_core::CodeDoc;

const fn verdict(code: &'static str, summary: &'static str, body: &'static str) -> CodeDoc {
    CodeDoc {
        code,
        kind: "verdict",
        summary,
        body,
    }
}

const fn reason(code: &'static str, summary: &'static str, body: &'static str) -> CodeDoc {
    CodeDoc {
        code,
        kind: "reason",
        summary,
        body,
    }
}

pub const CODES: &[CodeDoc] = &[
    verdict(
        "migrate-now",
        "A measured problem Rust addresses, and a measurable goal.",
        "The service is CPU-bound on the hot path, or has repeated incidents of a bug class Rust's types prevent, or spends a large share of its time in the garbage collector — and the team has written down a number to hit. Port this service in isolation, benchmark it against the Node version (`crabport bench --goal …`) and keep the Node version until the goal is met.",
    ),
    verdict(
        "migrate-later",
        "Not now: the evidence does not justify a port yet, or something must settle first.",
        "The code churns in a small team, or there is no profile to show a CPU problem, or the profile is mixed, or the service is off the hot path, or there is no measurable goal. The verdict lists what would change it; revisit when one of those facts changes.",
    ),
    verdict(
        "do-not-migrate",
        "A port would cost more than it gains.",
        "The service waits on I/O (rewriting the glue in Rust will not move p99: profile the database and downstream calls first), or it depends on a Node-only SDK and a Node sidecar is not acceptable. Keep it in Node.",
    ),
    reason(
        "cpu-bound",
        "Most profiled time is the program's own work.",
        "Busy (not idle) time at or above `cpu_bound_min_busy` (default 70%) of the profile. On the hot path with a measurable goal this is the best reason to migrate: Rust's speed and the absence of GC pauses pay off exactly here.",
    ),
    reason(
        "io-bound",
        "Most profiled time is spent waiting.",
        "Idle time at or above `io_bound_min_idle` (default 60%) of the profile: the service waits on databases and downstream APIs. Rust changes nothing meaningful there; an index or a connection-pool fix may give the win for a fraction of the cost. Stands unless a correctness or memory reason does.",
    ),
    reason(
        "mixed",
        "Neither clearly CPU- nor I/O-bound.",
        "Profile the busy routes alone; the CPU-heavy part may be worth porting on its own.",
    ),
    reason(
        "correctness",
        "Repeated production incidents of a class Rust's types prevent.",
        "At least `correctness_min_incidents` (default 2) declared incidents within `incident_window_days` (default 365) of kind rounding, precision, null-undefined, type-error, unhandled-error or data-race. `Option`, `Result`, decimal or integer newtypes and `Send`/`Sync` rule these out at compile time. Migrate-now even when not CPU-bound, with a goal such as \"zero rounding incidents for two quarters\".",
    ),
    reason(
        "memory",
        "A large share of time in the garbage collector.",
        "Garbage collection at or above `memory_min_gc_share` (default 15%) of the profile: Rust has no GC pauses and smaller heaps, so a port can cut memory and instance count.",
    ),
    reason(
        "churn",
        "The code changes constantly and is shipped by a small team.",
        "At least `churn_min_commits_per_week` (default 2) commits per week over `churn_window_days` (default 90) by at most `small_team_max_authors` (default 2) people. Early-stage code rewritten every sprint benefits from TypeScript's iteration speed; Rust's guarantees pay off on code that must be correct and stable.",
    ),
    reason(
        "node-only-sdk",
        "A vendor SDK with no maintained Rust equivalent, and no sidecar allowed.",
        "A production dependency the knowledge base marks as a vendor-sdk gap, with `sidecar_ok` not true. A port would lose the vendor's maintained SDK. Set `sidecar_ok = true` when the SDK may stay in a Node sidecar or be replaced by direct calls to the vendor's REST API.",
    ),
    reason(
        "no-measurable-goal",
        "No metric and number to reach.",
        "A goal must name a metric and a number (\"cut p99 from 180 ms to under 50 ms\", \"zero rounding incidents for two quarters\"). \"It'll be more modern\" is not a goal. Without one, no verdict is migrate-now.",
    ),
    reason(
        "not-hot-path",
        "CPU-bound, but not on the critical request path.",
        "Declare `hot_path = true` when the service is; otherwise speeding it up may not change what users see.",
    ),
    reason(
        "no-profile",
        "No CPU profile, so no performance reason can stand.",
        "Record one under production-like load with `node --cpu-prof --cpu-prof-dir=profiles …` and name it in `profile` of the service in crabport.toml.",
    ),
    reason(
        "sidecar",
        "A Node-only SDK that may stay out of the port.",
        "`sidecar_ok = true`: the SDK stays in a Node sidecar behind a local API, or the port calls the vendor's REST API directly. It adds effort but does not block a port.",
    ),
    reason(
        "young-code",
        "The code is younger than `young_max_days` (default 180).",
        "Cited with churn: young code is still finding its shape.",
    ),
    reason(
        "correctness-signals",
        "Commits whose messages mention correctness bugs.",
        "Rounding, NaN, null/undefined, \"cannot read property\" or precision in commit messages of the last year. Corroboration only: declare the ones that reached production as incidents.",
    ),
    reason(
        "gaps",
        "Dependencies with no maintained crate, or unknown to crabport.",
        "Each adds porting effort (2–5 days per gap, ½–2 days per unknown package in the estimate); `crabport audit` lists them with notes.",
    ),
    reason(
        "friction",
        "Ownership friction of the code (`crabport scan`).",
        "Weighted scan findings per 1,000 lines: code that will fight the borrow checker. It scales the effort estimate.",
    ),
];
