//! Every live target, so that Ctrl-C (or SIGTERM) to crabport stops them.
//!
//! Targets run in process groups of their own, so the terminal's Ctrl-C
//! reaches crabport alone: without this handler crabport would die and leave
//! every target running.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::process::{Child, Command};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use tokio::signal::unix::{SignalKind, signal};

use super::ProcessError;
use super::procfs::{Snapshot, Tree};

/// How long the handler waits for SIGKILLed processes to vanish before it
/// exits anyway (only a process stuck in the kernel takes that long).
const KILL_WAIT: Duration = Duration::from_secs(2);
const POLL: Duration = Duration::from_millis(20);

struct Entry {
    tree: Arc<Tree>,
    grace: Duration,
}

struct Registry {
    next_id: u64,
    entries: BTreeMap<u64, Entry>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    next_id: 0,
    entries: BTreeMap::new(),
});

fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A target's place in the registry; dropping it unregisters the target.
#[derive(Debug)]
pub(crate) struct Registration(u64);

impl Drop for Registration {
    fn drop(&mut self) {
        registry().entries.remove(&self.0);
    }
}

/// Spawns `command` and registers its process group, under the registry
/// lock: a signal handled between the spawn and the registration would
/// otherwise miss the new group.
pub(crate) fn spawn_registered(
    command: &mut Command,
    name: &str,
    grace: Duration,
) -> io::Result<(Child, Arc<Tree>, Registration)> {
    let mut registry = registry();
    let child = command.spawn()?;
    let pgid = i32::try_from(child.id()).map_err(io::Error::other)?;
    let tree = Arc::new(Tree::new(name, pgid));
    let id = registry.next_id;
    registry.next_id += 1;
    registry.entries.insert(
        id,
        Entry {
            tree: Arc::clone(&tree),
            grace,
        },
    );
    Ok((child, tree, Registration(id)))
}

/// Makes Ctrl-C (SIGINT) and SIGTERM to crabport stop every live target:
/// SIGTERM to each target's process tree, SIGKILL after its stop grace (or
/// at once on a second signal), then exit with 128 + the signal number
/// (130 for Ctrl-C, 143 for SIGTERM, as a shell reports them).
///
/// Call it once, early in `main`; later calls do nothing. A dedicated
/// thread waits for the signals (through tokio's self-pipe handler, so no
/// code runs in signal context). SIGHUP is left alone so `nohup` still works.
pub fn install_interrupt_handler() -> Result<(), ProcessError> {
    static INSTALLED: Mutex<bool> = Mutex::new(false);
    let mut installed = INSTALLED.lock().unwrap_or_else(PoisonError::into_inner);
    if *installed {
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(ProcessError::InterruptHandler)?;
    // Registered here, not on the thread, so the handler is in place when
    // this function returns.
    let (interrupt, terminate) = {
        let _context = runtime.enter();
        let interrupt = signal(SignalKind::interrupt()).map_err(ProcessError::InterruptHandler)?;
        let terminate = signal(SignalKind::terminate()).map_err(ProcessError::InterruptHandler)?;
        (interrupt, terminate)
    };
    thread::Builder::new()
        .name("crabport-signals".to_owned())
        .spawn(move || stop_all_on_signal(&runtime, interrupt, terminate))
        .map_err(ProcessError::InterruptHandler)?;
    *installed = true;
    Ok(())
}

fn stop_all_on_signal(
    runtime: &tokio::runtime::Runtime,
    mut interrupt: tokio::signal::unix::Signal,
    mut terminate: tokio::signal::unix::Signal,
) {
    let received = runtime.block_on(async {
        tokio::select! {
            _ = interrupt.recv() => Signal::SIGINT,
            _ = terminate.recv() => Signal::SIGTERM,
        }
    });
    // Held until exit: no target starts, and none is forgotten, meanwhile.
    let registry = registry();
    let started = Instant::now();
    let mut targets: Vec<(&Tree, Instant)> = registry
        .entries
        .values()
        .map(|entry| (&*entry.tree, started + entry.grace))
        .collect();
    if !targets.is_empty() {
        let names: Vec<&str> = targets.iter().map(|(tree, _)| tree.name.as_str()).collect();
        // Stopping may take the grace period: say why crabport is still here.
        let _ = writeln!(
            io::stderr(),
            "crabport: {received} received, stopping {}",
            names.join(", ")
        );
    }
    let snap = Snapshot::read();
    for (tree, _) in &targets {
        tree.signal(&snap, Signal::SIGTERM);
    }
    let mut give_up = None;
    loop {
        let now = Instant::now();
        let snap = Snapshot::read();
        targets.retain(|(tree, _)| !tree.live(&snap).is_empty());
        if targets.is_empty() || give_up.is_some_and(|at| now >= at) {
            break;
        }
        let mut killing = false;
        for (tree, kill_at) in &targets {
            if now >= *kill_at {
                // Repeated each round: it also reaches processes forked since.
                tree.signal(&snap, Signal::SIGKILL);
                killing = true;
            }
        }
        if killing && give_up.is_none() {
            give_up = Some(now + KILL_WAIT);
        }
        let asked_again = runtime.block_on(async {
            let again = async {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
            };
            tokio::time::timeout(POLL, again).await.is_ok()
        });
        if asked_again {
            // The user does not want to wait out the grace.
            targets.iter_mut().for_each(|(_, at)| *at = now);
        }
    }
    std::process::exit(128 + received as i32);
}
