//! One target's campaign: its working corpus seeded from the checked-in
//! one, libFuzzer started in a process group of its own (so that stopping
//! it stops the workers of `-fork` too), a progress line every few
//! seconds, a stop at `--execs`, and afterwards `--merge`. What the
//! crashes become is [`super::crashes`]'s job.

use super::args::Cli;
use super::status::{last_status, Follower, Status};
use super::Layout;
use crate::harness::console::Console;
use crate::harness::procs::{shell_status, Proc};
use nix::sys::signal::Signal;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

/// How a target's run ended.
#[derive(Clone, Copy, Debug)]
pub struct Outcome {
    /// libFuzzer's last status line.
    pub status: Option<Status>,
    /// How long it ran.
    pub seconds: u64,
    /// Its exit status as a shell says it; 0 when stopped at `--execs`.
    pub exit: i32,
}

/// Where one target's campaign keeps its files.
#[derive(Clone, Debug)]
pub struct Paths {
    /// `fuzz/corpus-run/TARGET`: the working corpus.
    pub corpus: PathBuf,
    /// `fuzz/corpus-run/crashes/TARGET`: libFuzzer's raw artifacts.
    pub crashes: PathBuf,
    /// `fuzz/corpus-run/logs/TARGET.log`: libFuzzer's output.
    pub log: PathBuf,
}

impl Paths {
    /// The files of `target` in `layout`.
    pub fn of(layout: &Layout, target: &str) -> Paths {
        Paths {
            corpus: layout.run.join(target),
            crashes: layout.run.join("crashes").join(target),
            log: layout.logs().join(format!("{target}.log")),
        }
    }
}

/// libFuzzer's arguments: the corpus, then one in-process worker (which
/// stops itself at `execs`, when given) or `-fork=jobs`, the time, the
/// limits, the dictionary and where artifacts go.
pub fn libfuzzer_args(
    corpus: &Path,
    jobs: u32,
    execs: u64,
    seconds: u64,
    dict: &Path,
    crashes: &Path,
) -> Vec<OsString> {
    let with = |flag: &str, path: &Path, end: &str| {
        let mut arg = OsString::from(flag);
        arg.push(path);
        arg.push(end);
        arg
    };
    let mut args = vec![corpus.as_os_str().to_owned()];
    // Fork mode's restarts cost a slow target most of its time: one worker
    // runs in-process.
    if jobs > 1 {
        args.push(format!("-fork={jobs}").into());
    } else if execs > 0 {
        args.push(format!("-runs={execs}").into());
    }
    for flag in [
        format!("-max_total_time={seconds}"),
        "-timeout=10".to_owned(),
        "-rss_limit_mb=2560".to_owned(),
        "-max_len=4096".to_owned(),
    ] {
        args.push(flag.into());
    }
    args.push(with("-dict=", dict, ""));
    args.push(with("-artifact_prefix=", crashes, "/"));
    args.push("-print_final_stats=1".into());
    args
}

/// `  frame_parser 5s/60s: 1234 execs, 250 exec/s, cov 316, ft 517,
/// corpus 49, crashes 0`
pub fn progress_line(target: &str, secs: u64, of: u64, status: &Status, crashes: u64) -> String {
    format!(
        "  {target} {secs}s/{of}s: {} execs, {} exec/s, cov {}, ft {}, corpus {}, crashes {crashes}",
        status.execs, status.exec_per_sec, status.cov, status.ft, status.corpus
    )
}

/// The files directly in `dir`, sorted (none if it does not exist).
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn create(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

/// Copies the checked-in seeds that the working corpus lacks, and clears
/// the last campaign's raw crashes.
fn prepare(layout: &Layout, target: &str, paths: &Paths) -> Result<(), String> {
    create(&paths.corpus)?;
    create(&paths.crashes)?;
    create(&layout.fuzz.join("artifacts").join(target))?;
    for seed in files(&layout.fuzz.join("corpus").join(target)) {
        let copy = paths.corpus.join(seed.file_name().unwrap_or_default());
        if !copy.exists() {
            std::fs::copy(&seed, &copy)
                .map_err(|e| format!("cannot copy {}: {e}", seed.display()))?;
        }
    }
    for old in files(&paths.crashes) {
        std::fs::remove_file(&old).map_err(|e| format!("cannot remove {}: {e}", old.display()))?;
    }
    Ok(())
}

/// Runs `target`'s campaign as `cli` says, printing its progress.
pub fn run(cli: &Cli, layout: &Layout, target: &str, console: &Console) -> Result<Outcome, String> {
    let paths = Paths::of(layout, target);
    let bin = layout.bin(target);
    if !bin.is_file() {
        return Err(format!(
            "no {} (build it: drop --no-build)",
            layout.relative(&bin)
        ));
    }
    prepare(layout, target, &paths)?;
    console.stamped(&format!(
        "fuzzing {target} for {}s with {} worker(s) from {} inputs (log: {})",
        cli.time,
        cli.jobs,
        files(&paths.corpus).len(),
        layout.relative(&paths.log)
    ));
    let args = libfuzzer_args(
        &paths.corpus,
        cli.jobs,
        cli.execs,
        cli.time,
        &layout.fuzz.join("dict/websocket.dict"),
        &paths.crashes,
    );
    let start = Instant::now();
    let mut fuzzer = Proc::spawn_group(
        Command::new(&bin).args(&args).current_dir(&layout.root),
        &paths.log,
    )?;
    let every = Duration::from_secs(cli.progress_every);
    let mut next = start + every;
    let mut follower = Follower::new(paths.log.clone());
    let mut stopped = false;
    let status = loop {
        if let Some(status) = fuzzer.exited() {
            break status;
        }
        if Instant::now() >= next {
            next += every;
            if let Some(s) = follower.poll() {
                // A single process counts no crashes: it stops at the first.
                let crashes = s
                    .crashes
                    .unwrap_or(super::crashes::found(&paths.crashes).len() as u64);
                let secs = start.elapsed().as_secs();
                console.stamped(&progress_line(target, secs, cli.time, &s, crashes));
                if cli.execs > 0 && s.execs >= cli.execs {
                    stopped = true;
                    break interrupt(&mut fuzzer);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let log = std::fs::read(&paths.log).unwrap_or_default();
    Ok(Outcome {
        status: last_status(&String::from_utf8_lossy(&log)),
        seconds: start.elapsed().as_secs(),
        exit: if stopped { 0 } else { shell_status(status) },
    })
}

/// INT to the whole group (libFuzzer's way to stop, with its final
/// stats), then TERM and KILL if it has not ended in 10 s.
fn interrupt(fuzzer: &mut Proc) -> ExitStatus {
    fuzzer.signal(Signal::SIGINT);
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Some(status) = fuzzer.exited() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    fuzzer.stop()
}

/// `--merge`: the inputs of the working corpus that add coverage go into
/// the checked-in `fuzz/corpus/TARGET/` (libFuzzer's `-merge=1`).
pub fn merge(layout: &Layout, target: &str, console: &Console) -> Result<(), String> {
    console.stamped(&format!(
        "  merging new coverage of {target} into fuzz/corpus/{target}"
    ));
    let paths = Paths::of(layout, target);
    let mut merger = Proc::spawn(
        Command::new(layout.bin(target))
            .arg("-merge=1")
            .arg(layout.fuzz.join("corpus").join(target))
            .arg(&paths.corpus)
            .current_dir(&layout.root),
        &layout.logs().join(format!("{target}.merge.log")),
    )?;
    merger.wait();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(jobs: u32, execs: u64) -> Vec<String> {
        libfuzzer_args(
            Path::new("run/t"),
            jobs,
            execs,
            15,
            Path::new("dict/websocket.dict"),
            Path::new("run/crashes/t"),
        )
        .into_iter()
        .map(|a| a.into_string().unwrap())
        .collect()
    }

    const COMMON: [&str; 7] = [
        "-max_total_time=15",
        "-timeout=10",
        "-rss_limit_mb=2560",
        "-max_len=4096",
        "-dict=dict/websocket.dict",
        "-artifact_prefix=run/crashes/t/",
        "-print_final_stats=1",
    ];

    #[test]
    fn one_worker_runs_in_process_and_stops_itself() {
        assert_eq!(args(1, 0)[..], [&["run/t"][..], &COMMON].concat()[..]);
        assert_eq!(
            args(1, 2000)[..],
            [&["run/t", "-runs=2000"][..], &COMMON].concat()[..]
        );
    }

    #[test]
    fn more_workers_fork() {
        assert_eq!(
            args(4, 2000)[..],
            [&["run/t", "-fork=4"][..], &COMMON].concat()[..]
        );
    }

    #[test]
    fn the_progress_line() {
        let status = Status {
            execs: 1234,
            exec_per_sec: 250,
            cov: 316,
            ft: 517,
            corpus: 49,
            crashes: None,
        };
        assert_eq!(
            progress_line("frame_parser", 5, 60, &status, 0),
            "  frame_parser 5s/60s: 1234 execs, 250 exec/s, cov 316, ft 517, corpus 49, crashes 0"
        );
    }
}
