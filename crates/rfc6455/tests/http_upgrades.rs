//! WebSockets upgraded by axum (`rfc6455::axum::WebSocketUpgrade`) and
//! hyper (`rfc6455::hyper::Upgrade`), over real loopback sockets: the
//! negotiation (subprotocol, permessage-deflate), the refusals of bad
//! handshakes (400, 426), and the graceful shutdown they join
//! (`GoingAway`: 1001 Going Away, a bounded wait).

use axum::extract::State;
use axum::routing::get;
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rfc6455::axum::WebSocketUpgrade;
use rfc6455::deflate::DeflateConfig;
use rfc6455::handshake::ClientRequest;
use rfc6455::hyper::{Upgrade, UpgradedIo};
use rfc6455::{CloseCode, Config, GoingAway, Message, WebSocket};
use rfc6455_test_support::echo_checks::next_close_code;
use rfc6455_test_support::peer::exchange_tcp;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

fn deflate() -> Config {
    Config::default().deflate(DeflateConfig::default())
}

/// Serves `app` with axum on an ephemeral loopback port.
async fn serve_axum(app: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// Sends the subprotocol selected (or `-`), then echoes.
async fn echo(mut ws: WebSocket<UpgradedIo>) {
    let protocol = ws.protocol().unwrap_or("-").to_owned();
    if ws.send(Message::text(protocol)).await.is_err() {
        return;
    }
    while let Some(Ok(msg)) = ws.next().await {
        if msg.is_data() && ws.send(msg).await.is_err() {
            break;
        }
    }
}

/// An axum app whose WebSockets (on `/`, deflate on, subprotocols
/// `echo.v2` then `echo.v1`) join `going_away` and run `callback`.
fn app<F, Fut>(going_away: &GoingAway, callback: F) -> Router
where
    F: Fn(WebSocket<UpgradedIo>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let handler = move |State(going_away): State<GoingAway>, upgrade: WebSocketUpgrade| {
        let callback = callback.clone();
        async move {
            upgrade
                .config(deflate())
                .protocols(["echo.v2", "echo.v1"])
                .going_away(&going_away)
                .on_upgrade(callback)
        }
    };
    Router::new()
        .route("/", get(handler))
        .with_state(going_away.clone())
}

/// An echo client that skips the server's first message (its protocol).
async fn client(addr: SocketAddr) -> WebSocket<rfc6455::MaybeTlsStream> {
    let (mut ws, _) = rfc6455::connect(format!("ws://{addr}/")).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("-"));
    ws
}

/// A client offering `protocol` and permessage-deflate to the `echo`
/// server at `addr`; both ends agree on `protocol` (the server's first
/// message says what it selected).
async fn client_speaking(
    addr: SocketAddr,
    protocol: &'static str,
) -> WebSocket<rfc6455::MaybeTlsStream> {
    let request = ClientRequest::new(&addr.to_string(), "/").with_protocols([protocol]);
    let (mut ws, _) = rfc6455::connect_with_config(request, deflate())
        .await
        .unwrap();
    assert_eq!(ws.protocol(), Some(protocol));
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::text(protocol));
    ws
}

#[tokio::test]
async fn axum_websockets_get_going_away_on_shutdown() {
    let going_away = GoingAway::new();
    let addr = serve_axum(app(&going_away, echo)).await;
    let mut clients = Vec::new();
    for _ in 0..3 {
        let mut ws = client(addr).await;
        ws.send(Message::text("hi")).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("hi"));
        clients.push(ws);
    }
    assert_eq!(going_away.open(), 3);
    let start = Instant::now();
    let shutdown = tokio::spawn({
        let going_away = going_away.clone();
        async move { going_away.shutdown(Duration::from_secs(10)).await }
    });
    for ws in &mut clients {
        assert_eq!(next_close_code(ws).await, Some(CloseCode::GOING_AWAY));
    }
    let report = shutdown.await.unwrap();
    assert_eq!(
        (report.open_at_shutdown, report.closed, report.aborted),
        (3, 3, 0),
        "{report}"
    );
    // Each closing handshake completed: no wait for the timeout.
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert!(going_away.is_shutting_down());
    assert_eq!(going_away.open(), 0);

    // Upgraded after the shutdown: closed at once.
    let mut late = client(addr).await;
    assert_eq!(
        next_close_code(&mut late).await,
        Some(CloseCode::GOING_AWAY)
    );
}

#[tokio::test]
async fn the_wait_is_bounded_and_aborts_what_does_not_finish() {
    let going_away = GoingAway::new();
    // A callback that holds its WebSocket and never reads it: it never
    // sends the 1001, and never ends.
    let stuck = |ws: WebSocket<UpgradedIo>| async move {
        let _held = ws;
        std::future::pending::<()>().await;
    };
    let addr = serve_axum(app(&going_away, stuck)).await;
    let (mut ws, _) = rfc6455::connect(format!("ws://{addr}/")).await.unwrap();
    while going_away.open() == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let start = Instant::now();
    let report = going_away.shutdown(Duration::from_millis(300)).await;
    let waited = start.elapsed();
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    assert!(waited < Duration::from_secs(2), "{waited:?}");
    assert_eq!(
        (report.open_at_shutdown, report.closed, report.aborted),
        (1, 0, 1),
        "{report}"
    );
    // The aborted task dropped the WebSocket: the connection ends.
    let end = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .expect("the connection ends");
    assert!(!matches!(end, Some(Ok(Message::Close(_)))), "{end:?}");
    tokio::time::timeout(Duration::from_secs(5), async {
        while going_away.open() > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the aborted WebSocket is dropped");
}

#[tokio::test]
async fn a_websocket_counts_as_open_until_its_callback_ends() {
    let going_away = GoingAway::new();
    // The closing handshake completes, but the callback keeps the
    // WebSocket for a while after: the shutdown waits for the callback.
    let lingering = |mut ws: WebSocket<UpgradedIo>| async move {
        while let Some(Ok(_)) = ws.next().await {}
        tokio::time::sleep(Duration::from_secs(30)).await;
    };
    let addr = serve_axum(app(&going_away, lingering)).await;
    let (mut ws, _) = rfc6455::connect(format!("ws://{addr}/")).await.unwrap();
    while going_away.open() == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let shutdown = tokio::spawn({
        let going_away = going_away.clone();
        async move { going_away.shutdown(Duration::from_millis(500)).await }
    });
    assert_eq!(next_close_code(&mut ws).await, Some(CloseCode::GOING_AWAY));
    let report = shutdown.await.unwrap();
    assert_eq!(
        (report.open_at_shutdown, report.closed, report.aborted),
        (1, 0, 1),
        "{report}"
    );
}

#[tokio::test]
async fn the_extractor_negotiates_deflate_and_a_subprotocol() {
    let addr = serve_axum(app(&GoingAway::new(), echo)).await;
    // On the wire: the first offered subprotocol we speak, and deflate.
    let request = ClientRequest::new(&addr.to_string(), "/")
        .with_protocols(["x", "echo.v1", "echo.v2"])
        .with_deflate(DeflateConfig::default());
    let response = exchange_tcp(&addr.to_string(), &encoded(&request)).await;
    assert_eq!(response.status(), 101, "{}", response.head);
    assert_eq!(response.header("sec-websocket-protocol"), Some("echo.v1"));
    let extensions = response.header("sec-websocket-extensions").unwrap_or("");
    assert!(
        extensions.starts_with("permessage-deflate"),
        "{}",
        response.head
    );

    // With our client: both ends agree, and compressed messages flow.
    let mut ws = client_speaking(addr, "echo.v2").await;
    let big = Message::text("compressible ".repeat(10_000));
    ws.send(big.clone()).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), big);
    ws.close(CloseCode::NORMAL, "").await.unwrap();

    // No subprotocol we speak: none selected, the upgrade goes on.
    let request = ClientRequest::new(&addr.to_string(), "/").with_protocols(["mqtt"]);
    let response = exchange_tcp(&addr.to_string(), &encoded(&request)).await;
    assert_eq!(response.status(), 101, "{}", response.head);
    assert_eq!(response.header("sec-websocket-protocol"), None);
}

#[tokio::test]
async fn without_deflate_in_the_config_none_is_agreed() {
    let handler = |upgrade: WebSocketUpgrade| async move { upgrade.on_upgrade(echo) };
    let addr = serve_axum(Router::new().route("/", get(handler))).await;
    let request = ClientRequest::new(&addr.to_string(), "/").with_deflate(DeflateConfig::default());
    let response = exchange_tcp(&addr.to_string(), &encoded(&request)).await;
    assert_eq!(response.status(), 101, "{}", response.head);
    assert_eq!(response.header("sec-websocket-extensions"), None);
}

fn encoded(request: &ClientRequest) -> Vec<u8> {
    rfc6455_test_support::peer::encoded(request)
}

/// A handshake head to `addr` with the fields of a valid one but those
/// replaced or removed by `change` (`name`, `Some(value)` or `None`).
fn head(addr: SocketAddr, change: (&str, Option<&str>)) -> Vec<u8> {
    let mut fields = vec![
        ("Host", addr.to_string()),
        ("Upgrade", "websocket".to_owned()),
        ("Connection", "Upgrade".to_owned()),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==".to_owned()),
        ("Sec-WebSocket-Version", "13".to_owned()),
    ];
    let (name, value) = change;
    fields.retain(|(n, _)| *n != name);
    if let Some(value) = value {
        fields.push((name, value.to_owned()));
    }
    let mut wire = String::from("GET / HTTP/1.1\r\n");
    for (name, value) in fields {
        wire.push_str(&format!("{name}: {value}\r\n"));
    }
    wire.push_str("\r\n");
    wire.into_bytes()
}

/// Bad handshakes get the RFC's status and a body saying why, from axum
/// (`app`) and from hyper (`hyper_server`) alike.
async fn check_refusals(addr: SocketAddr) {
    let valid = exchange_tcp(&addr.to_string(), &head(addr, ("X-None", None))).await;
    assert_eq!(valid.status(), 101, "{}", valid.head);

    let version = exchange_tcp(
        &addr.to_string(),
        &head(addr, ("Sec-WebSocket-Version", Some("8"))),
    )
    .await;
    assert_eq!(version.status(), 426, "{}", version.head);
    assert_eq!(version.header("sec-websocket-version"), Some("13"));
    assert_eq!(version.text(), "Sec-WebSocket-Version missing or not 13");

    for (change, why) in [
        (("Upgrade", None), "missing `Upgrade: websocket`"),
        (("Sec-WebSocket-Key", Some("short")), "Sec-WebSocket-Key"),
        (("Connection", Some("keep-alive")), "Connection"),
    ] {
        let response = exchange_tcp(&addr.to_string(), &head(addr, change)).await;
        assert_eq!(response.status(), 400, "{change:?}: {}", response.head);
        assert!(
            response.text().contains(why),
            "{change:?}: {}",
            response.text()
        );
        assert_eq!(response.header("upgrade"), None, "{}", response.head);
    }
}

#[tokio::test]
async fn bad_handshakes_get_400_or_426_through_the_extractor() {
    check_refusals(serve_axum(app(&GoingAway::new(), echo)).await).await;
}

/// A hyper server whose WebSockets (deflate on, subprotocol `chat`) join
/// `going_away` and echo.
async fn hyper_server(going_away: &GoingAway) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let upgrade = Upgrade::new(deflate())
        .protocols(["chat"])
        .going_away(going_away);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let upgrade = upgrade.clone();
            let handle = move |mut request: hyper::Request<hyper::body::Incoming>| {
                let answer = match upgrade.upgrade(&mut request) {
                    Ok((response, upgrading)) => {
                        tokio::spawn(async move {
                            if let Ok(ws) = upgrading.await {
                                echo(ws).await;
                            }
                        });
                        response
                    }
                    Err(refusal) => refusal.to_http(),
                };
                std::future::ready(Ok::<_, Infallible>(answer))
            };
            tokio::spawn(
                http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service_fn(handle))
                    .with_upgrades(),
            );
        }
    });
    addr
}

#[tokio::test]
async fn the_hyper_helper_round_trips() {
    let going_away = GoingAway::new();
    let addr = hyper_server(&going_away).await;
    let mut ws = client_speaking(addr, "chat").await;
    for msg in [Message::text("hello"), Message::binary(vec![0u8, 255, 7])] {
        ws.send(msg.clone()).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), msg);
    }
    ws.close(CloseCode::NORMAL, "bye").await.unwrap();

    // The hyper path joins the shutdown too.
    let mut ws = client(addr).await;
    let report = tokio::spawn({
        let going_away = going_away.clone();
        async move { going_away.shutdown(Duration::from_secs(5)).await }
    });
    assert_eq!(next_close_code(&mut ws).await, Some(CloseCode::GOING_AWAY));
    let report = report.await.unwrap();
    assert_eq!((report.open_at_shutdown, report.closed), (1, 1), "{report}");
}

#[tokio::test]
async fn bad_handshakes_get_400_or_426_through_the_hyper_helper() {
    check_refusals(hyper_server(&GoingAway::new()).await).await;
}

#[tokio::test]
async fn a_request_hyper_cannot_upgrade_is_a_500() {
    // Valid, but with no hyper upgrade in its extensions (not read by a
    // server with upgrades).
    let mut request = http::Request::get("/")
        .header("Host", "h")
        .header("Upgrade", "websocket")
        .header("Connection", "Upgrade")
        .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("Sec-WebSocket-Version", "13")
        .body(())
        .unwrap();
    let refusal = rfc6455::hyper::upgrade(&mut request, Config::default()).unwrap_err();
    assert_eq!(refusal.status(), 500);
    assert!(refusal.text().contains("upgrades"), "{}", refusal.text());
}
