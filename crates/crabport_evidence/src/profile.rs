//! CPU profile evidence: is a service's time spent computing or waiting?
//!
//! Reads V8 CPU profiles (`.cpuprofile`, the Chrome DevTools format written
//! by `node --cpu-prof`) and reports the share of wall time that is idle,
//! running code, or collecting garbage; the hottest functions by self time;
//! the time in CPU-heavy built-ins (JSON, regex, crypto, compression); and a
//! classification, cpu-bound / io-bound / mixed, against stated thresholds.
//!
//! What Node 20 records, measured with `node --cpu-prof` (see
//! `tests/profile.rs`, which runs it):
//! - Waiting in the event loop is sampled as `(idle)`: a client awaiting 20
//!   HTTP replies 50 ms apart spent 96% of its samples there, and the sampler
//!   keeps its ~1 ms pace while idle, so idle time is neither a gap in
//!   `timeDeltas` nor hidden in `(program)`. Profiles taken through the
//!   inspector (`Profiler.start`) record `(idle)` the same way.
//! - Garbage collection is `(garbage collector)`; native V8/Node work outside
//!   any JS frame is `(program)`.
//! - Blocking calls (`readFileSync`, `execSync`) are *not* idle: their time
//!   is sampled in their frames (`read`, `spawnSync`), so they count as busy.
//! - `JSON.parse`/`JSON.stringify` (and `Array.prototype.sort`) get no frame
//!   of their own; their time is the caller's self time. Only the caller's
//!   per-line ticks (`positionTicks`) show it, so JSON time is found by
//!   reading the caller's source line (see [`CpuProfile::attribute_json_lines`]).
//! - Compiled regular expressions get a frame named `RegExp: <source>`.
//! - Crypto and zlib work is self time in `node:crypto`,
//!   `node:internal/crypto/*` and `node:zlib` frames (`update`, `pbkdf2Sync`,
//!   `processChunkSync`).

mod analysis;
mod model;
mod sources;
mod stacks;

use std::path::{Path, PathBuf};

use crabport_core::InputError;
use serde::{Deserialize, Serialize};

pub use analysis::analyze;
pub use model::CpuProfile;
pub use stacks::{FunctionSite, StackShares, busy_shares_through};

/// A profile that could not be read or makes no sense.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Not JSON, or not shaped like a CPU profile (with line:column).
    #[error(transparent)]
    Parse(InputError),
    /// Well-formed JSON whose contents contradict themselves, e.g. a sample
    /// naming a node that does not exist.
    #[error(transparent)]
    Invalid(InputError),
}

impl ProfileError {
    /// The profile the error is about.
    pub fn path(&self) -> &Path {
        match self {
            Self::Io { path, .. } => path,
            Self::Parse(e) | Self::Invalid(e) => &e.path,
        }
    }
}

/// Reads and parses the profile at `path`, then reads the source files its
/// hot functions live in to find time spent in `JSON.parse`/`stringify`
/// (missing sources are noted in the profile, not errors).
///
/// # Errors
/// An unreadable file, malformed JSON, or an inconsistent profile.
pub fn load(path: &Path) -> Result<CpuProfile, ProfileError> {
    let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mut profile = parse(path, &text)?;
    profile.attribute_json_lines(sources::read_from_disk);
    Ok(profile)
}

/// Parses profile text; `path` only names the file in errors. Reads nothing
/// else, so JSON time is not attributed until
/// [`CpuProfile::attribute_json_lines`] is called.
///
/// # Errors
/// Malformed JSON ([`ProfileError::Parse`], with line and column) or an
/// inconsistent profile ([`ProfileError::Invalid`], naming the field).
pub fn parse(path: &Path, text: &str) -> Result<CpuProfile, ProfileError> {
    if text.trim().is_empty() {
        let message = "empty file: not a CPU profile";
        return Err(ProfileError::Parse(InputError::new(path, message)));
    }
    let raw: model::RawProfile =
        serde_json::from_str(text).map_err(|e| ProfileError::Parse(InputError::json(path, &e)))?;
    CpuProfile::from_raw(raw)
        .map_err(|message| ProfileError::Invalid(InputError::new(path, message)))
}

/// Where the line between cpu-bound, io-bound and mixed is drawn, as shares
/// of profiled wall time (0.0–1.0).
///
/// In `crabport.toml` both keys are optional and must leave a mixed band
/// between them (`cpu_bound_min_busy + io_bound_min_idle > 1`), so no
/// profile can be both.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "RawThresholds")]
pub struct Thresholds {
    /// Cpu-bound when at least this share is busy (code plus GC). Default 0.70.
    pub cpu_bound_min_busy: f64,
    /// Io-bound when at least this share is idle (waiting in the event loop).
    /// Default 0.60.
    pub io_bound_min_idle: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            cpu_bound_min_busy: 0.70,
            io_bound_min_idle: 0.60,
        }
    }
}

/// Thresholds that overlap or are not shares.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ThresholdsError {
    #[error("{name} = {value} is not a share between 0 and 1")]
    NotAShare { name: &'static str, value: f64 },
    #[error(
        "cpu_bound_min_busy ({busy}) + io_bound_min_idle ({idle}) must exceed 1, \
         or a profile could be both cpu-bound and io-bound"
    )]
    Overlap { busy: f64, idle: f64 },
}

impl Thresholds {
    /// The one classification of a profile's shares, used by the analysis
    /// and by assess's decision with its own thresholds. Cpu-bound is tested
    /// first, so thresholds that overlap (possible only when built without
    /// [`Thresholds::new`]) still give one answer.
    pub fn classify(&self, busy_share: f64, idle_share: f64) -> Classification {
        if busy_share >= self.cpu_bound_min_busy {
            Classification::CpuBound
        } else if idle_share >= self.io_bound_min_idle {
            Classification::IoBound
        } else {
            Classification::Mixed
        }
    }

    /// Checked thresholds (the fields are public; `analyze` still copes with
    /// unchecked ones by testing cpu-bound first).
    ///
    /// # Errors
    /// A value outside 0–1, or values that leave no mixed band.
    pub fn new(cpu_bound_min_busy: f64, io_bound_min_idle: f64) -> Result<Self, ThresholdsError> {
        for (name, value) in [
            ("cpu_bound_min_busy", cpu_bound_min_busy),
            ("io_bound_min_idle", io_bound_min_idle),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(ThresholdsError::NotAShare { name, value });
            }
        }
        if cpu_bound_min_busy + io_bound_min_idle <= 1.0 {
            return Err(ThresholdsError::Overlap {
                busy: cpu_bound_min_busy,
                idle: io_bound_min_idle,
            });
        }
        Ok(Self {
            cpu_bound_min_busy,
            io_bound_min_idle,
        })
    }
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RawThresholds {
    cpu_bound_min_busy: f64,
    io_bound_min_idle: f64,
}

impl Default for RawThresholds {
    fn default() -> Self {
        let Thresholds {
            cpu_bound_min_busy,
            io_bound_min_idle,
        } = Thresholds::default();
        Self {
            cpu_bound_min_busy,
            io_bound_min_idle,
        }
    }
}

impl TryFrom<RawThresholds> for Thresholds {
    type Error = ThresholdsError;

    fn try_from(raw: RawThresholds) -> Result<Self, Self::Error> {
        Self::new(raw.cpu_bound_min_busy, raw.io_bound_min_idle)
    }
}

/// Where the profiled time went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Classification {
    /// Busy share at or above `cpu_bound_min_busy`: a faster runtime helps.
    CpuBound,
    /// Idle share at or above `io_bound_min_idle`: the service mostly waits.
    IoBound,
    /// Neither threshold met (also when nothing was profiled).
    Mixed,
}

/// A family of CPU-heavy built-ins whose time is reported on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BuiltinCategory {
    /// `JSON.parse` / `JSON.stringify`, found from the calling source line.
    Json,
    /// Compiled regular expressions (`RegExp: …` frames).
    Regex,
    /// `node:crypto` (hashes, ciphers, key derivation).
    Crypto,
    /// `node:zlib` (gzip, deflate, brotli).
    Compression,
}

impl BuiltinCategory {
    pub fn code(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Regex => "regex",
            Self::Crypto => "crypto",
            Self::Compression => "compression",
        }
    }
}

/// One function, merged over call paths and profiles by (name, file, line).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct HotFunction {
    /// `(anonymous)` for unnamed functions and module top levels.
    pub name: String,
    /// A path for `file://` URLs; `node:…` and other URLs as written; none
    /// for native frames.
    pub file: Option<String>,
    /// 1-based line the function starts on; none for native frames.
    pub line: Option<u32>,
    pub self_ms: f64,
    /// Of total profiled wall time.
    pub self_share: f64,
    /// The built-in family the frame itself belongs to, if any.
    pub builtin: Option<BuiltinCategory>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct BuiltinShare {
    pub category: BuiltinCategory,
    pub self_ms: f64,
    /// Of total profiled wall time.
    pub share: f64,
}

/// Several profiles combined: durations summed per category and function.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct ProfileAnalysis {
    /// Display paths of the profiles, in the order given.
    pub profiles: Vec<String>,
    /// Wall time covered by samples: from each profile's first sample to its end.
    pub duration_ms: f64,
    pub samples: u64,
    /// Waiting in the event loop.
    pub idle_share: f64,
    /// JS and native work: busy minus GC.
    pub program_share: f64,
    pub gc_share: f64,
    /// Everything not idle; `program_share + gc_share`.
    pub busy_share: f64,
    /// The ten functions with the most self time (idle, GC and `(program)`
    /// are shares above, not functions).
    pub hot_functions: Vec<HotFunction>,
    /// Non-zero categories, most time first.
    pub builtins: Vec<BuiltinShare>,
    pub classification: Classification,
    pub thresholds: Thresholds,
    /// Source files with profiled time that could not be checked for
    /// `JSON.parse`/`stringify` (missing, changed since profiling, or
    /// minified), so the JSON share leaves their time out.
    pub unchecked_sources: Vec<String>,
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    const APP: &str = "\
// app.js
'use strict';

const compute = (req) => req.body;

module.exports = { handler };



function handler(req) {
  const text = compute(req);
  return JSON.parse(text);
}
";

    fn frame(name: &str, url: &str, line: i64) -> Value {
        json!({ "functionName": name, "scriptId": "0", "url": url, "lineNumber": line, "columnNumber": 0 })
    }

    /// Timestamps 1100, 1200, 1400, 1700, 2100, 2600, 3200, 3900, 4700, end
    /// 5000: samples last 100, 200, 300, 400, 500, 600, 700, 800 and 300 µs.
    fn sample_profile() -> Value {
        json!({
            "nodes": [
                { "id": 1, "callFrame": frame("(root)", "", -1), "children": [2, 3, 4, 5] },
                { "id": 2, "callFrame": frame("(program)", "", -1) },
                { "id": 3, "callFrame": frame("(idle)", "", -1) },
                { "id": 4, "callFrame": frame("(garbage collector)", "", -1) },
                { "id": 5, "callFrame": frame("handler", "file:///srv/app.js", 9), "children": [6, 7],
                  "positionTicks": [{ "line": 12, "ticks": 3 }, { "line": 11, "ticks": 1 }] },
                { "id": 6, "callFrame": frame("RegExp: a+b", "", -1) },
                { "id": 7, "callFrame": frame("update", "node:internal/crypto/hash", 131), "children": [8] },
                { "id": 8, "callFrame": frame("digest", "", -1) }
            ],
            "startTime": 1000,
            "endTime": 5000,
            "samples": [3, 5, 5, 6, 7, 8, 4, 2, 3],
            "timeDeltas": [100, 100, 200, 300, 400, 500, 600, 700, 800]
        })
    }

    fn parsed(value: &Value) -> CpuProfile {
        match parse(Path::new("svc.cpuprofile"), &value.to_string()) {
            Ok(profile) => profile,
            Err(e) => panic!("{e}"),
        }
    }

    fn with_sources(mut profile: CpuProfile, files: &[(&str, &str)]) -> CpuProfile {
        profile.attribute_json_lines(|path| {
            files
                .iter()
                .find(|(p, _)| Path::new(p) == path)
                .map(|(_, text)| (*text).to_owned())
        });
        profile
    }

    fn one(profile: CpuProfile) -> ProfileAnalysis {
        analyze(
            &[(PathBuf::from("svc.cpuprofile"), profile)],
            &Thresholds::default(),
        )
    }

    fn parse_error(text: &str) -> ProfileError {
        match parse(Path::new("svc.cpuprofile"), text) {
            Ok(_) => panic!("{text:?} parsed"),
            Err(e) => e,
        }
    }

    fn assert_close(actual: f64, expected: f64) {
        assert!((actual - expected).abs() < 1e-12, "{actual} != {expected}");
    }

    #[test]
    fn each_sample_lasts_until_the_next_and_the_last_until_end_time() {
        let profile = parsed(&sample_profile());
        assert_eq!(profile.sample_count(), 9);
        assert_eq!(profile.duration_ms(), 3.9);
        let a = one(profile);
        assert_eq!(a.duration_ms, 3.9);
        assert_eq!(a.samples, 9);
        assert_close(a.idle_share, 400.0 / 3900.0);
        assert_close(a.gc_share, 700.0 / 3900.0);
        // handler 500 + regex 400 + update 500 + digest 600 + (program) 800.
        assert_close(a.program_share, 2800.0 / 3900.0);
        assert_close(a.busy_share, 3500.0 / 3900.0);
        assert_eq!(a.classification, Classification::CpuBound);
    }

    #[test]
    fn hot_functions_leave_out_idle_gc_and_program() {
        let a = one(parsed(&sample_profile()));
        let rows: Vec<_> = a
            .hot_functions
            .iter()
            .map(|f| {
                (
                    f.name.as_str(),
                    f.file.as_deref(),
                    f.line,
                    f.self_ms,
                    f.builtin,
                )
            })
            .collect();
        use BuiltinCategory::{Crypto, Regex};
        assert_eq!(
            rows,
            [
                ("digest", None, None, 0.6, Some(Crypto)),
                ("handler", Some("/srv/app.js"), Some(10), 0.5, None),
                (
                    "update",
                    Some("node:internal/crypto/hash"),
                    Some(132),
                    0.5,
                    Some(Crypto)
                ),
                ("RegExp: a+b", None, None, 0.4, Some(Regex)),
            ]
        );
        assert_close(a.hot_functions[0].self_share, 600.0 / 3900.0);
    }

    #[test]
    fn builtins_without_sources_are_regex_and_crypto_frames() {
        let a = one(parsed(&sample_profile()));
        let rows: Vec<_> = a.builtins.iter().map(|b| (b.category, b.self_ms)).collect();
        assert_eq!(
            rows,
            [
                (BuiltinCategory::Crypto, 1.1),
                (BuiltinCategory::Regex, 0.4)
            ]
        );
        assert_close(a.builtins[0].share, 1100.0 / 3900.0);
    }

    #[test]
    fn json_time_is_the_callers_ticks_on_json_lines() {
        let profile = with_sources(parsed(&sample_profile()), &[("/srv/app.js", APP)]);
        let a = one(profile);
        let json = a
            .builtins
            .iter()
            .find(|b| b.category == BuiltinCategory::Json)
            .map(|b| b.self_ms);
        // Three of handler's four ticks are on `return JSON.parse(text);`.
        assert_eq!(json, Some(0.375));
        assert!(a.unchecked_sources.is_empty());
        // The function keeps its whole self time.
        assert_eq!(a.hot_functions[1].self_ms, 0.5);
    }

    #[test]
    fn sources_that_are_missing_edited_or_minified_are_not_trusted() {
        let missing = one(with_sources(parsed(&sample_profile()), &[]));
        assert_eq!(missing.unchecked_sources, ["/srv/app.js"]);

        let edited = APP.replace("function handler", "function renamed");
        let edited = one(with_sources(
            parsed(&sample_profile()),
            &[("/srv/app.js", &edited)],
        ));
        assert_eq!(edited.unchecked_sources, ["/srv/app.js"]);

        let long = format!("  return JSON.parse(text); {}", "x;".repeat(300));
        let minified = APP.replace("  return JSON.parse(text);", &long);
        let minified = one(with_sources(
            parsed(&sample_profile()),
            &[("/srv/app.js", &minified)],
        ));
        assert_eq!(minified.unchecked_sources, ["/srv/app.js"]);

        for a in [missing, edited, minified] {
            assert!(
                a.builtins
                    .iter()
                    .all(|b| b.category != BuiltinCategory::Json)
            );
        }
    }

    #[test]
    fn combining_profiles_sums_time_and_merges_functions() {
        let cpu = parsed(&sample_profile());
        let mut idle = sample_profile();
        // Every sample idle: 3900 µs of waiting.
        idle["samples"] = json!([3, 3, 3, 3, 3, 3, 3, 3, 3]);
        let idle = parsed(&idle);
        let profiles = [
            (PathBuf::from("a.cpuprofile"), cpu.clone()),
            (PathBuf::from("b.cpuprofile"), cpu),
            (PathBuf::from("c.cpuprofile"), idle),
        ];
        let a = analyze(&profiles, &Thresholds::default());
        assert_eq!(a.profiles, ["a.cpuprofile", "b.cpuprofile", "c.cpuprofile"]);
        assert_eq!(a.duration_ms, 11.7);
        assert_eq!(a.samples, 27);
        assert_close(a.idle_share, (400.0 * 2.0 + 3900.0) / 11700.0);
        assert_close(a.busy_share, 7000.0 / 11700.0);
        assert_eq!(a.hot_functions[0].name, "digest");
        assert_eq!(a.hot_functions[0].self_ms, 1.2);
        assert_eq!(a.classification, Classification::Mixed);
    }

    #[test]
    fn classification_uses_the_thresholds() {
        let mut p = sample_profile();
        // All idle but one 700 µs GC sample: 3200 of 3900 µs idle.
        p["samples"] = json!([3, 3, 3, 3, 3, 3, 4, 3, 3]);
        let a = one(parsed(&p));
        assert_close(a.idle_share, 3200.0 / 3900.0);
        assert_eq!(a.classification, Classification::IoBound);

        let strict = Thresholds::new(0.95, 0.9).unwrap();
        let a = analyze(&[(PathBuf::from("x"), parsed(&p))], &strict);
        assert_eq!(a.classification, Classification::Mixed);
        assert_eq!(a.thresholds, strict);
    }

    #[test]
    fn nothing_to_analyze_is_mixed_not_nan() {
        let a = analyze(&[], &Thresholds::default());
        assert_eq!(a.duration_ms, 0.0);
        assert_eq!(a.idle_share, 0.0);
        assert_eq!(a.classification, Classification::Mixed);
    }

    #[test]
    fn out_of_order_samples_are_put_in_time_order() {
        let mut p = sample_profile();
        // 1100, 1400, then back to 1300: idle 1100–1300, handler 1300–1400,
        // idle 1400–2000.
        p["samples"] = json!([3, 3, 5]);
        p["timeDeltas"] = json!([100, 300, -100]);
        p["endTime"] = json!(2000);
        let a = one(parsed(&p));
        assert_eq!(a.duration_ms, 0.9);
        assert_close(a.idle_share, 800.0 / 900.0);
    }

    #[test]
    fn output_uses_kebab_case_codes() {
        let a = one(parsed(&sample_profile()));
        let value = serde_json::to_value(&a).unwrap();
        assert_eq!(value["classification"], "cpu-bound");
        assert_eq!(value["builtins"][0]["category"], "crypto");
        assert_eq!(value["thresholds"]["io_bound_min_idle"], 0.6);
    }

    #[test]
    fn truncated_profile_names_file_line_and_column() {
        let text = serde_json::to_string_pretty(&sample_profile()).unwrap();
        let cut = &text[..text.len() / 2];
        let err = parse_error(cut);
        let ProfileError::Parse(input) = &err else {
            panic!("{err:?}")
        };
        let last_line = cut.lines().count();
        assert_eq!(input.position.map(|p| p.line), Some(last_line));
        let shown = err.to_string();
        assert!(
            shown.starts_with(&format!("svc.cpuprofile:{last_line}:")),
            "{shown}"
        );
        assert!(shown.ends_with("the file is truncated"), "{shown}");
    }

    #[test]
    fn not_a_profile_is_a_parse_error_with_position() {
        let err = parse_error("{\"nodes\": [],\n \"startTime\": \"soon\"}");
        assert_eq!(
            err.to_string(),
            "svc.cpuprofile:2:20: invalid type: string \"soon\", expected f64"
        );
        let err = parse_error("  \n");
        assert_eq!(
            err.to_string(),
            "svc.cpuprofile: empty file: not a CPU profile"
        );
    }

    #[test]
    fn inconsistent_profiles_are_invalid_and_say_where() {
        let cases: [(&str, Value, &str); 8] = [
            (
                "samples",
                json!([3, 42, 3, 3, 3, 3, 3, 3, 3]),
                "samples[1]: node id 42 is not in \"nodes\"",
            ),
            (
                "timeDeltas",
                json!([100]),
                "\"samples\" has 9 entries but \"timeDeltas\" has 1; each sample needs a delta",
            ),
            (
                "endTime",
                json!(500),
                "endTime (500) is before startTime (1000)",
            ),
            (
                "timeDeltas",
                json!([100, -200, 0, 0, 0, 0, 0, 0, 0]),
                "timeDeltas[1]: negative deltas put this sample at 900, before startTime (1000)",
            ),
            (
                "timeDeltas",
                json!([1e308, 1e308, 0, 0, 0, 0, 0, 0, 0]),
                "timeDeltas[1]: the sample time overflows",
            ),
            (
                "samples",
                json!([]),
                "\"samples\" has 0 entries but \"timeDeltas\" has 9; each sample needs a delta",
            ),
            (
                "timeDeltas",
                json!([4000, 0, 0, 0, 0, 0, 0, 0, 0]),
                "the samples cover no time (the last sample is at 5000, endTime is 5000)",
            ),
            (
                "nodes",
                json!([{ "id": 1, "callFrame": frame("(root)", "", -1), "children": [9] }]),
                "nodes[0].children[0]: node id 9 is not in \"nodes\"",
            ),
        ];
        for (field, value, message) in cases {
            let mut p = sample_profile();
            p[field] = value;
            let err = parse_error(&p.to_string());
            assert!(matches!(err, ProfileError::Invalid(_)), "{err:?}");
            assert_eq!(err.to_string(), format!("svc.cpuprofile: {message}"));
        }

        let mut p = sample_profile();
        p["samples"] = json!([]);
        p["timeDeltas"] = json!([]);
        let err = parse_error(&p.to_string());
        assert_eq!(
            err.to_string(),
            "svc.cpuprofile: no samples: the profile records no time"
        );

        let mut p = sample_profile();
        p["nodes"][1]["id"] = json!(1);
        let err = parse_error(&p.to_string());
        assert_eq!(
            err.to_string(),
            "svc.cpuprofile: nodes[1]: id 1 appears twice"
        );
    }

    #[test]
    fn unreadable_file_is_an_io_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing.cpuprofile");
        let err = load(&path).unwrap_err();
        assert!(matches!(err, ProfileError::Io { .. }));
        assert_eq!(err.path(), path);
        assert!(
            err.to_string()
                .starts_with(&format!("{}: cannot read:", path.display()))
        );
    }

    #[test]
    fn thresholds_deserialize_with_defaults_and_are_checked() {
        let t: Result<Thresholds, _> = serde_json::from_str("{}");
        assert_eq!(t.ok(), Some(Thresholds::default()));
        let t: Result<Thresholds, _> = serde_json::from_str(r#"{"io_bound_min_idle": 0.5}"#);
        assert_eq!(t.ok(), Thresholds::new(0.7, 0.5).ok());
        let t: Result<Thresholds, _> = serde_json::from_str(r#"{"cpu_bound_min_busy": 0.3}"#);
        let err = t.unwrap_err().to_string();
        assert!(err.contains("must exceed 1"), "{err}");
        let t: Result<Thresholds, _> = serde_json::from_str(r#"{"io_bound_min_idle": 1.5}"#);
        let err = t.unwrap_err().to_string();
        assert!(
            err.contains("io_bound_min_idle = 1.5 is not a share"),
            "{err}"
        );
        let t: Result<Thresholds, _> = serde_json::from_str(r#"{"cpu_bound": 0.8}"#);
        assert!(t.is_err());
    }
}
