//! What rfc6455's tests, fuzz checks and benches share, in one crate (the
//! shape of h2's `tests/h2-support`): so that tests read like the RFC, and
//! a helper is written once.
//!
//! - [`wire`]: a second, RFC-literal implementation of the frame format:
//!   raw frame builders that can break any rule, and a decoder to check
//!   what a connection wrote against.
//! - [`conn`]: one `Connection` driven by hand (feed bytes, collect events,
//!   decode the output).
//! - [`pair`]: a client and a server `Connection` talking in memory.
//! - [`rng`]: seeded randomness, so a random test fails the same way twice.
//! - `bench` (feature `bench`): what the criterion benches share.
//! - `report` (feature `report`): the typed formats of
//!   `reports/bench/*.json`, one type per file for its writer and the
//!   report page, its reader.
//! - `echo_checks` (feature `tokio`): what the tests of the hyper and axum
//!   examples check of a running echo server.
//! - `peer` (feature `tokio`): raw TCP peers that send crafted bytes, or
//!   stop reading; raw servers that answer our client's handshake with
//!   anything.
//! - `memory` (feature `tokio`): this process's resident set, and a
//!   budget that one scenario at a time must stay within.
//! - [`polls`]: how many times a future was polled (no busy loop).
//! - `tls` (feature `tls`): a private CA, rustls configurations, a wss://
//!   echo server.
//! - `proxies` (feature `tls`): real HTTP `CONNECT` and SOCKS5 proxies
//!   (`tinyproxy`, `danted`), installed if missing and started per test.
//! - `traces` (feature `tracing`): a `tracing` subscriber that keeps the
//!   events it saw, with the fields of their spans.
//! - [`checks`]: the fuzz targets' checks, which `tests/fuzz_regressions.rs`
//!   replays under `cargo test`.
//!
//! Not published; never a dependency of the library itself.

#[cfg(feature = "bench")]
pub mod bench;
pub mod checks;
pub mod conn;
#[cfg(feature = "tokio")]
pub mod echo_checks;
#[cfg(feature = "tokio")]
pub mod memory;
pub mod pair;
#[cfg(feature = "tokio")]
pub mod peer;
pub mod polls;
#[cfg(feature = "tls")]
pub mod proxies;
#[cfg(feature = "report")]
pub mod report;
#[cfg(feature = "tls")]
pub mod tls;
#[cfg(feature = "tracing")]
pub mod traces;
pub mod wire;

pub use conn::*;
pub use pair::{Direction, Pair};
pub use rand;
pub use wire::*;

/// Seeded randomness: a generator that yields the same sequence for the
/// same seed, so a test that found a failure finds it again.
pub mod rng {
    pub use rand::rngs::StdRng;
    pub use rand::{Rng, SeedableRng};

    /// The generator of `seed`.
    pub fn seeded(seed: u64) -> StdRng {
        StdRng::seed_from_u64(seed)
    }
}

/// A TCP port free on 127.0.0.1 now, for a child process to listen on
/// (another process could take it first: bind it soon).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Installs the first of `packages` that Debian's apt-get installs (as
/// root), running `apt-get update` once if none does with the lists at
/// hand; the error holds apt-get's messages. For test peers and tools the
/// tests fetch themselves rather than skip.
pub fn apt_install(packages: &[&str]) -> Result<(), String> {
    use std::process::{Command, Stdio};
    let apt = |args: &[&str]| match Command::new("apt-get")
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null())
        .output()
    {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
        Err(e) => Err(format!("cannot run apt-get: {e}")),
    };
    let mut why = String::new();
    for update in [false, true] {
        if update {
            if let Err(e) = apt(&["update", "-qq"]) {
                why.push_str(&e);
            }
        }
        for package in packages {
            match apt(&["install", "-y", "-qq", package]) {
                Ok(()) => return Ok(()),
                Err(e) => why.push_str(&e),
            }
        }
    }
    Err(format!(
        "apt-get install {} failed: {why}",
        packages.join(" or ")
    ))
}
