//! The strangler-fig plan: which route moves to Rust first, and why.

pub mod emit;
