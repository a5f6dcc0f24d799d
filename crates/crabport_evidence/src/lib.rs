//! Evidence that `crabport assess` weighs: where a service spends its CPU
//! time (`profile`) and how its code changes over time (`history`).

pub mod history;
pub mod profile;
