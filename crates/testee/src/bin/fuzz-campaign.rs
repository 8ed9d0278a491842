//! The fuzzing campaigns: `scripts/fuzz.sh` builds this binary and runs it
//! with its arguments (see `testee::fuzz`, or `--help`).

use clap::Parser as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    testee::fuzz::main(testee::fuzz::Cli::parse())
}
