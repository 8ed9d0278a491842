//! permessage-deflate throughput: the connection's compress (send) and
//! inflate (receive) paths against flate2's raw stream doing the same
//! DEFLATE work, in the same run. The ratio printed at the end is the
//! framing overhead (1.00 = none), which holds on a noisy machine where
//! the times themselves do not. The same ratios go to
//! `reports/bench/deflate.json` (see `support`).
//!
//! `cargo bench -p rfc6455 --bench deflate`

use criterion::{BenchmarkId, Criterion, Throughput};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use rfc6455::deflate::{DeflateConfig, DeflateParams};
use rfc6455::{Config, Connection, Message, Role};
use rfc6455_test_support::bench::{run, Ratio, Ratios, Statistic};
use std::hint::black_box;

const SIZE: usize = 64 << 10;
const GROUP: &str = "deflate";

/// JSON-like text: repetitive structure, varying numbers.
fn text_payload() -> Vec<u8> {
    let mut out = String::new();
    let mut i = 0u64;
    while out.len() < SIZE {
        out.push_str(&format!(
            "{{\"id\":{i},\"name\":\"user{}\",\"score\":{},\"tags\":[\"a\",\"b{}\"]}},",
            i * 7 % 1000,
            i * i % 9973,
            i % 13
        ));
        i += 1;
    }
    out.truncate(SIZE);
    out.into_bytes()
}

/// Binary: a noisy signal, compressible but far from text.
fn binary_payload() -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    (0..SIZE)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((i as f64 / 40.0).sin() * 100.0) as u8 ^ (state as u8 & 0x0f)
        })
        .collect()
}

fn params() -> DeflateParams {
    // No context takeover: every message stands alone, so the same
    // compressed bytes can be inflated again and again.
    DeflateParams {
        server_no_context_takeover: true,
        client_no_context_takeover: true,
        ..DeflateParams::default()
    }
}

fn config() -> Config {
    Config::default().deflate(DeflateConfig::default())
}

fn raw_compress(compress: &mut Compress, input: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.reserve(input.len() + 64);
    compress
        .compress_vec(input, out, FlushCompress::Sync)
        .unwrap();
    compress.reset();
}

fn raw_inflate(decompress: &mut Decompress, input: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.reserve(SIZE + 64);
    decompress
        .decompress_vec(input, out, FlushDecompress::Sync)
        .unwrap();
    decompress.reset(false);
}

fn benches(c: &mut Criterion) {
    let level = DeflateConfig::default().level;
    let mut group = c.benchmark_group(GROUP);
    group.throughput(Throughput::Bytes(SIZE as u64));
    for (kind, payload) in [("text", text_payload()), ("binary", binary_payload())] {
        let message = match kind {
            "text" => Message::text(String::from_utf8(payload.clone()).unwrap()),
            _ => Message::binary(payload.clone()),
        };

        let mut compress = Compress::new_with_window_bits(Compression::new(level), false, 15);
        let mut out = Vec::new();
        group.bench_function(BenchmarkId::new("compress/flate2", kind), |b| {
            b.iter(|| raw_compress(&mut compress, black_box(&payload), &mut out))
        });
        let mut server = Connection::with_deflate(Role::Server, config(), Some(params()));
        group.bench_function(BenchmarkId::new("compress/connection", kind), |b| {
            b.iter(|| {
                server.send(black_box(message.clone())).unwrap();
                let n = server.pending_output().len();
                server.advance_output(n);
            })
        });

        // The wire form of one compressed message, as a client sends it.
        let mut client = Connection::with_deflate(Role::Client, config(), Some(params()));
        client.send(message.clone()).unwrap();
        let frame = client.pending_output().to_vec();
        let mut compressed = Vec::new();
        raw_compress(&mut compress, &payload, &mut compressed);

        let mut decompress = Decompress::new_with_window_bits(false, 15);
        group.bench_function(BenchmarkId::new("inflate/flate2", kind), |b| {
            b.iter(|| raw_inflate(&mut decompress, black_box(&compressed), &mut out))
        });
        let mut receiver = Connection::with_deflate(Role::Server, config(), Some(params()));
        group.bench_function(BenchmarkId::new("inflate/connection", kind), |b| {
            b.iter(|| {
                receiver.receive(black_box(&frame));
                black_box(receiver.next_event().unwrap().unwrap());
            })
        });
    }
    group.finish();
}

/// The connection against flate2 for each path and payload, from
/// criterion's means.
fn print_ratios(ratios: &mut Ratios) {
    println!("\npermessage-deflate: connection time / flate2 raw time (1.00 = no overhead)");
    println!(
        "{:<10} {:<8} {:>10} {:>12} {:>7}",
        "path", "payload", "flate2", "connection", "ratio"
    );
    for path in ["compress", "inflate"] {
        for kind in ["text", "binary"] {
            let reference = format!("{path}/flate2");
            match ratios.add(&format!("{path}/connection"), &reference, kind) {
                Some(row) => println!(
                    "{path:<10} {kind:<8} {:>8.1}µs {:>10.1}µs {:>7.2}",
                    row.reference_ns / 1e3,
                    row.time_ns / 1e3,
                    row.ratio
                ),
                None => println!("{path:<10} {kind:<8} (not measured in this run)"),
            }
        }
    }
}

fn main() {
    let mut ratios = Ratios::new("deflate", GROUP, Statistic::Mean, Ratio::Overhead);
    run(Criterion::default(), benches);
    print_ratios(&mut ratios);
    ratios.write_json();
}
