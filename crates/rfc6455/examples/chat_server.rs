//! A broadcast chat server: every Text message a client sends goes to all
//! the other clients, prefixed with the sender's address, framed once for
//! all of them.
//!
//! Each connection is split: its reading half turns what its client says
//! into one [`PreparedMessage`] (the line formatted, framed and, for the
//! clients that negotiated permessage-deflate without context takeover,
//! compressed once) and feeds it to a shared `tokio::sync::broadcast`
//! channel; its writing half, in a task of its own, writes what the
//! others said. Every subscriber shares the same bytes: a line costs the
//! server one encode however many listen.
//!
//! A slow subscriber costs bounded memory and never holds the others up:
//! the channel is bounded, so a client that reads too slowly misses lines
//! (and is told how many), and a client that stops reading altogether is
//! dropped once its socket takes nothing for `Config::write_timeout`
//! (its writer fails with `Timeout { Write }`).
//!
//! ```text
//! cargo run -p rfc6455 --example chat_server -- 127.0.0.1:9001
//! # in two other terminals, with any WebSocket client, e.g. websocat:
//! websocat ws://127.0.0.1:9001
//! ```

use futures_util::StreamExt;
use rfc6455::deflate::DeflateConfig;
use rfc6455::{Config, Message, PreparedMessage};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;

/// How many lines a slow client may fall behind before it misses some.
const BACKLOG: usize = 256;

#[tokio::main]
async fn main() -> Result<(), rfc6455::Error> {
    let addr = std::env::args().nth(1);
    let listener = TcpListener::bind(addr.as_deref().unwrap_or("127.0.0.1:9001")).await?;
    println!("chat on ws://{}", listener.local_addr()?);
    serve(listener).await
}

/// The server's limits: permessage-deflate without context takeover on
/// our side (RFC 7692 §7.1.1.1), so that a line is compressed once for
/// every client that negotiates it, and a short write timeout, so that a
/// client that stops reading is dropped soon.
fn config() -> Arc<Config> {
    let deflate = DeflateConfig::default().server_no_context_takeover(true);
    Arc::new(
        Config::default()
            .deflate(deflate)
            .write_timeout(Duration::from_secs(10)),
    )
}

/// One line of the chat: who said it (not to send it back to them), and
/// the line framed once for everyone else.
#[derive(Clone, Debug)]
struct Said {
    from: SocketAddr,
    line: PreparedMessage,
}

async fn serve(listener: TcpListener) -> Result<(), rfc6455::Error> {
    let config = config();
    let (room, _) = broadcast::channel::<Said>(BACKLOG);
    loop {
        let (stream, peer) = listener.accept().await?;
        let room = room.clone();
        let config = Arc::clone(&config);
        tokio::spawn(async move {
            if let Err(e) = client(stream, peer, room, config).await {
                println!("{peer}: {e}");
            }
        });
    }
}

async fn client(
    stream: TcpStream,
    peer: SocketAddr,
    room: broadcast::Sender<Said>,
    config: Arc<Config>,
) -> Result<(), rfc6455::Error> {
    let ws = rfc6455::accept_with_config(stream, config).await?;
    let (mut writer, mut reader) = ws.split();
    let mut heard = room.subscribe();
    // The writing half: a welcome (sent once this client hears the room),
    // then what the others say, until this client leaves or falls too
    // far behind.
    let forward = tokio::spawn(async move {
        let welcome = PreparedMessage::text(format!("welcome, {peer}"));
        if writer.send_prepared(&welcome).await.is_err() {
            return;
        }
        loop {
            let line = match heard.recv().await {
                Ok(said) if said.from == peer => continue,
                Ok(said) => said.line,
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    PreparedMessage::text(format!("({n} messages missed)"))
                }
                Err(broadcast::error::RecvError::Closed) => break,
            };
            // Bounded by `Config::write_timeout`: a client that stops
            // reading ends here, with `Timeout { Write }`.
            if let Err(e) = writer.send_prepared(&line).await {
                println!("{peer}: dropped: {e}");
                break;
            }
        }
    });
    // The reading half: what this client says, to everyone, framed once.
    let mut result = Ok(());
    while let Some(msg) = reader.next().await {
        match msg {
            Ok(Message::Text(text)) => {
                let line = PreparedMessage::text(format!("{peer}: {text}"));
                // No receiver only means nobody else is here.
                let _ = room.send(Said { from: peer, line });
            }
            Ok(_) => {}
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    forward.abort();
    println!("{peer}: left");
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::{stream, SinkExt};
    use rfc6455::{CloseCode, MaybeTlsStream, WebSocket};
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Command, Stdio};
    use std::time::Instant;

    /// Generous: each step takes milliseconds unless it hangs.
    const STEP: Duration = Duration::from_secs(60);

    async fn next_text(ws: &mut WebSocket<MaybeTlsStream>) -> String {
        let msg = tokio::time::timeout(STEP, ws.next())
            .await
            .expect("a message in time");
        match msg {
            Some(Ok(Message::Text(t))) => t.to_string(),
            other => panic!("expected a text, got {other:?}"),
        }
    }

    /// A client that has heard its welcome: the room will send it
    /// everything said from now on. Every other one offers
    /// permessage-deflate (and shares the server's one compression).
    async fn join(url: &str, deflate: bool) -> WebSocket<MaybeTlsStream> {
        let mut config = Config::default();
        if deflate {
            config.deflate = Some(DeflateConfig::default());
        }
        let (mut ws, _) = rfc6455::connect_with_config(url, config).await.unwrap();
        assert!(next_text(&mut ws).await.starts_with("welcome, "));
        ws
    }

    #[tokio::test]
    async fn a_message_reaches_every_other_client_but_not_its_sender() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve(listener));
        let url = format!("ws://{addr}/");
        let mut alice = join(&url, false).await;
        let mut bob = join(&url, true).await;
        let mut carol = join(&url, false).await;
        let alice_addr = alice.get_ref().tcp().local_addr().unwrap();
        let bob_addr = bob.get_ref().tcp().local_addr().unwrap();

        alice.send(Message::text("hi all")).await.unwrap();
        assert_eq!(next_text(&mut bob).await, format!("{alice_addr}: hi all"));
        assert_eq!(next_text(&mut carol).await, format!("{alice_addr}: hi all"));

        bob.send(Message::text("hi alice")).await.unwrap();
        // Alice hears Bob, and never her own message.
        assert_eq!(next_text(&mut alice).await, format!("{bob_addr}: hi alice"));
        assert_eq!(next_text(&mut carol).await, format!("{bob_addr}: hi alice"));

        for ws in [&mut alice, &mut bob, &mut carol] {
            ws.close(CloseCode::NORMAL, "").await.unwrap();
        }
    }

    /// What a broadcast run measured.
    struct Run {
        clients: usize,
        lines: usize,
        connect: Duration,
        broadcast: Duration,
    }

    /// `clients` listeners join the chat at `url` (half of them with
    /// permessage-deflate), one speaker says `lines` lines, long enough to
    /// be compressed, and every listener must hear every line, in order.
    async fn broadcast_to(url: &str, clients: usize, lines: usize) -> Run {
        let started = Instant::now();
        let listeners: Vec<_> = stream::iter(0..clients)
            .map(|i| join(url, i % 2 == 0))
            .buffer_unordered(64)
            .collect()
            .await;
        let connect = started.elapsed();
        let mut speaker = join(url, false).await;
        let from = speaker.get_ref().tcp().local_addr().unwrap();
        let said: Vec<String> = (0..lines)
            .map(|i| format!("line {i}: {}", "all work and no play ".repeat(8)))
            .collect();
        let started = Instant::now();
        let hearing: Vec<_> = listeners
            .into_iter()
            .map(|mut ws| {
                let expected: Vec<String> = said.iter().map(|s| format!("{from}: {s}")).collect();
                tokio::spawn(async move {
                    for line in &expected {
                        assert_eq!(&next_text(&mut ws).await, line);
                    }
                    ws
                })
            })
            .collect();
        for line in &said {
            speaker.send(Message::text(line.clone())).await.unwrap();
        }
        let mut heard = Vec::with_capacity(clients);
        for h in hearing {
            heard.push(h.await.expect("every listener heard every line"));
        }
        let broadcast = started.elapsed();
        // Leave without waiting for each goodbye: dropping closes TCP.
        drop(heard);
        speaker.close(CloseCode::NORMAL, "").await.unwrap();
        Run {
            clients,
            lines,
            connect,
            broadcast,
        }
    }

    /// The chat of `main`, with 500 listeners in this process.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_line_reaches_500_listeners() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve(listener));
        let run = broadcast_to(&format!("ws://{addr}/"), 500, 5).await;
        assert_eq!((run.clients, run.lines), (500, 5));
    }

    /// VmRSS and VmHWM (peak) of `pid`, in KiB.
    fn memory_of(pid: u32) -> (usize, usize) {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let field = |name: &str| -> usize {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .unwrap()
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// The child of `a_line_reaches_10_000_listeners`: the chat server, in
    /// a process of its own (so that each side's 10,000 sockets fit the
    /// file limit, and its memory is its own), until stdin closes.
    #[test]
    #[ignore = "the server half of `a_line_reaches_10_000_listeners`, started by it"]
    fn chat_server_process() {
        if std::env::var_os("CHAT_SERVER").is_none() {
            return;
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            println!("ADDR {}", listener.local_addr().unwrap());
            tokio::spawn(serve(listener));
            tokio::task::spawn_blocking(|| {
                let _ = std::io::stdin().read_to_end(&mut Vec::new());
            })
            .await
            .unwrap();
        });
    }

    /// The issue's figure: the chat broadcasts to 10,000 clients. Opt-in
    /// (it opens 10,000 sockets on each side); prints the time to connect,
    /// the time for every listener to hear every line, and the server's
    /// memory:
    ///
    /// ```text
    /// cargo test -p rfc6455 --release --example chat_server -- --ignored --nocapture a_line_reaches_10_000
    /// CHAT_CLIENTS=2000 cargo test -p rfc6455 --example chat_server -- --ignored --nocapture a_line_reaches_10_000
    /// ```
    #[test]
    #[ignore = "opt-in: opens 10,000 connections (see its docs)"]
    fn a_line_reaches_10_000_listeners() {
        let clients = std::env::var("CHAT_CLIENTS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(10_000);
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--ignored",
                "--exact",
                "tests::chat_server_process",
                "--nocapture",
            ])
            .env("CHAT_SERVER", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
        let addr = loop {
            let line = out.next().expect("the server printed its address").unwrap();
            if let Some(addr) = line.strip_prefix("ADDR ") {
                break addr.to_owned();
            }
        };
        // Drain the child's output (a line per client that leaves).
        std::thread::spawn(move || out.for_each(drop));
        let (rss_idle, _) = memory_of(pid);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let run = runtime.block_on(broadcast_to(&format!("ws://{addr}/"), clients, 5));
        let (rss, peak) = memory_of(pid);
        println!(
            "{} listeners: connected in {:.2?}, {} lines heard by all in {:.2?}; \
             server RSS {} KiB idle, {} KiB after, peak {} KiB ({} bytes a client)",
            run.clients,
            run.connect,
            run.lines,
            run.broadcast,
            rss_idle,
            rss,
            peak,
            (peak - rss_idle) * 1024 / run.clients,
        );
        drop(child.stdin.take());
        child.wait().unwrap();
    }
}
