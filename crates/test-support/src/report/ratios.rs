//! The format of `reports/bench/<bench>.json`: one bench run's ratios,
//! each benchmark against the reference measured beside it. Written by
//! `bench` (feature `bench`) at the end of a criterion run, read by the
//! report page.
//!
//! Field order is the file's and `reports/README.md`'s.

use serde::{Deserialize, Serialize};

/// The content of `reports/bench/<bench>.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchFile {
    /// `mask`.
    pub bench: String,
    /// How to run it again.
    #[serde(default)]
    pub command: Option<String>,
    /// How the ratio is formed: `reference time / time`.
    pub ratio: String,
    /// Whether a higher ratio is better.
    pub higher_is_better: bool,
    /// Which of criterion's numbers the times are: `fastest sample`, `mean`.
    #[serde(default)]
    pub statistic: Option<String>,
    /// One per benchmark.
    pub rows: Vec<BenchRow>,
}

/// One benchmark against its reference of the same run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchRow {
    /// Criterion's id without the group: `avx2/4KiB`.
    pub name: String,
    /// The reference's id: `memcpy/4KiB`.
    pub reference: String,
    /// As [`BenchFile::ratio`] says.
    pub ratio: f64,
    /// Nanoseconds per iteration.
    pub time_ns: f64,
    /// The reference's nanoseconds per iteration.
    pub reference_ns: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::rewrite;

    /// The report page's fixture, as the benches write it: reading and
    /// writing it again gives the same bytes (field order, number format).
    #[test]
    fn round_trips_the_written_format() {
        for text in [
            include_str!("../../../testee/tests/data/report/reports/bench/mask.json"),
            include_str!("../../../testee/tests/data/report/reports/bench/deflate.json"),
        ] {
            assert_eq!(rewrite::<BenchFile>(text), text);
        }
    }
}
