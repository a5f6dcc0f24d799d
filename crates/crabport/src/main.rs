//! `crabport`: decide, plan and verify a Node.js/TypeScript → Rust migration.

mod cli;
mod commands;
mod config;
mod output;

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;

/// Exit codes: findings are not crashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Ran, nothing over the configured threshold.
    Success,
    /// Ran, and found what `--fail-on` asked to fail on.
    Failure,
    /// Bad usage or bad input.
    Error,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(match status {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Error => 2,
        })
    }
}

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                ExitStatus::Error
            } else {
                ExitStatus::Success
            }
            .into();
        }
    };
    match commands::run(&cli) {
        Ok(status) => status.into(),
        Err(err) => {
            // `crabport audit | head` closes the pipe: not an error worth a word.
            if err.chain().any(|e| {
                e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitStatus::Success.into();
            }
            let mut stderr = anstream::stderr();
            let _ = writeln!(
                stderr,
                "{}error:{} {err:#}",
                output::ERROR_STYLE,
                output::RESET
            );
            ExitStatus::Error.into()
        }
    }
}
