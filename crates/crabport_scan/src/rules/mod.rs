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
