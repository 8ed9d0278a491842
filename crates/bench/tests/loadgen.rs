//! loadgen against the `ours` echo server, and broadcast-load against
//! broadcast servers, all as child processes: a few seconds in all.

use bench::child::Server;
use rfc6455_test_support::free_port;
use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

/// `program IMPL` listening on a free port; the line that says so.
fn start(program: &str, implementation: &str) -> (Server, String) {
    let port = free_port();
    let mut child = Command::new(program)
        .args([implementation, "--addr", &format!("127.0.0.1:{port}")])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("listening on"), "{line}");
    (Server { child, port }, line)
}

fn server(implementation: &str) -> Server {
    start(env!("CARGO_BIN_EXE_peer-echo"), implementation).0
}

fn loadgen(args: &[&str]) -> Output {
    run(env!("CARGO_BIN_EXE_loadgen"), args)
}

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program).args(args).output().unwrap()
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

/// `broadcast-load` against `peer-broadcast IMPL`: 20 clients, every
/// message checked; the report's counts add up.
fn broadcast(implementation: &str, size: &str, burst: &str, deflate: bool) -> serde_json::Value {
    let (server, line) = start(env!("CARGO_BIN_EXE_peer-broadcast"), implementation);
    let control = line.split("control on ").nth(1).unwrap().trim().to_string();
    let url = format!("ws://127.0.0.1:{}/", server.port);
    let pid = server.child.id().to_string();
    #[rustfmt::skip]
    let mut args = vec![
        "--url", &url, "--control", &control, "--connections", "20", "--size", size,
        "--burst", burst, "--duration", "0.3", "--warmup", "0.1", "--pid", &pid, "--json",
    ];
    if deflate {
        args.push("--deflate");
    }
    let output = run(env!("CARGO_BIN_EXE_broadcast-load"), &args);
    let report = json(&output);
    assert!(output.status.success(), "{implementation}: {report}");
    assert_eq!(report["error_count"], 0, "{report}");
    let burst: u64 = burst.parse().unwrap();
    let broadcasts = report["broadcasts"].as_u64().unwrap();
    assert!(broadcasts > 0, "{report}");
    assert_eq!(report["messages"], broadcasts * burst * 20, "{report}");
    assert!(
        report["server_cpu_us_per_msg"].as_f64().is_some(),
        "{report}"
    );
    report
}

#[test]
fn every_broadcast_server_delivers_every_message() {
    for implementation in bench::child::PEER_BROADCAST_IMPLS {
        let deflate = implementation.starts_with("ours-deflate");
        broadcast(implementation, "4096", "3", deflate);
    }
    broadcast("ours", "16", "1", false);
}

#[test]
fn a_broadcast_load_that_asks_for_deflate_fails_without_it() {
    let (server, line) = start(env!("CARGO_BIN_EXE_peer-broadcast"), "ours");
    let control = line.split("control on ").nth(1).unwrap().trim().to_string();
    let url = format!("ws://127.0.0.1:{}/", server.port);
    #[rustfmt::skip]
    let output = run(env!("CARGO_BIN_EXE_broadcast-load"), &[
        "--url", &url, "--control", &control, "--deflate", "--duration", "0.1",
    ]);
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("did not accept permessage-deflate"),
        "{stderr}"
    );
}
