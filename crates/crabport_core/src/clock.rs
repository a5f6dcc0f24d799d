//! The one place crabport asks for the current time.
//!
//! `CRABPORT_NOW` (RFC 3339) pins it, so a report built from a recorded
//! registry cache is reproducible byte for byte.

use jiff::Timestamp;

pub const NOW_ENV: &str = "CRABPORT_NOW";

/// The current time, or `CRABPORT_NOW` when it is set.
///
/// # Errors
/// When `CRABPORT_NOW` is set but is not an RFC 3339 timestamp.
pub fn now() -> Result<Timestamp, String> {
    match std::env::var(NOW_ENV) {
        Ok(value) => value
            .parse()
            .map_err(|e| format!("{NOW_ENV}={value:?} is not an RFC 3339 timestamp: {e}")),
        Err(_) => Ok(Timestamp::now()),
    }
}
