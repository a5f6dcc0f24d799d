//! `crabport explain <code>`: the documentation behind every code crabport prints.

use std::fmt::Write as _;

use crabport_audit::codes::{CODES, find};
use crabport_report::table::wrap;

use crate::ExitStatus;
use crate::cli::ExplainArgs;
use crate::output::print_report;

pub fn run(args: &ExplainArgs) -> anyhow::Result<ExitStatus> {
    let Some(code) = &args.code else {
        let mut out =
            String::from("Codes crabport prints (crabport explain <code> for details):\n\n");
        let width = CODES.iter().map(|c| c.code.len()).max().unwrap_or(0);
        let kind_width = CODES.iter().map(|c| c.kind.len()).max().unwrap_or(0);
        for c in CODES {
            let _ = writeln!(
                out,
                "  {:<width$}  {:<kind_width$}  {}",
                c.code, c.kind, c.summary
            );
        }
        print_report(&out)?;
        return Ok(ExitStatus::Success);
    };
    let normalized = code.trim().to_ascii_lowercase().replace('_', "-");
    let Some(doc) = find(&normalized) else {
        anyhow::bail!("unknown code {code:?}; `crabport explain` lists every code");
    };
    let mut out = format!("{} ({})\n\n{}\n\n", doc.code, doc.kind, doc.summary);
    for line in wrap(doc.body, 88) {
        out.push_str(&line);
        out.push('\n');
    }
    print_report(&out)?;
    Ok(ExitStatus::Success)
}
