//! tokio-tungstenite's echo server (its `examples/echo-server.rs`, less the
//! logging), ported by changing one line: `tokio_tungstenite::accept_async`
//! became `rfc6455::accept`. The README shows the diff; this test keeps it
//! true.

use futures_util::{future, StreamExt, TryStreamExt};
use tokio::net::{TcpListener, TcpStream};

async fn accept_connection(stream: TcpStream) {
    let ws_stream = rfc6455::accept(stream) // was: tokio_tungstenite::accept_async(stream)
        .await
        .expect("Error during the websocket handshake occurred");

    let (write, read) = ws_stream.split();
    // We should not forward messages other than text or binary.
    read.try_filter(|msg| future::ready(msg.is_text() || msg.is_binary()))
        .forward(write)
        .await
        .expect("Failed to forward messages")
}

async fn serve(listener: TcpListener) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(accept_connection(stream));
    }
}

#[tokio::test]
async fn the_ported_echo_server_echoes_data_and_closes_cleanly() {
    use futures_util::SinkExt;
    use rfc6455::{CloseCode, Message};

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener));

    let (mut ws, _) = rfc6455::connect(&format!("ws://{addr}/")).await.unwrap();
    // A Ping is answered by the library, not forwarded by the filter.
    ws.send(Message::ping(&b"are you there"[..])).await.unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Message::pong(&b"are you there"[..])
    );
    for msg in [
        Message::text("hello"),
        Message::binary(vec![1u8, 2, 3]),
        Message::text(String::from("a longer message ").repeat(1000)),
    ] {
        ws.send(msg.clone()).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), msg);
    }
    ws.close(CloseCode::NORMAL, "bye").await.unwrap();
}
