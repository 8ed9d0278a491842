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
    let cases = control.clone().config(testee::config());
    if let Err(e) = run(url.trim_end_matches('/'), &agent, &control, &cases).await {
        eprintln!("fuzzclient: {e}");
        std::process::exit(1);
    }
}

async fn run(
    base: &str,
    agent: &str,
    control: &ClientConfig,
    cases: &ClientConfig,
) -> Result<(), rfc6455::Error> {
    let count = case_count(base, control).await?;
    eprintln!("fuzzclient: {count} cases");
    let started = Instant::now();
    for case in 1..=count {
        let url = format!("{base}/runCase?case={case}&agent={agent}");
        if let Err(e) = echo(&url, cases).await {
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
    let (mut ws, _) = control.connect(&url).await?;
    while let Some(msg) = ws.next().await {
        msg?;
    }
    eprintln!("fuzzclient: reports updated");
    Ok(())
}

async fn case_count(base: &str, client: &ClientConfig) -> Result<u32, rfc6455::Error> {
    let url = format!("{base}/getCaseCount");
    let (mut ws, _) = client.connect(&url).await?;
    let mut count = None;
    while let Some(msg) = ws.next().await {
        if let Message::Text(text) = msg? {
            count = text.trim().parse().ok();
        }
    }
    count.ok_or_else(|| {
        rfc6455::Error::InvalidUrl(format!("{base}/getCaseCount gave no case count"))
    })
}

async fn echo(url: &str, client: &ClientConfig) -> Result<(), rfc6455::Error> {
    let (mut ws, _) = client.connect(url).await?;
    while let Some(msg) = ws.next().await {
        let msg = msg?;
        if msg.is_data() {
            ws.send(msg).await?;
        }
    }
    Ok(())
}
