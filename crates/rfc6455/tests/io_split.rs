//! `WebSocket::split`: a reading half and a writing half in different
//! tasks, over in-memory pipes small enough that both halves block on the
//! same transport, and over loopback TCP.

use futures_util::{SinkExt, StreamExt};
use rfc6455::{CloseCode, Config, Message, Role, WebSocket};
use std::time::Duration;
use tokio::io::{duplex, DuplexStream};

/// Generous: each test finishes in milliseconds unless a wakeup is lost.
const DEADLINE: Duration = Duration::from_secs(20);

/// A server `WebSocket` on one end of a pipe of `capacity` bytes that
/// echoes data messages, and the client `WebSocket` on the other end.
fn echo_pair(capacity: usize) -> (WebSocket<DuplexStream>, tokio::task::JoinHandle<()>) {
    let (client_io, server_io) = duplex(capacity);
    let server = tokio::spawn(async move {
        let mut ws = WebSocket::from_raw(server_io, Role::Server, Config::default());
        while let Some(Ok(msg)) = ws.next().await {
            if msg.is_data() && ws.send(msg).await.is_err() {
                break;
            }
        }
    });
    (
        WebSocket::from_raw(client_io, Role::Client, Config::default()),
        server,
    )
}

#[tokio::test]
async fn halves_in_two_tasks_echo_everything_then_close() {
    let (ws, server) = echo_pair(64 << 10);
    let (mut writer, mut reader) = ws.split();
    let sent = 1_000;
    let writing = tokio::spawn(async move {
        for i in 0..sent {
            writer.send(Message::text(format!("message {i}"))).await?;
        }
        writer.close().await?;
        Ok::<_, rfc6455::Error>(writer)
    });
    let reading = tokio::spawn(async move {
        let mut texts = Vec::new();
        let mut close = None;
        while let Some(msg) = reader.next().await {
            match msg? {
                Message::Text(t) => texts.push(t.to_string()),
                Message::Close(frame) => close = Some(frame),
                _ => {}
            }
        }
        Ok::<_, rfc6455::Error>((reader, texts, close))
    });
    let (writer, (reader, texts, close)) = tokio::time::timeout(DEADLINE, async {
        (
            writing.await.unwrap().unwrap(),
            reading.await.unwrap().unwrap(),
        )
    })
    .await
    .expect("the halves finished");
    assert_eq!(texts.len(), sent);
    for (i, text) in texts.iter().enumerate() {
        assert_eq!(text, &format!("message {i}"));
    }
    // The server echoed our Close (1000), §5.5.1.
    assert_eq!(close.flatten().map(|f| f.code), Some(CloseCode::NORMAL));
    server.await.unwrap();
    // Reunited, the WebSocket is over.
    let mut ws = reader.reunite(writer).expect("a pair");
    assert!(ws.next().await.is_none());
}

/// The writer blocks on a full pipe; the reader then polls the same
/// transport, which registers its own waker for writing too. A split that
/// let the reader's waker replace the writer's would leave the writer
/// asleep once the reader flushed its message.
#[tokio::test]
async fn a_writer_blocked_on_a_full_pipe_is_woken_while_the_reader_waits() {
    for capacity in [64, 1024, 4096] {
        let (ws, server) = echo_pair(capacity);
        let (mut writer, mut reader) = ws.split();
        let big = vec![7u8; 256 << 10];
        let expected = big.clone();
        let writing = tokio::spawn(async move {
            for _ in 0..4 {
                writer.send(Message::binary(big.clone())).await?;
            }
            writer.send(Message::text("done")).await?;
            Ok::<_, rfc6455::Error>(writer)
        });
        let reading = tokio::spawn(async move {
            let mut got = 0;
            while let Some(msg) = reader.next().await {
                match msg? {
                    Message::Binary(data) => {
                        assert_eq!(data[..], expected[..]);
                        got += 1;
                    }
                    Message::Text(t) if t.as_str() == "done" => break,
                    other => panic!("unexpected {other:?}"),
                }
            }
            Ok::<_, rfc6455::Error>((reader, got))
        });
        let (writer, (reader, got)) = tokio::time::timeout(DEADLINE, async {
            (
                writing.await.unwrap().unwrap(),
                reading.await.unwrap().unwrap(),
            )
        })
        .await
        .unwrap_or_else(|_| panic!("a half was never woken (pipe of {capacity} bytes)"));
        assert_eq!(got, 4);
        let mut ws = reader.reunite(writer).expect("a pair");
        ws.close(CloseCode::NORMAL, "").await.unwrap();
        server.await.unwrap();
    }
}

#[tokio::test]
async fn reunite_refuses_halves_of_different_websockets() {
    let (a, _sa) = echo_pair(1024);
    let (b, _sb) = echo_pair(1024);
    let (writer_a, reader_a) = a.split();
    let (writer_b, reader_b) = b.split();
    assert!(reader_a.is_pair_of(&writer_a));
    assert!(!reader_a.is_pair_of(&writer_b));
    let rfc6455::ReuniteError(reader_a, writer_b) = reader_a.reunite(writer_b).unwrap_err();
    assert!(reader_a.reunite(writer_a).is_ok());
    assert!(reader_b.reunite(writer_b).is_ok());
}

#[tokio::test]
async fn sending_after_the_peer_closed_fails_with_connection_closed() {
    let (client_io, server_io) = duplex(4096);
    let server = tokio::spawn(async move {
        let mut ws = WebSocket::from_raw(server_io, Role::Server, Config::default());
        ws.close(CloseCode::GOING_AWAY, "bye").await
    });
    let ws = WebSocket::from_raw(client_io, Role::Client, Config::default());
    let (mut writer, mut reader) = ws.split();
    match reader.next().await {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::GOING_AWAY),
        other => panic!("expected the server's Close, got {other:?}"),
    }
    assert!(reader.next().await.is_none());
    let err = writer.send(Message::text("late")).await.unwrap_err();
    assert!(
        matches!(err, rfc6455::Error::ConnectionClosed),
        "got {err:?}"
    );
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn split_over_loopback_tcp() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let ws = rfc6455::accept(stream).await.unwrap();
        // The server splits too: its writer answers from another task.
        let (mut writer, mut reader) = ws.split();
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Message>(16);
        let answering = tokio::spawn(async move {
            while let Some(msg) = rx.recv().await {
                writer.send(msg).await?;
            }
            Ok::<_, rfc6455::Error>(writer)
        });
        while let Some(Ok(msg)) = reader.next().await {
            if msg.is_data() {
                tx.send(msg).await.unwrap();
            }
        }
        drop(tx);
        answering.await.unwrap().unwrap();
    });
    let (mut ws, _) = rfc6455::connect(&format!("ws://{addr}/")).await.unwrap();
    for i in 0..100 {
        ws.send(Message::text(format!("{i}"))).await.unwrap();
        match ws.next().await {
            Some(Ok(Message::Text(t))) => assert_eq!(t.as_str(), format!("{i}")),
            other => panic!("expected an echo, got {other:?}"),
        }
    }
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    tokio::time::timeout(DEADLINE, server)
        .await
        .unwrap()
        .unwrap();
}

/// RFC 6455 §5.4 on split halves: a message streamed out of the writing
/// half (an `AsyncWrite`, and piece by piece) while the reading half
/// streams the echo in, over a pipe far smaller than the message, so each
/// half must make way for the other.
#[tokio::test]
async fn halves_stream_a_message_each_way_at_once() {
    use rfc6455::MessageKind;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (ws, server) = echo_pair(4 << 10);
    let (mut writer, mut reader) = ws.split();
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 31 % 251) as u8).collect();
    let expected = data.clone();
    let writing = tokio::spawn(async move {
        let mut message = writer.message_writer(MessageKind::Binary)?;
        message.write_all(&data).await?;
        message.shutdown().await?;
        assert!(!message.is_open());
        writer.begin_message(MessageKind::Text)?;
        writer.feed_fragment(b"piece ", false).await?;
        writer.send_fragment(b"by piece", true).await?;
        writer.close().await?;
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
    });
    let reading = async {
        let mut echoed = Vec::new();
        let mut message = reader.message_reader();
        message.read_to_end(&mut echoed).await.unwrap();
        assert_eq!(message.kind(), Some(MessageKind::Binary));
        assert!(echoed == expected, "the streamed echo differs");
        let text = reader.next().await.unwrap().unwrap();
        assert_eq!(text, Message::text("piece by piece"));
        while let Some(msg) = reader.next().await {
            msg.unwrap();
        }
    };
    tokio::time::timeout(DEADLINE, async {
        reading.await;
        writing.await.unwrap().unwrap();
        server.await.unwrap();
    })
    .await
    .expect("both halves finish");
}
