//! Drives the `autobahn-report` binary on small wstest-shaped fixtures
//! (`tests/data/`): the comparison's verdicts, its exit codes, the
//! baseline it writes and the spec it derives from a template.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// A fresh scratch folder per call (no tempfile crate needed).
fn scratch() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "autobahn-report-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn report(args: &[&str]) -> (i32, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_autobahn-report"))
        .args(args)
        .output()
        .expect("run autobahn-report");
    let text = String::from_utf8(stdout).unwrap() + &String::from_utf8(stderr).unwrap();
    (status.code().expect("exit code"), text)
}

fn compare(expected: &Path, extra: &[&str]) -> (i32, String) {
    let index = data("run/index.json");
    let mut args = vec![
        "compare",
        "--role",
        "server",
        "--index",
        index.to_str().unwrap(),
        "--expected",
        expected.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    report(&args)
}

#[test]
fn regressions_fail_and_are_listed() {
    let (code, out) = compare(&data("expected.json"), &["--elapsed", "83"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("== Autobahn server: 8 cases, agent rfc6455, wall time 1m 23s =="),
        "{out}"
    );
    assert!(
        out.contains(
            "behavior       OK 5, INFORMATIONAL 1, NON-STRICT 1, UNIMPLEMENTED 1, FAILED 0"
        ),
        "{out}"
    );
    assert!(
        out.contains("behaviorClose  OK 7, INFORMATIONAL 1"),
        "{out}"
    );
    assert!(out.contains(" 1:   3/3 "), "{out}");
    assert!(out.contains(" 6:   0/1 "), "{out}");
    assert!(out.contains("9.* durations  1.75 s over 2 cases"), "{out}");
    assert!(out.contains("2 regression(s), 1 improvement(s)"), "{out}");
    assert!(out.contains("6.4.3    behavior OK -> NON-STRICT"), "{out}");
    // The case's own report says why.
    assert!(
        out.contains("Actual events match at least one expected."),
        "{out}"
    );
    assert!(
        out.contains("10.1.1   missing from the run (expected OK/OK)"),
        "{out}"
    );
    assert!(
        out.contains("12.1.1   behavior FAILED -> UNIMPLEMENTED"),
        "{out}"
    );
    assert!(out.contains("FAIL: 2 regression(s)"), "{out}");
}

#[test]
fn cases_filter_limits_the_comparison() {
    let (code, out) = compare(&data("expected.json"), &["--cases", "1.*,9.*,12.*"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("6 cases"), "{out}");
    assert!(
        out.contains("(cases 1.*,9.*,12.*): 0 regression(s), 1 improvement(s)"),
        "{out}"
    );
    assert!(out.contains("PASS"), "{out}");
    // 10.1.1 is outside the filter: not missing.
    assert!(!out.contains("10.1.1"), "{out}");
}

#[test]
fn update_with_cases_rewrites_only_those() {
    let dir = scratch();
    let expected = dir.join("expected.json");
    std::fs::copy(data("expected.json"), &expected).unwrap();
    let (code, out) = compare(&expected, &["--cases", "6.4.*", "--update"]);
    assert_eq!(code, 0, "{out}");
    let text = std::fs::read_to_string(&expected).unwrap();
    let original = std::fs::read_to_string(data("expected.json")).unwrap();
    assert_eq!(
        text,
        original.replace(
            "\"6.4.3\": {\"behavior\": \"OK\"",
            "\"6.4.3\": {\"behavior\": \"NON-STRICT\""
        )
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn update_writes_the_run_in_numeric_order_then_passes() {
    let dir = scratch();
    let expected = dir.join("expected.json");
    let (code, out) = compare(&expected, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("no baseline"), "{out}");

    let (code, out) = compare(&expected, &["--update"]);
    assert_eq!(code, 0, "{out}");
    let text = std::fs::read_to_string(&expected).unwrap();
    let ids: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix('"'))
        .map(|l| l.split('"').next().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["1.1.1", "1.1.9", "1.1.10", "6.4.3", "7.1.6", "9.1.1", "9.10.1", "12.1.1"]
    );

    let (code, out) = compare(&expected, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("PASS: no regression"), "{out}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn unknown_agent_is_an_error() {
    let (code, out) = compare(&data("expected.json"), &["--agent", "other"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no agent `other` (it has: rfc6455)"), "{out}");
}

/// `autobahn-report spec` from the test template into `out`, with `extra`.
fn spec(out: &Path, extra: &[&str]) -> (i32, String) {
    let template = data("spec-template.json");
    let base = [
        "spec",
        "--template",
        template.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--outdir",
        "/tmp/out",
    ];
    report(&[&base[..], extra].concat())
}

fn read_spec(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn spec_is_written_from_the_template() {
    let dir = scratch();
    let out = dir.join("spec.json");
    let expected = data("expected.json");
    let check = ["--check-against", expected.to_str().unwrap()];
    let (code, text) = spec(
        &out,
        &[
            &["--url", "ws://127.0.0.1:9101", "--cases", "6.4.*,1.1.1"],
            &check[..],
        ]
        .concat(),
    );
    assert_eq!(code, 0, "{text}");
    let written = read_spec(&out);
    assert_eq!(written["outdir"], "/tmp/out");
    assert_eq!(written["servers"][0]["url"], "ws://127.0.0.1:9101");
    assert_eq!(written["servers"][0]["agent"], "rfc6455");
    assert_eq!(written["cases"], serde_json::json!(["6.4.*", "1.1.1"]));

    let (code, text) = spec(&out, &[&["--cases", "1.1.99"], &check[..]].concat());
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("case pattern `1.1.99` matches no case"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn spec_carries_the_tls_key_and_cert() {
    let dir = scratch();
    let out = dir.join("spec.json");
    let url = ["--url", "wss://127.0.0.1:9102"];
    let (code, text) = spec(
        &out,
        &[&url[..], &["--key", "/k.pem", "--cert", "/c.pem"]].concat(),
    );
    assert_eq!(code, 0, "{text}");
    let written = read_spec(&out);
    assert_eq!(written["key"], "/k.pem");
    assert_eq!(written["cert"], "/c.pem");

    let (code, text) = spec(&out, &[&url[..], &["--key", "/k.pem"]].concat());
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("--cert <CERT_PEM>"), "{text}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn usage_errors_exit_2_with_help() {
    let (code, text) = report(&["compare", "--index", "x.json"]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("--expected <EXPECTED_JSON>"), "{text}");
    let (code, text) = report(&[
        "compare",
        "--index",
        "i",
        "--expected",
        "e",
        "--elapsed",
        "soon",
    ]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("invalid value 'soon'"), "{text}");
    let (code, text) = report(&["--help"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("compare") && text.contains("spec"), "{text}");
}
