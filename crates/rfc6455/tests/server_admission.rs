//! `Server` the way applications build it (RFC 6455 §4.2.2): handlers that
//! see the request, an admission hook that may `await` and answers in full
//! (401 with `WWW-Authenticate`, `Set-Cookie` on the 101), any listener
//! (TCP, TLS, Unix sockets), and hooks that panic or never answer costing
//! one connection, not the server. Over real sockets.

use futures_util::{SinkExt, StreamExt};
use rfc6455::deflate::DeflateConfig;
use rfc6455::handshake::{offered_protocols, Accept, Admission, ClientRequest, Refusal};
use rfc6455::{Accepted, CloseCode, Config, Error, HandshakeError, Listener, Message, Server};
use rfc6455::{ShutdownHandle, ShutdownReport, TimeoutKind, WebSocket};
use rfc6455_test_support::peer::{encoded, exchange, exchange_tcp, read_head};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::task::JoinHandle;

/// Long enough for a loaded machine, short enough to call a hang a hang.
const LIMIT: Duration = Duration::from_secs(20);

/// A running server: its address, its stop, and the errors of the
/// connections that did not become WebSockets.
struct Running<A> {
    addr: A,
    handle: ShutdownHandle,
    task: JoinHandle<ShutdownReport>,
    errors: Arc<Mutex<Vec<String>>>,
}

impl<A> Running<A> {
    /// Shuts the server down: its report, and the errors of every
    /// connection (all reported once `serve` returned).
    async fn stop(self) -> (ShutdownReport, Vec<String>) {
        self.handle.shutdown();
        let report = tokio::time::timeout(LIMIT, self.task)
            .await
            .expect("shutdown in time")
            .unwrap();
        let errors = self.errors.lock().unwrap().clone();
        (report, errors)
    }
}

/// Serves `server` with a handler that first sends what it was
/// accepted with ("path?query protocol cookie"), then echoes.
fn serve<L: Listener>(server: Server<L>) -> Running<L::Addr> {
    let errors = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&errors);
    let server = server.on_handshake_error(move |_, error| {
        seen.lock().unwrap().push(error.to_string());
    });
    let addr = server.local_addr().unwrap();
    let handle = server.shutdown_handle();
    let task = tokio::spawn(server.serve(greet_then_echo));
    Running {
        addr,
        handle,
        task,
        errors,
    }
}

async fn greet_then_echo<S, A>(mut ws: WebSocket<S>, accepted: Accepted<A>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let cookie = accepted
        .request
        .headers
        .get("cookie")
        .map(|v| v.to_str().unwrap().to_owned());
    let user = accepted
        .request
        .extensions
        .get::<User>()
        .map(|u| u.0.clone());
    let greeting = format!(
        "{} {:?} {:?} {:?}",
        accepted.request.uri, accepted.protocol, cookie, user
    );
    if ws.send(Message::text(greeting)).await.is_err() {
        return;
    }
    while let Some(Ok(msg)) = ws.next().await {
        if msg.is_data() && ws.send(msg).await.is_err() {
            break;
        }
    }
}

/// What the admission hook hands the handler.
#[derive(Clone, Debug)]
struct User(String);

async fn tcp_server(config: Config, admission: Admission) -> Running<std::net::SocketAddr> {
    let server = Server::bind("127.0.0.1:0", config).await.unwrap();
    serve(server.admission(admission))
}

async fn next_text<S: AsyncRead + AsyncWrite + Unpin>(ws: &mut WebSocket<S>) -> String {
    match tokio::time::timeout(LIMIT, ws.next())
        .await
        .expect("in time")
    {
        Some(Ok(Message::Text(text))) => text.to_string(),
        other => panic!("expected a text, got {other:?}"),
    }
}

/// A client still gets its greeting and echo: the server survived.
async fn assert_still_serving(addr: std::net::SocketAddr) {
    let (mut ws, _) = rfc6455::connect(format!("ws://{addr}/ok")).await.unwrap();
    next_text(&mut ws).await;
    ws.send(Message::text("still there?")).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "still there?");
    ws.close(CloseCode::NORMAL, "").await.unwrap();
}

/// A token check that awaits (as a session store lookup would).
fn token_admission() -> Admission {
    Admission::new(|request| {
        let token = request
            .headers
            .get(http::header::AUTHORIZATION)
            .map(|v| v.as_bytes().to_vec());
        let protocol = offered_protocols(&request.headers)
            .into_iter()
            .find(|p| *p == "chat.v2")
            .map(str::to_owned);
        let path = request.uri.path().to_owned();
        async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            if path == "/ok" {
                return Ok(Accept::new());
            }
            match token.as_deref() {
                Some(b"Bearer ada") => Ok(Accept::new()
                    .maybe_protocol(protocol)
                    .header("Set-Cookie", "session=ada; HttpOnly")
                    .extension(User("ada".to_owned()))),
                Some(b"Bearer flood") => Err(Refusal::too_many_requests(Duration::from_secs(7))),
                Some(_) => Err(Refusal::forbidden("unknown token")),
                None => Err(Refusal::unauthorized("Bearer realm=\"chat\"")),
            }
        }
    })
}

/// §4.2.2 items 2–4: the hook's refusals reach a raw client in full: 401
/// with `WWW-Authenticate` and a body, 403 saying why, 429 with
/// `Retry-After`; each well-formed and closing the connection.
#[tokio::test]
async fn refusals_are_full_responses() {
    let running = tcp_server(Config::default(), token_admission()).await;
    let addr = running.addr.to_string();
    let cases = [
        (None, 401, "www-authenticate", "Bearer realm=\"chat\""),
        (
            Some("Bearer eve"),
            403,
            "content-type",
            "text/plain; charset=utf-8",
        ),
        (Some("Bearer flood"), 429, "retry-after", "7"),
    ];
    for (token, status, field, value) in cases {
        let mut request = ClientRequest::new(&addr, "/chat");
        if let Some(token) = token {
            request = request.with_header("Authorization", token);
        }
        let response = exchange_tcp(&addr, &encoded(&request)).await;
        assert_eq!(response.status(), status, "{}", response.head);
        assert_eq!(response.header(field), Some(value), "{}", response.head);
        assert_eq!(response.header("connection"), Some("close"));
        assert!(!response.body.is_empty(), "{}", response.head);
    }
    let unauthorized = exchange_tcp(&addr, &encoded(&ClientRequest::new(&addr, "/chat"))).await;
    assert_eq!(unauthorized.text(), "authentication required");
    assert_still_serving(running.addr).await;
    let (report, errors) = running.stop().await;
    assert_eq!(report.failed_handshakes, 4, "{report}");
    assert!(
        errors.iter().any(|e| e.contains("401"))
            && errors.iter().any(|e| e.contains("unknown token")),
        "{errors:?}"
    );
}

/// §4.2.2 items 4–5: an accepted request's 101 carries the hook's
/// `Set-Cookie` and subprotocol beside permessage-deflate (RFC 7692), our
/// client hands that answer back, and the handler sees the request, the
/// cookie and the hook's value.
#[tokio::test]
async fn accept_adds_fields_beside_deflate_and_the_handler_sees_the_request() {
    let config = Config::default().deflate(DeflateConfig::default());
    let running = tcp_server(config.clone(), token_admission()).await;
    let addr = running.addr.to_string();
    let request = ClientRequest::new(&addr, "/chat?room=7")
        .with_protocols(["chat.v1", "chat.v2"])
        .with_deflate(DeflateConfig::default())
        .with_header("Authorization", "Bearer ada")
        .with_header("Cookie", "theme=dark");
    let (mut ws, response) = rfc6455::connect_with_config(request, config).await.unwrap();
    assert_eq!(response.status, 101);
    assert_eq!(
        response.header("set-cookie"),
        Some(&b"session=ada; HttpOnly"[..])
    );
    assert_eq!(response.protocol.as_deref(), Some("chat.v2"));
    assert_eq!(ws.protocol(), Some("chat.v2"));
    assert!(response.deflate.is_some(), "{response:?}");
    assert_eq!(
        next_text(&mut ws).await,
        "/chat?room=7 Some(\"chat.v2\") Some(\"theme=dark\") Some(\"ada\")"
    );
    let big = "compressible ".repeat(1000);
    ws.send(Message::text(big.clone())).await.unwrap();
    assert_eq!(next_text(&mut ws).await, big);
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    running.stop().await;
}

/// A hook that panics costs its connection (500, and the reason in the
/// error), not the server.
#[tokio::test]
async fn a_panicking_hook_costs_one_connection() {
    let admission = Admission::new(|request| {
        let path = request.uri.path().to_owned();
        async move {
            tokio::task::yield_now().await;
            assert_ne!(path, "/boom", "the hook's own bug");
            Ok(Accept::new())
        }
    });
    let running = tcp_server(Config::default(), admission).await;
    let addr = running.addr.to_string();
    for _ in 0..3 {
        let response = exchange_tcp(&addr, &encoded(&ClientRequest::new(&addr, "/boom"))).await;
        assert_eq!(response.status(), 500, "{}", response.head);
        assert_eq!(response.text(), "the admission hook panicked");
    }
    assert_still_serving(running.addr).await;
    let (report, errors) = running.stop().await;
    assert_eq!(report.failed_handshakes, 3, "{report}");
    assert!(errors.iter().all(|e| e.contains("panicked")), "{errors:?}");
}

/// A hook that never answers is cut at the handshake timeout: 503 to the
/// client, `Error::Timeout` to the server, and the others are served
/// meanwhile.
#[tokio::test]
async fn a_hook_that_never_answers_is_cut_at_the_handshake_timeout() {
    let admission = Admission::new(|request| {
        let stuck = request.uri.path() == "/stuck";
        async move {
            if stuck {
                std::future::pending::<()>().await;
            }
            Ok(Accept::new())
        }
    });
    let config = Config::default().handshake_timeout(Duration::from_millis(500));
    let running = tcp_server(config, admission).await;
    let addr = running.addr.to_string();
    let start = Instant::now();
    let stuck = tokio::spawn({
        let addr = addr.clone();
        async move { exchange_tcp(&addr, &encoded(&ClientRequest::new(&addr, "/stuck"))).await }
    });
    assert_still_serving(running.addr).await;
    let response = stuck.await.unwrap();
    assert_eq!(response.status(), 503, "{}", response.head);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    let (_, errors) = running.stop().await;
    assert_eq!(
        errors,
        [Error::Timeout {
            what: TimeoutKind::Handshake
        }
        .to_string()]
    );
}

/// The same hook on one stream: `accept_with_admission`.
#[tokio::test]
async fn accept_with_admission_on_one_stream() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let server = tokio::spawn(async move {
        let admission = token_admission();
        let mut results = Vec::new();
        for _ in 0..2 {
            let (tcp, peer) = listener.accept().await.unwrap();
            let accepted =
                rfc6455::accept_with_admission(tcp, peer, Config::default(), &admission).await;
            results.push(accepted.map(|(_, accepted)| accepted.request.uri.to_string()));
        }
        results
    });
    let refused = exchange_tcp(&addr, &encoded(&ClientRequest::new(&addr, "/chat"))).await;
    assert_eq!(refused.status(), 401);
    let request = http::Request::get(format!("ws://{addr}/chat"))
        .header("Authorization", "Bearer ada")
        .body(())
        .unwrap();
    let (mut ws, _) = rfc6455::connect(request).await.unwrap();
    let results = server.await.unwrap();
    assert!(
        matches!(
            &results[0],
            Err(Error::Handshake(HandshakeError::Refused {
                status: 401,
                ..
            }))
        ),
        "{results:?}"
    );
    assert_eq!(results[1].as_ref().unwrap(), "/chat");
    let _ = ws.close(CloseCode::NORMAL, "").await;
}

/// Echo over a Unix domain socket, through the same server.
#[cfg(unix)]
#[tokio::test]
async fn echo_over_a_unix_socket() {
    let path = std::env::temp_dir().join(format!("rfc6455-server-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let server = Server::bind_unix(&path, Config::default())
        .unwrap()
        .admission(token_admission());
    let running = serve(server);
    let stream = tokio::net::UnixStream::connect(&path).await.unwrap();
    let request = ClientRequest::new("localhost", "/ok?via=unix");
    let (mut ws, _) = rfc6455::client_handshake(stream, &request, Config::default())
        .await
        .unwrap();
    assert_eq!(next_text(&mut ws).await, "/ok?via=unix None None None");
    ws.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
    let echoed = tokio::time::timeout(LIMIT, ws.next()).await.unwrap();
    assert_eq!(echoed.unwrap().unwrap(), Message::binary(vec![1u8, 2, 3]));
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    // A refusal over the same socket.
    let mut raw = tokio::net::UnixStream::connect(&path).await.unwrap();
    let response = exchange(
        &mut raw,
        &encoded(&ClientRequest::new("localhost", "/chat")),
    )
    .await;
    assert_eq!(response.status(), 401);
    let (report, _) = running.stop().await;
    assert_eq!(
        (report.accepted, report.failed_handshakes),
        (2, 1),
        "{report}"
    );
    let _ = std::fs::remove_file(&path);
}

#[cfg(feature = "rustls")]
mod tls {
    use super::*;
    use rfc6455_test_support::tls::Pki;

    /// `wss://` through `Server::tls`: the handler sees the request, and a
    /// peer that opens TCP but never starts TLS is cut at the handshake
    /// timeout while holding a connection slot.
    #[tokio::test]
    async fn wss_and_a_slow_tls_handshake() {
        let pki = Pki::new();
        let config = Config::default().handshake_timeout(Duration::from_millis(600));
        let server = Server::bind("127.0.0.1:0", config)
            .await
            .unwrap()
            .max_connections(1)
            .admission(token_admission())
            .tls(pki.acceptor());
        let running = serve(server);
        let port = running.addr.port();

        let start = Instant::now();
        let mut mute = tokio::net::TcpStream::connect(running.addr).await.unwrap();
        // The mute peer holds the only slot: one more waits for nothing.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut closed = Vec::new();
        let read = tokio::time::timeout(
            LIMIT,
            tokio::io::AsyncReadExt::read_to_end(&mut mute, &mut closed),
        )
        .await
        .expect("the server closes the mute peer");
        assert!(read.is_ok() || closed.is_empty());
        let elapsed = start.elapsed();
        assert!(
            elapsed >= Duration::from_millis(500) && elapsed < Duration::from_secs(5),
            "{elapsed:?}"
        );
        // The slot frees once the mute peer's task has ended.
        tokio::time::sleep(Duration::from_millis(200)).await;

        let url = format!("wss://localhost:{port}/ok?tls=1");
        let (mut ws, _) =
            rfc6455::connect_with_connector(url.as_str(), Config::default(), pki.connector())
                .await
                .unwrap();
        assert_eq!(next_text(&mut ws).await, "/ok?tls=1 None None None");
        ws.send(Message::text("over TLS")).await.unwrap();
        assert_eq!(next_text(&mut ws).await, "over TLS");
        ws.close(CloseCode::NORMAL, "").await.unwrap();

        // Plain HTTP at a TLS server: a TLS error, and the server lives.
        let response = exchange_tcp(&running.addr.to_string(), b"GET / HTTP/1.1\r\n\r\n").await;
        assert_eq!(response.status(), 0, "{}", response.head);

        let (report, errors) = running.stop().await;
        assert_eq!(report.failed_handshakes, 2, "{report}");
        assert!(errors[0].contains("handshake"), "{errors:?}");
        assert!(errors[1].to_lowercase().contains("tls"), "{errors:?}");
    }
}

/// The head a raw peer reads when it is over the limit: 503.
#[tokio::test]
async fn over_the_limit_is_503_with_a_reason() {
    let server = Server::bind("127.0.0.1:0", Config::default())
        .await
        .unwrap()
        .max_connections(1);
    let running = serve(server);
    let addr = running.addr.to_string();
    let (_held, _) = rfc6455::connect(format!("ws://{addr}/")).await.unwrap();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = read_head(&mut stream).await;
    assert!(head.starts_with("HTTP/1.1 503 "), "{head}");
    let (report, errors) = running.stop().await;
    assert_eq!(report.refused, 1, "{report}");
    assert_eq!(
        errors,
        ["handshake failed: request refused with 503: too many connections now"]
    );
}
