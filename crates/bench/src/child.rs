//! The servers the comparison and its tests run as child processes: echo
//! servers (`peer-echo`) and broadcast servers (`peer-broadcast`).

use std::process::Child;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Every implementation `peer-echo` serves, in the order the comparison
/// runs them.
pub const PEER_ECHO_IMPLS: [&str; 6] = [
    "ours",
    "ours-feed",
    "tungstenite",
    "fastwebsockets",
    "tokio-websockets",
    "floor",
];

/// Every implementation `peer-broadcast` serves, in the order the
/// comparison runs them: without permessage-deflate, then with it (one
/// compression per message, then one per connection).
pub const PEER_BROADCAST_IMPLS: [&str; 7] = [
    "ours",
    "tungstenite",
    "fastwebsockets",
    "tokio-websockets",
    "floor",
    "ours-deflate",
    "ours-deflate-per-conn",
];

/// An echo server running as a child process, on `port`; killed (and
/// reaped) when dropped, so a failed run leaves no server behind.
#[derive(Debug)]
pub struct Server {
    /// The process.
    pub child: Child,
    /// The loopback port it listens on.
    pub port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Connection errors a server logs; more are only counted (a benchmark's
/// 10,000 connections all end at once).
const LOGGED_ERRORS: usize = 5;

/// A server's log of its connections' errors: the first few, on stderr.
#[derive(Debug)]
pub struct ErrorLog {
    name: &'static str,
    count: AtomicUsize,
}

impl ErrorLog {
    /// A log whose lines start with `name`.
    pub const fn new(name: &'static str) -> Self {
        ErrorLog {
            name,
            count: AtomicUsize::new(0),
        }
    }

    /// Logs `error`, unless enough were.
    pub fn log(&self, error: impl std::fmt::Display) {
        if self.count.fetch_add(1, Ordering::Relaxed) < LOGGED_ERRORS {
            eprintln!("{}: {error}", self.name);
        }
    }
}

/// A server's runtime: a current-thread one (the server's CPU is one
/// core), with the open-file limit raised first for 10,000 clients.
pub fn server_runtime(name: &str) -> tokio::runtime::Runtime {
    if let Err(e) = crate::procfs::raise_nofile_limit() {
        eprintln!("{name}: cannot raise the open-file limit: {e}");
    }
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime")
}
