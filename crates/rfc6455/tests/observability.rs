//! What a `Server` tells about itself, over real sockets: its counters
//! (`Server::stats`, `StatsHandle` while it serves, `ShutdownReport::stats`
//! at the end) for a scripted mix of connections, refused and closed in
//! every way the counters tell apart; and, with the `tracing` feature, the
//! spans and events a subscriber sees (`cargo test -p rfc6455
//! --all-features --test observability`).

use futures_util::{SinkExt, StreamExt};
use rfc6455::handshake::{Accept, Admission, ClientRequest, Refusal};
use rfc6455::{CloseCode, Config, Error, HandshakeError, Message, Server, ServerStats};
use rfc6455::{ShutdownHandle, ShutdownReport, StatsHandle};
use rfc6455_test_support::peer::{encoded, exchange_tcp, raw_client, read_head};
use rfc6455_test_support::{client_frame, raw_frame};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

/// Long enough for a loaded machine, short enough to call a hang a hang.
const LIMIT: Duration = Duration::from_secs(20);

/// Short handshakes (a mute peer is cut soon) and small messages (a
/// 2 KB one breaks the limit).
fn config() -> Config {
    Config::default()
        .handshake_timeout(Duration::from_millis(400))
        .max_message_size(1024)
}

/// Refuses `/private` with 401, accepts the rest.
fn admission() -> Admission {
    Admission::sync(|request| {
        if request.uri.path() == "/private" {
            Err(Refusal::unauthorized("Bearer").body("token required"))
        } else {
            Ok(Accept::new())
        }
    })
}

struct Running {
    addr: SocketAddr,
    stats: StatsHandle,
    handle: ShutdownHandle,
    task: JoinHandle<ShutdownReport>,
}

/// A server whose handler closes `/bye` with 1008 and echoes elsewhere.
async fn serve(max_connections: usize) -> Running {
    let server = Server::bind("127.0.0.1:0", config())
        .await
        .unwrap()
        .max_connections(max_connections)
        .admission(admission());
    assert_eq!(server.stats(), ServerStats::default());
    let addr = server.local_addr().unwrap();
    let stats = server.stats_handle();
    let handle = server.shutdown_handle();
    let task = tokio::spawn(server.serve(|mut ws, accepted| async move {
        if accepted.request.uri.path() == "/bye" {
            let _ = ws.close(CloseCode::POLICY_VIOLATION, "bye").await;
            return;
        }
        while let Some(Ok(msg)) = ws.next().await {
            if msg.is_data() && ws.send(msg).await.is_err() {
                break;
            }
        }
    }));
    Running {
        addr,
        stats,
        handle,
        task,
    }
}

/// Polls the counters until `done` holds for them; fails with the last
/// snapshot if it never does.
async fn wait_until(stats: &StatsHandle, done: impl Fn(&ServerStats) -> bool) -> ServerStats {
    let start = Instant::now();
    loop {
        let now = stats.snapshot();
        if done(&now) {
            return now;
        }
        assert!(start.elapsed() < LIMIT, "counters never got there: {now}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Reads until the server closes (or resets) the connection.
async fn read_to_end(stream: &mut TcpStream) {
    let mut rest = Vec::new();
    let read = tokio::time::timeout(LIMIT, stream.read_to_end(&mut rest));
    let _ = read.await.expect("the server closes the connection");
}

/// A raw client that got its 101 and sends `frame`, then reads until the
/// server has closed.
async fn send_raw_frame(addr: &str, frame: &[u8]) {
    let request = encoded(&ClientRequest::new(addr, "/raw"));
    let mut stream = raw_client(addr, &request).await;
    stream.write_all(frame).await.unwrap();
    read_to_end(&mut stream).await;
}

/// Every cause of refusal and every common way to close, one or two
/// connections each, counted exactly: while serving, and in the report.
#[tokio::test]
async fn stats_count_a_scripted_mix_of_connections() {
    let running = serve(2).await;
    let addr = running.addr.to_string();
    let stats = &running.stats;

    // Two open: the limit. A third is answered 503.
    let (mut a, _) = rfc6455::connect(format!("ws://{addr}/ok")).await.unwrap();
    let (b, _) = rfc6455::connect(format!("ws://{addr}/ok")).await.unwrap();
    wait_until(stats, |s| s.open == 2).await;
    let mut third = TcpStream::connect(&addr).await.unwrap();
    let head = read_head(&mut third).await;
    assert!(head.starts_with("HTTP/1.1 503 "), "{head}");
    let now = wait_until(stats, |s| s.refused.over_limit == 1).await;
    assert_eq!(
        (now.accepted, now.open, now.closed.total()),
        (3, 2, 0),
        "{now}"
    );

    // The client closes normally (1000); the other vanishes (1006).
    a.close(CloseCode::NORMAL, "done").await.unwrap();
    drop(b);
    let now = wait_until(stats, |s| s.open == 0).await;
    assert_eq!(now.closed.count(CloseCode::NORMAL), Some(1), "{now}");
    assert_eq!(now.closed.count(CloseCode::ABNORMAL), Some(1), "{now}");

    // The handler closes with 1008.
    let (mut c, _) = rfc6455::connect(format!("ws://{addr}/bye")).await.unwrap();
    match tokio::time::timeout(LIMIT, c.next()).await.unwrap() {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::from(1008)),
        other => panic!("expected the handler's Close, got {other:?}"),
    }
    // Protocol errors and a limit: 1002, 1007, 1009, sent by the server.
    send_raw_frame(&addr, &raw_frame(true, 0, 0x1, None, b"unmasked")).await;
    send_raw_frame(&addr, &client_frame(true, 0x1, &[0xff, 0xfe])).await;
    send_raw_frame(&addr, &client_frame(true, 0x2, &[0; 2000])).await;

    // Refusals: a bad request (400), the admission hook (401), a peer
    // that never sends its request (the handshake timeout).
    let response = exchange_tcp(&addr, b"GET / HTTP/1.0\r\n\r\n").await;
    assert_eq!(response.status(), 400, "{}", response.head);
    let refused = rfc6455::connect(format!("ws://{addr}/private"))
        .await
        .expect_err("refused by admission");
    assert!(
        matches!(
            refused,
            Error::Handshake(HandshakeError::UnexpectedStatus(ref r)) if r.status == 401
        ),
        "{refused:?}"
    );
    let mut mute = TcpStream::connect(&addr).await.unwrap();
    read_to_end(&mut mute).await;

    // One still open at shutdown: it gets 1001.
    let (mut d, _) = rfc6455::connect(format!("ws://{addr}/ok")).await.unwrap();
    let reader = tokio::spawn(async move {
        let mut close = None;
        while let Some(Ok(msg)) = d.next().await {
            if let Message::Close(frame) = msg {
                close = frame.map(|f| f.code);
            }
        }
        close
    });
    let now = wait_until(stats, |s| {
        s.open == 1 && s.closed.total() == 6 && s.refused.total() == 4
    })
    .await;
    assert_eq!(now.accepted, 11, "{now}");

    running.handle.shutdown();
    let report = tokio::time::timeout(LIMIT, running.task)
        .await
        .expect("shutdown in time")
        .unwrap();
    let close = tokio::time::timeout(LIMIT, reader).await.unwrap().unwrap();
    assert_eq!(close, Some(CloseCode::GOING_AWAY));

    let stats = report.stats;
    assert_eq!(
        (stats.accepted, stats.open, stats.upgraded()),
        (11, 0, 7),
        "{stats}"
    );
    let refused = stats.refused;
    assert_eq!(
        (
            refused.over_limit,
            refused.admission,
            refused.bad_handshake,
            refused.handshake_timeout,
            refused.tls
        ),
        (1, 1, 1, 1, 0),
        "{stats}"
    );
    let closed: Vec<(u16, u64)> = stats
        .closed
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(code, n)| (code.as_u16(), n))
        .collect();
    assert_eq!(
        closed,
        [
            (1000, 1),
            (1001, 1),
            (1002, 1),
            (1006, 1),
            (1007, 1),
            (1008, 1),
            (1009, 1)
        ],
        "{stats}"
    );
    assert_eq!(stats.closed.other(), 0, "{stats}");
    // The fields kept from before the counters, read from them.
    assert_eq!(
        (report.accepted, report.refused, report.failed_handshakes),
        (11, 1, 3),
        "{report}"
    );
    let summary = "accepted 11, open 0; refused 4 (over the limit 1, admission 1, \
         bad handshake 1, handshake timeout 1, TLS 0); \
         closed 7 (1000: 1, 1001: 1, 1002: 1, 1006: 1, 1007: 1, 1008: 1, 1009: 1)";
    assert_eq!(stats.to_string(), summary);
    assert!(report.to_string().ends_with(summary), "{report}");
}

/// A handler that panics still counts its connection closed (1006: no
/// Close was sent), and the count of open ones comes back down.
#[tokio::test]
async fn a_panicking_handler_counts_as_closed() {
    let server = Server::bind("127.0.0.1:0", config()).await.unwrap();
    let addr = server.local_addr().unwrap();
    let stats = server.stats_handle();
    let handle = server.shutdown_handle();
    let task = tokio::spawn(server.serve(|_ws, _| async move {
        panic!("a handler's bug");
    }));
    let (mut ws, _) = rfc6455::connect(format!("ws://{addr}/")).await.unwrap();
    let end = tokio::time::timeout(LIMIT, ws.next()).await.unwrap();
    assert!(!matches!(end, Some(Ok(Message::Text(_)))), "{end:?}");
    let now = wait_until(&stats, |s| s.closed.total() == 1).await;
    assert_eq!(now.open, 0, "{now}");
    assert_eq!(now.closed.count(CloseCode::ABNORMAL), Some(1), "{now}");
    handle.shutdown();
    let report = tokio::time::timeout(LIMIT, task).await.unwrap().unwrap();
    assert_eq!(report.stats, now);
}

#[cfg(feature = "rustls")]
mod tls {
    use super::*;
    use rfc6455_test_support::tls::Pki;

    /// Plain HTTP at a `wss://` server: a TLS failure, counted as one
    /// (and, with `tracing`, reported with its cause).
    #[tokio::test]
    async fn a_failed_tls_handshake_counts_as_tls() {
        #[cfg(feature = "tracing")]
        let (traces, _guard) = rfc6455_test_support::traces::capture();
        let pki = Pki::new();
        let server = Server::bind("127.0.0.1:0", config())
            .await
            .unwrap()
            .tls(pki.acceptor());
        let addr = server.local_addr().unwrap();
        let stats = server.stats_handle();
        let handle = server.shutdown_handle();
        let task = tokio::spawn(server.serve(|_, _| async {}));
        let response = exchange_tcp(&addr.to_string(), b"GET / HTTP/1.1\r\n\r\n").await;
        assert_eq!(response.status(), 0, "{}", response.head);
        let now = wait_until(&stats, |s| s.refused.total() == 1).await;
        assert_eq!((now.accepted, now.refused.tls), (1, 1), "{now}");
        #[cfg(feature = "tracing")]
        {
            let failed = traces.wait_for("handshake failed", LIMIT).await;
            let failed = failed.expect("a TLS failure's event");
            assert_eq!(failed.field("cause"), Some("tls"), "{failed:?}");
            let peer = failed.span_field("websocket", "peer").unwrap_or_default();
            assert!(peer.starts_with("127.0.0.1:"), "{failed:?}");
        }
        handle.shutdown();
        let report = tokio::time::timeout(LIMIT, task).await.unwrap().unwrap();
        assert_eq!(report.failed_handshakes, 1, "{report}");
    }
}

/// What a subscriber sees with the `tracing` feature on: the subscriber is
/// this thread's, and `#[tokio::test]` runs the server's tasks on it.
#[cfg(feature = "tracing")]
mod tracing_events {
    use super::*;
    use rfc6455_test_support::traces::{capture, Seen, Traces};

    async fn wait_for(traces: &Traces, message: &str) -> Seen {
        match traces.wait_for(message, LIMIT).await {
            Some(seen) => seen,
            None => panic!("no {message:?} event in {:#?}", traces.events()),
        }
    }

    /// The refusals (admission's 401, the limit's 503, a bad request's
    /// 400) with their status and reason, at their levels, in the
    /// connection's span (peer, path).
    #[tokio::test]
    async fn refusals_are_reported_with_their_status() {
        let (traces, _guard) = capture();
        let running = serve(1).await;
        let addr = running.addr.to_string();

        let refused = rfc6455::connect(format!("ws://{addr}/private?token=secret")).await;
        assert!(refused.is_err());
        let event = wait_for(&traces, "refused by the admission hook").await;
        assert_eq!(event.field("status"), Some("401"), "{event:?}");
        assert_eq!(event.field("reason"), Some("token required"), "{event:?}");
        assert_eq!(event.level, tracing::Level::INFO);
        assert_eq!(event.span_field("websocket", "path"), Some("/private"));
        let peer = event.span_field("websocket", "peer").unwrap_or_default();
        assert!(peer.starts_with("127.0.0.1:"), "{event:?}");

        let response = exchange_tcp(&addr, b"GET / HTTP/1.0\r\n\r\n").await;
        assert_eq!(response.status(), 400);
        let event = wait_for(&traces, "refused: not a valid opening handshake").await;
        assert_eq!(event.field("status"), Some("400"), "{event:?}");
        assert_eq!(event.level, tracing::Level::DEBUG);

        let (held, _) = rfc6455::connect(format!("ws://{addr}/ok")).await.unwrap();
        let mut over = TcpStream::connect(&addr).await.unwrap();
        assert!(read_head(&mut over).await.starts_with("HTTP/1.1 503 "));
        let event = wait_for(&traces, "refused: max_connections open").await;
        assert_eq!(event.field("status"), Some("503"), "{event:?}");
        assert_eq!(
            event.field("reason"),
            Some("too many connections now"),
            "{event:?}"
        );

        // The query (a token, here) is nowhere.
        let events = format!("{:?}", traces.events());
        assert!(!events.contains("secret"), "{events}");
        drop(held);
        running.handle.shutdown();
        let _ = running.task.await;
    }

    /// A close the client started: the server's span holds the path, and
    /// its events say who started closing, the code and the reason; a
    /// protocol error says the code the server sent. The client's events
    /// are in its own span (host, path).
    #[tokio::test]
    async fn closes_and_protocol_errors_are_reported_with_their_code() {
        let (traces, _guard) = capture();
        let running = serve(10).await;
        let addr = running.addr.to_string();

        let (mut ws, _) = rfc6455::connect(format!("ws://{addr}/ok")).await.unwrap();
        ws.send(Message::text("hello")).await.unwrap();
        let _echo = ws.next().await;
        ws.close(CloseCode::NORMAL, "done").await.unwrap();
        drop(ws);
        wait_until(&running.stats, |s| s.closed.total() == 1).await;

        let in_server = |e: &Seen| e.span_field("websocket", "path") == Some("/ok");
        let in_client = |e: &Seen| e.span_field("websocket_client", "path") == Some("/ok");
        let started: Vec<Seen> = traces.with_message("closing handshake started");
        let server_side = started.iter().find(|e| in_server(e)).expect("server's");
        assert_eq!(server_side.field("code"), Some("1000"), "{server_side:?}");
        assert_eq!(server_side.field("reason"), Some("done"));
        assert_eq!(server_side.field("initiator"), Some("remote"));
        let client_side = started.iter().find(|e| in_client(e)).expect("client's");
        assert_eq!(client_side.field("initiator"), Some("local"));
        assert_eq!(
            client_side.span_field("websocket_client", "host"),
            Some(addr.as_str())
        );

        let closed = traces.with_message("connection closed");
        let server_side = closed.iter().find(|e| in_server(e)).expect("server's");
        assert_eq!(server_side.field("code"), Some("1000"), "{server_side:?}");
        assert_eq!(server_side.field("initiator"), Some("remote"));
        assert_eq!(server_side.level, tracing::Level::DEBUG);
        assert!(closed.iter().any(in_client), "{closed:?}");

        send_raw_frame(&addr, &raw_frame(true, 0, 0x1, None, b"unmasked")).await;
        let failed = wait_for(&traces, "connection failed").await;
        assert_eq!(failed.field("code"), Some("1002"), "{failed:?}");
        assert!(
            failed
                .field("error")
                .unwrap_or_default()
                .contains("not masked"),
            "{failed:?}"
        );
        assert_eq!(failed.span_field("websocket", "path"), Some("/raw"));
        // Its "connection closed" says 1002 too, started here.
        let start = Instant::now();
        let closed = loop {
            let found = traces
                .with_message("connection closed")
                .into_iter()
                .find(|e| e.span_field("websocket", "path") == Some("/raw"));
            if let Some(found) = found {
                break found;
            }
            assert!(start.elapsed() < LIMIT, "{:#?}", traces.events());
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        assert_eq!(closed.field("code"), Some("1002"), "{closed:?}");
        assert_eq!(closed.field("initiator"), Some("local"), "{closed:?}");
        running.handle.shutdown();
        let _ = running.task.await;
    }

    /// Limits in time: a mute peer cut by the handshake timeout (its
    /// cause), an idle connection closed with 1001 by the idle timeout.
    #[tokio::test]
    async fn timeouts_are_reported() {
        let (traces, _guard) = capture();
        let config = config().idle_timeout(Some(Duration::from_millis(200)));
        let server = Server::bind("127.0.0.1:0", config).await.unwrap();
        let addr = server.local_addr().unwrap();
        let handle = server.shutdown_handle();
        let task = tokio::spawn(
            server.serve(|mut ws, _| async move { while let Some(Ok(_)) = ws.next().await {} }),
        );

        let mut mute = TcpStream::connect(addr).await.unwrap();
        read_to_end(&mut mute).await;
        let failed = wait_for(&traces, "handshake failed").await;
        assert_eq!(
            failed.field("cause"),
            Some("handshake_timeout"),
            "{failed:?}"
        );
        assert_eq!(failed.level, tracing::Level::DEBUG);

        let (mut ws, _) = rfc6455::connect(format!("ws://{addr}/quiet"))
            .await
            .unwrap();
        match tokio::time::timeout(LIMIT, ws.next()).await.unwrap() {
            Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::GOING_AWAY),
            other => panic!("expected the idle timeout's Close, got {other:?}"),
        }
        let idle = wait_for(&traces, "idle timeout").await;
        assert_eq!(idle.span_field("websocket", "path"), Some("/quiet"));
        let closing = traces
            .with_message("closing handshake started")
            .into_iter()
            .find(|e| e.span_field("websocket", "path") == Some("/quiet"))
            .expect("the server's Close");
        assert_eq!(closing.field("code"), Some("1001"), "{closing:?}");
        assert_eq!(closing.field("reason"), Some("idle timeout"), "{closing:?}");
        assert_eq!(closing.field("initiator"), Some("local"), "{closing:?}");
        handle.shutdown();
        let _ = task.await;
    }
}
