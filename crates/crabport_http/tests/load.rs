//! The load generator against real HTTP servers on loopback (std threads,
//! one per connection, scripted per request).
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crabport_http::load::{self, Mode, RunOptions, RunResult};
use crabport_http::request::{Workload, parse_target};

/// What the server sends for one request.
struct Reply {
    /// Written one after another, each flushed on its own.
    pieces: Vec<Vec<u8>>,
    /// Waited before answering.
    delay: Duration,
    /// Close the connection after answering.
    close: bool,
    /// Then write this, again and again at this interval, until the client
    /// goes away: a body or a head that never ends.
    forever: Option<(Vec<u8>, Duration)>,
}

fn ok(body: &str) -> Reply {
    reply(200, body)
}

fn reply(status: u16, body: &str) -> Reply {
    let wire = format!(
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    Reply {
        pieces: vec![wire.into_bytes()],
        delay: Duration::ZERO,
        close: false,
        forever: None,
    }
}

type Script = dyn Fn(u64) -> Reply + Send + Sync;

struct Server {
    addr: SocketAddr,
    /// Responses written, counted as the n-th request arrives.
    served: Arc<AtomicU64>,
    accepted: Arc<AtomicU64>,
    stopped: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
    acceptor: Option<JoinHandle<()>>,
}

impl Server {
    fn start(script: impl Fn(u64) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let script: Arc<Script> = Arc::new(script);
        let served = Arc::new(AtomicU64::new(0));
        let accepted = Arc::new(AtomicU64::new(0));
        let stopped = Arc::new(AtomicBool::new(false));
        let open = Arc::new(Mutex::new(Vec::new()));
        let acceptor = {
            let (served, accepted, stopped, open) = (
                served.clone(),
                accepted.clone(),
                stopped.clone(),
                open.clone(),
            );
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stopped.load(Ordering::SeqCst) {
                        return; // drops the listener: connects are refused from now on
                    }
                    let Ok(stream) = stream else { continue };
                    accepted.fetch_add(1, Ordering::SeqCst);
                    open.lock().unwrap().push(stream.try_clone().unwrap());
                    let (script, served, stopped) =
                        (script.clone(), served.clone(), stopped.clone());
                    std::thread::spawn(move || connection(stream, &*script, &served, &stopped));
                }
            })
        };
        Self {
            addr,
            served,
            accepted,
            stopped,
            open,
            acceptor: Some(acceptor),
        }
    }

    fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Refuses new connections and cuts the open ones.
    fn stop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        for stream in self.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
        let _ = TcpStream::connect(self.addr); // wakes the acceptor
        if let Some(acceptor) = self.acceptor.take() {
            acceptor.join().unwrap();
        }
    }

    fn served(&self) -> u64 {
        self.served.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn connection(mut stream: TcpStream, script: &Script, served: &AtomicU64, stopped: &AtomicBool) {
    stream.set_nodelay(true).unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        // The generator does not pipeline: one request head at a time.
        let end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        buf.drain(..end);
        let n = served.fetch_add(1, Ordering::SeqCst);
        let reply = script(n);
        let until = Instant::now() + reply.delay;
        while Instant::now() < until {
            if stopped.load(Ordering::SeqCst) {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        for piece in &reply.pieces {
            if stream.write_all(piece).is_err() {
                return;
            }
            // Let the client see the pieces apart.
            std::thread::sleep(Duration::from_micros(200));
        }
        if let Some((piece, every)) = &reply.forever {
            while !stopped.load(Ordering::SeqCst) && stream.write_all(piece).is_ok() {
                if !every.is_zero() {
                    std::thread::sleep(*every);
                }
            }
            return;
        }
        if reply.close {
            let _ = stream.shutdown(Shutdown::Both);
            return;
        }
    }
}

fn run(server: &Server, mode: Mode, duration_ms: u64, timeout_ms: u64) -> RunResult {
    let target = parse_target(&server.url(), false).unwrap();
    let workload = Workload::single(&target.path, "GET")
        .unwrap()
        .prepare(&target.authority);
    let mut opts = RunOptions::new(mode, Duration::from_millis(duration_ms));
    opts.timeout = Duration::from_millis(timeout_ms);
    load::run(&target, &workload, &opts).unwrap()
}

fn closed(connections: usize) -> Mode {
    Mode::Closed { connections }
}

#[test]
fn closed_loop_counts_every_response_once() {
    let server = Server::start(|_| ok(r#"{"ok":true}"#));
    let r = run(&server, closed(4), 400, 2000);
    // None is abandoned when the run ends: those in flight are waited for.
    assert!(r.requests > 50, "{r:?}");
    assert_eq!(r.requests, server.served());
    assert!(r.in_flight_at_end <= 4, "{r:?}");
    assert_eq!(
        r.status.clone().into_iter().collect::<Vec<_>>(),
        [(200, r.requests)]
    );
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.latency.len(), r.requests);
    assert!(r.latency_uncorrected.is_none());
    // Throughput counts the window's responses only.
    let in_window = r.requests - r.in_flight_at_end;
    assert!((r.rps - in_window as f64 / 0.4).abs() < 0.01, "{r:?}");
    assert!(r.generator_cpu > Duration::ZERO && r.generator_cpu < Duration::from_millis(800));
    // Keep-alive: the connections opened at the start carried everything.
    assert_eq!(server.accepted.load(Ordering::SeqCst), 4);
}

#[test]
fn statuses_are_counted_by_code() {
    let server = Server::start(|n| {
        if n % 3 == 0 {
            reply(500, "boom")
        } else {
            ok("fine")
        }
    });
    let r = run(&server, closed(2), 300, 2000);
    let fives = r.status.get(&500).copied().unwrap_or(0);
    let twos = r.status.get(&200).copied().unwrap_or(0);
    assert_eq!(fives + twos, r.requests, "{:?}", r.status);
    assert!(fives.abs_diff(r.requests / 3) <= 3, "{:?}", r.status);
    // A 500 is a response, not an error.
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}

#[test]
fn chunked_responses_in_pieces() {
    let server = Server::start(|n| Reply {
        pieces: vec![
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n".to_vec(),
            b"\r\n5\r\nhel".to_vec(),
            format!(
                "lo\r\n{:x}\r\n{}\r\n0\r\n",
                n % 7 + 1,
                "x".repeat((n % 7 + 1) as usize)
            )
            .into_bytes(),
            b"x-trailer: 1\r\n\r\n".to_vec(),
        ],
        delay: Duration::ZERO,
        close: false,
        forever: None,
    });
    let r = run(&server, closed(2), 300, 2000);
    assert!(r.requests > 20, "{r:?}");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(
        server.accepted.load(Ordering::SeqCst),
        2,
        "chunked bodies keep the connection"
    );
}

#[test]
fn connection_close_reconnects_without_errors() {
    let server = Server::start(|_| {
        let mut r = ok("bye");
        r.pieces =
            vec![b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\nbye".to_vec()];
        r.close = true;
        r
    });
    let r = run(&server, closed(2), 300, 2000);
    assert!(r.requests > 20, "{r:?}");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    // One connection per response (plus those cut by the end of the run).
    let accepted = server.accepted.load(Ordering::SeqCst);
    assert!(
        accepted >= r.requests && accepted <= r.requests + 2,
        "{accepted} vs {}",
        r.requests
    );
}

#[test]
fn bodies_that_run_until_close() {
    // HTTP/1.0 style: no length, the end of the body is the end of the connection.
    let server = Server::start(|_| Reply {
        pieces: vec![b"HTTP/1.0 200 OK\r\n\r\nall of ".to_vec(), b"this".to_vec()],
        delay: Duration::ZERO,
        close: true,
        forever: None,
    });
    let r = run(&server, closed(2), 300, 2000);
    assert!(r.requests > 20, "{r:?}");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}

#[test]
fn a_server_that_dies_mid_run_gives_errors_not_a_hang() {
    let mut server = Server::start(|_| ok("up"));
    let url = server.url();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        server.stop();
        server
    });
    let target = parse_target(&url, false).unwrap();
    let workload = Workload::single("/", "GET")
        .unwrap()
        .prepare(&target.authority);
    let opts = RunOptions::new(closed(4), Duration::from_millis(600));
    let began = Instant::now();
    let r = load::run(&target, &workload, &opts).unwrap();
    assert!(
        began.elapsed() < Duration::from_millis(1500),
        "{:?}",
        began.elapsed()
    );
    let _server = stopper.join().unwrap();
    assert!(r.requests > 10, "{r:?}");
    assert!(
        r.errors.get("connect").copied().unwrap_or(0) >= 4,
        "{:?}",
        r.errors
    );
    let cut = ["closed", "reset"]
        .iter()
        .filter_map(|k| r.errors.get(*k))
        .sum::<u64>();
    assert!(cut >= 1, "{:?}", r.errors);
    // Backoff: 4 connections retrying for 0.4 s is tens of attempts, not thousands.
    assert!(r.errors["connect"] < 200, "{:?}", r.errors);
}

#[test]
fn requests_over_the_timeout_are_counted() {
    let server = Server::start(|n| {
        let mut r = ok("slow");
        if n == 0 {
            r.delay = Duration::from_secs(5);
        }
        r
    });
    let began = Instant::now();
    let r = run(&server, closed(1), 500, 150);
    assert!(began.elapsed() < Duration::from_millis(1000));
    assert_eq!(r.errors.get("timeout"), Some(&1), "{:?}", r.errors);
    // After the timeout the connection was replaced and carried on.
    assert!(r.requests > 10, "{r:?}");
}

#[test]
fn malformed_responses_are_parse_errors() {
    let server = Server::start(|_| {
        wire(
            "HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n",
            None,
            false,
        )
    });
    let r = run(&server, closed(1), 200, 1000);
    assert_eq!(r.requests, 0);
    assert!(
        r.errors.get("parse").copied().unwrap_or(0) >= 2,
        "{:?}",
        r.errors
    );
}

#[test]
fn open_loop_holds_the_rate() {
    let server = Server::start(|_| ok("{}"));
    let r = run(
        &server,
        Mode::Open {
            rate: 400.0,
            connections: 4,
        },
        500,
        2000,
    );
    assert!((190..=201).contains(&r.requests), "{r:?}");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    // Four connections for a 2.5 ms schedule: only a hiccup of the machine makes one late.
    assert!(r.missed_sends <= 5, "{r:?}");
    let uncorrected = r.latency_uncorrected.as_ref().unwrap();
    assert_eq!(uncorrected.len(), r.requests);
}

#[test]
fn open_loop_corrects_for_a_stalled_server() {
    // Requests 20 and 21 stall 250 ms, holding both connections: the
    // schedule (200/s) falls behind, and the sends due meanwhile go out late.
    let server = Server::start(|n| {
        let mut r = ok("{}");
        if n == 20 || n == 21 {
            r.delay = Duration::from_millis(250);
        }
        r
    });
    let r = run(
        &server,
        Mode::Open {
            rate: 200.0,
            connections: 2,
        },
        700,
        2000,
    );
    let corrected = load::latency_ms(&r.latency);
    let uncorrected = load::latency_ms(r.latency_uncorrected.as_ref().unwrap());
    assert!(r.missed_sends > 10, "{r:?}");
    assert!(
        corrected.p90 >= uncorrected.p90,
        "{corrected:?} vs {uncorrected:?}"
    );
    assert!(
        corrected.p50 >= uncorrected.p50,
        "{corrected:?} vs {uncorrected:?}"
    );
    // The stall shows in both maxima, but only the corrected tail sees the backlog.
    assert!(uncorrected.max >= 240.0, "{uncorrected:?}");
    assert!(
        corrected.p90 > 10.0 * uncorrected.p90,
        "{corrected:?} vs {uncorrected:?}"
    );
    // The backlog was caught up: about rate × duration in all.
    assert!((125..=141).contains(&r.requests), "{r:?}");
}

fn run_with(server: &Server, duration_ms: u64, timeout_ms: u64, max_body: u64) -> RunResult {
    let target = parse_target(&server.url(), false).unwrap();
    let workload = Workload::single(&target.path, "GET")
        .unwrap()
        .prepare(&target.authority);
    let mut opts = RunOptions::new(closed(2), Duration::from_millis(duration_ms));
    opts.timeout = Duration::from_millis(timeout_ms);
    opts.max_body = max_body;
    load::run(&target, &workload, &opts).unwrap()
}

fn wire(head: &str, forever: Option<(&str, u64)>, close: bool) -> Reply {
    Reply {
        pieces: vec![head.as_bytes().to_vec()],
        delay: Duration::ZERO,
        close,
        forever: forever.map(|(piece, ms)| (piece.as_bytes().to_vec(), Duration::from_millis(ms))),
    }
}

#[test]
fn a_request_in_flight_when_the_window_closes_is_waited_for_and_counted() {
    // The second request on each connection is answered 400 ms after the
    // 200 ms window closed.
    let server = Server::start(|n| {
        let mut r = ok("late");
        if n >= 2 {
            r.delay = Duration::from_millis(600);
        }
        r
    });
    let r = run(&server, closed(2), 200, 2000);
    assert_eq!(r.requests, server.served(), "every request sent is counted");
    assert_eq!(r.requests, 4, "{r:?}");
    assert_eq!(r.in_flight_at_end, 2, "{r:?}");
    assert!(r.drain >= Duration::from_millis(300), "{r:?}");
    // Throughput is the window's: the late ones are not in it.
    assert!((r.rps - 2.0 / 0.2).abs() < 0.01, "{r:?}");
    assert!(load::latency_ms(&r.latency).max >= 550.0, "{r:?}");
}

#[test]
fn an_endless_chunked_body_is_a_timeout_counted_at_the_end_of_the_round() {
    let server = Server::start(|_| {
        wire(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            Some(("1\r\nx\r\n", 20)),
            false,
        )
    });
    let began = Instant::now();
    let r = run_with(&server, 300, 600, u64::MAX);
    assert_eq!(r.requests, 0, "{r:?}");
    assert_eq!(r.errors.get("timeout"), Some(&2), "{:?}", r.errors);
    assert_eq!(r.in_flight_at_end, 2, "{r:?}");
    // Bounded by the timeout, not by the server.
    assert!(began.elapsed() < Duration::from_millis(1500), "{r:?}");
}

#[test]
fn an_endless_body_sent_fast_is_body_too_large() {
    let chunk = format!("4000\r\n{}\r\n", "x".repeat(0x4000));
    let server = Server::start(move |_| {
        let mut r = wire(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            None,
            false,
        );
        r.forever = Some((chunk.clone().into_bytes(), Duration::ZERO));
        r
    });
    let r = run_with(&server, 300, 5000, 256 * 1024);
    assert_eq!(r.requests, 0, "{r:?}");
    assert!(
        r.errors.get("body-too-large").copied().unwrap_or(0) >= 2,
        "{:?}",
        r.errors
    );
    // A Content-Length over the bound is refused from the head.
    let server = Server::start(|_| {
        wire(
            "HTTP/1.1 200 OK\r\nContent-Length: 999999\r\n\r\n",
            None,
            false,
        )
    });
    let r = run_with(&server, 200, 5000, 1000);
    assert!(
        r.errors.get("body-too-large").copied().unwrap_or(0) >= 2,
        "{:?}",
        r.errors
    );
}

#[test]
fn a_content_length_body_that_stalls_is_a_timeout() {
    let server = Server::start(|_| {
        wire(
            "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b",
            None,
            false,
        )
    });
    let r = run_with(&server, 1000, 300, u64::MAX);
    assert_eq!(r.requests, 0, "{r:?}");
    // Timed out within the window (about three per connection), and the
    // ones in flight at its end timed out after it.
    let timeouts = r.errors.get("timeout").copied().unwrap_or(0);
    assert!((6..=8).contains(&timeouts), "{:?}", r.errors);
    assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
}

#[test]
fn headers_that_never_end_are_head_too_large_or_a_timeout() {
    let header = format!("x-more: {}\r\n", "h".repeat(1000));
    let fast = header.clone();
    let server = Server::start(move |_| {
        let mut r = wire("HTTP/1.1 200 OK\r\n", None, false);
        r.forever = Some((fast.clone().into_bytes(), Duration::ZERO));
        r
    });
    let r = run_with(&server, 300, 5000, u64::MAX);
    assert_eq!(r.requests, 0, "{r:?}");
    assert!(
        r.errors.get("head-too-large").copied().unwrap_or(0) >= 2,
        "{:?}",
        r.errors
    );
    // Trickled slowly, they never reach the bound: the timeout ends them.
    let server = Server::start(move |_| {
        let mut r = wire("HTTP/1.1 200 OK\r\n", None, false);
        r.forever = Some((header.clone().into_bytes(), Duration::from_millis(50)));
        r
    });
    let r = run_with(&server, 300, 500, u64::MAX);
    assert_eq!(r.requests, 0, "{r:?}");
    assert_eq!(r.errors.get("timeout"), Some(&2), "{:?}", r.errors);
}

#[test]
fn a_connection_closed_mid_body_is_closed() {
    let server = Server::start(|_| {
        wire(
            "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\ncut short",
            None,
            true,
        )
    });
    let r = run_with(&server, 300, 2000, u64::MAX);
    assert_eq!(r.requests, 0, "{r:?}");
    assert!(
        r.errors.get("closed").copied().unwrap_or(0) >= 10,
        "{:?}",
        r.errors
    );
    assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
}
