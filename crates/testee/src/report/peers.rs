//! `reports/bench/peers.json`, as `compare` of crates/bench writes it
//! (`crates/bench/src/peers.rs`): echo servers of rfc6455 and its peer
//! crates under the same loads, medians of interleaved rounds. The
//! fields the page shows, read as the writer names them; the bench crate
//! is no dependency of this one (it pulls in the peer crates).

use serde::Deserialize;
use std::collections::BTreeMap;

/// The file.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct PeersFile {
    /// Where it ran.
    pub machine: Machine,
    /// How it ran.
    pub settings: Settings,
    /// One per workload, in the run's order.
    pub workloads: Vec<Workload>,
}

/// The machine the run measured.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Machine {
    /// `/proc/cpuinfo`'s first `model name`.
    pub cpu_model: String,
    /// CPUs available to the run.
    pub cpus: usize,
    /// Whether the server and the load generator were pinned to CPUs.
    pub pinned: bool,
}

/// The run's settings.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Settings {
    /// Rounds of each workload but idle.
    pub rounds: usize,
    /// Each round's measured window, in seconds.
    pub duration_s: f64,
}

/// One workload and every implementation's results under it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Workload {
    /// Its short name: `small`.
    pub key: String,
    /// What the table says: `16 B, 64x16`.
    pub title: String,
    /// The figure the ratio compares: `server CPU per message`.
    pub ratio_of: String,
    /// The implementations in the run's order.
    pub order: Vec<String>,
    /// Per implementation, by name.
    pub implementations: BTreeMap<String, Implementation>,
}

/// One implementation under one workload.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Implementation {
    /// Rounds that failed.
    pub failed_rounds: usize,
    /// Medians of the rounds.
    pub median: Medians,
    /// The headline figure over fastwebsockets' (below 1 is better).
    pub ratio_vs_fastwebsockets: Option<f64>,
    /// Every round's report, counted only.
    pub rounds: Vec<serde_json::Value>,
}

/// Medians of the rounds' figures (`None` where no round had one).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Medians {
    /// Echoed messages per second.
    pub msgs_per_s: Option<f64>,
    /// Median latency, in microseconds.
    pub p50_us: Option<f64>,
    /// 99th percentile latency, in microseconds.
    pub p99_us: Option<f64>,
    /// Server memory per idle connection, in bytes.
    pub rss_per_connection: Option<f64>,
    /// Server CPU time per echoed message, in microseconds.
    pub server_cpu_us_per_msg: Option<f64>,
}
