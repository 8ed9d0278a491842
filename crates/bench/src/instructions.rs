//! Instruction counts: reads what gungraun prints with
//! `--output-format=json` (one benchmark summary per line), compares each
//! benchmark's Callgrind `Ir` total with the saved baseline gungraun put
//! beside it, and renders the table and `reports/bench/instructions.json`
//! of `scripts/bench.sh` (its format, [`InstructionsFile`], is the
//! report page's, in `rfc6455_test_support::report::instructions`).
//!
//! Runs nothing: `scripts/bench.sh` runs the suite, `bench-report
//! instructions` turns its output into the verdict.

use rfc6455_test_support::report::instructions::{InstructionRow, InstructionsFile, Verdict};
use serde::Deserialize;
use std::fmt::Write as _;

/// The part of one gungraun benchmark summary this module reads.
#[derive(Deserialize)]
struct Summary {
    #[serde(default)]
    module_path: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    profiles: Vec<Profile>,
}

#[derive(Deserialize)]
struct Profile {
    #[serde(default)]
    tool: String,
    data: Option<ProfileData>,
}

#[derive(Deserialize)]
struct ProfileData {
    total: ProfileTotal,
}

#[derive(Deserialize)]
struct ProfileTotal {
    metrics: Metrics,
}

#[derive(Deserialize)]
struct Metrics {
    #[serde(rename = "Ir")]
    ir: Option<MetricResult>,
}

#[derive(Deserialize)]
struct MetricResult {
    values: Values,
}

/// gungraun's `values`: the new count, the baseline's, or both.
#[derive(Deserialize)]
struct Values {
    new: Option<u64>,
    old: Option<u64>,
}

/// The rows of gungraun's JSON-lines output: lines that do not start with
/// `{` are skipped, and so are summaries without a Callgrind `Ir` total.
pub fn parse(output: &str, limit_pct: f64) -> Result<Vec<InstructionRow>, serde_json::Error> {
    let mut rows = Vec::new();
    for line in output.lines().map(str::trim) {
        if !line.starts_with('{') {
            continue;
        }
        let summary: Summary = serde_json::from_str(line)?;
        let values = summary
            .profiles
            .into_iter()
            .find(|p| p.tool == "Callgrind")
            .and_then(|p| p.data)
            .and_then(|d| d.total.metrics.ir)
            .map(|ir| ir.values);
        let Some(Values {
            new: Some(now),
            old,
        }) = values
        else {
            continue;
        };
        let module = summary.module_path.as_deref().unwrap_or("?");
        let group = module.split_once("::").map_or(module, |(_, rest)| rest);
        let name = format!("{group}{}", summary.description.unwrap_or_default());
        rows.push(row(name, now, old, limit_pct));
    }
    Ok(rows)
}

/// A row, with its change and verdict when there is a non-zero baseline.
pub fn row(name: String, now: u64, baseline: Option<u64>, limit_pct: f64) -> InstructionRow {
    let change_pct = baseline
        .filter(|&b| b != 0)
        .map(|b| (now as f64 - b as f64) / b as f64 * 100.0);
    InstructionRow {
        name,
        now,
        baseline,
        change_pct,
        verdict: change_pct.map(|c| Verdict::of(c, limit_pct)),
    }
}

/// Whether the run should fail: a regression in `compare` mode.
pub fn failed(report: &InstructionsFile) -> bool {
    report.mode == "compare" && count(report, Verdict::Regression) > 0
}

/// The rows of `report` with `verdict`.
fn count(report: &InstructionsFile, verdict: Verdict) -> usize {
    report
        .rows
        .iter()
        .filter(|r| r.verdict == Some(verdict))
        .count()
}

/// The table (benchmark, baseline, now, change, verdict) and its one-line
/// summary.
pub fn table(report: &InstructionsFile) -> String {
    let width = report.rows.iter().map(|r| r.name.len()).max().unwrap_or(0);
    let width = width.max(9);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<width$} {:>14} {:>14} {:>9}  verdict",
        "benchmark", "baseline", "now", "change"
    );
    for r in &report.rows {
        let now = thousands(r.now);
        match (r.baseline, r.change_pct, r.verdict) {
            (Some(base), Some(change), Some(verdict)) => {
                let _ = writeln!(
                    out,
                    "{:<width$} {:>14} {now:>14} {change:>+8.2}%  {}",
                    r.name,
                    thousands(base),
                    verdict.as_str()
                );
            }
            _ => {
                let _ = writeln!(
                    out,
                    "{:<width$} {:>14} {now:>14} {:>9}  (no baseline)",
                    r.name, "-", "-"
                );
            }
        }
    }
    let compared = report.rows.iter().filter(|r| r.baseline.is_some()).count();
    let with = report
        .baseline
        .as_deref()
        .map_or(String::new(), |name| format!(" with baseline {name}"));
    let _ = writeln!(
        out,
        "\n{} benchmarks (instructions, Ir), {compared} compared{with}, limit {}%: \
         {} regression(s), {} improvement(s)",
        report.rows.len(),
        report.limit_pct,
        count(report, Verdict::Regression),
        count(report, Verdict::Improved)
    );
    out
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two summaries as gungraun 0.20 prints them with
    /// `--output-format=json` (trimmed to the fields read, plus a few
    /// beside them), and a line of its progress output.
    const OUTPUT: &str = include_str!("../tests/data/gungraun.jsonl");

    #[test]
    fn parses_callgrind_ir_and_names() {
        let rows = parse(OUTPUT, 1.0).unwrap();
        assert_eq!(
            rows,
            vec![
                InstructionRow {
                    name: "frame::frame_decode(encoded_header(16))".into(),
                    now: 1010,
                    baseline: Some(1000),
                    change_pct: Some(1.0),
                    verdict: Some(Verdict::Same),
                },
                InstructionRow {
                    name: "masking::mask(buffer(4096))".into(),
                    now: 2000,
                    baseline: None,
                    change_pct: None,
                    verdict: None,
                },
            ]
        );
    }

    #[test]
    fn no_verdict_on_a_zero_baseline() {
        assert_eq!(row("x".into(), 5, Some(0), 1.0).verdict, None);
    }

    #[test]
    fn table_and_exit_verdict() {
        let report = InstructionsFile {
            suite: "instructions".into(),
            event: "Ir".into(),
            mode: "compare".into(),
            baseline: Some("main".into()),
            limit_pct: 1.0,
            rows: vec![
                row("frame::decode".into(), 1_050_000, Some(1_000_000), 1.0),
                row("mask::apply".into(), 980, Some(1000), 1.0),
                row("utf8::validate_long_name".into(), 7, None, 1.0),
            ],
        };
        let expected = "\
benchmark                      baseline            now    change  verdict
frame::decode                 1,000,000      1,050,000    +5.00%  REGRESSION
mask::apply                       1,000            980    -2.00%  improved
utf8::validate_long_name              -              7         -  (no baseline)

3 benchmarks (instructions, Ir), 2 compared with baseline main, limit 1%: 1 regression(s), 1 improvement(s)
";
        assert_eq!(table(&report), expected);
        assert!(failed(&report));
        let save = InstructionsFile {
            mode: "save".into(),
            ..report
        };
        assert!(!failed(&save));
    }

    #[test]
    fn json_keeps_the_python_shape() {
        let report = InstructionsFile {
            suite: "instructions".into(),
            event: "Ir".into(),
            mode: "run".into(),
            baseline: None,
            limit_pct: 1.0,
            rows: vec![row("a".into(), 3, None, 1.0)],
        };
        assert_eq!(
            serde_json::to_string(&report).unwrap(),
            r#"{"suite":"instructions","event":"Ir","mode":"run","baseline":null,"limit_pct":1.0,"rows":[{"name":"a","now":3,"baseline":null}]}"#
        );
    }

    #[test]
    fn thousands_groups_by_three() {
        let cases = [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (123_456_789, "123,456,789"),
        ];
        for (n, grouped) in cases {
            assert_eq!(thousands(n), grouped);
        }
    }
}
