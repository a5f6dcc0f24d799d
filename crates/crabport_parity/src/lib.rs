//! `crabport parity`: the same requests, in the same order, to the Node
//! service (baseline), a second baseline instance (secondary) and its port
//! (candidate); the answers compared as a JavaScript client reads them; what
//! differs between the two baselines is noise and does not count against
//! the candidate.
//!
//! - [`source`]: request files (bench TOML, HAR, crabport's JSONL record) → requests.
//! - [`route`]: a request → its route, from `crabport.routes.toml` or inferred.
//! - [`exchange`]: a request to replay and what a target answered.
//! - [`replay`]: one keep-alive connection per target, requests in order.
//! - [`compare`]: two answers → their differences, each of a named kind.
//! - [`analysis`]: differences → noise, groups, per-route tallies.
//! - [`run`]: targets started, requests replayed in lockstep, always stopped.
//! - [`report`]: the result, as `--format json` writes it.

pub mod analysis;
pub mod compare;
pub mod exchange;
pub mod replay;
pub mod report;
pub mod route;
pub mod run;
pub mod source;
