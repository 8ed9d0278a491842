//! The command line of `scripts/fuzz.sh`: its flags, and the targets
//! checked against the `[[bin]]`s of `fuzz/Cargo.toml` before anything
//! runs (exit 2 on a usage error, as clap does for its own checks).

use clap::{CommandFactory, Parser, ValueEnum};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Runs each target (all by default), one after the other, for --time seconds
with --jobs libFuzzer workers, starting from the checked-in seeds in
fuzz/corpus/TARGET/ copied into the git-ignored fuzz/corpus-run/TARGET/, which
keeps growing from one campaign to the next. Prints one progress line per
target every 5 s (executions, exec/s, coverage, corpus size, crashes; the
full libFuzzer log is fuzz/corpus-run/logs/TARGET.log) and a final table, also
written to reports/fuzz/summary.tsv (with reports/fuzz/campaign.txt, its
one-line description) for the report page.

Each crash is minimized (cargo fuzz tmin) into fuzz/artifacts/TARGET/KIND-SHA1,
which crates/rfc6455/tests/fuzz_regressions.rs replays in `cargo test`; a
timeout is kept only if its input is slow again when replayed.

Needs the nightly toolchain (installed with rustup if missing) and cargo-fuzz
(installed with `cargo install --locked` if missing); --no-build installs
nothing.

Exit status: 0 when no target crashed, 1 on a crash or a failed run, 2 on a
usage error.";

/// Fuzzing campaigns over the targets of fuzz/ (cargo-fuzz, libFuzzer).
#[derive(Clone, Debug, Parser)]
#[command(name = "fuzz.sh", bin_name = "scripts/fuzz.sh", after_help = AFTER_HELP)]
pub struct Cli {
    /// The targets to run (default: every target; see --list).
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,
    /// How long each target runs.
    #[arg(long, value_name = "SECONDS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub time: u64,
    /// libFuzzer workers per target (1: one process, in-process; more:
    /// -fork=N).
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: u32,
    /// Stop a target once it has run N inputs (--time is then an upper
    /// bound; with more than one worker, checked at every progress line).
    /// 0: no bound.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub execs: u64,
    /// The sanitizer of the build: address (as on ClusterFuzzLite) or none
    /// (about twice the executions per second; the library is safe Rust).
    #[arg(long, value_enum, default_value = "address")]
    pub sanitizer: Sanitizer,
    /// Afterwards, merge the inputs that add coverage into the checked-in
    /// fuzz/corpus/TARGET/ (keep it small: review).
    #[arg(long)]
    pub merge: bool,
    /// Start from the checked-in seeds only (drop fuzz/corpus-run/).
    #[arg(long)]
    pub fresh: bool,
    /// No fuzzing: build with coverage, run each target over its corpus
    /// (corpus-run if present, else the seeds) and print line coverage of
    /// crates/rfc6455/src per file.
    #[arg(long, conflicts_with_all = ["jobs", "execs", "merge", "fresh", "no_build"])]
    pub coverage: bool,
    /// Use the targets as last built (and install nothing).
    #[arg(long)]
    pub no_build: bool,
    /// Print the targets and exit.
    #[arg(long)]
    pub list: bool,
    /// The repository (scripts/fuzz.sh passes it).
    #[arg(long, hide = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Seconds between progress lines (the tests shorten it).
    #[arg(long, hide = true, value_name = "SECONDS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub progress_every: u64,
}

/// The sanitizers `cargo fuzz build -s` takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Sanitizer {
    /// AddressSanitizer: the default, and what ClusterFuzzLite runs.
    Address,
    /// LeakSanitizer alone.
    Leak,
    /// MemorySanitizer (needs a std built with it).
    Memory,
    /// ThreadSanitizer.
    Thread,
    /// No sanitizer: the fastest.
    None,
}

impl Sanitizer {
    /// The name cargo-fuzz takes.
    pub fn name(self) -> &'static str {
        match self {
            Sanitizer::Address => "address",
            Sanitizer::Leak => "leak",
            Sanitizer::Memory => "memory",
            Sanitizer::Thread => "thread",
            Sanitizer::None => "none",
        }
    }
}

/// The targets of `fuzz/Cargo.toml` (its text): the `name = "..."` lines
/// of its `[[bin]]`s, in order. The package's own name has a `-` and is
/// left out.
pub fn targets_in(manifest: &str) -> Vec<String> {
    manifest
        .lines()
        .filter_map(|l| l.strip_prefix("name = \"")?.strip_suffix('"'))
        .filter(|name| {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
        .map(str::to_owned)
        .collect()
}

impl Cli {
    /// The targets to run, given every target there is: the ones named, or
    /// all; the message of a usage error for a name that is not a target.
    pub fn chosen(&self, all: &[String]) -> Result<Vec<String>, String> {
        if self.targets.is_empty() {
            return Ok(all.to_vec());
        }
        match self.targets.iter().find(|t| !all.contains(t)) {
            Some(unknown) => Err(format!("no target {unknown} (see --list)")),
            None => Ok(self.targets.clone()),
        }
    }

    /// The targets to run, or exit 2 with clap's usage error.
    pub fn chosen_or_exit(&self, all: &[String]) -> Vec<String> {
        self.chosen(all).unwrap_or_else(|message| {
            Cli::command()
                .error(clap::error::ErrorKind::InvalidValue, message)
                .exit()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("fuzz").chain(args.iter().copied()))
    }

    const MANIFEST: &str = r#"[package]
name = "rfc6455-fuzz"

[[bin]]
name = "frame_parser"
path = "fuzz_targets/frame_parser.rs"

[[bin]]
name = "utf8"
"#;

    #[test]
    fn targets_are_the_bins_of_the_manifest() {
        assert_eq!(targets_in(MANIFEST), ["frame_parser", "utf8"]);
        assert!(targets_in("").is_empty());
    }

    #[test]
    fn defaults_run_every_target_for_a_minute() {
        let cli = cli(&[]).unwrap();
        assert_eq!((cli.time, cli.jobs, cli.execs), (60, 1, 0));
        assert_eq!(cli.sanitizer, Sanitizer::Address);
        assert_eq!(cli.progress_every, 5);
        let all = targets_in(MANIFEST);
        assert_eq!(cli.chosen(&all).unwrap(), all);
    }

    #[test]
    fn flags_take_values_both_ways() {
        let cli = cli(&[
            "utf8",
            "--time=15",
            "--jobs",
            "2",
            "--execs",
            "2000",
            "--sanitizer=none",
            "--merge",
            "--fresh",
            "--no-build",
        ])
        .unwrap();
        assert_eq!((cli.time, cli.jobs, cli.execs), (15, 2, 2000));
        assert_eq!(cli.sanitizer.name(), "none");
        assert!(cli.merge && cli.fresh && cli.no_build && !cli.coverage);
        assert_eq!(cli.chosen(&targets_in(MANIFEST)).unwrap(), ["utf8"]);
    }

    #[test]
    fn an_unknown_target_is_named() {
        let cli = cli(&["utf8", "frame_parsr"]).unwrap();
        assert_eq!(
            cli.chosen(&targets_in(MANIFEST)).unwrap_err(),
            "no target frame_parsr (see --list)"
        );
    }

    #[test]
    fn bad_values_are_usage_errors() {
        for args in [
            &["--time", "0"][..],
            &["--time", "1m"],
            &["--jobs", "0"],
            &["--execs", "-5"],
            &["--sanitizer", "undefined"],
            &["--coverage", "--merge"],
            &["--coverage", "--jobs", "2"],
            &["--frobnicate"],
        ] {
            let e = cli(args).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{args:?}");
        }
        assert!(cli(&["--coverage", "utf8", "--time", "5"]).is_ok());
    }
}
