//! UTF-8 validation (RFC 6455 §8.1): the incremental `Utf8Validator`
//! (simdutf8 inside with the `simd` feature) against
//! `std::str::from_utf8` on the same input in the same run, for ASCII and
//! for mixed text (2-, 3- and 4-byte characters), whole and fed in 1 KiB
//! pieces. The ratio is std's time over ours (above 1.00 = faster than
//! std). Written to `reports/bench/utf8.json`.
//!
//! `cargo bench -p rfc6455 --bench utf8`

use criterion::{BenchmarkId, Criterion, Throughput};
use rfc6455::utf8::Utf8Validator;
use rfc6455_test_support::bench::{run, Ratio, Ratios, Statistic};
use std::hint::black_box;
use std::time::Duration;

const GROUP: &str = "utf8";
const SIZES: [(&str, usize); 3] = [("64B", 64), ("4KiB", 4 << 10), ("64KiB", 64 << 10)];

fn input(kind: &str, len: usize) -> Vec<u8> {
    let unit = match kind {
        "ascii" => "plain ascii text, as most chat messages are. ",
        _ => "WebSocket κόσμε 🌍 テキスト ",
    };
    let mut text: String = unit.chars().cycle().take(len).collect();
    while text.len() > len {
        text.pop();
    }
    text.into_bytes()
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group(GROUP);
    for kind in ["ascii", "mixed"] {
        for (label, size) in SIZES {
            let bytes = input(kind, size);
            let id = format!("{kind}_{label}");
            group.throughput(Throughput::Bytes(bytes.len() as u64));
            group.bench_function(BenchmarkId::new("std", &id), |b| {
                b.iter(|| std::str::from_utf8(black_box(&bytes)).is_ok())
            });
            group.bench_function(BenchmarkId::new("validator", &id), |b| {
                b.iter(|| {
                    let mut v = Utf8Validator::new();
                    v.feed(black_box(&bytes)).is_ok() && v.finish().is_ok()
                })
            });
            group.bench_function(BenchmarkId::new("validator_1KiB_pieces", &id), |b| {
                b.iter(|| {
                    let mut v = Utf8Validator::new();
                    bytes
                        .chunks(1024)
                        .all(|piece| v.feed(black_box(piece)).is_ok())
                        && v.finish().is_ok()
                })
            });
        }
    }
    group.finish();
}

fn main() {
    let mut ratios = Ratios::new("utf8", GROUP, Statistic::Fastest, Ratio::Speedup);
    let criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(1));
    run(criterion, benches);
    for kind in ["ascii", "mixed"] {
        for (label, _) in SIZES {
            let id = format!("{kind}_{label}");
            ratios.add("validator", "std", &id);
            ratios.add("validator_1KiB_pieces", "std", &id);
        }
    }
    ratios.print("UTF-8: std time / ours (above 1.00 = faster than std), fastest samples");
    ratios.write_json();
}
