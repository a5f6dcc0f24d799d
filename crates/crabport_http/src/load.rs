//! The load generator of `crabport bench`.
//!
//! HTTP/1.1 keep-alive by hand on tokio's `TcpStream`: one current-thread
//! runtime per generator thread (one by default), one task per connection,
//! pre-serialised requests, responses parsed in place with httparse, no
//! allocation per request. Failures are counted, never returned.
//!
//! - Closed loop: every connection sends its next request as soon as the
//!   previous response is in.
//! - Open loop: requests are due at `start + i / rate`; each free connection
//!   takes the next slot. A slot no connection was free for is late: its
//!   latency counts from when it was due (coordinated-omission correction),
//!   and it is a missed send.
//!
//! Latencies go to HdrHistograms in µs (3 significant digits, up to 60 s):
//! memory is bounded whatever the duration.
//!
//! Every request sent is accounted for. One still in flight when the window
//! closes is waited for (no new one is sent), up to the timeout: it counts
//! as a response (in `requests` and the latencies, not in `rps`, which is
//! the window's) or as an error of its kind. A response that never
//! completes is an error: `timeout` (a stalled or endless body, a head that
//! never ends), `head-too-large`, `body-too-large` (an endless body sent
//! fast), `closed` (cut mid-response).

mod conn;
mod response;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::{Barrier, OnceLock};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::request::{PreparedWorkload, Target};

/// How requests are paced.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    /// `connections` connections, each sending as fast as responses come back.
    Closed { connections: usize },
    /// `rate` requests per second in total, at most `connections` in flight.
    Open { rate: f64, connections: usize },
}

impl Mode {
    pub fn connections(&self) -> usize {
        match *self {
            Mode::Closed { connections } | Mode::Open { connections, .. } => connections,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunOptions {
    pub mode: Mode,
    pub duration: Duration,
    /// Per request (and per connect); a request over it is a `timeout`
    /// error. It also bounds the wait for requests in flight at the end.
    pub timeout: Duration,
    /// The longest response body accepted; a longer one is a
    /// `body-too-large` error.
    pub max_body: u64,
    /// Generator threads, each with its own runtime and a share of the
    /// connections. One is enough to outpace most servers on loopback.
    pub threads: usize,
}

impl RunOptions {
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
    pub const DEFAULT_MAX_BODY: u64 = 64 * 1024 * 1024;

    /// `mode` for `duration`, a 10 s timeout, 64 MiB bodies, one generator thread.
    pub fn new(mode: Mode, duration: Duration) -> Self {
        Self {
            mode,
            duration,
            timeout: Self::DEFAULT_TIMEOUT,
            max_body: Self::DEFAULT_MAX_BODY,
            threads: 1,
        }
    }
}

#[derive(Debug, Clone)]
pub struct RunResult {
    /// Requests that got a complete response, whatever its status,
    /// including those in flight at the window's end that completed later.
    pub requests: u64,
    /// The measured window, `opts.duration`; connections are opened before it.
    pub elapsed: Duration,
    /// Responses completed within the window, per second of it.
    pub rps: f64,
    /// Requests in flight when the window closed, then waited for: each
    /// ended as a response or an error.
    pub in_flight_at_end: u64,
    /// How long that wait took (at most the timeout).
    pub drain: Duration,
    /// µs. In open loop, corrected: late sends count from when they were due.
    pub latency: Histogram<u64>,
    /// Open loop only: µs from the actual send.
    pub latency_uncorrected: Option<Histogram<u64>>,
    pub status: BTreeMap<u16, u64>,
    /// By kind: `connect`, `timeout` (no complete response within the
    /// timeout), `reset`, `closed` (the server closed the connection before
    /// the response ended), `read`, `write`, `parse`, `head-too-large` (over
    /// 64 KiB), `body-too-large` (over `max_body`).
    pub errors: BTreeMap<String, u64>,
    /// CPU time of the generator threads during the run.
    pub generator_cpu: Duration,
    /// The generator used ≥ 90% of the cores it ran on: the figures measure
    /// it, not the server.
    pub generator_bound: bool,
    /// Open loop: sends due when no connection was free (sent late), plus
    /// those due before the end that were never sent.
    pub missed_sends: u64,
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

/// Percentiles of a µs histogram, in ms (all 0 when it is empty).
pub fn latency_ms(h: &Histogram<u64>) -> Percentiles {
    let ms = |us: u64| us as f64 / 1000.0;
    if h.is_empty() {
        return Percentiles {
            p50: 0.0,
            p90: 0.0,
            p99: 0.0,
            p999: 0.0,
            max: 0.0,
        };
    }
    Percentiles {
        p50: ms(h.value_at_quantile(0.5)),
        p90: ms(h.value_at_quantile(0.9)),
        p99: ms(h.value_at_quantile(0.99)),
        p999: ms(h.value_at_quantile(0.999)),
        max: ms(h.max()),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("invalid load options: {0}")]
    Options(String),
    #[error("the target has no address to connect to")]
    NoAddress,
    #[error("cannot start the load generator: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("a load generator thread failed")]
    Thread,
    #[error("cannot merge latency histograms: {0}")]
    Histogram(String),
}

/// Why a request got no response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    Connect,
    Timeout,
    Reset,
    Closed,
    Read,
    Write,
    Parse,
    HeadTooLarge,
    BodyTooLarge,
}

impl ErrorKind {
    const ALL: [ErrorKind; 9] = [
        ErrorKind::Connect,
        ErrorKind::Timeout,
        ErrorKind::Reset,
        ErrorKind::Closed,
        ErrorKind::Read,
        ErrorKind::Write,
        ErrorKind::Parse,
        ErrorKind::HeadTooLarge,
        ErrorKind::BodyTooLarge,
    ];

    fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connect",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Reset => "reset",
            ErrorKind::Closed => "closed",
            ErrorKind::Read => "read",
            ErrorKind::Write => "write",
            ErrorKind::Parse => "parse",
            ErrorKind::HeadTooLarge => "head-too-large",
            ErrorKind::BodyTooLarge => "body-too-large",
        }
    }
}

/// Longest run (and timeout) accepted: keeps every deadline a plain addition.
const MAX_DURATION: Duration = Duration::from_secs(30 * 24 * 3600);

/// Highest latency the histograms resolve; longer ones are recorded as this.
const MAX_LATENCY_US: u64 = 60_000_000;

fn new_histogram() -> Result<Histogram<u64>, LoadError> {
    Histogram::new_with_bounds(1, MAX_LATENCY_US, 3)
        .map_err(|e| LoadError::Histogram(e.to_string()))
}

/// What one generator thread counts. Plain counters: one thread owns them.
#[derive(Debug, Clone)]
pub(crate) struct Stats {
    requests: u64,
    /// Responses completed before the window closed.
    in_window: u64,
    in_flight_at_end: u64,
    latency: Histogram<u64>,
    uncorrected: Option<Histogram<u64>>,
    /// Indexed by status code (httparse gives three digits).
    status: Vec<u64>,
    errors: [u64; ErrorKind::ALL.len()],
    late: u64,
    slots_taken: u64,
}

impl Stats {
    fn new(template: &Histogram<u64>, open: bool) -> Self {
        Self {
            requests: 0,
            in_window: 0,
            in_flight_at_end: 0,
            latency: template.clone(),
            uncorrected: open.then(|| template.clone()),
            status: vec![0; 1000],
            errors: [0; ErrorKind::ALL.len()],
            late: 0,
            slots_taken: 0,
        }
    }

    pub(crate) fn response(
        &mut self,
        status: u16,
        latency: Duration,
        uncorrected: Option<Duration>,
        in_window: bool,
    ) {
        self.requests += 1;
        self.in_window += u64::from(in_window);
        if let Some(n) = self.status.get_mut(usize::from(status)) {
            *n += 1;
        }
        self.latency.saturating_record(micros(latency));
        if let (Some(h), Some(d)) = (&mut self.uncorrected, uncorrected) {
            h.saturating_record(micros(d));
        }
    }

    pub(crate) fn error(&mut self, kind: ErrorKind) {
        self.errors[kind as usize] += 1;
    }

    pub(crate) fn late(&mut self) {
        self.late += 1;
    }

    pub(crate) fn in_flight_at_end(&mut self) {
        self.in_flight_at_end += 1;
    }

    fn merge(&mut self, other: &Stats) -> Result<(), LoadError> {
        let merge_err = |e: hdrhistogram::AdditionError| LoadError::Histogram(format!("{e:?}"));
        self.requests += other.requests;
        self.in_window += other.in_window;
        self.in_flight_at_end += other.in_flight_at_end;
        self.latency.add(&other.latency).map_err(merge_err)?;
        if let (Some(a), Some(b)) = (&mut self.uncorrected, &other.uncorrected) {
            a.add(b).map_err(merge_err)?;
        }
        for (a, b) in self.status.iter_mut().zip(&other.status) {
            *a += b;
        }
        for (a, b) in self.errors.iter_mut().zip(other.errors) {
            *a += b;
        }
        self.late += other.late;
        self.slots_taken += other.slots_taken;
        Ok(())
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// What the connection tasks of one thread share.
pub(crate) struct Shared {
    pub(crate) addr: SocketAddr,
    pub(crate) workload: PreparedWorkload,
    pub(crate) start: Instant,
    pub(crate) end: Instant,
    pub(crate) timeout: Duration,
    pub(crate) max_body: u64,
    pub(crate) pacing: Option<Pacing>,
    pub(crate) stats: RefCell<Stats>,
}

/// The open-loop schedule of one thread: it owns the global slots
/// `offset, offset + stride, …`, so threads interleave evenly.
pub(crate) struct Pacing {
    next: Cell<u64>,
    stride: u64,
    offset: u64,
    nanos_per_slot: f64,
}

impl Shared {
    /// Counts an exchange sent at `sent` that ended at `done`: its response
    /// (latency from `origin`, the intended send time in open loop), and
    /// whether it was in flight when the window closed. Its error, if any,
    /// was counted when the connection failed.
    pub(crate) fn finished(
        &self,
        outcome: Result<u16, ErrorKind>,
        sent: Instant,
        origin: Instant,
        done: Instant,
    ) {
        let mut stats = self.stats.borrow_mut();
        if sent < self.end && done >= self.end {
            stats.in_flight_at_end();
        }
        if let Ok(status) = outcome {
            let uncorrected = self.pacing.is_some().then(|| done - sent);
            stats.response(status, done - origin, uncorrected, done < self.end);
        }
    }

    /// The next slot of the schedule and when it is due; `None` once the
    /// slots run past the end of the run.
    pub(crate) fn take_slot(&self, pacing: &Pacing) -> Option<Instant> {
        let local = pacing.next.get();
        let global = local * pacing.stride + pacing.offset;
        let due = self.start + Duration::from_nanos((global as f64 * pacing.nanos_per_slot) as u64);
        if due >= self.end {
            return None;
        }
        pacing.next.set(local + 1);
        self.stats.borrow_mut().slots_taken += 1;
        Some(due)
    }
}

/// Runs the load and blocks until it is done (about `opts.duration`).
///
/// # Errors
/// Invalid options, no address, or a runtime that cannot start. Failed
/// requests are counted in the result, not returned.
pub fn run(
    target: &Target,
    workload: &PreparedWorkload,
    opts: &RunOptions,
) -> Result<RunResult, LoadError> {
    let connections = opts.mode.connections();
    if connections == 0 {
        return Err(LoadError::Options(
            "at least one connection is needed".into(),
        ));
    }
    if let Mode::Open { rate, .. } = opts.mode
        && !(rate.is_finite() && rate > 0.0)
    {
        return Err(LoadError::Options(format!(
            "the rate must be a positive number, not {rate}"
        )));
    }
    if opts.duration.is_zero() || opts.timeout.is_zero() {
        return Err(LoadError::Options(
            "the duration and the timeout must be positive".into(),
        ));
    }
    if opts.duration > MAX_DURATION || opts.timeout > MAX_DURATION {
        return Err(LoadError::Options(
            "the duration and the timeout must be at most 30 days".into(),
        ));
    }
    let threads = opts.threads.clamp(1, connections);
    let addr = pick_addr(&target.addrs, opts.timeout)?;
    let template = new_histogram()?;
    let open = matches!(opts.mode, Mode::Open { .. });
    let runtimes = (0..threads)
        .map(|_| {
            tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .enable_time()
                .build()
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(LoadError::Runtime)?;

    let barrier = Barrier::new(threads);
    let start = OnceLock::new();
    let outputs: Vec<Option<ThreadOutput>> = std::thread::scope(|scope| {
        let handles: Vec<_> = runtimes
            .into_iter()
            .enumerate()
            .map(|(index, runtime)| {
                let plan = ThreadPlan {
                    index,
                    threads,
                    connections: (index..connections).step_by(threads).count(),
                    addr,
                    workload,
                    opts,
                    template: &template,
                    open,
                    barrier: &barrier,
                    start: &start,
                };
                scope.spawn(move || generator_thread(&runtime, &plan))
            })
            .collect();
        handles.into_iter().map(|h| h.join().ok()).collect()
    });

    let mut total = Stats::new(&template, open);
    let mut cpu = Duration::ZERO;
    let mut drain = Duration::ZERO;
    for output in outputs {
        let output = output.ok_or(LoadError::Thread)?;
        total.merge(&output.stats)?;
        cpu += output.cpu;
        drain = drain.max(output.drain);
    }
    let elapsed = opts.duration;
    let mut missed_sends = total.late;
    if let Mode::Open { rate, .. } = opts.mode {
        // Slots due before the end that no connection ever took.
        let due = (elapsed.as_secs_f64() * rate).ceil() as u64;
        missed_sends += due.saturating_sub(total.slots_taken);
    }
    let cores = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(threads);
    Ok(RunResult {
        requests: total.requests,
        elapsed,
        rps: total.in_window as f64 / elapsed.as_secs_f64(),
        in_flight_at_end: total.in_flight_at_end,
        drain,
        generator_bound: cpu.as_secs_f64() >= 0.9 * cores as f64 * (elapsed + drain).as_secs_f64(),
        generator_cpu: cpu,
        latency: total.latency,
        latency_uncorrected: total.uncorrected,
        status: (0u16..)
            .zip(&total.status)
            .filter(|&(_, &n)| n > 0)
            .map(|(code, &n)| (code, n))
            .collect(),
        errors: ErrorKind::ALL
            .iter()
            .zip(total.errors)
            .filter(|&(_, n)| n > 0)
            .map(|(kind, n)| (kind.as_str().to_owned(), n))
            .collect(),
        missed_sends,
    })
}

/// `localhost` gives two addresses; use the first that accepts, as a
/// browser would, so a server bound to `::1` only is still reached.
fn pick_addr(addrs: &[SocketAddr], timeout: Duration) -> Result<SocketAddr, LoadError> {
    match addrs {
        [] => Err(LoadError::NoAddress),
        [only] => Ok(*only),
        [first, ..] => Ok(addrs
            .iter()
            .copied()
            .find(|a| {
                std::net::TcpStream::connect_timeout(a, timeout.min(Duration::from_secs(1))).is_ok()
            })
            .unwrap_or(*first)),
    }
}

struct ThreadPlan<'a> {
    index: usize,
    threads: usize,
    connections: usize,
    addr: SocketAddr,
    workload: &'a PreparedWorkload,
    opts: &'a RunOptions,
    template: &'a Histogram<u64>,
    open: bool,
    barrier: &'a Barrier,
    start: &'a OnceLock<Instant>,
}

struct ThreadOutput {
    stats: Stats,
    cpu: Duration,
    /// From the window's end until this thread's last exchange ended.
    drain: Duration,
}

fn generator_thread(runtime: &tokio::runtime::Runtime, plan: &ThreadPlan<'_>) -> ThreadOutput {
    let local = tokio::task::LocalSet::new();
    let mut stats = Stats::new(plan.template, plan.open);
    // Connect first so the measured window holds requests only, as wrk does.
    let streams = local.block_on(
        runtime,
        conn::connect_all(plan.addr, plan.connections, plan.opts.timeout),
    );
    let streams: Vec<_> = streams
        .into_iter()
        .map(|s| s.map_err(|kind| stats.error(kind)).ok())
        .collect();
    // All threads start the clock together.
    if plan.barrier.wait().is_leader() {
        let _ = plan.start.set(Instant::now());
    }
    plan.barrier.wait();
    let start = plan.start.get().copied().unwrap_or_else(Instant::now);
    let cpu_before = thread_cpu();
    let pacing = match plan.opts.mode {
        Mode::Open { rate, .. } => Some(Pacing {
            next: Cell::new(0),
            stride: plan.threads as u64,
            offset: plan.index as u64,
            nanos_per_slot: 1e9 / rate,
        }),
        Mode::Closed { .. } => None,
    };
    let shared = Rc::new(Shared {
        addr: plan.addr,
        workload: plan.workload.clone(),
        start,
        end: start + plan.opts.duration,
        timeout: plan.opts.timeout,
        max_body: plan.opts.max_body,
        pacing,
        stats: RefCell::new(stats),
    });
    local.block_on(runtime, async {
        let tasks: Vec<_> = streams
            .into_iter()
            .enumerate()
            .map(|(i, stream)| {
                let id = (i * plan.threads + plan.index) as u64;
                tokio::task::spawn_local(conn::connection(Rc::clone(&shared), id, stream))
            })
            .collect();
        for task in tasks {
            // A task only fails by panicking, and they do not panic.
            let _ = task.await;
        }
    });
    let cpu = thread_cpu().saturating_sub(cpu_before);
    let drain = Instant::now().saturating_duration_since(shared.end);
    let stats = shared.stats.replace(Stats::new(plan.template, plan.open));
    ThreadOutput { stats, cpu, drain }
}

/// CPU time (user + system) of the calling thread.
fn thread_cpu() -> Duration {
    use nix::sys::resource::{UsageWho, getrusage};
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let who = UsageWho::RUSAGE_THREAD;
    // Elsewhere only the process is measured; with one generator thread it is nearly the same.
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let who = UsageWho::RUSAGE_SELF;
    let to_duration = |t: nix::sys::time::TimeVal| {
        Duration::from_secs(u64::try_from(t.tv_sec()).unwrap_or(0))
            + Duration::from_micros(u64::try_from(t.tv_usec()).unwrap_or(0))
    };
    getrusage(who).map_or(Duration::ZERO, |u| {
        to_duration(u.user_time()) + to_duration(u.system_time())
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn percentiles_in_ms() {
        let mut h = new_histogram().unwrap();
        for us in 1..=1000 {
            h.record(us).unwrap();
        }
        let p = latency_ms(&h);
        assert!((p.p50 - 0.5).abs() < 0.001, "{p:?}");
        assert!((p.p99 - 0.99).abs() < 0.001, "{p:?}");
        assert!((p.max - 1.0).abs() < 0.001, "{p:?}");
        assert_eq!(latency_ms(&new_histogram().unwrap()).max, 0.0);
    }

    #[test]
    fn latencies_past_the_bound_saturate() {
        let mut stats = Stats::new(&new_histogram().unwrap(), false);
        stats.response(200, Duration::from_secs(3600), None, true);
        assert_eq!(stats.requests, 1);
        assert!(stats.latency.max() >= MAX_LATENCY_US * 999 / 1000);
    }

    #[test]
    fn options_are_checked() {
        let target = crate::request::parse_target("http://127.0.0.1:9/", false).unwrap();
        let workload = crate::request::Workload::single("/", "GET")
            .unwrap()
            .prepare("x");
        let bad = [
            RunOptions::new(Mode::Closed { connections: 0 }, Duration::from_secs(1)),
            RunOptions::new(
                Mode::Open {
                    rate: f64::NAN,
                    connections: 1,
                },
                Duration::from_secs(1),
            ),
            RunOptions::new(
                Mode::Open {
                    rate: 0.0,
                    connections: 1,
                },
                Duration::from_secs(1),
            ),
            RunOptions::new(Mode::Closed { connections: 1 }, Duration::ZERO),
            RunOptions::new(Mode::Closed { connections: 1 }, Duration::MAX),
        ];
        for opts in bad {
            assert!(
                matches!(run(&target, &workload, &opts), Err(LoadError::Options(_))),
                "{opts:?}"
            );
        }
    }
}
