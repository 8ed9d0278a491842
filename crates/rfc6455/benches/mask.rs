//! Masking throughput (RFC 6455 §5.3): every implementation this CPU runs
//! and the dispatched `apply_mask`, against a memcpy of the same size
//! measured in the same run. The table printed at the end is memcpy's
//! time over ours, each from its fastest sample (above 1.00 = faster than
//! copying the payload): a ratio that holds on a noisy machine where the
//! times themselves do not. The same ratios go to `reports/bench/mask.json`
//! (see `rfc6455_test_support::bench`).
//!
//! `cargo bench -p rfc6455 --bench mask`

use criterion::{BenchmarkId, Criterion};
use rfc6455::mask::{apply_mask, implementations};
use rfc6455_test_support::bench::{
    bench_masking, masking_criterion, run, Ratio, Ratios, Statistic, MASK_SIZES as SIZES,
};
use rfc6455_test_support::KEY;
use std::hint::black_box;

const GROUP: &str = "mask";
/// The dispatched entry point's name in the results.
const DISPATCHED: &str = "apply_mask";

fn benches(c: &mut Criterion) {
    bench_masking(c, GROUP, |group, label, buf| {
        for imp in implementations() {
            group.bench_function(BenchmarkId::new(imp.name, label), |b| {
                b.iter(|| (imp.apply)(black_box(&mut *buf), black_box(KEY), 0))
            });
        }
        group.bench_function(BenchmarkId::new(DISPATCHED, label), |b| {
            b.iter(|| apply_mask(black_box(&mut *buf), black_box(KEY)))
        });
    });
}

/// Masking against memcpy, one row per implementation and size, from
/// the fastest samples.
///
/// The fastest sample rather than criterion's mean: on a shared machine,
/// time slices lost to other processes land in the mean (it moved by
/// half between runs here) but rarely in every iteration of a sample, so
/// the fastest sample is the uncontended cost, for memcpy and masking
/// alike.
fn print_ratios(ratios: &mut Ratios) {
    let mut names: Vec<&str> = implementations().iter().map(|i| i.name).collect();
    names.push(DISPATCHED);
    for (label, _) in SIZES {
        for name in &names {
            ratios.add(name, "memcpy", label);
        }
    }
    println!(
        "\nmasking in place: memcpy time / masking time, fastest samples \
         (above 1.00 = faster than memcpy)"
    );
    print!("{:<6} {:>12}", "size", "memcpy");
    for name in &names {
        print!(" {name:>10}");
    }
    println!();
    for (label, size) in SIZES {
        let Some(memcpy) = names
            .iter()
            .find_map(|name| ratios.get(name, "memcpy", label))
            .map(|row| row.reference_ns)
        else {
            println!("{label:<6} (not measured in this run)");
            continue;
        };
        // Bytes per nanosecond is GB/s.
        print!("{label:<6} {:>7.1} GB/s", size as f64 / memcpy);
        for name in &names {
            match ratios.get(name, "memcpy", label) {
                Some(row) => print!(" {:>10.2}", row.ratio),
                None => print!(" {:>10}", "-"),
            }
        }
        println!();
    }
}

fn main() {
    let mut ratios = Ratios::new("mask", GROUP, Statistic::Fastest, Ratio::Speedup);
    run(masking_criterion(), benches);
    print_ratios(&mut ratios);
    ratios.write_json();
}
