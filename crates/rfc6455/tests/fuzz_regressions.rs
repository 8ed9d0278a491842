//! Fuzz regressions: every minimized crash in `fuzz/artifacts/<target>/`,
//! replayed through the checks of the target that found it, under plain
//! `cargo test`. A crash, once fixed, stays fixed.
//!
//! The checks are not copied here: they live in `rfc6455-test-support`
//! (`crates/test-support/src/checks/`), and the fuzz targets call the very
//! same code. Inputs of `differential_frame` get our
//! side of that comparison (the frame parser against the RFC-literal
//! reference, and both connection roles); the comparison with tungstenite
//! itself replays with `cargo test --manifest-path fuzz/Cargo.toml`.
//!
//! With no artifacts (or no `fuzz/artifacts/` at all) there is nothing to
//! replay and the test passes. To add a regression: `scripts/fuzz.sh`
//! minimizes each crash into that folder by itself; name the file after the
//! bug once it is understood.

use rfc6455_test_support::checks;
use std::any::Any;
use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// The files of `dir` in name order, without hidden files and notes.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|path| {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        path.is_file() && name.is_some_and(|n| !n.starts_with('.') && !n.ends_with(".md"))
    });
    files.sort();
    files
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "(no message)".to_owned())
}

/// Replays every input under `root/<target>/`; returns how many ran and
/// the failures, each with its panic message.
fn replay(root: &Path) -> (usize, Vec<String>) {
    let mut replayed = 0;
    let mut failures = Vec::new();
    let mut targets: Vec<PathBuf> = fs::read_dir(root)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    targets.retain(|path| path.is_dir());
    targets.sort();
    for dir in targets {
        let target = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let files = inputs(&dir);
        if !checks::TARGETS.contains(&target.as_str()) {
            if !files.is_empty() {
                failures.push(format!("{}: no fuzz target named {target}", dir.display()));
            }
            continue;
        }
        for file in files {
            let data = fs::read(&file).expect("readable artifact");
            match catch_unwind(AssertUnwindSafe(|| checks::run(&target, &data))) {
                Ok(true) => replayed += 1,
                Ok(false) => failures.push(format!("{}: unknown target", file.display())),
                Err(panic) => failures.push(format!(
                    "{} ({} bytes: {:02x?}):\n    {}",
                    file.display(),
                    data.len(),
                    &data[..data.len().min(64)],
                    panic_message(panic.as_ref())
                )),
            }
        }
    }
    (replayed, failures)
}

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

#[test]
fn every_fuzz_artifact_passes_its_target_checks() {
    let root = fuzz_dir().join("artifacts");
    let (replayed, failures) = replay(&root);
    eprintln!("replayed {replayed} fuzz artifacts from {}", root.display());
    assert!(
        failures.is_empty(),
        "{} fuzz artifact(s) still fail their checks:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The seeds pass too: the checks run, and hold, on real inputs of every
/// target (and a seed that starts failing is a regression as well).
#[test]
fn every_seed_passes_its_target_checks() {
    let root = fuzz_dir().join("corpus");
    let (replayed, failures) = replay(&root);
    assert!(
        failures.is_empty(),
        "seeds failing:\n{}",
        failures.join("\n")
    );
    if root.is_dir() {
        assert!(replayed > 0, "no seed replayed from {}", root.display());
    }
}

/// The replay really fails on an input that breaks a check, and on a folder
/// named after no target.
#[test]
fn replay_reports_failures() {
    let scratch = std::env::temp_dir().join(format!("fuzz-regressions-{}", std::process::id()));
    let _ = fs::remove_dir_all(&scratch);
    fs::create_dir_all(scratch.join("no_such_target")).unwrap();
    fs::write(scratch.join("no_such_target/input"), b"x").unwrap();
    let (replayed, failures) = replay(&scratch);
    assert_eq!((replayed, failures.len()), (0, 1), "{failures:?}");
    assert!(!checks::run("no_such_target", b""));
    // A panicking check is caught and reported, not lost.
    let caught =
        catch_unwind(|| rfc6455_test_support::wire::read_frames(&[0x81, 0x05, b'c', b'u', b't']));
    assert!(caught.is_err());
    let _ = fs::remove_dir_all(&scratch);
}
