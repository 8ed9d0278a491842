//! Writes the checked-in seed corpora, `fuzz/corpus/<target>/`.
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --example make_corpus`
//!
//! Seeds are small and named after what they hold: the handshake test
//! vectors of `crates/rfc6455/tests/vectors/handshake/`, frames of RFC 6455
//! §5.7 and of every length encoding, and sessions in the byte layout the
//! structured targets decode (`crates/test-support/src/checks/connection.rs` `Op::decode`,
//! `roundtrip.rs`, `utf8.rs`), a proxy's answers and refusals with every
//! body framing (`proxy.rs`, `error_response.rs`), messages streamed both
//! ways (`streaming_receive.rs`, `streaming_send.rs`). Existing files are
//! overwritten, others kept.

use rfc6455_test_support::wire::{raw_frame, BINARY, CLOSE, CONTINUATION, PING, PONG, TEXT};
use std::fs;
use std::path::{Path, PathBuf};

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

fn write(root: &Path, target: &str, name: &str, data: &[u8]) {
    let dir = root.join(target);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join(name), data).unwrap();
}

/// A frame op of `connection.rs`: opcode index and FIN in `b`, masked as
/// the peer must mask (flags 0), delivered whole or split (`split` ≥ 32).
fn frame_op(b: u8, split: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let mut out = vec![0, b, split << 2];
    match payload.len() {
        len @ 0..=127 => out.push(len as u8),
        len => {
            out.push(0xc0);
            out.extend_from_slice(&(len as u16 & 0x3fff).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
    if masked {
        out.extend_from_slice(&KEY);
    }
    out
}

/// `b` values of `frame_op`: FIN is bit 0 clear, the opcode index bits 1–3.
const TEXT_FIN: u8 = 1 << 1;
const TEXT_MORE: u8 = (1 << 1) | 1;
const BINARY_FIN: u8 = 2 << 1;
const CLOSE_FIN: u8 = 3 << 1;
const PING_FIN: u8 = 4 << 1;
const PONG_FIN: u8 = 5 << 1;
const CONT_FIN: u8 = 0;

fn sessions(masked: bool) -> Vec<(&'static str, Vec<u8>)> {
    let key = |mut v: Vec<u8>| {
        if masked {
            v.extend_from_slice(&KEY);
        }
        v
    };
    vec![
        (
            "text-hello",
            [vec![0], frame_op(TEXT_FIN, 0, b"Hello", masked)].concat(),
        ),
        (
            "fragmented-text-ping-between",
            [
                vec![0],
                frame_op(TEXT_MORE, 0, "κό".as_bytes(), masked),
                frame_op(PING_FIN, 0, b"ping", masked),
                frame_op(CONT_FIN, 40, "σμε".as_bytes(), masked),
            ]
            .concat(),
        ),
        (
            "binary-16-bit-length-split",
            [vec![0], frame_op(BINARY_FIN, 77, &[0xab; 300], masked)].concat(),
        ),
        (
            "close-1000-reason",
            [vec![0], frame_op(CLOSE_FIN, 0, b"\x03\xe8bye", masked)].concat(),
        ),
        (
            "send-then-close-then-close-reply",
            [
                vec![0],
                vec![6, 0, 5, b'h', b'e', b'l', b'l', b'o'],
                vec![
                    7, 0, 3, 10, b'g', b'o', b'i', b'n', b'g', b' ', b'a', b'w', b'a', b'y',
                ],
                vec![8, 0xff],
                frame_op(PONG_FIN, 0, b"late", masked),
                key(vec![4, 2, 0]), // a Close frame with code CODES[0], no reason
            ]
            .concat(),
        ),
        (
            "limits-message-too-long",
            [
                vec![2],
                frame_op(TEXT_MORE, 0, &[b'a'; 90], masked),
                frame_op(CONT_FIN, 0, &[b'b'; 20], masked),
            ]
            .concat(),
        ),
        (
            "invalid-utf8-fails-fast",
            [
                vec![0],
                frame_op(TEXT_FIN, 50, b"ok\xf4\x90\x80\x80", masked),
            ]
            .concat(),
        ),
        (
            "valid-text-fragments",
            [
                vec![0],
                vec![5, 12],
                "καλημέρα".as_bytes().to_vec(),
                vec![0b0110_0010, 3, 7],
                key(vec![]),
                key(vec![]),
                key(vec![]),
                vec![0],
            ]
            .concat(),
        ),
        (
            "ping-pong-advance",
            [
                vec![0],
                key(vec![9, 4, 1, 2, 3, 4]),
                vec![8, 1],
                vec![6, 2, 3, 1, 2, 3],
            ]
            .concat(),
        ),
    ]
}

fn main() {
    let fuzz = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = fuzz.join("corpus");
    let vectors = fuzz.join("../crates/rfc6455/tests/vectors/handshake");

    // Handshakes: the library's own vectors.
    for entry in fs::read_dir(&vectors).expect("handshake vectors") {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let target = if name.starts_with("request-") {
            "handshake_request"
        } else if name.starts_with("response-") {
            "handshake_response"
        } else {
            continue;
        };
        write(&root, target, &name, &fs::read(&path).unwrap());
    }

    // Frame headers: §5.7's examples and every length encoding's edges.
    let headers: &[(&str, Vec<u8>)] = &[
        (
            "rfc-5-7-hello-unmasked",
            raw_frame(true, 0, TEXT, None, b"Hello"),
        ),
        (
            "rfc-5-7-hello-masked",
            raw_frame(true, 0, TEXT, Some(KEY), b"Hello"),
        ),
        (
            "rfc-5-7-fragment-hel",
            raw_frame(false, 0, TEXT, None, b"Hel"),
        ),
        (
            "rfc-5-7-fragment-lo",
            raw_frame(true, 0, CONTINUATION, None, b"lo"),
        ),
        (
            "rfc-5-7-ping-masked",
            raw_frame(true, 0, PING, Some(KEY), b"Hello"),
        ),
        (
            "len-125",
            raw_frame(true, 0, BINARY, None, &[0; 125])[..2].to_vec(),
        ),
        (
            "len-126",
            raw_frame(true, 0, BINARY, Some(KEY), &[0; 126])[..8].to_vec(),
        ),
        (
            "len-65535",
            raw_frame(true, 0, BINARY, None, &[0; 65535])[..4].to_vec(),
        ),
        (
            "len-65536",
            raw_frame(true, 0, BINARY, Some(KEY), &[0; 65536])[..14].to_vec(),
        ),
        ("rsv-all", vec![0xf2, 0x80, 1, 2, 3, 4]),
        ("close-empty", vec![0x88, 0x00]),
        ("pong-125", vec![0x8a, 125]),
        ("reserved-opcode-3", vec![0x83, 0x00]),
        ("control-too-long", vec![0x89, 126, 0, 126]),
        (
            "top-bit-length",
            [vec![0x82, 127, 0x80], vec![0; 7]].concat(),
        ),
    ];
    for (name, data) in headers {
        write(&root, "frame_parser", name, data);
        write(&root, "differential_frame", name, data);
    }

    // Whole streams for the differential connection level.
    let stream = |masked: bool| {
        let mask = masked.then_some(KEY);
        [
            raw_frame(false, 0, TEXT, mask, "κό".as_bytes()),
            raw_frame(true, 0, PING, mask, b"p"),
            raw_frame(true, 0, CONTINUATION, mask, "σμε".as_bytes()),
            raw_frame(true, 0, BINARY, mask, &[7; 200]),
            raw_frame(true, 0, PONG, mask, b""),
            raw_frame(true, 0, CLOSE, mask, b"\x03\xe8done"),
        ]
        .concat()
    };
    write(
        &root,
        "differential_frame",
        "stream-from-client",
        &stream(true),
    );
    write(
        &root,
        "differential_frame",
        "stream-from-server",
        &stream(false),
    );

    // Sessions: the server's peer masks, the client's does not.
    for (name, data) in sessions(true) {
        write(&root, "connection_server", name, &data);
    }
    for (name, data) in sessions(false) {
        write(&root, "connection_client", name, &data);
    }

    // Round trips: role bit, then per message `b` (kind, codec, fragments,
    // interruption) and a length.
    let roundtrips: &[(&str, Vec<u8>)] = &[
        (
            "client-text-api",
            [vec![0, 0, 5], b"hello".to_vec()].concat(),
        ),
        ("server-binary-api", [vec![1, 1, 3], vec![1, 2, 3]].concat()),
        (
            "client-text-3-fragments-ping-between",
            [
                vec![0, 0b1001_1100, 9],
                "καλη".as_bytes().to_vec(),
                vec![30, 60, 90],
                vec![0; 40],
            ]
            .concat(),
        ),
        (
            "server-binary-16-bit",
            vec![1, 0b0000_1101, 0xf1, 200, 3, 1, 2, 3, 4],
        ),
        (
            "client-binary-64-bit",
            vec![0, 0b0000_0101, 0xff, 2, 9, 9, 9, 9, 9],
        ),
        (
            "ping-then-pong",
            vec![
                1, 2, 4, b'p', b'i', b'n', b'g', 3, 0, 5, 3, b'b', b'y', b'e',
            ],
        ),
        // Bit 1 of the first byte: permessage-deflate, then its parameters
        // byte, level and threshold.
        (
            "client-deflate-text",
            [
                vec![2, 0, 3, 0, 0, 60],
                "hello hello hello ".repeat(3).into_bytes(),
                vec![1, 0, 9],
            ]
            .concat(),
        ),
        (
            "server-deflate-no-takeover-small-windows",
            vec![3, 0b0000_0011, 6, 10, 1, 0xf2, 0, 0, 1, 200, 0],
        ),
    ];
    for (name, data) in roundtrips {
        write(&root, "roundtrip", name, data);
    }

    // Deflate, inflate mode (first byte bit 0 clear): window bits in bits
    // 1-3 (8 + n), no context takeover in bit 4; a limit selector (2: 1 MiB,
    // 0: the next byte); then per message a 16-bit length, the compressed
    // payload, and a cut count (0 here).
    fn inflate_seed(first: u8, limit: &[u8], messages: &[&[u8]]) -> Vec<u8> {
        let mut out = vec![first];
        out.extend_from_slice(limit);
        for message in messages {
            out.extend_from_slice(&(message.len() as u16).to_be_bytes());
            out.extend_from_slice(message);
            out.push(0);
        }
        out
    }
    // RFC 7692 §7.2.3.1-6.
    const HELLO: &[u8] = &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    const HELLO_AGAIN: &[u8] = &[0xf2, 0x00, 0x11, 0x00, 0x00];
    const STORED: &[u8] = &[
        0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
    ];
    const BFINAL: &[u8] = &[0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
    const TWO_BLOCKS: &[u8] = &[
        0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00,
    ];
    let bomb = {
        use flate2::{Compress, Compression, FlushCompress};
        let mut compress = Compress::new(Compression::best(), false);
        let mut out = Vec::with_capacity(4096);
        compress
            .compress_vec(&[0u8; 1 << 20], &mut out, FlushCompress::Sync)
            .unwrap();
        out.truncate(out.len() - 4);
        out
    };
    let deflates: &[(&str, Vec<u8>)] = &[
        (
            "inflate-rfc7692-hello-twice-takeover",
            inflate_seed(0x0e, &[2], &[HELLO, HELLO_AGAIN]),
        ),
        (
            "inflate-rfc7692-stored-bfinal-two-blocks-empty",
            inflate_seed(0x0e, &[2], &[STORED, BFINAL, TWO_BLOCKS, &[0x00]]),
        ),
        (
            "inflate-no-takeover-window-9",
            inflate_seed(0x12, &[0, 4], &[HELLO, HELLO]),
        ),
        (
            "inflate-bomb-1-mib-of-zeros-limit-4",
            inflate_seed(0x0e, &[0, 4], &[&bomb]),
        ),
        // Compress mode (bit 0 set): level (bits 5-7, plus the next byte
        // mod 3); then per message a kind byte (mod 5: empty, short bytes,
        // a piece repeated, a long pattern, an earlier message) and its
        // data.
        (
            "compress-window-15-level-3-texts-and-repeat",
            [
                vec![0x6f, 0, 1 | (5 << 2)],
                b"hello".to_vec(),
                vec![2 | (3 << 3), b'a', b'b', b'c', b'd', 0, 100, 0, 4, 0, 0],
            ]
            .concat(),
        ),
        (
            "compress-no-takeover-window-9-level-9",
            vec![0xf3, 2, 3, 0x10, 0x00, 0, 0, 4, 0],
        ),
        ("compress-window-8-refused", vec![0x01, 0, 1]),
    ];
    for (name, data) in deflates {
        write(&root, "deflate", name, data);
    }

    // UTF-8: split count, split points, text.
    let texts: &[(&str, &[u8])] = &[
        (
            "greek-split-in-characters",
            "\x03\x01\x03\x05κόσμε".as_bytes(),
        ),
        (
            "every-width",
            "\x02\x02\x07\u{7f}\u{80}\u{7ff}\u{800}\u{ffff}\u{10000}\u{10ffff}".as_bytes(),
        ),
        ("surrogate", b"\x01\x02ab\xed\xa0\x80cd"),
        ("past-u10ffff", b"\x01\x03ok\xf4\x90\x80\x80"),
        ("overlong", b"\x00\xc0\xaf"),
        ("truncated-emoji", b"\x01\x03ab\xf0\x9f\x98"),
        ("stray-continuation", b"\x00a\x80b"),
    ];
    for (name, data) in texts {
        write(&root, "utf8", name, data);
    }

    // A proxy's answers: HTTP CONNECT, then SOCKS5's method, auth, reply.
    let mut ipv6_reply = vec![5, 0, 0, 4];
    ipv6_reply.extend_from_slice(&[0; 15]);
    ipv6_reply.extend_from_slice(&[1, 0x1f, 0x90]);
    let proxy_answers: &[(&str, &[u8])] = &[
        (
            "http-200-established",
            b"HTTP/1.1 200 Connection established\r\n\r\n",
        ),
        (
            "http-1-0-200-then-tunnel-bytes",
            b"HTTP/1.0 200 OK\r\nProxy-Agent: x\r\n\r\n\x16\x03\x01\x00\x05",
        ),
        (
            "http-407",
            b"HTTP/1.1 407 Proxy Authentication Required\r\n\
              Proxy-Authenticate: Basic realm=\"p\"\r\nContent-Length: 0\r\n\r\n",
        ),
        ("http-not-http", b"SSH-2.0-OpenSSH_9.6\r\n\r\n"),
        ("socks5-method-none", &[5, 0]),
        ("socks5-method-user-pass", &[5, 2]),
        ("socks5-method-none-acceptable", &[5, 0xff]),
        ("socks5-auth-ok", &[1, 0]),
        ("socks5-auth-failed", &[1, 1]),
        ("socks5-reply-ipv4", &[5, 0, 0, 1, 127, 0, 0, 1, 0x1f, 0x90]),
        ("socks5-reply-ipv6", &ipv6_reply),
        (
            "socks5-reply-name",
            b"\x05\x00\x00\x03\x0bexample.com\x00\x50",
        ),
        ("socks5-reply-refused", &[5, 5, 0, 1, 0, 0, 0, 0, 0, 0]),
        ("socks5-reply-bad-address-type", &[5, 0, 0, 9]),
    ];
    for (name, data) in proxy_answers {
        write(&root, "proxy_answers", name, data);
    }

    // Refusals: a byte for the body limit, one for the reads, the response.
    let chunked = "HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n";
    let refusals: &[(&str, u8, String)] = &[
        (
            "content-length",
            3,
            "HTTP/1.1 401 Unauthorized\r\nContent-Length: 7\r\n\r\nno key!".into(),
        ),
        (
            "content-length-over-the-limit",
            2,
            "HTTP/1.1 403 Forbidden\r\nContent-Length: 12\r\n\r\nhello, world".into(),
        ),
        (
            "lying-content-length",
            3,
            "HTTP/1.1 401 Unauthorized\r\nContent-Length: 100\r\n\r\nonly this".into(),
        ),
        (
            "content-length-with-sign",
            3,
            "HTTP/1.1 401 Unauthorized\r\nContent-Length: +5\r\n\r\nhello, extra".into(),
        ),
        (
            "close-delimited",
            3,
            "HTTP/1.1 404 Not Found\r\n\r\nno such room".into(),
        ),
        (
            "no-body-status",
            3,
            "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello".into(),
        ),
        (
            "chunked-with-extension-and-trailers",
            3,
            format!("{chunked}4;ext=1\r\nback\r\n6\r\n soon!\r\n0\r\nRetry-After: 3\r\n\r\n"),
        ),
        (
            "chunked-lf-only-after-gzip",
            4,
            "HTTP/1.1 500 Oops\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\nabc\n0\n\n".into(),
        ),
        (
            "chunk-size-with-sign",
            3,
            format!("{chunked}+3\r\nabc\r\n0\r\n\r\n"),
        ),
        ("lying-chunk", 3, format!("{chunked}64\r\nonly this")),
        (
            "endless-chunk-size-line",
            3,
            format!("{chunked}{}", "1".repeat(1100)),
        ),
    ];
    for (i, (name, limit, response)) in refusals.iter().enumerate() {
        let mut data = vec![*limit, (i as u8).wrapping_mul(37) | 1];
        data.extend_from_slice(response.as_bytes());
        write(&root, "error_response", name, &data);
    }
    // Streaming receive (`streaming_receive.rs`): flags (bit 0: the
    // receiver is the client; bit 1: permessage-deflate; bits 2-4: the
    // limit, an index into LIMITS), the deflate parameters and level, then
    // per message an op byte (bits 0-1: 0 or 1; bit 2: Binary; bit 3: an
    // invalid sequence; bit 4: compressed; bits 6-7: cuts), its size, data,
    // cut points (u16), a control byte between fragments; the rest: piece
    // sizes. 0xc0: windows of 15 bits, context takeover.
    let streamed_in: &[(&str, Vec<u8>)] = &[
        (
            "text-fragmented-ping-between",
            [
                vec![0x10, 0x40, 11],
                b"hello world".to_vec(),
                vec![0, 5, 0x01, 4],
                b"ping".to_vec(),
                vec![3, 1, 7],
            ]
            .concat(),
        ),
        (
            "text-invalid-utf8-in-second-fragment",
            [
                vec![0x10, 0x48, 8],
                b"abcdefgh".to_vec(),
                vec![0, 0, 6, 0, 4, 0, 2],
            ]
            .concat(),
        ),
        (
            "deflate-text-fragmented-pong-between",
            [
                vec![0x12, 0xc0, 6, 0x50, 30],
                b"compress me, compress me again".to_vec(),
                vec![0, 3, 0x06, 2, b'p', b'o', 5, 9, 1],
            ]
            .concat(),
        ),
        (
            "binary-over-the-limit-in-its-second-frame",
            [
                vec![0x08, 0x44, 0xf0],
                vec![0x42; 126],
                vec![0, 100, 0, 4, 1],
            ]
            .concat(),
        ),
        (
            "deflate-64-kib-inflated-chunks",
            vec![0x1e, 0xc0, 1, 0x14, 0xff, 0x80, 0, 0x90],
        ),
        (
            "deflate-past-65536-within-the-first-fragment",
            vec![
                0x1a, 0x84, 0x7c, 0x75, 0xff, 0xff, 0x43, 0x41, 0xfa, 0x25, 6,
            ],
        ),
        (
            "client-close-mid-message",
            [
                vec![0x11, 0x40, 4],
                b"half".to_vec(),
                vec![0, 2, 0x03, 0, 3],
                b"bye".to_vec(),
            ]
            .concat(),
        ),
    ];
    for (name, data) in streamed_in {
        write(&root, "streaming_receive", name, data);
    }

    // Streaming send (`streaming_send.rs`): flags (bit 0: the sender is
    // the server; bit 1: permessage-deflate; bits 2-4: max_outgoing_frame_size;
    // bit 5: a small output bound, drained when full), the deflate
    // parameters, level and threshold, then per message an op byte (bits
    // 0-1: 0 or 1 data, 2 a control frame, 3 a fragment without a message;
    // bit 2: Binary; bit 3: in fragments; bit 4: an empty last fragment and
    // the calls refused meanwhile; bits 5-7: cuts), its length, data, cut
    // points (u16), a control byte between fragments; then maybe a Close.
    let streamed_out: &[(&str, Vec<u8>)] = &[
        (
            "client-text-in-three-fragments-ping-between",
            [
                vec![0x00, 0x48, 11],
                b"hello world".to_vec(),
                vec![0, 3, 0, 7, 0x01, 1, b'p', 0x00, 1, 0, 3],
                b"bye".to_vec(),
            ]
            .concat(),
        ),
        (
            "server-binary-fragments-of-2-bytes-refused-calls",
            vec![0x0d, 0x3c, 5, 1, 2, 3, 4, 5, 0, 2, 0x06, 0, 0],
        ),
        (
            "deflate-client-text-fragments-then-whole",
            [
                vec![0x02, 0xc0, 6, 0, 0x48, 40],
                b"fragments of one DEFLATE stream, 6.1 ok".to_vec(),
                vec![0, 10, 0, 30, 0x00, 0x00, 0x00, 5],
                b"again".to_vec(),
                vec![1, 1, 0],
            ]
            .concat(),
        ),
        (
            "deflate-no-takeover-server-whole-over-125",
            vec![0x13, 0xc3, 9, 10, 0x04, 0xf1, 0x02, 3, b'a', b'b', b'c'],
        ),
        (
            "small-output-bound-full-between-fragments",
            [
                vec![0x20, 0, 0x48, 0xf0],
                vec![b'x'; 126],
                vec![0, 40, 0, 80, 0, 0, 0x00, 100],
            ]
            .concat(),
        ),
        ("fragment-without-a-message", vec![0x00, 0x03, 0x07]),
        (
            "server-close-between-fragments",
            [
                vec![0x01, 0x28, 4],
                b"half".to_vec(),
                vec![0, 2, 0x03, 2, 0],
            ]
            .concat(),
        ),
    ];
    for (name, data) in streamed_out {
        write(&root, "streaming_send", name, data);
    }
    // Extended CONNECT (`extended_connect.rs`): flags (bits 0-1: method,
    // CONNECT first; bits 2-3: version, HTTP/2 first; bit 4: a :protocol;
    // bit 5: a scheme; bit 6: an authority), then lines: :protocol,
    // authority, path, header fields.
    let connects: &[(&str, u8, &str)] = &[
        (
            "websocket-with-subprotocols",
            0x70,
            "websocket\nexample.com\n/chat?room=1\nsec-websocket-version: 13\nsec-websocket-protocol: chat, superchat\norigin: https://example.com",
        ),
        (
            "host-instead-of-authority",
            0x30,
            "websocket\n\n/\nhost: example.com\nsec-websocket-version: 13",
        ),
        (
            "another-protocol",
            0x70,
            "webtransport\nexample.com\n/\nsec-websocket-version: 13",
        ),
        (
            "connection-specific-field",
            0x70,
            "WebSocket\nexample.com\n/\nsec-websocket-version: 13\nconnection: keep-alive\nte: trailers",
        ),
        (
            "http11-and-version-12",
            0x78,
            "websocket\nexample.com\n/\nsec-websocket-version: 12",
        ),
        ("no-protocol-get", 0x61, "\nexample.com\n/\nsec-websocket-version: 13"),
    ];
    for (name, flags, text) in connects {
        let mut data = vec![*flags];
        data.extend_from_slice(text.as_bytes());
        write(&root, "extended_connect", name, &data);
    }
    println!("seed corpora written to {}", root.display());
}
