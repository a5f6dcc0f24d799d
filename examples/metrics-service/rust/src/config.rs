//! `config.ts`: settings from the environment, after a `.env` file is read.

use std::env;

use anyhow::{Context as _, bail};
use tracing::level_filters::LevelFilter;

use crate::js::number::string_to_number;

#[derive(Clone, Debug)]
pub struct Config {
    pub port: u16,
    pub log_level: LevelFilter,
    pub database_url: Option<String>,
    pub sendgrid_api_key: Option<String>,
    pub alert_from: String,
    pub webhook_url: Option<String>,
    /// Rust-only: where SendGrid's v3 API lives (tests point it at a local listener).
    pub sendgrid_api_url: String,
}

impl Config {
    /// Reads `./.env` (as `import "dotenv/config"` does: that one file, and
    /// variables already set win), then the environment. `port` from `--port`
    /// overrides `PORT`.
    pub fn load(port: Option<u16>) -> anyhow::Result<Self> {
        // `dotenvy::dotenv()` would also search parent directories; dotenv does not.
        if let Err(err) = dotenvy::from_path(".env")
            && !err.not_found()
        {
            return Err(err).context("reading .env");
        }
        let port = match port {
            Some(port) => port,
            None => parse_port(env::var("PORT").ok().as_deref())?,
        };
        let log_level = parse_log_level(env::var("LOG_LEVEL").ok().as_deref().unwrap_or("warn"))?;
        Ok(Self {
            port,
            log_level,
            database_url: optional("DATABASE_URL"),
            sendgrid_api_key: optional("SENDGRID_API_KEY"),
            alert_from: env::var("ALERT_FROM").unwrap_or_else(|_| "alerts@example.com".to_owned()),
            webhook_url: optional("WEBHOOK_URL"),
            sendgrid_api_url: optional("SENDGRID_API_URL")
                .unwrap_or_else(|| "https://api.sendgrid.com".to_owned()),
        })
    }
}

/// `optional(name)`: unset and empty are both "not configured".
fn optional(name: &str) -> Option<String> {
    env::var(name).ok().filter(|v| !v.is_empty())
}

/// `Number(process.env.PORT ?? 3000)`, then what `server.listen` accepts:
/// an integer from 0 to 65535 (`PORT=""` is 0, an ephemeral port, as in Node).
fn parse_port(value: Option<&str>) -> anyhow::Result<u16> {
    let Some(value) = value else {
        return Ok(3000);
    };
    let n = string_to_number(value);
    if n.fract() != 0.0 || !(0.0..=65535.0).contains(&n) {
        bail!("PORT must be an integer from 0 to 65535, got {value:?}");
    }
    // Checked above: an integer in u16's range.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(n as u16)
}

/// pino's levels; `fatal` has no tracing counterpart and maps to `error`.
fn parse_log_level(value: &str) -> anyhow::Result<LevelFilter> {
    Ok(match value {
        "trace" => LevelFilter::TRACE,
        "debug" => LevelFilter::DEBUG,
        "info" => LevelFilter::INFO,
        "warn" => LevelFilter::WARN,
        "error" | "fatal" => LevelFilter::ERROR,
        "silent" => LevelFilter::OFF,
        other => bail!("unknown level {other}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_like_number_and_listen() {
        assert_eq!(parse_port(None).unwrap(), 3000);
        assert_eq!(parse_port(Some("3001")).unwrap(), 3001);
        assert_eq!(parse_port(Some(" 8080 ")).unwrap(), 8080);
        assert_eq!(parse_port(Some("")).unwrap(), 0);
        assert_eq!(parse_port(Some("0x1F90")).unwrap(), 8080);
        assert!(parse_port(Some("abc")).is_err());
        assert!(parse_port(Some("65536")).is_err());
        assert!(parse_port(Some("30.5")).is_err());
    }

    #[test]
    fn log_levels_are_pinos() {
        assert_eq!(parse_log_level("warn").unwrap(), LevelFilter::WARN);
        assert_eq!(parse_log_level("silent").unwrap(), LevelFilter::OFF);
        assert!(parse_log_level("verbose").is_err());
    }
}
