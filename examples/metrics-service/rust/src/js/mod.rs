//! The JavaScript semantics the Node service's HTTP behaviour depends on:
//! strings that may hold lone surrogates, `JSON.parse` with V8's errors,
//! `JSON.stringify`'s escaping, and `ToNumber`.

pub mod json;
pub mod number;
pub mod string;
