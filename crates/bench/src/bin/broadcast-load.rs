//! The client side of the broadcast benchmark (see `bench::broadcast`).
//!
//! ```text
//! broadcast-load --url ws://HOST:PORT/ --control HOST:PORT [--connections N]
//!                [--size BYTES] [--burst B] [--duration SECS] [--warmup SECS]
//!                [--pid PID] [--deflate] [--json]
//! ```
//!
//! Opens N clients of a `peer-broadcast` server (offering
//! permessage-deflate with no context takeover with `--deflate`), then
//! asks it, one broadcast at a time, for B messages of BYTES to all of
//! them, and waits until every client has checked every message. With
//! `--pid`, prints the server's CPU time per delivered message over the
//! window. Runs on one current-thread runtime. Exits 1 when a client
//! failed (the results are still printed), 2 on bad arguments, 3 when the
//! clients could not be opened.

use bench::broadcast::{self, Options, BROADCAST_TIMEOUT};
use bench::loadgen::{parse_seconds, run_or_exit, CONNECT_TIMEOUT};
use clap::Parser;
use std::time::Duration;

/// The client side of the broadcast benchmark.
#[derive(Parser)]
#[command(name = "broadcast-load", args_override_self = true)]
struct Cli {
    /// The server, `ws://HOST:PORT/PATH`.
    #[arg(long, value_name = "ws://HOST:PORT/")]
    url: String,
    /// The server's control address, as it printed it.
    #[arg(long, value_name = "HOST:PORT")]
    control: String,
    /// Clients.
    #[arg(long, value_name = "N", default_value_t = 1)]
    connections: usize,
    /// Payload bytes per message.
    #[arg(long, value_name = "BYTES", default_value_t = 16)]
    size: usize,
    /// Messages per broadcast, sent back to back.
    #[arg(long, value_name = "B", default_value_t = 1)]
    burst: usize,
    /// The measured window, in seconds.
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = parse_seconds)]
    duration: Duration,
    /// Broadcasts before the window, not measured, in seconds.
    #[arg(long, value_name = "SECS", default_value = "1", value_parser = parse_seconds)]
    warmup: Duration,
    /// The server's process, for its CPU time per message.
    #[arg(long)]
    pid: Option<u32>,
    /// Offer permessage-deflate with no context takeover; fail if refused.
    #[arg(long)]
    deflate: bool,
    /// One line of JSON instead of the text report.
    #[arg(long)]
    json: bool,
}

fn main() {
    let cli = Cli::parse();
    let options = Options {
        url: cli.url,
        control: cli.control,
        connections: cli.connections,
        size: cli.size,
        burst: cli.burst,
        duration: cli.duration,
        warmup: cli.warmup,
        pid: cli.pid,
        deflate: cli.deflate,
    };
    // Never hang: connecting, the warm-up, the window and one broadcast more.
    let bound = CONNECT_TIMEOUT + options.warmup + options.duration + BROADCAST_TIMEOUT;
    let run = broadcast::run(&options);
    let report = run_or_exit("broadcast-load", 1, bound, &options.url, cli.json, run);
    if cli.json {
        println!("{}", report.to_json(&options));
    } else {
        print!("{}", report.to_text(&options));
    }
    if report.error_count > 0 || report.messages == 0 {
        std::process::exit(1);
    }
}
