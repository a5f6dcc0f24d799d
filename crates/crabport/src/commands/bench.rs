//! `crabport bench`: targets and workload from flags or `[bench]` → the
//! alternating-rounds benchmark → render; exit 1 when the goal is missed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};

use crabport_http::bench::{BenchOptions, TargetSource, TargetSpec};
use crabport_http::load::Mode;
use crabport_http::request::Workload;

use crate::ExitStatus;
use crate::cli::{BenchArgs, BenchFormat};
use crate::config::{BenchConfig, Config, parse_duration};
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

    let target = |flag: &Option<String>, configured: &Option<String>, name: &str| {
        let (text, cwd) = match (flag, configured) {
            (Some(t), _) => (t.clone(), std::env::current_dir().unwrap_or_default()),
            (None, Some(t)) => (t.clone(), base.clone()),
            (None, None) => return None,
        };
        Some(TargetSpec {
            name: name.to_owned(),
            source: if text.starts_with("http://") || text.starts_with("https://") {
                TargetSource::Url(text)
            } else {
                TargetSource::Command { command: text, cwd }
            },
        })
    };
    let targets: Vec<TargetSpec> = [
        target(&args.baseline, &b.baseline, "baseline"),
        target(&args.candidate, &b.candidate, "candidate"),
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
    let connections = args.connections.or(b.connections).unwrap_or(50).max(1);
    let mode = match args.rate.or(b.rate) {
        Some(rate) if rate > 0.0 => Mode::Open { rate, connections },
        Some(rate) => bail!("--rate {rate}: the rate must be positive"),
        None => Mode::Closed { connections },
    };
    let noise = args.noise.or(b.noise).unwrap_or(0.05);
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
        warmup: duration(&args.warmup, &b.warmup, 5, "--warmup")?,
        rounds: args.rounds.or(b.rounds).unwrap_or(5).max(1),
        round: duration(&args.duration, &b.duration, 10, "--duration")?,
        noise,
        ready_path: b.ready_path.clone().unwrap_or_else(|| "/".to_owned()),
        ready_timeout: duration(&args.ready_timeout, &b.ready_timeout, 60, "--ready-timeout")?,
        allow_remote: args.allow_remote,
        goal,
        sweep_p99_ms: args.sweep,
    };

    let bar = progress(0, quiet, "bench");
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
    if let Some(path) = &args.html {
        std::fs::write(path, crabport_report::bench::html(&report))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let text = match args.format {
        BenchFormat::Terminal => crabport_report::bench::terminal(&report, terminal_width()),
        BenchFormat::Json => crabport_report::bench::json(&report)?,
        BenchFormat::Markdown => crabport_report::bench::markdown(&report),
    };
    print_report(&text)?;
    Ok(match &report.goal {
        Some(g) if !g.met => ExitStatus::Failure,
        _ => ExitStatus::Success,
    })
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
