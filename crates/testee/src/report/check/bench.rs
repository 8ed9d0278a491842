//! What the page must show of each file of `reports/bench/`, from the
//! raw JSON: a ratio file's ratios, bars and times; the instruction
//! counts; the peer comparison's medians.

use super::Expect;
use crate::autobahn;
use crate::report::{mtime, BenchKind};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

type Expected = BTreeMap<String, Expect>;

/// Adds the values of `file` to `e`.
pub(super) fn expect(file: &Path, e: &mut Expected) -> Result<(), String> {
    let raw: Value = autobahn::read_json(file, "bench results")?;
    let produced = Expect::Text(mtime(file));
    match BenchKind::of(file) {
        BenchKind::Instructions => {
            e.insert("instructions:produced".into(), produced);
            instructions(&raw, e)
        }
        BenchKind::Peers => {
            e.insert("peers:produced".into(), produced);
            peers(&raw, e)
        }
        BenchKind::Ratios => ratios(&raw, produced, e),
    }
}

fn rows<'a>(raw: &'a Value, what: &str) -> Result<&'a Vec<Value>, String> {
    raw["rows"]
        .as_array()
        .ok_or(format!("{what} without `rows`"))
}

fn name<'a>(row: &'a Value, what: &str) -> Result<&'a str, String> {
    row["name"]
        .as_str()
        .ok_or(format!("a row of {what} without `name`"))
}

fn ratios(raw: &Value, produced: Expect, e: &mut Expected) -> Result<(), String> {
    let bench = raw["bench"]
        .as_str()
        .ok_or("a bench file without `bench`")?;
    let k = format!("bench:{bench}:");
    e.insert(format!("{k}produced"), produced);
    for row in rows(raw, "a bench file")? {
        let name = name(row, "a bench file")?;
        let f = |field: &str| {
            row[field]
                .as_f64()
                .ok_or(format!("bench row {name} without `{field}`"))
        };
        e.insert(format!("{k}{name}:ratio"), Expect::Float(f("ratio")?));
        e.insert(format!("{k}{name}:bar"), Expect::Bar(f("ratio")?));
        e.insert(format!("{k}{name}:time"), Expect::Time(f("time_ns")?));
        let reference = Expect::Time(f("reference_ns")?);
        e.insert(format!("{k}{name}:reference_time"), reference);
    }
    Ok(())
}

fn instructions(raw: &Value, e: &mut Expected) -> Result<(), String> {
    for row in rows(raw, "instructions.json")? {
        let k = format!("instructions:{}:", name(row, "instructions.json")?);
        let now = row["now"]
            .as_u64()
            .ok_or(format!("{k} without a count `now`"))?;
        e.insert(format!("{k}now"), Expect::Int(now));
        let baseline = row["baseline"].as_u64().map_or(dash(), Expect::Int);
        e.insert(format!("{k}baseline"), baseline);
        e.insert(format!("{k}change_pct"), float_or_dash(&row["change_pct"]));
        let verdict = row["verdict"].as_str().unwrap_or("-");
        e.insert(format!("{k}verdict"), Expect::Text(verdict.into()));
    }
    Ok(())
}

/// The medians shown, by the file's field names.
const MEDIANS: [&str; 5] = [
    "server_cpu_us_per_msg",
    "msgs_per_s",
    "p50_us",
    "p99_us",
    "rss_per_connection",
];

fn peers(raw: &Value, e: &mut Expected) -> Result<(), String> {
    let workloads = raw["workloads"]
        .as_array()
        .ok_or("peers.json without `workloads`")?;
    for w in workloads {
        let key = w["key"].as_str().ok_or("a workload without `key`")?;
        let impls = w["implementations"]
            .as_object()
            .ok_or(format!("workload {key} without `implementations`"))?;
        for (name, i) in impls {
            let k = format!("peers:{key}:{name}:");
            for field in MEDIANS {
                let shown = float_or_dash(&i["median"][field]);
                e.insert(format!("{k}{field}"), shown);
            }
            let ratio = float_or_dash(&i["ratio_vs_fastwebsockets"]);
            e.insert(format!("{k}ratio_vs_fastwebsockets"), ratio);
            let failed = i["failed_rounds"].as_u64().unwrap_or(0);
            e.insert(format!("{k}failed_rounds"), Expect::Int(failed));
            let rounds = i["rounds"].as_array().map_or(0, Vec::len);
            e.insert(format!("{k}rounds"), Expect::Int(rounds as u64));
        }
    }
    Ok(())
}

/// A figure (shown rounded), or `-` where the file has none.
fn float_or_dash(v: &Value) -> Expect {
    v.as_f64().map_or(dash(), Expect::Float)
}

/// What the page shows for a value the file does not have.
fn dash() -> Expect {
    Expect::Text("-".into())
}
