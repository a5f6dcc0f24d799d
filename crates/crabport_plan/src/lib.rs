//! The strangler-fig plan: which route moves to Rust first, and why.
//!
//! [`plan::plan`] places routes in waves from their evidence (pure);
//! [`table`] reads and writes `crabport.routes.toml`, the committed route
//! table, and tells where the code has drifted from it; [`emit`] turns the
//! table into nginx, Envoy or Traefik configuration.

pub mod emit;
pub mod plan;
pub mod table;

pub use plan::{Plan, PlanInput, PlanThresholds, plan};
pub use table::{RouteTable, State};

/// Σ severity weights per 1,000 lines: the ownership friction of assess
/// (per service) and plan (per route and wave).
pub fn friction(weight: u32, lines: usize) -> f64 {
    if lines == 0 {
        0.0
    } else {
        f64::from(weight) * 1000.0 / lines as f64
    }
}
