//! `crabport proxy`: the route table → placements and shadow set → serve
//! until Ctrl-C or SIGTERM, reloading the table when it changes or on
//! SIGHUP → the summary.
//!
//! Exit codes: 0 after a clean stop; 2 for bad input (flags, table, config)
//! or an address that cannot be listened on.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context as _, anyhow, bail};

use crabport_plan::table::{RouteTable, State};
use crabport_proxy::promote::{self, Policy, Promoter};
use crabport_proxy::{Placement, Proxy, ProxyConfig, RouteRule, ShadowConfig, Upstream};

use crate::ExitStatus;
use crate::cli::{ProxyArgs, ProxyFormat};
use crate::config::{Config, ParityConfig, parse_duration, parse_size};
use crate::output::{print_report, progress, terminal_width, warn};

pub fn run(args: &ProxyArgs, quiet: bool) -> anyhow::Result<ExitStatus> {
    let listen: SocketAddr = args.listen.parse().map_err(|e| {
        anyhow!(
            "--listen {}: {e} (an address and port, like 127.0.0.1:8080)",
            args.listen
        )
    })?;
    if !listen.ip().is_loopback() && !args.allow_remote {
        bail!(
            "--listen {listen} is not a loopback address: anyone who can reach it could use the proxy; add --allow-remote if that is intended"
        );
    }
    let upstream = |flag: &str, url: &str| -> anyhow::Result<Upstream> {
        let target = crabport_http::request::parse_target(url, args.allow_remote)
            .map_err(|e| anyhow!("{flag} {url}: {e}"))?;
        Ok(Upstream {
            base: format!("http://{}", target.authority),
        })
    };
    let node = upstream("--baseline", &args.baseline)?;
    let rust = upstream("--candidate", &args.candidate)?;
    let timeout = parse_duration(&args.timeout).map_err(|e| anyhow!("--timeout: {e}"))?;
    if timeout.is_zero() {
        bail!("--timeout must be longer than zero");
    }
    let max_body = parse_size(&args.max_body).map_err(|e| anyhow!("--max-body: {e}"))?;
    if args.shadow_concurrency == 0 {
        bail!("--shadow-concurrency must be at least 1 (use --no-shadow for none)");
    }
    let policy = args.promote.then(|| promote_policy(args)).transpose()?;

    let config = Config::load(&args.path)?;
    let empty = ParityConfig::default();
    let parity = config.parity.as_ref().unwrap_or(&empty);
    let (compare, ignores) = crate::commands::parity::comparison(parity, &config, &args.headers)?;

    let table = RouteTable::load(&args.path)?;
    let rules = match &table {
        Some(t) => rules(t, args)?,
        None => {
            warn(
                quiet,
                &format!(
                    "no {} in {}: every request goes to Node (write one with `crabport plan --write`)",
                    crabport_plan::table::FILE_NAME,
                    args.path.display()
                ),
            );
            Vec::new()
        }
    };
    if args.promote
        && !table
            .as_ref()
            .is_some_and(|t| t.entries.iter().any(|e| e.state == State::Canary))
    {
        warn(
            quiet,
            "--promote: no route is in state \"canary\"; set one to promote it (state = \"canary\", canary_percent = 1)",
        );
    }
    let redact = if args.redact.is_empty() {
        vec!["authorization".to_owned(), "cookie".to_owned()]
    } else {
        args.redact.iter().map(|h| h.to_ascii_lowercase()).collect()
    };
    let proxy_config = ProxyConfig {
        listen,
        node,
        rust,
        routes: rules,
        shadow: ShadowConfig {
            concurrency: args.shadow_concurrency,
            mutating: args.shadow_mutating,
            unknown_routes: args.shadow_all,
            secondary: !args.no_secondary,
            compare,
            ignores,
        },
        sticky: args.sticky.clone(),
        timeout,
        max_body: usize::try_from(max_body).unwrap_or(usize::MAX),
        record: args.record.clone(),
        redact,
    };

    // One thread by default: under a proxy's load, handing requests between
    // threads costs more CPU than it saves (bench/proxy).
    let runtime = match args.workers {
        0 => bail!("--workers must be at least 1"),
        1 => tokio::runtime::Builder::new_current_thread(),
        n => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(n);
            b
        }
    }
    .enable_all()
    .build()
    .context("cannot start the async runtime")?;
    let summary = runtime.block_on(async {
        let started = Instant::now();
        let proxy = Proxy::bind(proxy_config).await?;
        let addr = proxy.local_addr().unwrap_or(listen);
        let routing = proxy.routing_handle();
        if !quiet {
            // Scripts wait for this line (and read the port from it with --listen …:0).
            let _ = writeln!(
                anstream::stderr(),
                "crabport proxy: listening on http://{addr}"
            );
        }
        let bar = progress(0, quiet, "proxy");
        bar.set_message(format!("listening on {addr}"));
        let shutdown = shutdown_signal();
        let (table_tx, _) = tokio::sync::watch::channel(table);
        let watcher = tokio::spawn(watch_table(
            args.path.clone(),
            ShadowChoice::of(args),
            routing.clone(),
            table_tx.clone(),
            bar.clone(),
            quiet,
        ));
        let events = Arc::new(Mutex::new(Vec::new()));
        let promoter = policy.map(|policy| {
            tokio::spawn(promote(
                Promotion {
                    dir: args.path.clone(),
                    choice: ShadowChoice::of(args),
                    routing: routing.clone(),
                    table: table_tx,
                    events: Arc::clone(&events),
                    bar: bar.clone(),
                    quiet,
                },
                Promoter::new(policy, started),
            ))
        });
        let status = {
            let bar = bar.clone();
            let routing = routing.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    bar.set_message(format!(
                        "{addr}: {}",
                        crabport_report::proxy::status_line(&routing.stats())
                    ));
                    bar.tick();
                }
            })
        };
        let mut summary = proxy.serve(shutdown).await;
        watcher.abort();
        status.abort();
        if let Some(promoter) = promoter {
            promoter.abort();
            summary.promotions =
                std::mem::take(&mut *events.lock().unwrap_or_else(|e| e.into_inner()));
        }
        bar.finish_and_clear();
        Ok::<_, anyhow::Error>(summary)
    })?;
    let text = match args.format {
        ProxyFormat::Terminal => crabport_report::proxy::terminal(&summary, terminal_width()),
        ProxyFormat::Json => crabport_report::proxy::json(&summary)?,
    };
    print_report(&text)?;
    Ok(ExitStatus::Success)
}

fn promote_policy(args: &ProxyArgs) -> anyhow::Result<Policy> {
    let steps = &args.promote_steps;
    if steps.is_empty() || steps.iter().any(|s| !(1..=100).contains(s)) {
        bail!("--promote-steps {steps:?}: each share is 1 to 100");
    }
    if steps.windows(2).any(|w| w[0] >= w[1]) {
        bail!("--promote-steps {steps:?}: shares go up, each once");
    }
    let interval =
        parse_duration(&args.promote_interval).map_err(|e| anyhow!("--promote-interval: {e}"))?;
    if args.promote_min_requests == 0 {
        bail!("--promote-min-requests must be at least 1: a share is raised on evidence");
    }
    let percent = |flag: &str, value: f64| -> anyhow::Result<f64> {
        if (0.0..=100.0).contains(&value) {
            Ok(value / 100.0)
        } else {
            bail!("{flag} {value}: a percentage, 0 to 100")
        }
    };
    Ok(Policy {
        steps: steps.clone(),
        interval,
        min_compared: args.promote_min_requests,
        min_parity: percent("--promote-min-parity", args.promote_min_parity)?,
        max_error_rate: percent("--promote-max-errors", args.promote_max_errors)?,
    })
}

/// What the promotion task works with.
struct Promotion {
    dir: PathBuf,
    choice: ShadowChoice,
    routing: crabport_proxy::RoutingHandle,
    /// The table in force, as the watcher and the promoter last set it.
    table: tokio::sync::watch::Sender<Option<RouteTable>>,
    events: Arc<Mutex<Vec<promote::Event>>>,
    bar: indicatif::ProgressBar,
    quiet: bool,
}

/// Once a second: the promoter judges each canary route of the table in
/// force; a raise is written to the table, then routed. A table that
/// cannot be written keeps the share (the next step starts over).
async fn promote(p: Promotion, mut promoter: Promoter) {
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let canaries: Vec<(String, u8)> = p.table.borrow().as_ref().map_or_else(Vec::new, |t| {
            t.entries
                .iter()
                .filter_map(|e| match Placement::of(e) {
                    Placement::Canary(percent) => {
                        Some((format!("{} {}", e.method, e.path), percent))
                    }
                    _ => None,
                })
                .collect()
        });
        let events = promoter.tick(Instant::now(), &canaries, &p.routing.stats());
        for event in events {
            let message = match event.action {
                promote::Action::Raise => {
                    let (method, path) = event.route.split_once(' ').unwrap_or_default();
                    match crabport_plan::table::set_canary_share(&p.dir, method, path, event.to) {
                        Ok(table) => {
                            p.routing.replace(&build_rules(&table, &p.choice));
                            p.table.send_replace(Some(table));
                            format!(
                                "promoted {}: {}% → {}% of its traffic on Rust ({})",
                                event.route, event.from, event.to, event.reason
                            )
                        }
                        Err(e) => format!("{}: not promoted: {e}", event.route),
                    }
                }
                promote::Action::Hold => format!(
                    "{} held at {}% for the rest of this run: {}",
                    event.route, event.from, event.reason
                ),
            };
            p.bar
                .suspend(|| warn(p.quiet, &crabport_core::escape::terminal(&message)));
            if let Ok(mut all) = p.events.lock() {
                all.push(event);
            }
        }
    }
}

/// Which routes are shadowed, from the flags.
#[derive(Clone)]
struct ShadowChoice {
    all: bool,
    none: bool,
    /// Canary routes too: promotion judges them by their shadows.
    canaries: bool,
    routes: Vec<String>,
}

impl ShadowChoice {
    fn of(args: &ProxyArgs) -> Self {
        Self {
            all: args.shadow_all,
            none: args.no_shadow,
            canaries: args.promote,
            routes: args.shadow.clone(),
        }
    }

    fn shadows(&self, route: &str, state: State) -> bool {
        if self.none {
            false
        } else if self.all || (self.canaries && state == State::Canary) {
            true
        } else if self.routes.is_empty() {
            // Ported and checked, not yet serving: what shadow traffic is for.
            matches!(state, State::Ported | State::Parity)
        } else {
            self.routes.iter().any(|r| r == route)
        }
    }
}

fn rules(table: &RouteTable, args: &ProxyArgs) -> anyhow::Result<Vec<RouteRule>> {
    let choice = ShadowChoice::of(args);
    let known: Vec<String> = table
        .entries
        .iter()
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    if let Some(unknown) = choice.routes.iter().find(|r| !known.contains(r)) {
        bail!(
            "--shadow {unknown}: not a route of {} (routes are written as in the table: \"GET /users/:id\")",
            table.path.display()
        );
    }
    Ok(build_rules(table, &choice))
}

fn build_rules(table: &RouteTable, choice: &ShadowChoice) -> Vec<RouteRule> {
    table
        .entries
        .iter()
        .map(|e| RouteRule {
            method: e.method.clone(),
            path: e.path.clone(),
            placement: Placement::of(e),
            shadow: choice.shadows(&format!("{} {}", e.method, e.path), e.state),
        })
        .collect()
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = ctrl_c => {}
        () = async {
            match term.as_mut() {
                Some(t) => { t.recv().await; }
                None => std::future::pending::<()>().await,
            }
        } => {}
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Reloads the table when its file changes (checked every second) or on
/// SIGHUP. A table that does not parse leaves the current routing in
/// force, with a warning naming file and position.
async fn watch_table(
    dir: PathBuf,
    choice: ShadowChoice,
    routing: crabport_proxy::RoutingHandle,
    table_tx: tokio::sync::watch::Sender<Option<RouteTable>>,
    bar: indicatif::ProgressBar,
    quiet: bool,
) {
    let file = dir.join(crabport_plan::table::FILE_NAME);
    let mut seen = modified(&file);
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    loop {
        let forced = tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => false,
            () = async {
                match hup.as_mut() {
                    Some(h) => { h.recv().await; }
                    None => std::future::pending::<()>().await,
                }
            } => true,
        };
        let now = modified(&file);
        if !forced && now == seen {
            continue;
        }
        seen = now;
        match RouteTable::load(&dir) {
            Ok(Some(table)) => {
                let rules = build_rules(&table, &choice);
                routing.replace(&rules);
                table_tx.send_replace(Some(table));
                bar.suspend(|| {
                    warn(
                        quiet,
                        &format!("reloaded {} ({} routes)", file.display(), rules.len()),
                    )
                });
            }
            Ok(None) => {
                routing.replace(&[]);
                table_tx.send_replace(None);
                bar.suspend(|| {
                    warn(
                        quiet,
                        &format!("{} is gone: every request goes to Node", file.display()),
                    )
                });
            }
            Err(e) => bar.suspend(|| {
                warn(quiet, &format!("{e}; the routing in force is kept"));
            }),
        }
    }
}
