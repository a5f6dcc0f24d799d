//! Rules of this group; merged into [`super::ALL`] by [`super::all`].

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[];
