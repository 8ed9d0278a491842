//! Echo, end to end in one process: a client `WebSocket` sends a batch of
//! messages, a server `WebSocket` echoes them (queued with `feed`, written
//! by its next read: one write per read), the client reads them back. Over
//! an in-memory duplex pipe and over loopback TCP, for 16 messages of 16 B
//! and for one of 64 KiB. The reference, in the same run and over the same
//! transport, is a raw byte echo of the same bytes (no framing, masking
//! or validation): the ratio is our time over it (1.00 = the WebSocket
//! layers cost nothing). Written to `reports/bench/echo.json`.
//!
//! `cargo bench -p rfc6455 --bench echo`

use criterion::{BenchmarkId, Criterion, Throughput};
use futures_util::{SinkExt, StreamExt};
use rfc6455::{Config, Message, Role, WebSocket};
use rfc6455_test_support::bench::{run, Ratio, Ratios, Statistic};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::runtime::Runtime;

const GROUP: &str = "echo";
/// (label, messages per batch, message size)
const WORKLOADS: [(&str, usize, usize); 2] = [("16x16B", 16, 16), ("1x64KiB", 1, 64 << 10)];

type Pipe = Box<dyn AsyncStream>;
trait AsyncStream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> AsyncStream for T {}

/// A connected pair over `transport`: (client end, server end).
async fn pair(transport: &str) -> (Pipe, Pipe) {
    match transport {
        "duplex" => {
            let (a, b) = tokio::io::duplex(256 << 10);
            (Box::new(a), Box::new(b))
        }
        _ => {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let (client, accepted) =
                tokio::join!(tokio::net::TcpStream::connect(addr), listener.accept());
            let (client, server) = (client.unwrap(), accepted.unwrap().0);
            client.set_nodelay(true).unwrap();
            server.set_nodelay(true).unwrap();
            (Box::new(client), Box::new(server))
        }
    }
}

/// Our echo: a server WebSocket that queues each echo with `feed`.
fn spawn_ws_echo(rt: &Runtime, io: Pipe) {
    rt.spawn(async move {
        let mut ws = WebSocket::from_raw(io, Role::Server, Config::default());
        while let Some(Ok(msg)) = ws.next().await {
            if msg.is_data() && ws.feed(msg).await.is_err() {
                break;
            }
        }
    });
}

/// The reference: every byte read is written back.
fn spawn_raw_echo(rt: &Runtime, mut io: Pipe) {
    rt.spawn(async move {
        let mut buf = vec![0u8; 64 << 10];
        loop {
            match io.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if io.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            }
        }
    });
}

fn benches(c: &mut Criterion, rt: &Runtime) {
    let mut group = c.benchmark_group(GROUP);
    for transport in ["duplex", "tcp"] {
        for (label, batch, size) in WORKLOADS {
            let id = format!("{transport}_{label}");
            group.throughput(Throughput::Bytes((batch * size) as u64));

            let (client_io, server_io) = rt.block_on(pair(transport));
            spawn_ws_echo(rt, server_io);
            let mut ws = WebSocket::from_raw(client_io, Role::Client, Config::default());
            let payload = bytes::Bytes::from(vec![0x5a; size]);
            group.bench_function(BenchmarkId::new("websocket", &id), |b| {
                b.iter_custom(|iters| {
                    rt.block_on(async {
                        let start = Instant::now();
                        for _ in 0..iters {
                            for _ in 0..batch {
                                ws.feed(Message::Binary(payload.clone())).await.unwrap();
                            }
                            ws.flush().await.unwrap();
                            for _ in 0..batch {
                                let echoed = ws.next().await.unwrap().unwrap();
                                assert_eq!(echoed.len(), size);
                            }
                        }
                        start.elapsed()
                    })
                })
            });

            // The same bytes a client would send: a 6- to 14-byte header
            // per message plus the payload.
            let header = match size {
                0..=125 => 6,
                126..=0xffff => 8,
                _ => 14,
            };
            let wire = vec![0x5a; batch * (header + size)];
            let (mut client_io, server_io) = rt.block_on(pair(transport));
            spawn_raw_echo(rt, server_io);
            let mut back = vec![0u8; wire.len()];
            group.bench_function(BenchmarkId::new("raw_echo", &id), |b| {
                b.iter_custom(|iters| {
                    rt.block_on(async {
                        let start = Instant::now();
                        for _ in 0..iters {
                            client_io.write_all(&wire).await.unwrap();
                            client_io.read_exact(&mut back).await.unwrap();
                        }
                        start.elapsed()
                    })
                })
            });
        }
    }
    group.finish();
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut ratios = Ratios::new("echo", GROUP, Statistic::Fastest, Ratio::Overhead);
    let criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    run(criterion, |c| benches(c, &rt));
    for transport in ["duplex", "tcp"] {
        for (label, _, _) in WORKLOADS {
            ratios.add("websocket", "raw_echo", &format!("{transport}_{label}"));
        }
    }
    ratios.print(
        "echo round trips: WebSocket time / raw byte echo (1.00 = no overhead), fastest samples",
    );
    ratios.write_json();
}
