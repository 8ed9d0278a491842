//! Instruction counts of the hot paths, under Callgrind (gungraun): exact
//! and repeatable on a shared, noisy machine where wall-clock times are
//! not, so `scripts/bench.sh --compare NAME` can flag a change of a few
//! percent without false alarms.
//!
//! ```text
//! cargo bench -p rfc6455 --bench instructions                        # needs valgrind and gungraun-runner
//! cargo bench -p rfc6455 --bench instructions -- --save-baseline=main
//! cargo bench -p rfc6455 --bench instructions -- --baseline=main --callgrind-limits='ir=1%'
//! ```
//!
//! Each benchmark's setup (buffers, encoded frames, a connection) is not
//! counted; only the call under test is.

// gungraun's macros make a module per benchmark, without docs.
#![allow(missing_docs)]

use gungraun::{library_benchmark, library_benchmark_group, main};
use rfc6455::frame::{FrameHeader, OpCode};
use rfc6455::mask::{apply_mask, apply_mask_scalar};
use rfc6455::utf8::Utf8Validator;
use rfc6455::{Config, Connection, Message, Role};
use std::hint::black_box;

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

fn buffer(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[library_benchmark]
#[benches::apply_mask(args = [16, 128, 4096, 65536, 1 << 20], setup = buffer)]
fn mask(mut buf: Vec<u8>) -> Vec<u8> {
    apply_mask(black_box(&mut buf), black_box(KEY));
    buf
}

// The byte-wise §5.3 definition: the reference `mask` is measured against.
#[library_benchmark]
#[benches::scalar(args = [4096, 65536], setup = buffer)]
fn mask_scalar(mut buf: Vec<u8>) -> Vec<u8> {
    apply_mask_scalar(black_box(&mut buf), black_box(KEY), 0);
    buf
}

fn encoded_header(payload_len: u64) -> Vec<u8> {
    let mut out = Vec::new();
    FrameHeader::new(true, OpCode::Binary, Some(KEY), payload_len).encode(&mut out);
    out
}

#[library_benchmark]
#[benches::decode(args = [16, 1000, 70000], setup = encoded_header)]
fn frame_decode(bytes: Vec<u8>) -> Option<(FrameHeader, usize)> {
    black_box(FrameHeader::decode(black_box(&bytes)).unwrap())
}

#[library_benchmark]
#[benches::encode(args = [16, 1000, 70000])]
fn frame_encode(payload_len: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(14);
    FrameHeader::new(true, OpCode::Binary, Some(KEY), black_box(payload_len)).encode(&mut out);
    out
}

fn text(len: usize) -> Vec<u8> {
    "WebSocket κόσμε 🌍 "
        .bytes()
        .cycle()
        .take(len)
        .collect::<Vec<u8>>()
}

fn ascii(len: usize) -> Vec<u8> {
    b"plain ascii text "
        .iter()
        .copied()
        .cycle()
        .take(len)
        .collect()
}

// The incremental validator, fed the whole input at once.
#[library_benchmark]
#[benches::mixed(args = [64, 4096, 65536], setup = text)]
#[benches::ascii(args = [4096, 65536], setup = ascii)]
fn utf8_feed(input: Vec<u8>) -> bool {
    let mut validator = Utf8Validator::new();
    black_box(validator.feed(black_box(&input)).is_ok())
}

// `std::str::from_utf8` on the same input: the reference.
#[library_benchmark]
#[benches::mixed(args = [4096, 65536], setup = text)]
fn utf8_std(input: Vec<u8>) -> bool {
    black_box(std::str::from_utf8(black_box(&input)).is_ok())
}

/// A server connection with `count` masked client frames of `size` bytes
/// waiting in its input.
fn server_with_input(count: usize, size: usize) -> Connection {
    let mut client = Connection::new(Role::Client, Config::default());
    for _ in 0..count {
        client.send(Message::binary(vec![0x5a; size])).unwrap();
    }
    let mut server = Connection::new(Role::Server, Config::default());
    server.receive(client.pending_output());
    server
}

// What an echo server does with one read: take every message, queue its
// echo (coalesced in one output buffer).
#[library_benchmark]
#[bench::small_x16(args = (16, 16), setup = server_with_input)]
#[bench::large_x1(args = (1, 65536), setup = server_with_input)]
fn connection_echo(mut server: Connection) -> usize {
    while let Some(msg) = server.next_event().unwrap() {
        server.send(msg).unwrap();
    }
    black_box(server.pending_output().len())
}

library_benchmark_group!(name = masking, benchmarks = [mask, mask_scalar]);

library_benchmark_group!(name = framing, benchmarks = [frame_decode, frame_encode]);

library_benchmark_group!(name = utf8, benchmarks = [utf8_feed, utf8_std]);

library_benchmark_group!(name = connection, benchmarks = [connection_echo]);

main!(
    library_benchmark_groups = masking,
    framing,
    utf8,
    connection
);
