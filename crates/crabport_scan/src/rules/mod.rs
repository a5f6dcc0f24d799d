//! Every rule, one file each. Registering a rule is one line in a registry.

pub mod r#async;
pub mod dynamic_features;
pub mod ownership;
pub mod types_and_errors;

pub(crate) mod support;

use crate::rule::Rule;

/// Every rule, in a stable order: group by group.
pub fn all() -> impl Iterator<Item = &'static dyn Rule> {
    ownership::RULES
        .iter()
        .chain(r#async::RULES)
        .chain(dynamic_features::RULES)
        .chain(types_and_errors::RULES)
        .copied()
}

/// The rule with this code.
pub fn find(code: &str) -> Option<&'static dyn Rule> {
    all().find(|r| r.code() == code)
}

/// The rule code closest to a misspelt `name`, for "did you mean".
pub fn closest(name: &str) -> Option<&'static str> {
    closest_of(name, all().map(|r| r.code()))
}

/// The candidate closest to `name`, if any is close enough to suggest.
pub fn closest_of(
    name: &str,
    candidates: impl Iterator<Item = &'static str>,
) -> Option<&'static str> {
    candidates
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn closest_suggests_near_misses_only() {
        assert_eq!(closest("explict-any"), Some("explicit-any"));
        assert_eq!(closest("floating_promise"), Some("floating-promise"));
        assert_eq!(closest("no-such-rule"), None);
    }
}
