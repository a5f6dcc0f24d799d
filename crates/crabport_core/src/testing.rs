//! For the test suites: prove that gating tests never read the wall clock by
//! running them again with the clock two years ahead.

use std::process::Command;

/// Set in the re-run, so the test that re-runs does not recurse.
pub const UNDER_FAKETIME: &str = "CRABPORT_UNDER_FAKETIME";

/// Runs this test binary again under `faketime` with the clock `days` ahead
/// (libfaketime is preloaded, so every process the tests start — crabport,
/// git, node — sees the same clock), skipping the tests named in `skip`.
/// Returns `None` inside that re-run; otherwise the run's combined output
/// and whether it passed.
///
/// # Panics
/// When `faketime` is not installed or does not move the clock: the proof
/// would be vacuous.
pub fn rerun_ahead(days: u32, skip: &[&str]) -> Option<(bool, String)> {
    if std::env::var_os(UNDER_FAKETIME).is_some() {
        return None;
    }
    let offset = format!("+{days}d");
    let probe = Command::new("faketime")
        .args(["-f", &offset, "date", "+%s"])
        .output()
        .unwrap_or_else(|e| panic!("`faketime` is needed (apt-get install faketime): {e}"));
    let faked: i64 = String::from_utf8_lossy(&probe.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| {
            panic!(
                "faketime printed {:?}",
                String::from_utf8_lossy(&probe.stderr)
            )
        });
    let real = jiff::Timestamp::now().as_second();
    assert!(
        faked - real > i64::from(days - 1) * 86_400,
        "faketime did not move the clock ({faked} vs {real})"
    );
    let exe = std::env::current_exe().expect("the test binary");
    let mut cmd = Command::new("faketime");
    cmd.args(["-f", &offset])
        .arg(exe)
        .env(UNDER_FAKETIME, "1")
        // Timeouts and durations keep real time; only the calendar moves.
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
        // A cargo started by a test would see every crate in the registry
        // cache as two years unused and delete it, for this run and for the
        // user's other builds.
        .env("CARGO_CACHE_AUTO_CLEAN_FREQUENCY", "never");
    for name in skip {
        cmd.args(["--skip", name]);
    }
    let out = cmd.output().expect("run the tests under faketime");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some((out.status.success(), text))
}
