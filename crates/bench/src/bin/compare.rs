//! Runs every echo server of `peer-echo` under the same load from
//! `loadgen`, in interleaved rounds (A B C D, A B C D, ...) so that drift
//! on a shared machine lands on all alike, and prints one table: the
//! median of the rounds, and each implementation against fastwebsockets.
//! The broadcast workloads (`broadcast16`, `broadcast4k`,
//! `broadcast-deflate`, not run unless named) do the same with
//! `peer-broadcast` under `broadcast-load`, in a table of their own:
//! against tokio-tungstenite, fastwebsockets, and (with deflate) one
//! compression per connection.
//! Also writes every round to `reports/bench/peers.json` (its format is
//! the report page's, `rfc6455_test_support::report::peers`).
//!
//! ```text
//! compare [--quick] [--rounds N] [--duration SECS] [--warmup SECS]
//!         [--impls a,b,...] [--workloads small,large,latency,idle,
//!                            broadcast16,broadcast4k,broadcast-deflate]
//!         [--idle-connections N] [--broadcast-connections N] [--burst B]
//!         [--out PATH] [--no-pin]
//! ```
//!
//! The server is pinned to CPU 0 and loadgen to CPU 1 with `taskset`
//! where there is one (`--no-pin` to not). Build with `--release`: the
//! binaries are looked for beside this one (`cargo build --release -p
//! bench -p testee`; `fuzzserver` is the testee crate's, needed only when
//! `--impls` names it).

use bench::child::{Server, PEER_BROADCAST_IMPLS, PEER_ECHO_IMPLS};
use clap::builder::PossibleValuesParser;
use clap::Parser;
use rfc6455_test_support::report::peers::{
    ImplResult, Machine, Medians, PeersFile, Settings as PeersSettings, WorkloadResult,
};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// Every echo server, in the run's order: `peer-echo`'s, and
/// `fuzzserver`, the Autobahn testee itself (crate `testee`, built beside
/// this one), with its own runtime and limits.
fn echo_impls() -> Vec<&'static str> {
    std::iter::once("fuzzserver")
        .chain(PEER_ECHO_IMPLS)
        .collect()
}

/// Every implementation `--impls` may name: the echo servers, then the
/// broadcast servers that are not also echo servers.
fn impls() -> Vec<&'static str> {
    let mut all = echo_impls();
    for name in PEER_BROADCAST_IMPLS {
        if !all.contains(&name) {
            all.push(name);
        }
    }
    all
}
/// What every ratio is against.
const REFERENCE: &str = "fastwebsockets";
/// What the broadcast table's other ratios are against: the usual
/// broadcast, and a compression per connection.
const BROADCAST_REFERENCES: [(&str, &str); 3] = [
    ("vs tungst", "tungstenite"),
    ("vs fastws", "fastwebsockets"),
    ("vs per-conn", "ours-deflate-per-conn"),
];
const FIRST_PORT: u16 = 19100;

#[derive(Clone, Copy)]
struct Workload {
    /// Short name for `--workloads`.
    key: &'static str,
    /// What the table says.
    title: &'static str,
    connections: usize,
    depth: usize,
    size: usize,
    idle: bool,
    /// Served by `peer-broadcast` under `broadcast-load`.
    broadcast: bool,
    /// With permessage-deflate (broadcast only).
    deflate: bool,
}

impl Workload {
    /// The implementations that serve this workload, in the run's order.
    fn impls(&self) -> Vec<&'static str> {
        if !self.broadcast {
            return echo_impls();
        }
        PEER_BROADCAST_IMPLS
            .into_iter()
            .filter(|i| i.starts_with("ours-deflate") == self.deflate)
            .collect()
    }

    /// The figure the ratio compares, from one loadgen report.
    fn headline(&self, report: &Value) -> Option<f64> {
        match self.key {
            "latency" => report["latency_us"]["p50"].as_f64(),
            "idle" => report["rss_per_connection"].as_f64(),
            _ => report["server_cpu_us_per_msg"].as_f64(),
        }
    }

    fn headline_name(&self) -> &'static str {
        match self.key {
            "latency" => "p50 latency",
            "idle" => "RSS per idle connection",
            _ if self.broadcast => "server CPU per delivered message",
            _ => "server CPU per message",
        }
    }
}

const WORKLOADS: [Workload; 7] = [
    Workload {
        key: "small",
        title: "16 B, 64 conn x 16",
        connections: 64,
        depth: 16,
        size: 16,
        idle: false,
        broadcast: false,
        deflate: false,
    },
    Workload {
        key: "large",
        title: "64 KiB, 16 conn x 4",
        connections: 16,
        depth: 4,
        size: 64 << 10,
        idle: false,
        broadcast: false,
        deflate: false,
    },
    Workload {
        key: "latency",
        title: "16 B, 1 conn x 1",
        connections: 1,
        depth: 1,
        size: 16,
        idle: false,
        broadcast: false,
        deflate: false,
    },
    Workload {
        key: "idle",
        title: "idle conns",
        connections: 10_000,
        depth: 0,
        size: 0,
        idle: true,
        broadcast: false,
        deflate: false,
    },
    Workload {
        key: "broadcast16",
        title: "broadcast 16 B",
        connections: 10_000,
        depth: 1,
        size: 16,
        idle: false,
        broadcast: true,
        deflate: false,
    },
    Workload {
        key: "broadcast4k",
        title: "broadcast 4 KiB",
        connections: 10_000,
        depth: 1,
        size: 4 << 10,
        idle: false,
        broadcast: true,
        deflate: false,
    },
    Workload {
        key: "broadcast-deflate",
        title: "broadcast 4 KiB defl",
        connections: 10_000,
        depth: 1,
        size: 4 << 10,
        idle: false,
        broadcast: true,
        deflate: true,
    },
];

/// The workloads run when `--workloads` names none: the echo ones.
const DEFAULT_WORKLOADS: usize = 4;

/// An implementation and its loadgen reports, one per round.
type ImplRounds = (String, Vec<Value>);

struct Settings {
    rounds: usize,
    idle_rounds: usize,
    duration: f64,
    warmup: f64,
    idle_settle: f64,
    idle_connections: usize,
    broadcast_connections: usize,
    burst: usize,
    /// `--impls`, if given: each workload runs those of its own it names.
    impls: Option<Vec<String>>,
    workloads: Vec<Workload>,
    out: PathBuf,
    pin: bool,
}

fn fail(message: &str) -> ! {
    eprintln!("compare: {message}");
    std::process::exit(2);
}

/// Every echo server under the same load, in interleaved rounds; one table.
#[derive(Parser)]
#[command(name = "compare", args_override_self = true)]
struct Cli {
    /// About 30 s: 1 round of 1 s, 0.3 s warm-up, 2,000 idle connections,
    /// 2,000 broadcast clients (the flags below override it).
    #[arg(long)]
    quick: bool,
    /// Rounds of each workload (idle: default 2) [default: 3].
    #[arg(long, value_name = "N")]
    rounds: Option<usize>,
    /// Each round's measured window, in seconds [default: 2.5].
    #[arg(long, value_name = "SECS")]
    duration: Option<f64>,
    /// Load before each window, in seconds [default: 0.5].
    #[arg(long, value_name = "SECS")]
    warmup: Option<f64>,
    /// The implementations, in the run's order [default: all that serve
    /// each workload].
    #[arg(long, value_name = "a,b,...", value_delimiter = ',',
          value_parser = PossibleValuesParser::new(impls()))]
    impls: Vec<String>,
    /// The workloads [default: all].
    #[arg(long, value_name = "small,large,latency,idle,broadcast16,broadcast4k,broadcast-deflate",
          value_delimiter = ',', value_parser = workload)]
    workloads: Vec<Workload>,
    /// Connections of the idle workload [default: 10000].
    #[arg(long, value_name = "N")]
    idle_connections: Option<usize>,
    /// Clients of the broadcast workloads [default: 10000].
    #[arg(long, value_name = "N")]
    broadcast_connections: Option<usize>,
    /// Messages per broadcast, sent back to back [default: 1].
    #[arg(long, value_name = "B")]
    burst: Option<usize>,
    /// Where to write every round [default: reports/bench/peers.json].
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
    /// Do not pin the server and loadgen to CPUs 0 and 1 with taskset.
    #[arg(long)]
    no_pin: bool,
}

fn workload(key: &str) -> Result<Workload, String> {
    WORKLOADS
        .iter()
        .find(|w| w.key == key)
        .copied()
        .ok_or_else(|| format!("unknown workload {key:?}"))
}

fn parse_args() -> Settings {
    let cli = Cli::parse();
    let mut s = Settings {
        rounds: 3,
        idle_rounds: 2,
        duration: 2.5,
        warmup: 0.5,
        idle_settle: 1.5,
        idle_connections: 10_000,
        broadcast_connections: 10_000,
        burst: 1,
        impls: None,
        workloads: WORKLOADS[..DEFAULT_WORKLOADS].to_vec(),
        out: Path::new(env!("CARGO_MANIFEST_DIR")).join("../../reports/bench/peers.json"),
        pin: !cli.no_pin,
    };
    if cli.quick {
        s.rounds = 1;
        s.idle_rounds = 1;
        s.duration = 1.0;
        s.warmup = 0.3;
        s.idle_settle = 0.5;
        s.idle_connections = 2_000;
        s.broadcast_connections = 2_000;
    }
    s.rounds = cli.rounds.unwrap_or(s.rounds).max(1);
    s.idle_rounds = cli.rounds.unwrap_or(s.idle_rounds).max(1);
    s.duration = cli.duration.unwrap_or(s.duration);
    s.warmup = cli.warmup.unwrap_or(s.warmup);
    s.idle_connections = cli.idle_connections.unwrap_or(s.idle_connections);
    s.broadcast_connections = cli.broadcast_connections.unwrap_or(s.broadcast_connections);
    s.burst = cli.burst.unwrap_or(s.burst).max(1);
    if !cli.impls.is_empty() {
        s.impls = Some(cli.impls);
    }
    if !cli.workloads.is_empty() {
        s.workloads = cli.workloads;
    }
    if let Some(out) = cli.out {
        s.out = out;
    }
    s
}

/// `peer-echo` and `loadgen`, beside this binary.
fn sibling(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_else(|e| fail(&format!("own path: {e}")));
    let path = exe.with_file_name(name);
    if !path.exists() {
        fail(&format!(
            "{} not found: build the binaries (cargo build --release -p bench -p testee)",
            path.display()
        ));
    }
    path
}

fn command(pin: Option<&str>, program: &Path) -> Command {
    match pin {
        Some(cpu) => {
            let mut c = Command::new("taskset");
            c.args(["-c", cpu]).arg(program);
            c
        }
        None => Command::new(program),
    }
}

/// The program that serves `implementation`, and its arguments before
/// `--addr`.
fn server_program(workload: &Workload, implementation: &str) -> (PathBuf, Vec<String>) {
    match implementation {
        _ if workload.broadcast => (sibling("peer-broadcast"), vec![implementation.into()]),
        "fuzzserver" => (sibling("fuzzserver"), Vec::new()),
        other => (sibling("peer-echo"), vec![other.to_string()]),
    }
}

/// Starts the server of `implementation` for `workload` on a fresh port
/// and waits for it to listen; returns it and the line that said so.
fn start_server(
    workload: &Workload,
    implementation: &str,
    port: &mut u16,
    pin: bool,
) -> Result<(Server, String), String> {
    let (exe, args) = server_program(workload, implementation);
    for _ in 0..20 {
        let this_port = *port;
        *port = if *port >= 29000 {
            FIRST_PORT
        } else {
            *port + 1
        };
        let mut child = command(pin.then_some("0"), &exe)
            .args(&args)
            .args(["--addr", &format!("127.0.0.1:{this_port}")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("start {}: {e}", exe.display()))?;
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads the server's log to its end, so it never blocks on it.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) if line.contains("listening on") => {
                    let server = Server {
                        child,
                        port: this_port,
                    };
                    return Ok((server, line));
                }
                Ok(line) if line.contains("cannot listen") => break, // next port
                Ok(_) => {}
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!("{implementation}: server did not start listening"));
                }
            }
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    Err(format!("{implementation}: no free port near {port}"))
}

/// Runs loadgen once; its JSON report, or what went wrong.
fn run_loadgen(exe: &Path, args: &[String], pin: bool, bound: Duration) -> Value {
    let mut child = match command(pin.then_some("1"), exe)
        .args(args)
        .arg("--json")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => return json!({ "fatal": format!("start loadgen: {e}") }),
    };
    // loadgen bounds itself; this bounds loadgen.
    let deadline = Instant::now() + bound;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return json!({ "fatal": "loadgen did not end in time; killed" });
            }
        }
    }
    let output = match child.wait_with_output() {
        Ok(output) => output,
        Err(e) => return json!({ "fatal": format!("loadgen: {e}") }),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    match stdout.lines().last().map(serde_json::from_str::<Value>) {
        Some(Ok(report)) => report,
        _ => json!({
            "fatal": format!(
                "loadgen printed no report: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            )
        }),
    }
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    values.retain(|v| v.is_finite());
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    })
}

fn field<'a>(report: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(report, |v, k| &v[*k])
}

fn median_of(rounds: &[Value], path: &[&str]) -> Option<f64> {
    median(
        rounds
            .iter()
            .filter_map(|r| field(r, path).as_f64())
            .collect(),
    )
}

fn fmt(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "-".into(), |v| format!("{v:.decimals$}"))
}

fn read_trimmed(path: &str) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Runs `broadcast-load` once against `server`, whose start-up `line`
/// names its control port; its JSON report, or what went wrong.
fn run_broadcast(
    workload: &Workload,
    settings: &Settings,
    server: &Server,
    line: &str,
    pin: bool,
) -> Value {
    let Some(control) = line.split("control on ").nth(1) else {
        return json!({ "fatal": format!("no control port in {line:?}") });
    };
    let mut args: Vec<String> = vec![
        "--url".into(),
        format!("ws://127.0.0.1:{}/", server.port),
        "--control".into(),
        control.trim().into(),
        "--pid".into(),
        server.child.id().to_string(),
    ];
    for (flag, value) in [
        ("--connections", workload.connections.to_string()),
        ("--size", workload.size.to_string()),
        ("--burst", workload.depth.to_string()),
        ("--duration", settings.duration.to_string()),
        ("--warmup", settings.warmup.to_string()),
    ] {
        args.extend([flag.to_string(), value]);
    }
    if workload.deflate {
        args.push("--deflate".into());
    }
    let bound = Duration::from_secs_f64(settings.duration + settings.warmup + 60.0);
    run_loadgen(&sibling("broadcast-load"), &args, pin, bound)
}

/// The median over the rounds of `implementation`'s headline figure over
/// `reference`'s, each ratio taken within one round.
fn per_round_ratio(
    workload: &Workload,
    per_impl: &[ImplRounds],
    implementation: &str,
    reference: &str,
) -> Option<f64> {
    let rounds_of = |name: &str| per_impl.iter().find(|(i, _)| i == name).map(|(_, r)| r);
    let (ours, theirs) = (rounds_of(implementation)?, rounds_of(reference)?);
    median(
        ours.iter()
            .zip(theirs)
            .filter_map(|(a, b)| Some(workload.headline(a)? / workload.headline(b)?))
            .collect(),
    )
}

/// One line of the broadcast table.
fn broadcast_row(
    workload: &Workload,
    implementation: &str,
    per_impl: &[ImplRounds],
    failed: usize,
) -> String {
    let rounds = per_impl
        .iter()
        .find(|(i, _)| i == implementation)
        .map_or(&[][..], |(_, r)| &r[..]);
    let ratio = |reference: &str| {
        (reference != implementation)
            .then(|| per_round_ratio(workload, per_impl, implementation, reference))
            .flatten()
    };
    format!(
        "{:<20} {:<21} {:>11} {:>8} {:>10} {:>9} {:>9} {:>11} {:>7}\n",
        workload.title,
        implementation,
        fmt(median_of(rounds, &["server_cpu_us_per_msg"]), 3),
        fmt(median_of(rounds, &["server_user_cpu_us_per_msg"]), 3),
        fmt(median_of(rounds, &["msgs_per_s"]), 0),
        fmt(ratio(BROADCAST_REFERENCES[0].1), 2),
        fmt(ratio(BROADCAST_REFERENCES[1].1), 2),
        fmt(ratio(BROADCAST_REFERENCES[2].1), 2),
        format!("{failed}/{}", rounds.len())
    )
}

fn main() {
    let settings = parse_args();
    // Each workload with the implementations it runs.
    let plan: Vec<(Workload, Vec<&str>)> = settings
        .workloads
        .iter()
        .map(|w| {
            let mut impls = w.impls();
            if let Some(named) = &settings.impls {
                impls.retain(|i| named.iter().any(|n| n == i));
            }
            (*w, impls)
        })
        .collect();
    for (workload, impls) in &plan {
        // Every binary is there before the first round starts.
        sibling(if workload.broadcast {
            "broadcast-load"
        } else {
            "loadgen"
        });
        for implementation in impls {
            server_program(workload, implementation);
        }
    }
    let most_connections = settings
        .idle_connections
        .max(settings.broadcast_connections);
    match bench::procfs::raise_nofile_limit() {
        Ok(limit) if (limit as usize) < most_connections + 100 => eprintln!(
            "compare: open-file limit {limit}: the idle and broadcast workloads will fail; \
             raise the hard limit"
        ),
        Ok(_) => {}
        Err(e) => eprintln!("compare: cannot raise the open-file limit: {e}"),
    }
    let pin = settings.pin
        && Command::new("taskset")
            .args(["-c", "0", "true"])
            .status()
            .is_ok_and(|s| s.success());
    if settings.pin && !pin {
        eprintln!("compare: taskset not usable: processes are not pinned");
    }
    let cpu_model = read_trimmed("/proc/cpuinfo")
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load_before = read_trimmed("/proc/loadavg");
    eprintln!(
        "compare: {} implementation(s), {} workload(s), {} round(s) of {} s; {cores} CPU(s) ({cpu_model}), load {load_before}",
        plan.iter().map(|(_, i)| i.len()).max().unwrap_or(0),
        plan.len(),
        settings.rounds,
        settings.duration
    );
    let started = Instant::now();
    let mut port = FIRST_PORT;
    let mut results: Vec<(Workload, Vec<ImplRounds>)> = Vec::new();
    for (workload, impls) in &plan {
        let mut workload = *workload;
        if workload.idle {
            workload.connections = settings.idle_connections;
        }
        if workload.broadcast {
            workload.connections = settings.broadcast_connections;
            workload.depth = settings.burst;
        }
        let rounds = if workload.idle {
            settings.idle_rounds
        } else {
            settings.rounds
        };
        let mut per_impl: Vec<ImplRounds> =
            impls.iter().map(|i| (i.to_string(), Vec::new())).collect();
        for round in 0..rounds {
            for (implementation, reports) in per_impl.iter_mut() {
                let report = match start_server(&workload, implementation, &mut port, pin) {
                    Err(e) => json!({ "fatal": e }),
                    Ok((server, line)) if workload.broadcast => {
                        run_broadcast(&workload, &settings, &server, &line, pin)
                    }
                    Ok((server, _)) => {
                        let mut args = vec![
                            "--url".to_string(),
                            format!("ws://127.0.0.1:{}/", server.port),
                            "--connections".into(),
                            workload.connections.to_string(),
                            "--pid".into(),
                            server.child.id().to_string(),
                        ];
                        let seconds = if workload.idle {
                            args.extend(["--idle".into(), "--duration".into()]);
                            args.push(settings.idle_settle.to_string());
                            settings.idle_settle
                        } else {
                            args.extend([
                                "--depth".into(),
                                workload.depth.to_string(),
                                "--size".into(),
                                workload.size.to_string(),
                                "--duration".into(),
                                settings.duration.to_string(),
                                "--warmup".into(),
                                settings.warmup.to_string(),
                            ]);
                            settings.duration + settings.warmup
                        };
                        let bound = Duration::from_secs_f64(seconds + 40.0);
                        run_loadgen(&sibling("loadgen"), &args, pin, bound)
                        // The server is killed here.
                    }
                };
                let headline = workload.headline(&report);
                eprintln!(
                    "  {:<20} round {}/{rounds} {:<17} {}{}",
                    workload.title,
                    round + 1,
                    implementation,
                    fmt(headline, 3),
                    report["fatal"]
                        .as_str()
                        .or(report["errors"][0].as_str())
                        .map(|e| format!("  ({e})"))
                        .unwrap_or_default()
                );
                reports.push(report);
            }
        }
        results.push((workload, per_impl));
    }

    // The tables: echo, then broadcast.
    let mut echo_table = String::new();
    let mut out_workloads = Vec::new();
    let mut broadcast_table = String::new();
    for (workload, per_impl) in &results {
        let reference = per_impl
            .iter()
            .find(|(i, _)| i == REFERENCE)
            .and_then(|(_, r)| median(r.iter().filter_map(|r| workload.headline(r)).collect()));
        let mut out_impls = BTreeMap::new();
        for (implementation, rounds) in per_impl {
            let cpu = median_of(rounds, &["server_cpu_us_per_msg"]);
            let rate = median_of(rounds, &["msgs_per_s"]);
            let p50 = median_of(rounds, &["latency_us", "p50"]);
            let rss = median_of(rounds, &["rss_per_connection"]);
            let headline = median(rounds.iter().filter_map(|r| workload.headline(r)).collect());
            let ratio = headline.zip(reference).map(|(h, r)| h / r);
            let failed = rounds
                .iter()
                .filter(|r| !r["fatal"].is_null() || r["error_count"].as_u64().unwrap_or(0) > 0)
                .count();
            let (cpu_s, rate_s, p50_s, rss_s) = if workload.idle {
                ("-".into(), "-".into(), "-".into(), fmt(rss, 0))
            } else {
                (fmt(cpu, 3), fmt(rate, 0), fmt(p50, 1), "-".into())
            };
            if workload.broadcast {
                broadcast_table += &broadcast_row(workload, implementation, per_impl, failed);
            } else {
                echo_table += &format!(
                    "{:<20} {:<17} {:>11} {:>10} {:>10} {:>10} {:>9} {:>8}\n",
                    if workload.idle {
                        format!("{} idle conns", workload.connections)
                    } else {
                        workload.title.to_string()
                    },
                    implementation,
                    cpu_s,
                    rate_s,
                    p50_s,
                    rss_s,
                    fmt(ratio, 2),
                    format!("{failed}/{}", rounds.len())
                );
            }
            out_impls.insert(
                implementation.clone(),
                ImplResult {
                    failed_rounds: failed,
                    median: Medians {
                        client_cpu_share: median_of(rounds, &["client_cpu_share"]),
                        msgs_per_s: rate,
                        p50_us: p50,
                        p90_us: median_of(rounds, &["latency_us", "p90"]),
                        p99_us: median_of(rounds, &["latency_us", "p99"]),
                        rss_per_connection: rss,
                        server_cpu_us_per_msg: cpu,
                    },
                    ratio_vs_fastwebsockets: ratio,
                    rounds: rounds.clone(),
                },
            );
        }
        out_workloads.push(WorkloadResult {
            connections: workload.connections,
            depth: workload.depth,
            implementations: out_impls,
            key: workload.key.into(),
            // `implementations` is by name; this is the run's order.
            order: per_impl.iter().map(|(i, _)| i.clone()).collect(),
            ratio_of: workload.headline_name().into(),
            size: workload.size,
            title: workload.title.into(),
        });
    }
    if !echo_table.is_empty() {
        println!(
            "\n{:<20} {:<17} {:>11} {:>10} {:>10} {:>10} {:>9} {:>8}",
            "workload", "impl", "CPU us/msg", "msgs/s", "p50 us", "B/conn", "vs fastws", "failed"
        );
        print!("{echo_table}");
        println!(
            "\nvs fastws: the workload's headline figure over fastwebsockets' (server CPU per \
             message; p50 for 1x1; bytes per connection for idle), medians of the rounds; \
             below 1.00 is better."
        );
    }
    if !broadcast_table.is_empty() {
        println!(
            "\n{:<20} {:<21} {:>11} {:>8} {:>10} {:>9} {:>9} {:>11} {:>7}",
            "broadcast",
            "impl",
            "CPU us/msg",
            "user us",
            "msgs/s",
            BROADCAST_REFERENCES[0].0,
            BROADCAST_REFERENCES[1].0,
            BROADCAST_REFERENCES[2].0,
            "failed"
        );
        print!("{broadcast_table}");
        println!(
            "\nbroadcast: {} clients, {} message(s) per broadcast; CPU us/msg is the server's \
             CPU time per delivered message (one message to one client), user us its part in \
             user space (the rest is the kernel's); a ratio is the \
             median over the rounds of the ratio measured in each round, the two servers run \
             one after the other; below 1.00 is better.",
            settings.broadcast_connections, settings.burst
        );
    }
    let document = PeersFile {
        elapsed_s: started.elapsed().as_secs_f64(),
        generated_unix_s: SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        machine: Machine {
            clock_ticks_per_s: bench::procfs::clock_ticks_per_second(),
            cpu_model,
            cpus: cores,
            loadavg_after: read_trimmed("/proc/loadavg"),
            loadavg_before: load_before,
            pinned: pin,
        },
        settings: PeersSettings {
            duration_s: settings.duration,
            idle_connections: settings.idle_connections,
            idle_rounds: settings.idle_rounds,
            idle_settle_s: settings.idle_settle,
            rounds: settings.rounds,
            warmup_s: settings.warmup,
        },
        workloads: out_workloads,
    };
    let text = serde_json::to_string_pretty(&document).expect("plain data") + "\n";
    if let Some(dir) = settings.out.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    match std::fs::write(&settings.out, text) {
        Ok(()) => eprintln!(
            "compare: wrote {} ({:.0} s)",
            settings.out.display(),
            started.elapsed().as_secs_f64()
        ),
        Err(e) => eprintln!("compare: cannot write {}: {e}", settings.out.display()),
    }
}
