//! A load generator for any RFC 6455 echo server.
//!
//! ```text
//! loadgen --url ws://HOST:PORT/ [--connections N] [--depth D] [--size BYTES]
//!         [--duration SECS] [--warmup SECS] [--pid PID] [--binary|--text]
//!         [--idle] [--threads T] [--json]
//! ```
//!
//! Opens N connections, keeps D messages of BYTES in flight on each,
//! checks every echo, and prints msgs/s, MB/s, latency percentiles and,
//! with `--pid`, the server's CPU time per echoed message (utime + stime
//! from `/proc/PID/stat` at both ends of the window). `--idle` opens the
//! connections, sends nothing, and prints the server's resident memory per
//! connection after they sat for the duration. Exits 1 when a connection
//! failed (the results are still printed), 2 on bad arguments, 3 when the
//! connections could not be opened.

use bench::loadgen::{self, parse_seconds, run_or_exit, Options, CONNECT_TIMEOUT};
use clap::Parser;
use std::time::Duration;

/// A load generator for any RFC 6455 echo server.
#[derive(Parser)]
#[command(name = "loadgen", args_override_self = true)]
struct Cli {
    /// The echo server, `ws://HOST:PORT/PATH`.
    #[arg(long, value_name = "ws://HOST:PORT/")]
    url: String,
    /// Connections.
    #[arg(long, value_name = "N", default_value_t = 1)]
    connections: usize,
    /// Messages in flight per connection.
    #[arg(long, value_name = "D", default_value_t = 1)]
    depth: usize,
    /// Payload bytes per message.
    #[arg(long, value_name = "BYTES", default_value_t = 16)]
    size: usize,
    /// The measured window, in seconds (idle: how long the connections sit).
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = parse_seconds)]
    duration: Duration,
    /// Load before the window, not measured, in seconds.
    #[arg(long, value_name = "SECS", default_value = "1", value_parser = parse_seconds)]
    warmup: Duration,
    /// The server's process, for its CPU time per message and its memory.
    #[arg(long)]
    pid: Option<u32>,
    /// Binary messages (the default).
    #[arg(long, overrides_with = "text")]
    binary: bool,
    /// Text messages.
    #[arg(long, overrides_with = "binary")]
    text: bool,
    /// Open the connections, send nothing, and report the server's
    /// resident memory per connection.
    #[arg(long)]
    idle: bool,
    /// Runtime threads (1: a current-thread runtime).
    #[arg(long, value_name = "T", default_value_t = 1)]
    threads: usize,
    /// One line of JSON instead of the text report.
    #[arg(long)]
    json: bool,
}

fn main() {
    let cli = Cli::parse();
    let options = Options {
        url: cli.url,
        connections: cli.connections,
        depth: cli.depth,
        size: cli.size,
        duration: cli.duration,
        warmup: cli.warmup,
        pid: cli.pid,
        text: cli.text,
        idle: cli.idle,
    };
    let (json, threads) = (cli.json, cli.threads);
    // Never hang: connecting, the warm-up, the window and a grace period.
    let bound = CONNECT_TIMEOUT + options.warmup + options.duration + Duration::from_secs(10);
    let run = loadgen::run(&options);
    let report = run_or_exit("loadgen", threads, bound, &options.url, json, run);
    if json {
        println!("{}", report.to_json(&options));
    } else {
        print!("{}", report.to_text(&options));
    }
    if report.error_count > 0 || (!options.idle && report.messages == 0) {
        if report.error_count == 0 {
            eprintln!("loadgen: no echo came back in the measured window");
        }
        std::process::exit(1);
    }
}
