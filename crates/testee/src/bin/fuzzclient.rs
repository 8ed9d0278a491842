//! The Autobahn Testsuite's client testee.
//!
//! `fuzzclient [--url ws://HOST:PORT] [--agent NAME] [--ca PEM] [--proxy URL]` asks a
//! `wstest -m fuzzingserver` for its case count, runs every case (echoing
//! each Text and Binary message back, with the library's default limits and
//! permessage-deflate offered), then asks it to write its reports.
//!
//! A `wss://` URL runs it all over TLS, trusting the certificates in the
//! `--ca` PEM file (a CA, or the server's self-signed certificate), or by
//! default the `webpki-roots` anchors. `--proxy` reaches wstest through an
//! HTTP `CONNECT` or SOCKS5 proxy (`http://HOST:PORT`, `socks5://...`).
//! `--http2` opens each WebSocket over HTTP/2 with prior knowledge instead
//! (RFC 8441: `rfc6455::http2::Http2Client`, one connection per case), as
//! `h2relay --from-http2` in front of wstest expects.

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use rfc6455::proxy::Proxy;
use rfc6455::{ClientConfig, Message};
use std::time::Instant;

/// The Autobahn Testsuite's client testee: runs every case of a
/// `wstest -m fuzzingserver`, then asks it to write its reports.
#[derive(Parser)]
#[command(name = "fuzzclient")]
struct Cli {
    /// wstest's fuzzingserver (ws:// or wss://).
    #[arg(
        long,
        value_name = "ws[s]://HOST:PORT",
        default_value = "ws://127.0.0.1:9001"
    )]
    url: String,
    /// The agent name wstest reports the cases under.
    #[arg(long, value_name = "NAME", default_value = "rfc6455")]
    agent: String,
    /// Trust the certificates in this PEM file (default: the webpki roots).
    #[arg(long, value_name = "CA_PEM")]
    ca: Option<String>,
    /// Reach wstest through this proxy (http://HOST:PORT for HTTP CONNECT,
    /// socks5://HOST:PORT, user:password@ allowed).
    #[arg(long, value_name = "URL", value_parser = parse_proxy)]
    proxy: Option<Proxy>,
    /// Open every WebSocket over HTTP/2 (prior knowledge, RFC 8441).
    #[arg(long, conflicts_with_all = ["ca", "proxy"])]
    http2: bool,
}

/// How the WebSockets are opened.
#[derive(Clone)]
enum Dialer {
    /// An HTTP/1.1 upgrade (ws:// or wss://, maybe through a proxy).
    Http1(ClientConfig),
    /// An extended CONNECT on an HTTP/2 connection of its own.
    Http2(rfc6455::Config),
}

impl Dialer {
    /// Opens a WebSocket to `url` and runs `f` on it.
    async fn with<F, T>(&self, url: &str, f: F) -> Result<T, rfc6455::Error>
    where
        F: AsyncWsFn<T>,
    {
        match self {
            Dialer::Http1(client) => f.call(client.connect(url).await?.0).await,
            Dialer::Http2(config) => {
                let uri: http::Uri = url
                    .parse()
                    .map_err(|e| rfc6455::Error::InvalidUrl(format!("{url}: {e}")))?;
                let authority = uri
                    .authority()
                    .ok_or_else(|| rfc6455::Error::InvalidUrl(format!("{url}: no host")))?;
                let tcp = tokio::net::TcpStream::connect(authority.as_str()).await?;
                tcp.set_nodelay(true)?;
                let client = rfc6455::http2::Http2Client::handshake(tcp, config).await?;
                f.call(client.websocket(url, config.clone()).await?.0).await
            }
        }
    }
}

/// What runs on a WebSocket, whatever carries it.
trait AsyncWsFn<T> {
    async fn call<S>(self, ws: rfc6455::WebSocket<S>) -> Result<T, rfc6455::Error>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin;
}

/// Echoes every data message until the peer closes.
struct Echo;

impl AsyncWsFn<()> for Echo {
    async fn call<S>(self, mut ws: rfc6455::WebSocket<S>) -> Result<(), rfc6455::Error>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        while let Some(msg) = ws.next().await {
            let msg = msg?;
            if msg.is_data() {
                ws.send(msg).await?;
            }
        }
        Ok(())
    }
}

/// Reads until the peer closes, keeping the last Text.
struct LastText;

impl AsyncWsFn<Option<String>> for LastText {
    async fn call<S>(self, mut ws: rfc6455::WebSocket<S>) -> Result<Option<String>, rfc6455::Error>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let mut last = None;
        while let Some(msg) = ws.next().await {
            if let Message::Text(text) = msg? {
                last = Some(text.to_string());
            }
        }
        Ok(last)
    }
}

fn parse_proxy(url: &str) -> Result<Proxy, String> {
    Proxy::parse(url).map_err(|e| e.to_string())
}

#[tokio::main]
async fn main() {
    let Cli {
        url,
        agent,
        ca,
        proxy,
        http2,
    } = Cli::parse();
    let connector = match testee::connector(ca.as_deref()) {
        Ok(connector) => connector,
        Err(message) => {
            eprintln!("fuzzclient: {message}");
            std::process::exit(2);
        }
    };
    // The harness's calls (case count, reports) with the default limits;
    // the cases with the testee's.
    let mut control = ClientConfig::default().connector(connector);
    if let Some(proxy) = proxy {
        control = control.proxy(proxy);
    }
    let (control, cases) = if http2 {
        (
            Dialer::Http2(rfc6455::Config::default()),
            Dialer::Http2(testee::config()),
        )
    } else {
        let cases = control.clone().config(testee::config());
        (Dialer::Http1(control), Dialer::Http1(cases))
    };
    if let Err(e) = run(url.trim_end_matches('/'), &agent, &control, &cases).await {
        eprintln!("fuzzclient: {e}");
        std::process::exit(1);
    }
}

async fn run(
    base: &str,
    agent: &str,
    control: &Dialer,
    cases: &Dialer,
) -> Result<(), rfc6455::Error> {
    let count = case_count(base, control).await?;
    eprintln!("fuzzclient: {count} cases");
    let started = Instant::now();
    for case in 1..=count {
        let url = format!("{base}/runCase?case={case}&agent={agent}");
        if let Err(e) = cases.with(&url, Echo).await {
            eprintln!("fuzzclient: case {case}: {e}");
        }
        if case % 25 == 0 || case == count {
            eprintln!(
                "fuzzclient: [{case}/{count}] {:.1}s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    let url = format!("{base}/updateReports?agent={agent}");
    control.with(&url, LastText).await?;
    eprintln!("fuzzclient: reports updated");
    Ok(())
}

async fn case_count(base: &str, client: &Dialer) -> Result<u32, rfc6455::Error> {
    let url = format!("{base}/getCaseCount");
    let count = client.with(&url, LastText).await?;
    count
        .and_then(|text| text.trim().parse().ok())
        .ok_or_else(|| {
            rfc6455::Error::InvalidUrl(format!("{base}/getCaseCount gave no case count"))
        })
}
