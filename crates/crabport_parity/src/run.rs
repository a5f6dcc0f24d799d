//! One parity run: start the targets (as bench does), send every request to
//! all of them in lockstep and in order, compare, and stop them whatever
//! happened.

use std::path::PathBuf;

use crabport_http::targets::{Live, Readiness, StartError, TargetSource, TargetSpec};

use crate::analysis::{Analysis, Ignore};
use crate::compare::CompareOptions;
use crate::exchange::Request;
use crate::replay::{FailureKind, Outcome, ReplayOptions, Replayer, failed};
use crate::report::{Method, ParityReport, TargetInfo};
use crate::route::RouteMatcher;

#[derive(Debug, Clone)]
pub struct Targets {
    pub baseline: TargetSpec,
    /// A second baseline instance, for noise; `None` turns subtraction off.
    pub secondary: Option<TargetSpec>,
    pub candidate: TargetSpec,
}

#[derive(Debug, Clone)]
pub struct ParityOptions {
    pub ready: Readiness,
    pub allow_remote: bool,
    pub replay: ReplayOptions,
    pub compare: CompareOptions,
    pub ignores: Vec<Ignore>,
    /// 0–1.
    pub min_parity: f64,
    /// The request files, for the report.
    pub sources: Vec<PathBuf>,
    /// `crabport.routes.toml` or `inferred`, for the report.
    pub routes_from: String,
}

/// What the caller may show while the run goes on.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    Starting(&'a str),
    Replayed { done: usize, total: usize },
    Stopping,
}

#[derive(Debug, thiserror::Error)]
pub enum ParityError {
    #[error(transparent)]
    Start(#[from] StartError),
    #[error(transparent)]
    Process(#[from] crabport_http::process::ProcessError),
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

/// Runs the comparison. Every target started here is stopped before this
/// returns, on success and on error alike.
///
/// # Errors
/// A target that does not start or never answers. A target that dies
/// while requests are replayed is not an error: the requests it did not
/// answer are failures in the report.
pub fn run(
    targets: &Targets,
    requests: &[Request],
    routes: &RouteMatcher,
    options: &ParityOptions,
    progress: &(dyn Fn(Event<'_>) + Sync),
) -> Result<ParityReport, ParityError> {
    let specs: Vec<&TargetSpec> = specs_in_order(targets).collect();
    // Started side by side: readiness waits are the slow part.
    let started: Vec<Result<Live, StartError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = specs
            .iter()
            .map(|spec| {
                progress(Event::Starting(&spec.name));
                scope.spawn(|| spec.start(&options.ready, options.allow_remote))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("starting a target does not panic"))
            .collect()
    });
    let mut live = Vec::with_capacity(started.len());
    let mut first_error = None;
    for result in started {
        match result {
            Ok(l) => live.push(l),
            Err(e) if first_error.is_none() => first_error = Some(e),
            Err(_) => {}
        }
    }
    let outcome = match first_error {
        Some(e) => Err(ParityError::from(e)),
        None => replay_all(&mut live, targets, requests, routes, options, progress),
    };
    progress(Event::Stopping);
    let stopped = crabport_http::targets::stop_all(live.into_iter().filter_map(|l| l.process));
    let report = outcome?;
    stopped?;
    Ok(report)
}

fn replay_all(
    live: &mut [Live],
    targets: &Targets,
    requests: &[Request],
    routes: &RouteMatcher,
    options: &ParityOptions,
    progress: &(dyn Fn(Event<'_>) + Sync),
) -> Result<ParityReport, ParityError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(ParityError::Runtime)?;
    let mut replayers: Vec<Side> = live
        .iter()
        .map(|l| Side {
            replayer: Replayer::new(
                l.endpoint.addrs[0],
                l.endpoint.authority.clone(),
                options.replay.clone(),
            ),
            exited: None,
        })
        .collect();
    let has_secondary = targets.secondary.is_some();
    let mut analysis = Analysis::new(&options.compare, &options.ignores);
    let total = requests.len();
    for (index, request) in requests.iter().enumerate() {
        let route = routes.route_of(&request.method, &request.target);
        let mut outcomes = runtime.block_on(send_all(&mut replayers, request));
        // A refused connection may mean the process is gone: say so, once,
        // and send it nothing more.
        for ((side, outcome), l) in replayers.iter_mut().zip(&mut outcomes).zip(live.iter_mut()) {
            if let Outcome::Failed(f) = outcome
                && matches!(f.kind, FailureKind::Connect | FailureKind::Closed)
                && side.exited.is_none()
                && let Err(e) = l.check_alive()
            {
                f.detail = format!("{}; {e}", f.detail);
                side.exited = Some(index);
            }
        }
        let (baseline, secondary, candidate) = if has_secondary {
            (&outcomes[0], Some(&outcomes[1]), &outcomes[2])
        } else {
            (&outcomes[0], None, &outcomes[1])
        };
        analysis.observe(index, request, &route, baseline, secondary, candidate);
        progress(Event::Replayed {
            done: index + 1,
            total,
        });
    }

    let mut warnings = Vec::new();
    let mutating = requests.iter().filter(|r| r.mutates).count();
    let info: Vec<TargetInfo> = live
        .iter()
        .zip(specs_in_order(targets))
        .map(|(l, spec)| TargetInfo {
            name: l.name.clone(),
            source: match &spec.source {
                TargetSource::Command { command, .. } => command.clone(),
                TargetSource::Url(url) => url.clone(),
            },
            fresh: l.process.is_some(),
        })
        .collect();
    for t in &info {
        if !t.fresh && mutating > 0 {
            warnings.push(format!(
                "{} is a running service ({}), not started for this run: {mutating} requests change state, so it may answer them after a different history than the others",
                t.name, t.source
            ));
        }
    }
    if !has_secondary {
        warnings.push(
            "no secondary baseline: nothing is subtracted as noise, so timestamps and ids count as differences (start one with --secondary, or let crabport start it from the baseline command)"
                .to_owned(),
        );
    }
    for (side, l) in replayers.iter().zip(live.iter()) {
        if let Some(at) = side.exited {
            warnings.push(format!(
                "{} exited during request {} of {total}; the requests after it were not sent to it",
                l.name,
                at + 1
            ));
        }
    }
    let method = Method {
        sources: options.sources.clone(),
        targets: info,
        noise_subtraction: has_secondary,
        timeout_seconds: options.replay.timeout.as_secs_f64(),
        max_body_bytes: options.replay.max_body,
        min_parity: options.min_parity,
        headers: crate::compare::compared_headers(&options.compare),
        unordered: options
            .compare
            .unordered
            .iter()
            .map(|u| match &u.key {
                Some(key) => format!("{} (by {key})", u.pointer),
                None => u.pointer.to_string(),
            })
            .collect(),
        routes_from: options.routes_from.clone(),
    };
    Ok(analysis.finish(requests, method, warnings))
}

fn specs_in_order(targets: &Targets) -> impl Iterator<Item = &TargetSpec> {
    [
        Some(&targets.baseline),
        targets.secondary.as_ref(),
        Some(&targets.candidate),
    ]
    .into_iter()
    .flatten()
}

struct Side {
    replayer: Replayer,
    /// The request at which its process was found dead.
    exited: Option<usize>,
}

impl Side {
    async fn send(&mut self, request: &Request) -> Outcome {
        match self.exited {
            Some(at) => failed(
                FailureKind::NotSent,
                format!("not sent: the process exited at request {}", at + 1),
            ),
            None => self.replayer.send(request).await,
        }
    }
}

/// The same request to every target at once; answers in target order.
async fn send_all(sides: &mut [Side], request: &Request) -> Vec<Outcome> {
    match sides {
        [baseline, secondary, candidate] => {
            let (b, s, c) = tokio::join!(
                baseline.send(request),
                secondary.send(request),
                candidate.send(request)
            );
            vec![b, s, c]
        }
        [baseline, candidate] => {
            let (b, c) = tokio::join!(baseline.send(request), candidate.send(request));
            vec![b, c]
        }
        _ => unreachable!("a baseline, a candidate and at most one secondary"),
    }
}
