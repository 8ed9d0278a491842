//! Comparison benchmarks of `rfc6455` against its peers: the pieces the
//! binaries share.
//!
//! - [`wire`]: the few bytes of RFC 6455 a load generator and a floor
//!   echo server need (handshake, frame headers, masking), written out
//!   plainly: no library logic to measure.
//! - [`procfs`]: CPU time and resident memory of a process from `/proc`,
//!   and the file-descriptor limit.
//! - [`child`]: the echo servers run as child processes (killed on drop)
//!   and the implementations `peer-echo` serves.
//! - [`loadgen`]: the load generator itself (`loadgen` is its command line).
//! - [`broadcast`]: the broadcast benchmark's messages, control lines and
//!   load side (`broadcast-load`); the servers are `peer-broadcast`.
//! - [`instructions`], [`wall`]: `scripts/bench.sh`'s tables and verdict
//!   from gungraun's and criterion's output (`bench-report`).
//!
//! This crate is a dependency of nothing; it keeps the peers out of the
//! library's dev-dependencies.

pub mod broadcast;
pub mod child;
pub mod instructions;
pub mod loadgen;
pub mod procfs;
pub mod wall;
pub mod wire;
