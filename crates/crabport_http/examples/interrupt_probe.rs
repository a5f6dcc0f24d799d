//! Starts one target under the interrupt handler and waits to be
//! interrupted; the integration tests send it SIGINT and check that the
//! target's process group is gone and that it exited with 130.
//!
//! Usage: `interrupt_probe '<command with {port}>'`. Prints `<pid> <pgid>`
//! of the target's group leader once the target is ready.

use std::error::Error;
use std::io::Write;
use std::time::Duration;

use crabport_http::process::{LaunchSpec, Target, install_interrupt_handler};
use nix::unistd::{Pid, getpgid};

fn main() -> Result<(), Box<dyn Error>> {
    install_interrupt_handler()?;
    let command = std::env::args()
        .nth(1)
        .ok_or("usage: interrupt_probe '<command with {port}>'")?;
    let spec = LaunchSpec {
        ready_timeout: Duration::from_secs(30),
        // Short, so a target that ignores SIGTERM does not slow the tests.
        stop_grace: Duration::from_millis(300),
        ..LaunchSpec::new("probe", command)
    };
    let target = Target::start(&spec)?;
    let pgid = getpgid(Some(Pid::from_raw(i32::try_from(target.pid())?)))?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{} {pgid}", target.pid())?;
    stdout.flush()?;
    drop(stdout);
    // The handler ends the process; `target` lives until then.
    loop {
        std::thread::sleep(Duration::from_secs(60));
    }
}
