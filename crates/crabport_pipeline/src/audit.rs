//! Every service's dependencies, audited against one set of index lookups,
//! from the project discovered once.

use std::collections::{BTreeSet, HashMap};

use crabport_audit::AuditReport;
use crabport_audit::kb::KnowledgeBase;
use crabport_project::Project;

use crate::{GatherOptions, PipelineError, Service, Workspace};

/// Per service name: its audit, or why there is none (no package.json).
pub(crate) fn audit_services(
    workspace: &Workspace,
    services: &[Service],
    options: &GatherOptions<'_>,
) -> Result<HashMap<String, Result<AuditReport, String>>, PipelineError> {
    let kb = KnowledgeBase::embedded().map_err(|_| PipelineError::KnowledgeBase)?;
    let mut out = HashMap::new();
    let mut own: Vec<(String, Project)> = Vec::new();
    let mut at_root: Vec<&str> = Vec::new();
    for s in services {
        if !s.dir.join("package.json").is_file() {
            out.insert(
                s.name.clone(),
                Err(format!("no package.json in {}", s.display)),
            );
            continue;
        }
        match &workspace.project {
            Some(_) if s.display == "." => at_root.push(&s.name),
            Some(root) => match root.member_project(&s.display) {
                Some(member) => own.push((s.name.clone(), member)),
                None => own.push((s.name.clone(), Project::discover(&s.dir)?)),
            },
            None => own.push((s.name.clone(), Project::discover(&s.dir)?)),
        }
    }
    let root = workspace.project.as_ref().filter(|_| !at_root.is_empty());
    let projects: Vec<&Project> = root.into_iter().chain(own.iter().map(|(_, p)| p)).collect();
    if projects.is_empty() {
        return Ok(out);
    }
    let names: BTreeSet<String> = projects
        .iter()
        .flat_map(|p| crabport_audit::crates_to_resolve(p, &kb, options.audit))
        .collect();
    let names: Vec<String> = names.into_iter().collect();
    let index = (options.open_index)()?;
    let results = index.lookup_all(&names, &|_| {});
    let lookups: HashMap<String, _> = names.into_iter().zip(results).collect();
    let info = crabport_audit::index_info(index.url(), index.options().offline, &lookups);
    let audit = |project: &Project| {
        crabport_audit::audit(
            project,
            &kb,
            &lookups,
            &HashMap::new(),
            info.clone(),
            options.audit,
        )
    };
    if let Some(root) = root {
        let report = audit(root);
        for name in at_root {
            out.insert(name.to_owned(), Ok(report.clone()));
        }
    }
    for (name, project) in &own {
        out.insert(name.clone(), Ok(audit(project)));
    }
    Ok(out)
}
