//! Targets as real processes: node servers, shells, busy loops, signals.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crabport_http::process::{
    LaunchSpec, ProcessError, RssSampler, Target, install_interrupt_handler,
};
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use tempfile::TempDir;

/// An HTTP server on the port in argv[2]. Flags: `ignore-term` makes it
/// ignore SIGTERM; `exit-after-first-request` makes it exit with 7 right
/// after answering its first request (crabport's readiness probe).
const SERVER_JS: &str = r#"
const [port, ...flags] = process.argv.slice(2);
const server = require("http").createServer((req, res) => {
  res.end("ok");
  if (flags.includes("exit-after-first-request")) setTimeout(() => process.exit(7), 100);
});
server.listen(Number(port), "127.0.0.1");
if (flags.includes("ignore-term")) process.on("SIGTERM", () => {});
"#;

/// Burns user CPU until it has used argv[2] milliseconds (default 20 s).
const BUSY_JS: &str = r#"
const limitUs = Number(process.argv[2] || 20000) * 1000;
while (process.cpuUsage().user < limitUs) {}
"#;

/// A server that ignores SIGTERM beside a shell that ignores it too, whose
/// `sleep` child (a grandchild of the leader) inherits the ignored SIGTERM.
const STUBBORN_TREE: &str =
    r#"sh -c 'trap "" TERM; while :; do sleep 0.1; done' & node server.js {port} ignore-term"#;

fn scripts() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("server.js"), SERVER_JS).unwrap();
    std::fs::write(dir.path().join("busy.js"), BUSY_JS).unwrap();
    dir
}

fn spec(dir: &TempDir, name: &str, command: &str) -> LaunchSpec {
    LaunchSpec {
        cwd: dir.path().to_path_buf(),
        // Only reached on failure, and a loaded CI machine starts node slowly.
        ready_timeout: Duration::from_secs(30),
        stop_grace: Duration::from_millis(300),
        ..LaunchSpec::new(name, command)
    }
}

/// Pids of live (not zombie) processes in group `pgid`, read from /proc.
/// Zombies are dead; in containers whose init never reaps they linger.
fn live_in_group(pgid: u32) -> Vec<u32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields[0] != "Z" && fields[2].parse::<u32>() == Ok(pgid) {
            pids.push(pid);
        }
    }
    pids
}

/// Asserts that group `pgid` empties within 2 s (SIGKILL is not instant).
fn assert_group_gone(pgid: u32) {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let live = live_in_group(pgid);
        if live.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "left behind in group {pgid}: {live:?}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

fn http_get(port: u16) -> String {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn a_server_becomes_ready_and_its_whole_tree_is_measured() {
    let dir = scripts();
    // leader sh → sh → {node busy.js, node server.js}: both nodes are grandchildren.
    let command = "sh -c 'node busy.js & node server.js {port}; wait'";
    let target = Target::start(&spec(&dir, "baseline", command)).unwrap();
    assert_eq!(target.name(), "baseline");
    assert!(http_get(target.port()).ends_with("ok"));

    let before = target.usage();
    let sampler = RssSampler::start_every(&[&target], Duration::from_millis(50)).unwrap();
    // The busy grandchild spins all the while: its CPU must show up. Waited
    // for rather than timed, as a loaded machine may give it little.
    let deadline = Instant::now() + Duration::from_secs(10);
    let after = loop {
        thread::sleep(Duration::from_millis(100));
        let now = target.usage();
        if now.cpu_ms_since(&before) >= 200.0 {
            break now;
        }
        assert!(
            Instant::now() < deadline,
            "no CPU counted: {before:?} → {now:?}"
        );
    };
    let peaks = sampler.finish().unwrap();

    assert!(after.processes >= 3, "{after:?}");
    // Two node processes: each holds tens of MiB resident.
    assert!(after.rss_bytes > 16 << 20, "{after:?}");

    let [peak] = peaks.as_slice() else {
        panic!("one target, one peak: {peaks:?}")
    };
    assert_eq!(peak.name, "baseline");
    assert!(peak.samples >= 2, "{peak:?}");
    assert!(peak.peak_rss_bytes >= peak.last.rss_bytes && peak.last.rss_bytes > 0);
    assert!(peak.peak_processes >= 3, "{peak:?}");

    let pgid = target.pid();
    let report = target.stop().unwrap();
    assert!(!report.forced, "everything obeys SIGTERM: {report:?}");
    assert_eq!(live_in_group(pgid), [] as [u32; 0], "stop() verified this");
}

#[test]
fn cpu_of_a_child_that_already_exited_is_counted() {
    let dir = scripts();
    // sh reaps the busy node before the server starts: only sh's cutime holds its CPU.
    let command = "node busy.js 300 && node server.js {port}";
    let target = Target::start(&spec(&dir, "candidate", command)).unwrap();
    let usage = target.usage();
    assert!(usage.cpu_ms >= 300.0, "{usage:?}");
    assert!(usage.processes >= 1, "{usage:?}");
    target.stop().unwrap();
}

#[test]
fn stop_kills_a_grandchild_that_ignores_sigterm() {
    let dir = scripts();
    // $PORT instead of {port}: the environment variable is set too.
    let command = STUBBORN_TREE.replace("{port}", "$PORT");
    let target = Target::start(&spec(&dir, "baseline", &command)).unwrap();
    let pgid = target.pid();
    // leader sh, stubborn sh, node (and a sleep, most of the time)
    assert!(live_in_group(pgid).len() >= 3, "{:?}", live_in_group(pgid));

    let report = target.stop().unwrap();
    assert!(report.forced, "{report:?}");
    assert!(report.elapsed >= Duration::from_millis(300), "{report:?}");
    assert!(report.elapsed < Duration::from_secs(4), "{report:?}");
    // SIGTERM ended the leader itself; the rest needed SIGKILL.
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&report.exit),
        Some(Signal::SIGTERM as i32)
    );
    assert_eq!(live_in_group(pgid), [] as [u32; 0], "stop() verified this");
}

#[test]
fn a_command_that_fails_at_once_names_the_target_and_its_status() {
    let dir = scripts();
    let started = Instant::now();
    let error = Target::start(&spec(
        &dir,
        "baseline",
        "echo 'boom: no config' >&2; exit 3",
    ))
    .unwrap_err()
    .to_string();
    assert!(error.starts_with("baseline exited (exit status: 3) before it answered HTTP"));
    assert!(
        error.ends_with("its last output:\n  | boom: no config"),
        "{error}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));

    let error = Target::start(&spec(&dir, "candidate", "no-such-server-binary {port}"))
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("candidate exited (exit status: 127)"),
        "{error}"
    );
    assert!(error.contains("not found"), "{error}");

    let mut missing_dir = spec(&dir, "candidate", "node server.js {port}");
    missing_dir.cwd = dir.path().join("no-such-dir");
    let error = Target::start(&missing_dir).unwrap_err();
    assert!(matches!(error, ProcessError::Spawn { .. }), "{error}");
    assert!(
        error
            .to_string()
            .starts_with("candidate: cannot run `sh -c"),
        "{error}"
    );
}

#[test]
fn a_command_that_never_listens_times_out_naming_the_port_and_leaves_nothing() {
    let dir = scripts();
    // The port crabport picks itself: a fixed one could be taken by a test
    // running in parallel between choosing it and starting.
    let never = LaunchSpec {
        ready_timeout: Duration::from_secs(1),
        ..spec(
            &dir,
            "candidate",
            "sleep 30 & echo $$ > leader.pid; sleep 30",
        )
    };
    let started = Instant::now();
    let error = Target::start(&never).unwrap_err().to_string();
    let elapsed = started.elapsed();
    let port = error
        .strip_prefix("candidate did not answer HTTP on 127.0.0.1:")
        .and_then(|rest| rest.split_once(" within 1s"))
        .and_then(|(port, _)| port.parse::<u16>().ok())
        .unwrap_or_else(|| panic!("no port named in: {error}"));
    assert!(error.contains("connection refused"), "{error}");
    assert!(elapsed >= Duration::from_secs(1) && elapsed < Duration::from_secs(4));

    let pgid: u32 = std::fs::read_to_string(dir.path().join("leader.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_group_gone(pgid);
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "something listens on the port the target was given"
    );
}

#[test]
fn a_server_that_dies_after_start_fails_check_alive() {
    let dir = scripts();
    let command = "node server.js {port} exit-after-first-request";
    let mut target = Target::start(&spec(&dir, "candidate", command)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let error = loop {
        match target.check_alive() {
            Err(error) => break error.to_string(),
            Ok(()) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
            Ok(()) => panic!("the server should have died"),
        }
    };
    assert!(
        error.starts_with("candidate died (exit status: 7)"),
        "{error}"
    );
    // Stopping a dead target still works and reports how it ended.
    let report = target.stop().unwrap();
    assert_eq!(report.exit.code(), Some(7));
}

#[test]
fn dropping_a_target_without_stop_kills_its_group() {
    let dir = scripts();
    let target = Target::start(&spec(&dir, "baseline", STUBBORN_TREE)).unwrap();
    let pgid = target.pid();
    assert!(!live_in_group(pgid).is_empty());
    drop(target);
    assert_group_gone(pgid);
}

#[test]
fn a_port_already_taken_is_refused_before_anything_starts() {
    let dir = scripts();
    let taken = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = taken.local_addr().unwrap().port();
    let spec = LaunchSpec {
        port: Some(port),
        ..spec(&dir, "baseline", "node server.js {port}")
    };
    let error = Target::start(&spec).unwrap_err();
    assert!(matches!(error, ProcessError::PortInUse { .. }), "{error}");
    assert!(error.to_string().contains(&format!("127.0.0.1:{port}")));
}

#[test]
fn installing_the_interrupt_handler_twice_is_harmless() {
    install_interrupt_handler().unwrap();
    install_interrupt_handler().unwrap();
}

/// Kills the probe, and its target, if the test fails before they exit.
struct Probe {
    child: Child,
    target_group: Option<u32>,
}

impl Drop for Probe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(pgid) = self.target_group {
            let _ = killpg(Pid::from_raw(i32::try_from(pgid).unwrap()), Signal::SIGKILL);
        }
    }
}

fn probe_binary() -> PathBuf {
    // target/debug/deps/process-<hash> → target/debug/examples/interrupt_probe
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("examples/interrupt_probe");
    assert!(
        path.exists(),
        "{} is missing: `cargo test -p crabport_http` builds it",
        path.display()
    );
    path
}

#[test]
fn interrupt_stops_every_target_and_exits_130() {
    let dir = scripts();
    let child = Command::new(probe_binary())
        .arg(STUBBORN_TREE)
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut probe = Probe {
        child,
        target_group: None,
    };

    let stdout = probe.child.stdout.take().unwrap();
    let (sender, ready) = mpsc::channel();
    thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = sender.send(line);
    });
    let line = ready.recv_timeout(Duration::from_secs(40)).unwrap();
    let ids: Vec<u32> = line
        .split_whitespace()
        .map(|id| id.parse().unwrap())
        .collect();
    let [pid, pgid] = ids.as_slice() else {
        panic!("expected `<pid> <pgid>`, got {line:?}")
    };
    assert_eq!(pid, pgid, "the target leads a process group of its own");
    probe.target_group = Some(*pgid);
    assert!(live_in_group(*pgid).len() >= 3);

    let probe_pid = Pid::from_raw(i32::try_from(probe.child.id()).unwrap());
    kill(probe_pid, Signal::SIGINT).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let status = loop {
        if let Some(status) = probe.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the probe did not exit after SIGINT"
        );
        thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130));
    assert_eq!(live_in_group(*pgid), [] as [u32; 0], "gone before the exit");

    let mut stderr = String::new();
    probe
        .child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(
        stderr.contains("crabport: SIGINT received, stopping probe"),
        "{stderr}"
    );
}
