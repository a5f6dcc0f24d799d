//! Where reports and progress go: the report to stdout, everything else to stderr.

use std::io::Write;

use anstyle::{AnsiColor, Reset, Style};

use crate::cli::ColorChoice;

pub const ERROR_STYLE: Style = AnsiColor::Red.on_default().bold();
pub const WARNING_STYLE: Style = AnsiColor::Yellow.on_default().bold();
pub const RESET: Reset = Reset;

/// Applies `--color` to every anstream writer of this process.
pub fn init_color(choice: ColorChoice) {
    let choice = match choice {
        ColorChoice::Auto => anstream::ColorChoice::Auto,
        ColorChoice::Always => anstream::ColorChoice::Always,
        ColorChoice::Never => anstream::ColorChoice::Never,
    };
    choice.write_global();
}

/// Writes the report to stdout (colours stripped unless wanted).
///
/// # Errors
/// A write error, including a closed pipe (handled quietly by `main`).
pub fn print_report(text: &str) -> std::io::Result<()> {
    let mut out = anstream::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// A warning on stderr, unless `--quiet`.
pub fn warn(quiet: bool, message: &str) {
    if !quiet {
        let _ = writeln!(
            anstream::stderr(),
            "{WARNING_STYLE}warning:{RESET} {message}"
        );
    }
}

/// Columns to lay the terminal report out in: `COLUMNS`, the terminal's
/// width, or 120 when stdout is not a terminal (stable for pipes and tests).
pub fn terminal_width() -> usize {
    if let Some(cols) = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()) {
        return cols;
    }
    console::Term::stdout()
        .size_checked()
        .map_or(120, |(_, cols)| usize::from(cols))
        .clamp(60, 240)
}

/// A progress bar on stderr; drawn only when stderr is a terminal and not `--quiet`.
pub fn progress(len: usize, quiet: bool, what: &str) -> indicatif::ProgressBar {
    if quiet {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(len as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{spinner} {prefix} {pos}/{len} {wide_bar} {msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(what.to_owned());
    bar
}
