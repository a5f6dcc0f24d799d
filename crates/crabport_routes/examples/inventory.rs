//! `cargo run --release -p crabport_routes --example inventory -- <dir> [--json]`
//!
//! Prints the route inventory of a project (a summary, or the whole
//! inventory as JSON) and how long it took; for spot checks on corpora.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: inventory <dir> [--json]");
        std::process::exit(2);
    };
    let json = args.any(|a| a == "--json");
    let started = Instant::now();
    let analysis = match crabport_routes::analyse(
        std::path::Path::new(&dir),
        &crabport_routes::Options::default(),
    ) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let elapsed = started.elapsed();
    let inv = &analysis.inventory;
    if json {
        println!("{}", serde_json::to_string_pretty(inv).unwrap_or_default());
    } else {
        for r in &inv.routes {
            println!(
                "{:<7} {:<60} {:<9} {}:{}{}",
                r.method,
                r.path,
                r.framework.as_str(),
                r.handler.location.file,
                r.handler.location.line,
                if r.handler.resolved {
                    ""
                } else {
                    " (reference)"
                }
            );
        }
        for u in &inv.unresolved {
            println!(
                "UNRESOLVED {}:{}:{} {}",
                u.location.file, u.location.line, u.location.column, u.reason
            );
        }
        for n in &inv.notes {
            println!("NOTE {n}");
        }
    }
    let edges: usize = analysis.graph.modules.iter().map(|m| m.imports.len()).sum();
    eprintln!(
        "{} files parsed ({} not), {} routes, {} unresolved, {} import edges, {:.0} ms",
        inv.files_parsed,
        inv.file_errors.len(),
        inv.routes.len(),
        inv.unresolved.len(),
        edges,
        elapsed.as_secs_f64() * 1000.0
    );
}
