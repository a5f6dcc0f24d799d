//! The process table as `/proc` shows it, and the process tree of a target.
//!
//! Linux only: where `/proc` is missing the table reads as empty, so usage
//! is zero and stopping relies on `killpg` alone.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::sync::{Mutex, OnceLock, PoisonError};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::{Pid, SysconfVar, sysconf};

use super::Usage;

/// The fields of `/proc/<pid>/stat` that crabport uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProcStat {
    pub pid: i32,
    pub ppid: i32,
    pub pgrp: i32,
    /// Exited, waiting to be reaped: holds no memory and runs no code.
    pub zombie: bool,
    /// Start time in clock ticks after boot; with the pid it names a
    /// process uniquely, even after the pid is reused.
    pub start_ticks: u64,
    /// utime + stime of all its threads, plus cutime + cstime: the CPU of
    /// the children it has reaped.
    pub cpu_ticks: u64,
    pub rss_pages: u64,
}

/// Parses one `/proc/<pid>/stat` line (see proc_pid_stat(5)).
pub(crate) fn parse_stat(text: &str) -> Option<ProcStat> {
    let pid = text.split_once(' ')?.0.parse().ok()?;
    // The command name may hold spaces and parentheses; the last ')' ends it.
    let rest = text.get(text.rfind(')')? + 1..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields[0] is field 3 (state) of proc_pid_stat(5).
    let unsigned = |i: usize| -> Option<u64> { fields.get(i)?.parse().ok() };
    // cutime, cstime and rss are printed signed; negative never means anything.
    let signed = |i: usize| -> Option<u64> {
        Some(u64::try_from(fields.get(i)?.parse::<i64>().ok()?).unwrap_or(0))
    };
    Some(ProcStat {
        pid,
        zombie: matches!(*fields.first()?, "Z" | "X" | "x"),
        ppid: fields.get(1)?.parse().ok()?,
        pgrp: fields.get(2)?.parse().ok()?,
        cpu_ticks: unsigned(11)? + unsigned(12)? + signed(13)? + signed(14)?,
        start_ticks: unsigned(19)?,
        rss_pages: signed(21)?,
    })
}

/// Every process visible in `/proc` at one moment (as near as a directory
/// walk gets to a moment).
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    procs: Vec<ProcStat>,
}

impl Snapshot {
    pub fn read() -> Snapshot {
        let Ok(dir) = fs::read_dir("/proc") else {
            return Snapshot::default();
        };
        let procs = dir
            .flatten()
            .filter(|entry| entry.file_name().to_str().is_some_and(is_pid))
            // A process may exit between the listing and the read: skip it.
            .filter_map(|entry| fs::read_to_string(entry.path().join("stat")).ok())
            .filter_map(|text| parse_stat(&text))
            .collect();
        Snapshot { procs }
    }

    #[cfg(test)]
    pub fn from_procs(procs: Vec<ProcStat>) -> Snapshot {
        Snapshot { procs }
    }
}

fn is_pid(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit())
}

/// The processes of one target: its process group, every descendant of a
/// member (a child may call `setsid` and leave the group), and every process
/// seen as a member before that is still alive (a descendant whose parent
/// died is re-parented to init, so only memory ties it to the target).
#[derive(Debug)]
pub(crate) struct Tree {
    pub name: String,
    /// The group id, which is also the pid of the leader (`sh -c`).
    pub pgid: i32,
    /// Members of the last scan, pid → start time.
    known: Mutex<HashMap<i32, u64>>,
}

impl Tree {
    pub fn new(name: &str, pgid: i32) -> Tree {
        Tree {
            name: name.to_owned(),
            pgid,
            known: Mutex::new(HashMap::new()),
        }
    }

    /// Members in `snap`, zombies included, and remembers them for later scans.
    pub fn members<'s>(&self, snap: &'s Snapshot) -> Vec<&'s ProcStat> {
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        let mut children: HashMap<i32, Vec<&ProcStat>> = HashMap::new();
        for proc in &snap.procs {
            children.entry(proc.ppid).or_default().push(proc);
        }
        let mut members: Vec<&ProcStat> = snap
            .procs
            .iter()
            .filter(|p| p.pgrp == self.pgid || known.get(&p.pid) == Some(&p.start_ticks))
            .collect();
        let mut seen: HashSet<i32> = members.iter().map(|p| p.pid).collect();
        let mut next = 0;
        while let Some(parent) = members.get(next) {
            let pid = parent.pid;
            next += 1;
            for &child in children.get(&pid).into_iter().flatten() {
                if seen.insert(child.pid) {
                    members.push(child);
                }
            }
        }
        *known = members.iter().map(|p| (p.pid, p.start_ticks)).collect();
        members
    }

    /// Members that have not exited.
    pub fn live<'s>(&self, snap: &'s Snapshot) -> Vec<&'s ProcStat> {
        let mut members = self.members(snap);
        members.retain(|p| !p.zombie);
        members
    }

    pub fn usage(&self, snap: &Snapshot) -> Usage {
        let members = self.members(snap);
        let cpu_ticks: u64 = members.iter().map(|p| p.cpu_ticks).sum();
        let live = members.iter().filter(|p| !p.zombie);
        let rss_pages: u64 = live.clone().map(|p| p.rss_pages).sum();
        Usage {
            // Exact below 2^53 ticks, i.e. for any run shorter than millennia.
            cpu_ms: cpu_ticks as f64 * 1000.0 / clock_ticks_per_second() as f64,
            rss_bytes: rss_pages.saturating_mul(page_size()),
            processes: live.count(),
        }
    }

    /// Sends `signal` to the group and to each live member outside it.
    ///
    /// Errors are ignored: ESRCH means the process is already gone, and
    /// callers verify from `/proc` that nothing survived. A pid could be
    /// reused between the scan and the kill; that window is microseconds,
    /// and closing it would take pidfds for every member.
    pub fn signal(&self, snap: &Snapshot, signal: Signal) {
        let members = self.members(snap);
        // Only while the group has a member: an empty group's id may be
        // reused as the pid of an unrelated process.
        if members.iter().any(|p| p.pgrp == self.pgid) {
            let _ = killpg(Pid::from_raw(self.pgid), signal);
        }
        for proc in members.iter().filter(|p| p.pgrp != self.pgid && !p.zombie) {
            let _ = kill(Pid::from_raw(proc.pid), signal);
        }
    }
}

fn clock_ticks_per_second() -> u64 {
    static TICKS: OnceLock<u64> = OnceLock::new();
    *TICKS.get_or_init(|| sysconf_u64(SysconfVar::CLK_TCK).unwrap_or(100))
}

fn page_size() -> u64 {
    static PAGE: OnceLock<u64> = OnceLock::new();
    *PAGE.get_or_init(|| sysconf_u64(SysconfVar::PAGE_SIZE).unwrap_or(4096))
}

fn sysconf_u64(var: SysconfVar) -> Option<u64> {
    let value = sysconf(var).ok()??;
    u64::try_from(value).ok().filter(|&v| v > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(pid: i32, ppid: i32, pgrp: i32) -> ProcStat {
        ProcStat {
            pid,
            ppid,
            pgrp,
            zombie: false,
            start_ticks: 1000 + u64::try_from(pid).unwrap_or(0),
            cpu_ticks: 10,
            rss_pages: 100,
        }
    }

    #[test]
    fn parses_a_stat_line_whose_name_holds_spaces_and_parentheses() {
        let line = "4242 (node (worker) 1) S 4200 4100 4100 0 -1 4194560 2650 0 0 0 \
                    150 25 7 3 20 0 11 0 987654 1121406976 12345 18446744073709551615 \
                    1 1 0 0 0 0 0 16781312 17922 0 0 0 17 1 0 0 0 0 0";
        let parsed = parse_stat(line);
        assert_eq!(
            parsed,
            Some(ProcStat {
                pid: 4242,
                ppid: 4200,
                pgrp: 4100,
                zombie: false,
                start_ticks: 987654,
                cpu_ticks: 150 + 25 + 7 + 3,
                rss_pages: 12345,
            })
        );
    }

    #[test]
    fn a_zombie_is_marked_and_a_truncated_line_is_rejected() {
        let zombie = "77 (sh) Z 1 70 70 0 -1 4227148 25 76 0 0 0 0 4 2 20 0 1 0 500 0 0";
        assert_eq!(
            parse_stat(zombie).map(|p| (p.zombie, p.cpu_ticks)),
            Some((true, 6))
        );
        assert_eq!(parse_stat("77 (sh) S 1 70"), None);
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn the_tree_holds_the_group_and_descendants_that_left_it() {
        let snap = Snapshot::from_procs(vec![
            stat(1, 0, 1),
            stat(100, 50, 100),  // leader: sh -c
            stat(101, 100, 100), // npm
            stat(102, 101, 102), // node after setsid: another group
            stat(103, 102, 102), // its worker
            stat(200, 1, 200),   // unrelated
            stat(201, 200, 200),
        ]);
        let tree = Tree::new("baseline", 100);
        let mut pids: Vec<i32> = tree.members(&snap).iter().map(|p| p.pid).collect();
        pids.sort_unstable();
        assert_eq!(pids, [100, 101, 102, 103]);
    }

    #[test]
    fn an_orphan_seen_before_stays_in_the_tree_until_its_pid_is_reused() {
        let tree = Tree::new("candidate", 100);
        let before = Snapshot::from_procs(vec![stat(100, 50, 100), stat(102, 100, 102)]);
        assert_eq!(tree.members(&before).len(), 2);

        // The leader died; the setsid child was re-parented to init.
        let orphaned = Snapshot::from_procs(vec![stat(102, 1, 102)]);
        let pids: Vec<i32> = tree.members(&orphaned).iter().map(|p| p.pid).collect();
        assert_eq!(pids, [102]);

        // Same pid, another start time: a different process.
        let mut reused = stat(102, 1, 102);
        reused.start_ticks += 1;
        let reused = Snapshot::from_procs(vec![reused]);
        assert!(tree.members(&reused).is_empty());
    }

    #[test]
    fn usage_counts_zombie_cpu_but_not_their_memory() {
        let mut zombie = stat(101, 100, 100);
        zombie.zombie = true;
        zombie.rss_pages = 0;
        let snap = Snapshot::from_procs(vec![stat(100, 50, 100), zombie]);
        let usage = Tree::new("t", 100).usage(&snap);
        assert_eq!(usage.processes, 1);
        assert_eq!(usage.rss_bytes, 100 * page_size());
        let expected_ms = 20.0 * 1000.0 / clock_ticks_per_second() as f64;
        assert!((usage.cpu_ms - expected_ms).abs() < 1e-9, "{usage:?}");
    }
}
