//! The load generator: N connections, each keeping D messages of S bytes
//! in flight against an echo server, checking every echo, for a measured
//! window after a warm-up. Its own client (see [`wire`]):
//! one pre-masked frame copied per message, reads parsed in place, one
//! write per batch of echoes, so that the server, not the client, is the
//! bottleneck.
//!
//! Every run ends: connecting and the handshake are bounded, the
//! connections stop at the end of the window by themselves, and the
//! caller bounds the whole (see `bin/loadgen.rs`).

use crate::procfs;
use crate::wire::{self, OP_BINARY, OP_CLOSE, OP_CONTINUATION, OP_PING, OP_PONG, OP_TEXT};
use bytes::{Buf, BytesMut};
use hdrhistogram::Histogram;
use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::Interest;
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::Instant;

/// The masking key of every frame: the server unmasks whatever it is.
const KEY: [u8; 4] = [0x5a, 0x1c, 0xe3, 0x77];
/// How long connecting plus the opening handshake may take, per connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections opened at once.
pub const CONNECT_CONCURRENCY: usize = 256;
/// Errors kept word for word in a report; the rest are only counted.
const KEPT_ERRORS: usize = 5;

/// What to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// `ws://HOST:PORT/PATH`.
    pub url: String,
    /// Connections.
    pub connections: usize,
    /// Messages in flight per connection.
    pub depth: usize,
    /// Payload bytes per message.
    pub size: usize,
    /// The measured window (in idle mode: how long the connections sit
    /// before the server's memory is read).
    pub duration: Duration,
    /// Load before the window, not measured.
    pub warmup: Duration,
    /// The server's process, for its CPU time and memory.
    pub pid: Option<u32>,
    /// Text messages rather than binary.
    pub text: bool,
    /// Idle mode: open the connections, send nothing, and report the
    /// server's resident memory per connection.
    pub idle: bool,
}

/// Significant digits of the latency histogram: any value it reports is
/// within 0.1% of a recorded one, fine enough to compare p50s a few
/// percent apart.
const LATENCY_SIGFIG: u8 = 3;

/// An empty latency histogram (nanoseconds; it grows to the largest
/// value recorded).
pub fn latency_histogram() -> Histogram<u64> {
    Histogram::new(LATENCY_SIGFIG).expect("3 significant digits are within hdrhistogram's 0..=5")
}

/// Records `ns`, growing the histogram to hold it (`saturating_record`
/// would clamp it to the range so far); clamped only past hdrhistogram's
/// ceiling of `i64::MAX / 2` nanoseconds, about 146 years.
fn record(histogram: &mut Histogram<u64>, ns: u64) {
    if histogram.record(ns).is_err() {
        histogram.saturating_record(ns);
    }
}

/// What a run measured.
#[derive(Clone, Debug)]
pub struct Report {
    /// Echoes received in the window.
    pub messages: u64,
    /// Length of the window, seconds.
    pub seconds: f64,
    /// Payload bytes per message.
    pub size: usize,
    /// Round-trip latencies in the window, nanoseconds.
    pub latency: Histogram<u64>,
    /// Server CPU seconds (user + system) in the window.
    pub server_cpu_seconds: Option<f64>,
    /// Our own CPU seconds in the window, to tell whether we were the
    /// bottleneck.
    pub client_cpu_seconds: Option<f64>,
    /// Server resident memory before the connections opened and after
    /// they sat for the duration (idle mode).
    pub rss_before: Option<u64>,
    /// See `rss_before`.
    pub rss_after: Option<u64>,
    /// Connections open.
    pub connections: usize,
    /// Connections that failed during the run.
    pub error_count: usize,
    /// The first few of those failures.
    pub errors: Vec<String>,
}

impl Default for Report {
    fn default() -> Self {
        Report {
            messages: 0,
            seconds: 0.0,
            size: 0,
            latency: latency_histogram(),
            server_cpu_seconds: None,
            client_cpu_seconds: None,
            rss_before: None,
            rss_after: None,
            connections: 0,
            error_count: 0,
            errors: Vec::new(),
        }
    }
}

impl Report {
    /// Echoes per second.
    pub fn msgs_per_second(&self) -> f64 {
        self.messages as f64 / self.seconds.max(1e-9)
    }

    /// Payload megabytes (10^6) per second, one way.
    pub fn mb_per_second(&self) -> f64 {
        self.msgs_per_second() * self.size as f64 / 1e6
    }

    /// Server CPU microseconds per echoed message.
    pub fn server_cpu_us_per_msg(&self) -> Option<f64> {
        let cpu = self.server_cpu_seconds?;
        (self.messages > 0).then(|| cpu * 1e6 / self.messages as f64)
    }

    /// Server resident bytes per idle connection.
    pub fn rss_per_connection(&self) -> Option<f64> {
        let (before, after) = (self.rss_before?, self.rss_after?);
        (self.connections > 0).then(|| (after as f64 - before as f64) / self.connections as f64)
    }

    fn record_error(&mut self, error: String) {
        self.error_count += 1;
        if self.errors.len() < KEPT_ERRORS {
            self.errors.push(error);
        }
    }

    /// One JSON object.
    pub fn to_json(&self, options: &Options) -> serde_json::Value {
        let us = |ns: u64| ns as f64 / 1e3;
        let latency = (!self.latency.is_empty()).then(|| {
            serde_json::json!({
                "p50": us(self.latency.value_at_quantile(0.50)),
                "p90": us(self.latency.value_at_quantile(0.90)),
                "p99": us(self.latency.value_at_quantile(0.99)),
                "max": us(self.latency.max()),
            })
        });
        serde_json::json!({
            "url": options.url,
            "mode": if options.idle { "idle" } else { "echo" },
            "connections": options.connections,
            "depth": options.depth,
            "size": options.size,
            "text": options.text,
            "seconds": self.seconds,
            "messages": self.messages,
            "msgs_per_s": self.msgs_per_second(),
            "mb_per_s": self.mb_per_second(),
            "latency_us": latency,
            "server_cpu_s": self.server_cpu_seconds,
            "server_cpu_us_per_msg": self.server_cpu_us_per_msg(),
            "client_cpu_s": self.client_cpu_seconds,
            "client_cpu_share": self.client_cpu_seconds.map(|c| c / self.seconds.max(1e-9)),
            "rss_before": self.rss_before,
            "rss_after": self.rss_after,
            "rss_per_connection": self.rss_per_connection(),
            "clock_ticks_per_s": procfs::clock_ticks_per_second(),
            "error_count": self.error_count,
            "errors": self.errors,
        })
    }

    /// Human-readable lines.
    pub fn to_text(&self, options: &Options) -> String {
        let mut out = String::new();
        let us = |ns: u64| ns as f64 / 1e3;
        if options.idle {
            out += &format!("{} idle connections\n", self.connections);
            if let (Some(before), Some(after), Some(per)) =
                (self.rss_before, self.rss_after, self.rss_per_connection())
            {
                out += &format!("server RSS {before} B -> {after} B: {per:.0} B per connection\n");
            }
        } else {
            out += &format!(
                "{} messages in {:.2} s: {:.0} msgs/s, {:.2} MB/s\n",
                self.messages,
                self.seconds,
                self.msgs_per_second(),
                self.mb_per_second()
            );
            out += &format!(
                "latency p50 {:.1} us, p90 {:.1} us, p99 {:.1} us, max {:.1} us\n",
                us(self.latency.value_at_quantile(0.5)),
                us(self.latency.value_at_quantile(0.9)),
                us(self.latency.value_at_quantile(0.99)),
                us(self.latency.max())
            );
            if let (Some(cpu), Some(per)) = (self.server_cpu_seconds, self.server_cpu_us_per_msg())
            {
                out += &format!("server CPU {cpu:.2} s: {per:.3} us per message\n");
            }
            if let Some(cpu) = self.client_cpu_seconds {
                out += &format!(
                    "loadgen CPU {cpu:.2} s ({:.0}% of one core)\n",
                    100.0 * cpu / self.seconds.max(1e-9)
                );
            }
        }
        if self.error_count > 0 {
            out += &format!("{} connection(s) failed:\n", self.error_count);
            for e in &self.errors {
                out += &format!("  {e}\n");
            }
        }
        out
    }
}

/// The body of a load generator's `main`: raises the open-file limit,
/// runs `run` on a runtime of `threads` (1: a current-thread one), bounded
/// by `bound`, and returns its report; when it fails, prints why (as
/// `{"url", "fatal"}` too with `json`) and exits with status 3.
pub fn run_or_exit<T, Fut>(
    name: &str,
    threads: usize,
    bound: Duration,
    url: &str,
    json: bool,
    run: Fut,
) -> T
where
    Fut: std::future::Future<Output = Result<T, String>>,
{
    if let Err(e) = procfs::raise_nofile_limit() {
        eprintln!("{name}: cannot raise the open-file limit: {e}");
    }
    let runtime = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    }
    .unwrap_or_else(|e| {
        eprintln!("{name}: cannot start the runtime: {e}");
        std::process::exit(3);
    });
    let result = runtime.block_on(async {
        tokio::time::timeout(bound, run)
            .await
            .unwrap_or_else(|_| Err(format!("the run did not end within {bound:?}")))
    });
    // Dropping the runtime would wait for nothing: its tasks are done or
    // aborted, and the connections close with the process.
    result.unwrap_or_else(|e| {
        if json {
            println!("{}", serde_json::json!({ "url": url, "fatal": e }));
        }
        eprintln!("{name}: {e}");
        std::process::exit(3);
    })
}

/// A command line's seconds (`1.5`) as a duration.
pub fn parse_seconds(value: &str) -> Result<Duration, String> {
    let secs: f64 = value
        .parse()
        .map_err(|_| format!("{value:?} is not a number"))?;
    Duration::try_from_secs_f64(secs).map_err(|_| "bad duration".to_string())
}

/// `ws://HOST:PORT/PATH` split into the address to dial, the Host header
/// and the path.
pub fn parse_url(url: &str) -> Result<(String, String, String), String> {
    let rest = url
        .strip_prefix("ws://")
        .ok_or_else(|| format!("{url:?}: only ws:// URLs are supported"))?;
    let (authority, path) = match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, "/"),
    };
    if authority.is_empty() {
        return Err(format!("{url:?}: no host"));
    }
    let dial = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    Ok((dial, authority.to_string(), path.to_string()))
}

/// The payload of every message: printable ASCII, so it serves as Text.
pub fn payload(size: usize) -> Vec<u8> {
    (0..size).map(|i| b'!' + (i * 7 % 94) as u8).collect()
}

/// `ws://HOST:PORT/PATH` resolved: the address to dial, the Host header
/// and the path.
pub async fn resolve(url: &str) -> Result<(SocketAddr, String, String), String> {
    let (dial_addr, host, path) = parse_url(url)?;
    let addr = tokio::net::lookup_host(&dial_addr)
        .await
        .map_err(|e| format!("resolve {dial_addr}: {e}"))?
        .next()
        .ok_or_else(|| format!("resolve {dial_addr}: no address"))?;
    Ok((addr, host, path))
}

/// Connects the `index`th connection. To 127.0.0.1, connections come from
/// 127.0.0.1 to 127.0.0.8 in turn: 10,000 connections, run after run,
/// would otherwise crowd one address's ephemeral ports.
pub async fn dial(addr: SocketAddr, index: usize) -> std::io::Result<TcpStream> {
    let socket = match addr.ip() {
        IpAddr::V4(ip) => {
            let socket = TcpSocket::new_v4()?;
            if ip == Ipv4Addr::LOCALHOST {
                socket.bind(SocketAddr::from(([127, 0, 0, 1 + (index % 8) as u8], 0)))?;
            }
            socket
        }
        IpAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.connect(addr).await
}

async fn open(
    addr: SocketAddr,
    host: &str,
    path: &str,
    index: usize,
) -> Result<(TcpStream, Vec<u8>), String> {
    let attempt = async {
        let mut stream = dial(addr, index)
            .await
            .map_err(|e| format!("connect to {addr}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let rest = wire::client_handshake(&mut stream, host, path)
            .await
            .map_err(|e| format!("handshake with {addr}: {e}"))?;
        Ok((stream, rest))
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, attempt).await {
        Ok(result) => result,
        Err(_) => Err(format!(
            "connect and handshake with {addr}: no answer in {CONNECT_TIMEOUT:?}"
        )),
    }
}

/// Opens `n` connections, [`CONNECT_CONCURRENCY`] at a time, each with
/// `open(index)` (which bounds its own time); fails with the first error.
pub async fn open_all<T, F, Fut>(n: usize, open: F) -> Result<Vec<T>, String>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<T, String>> + Send + 'static,
{
    let limit = Arc::new(tokio::sync::Semaphore::new(CONNECT_CONCURRENCY));
    let mut tasks = Vec::with_capacity(n);
    for index in 0..n {
        let (limit, opening) = (limit.clone(), open(index));
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire_owned().await.map_err(|e| e.to_string())?;
            opening.await
        }));
    }
    let mut streams = Vec::with_capacity(n);
    let mut first_error = None;
    let mut failed = 0;
    for task in tasks {
        match task.await.map_err(|e| e.to_string()).and_then(|r| r) {
            Ok(stream) => streams.push(stream),
            Err(e) => {
                failed += 1;
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        None => Ok(streams),
        Some(e) => Err(format!("{failed} of {n} connection(s) failed; first: {e}")),
    }
}

/// Opens `n` connections to an echo server with [`wire`]'s handshake.
async fn open_echo(
    addr: SocketAddr,
    host: &str,
    path: &str,
    n: usize,
) -> Result<Vec<(TcpStream, Vec<u8>)>, String> {
    let (host, path): (Arc<str>, Arc<str>) = (host.into(), path.into());
    open_all(n, |index| {
        let (host, path) = (host.clone(), path.clone());
        async move { open(addr, &host, &path, index).await }
    })
    .await
}

/// Runs the load. `Err` when connections cannot be opened at all.
pub async fn run(options: &Options) -> Result<Report, String> {
    let (addr, host, path) = resolve(&options.url).await?;
    if options.connections == 0 {
        return Err("--connections must be at least 1".into());
    }
    let pid = options.pid.map(|p| p.to_string());
    let mut report = Report {
        size: options.size,
        connections: options.connections,
        ..Report::default()
    };
    if options.idle {
        if let Some(pid) = &pid {
            report.rss_before =
                Some(procfs::rss_bytes(pid).map_err(|e| format!("server {pid}: {e}"))?);
        }
        let streams = open_echo(addr, &host, &path, options.connections).await?;
        let started = Instant::now();
        tokio::time::sleep(options.duration).await;
        if let Some(pid) = &pid {
            report.rss_after =
                Some(procfs::rss_bytes(pid).map_err(|e| format!("server {pid}: {e}"))?);
        }
        report.seconds = started.elapsed().as_secs_f64();
        // Still open, all of them? A peer that closed shows as readable EOF.
        for (stream, _) in &streams {
            let mut probe = [0u8; 1];
            if let Ok(0) = stream.try_read(&mut probe) {
                report.record_error("server closed an idle connection".into());
            }
        }
        return Ok(report);
    }
    if options.depth == 0 {
        return Err("--depth must be at least 1".into());
    }

    let streams = open_echo(addr, &host, &path, options.connections).await?;
    let expected: Arc<[u8]> = payload(options.size).into();
    let opcode = if options.text { OP_TEXT } else { OP_BINARY };
    let frame: Arc<[u8]> = wire::masked_frame(opcode, &expected, KEY).into();
    let start = Instant::now() + options.warmup;
    let end = start + options.duration;
    let mut tasks = Vec::with_capacity(streams.len());
    for (index, (stream, rest)) in streams.into_iter().enumerate() {
        let conn = Conn {
            stream,
            input: BytesMut::from(&rest[..]),
            frame: frame.clone(),
            expected: expected.clone(),
            opcode,
            depth: options.depth,
            start,
            end,
        };
        tasks.push(tokio::spawn(async move {
            conn.run()
                .await
                .map_err(|e| format!("connection {index}: {e}"))
        }));
    }

    tokio::time::sleep_until(start).await;
    let server_before = pid.as_deref().map(procfs::cpu_seconds).transpose();
    let client_before = procfs::cpu_seconds("self").ok();
    tokio::time::sleep_until(end).await;
    let server_after = pid.as_deref().map(procfs::cpu_seconds).transpose();
    let client_after = procfs::cpu_seconds("self").ok();
    report.seconds = options.duration.as_secs_f64();
    match (server_before, server_after) {
        (Ok(Some(before)), Ok(Some(after))) => report.server_cpu_seconds = Some(after - before),
        (Err(e), _) | (_, Err(e)) => {
            report.record_error(format!("server CPU time of pid {pid:?}: {e}"))
        }
        _ => {}
    }
    if let (Some(before), Some(after)) = (client_before, client_after) {
        report.client_cpu_seconds = Some(after - before);
    }

    // The connections stop at `end` by themselves; this only bounds a bug.
    let grace = Instant::now() + Duration::from_secs(5);
    for task in tasks {
        let abort = task.abort_handle();
        match tokio::time::timeout_at(grace, task).await {
            Ok(Ok(Ok(stats))) => {
                report.messages += stats.messages;
                // Both grow as they record: adding cannot run out of range.
                let _ = report.latency.add(&stats.latency);
            }
            Ok(Ok(Err(e))) => report.record_error(e),
            Ok(Err(e)) => report.record_error(format!("connection task: {e}")),
            Err(_) => {
                abort.abort();
                report.record_error("connection did not stop at the end of the run".into());
            }
        }
    }
    Ok(report)
}

/// One connection's share of the results.
struct Stats {
    messages: u64,
    latency: Histogram<u64>,
}

struct Conn {
    stream: TcpStream,
    input: BytesMut,
    frame: Arc<[u8]>,
    expected: Arc<[u8]>,
    opcode: u8,
    depth: usize,
    start: Instant,
    end: Instant,
}

impl Conn {
    async fn run(mut self) -> Result<Stats, String> {
        let mut stats = Stats {
            messages: 0,
            latency: latency_histogram(),
        };
        let mut output = Vec::with_capacity(self.frame.len() * self.depth);
        let mut written = 0;
        // When each message in flight was queued, oldest first: echoes
        // come back in order.
        let mut sent = VecDeque::with_capacity(self.depth);
        let now = Instant::now();
        for _ in 0..self.depth {
            output.extend_from_slice(&self.frame);
            sent.push_back(now);
        }
        // Bytes of the current echo checked so far (it may come in
        // fragments).
        let mut echoed = 0;
        let deadline = tokio::time::sleep_until(self.end);
        tokio::pin!(deadline);
        let read_chunk = (self.frame.len() + 64).clamp(16 << 10, 256 << 10);
        loop {
            if written < output.len() {
                match self.stream.try_write(&output[written..]) {
                    Ok(n) => written += n,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(e) => return Err(format!("write: {e}")),
                }
                if written == output.len() {
                    output.clear();
                    written = 0;
                }
            }
            let interest = if written < output.len() {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            let ready = tokio::select! {
                biased;
                _ = &mut deadline => return Ok(stats),
                ready = self.stream.ready(interest) => ready.map_err(|e| format!("poll: {e}"))?,
            };
            if !ready.is_readable() && !ready.is_read_closed() {
                continue;
            }
            if self.input.capacity() - self.input.len() < read_chunk / 2 {
                self.input.reserve(read_chunk);
            }
            match self.stream.try_read_buf(&mut self.input) {
                Ok(0) => {
                    return Err(format!(
                        "server closed the connection (EOF) with {} message(s) in flight",
                        sent.len()
                    ))
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(e) => return Err(format!("read: {e}")),
            }
            let now = Instant::now();
            while let Some(header) = wire::parse_header(&self.input) {
                let total = header.header_len as u64 + header.len;
                if (self.input.len() as u64) < total {
                    // Room for the rest of a large frame.
                    self.input.reserve(total as usize - self.input.len());
                    break;
                }
                let body = &self.input[header.header_len..total as usize];
                if header.mask.is_some() {
                    return Err("server sent a masked frame".into());
                }
                match header.opcode {
                    OP_PING | OP_PONG => {}
                    OP_CLOSE => {
                        let code = body.get(..2).map(|c| u16::from_be_bytes([c[0], c[1]]));
                        return Err(format!(
                            "server sent Close {code:?} {:?}",
                            String::from_utf8_lossy(body.get(2..).unwrap_or_default())
                        ));
                    }
                    op if op == self.opcode || (op == OP_CONTINUATION && echoed > 0) => {
                        let want = self.expected.get(echoed..echoed + body.len());
                        if want != Some(body) {
                            return Err(format!(
                                "echo differs from what was sent: {} byte(s) at offset {echoed} \
                                 of a {}-byte message",
                                body.len(),
                                self.expected.len()
                            ));
                        }
                        echoed += body.len();
                        if header.fin {
                            if echoed != self.expected.len() {
                                return Err(format!(
                                    "short echo: {echoed} of {} bytes",
                                    self.expected.len()
                                ));
                            }
                            echoed = 0;
                            let Some(queued) = sent.pop_front() else {
                                return Err("echo of a message never sent".into());
                            };
                            if now >= self.start && now < self.end {
                                stats.messages += 1;
                                record(&mut stats.latency, (now - queued).as_nanos() as u64);
                            }
                            if now < self.end {
                                output.extend_from_slice(&self.frame);
                                sent.push_back(now);
                            }
                        }
                    }
                    op => return Err(format!("unexpected frame, opcode {op:#x}")),
                }
                self.input.advance(total as usize);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("ws://127.0.0.1:9001/").unwrap(),
            ("127.0.0.1:9001".into(), "127.0.0.1:9001".into(), "/".into())
        );
        assert_eq!(
            parse_url("ws://localhost").unwrap(),
            ("localhost:80".into(), "localhost".into(), "/".into())
        );
        assert!(parse_url("wss://x/").is_err());
        assert!(parse_url("ws:///").is_err());
    }

    #[test]
    fn payload_is_text() {
        assert!(std::str::from_utf8(&payload(1000)).is_ok());
    }

    #[test]
    fn latency_percentiles_within_a_tenth_of_a_percent() {
        let mut h = latency_histogram();
        for v in 1..=1000u64 {
            record(&mut h, v * 1000);
        }
        let close = |got: u64, want: u64| {
            assert!(
                got.abs_diff(want) <= want / 1000,
                "got {got}, want about {want}"
            );
        };
        close(h.value_at_quantile(0.5), 500_000);
        close(h.value_at_quantile(0.99), 990_000);
        close(h.max(), 1_000_000);
        // Per-connection histograms merge into the run's.
        let mut other = latency_histogram();
        record(&mut other, 7);
        h.add(&other).unwrap();
        assert_eq!(h.len(), 1001);
        assert_eq!(h.value_at_quantile(0.0), 7);
        assert!(Report::default().latency.is_empty());
    }
}
