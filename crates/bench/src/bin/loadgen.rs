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

use bench::loadgen::{self, Options, CONNECT_TIMEOUT};
use std::time::Duration;

const USAGE: &str = "usage: loadgen --url ws://HOST:PORT/ [--connections N] [--depth D] \
                     [--size BYTES] [--duration SECS] [--warmup SECS] [--pid PID] \
                     [--binary|--text] [--idle] [--threads T] [--json]";

fn fail(message: &str) -> ! {
    eprintln!("loadgen: {message}\n{USAGE}");
    std::process::exit(2);
}

fn number<T: std::str::FromStr>(flag: &str, value: Option<String>) -> T {
    let value = value.unwrap_or_else(|| fail(&format!("{flag} needs a value")));
    value
        .parse()
        .unwrap_or_else(|_| fail(&format!("{flag}: {value:?} is not a number")))
}

fn seconds(flag: &str, value: Option<String>) -> Duration {
    let secs: f64 = number(flag, value);
    Duration::try_from_secs_f64(secs).unwrap_or_else(|_| fail(&format!("{flag}: bad duration")))
}

fn main() {
    let mut options = Options {
        url: String::new(),
        connections: 1,
        depth: 1,
        size: 16,
        duration: Duration::from_secs(5),
        warmup: Duration::from_secs(1),
        pid: None,
        text: false,
        idle: false,
    };
    let mut json = false;
    let mut threads = 1usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--url" => options.url = args.next().unwrap_or_else(|| fail("--url needs a value")),
            "--connections" => options.connections = number(&arg, args.next()),
            "--depth" => options.depth = number(&arg, args.next()),
            "--size" => options.size = number(&arg, args.next()),
            "--duration" => options.duration = seconds(&arg, args.next()),
            "--warmup" => options.warmup = seconds(&arg, args.next()),
            "--pid" => options.pid = Some(number(&arg, args.next())),
            "--threads" => threads = number(&arg, args.next()),
            "--binary" => options.text = false,
            "--text" => options.text = true,
            "--idle" => options.idle = true,
            "--json" => json = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            other => fail(&format!("unknown argument {other:?}")),
        }
    }
    if options.url.is_empty() {
        fail("--url is required");
    }
    if let Err(e) = bench::procfs::raise_nofile_limit() {
        eprintln!("loadgen: cannot raise the open-file limit: {e}");
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
        eprintln!("loadgen: cannot start the runtime: {e}");
        std::process::exit(3);
    });
    // Never hang: connecting, the warm-up, the window and a grace period.
    let bound = CONNECT_TIMEOUT + options.warmup + options.duration + Duration::from_secs(10);
    let result = runtime.block_on(async {
        tokio::time::timeout(bound, loadgen::run(&options))
            .await
            .unwrap_or_else(|_| Err(format!("the run did not end within {bound:?}")))
    });
    // Dropping the runtime would wait for nothing: its tasks are done or
    // aborted, and the connections close with the process.
    let report = match result {
        Ok(report) => report,
        Err(e) => {
            if json {
                println!("{}", serde_json::json!({ "url": options.url, "fatal": e }));
            }
            eprintln!("loadgen: {e}");
            std::process::exit(3);
        }
    };
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
