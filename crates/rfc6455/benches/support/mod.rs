//! What the benches share: reading this run's times back from criterion's
//! files, pairing each benchmark with the reference it is measured
//! against in the same run, and writing those ratios to
//! `reports/bench/<bench>.json` for the report page (`scripts/report.sh`).
//! Each bench prints its own table from the same rows.
//!
//! The JSON format is documented in `reports/README.md`.

// Each bench is its own crate and uses only part of this module.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::SystemTime;

/// Which of criterion's numbers stands for a benchmark's time.
#[derive(Clone, Copy)]
pub(crate) enum Statistic {
    /// One iteration of the fastest sample: what a shared machine's lost
    /// time slices rarely reach (masking, against memcpy).
    Fastest,
    /// Criterion's mean estimate (deflate: long iterations, steady).
    Mean,
}

impl Statistic {
    fn name(self) -> &'static str {
        match self {
            Statistic::Fastest => "fastest sample",
            Statistic::Mean => "mean",
        }
    }
}

/// How a row's ratio is formed from its two times.
#[derive(Clone, Copy)]
pub(crate) enum Ratio {
    /// Reference time / time: above 1 is faster than the reference.
    Speedup,
    /// Time / reference time: 1 is no overhead, above 1 slower.
    Overhead,
}

/// One benchmark against its reference, both from this run.
pub(crate) struct Row {
    /// Criterion's id without the group: `avx2/4KiB`.
    pub(crate) name: String,
    /// The reference's id: `memcpy/4KiB`.
    pub(crate) reference: String,
    pub(crate) ratio: f64,
    /// Nanoseconds per iteration (per `Statistic`).
    pub(crate) time_ns: f64,
    pub(crate) reference_ns: f64,
}

/// The ratios of one bench run.
pub(crate) struct Ratios {
    bench: &'static str,
    group: &'static str,
    statistic: Statistic,
    ratio: Ratio,
    /// Results older than this are another run's (a filtered run leaves
    /// them behind).
    since: SystemTime,
    pub(crate) rows: Vec<Row>,
}

impl Ratios {
    /// Call before the benchmarks run: results older than now are ignored.
    pub(crate) fn new(
        bench: &'static str,
        group: &'static str,
        statistic: Statistic,
        ratio: Ratio,
    ) -> Ratios {
        Ratios {
            bench,
            group,
            statistic,
            ratio,
            since: SystemTime::now(),
            rows: Vec::new(),
        }
    }

    /// Pairs `function/param` with `reference/param` when this run measured
    /// both, and keeps the row.
    pub(crate) fn add(&mut self, function: &str, reference: &str, param: &str) -> Option<&Row> {
        let time_ns = self.time_ns(function, param)?;
        let reference_ns = self.time_ns(reference, param)?;
        let ratio = match self.ratio {
            Ratio::Speedup => reference_ns / time_ns,
            Ratio::Overhead => time_ns / reference_ns,
        };
        self.rows.push(Row {
            name: format!("{function}/{param}"),
            reference: format!("{reference}/{param}"),
            ratio,
            time_ns,
            reference_ns,
        });
        self.rows.last()
    }

    /// The row of `function/param`, if measured.
    pub(crate) fn get(&self, function: &str, param: &str) -> Option<&Row> {
        let name = format!("{function}/{param}");
        self.rows.iter().find(|r| r.name == name)
    }

    /// One benchmark's time in nanoseconds, if this run measured it.
    fn time_ns(&self, function: &str, param: &str) -> Option<f64> {
        // Criterion writes `a/b` of a function name as `a_b`.
        let dir = criterion_dir()
            .join(self.group)
            .join(function.replace('/', "_"))
            .join(param)
            .join("new");
        let file = dir.join(match self.statistic {
            Statistic::Fastest => "sample.json",
            Statistic::Mean => "estimates.json",
        });
        if std::fs::metadata(&file).ok()?.modified().ok()? < self.since {
            return None;
        }
        let json: serde_json::Value = serde_json::from_slice(&std::fs::read(file).ok()?).ok()?;
        match self.statistic {
            Statistic::Fastest => {
                let iters = json["iters"].as_array()?;
                let times = json["times"].as_array()?;
                iters
                    .iter()
                    .zip(times)
                    .filter_map(|(n, t)| Some(t.as_f64()? / n.as_f64()?))
                    .min_by(f64::total_cmp)
            }
            Statistic::Mean => json["mean"]["point_estimate"].as_f64(),
        }
    }

    /// Prints every row: benchmark, reference, both times and the ratio.
    pub(crate) fn print(&self, title: &str) {
        println!("\n{title}");
        println!(
            "{:<28} {:<28} {:>12} {:>12} {:>7}",
            "benchmark", "reference", "time", "reference", "ratio"
        );
        for row in &self.rows {
            println!(
                "{:<28} {:<28} {:>12} {:>12} {:>7.2}",
                row.name,
                row.reference,
                human_ns(row.time_ns),
                human_ns(row.reference_ns),
                row.ratio
            );
        }
        if self.rows.is_empty() {
            println!("(nothing measured in this run)");
        }
    }

    /// Writes the rows to `reports/bench/<bench>.json` (`$BENCH_REPORT_DIR`
    /// instead, if set) and says where; a run that measured nothing writes
    /// nothing, so the last full run's file stays.
    pub(crate) fn write_json(&self) {
        if self.rows.is_empty() {
            println!("\nno ratio measured in this run: reports/bench/ left as it was");
            return;
        }
        let rows: Vec<serde_json::Value> = self
            .rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "name": r.name,
                    "reference": r.reference,
                    "ratio": r.ratio,
                    "time_ns": r.time_ns,
                    "reference_ns": r.reference_ns,
                })
            })
            .collect();
        let (ratio, higher_is_better) = match self.ratio {
            Ratio::Speedup => ("reference time / time", true),
            Ratio::Overhead => ("time / reference time", false),
        };
        let json = serde_json::json!({
            "bench": self.bench,
            "command": format!("cargo bench -p rfc6455 --bench {}", self.bench),
            "ratio": ratio,
            "higher_is_better": higher_is_better,
            "statistic": self.statistic.name(),
            "rows": rows,
        });
        let dir = std::env::var_os("BENCH_REPORT_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace_root().join("reports/bench"));
        let path = dir.join(format!("{}.json", self.bench));
        let text = serde_json::to_string_pretty(&json).expect("JSON of plain numbers") + "\n";
        match std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, text)) {
            Ok(()) => {
                let path = path.canonicalize().unwrap_or(path);
                println!("\nratios written to {}", path.display());
            }
            Err(e) => println!("\ncannot write {}: {e}", path.display()),
        }
    }
}

/// A time in the unit that suits it.
fn human_ns(ns: f64) -> String {
    match ns {
        ns if ns < 1e3 => format!("{ns:.1} ns"),
        ns if ns < 1e6 => format!("{:.2} µs", ns / 1e3),
        ns => format!("{:.2} ms", ns / 1e6),
    }
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Where criterion wrote its results.
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return home.into();
    }
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
        .join("criterion")
}
