//! The Autobahn harness: `scripts/autobahn.sh` builds this binary and runs
//! it with its arguments (see `testee::harness`, or `--help`).

use clap::Parser as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    testee::harness::main(testee::harness::Cli::parse())
}
