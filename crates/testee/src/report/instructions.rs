//! `reports/bench/instructions.json`, as `scripts/bench.sh` writes it
//! (`bench-report instructions`, `crates/bench/src/instructions.rs`):
//! Callgrind instruction counts per benchmark against a saved baseline.
//! The fields the page shows, read as the writer names them; the bench
//! crate is no dependency of this one (it pulls in the peer crates).

use serde::Deserialize;

/// The file.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct InstructionsFile {
    /// The Callgrind event counted: `Ir`.
    pub event: String,
    /// `run`, `save` or `compare`.
    pub mode: String,
    /// The baseline's name, if any.
    pub baseline: Option<String>,
    /// The change in percent that counts as a regression or improvement.
    pub limit_pct: f64,
    /// One per benchmark, in the run's order.
    pub rows: Vec<InstructionRow>,
}

/// One benchmark's count.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct InstructionRow {
    /// `group::function(setup(args))`.
    pub name: String,
    /// Instructions now.
    pub now: u64,
    /// Instructions in the baseline, if there is one.
    pub baseline: Option<u64>,
    /// `(now - baseline) / baseline` in percent (only with a baseline).
    #[serde(default)]
    pub change_pct: Option<f64>,
    /// `REGRESSION`, `improved` or `same` (only with a baseline).
    #[serde(default)]
    pub verdict: Option<String>,
}
