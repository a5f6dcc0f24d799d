#![allow(clippy::unwrap_used, clippy::print_stderr)] // test helpers panic on purpose
//! Real profiles: records the programs in `fixtures/profile` with
//! `node --cpu-prof` and checks what the analysis makes of them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use crabport_evidence::profile::{
    self, BuiltinCategory, Classification, CpuProfile, ProfileAnalysis, ProfileError, Thresholds,
};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/profile")
}

fn start_node(program: &str, out_dir: &Path) -> Child {
    let spawned = Command::new("node")
        .arg("--cpu-prof")
        .arg(format!("--cpu-prof-dir={}", out_dir.display()))
        .arg(format!("--cpu-prof-name={program}.cpuprofile"))
        .arg(fixtures().join(program))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn();
    match spawned {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "`node` is not on PATH: these tests record real CPU profiles with \
             `node --cpu-prof` and need Node.js 20 or later installed"
        ),
        Err(e) => panic!("cannot run node: {e}"),
    }
}

fn finish(child: Child, program: &str, out_dir: &Path) -> (PathBuf, CpuProfile) {
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "node {program} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let path = out_dir.join(format!("{program}.cpuprofile"));
    let profile = profile::load(&path).unwrap_or_else(|e| panic!("{e}"));
    (PathBuf::from(program), profile)
}

struct Recorded {
    cpu: (PathBuf, CpuProfile),
    io: (PathBuf, CpuProfile),
    /// The raw CPU profile, for the bad-input test.
    cpu_text: String,
}

/// Both programs run once, side by side, for all tests.
fn recorded() -> &'static Recorded {
    static RECORDED: OnceLock<Recorded> = OnceLock::new();
    RECORDED.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let cpu = start_node("cpu.js", dir.path());
        let io = start_node("io.js", dir.path());
        let cpu = finish(cpu, "cpu.js", dir.path());
        let io = finish(io, "io.js", dir.path());
        let cpu_text = std::fs::read_to_string(dir.path().join("cpu.js.cpuprofile")).unwrap();
        Recorded { cpu, io, cpu_text }
    })
}

fn analyze(profiles: &[&(PathBuf, CpuProfile)]) -> ProfileAnalysis {
    let profiles: Vec<_> = profiles.iter().map(|&p| p.clone()).collect();
    let analysis = profile::analyze(&profiles, &Thresholds::default());
    eprintln!("{}", serde_json::to_string_pretty(&analysis).unwrap());
    analysis
}

fn builtin_share(analysis: &ProfileAnalysis, category: BuiltinCategory) -> f64 {
    analysis
        .builtins
        .iter()
        .find(|b| b.category == category)
        .map_or(0.0, |b| b.share)
}

#[test]
fn json_and_regex_loop_is_cpu_bound_and_hot_in_its_own_code() {
    let a = analyze(&[&recorded().cpu]);
    assert_eq!(a.classification, Classification::CpuBound);
    assert!(a.busy_share >= 0.7);
    // JSON.parse/stringify have no frame: found via the lines of `transform`.
    assert!(builtin_share(&a, BuiltinCategory::Json) > 0.0);
    assert!(builtin_share(&a, BuiltinCategory::Regex) > 0.0);
    assert!(a.unchecked_sources.is_empty(), "{:?}", a.unchecked_sources);
    let program = fixtures().join("cpu.js").display().to_string();
    let hottest = &a.hot_functions[0];
    assert!(
        hottest.name == "transform" && hottest.file.as_deref() == Some(program.as_str()),
        "{hottest:?}"
    );
    let source = std::fs::read_to_string(fixtures().join("cpu.js")).unwrap();
    let declared = source
        .lines()
        .position(|l| l.starts_with("function transform("))
        .map(|i| u32::try_from(i + 1).unwrap());
    assert_eq!(hottest.line, declared);
}

#[test]
fn http_client_waiting_on_replies_is_io_bound() {
    let a = analyze(&[&recorded().io]);
    assert_eq!(a.classification, Classification::IoBound);
    assert!(a.idle_share >= 0.6, "idle {}", a.idle_share);
    // Twenty replies 50 ms apart: at least a second of profile.
    assert!(a.duration_ms >= 1000.0, "{} ms", a.duration_ms);
}

#[test]
fn combined_profiles_fall_between_their_parts() {
    let r = recorded();
    let cpu = analyze(&[&r.cpu]);
    let io = analyze(&[&r.io]);
    let both = analyze(&[&r.cpu, &r.io]);
    assert_eq!(both.profiles, ["cpu.js", "io.js"]);
    assert_eq!(both.samples, cpu.samples + io.samples);
    assert!((both.duration_ms - (cpu.duration_ms + io.duration_ms)).abs() < 1e-6);
    assert!(cpu.idle_share < both.idle_share && both.idle_share < io.idle_share);
    // Idle time weighted by each profile's length, not averaged per profile.
    let weighted =
        (cpu.idle_share * cpu.duration_ms + io.idle_share * io.duration_ms) / both.duration_ms;
    assert!((both.idle_share - weighted).abs() < 1e-9);
}

#[test]
fn truncated_real_profile_is_an_error_with_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.cpuprofile");
    let text = &recorded().cpu_text;
    std::fs::write(&path, &text[..text.len() / 2]).unwrap();
    let err = profile::load(&path).unwrap_err();
    let ProfileError::Parse(input) = &err else {
        panic!("{err:?}")
    };
    assert!(input.position.is_some(), "{err}");
    let shown = err.to_string();
    assert!(shown.starts_with(&path.display().to_string()), "{shown}");
    assert!(shown.ends_with("the file is truncated"), "{shown}");
}
