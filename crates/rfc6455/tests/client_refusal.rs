//! A refusal explains itself (RFC 6455 §4.1: a status other than 101 is
//! handled "per HTTP procedures"): `connect` fails with the status, the
//! header fields and the body, the body read up to `Config::max_error_body`
//! and the handshake timeout, whatever a hostile server does. Over real
//! sockets. Every scenario holds a `memory::Budget` (one at a time); those
//! whose server never stops sending bound this process's growth by the
//! body limit.

use rfc6455::handshake::{Admission, ErrorResponse, Refusal};
use rfc6455::{Config, Error, HandshakeError, Server};
use rfc6455_test_support::memory::{rss, Budget};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Long enough for a loaded machine, short enough to call a hang a hang.
const LIMIT: Duration = Duration::from_secs(20);

/// Connects and expects a refusal: its response.
async fn refused(url: String, config: Config) -> ErrorResponse {
    let result = tokio::time::timeout(LIMIT, rfc6455::connect_with_config(url, config))
        .await
        .expect("no hang");
    match result {
        Err(Error::Handshake(HandshakeError::UnexpectedStatus(refusal))) => *refusal,
        Err(other) => panic!("not a refusal: {other:?}"),
        Ok(_) => panic!("accepted"),
    }
}

/// A server that answers every connection with `answer` once it has read
/// the request head, then sends `endless` over and over, as long as the
/// client reads (if it is not empty), and holds the connection open.
async fn hostile(answer: Vec<u8>, endless: &'static [u8]) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && tcp.read(&mut byte).await.unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                if tcp.write_all(&answer).await.is_err() {
                    return;
                }
                // Endless: body bytes for as long as the client reads
                // (bounded here too, so a broken client cannot keep this
                // test's server writing forever: 400 MiB). Else: silent,
                // open.
                // Whole copies of the pattern, so that the writes join up.
                let copies = 4096 / endless.len().max(1);
                let junk: Vec<u8> = endless
                    .iter()
                    .copied()
                    .cycle()
                    .take(copies * endless.len())
                    .collect();
                for _ in 0..(if endless.is_empty() { 0 } else { 100_000 }) {
                    if tcp.write_all(&junk).await.is_err() {
                        return;
                    }
                }
                tokio::time::sleep(LIMIT).await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn an_admission_refusal_reaches_the_client_with_its_fields_and_body() {
    let _budget = Budget::start(Budget::DEFAULT).await;
    let admission = Admission::sync(|parts| match parts.headers.get("authorization") {
        Some(_) => Err(Refusal::new(403).body("that key is revoked")),
        None => Err(Refusal::unauthorized("Bearer realm=\"chat\"").body("log in first")),
    });
    let server = Server::bind("127.0.0.1:0", Config::default())
        .await
        .unwrap()
        .admission(admission);
    let addr = server.local_addr().unwrap();
    let handle = server.shutdown_handle();
    let task = tokio::spawn(server.serve(|_ws, _| async {}));

    let refusal = refused(format!("ws://{addr}/chat"), Config::default()).await;
    assert_eq!(refusal.status, 401);
    assert_eq!(refusal.reason, "Unauthorized");
    assert_eq!(
        refusal.header("www-authenticate"),
        Some(&b"Bearer realm=\"chat\""[..])
    );
    assert_eq!(refusal.body_text(), "log in first");
    assert!(refusal.body_complete);

    let request = http::Request::get(format!("ws://{addr}/chat"))
        .header("Authorization", "Bearer old")
        .body(())
        .unwrap();
    let err = rfc6455::connect(request).await.expect_err("refused");
    assert_eq!(
        err.to_string(),
        "handshake failed: server answered 403, not 101"
    );
    let Error::Handshake(HandshakeError::UnexpectedStatus(refusal)) = err else {
        panic!("{err:?}");
    };
    assert_eq!(
        (refusal.status, refusal.body.as_slice()),
        (403, &b"that key is revoked"[..])
    );

    // A smaller limit cuts the body.
    let config = Config::default().max_error_body(3);
    let refusal = refused(format!("ws://{addr}/chat"), config).await;
    assert_eq!(
        (refusal.body_text().as_ref(), refusal.body_complete),
        ("log", false)
    );

    handle.shutdown();
    tokio::time::timeout(LIMIT, task).await.unwrap().unwrap();
}

#[tokio::test]
async fn chunked_and_close_delimited_bodies_are_read() {
    let _budget = Budget::start(Budget::DEFAULT).await;
    let chunked = b"HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\
        Retry-After: 3\r\n\r\n4\r\nback\r\n6\r\n soon!\r\n0\r\n\r\n"
        .to_vec();
    let addr = hostile(chunked, b"").await;
    let refusal = refused(format!("ws://{addr}/"), Config::default()).await;
    assert_eq!(refusal.status, 503);
    assert_eq!(refusal.header("retry-after"), Some(&b"3"[..]));
    assert_eq!(
        (refusal.body_text().as_ref(), refusal.body_complete),
        ("back soon!", true)
    );

    // No length: the body ends with the connection.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let mut scratch = [0u8; 1024];
        let _ = tcp.read(&mut scratch).await;
        let _ = tcp
            .write_all(b"HTTP/1.1 404 Not Found\r\n\r\nno such room")
            .await;
    });
    let refusal = refused(format!("ws://{addr}/"), Config::default()).await;
    assert_eq!(
        (refusal.body_text().as_ref(), refusal.body_complete),
        ("no such room", true)
    );
}

#[tokio::test]
async fn an_endless_body_is_cut_at_the_limit() {
    let _budget = Budget::start(Budget::DEFAULT).await;
    for head in [
        &b"HTTP/1.1 500 Oops\r\n\r\n"[..],
        b"HTTP/1.1 500 Oops\r\nContent-Length: 999999999999\r\n\r\n",
        b"HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffff\r\n",
    ] {
        let addr = hostile(head.to_vec(), b"x").await;
        let start = Instant::now();
        let refusal = refused(format!("ws://{addr}/"), Config::default()).await;
        assert_eq!(refusal.body.len(), 64 << 10);
        assert!(!refusal.body_complete);
        // Cut at the limit, not at the timeout.
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
    }
}

/// A `Content-Length`, or a chunk size, that announces more than the
/// server sends, then silence: the body ends at the handshake timeout with
/// what came, incomplete.
#[tokio::test]
async fn a_lying_length_ends_at_the_handshake_timeout() {
    let _budget = Budget::start(Budget::DEFAULT).await;
    for head in [
        &b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 100\r\n\r\nonly this"[..],
        b"HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\n\r\n64\r\nonly this",
    ] {
        let addr = hostile(head.to_vec(), b"").await;
        let config = Config::default().handshake_timeout(Duration::from_millis(500));
        let start = Instant::now();
        let refusal = refused(format!("ws://{addr}/"), config).await;
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(400) && took < Duration::from_secs(5),
            "{took:?}"
        );
        assert_eq!(
            (refusal.body_text().as_ref(), refusal.body_complete),
            ("only this", false)
        );
    }
}

/// A server that never stops sending its refusal's body, in every framing
/// (up to the end of the connection, a `Content-Length` it never reaches,
/// one endless chunk, endless small chunks): the body is cut at
/// `max_error_body`, at once, and this process grows by little more than
/// that, however much the server would send.
#[tokio::test]
async fn endless_bodies_stay_within_the_limit_in_memory() {
    let _budget = Budget::start(16 << 20).await;
    let max = 256 << 10;
    for (what, head, endless) in [
        (
            "close-delimited",
            &b"HTTP/1.1 500 Oops\r\n\r\n"[..],
            &b"x"[..],
        ),
        (
            "lying length",
            b"HTTP/1.1 500 Oops\r\nContent-Length: 18446744073709551615\r\n\r\n",
            b"x",
        ),
        (
            "one endless chunk",
            b"HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\n",
            b"x",
        ),
        (
            "endless small chunks",
            b"HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"2\r\nxx\r\n",
        ),
    ] {
        let addr = hostile(head.to_vec(), endless).await;
        let before = rss();
        let start = Instant::now();
        let config = Config::default().max_error_body(max);
        let refusal = refused(format!("ws://{addr}/"), config).await;
        let took = start.elapsed();
        let grown = rss().saturating_sub(before);
        assert_eq!(refusal.body.len(), max, "{what}");
        assert!(refusal.body.iter().all(|&b| b == b'x'), "{what}");
        assert!(!refusal.body_complete, "{what}");
        assert!(took < Duration::from_secs(5), "{what}: {took:?}");
        assert!(grown < max + (4 << 20), "{what}: RSS grew by {grown} bytes");
    }
}

/// Chunked framing that can never end well (RFC 9112 §7.1): a chunk-size
/// line, chunk extensions or trailers that never end, a size that is not
/// hex. The body ends at once, incomplete, with what came before; no
/// wait for the handshake timeout, no unbounded buffer.
#[tokio::test]
async fn broken_chunked_framing_ends_the_body_at_once() {
    let _budget = Budget::start(Budget::DEFAULT).await;
    let chunked = "HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nnope\r\n";
    for (what, tail, endless) in [
        ("endless size line", "1", &b"1"[..]),
        ("endless extensions", "1;a=", b"b"),
        ("endless trailers", "0\r\nX-T: ", b"t"),
        ("size not hex", "zz\r\n", b""),
        ("no CRLF after data", "2\r\nabX", b""),
    ] {
        let addr = hostile(format!("{chunked}{tail}").into_bytes(), endless).await;
        let start = Instant::now();
        let config = Config::default().handshake_timeout(LIMIT);
        let refusal = refused(format!("ws://{addr}/"), config).await;
        let took = start.elapsed();
        assert_eq!(refusal.status, 403, "{what}");
        assert!(
            refusal.body.starts_with(b"nope"),
            "{what}: {:?}",
            refusal.body_text()
        );
        assert!(refusal.body.len() <= 6, "{what}: {:?}", refusal.body_text());
        assert!(!refusal.body_complete, "{what}");
        assert!(took < Duration::from_secs(5), "{what}: {took:?}");
    }
}
