//! loadgen against the `ours` echo server, both as child processes: about
//! two seconds in all.

use bench::child::Server;
use rfc6455_test_support::free_port;
use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

fn server(implementation: &str) -> Server {
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_peer-echo"))
        .args([implementation, "--addr", &format!("127.0.0.1:{port}")])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("listening on"), "{line}");
    Server { child, port }
}

fn loadgen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .args(args)
        .output()
        .unwrap()
}

fn json(output: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap_or_else(|e| {
        panic!(
            "{e}: {stdout:?} {:?}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

#[test]
fn counts_echoes_and_server_cpu() {
    let server = server("ours");
    let url = format!("ws://127.0.0.1:{}/", server.port);
    let pid = server.child.id().to_string();
    #[rustfmt::skip]
    let output = loadgen(&[
        "--url", &url, "--connections", "2", "--depth", "4", "--size", "200",
        "--duration", "1", "--warmup", "0.2", "--pid", &pid, "--text", "--json",
    ]);
    let report = json(&output);
    assert!(output.status.success(), "{report}");
    assert_eq!(report["error_count"], 0, "{report}");
    assert!(report["messages"].as_u64().unwrap() > 10, "{report}");
    assert!(
        report["latency_us"]["p50"].as_f64().unwrap() > 0.0,
        "{report}"
    );
    assert!(
        report["server_cpu_us_per_msg"].as_f64().is_some(),
        "{report}"
    );
}

#[test]
fn idle_connections_and_server_memory() {
    let server = server("ours-feed");
    let url = format!("ws://127.0.0.1:{}/", server.port);
    let pid = server.child.id().to_string();
    #[rustfmt::skip]
    let output = loadgen(&[
        "--url", &url, "--connections", "20", "--idle", "--duration", "0.2",
        "--pid", &pid, "--json",
    ]);
    let report = json(&output);
    assert!(output.status.success(), "{report}");
    assert!(report["rss_after"].as_u64().unwrap() > 0, "{report}");
    assert!(report["rss_per_connection"].as_f64().is_some(), "{report}");
}

#[test]
fn refused_connection_is_a_clear_error() {
    let url = format!("ws://127.0.0.1:{}/", free_port());
    let output = loadgen(&["--url", &url, "--duration", "0.2", "--warmup", "0"]);
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("refused"), "{stderr}");
}
