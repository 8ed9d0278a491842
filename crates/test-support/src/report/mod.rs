//! The formats of `reports/bench/*.json` (feature `report`): one type per
//! file, written by its producer and read by the report page (`testee`'s
//! `report`), so that both sides agree on one type rather than on field
//! names spelled twice.
//!
//! - [`ratios`]: `reports/bench/<bench>.json`, one criterion bench run's
//!   ratios (written by `bench`, feature `bench`).
//!
//! Serde alone: the writers and the reader (which pulls in neither
//! criterion nor the peer crates) both depend on it.

pub mod ratios;

/// `text` read as a `T` and written again as the writers write it
/// (pretty, with a final newline): the round-trip tests' common step.
#[cfg(test)]
fn rewrite<T: serde::Serialize + serde::de::DeserializeOwned>(text: &str) -> String {
    let file: T = serde_json::from_str(text).unwrap();
    serde_json::to_string_pretty(&file).unwrap() + "\n"
}
