//! The echo servers the comparison and its tests run as child processes.

use std::process::Child;

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
