//! What rfc6455's tests, fuzz checks and benches share, in one crate (the
//! shape of h2's `tests/h2-support`): so that tests read like the RFC, and
//! a helper is written once.
//!
//! - [`wire`]: a second, RFC-literal implementation of the frame format:
//!   raw frame builders that can break any rule, and a decoder to check
//!   what a connection wrote against.
//! - [`conn`]: one `Connection` driven by hand (feed bytes, collect events,
//!   decode the output).
//! - [`checks`]: the fuzz targets' checks, which `tests/fuzz_regressions.rs`
//!   replays under `cargo test`.
//!
//! Not published; never a dependency of the library itself.

pub mod checks;
pub mod conn;
pub mod wire;

pub use conn::*;
pub use wire::*;
