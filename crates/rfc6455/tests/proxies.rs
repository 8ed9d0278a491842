//! The client through real proxies that each test starts: `tinyproxy`
//! (HTTP `CONNECT`, Basic auth) and `danted` (SOCKS5, username/password,
//! names resolved at the proxy), carrying `ws://` and `wss://` (TLS inside
//! the tunnel, with the target's name and certificate) to our server, with
//! and without authentication, and proxies that refuse. The proxies install
//! themselves when missing (`rfc6455_test_support::proxies`); nothing is
//! skipped.

use futures_util::{SinkExt, StreamExt};
use rfc6455::proxy::{Proxy, ProxyError};
use rfc6455::{ClientConfig, CloseCode, Config, Connector, Error, Message, Server};
use rfc6455_test_support::proxies::{danted, tinyproxy, ProxyProcess, SOCKS_USER};
use rfc6455_test_support::tls::{echo_server, Pki, Served};
use std::time::Duration;

/// Long enough for a loaded machine, short enough to call a hang a hang.
const LIMIT: Duration = Duration::from_secs(20);

/// A ws:// echo server on 127.0.0.1: its port.
async fn ws_echo() -> u16 {
    let server = Server::bind("127.0.0.1:0", Config::default())
        .await
        .unwrap();
    let port = server.local_addr().unwrap().port();
    tokio::spawn(server.serve(|mut ws, _| async move {
        while let Some(Ok(message)) = ws.next().await {
            if message.is_data() && ws.send(message).await.is_err() {
                break;
            }
        }
    }));
    port
}

/// Connects with `client` to `url`, echoes one message and closes.
async fn round_trip(client: &ClientConfig, url: &str, proxy: &ProxyProcess) {
    let connected = tokio::time::timeout(LIMIT, client.connect(url)).await;
    let (mut ws, response) = match connected {
        Ok(Ok(connected)) => connected,
        other => panic!("{url}: {other:?}\nproxy log:\n{}", proxy.log()),
    };
    assert_eq!(response.status, 101);
    ws.send(Message::text("through the tunnel")).await.unwrap();
    let echo = tokio::time::timeout(LIMIT, ws.next()).await.unwrap();
    assert_eq!(echo.unwrap().unwrap(), Message::text("through the tunnel"));
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    // Through the proxy, not around it: it logged the target's port.
    let port = url.rsplit(':').next().unwrap().trim_end_matches('/');
    let deadline = std::time::Instant::now() + LIMIT;
    while !proxy.log().contains(port) {
        assert!(
            std::time::Instant::now() < deadline,
            "{url} not in the proxy's log:\n{}",
            proxy.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Both schemes through `proxy`: ws:// to `host`, and wss:// to
/// `localhost` checked against our CA, the target's name sent as SNI.
async fn ws_and_wss(proxy: Proxy, process: &ProxyProcess, host: &str) {
    let port = ws_echo().await;
    let client = ClientConfig::default().proxy(proxy);
    round_trip(&client, &format!("ws://{host}:{port}/"), process).await;

    let pki = Pki::new();
    let (tls_port, mut served) = echo_server(pki.acceptor(), Config::default(), 1).await;
    let client = client.connector(pki.connector());
    round_trip(&client, &format!("wss://localhost:{tls_port}/"), process).await;
    match tokio::time::timeout(LIMIT, served.recv()).await.unwrap() {
        Some(Served::Closed { sni, .. }) => assert_eq!(sni.as_deref(), Some("localhost")),
        other => panic!("{other:?}"),
    }
}

/// Connects through `proxy` and expects the proxy's refusal.
async fn refusal(proxy: Proxy, url: &str) -> ProxyError {
    let client = ClientConfig::default().proxy(proxy);
    match tokio::time::timeout(LIMIT, client.connect(url))
        .await
        .unwrap()
    {
        Err(Error::Proxy(error)) => error,
        Err(other) => panic!("not the proxy's refusal: {other:?}"),
        Ok(_) => panic!("connected"),
    }
}

#[tokio::test]
async fn http_connect_carries_ws_and_wss() {
    let process = tinyproxy(None, "");
    let proxy = Proxy::http("127.0.0.1", process.port);
    ws_and_wss(proxy, &process, "127.0.0.1").await;
}

#[tokio::test]
async fn connect_to_moves_the_tunnel_end() {
    // `ws.test` resolves nowhere: only `connect_to` gets the tunnel to the
    // server, the proxy asked for its address.
    let proxy = tinyproxy(None, "");
    let port = ws_echo().await;
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    let client = ClientConfig::default()
        .proxy(Proxy::http("127.0.0.1", proxy.port))
        .connect_to("ws.test", [addr]);
    round_trip(&client, &format!("ws://ws.test:{port}/"), &proxy).await;
    assert!(proxy.log().contains("127.0.0.1"), "{}", proxy.log());
}

#[tokio::test]
async fn http_connect_refused_by_policy_is_a_typed_403() {
    let process = tinyproxy(None, "ConnectPort 443\n");
    let port = ws_echo().await;
    let proxy = Proxy::http("127.0.0.1", process.port);
    let error = refusal(proxy, &format!("ws://127.0.0.1:{port}/")).await;
    assert!(
        matches!(error, ProxyError::HttpRefused { status: 403, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn http_connect_with_basic_auth() {
    let process = tinyproxy(Some(("alice", "s3cret")), "");
    let proxy = Proxy::http("127.0.0.1", process.port).with_credentials("alice", "s3cret");
    ws_and_wss(proxy, &process, "127.0.0.1").await;

    // No credentials, or wrong ones: refused, typed (407 is the standard
    // answer; tinyproxy sends 401 to CONNECT).
    let port = ws_echo().await;
    let url = format!("ws://127.0.0.1:{port}/");
    for proxy in [
        Proxy::http("127.0.0.1", process.port),
        Proxy::http("127.0.0.1", process.port).with_credentials("alice", "wrong"),
    ] {
        let error = refusal(proxy, &url).await;
        assert!(
            matches!(
                error,
                ProxyError::HttpRefused {
                    status: 401 | 407,
                    ..
                }
            ),
            "{error:?}"
        );
        assert!(error.to_string().contains("refused CONNECT: 40"), "{error}");
    }
}

#[tokio::test]
async fn socks5_carries_ws_and_wss_with_names_resolved_at_the_proxy() {
    let process = danted(false);
    let proxy = Proxy::socks5("127.0.0.1", process.port);
    // `localhost` goes to the proxy as a name (address type 3, as the
    // unit tests of `rfc6455::proxy` pin), which resolves it.
    ws_and_wss(proxy, &process, "localhost").await;
}

#[tokio::test]
async fn socks5_with_username_and_password() {
    let process = danted(true);
    let (user, password) = SOCKS_USER;
    let proxy = Proxy::socks5("127.0.0.1", process.port).with_credentials(user, password);
    ws_and_wss(proxy.clone(), &process, "127.0.0.1").await;

    let port = ws_echo().await;
    let url = format!("ws://127.0.0.1:{port}/");
    let wrong = Proxy::socks5("127.0.0.1", process.port).with_credentials(user, "wrong");
    assert_eq!(refusal(wrong, &url).await, ProxyError::SocksAuthFailed);
    let anonymous = Proxy::socks5("127.0.0.1", process.port);
    assert_eq!(
        refusal(anonymous, &url).await,
        ProxyError::SocksNoAcceptableMethod
    );

    // A target nobody listens on: the proxy's reply code, with its meaning.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = closed.local_addr().unwrap().port();
    drop(closed);
    let error = refusal(proxy, &format!("ws://127.0.0.1:{dead}/")).await;
    assert!(
        matches!(error, ProxyError::SocksRefused { code: 1..=8, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_proxy_that_is_not_there_fails_in_time() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let client = ClientConfig::default().proxy(Proxy::http("127.0.0.1", port));
    let result = tokio::time::timeout(LIMIT, client.connect("ws://127.0.0.1:9/")).await;
    assert!(matches!(result, Ok(Err(Error::Connect(_)))), "{result:?}");

    // A proxy that answers nothing: the handshake timeout ends it.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (_held, _) = silent.accept().await.unwrap();
        tokio::time::sleep(LIMIT).await;
    });
    let client = ClientConfig::default()
        .config(Config::default().handshake_timeout(Duration::from_millis(300)))
        .connector(Connector::Plain)
        .proxy(Proxy::socks5("127.0.0.1", port));
    let result = tokio::time::timeout(LIMIT, client.connect("ws://127.0.0.1:9/")).await;
    assert!(
        matches!(result, Ok(Err(Error::Timeout { .. }))),
        "{result:?}"
    );
}

/// The environment, opt-in: `HTTP_PROXY` names the proxy, `NO_PROXY`
/// exempts a host. The only test of this binary that reads (or sets) the
/// process's environment.
#[tokio::test]
async fn the_environment_names_the_proxy_when_asked() {
    let process = tinyproxy(None, "");
    let port = ws_echo().await;
    // The lower-case forms win: none of the machine's may interfere.
    for name in ["http_proxy", "no_proxy", "all_proxy", "ALL_PROXY"] {
        std::env::remove_var(name);
    }
    std::env::set_var("HTTP_PROXY", format!("http://127.0.0.1:{}", process.port));
    std::env::set_var("NO_PROXY", "example.invalid");
    let client = ClientConfig::default().proxy_from_env();
    round_trip(&client, &format!("ws://127.0.0.1:{port}/"), &process).await;

    // Exempt: straight to the target, the proxy never hears of it.
    std::env::set_var("NO_PROXY", "127.0.0.1");
    let direct = ws_echo().await;
    let (mut ws, _) = client
        .connect(format!("ws://127.0.0.1:{direct}/"))
        .await
        .unwrap();
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    assert!(
        !process.log().contains(&direct.to_string()),
        "{}",
        process.log()
    );

    // Not asked: the environment is not read.
    std::env::set_var("NO_PROXY", "");
    std::env::set_var("HTTP_PROXY", "http://127.0.0.1:9");
    let (ws, _) = ClientConfig::default()
        .connect(format!("ws://127.0.0.1:{direct}/"))
        .await
        .unwrap();
    drop(ws);
    std::env::remove_var("HTTP_PROXY");
    std::env::remove_var("NO_PROXY");
}
