//! `metrics.ts`: the migration guide's request counter and events log, shared by every request.
//!
//! # The state design
//!
//! Node keeps `counts` and `events` at module scope and mutates them from any
//! handler; one thread runs every handler, so nothing is synchronised. This
//! service runs handlers on all tokio worker threads at once, so the sharing
//! must be explicit: one [`Metrics`] inside the `Arc<App>` that every handler
//! gets (the guide's `Arc`), with each half synchronised in the cheapest way
//! that keeps Node's behaviour.
//!
//! * **Counts: a fixed array of `AtomicU64`, one per [`Route`].** `recordHit`
//!   is only ever called with an express route path (`req.route.path`), so
//!   the keys are a closed set known at compile time. A hit is one relaxed
//!   `fetch_add`: no lock, no hashing, no `String` per request (the guide's
//!   `entry(route.to_string())` allocates on every call). A
//!   `Mutex<HashMap<String, u64>>` would make every request — GET /users is
//!   the hot path of the load test — queue on one lock; a `DashMap` would
//!   still hash, and shard locks over seven keys. A count of zero means the
//!   route was never hit, which is exactly when Node's object lacks the key.
//! * **Events: `Mutex<Vec<u8>>` holding the log already serialised**
//!   (`"info","warn","info: hi"`). The log is an ordered sequence that appends
//!   and snapshots both see whole, so a lock is the honest structure; what
//!   matters is how long it is held. An append holds it for one escaped copy
//!   of the message; a snapshot for one `memcpy` of the log — no `String` per
//!   event to clone, no JSON encoding of old events, ever. Nothing awaits
//!   while holding it, so std's (futex) `Mutex` rather than tokio's.
//! * **Consistency.** A snapshot locks the events first and reads the counters
//!   while holding the lock. POST /events counts its hit before it appends, so
//!   every event a snapshot shows has its hit counted: the invariant
//!   (`counts["/events"]` ≥ events from POST /events) that Node gets from
//!   running one handler at a time.
//!
//! Like Node's `events` array, the log grows without bound (every POST /events
//! adds to it until the process exits). The port keeps that for parity; a real
//! service would cap it (a ring buffer) or not keep it in memory at all.

use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::js::string::{JsStr, write_json_escaped, write_json_string};
use crate::validate::event::Level;

/// The express routes that `counted` records, in the order `/snapshot` lists them
/// (`_.sortBy` on the path).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Alerts,
    Events,
    Health,
    Orders,
    Report,
    Snapshot,
    Users,
}

impl Route {
    pub const ALL: [Route; 7] = [
        Route::Alerts,
        Route::Events,
        Route::Health,
        Route::Orders,
        Route::Report,
        Route::Snapshot,
        Route::Users,
    ];

    /// `req.route.path`.
    pub fn path(self) -> &'static str {
        match self {
            Route::Alerts => "/alerts",
            Route::Events => "/events",
            Route::Health => "/health",
            Route::Orders => "/orders",
            Route::Report => "/report",
            Route::Snapshot => "/snapshot",
            Route::Users => "/users",
        }
    }
}

pub struct Metrics {
    counts: [AtomicU64; Route::ALL.len()],
    /// The events as JSON string literals joined by commas, ready to go between `[` and `]`.
    events: Mutex<Vec<u8>>,
}

impl Metrics {
    /// A fresh counter, with the guide's two module-load events already logged:
    /// `logInfo(); logWarn();` pushed `"info"` and `"warn"` when `metrics.ts` was imported.
    pub fn new() -> Self {
        let metrics = Self {
            counts: Default::default(),
            events: Mutex::new(Vec::with_capacity(4096)),
        };
        // The guide's first fix for its E0499: one parameterised logger instead
        // of two closures that both capture the log mutably.
        let log = |entry: &str| metrics.append(|json| write_json_string(json, entry.as_bytes()));
        log("info");
        log("warn");
        metrics
    }

    /// `recordHit(req.route.path)`.
    pub fn record_hit(&self, route: Route) {
        self.counts[route as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// `logEvent(level, message)`: appends `"<level>: <message>"`.
    pub fn log_event(&self, level: Level, message: &JsStr) {
        self.append(|json| {
            json.push(b'"');
            json.extend_from_slice(level.as_str().as_bytes());
            json.extend_from_slice(b": ");
            write_json_escaped(json, message.as_wtf8());
            json.push(b'"');
        });
    }

    fn append(&self, write: impl FnOnce(&mut Vec<u8>)) {
        let mut events = self.lock_events();
        if !events.is_empty() {
            events.push(b',');
        }
        write(&mut events);
    }

    fn lock_events(&self) -> MutexGuard<'_, Vec<u8>> {
        // Nothing can panic between a push and its unlock that would leave the
        // log half-written, so a poisoned lock still guards a whole log.
        self.events.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The body of GET /snapshot: `{"counts":{…sorted by route…},"events":[…]}`.
    /// GET /report stores the same document.
    pub fn snapshot_json(&self) -> Vec<u8> {
        let events = self.lock_events();
        let counts = self.counts.each_ref().map(|c| c.load(Ordering::Relaxed));
        let mut out = Vec::with_capacity(events.len() + 160);
        out.extend_from_slice(b"{\"counts\":{");
        let mut first = true;
        for (route, count) in Route::ALL.iter().zip(counts) {
            if count == 0 {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            // Writing to a Vec cannot fail.
            let _ = write!(out, "\"{}\":{count}", route.path());
        }
        out.extend_from_slice(b"},\"events\":[");
        out.extend_from_slice(&events);
        drop(events);
        out.extend_from_slice(b"]}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_with_the_module_load_events_and_no_counts() {
        let metrics = Metrics::new();
        assert_eq!(
            String::from_utf8(metrics.snapshot_json()).unwrap(),
            r#"{"counts":{},"events":["info","warn"]}"#
        );
    }

    #[test]
    fn counts_sorted_by_route_and_events_in_order() {
        let metrics = Metrics::new();
        metrics.record_hit(Route::Users);
        metrics.record_hit(Route::Users);
        metrics.record_hit(Route::Events);
        metrics.record_hit(Route::Snapshot);
        metrics.log_event(Level::Warn, &JsStr::from_static("disk \"full\""));
        assert_eq!(
            String::from_utf8(metrics.snapshot_json()).unwrap(),
            r#"{"counts":{"/events":1,"/snapshot":1,"/users":2},"events":["info","warn","warn: disk \"full\""]}"#
        );
    }

    #[test]
    fn concurrent_hits_are_all_counted() {
        let metrics = std::sync::Arc::new(Metrics::new());
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let metrics = std::sync::Arc::clone(&metrics);
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        metrics.record_hit(Route::Health);
                        metrics.log_event(Level::Info, &JsStr::from_static("x"));
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let snapshot = String::from_utf8(metrics.snapshot_json()).unwrap();
        assert!(
            snapshot.starts_with(r#"{"counts":{"/health":4000},"events":["info","warn","info: x""#)
        );
        assert_eq!(snapshot.matches("info: x").count(), 4000);
    }
}
