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

/// FNV-1a (64 bits) of `bytes` as 16 hex digits: a fingerprint that stays
/// the same across platforms and Rust versions, to tell when a file changed.
pub fn fingerprint(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}
