//! Broadcast, sans IO: one message queued on 1,000 server connections
//! with `send_prepared` (framed, and compressed, once) against `send` on
//! each (framed and compressed per connection), in the same run. The
//! ratio is `send`'s time over `send_prepared`'s (above 1: the prepared
//! message is that many times cheaper). Each iteration prepares the
//! message, queues it on every connection, then marks every connection's
//! output written. Written to `reports/bench/broadcast.json`.
//!
//! `cargo bench -p rfc6455 --bench broadcast`

use criterion::{BenchmarkId, Criterion};
use rfc6455::deflate::{DeflateConfig, DeflateParams};
use rfc6455::{Config, Connection, Message, PreparedMessage, Role};
use rfc6455_test_support::bench::{payload, run, Ratio, Ratios, Statistic};
use std::hint::black_box;
use std::time::Duration;

const GROUP: &str = "broadcast";
const CONNECTIONS: usize = 1_000;

/// (label, payload length, permessage-deflate without context takeover).
const CASES: [(&str, usize, bool); 3] = [
    ("text_1k", 1 << 10, false),
    ("binary_64k", 64 << 10, false),
    ("deflate_16k", 16 << 10, true),
];

fn connections(deflate: bool) -> Vec<Connection> {
    let config = std::sync::Arc::new(Config::default().deflate(DeflateConfig::default()));
    let params = deflate.then(|| DeflateParams {
        server_no_context_takeover: true,
        ..DeflateParams::default()
    });
    (0..CONNECTIONS)
        .map(|_| Connection::with_deflate(Role::Server, config.clone(), params))
        .collect()
}

fn written(conns: &mut [Connection]) {
    for conn in conns {
        let n = conn.pending_output_len();
        conn.advance_output(n);
    }
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group(GROUP);
    for (label, len, deflate) in CASES {
        // Text-like bytes: compressible, as chat and feeds are.
        let data: Vec<u8> = payload(len).iter().map(|b| b'a' + b % 16).collect();
        let data = bytes::Bytes::from(data);
        let mut conns = connections(deflate);
        group.bench_function(BenchmarkId::new("send", label), |b| {
            b.iter(|| {
                let message = Message::binary(data.clone());
                for conn in &mut conns {
                    conn.send(black_box(message.clone())).unwrap();
                }
                written(&mut conns);
            })
        });
        group.bench_function(BenchmarkId::new("send_prepared", label), |b| {
            b.iter(|| {
                let message = PreparedMessage::binary(data.clone());
                for conn in &mut conns {
                    conn.send_prepared(black_box(&message)).unwrap();
                }
                written(&mut conns);
            })
        });
    }
    group.finish();
}

fn main() {
    let mut ratios = Ratios::new("broadcast", GROUP, Statistic::Mean, Ratio::Speedup);
    let criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    run(criterion, benches);
    for (label, _, _) in CASES {
        ratios.add("send_prepared", "send", label);
    }
    ratios.print(
        "broadcast to 1,000 connections: send's time / send_prepared's (above 1 = cheaper), means",
    );
    ratios.write_json();
}
