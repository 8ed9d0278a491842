//! Runs the harness (the `autobahn` binary behind `scripts/autobahn.sh`)
//! end to end against a fake wstest: a shell script that prints wstest's
//! log lines and writes an `index.json`, in a scratch repository with the
//! real testees. No real wstest, no Docker.

use rfc6455_test_support::free_port;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// wstest -m fuzzingclient, as far as the harness sees it: the log lines
/// it follows, the reports it compares, the peak it reads at exit.
const FAKE_WSTEST: &str = r#"#!/bin/sh
spec=$4
outdir=$(sed -n 's/^  "outdir": "\(.*\)",*$/\1/p' "$spec")
echo "Ok, will run 3 test cases for 1 agents"
for id in 1.1.1 1.1.2 2.1; do
    echo "Running test case ID $id for agent rfc6455 from peer tcp4:127.0.0.1:1"
    sleep 0.2
done
cat >"$outdir/index.json" <<JSON
{"rfc6455": {
  "1.1.1": {"behavior": "OK", "behaviorClose": "OK", "duration": 1},
  "1.1.2": {"behavior": "OK", "behaviorClose": "OK", "duration": 1},
  "2.1": {"behavior": "${FAKE_VERDICT:-OK}", "behaviorClose": "OK", "duration": 1}
}}
JSON
echo "Report generation complete"
echo 20480 >"$WSTEST_PEAK_FILE"
"#;

const EXPECTED: &str = r#"{
  "1.1.1": {"behavior": "OK", "behaviorClose": "OK"},
  "1.1.2": {"behavior": "OK", "behaviorClose": "OK"},
  "2.1": {"behavior": "OK", "behaviorClose": "OK"}
}
"#;

fn write(path: &Path, text: &str, executable: bool) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    if executable {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// A scratch repository: the spec template, a baseline, the fake wstest
/// behind a fake bootstrap, and the real testees under target/release.
fn fake_repo(name: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("harness-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let template = std::fs::read_to_string(real.join("autobahn/fuzzingclient.json")).unwrap();
    write(&root.join("autobahn/fuzzingclient.json"), &template, false);
    write(&root.join("autobahn/expected-server.json"), EXPECTED, false);
    let wstest = root.join("cache/fake/bin/wstest");
    write(&wstest, FAKE_WSTEST, true);
    let bootstrap = format!("#!/bin/sh\necho {}\n", wstest.display());
    write(
        &root.join("scripts/lib/wstest-bootstrap.sh"),
        &bootstrap,
        true,
    );
    let release = root.join("target/release");
    std::fs::create_dir_all(&release).unwrap();
    for (bin, path) in [
        ("fuzzserver", env!("CARGO_BIN_EXE_fuzzserver")),
        ("fuzzclient", env!("CARGO_BIN_EXE_fuzzclient")),
    ] {
        std::os::unix::fs::symlink(path, release.join(bin)).unwrap();
    }
    root
}

/// Runs the harness in `root` with `args` and `env`; its exit code and output.
fn harness(root: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_autobahn"))
        .args(["--root", root.to_str().unwrap(), "--skip-build"])
        .args(args)
        .env("CARGO_TARGET_DIR", root.join("target"))
        .env("AUTOBAHN_RUNNER", "native")
        .env("AUTOBAHN_SERVER_ADDR", format!("127.0.0.1:{}", free_port()))
        .envs(env.iter().copied())
        .output()
        .expect("run the harness");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().expect("an exit code"), text)
}

#[test]
fn a_passing_run_ends_with_its_summary_and_ok() {
    let root = fake_repo("pass");
    let (code, out) = harness(&root, &["server"], &[]);
    assert_eq!(code, 0, "{out}");
    for line in [
        "==> wstest: native, ",
        "==> server role: wstest -m fuzzingclient against fuzzserver on ws://127.0.0.1:",
        "    [  1/3] 1.1.1 ",
        "    [  3/3] 2.1 ",
        "== Autobahn server: 3 cases, agent rfc6455, wall time ",
        "groups (ok)     1:   2/2     2:   1/1\n",
        "wstest memory  peak 0.02 GiB (native fake), bound 4.00 GiB",
        "PASS: no regression against autobahn/expected-server.json",
        "    logs:    reports/autobahn/server/",
        "OK (server) in ",
    ] {
        assert!(out.contains(line), "no {line:?} in:\n{out}");
    }
    let summary =
        std::fs::read_to_string(root.join("reports/autobahn/server/summary.txt")).unwrap();
    assert!(
        summary.starts_with("== Autobahn server: 3 cases"),
        "{summary}"
    );
    assert!(root
        .join("reports/autobahn/server/fuzzserver.log")
        .is_file());
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn a_regression_fails_the_run() {
    let root = fake_repo("regression");
    let (code, out) = harness(
        &root,
        &["server", "--cases", "2.*"],
        &[("FAKE_VERDICT", "FAILED")],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("2.1      behavior OK -> FAILED"), "{out}");
    assert!(out.contains("FAIL: 1 regression(s)"), "{out}");
    assert!(out.contains("\nFAILED (server) in "), "{out}");
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn the_memory_bound_stops_wstest_and_fails_the_role() {
    let root = fake_repo("memory");
    let (code, out) = harness(&root, &["server"], &[("AUTOBAHN_WSTEST_MAX_MEMORY", "1K")]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("autobahn.sh: error: the server role's wstest passed its memory bound: "),
        "{out}"
    );
    assert!(
        out.contains("== Autobahn server: no summary, the run did not finish =="),
        "{out}"
    );
    assert!(
        out.contains("FAILED: the server role's wstest passed its memory bound"),
        "{out}"
    );
    assert!(out.contains("(AUTOBAHN_WSTEST_MAX_MEMORY)"), "{out}");
    assert!(out.contains("\nFAILED (server) in "), "{out}");
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn usage_errors_exit_2() {
    let root = fake_repo("usage");
    for (args, env, says) in [
        (
            &["client", "--testee", "hyper_echo"][..],
            &[][..],
            "server role only, not client",
        ),
        (
            &["--tls", "--update-expected"],
            &[],
            "run --update-expected without --tls",
        ),
        (
            &["--cases", "6.4.x"],
            &[],
            "--cases wants wstest case patterns",
        ),
        (&["sideways"], &[], "invalid value 'sideways'"),
        (
            &[],
            &[("AUTOBAHN_WSTEST_MAX_MEMORY", "lots")],
            "wants a size like 4G",
        ),
        (
            &[],
            &[("AUTOBAHN_GC_INTERVAL", "often")],
            "wants seconds like 0.5",
        ),
    ] {
        let (code, out) = harness(&root, args, env);
        assert_eq!(code, 2, "{args:?}: {out}");
        assert!(out.contains(says), "{args:?}: no {says:?} in:\n{out}");
    }
    let _ = std::fs::remove_dir_all(root);
}
