//! `crabport audit`: every production npm dependency mapped to a maintained
//! crate (resolved live against the crates.io index) or to a stays-in-Node
//! decision with its reason.

pub mod audit;
pub mod codes;
pub mod index;
pub mod kb;
pub mod kb_check;
mod net;
pub mod npm;
pub mod policy;
pub mod report;

pub use audit::{AuditOptions, audit, crates_to_resolve, index_info, unknown_packages};
pub use report::AuditReport;
