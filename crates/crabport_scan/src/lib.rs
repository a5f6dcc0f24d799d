//! `crabport scan`: the TypeScript/JavaScript that will fight the borrow
//! checker, each finding with the Rust idiom that replaces it.
//!
//! One oxc parse and one semantic model per file; every rule runs over it.
//! Files are processed in parallel and dropped as soon as they are done.

pub mod codes;
pub mod context;
pub mod depth;
pub mod mutation;
pub mod rule;
pub mod rules;
pub mod suppression;
pub mod walk;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use oxc_allocator::Allocator;
use oxc_parser::Parser;
use oxc_semantic::SemanticBuilder;
use oxc_span::SourceType;
use rayon::prelude::*;
use serde::Serialize;

use crabport_core::finding::{Confidence, Finding, Severity};
use crabport_core::{LineIndex, Position};

use crate::context::FileContext;
use crate::rule::Rule;

/// Why a scan could not run (what it finds is data, never an error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    #[error("{0}")]
    Exclude(String),
    #[error("{0}")]
    Threads(String),
}

/// Per-rule settings from crabport.toml.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// Rules switched off.
    pub disabled: Vec<String>,
    /// Severity overrides.
    pub severity: BTreeMap<String, Severity>,
    /// Extra exclude globs.
    pub exclude: Vec<String>,
    /// Scan test files too (`*.test.*`, `*.spec.*`, `__tests__/`, `__mocks__/`,
    /// `test/`, `tests/`).
    pub include_tests: bool,
}

/// What a scan found.
#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    pub findings: Vec<Finding>,
    pub summary: ScanSummary,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ScanSummary {
    pub files: usize,
    pub lines: usize,
    pub skipped_minified: usize,
    pub suppressed: usize,
    /// Findings per rule.
    pub by_rule: BTreeMap<&'static str, usize>,
    /// Weighted findings per 1,000 lines, per directory, worst first.
    pub friction: Vec<DirectoryFriction>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DirectoryFriction {
    pub directory: String,
    pub lines: usize,
    pub findings: usize,
    /// Σ severity weight (info 1, warning 3, error 5) per 1,000 lines.
    pub friction: f64,
    /// Files in the directory with the most weighted findings.
    pub worst_files: Vec<String>,
}

/// The code of a file that does not parse.
pub const PARSE_ERROR: &str = "parse-error";
/// The code of a file nested too deep to analyse.
pub const TOO_DEEP: &str = "too-deep";
/// The code of a `// crabport-ignore` comment that suppresses nothing as written.
pub const INVALID_SUPPRESSION: &str = "invalid-suppression";

/// Whether `code` is something a scan reports: a rule or one of [`codes::CODES`].
pub fn is_code(code: &str) -> bool {
    rules::find(code).is_some() || codes::CODES.iter().any(|c| c.code == code)
}

/// Every code a scan reports, rules first.
pub fn all_codes() -> impl Iterator<Item = &'static str> {
    rules::all()
        .map(|r| r.code())
        .chain(codes::CODES.iter().map(|c| c.code))
}

/// Something more to read from each file's parse, beside the rules (plan's
/// route facts), so a file is parsed once. Called with the parse and its
/// semantic model, or with `None` when the scan did not get that far
/// (unreadable, minified, too deep, a parse error) and the visitor must
/// read the file its own way.
pub type Visit<'v> = dyn Fn(
        &Path,
        &str,
        Option<(&oxc_ast::ast::Program<'_>, &oxc_semantic::Semantic<'_>)>,
    ) -> Box<dyn std::any::Any + Send>
    + Sync
    + 'v;

/// Per scanned file, in walk order: its path and what [`Visit`] returned.
pub type Visited = Vec<(PathBuf, Box<dyn std::any::Any + Send>)>;

#[derive(Default)]
struct FileResult {
    path: String,
    lines: usize,
    findings: Vec<Finding>,
    suppressed: usize,
    minified: bool,
    /// What the file exports, for other files' deferred findings.
    exports: Option<rules::r#async::project_index::ModuleExports>,
    /// Findings that hold if an imported module exports an async function;
    /// the flag says whether a `crabport-ignore` comment suppresses it.
    deferred: Vec<(rules::r#async::project_index::DeferredFinding, bool)>,
    visited: Option<Box<dyn std::any::Any + Send>>,
}

/// Builds the index of every file's exports and keeps the deferred findings
/// it confirms.
fn resolve_deferred(results: &mut [FileResult]) {
    let index: rules::r#async::project_index::ProjectIndex = results
        .iter_mut()
        .filter_map(|r| Some((r.path.clone(), r.exports.take()?)))
        .collect();
    for result in results {
        let before = result.findings.len();
        for (deferred, suppressed) in std::mem::take(&mut result.deferred) {
            if !index.is_async_export(&result.path, &deferred.module, &deferred.export) {
                continue;
            }
            if suppressed {
                result.suppressed += 1;
            } else {
                result.findings.push(deferred.finding);
            }
        }
        if result.findings.len() > before {
            result.findings.sort_by_key(|f| (f.line, f.column, f.rule));
        }
    }
}

/// Scans `roots`; paths in findings are relative to `base`.
///
/// # Errors
/// Bad exclude globs.
pub fn scan(
    base: &Path,
    roots: &[PathBuf],
    options: &ScanOptions,
    on_file: &(dyn Fn() + Sync),
) -> Result<ScanReport, ScanError> {
    scan_visiting(base, roots, options, on_file, None).map(|(report, _)| report)
}

/// [`scan`], also handing every file's parse to `visit`.
///
/// # Errors
/// Bad exclude globs.
pub fn scan_visiting(
    base: &Path,
    roots: &[PathBuf],
    options: &ScanOptions,
    on_file: &(dyn Fn() + Sync),
    visit: Option<&Visit<'_>>,
) -> Result<(ScanReport, Visited), ScanError> {
    let mut exclude = options.exclude.clone();
    if !options.include_tests {
        exclude.extend(walk::TEST_GLOBS.iter().map(|g| (*g).to_owned()));
    }
    let files = walk::source_files(roots, &exclude).map_err(ScanError::Exclude)?;
    let rules: Vec<&dyn Rule> = rules::all()
        .filter(|r| !options.disabled.iter().any(|d| d == r.code()))
        .collect();
    // Only when a rule follows imports: each file's exports, recorded from
    // the same parse, and the findings that wait on them.
    let cross_file = rules.iter().any(|r| r.needs_project_index());
    // Every file runs on a worker of the big-stack pool, even a lone file
    // (rayon would run that on the calling thread).
    let mut results: Vec<FileResult> = pool().map_err(ScanError::Threads)?.install(|| {
        files
            .par_iter()
            .map(|path| {
                let result = scan_file(base, path, &rules, cross_file, visit);
                on_file();
                result
            })
            .collect()
    });
    if cross_file {
        resolve_deferred(&mut results);
    }
    let visited: Visited = files
        .iter()
        .zip(results.iter_mut())
        .filter_map(|(path, r)| Some((path.clone(), r.visited.take()?)))
        .collect();
    let mut report = ScanReport {
        findings: Vec::new(),
        summary: ScanSummary::default(),
    };
    let mut per_file = Vec::new();
    for mut r in results {
        if r.minified {
            report.summary.skipped_minified += 1;
            continue;
        }
        // `[scan] disable` and `severity` also cover the codes that are not rules.
        r.findings
            .retain(|f| !options.disabled.iter().any(|d| d == f.rule));
        for f in &mut r.findings {
            if let Some(severity) = options.severity.get(f.rule) {
                f.severity = *severity;
            }
        }
        report.summary.files += 1;
        report.summary.lines += r.lines;
        report.summary.suppressed += r.suppressed;
        let weight: u32 = r.findings.iter().map(|f| f.severity.weight()).sum();
        per_file.push(FileWeight {
            path: r.path.clone(),
            lines: r.lines,
            findings: r.findings.len(),
            weight,
        });
        report.findings.extend(r.findings);
    }
    for f in &report.findings {
        *report.summary.by_rule.entry(f.rule).or_default() += 1;
    }
    report.summary.friction = friction(&per_file);
    Ok((report, visited))
}

/// The scan's workers, each with a [`depth::WORKER_STACK`] stack.
fn pool() -> Result<&'static rayon::ThreadPool, String> {
    static POOL: OnceLock<Result<rayon::ThreadPool, String>> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("crabport-scan-{i}"))
            .stack_size(depth::WORKER_STACK)
            .build()
            .map_err(|e| format!("cannot start the scan's worker threads: {e}"))
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// A path as findings show it: relative to the scanned base, `/`-separated.
fn display_path(base: &Path, path: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

fn scan_file(
    base: &Path,
    path: &Path,
    rules: &[&dyn Rule],
    cross_file: bool,
    visit: Option<&Visit<'_>>,
) -> FileResult {
    let mut result = scan_file_parsed(base, path, rules, cross_file, visit);
    if let Some(visit) = visit
        && result.visited.is_none()
    {
        result.visited = Some(visit(path, "", None));
    }
    result
}

fn scan_file_parsed(
    base: &Path,
    path: &Path,
    rules: &[&dyn Rule],
    cross_file: bool,
    visit: Option<&Visit<'_>>,
) -> FileResult {
    let display = display_path(base, path);
    let mut result = FileResult {
        path: display.clone(),
        ..FileResult::default()
    };
    let source = match std::fs::read_to_string(path) {
        Ok(s) => s,
        Err(e) => {
            result.findings.push(file_finding(
                PARSE_ERROR,
                &display,
                Position { line: 1, column: 1 },
                format!("cannot read the file: {e}"),
                "",
            ));
            return result;
        }
    };
    if walk::looks_minified(&source) {
        result.minified = true;
        return result;
    }
    if let Some(at) = depth::too_deep(&source, depth::MAX_NESTING) {
        let lines = LineIndex::new(&source);
        result.lines = lines.line_count();
        let position = lines.position(at);
        result.findings.push(file_finding(
            TOO_DEEP,
            &display,
            position,
            format!(
                "nesting deeper than {} levels (brackets, `${{` or chained `=>`) starts here",
                depth::MAX_NESTING
            ),
            lines.line_text(position.line),
        ));
        return result;
    }
    let needed = depth::stack_needed(source.len());
    if needed <= depth::WORKER_STACK {
        analyse(&mut result, path, &source, rules, cross_file, visit);
        return result;
    }
    // A long file: its own thread, with the stack its length can need.
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("crabport-scan-large".to_owned())
            .stack_size(needed)
            .spawn_scoped(scope, || {
                let mut result = FileResult {
                    path: display.clone(),
                    ..FileResult::default()
                };
                analyse(&mut result, path, &source, rules, cross_file, visit);
                result
            });
        match spawned.map(std::thread::ScopedJoinHandle::join) {
            Ok(Ok(done)) => result = done,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(e) => {
                result.lines = LineIndex::new(&source).line_count();
                result.findings.push(file_finding(
                    TOO_DEEP,
                    &display,
                    Position { line: 1, column: 1 },
                    format!(
                        "analysing this {} KiB file safely needs up to {} MiB of stack, which the system would not reserve: {e}",
                        source.len() >> 10,
                        needed >> 20
                    ),
                    "",
                ));
            }
        }
    });
    result
}

/// Parse, semantic model, every rule: the recursive part of a file's scan.
fn analyse(
    result: &mut FileResult,
    path: &Path,
    source: &str,
    rules: &[&dyn Rule],
    cross_file: bool,
    visit: Option<&Visit<'_>>,
) {
    let display = result.path.clone();
    let source_type = SourceType::from_path(path).unwrap_or_default();
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, source, source_type).parse();
    if parsed.panicked || parsed.diagnostics.has_errors() {
        let lines = LineIndex::new(source);
        result.lines = lines.line_count();
        let (position, message) = parsed.diagnostics.errors().next().map_or_else(
            || {
                (
                    Position { line: 1, column: 1 },
                    "the file does not parse".to_owned(),
                )
            },
            |e| {
                let offset = e.labels.first().map_or(0, |l| l.offset());
                (lines.position(offset as usize), e.message.to_string())
            },
        );
        let snippet = lines.line_text(position.line);
        result.findings.push(file_finding(
            PARSE_ERROR,
            &display,
            position,
            message,
            snippet,
        ));
        return;
    }
    let semantic = SemanticBuilder::new()
        .with_build_nodes(true)
        .build(&parsed.program)
        .semantic;
    if let Some(visit) = visit {
        result.visited = Some(visit(path, source, Some((&parsed.program, &semantic))));
    }
    let mut ctx = FileContext::new(&display, source, &semantic);
    if cross_file {
        ctx = ctx.deferring_cross_file();
        result.exports = Some(rules::r#async::project_index::module_exports(
            &parsed.program,
        ));
    }
    result.lines = ctx.line_count();
    let mut findings = Vec::new();
    for rule in rules {
        rule.check(&ctx, &mut findings);
    }
    let suppressions = suppression::Suppressions::new(&ctx, semantic.comments());
    result.deferred = ctx
        .take_deferred()
        .into_iter()
        .map(|d| {
            let suppressed = suppressions.covers(&d.finding);
            (d, suppressed)
        })
        .collect();
    let before = findings.len();
    findings.retain(|f| !suppressions.covers(f));
    result.suppressed = before - findings.len();
    findings.extend(suppressions.invalid);
    findings.sort_by_key(|f| (f.line, f.column, f.rule));
    result.findings = findings;
}

/// A finding about a whole file that crabport could not analyse.
fn file_finding(
    rule: &'static str,
    path: &str,
    at: Position,
    message: String,
    snippet: &str,
) -> Finding {
    let help = match rule {
        TOO_DEEP => {
            "crabport did not analyse this file; the rest of the scan went on. Generated code nests this deep: leave it out with `--exclude` or `[scan] exclude`"
        }
        _ => "crabport could not analyse this file; the rest of the scan went on",
    };
    Finding {
        rule,
        severity: codes::default_severity(rule),
        confidence: Confidence::High,
        file: path.to_owned(),
        line: at.line,
        column: at.column,
        end_line: at.line,
        end_column: at.column,
        message,
        help: help.to_owned(),
        snippet: snippet.to_owned(),
    }
}

/// Per-file figures that feed the friction table.
struct FileWeight {
    path: String,
    lines: usize,
    findings: usize,
    weight: u32,
}

#[derive(Default)]
struct DirTotals {
    lines: usize,
    findings: usize,
    weight: u32,
    files: Vec<(u32, String)>,
}

fn friction(per_file: &[FileWeight]) -> Vec<DirectoryFriction> {
    let mut dirs: BTreeMap<String, DirTotals> = BTreeMap::new();
    for file in per_file {
        let dir = file
            .path
            .rsplit_once('/')
            .map_or(".", |(d, _)| d)
            .to_owned();
        let totals = dirs.entry(dir).or_default();
        totals.lines += file.lines;
        totals.findings += file.findings;
        totals.weight += file.weight;
        if file.weight > 0 {
            totals.files.push((file.weight, file.path.clone()));
        }
    }
    let mut out: Vec<DirectoryFriction> = dirs
        .into_iter()
        .map(|(directory, mut t)| {
            t.files
                .sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            DirectoryFriction {
                directory,
                lines: t.lines,
                findings: t.findings,
                friction: if t.lines == 0 {
                    0.0
                } else {
                    f64::from(t.weight) * 1000.0 / t.lines as f64
                },
                worst_files: t.files.into_iter().take(3).map(|(_, p)| p).collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.friction
            .total_cmp(&a.friction)
            .then_with(|| a.directory.cmp(&b.directory))
    });
    out
}
