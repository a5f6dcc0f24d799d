//! `crabport parity`: targets, requests and rules from flags, `[parity]`
//! (targets and build steps falling back to `[bench]`) → build steps → the
//! replay and comparison → render; `--write-ignores` appends the noise
//! found to crabport.toml.
//!
//! Exit codes: 1 when a route is under `--min-parity`; 2 for bad input, a
//! failed build, a target that does not start, and an HTML report that
//! could not be written.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};

use crabport_http::targets::{Readiness, TargetSource, TargetSpec};
use crabport_parity::analysis::{Ignore, IgnoreTarget};
use crabport_parity::compare::{CompareOptions, Part, PointerPattern, Unordered};
use crabport_parity::exchange::Request;
use crabport_parity::replay::ReplayOptions;
use crabport_parity::report::{NoiseField, NoiseSource, ParityReport};
use crabport_parity::route::RouteMatcher;
use crabport_parity::run::{Event, ParityOptions, Targets};

use crate::ExitStatus;
use crate::cli::{ParityArgs, ParityFormat};
use crate::commands::services::{OutputFile, build_all, build_steps, error, target_spec};
use crate::config::{
    BenchConfig, Config, FILE_NAME, ParityConfig, bench_defaults, parity_defaults, parse_duration,
    parse_size,
};
use crate::output::{print_report, progress, terminal_width, warn};

pub fn run(args: &ParityArgs, quiet: bool) -> anyhow::Result<ExitStatus> {
    crabport_http::process::install_interrupt_handler()
        .context("cannot install the Ctrl-C handler that stops the targets")?;
    let config = Config::load(&args.path)?;
    let empty_parity = ParityConfig::default();
    let empty_bench = BenchConfig::default();
    let p = config.parity.as_ref().unwrap_or(&empty_parity);
    let b = config.bench.as_ref().unwrap_or(&empty_bench);
    let base = config
        .base_dir()
        .map_or_else(|| args.path.clone(), Path::to_path_buf);

    let configured_baseline = p.baseline.as_ref().or(b.baseline.as_ref());
    let configured_candidate = p.candidate.as_ref().or(b.candidate.as_ref());
    let baseline = target_spec(
        "baseline",
        args.baseline.as_deref(),
        configured_baseline.map(String::as_str),
        &base,
    );
    let candidate = target_spec(
        "candidate",
        args.candidate.as_deref(),
        configured_candidate.map(String::as_str),
        &base,
    );
    let (Some(baseline), Some(candidate)) = (baseline, candidate) else {
        bail!(
            "parity needs both --baseline and --candidate (a command with {{port}} or a URL), or `baseline` and `candidate` in [parity] or [bench] of {}",
            args.path.join(FILE_NAME).display()
        );
    };
    let secondary = secondary(args, p, &baseline, &base, quiet);

    let requests = load_requests(args, p, b, &config, &base)?;
    if requests.is_empty() {
        bail!("the request files hold no request to replay");
    }
    let table = crabport_plan::table::RouteTable::load(&args.path)?;
    let (routes, routes_from) = match &table {
        Some(t) => (
            RouteMatcher::from_table(t.entries.iter().map(|e| (e.method.clone(), e.path.clone()))),
            crabport_plan::table::FILE_NAME.to_owned(),
        ),
        None => (RouteMatcher::inferred(), "inferred".to_owned()),
    };

    let options = options(args, p, b, &config, &requests, routes_from)?;
    let steps = if p.build.baseline.is_some() || p.build.candidate.is_some() {
        build_steps(
            &config,
            "parity",
            &p.build,
            [
                (&p.baseline, &args.baseline),
                (&p.candidate, &args.candidate),
            ],
            &base,
        )?
    } else {
        // [bench]'s steps build [bench]'s targets, unless [parity] or a flag
        // names other ones.
        build_steps(
            &config,
            "bench",
            &b.build,
            [
                (&b.baseline, &args.baseline.clone().or(p.baseline.clone())),
                (
                    &b.candidate,
                    &args.candidate.clone().or(p.candidate.clone()),
                ),
            ],
            &base,
        )?
    };
    let html = args
        .html
        .as_deref()
        .map(|p| OutputFile::open(p, "parity"))
        .transpose()?;

    let bar = progress(0, quiet, "parity");
    if let Err(e) = build_all(&steps, args.no_build, &bar, quiet) {
        bar.finish_and_clear();
        return Err(e);
    }
    let targets = Targets {
        baseline,
        secondary,
        candidate,
    };
    let report = crabport_parity::run::run(&targets, &requests, &routes, &options, &|event| {
        match event {
            Event::Starting(name) => bar.set_message(format!("starting {name}")),
            Event::Replayed { done, total } => {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
                bar.set_message("replaying");
            }
            Event::Stopping => bar.set_message("stopping the targets"),
        }
        bar.tick();
    });
    bar.finish_and_clear();
    let report = report?;

    if args.format != ParityFormat::Terminal {
        for w in &report.warnings {
            warn(quiet, &crabport_core::escape::terminal(w));
        }
    }
    let text = match args.format {
        ParityFormat::Terminal => crabport_report::parity::terminal(&report, terminal_width()),
        ParityFormat::Json => crabport_report::parity::json(&report)?,
        ParityFormat::Markdown => crabport_report::parity::markdown(&report),
        ParityFormat::Junit => crabport_report::parity::junit(&report),
    };
    print_report(&text)?;
    let mut status = if report.passed {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    };
    if args.write_ignores {
        let written = write_ignores(&config, &args.path, &report)?;
        warn(quiet, &written);
    }
    if let Some(html) = html
        && let Err(message) = html.write(&crabport_report::parity::html(&report))
    {
        error(&message);
        status = ExitStatus::Error;
    }
    Ok(status)
}

/// `--secondary`, `[parity] secondary`, or the baseline command again;
/// none for `--no-secondary`, `noise_subtraction = false`, or a URL
/// baseline (crabport cannot start a second copy of a running service).
fn secondary(
    args: &ParityArgs,
    p: &ParityConfig,
    baseline: &TargetSpec,
    base: &Path,
    quiet: bool,
) -> Option<TargetSpec> {
    if args.no_secondary || (args.secondary.is_none() && p.noise_subtraction == Some(false)) {
        return None;
    }
    if let Some(spec) = target_spec(
        "secondary",
        args.secondary.as_deref(),
        p.secondary.as_deref(),
        base,
    ) {
        return Some(spec);
    }
    match &baseline.source {
        TargetSource::Command { .. } => Some(TargetSpec {
            name: "secondary".to_owned(),
            source: baseline.source.clone(),
        }),
        TargetSource::Url(url) => {
            warn(
                quiet,
                &format!(
                    "the baseline is a running service ({}): give --secondary (a second instance) for noise subtraction",
                    crabport_core::escape::terminal(url)
                ),
            );
            None
        }
    }
}

/// The request files of the flags, else of `[parity] requests`, else
/// `[bench] requests`, read in order.
fn load_requests(
    args: &ParityArgs,
    p: &ParityConfig,
    b: &BenchConfig,
    config: &Config,
    base: &Path,
) -> anyhow::Result<Vec<Request>> {
    let mut files: Vec<PathBuf> = args.requests.iter().chain(&args.har).cloned().collect();
    if files.is_empty() {
        if let Some(value) = &p.requests {
            let invalid =
                || config.error_at(value.span(), "`requests` must be a path or a list of paths");
            match value.get_ref() {
                toml::Value::String(s) => files.push(base.join(s)),
                toml::Value::Array(items) => {
                    for item in items {
                        files.push(base.join(item.as_str().ok_or_else(invalid)?));
                    }
                }
                _ => return Err(invalid().into()),
            }
        } else if let Some(file) = &b.requests {
            files.push(base.join(file));
        }
    }
    if files.is_empty() {
        bail!(
            "no requests to replay: give --requests FILE or --har FILE, or `requests` in [parity] of {}",
            args.path.join(FILE_NAME).display()
        );
    }
    let mut requests = Vec::new();
    for file in &files {
        requests.extend(crabport_parity::source::load(file)?);
    }
    Ok(requests)
}

fn options(
    args: &ParityArgs,
    p: &ParityConfig,
    b: &BenchConfig,
    config: &Config,
    requests: &[Request],
    routes_from: String,
) -> anyhow::Result<ParityOptions> {
    let duration =
        |flag: &Option<String>, configured: &Option<String>, default: u64, what| match flag
            .as_deref()
            .or(configured.as_deref())
        {
            None => Ok(Duration::from_secs(default)),
            Some(t) => match parse_duration(t) {
                Ok(d) if !d.is_zero() => Ok(d),
                Ok(_) => Err(anyhow!("{what} {t}: must be longer than zero")),
                Err(e) => Err(anyhow!("{what}: {e}")),
            },
        };
    let min_parity = match (args.min_parity, &p.min_parity) {
        (Some(v), _) => check_percent(v).map_err(|e| anyhow!("--min-parity {v}: {e}"))?,
        (None, Some(v)) => check_percent(*v.get_ref()).map_err(|e| config.error_at(v.span(), e))?,
        (None, None) => parity_defaults::MIN_PARITY_PERCENT / 100.0,
    };
    let (compare, ignores) = comparison(p, config, &args.headers)?;
    let mut sources: Vec<PathBuf> = Vec::new();
    for r in requests {
        if !sources.contains(&r.origin.file) {
            sources.push(r.origin.file.clone());
        }
    }
    Ok(ParityOptions {
        ready: Readiness {
            path: p
                .ready_path
                .clone()
                .or_else(|| b.ready_path.clone())
                .unwrap_or_else(|| "/".to_owned()),
            timeout: duration(
                &args.ready_timeout,
                &p.ready_timeout.clone().or_else(|| b.ready_timeout.clone()),
                bench_defaults::READY_TIMEOUT_SECONDS,
                "--ready-timeout",
            )?,
        },
        allow_remote: args.allow_remote,
        replay: ReplayOptions {
            timeout: duration(
                &args.timeout,
                &p.timeout,
                parity_defaults::TIMEOUT_SECONDS,
                "--timeout",
            )?,
            max_body: match args.max_body.as_deref().or(p.max_body.as_deref()) {
                None => parity_defaults::MAX_BODY,
                Some(text) => parse_size(text).map_err(|e| anyhow!("--max-body: {e}"))?,
            },
        },
        compare,
        ignores,
        min_parity,
        sources,
        routes_from,
    })
}

fn check_percent(v: f64) -> Result<f64, String> {
    if (0.0..=100.0).contains(&v) {
        Ok(v / 100.0)
    } else {
        Err("a percentage from 0 to 100".to_owned())
    }
}

/// How answers are compared, for parity and for the proxy's shadow
/// copies alike: `[parity] headers` and `extra_headers` (flags) on top of
/// the defaults, `[[parity.unordered]]` arrays, `[[parity.ignore]]` rules.
pub(crate) fn comparison(
    p: &ParityConfig,
    config: &Config,
    extra_headers: &[String],
) -> anyhow::Result<(CompareOptions, Vec<Ignore>)> {
    // compare::compared_headers normalises, sorts and dedups them.
    let headers = p.headers.iter().chain(extra_headers).cloned().collect();
    let unordered = p
        .unordered
        .iter()
        .map(|u| {
            let pointer = PointerPattern::parse(&u.get_ref().pointer)
                .map_err(|e| config.error_at(u.span(), format!("[[parity.unordered]]: {e}")))?;
            Ok(Unordered {
                pointer,
                key: u.get_ref().key.clone(),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok((CompareOptions { headers, unordered }, ignores(p, config)?))
}

/// `[[parity.ignore]]`: each names a `pointer` or a `header`, not both.
fn ignores(p: &ParityConfig, config: &Config) -> anyhow::Result<Vec<Ignore>> {
    let mut rules = Vec::new();
    for rule in &p.ignore {
        let at = |message: String| config.error_at(rule.span(), message);
        let r = rule.get_ref();
        let target = match (&r.pointer, &r.header) {
            (Some(pointer), None) => IgnoreTarget::Pointer(
                PointerPattern::parse(pointer)
                    .map_err(|e| at(format!("[[parity.ignore]]: {e}")))?,
            ),
            (None, Some(header)) => IgnoreTarget::Header(header.trim().to_ascii_lowercase()),
            _ => {
                return Err(at(
                    "[[parity.ignore]] needs exactly one of `pointer` (a body field) or `header`"
                        .to_owned(),
                )
                .into());
            }
        };
        let origin = match &config.source {
            Some(source) => format!(
                "{}:{}",
                source.path.display(),
                crabport_core::LineIndex::new(&source.text)
                    .position(rule.span().start)
                    .line
            ),
            None => FILE_NAME.to_owned(),
        };
        rules.push(Ignore {
            target,
            route: r.route.clone(),
            origin,
        });
    }
    Ok(rules)
}

/// Appends the noise fields found (not the configured ones) as
/// `[[parity.ignore]]` rules to crabport.toml, and says what it wrote.
fn write_ignores(config: &Config, dir: &Path, report: &ParityReport) -> anyhow::Result<String> {
    let path = config
        .source
        .as_ref()
        .map_or_else(|| dir.join(FILE_NAME), |s| s.path.clone());
    let mut text = config
        .source
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default();
    let quote = |s: &str| toml::Value::String(s.to_owned()).to_string();
    let mut added = 0;
    let mut skipped_status = 0;
    // A field that is noise on every route (a request id) is one rule for
    // every route, not one per route.
    let mut fields: Vec<(&NoiseField, usize)> = Vec::new();
    for n in report
        .noise
        .iter()
        .filter(|n| n.source == NoiseSource::Secondary)
    {
        match fields
            .iter_mut()
            .find(|(f, _)| f.part == n.part && f.pointer == n.pointer)
        {
            Some((_, routes)) => *routes += 1,
            None => fields.push((n, 1)),
        }
    }
    let everywhere = |n: &NoiseField| {
        report.routes.len() > 1
            && fields.iter().any(|(f, routes)| {
                f.part == n.part && f.pointer == n.pointer && *routes == report.routes.len()
            })
    };
    let mut written: Vec<(Part, &str)> = Vec::new();
    for n in report
        .noise
        .iter()
        .filter(|n| n.source == NoiseSource::Secondary)
    {
        let all_routes = everywhere(n);
        if all_routes {
            if written.contains(&(n.part, n.pointer.as_str())) {
                continue;
            }
            written.push((n.part, n.pointer.as_str()));
        }
        let key = match n.part {
            Part::Body => format!("pointer = {}", quote(&n.pointer)),
            Part::Header => format!(
                "header = {}",
                quote(n.pointer.strip_prefix('/').unwrap_or(&n.pointer))
            ),
            Part::Status => {
                skipped_status += 1;
                continue;
            }
        };
        let route = n
            .route
            .as_deref()
            .filter(|_| !all_routes)
            .map(|r| format!("route = {}\n", quote(r)))
            .unwrap_or_default();
        let reason = if all_routes {
            format!(
                "noise on all {} routes: the baseline and the secondary differed here (e.g. on {}: {})",
                report.routes.len(),
                n.route.as_deref().unwrap_or("every route"),
                n.evidence
            )
        } else {
            format!("noise: {}", n.evidence)
        };
        if text.contains(&format!("{route}{key}\n")) {
            continue;
        }
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&format!(
            "\n[[parity.ignore]]\n{route}{key}\nreason = {}\n",
            quote(&reason)
        ));
        added += 1;
    }
    // What is appended must read back, or nothing is written.
    toml::from_str::<toml::Table>(&text)
        .map_err(|e| anyhow!("the ignore rules would not make valid TOML: {e}"))?;
    if added > 0 {
        std::fs::write(&path, &text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let mut message = format!(
        "--write-ignores: {added} rule{} appended to {}",
        if added == 1 { "" } else { "s" },
        crabport_core::escape::terminal(&path.display().to_string())
    );
    if skipped_status > 0 {
        message.push_str(&format!(
            " ({skipped_status} status noise not written: a status is never ignored)"
        ));
    }
    Ok(message)
}
