//! `crabport.toml` at the project root. Every option also has a flag; flags win.

use std::path::{Path, PathBuf};

use crabport_core::{InputError, LineIndex};
use serde::Deserialize;
use toml::Spanned;

use crate::cli::FailOn;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub audit: AuditConfig,
    #[serde(default)]
    pub scan: ScanConfig,
    /// `[[service]]` entries: the services `assess` decides on.
    #[serde(default, rename = "service")]
    pub services: Vec<ServiceConfig>,
    /// The thresholds of `assess`'s rules.
    #[serde(default)]
    pub assess: crabport_decide::Thresholds,
    /// The thresholds of `plan`'s rules.
    #[serde(default)]
    pub plan: crabport_plan::PlanThresholds,
    /// `crabport bench` with no flags.
    pub bench: Option<BenchConfig>,
    /// `crabport parity` with no flags; targets fall back to `[bench]`'s.
    pub parity: Option<ParityConfig>,
    /// `[[extract]]`: functions `crabport extract` moved to a native addon.
    #[serde(default, rename = "extract")]
    pub extracts: Vec<ExtractConfig>,
    /// Where the file was read from, to point errors found after parsing at it.
    #[serde(skip)]
    pub source: Option<ConfigSource>,
}

/// One `[[extract]]`, as `crabport extract` writes it; paths relative to
/// crabport.toml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtractConfig {
    pub function: String,
    pub file: String,
    pub crate_dir: String,
    pub loader: String,
}

#[derive(Debug, Clone)]
pub struct ConfigSource {
    pub path: PathBuf,
    pub text: String,
}

/// `[bench]`: the two targets and the workload. Paths and commands run
/// relative to crabport.toml's directory.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenchConfig {
    pub baseline: Option<String>,
    pub candidate: Option<String>,
    pub requests: Option<String>,
    pub url: Option<String>,
    /// Any HTTP answer here means the target is up [default: /].
    pub ready_path: Option<String>,
    pub ready_timeout: Option<String>,
    pub connections: Option<usize>,
    pub rate: Option<f64>,
    pub rounds: Option<usize>,
    pub duration: Option<String>,
    pub warmup: Option<String>,
    pub noise: Option<f64>,
    pub goal: Option<String>,
    /// Take the goal of this `[[service]]` when `goal` is not set.
    pub service: Option<String>,
    /// Per request: no complete response by then is a `timeout` error.
    pub timeout: Option<String>,
    /// The longest response body accepted (`64MiB`).
    pub max_body: Option<String>,
    /// `[bench.build.baseline]`, `[bench.build.candidate]`: how each target
    /// is built, run before any target starts.
    #[serde(default)]
    pub build: BenchBuildConfig,
}

/// `[parity]`: the targets (else `[bench]`'s), the requests, what is
/// compared and what is ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParityConfig {
    pub baseline: Option<String>,
    pub candidate: Option<String>,
    /// A second baseline for noise [default: the baseline command again].
    pub secondary: Option<String>,
    /// `false`: no second baseline, no noise subtraction.
    pub noise_subtraction: Option<bool>,
    /// Request files (bench TOML, HAR, JSONL recordings), replayed in order.
    pub requests: Option<Spanned<toml::Value>>,
    pub ready_path: Option<String>,
    pub ready_timeout: Option<String>,
    pub timeout: Option<String>,
    pub max_body: Option<String>,
    /// A route passes at or above this share, in percent.
    pub min_parity: Option<Spanned<f64>>,
    /// Response headers compared besides the default set.
    #[serde(default)]
    pub headers: Vec<String>,
    #[serde(default)]
    pub ignore: Vec<Spanned<IgnoreConfig>>,
    #[serde(default)]
    pub unordered: Vec<Spanned<UnorderedConfig>>,
    #[serde(default)]
    pub build: BenchBuildConfig,
}

/// `[[parity.ignore]]`: a body field (`pointer`) or a header, on every
/// route or one.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreConfig {
    pub pointer: Option<String>,
    pub header: Option<String>,
    pub route: Option<String>,
    /// Why, for the people reading the file.
    #[allow(dead_code)] // read by people, not by crabport
    pub reason: Option<String>,
}

/// `[[parity.unordered]]`: an array compared as a set, optionally matched
/// by a key field of its elements.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnorderedConfig {
    pub pointer: String,
    pub key: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenchBuildConfig {
    pub baseline: Option<Spanned<BuildStepConfig>>,
    pub candidate: Option<Spanned<BuildStepConfig>>,
}

/// One target's build step.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildStepConfig {
    /// A shell command, run in crabport.toml's directory.
    pub run: String,
    /// Skip the build while every one of these exists and is newer than
    /// every input.
    #[serde(default)]
    pub outputs: Vec<String>,
    #[serde(default)]
    pub inputs: Vec<String>,
}

/// One `[[service]]`. Paths are relative to crabport.toml.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    pub name: Spanned<String>,
    pub path: Spanned<String>,
    /// One `.cpuprofile` or a list of them.
    pub profile: Option<Spanned<toml::Value>>,
    pub hot_path: Option<bool>,
    /// Free text, or `{ metric = "p99", target = "50ms" }`.
    pub goal: Option<Spanned<toml::Value>>,
    pub sidecar_ok: Option<bool>,
    #[serde(default)]
    pub incidents: Vec<Spanned<IncidentConfig>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentConfig {
    /// `"2026-03-02"` or a bare TOML date.
    pub date: Spanned<toml::Value>,
    pub kind: crabport_decide::IncidentKind,
    #[serde(default)]
    pub summary: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanConfig {
    /// Rule codes to switch off, each with its place for errors.
    #[serde(default)]
    pub disable: Vec<Spanned<String>>,
    /// Per-rule severity: `{ "explicit-any" = "info" }`.
    #[serde(default)]
    pub severity: std::collections::BTreeMap<Spanned<String>, crate::cli::SeverityArg>,
    #[serde(default)]
    pub exclude: Vec<String>,
    pub include_tests: Option<bool>,
    pub fail_on: Option<crate::cli::SeverityArg>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    pub include_dev: Option<bool>,
    pub npm_hints: Option<bool>,
    #[serde(default)]
    pub fail_on: Vec<FailOn>,
    pub stale_after_months: Option<u32>,
    pub cache_ttl: Option<String>,
    pub concurrency: Option<usize>,
    pub timeout: Option<String>,
}

pub const FILE_NAME: &str = "crabport.toml";

/// `crabport bench`'s defaults when neither a flag nor `[bench]` sets them.
pub mod bench_defaults {
    pub const CONNECTIONS: usize = 50;
    pub const ROUNDS: usize = 5;
    pub const ROUND_SECONDS: u64 = 10;
    pub const WARMUP_SECONDS: u64 = 5;
    pub const READY_TIMEOUT_SECONDS: u64 = 60;
    pub const NOISE: f64 = 0.05;
}

pub mod parity_defaults {
    pub const MIN_PARITY_PERCENT: f64 = 100.0;
    /// Bodies are held whole up to this; 64 MiB keeps a 50 MB JSON answer comparable.
    pub const MAX_BODY: u64 = 64 << 20;
    pub const TIMEOUT_SECONDS: u64 = 30;
}

/// A crate whose newest release is older than this is `stale` (`--stale-after`, `[audit] stale_after_months`).
pub const STALE_AFTER_MONTHS: u32 = 24;

impl AuditConfig {
    /// `--stale-after`, else `[audit] stale_after_months`, else the default.
    pub fn stale_after_months(&self, flag: Option<u32>) -> u32 {
        flag.or(self.stale_after_months)
            .unwrap_or(STALE_AFTER_MONTHS)
    }
}

impl Config {
    /// Reads `dir/crabport.toml`; no file means defaults.
    ///
    /// # Errors
    /// An unreadable or malformed file, with line and column.
    pub fn load(dir: &Path) -> Result<Self, InputError> {
        let path = dir.join(FILE_NAME);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(InputError::io(&path, &e)),
        };
        let mut config: Self = toml::from_str(&text).map_err(|e| {
            let position = LineIndex::new(&text).position(e.span().map_or(0, |s| s.start));
            InputError::at(&path, position, e.message().trim())
        })?;
        config.source = Some(ConfigSource { path, text });
        Ok(config)
    }

    /// An error about the value at `span` of the file this config came from.
    pub fn error_at(&self, span: std::ops::Range<usize>, message: impl Into<String>) -> InputError {
        match &self.source {
            Some(source) => InputError::at(
                &source.path,
                LineIndex::new(&source.text).position(span.start),
                message,
            ),
            None => InputError::new(FILE_NAME, message),
        }
    }

    /// An error about `key` of `[table]`, at the key's line when it is
    /// written there (a threshold is validated after parsing, as a whole).
    pub fn error_at_key(
        &self,
        table: &str,
        key: &str,
        message: impl std::fmt::Display,
    ) -> InputError {
        let message = format!("[{table}]: {message}");
        let Some(source) = &self.source else {
            return InputError::new(FILE_NAME, message);
        };
        let mut offset = 0;
        let mut in_table = false;
        for line in source.text.split_inclusive('\n') {
            let trimmed = line.trim_start();
            if trimmed.starts_with('[') {
                in_table =
                    trimmed.trim_end().trim_end_matches(|c: char| c != ']') == format!("[{table}]");
            } else if in_table
                && trimmed
                    .strip_prefix(key)
                    .is_some_and(|rest| rest.trim_start().starts_with('='))
            {
                let at = offset + (line.len() - trimmed.len());
                return self.error_at(at..at, message);
            }
            offset += line.len();
        }
        InputError::new(&source.path, message)
    }

    /// The directory paths in the file are relative to.
    pub fn base_dir(&self) -> Option<&Path> {
        self.source.as_ref().and_then(|s| s.path.parent())
    }
}

impl ServiceConfig {
    /// The profile paths as written, each with the span to blame.
    ///
    /// # Errors
    /// `profile` is neither a string nor a list of strings.
    pub fn profiles(&self, config: &Config) -> Result<Vec<String>, InputError> {
        let Some(profile) = &self.profile else {
            return Ok(Vec::new());
        };
        let invalid = || {
            config.error_at(
                profile.span(),
                "`profile` must be a path or a list of paths",
            )
        };
        match profile.get_ref() {
            toml::Value::String(s) => Ok(vec![s.clone()]),
            toml::Value::Array(items) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned).ok_or_else(invalid))
                .collect(),
            _ => Err(invalid()),
        }
    }
}

impl ServiceConfig {
    /// The goal as declared; a structured goal is validated here, so a bad
    /// metric or target points at its place in the file.
    ///
    /// # Errors
    /// A goal that is neither text nor `{ metric, target }`, or an unknown
    /// metric or a target that does not suit it.
    pub fn goal(&self, config: &Config) -> Result<Option<crabport_decide::GoalSpec>, InputError> {
        let Some(goal) = &self.goal else {
            return Ok(None);
        };
        let invalid = |message: String| config.error_at(goal.span(), message);
        let shape = "`goal` must be text or a table { metric = \"p99\", target = \"50ms\" }";
        match goal.get_ref() {
            toml::Value::String(text) => Ok(Some(crabport_decide::GoalSpec::Text(text.clone()))),
            toml::Value::Table(table) => {
                let field = |key: &str| match table.get(key) {
                    Some(toml::Value::String(s)) => Ok(s.clone()),
                    _ => Err(invalid(format!("{shape}: `{key}` must be a string"))),
                };
                if let Some(extra) = table
                    .keys()
                    .find(|k| !matches!(k.as_str(), "metric" | "target"))
                {
                    return Err(invalid(format!("{shape}: unknown key `{extra}`")));
                }
                let (metric, target) = (field("metric")?, field("target")?);
                crabport_decide::goal::structured(&metric, &target).map_err(&invalid)?;
                Ok(Some(crabport_decide::GoalSpec::Structured {
                    metric,
                    target,
                }))
            }
            _ => Err(invalid(shape.to_owned())),
        }
    }
}

impl IncidentConfig {
    /// # Errors
    /// A date that is not `YYYY-MM-DD`.
    pub fn to_incident(&self, config: &Config) -> Result<crabport_decide::Incident, InputError> {
        let text = match self.date.get_ref() {
            toml::Value::String(s) => s.clone(),
            toml::Value::Datetime(d) => d.to_string(),
            _ => String::new(),
        };
        let date = text.parse::<jiff::civil::Date>().map_err(|_| {
            config.error_at(
                self.date.span(),
                format!("incident date {text:?} is not a date like \"2026-03-02\""),
            )
        })?;
        Ok(crabport_decide::Incident {
            date,
            kind: self.kind,
            summary: self.summary.clone(),
        })
    }
}

/// `30s` → (30, "s"); `None` when it does not start with digits.
fn number_and_unit(text: &str) -> Option<(u64, &str)> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    Some((number.parse().ok()?, unit.trim()))
}

/// `64MiB`, `512KB`, `1GB`, `1048576`: powers of 1024, as in `rss<256MB`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let (n, unit) = number_and_unit(text.trim())
        .ok_or_else(|| format!("{text:?} is not a size like 64MiB, 512KB or 1GB"))?;
    let scale: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => {
            return Err(format!(
                "unknown size unit {other:?} in {text:?} (use B, KiB, MiB or GiB)"
            ));
        }
    };
    n.checked_mul(scale)
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("{text:?} must be between 1 byte and 16 EiB"))
}

/// `90s`, `30m`, `24h`, `7d`, `500ms`.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let (n, unit) = number_and_unit(text)
        .ok_or_else(|| format!("{text:?} is not a duration like 30s, 15m, 24h or 7d"))?;
    let seconds = match unit {
        "ms" => return Ok(std::time::Duration::from_millis(n)),
        "s" | "" => n,
        "m" | "min" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        other => {
            return Err(format!(
                "unknown duration unit {other:?} in {text:?} (use ms, s, m, h or d)"
            ));
        }
    };
    Ok(std::time::Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("24h").unwrap().as_secs(), 86_400);
        assert_eq!(parse_duration("90").unwrap().as_secs(), 90);
        assert_eq!(parse_duration("500ms").unwrap().as_millis(), 500);
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3 weeks").is_err());
    }

    #[test]
    fn bench_build_steps_parse_and_unknown_keys_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join(FILE_NAME),
            "[bench]\nbaseline = \"node dist/server.js\"\n\n[bench.build.baseline]\nrun = \"npm run build\"\noutputs = [\"dist\"]\ninputs = [\"src\"]\n",
        )
        .unwrap();
        let config = Config::load(tmp.path()).unwrap();
        let build = config.bench.unwrap().build.baseline.unwrap();
        assert_eq!(build.get_ref().run, "npm run build");
        assert_eq!(build.get_ref().outputs, ["dist"]);
        std::fs::write(
            tmp.path().join(FILE_NAME),
            "[bench]\nbaseline = \"x\"\n\n[bench.build.baseline]\nrun = \"y\"\noutput = [\"dist\"]\n",
        )
        .unwrap();
        let err = Config::load(tmp.path()).unwrap_err();
        assert_eq!(err.position.map(|p| p.line), Some(6), "{err}");
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size(" 512 kb "), Ok(512 << 10));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        for bad in ["", "MiB", "0", "5 parsecs", "99999999999GB"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn config_errors_are_positioned() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join(FILE_NAME),
            "[audit]\ninclude_dev = true\nfail_on = [\"gaps\"]\n",
        )
        .unwrap();
        let err = Config::load(tmp.path()).unwrap_err();
        assert_eq!(err.position.map(|p| p.line), Some(3), "{err}");
        std::fs::write(
            tmp.path().join(FILE_NAME),
            "[audit]\nstale_after_months = 12\nfail_on = [\"gap\", \"crate-problem\"]\n",
        )
        .unwrap();
        let config = Config::load(tmp.path()).unwrap();
        assert_eq!(config.audit.stale_after_months, Some(12));
        assert_eq!(config.audit.fail_on, [FailOn::Gap, FailOn::CrateProblem]);
    }
}
