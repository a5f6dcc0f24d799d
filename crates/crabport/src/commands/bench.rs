//! `crabport bench`: targets and workload from flags or `[bench]` → output
//! paths opened → build steps → the alternating-rounds benchmark → render.
//!
//! Exit codes: 1 when the goal is missed; 2 for bad input, a failed build,
//! a target that does not start or dies, a target that completed no
//! response in a round (its figures are not a measurement, like a target
//! that never answered, so no result is reported as one), and an HTML
//! report that could not be written.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};

use crabport_http::bench::{BenchOptions, TargetSource, TargetSpec};
use crabport_http::load::{Mode, RunOptions};
use crabport_http::request::Workload;

use crate::ExitStatus;
use crate::cli::{BenchArgs, BenchFormat};
use crate::commands::services::{OutputFile, build_all, build_steps, error, target_spec};
use crate::config::bench_defaults;
use crate::config::{BenchConfig, Config, parse_duration, parse_size};
use crate::output::{print_report, progress, terminal_width, warn};

pub fn run(args: &BenchArgs, quiet: bool) -> anyhow::Result<ExitStatus> {
    crabport_http::process::install_interrupt_handler()
        .context("cannot install the Ctrl-C handler that stops the targets")?;
    let config = Config::load(&args.path)?;
    let bench = config.bench.as_ref();
    let empty = BenchConfig::default();
    let b = bench.unwrap_or(&empty);
    // Commands and files named in crabport.toml are relative to it.
    let base = config
        .base_dir()
        .map_or_else(|| args.path.clone(), Path::to_path_buf);

    let targets: Vec<TargetSpec> = [
        target_spec(
            "baseline",
            args.baseline.as_deref(),
            b.baseline.as_deref(),
            &base,
        ),
        target_spec(
            "candidate",
            args.candidate.as_deref(),
            b.candidate.as_deref(),
            &base,
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    if targets.is_empty() {
        bail!(
            "nothing to benchmark: give --baseline and/or --candidate (a command with {{port}} or a URL), or a [bench] section in {}",
            args.path.join(crate::config::FILE_NAME).display()
        );
    }

    let workload = workload(args, b, &base, &targets)?;
    let duration =
        |flag: &Option<String>, configured: &Option<String>, default: u64, what: &str| {
            flag.as_deref()
                .or(configured.as_deref())
                .map_or(Ok(Duration::from_secs(default)), |t| {
                    parse_duration(t).map_err(|e| anyhow!("{what}: {e}"))
                })
        };
    let connections = args
        .connections
        .or(b.connections)
        .unwrap_or(bench_defaults::CONNECTIONS)
        .max(1);
    let mode = match args.rate.or(b.rate) {
        Some(rate) if rate > 0.0 => Mode::Open { rate, connections },
        Some(rate) => bail!("--rate {rate}: the rate must be positive"),
        None => Mode::Closed { connections },
    };
    let noise = args.noise.or(b.noise).unwrap_or(bench_defaults::NOISE);
    if !(0.0..1.0).contains(&noise) {
        bail!("--noise {noise}: a fraction such as 0.05");
    }
    let goal_text = match args.goal.clone().or_else(|| b.goal.clone()) {
        Some(goal) => Some(goal),
        None => service_goal(&config, b)?,
    };
    let goal = goal_text
        .as_deref()
        .map(crabport_http::goal::parse)
        .transpose()
        .map_err(|e| anyhow!(e))?;
    let options = BenchOptions {
        mode,
        warmup: duration(
            &args.warmup,
            &b.warmup,
            bench_defaults::WARMUP_SECONDS,
            "--warmup",
        )?,
        rounds: args
            .rounds
            .or(b.rounds)
            .unwrap_or(bench_defaults::ROUNDS)
            .max(1),
        round: duration(
            &args.duration,
            &b.duration,
            bench_defaults::ROUND_SECONDS,
            "--duration",
        )?,
        noise,
        ready_path: b.ready_path.clone().unwrap_or_else(|| "/".to_owned()),
        ready_timeout: duration(
            &args.ready_timeout,
            &b.ready_timeout,
            bench_defaults::READY_TIMEOUT_SECONDS,
            "--ready-timeout",
        )?,
        timeout: match args.timeout.as_deref().or(b.timeout.as_deref()) {
            None => RunOptions::DEFAULT_TIMEOUT,
            Some(t) => match parse_duration(t) {
                Ok(d) if !d.is_zero() => d,
                Ok(_) => bail!("--timeout {t}: must be longer than zero"),
                Err(e) => bail!("--timeout: {e}"),
            },
        },
        max_body: match args.max_body.as_deref().or(b.max_body.as_deref()) {
            None => RunOptions::DEFAULT_MAX_BODY,
            Some(text) => parse_size(text).map_err(|e| anyhow!("--max-body: {e}"))?,
        },
        allow_remote: args.allow_remote,
        goal,
        sweep_p99_ms: args.sweep,
    };
    let steps = build_steps(
        &config,
        "bench",
        &b.build,
        [
            (&b.baseline, &args.baseline),
            (&b.candidate, &args.candidate),
        ],
        &base,
    )?;

    // Before anything slow: a report that cannot be written is known now.
    let html = args
        .html
        .as_deref()
        .map(|p| OutputFile::open(p, "bench"))
        .transpose()?;

    let bar = progress(0, quiet, "bench");
    if let Err(e) = build_all(&steps, args.no_build, &bar, quiet) {
        bar.finish_and_clear();
        return Err(e);
    }
    let report = crabport_http::bench::run(&targets, &workload, &options, &|step| {
        bar.set_message(step.to_owned());
        bar.tick();
    });
    bar.finish_and_clear();
    let report = report?;

    if args.format != BenchFormat::Terminal {
        for w in &report.warnings {
            warn(quiet, &crabport_core::escape::terminal(w));
        }
    }
    let text = match args.format {
        BenchFormat::Terminal => crabport_report::bench::terminal(&report, terminal_width()),
        BenchFormat::Json => crabport_report::bench::json(&report)?,
        BenchFormat::Markdown => crabport_report::bench::markdown(&report),
    };
    // The report reaches stdout first, so a failing HTML write loses nothing.
    print_report(&text)?;
    let mut status = match &report.goal {
        Some(g) if !g.met => ExitStatus::Failure,
        _ => ExitStatus::Success,
    };
    if let Some(no_result) = &report.no_result {
        // "No comparison: …" reads as "error: no comparison: …".
        let mut message = crabport_core::escape::terminal(&no_result.message).into_owned();
        if let Some(first) = message.get(..1) {
            message.replace_range(..1, &first.to_ascii_lowercase());
        }
        error(&message);
        status = ExitStatus::Error;
    }
    if let Some(html) = html
        && let Err(message) = html.write(&crabport_report::bench::html(&report))
    {
        error(&message);
        status = ExitStatus::Error;
    }
    Ok(status)
}

/// The request file, the one URL, or the path of a URL target.
fn workload(
    args: &BenchArgs,
    b: &BenchConfig,
    base: &Path,
    targets: &[TargetSpec],
) -> anyhow::Result<Workload> {
    if let Some(file) = &args.requests {
        return Ok(Workload::from_file(file)?);
    }
    if let Some(url) = &args.url {
        return Ok(Workload::single(&url_path(url), "GET")?);
    }
    if let Some(file) = &b.requests {
        return Ok(Workload::from_file(&base.join(PathBuf::from(file)))?);
    }
    if let Some(url) = &b.url {
        return Ok(Workload::single(&url_path(url), "GET")?);
    }
    let from_target = targets.iter().find_map(|t| match &t.source {
        TargetSource::Url(url) => Some(url_path(url)),
        TargetSource::Command { .. } => None,
    });
    Ok(Workload::single(
        from_target.as_deref().unwrap_or("/"),
        "GET",
    )?)
}

/// `/users?x=1` from `http://host:port/users?x=1`, or the text itself when it is a path.
fn url_path(url: &str) -> String {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    match rest {
        Some(rest) => rest
            .find('/')
            .map_or_else(|| "/".to_owned(), |i| rest[i..].to_owned()),
        None if url.starts_with('/') => url.to_owned(),
        None => format!("/{url}"),
    }
}

/// The goal of `[bench] service`, or of the only `[[service]]` with one,
/// restated as a bench check.
fn service_goal(
    config: &Config,
    b: &BenchConfig,
) -> Result<Option<String>, crabport_core::InputError> {
    let with_goal: Vec<_> = config
        .services
        .iter()
        .filter(|s| s.goal.is_some())
        .filter(|s| b.service.as_deref().is_none_or(|n| n == s.name.get_ref()))
        .collect();
    Ok(match with_goal.as_slice() {
        [only] => only
            .goal(config)?
            .and_then(|spec| crabport_decide::goal::from_spec(&spec).bench_check),
        _ => None,
    })
}
