//! `crabport extract`: one hot function of a Node service → a napi-rs addon
//! crate whose binding is derived from the function's TypeScript types, and
//! a loader beside the original that uses the addon when it is built and
//! falls back to the JavaScript otherwise (or with `CRABPORT_NATIVE=0`).
//!
//! [`signature::derive`] reads the types (oxc) and names every construct it
//! cannot convert; [`generate`] writes the crate and the loader as text.

pub mod generate;
pub mod signature;
