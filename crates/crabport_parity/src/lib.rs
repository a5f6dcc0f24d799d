//! `crabport parity`: the same requests, in the same order, to the Node
//! service (baseline), a second baseline instance (secondary) and its port
//! (candidate); the answers compared as a JavaScript client reads them; what
//! differs between the two baselines is noise and does not count against
//! the candidate.
//!
//! - [`exchange`]: a request to replay and what a target answered.
//! - [`compare`]: two answers → their differences, each of a named kind.

pub mod compare;
pub mod exchange;
pub mod replay;
