//! What the commands that talk to running services (bench, parity) share:
//! targets from flags or crabport.toml, their build steps, notes above the
//! progress bar, and an HTML report file opened before anything slow.

use std::fs::File;
use std::io::{Seek as _, Write as _};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crabport_http::build::{BuildStep, Plan};
use crabport_http::targets::{TargetSource, TargetSpec};

use crate::config::{BenchBuildConfig, BuildStepConfig, Config};
use crate::output::{ERROR_STYLE, RESET, warn};

/// The target named `name`: the flag (run from the current directory), else
/// the configured command or URL (run from crabport.toml's directory).
pub fn target_spec(
    name: &str,
    flag: Option<&str>,
    configured: Option<&str>,
    base: &Path,
) -> Option<TargetSpec> {
    let (text, cwd) = match (flag, configured) {
        (Some(t), _) => (t, std::env::current_dir().unwrap_or_default()),
        (None, Some(t)) => (t, base.to_path_buf()),
        (None, None) => return None,
    };
    Some(TargetSpec {
        name: name.to_owned(),
        source: if text.starts_with("http://") || text.starts_with("https://") {
            TargetSource::Url(text.to_owned())
        } else {
            TargetSource::Command {
                command: text.to_owned(),
                cwd,
            }
        },
    })
}

/// An error on stderr after the report was printed (the exit code says 2).
pub fn error(message: &str) {
    let _ = writeln!(anstream::stderr(), "{ERROR_STYLE}error:{RESET} {message}");
}

/// A progress line on stderr (above the progress bar), unless `--quiet`.
pub fn note(bar: &indicatif::ProgressBar, quiet: bool, message: &str) {
    if !quiet {
        bar.suspend(|| {
            let _ = writeln!(anstream::stderr(), "{message}");
        });
    }
}

/// The build steps of the configured targets a flag did not replace,
/// baseline first. `section` is `bench` or `parity`, for messages.
pub fn build_steps(
    config: &Config,
    section: &str,
    build: &BenchBuildConfig,
    configured: [(&Option<String>, &Option<String>); 2],
    base: &Path,
) -> anyhow::Result<Vec<BuildStep>> {
    let mut steps = Vec::new();
    for ((name, build), (configured, flag)) in [
        ("baseline", &build.baseline),
        ("candidate", &build.candidate),
    ]
    .into_iter()
    .zip(configured)
    {
        let Some(build) = build else { continue };
        if configured.is_none() {
            return Err(config
                .error_at(
                    build.span(),
                    format!(
                        "[{section}.build.{name}] builds a {name}, but [{section}] has no `{name}`"
                    ),
                )
                .into());
        }
        if flag.is_some() {
            continue; // --baseline/--candidate replaced the target it builds
        }
        let BuildStepConfig {
            run,
            outputs,
            inputs,
        } = build.get_ref();
        if outputs.is_empty() && !inputs.is_empty() {
            return Err(config
                .error_at(
                    build.span(),
                    format!(
                        "[{section}.build.{name}] has `inputs` but no `outputs` to compare them with"
                    ),
                )
                .into());
        }
        steps.push(BuildStep {
            target: name.to_owned(),
            command: run.clone(),
            cwd: base.to_path_buf(),
            outputs: outputs.clone(),
            inputs: inputs.clone(),
        });
    }
    Ok(steps)
}

/// Runs every step unless `skip`, stopping at the first that fails.
///
/// # Errors
/// A step that fails, with its output.
pub fn build_all(
    steps: &[BuildStep],
    skip: bool,
    bar: &indicatif::ProgressBar,
    quiet: bool,
) -> anyhow::Result<()> {
    for step in steps {
        if skip {
            note(
                bar,
                quiet,
                &format!("build {}: skipped (--no-build)", step.target),
            );
        } else {
            build(step, bar, quiet)?;
        }
    }
    Ok(())
}

/// Runs one build step unless it is fresh, saying which and why.
pub fn build(step: &BuildStep, bar: &indicatif::ProgressBar, quiet: bool) -> anyhow::Result<()> {
    let target = &step.target;
    let command = crabport_core::escape::terminal(&step.command);
    // Two crabport runs on one project (bench and parity from one CI job,
    // or tests in parallel) must not both run `npm ci` in one directory:
    // the second waits, then finds the outputs fresh.
    let _lock = lock_step(step, bar, quiet);
    match step.plan()? {
        Plan::Skip { reason } => {
            note(
                bar,
                quiet,
                &format!("build {target}: fresh, skipped ({reason})"),
            );
            return Ok(());
        }
        Plan::Run { reason } => {
            note(
                bar,
                quiet,
                &format!("build {target}: `{command}` ({reason})"),
            );
        }
    }
    let built = step.run(&|line| {
        bar.set_message(format!(
            "build {target}: {}",
            crabport_core::escape::terminal(line)
        ));
        bar.tick();
    });
    bar.set_message("");
    let built = built?;
    note(
        bar,
        quiet,
        &format!(
            "build {target}: done in {:.1} s",
            built.elapsed.as_secs_f64()
        ),
    );
    if !built.missing_outputs.is_empty() {
        warn(
            quiet,
            &format!(
                "the {target} build did not make {} (its `outputs`): it will run again next time",
                built.missing_outputs.join(", ")
            ),
        );
    }
    Ok(())
}

/// An exclusive lock on a file in the temporary directory named after the
/// step's directory and command; `None` when locking is not possible (the
/// build then runs unguarded, as it would without crabport).
fn lock_step(step: &BuildStep, bar: &indicatif::ProgressBar, quiet: bool) -> Option<File> {
    use std::hash::{Hash as _, Hasher as _};
    let mut hasher = std::hash::DefaultHasher::new();
    step.cwd
        .canonicalize()
        .unwrap_or_else(|_| step.cwd.clone())
        .hash(&mut hasher);
    step.command.hash(&mut hasher);
    let path = std::env::temp_dir().join(format!("crabport-build-{:016x}.lock", hasher.finish()));
    let file = File::create(path).ok()?;
    match file.try_lock() {
        Ok(()) => Some(file),
        Err(std::fs::TryLockError::WouldBlock) => {
            note(
                bar,
                quiet,
                &format!(
                    "build {}: waiting for another crabport building it",
                    step.target
                ),
            );
            file.lock().ok().map(|()| file)
        }
        Err(std::fs::TryLockError::Error(_)) => None,
    }
}

/// `--html FILE`, opened for writing before the benchmark starts. Removed
/// again if crabport created it and the run ends without writing it.
pub struct OutputFile {
    path: PathBuf,
    file: File,
    created: bool,
    written: bool,
    /// The command writing it (`bench`), in the fallback file's name.
    command: &'static str,
}

impl OutputFile {
    pub fn open(path: &Path, command: &'static str) -> anyhow::Result<Self> {
        let existed = path.exists();
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .with_context(|| {
                format!(
                    "cannot write the HTML report to {} (checked before starting anything)",
                    path.display()
                )
            })?;
        Ok(Self {
            path: path.to_path_buf(),
            file,
            created: !existed,
            written: false,
            command,
        })
    }

    /// Writes `contents`; when that fails, writes them to a file in the
    /// temporary directory instead. The error says where they went.
    pub fn write(mut self, contents: &str) -> Result<(), String> {
        let result = (|| {
            if self.file.metadata()?.is_file() {
                self.file.set_len(0)?;
                self.file.rewind()?;
            }
            self.file.write_all(contents.as_bytes())?;
            self.file.flush()
        })();
        self.written = true;
        let Err(e) = result else {
            return Ok(());
        };
        let stem = self
            .path
            .file_stem()
            .map_or_else(|| "report".into(), |s| s.to_string_lossy());
        let fallback = std::env::temp_dir().join(format!(
            "crabport-{}-{stem}-{}.html",
            self.command,
            std::process::id()
        ));
        let target = self.path.display();
        Err(match std::fs::write(&fallback, contents) {
            Ok(()) => format!(
                "cannot write the HTML report to {target}: {e}; it was written to {} instead",
                fallback.display()
            ),
            Err(e2) => format!(
                "cannot write the HTML report to {target}: {e}, nor to {}: {e2}; the report on stdout holds the figures",
                fallback.display()
            ),
        })
    }
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        if self.created && !self.written {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
