//! Hostile peers against the tokio server and client, over real loopback
//! sockets (issue: "Hostile peers, limits, TLS and graceful shutdown").
//! A hostile server's answers to our client's handshake and its frames are
//! in `hostile_server.rs`; peers that stop reading, both roles, here.
//!
//! Each scenario asserts the answer the RFC names (HTTP status or Close
//! code), that it comes within the configured timeouts, that the server
//! keeps serving others afterwards, and, where a peer pushes on memory,
//! that this process's resident set stays under a bound. Scenarios that
//! measure memory run one at a time (`memory::Budget`), since every test of this
//! file shares the process.

use futures_util::{SinkExt, StreamExt};
use rfc6455::deflate::DeflateConfig;
use rfc6455::handshake::ClientRequest;
use rfc6455::{CloseCode, Config, Error, Message, Server, ShutdownHandle, ShutdownReport};
use rfc6455_test_support::memory::{rss, Budget};
use rfc6455_test_support::peer::{encoded, raw_client, read_head, read_until_closed};
use rfc6455_test_support::*;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

/// An echo [`Server`] on an ephemeral port.
struct Running {
    addr: String,
    handle: ShutdownHandle,
    task: JoinHandle<ShutdownReport>,
    /// The error each connection's handler ended with, if any.
    errors: tokio::sync::mpsc::UnboundedReceiver<Option<String>>,
}

async fn serve(server: Server) -> Running {
    let addr = server.local_addr().unwrap().to_string();
    let handle = server.shutdown_handle();
    let (tx, errors) = tokio::sync::mpsc::unbounded_channel();
    let task = tokio::spawn(server.serve(move |mut ws, _| {
        let tx = tx.clone();
        async move {
            let mut error = None;
            while let Some(msg) = ws.next().await {
                match msg {
                    Ok(msg) if msg.is_data() => {
                        if let Err(e) = ws.send(msg).await {
                            error = Some(e.to_string());
                            break;
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        error = Some(e.to_string());
                        break;
                    }
                }
            }
            let _ = tx.send(error);
        }
    }));
    Running {
        addr,
        handle,
        task,
        errors,
    }
}

async fn echo_server(config: Config) -> Running {
    serve(Server::bind("127.0.0.1:0", config).await.unwrap()).await
}

/// A normal client still gets its echo: the server survived.
async fn assert_still_serving(addr: &str) {
    let (mut ws, _) = rfc6455::connect(&format!("ws://{addr}/")).await.unwrap();
    ws.send(Message::text("still there?")).await.unwrap();
    let reply = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .expect("echo in time");
    assert_eq!(reply.unwrap().unwrap(), Message::text("still there?"));
    ws.close(CloseCode::NORMAL, "").await.unwrap();
}

/// The close code of the first Close frame among unmasked server frames.
fn close_code_in(bytes: &[u8]) -> Option<u16> {
    let mut rest = bytes;
    while let Ok(Some((header, len))) = rfc6455::frame::FrameHeader::decode(rest) {
        let end = len + header.payload_len as usize;
        if rest.len() < end {
            return None;
        }
        if header.opcode == rfc6455::frame::OpCode::Close && end - len >= 2 {
            return Some(u16::from_be_bytes([rest[len], rest[len + 1]]));
        }
        rest = &rest[end..];
    }
    None
}

fn request(addr: &str) -> ClientRequest {
    ClientRequest::new(addr, "/")
}

mod handshake {
    use super::*;

    async fn status_of(addr: &str, wire: &[u8]) -> String {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        // The server may answer (and close) before it read everything.
        let _ = stream.write_all(wire).await;
        let head = read_head(&mut stream).await;
        head.lines().next().unwrap_or_default().to_owned()
    }

    #[tokio::test]
    async fn malformed_oversized_and_refused_requests_get_their_status() {
        let _budget = Budget::start(Budget::DEFAULT).await;
        let config = Config::default()
            .max_handshake_size(4096)
            .max_handshake_headers(16);
        let server = Server::bind("127.0.0.1:0", config)
            .await
            .unwrap()
            .policy(|req| match req.origin.as_deref() {
                Some("https://evil.example") => Err(403),
                _ => Ok(None),
            });
        let running = serve(server).await;
        let addr = &running.addr;
        let good = |extra: &str| {
            format!(
                "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
            )
        };
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            (
                "garbage",
                b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\r\n\r\n".to_vec(),
                "400",
            ),
            (
                "not GET",
                good("").replacen("GET", "POST", 1).into_bytes(),
                "400",
            ),
            (
                "no key",
                good("")
                    .replace("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "")
                    .into_bytes(),
                "400",
            ),
            (
                "version 8",
                good("").replace("Version: 13", "Version: 8").into_bytes(),
                "426",
            ),
            (
                "too big",
                good(&format!("X-Big: {}\r\n", "a".repeat(5000))).into_bytes(),
                "431",
            ),
            (
                "too many headers",
                good(&"X-A: b\r\n".repeat(20)).into_bytes(),
                "431",
            ),
            ("endless head", vec![b'a'; 100_000], "431"),
            (
                "bad origin",
                good("Origin: https://evil.example\r\n").into_bytes(),
                "403",
            ),
        ];
        for (what, wire, status) in cases {
            let line = status_of(addr, &wire).await;
            assert!(
                line.starts_with(&format!("HTTP/1.1 {status} ")),
                "{what}: got {line:?}, expected {status}"
            );
        }
        assert_still_serving(addr).await;
        running.handle.shutdown();
        let report = running.task.await.unwrap();
        assert_eq!(report.failed_handshakes, 8, "{report}");
    }

    /// A slowloris peer sends its head a byte at a time: it is cut off at
    /// the handshake timeout, and meanwhile the server serves others.
    #[tokio::test]
    async fn slowloris_is_cut_off_at_the_handshake_timeout() {
        let _budget = Budget::start(Budget::DEFAULT).await;
        let config = Config::default().handshake_timeout(Duration::from_millis(600));
        let running = echo_server(config).await;
        let addr = running.addr.clone();
        let start = Instant::now();
        let mut slow = Vec::new();
        for _ in 0..20 {
            slow.push(TcpStream::connect(&addr).await.unwrap());
        }
        let dripper = tokio::spawn(async move {
            let head = b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n";
            for byte in head.iter().cycle().take(100) {
                for stream in &mut slow {
                    if stream.write_all(&[*byte]).await.is_err() {
                        return (slow, true);
                    }
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            (slow, false)
        });
        // Others are served while the slow ones hang on.
        assert_still_serving(&addr).await;
        let (mut slow, _) = dripper.await.unwrap();
        for stream in &mut slow {
            let rest = read_until_closed(stream, Duration::from_secs(3)).await;
            assert!(rest.is_empty(), "no answer to a half request");
        }
        let elapsed = start.elapsed();
        assert!(
            elapsed < Duration::from_secs(6),
            "cut off late: {elapsed:?}"
        );
        running.handle.shutdown();
        let report = running.task.await.unwrap();
        assert_eq!(report.failed_handshakes, 20, "{report}");
    }

    #[tokio::test]
    async fn connections_over_the_limit_get_503() {
        let _budget = Budget::start(Budget::DEFAULT).await;
        let server = Server::bind("127.0.0.1:0", Config::default())
            .await
            .unwrap()
            .max_connections(2);
        let running = serve(server).await;
        let addr = &running.addr;
        let _a = raw_client(addr, &encoded(&request(addr))).await;
        let _b = raw_client(addr, &encoded(&request(addr))).await;
        let line = status_of(addr, b"").await;
        assert!(line.starts_with("HTTP/1.1 503 "), "{line:?}");
        drop(_a);
        // The slot frees once the first connection's task notices.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            let mut head = Vec::new();
            request(addr).encode(&mut head);
            stream.write_all(&head).await.unwrap();
            if read_head(&mut stream).await.starts_with("HTTP/1.1 101") {
                break;
            }
            assert!(Instant::now() < deadline, "the slot never freed");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        running.handle.shutdown();
        let report = running.task.await.unwrap();
        assert!(report.refused >= 1, "{report}");
    }
}

mod frames {
    use super::*;

    /// Every frame-level violation, after a good handshake, gets the Close
    /// code RFC 6455 names, then the server closes TCP.
    #[tokio::test]
    async fn each_violation_gets_its_close_code() {
        let _budget = Budget::start(Budget::DEFAULT).await;
        let config = Config::default()
            .max_frame_size(1024)
            .max_message_size(4096);
        let running = echo_server(config).await;
        let addr = &running.addr;
        let non_minimal = {
            let mut f = vec![0x82, 0xfe, 0x00, 0x05];
            f.extend_from_slice(&KEY);
            f.extend_from_slice(&[0; 5]);
            f
        };
        let cases: Vec<(&str, Vec<u8>, u16)> = vec![
            ("unmasked (§5.1)", server_frame(true, TEXT, b"hi"), 1002),
            (
                "RSV1 without extension (§5.2)",
                raw_frame(true, 4, TEXT, Some(KEY), b"hi"),
                1002,
            ),
            (
                "reserved opcode 0x3 (§5.2)",
                client_frame(true, 0x3, b""),
                1002,
            ),
            (
                "fragmented Ping (§5.5)",
                client_frame(false, PING, b""),
                1002,
            ),
            (
                "Ping of 126 bytes (§5.5)",
                client_frame(true, PING, &[0; 126]),
                1002,
            ),
            (
                "continuation first (§5.4)",
                client_frame(true, CONTINUATION, b"x"),
                1002,
            ),
            ("non-minimal length (§5.2)", non_minimal, 1002),
            (
                "Close code 1005 (§7.4.1)",
                client_frame(true, CLOSE, &close_payload(1005, b"")),
                1002,
            ),
            (
                "Close of one byte (§5.5.1)",
                client_frame(true, CLOSE, &[3]),
                1002,
            ),
            (
                "invalid UTF-8 (§8.1)",
                client_frame(
                    true,
                    TEXT,
                    b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80",
                ),
                1007,
            ),
            (
                "frame over max_frame_size",
                client_frame(true, BINARY, &[0; 1025]),
                1009,
            ),
            (
                "message over max_message_size",
                {
                    let mut m = Vec::new();
                    for _ in 0..5 {
                        m.extend(client_frame(
                            false,
                            if m.is_empty() { BINARY } else { CONTINUATION },
                            &[0; 1000],
                        ));
                    }
                    m
                },
                1009,
            ),
        ];
        for (what, wire, code) in cases {
            let mut stream = raw_client(addr, &encoded(&request(addr))).await;
            let start = Instant::now();
            stream.write_all(&wire).await.unwrap();
            let answer = read_until_closed(&mut stream, Duration::from_secs(10)).await;
            assert_eq!(close_code_in(&answer), Some(code), "{what}: {answer:02x?}");
            assert!(
                start.elapsed() < Duration::from_secs(6),
                "{what}: answered late"
            );
        }
        assert_still_serving(addr).await;
        running.handle.shutdown();
        running.task.await.unwrap();
    }

    /// A peer that vanishes mid-frame: the handler sees the abnormal
    /// closure at once, and the server goes on.
    #[tokio::test]
    async fn peer_vanishing_mid_frame_is_an_abnormal_closure() {
        let _budget = Budget::start(Budget::DEFAULT).await;
        let mut running = echo_server(Config::default()).await;
        let addr = running.addr.clone();
        let mut stream = raw_client(&addr, &encoded(&request(&addr))).await;
        let frame = client_frame(true, BINARY, &[7; 1000]);
        stream.write_all(&frame[..500]).await.unwrap();
        drop(stream);
        let error = tokio::time::timeout(Duration::from_secs(5), running.errors.recv())
            .await
            .expect("the handler ended in time")
            .unwrap();
        let error = error.expect("an error, not a clean end");
        assert_eq!(error, Error::AbnormalClosure.to_string());
        assert_still_serving(&addr).await;
        running.handle.shutdown();
        running.task.await.unwrap();
    }
}

mod memory {
    use super::*;

    /// A decompression bomb: 16 MiB of zeros in about 16 KiB of DEFLATE,
    /// against a 1 MiB message limit. 1009, and no 16 MiB allocation.
    #[tokio::test]
    async fn decompression_bomb_is_1009_within_the_limit() {
        let _budget = Budget::start(Budget::DEFAULT).await;
        let config = Config::default()
            .max_message_size(1 << 20)
            .deflate(DeflateConfig::default());
        let running = echo_server(config).await;
        let addr = &running.addr;
        let mut compressed = Vec::new();
        let mut deflater = rfc6455::deflate::Deflater::new(15, false, 1);
        assert!(deflater.compress(&vec![0u8; 16 << 20], &mut compressed));
        assert!(compressed.len() < 1 << 20, "{} bytes", compressed.len());
        let before = rss();
        let req = request(addr).with_deflate(DeflateConfig::default());
        let mut stream = raw_client(addr, &encoded(&req)).await;
        stream
            .write_all(&raw_frame(true, 4, BINARY, Some(KEY), &compressed))
            .await
            .unwrap();
        let answer = read_until_closed(&mut stream, Duration::from_secs(10)).await;
        assert_eq!(close_code_in(&answer), Some(1009), "{answer:02x?}");
        let grown = rss().saturating_sub(before);
        assert!(grown < 12 << 20, "RSS grew by {grown} bytes");
        assert_still_serving(addr).await;
        running.handle.shutdown();
        running.task.await.unwrap();
    }

    /// 200,000 Pings from a peer that never reads our Pongs: at most
    /// `max_queued_pongs` wait, then the output bound stops our reading.
    #[tokio::test]
    async fn ping_flood_from_a_peer_that_never_reads() {
        let _budget = Budget::start(Budget::DEFAULT).await;
        let running = echo_server(Config::default()).await;
        let addr = &running.addr;
        let mut stream = raw_client(addr, &encoded(&request(addr))).await;
        let before = rss();
        let ping = client_frame(true, PING, b"0123456789");
        let burst: Vec<u8> = ping
            .iter()
            .copied()
            .cycle()
            .take(ping.len() * 10_000)
            .collect();
        let mut sent = 0;
        for _ in 0..20 {
            match tokio::time::timeout(Duration::from_secs(2), stream.write_all(&burst)).await {
                Ok(Ok(())) => sent += 10_000,
                _ => break,
            }
        }
        assert!(sent >= 10_000, "the server read nothing");
        tokio::time::sleep(Duration::from_millis(200)).await;
        let grown = rss().saturating_sub(before);
        assert!(
            grown < 16 << 20,
            "RSS grew by {grown} bytes after {sent} Pings"
        );
        assert_still_serving(addr).await;
        running.handle.shutdown();
        running.task.await.unwrap();
    }

    /// A peer that sends large messages to the echo server but never reads
    /// the echoes: the server's sends wait (backpressure) instead of
    /// queueing, so memory stays near `max_write_buffer_size`.
    #[tokio::test]
    async fn peer_that_never_reads_cannot_grow_our_memory() {
        let _budget = Budget::start(Budget::DEFAULT).await;
        let config = Config::default().max_write_buffer_size(1 << 20);
        let running = echo_server(config).await;
        let addr = &running.addr;
        let mut stream = raw_client(addr, &encoded(&request(addr))).await;
        let before = rss();
        let message = client_frame(true, BINARY, &vec![0x55; 1 << 20]);
        let mut sent = 0usize;
        for _ in 0..200 {
            match tokio::time::timeout(Duration::from_secs(2), stream.write_all(&message)).await {
                Ok(Ok(())) => sent += 1,
                _ => break,
            }
        }
        assert!(sent >= 2, "sent {sent} MiB");
        assert!(
            sent < 200,
            "the server kept reading 200 MiB nobody read back"
        );
        let grown = rss().saturating_sub(before);
        assert!(
            grown < 24 << 20,
            "RSS grew by {grown} bytes after {sent} MiB sent and never read"
        );
        drop(stream);
        assert_still_serving(addr).await;
        running.handle.shutdown();
        running.task.await.unwrap();
    }
}

mod time {
    use super::*;

    #[tokio::test]
    async fn idle_peer_gets_1001_and_a_quiet_one_gets_pings() {
        let _budget = Budget::start(Budget::DEFAULT).await;
        let config = Config::default()
            .idle_timeout(Duration::from_millis(500))
            .keepalive_interval(Duration::from_millis(100))
            .close_timeout(Duration::from_secs(1));
        let running = echo_server(config).await;
        let addr = &running.addr;
        // Quiet but alive: our client answers the Pings, so it stays.
        let (mut ws, _) = rfc6455::connect(&format!("ws://{addr}/")).await.unwrap();
        let mut pings = 0;
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(1200) {
            match tokio::time::timeout(Duration::from_millis(300), ws.next()).await {
                Ok(Some(Ok(Message::Ping(_)))) => pings += 1,
                Ok(other) => panic!("unexpected {other:?}"),
                Err(_) => {}
            }
        }
        assert!(pings >= 3, "{pings} keep-alive Pings");
        ws.send(Message::text("alive")).await.unwrap();
        // A raw peer that answers nothing: cut off with 1001.
        let mut stream = raw_client(addr, &encoded(&request(addr))).await;
        let start = Instant::now();
        let answer = read_until_closed(&mut stream, Duration::from_secs(10)).await;
        assert_eq!(close_code_in(&answer), Some(1001), "{answer:02x?}");
        assert!(
            start.elapsed() < Duration::from_secs(7),
            "{:?}",
            start.elapsed()
        );
        running.handle.shutdown();
        running.task.await.unwrap();
    }
}

mod shutdown {
    use super::*;

    /// Shutdown sends 1001 to every open connection, waits for their
    /// closing handshakes, and reports; a peer that never answers is
    /// aborted at the shutdown timeout.
    #[tokio::test]
    async fn graceful_shutdown_sends_1001_and_reports() {
        let _budget = Budget::start(Budget::DEFAULT).await;
        let server = Server::bind("127.0.0.1:0", Config::default())
            .await
            .unwrap()
            .shutdown_timeout(Duration::from_millis(1500));
        let running = serve(server).await;
        let addr = running.addr.clone();
        let mut clients = Vec::new();
        for _ in 0..3 {
            clients.push(rfc6455::connect(&format!("ws://{addr}/")).await.unwrap().0);
        }
        // A peer that never reads nor answers.
        let _mute = raw_client(&addr, &encoded(&request(&addr))).await;
        let readers: Vec<_> = clients
            .into_iter()
            .map(|mut ws| {
                tokio::spawn(async move {
                    let mut last = None;
                    while let Some(msg) = ws.next().await {
                        last = Some(msg);
                    }
                    last
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let start = Instant::now();
        running.handle.shutdown();
        let report = running.task.await.unwrap();
        assert!(
            start.elapsed() < Duration::from_secs(4),
            "{:?}",
            start.elapsed()
        );
        for reader in readers {
            let last = reader.await.unwrap();
            match last {
                Some(Ok(Message::Close(Some(frame)))) => {
                    assert_eq!(frame.code, CloseCode::GOING_AWAY)
                }
                other => panic!("expected a 1001 Close, got {other:?}"),
            }
        }
        assert_eq!(report.open_at_shutdown, 4, "{report}");
        assert_eq!(report.closed, 3, "{report}");
        assert_eq!(report.aborted, 1, "{report}");
        // The listener is gone.
        assert!(TcpStream::connect(&addr).await.is_err());
    }
}

/// Peers that stop reading: whatever our side writes with (the whole
/// `WebSocket` or its halves; `send`, `feed` and `flush`, `close`, or the
/// write-out of `next`), the write ends within `Config::write_timeout`
/// with `Timeout { what: Write }`, or within `close_timeout` with
/// `Timeout { what: Close }` once closing, and the task sleeps meanwhile.
/// A server full of such peers gets its slots back.
mod never_reads {
    use super::*;
    use rfc6455::{TimeoutKind, WebSocket};
    use rfc6455_test_support::peer::{listener_small_window, raw_client_small_window, raw_server};
    use rfc6455_test_support::polls::count_polls;
    use tokio::io::{AsyncRead, AsyncWrite};

    /// More than the loopback TCP buffers between us and a peer that does
    /// not read (a few MiB, mostly our send buffer): the write stalls.
    const BIG: usize = 8 << 20;

    /// The timeout under test, short; the others stay long.
    const SHORT: Duration = Duration::from_millis(300);

    /// Generous, for noisy machines: the timeout under test is `SHORT`.
    const BOUND: Duration = Duration::from_secs(5);

    /// A task that sleeps until the socket or the timer wakes it is polled
    /// a handful of times; one that spins, thousands.
    const MAX_POLLS: usize = 100;

    /// How a test writes `BIG` to a WebSocket.
    #[derive(Debug, Clone, Copy)]
    enum Way {
        Send,
        FeedFlush,
        /// `feed`, then `WebSocket::close`: our Close waits behind it.
        Close,
        /// `feed`, then `next`, which writes pending output out.
        Next,
        SplitSend,
        SplitFeedFlush,
        /// `feed`, then the writing half's `close`.
        SplitClose,
        /// The writing half `feed`s, the reading half's `next` writes out.
        SplitNext,
    }

    /// Every way, the whole `WebSocket`'s and the halves'.
    const EVERY_WAY: [Way; 8] = [
        Way::Send,
        Way::FeedFlush,
        Way::Close,
        Way::Next,
        Way::SplitSend,
        Way::SplitFeedFlush,
        Way::SplitClose,
        Way::SplitNext,
    ];

    /// The ways that read, so that they see a Close from the peer.
    const READING_WAYS: [Way; 4] = [Way::Close, Way::Next, Way::SplitClose, Way::SplitNext];

    /// One payload shared by every message: a server queues it without a
    /// copy, so a server full of stalled writes holds it once.
    static PAYLOAD: std::sync::LazyLock<bytes::Bytes> =
        std::sync::LazyLock::new(|| vec![0x55; BIG].into());

    fn big() -> Message {
        Message::binary(PAYLOAD.clone())
    }

    /// The item `next` ended with, as a result.
    fn ended(item: Option<Result<Message, Error>>) -> Result<(), Error> {
        match item {
            Some(Err(e)) => Err(e),
            other => panic!("expected an error, got {other:?}"),
        }
    }

    impl Way {
        /// Writes `BIG` to `ws` this way; returns how the write ended. A
        /// split way also checks that the other half ends promptly: the
        /// reading half with at most one error, the writing half with one.
        async fn write<S>(self, mut ws: WebSocket<S>) -> Result<(), Error>
        where
            S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
        {
            match self {
                Way::Send => ws.send(big()).await,
                Way::FeedFlush => {
                    ws.feed(big()).await?;
                    ws.flush().await
                }
                Way::Close => {
                    ws.feed(big()).await?;
                    ws.close(CloseCode::NORMAL, "").await
                }
                Way::Next => {
                    ws.feed(big()).await?;
                    ended(ws.next().await)
                }
                Way::SplitSend | Way::SplitFeedFlush | Way::SplitClose => {
                    let (mut writer, mut reader) = ws.split();
                    let result = match self {
                        Way::SplitSend => writer.send(big()).await,
                        Way::SplitFeedFlush => {
                            writer.feed(big()).await?;
                            writer.flush().await
                        }
                        _ => {
                            writer.feed(big()).await?;
                            writer.close().await
                        }
                    };
                    let rest = tokio::time::timeout(BOUND, async {
                        if let Some(item) = reader.next().await {
                            assert!(item.is_err(), "{self:?}: {item:?}");
                        }
                        assert!(reader.next().await.is_none(), "{self:?}");
                    });
                    rest.await.expect("the reading half ends too");
                    result
                }
                Way::SplitNext => {
                    let (mut writer, mut reader) = ws.split();
                    writer.feed(big()).await?;
                    let result = ended(reader.next().await);
                    let flushed = tokio::time::timeout(BOUND, writer.flush()).await;
                    assert!(
                        matches!(flushed, Ok(Err(_))),
                        "{self:?}: the writing half fails too: {flushed:?}"
                    );
                    result
                }
            }
        }
    }

    /// How one write ended.
    #[derive(Debug)]
    struct Outcome {
        way: Way,
        result: Result<(), Error>,
        polls: usize,
        elapsed: Duration,
    }

    impl Outcome {
        async fn of<S>(way: Way, ws: WebSocket<S>) -> Outcome
        where
            S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
        {
            let start = Instant::now();
            let (result, polls) = count_polls(way.write(ws)).await;
            Outcome {
                way,
                result,
                polls,
                elapsed: start.elapsed(),
            }
        }

        /// It ended with `Timeout { what }`, after `SHORT` and well within
        /// `BOUND`, and the task slept while it waited.
        fn assert_timed_out(&self, what: TimeoutKind) {
            let way = self.way;
            assert!(
                matches!(self.result, Err(Error::Timeout { what: w }) if w == what),
                "{way:?}: expected a {what} timeout: {self:?}"
            );
            assert!(
                self.elapsed >= SHORT && self.elapsed < BOUND,
                "{way:?}: {self:?}"
            );
            assert!(self.polls <= MAX_POLLS, "{way:?}: a busy loop? {self:?}");
        }
    }

    /// A [`Server`] whose handler writes `BIG` one way per connection.
    struct Writing {
        addr: String,
        handle: ShutdownHandle,
        task: JoinHandle<ShutdownReport>,
        outcomes: tokio::sync::mpsc::UnboundedReceiver<Outcome>,
    }

    /// A server whose handler writes `BIG` one way per connection (in the
    /// order of `ways`, as connections come), at most `ways.len()`
    /// connections at a time.
    async fn server_writing(config: Config, ways: &'static [Way]) -> Writing {
        let server = Server::bind("127.0.0.1:0", config)
            .await
            .unwrap()
            .max_connections(ways.len());
        let addr = server.local_addr().unwrap().to_string();
        let handle = server.shutdown_handle();
        let (tx, outcomes) = tokio::sync::mpsc::unbounded_channel();
        let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let task = tokio::spawn(server.serve(move |ws, _| {
            let tx = tx.clone();
            let way = ways[next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % ways.len()];
            async move {
                let _ = tx.send(Outcome::of(way, ws).await);
            }
        }));
        Writing {
            addr,
            handle,
            task,
            outcomes,
        }
    }

    impl Writing {
        /// `n` outcomes, each within `BOUND` of the last.
        async fn outcomes(&mut self, n: usize) -> Vec<Outcome> {
            let mut all = Vec::new();
            while all.len() < n {
                let outcome = tokio::time::timeout(BOUND, self.outcomes.recv()).await;
                all.push(outcome.expect("an outcome in time").unwrap());
            }
            all
        }

        /// Every slot was taken; now one is free: a new client gets its
        /// 101, not a 503.
        async fn assert_serving_then_shut_down(self) {
            let addr = &self.addr;
            drop(raw_client(addr, &encoded(&request(addr))).await);
            self.handle.shutdown();
            self.task.await.unwrap();
        }
    }

    /// The write timeout under test; the close timeout long.
    fn write_timeout_short() -> Config {
        Config::default()
            .write_timeout(SHORT)
            .close_timeout(Duration::from_secs(30))
    }

    /// The close timeout under test; the write timeout long, and room for
    /// `BIG` in the output, so that input is still read while it waits:
    /// the peer's Close is seen.
    fn close_timeout_short() -> Config {
        Config::default()
            .close_timeout(SHORT)
            .write_timeout(Duration::from_secs(30))
            .max_write_buffer_size(2 * BIG)
    }

    /// A server with `config` writing each of `ways` to its own peer, which
    /// sends `then` and stops reading: each write ends with `Timeout {
    /// what }`, and the slots the peers held are free again.
    async fn server_against_peers(
        config: Config,
        ways: &'static [Way],
        then: &[u8],
        what: TimeoutKind,
    ) {
        let mut server = server_writing(config, ways).await;
        let addr = &server.addr;
        let mut peers = Vec::new();
        for _ in ways {
            let mut peer = raw_client_small_window(addr, &encoded(&request(addr))).await;
            peer.write_all(then).await.unwrap();
            peers.push(peer);
        }
        for outcome in server.outcomes(ways.len()).await {
            outcome.assert_timed_out(what);
        }
        server.assert_serving_then_shut_down().await;
    }

    /// Our client with `config` writing each of `ways` in turn to a server
    /// that sends `then` and stops reading: each ends with `Timeout {
    /// what }`. One at a time: the client masks, so each holds a copy of
    /// `BIG`.
    async fn client_against_servers(
        config: Config,
        ways: &'static [Way],
        then: &[u8],
        what: TimeoutKind,
    ) {
        let listener = listener_small_window();
        let url = format!("ws://{}/", listener.local_addr().unwrap());
        for &way in ways {
            let (ws, server) =
                tokio::join!(rfc6455::connect_with_config(&url, config.clone()), async {
                    let mut server = raw_server(&listener).await;
                    server.write_all(then).await.unwrap();
                    server
                });
            Outcome::of(way, ws.unwrap().0).await.assert_timed_out(what);
            drop(server);
        }
    }

    /// A server full of peers that never read: every way of writing ends
    /// with the write timeout, and the slots are free again.
    #[tokio::test]
    async fn server_writes_to_peers_that_never_read_time_out() {
        let _budget = Budget::start(Budget::DEFAULT).await;
        server_against_peers(write_timeout_short(), &EVERY_WAY, &[], TimeoutKind::Write).await;
    }

    /// Peers that send Close and then stop reading, while our Close (or
    /// its echo) waits behind a big message: the closing handshake ends at
    /// the close timeout, long before the write timeout.
    #[tokio::test]
    async fn server_close_that_cannot_be_written_times_out() {
        let _budget = Budget::start(Budget::DEFAULT).await;
        let close = client_frame(true, CLOSE, &close_payload(1000, b""));
        server_against_peers(
            close_timeout_short(),
            &READING_WAYS,
            &close,
            TimeoutKind::Close,
        )
        .await;
    }

    /// A peer that reads slowly but steadily is never cut off: each byte
    /// it takes restarts the write timeout, however long the message takes.
    #[tokio::test]
    async fn slow_but_steady_reader_is_not_cut_off() {
        let _budget = Budget::start(Budget::DEFAULT).await;
        let (ours, mut theirs) = tokio::io::duplex(4096);
        let timeout = Duration::from_secs(1);
        let config = Config::default().write_timeout(timeout);
        let mut ws = WebSocket::from_raw(ours, rfc6455::Role::Server, config);
        // 4 KiB every 100 ms: 64 KiB take 1.6 s, longer than the timeout.
        let reader = tokio::spawn(async move {
            let mut total = 0;
            let mut buf = [0u8; 4096];
            loop {
                tokio::time::sleep(Duration::from_millis(100)).await;
                match theirs.read(&mut buf).await {
                    Ok(0) | Err(_) => return total,
                    Ok(n) => total += n,
                }
            }
        });
        let start = Instant::now();
        ws.send(Message::binary(vec![7u8; 64 << 10])).await.unwrap();
        assert!(start.elapsed() > timeout, "{:?}", start.elapsed());
        drop(ws);
        assert!(reader.await.unwrap() > 64 << 10);
    }

    /// Our client against a server that never reads, each way in turn.
    #[tokio::test]
    async fn client_writes_to_a_server_that_never_reads_time_out() {
        let _budget = Budget::start(Budget::DEFAULT).await;
        client_against_servers(write_timeout_short(), &EVERY_WAY, &[], TimeoutKind::Write).await;
    }

    /// A server that sends Close and then stops reading, while our Close
    /// waits behind a big message: the close timeout ends it.
    #[tokio::test]
    async fn client_close_that_cannot_be_written_times_out() {
        let _budget = Budget::start(Budget::DEFAULT).await;
        let close = server_frame(true, CLOSE, &close_payload(1000, b""));
        client_against_servers(
            close_timeout_short(),
            &READING_WAYS,
            &close,
            TimeoutKind::Close,
        )
        .await;
    }
}
