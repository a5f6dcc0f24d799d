//! Peak RSS over a measurement round.

use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serde::Serialize;

use super::procfs::{Snapshot, Tree};
use super::{ProcessError, Target, Usage};

/// The peak of one target's memory over a round.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RssPeak {
    pub name: String,
    /// The largest RSS of the whole tree among the samples.
    pub peak_rss_bytes: u64,
    /// The most processes the tree had at once among the samples.
    pub peak_processes: usize,
    /// The sample taken when the round finished.
    pub last: Usage,
    pub samples: u32,
}

/// Samples the usage of some targets on a background thread, from `start`
/// to `finish` (one measurement round), keeping each target's peak RSS.
///
/// RSS is sampled, not tracked by the kernel: a spike shorter than the
/// interval can fall between two samples. The kernel's own peak (VmHWM) is
/// per process and since its start, so it cannot give the peak of a tree
/// within a round.
#[derive(Debug)]
pub struct RssSampler {
    stop: mpsc::Sender<()>,
    thread: JoinHandle<Vec<RssPeak>>,
}

impl RssSampler {
    pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(100);

    /// Starts sampling every [`RssSampler::DEFAULT_INTERVAL`].
    pub fn start(targets: &[&Target]) -> Result<RssSampler, ProcessError> {
        Self::start_every(targets, Self::DEFAULT_INTERVAL)
    }

    /// Starts sampling every `interval`; the first sample is taken at once
    /// and the last one in [`RssSampler::finish`], so every round has two.
    pub fn start_every(
        targets: &[&Target],
        interval: Duration,
    ) -> Result<RssSampler, ProcessError> {
        let trees: Vec<Arc<Tree>> = targets.iter().map(|t| Arc::clone(&t.tree)).collect();
        let (stop, stopped) = mpsc::channel();
        let thread = thread::Builder::new()
            .name("crabport-rss".to_owned())
            .spawn(move || {
                let mut peaks: Vec<RssPeak> = trees
                    .iter()
                    .map(|tree| RssPeak {
                        name: tree.name.clone(),
                        peak_rss_bytes: 0,
                        peak_processes: 0,
                        last: Usage::default(),
                        samples: 0,
                    })
                    .collect();
                loop {
                    sample(&trees, &mut peaks);
                    match stopped.recv_timeout(interval) {
                        Err(RecvTimeoutError::Timeout) => {}
                        Ok(()) | Err(RecvTimeoutError::Disconnected) => break,
                    }
                }
                // The final sample, taken when the round ends.
                sample(&trees, &mut peaks);
                peaks
            })
            .map_err(ProcessError::Thread)?;
        Ok(RssSampler { stop, thread })
    }

    /// Ends the round: one last sample, then the peaks in the order the
    /// targets were given.
    pub fn finish(self) -> Result<Vec<RssPeak>, ProcessError> {
        // A send error means the thread is gone already; join tells why.
        let _ = self.stop.send(());
        self.thread
            .join()
            .map_err(|_| ProcessError::SamplerPanicked)
    }
}

fn sample(trees: &[Arc<Tree>], peaks: &mut [RssPeak]) {
    // One walk of /proc serves every target.
    let snap = Snapshot::read();
    for (tree, peak) in trees.iter().zip(peaks) {
        let usage = tree.usage(&snap);
        peak.peak_rss_bytes = peak.peak_rss_bytes.max(usage.rss_bytes);
        peak.peak_processes = peak.peak_processes.max(usage.processes);
        peak.last = usage;
        peak.samples += 1;
    }
}
