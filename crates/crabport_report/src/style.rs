//! Colours. Renderers always emit them; the binary writes through
//! `anstream`, which strips them when stdout is not a terminal, when
//! `NO_COLOR` is set, or with `--color never`.

use anstyle::{AnsiColor, Style};

#[derive(Debug, Clone, Copy)]
pub struct Styles {
    pub heading: Style,
    pub dim: Style,
    pub good: Style,
    pub warn: Style,
    pub bad: Style,
    pub info: Style,
    pub name: Style,
}

impl Default for Styles {
    fn default() -> Self {
        Self {
            heading: Style::new().bold(),
            dim: Style::new().dimmed(),
            good: AnsiColor::Green.on_default(),
            warn: AnsiColor::Yellow.on_default(),
            bad: AnsiColor::Red.on_default().bold(),
            info: AnsiColor::Cyan.on_default(),
            name: Style::new().bold(),
        }
    }
}

/// `text` wrapped in `style` (escape codes only, no width).
pub fn paint(style: Style, text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    format!("{style}{text}{style:#}")
}

/// `warning: …` lines at the end of a terminal report, the text escaped.
pub fn write_warnings(out: &mut String, styles: &Styles, warnings: &[String]) {
    use std::fmt::Write as _;
    for warning in warnings {
        let _ = writeln!(
            out,
            "{} {}",
            paint(styles.warn, "warning:"),
            crabport_core::escape::terminal(warning)
        );
    }
}
