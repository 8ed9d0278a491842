//! Progress: wstest's log lines (`Ok, will run 517 test cases`, `Running
//! test case ID 6.4.3 ...`) become `[ 75/517] 6.4.3` lines: one line
//! rewritten in place on a terminal; otherwise a line per case group and
//! at most one every 15 s. Pure: the caller reads the log, keeps the clock
//! and prints what this returns.

/// What a line of wstest's log says.
#[derive(Debug, PartialEq)]
pub enum LogLine<'a> {
    /// `Ok, will run N test cases`.
    Total(usize),
    /// `Running test case ID X ...`.
    Case(&'a str),
    /// `Connection to ... failed`: wstest could not reach the testee.
    ConnectionFailed,
    /// Anything else.
    Other,
}

/// Reads one line of wstest's log.
pub fn parse_line(line: &str) -> LogLine<'_> {
    if let Some(rest) = line.split_once("Ok, will run ").map(|(_, r)| r) {
        if rest.contains(" test cases") {
            if let Some(Ok(n)) = rest.split(' ').next().map(str::parse) {
                return LogLine::Total(n);
            }
        }
    }
    if let Some(rest) = line.strip_prefix("Running test case ID ") {
        return LogLine::Case(rest.split(' ').next().unwrap_or(rest));
    }
    if line.starts_with("Connection to ") && line.contains(" failed") {
        return LogLine::ConnectionFailed;
    }
    LogLine::Other
}

/// `1.20 GiB` from a gibibyte on, `312 MiB` below.
pub fn human(bytes: u64) -> String {
    const GIB: f64 = (1u64 << 30) as f64;
    if bytes >= 1 << 30 {
        format!("{:.2} GiB", bytes as f64 / GIB)
    } else {
        format!("{:.0} MiB", bytes as f64 / (1u64 << 20) as f64)
    }
}

/// What to print for a line.
#[derive(Debug, PartialEq)]
pub enum Shown {
    /// Rewrite the terminal's last line with this (no newline).
    Rewrite(String),
    /// A line of its own.
    Line(String),
    /// A warning about wstest (its log line).
    Warning(String),
}

/// Where a role's wstest is.
#[derive(Debug, Default)]
pub struct Progress {
    tty: bool,
    /// The case running, once wstest started one.
    pub case_id: Option<String>,
    /// How many cases started.
    pub count: usize,
    /// How many cases wstest said it will run.
    pub total: Option<usize>,
    group: String,
    shown: u64,
    printed: usize,
}

impl Progress {
    /// Progress for a terminal (`tty`) or for a log.
    pub fn new(tty: bool) -> Progress {
        Progress {
            tty,
            ..Progress::default()
        }
    }

    /// Whether lines are rewritten in place.
    pub fn tty(&self) -> bool {
        self.tty
    }

    /// Takes a log line, `secs` into the role, with wstest's peak so far.
    pub fn on_line(&mut self, line: &str, secs: u64, peak_kib: u64) -> Option<Shown> {
        match parse_line(line) {
            LogLine::Total(n) => self.total = Some(n),
            LogLine::Case(id) => {
                self.case_id = Some(id.to_owned());
                self.count += 1;
                if self.tty {
                    return Some(Shown::Rewrite(self.line(secs, peak_kib)));
                }
                let group = id.split('.').next().unwrap_or(id);
                if group != self.group || secs.saturating_sub(self.shown) >= 15 {
                    self.printed = self.count;
                    self.group = group.to_owned();
                    self.shown = secs;
                    return Some(Shown::Line(self.line(secs, peak_kib)));
                }
            }
            LogLine::ConnectionFailed => return Some(Shown::Warning(format!("wstest: {line}"))),
            LogLine::Other => {}
        }
        None
    }

    /// The last word when wstest is done: the last case, if no line showed it.
    pub fn finish(&self, secs: u64, peak_kib: u64) -> Option<String> {
        (!self.tty && self.case_id.is_some() && self.printed != self.count)
            .then(|| self.line(secs, peak_kib))
    }

    /// `    [ 75/517] 6.4.3     12 s  wstest 312 MiB`
    pub fn line(&self, secs: u64, peak_kib: u64) -> String {
        let total = self.total.map_or("?".to_owned(), |t| t.to_string());
        let id = self.case_id.as_deref().unwrap_or("");
        let mem = if peak_kib > 0 {
            format!("  wstest {}", human(peak_kib * 1024))
        } else {
            String::new()
        };
        format!("    [{:>3}/{total}] {id:<8} {secs:>3} s{mem}", self.count)
    }

    /// `at case 12.4.8 (431/517), 262 s in; wstest's peak memory so far 1.20 GiB`
    pub fn point(&self, secs: u64, peak_kib: u64) -> String {
        let mut text = match &self.case_id {
            Some(id) => {
                let total = self.total.map_or("?".to_owned(), |t| t.to_string());
                format!("at case {id} ({}/{total}), {secs} s in", self.count)
            }
            None => "before wstest's first case".to_owned(),
        };
        if peak_kib > 0 {
            text.push_str(&format!(
                "; wstest's peak memory so far {}",
                human(peak_kib * 1024)
            ));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_are_read() {
        assert_eq!(
            parse_line("2024-01-01 Ok, will run 517 test cases for 1 agents"),
            LogLine::Total(517)
        );
        assert_eq!(
            parse_line("Running test case ID 6.4.3 for agent rfc6455 from peer tcp4:127.0.0.1:1"),
            LogLine::Case("6.4.3")
        );
        assert_eq!(
            parse_line("Connection to 127.0.0.1:9001 failed (Connection refused)"),
            LogLine::ConnectionFailed
        );
        assert_eq!(parse_line("Ok, will run many test cases"), LogLine::Other);
        assert_eq!(parse_line(""), LogLine::Other);
    }

    #[test]
    fn a_log_gets_a_line_per_group_and_every_15_s() {
        let mut p = Progress::new(false);
        assert_eq!(p.on_line("Ok, will run 4 test cases", 0, 0), None);
        assert_eq!(
            p.on_line("Running test case ID 1.1.1 for x", 0, 0),
            Some(Shown::Line("    [  1/4] 1.1.1      0 s".to_owned()))
        );
        assert_eq!(p.on_line("Running test case ID 1.1.2 for x", 3, 0), None);
        assert_eq!(
            p.on_line("Running test case ID 1.1.3 for x", 15, 2048 * 1024),
            Some(Shown::Line(
                "    [  3/4] 1.1.3     15 s  wstest 2.00 GiB".to_owned()
            ))
        );
        assert_eq!(p.finish(16, 0), None, "the last case was shown");
        assert!(matches!(
            p.on_line("Running test case ID 2.1 for x", 16, 0),
            Some(Shown::Line(_))
        ));
        assert_eq!(p.finish(16, 0), None);
        assert_eq!(
            p.point(20, 3 << 20),
            "at case 2.1 (4/4), 20 s in; wstest's peak memory so far 3.00 GiB"
        );
    }

    #[test]
    fn a_terminal_line_is_rewritten() {
        let mut p = Progress::new(true);
        assert_eq!(p.point(0, 0), "before wstest's first case");
        assert_eq!(
            p.on_line("Running test case ID 1.1.1 x", 2, 0),
            Some(Shown::Rewrite("    [  1/?] 1.1.1      2 s".to_owned()))
        );
        assert!(matches!(
            p.on_line("Connection to 127.0.0.1:9 failed", 2, 0),
            Some(Shown::Warning(w)) if w == "wstest: Connection to 127.0.0.1:9 failed"
        ));
        assert_eq!(p.finish(3, 0), None);
    }

    #[test]
    fn the_last_case_is_shown_once() {
        let mut p = Progress::new(false);
        p.on_line("Running test case ID 1.1.1 x", 0, 0);
        p.on_line("Running test case ID 1.1.2 x", 1, 0);
        assert_eq!(
            p.finish(2, 0).as_deref(),
            Some("    [  2/?] 1.1.2      2 s")
        );
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human(300 << 20), "300 MiB");
        assert_eq!(human(1_300_000_000), "1.21 GiB");
    }
}
