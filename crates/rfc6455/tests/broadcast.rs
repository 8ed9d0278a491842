//! Broadcast: one [`PreparedMessage`] written to many connections over
//! real loopback sockets, grouped by what the RFCs say of it.
//!
//! - RFC 6455 §5.1–§5.3: what every subscriber receives is the message
//!   sent, whatever its length class; server frames are shared, client
//!   frames masked each on their own.
//! - RFC 7692 §7.1.1 and §6.1: subscribers that agreed on
//!   `server_no_context_takeover` and those that did not all inflate the
//!   message right.
//! - §7.1.1 (closing) and backpressure: a subscriber that never reads
//!   does not stop the others, and costs the broadcaster bounded memory,
//!   whether it is ended by `Config::write_timeout` or dropped by the
//!   broadcaster reading `buffered_amount`.

use futures_util::{SinkExt, StreamExt};
use rfc6455::deflate::DeflateConfig;
use rfc6455::{
    CloseCode, Config, Error, IntoClientRequest, Message, PreparedMessage, Role, TimeoutKind,
    WebSocket,
};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

/// Generous: everything here takes well under a second unless it hangs.
const DEADLINE: Duration = Duration::from_secs(60);

/// `n` server-side WebSockets accepted with `server` config, and their
/// clients made with `client` config.
async fn pairs(
    n: usize,
    server: Config,
    client: Config,
) -> (
    Vec<WebSocket<TcpStream>>,
    Vec<WebSocket<rfc6455::MaybeTlsStream>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    let accepting = tokio::spawn(async move { accept_n(&listener, n, &server).await });
    let mut clients = Vec::new();
    for _ in 0..n {
        let (ws, _) = rfc6455::connect_with_config(url.as_str(), client.clone())
            .await
            .unwrap();
        clients.push(ws);
    }
    (accepting.await.unwrap(), clients)
}

fn text_of(len: usize, seed: usize) -> String {
    (0..len)
        .map(|i| char::from(b'a' + ((i * 7 + seed) % 26) as u8))
        .collect()
}

/// §5.2: every payload-length class (7-bit, 16-bit, 64-bit), to every
/// subscriber, in order, in both message types.
#[tokio::test]
async fn rfc6455_5_2_every_length_class_reaches_every_subscriber() {
    tokio::time::timeout(DEADLINE, async {
        let (mut servers, mut clients) = pairs(4, Config::default(), Config::default()).await;
        let lengths = [0, 125, 126, 65535, 65536, 200_000];
        let messages: Vec<Message> = lengths
            .iter()
            .enumerate()
            .map(|(i, &len)| {
                if i % 2 == 0 {
                    Message::text(text_of(len, i))
                } else {
                    Message::binary(text_of(len, i).into_bytes())
                }
            })
            .collect();
        let reading = clients
            .drain(..)
            .map(|mut ws| {
                let n = messages.len();
                tokio::spawn(async move {
                    let mut got = Vec::new();
                    while got.len() < n {
                        got.push(ws.next().await.unwrap().unwrap());
                    }
                    ws.close(CloseCode::NORMAL, "").await.unwrap();
                    got
                })
            })
            .collect::<Vec<_>>();
        for m in &messages {
            let prepared = match m {
                Message::Text(t) => PreparedMessage::text(t.clone()),
                Message::Binary(b) => PreparedMessage::binary(b.clone()),
                _ => unreachable!(),
            };
            for ws in &mut servers {
                ws.send_prepared(&prepared).await.unwrap();
            }
        }
        // The server side answers the clients' Close as they come.
        let answering: Vec<_> = servers
            .into_iter()
            .map(|mut ws| {
                tokio::spawn(async move { matches!(ws.next().await, Some(Ok(Message::Close(_)))) })
            })
            .collect();
        for r in reading {
            assert_eq!(r.await.unwrap(), messages);
        }
        for a in answering {
            assert!(a.await.unwrap(), "the client's Close, then the end");
        }
    })
    .await
    .expect("in time");
}

/// §5.3: a prepared message sent by clients is masked by each (the
/// server side rejects unmasked frames, §5.1), and arrives whole.
#[tokio::test]
async fn rfc6455_5_3_clients_mask_a_prepared_message_each() {
    tokio::time::timeout(DEADLINE, async {
        let (mut servers, mut clients) = pairs(3, Config::default(), Config::default()).await;
        let prepared = PreparedMessage::binary(vec![0x5a; 70_000]);
        for ws in &mut clients {
            ws.send_prepared(&prepared).await.unwrap();
        }
        for ws in &mut servers {
            assert_eq!(
                ws.next().await.unwrap().unwrap(),
                Message::Binary(prepared.payload().clone())
            );
        }
    })
    .await
    .expect("in time");
}

/// RFC 7692 §7.1.1: subscribers with and without
/// `server_no_context_takeover` (so sharing one compression, or
/// compressing for themselves), and one with no extension, all receive
/// every message right, message after message.
#[tokio::test]
async fn rfc7692_7_1_1_context_takeover_and_shared_compression_mix() {
    tokio::time::timeout(DEADLINE, async {
        let shared = DeflateConfig::default().server_no_context_takeover(true);
        let variants = [
            (Some(shared.clone()), Some(shared)),
            (
                Some(DeflateConfig::default()),
                Some(DeflateConfig::default()),
            ),
            (Some(DeflateConfig::default()), None),
        ];
        let mut servers = Vec::new();
        let mut clients = Vec::new();
        for (server, client) in variants {
            let mut s = Config::default();
            s.deflate = server;
            let mut c = Config::default();
            c.deflate = client;
            let (ss, cs) = pairs(2, s, c).await;
            servers.extend(ss);
            clients.extend(cs);
        }
        let texts: Vec<String> = (0..5)
            .map(|i| format!("news item {i}: ").repeat(50 + i))
            .collect();
        for text in &texts {
            let prepared = PreparedMessage::text(text.clone());
            for ws in &mut servers {
                ws.feed_prepared(&prepared).await.unwrap();
            }
        }
        for ws in &mut servers {
            ws.flush().await.unwrap();
        }
        for ws in &mut clients {
            for text in &texts {
                assert_eq!(
                    ws.next().await.unwrap().unwrap(),
                    Message::text(text.clone())
                );
            }
        }
    })
    .await
    .expect("in time");
}

/// A client connection whose kernel buffer is small, so that a subscriber
/// that never reads fills it soon.
async fn slow_client(url: &str) -> WebSocket<TcpStream> {
    let addr = url
        .trim_start_matches("ws://")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(addr).await.unwrap();
    let request = url.into_client_request().unwrap();
    let (ws, _) = rfc6455::client_handshake(stream, &request, Config::default())
        .await
        .unwrap();
    ws
}

/// `n` clients that will read.
async fn fast_clients(url: &str, n: usize) -> Vec<WebSocket<rfc6455::MaybeTlsStream>> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(rfc6455::connect(url).await.unwrap().0);
    }
    out
}

/// Accepts `n` connections with `config`.
async fn accept_n(listener: &TcpListener, n: usize, config: &Config) -> Vec<WebSocket<TcpStream>> {
    let mut out = Vec::new();
    for _ in 0..n {
        let (stream, _) = listener.accept().await.unwrap();
        out.push(
            rfc6455::accept_with_config(stream, config.clone())
                .await
                .unwrap(),
        );
    }
    out
}

/// How many messages the fast subscribers must each receive: far more
/// than a stalled socket's kernel buffers hold (a few MB on loopback).
const MESSAGES: usize = 600;
const MESSAGE_LEN: usize = 32 << 10;

/// Fast subscribers read everything and report how many they got.
fn spawn_readers(
    clients: Vec<WebSocket<rfc6455::MaybeTlsStream>>,
) -> Vec<tokio::task::JoinHandle<usize>> {
    clients
        .into_iter()
        .map(|mut ws| {
            tokio::spawn(async move {
                let mut got = 0;
                while let Some(Ok(m)) = ws.next().await {
                    if let Message::Binary(b) = m {
                        assert_eq!(b.len(), MESSAGE_LEN);
                        assert_eq!(b[..8], (got as u64).to_be_bytes());
                        got += 1;
                    }
                }
                got
            })
        })
        .collect()
}

fn numbered(i: usize) -> PreparedMessage {
    let mut data = vec![0u8; MESSAGE_LEN];
    data[..8].copy_from_slice(&(i as u64).to_be_bytes());
    PreparedMessage::binary(data)
}

/// Policy one: every subscriber has a task of its own that queues each
/// message (`feed_prepared`) and flushes it, as `send_prepared` does.
/// The one that never reads stalls its own task only, and
/// `Config::write_timeout` (5 s here: generous, so that only the slow one
/// ever reaches it) ends it with `Timeout { Write }`; the others receive
/// every message. Memory is bounded: one message at a time in a queue
/// (the flush ends before the next is taken).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_never_reads_hits_the_write_timeout_alone() {
    tokio::time::timeout(DEADLINE, async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/", listener.local_addr().unwrap());
        let config = Config::default().write_timeout(Duration::from_secs(5));
        let (fast_clients, fast) =
            tokio::join!(fast_clients(&url, 3), accept_n(&listener, 3, &config));
        // Never polled: never reads.
        let (slow_client, slow) = tokio::join!(slow_client(&url), accept_n(&listener, 1, &config));
        let readers = spawn_readers(fast_clients);

        // A channel per subscriber, as a chat server's writer tasks have:
        // each holds clones of the one PreparedMessage.
        let (tx, _) = tokio::sync::broadcast::channel::<PreparedMessage>(MESSAGES);
        let writers: Vec<_> = fast
            .into_iter()
            .chain(slow)
            .map(|mut ws| {
                let mut rx = tx.subscribe();
                tokio::spawn(async move {
                    let mut most_buffered = 0;
                    loop {
                        let m = match rx.recv().await {
                            Ok(m) => m,
                            Err(_) => break,
                        };
                        ws.feed_prepared(&m).await?;
                        most_buffered = most_buffered.max(ws.buffered_amount());
                        ws.flush().await?;
                    }
                    ws.close(CloseCode::NORMAL, "").await?;
                    Ok::<_, Error>(most_buffered)
                })
            })
            .collect();
        for i in 0..MESSAGES {
            tx.send(numbered(i)).unwrap();
            tokio::task::yield_now().await;
        }
        drop(tx);
        let mut results = Vec::new();
        for w in writers {
            results.push(w.await.unwrap());
        }
        let slow_result = results.pop().unwrap();
        assert!(
            matches!(
                slow_result,
                Err(Error::Timeout {
                    what: TimeoutKind::Write
                })
            ),
            "{slow_result:?}"
        );
        for r in results {
            let most = r.expect("a fast subscriber is not ended");
            assert!(most <= MESSAGE_LEN + 14, "{most}");
        }
        for r in readers {
            assert_eq!(r.await.unwrap(), MESSAGES, "every message, in order");
        }
        drop(slow_client);
    })
    .await
    .expect("in time");
}

/// Policy two: one broadcaster task writes to every subscriber itself,
/// allowing each at most `MARK` bytes behind: it queues the message,
/// then gives each a short grace (`drain_to(MARK)`) and drops the
/// subscriber whose `buffered_amount` stays over it. The one that never
/// reads is dropped long before the write timeout; the others receive
/// every message, and no subscriber ever holds more than `MARK` plus one
/// message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcaster_drops_a_subscriber_over_its_buffered_mark() {
    const MARK: usize = 48 << 10;
    const GRACE: Duration = Duration::from_secs(5);
    tokio::time::timeout(DEADLINE, async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/", listener.local_addr().unwrap());
        // The write timeout far away: the broadcaster's mark decides.
        let config = Config::default().write_timeout(Duration::from_secs(3600));
        let (slow_client, mut subscribers) =
            tokio::join!(slow_client(&url), accept_n(&listener, 1, &config));
        let (fast_clients, fast) =
            tokio::join!(fast_clients(&url, 3), accept_n(&listener, 3, &config));
        subscribers.extend(fast);
        let readers = spawn_readers(fast_clients);

        let started = Instant::now();
        let mut most_buffered = 0;
        let mut dropped_at = None;
        for i in 0..MESSAGES {
            let m = numbered(i);
            let mut kept = Vec::with_capacity(subscribers.len());
            for mut ws in subscribers.drain(..) {
                // Under the mark, under `write_buffer_size` (64 KiB): the
                // feed queues without waiting.
                ws.feed_prepared(&m).await.unwrap();
                most_buffered = most_buffered.max(ws.buffered_amount());
                let _ = tokio::time::timeout(GRACE, ws.drain_to(MARK)).await;
                if ws.buffered_amount() > MARK {
                    dropped_at.get_or_insert(i);
                    continue; // dropped: its queue goes with it
                }
                kept.push(ws);
            }
            subscribers = kept;
        }
        for mut ws in subscribers.drain(..) {
            ws.close(CloseCode::NORMAL, "").await.unwrap();
        }
        let dropped_at = dropped_at.expect("the reader that never reads was dropped");
        assert!(
            dropped_at < MESSAGES / 2,
            "dropped after {dropped_at} messages"
        );
        assert!(
            most_buffered <= MARK + MESSAGE_LEN + 14,
            "bounded memory: {most_buffered}"
        );
        for r in readers {
            assert_eq!(r.await.unwrap(), MESSAGES, "every message, in order");
        }
        // One grace for the slow one, not a write timeout, for all.
        assert!(started.elapsed() < Duration::from_secs(30));
        drop(slow_client);
    })
    .await
    .expect("in time");
}

/// §7.1.2: once a subscriber's Close is sent, a prepared message is
/// refused with `ConnectionClosed`, on the whole WebSocket and on a write
/// half.
#[tokio::test]
async fn rfc6455_7_1_2_after_close_it_is_refused() {
    tokio::time::timeout(DEADLINE, async {
        let (mut servers, _clients) = pairs(2, Config::default(), Config::default()).await;
        let m = PreparedMessage::text("late");
        let mut whole = servers.pop().unwrap();
        whole
            .connection_mut()
            .close(None)
            .expect("a Close is queued");
        assert!(matches!(
            whole.send_prepared(&m).await,
            Err(Error::ConnectionClosed)
        ));
        let (mut writer, _reader) = servers.pop().unwrap().split();
        writer.close().await.unwrap();
        assert!(matches!(
            writer.send_prepared(&m).await,
            Err(Error::ConnectionClosed)
        ));
    })
    .await
    .expect("in time");
}

/// The role is the connection's, not the message's: the same prepared
/// message on a server (shared) and a client (masked) connection.
#[tokio::test]
async fn one_prepared_message_on_both_roles() {
    let (a, b) = tokio::io::duplex(1 << 20);
    let mut server = WebSocket::from_raw(a, Role::Server, Config::default());
    let mut client = WebSocket::from_raw(b, Role::Client, Config::default());
    let m = PreparedMessage::text("both ways");
    server.send_prepared(&m).await.unwrap();
    client.send_prepared(&m).await.unwrap();
    assert_eq!(
        client.next().await.unwrap().unwrap(),
        Message::text("both ways")
    );
    assert_eq!(
        server.next().await.unwrap().unwrap(),
        Message::text("both ways")
    );
}
