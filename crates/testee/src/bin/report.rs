//! Writes the report page, `reports/index.html`, checks a page against
//! its inputs, or renders pages in headless Chromium and checks what the
//! browser shows (see `testee::report`; `scripts/report.sh` drives it).
//!
//! ```text
//! report [--reports DIR] [--baselines DIR] [--out FILE] [--commit TEXT]
//! report check --dom FILE [--reports DIR] [--baselines DIR]
//! report check-in-browser [--chromium PATH] [--fixtures DIR] [--reports DIR]
//!                         [--baselines DIR] [--out-dir DIR]
//! ```
//!
//! `check` and `check-in-browser` exit 1 on any mismatch (and
//! `check-in-browser` when there is no Chromium); usage and I/O errors
//! exit 2.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use testee::report;

/// Writes REPORTS/index.html (or FILE) from what the runs left under
/// REPORTS; its subcommands check a page against those inputs.
#[derive(Parser)]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Check>,
    #[command(flatten)]
    write: Write,
}

/// Where the inputs are.
#[derive(Args)]
struct Inputs {
    /// What the runs left: Autobahn reports, fuzz summary, bench results.
    #[arg(long, value_name = "DIR", default_value = "reports")]
    reports: PathBuf,
    /// The Autobahn baselines (`expected-ROLE.json`).
    #[arg(long, value_name = "DIR", default_value = "autobahn")]
    baselines: PathBuf,
}

/// The page to write.
#[derive(Args)]
struct Write {
    #[command(flatten)]
    inputs: Inputs,
    /// Where to write the page [default: REPORTS/index.html].
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The commit the page names [default: the checkout's, from git].
    #[arg(long, value_name = "TEXT")]
    commit: Option<String>,
}

#[derive(Subcommand)]
enum Check {
    /// Compares every number a page shows with its inputs: the page as
    /// written, or as a browser dumped it (chromium --dump-dom); exits 1
    /// on any mismatch.
    Check {
        /// The page's HTML.
        #[arg(long, value_name = "FILE")]
        dom: PathBuf,
        #[command(flatten)]
        inputs: Inputs,
    },
    /// Renders the fixtures' page, an empty folder's page and
    /// REPORTS/index.html (if written) in headless Chromium, checks what
    /// it shows, and keeps the dumps and screenshots; exits 1 on any
    /// mismatch or a failed page script. Installs Chromium with apt-get
    /// when missing and run as root.
    CheckInBrowser {
        /// The browser [default: chromium, chromium-browser or
        /// google-chrome on PATH].
        #[arg(long, env = "CHROMIUM", value_name = "PATH")]
        chromium: Option<PathBuf>,
        /// The fixtures: their `reports/` and `autobahn/`.
        #[arg(
            long,
            value_name = "DIR",
            default_value = "crates/testee/tests/data/report"
        )]
        fixtures: PathBuf,
        #[command(flatten)]
        inputs: Inputs,
        /// Where the dumps, screenshots and Chromium's logs go.
        #[arg(long, value_name = "DIR", default_value = "reports/report-check")]
        out_dir: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => write(cli.write).map(|()| true),
        Some(Check::Check { dom, inputs }) => std::fs::read_to_string(&dom)
            .map_err(|e| format!("cannot read {}: {e}", dom.display()))
            .map(|text| {
                report::check::check(&text, &inputs.reports, &inputs.baselines)
                    .print(&inputs.reports)
            }),
        Some(Check::CheckInBrowser {
            chromium,
            fixtures,
            inputs,
            out_dir,
        }) => match report::browser::find_chromium(chromium) {
            Err(e) => {
                eprintln!("report: {e}");
                return ExitCode::from(1);
            }
            Ok(chromium) => report::browser::check_pages(
                &chromium,
                &report::browser::Pages {
                    fixtures,
                    reports: inputs.reports,
                    baselines: inputs.baselines,
                    out: out_dir,
                },
            ),
        },
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("report: {e}");
            ExitCode::from(2)
        }
    }
}

/// Writes the page and says what it holds.
fn write(args: Write) -> Result<(), String> {
    let Inputs { reports, baselines } = args.inputs;
    std::fs::create_dir_all(&reports)
        .map_err(|e| format!("cannot create {}: {e}", reports.display()))?;
    let mut page = report::collect(&reports, &baselines);
    page.commit = args.commit.or_else(|| report::git_commit(&reports));
    let out = args.out.unwrap_or_else(|| reports.join("index.html"));
    std::fs::write(&out, report::render(&page))
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    let fuzz = page.fuzz.as_ref().map_or(0, |f| f.rows.len());
    let unreadable = if page.problems.is_empty() {
        String::new()
    } else {
        format!("; {} input(s) unreadable:", page.problems.len())
    };
    println!(
        "wrote {}: {} Autobahn run(s), {} fuzz target(s), {} bench(es){unreadable}",
        out.display(),
        page.autobahn.len(),
        fuzz,
        page.benches.len()
            + usize::from(page.instructions.is_some())
            + usize::from(page.peers.is_some()),
    );
    for p in &page.problems {
        println!("  {p}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    /// The forms `scripts/report.sh` and earlier users call.
    #[test]
    fn todays_interface_parses() {
        let cli = Cli::try_parse_from(["report", "--reports", "r", "--commit", "fixture"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.write.inputs.reports, PathBuf::from("r"));
        assert_eq!(cli.write.commit.as_deref(), Some("fixture"));
        let cli =
            Cli::try_parse_from(["report", "check", "--dom", "d", "--baselines", "b"]).unwrap();
        let Some(Check::Check { dom, inputs }) = cli.command else {
            panic!("not check");
        };
        assert_eq!((dom, inputs.baselines), ("d".into(), "b".into()));
        assert!(
            Cli::try_parse_from(["report", "check"]).is_err(),
            "--dom is required"
        );
        assert!(Cli::try_parse_from(["report", "--out", "x", "check", "--dom", "d"]).is_err());
    }
}
