//! The last lines a target wrote, for error messages.

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Read};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

/// Lines kept per target (stdout and stderr together).
const KEPT_LINES: usize = 50;
/// Longer lines are cut, so a target that never writes '\n' cannot grow
/// the buffer without bound.
const MAX_LINE_BYTES: usize = 1024;

/// The last lines a target wrote to stdout and stderr, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecentOutput(pub Vec<String>);

impl fmt::Display for RecentOutput {
    /// Renders as the tail of an error message, control characters escaped
    /// (the output is the target's, not ours).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("; it wrote no output");
        }
        f.write_str("; its last output:")?;
        for line in &self.0 {
            write!(f, "\n  | {}", crabport_core::escape::terminal(line))?;
        }
        Ok(())
    }
}

/// A ring of recent lines, filled by one reader thread per stream.
#[derive(Debug, Default)]
pub(crate) struct OutputTail {
    state: Mutex<TailState>,
    closed: Condvar,
}

#[derive(Debug, Default)]
struct TailState {
    lines: VecDeque<String>,
    open_streams: usize,
}

impl OutputTail {
    /// Reads `stream` to its end on a background thread. Draining the pipe
    /// also keeps a chatty target from blocking on a full pipe.
    pub fn capture(
        self: &Arc<Self>,
        name: &str,
        stream: impl Read + Send + 'static,
    ) -> io::Result<()> {
        self.lock().open_streams += 1;
        let tail = Arc::clone(self);
        let spawned = thread::Builder::new()
            .name(format!("crabport-output-{name}"))
            .spawn(move || tail.read_to_end(stream));
        if spawned.is_err() {
            self.close_stream();
        }
        spawned.map(drop)
    }

    pub fn recent(&self) -> RecentOutput {
        RecentOutput(self.lock().lines.iter().cloned().collect())
    }

    /// The newest line, for progress.
    pub fn last_line(&self) -> Option<String> {
        self.lock().lines.back().cloned()
    }

    /// Waits until every stream has ended or `timeout` passes. A stream
    /// ends when every process holding the pipe has exited, which may be
    /// never if a grandchild lives on: hence the timeout.
    pub fn wait_closed(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        while state.open_streams > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            state = match self.closed.wait_timeout(state, left) {
                Ok((state, _)) => state,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }

    fn read_to_end(&self, mut stream: impl Read) {
        let mut buf = [0_u8; 8192];
        let mut line = Vec::new();
        let mut cut = false;
        loop {
            let read = match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(read) => read,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            for &byte in buf.get(..read).unwrap_or_default() {
                if byte == b'\n' {
                    self.push(&line, cut);
                    line.clear();
                    cut = false;
                } else if line.len() < MAX_LINE_BYTES {
                    line.push(byte);
                } else {
                    cut = true;
                }
            }
        }
        if !line.is_empty() {
            self.push(&line, cut);
        }
        self.close_stream();
    }

    fn push(&self, line: &[u8], cut: bool) {
        let mut text = String::from_utf8_lossy(line)
            .trim_end_matches('\r')
            .to_owned();
        if cut {
            text.push('…');
        }
        let mut state = self.lock();
        if state.lines.len() == KEPT_LINES {
            state.lines.pop_front();
        }
        state.lines.push_back(text);
    }

    fn close_stream(&self) {
        let mut state = self.lock();
        state.open_streams = state.open_streams.saturating_sub(1);
        self.closed.notify_all();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, TailState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_lines_and_cuts_long_ones() {
        let tail = Arc::new(OutputTail::default());
        let mut text = String::new();
        for i in 0..60 {
            text.push_str(&format!("line {i}\r\n"));
        }
        text.push_str(&"x".repeat(5000));
        tail.capture("t", io::Cursor::new(text.into_bytes()))
            .expect("thread");
        tail.wait_closed(Duration::from_secs(5));

        let RecentOutput(lines) = tail.recent();
        assert_eq!(lines.len(), KEPT_LINES);
        assert_eq!(lines.first().map(String::as_str), Some("line 11"));
        let last = lines.last().map(String::as_str).unwrap_or_default();
        assert_eq!(last.len(), MAX_LINE_BYTES + '…'.len_utf8());
    }

    #[test]
    fn renders_as_the_tail_of_an_error_message() {
        let output = RecentOutput(vec!["Error: EADDRINUSE".to_owned(), "at listen".to_owned()]);
        assert_eq!(
            output.to_string(),
            "; its last output:\n  | Error: EADDRINUSE\n  | at listen"
        );
        assert_eq!(RecentOutput::default().to_string(), "; it wrote no output");
        let hostile = RecentOutput(vec!["\u{1b}[2Jgone".to_owned()]);
        assert_eq!(
            hostile.to_string(),
            "; its last output:\n  | \\u{1b}[2Jgone"
        );
    }
}
