//! The proxy between a real HTTP client (raw sockets, so hop-by-hop
//! headers can be sent) and two real HTTP upstreams that say who they are
//! and what they were sent.
#![allow(clippy::unwrap_used)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use crabport_proxy::{Placement, Proxy, ProxyConfig, RouteRule, ShadowConfig, Summary, Upstream};
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// An upstream on a free port: answers `name METHOD /path body`, with the
/// forwarding headers it received echoed back; `/fail` answers 500, `/slow`
/// waits a second and a half.
async fn upstream(name: &'static str) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |req: http::Request<hyper::body::Incoming>| async move {
                        let (parts, body) = req.into_parts();
                        if parts.uri.path() == "/slow" {
                            tokio::time::sleep(Duration::from_millis(1500)).await;
                        }
                        let body = body.collect().await.unwrap().to_bytes();
                        let seen = |h: &str| {
                            parts
                                .headers
                                .get(h)
                                .map_or("-".to_owned(), |v| v.to_str().unwrap().to_owned())
                        };
                        let text = format!(
                            "{name} {} {} {}",
                            parts.method,
                            parts.uri,
                            String::from_utf8_lossy(&body)
                        );
                        let mut r = http::Response::new(Full::new(Bytes::from(text)));
                        if parts.uri.path() == "/fail" {
                            *r.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
                        }
                        for h in [
                            "x-forwarded-for",
                            "forwarded",
                            "x-secret",
                            "keep-alive",
                            "host",
                        ] {
                            r.headers_mut().insert(
                                format!("x-seen-{h}").parse::<http::HeaderName>().unwrap(),
                                seen(h).parse().unwrap(),
                            );
                        }
                        Ok::<_, Infallible>(r)
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// A port nothing listens on.
async fn closed_port() -> SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap()
}

struct Running {
    addr: SocketAddr,
    routing: crabport_proxy::RoutingHandle,
    stop: tokio::sync::oneshot::Sender<()>,
    done: tokio::task::JoinHandle<Summary>,
}

async fn start(
    node: SocketAddr,
    rust: SocketAddr,
    routes: &[(&str, &str, Placement)],
    tweak: impl FnOnce(&mut ProxyConfig),
) -> Running {
    let mut config = ProxyConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        node: Upstream {
            base: format!("http://{node}"),
        },
        rust: Upstream {
            base: format!("http://{rust}"),
        },
        routes: routes
            .iter()
            .map(|(m, p, placement)| RouteRule {
                method: (*m).to_owned(),
                path: (*p).to_owned(),
                placement: *placement,
                shadow: false,
            })
            .collect(),
        shadow: ShadowConfig::default(),
        sticky: None,
        timeout: Duration::from_secs(5),
        max_body: 1 << 20,
        record: None,
        redact: vec!["authorization".to_owned(), "cookie".to_owned()],
    };
    tweak(&mut config);
    let proxy = Proxy::bind(config).await.unwrap();
    let addr = proxy.local_addr().unwrap();
    let routing = proxy.routing_handle();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let done = tokio::spawn(proxy.serve(async move {
        let _ = stopped.await;
    }));
    Running {
        addr,
        routing,
        stop,
        done,
    }
}

impl Running {
    async fn finish(self) -> Summary {
        self.stop.send(()).unwrap();
        self.done.await.unwrap()
    }
}

/// One request over a fresh connection: (status, head, body).
async fn send(addr: SocketAddr, raw: &str) -> (u16, String, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(raw.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head[9..12].parse().unwrap();
    (status, head.to_ascii_lowercase(), body.to_owned())
}

/// The body of a plain GET through the proxy: `side METHOD target body`.
async fn get_body(addr: SocketAddr, path: &str) -> String {
    send(addr, &get(path, "")).await.2
}

fn get(path: &str, extra: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nhost: shop.test\r\nconnection: close\r\n{extra}\r\n")
}

#[tokio::test]
async fn each_route_goes_where_the_table_says_and_unknown_routes_go_to_node() {
    let (node, rust) = (upstream("node").await, upstream("rust").await);
    let p = start(
        node,
        rust,
        &[
            ("GET", "/users/:id", Placement::Rust),
            ("GET", "/health", Placement::Node),
        ],
        |_| {},
    )
    .await;
    assert!(
        get_body(p.addr, "/users/7?x=1")
            .await
            .starts_with("rust GET /users/7?x=1")
    );
    assert!(
        get_body(p.addr, "/health")
            .await
            .starts_with("node GET /health")
    );
    assert!(
        get_body(p.addr, "/orders/1").await.starts_with("node "),
        "not in the table"
    );
    let summary = p.finish().await;
    let users = summary
        .routes
        .iter()
        .find(|r| r.route == "GET /users/:id")
        .unwrap();
    assert_eq!((users.requests, users.rust, users.node), (1, 1, 0));
    assert!(users.p99_ms.rust.is_some());
}

#[tokio::test]
async fn a_canary_keeps_each_client_on_one_side() {
    let (node, rust) = (upstream("node").await, upstream("rust").await);
    let p = start(
        node,
        rust,
        &[("GET", "/cart", Placement::Canary(50))],
        |c| {
            c.sticky = Some("x-user".to_owned());
        },
    )
    .await;
    let mut sides = std::collections::HashSet::new();
    for user in 0..40 {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..3 {
            let (_, _, body) = send(p.addr, &get("/cart", &format!("x-user: u{user}\r\n"))).await;
            seen.insert(body.split(' ').next().unwrap().to_owned());
        }
        assert_eq!(seen.len(), 1, "user {user} moved between sides: {seen:?}");
        sides.extend(seen);
    }
    assert_eq!(sides.len(), 2, "50%: both sides serve some users");
    let summary = p.finish().await;
    assert_eq!(summary.routes[0].requests, 120);
}

#[tokio::test]
async fn a_failing_rust_upstream_falls_back_to_node_for_idempotent_requests_only() {
    let node = upstream("node").await;
    let p = start(
        node,
        closed_port().await,
        &[("ALL", "/users/:id", Placement::Rust)],
        |_| {},
    )
    .await;
    let (status, _, body) = send(p.addr, &get("/users/1", "")).await;
    assert_eq!(status, 200);
    assert!(body.starts_with("node GET /users/1"), "{body}");
    let post =
        "POST /users/1 HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: 2\r\n\r\nhi";
    let (status, _, body) = send(p.addr, post).await;
    assert_eq!(status, 502, "a POST is not retried elsewhere: {body}");
    let summary = p.finish().await;
    let r = &summary.routes[0];
    assert_eq!(
        (r.requests, r.fallbacks, r.node, r.errors),
        (2, 1, 1, 1),
        "{r:?}"
    );

    // A 5xx from Rust falls back too.
    let (node, rust) = (upstream("node").await, upstream("rust").await);
    let p = start(node, rust, &[("GET", "/fail", Placement::Rust)], |_| {}).await;
    let (status, _, body) = send(p.addr, &get("/fail", "")).await;
    assert_eq!(
        (status, body.split(' ').next()),
        (500, Some("node")),
        "node's own answer"
    );
    assert_eq!(p.finish().await.routes[0].fallbacks, 1);
}

#[tokio::test]
async fn hop_by_hop_headers_stay_and_forwarding_headers_are_added() {
    let (node, rust) = (upstream("node").await, upstream("rust").await);
    let p = start(node, rust, &[], |_| {}).await;
    let (_, head, _) = send(
        p.addr,
        "GET /x HTTP/1.1\r\nhost: shop.test\r\nconnection: close, x-secret\r\nx-secret: 1\r\nkeep-alive: timeout=5\r\nx-forwarded-for: 10.0.0.1\r\n\r\n",
    )
    .await;
    assert!(head.contains("x-seen-x-secret: -"), "{head}");
    assert!(head.contains("x-seen-keep-alive: -"), "{head}");
    assert!(
        head.contains("x-seen-x-forwarded-for: 10.0.0.1, 127.0.0.1"),
        "{head}"
    );
    assert!(
        head.contains("x-seen-forwarded: for=127.0.0.1;proto=http;host=\"shop.test\""),
        "{head}"
    );
    assert!(
        head.contains("x-seen-host: shop.test"),
        "the client's host is kept: {head}"
    );
    p.finish().await;
}

#[tokio::test]
async fn record_writes_what_parity_replays_with_secrets_redacted() {
    let (node, rust) = (upstream("node").await, upstream("rust").await);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("traffic.jsonl");
    let path = file.clone();
    let p = start(
        node,
        rust,
        &[("POST", "/events", Placement::Rust)],
        move |c| c.record = Some(path),
    )
    .await;
    send(
        p.addr,
        &get("/users?page=2", "authorization: Bearer s3cret\r\n"),
    )
    .await;
    let post = "POST /events HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: 8\r\n\r\n{\"a\":1}\n";
    let (status, _, body) = send(p.addr, post).await;
    assert_eq!(status, 200);
    assert!(body.starts_with("rust POST /events {\"a\":1}"), "{body}");
    assert_eq!(p.finish().await.recorded, 2);
    let replay = crabport_parity::source::load(&file).unwrap();
    assert_eq!(replay.len(), 2);
    assert_eq!(replay[0].target, "/users?page=2");
    assert!(
        replay[0]
            .headers
            .contains(&("authorization".to_owned(), "[redacted]".to_owned()))
    );
    assert!(!std::fs::read_to_string(&file).unwrap().contains("s3cret"));
    assert_eq!(
        (replay[1].method.as_str(), replay[1].body.as_slice()),
        ("POST", &b"{\"a\":1}\n"[..])
    );
    assert!(replay[1].mutates);
}

fn shadowed(c: &mut ProxyConfig) {
    for r in &mut c.routes {
        r.shadow = true;
    }
}

#[tokio::test]
async fn shadow_copies_are_compared_off_the_request_path() {
    // The same answers: "twin" says it is node.
    let (node, twin) = (upstream("node").await, upstream("node").await);
    let p = start(
        node,
        twin,
        &[("GET", "/users/:id", Placement::Node)],
        shadowed,
    )
    .await;
    for id in 0..5 {
        send(p.addr, &get(&format!("/users/{id}"), "")).await;
    }
    let post =
        "POST /users/1 HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";
    send(p.addr, post).await;
    let summary = p.finish().await;
    let users = summary
        .routes
        .iter()
        .find(|r| r.route == "GET /users/:id")
        .unwrap();
    assert_eq!(
        (users.shadow.compared, users.shadow.identical),
        (5, 5),
        "{users:?}"
    );
    assert_eq!(users.shadow.parity, Some(1.0));
    let post = summary
        .routes
        .iter()
        .find(|r| r.route == "POST /users/:id")
        .unwrap();
    assert_eq!(
        post.shadow.compared, 0,
        "a POST is never copied unless asked"
    );

    // Different answers: each difference is named.
    let (node, rust) = (upstream("node").await, upstream("rust").await);
    let p = start(
        node,
        rust,
        &[("GET", "/users/:id", Placement::Node)],
        shadowed,
    )
    .await;
    let (_, _, body) = send(p.addr, &get("/users/1", "")).await;
    assert!(body.starts_with("node "), "the primary serves: {body}");
    let summary = p.finish().await;
    let sh = &summary.routes[0].shadow;
    assert_eq!((sh.compared, sh.different), (1, 1), "{sh:?}");
    assert_eq!(sh.differences[0].kind, crabport_parity::compare::Kind::Body);
    assert_eq!(sh.parity, Some(0.0));
}

#[tokio::test]
async fn a_slow_shadow_never_delays_the_primary_and_excess_copies_are_dropped() {
    let (node, rust) = (upstream("node").await, upstream("rust").await);
    let p = start(node, rust, &[("GET", "/slow", Placement::Rust)], |c| {
        shadowed(c);
        c.shadow.concurrency = 1;
    })
    .await;
    // Rust serves /slow slowly; the shadow to Node is slow too. Only the
    // first copy fits in the one slot; the primary answers stay ~1.5 s.
    let started = std::time::Instant::now();
    let slow = get("/slow", "");
    let (a, b) = tokio::join!(send(p.addr, &slow), async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        send(p.addr, &get("/slow", "")).await
    });
    assert_eq!((a.0, b.0), (200, 200));
    assert!(
        started.elapsed() < Duration::from_millis(2900),
        "{:?}",
        started.elapsed()
    );
    let summary = p.finish().await;
    let sh = &summary.routes[0].shadow;
    assert_eq!((sh.compared, sh.dropped), (1, 1), "{sh:?}");
}

#[tokio::test]
async fn a_new_routing_applies_to_the_next_request_without_a_restart() {
    let (node, rust) = (upstream("node").await, upstream("rust").await);
    let p = start(
        node,
        rust,
        &[("GET", "/users/:id", Placement::Node)],
        |_| {},
    )
    .await;
    assert!(get_body(p.addr, "/users/1").await.starts_with("node "));
    p.routing.replace(&[RouteRule {
        method: "GET".to_owned(),
        path: "/users/:id".to_owned(),
        placement: Placement::Rust,
        shadow: false,
    }]);
    assert!(get_body(p.addr, "/users/1").await.starts_with("rust "));
    let summary = p.finish().await;
    assert_eq!((summary.routes[0].node, summary.routes[0].rust), (1, 1));
}

/// An upstream answering JSON: `{"id", "price", "request"}`, where
/// `request` counts the requests it has seen from `first` on (noise, like a
/// request id).
async fn json_upstream(price: u32, first: u64) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(first));
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let seen = std::sync::Arc::clone(&seen);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: http::Request<_>| {
                    let n = seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let id = req.uri().path().rsplit('/').next().unwrap_or("").to_owned();
                    async move {
                        let text = format!(r#"{{"id":"{id}","price":{price},"request":{n}}}"#);
                        let mut r = http::Response::new(Full::new(Bytes::from(text)));
                        r.headers_mut()
                            .insert("content-type", "application/json".parse().unwrap());
                        Ok::<_, Infallible>(r)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn noise_is_learnt_from_a_second_copy_to_the_primary_and_real_differences_remain() {
    let route = [("GET", "/items/:id", Placement::Node)];
    let shadows = |p: &Running| {
        let stats = p.routing.stats();
        stats
            .into_iter()
            .find(|r| r.route == "GET /items/:id")
            .map(|r| r.shadow)
    };
    let settle = |p: &Running| {
        let routing = p.routing.clone();
        async move {
            // Copies are compared off the request path.
            for _ in 0..100 {
                let done = routing
                    .stats()
                    .iter()
                    .map(|r| r.shadow.compared + r.shadow.failed)
                    .sum::<u64>();
                if done == 4 {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };

    // Four GETs through a proxy shadowing to `shadow_price`: what the
    // shadow stats say once every copy is compared.
    let shadow_stats = |shadow_price: u32, secondary: bool| async move {
        let p = start(
            json_upstream(1, 0).await,
            json_upstream(shadow_price, 100).await,
            &route,
            |c| {
                shadowed(c);
                c.shadow.secondary = secondary;
            },
        )
        .await;
        for id in 0..4 {
            get_body(p.addr, &format!("/items/{id}")).await;
        }
        settle(&p).await;
        let sh = shadows(&p).unwrap();
        p.finish().await;
        sh
    };

    // The same service on both sides, but every answer has its own counter.
    let sh = shadow_stats(1, true).await;
    assert_eq!((sh.compared, sh.noise, sh.different), (4, 4, 0), "{sh:?}");
    assert_eq!(sh.noise_fields.fields().len(), 1, "{sh:?}");
    assert_eq!(sh.noise_fields.fields()[0].pattern, "/request");

    // Without the second copy, nothing says the counter is noise.
    let sh = shadow_stats(1, false).await;
    assert_eq!((sh.compared, sh.noise, sh.different), (4, 0, 4), "{sh:?}");

    // A real difference stays one, and is the only one listed.
    let sh = shadow_stats(2, true).await;
    assert_eq!((sh.compared, sh.different), (4, 4), "{sh:?}");
    let pointers: Vec<&str> = sh.differences.iter().map(|d| d.pointer.as_str()).collect();
    assert_eq!(pointers, ["/price"], "{sh:?}");
    assert_eq!(
        (
            sh.differences[0].primary.as_deref(),
            sh.differences[0].shadow.as_deref()
        ),
        (Some("1"), Some("2"))
    );
}
