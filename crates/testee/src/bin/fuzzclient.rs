//! The Autobahn Testsuite's client testee.
//!
//! `fuzzclient [--url ws://HOST:PORT] [--agent NAME] [--ca PEM]` asks a
//! `wstest -m fuzzingserver` for its case count, runs every case (echoing
//! each Text and Binary message back, with the library's default limits and
//! permessage-deflate offered), then asks it to write its reports.
//!
//! A `wss://` URL runs it all over TLS, trusting the certificates in the
//! `--ca` PEM file (a CA, or the server's self-signed certificate), or by
//! default the `webpki-roots` anchors.

use futures_util::{SinkExt, StreamExt};
use rfc6455::{Config, Connector, Message};
use std::time::Instant;

const USAGE: &str = "usage: fuzzclient [--url ws[s]://HOST:PORT] [--agent NAME] [--ca CA_PEM]   \
                     (default ws://127.0.0.1:9001, rfc6455, webpki roots)";

#[tokio::main]
async fn main() {
    let mut url = String::from("ws://127.0.0.1:9001");
    let mut agent = String::from("rfc6455");
    let mut ca = String::new();
    let flags = &mut [
        ("--url", &mut url),
        ("--agent", &mut agent),
        ("--ca", &mut ca),
    ];
    let connector = testee::parse_flags(std::env::args().skip(1), USAGE, flags)
        .and_then(|()| testee::connector(Some(ca.as_str()).filter(|ca| !ca.is_empty())));
    let connector = match connector {
        Ok(connector) => connector,
        Err(message) => {
            eprintln!("fuzzclient: {message}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(url.trim_end_matches('/'), &agent, &connector).await {
        eprintln!("fuzzclient: {e}");
        std::process::exit(1);
    }
}

async fn run(base: &str, agent: &str, connector: &Connector) -> Result<(), rfc6455::Error> {
    let count = case_count(base, connector).await?;
    eprintln!("fuzzclient: {count} cases");
    let started = Instant::now();
    for case in 1..=count {
        let url = format!("{base}/runCase?case={case}&agent={agent}");
        if let Err(e) = echo(&url, connector).await {
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
    let mut ws =
        rfc6455::connect_with_connector(&url, Config::default(), connector.clone()).await?;
    while let Some(msg) = ws.next().await {
        msg?;
    }
    eprintln!("fuzzclient: reports updated");
    Ok(())
}

async fn case_count(base: &str, connector: &Connector) -> Result<u32, rfc6455::Error> {
    let url = format!("{base}/getCaseCount");
    let mut ws =
        rfc6455::connect_with_connector(&url, Config::default(), connector.clone()).await?;
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

async fn echo(url: &str, connector: &Connector) -> Result<(), rfc6455::Error> {
    let mut ws = rfc6455::connect_with_connector(url, testee::config(), connector.clone()).await?;
    while let Some(msg) = ws.next().await {
        let msg = msg?;
        if msg.is_data() {
            ws.send(msg).await?;
        }
    }
    Ok(())
}
