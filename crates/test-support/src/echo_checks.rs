//! What the tests of the `hyper_echo`, `axum_echo` and `axum_extractor`
//! examples (and of the hyper and axum upgrades) check of a running echo
//! server, with rfc6455's own client.

use futures_util::{SinkExt, StreamExt};
use rfc6455::deflate::DeflateConfig;
use rfc6455::{CloseCode, Config, MaybeTlsStream, Message, WebSocket};
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

/// Starts `serve` on an ephemeral loopback port, then runs every check
/// below against it.
pub async fn check_echo_server<F>(serve: impl FnOnce(TcpListener) -> F)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener));
    round_trip(addr).await;
    plain_get_is_refused(addr).await;
}

/// Text and Binary come back, a Ping is answered, and the closing
/// handshake completes; with permessage-deflate negotiated.
pub async fn round_trip(addr: SocketAddr) {
    let config = Config::default().deflate(DeflateConfig::default());
    let (mut ws, _) = rfc6455::connect_with_config(format!("ws://{addr}/"), config)
        .await
        .expect("the opening handshake");
    for msg in [
        Message::text("hello"),
        Message::text("é".repeat(5000)),
        Message::binary(vec![0u8, 1, 2, 255]),
    ] {
        ws.send(msg.clone()).await.expect("send");
        assert_eq!(ws.next().await.expect("a reply").expect("no error"), msg);
    }
    ws.send(Message::Ping("are you there".into()))
        .await
        .expect("send a Ping");
    let pong = ws.next().await.expect("a reply").expect("no error");
    assert_eq!(pong, Message::Pong("are you there".into()));
    ws.close(CloseCode::NORMAL, "bye")
        .await
        .expect("the closing handshake");
}

/// A plain GET gets 400 with the reason, and no upgrade.
pub async fn plain_get_is_refused(addr: SocketAddr) {
    let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .expect("send the request");
    let mut answer = Vec::new();
    // The refusal says `Connection: close`: the server ends the connection.
    tcp.read_to_end(&mut answer).await.expect("read the answer");
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "{answer}"
    );
    assert!(answer.ends_with("missing `Upgrade: websocket`"), "{answer}");
}

/// A client of the echo server at `addr` (path `/`), checked by one echo.
pub async fn echoing_client(addr: SocketAddr) -> WebSocket<MaybeTlsStream> {
    let (mut ws, _) = rfc6455::connect(format!("ws://{addr}/"))
        .await
        .expect("the opening handshake");
    ws.send(Message::text("before")).await.expect("send");
    assert_eq!(
        ws.next().await.expect("a reply").expect("no error"),
        Message::text("before")
    );
    ws
}

/// Reads `ws` until the server's Close, within 5 s, and returns its code
/// (`None` for a Close without one). Panics if no Close comes (the stream
/// ends, fails, or times out).
pub async fn next_close_code<S>(ws: &mut WebSocket<S>) -> Option<CloseCode>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let close = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(_)) => {}
                other => panic!("no Close from the server: {other:?}"),
            }
        }
    })
    .await
    .expect("a Close within 5 s");
    close.map(|frame| frame.code)
}

/// Connects an [`echoing_client`], calls `shutdown`, and returns the code
/// of the Close the server then sends ([`next_close_code`]).
pub async fn close_code_at_shutdown(
    addr: SocketAddr,
    shutdown: impl FnOnce(),
) -> Option<CloseCode> {
    let mut ws = echoing_client(addr).await;
    shutdown();
    next_close_code(&mut ws).await
}
