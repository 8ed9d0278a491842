//! Writes the report page, `reports/index.html`, or checks one a browser
//! rendered (see `testee::report`; `scripts/report.sh` drives both).
//!
//! ```text
//! report [--reports DIR] [--baselines DIR] [--out FILE] [--commit TEXT]
//! report check --dom DUMPED_HTML [--reports DIR] [--baselines DIR]
//! ```
//!
//! Defaults: `--reports reports`, `--baselines autobahn`, `--out
//! REPORTS/index.html`, the commit from `git`. `check` exits 1 on any
//! mismatch; usage and I/O errors exit 2.

use std::path::PathBuf;
use std::process::ExitCode;
use testee::report;

const USAGE: &str = "\
usage:
  report [--reports DIR] [--baselines DIR] [--out FILE] [--commit TEXT]
  report check --dom DUMPED_HTML [--reports DIR] [--baselines DIR]

Writes REPORTS/index.html (or FILE) from what the runs left under REPORTS
(default reports/; baselines from autobahn/). check compares the numbers of
a page as a browser dumped it (chromium --dump-dom) with those inputs and
exits 1 on any mismatch.";

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let checking = args.first().is_some_and(|a| a == "check");
    if checking {
        args.remove(0);
    }
    let mut reports = String::from("reports");
    let mut baselines = String::from("autobahn");
    let mut out = String::new();
    let mut commit = String::new();
    let mut dom = String::new();
    let mut slots: Vec<(&str, &mut String)> =
        vec![("--reports", &mut reports), ("--baselines", &mut baselines)];
    if checking {
        slots.push(("--dom", &mut dom));
    } else {
        slots.push(("--out", &mut out));
        slots.push(("--commit", &mut commit));
    }
    if let Err(message) = testee::parse_flags(args.into_iter(), USAGE, &mut slots) {
        eprintln!("report: {message}");
        return ExitCode::from(2);
    }
    let (reports, baselines) = (PathBuf::from(reports), PathBuf::from(baselines));

    if checking {
        if dom.is_empty() {
            eprintln!("report: check needs --dom\n{USAGE}");
            return ExitCode::from(2);
        }
        let text = match std::fs::read_to_string(&dom) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("report: cannot read {dom}: {e}");
                return ExitCode::from(2);
            }
        };
        let outcome = report::check::check(&text, &reports, &baselines);
        for error in &outcome.errors {
            println!("MISMATCH {error}");
        }
        println!(
            "{}: {} values shown match their inputs ({} keys), {} links lead to files, {} mismatch(es)",
            reports.display(),
            outcome.matched,
            outcome.keys,
            outcome.links,
            outcome.errors.len()
        );
        return if outcome.errors.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        };
    }

    if !reports.is_dir() {
        if let Err(e) = std::fs::create_dir_all(&reports) {
            eprintln!("report: cannot create {}: {e}", reports.display());
            return ExitCode::from(2);
        }
    }
    let mut page = report::collect(&reports, &baselines);
    page.commit = if commit.is_empty() {
        report::git_commit(&reports)
    } else {
        Some(commit)
    };
    let out = if out.is_empty() {
        reports.join("index.html")
    } else {
        PathBuf::from(out)
    };
    if let Err(e) = std::fs::write(&out, report::render(&page)) {
        eprintln!("report: cannot write {}: {e}", out.display());
        return ExitCode::from(2);
    }
    let fuzz = page.fuzz.as_ref().map_or(0, |f| f.rows.len());
    println!(
        "wrote {}: {} Autobahn run(s), {} fuzz target(s), {} bench(es){}",
        out.display(),
        page.autobahn.len(),
        fuzz,
        page.benches.len(),
        if page.problems.is_empty() {
            String::new()
        } else {
            format!("; {} input(s) unreadable:", page.problems.len())
        }
    );
    for p in &page.problems {
        println!("  {p}");
    }
    ExitCode::SUCCESS
}
