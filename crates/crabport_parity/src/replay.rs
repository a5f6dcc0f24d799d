//! Sends requests to one target, one at a time and in order (so a request
//! that changes state reaches every target after the same history), over
//! one HTTP/1.1 keep-alive connection that is reopened when the server
//! closes it. Every request ends as an answer or as a failure that says
//! what went wrong; nothing is dropped. The caller holds one answer per
//! target at a time, so memory is bounded by the largest body, not by the
//! length of the recording.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use tokio::net::TcpStream;

use crate::exchange::{Body, Request, Response};

#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// For one request, from connecting to the last byte of the body.
    pub timeout: Duration,
    /// A longer body is compared by length and SHA-256 only.
    pub max_body: u64,
}

/// What became of one request on one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Answered(Response),
    Failed(Failure),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub kind: FailureKind,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// The connection could not be opened.
    Connect,
    /// No complete answer within the timeout.
    Timeout,
    /// The server closed the connection before a complete response head.
    Closed,
    /// The response body ended early or broke off.
    Truncated,
    /// Not HTTP/1.1 the client can read.
    Malformed,
    /// The request itself cannot be sent (an invalid header from a HAR).
    Unsendable,
    /// Not sent: the target's process had exited.
    NotSent,
}

impl FailureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Connect => "connect",
            FailureKind::Timeout => "timeout",
            FailureKind::Closed => "closed",
            FailureKind::Truncated => "truncated",
            FailureKind::Malformed => "malformed",
            FailureKind::Unsendable => "unsendable",
            FailureKind::NotSent => "not-sent",
        }
    }
}

pub(crate) fn failed(kind: FailureKind, detail: impl Into<String>) -> Outcome {
    Outcome::Failed(Failure {
        kind,
        detail: detail.into(),
    })
}

/// One target as the replayer sees it: requests go out one at a time, in
/// the caller's order, over one kept-alive connection.
pub struct Replayer {
    addr: SocketAddr,
    authority: String,
    options: ReplayOptions,
    connection: Option<SendRequest<Full<Bytes>>>,
}

impl Replayer {
    /// Connects lazily, on the first request; `Host: authority` unless the
    /// request sets its own.
    pub fn new(addr: SocketAddr, authority: impl Into<String>, options: ReplayOptions) -> Self {
        Self {
            addr,
            authority: authority.into(),
            options,
            connection: None,
        }
    }

    /// Sends `request` and waits for the whole answer, or for the timeout.
    pub async fn send(&mut self, request: &Request) -> Outcome {
        let outcome = match build(request, &self.authority) {
            Err(detail) => failed(FailureKind::Unsendable, detail),
            Ok(built) => match tokio::time::timeout(
                self.options.timeout,
                exchange(
                    self.addr,
                    &mut self.connection,
                    built,
                    self.options.max_body,
                ),
            )
            .await
            {
                Ok(outcome) => outcome,
                Err(_) => failed(
                    FailureKind::Timeout,
                    format!(
                        "no complete answer within {}",
                        humanise(self.options.timeout)
                    ),
                ),
            },
        };
        // After a failure the connection's state is unknown (a late answer
        // may still arrive on it): the next request gets a new one.
        if matches!(outcome, Outcome::Failed(_)) {
            self.connection = None;
        }
        outcome
    }
}

fn humanise(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

fn build(request: &Request, authority: &str) -> Result<http::Request<Full<Bytes>>, String> {
    let mut builder = http::Request::builder()
        .method(request.method.as_str())
        .uri(request.target.as_str());
    let mut has_host = false;
    for (name, value) in &request.headers {
        has_host |= name.eq_ignore_ascii_case("host");
        builder = builder.header(name.as_str(), value.as_str());
    }
    if !has_host {
        builder = builder.header(http::header::HOST, authority);
    }
    builder
        .body(Full::new(Bytes::from(request.body.clone())))
        .map_err(|e| format!("cannot build the request: {e}"))
}

async fn exchange(
    addr: SocketAddr,
    connection: &mut Option<SendRequest<Full<Bytes>>>,
    request: http::Request<Full<Bytes>>,
    max_body: u64,
) -> Outcome {
    // A kept-alive connection the server closed meanwhile is reopened.
    if let Some(sender) = connection.as_mut()
        && sender.ready().await.is_err()
    {
        *connection = None;
    }
    let sender = match connection {
        Some(sender) => sender,
        None => match connect(addr).await {
            Ok(sender) => connection.insert(sender),
            Err(outcome) => return outcome,
        },
    };
    let response = match sender.send_request(request).await {
        Ok(response) => response,
        Err(e) => return hyper_failure(&e, FailureKind::Closed),
    };
    let (head, mut body) = response.into_parts();
    let mut collected = Collected::new(max_body);
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(frame) => {
                if let Ok(data) = frame.into_data() {
                    collected.push(&data);
                }
            }
            Err(e) => return hyper_failure(&e, FailureKind::Truncated),
        }
    }
    Outcome::Answered(Response {
        status: head.status.as_u16(),
        headers: head
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: collected.finish(),
    })
}

async fn connect(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>, Outcome> {
    let stream = TcpStream::connect(addr).await.map_err(|e| {
        failed(
            FailureKind::Connect,
            format!("cannot connect to {addr}: {e}"),
        )
    })?;
    let _ = stream.set_nodelay(true);
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| hyper_failure(&e, FailureKind::Connect))?;
    // Ends with the connection; its error, if any, reaches the request.
    tokio::spawn(conn);
    Ok(sender)
}

fn hyper_failure(e: &hyper::Error, otherwise: FailureKind) -> Outcome {
    let kind = if e.is_parse() || e.is_parse_status() {
        FailureKind::Malformed
    } else if e.is_incomplete_message() && otherwise == FailureKind::Closed {
        FailureKind::Closed
    } else if e.is_timeout() {
        FailureKind::Timeout
    } else {
        otherwise
    };
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        source = s.source();
    }
    failed(kind, detail)
}

/// A body kept whole up to the limit, and only hashed past it.
struct Collected {
    max: u64,
    bytes: Vec<u8>,
    hash: Option<Sha256>,
    len: u64,
}

impl Collected {
    fn new(max: u64) -> Self {
        Self {
            max,
            bytes: Vec::new(),
            hash: None,
            len: 0,
        }
    }

    fn push(&mut self, data: &[u8]) {
        self.len += data.len() as u64;
        if let Some(hash) = self.hash.as_mut() {
            hash.update(data);
        } else if self.len > self.max {
            let mut hash = Sha256::new();
            hash.update(&self.bytes);
            hash.update(data);
            self.bytes = Vec::new();
            self.hash = Some(hash);
        } else {
            self.bytes.extend_from_slice(data);
        }
    }

    fn finish(self) -> Body {
        match self.hash {
            None => Body::Full(self.bytes),
            Some(hash) => Body::Hashed {
                len: self.len,
                sha256: hash.finalize().iter().map(|b| format!("{b:02x}")).collect(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_over_the_limit_is_hashed_whole() {
        let mut c = Collected::new(4);
        c.push(b"abc");
        c.push(b"def");
        let Body::Hashed { len, sha256 } = c.finish() else {
            panic!("should be hashed");
        };
        assert_eq!(len, 6);
        // sha256("abcdef")
        assert_eq!(
            sha256,
            "bef57ec7f53a6d40beb640a780a639c83bc29ac8a9816f1fc6c5c6dcd93c4721"
        );
        let mut c = Collected::new(6);
        c.push(b"abcdef");
        assert_eq!(c.finish(), Body::Full(b"abcdef".to_vec()));
    }
}
