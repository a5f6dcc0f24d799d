//! Every rule, one file each. Registering a rule is one line in [`ALL`].

pub mod aliased_closure_mutation;
pub mod shared_module_state;

use crate::rule::Rule;

pub static ALL: &[&dyn Rule] = &[
    &shared_module_state::SharedModuleState,
    &aliased_closure_mutation::AliasedClosureMutation,
];

/// The rule with this code.
pub fn find(code: &str) -> Option<&'static dyn Rule> {
    ALL.iter().copied().find(|r| r.code() == code)
}
