//! Correctness signals: commit messages that mention the bug classes a port
//! from JavaScript to Rust tends to surface (or fix for free).

use serde::Serialize;

/// A class of correctness bug named in a commit message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignalKind {
    /// "rounding", "round-off" (not "rounded": on outline that was UI work,
    /// "rounded corners").
    Rounding,
    /// "NaN" as a word (also `isNaN`), never "nano…".
    Nan,
    /// "null" or "undefined" as words (not "nullable").
    NullUndefined,
    /// "cannot read property" / "cannot read properties" (the V8 TypeError).
    CannotReadProperty,
    /// "precision", "floating point" / "floating-point".
    Precision,
}

impl SignalKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::Rounding => "rounding",
            Self::Nan => "nan",
            Self::NullUndefined => "null-undefined",
            Self::CannotReadProperty => "cannot-read-property",
            Self::Precision => "precision",
        }
    }
}

/// Each phrase is a sequence of lowercase words that must appear adjacently.
///
/// Words are runs of letters and digits, so "round-off" and "round off" are
/// the same phrase while "roundtrip", "nanoseconds" and "nullable" are single
/// words that match nothing. "round trip" does not match either: a round trip
/// is a serialisation property, not a numeric one.
const PHRASES: &[(SignalKind, &[&str])] = &[
    (SignalKind::Rounding, &["rounding"]),
    (SignalKind::Rounding, &["round", "off"]),
    (SignalKind::Rounding, &["roundoff"]),
    (SignalKind::Nan, &["nan"]),
    // `isNaN` / `Number.isNaN` is one word, but it names the same bug.
    (SignalKind::Nan, &["isnan"]),
    (SignalKind::NullUndefined, &["null"]),
    (SignalKind::NullUndefined, &["undefined"]),
    (
        SignalKind::CannotReadProperty,
        &["cannot", "read", "property"],
    ),
    (
        SignalKind::CannotReadProperty,
        &["cannot", "read", "properties"],
    ),
    (SignalKind::Precision, &["precision"]),
    (SignalKind::Precision, &["floating", "point"]),
];

/// The signal kinds `message` mentions, sorted and without duplicates.
#[cfg_attr(not(feature = "git"), allow(dead_code))]
pub(crate) fn classify(message: &str) -> Vec<SignalKind> {
    let lower = message.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mut kinds: Vec<SignalKind> = PHRASES
        .iter()
        .filter(|(_, phrase)| words.windows(phrase.len()).any(|w| w == *phrase))
        .map(|(kind, _)| *kind)
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    kinds
}

#[cfg(test)]
mod tests {
    use super::{SignalKind::*, classify};

    #[test]
    fn words_match_on_boundaries_case_insensitively() {
        assert_eq!(classify("Fix NaN in totals"), vec![Nan]);
        assert_eq!(classify("guard with Number.isNaN()"), vec![Nan]);
        assert_eq!(classify("use nanoseconds; Nancy's banana"), vec![]);
        assert_eq!(classify("fix ROUNDING of cents"), vec![Rounding]);
        assert_eq!(classify("round-off error"), vec![Rounding]);
        assert_eq!(classify("JSON roundtrip test; round trip"), vec![]);
        assert_eq!(classify("Rounded corners on cards"), vec![]);
        assert_eq!(classify("value was null"), vec![NullUndefined]);
        assert_eq!(classify("make field nullable"), vec![]);
        assert_eq!(
            classify("floating-point sums lose precision"),
            vec![Precision]
        );
    }

    #[test]
    fn a_message_can_carry_several_kinds() {
        assert_eq!(
            classify("TypeError: Cannot read properties of undefined (reading 'x')"),
            vec![NullUndefined, CannotReadProperty]
        );
    }
}
