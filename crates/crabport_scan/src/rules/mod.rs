//! Every rule, one file each. Registering a rule is one line in a registry.

pub mod aliased_closure_mutation;
pub mod shared_module_state;

mod group_async_promises;
mod group_dynamic_features;
mod group_ownership;
mod group_types_and_errors;

use crate::rule::Rule;

/// The first rules; the groups below add theirs.
static CORE: &[&dyn Rule] = &[
    &shared_module_state::SharedModuleState,
    &aliased_closure_mutation::AliasedClosureMutation,
];

/// Every rule, in a stable order.
pub fn all() -> impl Iterator<Item = &'static dyn Rule> {
    CORE.iter()
        .chain(group_ownership::RULES)
        .chain(group_async_promises::RULES)
        .chain(group_dynamic_features::RULES)
        .chain(group_types_and_errors::RULES)
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

/// `text` on one line (whitespace runs become one space), cut to `max`
/// characters with an ellipsis. Reads only as far as it shows: arguments can
/// be whole function bodies.
pub(crate) fn short(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut count = 0;
    for word in text.split_whitespace() {
        if count > 0 {
            if count == max {
                out.push('…');
                return out;
            }
            out.push(' ');
            count += 1;
        }
        for c in word.chars() {
            if count == max {
                out.push('…');
                return out;
            }
            out.push(c);
            count += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{closest, short};

    #[test]
    fn closest_suggests_near_misses_only() {
        assert_eq!(closest("explict-any"), Some("explicit-any"));
        assert_eq!(closest("floating_promise"), Some("floating-promise"));
        assert_eq!(closest("no-such-rule"), None);
    }

    #[test]
    fn short_flattens_and_cuts() {
        assert_eq!(short("a  b\n c", 10), "a b c");
        assert_eq!(short("abcdef", 3), "abc…");
        assert_eq!(short("ab cd", 2), "ab…");
        assert_eq!(short("ab cd", 5), "ab cd");
        assert_eq!(short("", 5), "");
    }
}
