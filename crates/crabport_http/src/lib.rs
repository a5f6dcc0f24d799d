//! `crabport bench`: drive HTTP load at services, watch their processes,
//! and compare them with honest statistics.
//!
//! - [`build`]: the targets' build steps, skipped while they are fresh.
//! - [`request`]: the workload (a request file or one URL), weighted routes.
//! - [`load`]: the load generator (closed and open loop, HdrHistogram).
//! - [`process`]: targets started by crabport, their readiness, CPU and RSS
//!   of the whole process tree, and their certain end.
//! - [`targets`]: the services talked to, started from a command or found
//!   at a URL, the same for bench and parity.
//! - [`stats`]: medians and bootstrap confidence intervals of ratios.

pub mod bench;
pub mod build;
pub mod goal;
pub mod load;
pub mod process;
pub mod report;
pub mod request;
pub mod stats;
pub mod targets;
