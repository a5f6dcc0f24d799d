//! metrics-service, the Rust port of `examples/metrics-service` (express).
//!
//! Same routes, status codes, JSON bodies and headers as the Node service;
//! `crabport parity examples/metrics-service` checks them side by side. Start it with
//! `cargo run --release -p metrics-service -- --port 3001` (or `PORT=3001`).

mod body;
mod config;
mod db;
mod express;
mod js;
mod metrics;
mod outbound;
mod routes;
mod validate;

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::ServiceExt as _;
use clap::Parser;
use tokio::net::TcpListener;
use tower::Layer as _;
use tracing::{error, info};

use crate::config::Config;
use crate::routes::{App, Bodies};

/// The Rust port of the metrics-service example (axum on tokio).
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Port to listen on [default: $PORT, else 3000].
    #[arg(long)]
    port: Option<u16>,
}

/// express's `server.close` gets this long before `process.exit(1)`.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let config = match Config::load(args.port) {
        Ok(config) => config,
        Err(err) => {
            // Logging is configured by this very config, so this one goes to stderr.
            let _ = std::io::Write::write_fmt(
                &mut std::io::stderr(),
                format_args!("metrics-service: {err:#}\n"),
            );
            return std::process::ExitCode::from(2);
        }
    };
    // pino: JSON lines on stdout, at LOG_LEVEL.
    tracing_subscriber::fmt()
        .json()
        .with_max_level(config.log_level)
        .with_writer(std::io::stdout)
        .with_current_span(false)
        .init();

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            error!(err = %err, "cannot start the tokio runtime");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(config)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            error!(err = format!("{err:#}"), "metrics-service failed");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    // reqwest is built without a bundled TLS backend; use ring, which the
    // workspace already compiles (aws-lc-rs, reqwest's default, builds C).
    let _ = rustls::crypto::ring::default_provider().install_default();

    let db = config
        .database_url
        .as_deref()
        .map(|url| db::Db::new(url).map_err(|err| format!("invalid DATABASE_URL: {err:#}")));
    if let Some(Err(reason)) = &db {
        error!(err = reason.as_str(), "GET /report will fail");
    }
    let app = Arc::new(App {
        metrics: metrics::Metrics::new(),
        db,
        outbound: outbound::Outbound::new(&config)?,
        bodies: Bodies::default(),
    });

    let listener = bind(config.port).await?;
    let port = listener.local_addr()?.port();
    info!(port, "metrics-service listening");

    // express's routing rules (case-insensitive, optional trailing slash) need
    // the path adjusted before axum matches it, so this wraps the Router.
    let service = tower::util::MapResponseLayer::new(express::express_response).layer(
        tower::util::MapRequestLayer::new(express::express_routing)
            .layer(routes::router(Arc::clone(&app))),
    );

    let (signalled_tx, signalled_rx) = tokio::sync::oneshot::channel::<()>();
    let server =
        axum::serve(listener, service.into_make_service()).with_graceful_shutdown(async move {
            let signal = shutdown_signal().await;
            info!(signal, "shutting down");
            let _ = signalled_tx.send(());
        });
    let deadline = async {
        if signalled_rx.await.is_ok() {
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        result = server => result.context("serving HTTP")?,
        () = deadline => {
            error!("connections still open {}s after the signal; exiting", SHUTDOWN_GRACE.as_secs());
            std::process::exit(1);
        }
    }
    if let Some(Ok(db)) = &app.db {
        db.close();
    }
    Ok(())
}

/// `app.listen(port)`: all interfaces, IPv6 (dual-stack) when the host has it.
async fn bind(port: u16) -> anyhow::Result<TcpListener> {
    let v6 = SocketAddr::from((Ipv6Addr::UNSPECIFIED, port));
    match TcpListener::bind(v6).await {
        Ok(listener) => Ok(listener),
        Err(_) => TcpListener::bind(SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)))
            .await
            .with_context(|| format!("listening on port {port}")),
    }
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C), naming the signal.
async fn shutdown_signal() -> &'static str {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => "SIGINT",
        () = term => "SIGTERM",
    }
}
