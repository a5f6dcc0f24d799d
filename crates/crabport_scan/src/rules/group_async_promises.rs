//! Rules of this group; merged into [`super::ALL`] by [`super::all`].

pub mod floating_promise;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[&floating_promise::FloatingPromise];
