//! Types shared by every crabport stage.
//!
//! Data flows one way — discover → evidence → decide → render — and each
//! stage speaks in the plain types defined here or in its own crate.

pub mod clock;
pub mod code_doc;
pub mod escape;
pub mod finding;
pub mod input;
pub mod testing;

pub use code_doc::CodeDoc;
pub use input::{InputError, LineIndex, Position};
