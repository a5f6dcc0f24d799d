//! The load generator on its own, for `bench/http` (the CLI comes later).
//!
//!     loadgen URL [--connections N] [--duration SECS] [--rate RPS] [--threads N] [--requests FILE]
//!
//! Prints one line of `key=value` figures to stdout.

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use crabport_http::load::{self, Mode, RunOptions};
use crabport_http::request::{Workload, parse_target};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("usage: loadgen URL [--connections N] [--duration SECS] [--rate RPS] [--threads N] [--requests FILE]")?;
    let (mut connections, mut duration, mut rate, mut threads, mut file) =
        (50, 10.0, None, 1, None);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--connections" => connections = value.parse()?,
            "--duration" => duration = value.parse()?,
            "--rate" => rate = Some(value.parse()?),
            "--threads" => threads = value.parse()?,
            "--requests" => file = Some(value),
            _ => return Err(format!("unknown flag {flag}").into()),
        }
    }
    let target = parse_target(&url, false)?;
    let workload = match file {
        Some(file) => Workload::from_file(Path::new(&file))?,
        None => Workload::single(&target.path, "GET")?,
    };
    let prepared = workload.prepare(&target.authority);
    let mode = match rate {
        Some(rate) => Mode::Open { rate, connections },
        None => Mode::Closed { connections },
    };
    let duration = Duration::try_from_secs_f64(duration).map_err(|e| format!("--duration: {e}"))?;
    let mut opts = RunOptions::new(mode, duration);
    opts.threads = threads;
    let result = load::run(&target, &prepared, &opts)?;
    let p = load::latency_ms(&result.latency);
    let cpu_us = result.generator_cpu.as_secs_f64() * 1e6;
    writeln!(
        std::io::stdout(),
        "requests={} rps={:.0} generator_cpu_ms={:.0} cpu_us_per_request={:.2} generator_bound={} \
         p50_ms={:.3} p90_ms={:.3} p99_ms={:.3} p999_ms={:.3} max_ms={:.3} status={:?} errors={:?} missed_sends={}",
        result.requests,
        result.rps,
        cpu_us / 1000.0,
        cpu_us / result.requests.max(1) as f64,
        result.generator_bound,
        p.p50,
        p.p90,
        p.p99,
        p.p999,
        p.max,
        result.status,
        result.errors,
        result.missed_sends,
    )?;
    if let Some(h) = &result.latency_uncorrected {
        let u = load::latency_ms(h);
        writeln!(
            std::io::stdout(),
            "uncorrected: p50_ms={:.3} p90_ms={:.3} p99_ms={:.3} p999_ms={:.3} max_ms={:.3}",
            u.p50,
            u.p90,
            u.p99,
            u.p999,
            u.max
        )?;
    }
    Ok(())
}
