//! The format of `reports/bench/peers.json`: the machine, the settings,
//! and per workload each echo server's medians, its ratio to the
//! reference and every round's `loadgen --json` report. Written by
//! crates/bench's `compare`, read by the report page.
//!
//! Fields are in alphabetical order, the order the file has always had
//! (it was written from `json!` maps, which sort their keys).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The whole file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PeersFile {
    /// How long the run took, in seconds.
    pub elapsed_s: f64,
    /// When it ended, in seconds since the Unix epoch.
    pub generated_unix_s: u64,
    /// Where it ran.
    pub machine: Machine,
    /// How it ran.
    pub settings: Settings,
    /// One per workload, in the run's order.
    pub workloads: Vec<WorkloadResult>,
}

/// The machine the run measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// `sysconf(_SC_CLK_TCK)`: the unit of `/proc/PID/stat`'s CPU times.
    pub clock_ticks_per_s: u64,
    /// `/proc/cpuinfo`'s first `model name`.
    pub cpu_model: String,
    /// CPUs available to the run.
    pub cpus: usize,
    /// `/proc/loadavg` after the run.
    pub loadavg_after: String,
    /// `/proc/loadavg` before the run.
    pub loadavg_before: String,
    /// Whether the server and loadgen were pinned to CPUs 0 and 1.
    pub pinned: bool,
}

/// The run's settings (after `--quick` and the flags).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Each round's measured window.
    pub duration_s: f64,
    /// Connections of the idle workload.
    pub idle_connections: usize,
    /// Rounds of the idle workload.
    pub idle_rounds: usize,
    /// How long idle connections sit before the server's memory is read.
    pub idle_settle_s: f64,
    /// Rounds of the other workloads.
    pub rounds: usize,
    /// Load before each window.
    pub warmup_s: f64,
}

/// One workload and every implementation's results under it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkloadResult {
    /// Connections.
    pub connections: usize,
    /// Messages in flight per connection.
    pub depth: usize,
    /// Per implementation, by name.
    pub implementations: BTreeMap<String, ImplResult>,
    /// The workload's short name (`--workloads`).
    pub key: String,
    /// The implementations in the run's order (`implementations` is by name).
    pub order: Vec<String>,
    /// The figure the ratio compares: `server CPU per message`, ...
    pub ratio_of: String,
    /// Payload bytes per message.
    pub size: usize,
    /// What the table says.
    pub title: String,
}

/// One implementation under one workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImplResult {
    /// Rounds that failed (loadgen fatal, or connection errors).
    pub failed_rounds: usize,
    /// Medians of the rounds.
    pub median: Medians,
    /// The headline figure's median over the reference's (below 1 is better).
    pub ratio_vs_fastwebsockets: Option<f64>,
    /// Every round's `loadgen --json` report, as it printed it, or
    /// `{"fatal": "..."}` where the round could not run: loadgen's JSON
    /// has no type of its own (it is `json!`), and the file keeps it whole.
    pub rounds: Vec<Value>,
}

/// Medians of the rounds' figures (null where no round had one).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Medians {
    /// loadgen's CPU time over the window's.
    pub client_cpu_share: Option<f64>,
    /// Echoed messages per second.
    pub msgs_per_s: Option<f64>,
    /// Latency percentiles, in microseconds.
    pub p50_us: Option<f64>,
    /// 90th percentile.
    pub p90_us: Option<f64>,
    /// 99th percentile.
    pub p99_us: Option<f64>,
    /// Server memory per idle connection, in bytes.
    pub rss_per_connection: Option<f64>,
    /// Server CPU time per echoed message, in microseconds.
    pub server_cpu_us_per_msg: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::rewrite;

    /// The report page's fixture: reading and writing it again loses and
    /// adds nothing, and writes every object's fields in alphabetical
    /// order, as `json!` did (a `Value` sorts its keys: serde_json without
    /// `preserve_order`). The fixture itself lists `implementations` last.
    #[test]
    fn round_trips_the_written_format() {
        let text = include_str!("../../../testee/tests/data/report/reports/bench/peers.json");
        assert_eq!(rewrite::<PeersFile>(text), rewrite::<Value>(text));
    }
}
