//! How the client opens TCP (issue "Clients the way applications need
//! them", point 4): every address tried, IPv6 and IPv4 raced with staggered
//! starts (Happy Eyeballs, RFC 8305 §5), a connect timeout of its own,
//! `connect_to` moving a name to addresses, `TCP_NODELAY` set.
//!
//! A dead address comes in two kinds here, both real sockets on loopback:
//! a closed port, which refuses at once, and a *black hole*, a listener
//! whose accept queue is full and never drained, where the kernel drops
//! every further SYN, so a connect hangs as it does to a host that has gone
//! away.

use futures_util::{SinkExt, StreamExt};
use rfc6455::{ClientConfig, CloseCode, Config, Error, Message, Server, TimeoutKind};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};
use tokio::net::TcpSocket;

/// Long enough for a loaded machine, short enough to call a hang a hang.
const LIMIT: Duration = Duration::from_secs(20);

/// A ws:// echo server on `ip`, port chosen by the system.
async fn echo_on(ip: &str) -> SocketAddr {
    let server = Server::bind(&format!("{ip}:0"), Config::default())
        .await
        .unwrap();
    let addr = server.local_addr().unwrap();
    tokio::spawn(server.serve(|mut ws, _| async move {
        while let Some(Ok(message)) = ws.next().await {
            if message.is_data() && ws.send(message).await.is_err() {
                break;
            }
        }
    }));
    addr
}

/// A port on `ip` where connects hang: a listener with a backlog of 0
/// whose queue is filled and never accepted. Keep it (and the sockets that
/// fill it) alive for as long as the hole is needed.
struct BlackHole {
    addr: SocketAddr,
    _listener: tokio::net::TcpListener,
    _queued: Vec<TcpStream>,
}

fn black_hole(ip: &str) -> BlackHole {
    let addr: SocketAddr = format!("{ip}:0").parse().unwrap();
    let socket = if addr.is_ipv6() {
        TcpSocket::new_v6()
    } else {
        TcpSocket::new_v4()
    }
    .unwrap();
    socket.bind(addr).unwrap();
    let listener = socket.listen(0).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut queued = Vec::new();
    // The queue holds one or two connections, depending on the kernel;
    // fill it until a connect hangs.
    loop {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            Ok(stream) => queued.push(stream),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => break,
            Err(e) => panic!("filling the black hole at {addr}: {e}"),
        }
        assert!(
            queued.len() < 16,
            "the accept queue of {addr} does not fill"
        );
    }
    BlackHole {
        addr,
        _listener: listener,
        _queued: queued,
    }
}

/// A port on 127.0.0.1 that refuses (bound, then closed).
fn closed_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// Connects with `client` to `url`, echoes one message, closes; returns
/// the server's address as the client's TCP saw it.
async fn echo_through(client: &ClientConfig, url: &str) -> SocketAddr {
    let (mut ws, response) = tokio::time::timeout(LIMIT, client.connect(url))
        .await
        .expect("connect hung")
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    assert_eq!(response.status, 101);
    let peer = ws.get_ref().tcp().peer_addr().unwrap();
    assert!(
        ws.get_ref().tcp().nodelay().unwrap(),
        "TCP_NODELAY is not set"
    );
    ws.send(Message::text("hello")).await.unwrap();
    let echo = tokio::time::timeout(LIMIT, ws.next()).await.unwrap();
    assert_eq!(echo.unwrap().unwrap(), Message::text("hello"));
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    peer
}

#[tokio::test]
async fn a_dead_first_address_is_passed_over() {
    let live = echo_on("127.0.0.1").await;

    // Refused at once: the next address starts at once, long before the
    // attempt delay (a minute here) would start it.
    let client = ClientConfig::default()
        .attempt_delay(Duration::from_secs(60))
        .connect_to("chat.test", [closed_port(), live]);
    assert_eq!(echo_through(&client, "ws://chat.test/").await, live);

    // A black hole: no answer ever, so the second attempt starts after
    // the attempt delay, and wins.
    let hole = black_hole("127.0.0.1");
    let client = ClientConfig::default()
        .attempt_delay(Duration::from_millis(100))
        .connect_timeout(LIMIT)
        .connect_to("chat.test", [hole.addr, live]);
    let started = Instant::now();
    assert_eq!(echo_through(&client, "ws://chat.test/").await, live);
    assert!(
        started.elapsed() >= Duration::from_millis(100),
        "the second attempt started before the attempt delay"
    );
}

#[tokio::test]
async fn ipv6_and_ipv4_are_raced() {
    // The first family is IPv6 and its first address hangs; the IPv4
    // address comes second in the interleaved order (RFC 8305 §4) and
    // wins. The IPv6 address after it is never needed.
    let live = echo_on("127.0.0.1").await;
    let hole = black_hole("[::1]");
    let also_v6 = black_hole("[::1]");
    let client = ClientConfig::default()
        .attempt_delay(Duration::from_millis(50))
        .connect_to("dual.test", [hole.addr, also_v6.addr, live]);
    assert_eq!(echo_through(&client, "ws://dual.test/").await, live);

    // And the other way round: a live IPv6 server behind a dead IPv4 one.
    let live6 = echo_on("[::1]").await;
    let client = ClientConfig::default()
        .attempt_delay(Duration::from_millis(50))
        .connect_to("dual.test", [closed_port(), live6]);
    assert_eq!(echo_through(&client, "ws://dual.test/").await, live6);
}

#[tokio::test]
async fn no_answer_is_a_connect_timeout() {
    let hole = black_hole("127.0.0.1");
    let client = ClientConfig::default()
        .config(Config::default().handshake_timeout(LIMIT))
        .connect_timeout(Duration::from_millis(300));
    let started = Instant::now();
    let url = format!("ws://{}/", hole.addr);
    let result = tokio::time::timeout(LIMIT, client.connect(&url)).await;
    let elapsed = started.elapsed();
    assert!(
        matches!(
            result,
            Ok(Err(Error::Timeout {
                what: TimeoutKind::Connect
            }))
        ),
        "{result:?}"
    );
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < LIMIT / 2,
        "ended after {elapsed:?}"
    );
}

#[tokio::test]
async fn every_address_failing_names_each() {
    let (a, b) = (closed_port(), closed_port());
    let client = ClientConfig::default().connect_to("gone.test", [a, b]);
    let result = tokio::time::timeout(LIMIT, client.connect("ws://gone.test/")).await;
    let Ok(Err(Error::Connect(error))) = result else {
        panic!("{result:?}");
    };
    assert_eq!((error.host.as_str(), error.port), ("gone.test", 80));
    let tried: Vec<_> = error.attempts.iter().map(|(addr, _)| *addr).collect();
    assert_eq!(tried, [a, b]);
    let message = error.to_string();
    assert!(
        message.contains(&a.to_string()) && message.contains(&b.to_string()),
        "{message}"
    );
}

#[tokio::test]
async fn a_name_that_does_not_resolve_is_a_typed_error() {
    // `.invalid` never resolves (RFC 6761 §6.4).
    let result = tokio::time::timeout(LIMIT, rfc6455::connect("ws://no-such-host.invalid/")).await;
    let Ok(Err(Error::Connect(error))) = result else {
        panic!("{result:?}");
    };
    assert!(
        error.resolve.is_some() && error.attempts.is_empty(),
        "{error:?}"
    );
    assert!(error
        .to_string()
        .starts_with("cannot resolve no-such-host.invalid"));
}

#[tokio::test]
async fn connect_to_keeps_the_name_in_the_request() {
    // The server sees the URL's host in `Host`, not the address.
    let server = Server::bind("127.0.0.1:0", Config::default())
        .await
        .unwrap();
    let addr = server.local_addr().unwrap();
    let (seen, mut hosts) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(server.serve(move |ws, accepted| {
        let host = accepted
            .request
            .headers
            .get("host")
            .map(|h| h.to_str().unwrap().to_owned());
        seen.send(host).unwrap();
        async move { drop(ws) }
    }));
    let client = ClientConfig::default().connect_to("Named.Test", [addr]);
    let (ws, _) = tokio::time::timeout(LIMIT, client.connect("ws://named.test:8080/x"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ws.get_ref().tcp().peer_addr().unwrap(), addr);
    assert_eq!(
        hosts.recv().await.unwrap().as_deref(),
        Some("named.test:8080")
    );
}
