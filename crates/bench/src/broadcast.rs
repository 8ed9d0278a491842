//! The broadcast benchmark: a server sends each message to every client
//! connected to it, and we measure the server's CPU time per delivered
//! message.
//!
//! The server (`peer-broadcast IMPL`) listens for WebSocket clients, and
//! on a second port for a control connection: each line `COUNT SIZE`
//! there makes it broadcast COUNT messages of SIZE bytes, back to back,
//! to every client connected. The load side ([`run`], the
//! `broadcast-load` binary) opens the clients, then sends one line at a
//! time and waits until every client has received and checked every
//! message before it sends the next. Sampling the server's CPU time
//! (`/proc/PID/stat`) between two broadcasts therefore covers the
//! broadcasts in between and nothing else: the clients send nothing.
//!
//! What is not here: the servers themselves (`bin/peer-broadcast.rs`),
//! and the driver that runs them side by side (`compare`).

use crate::loadgen::{dial, open_all, resolve, CONNECT_TIMEOUT};
use crate::procfs;
use futures_util::StreamExt;
use rfc6455::deflate::DeflateConfig;
use rfc6455::handshake::ClientRequest;
use rfc6455::{Config, Message, WebSocket};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::Instant;

/// Errors kept word for word in a report; the rest are only counted.
const KEPT_ERRORS: usize = 5;
/// How long one broadcast may take to reach every client.
pub const BROADCAST_TIMEOUT: Duration = Duration::from_secs(20);
/// Bytes of each message that carry its sequence number (8 hex digits).
const STAMP: usize = 8;

/// The payload of every broadcast message of `size` bytes, before its
/// sequence number is stamped on: JSON-like records of a market feed, as
/// compressible as such text is (about 4x with zlib at level 3, not the
/// 100x of a repeated byte), and printable ASCII, so it serves as Text.
pub fn corpus(size: usize) -> Vec<u8> {
    const SYMBOLS: [&str; 7] = ["AAPL", "MSFT", "GOOG", "AMZN", "NVDA", "TSLA", "META"];
    let mut out = String::with_capacity(size + 128);
    let mut i = 0usize;
    while out.len() < size {
        out += &format!(
            r#"{{"id":{},"sym":"{}","bid":{}.{:02},"ask":{}.{:02},"qty":{}}},"#,
            1000 + i,
            SYMBOLS[i % SYMBOLS.len()],
            100 + i * 13 % 50,
            i * 37 % 100,
            100 + i * 13 % 50,
            (i * 37 + 2) % 100,
            (i * 91) % 1000 + 1
        );
        i += 1;
    }
    out.truncate(size);
    out.into_bytes()
}

/// Writes `seq` over the first (up to) 8 bytes of `payload`, as 8 hex
/// digits: each message differs from the one before, as a feed's do.
pub fn stamp(payload: &mut [u8], seq: u64) {
    let digits = format!("{:08x}", seq as u32);
    let n = payload.len().min(STAMP);
    payload[..n].copy_from_slice(&digits.as_bytes()[..n]);
}

/// Whether `got` is message `seq` of `corpus`.
fn is_message(got: &[u8], corpus: &[u8], seq: u64) -> bool {
    if got.len() != corpus.len() {
        return false;
    }
    let n = got.len().min(STAMP);
    let mut head = [0u8; STAMP];
    head[..n].copy_from_slice(&corpus[..n]);
    stamp(&mut head[..n], seq);
    got[..n] == head[..n] && got[n..] == corpus[n..]
}

/// The control line asking for `count` messages of `size` bytes.
pub fn control_line(count: usize, size: usize) -> String {
    format!("{count} {size}\n")
}

/// `(count, size)` of a control line.
pub fn parse_control_line(line: &str) -> Option<(usize, usize)> {
    let mut words = line.split_ascii_whitespace();
    let count = words.next()?.parse().ok()?;
    let size = words.next()?.parse().ok()?;
    words.next().is_none().then_some((count, size))
}

/// What to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// The server's WebSocket address, `ws://HOST:PORT/PATH`.
    pub url: String,
    /// The server's control address, `HOST:PORT`.
    pub control: String,
    /// Clients.
    pub connections: usize,
    /// Payload bytes per message.
    pub size: usize,
    /// Messages per broadcast, sent back to back.
    pub burst: usize,
    /// The measured window.
    pub duration: Duration,
    /// Broadcasts before the window, not measured.
    pub warmup: Duration,
    /// The server's process, for its CPU time.
    pub pid: Option<u32>,
    /// Offer permessage-deflate with no context takeover (both ways), and
    /// insist that the server accepts it.
    pub deflate: bool,
}

/// What a run measured.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Broadcasts in the window.
    pub broadcasts: u64,
    /// Messages delivered in the window: broadcasts x burst x connections.
    pub messages: u64,
    /// Length of the window, seconds.
    pub seconds: f64,
    /// Server CPU seconds (user + system) in the window.
    pub server_cpu_seconds: Option<f64>,
    /// The part of it in user space (the rest is the kernel's: the
    /// writes, and on loopback the receiving side's TCP too).
    pub server_user_cpu_seconds: Option<f64>,
    /// Our own CPU seconds in the window.
    pub client_cpu_seconds: Option<f64>,
    /// Time from a broadcast's request to its last delivery, the median
    /// of the window's, in microseconds.
    pub broadcast_p50_us: Option<f64>,
    /// Connections that failed (the first few errors are kept).
    pub error_count: usize,
    /// The first few of those failures.
    pub errors: Vec<String>,
}

impl Report {
    /// Messages delivered per second.
    pub fn msgs_per_second(&self) -> f64 {
        self.messages as f64 / self.seconds.max(1e-9)
    }

    /// Server CPU microseconds per delivered message.
    pub fn server_cpu_us_per_msg(&self) -> Option<f64> {
        self.per_message(self.server_cpu_seconds?)
    }

    /// The same, user space alone.
    pub fn server_user_cpu_us_per_msg(&self) -> Option<f64> {
        self.per_message(self.server_user_cpu_seconds?)
    }

    fn per_message(&self, cpu: f64) -> Option<f64> {
        (self.messages > 0).then(|| cpu * 1e6 / self.messages as f64)
    }

    fn record_error(&mut self, error: String) {
        self.error_count += 1;
        if self.errors.len() < KEPT_ERRORS {
            self.errors.push(error);
        }
    }

    /// One JSON object (field names as loadgen's where they mean the same).
    pub fn to_json(&self, options: &Options) -> serde_json::Value {
        serde_json::json!({
            "url": options.url,
            "mode": "broadcast",
            "connections": options.connections,
            "size": options.size,
            "burst": options.burst,
            "deflate": options.deflate,
            "seconds": self.seconds,
            "broadcasts": self.broadcasts,
            "messages": self.messages,
            "msgs_per_s": self.msgs_per_second(),
            "broadcast_p50_us": self.broadcast_p50_us,
            "server_cpu_s": self.server_cpu_seconds,
            "server_cpu_us_per_msg": self.server_cpu_us_per_msg(),
            "server_user_cpu_s": self.server_user_cpu_seconds,
            "server_user_cpu_us_per_msg": self.server_user_cpu_us_per_msg(),
            "client_cpu_s": self.client_cpu_seconds,
            "client_cpu_share": self.client_cpu_seconds.map(|c| c / self.seconds.max(1e-9)),
            "clock_ticks_per_s": procfs::clock_ticks_per_second(),
            "error_count": self.error_count,
            "errors": self.errors,
        })
    }

    /// Human-readable lines.
    pub fn to_text(&self, options: &Options) -> String {
        let mut out = format!(
            "{} broadcasts of {} x {} B to {} connections in {:.2} s: {} messages delivered, {:.0}/s\n",
            self.broadcasts,
            options.burst,
            options.size,
            options.connections,
            self.seconds,
            self.messages,
            self.msgs_per_second()
        );
        if let Some(p50) = self.broadcast_p50_us {
            out += &format!("a broadcast reached every client in {p50:.0} us (median)\n");
        }
        if let (Some(cpu), Some(per)) = (self.server_cpu_seconds, self.server_cpu_us_per_msg()) {
            out += &format!("server CPU {cpu:.2} s: {per:.3} us per delivered message\n");
        }
        if let Some(per) = self.server_user_cpu_us_per_msg() {
            out += &format!("  of which user space: {per:.3} us\n");
        }
        if let Some(cpu) = self.client_cpu_seconds {
            out += &format!(
                "broadcast-load CPU {cpu:.2} s ({:.0}% of one core)\n",
                100.0 * cpu / self.seconds.max(1e-9)
            );
        }
        if self.error_count > 0 {
            out += &format!("{} failure(s):\n", self.error_count);
            for e in &self.errors {
                out += &format!("  {e}\n");
            }
        }
        out
    }
}

/// What the clients share with the run: deliveries so far, the count
/// that completes the broadcast under way, and the first failures.
struct Progress {
    delivered: AtomicU64,
    target: AtomicU64,
    done: Notify,
    failed: AtomicBool,
    errors: Mutex<Vec<String>>,
}

impl Progress {
    fn delivered_one(&self) {
        let n = self.delivered.fetch_add(1, Ordering::Relaxed) + 1;
        if n == self.target.load(Ordering::Relaxed) {
            self.done.notify_one();
        }
    }

    fn fail(&self, error: String) {
        self.errors
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(error);
        self.failed.store(true, Ordering::Relaxed);
        self.done.notify_one();
    }
}

type Client = WebSocket<TcpStream>;

/// Opens client `index`: connects (from 127.0.0.1 to 127.0.0.8 in turn)
/// and runs the handshake, offering permessage-deflate if `deflate`.
async fn open(
    addr: SocketAddr,
    host: Arc<str>,
    path: Arc<str>,
    index: usize,
    deflate: bool,
) -> Result<Client, String> {
    let attempt = async {
        let stream = dial(addr, index)
            .await
            .map_err(|e| format!("connect to {addr}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let mut request = ClientRequest::new(&host, &path);
        let mut config = Config::default();
        if deflate {
            let offer = DeflateConfig::default()
                .server_no_context_takeover(true)
                .client_no_context_takeover(true);
            request = request.with_deflate(offer.clone());
            config.deflate = Some(offer);
        }
        let (ws, response) = rfc6455::client_handshake(stream, &request, config)
            .await
            .map_err(|e| format!("handshake with {addr}: {e}"))?;
        match response.deflate {
            Some(params) if deflate && !params.server_no_context_takeover => Err(format!(
                "{addr} took its compression context over: {params:?}"
            )),
            None if deflate => Err(format!("{addr} did not accept permessage-deflate")),
            _ => Ok(ws),
        }
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, attempt).await {
        Ok(result) => result,
        Err(_) => Err(format!(
            "connect and handshake with {addr}: no answer in {CONNECT_TIMEOUT:?}"
        )),
    }
}

/// One client: reads every message, checks that it is the next one of the
/// sequence, and counts it. Ends with the runtime (or its first error).
async fn receive(mut ws: Client, index: usize, corpus: Arc<[u8]>, progress: Arc<Progress>) {
    let mut seq = 0u64;
    let error = loop {
        let data = match ws.next().await {
            Some(Ok(Message::Text(text))) => text.into_bytes(),
            Some(Ok(Message::Binary(data))) => data,
            Some(Ok(Message::Close(close))) => break format!("server sent Close {close:?}"),
            Some(Ok(_)) => continue,
            Some(Err(e)) => break e.to_string(),
            None => break "server closed the connection (EOF)".into(),
        };
        if !is_message(&data, &corpus, seq) {
            break format!(
                "message {seq} differs from what was broadcast ({} bytes, {} expected)",
                data.len(),
                corpus.len()
            );
        }
        seq += 1;
        progress.delivered_one();
    };
    progress.fail(format!("connection {index}: {error}"));
}

/// Runs the broadcasts. `Err` when the clients or the control connection
/// cannot be opened at all.
pub async fn run(options: &Options) -> Result<Report, String> {
    let (addr, host, path) = resolve(&options.url).await?;
    if options.connections == 0 || options.burst == 0 {
        return Err("--connections and --burst must be at least 1".into());
    }
    let (host, path): (Arc<str>, Arc<str>) = (host.into(), path.into());
    let deflate = options.deflate;
    let clients = open_all(options.connections, |index| {
        open(addr, host.clone(), path.clone(), index, deflate)
    })
    .await?;
    let mut control = TcpStream::connect(&options.control)
        .await
        .map_err(|e| format!("control connection to {}: {e}", options.control))?;
    control.set_nodelay(true).map_err(|e| e.to_string())?;

    let corpus: Arc<[u8]> = corpus(options.size).into();
    let progress = Arc::new(Progress {
        delivered: AtomicU64::new(0),
        target: AtomicU64::new(0),
        done: Notify::new(),
        failed: AtomicBool::new(false),
        errors: Mutex::new(Vec::new()),
    });
    for (index, ws) in clients.into_iter().enumerate() {
        tokio::spawn(receive(ws, index, corpus.clone(), progress.clone()));
    }

    let per_broadcast = (options.connections * options.burst) as u64;
    let line = control_line(options.burst, options.size);
    let mut report = Report::default();
    let pid = options.pid.map(|p| p.to_string());
    let mut broadcast_us = Vec::new();
    // Server CPU (total, user) and our own CPU at the window's start.
    type Sample = (Instant, Option<(f64, f64)>, Option<f64>);
    let server_cpu = |pid: &Option<String>| -> Result<Option<(f64, f64)>, String> {
        pid.as_deref()
            .map(|p| Ok((procfs::cpu_seconds(p)?, procfs::user_cpu_seconds(p)?)))
            .transpose()
            .map_err(|e: std::io::Error| format!("server CPU time of pid {pid:?}: {e}"))
    };
    let mut window: Option<Sample> = None;
    let started = Instant::now();
    loop {
        let now = Instant::now();
        if window.is_none() && now >= started + options.warmup {
            // Between two broadcasts: the server is idle.
            window = Some((now, server_cpu(&pid)?, procfs::cpu_seconds("self").ok()));
        }
        if let Some((since, server_before, client_before)) = window {
            if now >= since + options.duration && report.broadcasts > 0 {
                let server_after = server_cpu(&pid)?;
                report.seconds = (Instant::now() - since).as_secs_f64();
                let spent = server_before.zip(server_after);
                report.server_cpu_seconds = spent.map(|((b, _), (a, _))| a - b);
                report.server_user_cpu_seconds = spent.map(|((_, b), (_, a))| a - b);
                report.client_cpu_seconds = client_before
                    .zip(procfs::cpu_seconds("self").ok())
                    .map(|(b, a)| a - b);
                break;
            }
        }
        let target = progress.delivered.load(Ordering::Relaxed) + per_broadcast;
        progress.target.store(target, Ordering::Relaxed);
        let asked = Instant::now();
        control
            .write_all(line.as_bytes())
            .await
            .map_err(|e| format!("control connection: {e}"))?;
        if tokio::time::timeout(BROADCAST_TIMEOUT, progress.done.notified())
            .await
            .is_err()
        {
            report.record_error(format!(
                "a broadcast reached {} of {per_broadcast} deliveries in {BROADCAST_TIMEOUT:?}",
                per_broadcast - (target - progress.delivered.load(Ordering::Relaxed))
            ));
            break;
        }
        if progress.failed.load(Ordering::Relaxed) {
            break;
        }
        if window.is_some() {
            report.broadcasts += 1;
            report.messages += per_broadcast;
            broadcast_us.push(asked.elapsed().as_secs_f64() * 1e6);
        }
    }
    let errors = std::mem::take(
        &mut *progress
            .errors
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    for error in errors {
        report.record_error(error);
    }
    if !broadcast_us.is_empty() {
        broadcast_us.sort_by(f64::total_cmp);
        report.broadcast_p50_us = Some(broadcast_us[broadcast_us.len() / 2]);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_text_of_the_size_asked_and_differ_by_their_stamp() {
        for size in [0, 1, 8, 16, 4096] {
            let corpus = corpus(size);
            assert_eq!(corpus.len(), size);
            assert!(std::str::from_utf8(&corpus).is_ok());
            let mut m = corpus.clone();
            stamp(&mut m, 0x2a);
            assert!(is_message(&m, &corpus, 0x2a), "size {size}");
            if size >= STAMP {
                assert!(!is_message(&m, &corpus, 0x2b), "size {size}");
            }
            assert!(!is_message(&m[..size.saturating_sub(1)], &corpus, 0x2a) || size == 0);
        }
        let mut m = corpus(16);
        stamp(&mut m, 0x1234_abcd);
        assert_eq!(&m[..8], b"1234abcd");
    }

    #[test]
    fn the_corpus_compresses_like_text() {
        use rfc6455::deflate::DeflateParams;
        use rfc6455::{Connection, Role};
        let params = DeflateParams {
            server_no_context_takeover: true,
            ..DeflateParams::default()
        };
        let config = Config::default().deflate(DeflateConfig::default());
        let mut server = Connection::with_deflate(Role::Server, config, Some(params));
        let text = String::from_utf8(corpus(4096)).unwrap();
        server.send(Message::text(text)).unwrap();
        let ratio = 4096.0 / server.pending_output_len() as f64;
        assert!((2.0..20.0).contains(&ratio), "ratio {ratio}");
    }

    #[test]
    fn control_lines_parse_back() {
        assert_eq!(parse_control_line(&control_line(3, 4096)), Some((3, 4096)));
        assert_eq!(parse_control_line("3"), None);
        assert_eq!(parse_control_line("3 4 5"), None);
        assert_eq!(parse_control_line("x 4"), None);
    }
}
