//! `crabport plan`: the pipeline's evidence (gathered once, as for assess)
//! → routes joined with it → waves → render, or the route table written,
//! checked or exported as router configuration.

use anyhow::{Context as _, bail};

use crabport_plan::emit::{self, Upstreams};
use crabport_plan::table::{self, RouteTable};

use crate::ExitStatus;
use crate::cli::{EmitFormat, OutputFormat, PlanArgs};
use crate::commands::assess::{gather, open};
use crate::output::{print_report, terminal_width, warn};

pub fn run(args: &PlanArgs, quiet: bool) -> anyhow::Result<ExitStatus> {
    let only: Vec<String> = args.service.iter().cloned().collect();
    let (workspace, config, services) = open(&args.path, &only)?;
    let service = match services.as_slice() {
        [one] => one.clone(),
        [] => bail!("no service to plan"),
        many => {
            let names: Vec<&str> = many.iter().map(|s| s.name.as_str()).collect();
            bail!(
                "a plan is per service: pass --service (services: {})",
                names.join(", ")
            );
        }
    };
    config
        .plan
        .validate()
        .map_err(|e| config.error_at_key("plan", e.key, &e))?;
    let table = RouteTable::load(&service.dir)?;

    let thresholds = &config.assess;
    let evidence = gather(&workspace, &config, vec![service], &args.index, quiet, true)?;
    let service = &evidence.services[0];
    let input = crabport_pipeline::plan_input(&evidence, service, thresholds);
    let plan = crabport_plan::plan(input, &config.plan, thresholds, table.as_ref());
    let table_path = service.service.dir.join(table::FILE_NAME);

    if args.write {
        let text = table::write(&plan.routes, table.as_ref());
        std::fs::write(&table_path, text)
            .with_context(|| format!("cannot write {}", table_path.display()))?;
        warn(
            quiet,
            &format!(
                "wrote {} ({} routes)",
                crabport_core::escape::terminal(&table_path.display().to_string()),
                plan.routes.len()
            ),
        );
    }
    if let Some(router) = args.emit {
        let Some(table) = &table else {
            bail!(
                "{}: no route table to emit; write it with `crabport plan --write`",
                table_path.display()
            );
        };
        let routes = table.router_routes();
        for r in &routes {
            if let Err(e) = emit::check(r) {
                warn(
                    quiet,
                    &format!("left out of the router configuration (served by Node): {e}"),
                );
            }
        }
        let upstreams = Upstreams {
            listen: args.listen,
            ..Upstreams::new(args.node_upstream.clone(), args.rust_upstream.clone())
        };
        let text = match router {
            EmitFormat::Nginx => emit::nginx(&routes, &upstreams),
            EmitFormat::Envoy => emit::envoy(&routes, &upstreams),
            EmitFormat::Traefik => emit::traefik(&routes, &upstreams),
        };
        print_report(&text)?;
        return Ok(ExitStatus::Success);
    }
    if args.check {
        let Some(_) = &table else {
            bail!(
                "{}: no route table to check against; write it with `crabport plan --write` and commit it",
                table_path.display()
            );
        };
        if plan.drift.is_empty() {
            warn(
                quiet,
                &format!(
                    "{} matches the code ({} routes)",
                    table::FILE_NAME,
                    plan.routes.len()
                ),
            );
            return Ok(ExitStatus::Success);
        }
        for d in &plan.drift {
            print_report(&format!(
                "{}\n",
                crabport_core::escape::terminal(&d.message)
            ))?;
        }
        return Ok(ExitStatus::Failure);
    }

    if let Some(path) = &args.html {
        std::fs::write(path, crabport_report::plan::html(&plan))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if args.format != OutputFormat::Terminal {
        for w in &plan.warnings {
            warn(quiet, &crabport_core::escape::terminal(w));
        }
    }
    let text = match args.format {
        OutputFormat::Terminal => crabport_report::plan::terminal(&plan, terminal_width()),
        OutputFormat::Json => crabport_report::plan::json(&plan)?,
        OutputFormat::Markdown => crabport_report::plan::markdown(&plan),
    };
    print_report(&text)?;
    Ok(ExitStatus::Success)
}
