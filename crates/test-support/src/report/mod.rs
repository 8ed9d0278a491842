//! The formats of `reports/bench/*.json` (feature `report`): one type per
//! file, written by its producer and read by the report page (`testee`'s
//! `report`), so that both sides agree on one type rather than on field
//! names spelled twice.
//!
//! - [`ratios`]: `reports/bench/<bench>.json`, one criterion bench run's
//!   ratios (written by `bench`, feature `bench`).
//! - [`instructions`]: `reports/bench/instructions.json`, Callgrind
//!   instruction counts against a baseline (written by crates/bench's
//!   `bench-report instructions`).
//! - [`peers`]: `reports/bench/peers.json`, the echo servers of rfc6455
//!   and its peers under the same loads (written by crates/bench's
//!   `compare`).
//!
//! Serde and serde_json alone: the writers and the reader (which pulls in
//! neither criterion nor the peer crates) both depend on it.

pub mod instructions;
pub mod peers;
pub mod ratios;

/// `text` read as a `T` and written again as the writers write it
/// (pretty, with a final newline): the round-trip tests' common step.
#[cfg(test)]
fn rewrite<T: serde::Serialize + serde::de::DeserializeOwned>(text: &str) -> String {
    let file: T = serde_json::from_str(text).unwrap();
    serde_json::to_string_pretty(&file).unwrap() + "\n"
}
