//! `--coverage`: no fuzzing. Each target is built with coverage and run
//! over its corpus (`cargo fuzz coverage`), the profiles are merged
//! (`llvm-profdata`) and `llvm-cov report` prints the line coverage of
//! `crates/rfc6455/src`, file by file.

use super::campaign::files;
use super::Layout;
use crate::harness::console::Console;
use crate::harness::procs::Proc;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// `llvm-cov report`'s arguments: the first binary positional, the others
/// behind `-object`, then the profile and the sources to report on.
pub fn report_args(binaries: &[PathBuf], profile: &Path, sources: &Path) -> Vec<OsString> {
    let mut args = Vec::new();
    for (i, binary) in binaries.iter().enumerate() {
        if i > 0 {
            args.push("-object".into());
        }
        args.push(binary.as_os_str().to_owned());
    }
    let mut profile_arg = OsString::from("-instr-profile=");
    profile_arg.push(profile);
    args.push(profile_arg);
    args.push(sources.as_os_str().to_owned());
    args
}

/// The folder of rustup's `llvm-tools` for the nightly toolchain.
fn llvm_tools(layout: &Layout) -> Result<PathBuf, String> {
    let _ = Command::new("rustup")
        .args([
            "component",
            "add",
            "--toolchain",
            "nightly",
            "llvm-tools-preview",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let out = Command::new("rustc")
        .args(["+nightly", "--print", "sysroot"])
        .output()
        .map_err(|e| format!("cannot run rustc +nightly ({e})"))?;
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let bin = Path::new(&sysroot)
        .join("lib/rustlib")
        .join(&layout.triple)
        .join("bin");
    if bin.join("llvm-cov").is_file() {
        Ok(bin)
    } else {
        Err(format!("llvm-cov not found in {}", bin.display()))
    }
}

fn run_tool(program: &Path, args: &[OsString]) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {} ({e})", program.display()))?;
    if !out.status.success() {
        return Err(format!("{} failed", program.display()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Prints the line coverage of `crates/rfc6455/src` reached by the corpora
/// of `targets` (the working corpus if it holds anything, else the seeds).
pub fn run(
    layout: &Layout,
    targets: &[String],
    sanitizer: &str,
    console: &Console,
) -> Result<(), String> {
    let tools = llvm_tools(layout)?;
    let (mut profiles, mut binaries) = (Vec::new(), Vec::new());
    for target in targets {
        let mut corpus = layout.run.join(target);
        if files(&corpus).is_empty() {
            corpus = layout.fuzz.join("corpus").join(target);
        }
        console.stamped(&format!(
            "coverage of {target} over {} inputs in {}",
            files(&corpus).len(),
            layout.relative(&corpus)
        ));
        let log = layout
            .fuzz
            .join(format!("corpus-run-coverage-{target}.log"));
        let mut build = Proc::spawn(
            layout
                .cargo_fuzz("coverage", sanitizer)
                .arg(target)
                .arg(&corpus),
            &log,
        )?;
        if !build.wait().success() {
            console.show_log(&log, 20);
            return Err(format!("cargo fuzz coverage of {target} failed"));
        }
        let _ = std::fs::remove_file(&log);
        profiles.push(
            layout
                .fuzz
                .join("coverage")
                .join(target)
                .join("coverage.profdata"),
        );
        // cargo-fuzz puts coverage builds under the target folder above fuzz/.
        let built = Path::new(&layout.triple)
            .join("coverage")
            .join(&layout.triple);
        let binary = [layout.root.join("target"), layout.fuzz.join("target")]
            .into_iter()
            .map(|t| t.join(&built).join("release").join(target))
            .find(|b| b.is_file())
            .ok_or_else(|| format!("cargo fuzz coverage made no binary of {target}"))?;
        binaries.push(binary);
    }
    let merged = layout.fuzz.join("coverage/all.profdata");
    let mut merge: Vec<OsString> = vec!["merge".into(), "-sparse".into()];
    merge.extend(profiles.into_iter().map(PathBuf::into_os_string));
    merge.extend(["-o".into(), merged.clone().into_os_string()]);
    run_tool(&tools.join("llvm-profdata"), &merge)?;
    let sources = layout.root.join("crates/rfc6455/src");
    let mut report = vec![OsString::from("report")];
    report.extend(report_args(&binaries, &merged, &sources));
    let table = run_tool(&tools.join("llvm-cov"), &report)?;
    let prefix = format!("{}/", sources.display());
    print!("{}", table.replace(&prefix, ""));
    console.line(&format!(
        "(targets: {}; HTML: llvm-cov show -format=html with the same arguments)",
        targets.join(" ")
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_binary_is_positional() {
        let args = report_args(
            &["a".into(), "b".into(), "c".into()],
            Path::new("all.profdata"),
            Path::new("src"),
        );
        assert_eq!(
            args,
            [
                "a",
                "-object",
                "b",
                "-object",
                "c",
                "-instr-profile=all.profdata",
                "src"
            ]
            .map(OsString::from)
        );
    }
}
