//! RFC 6455 §5.4 end to end, in two processes: one message streamed by our
//! client (from an `AsyncRead`, through `WriteHalf::message_writer`) to
//! `fuzzserver --streaming`, which echoes it piece by piece as it arrives,
//! and back (through `ReadHalf::message_reader`) into a file, plain and
//! under permessage-deflate (RFC 7692, compressed again on the way out).
//! Neither process may hold the message: each one's peak resident set
//! during the message grows by at most 8 MiB over its resident set
//! before it (Linux's `VmHWM`, reset through `/proc/PID/clear_refs`).
//!
//! `STREAM_MIB` sets the size in MiB. The default is 16 in debug builds
//! (where the byte-by-byte checks here run at a few MB/s) and 256 in
//! release ones; `.ci/run` runs the issue's 4 GiB:
//!
//! ```sh
//! STREAM_MIB=4096 cargo test --release -p testee --test streaming_roundtrip -- --nocapture
//! ```

use rfc6455::deflate::DeflateConfig;
use rfc6455::{ClientConfig, Config, MessageKind, ReadHalf, WriteHalf};
use std::io::{BufRead, BufReader};
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, ReadBuf};

/// The bound on each process's growth.
const MAX_GROWTH: u64 = 8 << 20;

/// The pattern's period: a block of text-like bytes, varied per block so
/// that a piece echoed out of order or twice is caught.
const BLOCK: usize = 1 << 20;

fn message_len() -> u64 {
    let mib = std::env::var("STREAM_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if cfg!(debug_assertions) { 16 } else { 256 });
    mib << 20
}

/// The pattern: compressible (a sentence repeated) but not trivially (each
/// block flips bits by its index).
struct Pattern {
    block: Vec<u8>,
}

impl Pattern {
    fn new() -> Self {
        let text = b"a message streamed through a server and back, piece by piece; ";
        Pattern {
            block: (0..BLOCK).map(|i| text[(i * 7 / 5) % text.len()]).collect(),
        }
    }

    /// Writes the bytes at `pos..pos + out.len()` into `out`.
    fn fill(&self, pos: u64, out: &mut [u8]) {
        let mut pos = pos;
        let mut out = out;
        while !out.is_empty() {
            let at = (pos % BLOCK as u64) as usize;
            let n = out.len().min(BLOCK - at);
            let flip = (pos / BLOCK as u64) as u8 & 0x1f;
            for (o, b) in out[..n].iter_mut().zip(&self.block[at..at + n]) {
                *o = b ^ flip;
            }
            out = &mut out[n..];
            pos += n as u64;
        }
    }
}

/// `len` bytes of the pattern, as an `AsyncRead` (a file stands for it).
struct Source<'a> {
    pattern: &'a Pattern,
    pos: u64,
    len: u64,
}

impl AsyncRead for Source<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let n = (buf.remaining() as u64).min(self.len - self.pos) as usize;
        let (pattern, pos) = (self.pattern, self.pos);
        pattern.fill(pos, buf.initialize_unfilled_to(n));
        buf.advance(n);
        self.pos += n as u64;
        Poll::Ready(Ok(()))
    }
}

/// `fuzzserver --streaming` on a port of the kernel's choosing, killed
/// when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(max_message: u64) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fuzzserver"))
            .args(["--addr", "127.0.0.1:0", "--streaming"])
            .arg("--max-streamed-message-size")
            .arg(max_message.to_string())
            .stderr(Stdio::piped())
            .spawn()
            .expect("fuzzserver starts");
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        stderr.read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .strip_prefix("fuzzserver: listening on ws://")
            .unwrap_or_else(|| panic!("fuzzserver's first line: {line:?}"))
            .to_owned();
        // Its later lines (a connection's error) go to this test's output.
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                eprintln!("{line}");
            }
        });
        Server { child, addr }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A field of `/proc/PID/status`, in bytes (`VmRSS`, `VmHWM`).
fn status(pid: &str, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"));
    let kib: u64 = line.trim().trim_end_matches(" kB").parse().unwrap();
    kib << 10
}

/// Resets the peak (`VmHWM`) to the current resident set, and returns it.
fn reset_peak(pid: &str) -> u64 {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").unwrap();
    status(pid, "VmRSS")
}

/// Streams `len` bytes of the pattern out as one Binary message.
async fn send(writer: &mut WriteHalf<rfc6455::MaybeTlsStream>, pattern: &Pattern, len: u64) {
    let mut message = writer.message_writer(MessageKind::Binary).unwrap();
    let mut source = Source {
        pattern,
        pos: 0,
        len,
    };
    let copied = tokio::io::copy(&mut source, &mut message).await.unwrap();
    message.shutdown().await.unwrap();
    assert_eq!(copied, len);
}

/// Reads the next message into `file`, checking each byte against the
/// pattern as it comes.
async fn receive(
    reader: &mut ReadHalf<rfc6455::MaybeTlsStream>,
    pattern: &Pattern,
    file: &std::path::Path,
) -> u64 {
    let mut out = tokio::io::BufWriter::new(tokio::fs::File::create(file).await.unwrap());
    let mut message = reader.message_reader();
    let mut buf = vec![0; 64 << 10];
    let mut expected = vec![0; 64 << 10];
    let mut pos = 0u64;
    loop {
        let n = message.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        pattern.fill(pos, &mut expected[..n]);
        assert!(
            buf[..n] == expected[..n],
            "the echo differs within bytes {pos}..{}",
            pos + n as u64
        );
        out.write_all(&buf[..n]).await.unwrap();
        pos += n as u64;
    }
    assert_eq!(message.kind(), Some(MessageKind::Binary));
    out.shutdown().await.unwrap();
    pos
}

/// One round trip of `len` bytes: the growth of the client's and the
/// server's peak resident set over the message.
async fn round_trip(deflate: bool, len: u64, pattern: &Pattern) -> (u64, u64) {
    let server = Server::start(len);
    let server_pid = server.child.id().to_string();
    let mut config = Config::default().max_streamed_message_size(len as usize);
    if deflate {
        config = config.deflate(DeflateConfig::default());
    }
    let client = ClientConfig::default().config(config);
    let (ws, response) = client
        .connect(format!("ws://{}/", server.addr))
        .await
        .expect("connects to fuzzserver --streaming");
    assert_eq!(response.deflate.is_some(), deflate, "{response:?}");
    let (mut writer, mut reader) = ws.split();
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let file = dir.join(format!("streaming-roundtrip-{}.bin", std::process::id()));

    // A first message of 1 MiB makes what every message uses (buffers,
    // the compressors' state), so the measure is of the big one alone.
    let warm = BLOCK as u64;
    let (_, got) = tokio::join!(
        send(&mut writer, pattern, warm),
        receive(&mut reader, pattern, &file)
    );
    assert_eq!(got, warm);

    let client_before = reset_peak("self");
    let server_before = reset_peak(&server_pid);
    let t0 = Instant::now();
    let (_, got) = tokio::join!(
        send(&mut writer, pattern, len),
        receive(&mut reader, pattern, &file)
    );
    let secs = t0.elapsed().as_secs_f64();
    let client_grew = status("self", "VmHWM").saturating_sub(client_before);
    let server_grew = status(&server_pid, "VmHWM").saturating_sub(server_before);
    assert_eq!(got, len);
    assert_eq!(std::fs::metadata(&file).unwrap().len(), len);
    std::fs::remove_file(&file).unwrap();

    use futures_util::{SinkExt, StreamExt};
    writer.close().await.unwrap();
    while let Some(event) = reader.next().await {
        event.unwrap();
    }
    println!(
        "{} MiB{}: {secs:.1} s ({:.0} MB/s each way); peak RSS growth: client {} KiB, \
         server {} KiB (bound {} KiB)",
        len >> 20,
        if deflate {
            " with permessage-deflate"
        } else {
            ""
        },
        len as f64 / secs / 1e6,
        client_grew >> 10,
        server_grew >> 10,
        MAX_GROWTH >> 10,
    );
    (client_grew, server_grew)
}

#[tokio::test(flavor = "current_thread")]
async fn a_message_streamed_through_the_server_and_back_is_never_held() {
    let len = message_len();
    let pattern = Pattern::new();
    // Generous: a debug build checks bytes at a few MB/s.
    let limit = Duration::from_secs(120 + (len >> 20) / 2);
    for deflate in [false, true] {
        let (client, server) = tokio::time::timeout(limit, round_trip(deflate, len, &pattern))
            .await
            .unwrap_or_else(|_| panic!("the round trip took more than {limit:?}"));
        let mode = if deflate { "with" } else { "without" };
        assert!(
            client <= MAX_GROWTH,
            "{mode} deflate, the client's peak RSS grew by {client} bytes"
        );
        assert!(
            server <= MAX_GROWTH,
            "{mode} deflate, the server's peak RSS grew by {server} bytes"
        );
    }
}
