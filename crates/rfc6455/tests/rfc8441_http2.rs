//! RFC 8441: WebSockets over HTTP/2, served through hyper (feature
//! `http2`). A hyper HTTP/2 server with the extended CONNECT protocol
//! enabled hands requests to `rfc6455::hyper::Upgrade`; hyper's own
//! HTTP/2 client opens WebSockets on one connection with `:protocol`
//! websocket (§4), and our `WebSocket` runs on each stream (§5): echoes,
//! many streams on one connection, subprotocol and permessage-deflate
//! negotiated as over HTTP/1.1, the closing handshake, and the refusals.
#![cfg(feature = "http2")]

use futures_util::{SinkExt, StreamExt};
use hyper::ext::Protocol;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rfc6455::deflate::DeflateConfig;
use rfc6455::hyper::Upgrade;
use rfc6455::{CloseCode, Config, Message, Role, WebSocket};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

/// Generous: every exchange here takes milliseconds.
const DEADLINE: Duration = Duration::from_secs(20);

/// A hyper HTTP/2 server (cleartext, prior knowledge) that echoes on
/// every WebSocket it accepts, with subprotocol `chat` and
/// permessage-deflate. Returns its address.
async fn h2_echo_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|mut request| async move {
                    let upgrade = Upgrade::new(Config::default().deflate(DeflateConfig::default()))
                        .protocols(["chat"]);
                    let (response, upgrading) = match upgrade.upgrade(&mut request) {
                        Ok(accepted) => accepted,
                        Err(refusal) => return Ok::<_, hyper::Error>(refusal.to_http()),
                    };
                    tokio::spawn(async move {
                        let mut ws = upgrading.await.expect("the stream is the WebSocket's");
                        while let Some(Ok(msg)) = ws.next().await {
                            if msg.is_data() && ws.send(msg).await.is_err() {
                                break;
                            }
                        }
                    });
                    Ok(response)
                });
                let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                    .enable_connect_protocol()
                    .serve_connection(TokioIo::new(tcp), service)
                    .await;
            });
        }
    });
    addr
}

/// The same echo served by axum (`axum::serve` with axum's `http2`) through
/// rfc6455's extractor, routed with `any`: HTTP/1.1 upgrades and HTTP/2
/// extended CONNECTs alike.
async fn axum_echo_server() -> String {
    use rfc6455::axum::WebSocketUpgrade;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let app = axum::Router::new().route(
        "/chat",
        axum::routing::any(|ws: WebSocketUpgrade| async move {
            ws.config(Config::default().deflate(DeflateConfig::default()))
                .protocols(["chat"])
                .on_upgrade(|mut ws| async move {
                    while let Some(Ok(msg)) = ws.next().await {
                        if msg.is_data() && ws.send(msg).await.is_err() {
                            break;
                        }
                    }
                })
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// The same echo served by `rfc6455::http2::serve_connection`, our own
/// HTTP/2 server side.
async fn our_h2_echo_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        loop {
            let (tcp, peer) = listener.accept().await.unwrap();
            let upgrade = Upgrade::new(Config::default().deflate(DeflateConfig::default()))
                .protocols(["chat"]);
            tokio::spawn(rfc6455::http2::serve_connection(
                tcp,
                peer,
                upgrade,
                |mut ws, accepted| async move {
                    assert_eq!(accepted.request.method, http::Method::CONNECT);
                    while let Some(Ok(msg)) = ws.next().await {
                        if msg.is_data() && ws.send(msg).await.is_err() {
                            break;
                        }
                    }
                },
            ));
        }
    });
    addr
}

/// hyper's HTTP/2 client on one connection to `addr`.
async fn h2_client(addr: &str) -> hyper::client::conn::http2::SendRequest<String> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (send, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .unwrap();
    tokio::spawn(connection);
    send
}

/// An extended CONNECT for a WebSocket at `path` (§4), with these fields.
fn connect_request(addr: &str, path: &str, fields: &[(&str, &str)]) -> hyper::Request<String> {
    let mut request = hyper::Request::connect(format!("http://{addr}{path}"))
        .version(http::Version::HTTP_2)
        .extension(Protocol::from_static("websocket"));
    for (name, value) in fields {
        request = request.header(*name, *value);
    }
    request.body(String::new()).unwrap()
}

/// Sends `request`, once the server's SETTINGS allow `:protocol` (§3: a
/// client must not send it before).
async fn send(
    client: &mut hyper::client::conn::http2::SendRequest<String>,
    request: impl Fn() -> hyper::Request<String>,
) -> hyper::Response<hyper::body::Incoming> {
    for _ in 0..100 {
        client.ready().await.unwrap();
        match client.send_request(request()).await {
            Ok(response) => return response,
            // The server's SETTINGS not read yet.
            Err(e) if format!("{e:?}").contains("extended connect") => {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Err(e) => panic!("the request failed: {e:?}"),
        }
    }
    panic!("the server never enabled the extended CONNECT protocol");
}

/// Opens a WebSocket at `path` on `client`'s connection, offering `chat`
/// and permessage-deflate.
async fn open(
    client: &mut hyper::client::conn::http2::SendRequest<String>,
    addr: &str,
    path: &str,
) -> WebSocket<TokioIo<hyper::upgrade::Upgraded>> {
    let deflate = DeflateConfig::default();
    let offer = deflate.offer();
    let mut response = send(client, || {
        connect_request(
            addr,
            path,
            &[
                ("sec-websocket-version", "13"),
                ("sec-websocket-protocol", "chat, superchat"),
                ("sec-websocket-extensions", &offer),
            ],
        )
    })
    .await;
    // §5: a 200, not a 101, and no Sec-WebSocket-Accept.
    assert_eq!(response.status(), http::StatusCode::OK);
    let headers = response.headers();
    assert_eq!(headers["sec-websocket-protocol"], "chat");
    assert!(headers.get("sec-websocket-accept").is_none());
    let extensions = headers
        .get_all("sec-websocket-extensions")
        .iter()
        .map(|v| v.to_str().unwrap());
    let params = deflate
        .validate_response(extensions)
        .unwrap()
        .expect("permessage-deflate agreed");
    let upgraded = hyper::upgrade::on(&mut response).await.unwrap();
    WebSocket::from_raw_with_deflate(
        TokioIo::new(upgraded),
        Role::Client,
        Config::default().deflate(deflate),
        Some(params),
    )
}

#[tokio::test]
async fn a_websocket_over_an_http2_stream_echoes_and_closes() {
    tokio::time::timeout(DEADLINE, async {
        let addr = h2_echo_server().await;
        let mut client = h2_client(&addr).await;
        let mut ws = open(&mut client, &addr, "/chat").await;
        let big = "compressible ".repeat(10_000);
        for msg in [
            Message::text("over HTTP/2"),
            Message::binary(vec![7u8; 70_000]),
            Message::text(big),
        ] {
            ws.send(msg.clone()).await.unwrap();
            assert_eq!(ws.next().await.unwrap().unwrap(), msg);
        }
        // The closing handshake runs in the stream, and the stream's end
        // stands for TCP's (§5): `close` returns once the server's Close
        // came back and the stream ended.
        ws.close(CloseCode::NORMAL, "done").await.unwrap();
        assert!(ws.connection().close_received());
        assert!(ws.next().await.is_none());
    })
    .await
    .expect("in time");
}

/// hyper's client opens 50 WebSockets on one connection, against hyper's
/// server and against ours (`serve_connection`).
#[tokio::test]
async fn many_websockets_share_one_http2_connection() {
    tokio::time::timeout(DEADLINE, async {
        for addr in [h2_echo_server().await, our_h2_echo_server().await] {
            many_streams(&addr).await;
        }
    })
    .await
    .expect("in time");
}

async fn many_streams(addr: &str) {
    let client = h2_client(addr).await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let mut client = client.clone();
        let addr = addr.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut ws = open(&mut client, &addr, &format!("/stream/{i}")).await;
            for j in 0..20 {
                let msg = Message::text(format!("stream {i} message {j}: {}", "x".repeat(i * 100)));
                ws.send(msg.clone()).await.unwrap();
                assert_eq!(ws.next().await.unwrap().unwrap(), msg);
            }
            ws.close(CloseCode::NORMAL, "").await.unwrap();
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}

#[tokio::test]
async fn refusals_carry_the_status_the_rfcs_name() {
    tokio::time::timeout(DEADLINE, async {
        for addr in [h2_echo_server().await, our_h2_echo_server().await] {
            refusals_from(&addr).await;
        }
    })
    .await
    .expect("in time");
}

async fn refusals_from(addr: &str) {
    {
        let addr = addr.to_owned();
        let mut client = h2_client(&addr).await;
        // RFC 6455 §4.4, as over HTTP/1.1: 426 naming version 13.
        let response = send(&mut client, || {
            connect_request(&addr, "/", &[("sec-websocket-version", "12")])
        })
        .await;
        assert_eq!(response.status(), 426);
        assert_eq!(response.headers()["sec-websocket-version"], "13");
        let response = send(&mut client, || connect_request(&addr, "/", &[])).await;
        assert_eq!(response.status(), 426);
        // RFC 8441 §4: another protocol than websocket.
        let response = send(&mut client, || {
            let mut request = connect_request(&addr, "/", &[("sec-websocket-version", "13")]);
            request
                .extensions_mut()
                .insert(Protocol::from_static("webtransport"));
            request
        })
        .await;
        assert_eq!(response.status(), 501);
        // A subprotocol list that is not tokens, as over HTTP/1.1.
        let response = send(&mut client, || {
            connect_request(
                &addr,
                "/",
                &[
                    ("sec-websocket-version", "13"),
                    ("sec-websocket-protocol", "a b"),
                ],
            )
        })
        .await;
        assert_eq!(response.status(), 400);
        // A plain GET over HTTP/2 is no WebSocket handshake.
        client.ready().await.unwrap();
        let get = hyper::Request::get(format!("http://{addr}/"))
            .version(http::Version::HTTP_2)
            .body(String::new())
            .unwrap();
        let response = client.send_request(get).await.unwrap();
        assert_eq!(response.status(), 400);
    }
}

#[tokio::test]
async fn the_axum_extractor_takes_http2_and_http1_alike() {
    tokio::time::timeout(DEADLINE, async {
        let addr = axum_echo_server().await;
        let mut client = h2_client(&addr).await;
        let mut ws = open(&mut client, &addr, "/chat").await;
        let msg = Message::text("through axum over HTTP/2");
        ws.send(msg.clone()).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), msg);
        ws.close(CloseCode::NORMAL, "").await.unwrap();
        // The same route over HTTP/1.1, with our client.
        let (mut ws, _) = rfc6455::connect(format!("ws://{addr}/chat")).await.unwrap();
        ws.send(msg.clone()).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), msg);
        ws.close(CloseCode::NORMAL, "").await.unwrap();
    })
    .await
    .expect("in time");
}

/// Our client (`rfc6455::http2`) against hyper's server: WebSockets on one
/// HTTP/2 connection, with the subprotocol and permessage-deflate agreed,
/// a 16 MiB message through HTTP/2's flow-control windows each way, and
/// the closing handshake ending each stream.
#[tokio::test]
async fn our_http2_client_against_hypers_server() {
    use rfc6455::handshake::ClientRequest;
    use rfc6455::http2::Http2Client;
    tokio::time::timeout(DEADLINE, async {
        let addr = h2_echo_server().await;
        let tcp = TcpStream::connect(&addr).await.unwrap();
        let config = Config::default().deflate(DeflateConfig::default());
        let client = Http2Client::handshake(tcp, &config).await.unwrap();
        let mut streams = Vec::new();
        for i in 0..10 {
            let request = ClientRequest::from_uri(&format!("ws://{addr}/s/{i}").parse().unwrap())
                .unwrap()
                .with_protocols(["superchat", "chat"]);
            let (ws, response) = client.websocket(request, config.clone()).await.unwrap();
            assert_eq!(response.status, 200);
            assert_eq!(response.protocol.as_deref(), Some("chat"));
            assert!(response.deflate.is_some());
            streams.push(ws);
        }
        let big = Message::binary(
            (0..16u32 << 20)
                .map(|i| (i % 251) as u8)
                .collect::<Vec<_>>(),
        );
        for (i, ws) in streams.iter_mut().enumerate() {
            let msg = if i == 0 {
                big.clone()
            } else {
                Message::text(format!("stream {i}"))
            };
            ws.send(msg.clone()).await.unwrap();
            assert_eq!(ws.next().await.unwrap().unwrap(), msg);
        }
        for mut ws in streams {
            ws.close(CloseCode::NORMAL, "").await.unwrap();
            assert!(ws.next().await.is_none());
        }
    })
    .await
    .expect("in time");
}

/// RFC 8441 §3: without `SETTINGS_ENABLE_CONNECT_PROTOCOL` no `:protocol`
/// may be sent; our client says so instead of trying, and a refusal of
/// the CONNECT itself is the status the server sent.
#[tokio::test]
async fn no_extended_connect_and_refusals_are_errors() {
    use rfc6455::http2::Http2Client;
    use rfc6455::{Error, HandshakeError};
    tokio::time::timeout(DEADLINE, async {
        // hyper's HTTP/2 server without the extended CONNECT protocol.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let service = hyper::service::service_fn(|_| async {
                Ok::<_, hyper::Error>(hyper::Response::new(String::new()))
            });
            let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(tcp), service)
                .await;
        });
        let tcp = TcpStream::connect(&addr).await.unwrap();
        let refused = Http2Client::handshake(tcp, &Config::default()).await;
        assert!(
            matches!(
                refused,
                Err(Error::Handshake(HandshakeError::NoExtendedConnect))
            ),
            "{refused:?}"
        );

        // axum answers a path it does not route with 404.
        let addr = axum_echo_server().await;
        let tcp = TcpStream::connect(&addr).await.unwrap();
        let client = Http2Client::handshake(tcp, &Config::default())
            .await
            .unwrap();
        let refused = client
            .websocket(format!("ws://{addr}/elsewhere"), Config::default())
            .await;
        match refused {
            Err(Error::Handshake(HandshakeError::UnexpectedStatus(response))) => {
                assert_eq!(response.status, 404);
            }
            other => panic!("{other:?}"),
        }
        // The connection still serves the route it has.
        let (mut ws, _) = client
            .websocket(format!("ws://{addr}/chat"), Config::default())
            .await
            .unwrap();
        ws.send(Message::text("still here")).await.unwrap();
        assert_eq!(
            ws.next().await.unwrap().unwrap(),
            Message::text("still here")
        );
    })
    .await
    .expect("in time");
}

/// Ours against ours: 100 WebSockets at once on one connection (the
/// server's stream limit), and one that stops reading while a 4 MiB echo
/// (64 stream windows) waits does not stall its neighbours.
#[tokio::test]
async fn our_client_and_server_a_hundred_streams_and_a_slow_one() {
    use rfc6455::http2::{Http2Client, MAX_CONCURRENT_STREAMS};
    tokio::time::timeout(DEADLINE, async {
        let addr = our_h2_echo_server().await;
        let tcp = TcpStream::connect(&addr).await.unwrap();
        let config = Config::default();
        let client = Http2Client::handshake(tcp, &config).await.unwrap();

        // One that sends 4 MiB and reads nothing back for now.
        let (mut slow, _) = client
            .websocket(format!("ws://{addr}/slow"), config.clone())
            .await
            .unwrap();
        let big = Message::binary(vec![0x42; 4 << 20]);
        let slow_sent = {
            let big = big.clone();
            tokio::spawn(async move {
                slow.send(big).await.unwrap();
                slow
            })
        };

        let mut tasks = Vec::new();
        for i in 0..MAX_CONCURRENT_STREAMS - 1 {
            let client = client.clone();
            let url = format!("ws://{addr}/s/{i}");
            let config = config.clone();
            tasks.push(tokio::spawn(async move {
                let (mut ws, _) = client.websocket(url, config).await.unwrap();
                for j in 0..5 {
                    let msg = Message::text(format!("{i}.{j}"));
                    ws.send(msg.clone()).await.unwrap();
                    assert_eq!(ws.next().await.unwrap().unwrap(), msg);
                }
                ws
            }));
        }
        let mut open = Vec::new();
        for task in tasks {
            open.push(task.await.unwrap());
        }
        for mut ws in open {
            ws.close(CloseCode::NORMAL, "").await.unwrap();
        }
        // The slow one reads at last: its echo was waiting, whole.
        let mut slow = slow_sent.await.unwrap();
        assert_eq!(slow.next().await.unwrap().unwrap(), big);
        slow.close(CloseCode::NORMAL, "").await.unwrap();
    })
    .await
    .expect("in time");
}
