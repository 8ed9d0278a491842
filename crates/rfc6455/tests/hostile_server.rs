//! A hostile server attacks our client (issue 18, point 6), over real
//! loopback sockets: a raw TCP server (`peer::scripted_server`) answers
//! `connect` with malformed, lying, endless or dripping heads, and after a
//! good 101, with frames that break the RFC. Refusals with lying or
//! endless bodies are in `client_refusal.rs`.
//!
//! Each case asserts the exact typed error, that it came within the
//! configured timeout, and, once a connection is open, the Close code our
//! client sent the server (RFC 6455 §7.4.1). Modules follow the section
//! whose rule the server breaks. Every scenario holds a `memory::Budget`:
//! they run one at a time, and those that push on memory (an endless head,
//! a decompression bomb) bound this process's resident set.

use futures_util::StreamExt;
use rfc6455::deflate::DeflateConfig;
use rfc6455::handshake::{ClientRequest, ServerResponse};
use rfc6455::{
    CloseCode, Config, Error, HandshakeError, HandshakeLimit, MaybeTlsStream, ProtocolError,
    TimeoutKind, WebSocket,
};
use rfc6455_test_support::memory::{rss, Budget};
use rfc6455_test_support::peer::{
    client_close_code, hostile_server, read_until_closed, scripted_server, switching,
};
use rfc6455_test_support::*;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

/// Generous, for a loaded machine: what must happen at once happens
/// well within this. The timeout under test is `SHORT`.
const BOUND: Duration = Duration::from_secs(10);

/// The timeout under test, short.
const SHORT: Duration = Duration::from_millis(500);

/// The key of RFC 6455 §1.3, so that answers can be written in advance.
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// The `Sec-WebSocket-Accept` of [`KEY`].
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// A request for `addr` with [`KEY`].
fn request(addr: &str) -> ClientRequest {
    ClientRequest::new(addr, "/").with_key(KEY).unwrap()
}

/// Joins head lines with CR LF and ends the head.
fn head(lines: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for line in lines {
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// A good 101 for [`KEY`] with `extra` field lines.
fn good_101(extra: &[&[u8]]) -> Vec<u8> {
    let accept = format!("Sec-WebSocket-Accept: {ACCEPT}");
    let mut lines: Vec<&[u8]> = vec![
        b"HTTP/1.1 101 Switching Protocols",
        b"Upgrade: websocket",
        b"Connection: Upgrade",
        accept.as_bytes(),
    ];
    lines.extend_from_slice(extra);
    head(&lines)
}

type Connected = Result<(WebSocket<MaybeTlsStream>, ServerResponse), Error>;

/// `connect` to `addr` with `config` (and `request`'s offer), never
/// longer than twice [`BOUND`]: how it ended and how long it took.
async fn connect(request: ClientRequest, config: Config) -> (Connected, Duration) {
    let start = Instant::now();
    let connected = tokio::time::timeout(2 * BOUND, rfc6455::connect_with_config(request, config))
        .await
        .expect("connect hung");
    (connected, start.elapsed())
}

/// The error `connect` failed with, at once (within [`BOUND`]).
async fn refused_with(request: ClientRequest, config: Config) -> Error {
    let (connected, took) = connect(request, config).await;
    assert!(took < BOUND, "failed late: {took:?}");
    match connected {
        Ok((_, response)) => panic!("accepted: {response:?}"),
        Err(error) => error,
    }
}

/// What a case expects of an error.
type Expect = fn(&Error) -> bool;

/// Runs each `(what, answer, expect)`: a server answers our request with
/// `answer`; `connect` must fail at once with an error `expect` accepts,
/// and send nothing after its request (no connection, no frame).
async fn each_answer_fails(
    config: Config,
    offer: fn(ClientRequest) -> ClientRequest,
    cases: Vec<(&str, Vec<u8>, Expect)>,
) {
    for (what, answer, expect) in cases {
        let (addr, server) = hostile_server(move |_| answer).await;
        let error = refused_with(offer(request(&addr)), config.clone()).await;
        assert!(expect(&error), "{what}: {error:?}");
        let sent = tokio::time::timeout(BOUND, server)
            .await
            .expect("the client closed TCP")
            .unwrap();
        assert!(sent.is_empty(), "{what}: sent {sent:02x?}");
    }
}

/// Malformed answers to the opening handshake: a status line that is not
/// HTTP, a 101 that is not HTTP/1.1 or lacks what §4.1 items 1–4 require,
/// bytes outside ASCII where a field may not have them, heads that never
/// end, drip or stop. Each a typed error, within the handshake limits.
mod s4_1_malformed_101 {
    use super::*;

    fn malformed(e: &Error) -> bool {
        matches!(e, Error::Handshake(HandshakeError::Malformed(_)))
    }

    fn missing_upgrade(e: &Error) -> bool {
        matches!(e, Error::Handshake(HandshakeError::MissingUpgrade))
    }

    fn missing_connection(e: &Error) -> bool {
        matches!(
            e,
            Error::Handshake(HandshakeError::MissingConnectionUpgrade)
        )
    }

    fn invalid_accept(e: &Error) -> bool {
        matches!(e, Error::Handshake(HandshakeError::InvalidAccept))
    }

    /// §4.1: "If the status code received from the server is not 101 ...
    /// If the response lacks an |Upgrade| header field ... |Connection|
    /// ... |Sec-WebSocket-Accept| ... the client MUST _Fail the WebSocket
    /// Connection_." Each breach is its own variant; bytes that are not an
    /// HTTP/1.1 head are `Malformed`.
    #[tokio::test]
    async fn malformed_101s_are_typed_errors() {
        let _budget = Budget::start(Budget::DEFAULT).await;
        let accept = format!("Sec-WebSocket-Accept: {ACCEPT}");
        let accept = accept.as_bytes();
        let cases: Vec<(&str, Vec<u8>, Expect)> = vec![
            (
                "SSH banner",
                b"SSH-2.0-OpenSSH_9.6\r\n\r\n".to_vec(),
                malformed,
            ),
            (
                "TLS record",
                b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\r\n\r\n".to_vec(),
                malformed,
            ),
            ("no status code", b"HTTP/1.1 OK\r\n\r\n".to_vec(), malformed),
            (
                "status of four digits",
                b"HTTP/1.1 1010 Switching\r\n\r\n".to_vec(),
                malformed,
            ),
            (
                "HTTP/1.0 101",
                head(&[
                    b"HTTP/1.0 101 Switching Protocols",
                    b"Upgrade: websocket",
                    b"Connection: Upgrade",
                    accept,
                ]),
                malformed,
            ),
            (
                "HTTP/2.0 101",
                head(&[
                    b"HTTP/2.0 101 Switching Protocols",
                    b"Upgrade: websocket",
                    b"Connection: Upgrade",
                    accept,
                ]),
                malformed,
            ),
            (
                "no Upgrade (item 2)",
                head(&[
                    b"HTTP/1.1 101 Switching Protocols",
                    b"Connection: Upgrade",
                    accept,
                ]),
                missing_upgrade,
            ),
            (
                "Upgrade: h2c (item 2)",
                head(&[
                    b"HTTP/1.1 101 Switching Protocols",
                    b"Upgrade: h2c",
                    b"Connection: Upgrade",
                    accept,
                ]),
                missing_upgrade,
            ),
            (
                "no Connection (item 3)",
                head(&[
                    b"HTTP/1.1 101 Switching Protocols",
                    b"Upgrade: websocket",
                    accept,
                ]),
                missing_connection,
            ),
            (
                "Connection: keep-alive (item 3)",
                head(&[
                    b"HTTP/1.1 101 Switching Protocols",
                    b"Upgrade: websocket",
                    b"Connection: keep-alive",
                    accept,
                ]),
                missing_connection,
            ),
            (
                "no Sec-WebSocket-Accept (item 4)",
                head(&[
                    b"HTTP/1.1 101 Switching Protocols",
                    b"Upgrade: websocket",
                    b"Connection: Upgrade",
                ]),
                invalid_accept,
            ),
            (
                "two Sec-WebSocket-Accept, both right (item 4)",
                good_101(&[accept]),
                invalid_accept,
            ),
            (
                "accept of another key (item 4)",
                head(&[
                    b"HTTP/1.1 101 Switching Protocols",
                    b"Upgrade: websocket",
                    b"Connection: Upgrade",
                    b"Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                ]),
                invalid_accept,
            ),
            (
                "field line without a colon",
                good_101(&[b"X-Broken"]),
                malformed,
            ),
            (
                "field line starting with a space (obs-fold)",
                good_101(&[b" folded: x"]),
                malformed,
            ),
        ];
        each_answer_fails(Config::default(), |r| r, cases).await;
    }

    /// Bytes outside ASCII: in a field name (never allowed: a name is a
    /// token, RFC 9110 §5.1), NUL or a bare CR in a value (RFC 9110 §5.5:
    /// "MUST either reject the message or replace each of those characters
    /// with SP"; we reject), and obs-text in the value of a field the
    /// handshake reads, which then fails that field's check.
    #[tokio::test]
    async fn bytes_outside_ascii_in_fields_are_typed_errors() {
        let _budget = Budget::start(Budget::DEFAULT).await;
        let mut accept_obs = format!("Sec-WebSocket-Accept: {ACCEPT}").into_bytes();
        accept_obs.extend_from_slice(b"\xc3\xa9");
        let cases: Vec<(&str, Vec<u8>, Expect)> = vec![
            (
                "raw UTF-8 in a field name",
                good_101(&[b"X-Caf\xc3\xa9: 1"]),
                malformed,
            ),
            ("0xff in a field name", good_101(&[b"X-\xff: 1"]), malformed),
            ("NUL in a field name", good_101(&[b"X-\0: 1"]), malformed),
            ("NUL in a value", good_101(&[b"X-Note: a\0b"]), malformed),
            (
                "bare CR in a value",
                good_101(&[b"X-Note: a\rb"]),
                malformed,
            ),
            ("DEL in a value", good_101(&[b"X-Note: a\x7fb"]), malformed),
            (
                "NUL in the status line",
                b"HTTP/1.1 101 Switching\0Protocols\r\n\r\n".to_vec(),
                malformed,
            ),
            (
                "obs-text in Upgrade",
                head(&[
                    b"HTTP/1.1 101 Switching Protocols",
                    b"Upgrade: w\xe9bsocket",
                    b"Connection: Upgrade",
                    format!("Sec-WebSocket-Accept: {ACCEPT}").as_bytes(),
                ]),
                missing_upgrade,
            ),
            (
                "raw UTF-8 after Sec-WebSocket-Accept",
                head(&[
                    b"HTTP/1.1 101 Switching Protocols",
                    b"Upgrade: websocket",
                    b"Connection: Upgrade",
                    &accept_obs,
                ]),
                invalid_accept,
            ),
            (
                "obs-text in Sec-WebSocket-Protocol",
                good_101(&[b"Sec-WebSocket-Protocol: ch\xe2t"]),
                |e| {
                    matches!(
                        e,
                        Error::Handshake(HandshakeError::UnofferedSubprotocol(name)) if name == "ch\u{fffd}t"
                    )
                },
            ),
            (
                "obs-text in Sec-WebSocket-Extensions",
                good_101(&[b"Sec-WebSocket-Extensions: d\xe9flate"]),
                |e| matches!(e, Error::Handshake(HandshakeError::UnofferedExtension(_))),
            ),
        ];
        each_answer_fails(Config::default(), |r| r, cases).await;
    }

    /// obs-text in the value of a field the handshake does not read is
    /// allowed (RFC 9110 §5.5: "a recipient SHOULD treat other allowed
    /// octets in field content (i.e., obs-text) as opaque data"): the
    /// connection opens, and the value is kept as bytes, never as a
    /// `String` that could not hold it.
    #[tokio::test]
    async fn obs_text_in_another_field_is_kept_as_bytes() {
        let _budget = Budget::start(Budget::DEFAULT).await;
        let (addr, _server) =
            hostile_server(|_| good_101(&[b"X-Note: caf\xe9 \xc3\xa9\xff"])).await;
        let (connected, took) = connect(request(&addr), Config::default()).await;
        assert!(took < BOUND);
        let (_ws, response) = connected.unwrap();
        assert_eq!(
            response.header("x-note"),
            Some(&b"caf\xe9 \xc3\xa9\xff"[..])
        );
    }

    /// A head bigger than `max_handshake_size`, all at once: `TooLarge`.
    #[tokio::test]
    async fn oversized_response_head_is_refused() {
        let _budget = Budget::start(Budget::DEFAULT).await;
        let big = format!("X-Big: {}", "a".repeat(20_000));
        let (addr, _server) = hostile_server(move |_| good_101(&[big.as_bytes()])).await;
        let error = refused_with(request(&addr), Config::default()).await;
        assert!(
            matches!(
                error,
                Error::Handshake(HandshakeError::TooLarge {
                    what: HandshakeLimit::Bytes,
                    max: 16384
                })
            ),
            "{error:?}"
        );
    }

    /// A server that sends `line` over and over, as fast as we read, up to
    /// 256 MiB: `connect` stops at the handshake limits with `TooLarge`,
    /// and the process does not grow by more than a few MiB.
    async fn endless(line: &'static [u8], config: Config) -> Error {
        let (addr, server) = scripted_server(move |mut stream, _| async move {
            let chunk: Vec<u8> = line.iter().copied().cycle().take(64 << 10).collect();
            let mut sent = 0usize;
            let _ = stream
                .write_all(b"HTTP/1.1 101 Switching Protocols\r\n")
                .await;
            while sent < 256 << 20 {
                if stream.write_all(&chunk).await.is_err() {
                    break;
                }
                sent += chunk.len();
            }
            sent.to_le_bytes().to_vec()
        })
        .await;
        let before = rss();
        let error = refused_with(request(&addr), config).await;
        let grown = rss().saturating_sub(before);
        assert!(grown < 4 << 20, "RSS grew by {grown} bytes");
        let sent = tokio::time::timeout(BOUND, server).await.unwrap().unwrap();
        let sent = usize::from_le_bytes(sent.try_into().unwrap());
        assert!(sent < 64 << 20, "the client read {sent} bytes of head");
        error
    }

    /// One field line that never ends: cut at `max_handshake_size`.
    #[tokio::test]
    async fn a_field_line_split_forever_is_too_large() {
        let _budget = Budget::start(8 << 20).await;
        let error = endless(b"X-Endless: aaaaaaaaaaaaaaaa", Config::default()).await;
        assert!(
            matches!(
                error,
                Error::Handshake(HandshakeError::TooLarge {
                    what: HandshakeLimit::Bytes,
                    max: 16384
                })
            ),
            "{error:?}"
        );
    }

    /// Field lines that never end: cut at `max_handshake_headers` (or at
    /// the size, whichever comes first: here the count).
    #[tokio::test]
    async fn endless_field_lines_are_too_many() {
        let _budget = Budget::start(8 << 20).await;
        let error = endless(b"X-A: b\r\n", Config::default()).await;
        assert!(
            matches!(
                error,
                Error::Handshake(HandshakeError::TooLarge {
                    what: HandshakeLimit::Headers,
                    max: 64
                })
            ),
            "{error:?}"
        );
        // With room for every line, the size limit cuts them.
        let config = Config::default().max_handshake_headers(100_000);
        let error = endless(b"X-A: b\r\n", config).await;
        assert!(
            matches!(
                error,
                Error::Handshake(HandshakeError::TooLarge {
                    what: HandshakeLimit::Bytes,
                    ..
                })
            ),
            "{error:?}"
        );
    }

    /// A server that drips a good 101, one byte every 100 ms: cut at the
    /// handshake timeout, not when the head would end (13 s later).
    #[tokio::test]
    async fn a_dripping_server_is_cut_at_the_handshake_timeout() {
        let _budget = Budget::start(Budget::DEFAULT).await;
        let (addr, server) = scripted_server(|mut stream, _| async move {
            for byte in good_101(&[]) {
                if stream.write_all(&[byte]).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Vec::new()
        })
        .await;
        let config = Config::default().handshake_timeout(SHORT);
        let (connected, took) = connect(request(&addr), config).await;
        let error = connected.map(|_| ()).unwrap_err();
        assert!(
            matches!(
                error,
                Error::Timeout {
                    what: TimeoutKind::Handshake
                }
            ),
            "{error:?}"
        );
        assert!(took >= SHORT && took < BOUND, "{took:?}");
        // The client let go of the socket: the dripping stops.
        tokio::time::timeout(BOUND, server).await.unwrap().unwrap();
    }

    /// A server that never answers: the handshake timeout.
    #[tokio::test]
    async fn silent_server_times_out() {
        let _budget = Budget::start(Budget::DEFAULT).await;
        let (addr, _server) = hostile_server(|_| Vec::new()).await;
        let config = Config::default().handshake_timeout(SHORT);
        let (connected, took) = connect(request(&addr), config).await;
        let error = connected.map(|_| ()).unwrap_err();
        assert!(
            matches!(
                error,
                Error::Timeout {
                    what: TimeoutKind::Handshake
                }
            ),
            "{error:?}"
        );
        assert!(took >= SHORT && took < BOUND, "{took:?}");
    }

    /// A server that closes TCP in the middle of its head, or before it:
    /// an I/O error of kind `UnexpectedEof`, at once.
    #[tokio::test]
    async fn a_server_closing_mid_head_is_unexpected_eof() {
        let _budget = Budget::start(Budget::DEFAULT).await;
        let whole = good_101(&[]);
        for cut in [0, 1, 12, 40, whole.len() - 2, whole.len() - 1] {
            let part = whole[..cut].to_vec();
            let (addr, _server) = scripted_server(move |mut stream, _| async move {
                let _ = stream.write_all(&part).await;
                Vec::new()
            })
            .await;
            let error = refused_with(request(&addr), Config::default()).await;
            assert!(
                matches!(&error, Error::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof),
                "cut at {cut}: {error:?}"
            );
        }
    }
}

/// Lying 101s: a well-formed answer that selects what the client did not
/// offer (RFC 6455 §4.1 items 5 and 6; RFC 7692 §7 for permessage-deflate).
mod s4_1_lying_101 {
    use super::*;

    fn unoffered_protocol(e: &Error) -> bool {
        matches!(e, Error::Handshake(HandshakeError::UnofferedSubprotocol(_)))
    }

    fn unoffered_extension(e: &Error) -> bool {
        matches!(e, Error::Handshake(HandshakeError::UnofferedExtension(_)))
    }

    /// §4.1 item 6: "If the response includes a |Sec-WebSocket-Protocol|
    /// header field and this header field indicates the use of a
    /// subprotocol that was not present in the client's handshake ... the
    /// client MUST _Fail the WebSocket Connection_."
    #[tokio::test]
    async fn a_subprotocol_not_offered_fails() {
        let _budget = Budget::start(Budget::DEFAULT).await;
        let offered: Vec<(&str, Vec<u8>, Expect)> = vec![
            (
                "not offered",
                good_101(&[b"Sec-WebSocket-Protocol: mqtt"]),
                |e| matches!(e, Error::Handshake(HandshakeError::UnofferedSubprotocol(p)) if p == "mqtt"),
            ),
            (
                "offered, in another case",
                good_101(&[b"Sec-WebSocket-Protocol: CHAT"]),
                unoffered_protocol,
            ),
            (
                "both offered ones",
                good_101(&[b"Sec-WebSocket-Protocol: chat, superchat"]),
                unoffered_protocol,
            ),
            (
                "one offered, twice",
                good_101(&[
                    b"Sec-WebSocket-Protocol: chat",
                    b"Sec-WebSocket-Protocol: chat",
                ]),
                unoffered_protocol,
            ),
        ];
        each_answer_fails(
            Config::default(),
            |r| r.with_protocols(["chat", "superchat"]),
            offered,
        )
        .await;
        let none_offered: Vec<(&str, Vec<u8>, Expect)> = vec![(
            "one when none was offered",
            good_101(&[b"Sec-WebSocket-Protocol: chat"]),
            |e| matches!(e, Error::Handshake(HandshakeError::UnofferedSubprotocol(p)) if p == "chat"),
        )];
        each_answer_fails(Config::default(), |r| r, none_offered).await;
    }

    /// §4.1 item 5: "If the response includes a |Sec-WebSocket-Extensions|
    /// header field and this header field indicates the use of an
    /// extension that was not present in the client's handshake ... the
    /// client MUST _Fail the WebSocket Connection_."
    #[tokio::test]
    async fn an_extension_not_offered_fails() {
        let _budget = Budget::start(Budget::DEFAULT).await;
        let cases: Vec<(&str, Vec<u8>, Expect)> = vec![
            (
                "permessage-deflate, not offered",
                good_101(&[b"Sec-WebSocket-Extensions: permessage-deflate"]),
                |e| matches!(e, Error::Handshake(HandshakeError::UnofferedExtension(x)) if x == "permessage-deflate"),
            ),
            (
                "an unknown extension",
                good_101(&[b"Sec-WebSocket-Extensions: x-webkit-deflate-frame"]),
                |e| matches!(e, Error::Handshake(HandshakeError::UnofferedExtension(x)) if x == "x-webkit-deflate-frame"),
            ),
            (
                "an empty answer",
                good_101(&[b"Sec-WebSocket-Extensions: "]),
                unoffered_extension,
            ),
        ];
        each_answer_fails(Config::default(), |r| r, cases).await;
    }

    /// RFC 7692 §7: a permessage-deflate answer the offer did not allow.
    /// The client fails the connection on a response with a parameter not
    /// defined for it, a parameter with an invalid value (window bits
    /// outside 8–15, a value on a flag, `client_max_window_bits` without
    /// one, §7.1.2.2), a parameter twice, `server_max_window_bits` over
    /// the offer's (§7.1.2.1), a configuration it did not ask for
    /// (`server_no_context_takeover` asked and not granted, §7.1.1.1), or
    /// the extension accepted twice (a server accepts one offer, §5).
    /// (`client_max_window_bits` in an answer to an offer without it
    /// cannot be tested here: our offer always has it.)
    #[tokio::test]
    async fn invalid_permessage_deflate_answers_fail() {
        let _budget = Budget::start(Budget::DEFAULT).await;
        let ext =
            |value: &str| good_101(&[format!("Sec-WebSocket-Extensions: {value}").as_bytes()]);
        let cases: Vec<(&str, Vec<u8>, Expect)> = vec![
            (
                "unknown parameter",
                ext("permessage-deflate; foo=1"),
                unoffered_extension,
            ),
            (
                "duplicate parameter",
                ext("permessage-deflate; server_no_context_takeover; server_no_context_takeover"),
                unoffered_extension,
            ),
            (
                "duplicate window bits",
                ext("permessage-deflate; client_max_window_bits=9; client_max_window_bits=9"),
                unoffered_extension,
            ),
            (
                "server_max_window_bits=7",
                ext("permessage-deflate; server_max_window_bits=7"),
                unoffered_extension,
            ),
            (
                "server_max_window_bits=16",
                ext("permessage-deflate; server_max_window_bits=16"),
                unoffered_extension,
            ),
            (
                "server_max_window_bits over the offered 10",
                ext("permessage-deflate; server_max_window_bits=12"),
                unoffered_extension,
            ),
            (
                "server_max_window_bits absent (15) over the offered 10",
                ext("permessage-deflate"),
                unoffered_extension,
            ),
            (
                "server_max_window_bits without a value",
                ext("permessage-deflate; server_max_window_bits"),
                unoffered_extension,
            ),
            (
                "client_max_window_bits without a value",
                ext("permessage-deflate; server_max_window_bits=10; client_max_window_bits"),
                unoffered_extension,
            ),
            (
                "client_max_window_bits=0",
                ext("permessage-deflate; server_max_window_bits=10; client_max_window_bits=0"),
                unoffered_extension,
            ),
            (
                "a value on a flag",
                ext("permessage-deflate; server_max_window_bits=10; client_no_context_takeover=1"),
                unoffered_extension,
            ),
            (
                "two answers in one field",
                ext("permessage-deflate; server_max_window_bits=10, permessage-deflate; server_max_window_bits=10"),
                unoffered_extension,
            ),
            (
                "two answers in two fields",
                good_101(&[
                    b"Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10",
                    b"Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10",
                ]),
                unoffered_extension,
            ),
            (
                "another extension beside it",
                ext("permessage-deflate; server_max_window_bits=10, x-foo"),
                |e| matches!(e, Error::Handshake(HandshakeError::UnofferedExtension(x)) if x == "x-foo"),
            ),
            (
                "not a list",
                ext("permessage-deflate; a=\"unterminated"),
                unoffered_extension,
            ),
        ];
        let mut deflate = DeflateConfig::default();
        deflate.server_max_window_bits = 10;
        each_answer_fails(Config::default().deflate(deflate), |r| r, cases).await;
        // Asked for, not agreed: server_no_context_takeover (§7.1.1.1).
        let mut asked = DeflateConfig::default();
        asked.server_no_context_takeover = true;
        let cases: Vec<(&str, Vec<u8>, Expect)> = vec![(
            "server_no_context_takeover not agreed",
            ext("permessage-deflate"),
            unoffered_extension,
        )];
        each_answer_fails(Config::default().deflate(asked), |r| r, cases).await;
    }
}

/// After a good 101, frames that break RFC 6455: each is its typed error
/// and the Close code the RFC names (§7.4.1), sent to the server before
/// our client lets go of TCP (§7.1.7 "_Fail the WebSocket Connection_").
mod frames {
    use super::*;

    /// A server frame with a 16-bit length field holding `len`, whatever
    /// its value (for lengths that are not minimal).
    fn frame_len16(opcode: u8, len: u16) -> Vec<u8> {
        let mut f = vec![0x80 | opcode, 126];
        f.extend_from_slice(&len.to_be_bytes());
        f.extend(std::iter::repeat_n(0, usize::from(len)));
        f
    }

    /// A server frame header with a 64-bit length field of `len`, and no
    /// payload.
    fn header_len64(opcode: u8, len: u64) -> Vec<u8> {
        let mut f = vec![0x80 | opcode, 127];
        f.extend_from_slice(&len.to_be_bytes());
        f
    }

    fn protocol(expected: ProtocolError) -> impl Fn(&Error) -> bool {
        move |e| matches!(e, Error::Protocol(p) if *p == expected)
    }

    /// Every frame-level violation, after a good 101: the typed error, and
    /// the Close code our client sent, within `BOUND`; then the stream
    /// ends. Mirrors `hostile.rs`'s `each_violation_gets_its_close_code`
    /// for the server.
    #[tokio::test]
    async fn each_violation_gets_its_close_code() {
        let _budget = Budget::start(Budget::DEFAULT).await;
        let config = Config::default()
            .max_frame_size(1024)
            .max_message_size(4096);
        let close =
            |code: u16, reason: &[u8]| server_frame(true, CLOSE, &close_payload(code, reason));
        let fragments = |n: usize| {
            let mut m = Vec::new();
            for i in 0..n {
                let opcode = if i == 0 { BINARY } else { CONTINUATION };
                m.extend(server_frame(false, opcode, &[0; 1000]));
            }
            m
        };
        type Check = Box<dyn Fn(&Error) -> bool>;
        let mut cases: Vec<(&str, Vec<u8>, Check, u16)> = vec![
            (
                "masked (§5.1)",
                client_frame(true, TEXT, b"masked"),
                Box::new(protocol(ProtocolError::MaskedFrame)),
                1002,
            ),
            (
                "reserved opcode 0x3 (§5.2)",
                server_frame(true, 0x3, b""),
                Box::new(protocol(ProtocolError::ReservedOpcode(0x3))),
                1002,
            ),
            (
                "reserved control opcode 0xB (§5.2)",
                server_frame(true, 0xB, b""),
                Box::new(protocol(ProtocolError::ReservedOpcode(0xB))),
                1002,
            ),
            (
                "RSV1 without an extension (§5.2)",
                raw_frame(true, 4, TEXT, None, b"hi"),
                Box::new(|e: &Error| matches!(e, Error::Protocol(ProtocolError::ReservedBits(_)))),
                1002,
            ),
            (
                "RSV2 (§5.2)",
                raw_frame(true, 2, BINARY, None, b"hi"),
                Box::new(|e: &Error| matches!(e, Error::Protocol(ProtocolError::ReservedBits(_)))),
                1002,
            ),
            (
                "RSV3 on a Ping (§5.2)",
                raw_frame(true, 1, PING, None, b""),
                Box::new(|e: &Error| matches!(e, Error::Protocol(ProtocolError::ReservedBits(_)))),
                1002,
            ),
            (
                "64-bit length with its top bit set (§5.2)",
                header_len64(BINARY, 1 << 63),
                Box::new(protocol(ProtocolError::InvalidPayloadLength)),
                1002,
            ),
            (
                "length not minimal (§5.2)",
                frame_len16(BINARY, 5),
                Box::new(protocol(ProtocolError::NonMinimalLength)),
                1002,
            ),
            (
                "fragmented Ping (§5.5)",
                server_frame(false, PING, b""),
                Box::new(protocol(ProtocolError::FragmentedControlFrame)),
                1002,
            ),
            (
                "fragmented Close (§5.5)",
                raw_frame(false, 0, CLOSE, None, &close_payload(1000, b"")),
                Box::new(protocol(ProtocolError::FragmentedControlFrame)),
                1002,
            ),
            (
                "Ping of 126 bytes (§5.5)",
                frame_len16(PING, 126),
                Box::new(protocol(ProtocolError::ControlFrameTooLong(126))),
                1002,
            ),
            (
                "Close of 126 bytes (§5.5)",
                frame_len16(CLOSE, 126),
                Box::new(protocol(ProtocolError::ControlFrameTooLong(126))),
                1002,
            ),
            (
                "continuation first (§5.4)",
                server_frame(true, CONTINUATION, b"x"),
                Box::new(protocol(ProtocolError::UnexpectedContinuation)),
                1002,
            ),
            (
                "Text inside a fragmented message (§5.4)",
                [
                    server_frame(false, TEXT, b"a"),
                    server_frame(true, TEXT, b"b"),
                ]
                .concat(),
                Box::new(protocol(ProtocolError::ExpectedContinuation)),
                1002,
            ),
            (
                "Close of one byte (§5.5.1)",
                server_frame(true, CLOSE, &[3]),
                Box::new(protocol(ProtocolError::InvalidCloseLength)),
                1002,
            ),
            (
                "invalid UTF-8 in Text (§8.1)",
                server_frame(
                    true,
                    TEXT,
                    b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80",
                ),
                Box::new(protocol(ProtocolError::InvalidUtf8)),
                1007,
            ),
            (
                "invalid UTF-8 in a first fragment (§8.1, fail fast)",
                server_frame(false, TEXT, b"ok \xff"),
                Box::new(protocol(ProtocolError::InvalidUtf8)),
                1007,
            ),
            (
                "invalid UTF-8 in a close reason (§8.1)",
                close(1000, b"bye \xc0\xaf"),
                Box::new(protocol(ProtocolError::InvalidUtf8)),
                1007,
            ),
            (
                "frame over max_frame_size",
                server_frame(true, BINARY, &[0; 1025]),
                Box::new(|e: &Error| {
                    matches!(
                        e,
                        Error::FrameTooLong {
                            len: 1025,
                            max_len: 1024
                        }
                    )
                }),
                1009,
            ),
            (
                "frame header announcing 2^62 bytes",
                header_len64(BINARY, 1 << 62),
                Box::new(
                    |e: &Error| matches!(e, Error::FrameTooLong { len, max_len: 1024 } if *len == 1 << 62),
                ),
                1009,
            ),
            (
                "message over max_message_size",
                fragments(5),
                Box::new(|e: &Error| matches!(e, Error::MessageTooLong { max_len: 4096, .. })),
                1009,
            ),
        ];
        // §7.4.1 and §7.4.2: codes that may not be sent (1004, 1005, 1006,
        // 1015), unassigned ones of the protocol's range, and codes
        // outside every range.
        let invalid_codes = [999, 1004, 1005, 1006, 1015, 1016, 2999, 5000];
        let names: Vec<String> = invalid_codes
            .iter()
            .map(|code| format!("Close code {code} (§7.4)"))
            .collect();
        for (invalid, name) in invalid_codes.into_iter().zip(&names) {
            cases.push((
                name,
                close(invalid, b""),
                Box::new(protocol(ProtocolError::InvalidCloseCode(invalid))),
                1002,
            ));
        }
        for (what, frames, check, code) in cases {
            let (addr, server) = hostile_server(move |_| [good_101(&[]), frames].concat()).await;
            let (connected, _) = connect(request(&addr), config.clone()).await;
            let (mut ws, _) = connected.unwrap_or_else(|e| panic!("{what}: {e:?}"));
            let start = Instant::now();
            let error = tokio::time::timeout(BOUND, ws.next())
                .await
                .unwrap_or_else(|_| panic!("{what}: no error in time"))
                .unwrap_or_else(|| panic!("{what}: the stream ended without an error"))
                .unwrap_err();
            assert!(check(&error), "{what}: {error:?}");
            assert_eq!(
                error.close_code(),
                Some(CloseCode::from(code)),
                "{what}: {error:?}"
            );
            assert!(
                tokio::time::timeout(BOUND, ws.next())
                    .await
                    .unwrap()
                    .is_none(),
                "{what}: the stream goes on"
            );
            let sent = tokio::time::timeout(BOUND, server).await.unwrap().unwrap();
            assert_eq!(client_close_code(&sent), Some(code), "{what}: {sent:02x?}");
            assert!(start.elapsed() < BOUND, "{what}: {:?}", start.elapsed());
        }
    }

    /// A compressed bomb from the server: 16 MiB of zeros in about 16 KiB
    /// of DEFLATE, against a 1 MiB message limit. 1009, and no 16 MiB
    /// allocation.
    #[tokio::test]
    async fn decompression_bomb_from_the_server_is_1009() {
        let _budget = Budget::start(Budget::DEFAULT).await;
        let (addr, server) = hostile_server(|key| {
            let mut answer = switching(key, "Sec-WebSocket-Extensions: permessage-deflate\r\n");
            let mut compressed = Vec::new();
            let mut deflater = rfc6455::deflate::Deflater::new(15, false, 1);
            assert!(deflater.compress(&vec![0u8; 16 << 20], &mut compressed));
            answer.extend(raw_frame(true, 4, BINARY, None, &compressed));
            answer
        })
        .await;
        let config = Config::default()
            .max_message_size(1 << 20)
            .deflate(DeflateConfig::default());
        let before = rss();
        let (mut ws, _) = rfc6455::connect_with_config(&format!("ws://{addr}/"), config)
            .await
            .unwrap();
        let error = ws.next().await.unwrap().unwrap_err();
        assert!(
            matches!(error, Error::MessageTooLong { max_len, .. } if max_len == 1 << 20),
            "{error}"
        );
        let grown = rss().saturating_sub(before);
        assert!(grown < 12 << 20, "RSS grew by {grown} bytes");
        let sent = server.await.unwrap();
        assert_eq!(client_close_code(&sent), Some(1009), "{sent:02x?}");
    }
}

/// The closing handshake against a server that does not play its part
/// (RFC 6455 §7.1.1, §7.1.4: the client waits for the server to close
/// TCP, but not forever).
mod s7_1_closing {
    use super::*;

    /// A server that reads our Close and never answers it, nor closes TCP:
    /// `close` ends at `close_timeout` with `Timeout { what: Close }`, and
    /// our client lets go of TCP then.
    #[tokio::test]
    async fn a_server_that_never_answers_our_close_is_cut_at_the_close_timeout() {
        let _budget = Budget::start(Budget::DEFAULT).await;
        let (addr, server) = scripted_server(|mut stream, key| async move {
            let _ = stream.write_all(&switching(&key, "")).await;
            // Reads (our Close) until we close TCP; never writes.
            read_until_closed(&mut stream, 3 * BOUND).await
        })
        .await;
        let config = Config::default().close_timeout(SHORT);
        let (connected, _) = connect(request(&addr), config).await;
        let (mut ws, _) = connected.unwrap();
        let start = Instant::now();
        let closed = tokio::time::timeout(BOUND, ws.close(CloseCode::NORMAL, "bye"))
            .await
            .expect("close hung");
        let took = start.elapsed();
        assert!(
            matches!(
                closed,
                Err(Error::Timeout {
                    what: TimeoutKind::Close
                })
            ),
            "{closed:?}"
        );
        assert!(took >= SHORT && took < BOUND, "{took:?}");
        drop(ws);
        let sent = tokio::time::timeout(BOUND, server).await.unwrap().unwrap();
        assert_eq!(client_close_code(&sent), Some(1000), "{sent:02x?}");
    }

    /// A server that answers our Close but keeps TCP open: the closing
    /// handshake is complete, and the client closes TCP at
    /// `close_timeout` at the latest (§7.1.1: the client waits for the
    /// server to close first).
    #[tokio::test]
    async fn a_server_that_keeps_tcp_open_after_its_close_is_let_go() {
        let _budget = Budget::start(Budget::DEFAULT).await;
        let (addr, server) = scripted_server(|mut stream, key| async move {
            let mut answer = switching(&key, "");
            answer.extend(server_frame(true, CLOSE, &close_payload(1000, b"")));
            let _ = stream.write_all(&answer).await;
            read_until_closed(&mut stream, 3 * BOUND).await
        })
        .await;
        let config = Config::default().close_timeout(SHORT);
        let (connected, _) = connect(request(&addr), config).await;
        let (mut ws, _) = connected.unwrap();
        let start = Instant::now();
        let last = tokio::time::timeout(BOUND, ws.next()).await.expect("hung");
        assert!(
            matches!(&last, Some(Ok(rfc6455::Message::Close(Some(f)))) if f.code == CloseCode::NORMAL),
            "{last:?}"
        );
        assert!(start.elapsed() < BOUND, "{:?}", start.elapsed());
        let sent = tokio::time::timeout(BOUND, server).await.unwrap().unwrap();
        assert_eq!(client_close_code(&sent), Some(1000), "{sent:02x?}");
    }
}
