//! Soak: many idle connections to a [`Server`] in another process, and what
//! each costs it in memory: connections that never sent anything
//! (`idle_connections`), and connections that each sent one 64 KiB message
//! and got its echo before going quiet (`idle_after_a_big_message`: the
//! read buffer that message needed must not stay with the connection).
//! Each request carries what a browser's does (a path, a cookie, an
//! origin, an agent), and each handler keeps its [`Accepted`] request for
//! as long as its connection lives, as an application's would.
//! Opt-in (each opens 10,000 sockets on each side):
//!
//! ```sh
//! cargo test -p rfc6455 --release --test soak -- --ignored --nocapture
//! SOAK_CONNECTIONS=2000 cargo test -p rfc6455 --test soak -- --ignored --nocapture
//! ```
//!
//! The server runs in a child process (this test binary again, running
//! `soak_server_process`), so its resident set is its own: the report is
//! the growth of the server's RSS divided by the connections held. Prints
//! a progress line every thousand connections, then the figure, checks
//! that the connections still echo, and fails if a connection costs more
//! than `SOAK_MAX_BYTES_PER_CONNECTION` (default 1,600 bytes; recorded runs
//! are in CHANGELOG.md).

use futures_util::{SinkExt, StreamExt};
use rfc6455::{Config, Message, Server};
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// VmRSS of `pid`, in bytes.
fn rss_of(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc");
    let kb: usize = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS");
    kb * 1024
}

/// The child: an echo server that prints its address and runs until its
/// stdin closes (the parent is done or gone).
#[test]
#[ignore = "the server half of `idle_connections`, started by it"]
fn soak_server_process() {
    if std::env::var_os("SOAK_SERVER").is_none() {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = Server::bind("127.0.0.1:0", Config::default())
            .await
            .unwrap()
            .max_connections(100_000);
        println!("ADDR {}", server.local_addr().unwrap());
        let handle = server.shutdown_handle();
        std::thread::spawn(move || {
            let _ = std::io::stdin().read_to_end(&mut Vec::new());
            handle.shutdown();
        });
        server
            .serve(|mut ws, accepted| async move {
                // A handler keeps what it was accepted with (path,
                // cookies, peer) for as long as the connection lives.
                while let Some(Ok(msg)) = ws.next().await {
                    if msg.is_data() && ws.send(msg).await.is_err() {
                        break;
                    }
                }
                assert_eq!(accepted.request.uri.path(), "/soak");
            })
            .await;
    });
}

#[test]
#[ignore = "opt-in soak: opens 10,000 connections (see the file's docs)"]
fn idle_connections() {
    soak(None);
}

#[test]
#[ignore = "opt-in soak: opens 10,000 connections, each sends 64 KiB (see the file's docs)"]
fn idle_after_a_big_message() {
    soak(Some(64 << 10));
}

/// Holds `SOAK_CONNECTIONS` connections to the child server, each first
/// echoing one message of `first_message` bytes if given, and checks what
/// each costs the server.
fn soak(first_message: Option<usize>) {
    let connections = env_usize("SOAK_CONNECTIONS", 10_000);
    let max_per_connection = env_usize("SOAK_MAX_BYTES_PER_CONNECTION", 1_600);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "soak_server_process", "--nocapture"])
        .env("SOAK_SERVER", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the server printed its address")
            .unwrap();
        if let Some(addr) = line.strip_prefix("ADDR ") {
            break addr.to_owned();
        }
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let per_connection = runtime.block_on(async {
        let url = format!("ws://{addr}/soak");
        // What a browser's request brings: a cookie, an origin, an agent.
        let request = || {
            http::Request::get(&url)
                .header("Cookie", "session=3f9a1c0b7d2e4f6a8b1c; theme=dark")
                .header("Origin", "https://app.example.com")
                .header("User-Agent", "soak/1.0 (rfc6455 test)")
                .body(())
                .unwrap()
        };
        // Warm the server up (its runtime, allocator arenas) first.
        let mut warm = Vec::new();
        for _ in 0..10 {
            warm.push(rfc6455::connect(request()).await.unwrap());
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let before = rss_of(pid);
        let start = Instant::now();
        let mut held = Vec::with_capacity(connections);
        while held.len() < connections {
            let (mut ws, _) = rfc6455::connect(request()).await.unwrap();
            if let Some(size) = first_message {
                let message = Message::binary(vec![0x5a; size]);
                ws.send(message.clone()).await.unwrap();
                assert_eq!(ws.next().await.unwrap().unwrap(), message);
            }
            held.push(ws);
            if held.len() % 1000 == 0 {
                println!(
                    "soak: {:>6} connections, server RSS {:>7} KiB, {:.1} s",
                    held.len(),
                    rss_of(pid) / 1024,
                    start.elapsed().as_secs_f64()
                );
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let after = rss_of(pid);
        let per_connection = after.saturating_sub(before) / connections;
        println!(
            "soak: {connections} idle connections{}: server RSS {} KiB -> {} KiB, {per_connection} bytes per connection",
            first_message.map_or(String::new(), |n| format!(" after a {n}-byte message")),
            before / 1024,
            after / 1024
        );
        // Still alive: a few of them echo.
        for ws in held.iter_mut().step_by((connections / 10).max(1)) {
            ws.send(Message::text("ping?")).await.unwrap();
            let reply = tokio::time::timeout(Duration::from_secs(10), ws.next())
                .await
                .expect("echo in time");
            assert_eq!(reply.unwrap().unwrap(), Message::text("ping?"));
        }
        per_connection
    });
    drop(child.stdin.take());
    let _ = child.wait();
    assert!(
        per_connection <= max_per_connection,
        "{per_connection} bytes per idle connection, over {max_per_connection}"
    );
}
