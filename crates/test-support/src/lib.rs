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
//!   stop reading.
//! - [`polls`]: how many times a future was polled (no busy loop).
//! - `tls` (feature `tls`): a private CA, rustls configurations, a wss://
//!   echo server.
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
pub mod pair;
#[cfg(feature = "tokio")]
pub mod peer;
pub mod polls;
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
