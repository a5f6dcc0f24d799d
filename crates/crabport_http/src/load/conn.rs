//! One connection's task: send, read the response, record, repeat; on a
//! failure count it, reconnect (with backoff if failures repeat) and go on.
//!
//! No request is abandoned: one still in flight when the run's window
//! closes is waited for, and ends as a response or as an error of its kind
//! (a `timeout` once it is older than the timeout), so every request sent
//! is counted.

use std::future::{Future, poll_fn};
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Sleep;

use super::response::{MAX_HEAD, Refused, ResponseReader};
use super::{ErrorKind, Shared};
use crate::request::{PreparedRequest, Rng};

/// Read buffer per connection; grown (up to [`MAX_HEAD`]) only for a
/// response head that does not fit.
const BUF_SIZE: usize = 16 * 1024;

/// Longest wait between reconnects to a failing server.
const MAX_BACKOFF: Duration = Duration::from_millis(100);

/// A send this far behind its slot is a missed send; less is within the
/// schedule's own (timer) resolution.
const LATE: Duration = Duration::from_millis(1);

/// Opens `n` connections at once.
pub(super) async fn connect_all(
    addr: SocketAddr,
    n: usize,
    timeout: Duration,
) -> Vec<Result<TcpStream, ErrorKind>> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            tokio::task::spawn_local(async move {
                match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
                    Ok(Ok(stream)) => {
                        let _ = stream.set_nodelay(true);
                        Ok(stream)
                    }
                    Ok(Err(_)) => Err(ErrorKind::Connect),
                    Err(_) => Err(ErrorKind::Timeout),
                }
            })
        })
        .collect();
    let mut streams = Vec::with_capacity(n);
    for task in tasks {
        streams.push(task.await.unwrap_or(Err(ErrorKind::Connect)));
    }
    streams
}

struct Conn {
    shared: Rc<Shared>,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
    reader: ResponseReader,
    /// Failures since the last response, for the backoff.
    failures: u32,
}

pub(super) async fn connection(shared: Rc<Shared>, id: u64, stream: Option<TcpStream>) {
    // The deadline of the request in flight, re-armed only when it fires
    // (not per request), so the timer wheel is rarely touched. Requests
    // start in order, so it never fires after the current one's deadline.
    let first = shared.start + shared.timeout;
    let watchdog = pin!(tokio::time::sleep_until(first.into()));
    let reader = ResponseReader::new(shared.max_body);
    let mut conn = Conn {
        shared,
        stream,
        buf: vec![0; BUF_SIZE],
        reader,
        failures: 0,
    };
    let rng = Rng::new(0x9e37_79b9_7f4a_7c15_u64.wrapping_mul(id + 1));
    if conn.shared.pacing.is_some() {
        conn.open_loop(rng, watchdog).await;
    } else {
        conn.closed_loop(rng, watchdog).await;
    }
}

impl Conn {
    async fn closed_loop(&mut self, mut rng: Rng, mut watchdog: Pin<&mut Sleep>) {
        let shared = Rc::clone(&self.shared);
        let mut now = Instant::now();
        while now < shared.end {
            if self.stream.is_none() {
                let connected = self.ready(&mut watchdog).await;
                now = Instant::now();
                if !connected {
                    continue;
                }
            }
            let request = shared.workload.pick(&mut rng);
            // The previous response's end is this request's start: one clock read less.
            let sent = now;
            let outcome = self.exchange(request, sent, &mut watchdog).await;
            now = Instant::now();
            if let Err(kind) = outcome {
                self.failed(kind);
            }
            shared.finished(outcome, sent, sent, now);
        }
    }

    async fn open_loop(&mut self, mut rng: Rng, mut watchdog: Pin<&mut Sleep>) {
        let shared = Rc::clone(&self.shared);
        let Some(pacing) = &shared.pacing else {
            return;
        };
        let mut pacer = pin!(tokio::time::sleep_until(shared.start.into()));
        while let Some(due) = shared.take_slot(pacing) {
            // A late slot counts from when it was due: the time it waited
            // for a free connection is the server's doing. An on-time one
            // counts from when the pacer woke, which differs from `due` only
            // by the timer's millisecond granularity, our doing.
            let now = Instant::now();
            let origin = if now <= due {
                pacer.as_mut().reset(due.into());
                pacer.as_mut().await;
                Instant::now()
            } else {
                if now - due > LATE {
                    shared.stats.borrow_mut().late();
                }
                due
            };
            if !self.ready(&mut watchdog).await {
                if Instant::now() >= shared.end {
                    break; // not one connect per slot still due
                }
                continue;
            }
            let request = shared.workload.pick(&mut rng);
            let sent = Instant::now();
            let outcome = self.exchange(request, sent, &mut watchdog).await;
            if let Err(kind) = outcome {
                self.failed(kind);
            }
            shared.finished(outcome, sent, origin, Instant::now());
        }
    }

    /// Waits out the backoff and connects if needed; false (with the
    /// failure counted) when there is no connection to send on.
    async fn ready(&mut self, watchdog: &mut Pin<&mut Sleep>) -> bool {
        if self.stream.is_some() {
            return true;
        }
        if self.failures > 1 {
            // A dead server must not make the generator spin: 1, 2, 4 … 100 ms.
            let backoff = Duration::from_millis(1 << (self.failures - 2).min(7)).min(MAX_BACKOFF);
            let until = (Instant::now() + backoff).min(self.shared.end);
            tokio::time::sleep_until(until.into()).await;
            if Instant::now() >= self.shared.end {
                return false;
            }
        }
        let since = Instant::now();
        let mut connect = pin!(TcpStream::connect(self.shared.addr));
        let timeout = self.shared.timeout;
        let outcome = poll_fn(|cx| {
            if let Poll::Ready(r) = connect.as_mut().poll(cx) {
                return Poll::Ready(r.map_err(|_| ErrorKind::Connect));
            }
            poll_deadline(watchdog, cx, since, timeout).map(Err)
        })
        .await;
        match outcome {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                self.stream = Some(stream);
                true
            }
            Err(kind) => {
                self.failed(kind);
                false
            }
        }
    }

    fn failed(&mut self, kind: ErrorKind) {
        self.stream = None;
        self.failures = self.failures.saturating_add(1);
        self.shared.stats.borrow_mut().error(kind);
    }

    /// Sends `request` and reads its response: the status, or why there is
    /// none. The whole exchange, from `since`, is bounded by the timeout.
    async fn exchange(
        &mut self,
        request: &PreparedRequest,
        since: Instant,
        watchdog: &mut Pin<&mut Sleep>,
    ) -> Result<u16, ErrorKind> {
        let Some(stream) = &mut self.stream else {
            return Err(ErrorKind::Connect);
        };
        let timeout = self.shared.timeout;
        let bytes = request.bytes();
        let mut written = 0;
        poll_fn(|cx| {
            while written < bytes.len() {
                match Pin::new(&mut *stream).poll_write(cx, &bytes[written..]) {
                    Poll::Ready(Ok(0)) => return Poll::Ready(Err(ErrorKind::Write)),
                    Poll::Ready(Ok(n)) => written += n,
                    Poll::Ready(Err(e)) => {
                        return Poll::Ready(Err(io_kind(&e, ErrorKind::Write)));
                    }
                    Poll::Pending => return poll_deadline(watchdog, cx, since, timeout).map(Err),
                }
            }
            Poll::Ready(Ok(()))
        })
        .await?;

        self.reader.begin(request.is_head());
        let buf = &mut self.buf;
        let reader = &mut self.reader;
        let mut filled = 0;
        loop {
            if filled == buf.len() {
                // Only a response head is kept whole in the buffer: a full
                // buffer is a head that has not ended.
                if buf.len() >= MAX_HEAD {
                    return Err(ErrorKind::HeadTooLarge);
                }
                buf.resize((buf.len() * 2).min(MAX_HEAD), 0);
            }
            let read = poll_fn(|cx| {
                let mut out = ReadBuf::new(&mut buf[filled..]);
                match Pin::new(&mut *stream).poll_read(cx, &mut out) {
                    Poll::Ready(Ok(())) => Poll::Ready(Ok(out.filled().len())),
                    Poll::Ready(Err(e)) => Poll::Ready(Err(io_kind(&e, ErrorKind::Read))),
                    Poll::Pending => poll_deadline(watchdog, cx, since, timeout).map(Err),
                }
            })
            .await?;
            if read == 0 {
                let response = reader.eof().ok_or(ErrorKind::Closed)?;
                self.stream = None;
                self.failures = 0;
                return Ok(response.status);
            }
            filled += read;
            let (used, done) = reader.feed(&buf[..filled]).map_err(|e| match e {
                Refused::Malformed => ErrorKind::Parse,
                Refused::BodyTooLarge => ErrorKind::BodyTooLarge,
            })?;
            if let Some(response) = done {
                if used < filled {
                    // Bytes nobody asked for: the connection is out of step.
                    return Err(ErrorKind::Parse);
                }
                self.failures = 0;
                if !response.keep_alive {
                    self.stream = None;
                }
                return Ok(response.status);
            }
            if used > 0 {
                buf.copy_within(used..filled, 0);
                filled -= used;
            }
        }
    }
}

/// Ready (a timeout) once the exchange started at `since` is older than
/// `timeout`, during the run's window or after it; re-arms the watchdog
/// when it fired early for this exchange.
fn poll_deadline(
    watchdog: &mut Pin<&mut Sleep>,
    cx: &mut Context<'_>,
    since: Instant,
    timeout: Duration,
) -> Poll<ErrorKind> {
    let deadline = since + timeout;
    while watchdog.as_mut().poll(cx).is_ready() {
        if Instant::now() >= deadline {
            return Poll::Ready(ErrorKind::Timeout);
        }
        watchdog.as_mut().reset(deadline.into());
    }
    Poll::Pending
}

fn io_kind(e: &std::io::Error, otherwise: ErrorKind) -> ErrorKind {
    use std::io::ErrorKind as Io;
    match e.kind() {
        Io::ConnectionReset | Io::ConnectionAborted | Io::BrokenPipe => ErrorKind::Reset,
        Io::UnexpectedEof => ErrorKind::Closed,
        _ => otherwise,
    }
}
