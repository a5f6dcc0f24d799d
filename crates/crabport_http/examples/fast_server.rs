//! A minimal, fast HTTP/1.1 keep-alive server for `bench/http`: every
//! request gets the same small JSON. Single-threaded (one current-thread
//! runtime), so pinning it with `taskset` gives it exactly one core.
//!
//!     cargo run --release -p crabport_http --example fast_server -- 127.0.0.1:8787

use std::io::Write as _;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const BODY: &str = r#"{"status":"ok","service":"fast","items":[1,2,3]}"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8787".to_owned());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    runtime.block_on(async {
        let listener = TcpListener::bind(&addr).await?;
        writeln!(std::io::stdout(), "listening on {}", listener.local_addr()?)?;
        loop {
            let (stream, _) = listener.accept().await?;
            tokio::spawn(serve(stream));
        }
    })
}

async fn serve(mut stream: TcpStream) {
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = stream.set_nodelay(true);
    let mut buf = vec![0u8; 8192];
    let mut out = Vec::with_capacity(4096);
    let mut filled = 0;
    loop {
        let n = match stream.read(&mut buf[filled..]).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        filled += n;
        // Answer every complete request in the buffer (pipelining included) with one write.
        let mut pos = 0;
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut request = httparse::Request::new(&mut headers);
            match request.parse(&buf[pos..filled]) {
                Ok(httparse::Status::Complete(len)) => {
                    let body: usize = request
                        .headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                        .and_then(|h| std::str::from_utf8(h.value).ok()?.trim().parse().ok())
                        .unwrap_or(0);
                    if pos + len + body > filled {
                        break;
                    }
                    pos += len + body;
                    out.extend_from_slice(response.as_bytes());
                }
                Ok(httparse::Status::Partial) => break,
                Err(_) => return,
            }
        }
        buf.copy_within(pos..filled, 0);
        filled -= pos;
        if filled == buf.len() {
            return; // a request larger than the buffer: not what this server is for
        }
        if !out.is_empty() {
            if stream.write_all(&out).await.is_err() {
                return;
            }
            out.clear();
        }
    }
}
