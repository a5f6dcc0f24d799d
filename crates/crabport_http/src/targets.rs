//! The services a command talks to: started by crabport from a command, or
//! already running at a URL. `bench` and `parity` start them the same way
//! (process group, bounded readiness, stopped on every path).

use std::path::PathBuf;
use std::time::Duration;

use crate::process::{self, LaunchSpec, ProcessError};
use crate::request::{self, TargetError};

/// Where a target comes from.
#[derive(Debug, Clone)]
pub enum TargetSource {
    /// A command crabport starts, with `{port}` (and `PORT`) for the port.
    Command { command: String, cwd: PathBuf },
    /// A service that is already running.
    Url(String),
}

#[derive(Debug, Clone)]
pub struct TargetSpec {
    pub name: String,
    pub source: TargetSource,
}

/// How a started target proves it is up.
#[derive(Debug, Clone)]
pub struct Readiness {
    pub path: String,
    pub timeout: Duration,
}

/// A target ready for requests. Drop SIGKILLs a started process; call
/// [`Live::stop`] to stop it gracefully and learn how it ended.
#[derive(Debug)]
pub struct Live {
    pub name: String,
    /// `None` for a URL target.
    pub process: Option<process::Target>,
    pub endpoint: request::Target,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Process(#[from] ProcessError),
    #[error("{name}: {source}")]
    Target {
        name: String,
        #[source]
        source: TargetError,
    },
}

impl TargetSpec {
    /// Starts the command and waits until it answers, or checks the URL.
    /// Blocks up to `ready.timeout`: from async code, call it in
    /// `spawn_blocking`.
    ///
    /// # Errors
    /// A command that does not start, never answers or dies; a URL that is
    /// malformed or, without `allow_remote`, not loopback.
    pub fn start(&self, ready: &Readiness, allow_remote: bool) -> Result<Live, StartError> {
        let target_error = |source| StartError::Target {
            name: self.name.clone(),
            source,
        };
        let (process, endpoint) = match &self.source {
            TargetSource::Command { command, cwd } => {
                let launch = LaunchSpec {
                    name: self.name.clone(),
                    command: command.clone(),
                    cwd: cwd.clone(),
                    env: Vec::new(),
                    port: None,
                    ready_timeout: ready.timeout,
                    ready_path: ready.path.clone(),
                    stop_grace: LaunchSpec::DEFAULT_STOP_GRACE,
                };
                let started = process::Target::start(&launch)?;
                let endpoint =
                    request::parse_target(&format!("http://127.0.0.1:{}", started.port()), false)
                        .map_err(target_error)?;
                (Some(started), endpoint)
            }
            TargetSource::Url(url) => (
                None,
                request::parse_target(url, allow_remote).map_err(target_error)?,
            ),
        };
        Ok(Live {
            name: self.name.clone(),
            process,
            endpoint,
        })
    }
}

/// Stops every process, all of them even when one fails to stop; the
/// first failure is the error.
///
/// # Errors
/// Processes of a tree that survived SIGKILL.
pub fn stop_all(processes: impl IntoIterator<Item = process::Target>) -> Result<(), ProcessError> {
    let mut first = None;
    for p in processes {
        if let Err(e) = p.stop()
            && first.is_none()
        {
            first = Some(e);
        }
    }
    first.map_or(Ok(()), Err)
}

impl Live {
    /// An error when a started process has died.
    ///
    /// # Errors
    /// The process exited, with its last output.
    pub fn check_alive(&mut self) -> Result<(), ProcessError> {
        match self.process.as_mut() {
            Some(p) => p.check_alive(),
            None => Ok(()),
        }
    }
}
