//! `crabport proxy --promote`: a canary route's share of Rust traffic goes
//! up one step at a time, and only while the evidence of the last step
//! holds: enough shadow comparisons, shadow parity at or above the bar,
//! Rust's failures (no connection, timeout, 5xx) at or under the bar. A
//! step that misses a bar holds the route where it is for the rest of the
//! run, with the reason; nothing is ever raised on missing evidence.
//!
//! No I/O here: [`Promoter::tick`] reads the proxy's counters and says what
//! to do; the caller writes the route table and reloads the routing.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::RouteStats;

/// The bars a step must clear.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Shares to move through, ascending, each 1–100; 100 cuts the route
    /// over to Rust.
    pub steps: Vec<u8>,
    /// Time at a step before it is judged.
    pub interval: Duration,
    /// Shadow comparisons (compared + failed) a step needs to be judged.
    pub min_compared: u64,
    /// Shadow parity a step needs, 0–1.
    pub min_parity: f64,
    /// Rust failures per Rust request a step may have, 0–1.
    pub max_error_rate: f64,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            steps: vec![1, 5, 10, 25, 50, 100],
            interval: Duration::from_secs(300),
            min_compared: 100,
            min_parity: 1.0,
            max_error_rate: 0.01,
        }
    }
}

/// What the counters of one step added up to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Window {
    /// Shadow copies compared or failed during the step.
    pub compared: u64,
    /// Of those, identical or differing only by noise.
    pub agreeing: u64,
    pub rust_requests: u64,
    pub rust_failed: u64,
    /// `agreeing / compared`; `None` without comparisons.
    pub parity: Option<f64>,
    /// `rust_failed / rust_requests`; `None` without Rust requests.
    pub error_rate: Option<f64>,
}

impl Window {
    fn between(start: &Counters, now: &Counters) -> Self {
        let compared = now.compared.saturating_sub(start.compared);
        let agreeing = now.agreeing.saturating_sub(start.agreeing);
        let rust_requests = now.rust_requests.saturating_sub(start.rust_requests);
        let rust_failed = now.rust_failed.saturating_sub(start.rust_failed);
        #[allow(clippy::cast_precision_loss)] // counts far below 2^52
        let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
        Self {
            compared,
            agreeing,
            rust_requests,
            rust_failed,
            parity: ratio(agreeing, compared),
            error_rate: ratio(rust_failed, rust_requests),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// The share went up (`to` = 100: the route is now served by Rust).
    Raise,
    /// The step missed a bar; the share stays at `from` for this run.
    Hold,
}

/// One decision, as the summary lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub route: String,
    pub action: Action,
    pub from: u8,
    pub to: u8,
    /// Seconds since the proxy started.
    pub after_s: f64,
    pub window: Window,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, Default)]
struct Counters {
    compared: u64,
    agreeing: u64,
    rust_requests: u64,
    rust_failed: u64,
}

impl Counters {
    fn of(stats: &RouteStats) -> Self {
        let sh = &stats.shadow;
        Self {
            compared: sh.compared + sh.failed,
            agreeing: sh.identical + sh.noise,
            rust_requests: stats.rust_attempts,
            rust_failed: stats.rust_failed,
        }
    }
}

struct Track {
    percent: u8,
    since: Instant,
    start: Counters,
    held: bool,
}

impl Track {
    /// A step at `percent` from `now`, judged on what comes after `start`.
    fn new(percent: u8, now: Instant, start: Counters) -> Self {
        Self {
            percent,
            since: now,
            start,
            held: false,
        }
    }
}

/// Follows every canary route of the running proxy.
pub struct Promoter {
    policy: Policy,
    started: Instant,
    tracks: HashMap<String, Track>,
}

impl Promoter {
    pub fn new(policy: Policy, started: Instant) -> Self {
        Self {
            policy,
            started,
            tracks: HashMap::new(),
        }
    }

    /// `canaries`: each canary route of the table in force with its share.
    /// A route whose share changed by other hands (an edited table) starts
    /// a new step; one that is no longer a canary is forgotten.
    pub fn tick(
        &mut self,
        now: Instant,
        canaries: &[(String, u8)],
        stats: &[RouteStats],
    ) -> Vec<Event> {
        self.tracks
            .retain(|route, _| canaries.iter().any(|(r, _)| r == route));
        let counters = |route: &str| {
            stats
                .iter()
                .find(|s| s.route == route)
                .map(Counters::of)
                .unwrap_or_default()
        };
        let mut events = Vec::new();
        for (route, percent) in canaries {
            let track = self
                .tracks
                .entry(route.clone())
                .or_insert_with(|| Track::new(*percent, now, counters(route)));
            if track.percent != *percent {
                *track = Track {
                    held: track.held,
                    ..Track::new(*percent, now, counters(route))
                };
            }
            if track.held || now.duration_since(track.since) < self.policy.interval {
                continue;
            }
            let window = Window::between(&track.start, &counters(route));
            if window.compared < self.policy.min_compared {
                // Not judged yet: the step goes on until it has the evidence.
                continue;
            }
            let Some(next) = self.policy.steps.iter().copied().find(|s| s > percent) else {
                continue;
            };
            let event = |action, to, reason| Event {
                route: route.clone(),
                action,
                from: *percent,
                to,
                after_s: now.duration_since(self.started).as_secs_f64(),
                window,
                reason,
            };
            let parity = window.parity.unwrap_or(0.0);
            let errors = window.error_rate.unwrap_or(0.0);
            if parity < self.policy.min_parity {
                track.held = true;
                events.push(event(
                    Action::Hold,
                    *percent,
                    format!(
                        "shadow parity {} under {}: {} of {} copies differed or failed",
                        percent_text(parity),
                        percent_text(self.policy.min_parity),
                        window.compared - window.agreeing,
                        window.compared
                    ),
                ));
            } else if errors > self.policy.max_error_rate {
                track.held = true;
                events.push(event(
                    Action::Hold,
                    *percent,
                    format!(
                        "Rust failed {} of {} requests ({}), over {}",
                        window.rust_failed,
                        window.rust_requests,
                        percent_text(errors),
                        percent_text(self.policy.max_error_rate)
                    ),
                ));
            } else if window.rust_requests == 0 {
                // Parity alone does not say Rust can serve: wait for traffic.
                continue;
            } else {
                events.push(event(
                    Action::Raise,
                    next,
                    format!(
                        "shadow parity {} over {} copies, Rust failed {} of {}",
                        percent_text(parity),
                        window.compared,
                        window.rust_failed,
                        window.rust_requests
                    ),
                ));
                *track = Track::new(next, now, counters(route));
            }
        }
        events
    }
}

fn percent_text(ratio: f64) -> String {
    let p = ratio * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(
        route: &str,
        compared: u64,
        identical: u64,
        rust_attempts: u64,
        rust_failed: u64,
    ) -> RouteStats {
        let mut s = RouteStats {
            route: route.to_owned(),
            rust_attempts,
            rust_failed,
            ..RouteStats::default()
        };
        s.shadow.compared = compared;
        s.shadow.identical = identical;
        s
    }

    fn policy() -> Policy {
        Policy {
            steps: vec![10, 50, 100],
            interval: Duration::from_secs(10),
            min_compared: 20,
            min_parity: 1.0,
            max_error_rate: 0.05,
        }
    }

    const ROUTE: &str = "GET /reports/:id";

    #[test]
    fn a_step_is_raised_after_its_interval_with_enough_agreeing_copies() {
        let t0 = Instant::now();
        let mut p = Promoter::new(policy(), t0);
        let canary = [(ROUTE.to_owned(), 10)];
        assert!(p.tick(t0, &canary, &[stats(ROUTE, 5, 5, 2, 0)]).is_empty());
        // Enough copies, but the step is not over.
        let early = t0 + Duration::from_secs(9);
        assert!(
            p.tick(early, &canary, &[stats(ROUTE, 40, 40, 10, 0)])
                .is_empty()
        );
        let due = t0 + Duration::from_secs(10);
        let events = p.tick(due, &canary, &[stats(ROUTE, 40, 40, 10, 0)]);
        assert_eq!(events.len(), 1, "{events:?}");
        let e = &events[0];
        assert_eq!((e.action, e.from, e.to), (Action::Raise, 10, 50));
        // Counted from the start of the step, not from zero.
        assert_eq!((e.window.compared, e.window.rust_requests), (35, 8));
        assert_eq!(e.window.parity, Some(1.0));
        // The next step starts now, from these counters.
        let canary = [(ROUTE.to_owned(), 50)];
        let later = due + Duration::from_secs(10);
        assert!(
            p.tick(later, &canary, &[stats(ROUTE, 50, 50, 12, 0)])
                .is_empty()
        );
        let events = p.tick(later, &canary, &[stats(ROUTE, 60, 60, 20, 0)]);
        assert_eq!((events[0].from, events[0].to), (50, 100));
    }

    #[test]
    fn one_difference_holds_the_route_for_the_rest_of_the_run() {
        let t0 = Instant::now();
        let mut p = Promoter::new(policy(), t0);
        let canary = [(ROUTE.to_owned(), 10)];
        p.tick(t0, &canary, &[stats(ROUTE, 0, 0, 0, 0)]);
        let due = t0 + Duration::from_secs(10);
        let events = p.tick(due, &canary, &[stats(ROUTE, 30, 29, 10, 0)]);
        assert_eq!((events[0].action, events[0].to), (Action::Hold, 10));
        assert!(
            events[0]
                .reason
                .contains("shadow parity 96.7% under 100%: 1 of 30"),
            "{}",
            events[0].reason
        );
        let much_later = due + Duration::from_secs(100);
        assert!(
            p.tick(much_later, &canary, &[stats(ROUTE, 300, 299, 100, 0)])
                .is_empty()
        );
    }

    #[test]
    fn rust_failures_over_the_bar_hold_and_missing_evidence_waits() {
        let t0 = Instant::now();
        let mut p = Promoter::new(policy(), t0);
        let canary = [(ROUTE.to_owned(), 10)];
        p.tick(t0, &canary, &[stats(ROUTE, 0, 0, 0, 0)]);
        let due = t0 + Duration::from_secs(10);
        // Too few copies: no decision, however long it takes.
        assert!(
            p.tick(due, &canary, &[stats(ROUTE, 19, 19, 100, 50)])
                .is_empty()
        );
        let events = p.tick(due, &canary, &[stats(ROUTE, 20, 20, 100, 6)]);
        assert_eq!(events[0].action, Action::Hold);
        assert!(
            events[0]
                .reason
                .contains("Rust failed 6 of 100 requests (6%), over 5%"),
            "{}",
            events[0].reason
        );
    }

    #[test]
    fn a_share_edited_by_hand_starts_a_new_step() {
        let t0 = Instant::now();
        let mut p = Promoter::new(policy(), t0);
        p.tick(t0, &[(ROUTE.to_owned(), 10)], &[stats(ROUTE, 0, 0, 0, 0)]);
        let edited = t0 + Duration::from_secs(8);
        let canary = [(ROUTE.to_owned(), 50)];
        assert!(
            p.tick(edited, &canary, &[stats(ROUTE, 30, 30, 10, 0)])
                .is_empty()
        );
        // Ten seconds after the edit, judged on what came after it.
        let due = edited + Duration::from_secs(10);
        let events = p.tick(due, &canary, &[stats(ROUTE, 60, 60, 30, 0)]);
        assert_eq!((events[0].from, events[0].to), (50, 100));
        assert_eq!(events[0].window.compared, 30);
    }
}
