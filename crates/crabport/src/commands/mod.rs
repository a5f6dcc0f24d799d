//! One module per subcommand.

mod assess;
mod audit;
mod bench;
mod explain;
mod extract;
mod kb;
mod parity;
mod plan;
mod proxy;
mod scan;
mod services;

use crate::ExitStatus;
use crate::cli::{Cli, Command};

pub fn run(cli: &Cli) -> anyhow::Result<ExitStatus> {
    crate::output::init_color(cli.color);
    match &cli.command {
        Command::Audit(args) => audit::run(args, cli.quiet),
        Command::Scan(args) => scan::run(args, cli.quiet),
        Command::Assess(args) => assess::run(args, cli.quiet),
        Command::Plan(args) => plan::run(args, cli.quiet),
        Command::Bench(args) => bench::run(args, cli.quiet),
        Command::Parity(args) => parity::run(args, cli.quiet),
        Command::Proxy(args) => proxy::run(args, cli.quiet),
        Command::Extract(args) => extract::run(args, cli.quiet),
        Command::Explain(args) => explain::run(args),
        Command::Kb(crate::cli::KbCommand::Check(args)) => kb::check(args, cli.quiet),
    }
}
