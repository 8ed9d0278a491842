//! The tokio layer over real loopback sockets: the opening handshake
//! (RFC 6455 §4), echo, and the closing handshake and failure (§7), seen
//! from a raw TCP peer that can check every byte.

use futures_util::{SinkExt, StreamExt};
use rfc6455::{CloseCode, Config, Error, Message};
use rfc6455_test_support::peer::{raw_client, read_head};
use rfc6455_test_support::*;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const REQUEST: &str = "GET /chat HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\
    Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Sec-WebSocket-Version: 13\r\n\r\n";

/// Starts a server that runs `handler` on one accepted WebSocket and
/// returns its address and the handler's result.
async fn one_server<F, Fut, T>(handler: F) -> (String, tokio::task::JoinHandle<T>)
where
    F: FnOnce(rfc6455::WebSocket<TcpStream>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = T> + Send,
    T: Send + 'static,
{
    one_raw_server(|stream| async move {
        let ws = rfc6455::accept(stream).await.expect("handshake");
        handler(ws).await
    })
    .await
}

async fn one_raw_server<F, Fut, T>(handler: F) -> (String, tokio::task::JoinHandle<T>)
where
    F: FnOnce(TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = T> + Send,
    T: Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let task = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        handler(stream).await
    });
    (addr, task)
}

async fn echo(mut ws: rfc6455::WebSocket<TcpStream>) -> Result<(), Error> {
    while let Some(msg) = ws.next().await {
        let msg = msg?;
        if msg.is_data() {
            ws.send(msg).await?;
        }
    }
    Ok(())
}

/// Reads until EOF (with a timeout, so a test cannot hang).
async fn read_to_eof(stream: &mut TcpStream) -> Vec<u8> {
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest))
        .await
        .expect("peer closed the connection")
        .unwrap();
    rest
}

mod s4_opening_handshake {
    use super::*;

    #[tokio::test]
    async fn client_and_server_echo() {
        let (addr, server) = one_server(echo).await;
        let (mut ws, _) = rfc6455::connect(&format!("ws://{addr}/echo"))
            .await
            .unwrap();
        ws.send(Message::text("hello")).await.unwrap();
        ws.send(Message::binary(vec![0u8; 70_000])).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("hello"));
        assert_eq!(
            ws.next().await.unwrap().unwrap(),
            Message::binary(vec![0u8; 70_000])
        );
        ws.close(CloseCode::NORMAL, "done").await.unwrap();
        server.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn frame_right_behind_the_101_is_not_lost() {
        // A raw server that sends its first frame in the same write as the 101.
        let (addr, _server) = one_raw_server(|mut stream| async move {
            let mut buf = vec![0; 4096];
            let n = stream.read(&mut buf).await.unwrap();
            let request = String::from_utf8_lossy(&buf[..n]).to_string();
            let key = request
                .lines()
                .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
                .unwrap()
                .trim()
                .to_owned();
            let mut response = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Accept: {}\r\n\r\n",
                rfc6455::handshake::accept_key(key.as_bytes())
            )
            .into_bytes();
            response.extend(server_frame(true, TEXT, b"first"));
            stream.write_all(&response).await.unwrap();
            read_to_eof(&mut stream).await;
        })
        .await;
        let (mut ws, _) = rfc6455::connect(&format!("ws://{addr}/")).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("first"));
    }

    #[tokio::test]
    async fn frame_right_behind_the_request_is_not_lost() {
        let (addr, server) = one_server(|mut ws| async move { ws.next().await }).await;
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        let mut bytes = REQUEST.as_bytes().to_vec();
        bytes.extend(client_frame(true, TEXT, b"eager"));
        stream.write_all(&bytes).await.unwrap();
        assert!(read_head(&mut stream).await.starts_with("HTTP/1.1 101"));
        let got = server.await.unwrap().unwrap().unwrap();
        assert_eq!(got, Message::text("eager"));
    }

    #[tokio::test]
    async fn wrong_version_is_answered_426_with_version_header() {
        let (addr, server) = one_raw_server(rfc6455::accept).await;
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        let request = REQUEST.replace("Version: 13", "Version: 8");
        stream.write_all(request.as_bytes()).await.unwrap();
        let head = read_head(&mut stream).await;
        assert!(head.starts_with("HTTP/1.1 426"), "{head}");
        assert!(head.contains("Sec-WebSocket-Version: 13"), "{head}");
        assert!(matches!(server.await.unwrap(), Err(Error::Handshake(_))));
    }

    #[tokio::test]
    async fn bad_request_is_answered_400() {
        let (addr, server) = one_raw_server(rfc6455::accept).await;
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        let request = REQUEST.replace("Host: localhost\r\n", "");
        stream.write_all(request.as_bytes()).await.unwrap();
        let head = read_head(&mut stream).await;
        assert!(head.starts_with("HTTP/1.1 400"), "{head}");
        assert!(matches!(server.await.unwrap(), Err(Error::Handshake(_))));
    }

    #[tokio::test]
    async fn slow_handshake_times_out() {
        let config = Config::default().handshake_timeout(Duration::from_millis(200));
        let (addr, server) =
            one_raw_server(move |stream| rfc6455::accept_with_config(stream, config)).await;
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        stream.write_all(&REQUEST.as_bytes()[..10]).await.unwrap();
        let result = server.await.unwrap();
        assert!(
            matches!(
                result,
                Err(Error::Timeout {
                    what: rfc6455::TimeoutKind::Handshake
                })
            ),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn non_websocket_server_is_an_error() {
        let (addr, _server) = one_raw_server(|mut stream| async move {
            let mut buf = vec![0; 4096];
            let _ = stream.read(&mut buf).await;
            let body = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
            stream.write_all(body.as_bytes()).await.unwrap();
        })
        .await;
        let result = rfc6455::connect(&format!("ws://{addr}/")).await;
        assert!(matches!(result, Err(Error::Handshake(_))), "{result:?}");
    }
}

mod s7_closing {
    use super::*;

    #[tokio::test]
    async fn violation_is_answered_with_close_before_the_error_is_returned() {
        let (addr, server) = one_server(echo).await;
        let mut stream = raw_client(&addr, REQUEST.as_bytes()).await;
        // An unmasked frame from a client: 1002.
        stream
            .write_all(&server_frame(true, TEXT, b"x"))
            .await
            .unwrap();
        let mut close = [0u8; 4];
        stream.read_exact(&mut close).await.unwrap();
        assert_eq!(close[0], 0x88, "a Close frame");
        assert_eq!(u16::from_be_bytes([close[2], close[3]]), 1002);
        // Our Close reply; the server then closes TCP and returns its error.
        stream
            .write_all(&client_frame(true, CLOSE, &close_payload(1002, b"")))
            .await
            .unwrap();
        read_to_eof(&mut stream).await;
        drop(stream);
        let result = server.await.unwrap();
        assert!(matches!(result, Err(Error::Protocol(_))), "{result:?}");
    }

    #[tokio::test]
    async fn invalid_utf8_mid_frame_closes_with_1007_at_once() {
        let (addr, server) = one_server(echo).await;
        let mut stream = raw_client(&addr, REQUEST.as_bytes()).await;
        let wire = client_frame(true, TEXT, b"ok\xf4\x90\x80\x80 and more that never comes");
        // Send only the header and the bad bytes; keep the rest back.
        stream.write_all(&wire[..6 + 4]).await.unwrap();
        let mut close = [0u8; 4];
        tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut close))
            .await
            .expect("closed before the frame completed")
            .unwrap();
        assert_eq!(u16::from_be_bytes([close[2], close[3]]), 1007);
        drop(stream);
        assert!(server.await.unwrap().is_err());
    }

    #[tokio::test]
    async fn server_closes_tcp_first_after_client_close() {
        let (addr, server) = one_server(echo).await;
        let mut stream = raw_client(&addr, REQUEST.as_bytes()).await;
        stream
            .write_all(&client_frame(true, CLOSE, &close_payload(1000, b"bye")))
            .await
            .unwrap();
        let rest = read_to_eof(&mut stream).await;
        // The server echoed the code and then closed its side.
        assert_eq!(&rest[..4], &[0x88, 2, 0x03, 0xe8]);
        drop(stream);
        assert!(server.await.unwrap().is_ok());
    }

    #[tokio::test]
    async fn client_yields_close_after_server_closes() {
        let (addr, server) =
            one_server(
                |mut ws| async move { ws.close(CloseCode::GOING_AWAY, "shutting down").await },
            )
            .await;
        let (mut ws, _) = rfc6455::connect(&format!("ws://{addr}/")).await.unwrap();
        let msg = ws.next().await.unwrap().unwrap();
        assert!(matches!(msg, Message::Close(Some(f)) if f.code == CloseCode::GOING_AWAY));
        assert!(ws.next().await.is_none());
        server.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn peer_that_never_answers_close_times_out() {
        let config = Config::default().close_timeout(Duration::from_millis(200));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let mut ws = rfc6455::accept_with_config(stream, config).await.unwrap();
            ws.close(CloseCode::NORMAL, "").await
        });
        let mut stream = raw_client(&addr.to_string(), REQUEST.as_bytes()).await;
        let started = std::time::Instant::now();
        let result = server.await.unwrap();
        assert!(
            matches!(
                result,
                Err(Error::Timeout {
                    what: rfc6455::TimeoutKind::Close
                })
            ),
            "{result:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(3));
        let rest = read_to_eof(&mut stream).await;
        assert_eq!(rest[0], 0x88);
    }

    #[tokio::test]
    async fn peer_vanishing_is_abnormal_closure() {
        let (addr, server) = one_server(echo).await;
        let stream = raw_client(&addr, REQUEST.as_bytes()).await;
        drop(stream);
        let result = server.await.unwrap();
        assert!(matches!(result, Err(Error::AbnormalClosure)), "{result:?}");
    }

    #[tokio::test]
    async fn send_after_close_is_an_error() {
        let (addr, _server) = one_server(echo).await;
        let (mut ws, _) = rfc6455::connect(&format!("ws://{addr}/")).await.unwrap();
        ws.close(CloseCode::NORMAL, "").await.unwrap();
        assert!(matches!(
            ws.send(Message::text("late")).await,
            Err(Error::ConnectionClosed)
        ));
    }
}
