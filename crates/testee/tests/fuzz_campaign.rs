//! Runs the campaign runner (the `fuzz-campaign` binary behind
//! `scripts/fuzz.sh`) end to end with `--no-build` in a scratch
//! repository whose "libFuzzer binaries" are one shell script that acts
//! by its name, and whose `cargo` (first on PATH) is a fake `cargo fuzz
//! tmin`. No nightly, no cargo-fuzz, no real fuzzing.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// libFuzzer, as far as the runner sees it: status lines in the log,
/// files in the corpus and under `-artifact_prefix`, an exit status.
const FAKE_LIBFUZZER: &str = r#"#!/bin/sh
corpus=; runs=0; time=60; prefix=
for arg; do
  case "$arg" in
    -runs=*) runs=${arg#-runs=} ;;
    -max_total_time=*) time=${arg#-max_total_time=} ;;
    -artifact_prefix=*) prefix=${arg#-artifact_prefix=} ;;
    -*) ;;
    *) corpus=$arg ;;
  esac
done
# A replay (-runs=1 over one file) passes.
[ -f "$corpus" ] && exit 0
echo "INFO: Seed: 1"
case $(basename "$0") in
steady)
  echo found >"$corpus/found-by-steady"
  printf '#2\tINITED cov: 30 ft: 40 corp: 3/9b exec/s: 0 rss: 30Mb\n'
  n=0
  while [ $n -lt $((time * 1000)) ]; do
    n=$((n + 100))
    if [ "$runs" -gt 0 ] && [ $n -ge "$runs" ]; then n=$runs; break; fi
    printf '#%s\tNEW    cov: 30 ft: 40 corp: 3/9b lim: 4 exec/s: 500 rss: 30Mb L: 1/1 MS: 1 X-\n' $n
    sleep 0.1
  done
  printf '#%s\tDONE   cov: 30 ft: 40 corp: 3/9b lim: 4 exec/s: 500 rss: 30Mb\n' $n
  echo "Done $n runs in $time second(s)" ;;
forked)
  trap 'echo "INFO: interrupted"; exit 0' INT
  n=0
  while :; do
    n=$((n + 1000))
    printf '#%s: cov: 20 ft: 25 corp: 4 exec/s: 1000 oom/timeout/crash: 0/0/0 time: 1s job: 1 dft_time: 0\n' $n
    sleep 0.1
  done ;;
crasher)
  printf '#2\tINITED cov: 30 ft: 40 corp: 2/9b exec/s: 0 rss: 30Mb\n'
  printf boom-input >"${prefix}crash-570cae0c92ef025881e6fe5dfc067e683ef93a37"
  echo "thread '<unnamed>' panicked at fuzz_targets/crasher.rs:3:5:"
  echo "the input broke a rule"
  echo "note: run with RUST_BACKTRACE=1 for a backtrace"
  echo "==42== ERROR: libFuzzer: deadly signal"
  exit 1 ;;
slow_once)
  printf x >"${prefix}timeout-0456"
  echo "ALARM: working on the last Unit for 11 seconds"
  exit 70 ;;
broken)
  echo "ERROR: something broke"
  exit 3 ;;
esac
"#;

/// `cargo +nightly fuzz tmin ... TARGET CRASH`, as far as the runner sees
/// it: two smaller reproducers in fuzz/artifacts/TARGET/.
const FAKE_CARGO: &str = r#"#!/bin/sh
[ "$3" = tmin ] || exit 1
for arg; do target=$crash; crash=$arg; done
printf ab >"fuzz/artifacts/$target/minimized-from-1"
printf z >"fuzz/artifacts/$target/minimized-from-2"
"#;

const TARGETS: [&str; 5] = ["steady", "forked", "crasher", "slow_once", "broken"];

fn write(path: &Path, text: &str, executable: bool) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    if executable {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

fn host() -> String {
    let out = Command::new("rustc").arg("-vV").output().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .unwrap()
}

/// A scratch repository: fuzz/Cargo.toml naming the targets, two seeds
/// each, the dictionary, the fake binaries, and the fake cargo in bin/.
fn fake_repo(name: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("fuzz-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let mut manifest = "[package]\nname = \"rfc6455-fuzz\"\n".to_owned();
    let bins = root.join("fuzz/target").join(host()).join("release");
    for target in TARGETS {
        manifest.push_str(&format!("\n[[bin]]\nname = \"{target}\"\n"));
        for seed in ["seed-1", "seed-2"] {
            write(
                &root.join("fuzz/corpus").join(target).join(seed),
                seed,
                false,
            );
        }
        write(&bins.join(target), FAKE_LIBFUZZER, true);
    }
    write(&root.join("fuzz/Cargo.toml"), &manifest, false);
    write(&root.join("fuzz/dict/websocket.dict"), "\"\\x81\"\n", false);
    write(&root.join("bin/cargo"), FAKE_CARGO, true);
    root
}

/// The campaign in `root` with `args`, the fake cargo first on PATH.
fn runner(root: &Path, args: &[&str]) -> Command {
    let path = format!(
        "{}:{}",
        root.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = Command::new(env!("CARGO_BIN_EXE_fuzz-campaign"));
    command
        .args(["--root", root.to_str().unwrap(), "--progress-every", "1"])
        .args(args)
        .env("PATH", path);
    command
}

/// Its exit code and output (stdout, then stderr).
fn ended(out: Output) -> (i32, String) {
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().expect("an exit code"), text)
}

/// Runs the campaign in `root` with `args`; its exit code and output.
fn campaign(root: &Path, args: &[&str]) -> (i32, String) {
    ended(runner(root, args).output().expect("run the campaign"))
}

fn read(root: &Path, file: &str) -> String {
    std::fs::read_to_string(root.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// The summary's row of `target`, without its last cell (the seconds).
fn row(root: &Path, target: &str) -> String {
    let tsv = read(root, "reports/fuzz/summary.tsv");
    let line = tsv
        .lines()
        .find(|l| l.starts_with(&format!("{target}\t")))
        .unwrap_or_else(|| panic!("no {target} in {tsv}"));
    line.rsplit_once('\t').unwrap().0.to_owned()
}

#[test]
fn a_clean_campaign_shows_progress_and_its_summary() {
    let root = fake_repo("clean");
    let (code, out) = campaign(&root, &["steady", "--time", "2", "--no-build"]);
    assert_eq!(code, 0, "{out}");
    for text in [
        " fuzzing steady for 2s with 1 worker(s) from 2 inputs (log: fuzz/corpus-run/logs/steady.log)\n",
        "\nfuzz campaign: 2s per target, 1 worker(s), sanitizer address, ",
        "target  executions  exec/s  cov  ft  corpus  crashes  seconds\nsteady  2000        500     30   40  3       0        ",
    ] {
        assert!(out.contains(text), "no {text:?} in:\n{out}");
    }
    assert!(
        out.lines().any(|l| l.contains("   steady ")
            && l.contains("s/2s: ")
            && l.ends_with(" execs, 500 exec/s, cov 30, ft 40, corpus 3, crashes 0")),
        "no progress line in:\n{out}"
    );
    assert!(!out.contains("FAILED"), "{out}");
    let tsv = read(&root, "reports/fuzz/summary.tsv");
    assert!(
        tsv.starts_with("target\texecutions\texec/s\tcov\tft\tcorpus\tcrashes\tseconds\n"),
        "{tsv}"
    );
    assert_eq!(row(&root, "steady"), "steady\t2000\t500\t30\t40\t3\t0");
    assert_eq!(tsv, read(&root, "fuzz/corpus-run/summary.tsv"));
    let line = read(&root, "reports/fuzz/campaign.txt");
    assert!(
        line.starts_with("fuzz campaign: 2s per target, 1 worker(s), sanitizer address, 20"),
        "{line}"
    );
    // The working corpus keeps what the campaign found; --fresh drops it.
    assert!(root
        .join("fuzz/corpus-run/steady/found-by-steady")
        .is_file());
    std::fs::remove_file(root.join("fuzz/corpus/steady/seed-2")).unwrap();
    let (code, out) = campaign(&root, &["steady", "--time", "1", "--fresh", "--no-build"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(" from 1 inputs "), "{out}");
    assert!(!root.join("fuzz/corpus-run/steady/seed-2").exists());
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn execs_stop_one_worker_and_a_forked_group() {
    let root = fake_repo("execs");
    let (code, out) = campaign(&root, &["steady", "--execs", "500", "--no-build"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(row(&root, "steady"), "steady\t500\t500\t30\t40\t3\t0");
    // -fork mode does not stop itself: the runner interrupts the group.
    let (code, out) = campaign(
        &root,
        &[
            "forked",
            "--jobs",
            "2",
            "--execs",
            "3000",
            "--time",
            "30",
            "--no-build",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(" fuzzing forked for 30s with 2 worker(s) from 2 inputs"),
        "{out}"
    );
    assert!(
        out.contains(" exec/s, cov 20, ft 25, corpus 4, crashes 0\n"),
        "{out}"
    );
    assert!(read(&root, "fuzz/corpus-run/logs/forked.log").contains("INFO: interrupted"));
    let tsv = read(&root, "reports/fuzz/summary.tsv");
    let cells: Vec<&str> = tsv.lines().nth(1).unwrap().split('\t').collect();
    assert!(cells[1].parse::<u64>().unwrap() >= 3000, "{tsv}");
    assert!(
        cells[7].parse::<u64>().unwrap() < 30,
        "not stopped at --execs: {tsv}"
    );
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn a_crash_is_minimized_kept_and_fails_the_campaign() {
    let root = fake_repo("crash");
    write(
        &root.join("fuzz/artifacts/crasher/crash-older"),
        "old",
        false,
    );
    let (code, out) = campaign(
        &root,
        &["crasher", "slow_once", "--time", "5", "--no-build"],
    );
    assert_eq!(code, 1, "{out}");
    let kept = "crash-395df8f7c51f"; // SHA-1 of "z", tmin's smallest
    for text in [
        " crasher: crash-570cae0c92ef025881e6fe5dfc067e683ef93a37, minimizing\n",
        &format!(" crasher: kept fuzz/artifacts/crasher/{kept} (1 bytes); the panic:\n"),
        "\n      thread '<unnamed>' panicked at fuzz_targets/crasher.rs:3:5:\n      the input broke a rule\n",
        " slow_once: timeout-0456 ran in time when replayed; not kept\n",
        "\nFAILED: crashes kept in fuzz/artifacts/ (replay: cargo test -p rfc6455 --test fuzz_regressions)\n",
    ] {
        assert!(out.contains(text), "no {text:?} in:\n{out}");
    }
    let artifacts = root.join("fuzz/artifacts/crasher");
    assert_eq!(read(&root, &format!("fuzz/artifacts/crasher/{kept}")), "z");
    let mut names: Vec<String> = std::fs::read_dir(&artifacts)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["crash-395df8f7c51f", "crash-older"]);
    assert_eq!(row(&root, "crasher"), "crasher\t2\t0\t30\t40\t2\t1");
    assert_eq!(row(&root, "slow_once"), "slow_once\t0\t0\t?\t?\t2\t0");
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn a_failure_without_artifact_shows_the_log() {
    let root = fake_repo("broken");
    let (code, out) = campaign(&root, &["broken", "--no-build"]);
    assert_eq!(code, 1, "{out}");
    for text in [
        "fuzz.sh: error: broken ended with status 3 and left no artifact\n",
        "    | ERROR: something broke\n",
        "\nFAILED: ",
    ] {
        assert!(out.contains(text), "no {text:?} in:\n{out}");
    }
    assert_eq!(row(&root, "broken"), "broken\t0\t0\t?\t?\t2\t1");
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn list_and_usage_errors() {
    let root = fake_repo("usage");
    let (code, out) = campaign(&root, &["--list"]);
    assert_eq!(
        (code, out.as_str()),
        (0, &*format!("{}\n", TARGETS.join("\n")))
    );
    for (args, says) in [
        (&["steady", "nope"][..], "no target nope (see --list)"),
        (&["--time", "0"], "invalid value '0' for '--time <SECONDS>'"),
        (&["--jobs", "many"], "invalid value 'many'"),
        (&["--sanitizer", "undefined"], "invalid value 'undefined'"),
        (&["--coverage", "--merge"], "cannot be used with"),
        (&["--frobnicate"], "unexpected argument '--frobnicate'"),
    ] {
        let (code, out) = campaign(&root, args);
        assert_eq!(code, 2, "{args:?}: {out}");
        assert!(out.contains(says), "{args:?}: no {says:?} in:\n{out}");
    }
    assert!(
        !root.join("fuzz/corpus-run").exists(),
        "a usage error ran something"
    );
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn ctrl_c_stops_the_campaign_without_blaming_the_target() {
    let root = fake_repo("interrupt");
    let runner = runner(
        &root,
        &["forked", "--jobs", "2", "--time", "60", "--no-build"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let log = root.join("fuzz/corpus-run/logs/forked.log");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(&log).is_ok_and(|l| l.contains("oom/timeout/crash")) {
        assert!(Instant::now() < deadline, "the fake never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    let pid = nix::unistd::Pid::from_raw(runner.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    let (code, out) = ended(runner.wait_with_output().unwrap());
    assert_eq!(code, 130, "{out}");
    assert!(out.contains("\nfuzz.sh: interrupted\n"), "{out}");
    assert!(
        !out.contains("error") && !out.contains("fuzz campaign:"),
        "{out}"
    );
    assert!(
        !root.join("reports").exists(),
        "an interrupted campaign wrote a summary"
    );
    let _ = std::fs::remove_dir_all(root);
}
