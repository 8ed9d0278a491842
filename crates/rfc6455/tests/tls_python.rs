//! Interop over `wss://` with another implementation: the Python
//! `websockets` library (tests/peers/wss_peer.py), in both roles, with
//! certificates made at test time.
//!
//! The peer installs itself: the first test to need it runs `python3 -m
//! pip install --target` into cargo's scratch folder for integration tests
//! (`CARGO_TARGET_TMPDIR`), once; later runs reuse that folder. Only
//! `python3` with `pip` must be there (Debian: `apt-get install
//! python3-pip`). When the install fails the tests fail and say why: a
//! silent skip would hide that interop was never checked.
#![cfg(feature = "rustls")]

use futures_util::{SinkExt, StreamExt};
use rfc6455::{CloseCode, CloseFrame, Config, Message};
use rfc6455_test_support::tls::{echo_server, Pki, Served};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const LIMIT: Duration = Duration::from_secs(60);

fn peer_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/wss_peer.py")
}

/// The `websockets` release the peer is written for: 15 brought the
/// asyncio API that wss_peer.py uses; the upper bound keeps a future major
/// release from changing it under us.
const WEBSOCKETS: &str = "websockets>=15,<18";

/// The folder that holds `websockets` for the peer, installed on first use
/// (once per test binary; the folder is kept for later runs).
fn websockets_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("python-websockets-15-18");
        if !importable(&dir) {
            install_websockets(&dir);
        }
        dir
    })
}

/// Whether `python3` imports the asyncio API of `websockets` from `dir`.
fn importable(dir: &Path) -> bool {
    dir.is_dir()
        && std::process::Command::new("python3")
            .env("PYTHONPATH", dir)
            .args([
                "-c",
                "import websockets.asyncio.client, websockets.asyncio.server",
            ])
            .output()
            .is_ok_and(|out| out.status.success())
}

/// Installs `websockets` into `dir` with pip, beside it first and then
/// renamed, so an interrupted install never leaves a half folder behind.
fn install_websockets(dir: &Path) {
    let partial = dir.with_extension(format!("partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&partial);
    eprintln!(
        "installing {WEBSOCKETS} for the interop peer into {}",
        dir.display()
    );
    let out = std::process::Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(["--no-input", "--target"])
        .arg(&partial)
        .arg(WEBSOCKETS)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run python3 ({e}): the wss:// interop test needs python3 with pip \
                 (Debian: apt-get install python3-pip)"
            )
        });
    assert!(
        out.status.success(),
        "`python3 -m pip install --target {} '{WEBSOCKETS}'` failed ({}); the wss:// interop \
         test needs it (python3 with pip, and PyPI reachable):\n{}{}",
        partial.display(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(dir);
    if let Err(e) = std::fs::rename(&partial, dir) {
        // Another test process installed it at the same moment: use theirs.
        let _ = std::fs::remove_dir_all(&partial);
        assert!(
            importable(dir),
            "cannot move {} to {}: {e}",
            partial.display(),
            dir.display()
        );
    }
    assert!(
        importable(dir),
        "python3 cannot import websockets from {} right after installing it",
        dir.display()
    );
}

fn python(args: &[&str]) -> Command {
    let mut command = Command::new("python3");
    command
        .env("PYTHONPATH", websockets_dir())
        .arg(peer_script())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// Waits for the child and returns its stdout, failing with its stderr.
async fn finish(child: Child, what: &str) -> String {
    let out = tokio::time::timeout(LIMIT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within {LIMIT:?}"))
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn deflate_config() -> Config {
    // websockets offers and accepts permessage-deflate by default: both
    // extensions meet over TLS too.
    Config::default().deflate(rfc6455::deflate::DeflateConfig::default())
}

#[tokio::test]
async fn our_client_to_a_python_wss_server() {
    let pki = Pki::new();
    let dir = pki.write_files();
    let (cert, key) = (dir.path().join("server.pem"), dir.path().join("server.key"));
    let mut server = python(&["server", cert.to_str().unwrap(), key.to_str().unwrap()])
        .spawn()
        .expect("spawn python3");

    // The server prints its port once it listens.
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(LIMIT, lines.next_line())
        .await
        .expect("the python server did not start in time")
        .unwrap();
    let Some(port) = first.as_deref().and_then(|l| l.strip_prefix("PORT ")) else {
        let out = server.wait_with_output().await.unwrap();
        panic!(
            "the python server did not start: {first:?}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };

    let url = format!("wss://localhost:{port}/");
    tokio::time::timeout(LIMIT, async {
        let (mut ws, _) = rfc6455::connect_with_connector(&url, deflate_config(), pki.connector())
            .await
            .expect("wss:// connect to python");
        let large: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        for msg in [
            Message::text("hello from rust"),
            Message::binary(vec![0u8, 1, 2, 0xff]),
            Message::binary(large),
            Message::text("é".repeat(40_000)),
        ] {
            ws.send(msg.clone()).await.unwrap();
            assert_eq!(ws.next().await.expect("an echo").unwrap(), msg);
        }
        ws.close(CloseCode::from(4003), "rust done").await.unwrap();
    })
    .await
    .expect("the exchange with the python server timed out");

    let closed = tokio::time::timeout(LIMIT, lines.next_line())
        .await
        .expect("the python server did not report the close")
        .unwrap();
    assert_eq!(closed.as_deref(), Some("CLOSED 4003 rust done"));
    let status = tokio::time::timeout(LIMIT, server.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "python server: {status}");
}

#[tokio::test]
async fn a_python_wss_client_to_our_server() {
    let pki = Pki::new();
    let dir = pki.write_files();
    let ca = dir.path().join("ca.pem");
    let (port, mut served) = echo_server(pki.acceptor(), deflate_config(), 1).await;

    let url = format!("wss://localhost:{port}/");
    let client = python(&["client", &url, ca.to_str().unwrap()])
        .spawn()
        .expect("spawn python3");
    let stdout = finish(client, "the python client").await;
    assert_eq!(stdout.trim(), "OK");

    match tokio::time::timeout(LIMIT, served.recv()).await.unwrap() {
        Some(Served::Closed {
            last: Some(Message::Close(Some(frame))),
            sni,
            alpn,
        }) => {
            assert_eq!(frame, CloseFrame::new(4002, "python done"));
            assert_eq!(sni.as_deref(), Some("localhost"));
            // websockets sets no ALPN; a server must not insist on it.
            assert_eq!(alpn, None);
        }
        other => panic!("our server saw {other:?}"),
    }
}
