//! `crabport.toml` at the project root. Every option also has a flag; flags win.

use std::path::Path;

use crabport_core::{InputError, LineIndex};
use serde::Deserialize;

use crate::cli::FailOn;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub audit: AuditConfig,
    #[serde(default)]
    pub scan: ScanConfig,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanConfig {
    /// Rule codes to switch off.
    #[serde(default)]
    pub disable: Vec<String>,
    /// Per-rule severity: `{ "explicit-any" = "info" }`.
    #[serde(default)]
    pub severity: std::collections::BTreeMap<String, crate::cli::SeverityArg>,
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
        toml::from_str(&text).map_err(|e| {
            let position = LineIndex::new(&text).position(e.span().map_or(0, |s| s.start));
            InputError::at(&path, position, e.message().trim())
        })
    }
}

/// `90s`, `30m`, `24h`, `7d`, `500ms`.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 30s, 15m, 24h or 7d"))?;
    let seconds = match unit.trim() {
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
