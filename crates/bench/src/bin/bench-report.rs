//! Turns the output of `scripts/bench.sh`'s runs into its tables and
//! verdict; the script runs the suites, this binary reads what they
//! leave.
//!
//! - `instructions`: gungraun's JSON-lines output (`--output-format=json`)
//!   into `reports/bench/instructions.json` and the table benchmark /
//!   baseline / now / change / verdict. Exits 1 when a `compare` run
//!   regressed by more than `--limit` percent, when the output held no
//!   benchmark, or on an unreadable input; 2 on a usage error.
//! - `wall`: criterion's change estimates after a `--baseline` run, for
//!   information (exits 0 whatever changed, 1 on an unreadable input).

use bench::{instructions, wall};
use clap::{Parser, Subcommand};
use rfc6455_test_support::report::instructions::InstructionsFile;
use std::path::PathBuf;
use std::process::ExitCode;

/// Tables and verdicts of scripts/bench.sh from the suites' output.
#[derive(Parser)]
#[command(name = "bench-report")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compares gungraun's instruction counts with their saved baseline.
    Instructions {
        /// gungraun's output (`cargo bench ... -- --output-format=json`).
        raw: PathBuf,
        /// Where to write the JSON summary (reports/bench/instructions.json).
        out: PathBuf,
        /// What the run did: `compare` fails on a regression.
        #[arg(long, default_value = "run", value_parser = ["run", "save", "compare"])]
        mode: String,
        /// The baseline's name.
        #[arg(long)]
        baseline: Option<String>,
        /// The change in instructions, in percent, that counts.
        #[arg(long, default_value_t = 1.0)]
        limit: f64,
    },
    /// Prints criterion's change in mean time of every benchmark.
    Wall {
        /// criterion's folder (target/criterion).
        criterion: PathBuf,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Instructions {
            raw,
            out,
            mode,
            baseline,
            limit,
        } => {
            let text = match std::fs::read_to_string(&raw) {
                Ok(text) => text,
                Err(e) => return fail(&format!("{}: {e}", raw.display())),
            };
            let rows = match instructions::parse(&text, limit) {
                Ok(rows) => rows,
                Err(e) => return fail(&format!("{}: {e}", raw.display())),
            };
            let report = InstructionsFile {
                suite: "instructions".into(),
                event: "Ir".into(),
                mode,
                baseline: baseline.filter(|name| !name.is_empty()),
                limit_pct: limit,
                rows,
            };
            let json = serde_json::to_string_pretty(&report).expect("plain data");
            if let Err(e) = std::fs::write(&out, json) {
                return fail(&format!("{}: {e}", out.display()));
            }
            print!("{}", instructions::table(&report));
            if report.rows.is_empty() {
                eprintln!("no benchmark result in the output");
                return ExitCode::FAILURE;
            }
            if instructions::failed(&report) {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Command::Wall { criterion } => match wall::changes(&criterion) {
            Ok(changes) => {
                print!("{}", wall::table(&changes));
                ExitCode::SUCCESS
            }
            Err(e) => fail(&format!("{}: {e}", criterion.display())),
        },
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("bench-report: {message}");
    ExitCode::FAILURE
}
