//! The Autobahn harness behind `scripts/autobahn.sh`: builds the testees,
//! picks where wstest runs, runs the server and client roles (at the same
//! time, or one after the other), follows wstest's progress and memory,
//! compares each role with the baseline and ends with the summary and the
//! verdict (exit 0 when no case regressed, 1 on a regression or a failed
//! run, 2 on a usage error).
//!
//! It owns the processes it starts and stops them all at its end, also on
//! Ctrl-C or TERM. It does not bootstrap wstest (the shell script
//! `scripts/lib/wstest-bootstrap.sh` does, once) and does not judge
//! verdicts ([`crate::autobahn`] does).

pub mod args;
pub mod console;
pub mod procs;
pub mod progress;
mod role;
pub mod summary;
pub mod wstest;

pub use args::Cli;
use args::Plan;
use console::Console;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;
use summary::RoleReport;

/// The script the user runs, as messages name it.
const PROGRAM: &str = "autobahn.sh";

/// What every role of a run shares.
pub struct Run {
    cli: Cli,
    plan: Plan,
    /// The repository, absolute: the working directory of the run.
    root: PathBuf,
    /// `target/release` (or `$CARGO_TARGET_DIR/release`).
    target: PathBuf,
    /// The run's scratch folder (specs, the certificate, wstest's peaks).
    scratch: PathBuf,
    runner: wstest::Runner,
    /// The certificate and key of `--tls`.
    tls: Option<(PathBuf, PathBuf)>,
    /// Squid's path, for `--proxy`.
    proxy: Option<String>,
}

/// Runs the harness as `cli` says.
pub fn main(cli: Cli) -> ExitCode {
    let plan = cli.plan_or_exit();
    let console = Console::new(PROGRAM, std::io::stdout().is_terminal());
    let t0 = Instant::now();
    procs::stop_on_signals(PROGRAM);
    let run = match prepare(cli, plan, &console) {
        Ok(run) => run,
        Err(message) => {
            console.error(&message);
            procs::stop_everything();
            return ExitCode::from(1);
        }
    };
    let roles = run.plan.roles.clone();
    let mut failed: Vec<&str> = Vec::new();
    if run.cli.parallel && roles.len() > 1 {
        console
            .say("running both roles at once (AUTOBAHN_PARALLEL=0 runs them one after the other)");
        std::thread::scope(|scope| {
            let jobs: Vec<_> = roles
                .iter()
                .map(|&role| {
                    let run = &run;
                    (
                        role,
                        scope.spawn(move || {
                            role::run_role(run, role, &Console::prefixed(PROGRAM, role))
                        }),
                    )
                })
                .collect();
            for (role, job) in jobs {
                if !job.join().unwrap_or(false) {
                    failed.push(role);
                }
            }
        });
    } else {
        for &role in &roles {
            if !role::run_role(&run, role, &console) {
                failed.push(role);
            }
        }
    }

    let cases = run.plan.cases.as_deref().unwrap_or("all");
    let (header, over) = match (run.tls.is_some(), run.cli.testee) {
        _ if run.cli.proxy => {
            let tls = if run.tls.is_some() { ", over TLS" } else { "" };
            (
                Some(format!(
                    "== through an HTTP CONNECT proxy (Squid){tls}, cases {cases} =="
                )),
                format!(" through Squid{tls}"),
            )
        }
        (true, _) => (
            Some(format!("== over TLS (wss://), cases {cases} ==")),
            " over TLS".to_owned(),
        ),
        (_, Some(t)) => (
            Some(format!("== testee {}, cases {cases} ==", t.name())),
            format!(" against {}", t.name()),
        ),
        _ if run.cli.http2 => (
            Some(format!(
                "== over HTTP/2 (RFC 8441, through h2relay), cases {cases} =="
            )),
            " over HTTP/2".to_owned(),
        ),
        _ if run.cli.streaming => (
            Some(format!("== fuzzserver --streaming, cases {cases} ==")),
            " against fuzzserver --streaming".to_owned(),
        ),
        _ => (None, String::new()),
    };
    let reports: Vec<RoleReport> = roles
        .iter()
        .map(|role| RoleReport::read(role, &format!("{}/{role}", run.plan.reports)))
        .collect();
    let secs = t0.elapsed().as_secs_f64();
    print!(
        "{}",
        summary::render(header.as_deref(), &reports, &failed, &over, secs)
    );
    procs::stop_everything();
    ExitCode::from(if failed.is_empty() { 0 } else { 1 })
}

/// The repository this binary was built in.
pub fn default_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `cargo ARGS` in `root`, its output on the terminal; the command
/// line in the error when it fails.
pub fn cargo(root: &Path, args: &[&str]) -> Result<(), String> {
    let line = format!("cargo {}", args.join(" "));
    let ok = Command::new("cargo")
        .args(args)
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot run cargo ({e}); is it on PATH?"))?
        .success();
    if ok {
        Ok(())
    } else {
        Err(format!("{line} failed"))
    }
}

/// Builds, picks the runner, makes the certificate.
fn prepare(cli: Cli, plan: Plan, console: &Console) -> Result<Run, String> {
    let root = cli.root.clone().unwrap_or_else(default_root);
    let root = root
        .canonicalize()
        .map_err(|e| format!("no repository at {}: {e}", root.display()))?;
    std::env::set_current_dir(&root)
        .map_err(|e| format!("cannot enter {}: {e}", root.display()))?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), |t| root.join(t))
        .join("release");
    if !cli.skip_build {
        console.say("building the testees (cargo build --release -p testee)");
        cargo(&root, &["build", "--release", "-p", "testee"])?;
    }
    let relay = cli.http2.then_some("h2relay");
    for bin in ["fuzzserver", "fuzzclient"].into_iter().chain(relay) {
        if !target.join(bin).is_file() {
            return Err(format!("the build made no {}", target.join(bin).display()));
        }
    }
    if let Some(testee) = cli.testee {
        let name = testee.name();
        if !cli.skip_build {
            console.say(&format!(
                "building the testee (cargo build --release --example {name} -p rfc6455)"
            ));
            cargo(
                &root,
                &["build", "--release", "--example", name, "-p", "rfc6455"],
            )?;
        }
        let bin = target.join("examples").join(name);
        if !bin.is_file() {
            return Err(format!("the build made no {}", bin.display()));
        }
    }
    let proxy = if cli.proxy {
        let program = rfc6455_test_support::proxies::find_or_install(
            "squid",
            rfc6455_test_support::proxies::SQUID_PACKAGES,
        )?;
        Some(program)
    } else {
        None
    };
    let runner = wstest::choose(&cli, &root, console)?;
    let scratch = std::env::temp_dir().join(format!("rfc6455-autobahn.{}", std::process::id()));
    std::fs::create_dir_all(&scratch)
        .map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
    procs::set_scratch(scratch.clone());
    let tls = if cli.tls {
        let pair = wstest::make_cert(&scratch.join("tls"))
            .map_err(|e| format!("could not make the TLS certificate: {e}"))?;
        console.say("TLS: self-signed certificate for 127.0.0.1 (rcgen)");
        Some(pair)
    } else {
        None
    };
    Ok(Run {
        cli,
        plan,
        root,
        target,
        scratch,
        runner,
        tls,
        proxy,
    })
}
