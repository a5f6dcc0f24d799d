//! Async: promises that the port must await, spawn or drop on purpose.

pub mod floating_promise;
pub mod project_index;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[&floating_promise::FloatingPromise];
