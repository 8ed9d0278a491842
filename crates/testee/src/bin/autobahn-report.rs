//! The Autobahn conformance report tool: compares a `wstest` run with the
//! baseline and prints a one-screen summary, or writes a wstest spec.
//!
//! The harness (`autobahn`, behind `scripts/autobahn.sh`) does both
//! in-process (`testee::autobahn::{compare, spec}`); this binary is for
//! looking at a run by hand. It owns no sockets and runs no tests.
//!
//! `compare` exits 1 on any regression, or when wstest's peak memory
//! (`--wstest-peak`, measured by the caller) passed `--wstest-max`; 0
//! otherwise (and 0 with `--update`, which rewrites the baseline from the
//! run, unless the memory bound was passed); usage and I/O errors exit 2.
//!
//! The baseline maps each case id to the two verdicts wstest gives it,
//! one case per line, ordered numerically (1.1.10 after 1.1.9):
//!
//! ```json
//! {
//!   "1.1.1": {"behavior": "OK", "behaviorClose": "OK"},
//!   "1.1.2": {"behavior": "OK", "behaviorClose": "OK"}
//! }
//! ```
//!
//! How verdicts rank and what counts as a regression: `testee::autobahn`.

use clap::{Parser, Subcommand};
use std::process::ExitCode;
use testee::autobahn::compare::{compare, Compare};
use testee::autobahn::spec::{write_spec, Spec};

/// Compares a wstest run with the baseline, or writes a wstest spec.
#[derive(Parser)]
#[command(
    name = "autobahn-report",
    after_help = "PATTERNS: comma-separated wstest case patterns (`6.4.*`, `1.1.1`, `9.*,10.*`).\n\
                  compare exits 1 on a regression (0 with --update, which rewrites EXPECTED_JSON)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Summarizes a run and compares it with the baseline.
    Compare(Compare),
    /// Writes a wstest spec from a template.
    Spec(Spec),
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Compare(flags) => compare(&flags).map(|compared| {
            print!("{}", compared.text);
            ExitCode::from(if compared.passed { 0 } else { 1 })
        }),
        Command::Spec(flags) => write_spec(&flags).map(|()| ExitCode::SUCCESS),
    };
    result.unwrap_or_else(|message| {
        eprintln!("autobahn-report: {message}");
        ExitCode::from(2)
    })
}
