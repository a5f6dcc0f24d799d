//! Targets that `crabport bench` starts: each runs as `sh -c <command>` in a
//! process group of its own, is ready once it answers HTTP, is measured
//! over its whole process tree, and is always stopped with its whole tree —
//! by [`Target::stop`], on drop (error paths), and on Ctrl-C once
//! [`install_interrupt_handler`] is installed.
//!
//! # The tree
//! A target's processes are its process group, every descendant of a member
//! (found by parent pid, so a child that calls `setsid` still counts), and
//! every process seen in the tree by an earlier scan that is still alive (a
//! descendant whose parent died is re-parented to init; pid and start time
//! tell it from a new process with a reused pid). `npm start` → `sh` →
//! `node` is one group, so stopping it stops `node` too. Not covered: a
//! process that leaves the group *and* loses its parent before any scan saw
//! it (a double-forking daemon); a cgroup would be needed for that.
//!
//! # What [`Usage`] counts
//! - `cpu_ms`: user + system CPU, cumulative since start, of every process
//!   of the tree (all its threads), plus the CPU of children they have
//!   reaped (`cutime` + `cstime`: a short-lived `node` child run by `sh`
//!   counts once `sh` reaps it). Take the difference of two samples for a
//!   round ([`Usage::cpu_ms_since`]). Not counted: a process that exits after
//!   its parent died (init reaps it and keeps its CPU), children a process
//!   never waits for (auto-reaped when SIGCHLD is ignored), and kernel work
//!   outside the process (softirq network processing). The resolution is a
//!   clock tick (10 ms on most Linux systems).
//! - `rss_bytes`: resident memory summed over the live processes of the
//!   tree, as `ps` shows it. Pages shared between processes (forked workers,
//!   shared libraries) count once per process, so a multi-process service
//!   reads higher than its real footprint; kernel memory such as socket
//!   buffers is not counted.
//! - `processes`: live processes of the tree (zombies excluded).

mod interrupt;
mod output;
mod procfs;
mod sampler;

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use serde::Serialize;

pub use interrupt::install_interrupt_handler;
pub use output::RecentOutput;
pub use sampler::{RssPeak, RssSampler};

use output::OutputTail;
use procfs::{Snapshot, Tree};

/// Time between readiness probes.
const READY_POLL: Duration = Duration::from_millis(50);
/// The longest one readiness probe may take, so a server that accepts but
/// never answers does not keep crabport from noticing that it died.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// Time between checks while a target stops.
const STOP_POLL: Duration = Duration::from_millis(20);
/// How long SIGKILLed processes may take to vanish before they count as
/// survivors (only a process stuck in the kernel takes that long).
const KILL_WAIT: Duration = Duration::from_secs(2);
/// How long a failed start waits for the target's last output to arrive.
const OUTPUT_WAIT: Duration = Duration::from_millis(200);

/// How to start one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchSpec {
    /// "baseline", "candidate" or a label; names the target in every error.
    pub name: String,
    /// A shell command; every `{port}` is replaced by the port, which is
    /// also in the `PORT` environment variable.
    pub command: String,
    pub cwd: PathBuf,
    /// Added to crabport's environment (`PORT` is set after these).
    pub env: Vec<(String, String)>,
    /// `None`: a free loopback port.
    pub port: Option<u16>,
    /// How long the target may take to answer its first request.
    pub ready_timeout: Duration,
    /// The path probed for readiness; any HTTP response counts as ready.
    pub ready_path: String,
    /// How long [`Target::stop`] (and the interrupt handler) wait after
    /// SIGTERM before SIGKILL.
    pub stop_grace: Duration,
}

impl LaunchSpec {
    pub const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(30);
    pub const DEFAULT_STOP_GRACE: Duration = Duration::from_secs(5);

    /// A spec with defaults: the current directory, a free port, `/` as the
    /// ready path, 30 s to become ready, 5 s to stop.
    pub fn new(name: impl Into<String>, command: impl Into<String>) -> LaunchSpec {
        LaunchSpec {
            name: name.into(),
            command: command.into(),
            cwd: PathBuf::from("."),
            env: Vec::new(),
            port: None,
            ready_timeout: Self::DEFAULT_READY_TIMEOUT,
            ready_path: "/".to_owned(),
            stop_grace: Self::DEFAULT_STOP_GRACE,
        }
    }
}

/// CPU and memory of a target's whole process tree at one moment (see the
/// module documentation for what is counted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Usage {
    /// User + system CPU since the target started, in milliseconds.
    pub cpu_ms: f64,
    /// Resident memory of the live processes, summed.
    pub rss_bytes: u64,
    /// Live processes in the tree.
    pub processes: usize,
}

impl Usage {
    /// CPU spent between `earlier` and this sample. Never negative: CPU of a
    /// process that left the tree (see the module documentation) can make
    /// the cumulative figure drop.
    pub fn cpu_ms_since(&self, earlier: &Usage) -> f64 {
        (self.cpu_ms - earlier.cpu_ms).max(0.0)
    }
}

/// How a target ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopReport {
    pub name: String,
    /// How the group leader (`sh -c`) ended; a signal if crabport ended it.
    pub exit: ExitStatus,
    /// Whether something outlived the grace period and was SIGKILLed.
    pub forced: bool,
    pub elapsed: Duration,
}

/// A target that could not be started, died, or would not stop.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error(
        "{name}: ready path {path:?} must start with '/' and hold no spaces or control characters"
    )]
    InvalidReadyPath { name: String, path: String },
    #[error("{name}: no free port on 127.0.0.1: {source}")]
    NoFreePort {
        name: String,
        #[source]
        source: io::Error,
    },
    #[error(
        "{name}: 127.0.0.1:{port} is already taken by another process, which would answer in its place; pick another port"
    )]
    PortInUse { name: String, port: u16 },
    #[error("{name}: cannot run `sh -c {command:?}` in {cwd}: {source}", cwd = .cwd.display())]
    Spawn {
        name: String,
        command: String,
        cwd: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{name} exited ({status}) before it answered HTTP on 127.0.0.1:{port}{output}")]
    ExitedBeforeReady {
        name: String,
        port: u16,
        status: ExitStatus,
        output: RecentOutput,
    },
    #[error(
        "{name} did not answer HTTP on 127.0.0.1:{port} within {timeout:?} \
         (command `{command}`; last attempt: {last_attempt}){output}"
    )]
    NotReady {
        name: String,
        command: String,
        port: u16,
        timeout: Duration,
        last_attempt: String,
        output: RecentOutput,
    },
    #[error("{name} died ({status}){output}")]
    Died {
        name: String,
        status: ExitStatus,
        output: RecentOutput,
    },
    #[error("{name}: processes {pids:?} of its tree survived SIGKILL")]
    Survivors { name: String, pids: Vec<i32> },
    #[error("{name}: cannot wait for process {pid}: {source}")]
    Wait {
        name: String,
        pid: u32,
        #[source]
        source: io::Error,
    },
    #[error("cannot start a background thread: {0}")]
    Thread(#[source] io::Error),
    #[error("cannot install the Ctrl-C handler: {0}")]
    InterruptHandler(#[source] io::Error),
    #[error("the RSS sampler thread panicked")]
    SamplerPanicked,
}

/// A started service. Dropping it without [`Target::stop`] SIGKILLs its tree.
#[derive(Debug)]
pub struct Target {
    tree: Arc<Tree>,
    child: Child,
    port: u16,
    command: String,
    output: Arc<OutputTail>,
    stop_grace: Duration,
    /// How the leader ended, once reaped.
    exit: Option<ExitStatus>,
    /// Stopped cleanly: nothing left for drop to do.
    stopped: bool,
    /// Declared last: unregisters only after drop has killed the tree.
    _registration: interrupt::Registration,
}

impl Target {
    /// Starts `sh -c <command>` in a new process group and waits until it
    /// answers HTTP on `127.0.0.1:<port>`. On any error the tree is killed
    /// before this returns. Blocks up to `ready_timeout`: from async code,
    /// call it in `spawn_blocking`.
    pub fn start(spec: &LaunchSpec) -> Result<Target, ProcessError> {
        let name = &spec.name;
        if !is_valid_path(&spec.ready_path) {
            return Err(ProcessError::InvalidReadyPath {
                name: name.clone(),
                path: spec.ready_path.clone(),
            });
        }
        let port = match spec.port {
            Some(port) => {
                // Whoever already listens there would answer the readiness
                // probe and be measured in the target's place.
                if is_listening(port) {
                    return Err(ProcessError::PortInUse {
                        name: name.clone(),
                        port,
                    });
                }
                port
            }
            None => unused_port().map_err(|source| ProcessError::NoFreePort {
                name: name.clone(),
                source,
            })?,
        };
        let command = spec.command.replace("{port}", &port.to_string());
        let mut sh = Command::new("sh");
        sh.arg("-c")
            .arg(&command)
            .current_dir(&spec.cwd)
            .envs(spec.env.iter().map(|(key, value)| (key, value)))
            .env("PORT", port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // One group for the whole tree: killpg reaches it, and the
            // terminal's Ctrl-C reaches crabport only, which stops the group.
            .process_group(0);
        let (mut child, tree, registration) =
            interrupt::spawn_registered(&mut sh, name, spec.stop_grace).map_err(|source| {
                ProcessError::Spawn {
                    name: name.clone(),
                    command: command.clone(),
                    cwd: spec.cwd.clone(),
                    source,
                }
            })?;
        let streams: [Option<Box<dyn Read + Send>>; 2] = [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        ];
        // From here on, every early return drops the target, which kills it.
        let mut target = Target {
            tree,
            child,
            port,
            command,
            output: Arc::new(OutputTail::default()),
            stop_grace: spec.stop_grace,
            exit: None,
            stopped: false,
            _registration: registration,
        };
        for stream in streams.into_iter().flatten() {
            target
                .output
                .capture(name, stream)
                .map_err(ProcessError::Thread)?;
        }
        target.wait_ready(&spec.ready_path, spec.ready_timeout)?;
        Ok(target)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The pid of the group leader (`sh -c`), which is also the group id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn name(&self) -> &str {
        &self.tree.name
    }

    /// The last lines the target wrote to stdout and stderr.
    pub fn recent_output(&self) -> RecentOutput {
        self.output.recent()
    }

    /// An error if the group leader has exited. It watches the leader
    /// only: a `node` that dies under a shell that lives on shows up as
    /// failed requests instead.
    pub fn check_alive(&mut self) -> Result<(), ProcessError> {
        match self.try_reap()? {
            None => Ok(()),
            Some(status) => {
                self.output.wait_closed(OUTPUT_WAIT);
                Err(ProcessError::Died {
                    name: self.tree.name.clone(),
                    status,
                    output: self.output.recent(),
                })
            }
        }
    }

    /// CPU and RSS of the whole tree now; one walk of `/proc`.
    pub fn usage(&self) -> Usage {
        self.tree.usage(&Snapshot::read())
    }

    /// SIGTERM to the whole tree, SIGKILL to whatever outlives the stop
    /// grace, then verifies from `/proc` that no process of it remains.
    /// Blocks up to the grace plus 2 s. Zombies (dead, waiting for init to
    /// reap them) do not count as remaining.
    pub fn stop(mut self) -> Result<StopReport, ProcessError> {
        let started = Instant::now();
        self.tree.signal(&Snapshot::read(), Signal::SIGTERM);
        let forced = !self.wait_gone(started + self.stop_grace)?;
        if forced {
            let give_up = Instant::now() + KILL_WAIT;
            loop {
                // Repeated: it also reaches processes forked in the meantime.
                self.tree.signal(&Snapshot::read(), Signal::SIGKILL);
                let soon = (Instant::now() + Duration::from_millis(100)).min(give_up);
                if self.wait_gone(soon)? || Instant::now() >= give_up {
                    break;
                }
            }
        }
        let survivors: Vec<i32> = self
            .tree
            .live(&Snapshot::read())
            .iter()
            .map(|p| p.pid)
            .collect();
        match self.exit {
            Some(exit) if survivors.is_empty() => {
                self.stopped = true;
                Ok(StopReport {
                    name: self.tree.name.clone(),
                    exit,
                    forced,
                    elapsed: started.elapsed(),
                })
            }
            _ => Err(ProcessError::Survivors {
                name: self.tree.name.clone(),
                pids: survivors,
            }),
        }
    }

    fn wait_ready(&mut self, path: &str, timeout: Duration) -> Result<(), ProcessError> {
        let deadline = Instant::now() + timeout;
        let mut last_attempt = "none".to_owned();
        loop {
            if let Some(status) = self.try_reap()? {
                self.output.wait_closed(OUTPUT_WAIT);
                return Err(ProcessError::ExitedBeforeReady {
                    name: self.tree.name.clone(),
                    port: self.port,
                    status,
                    output: self.output.recent(),
                });
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ProcessError::NotReady {
                    name: self.tree.name.clone(),
                    command: self.command.clone(),
                    port: self.port,
                    timeout,
                    last_attempt,
                    output: self.output.recent(),
                });
            }
            match probe_http(self.port, path, left.min(PROBE_TIMEOUT)) {
                Ok(()) => return Ok(()),
                Err(e) => last_attempt = e,
            }
            thread::sleep(READY_POLL.min(deadline.saturating_duration_since(Instant::now())));
        }
    }

    /// Polls until the leader is reaped and no live process of the tree
    /// remains; false if `deadline` comes first.
    fn wait_gone(&mut self, deadline: Instant) -> Result<bool, ProcessError> {
        loop {
            if self.try_reap()?.is_some() && self.tree.live(&Snapshot::read()).is_empty() {
                return Ok(true);
            }
            if Instant::now() >= deadline {
                return Ok(false);
            }
            thread::sleep(STOP_POLL);
        }
    }

    /// How the leader ended, reaping it if it just did.
    fn try_reap(&mut self) -> Result<Option<ExitStatus>, ProcessError> {
        if self.exit.is_none() {
            self.exit = self.child.try_wait().map_err(|source| ProcessError::Wait {
                name: self.tree.name.clone(),
                pid: self.child.id(),
                source,
            })?;
        }
        Ok(self.exit)
    }
}

impl Drop for Target {
    /// SIGKILL, no grace: drop runs on error paths, where waiting helps no one.
    fn drop(&mut self) {
        if self.stopped {
            return;
        }
        self.tree.signal(&Snapshot::read(), Signal::SIGKILL);
        // Reap the leader so it does not linger as a zombie.
        let give_up = Instant::now() + Duration::from_millis(500);
        while self.exit.is_none() && Instant::now() < give_up {
            match self.child.try_wait() {
                Ok(Some(status)) => self.exit = Some(status),
                Ok(None) => thread::sleep(Duration::from_millis(5)),
                Err(_) => break,
            }
        }
        // Again, for processes forked while the first signal was on its way.
        self.tree.signal(&Snapshot::read(), Signal::SIGKILL);
    }
}

/// How a command run to its end ([`run_to_end`]) ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    pub status: ExitStatus,
    /// The last lines it wrote to stdout and stderr.
    pub output: RecentOutput,
    pub elapsed: Duration,
}

/// How long a finished command's output may take to arrive, and what it
/// left running may take to end, before the rest is killed.
const FINISH_WAIT: Duration = Duration::from_secs(2);

/// Runs `sh -c <command>` in `cwd` to its end (a build step): in a process
/// group of its own that Ctrl-C stops like a target's, stdin closed, stdout
/// and stderr captured through one pipe, so their lines keep the order they
/// were written in (the last lines are kept). `progress` gets its newest
/// line every 100 ms. Whatever of its tree outlives it is killed.
///
/// # Errors
/// The command cannot be started or waited for.
pub fn run_to_end(
    name: &str,
    command: &str,
    cwd: &std::path::Path,
    progress: &dyn Fn(&str),
) -> Result<Finished, ProcessError> {
    let started = Instant::now();
    let spawn_error = |source| ProcessError::Spawn {
        name: name.to_owned(),
        command: command.to_owned(),
        cwd: cwd.to_path_buf(),
        source,
    };
    let (reader, writer) = io::pipe().map_err(spawn_error)?;
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg(command)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(writer.try_clone().map_err(spawn_error)?)
        .stderr(writer)
        .process_group(0);
    let (mut child, tree, _registration) =
        interrupt::spawn_registered(&mut sh, name, LaunchSpec::DEFAULT_STOP_GRACE)
            .map_err(spawn_error)?;
    // Our copies of the write end must go, or the pipe never ends.
    drop(sh);
    let output = Arc::new(OutputTail::default());
    let kill_rest = |tree: &Tree| tree.signal(&Snapshot::read(), Signal::SIGKILL);
    if let Err(e) = output.capture(name, reader) {
        kill_rest(&tree);
        let _ = child.wait();
        return Err(ProcessError::Thread(e));
    }
    let mut shown = None;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(source) => {
                kill_rest(&tree);
                let _ = child.wait();
                return Err(ProcessError::Wait {
                    name: name.to_owned(),
                    pid: child.id(),
                    source,
                });
            }
        }
        let last = output.last_line();
        if last.is_some() && last != shown {
            progress(last.as_deref().unwrap_or_default());
            shown = last;
        }
        thread::sleep(Duration::from_millis(100));
    };
    output.wait_closed(FINISH_WAIT);
    // A daemon it left behind (holding the pipes, or not) is not ours to keep.
    kill_rest(&tree);
    output.wait_closed(OUTPUT_WAIT);
    Ok(Finished {
        status,
        output: output.recent(),
        elapsed: started.elapsed(),
    })
}

/// A port on 127.0.0.1 that was free a moment ago (bound, then released).
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

/// A free port nobody listens on: between [`free_port`] releasing a port and
/// the target binding it, another process may take it (parallel starts do),
/// so a taken one is skipped for the next.
fn unused_port() -> io::Result<u16> {
    const TRIES: usize = 5;
    for _ in 1..TRIES {
        let port = free_port()?;
        if !is_listening(port) {
            return Ok(port);
        }
    }
    free_port()
}

fn is_listening(port: u16) -> bool {
    TcpStream::connect_timeout(&loopback(port), Duration::from_millis(200)).is_ok()
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

/// An origin-form request target that cannot break the request line.
fn is_valid_path(path: &str) -> bool {
    path.starts_with('/') && !path.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// One `GET path`; Ok on any HTTP response, whatever its status.
fn probe_http(port: u16, path: &str, timeout: Duration) -> Result<(), String> {
    let timeout = timeout.max(Duration::from_millis(1));
    let hint = |e: io::Error| {
        if e.kind() == io::ErrorKind::ConnectionRefused {
            // The usual cause besides "not listening yet".
            "connection refused (a server bound only to ::1 or another interface is not reached)"
                .to_owned()
        } else {
            e.to_string()
        }
    };
    let mut stream = TcpStream::connect_timeout(&loopback(port), timeout).map_err(hint)?;
    stream.set_read_timeout(Some(timeout)).map_err(hint)?;
    stream.set_write_timeout(Some(timeout)).map_err(hint)?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: crabport\r\nConnection: close\r\n\r\n"
    )
    .map_err(hint)?;
    let mut head = [0_u8; 5];
    let mut filled = 0;
    while filled < head.len() {
        match stream.read(head.get_mut(filled..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("connected, but no response: {e}")),
        }
    }
    if head.starts_with(b"HTTP/") {
        Ok(())
    } else if filled == 0 {
        Err("connected, but the connection closed without a response".to_owned())
    } else {
        Err(format!(
            "connected, but the reply is not HTTP: {:?}",
            String::from_utf8_lossy(head.get(..filled).unwrap_or_default())
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_paths_that_would_break_the_request_line_are_refused() {
        assert!(is_valid_path("/"));
        assert!(is_valid_path("/health?deep=1"));
        assert!(!is_valid_path("health"));
        assert!(!is_valid_path("/a b"));
        assert!(!is_valid_path("/a\r\nX-Evil: 1"));
    }

    #[test]
    fn an_invalid_ready_path_fails_before_anything_starts() {
        let spec = LaunchSpec {
            ready_path: "/a b".to_owned(),
            ..LaunchSpec::new("baseline", "exit 0")
        };
        let error = Target::start(&spec).err().map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some(
                "baseline: ready path \"/a b\" must start with '/' and hold no spaces or control characters"
            )
        );
    }
}
