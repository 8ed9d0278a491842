//! Frame headers (RFC 6455 §5.2): `FrameHeader::decode` and `encode` at
//! each length form (7-, 16- and 64-bit), against the floor of the same
//! job measured in the same run: reading (or writing) the header's bytes
//! with no check at all. The ratio is our time over the floor's (1.00 =
//! the checks cost nothing). Written to `reports/bench/frame.json`.
//!
//! `cargo bench -p rfc6455 --bench frame`

use criterion::{BenchmarkId, Criterion};
use rfc6455::frame::{FrameHeader, OpCode};
use rfc6455_test_support::bench::{run, Ratio, Ratios, Statistic};
use std::hint::black_box;
use std::time::Duration;

const GROUP: &str = "frame";
const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
const LENGTHS: [(&str, u64); 3] = [("len7", 100), ("len16", 1000), ("len64", 100_000)];

/// The floor: what any decoder must read (FIN, opcode, length, key), no
/// validation.
fn floor_decode(buf: &[u8]) -> (u8, u64, [u8; 4], usize) {
    let (len, at) = match buf[1] & 0x7f {
        126 => (u64::from(u16::from_be_bytes([buf[2], buf[3]])), 4),
        127 => (u64::from_be_bytes(buf[2..10].try_into().unwrap()), 10),
        n => (u64::from(n), 2),
    };
    let key = buf[at..at + 4].try_into().unwrap();
    (buf[0], len, key, at + 4)
}

/// The floor of encoding: the same bytes, written with no decision.
fn floor_encode(len: u64, out: &mut Vec<u8>) {
    out.push(0x82);
    match len {
        0..=125 => out.push(0x80 | len as u8),
        126..=0xffff => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(0x80 | 127);
            out.extend_from_slice(&len.to_be_bytes());
        }
    }
    out.extend_from_slice(&KEY);
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group(GROUP);
    for (label, len) in LENGTHS {
        let mut bytes = Vec::new();
        FrameHeader::new(true, OpCode::Binary, Some(KEY), len).encode(&mut bytes);
        group.bench_function(BenchmarkId::new("decode", label), |b| {
            b.iter(|| FrameHeader::decode(black_box(&bytes)))
        });
        group.bench_function(BenchmarkId::new("floor_decode", label), |b| {
            b.iter(|| floor_decode(black_box(&bytes)))
        });
        let mut out = Vec::with_capacity(16);
        group.bench_function(BenchmarkId::new("encode", label), |b| {
            b.iter(|| {
                out.clear();
                FrameHeader::new(true, OpCode::Binary, Some(KEY), black_box(len)).encode(&mut out);
                black_box(&out);
            })
        });
        group.bench_function(BenchmarkId::new("floor_encode", label), |b| {
            b.iter(|| {
                out.clear();
                floor_encode(black_box(len), &mut out);
                black_box(&out);
            })
        });
    }
    group.finish();
}

fn main() {
    let mut ratios = Ratios::new("frame", GROUP, Statistic::Fastest, Ratio::Overhead);
    let criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(1));
    run(criterion, benches);
    for (label, _) in LENGTHS {
        ratios.add("decode", "floor_decode", label);
        ratios.add("encode", "floor_encode", label);
    }
    ratios.print("frame headers: our time / the floor's (1.00 = checks for free), fastest samples");
    ratios.write_json();
}
