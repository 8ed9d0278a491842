//! What the benches share (feature `bench`): reading this run's times back from criterion's
//! files, pairing each benchmark with the reference it is measured
//! against in the same run, and writing those ratios to
//! `reports/bench/<bench>.json` for the report page (`scripts/report.sh`).
//! Each bench prints its own table from the same rows. Also the memcpy
//! reference and the buffers of the two masking benches (rfc6455's `mask`,
//! the bench crate's `unmask`).
//!
//! The JSON format is documented in `reports/README.md`.

use crate::report::ratios::BenchFile;
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// Runs `benches` with `criterion`, further configured by the command line
/// (`cargo bench -- <filter>`), then prints criterion's summary.
pub fn run(criterion: Criterion, benches: impl FnOnce(&mut Criterion)) {
    let mut criterion = criterion.configure_from_args();
    benches(&mut criterion);
    criterion.final_summary();
}

/// The payload sizes of the masking benches, with their labels.
pub const MASK_SIZES: [(&str, usize); 5] = [
    ("16B", 16),
    ("128B", 128),
    ("4KiB", 4 << 10),
    ("64KiB", 64 << 10),
    ("1MiB", 1 << 20),
];

/// A payload of `len` bytes, the same in every masking bench.
pub fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + 7) as u8).collect()
}

const PAGE: usize = 4096;

/// Benchmarks a memcpy of `size` bytes as `memcpy/<label>`, the reference
/// the masking benches measure against in the same run.
///
/// memcpy's speed depends on where its buffers sit: on AMD Zen, glibc's
/// `rep movsb` runs ~20x slower when the destination is a few bytes past
/// the source modulo 4 KiB, as two Vecs allocated one after the other can
/// be. So both start on a cache line, half a page apart modulo 4 KiB:
/// memcpy at its best, the reference hardest to beat.
pub fn bench_memcpy(group: &mut BenchmarkGroup<'_, WallTime>, label: &str, size: usize) {
    let mut storage = vec![0; 2 * size + 4 * PAGE];
    let src_at = storage.as_ptr().align_offset(PAGE);
    let dst_at = src_at + size.next_multiple_of(PAGE) + PAGE / 2;
    let (front, back) = storage.split_at_mut(dst_at);
    let src = &mut front[src_at..src_at + size];
    src.copy_from_slice(&payload(size));
    let dst = &mut back[..size];
    group.bench_function(BenchmarkId::new("memcpy", label), |b| {
        b.iter(|| {
            dst.copy_from_slice(black_box(&*src));
            black_box(&mut *dst);
        })
    });
}

/// The masking benches' loop: for every size of [`MASK_SIZES`], the
/// memcpy reference ([`bench_memcpy`]), then `functions(group, label, buf)`
/// to benchmark each masking function on `buf`, [`payload`]`(size)` in a
/// buffer that starts on a cache line. Masking is in place, as the
/// connection masks: each call flips `buf` between masked and unmasked,
/// which costs the same.
pub fn bench_masking(
    c: &mut Criterion,
    group: &str,
    mut functions: impl FnMut(&mut BenchmarkGroup<'_, WallTime>, &str, &mut [u8]),
) {
    let mut group = c.benchmark_group(group);
    for (label, size) in MASK_SIZES {
        group.throughput(Throughput::Bytes(size as u64));
        bench_memcpy(&mut group, label, size);
        let mut storage = vec![0; size + 64];
        let at = storage.as_ptr().align_offset(64);
        let buf = &mut storage[at..at + size];
        buf.copy_from_slice(&payload(size));
        functions(&mut group, label, buf);
    }
    group.finish();
}

/// The masking benches' criterion: short, 5 sizes x 6 functions in under
/// two minutes. 50 samples are plenty for the fastest one, and let scalar
/// finish 1 MiB in 2 s.
pub fn masking_criterion() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
}

/// Which of criterion's numbers stands for a benchmark's time.
#[derive(Clone, Copy)]
pub enum Statistic {
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
pub enum Ratio {
    /// Reference time / time: above 1 is faster than the reference.
    Speedup,
    /// Time / reference time: 1 is no overhead, above 1 slower.
    Overhead,
}

/// One benchmark against its reference, both from this run (a row of
/// `reports/bench/<bench>.json`).
pub use crate::report::ratios::BenchRow as Row;

/// The ratios of one bench run.
pub struct Ratios {
    bench: &'static str,
    group: &'static str,
    statistic: Statistic,
    ratio: Ratio,
    /// Results older than this are another run's (a filtered run leaves
    /// them behind).
    since: SystemTime,
    /// Every pair measured in this run, in the order added.
    pub rows: Vec<Row>,
}

impl Ratios {
    /// Call before the benchmarks run: results older than now are ignored.
    pub fn new(
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
    pub fn add(&mut self, function: &str, reference: &str, param: &str) -> Option<&Row> {
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

    /// The row of `function/param` against `reference/param`, if measured.
    pub fn get(&self, function: &str, reference: &str, param: &str) -> Option<&Row> {
        let name = format!("{function}/{param}");
        let reference = format!("{reference}/{param}");
        self.rows
            .iter()
            .find(|r| r.name == name && r.reference == reference)
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
    pub fn print(&self, title: &str) {
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
    pub fn write_json(&self) {
        if self.rows.is_empty() {
            println!("\nno ratio measured in this run: reports/bench/ left as it was");
            return;
        }
        let (ratio, higher_is_better) = match self.ratio {
            Ratio::Speedup => ("reference time / time", true),
            Ratio::Overhead => ("time / reference time", false),
        };
        let file = BenchFile {
            bench: self.bench.to_owned(),
            command: Some(format!(
                "cargo bench -p {} --bench {}",
                package(),
                self.bench
            )),
            ratio: ratio.to_owned(),
            higher_is_better,
            statistic: Some(self.statistic.name().to_owned()),
            rows: self.rows.clone(),
        };
        let dir = std::env::var_os("BENCH_REPORT_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace_root().join("reports/bench"));
        let path = dir.join(format!("{}.json", self.bench));
        let text = serde_json::to_string_pretty(&file).expect("JSON of plain numbers") + "\n";
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

/// The package whose bench is running (cargo sets it when it runs one).
fn package() -> String {
    std::env::var("CARGO_PKG_NAME").unwrap_or_else(|_| "rfc6455".to_owned())
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
