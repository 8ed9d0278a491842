//! A refusal explains itself (RFC 6455 §4.1: a status other than 101 is
//! handled "per HTTP procedures"): `connect` fails with the status, the
//! header fields and the body, the body read up to `Config::max_error_body`
//! and the handshake timeout, whatever a hostile server does. Over real
//! sockets.

use rfc6455::handshake::{Admission, ErrorResponse, Refusal};
use rfc6455::{Config, Error, HandshakeError, Server};
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
/// the request head, then holds the connection open (`hold`) or closes it.
async fn hostile(answer: Vec<u8>, endless: bool) -> SocketAddr {
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
                // test's server writing forever). Else: silent, open.
                let junk = [b'x'; 4096];
                for _ in 0..(if endless { 100_000 } else { 0 }) {
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
    let chunked = b"HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\
        Retry-After: 3\r\n\r\n4\r\nback\r\n6\r\n soon!\r\n0\r\n\r\n"
        .to_vec();
    let addr = hostile(chunked, false).await;
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
    for head in [
        &b"HTTP/1.1 500 Oops\r\n\r\n"[..],
        b"HTTP/1.1 500 Oops\r\nContent-Length: 999999999999\r\n\r\n",
        b"HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffff\r\n",
    ] {
        let addr = hostile(head.to_vec(), true).await;
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

#[tokio::test]
async fn a_lying_length_ends_at_the_handshake_timeout() {
    let head = b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 100\r\n\r\nonly this".to_vec();
    let addr = hostile(head, false).await;
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
