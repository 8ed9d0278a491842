//! The tools a campaign needs (the nightly toolchain, cargo-fuzz),
//! installed when missing, and the build of the targets. It does not run
//! them.

use super::status::excerpt;
use super::Layout;
use crate::harness::console::Console;
use std::process::{Command, Stdio};

/// Whether `program ARGS` runs and succeeds (its output dropped).
fn succeeds(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Installs the nightly toolchain (with rustup) and cargo-fuzz (with
/// `cargo install --locked`) where they are missing.
pub fn ensure(layout: &Layout, console: &Console) -> Result<(), String> {
    if !succeeds("rustup", &["run", "nightly", "rustc", "--version"]) {
        console.stamped("installing the nightly toolchain");
        let installed = Command::new("rustup")
            .args(["toolchain", "install", "nightly", "--profile", "minimal"])
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            return Err(
                "rustup toolchain install nightly --profile minimal failed (is rustup on PATH?)"
                    .to_owned(),
            );
        }
    }
    if !succeeds("cargo", &["+nightly", "fuzz", "--version"]) {
        console.stamped("installing cargo-fuzz (about a minute)");
        crate::harness::cargo(&layout.root, &["install", "cargo-fuzz", "--locked"])?;
    }
    Ok(())
}

/// `cargo +nightly fuzz build -O -a -s SANITIZER`: every target, printing
/// only the build's errors and unused-code warnings; fails unless each of
/// `targets` was built.
pub fn build(
    layout: &Layout,
    targets: &[String],
    sanitizer: &str,
    console: &Console,
) -> Result<(), String> {
    let line = format!(
        "cargo +nightly fuzz build {}",
        Layout::build_flags(sanitizer).join(" ")
    );
    console.stamped(&format!("building {} target(s): {line}", targets.len()));
    let out = layout
        .cargo_fuzz("build", sanitizer)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run cargo ({e}); is it on PATH?"))?;
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    let noteworthy = |l: &str| l.starts_with("error") || l.starts_with("warning: unused");
    for l in excerpt(&text, noteworthy, 5, usize::MAX) {
        console.line(&l);
    }
    if !out.status.success() {
        return Err(format!("{line} failed"));
    }
    match targets.iter().find(|t| !layout.bin(t).is_file()) {
        Some(t) => Err(format!(
            "the build made no {}",
            layout.relative(&layout.bin(t))
        )),
        None => Ok(()),
    }
}
