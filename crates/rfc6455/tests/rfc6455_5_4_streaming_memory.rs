//! RFC 6455 §5.4 with streaming receive over the tokio layer: a message far
//! bigger than any buffer (256 MiB by default, one 256 MiB frame and
//! fragments, plain and under permessage-deflate, RFC 7692) crosses real
//! loopback sockets into a `MessageReader` while this process's resident
//! set grows by less than a few MiB: the message is never held, and the
//! socket is read only as fast as the application consumes.
//!
//! `STREAM_MIB` sets the size (in MiB) of each message; the default is
//! 256 in release builds, 32 in debug ones (where the test's own checks
//! run at a few MB/s):
//!
//! ```sh
//! cargo test -p rfc6455 --release --test rfc6455_5_4_streaming_memory -- --nocapture
//! ```

use rfc6455::deflate::{DeflateConfig, Deflater};
use rfc6455::{Config, MessageKind, StreamEvent};
use rfc6455_test_support::memory::{rss, Budget};
use rfc6455_test_support::peer::raw_client;
use rfc6455_test_support::*;
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One block of the message, repeated: compressible, not trivially.
const BLOCK: usize = 1 << 20;

/// The bound on the growth of the resident set.
const MAX_GROWTH: usize = 8 << 20;

fn message_len() -> usize {
    let mib = std::env::var("STREAM_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if cfg!(debug_assertions) { 32 } else { 256 });
    mib << 20
}

fn block() -> Vec<u8> {
    (0..BLOCK)
        .map(|i| b"streamed payload, block by block "[(i * 7 / 5) % 33] ^ (i >> 13) as u8)
        .collect()
}

fn request(deflate: bool) -> String {
    let extension = if deflate {
        "Sec-WebSocket-Extensions: permessage-deflate\r\n"
    } else {
        ""
    };
    format!(
        "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         {extension}\r\n"
    )
}

/// A frame header as a client sends it (masked with [`KEY`]).
fn header(fin: bool, rsv: u8, opcode: u8, len: usize) -> Vec<u8> {
    let frame = raw_frame(fin, rsv, opcode, Some(KEY), &[]);
    let mut head = vec![frame[0]];
    match len {
        0..=125 => head.push(0x80 | len as u8),
        126..=0xffff => {
            head.push(0x80 | 126);
            head.extend((len as u16).to_be_bytes());
        }
        _ => {
            head.push(0x80 | 127);
            head.extend((len as u64).to_be_bytes());
        }
    }
    head.extend(KEY);
    head
}

/// Masked with [`KEY`] from phase 0 (a block is a multiple of 4 bytes, so
/// each starts at phase 0).
fn masked(data: &[u8]) -> Vec<u8> {
    let mut data = data.to_vec();
    mask_bytes(&mut data, KEY);
    data
}

/// Sends the message: one frame of `len` bytes, masked block by block.
async fn send_plain(stream: &mut TcpStream, len: usize) {
    let block = masked(&block());
    stream
        .write_all(&header(true, 0, BINARY, len))
        .await
        .unwrap();
    for _ in 0..len / BLOCK {
        stream.write_all(&block).await.unwrap();
    }
}

/// Sends the message compressed as one DEFLATE stream (RFC 7692 §6.1),
/// one frame per block, RSV1 on the first: each block compressed with the
/// context of the ones before (a sync flush each, its tail kept but for
/// the last block's, §7.2.1).
async fn send_deflated(stream: &mut TcpStream, len: usize) -> usize {
    let data = block();
    let mut deflater = Deflater::new(15, false, 1);
    let blocks = len / BLOCK;
    let mut wire = 0;
    for i in 0..blocks {
        let mut compressed = Vec::new();
        assert!(deflater.compress(&data, &mut compressed));
        let last = i + 1 == blocks;
        if !last {
            compressed.extend([0x00, 0x00, 0xff, 0xff]);
        }
        let (rsv, opcode) = if i == 0 {
            (0b100, BINARY)
        } else {
            (0, CONTINUATION)
        };
        let mut frame = header(last, rsv, opcode, compressed.len());
        frame.extend(masked(&compressed));
        wire += frame.len();
        stream.write_all(&frame).await.unwrap();
    }
    wire
}

/// Receives one message through a `MessageReader`, checking every byte
/// against the block; returns its length.
async fn receive(ws: &mut rfc6455::WebSocket<TcpStream>) -> usize {
    let expected = block();
    let mut reader = ws.message_reader();
    let mut buf = vec![0u8; 64 << 10];
    let mut at = 0;
    loop {
        let n = reader.read(&mut buf).await.expect("read");
        if n == 0 {
            break;
        }
        let mut piece = &buf[..n];
        while !piece.is_empty() {
            let offset = at % BLOCK;
            let take = piece.len().min(BLOCK - offset);
            assert!(piece[..take] == expected[offset..offset + take], "at {at}");
            piece = &piece[take..];
            at += take;
        }
    }
    assert!(reader.is_ended());
    assert_eq!(reader.kind(), Some(MessageKind::Binary));
    at
}

async fn big_message(deflate: bool) {
    let len = message_len();
    let budget = Budget::start(MAX_GROWTH).await;
    let before = rss();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let mut config = Config::default();
    if deflate {
        config = config.deflate(DeflateConfig::default());
    }
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut ws = rfc6455::accept_with_config(stream, config)
            .await
            .expect("handshake");
        let len = receive(&mut ws).await;
        // The connection goes on: the next message, and the Close.
        let next = ws.next_streamed().await.unwrap().unwrap();
        assert_eq!(
            next,
            StreamEvent::MessageStart {
                kind: MessageKind::Text
            }
        );
        let mut rest = Vec::new();
        while let Some(event) = ws.next_streamed().await {
            match event.unwrap() {
                StreamEvent::Data(chunk) => rest.extend_from_slice(&chunk),
                StreamEvent::MessageEnd => {}
                StreamEvent::Message(rfc6455::Message::Close(_)) => {}
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(rest, b"after");
        (len, rss())
    });
    let mut client = raw_client(&addr, request(deflate).as_bytes()).await;
    let started = Instant::now();
    let wire = if deflate {
        send_deflated(&mut client, len).await
    } else {
        send_plain(&mut client, len).await;
        len
    };
    client
        .write_all(&client_frame(true, TEXT, b"after"))
        .await
        .unwrap();
    client
        .write_all(&client_frame(true, CLOSE, &close_payload(1000, b"")))
        .await
        .unwrap();
    let mut rest = Vec::new();
    client.read_to_end(&mut rest).await.unwrap();
    let (received, at_end) = server.await.unwrap();
    assert_eq!(received, len);
    let grown = at_end.saturating_sub(before);
    println!(
        "streamed {} MiB (deflate: {deflate}, {} MiB on the wire) in {:.1?}: RSS grew by {} KiB",
        len >> 20,
        wire >> 20,
        started.elapsed(),
        grown >> 10
    );
    assert!(grown < MAX_GROWTH, "{grown}");
    drop(budget);
}

/// (c) A 256 MiB message in one frame (past `max_frame_size` and
/// `max_message_size`, which do not bound a streamed message) keeps the
/// resident set within a few MiB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_big_message_streams_in_bounded_memory() {
    big_message(false).await;
}

/// (d) The same, compressed: inflated in bounded chunks as it arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_big_deflated_message_streams_in_bounded_memory() {
    big_message(true).await;
}
