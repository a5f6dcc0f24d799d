//! crabport_routes integration tests: one binary.

mod oracle;
