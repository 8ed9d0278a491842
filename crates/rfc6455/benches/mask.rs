//! Masking throughput (RFC 6455 §5.3): every implementation this CPU runs
//! and the dispatched `apply_mask`, against a memcpy of the same size
//! measured in the same run. The table printed at the end is memcpy's
//! time over ours, each from its fastest sample (above 1.00 = faster than
//! copying the payload): a ratio that holds on a noisy machine where the
//! times themselves do not. The same ratios go to `reports/bench/mask.json`
//! (see `support`).
//!
//! `cargo bench -p rfc6455 --bench mask`

use criterion::{BenchmarkId, Criterion, Throughput};
use rfc6455::mask::{apply_mask, implementations};
use std::hint::black_box;
use std::time::Duration;
use support::{Ratio, Ratios, Statistic};

mod support;

const GROUP: &str = "mask";
const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
const SIZES: [(&str, usize); 5] = [
    ("16B", 16),
    ("128B", 128),
    ("4KiB", 4 << 10),
    ("64KiB", 64 << 10),
    ("1MiB", 1 << 20),
];
/// The dispatched entry point's name in the results.
const DISPATCHED: &str = "apply_mask";

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + 7) as u8).collect()
}

const PAGE: usize = 4096;

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group(GROUP);
    for (label, size) in SIZES {
        group.throughput(Throughput::Bytes(size as u64));

        // memcpy's speed depends on where its buffers sit: on AMD Zen,
        // glibc's `rep movsb` runs ~20x slower when the destination is a
        // few bytes past the source modulo 4 KiB, as two Vecs allocated
        // one after the other can be. So both start on a cache line, half
        // a page apart modulo 4 KiB: memcpy at its best, the reference
        // hardest to beat.
        let mut copy_storage = vec![0; 2 * size + 4 * PAGE];
        let src_at = copy_storage.as_ptr().align_offset(PAGE);
        let dst_at = src_at + size.next_multiple_of(PAGE) + PAGE / 2;
        let (front, back) = copy_storage.split_at_mut(dst_at);
        let src = &mut front[src_at..src_at + size];
        src.copy_from_slice(&payload(size));
        let dst = &mut back[..size];
        group.bench_function(BenchmarkId::new("memcpy", label), |b| {
            b.iter(|| {
                dst.copy_from_slice(black_box(&*src));
                black_box(&mut *dst);
            })
        });

        // In place, as the connection masks, on a buffer that also starts
        // on a cache line. It flips between masked and unmasked, which
        // costs the same.
        let mut mask_storage = vec![0; size + 64];
        let at = mask_storage.as_ptr().align_offset(64);
        let buf = &mut mask_storage[at..at + size];
        buf.copy_from_slice(&payload(size));
        for imp in implementations() {
            group.bench_function(BenchmarkId::new(imp.name, label), |b| {
                b.iter(|| (imp.apply)(black_box(&mut *buf), black_box(KEY), 0))
            });
        }
        group.bench_function(BenchmarkId::new(DISPATCHED, label), |b| {
            b.iter(|| apply_mask(black_box(&mut *buf), black_box(KEY)))
        });
    }
    group.finish();
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
            .find_map(|name| ratios.get(name, label))
            .map(|row| row.reference_ns)
        else {
            println!("{label:<6} (not measured in this run)");
            continue;
        };
        // Bytes per nanosecond is GB/s.
        print!("{label:<6} {:>7.1} GB/s", size as f64 / memcpy);
        for name in &names {
            match ratios.get(name, label) {
                Some(row) => print!(" {:>10.2}", row.ratio),
                None => print!(" {:>10}", "-"),
            }
        }
        println!();
    }
}

fn main() {
    let mut ratios = Ratios::new("mask", GROUP, Statistic::Fastest, Ratio::Speedup);
    // Short by default: 5 sizes x 6 functions in under two minutes. 50
    // samples are plenty for the fastest one, and let scalar finish
    // 1 MiB in 2 s.
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
        .configure_from_args();
    benches(&mut criterion);
    criterion.final_summary();
    print_ratios(&mut ratios);
    ratios.write_json();
}
