//! libFuzzer's log, read: its status lines (`#N ... cov: ...`) become a
//! [`Status`], followed as the log grows; and excerpts of a log the way
//! `grep -A` shows them (a panic, a build error). It does not run
//! anything.

use std::fs::File;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::PathBuf;

/// Where a campaign is, as its last status line says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// Inputs run so far (`#N`).
    pub execs: u64,
    /// `exec/s:` (0 until libFuzzer has measured it).
    pub exec_per_sec: u64,
    /// `cov:`: edges covered.
    pub cov: u64,
    /// `ft:`: features covered.
    pub ft: u64,
    /// `corp:`: inputs in the corpus (without the `/size` of a single process).
    pub corpus: u64,
    /// `oom/timeout/crash:` summed; only `-fork` mode prints it.
    pub crashes: Option<u64>,
}

/// Reads one line of libFuzzer's output, if it is a status line.
///
/// `-fork` mode prints `#N: cov: C ft: F corp: K exec/s: R
/// oom/timeout/crash: a/b/c time: ...`; a single process prints `#N<tab>NEW
/// cov: ... corp: count/size ...`, and `INITED`, `REDUCE`, `pulse` (at
/// powers of two) and `DONE` lines of the same shape.
pub fn parse_status(line: &str) -> Option<Status> {
    let mut words = line.split_whitespace();
    let first = words.next()?.strip_prefix('#')?;
    let digits = first.strip_suffix(':').unwrap_or(first);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // `#N` must be followed by whitespace, not glued to the next word.
    if !line[1 + first.len()..].starts_with(char::is_whitespace) {
        return None;
    }
    let mut status = Status {
        execs: digits.parse().ok()?,
        ..Status::default()
    };
    let mut seen_cov = false;
    let words: Vec<&str> = words.collect();
    for pair in words.windows(2) {
        let number = |text: &str| text.parse::<u64>().ok();
        match pair[0] {
            "cov:" => {
                status.cov = number(pair[1])?;
                seen_cov = true;
            }
            "ft:" => status.ft = number(pair[1])?,
            "corp:" => status.corpus = number(pair[1].split('/').next()?)?,
            "exec/s:" => status.exec_per_sec = number(pair[1])?,
            "oom/timeout/crash:" => {
                let counts: Option<Vec<u64>> = pair[1].split('/').map(number).collect();
                status.crashes = Some(counts?.iter().sum());
            }
            _ => {}
        }
    }
    seen_cov.then_some(status)
}

/// The last status line of a whole log.
pub fn last_status(log: &str) -> Option<Status> {
    log.lines().rev().find_map(parse_status)
}

/// A log being written, read from where the last read stopped.
#[derive(Debug)]
pub struct Follower {
    path: PathBuf,
    offset: u64,
    /// The start of a line not yet ended.
    partial: Vec<u8>,
    last: Option<Status>,
}

impl Follower {
    /// Follows the log at `path` (it may not exist yet).
    pub fn new(path: PathBuf) -> Follower {
        Follower {
            path,
            offset: 0,
            partial: Vec::new(),
            last: None,
        }
    }

    /// Reads what was written since the last call: the latest status so
    /// far, from this read or an earlier one.
    pub fn poll(&mut self) -> Option<Status> {
        let mut fresh = Vec::new();
        if let Ok(mut file) = File::open(&self.path) {
            if file.seek(SeekFrom::Start(self.offset)).is_ok() {
                let _ = file.read_to_end(&mut fresh);
            }
        }
        self.offset += fresh.len() as u64;
        self.partial.extend_from_slice(&fresh);
        if let Some(end) = self.partial.iter().rposition(|&b| b == b'\n') {
            let lines: Vec<u8> = self.partial.drain(..=end).collect();
            let text = String::from_utf8_lossy(&lines);
            if let Some(status) = last_status(&text) {
                self.last = Some(status);
            }
        }
        self.last
    }
}

/// The lines of `text` that `matches`, each with the `after` lines that
/// follow it, groups that do not touch apart by `--`, at most `max` lines
/// in all: `grep -A AFTER ... | head -MAX`.
pub fn excerpt(
    text: &str,
    matches: impl Fn(&str) -> bool,
    after: usize,
    max: usize,
) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    // One past the last line shown, once a line was shown.
    let mut shown_to: Option<usize> = None;
    for (i, line) in lines.iter().enumerate() {
        if !matches(line) {
            continue;
        }
        let from = shown_to.map_or(i, |to| to.max(i));
        if shown_to.is_some_and(|to| to < i) {
            out.push("--".to_owned());
        }
        let to = (i + 1 + after).min(lines.len());
        out.extend(lines[from..to].iter().map(|l| (*l).to_owned()));
        shown_to = Some(to.max(shown_to.unwrap_or(0)));
    }
    out.truncate(max);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Real lines of `frame_parser` (a 6 s run, and one with -fork=2).
    const SINGLE: &str = "\
INFO: Seed: 3379538565
#16\tINITED cov: 264 ft: 387 corp: 15/92b exec/s: 0 rss: 39Mb
#23\tNEW    cov: 264 ft: 389 corp: 16/103b lim: 14 exec/s: 0 rss: 39Mb L: 11/14 MS: 2 ChangeByte-InsertByte-
#131072\tpulse  cov: 316 ft: 517 corp: 49/299b lim: 1220 exec/s: 65536 rss: 95Mb
#305655\tREDUCE cov: 316 ft: 517 corp: 49/293b lim: 2952 exec/s: 61131 rss: 158Mb L: 8/16 MS: 3 CrossOver-ChangeBinInt-EraseBytes-
#418455\tDONE   cov: 316 ft: 517 corp: 49/293b lim: 4074 exec/s: 59779 rss: 198Mb
###### Recommended dictionary. ######
\"\\000\\000\" # Uses: 2893
###### End of recommended dictionary. ######
Done 418455 runs in 7 second(s)
stat::number_of_executed_units: 418455
";

    const FORK: &str = "\
INFO: Loaded 1 PC tables (39032 PCs): 39032 [0x559224cc82f8,0x559224d60a78),
#51921: cov: 275 ft: 398 corp: 15 exec/s: 25960 oom/timeout/crash: 0/0/0 time: 2s job: 1 dft_time: 0
  NEW_FUNC: 0x5592249d0960 in <rfc6455::error::ProtocolError as core::fmt::Debug>::fmt /home/dev/rfc6455/crates/rfc6455/src/error.rs:11
#232576: cov: 327 ft: 528 corp: 50 exec/s: 26640 oom/timeout/crash: 1/0/2 time: 6s job: 3 dft_time: 0
INFO: fuzzed for 6 seconds, wrapping up soon
INFO: exiting: 0 time: 6s
";

    #[test]
    fn single_process_lines() {
        let line = "#23\tNEW    cov: 264 ft: 389 corp: 16/103b lim: 14 exec/s: 0 rss: 39Mb L: 11/14 MS: 2 ChangeByte-InsertByte-";
        assert_eq!(
            parse_status(line),
            Some(Status {
                execs: 23,
                exec_per_sec: 0,
                cov: 264,
                ft: 389,
                corpus: 16,
                crashes: None
            })
        );
        let pulse = parse_status(SINGLE.lines().nth(3).unwrap()).unwrap();
        assert_eq!((pulse.execs, pulse.exec_per_sec), (131072, 65536));
        assert_eq!(
            last_status(SINGLE),
            Some(Status {
                execs: 418455,
                exec_per_sec: 59779,
                cov: 316,
                ft: 517,
                corpus: 49,
                crashes: None
            })
        );
    }

    #[test]
    fn fork_lines_count_every_kind_of_crash() {
        assert_eq!(
            last_status(FORK),
            Some(Status {
                execs: 232576,
                exec_per_sec: 26640,
                cov: 327,
                ft: 528,
                corpus: 50,
                crashes: Some(3)
            })
        );
    }

    #[test]
    fn other_lines_are_not_status() {
        for line in [
            "",
            "#",
            "###### Recommended dictionary. ######",
            "#0\tREAD units: 49",
            "#12cov: 3",
            "#x\tNEW cov: 3",
            "INFO: -max_len is not provided; cov: 3",
            "  NEW_FUNC: 0x55 in f cov: 3",
            "#16\tINITED cov: many ft: 3",
        ] {
            assert_eq!(parse_status(line), None, "{line:?}");
        }
        assert_eq!(last_status("no status here\n"), None);
    }

    #[test]
    fn a_follower_reads_whole_lines_as_they_come() {
        let path = std::env::temp_dir().join(format!("fuzz-follow-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let mut follower = Follower::new(path.clone());
        assert_eq!(follower.poll(), None, "no log yet");
        std::fs::write(
            &path,
            "#16\tINITED cov: 264 ft: 387 corp: 15/92b exec/s: 0\n#23\tNEW cov: 2",
        )
        .unwrap();
        assert_eq!(follower.poll().map(|s| s.execs), Some(16));
        let more = "#23\tNEW cov: 265 ft: 389 corp: 16/103b exec/s: 7\n";
        let text = std::fs::read_to_string(&path).unwrap();
        let cut = text.rfind('#').unwrap();
        std::fs::write(&path, format!("{}{more}INFO: done\n", &text[..cut])).unwrap();
        let status = follower.poll().unwrap();
        assert_eq!(
            (status.execs, status.cov, status.exec_per_sec),
            (23, 265, 7)
        );
        assert_eq!(follower.poll(), Some(status), "the last status stays");
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn excerpts_read_like_grep_after() {
        let log = "a\nthread '<unnamed>' panicked at src/x.rs:1:2:\nboom\nnote: x\nb\nc\nd\nthread 'main' panicked at y\ne\n";
        let panics = |l: &str| l.contains("panicked at") || l.starts_with("thread '");
        assert_eq!(
            excerpt(log, panics, 3, 8),
            [
                "thread '<unnamed>' panicked at src/x.rs:1:2:",
                "boom",
                "note: x",
                "b",
                "--",
                "thread 'main' panicked at y",
                "e"
            ]
        );
        assert_eq!(excerpt(log, panics, 3, 2).len(), 2);
        // Matches within each other's context make one group.
        assert_eq!(
            excerpt("x1\nx2\ny\n", |l| l.starts_with('x'), 1, 8),
            ["x1", "x2", "y"]
        );
        assert!(excerpt(log, |_| false, 3, 8).is_empty());
    }
}
