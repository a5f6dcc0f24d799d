//! crabport_routes integration tests: one binary.

mod frameworks;
mod oracle;
