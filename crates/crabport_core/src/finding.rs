//! Findings: what `crabport scan` reports. Data, never errors.

use serde::Serialize;

/// How much a finding matters for a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Worth knowing; counts toward density figures.
    Info,
    /// Needs a design decision in the port.
    Warning,
    /// Will not compile as transliterated; must be redesigned.
    Error,
}

impl Severity {
    pub fn code(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }

    /// Weight in the ownership-friction figure.
    pub fn weight(self) -> u32 {
        match self {
            Self::Info => 1,
            Self::Warning => 3,
            Self::Error => 5,
        }
    }
}

/// How sure the rule is that the pattern is what it looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

/// One finding, positioned in a file (1-based lines and columns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub confidence: Confidence,
    /// Relative to the scanned root, `/`-separated.
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub message: String,
    pub help: String,
    /// The source line the finding starts on (for code frames; untrusted text).
    pub snippet: String,
}

impl Finding {
    /// The same finding at another severity: the one way a rule reports a
    /// finding at other than its default severity.
    #[must_use]
    pub fn with_severity(self, severity: Severity) -> Self {
        Self { severity, ..self }
    }
}
