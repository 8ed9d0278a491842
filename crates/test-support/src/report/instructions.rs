//! The format of `reports/bench/instructions.json`: Callgrind instruction
//! counts per benchmark against a saved baseline. Written by
//! `scripts/bench.sh` through crates/bench's `bench-report instructions`
//! (which parses gungraun's output and judges the changes), read by the
//! report page.
//!
//! Field order is the file's (the shape of the Python script it replaced).

use serde::{Deserialize, Serialize};

/// The content of `reports/bench/instructions.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstructionsFile {
    /// Always `instructions`.
    pub suite: String,
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstructionRow {
    /// `group::function(setup(args))`: what was measured, on what input.
    pub name: String,
    /// Instructions now.
    pub now: u64,
    /// Instructions in the baseline, if there is one.
    pub baseline: Option<u64>,
    /// `(now - baseline) / baseline` in percent (only with a non-zero
    /// baseline; absent from the file otherwise).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub change_pct: Option<f64>,
    /// The change judged against [`InstructionsFile::limit_pct`] (only with
    /// a change; absent from the file otherwise).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub verdict: Option<Verdict>,
}

/// How a count compares with its baseline, given the limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// More than the limit slower: `REGRESSION`.
    #[serde(rename = "REGRESSION")]
    Regression,
    /// More than the limit faster: `improved`.
    #[serde(rename = "improved")]
    Improved,
    /// Within the limit: `same`.
    #[serde(rename = "same")]
    Same,
}

impl Verdict {
    /// The verdict on a change of `change_pct` percent under `limit_pct`:
    /// strictly beyond the limit counts.
    pub fn of(change_pct: f64, limit_pct: f64) -> Self {
        if change_pct > limit_pct {
            Self::Regression
        } else if change_pct < -limit_pct {
            Self::Improved
        } else {
            Self::Same
        }
    }

    /// As the file spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Regression => "REGRESSION",
            Self::Improved => "improved",
            Self::Same => "same",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::rewrite;

    /// The report page's fixture, as `bench-report` writes it: reading and
    /// writing it again gives the same bytes (field order, absent
    /// `change_pct` and `verdict` without a baseline, number format).
    #[test]
    fn round_trips_the_written_format() {
        let text =
            include_str!("../../../testee/tests/data/report/reports/bench/instructions.json");
        assert_eq!(rewrite::<InstructionsFile>(text), text);
    }

    #[test]
    fn verdict_is_spelled_as_serialized() {
        for verdict in [Verdict::Regression, Verdict::Improved, Verdict::Same] {
            let json = serde_json::to_string(&verdict).unwrap();
            assert_eq!(json, format!("\"{}\"", verdict.as_str()));
        }
    }

    #[test]
    fn verdict_is_strictly_beyond_the_limit() {
        assert_eq!(Verdict::of(1.0, 1.0), Verdict::Same);
        assert_eq!(Verdict::of(1.01, 1.0), Verdict::Regression);
        assert_eq!(Verdict::of(-1.0, 1.0), Verdict::Same);
        assert_eq!(Verdict::of(-1.01, 1.0), Verdict::Improved);
    }
}
