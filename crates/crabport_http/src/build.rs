//! Build steps: each target may name the command that builds it (`npm ci &&
//! npm run build`, `cargo build --release`). They run once, in order, before
//! any target starts; one whose declared outputs are all newer than all its
//! declared inputs is skipped, as make would.
//!
//! Freshness compares modification times: the newest file under the inputs
//! against the oldest file under the outputs (directories are walked; a
//! symbolic link counts as what it points to, and is not followed into a
//! directory). With outputs but no inputs, the step runs when an output is
//! missing; with neither, it always runs and the build tool (cargo, make)
//! judges freshness itself.

use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::{Duration, SystemTime};

use crate::process::{self, RecentOutput};

/// How to build one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildStep {
    /// The target it builds: `baseline` or `candidate`.
    pub target: String,
    /// A shell command.
    pub command: String,
    /// Where it runs; `outputs` and `inputs` are relative to it.
    pub cwd: PathBuf,
    pub outputs: Vec<String>,
    pub inputs: Vec<String>,
}

/// Whether a step has to run, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    Run { reason: String },
    Skip { reason: String },
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(
        "the {target} build: input `{path}` does not exist in {cwd} (fix `inputs` of [bench.build.{target}])",
        cwd = .cwd.display()
    )]
    MissingInput {
        target: String,
        path: String,
        cwd: PathBuf,
    },
    #[error("the {target} build: cannot read {path}: {source}", path = .path.display())]
    Io {
        target: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Process(#[from] process::ProcessError),
    #[error(
        "the {target} build `{command}` failed ({status}) in {cwd}, so no target was started{output}",
        cwd = .cwd.display()
    )]
    Failed {
        target: String,
        command: String,
        cwd: PathBuf,
        status: ExitStatus,
        output: RecentOutput,
    },
}

/// A step that ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    pub elapsed: Duration,
    /// Declared outputs the build did not make: the next run builds again.
    pub missing_outputs: Vec<String>,
}

/// The oldest (or newest) file under a path, with its time.
#[derive(Debug, Clone)]
struct Stamp {
    path: PathBuf,
    time: SystemTime,
}

impl BuildStep {
    /// Whether the step has to run.
    ///
    /// # Errors
    /// An input that does not exist, or a path that cannot be read.
    pub fn plan(&self) -> Result<Plan, BuildError> {
        if self.outputs.is_empty() {
            return Ok(Plan::Run {
                reason: "no outputs declared to check".to_owned(),
            });
        }
        let mut oldest_output: Option<Stamp> = None;
        for output in &self.outputs {
            let path = self.cwd.join(output);
            if std::fs::symlink_metadata(&path).is_err() {
                return Ok(Plan::Run {
                    reason: format!("{output} does not exist"),
                });
            }
            match self.extreme(&path, Extreme::Oldest)? {
                None => {
                    return Ok(Plan::Run {
                        reason: format!("{output} holds no file"),
                    });
                }
                Some(stamp) => {
                    if oldest_output.as_ref().is_none_or(|o| stamp.time < o.time) {
                        oldest_output = Some(stamp);
                    }
                }
            }
        }
        let outputs = self.outputs.join(", ");
        if self.inputs.is_empty() {
            return Ok(Plan::Skip {
                reason: format!("{outputs} exist (no inputs declared to compare with)"),
            });
        }
        let mut newest_input: Option<Stamp> = None;
        for input in &self.inputs {
            let path = self.cwd.join(input);
            if std::fs::symlink_metadata(&path).is_err() {
                return Err(BuildError::MissingInput {
                    target: self.target.clone(),
                    path: input.clone(),
                    cwd: self.cwd.clone(),
                });
            }
            if let Some(stamp) = self.extreme(&path, Extreme::Newest)?
                && newest_input.as_ref().is_none_or(|n| stamp.time > n.time)
            {
                newest_input = Some(stamp);
            }
        }
        match (newest_input, oldest_output) {
            (Some(input), Some(output)) if input.time > output.time => Ok(Plan::Run {
                reason: format!(
                    "{} is newer than {}",
                    self.relative(&input.path),
                    self.relative(&output.path)
                ),
            }),
            _ => Ok(Plan::Skip {
                reason: format!("{outputs} newer than {}", self.inputs.join(", ")),
            }),
        }
    }

    /// Runs the command; `progress` gets its newest output line.
    ///
    /// # Errors
    /// The command cannot start, or exits unsuccessfully: the error holds
    /// its exit status and its last lines of output.
    pub fn run(&self, progress: &dyn Fn(&str)) -> Result<Built, BuildError> {
        let name = format!("{} build", self.target);
        let finished = process::run_to_end(&name, &self.command, &self.cwd, progress)?;
        if !finished.status.success() {
            return Err(BuildError::Failed {
                target: self.target.clone(),
                command: self.command.clone(),
                cwd: self.cwd.clone(),
                status: finished.status,
                output: finished.output,
            });
        }
        Ok(Built {
            elapsed: finished.elapsed,
            missing_outputs: self
                .outputs
                .iter()
                .filter(|o| std::fs::metadata(self.cwd.join(o)).is_err())
                .cloned()
                .collect(),
        })
    }

    fn relative(&self, path: &Path) -> String {
        path.strip_prefix(&self.cwd)
            .unwrap_or(path)
            .display()
            .to_string()
    }

    /// The oldest or newest file under `path` (itself, if a file).
    fn extreme(&self, path: &Path, which: Extreme) -> Result<Option<Stamp>, BuildError> {
        let io = |path: &Path, source| BuildError::Io {
            target: self.target.clone(),
            path: path.to_path_buf(),
            source,
        };
        let mut best: Option<Stamp> = None;
        let mut pending = vec![path.to_path_buf()];
        while let Some(path) = pending.pop() {
            let link = std::fs::symlink_metadata(&path).map_err(|e| io(&path, e))?;
            let meta = if link.file_type().is_symlink() {
                match std::fs::metadata(&path) {
                    Ok(meta) if meta.is_file() => meta,
                    // A dangling link, or one into a directory: not walked.
                    _ => continue,
                }
            } else {
                link
            };
            if meta.is_dir() {
                for entry in std::fs::read_dir(&path).map_err(|e| io(&path, e))? {
                    pending.push(entry.map_err(|e| io(&path, e))?.path());
                }
                continue;
            }
            let time = meta.modified().map_err(|e| io(&path, e))?;
            let better = best.as_ref().is_none_or(|b| match which {
                Extreme::Oldest => time < b.time,
                Extreme::Newest => time > b.time,
            });
            if better {
                best = Some(Stamp { path, time });
            }
        }
        Ok(best)
    }
}

#[derive(Debug, Clone, Copy)]
enum Extreme {
    Oldest,
    Newest,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn touch(path: &Path, seconds_ago: u64) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let file = std::fs::File::create(path).unwrap();
        file.set_modified(SystemTime::now() - Duration::from_secs(seconds_ago))
            .unwrap();
    }

    fn step(dir: &Path, outputs: &[&str], inputs: &[&str]) -> BuildStep {
        BuildStep {
            target: "baseline".to_owned(),
            command: "true".to_owned(),
            cwd: dir.to_path_buf(),
            outputs: outputs.iter().map(|s| (*s).to_owned()).collect(),
            inputs: inputs.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    fn runs(plan: &Plan) -> bool {
        matches!(plan, Plan::Run { .. })
    }

    #[test]
    fn a_build_runs_when_an_output_is_missing_or_older_than_an_input() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        touch(&d.join("src/a.ts"), 300);
        touch(&d.join("src/deep/b.ts"), 200);
        let s = step(d, &["dist"], &["src", "package.json"]);
        touch(&d.join("package.json"), 300);
        assert_eq!(
            s.plan().unwrap(),
            Plan::Run {
                reason: "dist does not exist".to_owned()
            }
        );
        std::fs::create_dir(d.join("dist")).unwrap();
        assert!(runs(&s.plan().unwrap()), "an empty output directory");
        // The oldest output file is older than the newest input.
        touch(&d.join("dist/a.js"), 100);
        touch(&d.join("dist/b.js"), 250);
        let Plan::Run { reason } = s.plan().unwrap() else {
            panic!("stale")
        };
        assert_eq!(reason, "src/deep/b.ts is newer than dist/b.js");
        touch(&d.join("dist/b.js"), 100);
        assert!(!runs(&s.plan().unwrap()), "fresh");
        // Outputs alone: runs only when one is missing.
        assert!(!runs(&step(d, &["dist"], &[]).plan().unwrap()));
        assert!(runs(&step(d, &["dist", "nope"], &[]).plan().unwrap()));
        // Nothing declared: the build tool decides, so it always runs.
        assert!(runs(&step(d, &[], &[]).plan().unwrap()));
    }

    #[test]
    fn a_missing_input_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        touch(&dir.path().join("dist/a.js"), 0);
        let err = step(dir.path(), &["dist"], &["src"]).plan().unwrap_err();
        assert!(
            err.to_string().contains("input `src` does not exist"),
            "{err}"
        );
    }
}
