//! What the terminal needs beyond plain text: throwing away input typed before a question was
//! shown, and colour only where it helps (a terminal, and NO_COLOR unset).

use std::io::IsTerminal;

/// Discard anything typed on the terminal that nobody has read yet, so that a "yes" typed
/// while the tool was busy cannot answer a question shown afterwards. Returns how many bytes
/// were thrown away (0 when standard input is not a terminal: piped answers are meant).
#[cfg(unix)]
pub fn discard_typeahead() -> usize {
    if !std::io::stdin().is_terminal() {
        return 0;
    }
    let mut pending: libc::c_int = 0;
    // SAFETY: FIONREAD writes one c_int through the pointer we pass; tcflush takes a file
    // descriptor only. Both act on standard input, which is open for the life of the process.
    unsafe {
        if libc::ioctl(libc::STDIN_FILENO, libc::FIONREAD, &mut pending) != 0 {
            pending = 0;
        }
        libc::tcflush(libc::STDIN_FILENO, libc::TCIFLUSH);
    }
    usize::try_from(pending).unwrap_or(0)
}

/// Discard typed-ahead input (not available here: nothing is discarded).
#[cfg(not(unix))]
pub fn discard_typeahead() -> usize {
    0
}

/// The line to show when typed-ahead input was thrown away before a question.
pub fn discarded_note(bytes: usize) -> Option<String> {
    (bytes > 0).then(|| {
        "(What you typed before this question appeared was ignored; answer it now.)".to_string()
    })
}

/// Where text goes, for deciding on colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// Whether to colour text written to `stream`: only on a terminal, never with NO_COLOR set
/// (to anything but the empty string, as no-color.org says) or TERM=dumb.
pub fn colour(stream: Stream) -> bool {
    let tty = match stream {
        Stream::Stdout => std::io::stdout().is_terminal(),
        Stream::Stderr => std::io::stderr().is_terminal(),
    };
    colour_for(
        tty,
        std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        std::env::var("TERM").is_ok_and(|t| t == "dumb"),
    )
}

/// The colour decision from its inputs.
pub fn colour_for(is_terminal: bool, no_color: bool, dumb: bool) -> bool {
    is_terminal && !no_color && !dumb
}

/// Colours for marks and words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paint {
    /// Fine.
    Green,
    /// A warning.
    Yellow,
    /// A failure.
    Red,
    /// Less important.
    Dim,
}

/// `text` in `paint` when `on`, unchanged otherwise.
pub fn paint(text: &str, paint: Paint, on: bool) -> String {
    if !on {
        return text.to_string();
    }
    let code = match paint {
        Paint::Green => "32",
        Paint::Yellow => "33",
        Paint::Red => "31",
        Paint::Dim => "2",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// One self-redrawing status line on standard error (hidden when standard error is not a
/// terminal), with lines printed above it.
pub struct Spinner(indicatif::ProgressBar);

impl Spinner {
    /// Start it; it redraws five times a second.
    pub fn start() -> Self {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        Self(bar)
    }

    /// Replace the status text.
    pub fn set(&self, text: String) {
        self.0.set_message(text);
    }

    /// Print a line above the status line.
    pub fn println(&self, s: &str) {
        self.0.println(s);
    }

    /// Remove the status line.
    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}
