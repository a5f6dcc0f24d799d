//! `crabport proxy`: a strangler-fig reverse proxy for development, staging
//! and canaries. Each request's route (from `crabport.routes.toml`, the same
//! matcher `crabport parity` uses) decides the upstream: Node, Rust, or a
//! sticky share of a canary. A Rust upstream that fails an idempotent
//! request (no connection, 5xx, timeout) is retried on Node and counted.
//! Upstreams come from configuration only, never from the request, so the
//! proxy is not a relay.
//!
//!
//! Shadow mode: a shadowed route is served by its primary as usual, and a
//! copy of the request goes to the other side off the request path (a
//! bounded number at a time; copies beyond that are dropped and counted);
//! the two answers are compared with `crabport parity`'s comparator and
//! ignore rules, per route. Only idempotent methods are copied unless
//! asked, so a shadow never writes twice. Noise is subtracted as Diffy
//! does it: a safe request (GET, HEAD, OPTIONS) is also sent a second time
//! to the side that served it, and where those two answers differ
//! (timestamps, request ids) the shadow may differ too.
//!
//! Canary shares can be raised while shadow parity and Rust's error rate
//! hold: see [`promote`].
//!
//! The routing can be replaced while serving ([`RoutingHandle`]); requests
//! in flight finish on the one they started with. Production routers get
//! the same table from `crabport plan --emit`.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::hash::{Hash as _, Hasher as _};
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use crabport_parity::analysis::{Ignore, LearnedNoise};
use crabport_parity::compare::{self, CompareOptions};
use crabport_parity::exchange::{
    Body as ParityBody, Origin, Request as Recorded, Response as Answer,
};
use crabport_parity::route::RouteMatcher;
use crabport_parity::source::{RecordExtra, mutating, write_record};
use crabport_plan::emit::Target;
use crabport_plan::table::{DEFAULT_CANARY_PERCENT, State, TableEntry};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode, Uri};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde::Serialize;

pub mod promote;

/// Which upstream serves a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    Node,
    Rust,
}

impl Side {
    fn other(self) -> Self {
        match self {
            Side::Node => Side::Rust,
            Side::Rust => Side::Node,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Side::Node => "node",
            Side::Rust => "rust",
        }
    }
}

/// Where a route's requests go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    Node,
    Rust,
    /// This percentage of clients to Rust, the rest to Node; a client stays
    /// on its side as the percentage grows.
    Canary(u8),
}

impl Placement {
    /// As the route table's state says, with the table's own default share
    /// for a canary that names none.
    pub fn of(entry: &TableEntry) -> Self {
        match (entry.state, entry.state.target()) {
            (State::Canary, _) => {
                Placement::Canary(entry.canary_percent.unwrap_or(DEFAULT_CANARY_PERCENT))
            }
            (_, Target::Rust) => Placement::Rust,
            (_, Target::Node) => Placement::Node,
        }
    }
}

/// One route of the table as the proxy uses it.
#[derive(Debug, Clone)]
pub struct RouteRule {
    pub method: String,
    pub path: String,
    pub placement: Placement,
    /// Send a copy to the other side and compare.
    pub shadow: bool,
}

/// What shadow copies may cost and how they are compared.
#[derive(Debug, Clone)]
pub struct ShadowConfig {
    /// Copies in flight at once; more are dropped (and counted).
    pub concurrency: usize,
    /// Copy non-idempotent requests too (only when the shadow side writes
    /// nowhere the primary reads).
    pub mutating: bool,
    /// Shadow routes the table does not list too (`--shadow-all`).
    pub unknown_routes: bool,
    /// Send safe requests a second time to the serving side to learn noise.
    pub secondary: bool,
    pub compare: CompareOptions,
    pub ignores: Vec<Ignore>,
}

impl Default for ShadowConfig {
    fn default() -> Self {
        Self {
            concurrency: 32,
            mutating: false,
            unknown_routes: false,
            secondary: true,
            compare: CompareOptions::default(),
            ignores: Vec::new(),
        }
    }
}

/// An upstream: where to connect (loopback unless allowed otherwise; the
/// caller checks).
#[derive(Debug, Clone)]
pub struct Upstream {
    /// `http://127.0.0.1:3000`, no path.
    pub base: String,
}

#[derive(Debug, Clone)]
pub struct ProxyConfig {
    pub listen: SocketAddr,
    pub node: Upstream,
    pub rust: Upstream,
    pub routes: Vec<RouteRule>,
    pub shadow: ShadowConfig,
    /// Stickiness key for canaries: this request header (or cookie) when
    /// present, else the client address.
    pub sticky: Option<String>,
    /// Answer head within this long, or the request fails (and falls back).
    pub timeout: Duration,
    /// Request bodies buffered for a fallback or a recording at most this
    /// long; longer ones are refused with 413.
    pub max_body: usize,
    pub record: Option<PathBuf>,
    /// Header values replaced by `[redacted]` in the recording.
    pub redact: Vec<String>,
}

/// Per route, what the proxy did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RouteStats {
    pub route: String,
    pub requests: u64,
    pub node: u64,
    pub rust: u64,
    /// Answered by the proxy itself with 502/504/413.
    pub errors: u64,
    /// Rust failed an idempotent request and Node answered it.
    pub fallbacks: u64,
    /// Requests sent to Rust first (canary and Rust routes; not shadows).
    pub rust_attempts: u64,
    /// Of those, how many Rust failed: no connection, timeout, or 5xx.
    pub rust_failed: u64,
    /// Latency of answered requests, per side, in µs: bounded memory
    /// however long the proxy runs.
    #[serde(skip)]
    latencies: [Option<hdrhistogram::Histogram<u64>>; 2],
    pub p99_ms: P99,
    pub shadow: ShadowStats,
}

/// Shadow copies of one route and how their answers compared.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ShadowStats {
    /// Copies compared.
    pub compared: u64,
    pub identical: u64,
    /// Differing only where an ignore rule says it may.
    pub noise: u64,
    pub different: u64,
    /// The copy got no answer (connection, timeout, body over the limit).
    pub failed: u64,
    /// Not sent: too many copies in flight.
    pub dropped: u64,
    /// (identical + noise) / (compared + failed); `None` before any.
    pub parity: Option<f64>,
    /// The first differences seen (at most 10 distinct pattern + kind).
    pub differences: Vec<ShadowDifference>,
    /// Where the serving side disagreed with itself (learnt from the
    /// second copies), so the shadow may differ there too.
    pub noise_fields: LearnedNoise,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShadowDifference {
    pub part: compare::Part,
    pub pointer: String,
    pub kind: compare::Kind,
    /// The primary's value, then the shadow's.
    pub primary: Option<String>,
    pub shadow: Option<String>,
    pub target: String,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct P99 {
    pub node: Option<f64>,
    pub rust: Option<f64>,
}

/// What `--format json` prints on exit.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub schema_version: u32,
    pub tool: &'static str,
    pub tool_version: &'static str,
    pub listen: String,
    pub routes: Vec<RouteStats>,
    pub recorded: u64,
    /// What `--promote` did, in order.
    pub promotions: Vec<promote::Event>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot open the recording {path}: {source}")]
    Record {
        path: PathBuf,
        source: std::io::Error,
    },
}

type ProxyBody = BoxBody<Bytes, hyper::Error>;

/// The route table in force.
struct Routing {
    matcher: RouteMatcher,
    rules: HashMap<String, (Placement, bool)>,
}

impl Routing {
    fn new(rules: &[RouteRule]) -> Self {
        Self {
            matcher: RouteMatcher::from_table(
                rules.iter().map(|r| (r.method.clone(), r.path.clone())),
            ),
            rules: rules
                .iter()
                .map(|r| {
                    (
                        format!("{} {}", r.method.to_ascii_uppercase(), r.path),
                        (r.placement, r.shadow),
                    )
                })
                .collect(),
        }
    }
}

/// Replaces the routing of a running proxy.
#[derive(Clone)]
pub struct RoutingHandle(Arc<Shared>);

impl RoutingHandle {
    /// New requests use `rules` from now on; requests in flight finish on
    /// the routing they started with.
    pub fn replace(&self, rules: &[RouteRule]) {
        let routing = Arc::new(Routing::new(rules));
        if let Ok(mut current) = self.0.routing.write() {
            *current = routing;
        }
    }
}

struct Shared {
    config: ProxyConfig,
    routing: RwLock<Arc<Routing>>,
    shadows: Arc<tokio::sync::Semaphore>,
    client: Client<HttpConnector, ProxyBody>,
    stats: Mutex<BTreeMap<String, RouteStats>>,
    record: Option<Mutex<std::io::BufWriter<std::fs::File>>>,
    recorded: std::sync::atomic::AtomicU64,
}

pub struct Proxy {
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
}

fn empty() -> ProxyBody {
    Full::new(Bytes::new())
        .map_err(|never| match never {})
        .boxed()
}

fn full(bytes: Bytes) -> ProxyBody {
    Full::new(bytes).map_err(|never| match never {}).boxed()
}

fn plain(status: StatusCode, text: String) -> Response<ProxyBody> {
    let mut r = Response::new(full(Bytes::from(text)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// RFC 9110 §7.6.1: connection-specific headers, plus those the
/// `Connection` header names.
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect();
    for n in named {
        headers.remove(n);
    }
    for n in [
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    ] {
        headers.remove(n);
    }
}

fn idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE | Method::TRACE
    )
}

impl Proxy {
    /// Binds the listener and opens the recording.
    ///
    /// # Errors
    /// The address is taken or not allowed; the recording cannot be opened.
    pub async fn bind(config: ProxyConfig) -> Result<Self, ProxyError> {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| ProxyError::Bind {
                addr: config.listen,
                source,
            })?;
        let record = match &config.record {
            Some(path) => Some(Mutex::new(std::io::BufWriter::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|source| ProxyError::Record {
                        path: path.clone(),
                        source,
                    })?,
            ))),
            None => None,
        };
        let routing = RwLock::new(Arc::new(Routing::new(&config.routes)));
        let shadows = Arc::new(tokio::sync::Semaphore::new(config.shadow.concurrency));
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(config.timeout));
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Self {
            listener,
            shared: Arc::new(Shared {
                config,
                routing,
                shadows,
                client,
                stats: Mutex::new(BTreeMap::new()),
                record,
                recorded: std::sync::atomic::AtomicU64::new(0),
            }),
        })
    }

    pub fn routing_handle(&self) -> RoutingHandle {
        RoutingHandle(Arc::clone(&self.shared))
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then lets open requests finish
    /// (up to the timeout) and returns what it did.
    pub async fn serve(self, shutdown: impl Future<Output = ()>) -> Summary {
        let listen = self
            .listener
            .local_addr()
            .map_or_else(|_| self.shared.config.listen.to_string(), |a| a.to_string());
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                accepted = self.listener.accept() => {
                    let Ok((stream, client)) = accepted else { continue };
                    let _ = stream.set_nodelay(true);
                    let shared = Arc::clone(&self.shared);
                    let service = hyper::service::service_fn(move |req| {
                        let shared = Arc::clone(&shared);
                        async move { Ok::<_, Infallible>(shared.handle(req, client).await) }
                    });
                    let conn = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service);
                    let conn = graceful.watch(conn);
                    tokio::spawn(async move {
                        let _ = conn.await;
                    });
                }
            }
        }
        let _ = tokio::time::timeout(self.shared.config.timeout, graceful.shutdown()).await;
        // Copies still in flight finish (or time out) before the summary.
        let all = u32::try_from(self.shared.config.shadow.concurrency).unwrap_or(u32::MAX);
        let _ = tokio::time::timeout(
            self.shared.config.timeout,
            self.shared.shadows.acquire_many(all),
        )
        .await;
        self.shared.summary(listen)
    }
}

impl RouteStats {
    fn answered(&mut self, side: Side, started: Instant) {
        match side {
            Side::Node => self.node += 1,
            Side::Rust => self.rust += 1,
        }
        let slot = &mut self.latencies[side as usize];
        // 1 µs to an hour at 2 significant digits: a few KiB per side.
        if slot.is_none() {
            *slot = hdrhistogram::Histogram::new_with_bounds(1, 3_600_000_000, 2).ok();
        }
        if let Some(h) = slot {
            let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
            h.saturating_record(micros.max(1));
        }
    }
}

impl RoutingHandle {
    /// The figures so far, as the summary will show them.
    pub fn stats(&self) -> Vec<RouteStats> {
        self.0.route_stats()
    }
}

impl Shared {
    fn summary(&self, listen: String) -> Summary {
        Summary {
            schema_version: 1,
            tool: "crabport",
            tool_version: env!("CARGO_PKG_VERSION"),
            listen,
            routes: self.route_stats(),
            recorded: self.recorded.load(std::sync::atomic::Ordering::Relaxed),
            promotions: Vec::new(),
        }
    }

    fn route_stats(&self) -> Vec<RouteStats> {
        let stats = self.stats.lock().map(|s| s.clone()).unwrap_or_default();
        stats
            .into_values()
            .map(|mut r| {
                let p99 = |h: &Option<hdrhistogram::Histogram<u64>>| {
                    #[allow(clippy::cast_precision_loss)] // µs, far below 2^52
                    h.as_ref().map(|h| h.value_at_quantile(0.99) as f64 / 1e3)
                };
                r.p99_ms = P99 {
                    node: p99(&r.latencies[0]),
                    rust: p99(&r.latencies[1]),
                };
                let sh = &mut r.shadow;
                let judged = sh.compared + sh.failed;
                #[allow(clippy::cast_precision_loss)] // counts far below 2^52
                let parity = (judged > 0).then(|| (sh.identical + sh.noise) as f64 / judged as f64);
                sh.parity = parity;
                r
            })
            .collect()
    }

    fn count(&self, route: &str, f: impl FnOnce(&mut RouteStats)) {
        if let Ok(mut stats) = self.stats.lock() {
            // The route's name is copied once, not per request.
            if let Some(entry) = stats.get_mut(route) {
                f(entry);
            } else {
                f(stats.entry(route.to_owned()).or_insert_with(|| RouteStats {
                    route: route.to_owned(),
                    ..RouteStats::default()
                }));
            }
        }
    }

    fn side_for(&self, placement: Placement, req: &Request<Incoming>, client: SocketAddr) -> Side {
        match placement {
            Placement::Node => Side::Node,
            Placement::Rust => Side::Rust,
            Placement::Canary(percent) => {
                let key = self
                    .config
                    .sticky
                    .as_deref()
                    .and_then(|name| sticky_value(req.headers(), name))
                    .unwrap_or_else(|| client.ip().to_string());
                let mut h = std::hash::DefaultHasher::new();
                key.hash(&mut h);
                if h.finish() % 100 < u64::from(percent) {
                    Side::Rust
                } else {
                    Side::Node
                }
            }
        }
    }

    async fn handle(
        self: &Arc<Self>,
        req: Request<Incoming>,
        client: SocketAddr,
    ) -> Response<ProxyBody> {
        let target = req
            .uri()
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
        let routing = self.routing.read().map(|r| Arc::clone(&r)).ok();
        let route = routing.as_ref().map_or_else(
            || RouteMatcher::inferred().route_of(req.method().as_str(), &target),
            |r| r.matcher.route_of(req.method().as_str(), &target),
        );
        let (placement, shadow) = routing
            .as_ref()
            .and_then(|r| r.rules.get(&route).copied())
            .unwrap_or((Placement::Node, self.config.shadow.unknown_routes));
        let shadow = shadow && (self.config.shadow.mutating || idempotent(req.method()));
        let side = self.side_for(placement, &req, client);
        let (mut parts, body) = req.into_parts();
        let retryable = side == Side::Rust && idempotent(&parts.method);
        // A body is buffered only when it may be sent twice or recorded.
        let mut streamed = None;
        let buffered = if retryable || shadow || self.record.is_some() {
            match Limited::new(body, self.config.max_body).collect().await {
                Ok(b) => Some(b.to_bytes()),
                Err(e) => {
                    self.count(&route, |s| {
                        s.requests += 1;
                        s.errors += 1;
                    });
                    let status = if e
                        .downcast_ref::<http_body_util::LengthLimitError>()
                        .is_some()
                    {
                        StatusCode::PAYLOAD_TOO_LARGE
                    } else {
                        StatusCode::BAD_REQUEST
                    };
                    return plain(status, format!("crabport proxy: request body: {e}\n"));
                }
            }
        } else {
            streamed = Some(body.boxed());
            None
        };
        // The client's headers go to the recording as sent; upstreams get
        // them without hop-by-hop headers and with the forwarding ones.
        // Copied only when a recording, a retry or a shadow needs them again.
        let recorded = self.record.is_some().then(|| parts.headers.clone());
        let mut headers = std::mem::take(&mut parts.headers);
        strip_hop_by_hop(&mut headers);
        add_forwarded(&mut headers, client);
        let body_again = || buffered.clone().map_or_else(empty, full);

        let started = Instant::now();
        let first_headers = if retryable || shadow {
            headers.clone()
        } else {
            std::mem::take(&mut headers)
        };
        let first_body = streamed.take().unwrap_or_else(body_again);
        let mut outcome = self
            .send(side, &parts.method, &target, first_headers, first_body)
            .await;
        let mut served_by = side;
        let failed = match &outcome {
            Ok(r) => r.status().is_server_error(),
            Err(_) => true,
        };
        let rust_failed = side == Side::Rust && failed;
        let fell_back = retryable && failed;
        if fell_back {
            served_by = Side::Node;
            let retry_headers = if shadow {
                headers.clone()
            } else {
                std::mem::take(&mut headers)
            };
            outcome = self
                .send(
                    Side::Node,
                    &parts.method,
                    &target,
                    retry_headers,
                    body_again(),
                )
                .await;
        }
        // One trip to the stats per request.
        let answered = outcome.is_ok();
        self.count(&route, |s| {
            s.requests += 1;
            s.fallbacks += u64::from(fell_back);
            s.rust_attempts += u64::from(side == Side::Rust);
            s.rust_failed += u64::from(rust_failed);
            if answered {
                s.answered(served_by, started);
            } else {
                s.errors += 1;
            }
        });
        let response = match outcome {
            Ok(r) if shadow => {
                let copy = ShadowCopy {
                    route: route.clone(),
                    method: parts.method.clone(),
                    target: target.clone(),
                    headers,
                    body: buffered.clone().unwrap_or_default(),
                };
                self.answer_and_shadow(r, served_by, copy).await
            }
            Ok(mut r) => {
                strip_hop_by_hop(r.headers_mut());
                r.map(http_body_util::BodyExt::boxed)
            }
            Err(failure) => plain(
                failure.status,
                format!("crabport proxy: {}\n", failure.detail),
            ),
        };
        if let (Some(record), Some(headers), Some(body)) = (&self.record, recorded, &buffered) {
            self.write_record(
                record,
                &parts.method,
                &target,
                headers,
                body,
                &route,
                response.status(),
            );
        }
        response
    }

    /// The primary's answer, buffered (within `max_body`) so it can be
    /// compared; the copy to the other side goes out in its own task.
    async fn answer_and_shadow(
        self: &Arc<Self>,
        primary: Response<Incoming>,
        served_by: Side,
        copy: ShadowCopy,
    ) -> Response<ProxyBody> {
        let (mut parts, incoming) = primary.into_parts();
        strip_hop_by_hop(&mut parts.headers);
        let bytes = match Limited::new(incoming, self.config.max_body).collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) => {
                self.count(&copy.route, |s| s.errors += 1);
                return plain(
                    StatusCode::BAD_GATEWAY,
                    format!("crabport proxy: the answer could not be read: {e}\n"),
                );
            }
        };
        let answer = answer(parts.status, &parts.headers, &bytes);
        match Arc::clone(&self.shadows).try_acquire_owned() {
            Err(_) => self.count(&copy.route, |s| s.shadow.dropped += 1),
            Ok(permit) => {
                let shared = Arc::clone(self);
                tokio::spawn(async move {
                    let _permit = permit;
                    shared.shadow(served_by, copy, answer).await;
                });
            }
        }
        Response::from_parts(parts, full(bytes))
    }

    /// Sends the copy to the other side and compares. When the answers
    /// differ beyond the ignore rules and the request is safe, it goes once
    /// more to `served_by`: where that answer differs from the first, the
    /// shadow may differ too. A route at parity costs one copy per request.
    async fn shadow(self: Arc<Self>, served_by: Side, copy: ShadowCopy, primary: Answer) {
        let shadow = self.fetch(served_by.other(), &copy).await;
        let route = &copy.route;
        let Some(shadow) = shadow else {
            self.count(route, |s| s.shadow.failed += 1);
            return;
        };
        // Read as primary vs shadow, whichever side serves.
        let Some((primary, all)) = self.compared(primary, shadow).await else {
            return;
        };
        let ignores = &self.config.shadow.ignores;
        let explicit: Vec<_> = all
            .iter()
            .filter(|d| !ignores.iter().any(|i| i.covers(route, d)))
            .collect();
        let second =
            self.config.shadow.secondary && !explicit.is_empty() && !mutating(copy.method.as_str());
        let again = if second {
            self.fetch(served_by, &copy).await
        } else {
            None
        };
        let own = match again {
            Some(again) => self.compared(primary, again).await.map(|(_, own)| own),
            None => None,
        }
        .unwrap_or_default();
        self.count(route, |s| {
            let sh = &mut s.shadow;
            sh.compared += 1;
            sh.noise_fields.learn(&own);
            let real: Vec<_> = explicit
                .into_iter()
                .filter(|d| !sh.noise_fields.covers(d))
                .collect();
            if all.is_empty() {
                sh.identical += 1;
            } else if real.is_empty() {
                sh.noise += 1;
            } else {
                sh.different += 1;
                for d in real {
                    let known = sh
                        .differences
                        .iter()
                        .any(|x| x.part == d.part && x.pointer == d.pattern && x.kind == d.kind);
                    if !known && sh.differences.len() < 10 {
                        sh.differences.push(ShadowDifference {
                            part: d.part,
                            pointer: d.pattern.clone(),
                            kind: d.kind,
                            primary: d.baseline.clone(),
                            shadow: d.candidate.clone(),
                            target: copy.target.clone(),
                        });
                    }
                }
            }
        });
    }

    /// The differences between two answers. Large bodies are compared on
    /// the blocking pool, so the threads that serve requests keep serving.
    async fn compared(
        self: &Arc<Self>,
        primary: Answer,
        other: Answer,
    ) -> Option<(Answer, Vec<compare::Difference>)> {
        const INLINE: usize = 64 * 1024;
        let size = |a: &Answer| match &a.body {
            ParityBody::Full(b) => b.len(),
            _ => 0,
        };
        if size(&primary).max(size(&other)) <= INLINE {
            let all = compare::compare(&primary, &other, &self.config.shadow.compare);
            return Some((primary, all));
        }
        let shared = Arc::clone(self);
        let compared = tokio::task::spawn_blocking(move || {
            let all = compare::compare(&primary, &other, &shared.config.shadow.compare);
            (primary, all)
        });
        // Err only when the runtime shuts down (or the comparison panicked).
        match compared.await {
            Ok(done) => Some(done),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => None,
        }
    }

    /// The copy's answer from `side`, buffered within `max_body`; `None`
    /// when there is none.
    async fn fetch(&self, side: Side, copy: &ShadowCopy) -> Option<Answer> {
        let sent = self
            .send(
                side,
                &copy.method,
                &copy.target,
                copy.headers.clone(),
                full(copy.body.clone()),
            )
            .await
            .ok()?;
        let (parts, incoming) = sent.into_parts();
        let body = Limited::new(incoming, self.config.max_body)
            .collect()
            .await
            .ok()?;
        Some(answer(parts.status, &parts.headers, &body.to_bytes()))
    }

    #[allow(clippy::too_many_arguments)]
    fn write_record(
        &self,
        record: &Mutex<std::io::BufWriter<std::fs::File>>,
        method: &Method,
        target: &str,
        mut kept: HeaderMap,
        body: &Bytes,
        route: &str,
        status: StatusCode,
    ) {
        strip_hop_by_hop(&mut kept);
        let headers = kept
            .iter()
            .filter(|(n, _)| *n != header::HOST && *n != header::CONTENT_LENGTH)
            .map(|(n, v)| {
                let value = if self
                    .config
                    .redact
                    .iter()
                    .any(|r| n.as_str().eq_ignore_ascii_case(r))
                {
                    "[redacted]".to_owned()
                } else {
                    String::from_utf8_lossy(v.as_bytes()).into_owned()
                };
                (n.as_str().to_owned(), value)
            })
            .collect();
        let request = Recorded {
            method: method.as_str().to_owned(),
            target: target.to_owned(),
            headers,
            body: body.to_vec(),
            mutates: mutating(method.as_str()),
            origin: Origin {
                file: PathBuf::new(),
                line: 0,
            },
        };
        let extra = RecordExtra {
            ts: None,
            route: Some(route.to_owned()),
            status: Some(status.as_u16()),
        };
        if let Ok(mut out) = record.lock()
            && write_record(&mut *out, &request, &extra).is_ok()
            && out.flush().is_ok()
        {
            self.recorded
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    async fn send(
        &self,
        side: Side,
        method: &Method,
        target: &str,
        headers: HeaderMap,
        body: ProxyBody,
    ) -> Result<Response<Incoming>, Failure> {
        let base = match side {
            Side::Node => &self.config.node.base,
            Side::Rust => &self.config.rust.base,
        };
        let uri: Uri = format!("{base}{target}").parse().map_err(|e| Failure {
            status: StatusCode::BAD_REQUEST,
            detail: format!("cannot forward {target}: {e}"),
        })?;
        let mut req = Request::new(body);
        *req.method_mut() = method.clone();
        *req.uri_mut() = uri;
        *req.headers_mut() = headers;
        let name = side.name();
        match tokio::time::timeout(self.config.timeout, self.client.request(req)).await {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(e)) => Err(Failure {
                status: StatusCode::BAD_GATEWAY,
                detail: format!("{name} upstream failed: {e}"),
            }),
            Err(_) => Err(Failure {
                status: StatusCode::GATEWAY_TIMEOUT,
                detail: format!(
                    "{name} upstream did not answer within {} s",
                    self.config.timeout.as_secs_f64()
                ),
            }),
        }
    }
}

/// A request to copy to the shadow side.
struct ShadowCopy {
    route: String,
    method: Method,
    target: String,
    headers: HeaderMap,
    body: Bytes,
}

/// An answer as parity's comparator reads it.
fn answer(status: StatusCode, headers: &HeaderMap, body: &Bytes) -> Answer {
    Answer {
        status: status.as_u16(),
        headers: headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: ParityBody::Full(body.to_vec()),
    }
}

struct Failure {
    status: StatusCode,
    detail: String,
}

/// The sticky key: the header's value, or the cookie of that name.
fn sticky_value(headers: &HeaderMap, name: &str) -> Option<String> {
    if let Some(v) = headers.get(name).and_then(|v| v.to_str().ok()) {
        return Some(v.to_owned());
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
}

/// `X-Forwarded-For` (appended), `X-Forwarded-Host`, `X-Forwarded-Proto`
/// and RFC 7239 `Forwarded`, as a reverse proxy sets them.
fn add_forwarded(headers: &mut HeaderMap, client: SocketAddr) {
    let host = headers.get(header::HOST).cloned();
    let host = host.as_ref();
    let ip = client.ip().to_string();
    let xff = match headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(prior) => format!("{prior}, {ip}"),
        None => ip.clone(),
    };
    if let Ok(v) = HeaderValue::from_str(&xff) {
        headers.insert("x-forwarded-for", v);
    }
    headers.insert("x-forwarded-proto", HeaderValue::from_static("http"));
    let node = if client.is_ipv6() {
        format!("\"[{ip}]\"")
    } else {
        ip
    };
    let mut forwarded = format!("for={node};proto=http");
    if let Some(h) = host.and_then(|h| h.to_str().ok()) {
        headers.insert(
            "x-forwarded-host",
            HeaderValue::from_str(h).unwrap_or(HeaderValue::from_static("")),
        );
        forwarded.push_str(&format!(";host=\"{}\"", h.replace('"', "")));
    }
    let forwarded = match headers.get(header::FORWARDED).and_then(|v| v.to_str().ok()) {
        Some(prior) => format!("{prior}, {forwarded}"),
        None => forwarded,
    };
    if let Ok(v) = HeaderValue::from_str(&forwarded) {
        headers.insert(header::FORWARDED, v);
    }
}
