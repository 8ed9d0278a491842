//! Where a role's messages go: straight to the terminal, or, with both
//! roles at once, each line behind `[server] ` or `[client] ` on stdout.
//! Warnings and errors name the script the user ran (`autobahn.sh`,
//! `fuzz.sh`).

use std::io::Write as _;
use std::path::Path;
use time::macros::format_description;
use time::OffsetDateTime;

/// A role's (or the run's) output.
#[derive(Clone, Debug)]
pub struct Console {
    /// The script the user ran, which warnings and errors start with.
    program: &'static str,
    prefix: Option<String>,
    /// Progress rewrites one line in place (a terminal, one role at a time).
    pub tty: bool,
}

impl Console {
    /// Output for the run of `program`, or a role run alone (`tty`: stdout
    /// is a terminal).
    pub fn new(program: &'static str, tty: bool) -> Console {
        Console {
            program,
            prefix: None,
            tty,
        }
    }

    /// Output for a role running beside another: prefixed, never rewritten.
    pub fn prefixed(program: &'static str, role: &str) -> Console {
        Console {
            program,
            prefix: Some(format!("[{role}] ")),
            tty: false,
        }
    }

    fn emit(&self, to_stderr: bool, text: &str) {
        let text = match &self.prefix {
            Some(p) => text.lines().map(|l| format!("{p}{l}\n")).collect(),
            None => format!("{text}\n"),
        };
        // Prefixed lines go to stdout, as a pipe through `sed` did.
        if to_stderr && self.prefix.is_none() {
            eprint!("{text}");
        } else {
            print!("{text}");
            let _ = std::io::stdout().flush();
        }
    }

    /// `==> message`
    pub fn say(&self, message: &str) {
        self.emit(false, &format!("==> {message}"));
    }

    /// A line of stdout.
    pub fn line(&self, text: &str) {
        self.emit(false, text);
    }

    /// `13:02:07 message`: a line of stdout behind the UTC time of day.
    pub fn stamped(&self, message: &str) {
        let now = OffsetDateTime::now_utc()
            .format(format_description!("[hour]:[minute]:[second]"))
            .unwrap_or_default();
        self.emit(false, &format!("{now} {message}"));
    }

    /// `autobahn.sh: warning: message` (stderr).
    pub fn warn(&self, message: &str) {
        self.end_rewrite();
        self.emit(true, &format!("{}: warning: {message}", self.program));
    }

    /// `autobahn.sh: error: message` (stderr).
    pub fn error(&self, message: &str) {
        self.emit(true, &format!("{}: error: {message}", self.program));
    }

    /// Rewrites the terminal's last line.
    pub fn rewrite(&self, text: &str) {
        print!("\r\x1b[K{text}");
        let _ = std::io::stdout().flush();
    }

    /// Ends a rewritten line (a newline on a terminal).
    pub fn end_rewrite(&self) {
        if self.tty {
            println!();
        }
    }

    /// The end of a log under an error (stderr).
    pub fn show_log(&self, log: &Path, lines: usize) {
        let Ok(text) = std::fs::read_to_string(log) else {
            return;
        };
        if text.is_empty() {
            return;
        }
        let all: Vec<&str> = text.lines().collect();
        let mut out = format!("    last lines of {}:", log.display());
        for line in &all[all.len().saturating_sub(lines)..] {
            out.push_str(&format!("\n    | {line}"));
        }
        self.emit(true, &out);
    }
}
