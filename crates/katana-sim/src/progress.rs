//! Progress of a command over many items (`run`, `explore`, `report`), on stderr.
//!
//! On a terminal: an indicatif bar (`{bar} 12/47 scenarios · {message} · 3s`),
//! cleared when done, so the command's own lines and summary stay. Not on a
//! terminal (CI, a pipe): no bar and no control characters, only plain lines: one
//! every tenth of the items for 100 items or more, nothing for fewer.

use std::io::IsTerminal as _;
use std::sync::Mutex;

/// The progress of a command over `total` items, shown on stderr.
pub struct Progress {
    show: Show,
    total: u64,
    label: String,
    command: Option<String>,
    state: Mutex<State>,
}

enum Show {
    Bar(indicatif::ProgressBar),
    Lines { every: u64 },
    Quiet,
}

#[derive(Default)]
struct State {
    done: u64,
    message: String,
}

impl Progress {
    /// Progress over `total` items named `label` (e.g. `scenarios`, `cases`),
    /// with a bar when stderr is a terminal.
    pub fn new(total: u64, label: &str) -> Self {
        Self::with_terminal(total, label, std::io::stderr().is_terminal())
    }

    /// [`Progress::new`] with the terminal question answered by the caller.
    pub fn with_terminal(total: u64, label: &str, terminal: bool) -> Self {
        let show = if terminal && total > 1 {
            let bar = indicatif::ProgressBar::new(total);
            let template = format!("{{bar:30}} {{pos}}/{{len}} {label} · {{msg}} · {{elapsed}}");
            let style = indicatif::ProgressStyle::with_template(&template)
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style);
            Show::Bar(bar)
        } else if total >= 100 {
            Show::Lines {
                every: total.div_ceil(10),
            }
        } else {
            Show::Quiet
        };
        Self {
            show,
            total,
            label: label.to_string(),
            command: None,
            state: Mutex::new(State::default()),
        }
    }

    /// Names the command in the plain lines: `explore: 10/100 cases, …`.
    pub fn command(mut self, name: &str) -> Self {
        self.command = Some(name.to_string());
        self
    }

    /// True when a bar is drawn (stderr is a terminal).
    pub fn is_bar(&self) -> bool {
        matches!(self.show, Show::Bar(_))
    }

    /// Sets the text shown after the count (e.g. `120 steps, 0 failed`).
    pub fn set_message(&self, message: impl Into<String>) {
        let message = message.into();
        if let Show::Bar(bar) = &self.show {
            bar.set_message(message.clone());
        }
        if let Ok(mut state) = self.state.lock() {
            state.message = message;
        }
    }

    /// One more item done.
    pub fn inc(&self) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        state.done += 1;
        match &self.show {
            Show::Bar(bar) => bar.set_position(state.done),
            Show::Lines { every } => {
                let total = self.total;
                if state.done.is_multiple_of(*every) || state.done == total {
                    let mut line = match &self.command {
                        Some(name) => format!("{name}: "),
                        None => String::new(),
                    };
                    line.push_str(&format!("{}/{total} {}", state.done, self.label));
                    if !state.message.is_empty() {
                        line.push_str(", ");
                        line.push_str(&state.message);
                    }
                    eprintln!("{line}");
                }
            }
            Show::Quiet => {}
        }
    }

    /// Runs `f` (which writes to the terminal) with the bar out of the way.
    pub fn suspend<T>(&self, f: impl FnOnce() -> T) -> T {
        match &self.show {
            Show::Bar(bar) => bar.suspend(f),
            _ => f(),
        }
    }

    /// Clears the bar; the lines written stay.
    pub fn finish(&self) {
        if let Show::Bar(bar) = &self.show {
            bar.finish_and_clear();
        }
    }
}
