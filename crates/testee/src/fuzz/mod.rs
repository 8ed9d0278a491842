//! The fuzzing campaigns behind `scripts/fuzz.sh`: over the cargo-fuzz
//! targets of `fuzz/` (a separate workspace, built with nightly), one
//! after the other, each for `--time` seconds; the crashes minimized into
//! `fuzz/artifacts/`, a final table on the terminal and in
//! `reports/fuzz/` (exit 0 when no target crashed, 1 on a crash or a
//! failed run, 2 on a usage error). Or, with `--coverage`, the line
//! coverage the corpora reach.
//!
//! It owns the processes it starts (libFuzzer, cargo-fuzz) and stops them
//! at its end, also on Ctrl-C or TERM. The targets and what they check
//! are `fuzz/`'s; finding bugs is libFuzzer's job.

pub mod args;
pub mod campaign;
pub mod coverage;
pub mod crashes;
pub mod status;
pub mod summary;
pub mod toolchain;

use crate::harness::console::Console;
use crate::harness::procs::{self, describe_status};
pub use args::Cli;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use summary::Row;

/// The script the user runs, as messages name it.
const PROGRAM: &str = "fuzz.sh";

/// Where the files of a campaign are.
#[derive(Clone, Debug)]
pub struct Layout {
    /// The repository, absolute.
    pub root: PathBuf,
    /// `fuzz/`: the cargo-fuzz crate, its seeds, dictionary and artifacts.
    pub fuzz: PathBuf,
    /// `fuzz/corpus-run/` (git-ignored): working corpora, logs, raw crashes.
    pub run: PathBuf,
    /// The host's target triple (`rustc -vV`), under which cargo-fuzz builds.
    pub triple: String,
}

impl Layout {
    /// The layout of the repository at `root`.
    pub fn new(root: &Path) -> Result<Layout, String> {
        let root = root
            .canonicalize()
            .map_err(|e| format!("no repository at {}: {e}", root.display()))?;
        let out = Command::new("rustc")
            .arg("-vV")
            .output()
            .map_err(|e| format!("cannot run rustc -vV ({e}); is it on PATH?"))?;
        let triple = String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("host: "))
            .ok_or("rustc -vV names no host")?
            .to_owned();
        let fuzz = root.join("fuzz");
        Ok(Layout {
            run: fuzz.join("corpus-run"),
            fuzz,
            root,
            triple,
        })
    }

    /// `-O -a -s SANITIZER`: optimized, with debug assertions and overflow
    /// checks, with the sanitizer (build, tmin and coverage alike).
    pub fn build_flags(sanitizer: &str) -> [String; 4] {
        ["-O", "-a", "-s", sanitizer].map(str::to_owned)
    }

    /// `cargo +nightly fuzz SUBCOMMAND -O -a -s SANITIZER`, run from the
    /// root. Without `CARGO_TARGET_DIR`: fuzz/ is a workspace of its own
    /// whose sanitizer builds go to `fuzz/target/`, where [`Layout::bin`]
    /// finds them, whatever target directory the main workspace uses.
    pub fn cargo_fuzz(&self, subcommand: &str, sanitizer: &str) -> Command {
        let mut command = Command::new("cargo");
        command
            .args(["+nightly", "fuzz", subcommand])
            .args(Layout::build_flags(sanitizer))
            .current_dir(&self.root)
            .env_remove("CARGO_TARGET_DIR");
        command
    }

    /// The target's libFuzzer binary, as `cargo fuzz build -O` makes it.
    pub fn bin(&self, target: &str) -> PathBuf {
        self.fuzz
            .join("target")
            .join(&self.triple)
            .join("release")
            .join(target)
    }

    /// `fuzz/corpus-run/logs/`.
    pub fn logs(&self) -> PathBuf {
        self.run.join("logs")
    }

    /// `path` relative to the repository, for messages.
    pub fn relative(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }

    /// Every target of `fuzz/Cargo.toml`.
    pub fn targets(&self) -> Result<Vec<String>, String> {
        let manifest = self.fuzz.join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest)
            .map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
        Ok(args::targets_in(&text))
    }
}

/// Runs the campaign (or the coverage report, or the list) as `cli` says.
pub fn main(cli: Cli) -> ExitCode {
    let console = Console::new(PROGRAM, false);
    let root = cli
        .root
        .clone()
        .unwrap_or_else(crate::harness::default_root);
    let (layout, all) = match Layout::new(&root).and_then(|l| Ok((l.targets()?, l))) {
        Ok((all, layout)) => (layout, all),
        Err(message) => {
            console.error(&message);
            return ExitCode::from(1);
        }
    };
    if cli.list {
        for target in &all {
            console.line(target);
        }
        return ExitCode::SUCCESS;
    }
    let targets = cli.chosen_or_exit(&all);
    procs::stop_on_signals(PROGRAM);
    let verdict = if cli.coverage {
        coverage::run(&layout, &targets, cli.sanitizer.name(), &console).map(|()| true)
    } else {
        campaign(&cli, &layout, &targets, &console)
    };
    procs::stop_everything();
    match verdict {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            console.error(&message);
            ExitCode::from(1)
        }
    }
}

/// Builds, fuzzes each target, keeps its crashes, writes the summary:
/// whether no target crashed.
fn campaign(
    cli: &Cli,
    layout: &Layout,
    targets: &[String],
    console: &Console,
) -> Result<bool, String> {
    let sanitizer = cli.sanitizer.name();
    if !cli.no_build {
        toolchain::ensure(layout, console)?;
        toolchain::build(layout, targets, sanitizer, console)?;
    }
    if cli.fresh {
        let _ = std::fs::remove_dir_all(&layout.run);
    }
    std::fs::create_dir_all(layout.logs())
        .map_err(|e| format!("cannot create {}: {e}", layout.logs().display()))?;
    let mut rows = Vec::new();
    let mut failed = false;
    for target in targets {
        let paths = campaign::Paths::of(layout, target);
        let outcome = campaign::run(cli, layout, target, console)?;
        let found = crashes::found(&paths.crashes);
        let mut count = found.len();
        if found.is_empty() && outcome.exit != 0 {
            console.error(&format!(
                "{target} ended with {} and left no artifact",
                describe_status(outcome.exit, 0, 0)
            ));
            console.show_log(&paths.log, 20);
            count = 1;
            failed = true;
        }
        let minimizer = crashes::Minimizer {
            layout,
            target,
            sanitizer,
            console,
        };
        for crash in &found {
            if minimizer.handle(crash)? {
                failed = true;
            } else {
                count -= 1;
            }
        }
        rows.push(Row {
            target: target.clone(),
            status: outcome.status,
            corpus: campaign::files(&paths.corpus).len(),
            crashes: count,
            seconds: outcome.seconds,
        });
        summary::write(&layout.run.join("summary.tsv"), &summary::tsv(&rows))?;
        if cli.merge {
            campaign::merge(layout, target, console)?;
        }
    }
    let line = summary::campaign_line(
        cli.time,
        cli.jobs,
        sanitizer,
        time::OffsetDateTime::now_utc(),
    );
    let tsv = summary::tsv(&rows);
    console.line(&format!("\n{line}"));
    print!("{}", summary::table(&tsv));
    // The report page (scripts/report.sh) shows the last campaign from reports/.
    let reports = layout.root.join("reports/fuzz");
    summary::write(&reports.join("summary.tsv"), &tsv)?;
    summary::write(&reports.join("campaign.txt"), &format!("{line}\n"))?;
    if failed {
        console.line(
            "\nFAILED: crashes kept in fuzz/artifacts/ \
             (replay: cargo test -p rfc6455 --test fuzz_regressions)",
        );
    }
    Ok(!failed)
}
