//! Checks a report page, as written or as a browser rendered it
//! (`chromium --dump-dom`): every number shown must be the one in the
//! file it came from.
//!
//! The expected values are computed here from the raw inputs (wstest's
//! `index.json` read as plain JSON, the fuzz TSV, the bench JSON), not
//! from [`super::collect`], so a mistake in collecting or drawing shows
//! up as a mismatch. Only the baseline comparison reuses
//! [`crate::autobahn`], the definition of a regression. Every element
//! with a `data-key` must match, every expected key must be shown, and
//! every relative link must lead to a file.

mod bench;
mod dom;

pub use dom::shown_values;

use super::{autobahn_dirs, bench_files, mtime, relative};
use crate::autobahn::{self, Changes, Outcome};
use dom::attribute_values;
use std::collections::BTreeMap;
use std::path::Path;

/// What a key must show.
#[derive(Clone, Debug, PartialEq)]
pub enum Expect {
    /// An integer, shown with or without thousands separators.
    Int(u64),
    /// A number shown with some decimals: within half of the last one.
    Float(f64),
    /// Nanoseconds, shown as `12.3 ns`, `4.56 µs`, `7.89 ms` or `1.23 s`.
    Time(f64),
    /// Exactly this text.
    Text(String),
    /// A bar whose `width` over its `data-scale` is this ratio.
    Bar(f64),
    /// Present; its text is not checked (the sentence of a missing section).
    Present,
}

/// One element of the page with a `data-key`.
#[derive(Clone, Debug, PartialEq)]
pub struct Shown {
    /// The `data-key`.
    pub key: String,
    /// The element's text (up to its first child element).
    pub text: String,
    /// Its attributes.
    pub attrs: BTreeMap<String, String>,
}

/// What the check found.
#[derive(Debug, Default)]
pub struct Outcomes {
    /// Values compared and equal.
    pub matched: usize,
    /// Distinct keys expected.
    pub keys: usize,
    /// Relative links checked.
    pub links: usize,
    /// Every mismatch, one sentence each.
    pub errors: Vec<String>,
}

impl Outcomes {
    /// Prints every mismatch (`MISMATCH ...`) and a one-line summary;
    /// whether there was no mismatch.
    pub fn print(&self, reports: &Path) -> bool {
        for error in &self.errors {
            println!("MISMATCH {error}");
        }
        println!(
            "{}: {} values shown match their inputs ({} keys), {} links lead to files, {} mismatch(es)",
            reports.display(),
            self.matched,
            self.keys,
            self.links,
            self.errors.len()
        );
        self.errors.is_empty()
    }
}

/// Checks a page made from `reports` (and `baselines`): its HTML as
/// written, or its DOM as a browser dumped it.
pub fn check(dom: &str, reports: &Path, baselines: &Path) -> Outcomes {
    let mut out = Outcomes::default();
    let expected = match expected_values(reports, baselines) {
        Ok(e) => e,
        Err(e) => {
            out.errors.push(e);
            return out;
        }
    };
    out.keys = expected.len();
    let shown = shown_values(dom);
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &shown {
        *seen.entry(&s.key).or_default() += 1;
        match expected.get(&s.key) {
            None => out.errors.push(format!(
                "{} shows `{}`, which no input holds",
                s.key, s.text
            )),
            Some(e) => match matches(e, s) {
                Ok(()) => out.matched += 1,
                Err(why) => out.errors.push(format!("{}: {why}", s.key)),
            },
        }
    }
    for (key, e) in &expected {
        if !seen.contains_key(key.as_str()) {
            out.errors
                .push(format!("{key} is not on the page (expected {e:?})"));
        }
    }
    for href in attribute_values(dom, "href") {
        if href.starts_with('#') || href.contains("://") {
            continue;
        }
        out.links += 1;
        if !reports.join(&href).is_file() {
            out.errors
                .push(format!("the link {href} leads to no file under reports/"));
        }
    }
    out
}

/// The values the page must show, by `data-key`, from the raw inputs.
pub fn expected_values(
    reports: &Path,
    baselines: &Path,
) -> Result<BTreeMap<String, Expect>, String> {
    let mut e = BTreeMap::new();
    let mut inputs = Vec::new();
    let dirs = autobahn_dirs(reports);
    if dirs.is_empty() {
        e.insert("missing:autobahn".into(), Expect::Present);
    }
    for dir in dirs {
        let index_path = dir.join("index.json");
        inputs.push(index_path.clone());
        let id = relative(reports, &dir);
        let k = format!("run:{id}:");
        e.insert(format!("{k}produced"), Expect::Text(mtime(&index_path)));
        let raw: serde_json::Value = autobahn::read_json(&index_path, "wstest index")?;
        let agents = raw.as_object().ok_or("index.json is not an object")?;
        let [(agent, cases)] = agents.iter().collect::<Vec<_>>()[..] else {
            return Err(format!("{} does not hold one agent", index_path.display()));
        };
        let cases = cases
            .as_object()
            .ok_or("an agent's cases are not an object")?;
        e.insert(format!("{k}total"), Expect::Int(cases.len() as u64));
        let mut behavior: BTreeMap<String, u64> = super::BEHAVIORS
            .iter()
            .map(|b| (b.to_string(), 0))
            .collect();
        let mut close: BTreeMap<String, u64> = BTreeMap::new();
        // group -> (total, passing, per behavior)
        let mut groups: BTreeMap<String, (u64, u64, BTreeMap<String, u64>)> = BTreeMap::new();
        for (case, v) in cases {
            let b = v["behavior"].as_str().unwrap_or("?").to_owned();
            let c = v["behaviorClose"].as_str().unwrap_or("?").to_owned();
            *behavior.entry(b.clone()).or_default() += 1;
            *close.entry(c.clone()).or_default() += 1;
            let g = groups
                .entry(case.split('.').next().unwrap_or(case).to_owned())
                .or_default();
            g.0 += 1;
            let pass = |s: &str| s == "OK" || s == "INFORMATIONAL";
            if pass(&b) && pass(&c) {
                g.1 += 1;
            }
            *g.2.entry(b).or_default() += 1;
        }
        // Every run shows every verdict column any run has.
        for (b, n) in &behavior {
            e.insert(format!("{k}b:{b}"), Expect::Int(*n));
        }
        for (c, n) in close {
            e.insert(format!("{k}bc:{c}"), Expect::Int(n));
        }
        for (g, (total, passing, per)) in groups {
            e.insert(format!("{k}g:{g}:total"), Expect::Int(total));
            e.insert(format!("{k}g:{g}:passing"), Expect::Int(passing));
            for b in behavior.keys() {
                let n = per.get(b).copied().unwrap_or(0);
                e.insert(format!("{k}g:{g}:{b}"), Expect::Int(n));
            }
        }
        let role = id.split_once('/').map_or("", |(_, r)| r);
        let baseline = baselines.join(format!("expected-{role}.json"));
        let ours = agent.as_str() == super::BASELINE_AGENT;
        if let (true, Some(expected)) = (ours, autobahn::read_expected(&baseline)?) {
            let (_, index) = autobahn::read_index(&index_path, None)?;
            let actual: BTreeMap<String, Outcome> = index
                .iter()
                .map(|(id, x)| (id.clone(), x.outcome()))
                .collect();
            let not_run = expected.keys().filter(|id| !actual.contains_key(*id));
            e.insert(format!("{k}not_run"), Expect::Int(not_run.count() as u64));
            let mut ran = expected;
            ran.retain(|id, _| actual.contains_key(id));
            let changes = Changes::between(&ran, &actual, |_| None);
            let n = |v: &Vec<String>| Expect::Int(v.len() as u64);
            e.insert(format!("{k}regressions"), n(&changes.regressions));
            e.insert(format!("{k}improvements"), n(&changes.improvements));
            e.insert(format!("{k}new"), n(&changes.new));
        }
    }
    // Verdict columns are shared: a verdict one run has is a zero in the
    // others' rows (in the summary and in their group tables).
    let all: Vec<String> = e
        .keys()
        .filter_map(|k| k.strip_prefix("run:"))
        .filter_map(|k| k.split_once(":b:").map(|(_, b)| b.to_owned()))
        .collect();
    let runs: Vec<String> = e
        .keys()
        .filter_map(|k| k.strip_suffix(":total"))
        .filter(|k| k.starts_with("run:") && !k.contains(":g:"))
        .map(str::to_owned)
        .collect();
    for run in &runs {
        for b in &all {
            e.entry(format!("{run}:b:{b}")).or_insert(Expect::Int(0));
        }
        let groups: Vec<String> = e
            .keys()
            .filter_map(|k| k.strip_prefix(&format!("{run}:g:")))
            .filter_map(|k| k.strip_suffix(":total"))
            .map(str::to_owned)
            .collect();
        for g in groups {
            for b in &all {
                e.entry(format!("{run}:g:{g}:{b}"))
                    .or_insert(Expect::Int(0));
            }
        }
    }

    let tsv = reports.join("fuzz/summary.tsv");
    match std::fs::read_to_string(&tsv) {
        Err(_) => {
            e.insert("missing:fuzz".into(), Expect::Present);
        }
        Ok(text) => {
            inputs.push(tsv.clone());
            e.insert("fuzz:produced".into(), Expect::Text(mtime(&tsv)));
            if let Ok(c) = std::fs::read_to_string(reports.join("fuzz/campaign.txt")) {
                if !c.trim().is_empty() {
                    e.insert("fuzz:campaign".into(), Expect::Text(c.trim().to_owned()));
                }
            }
            let mut lines = text.lines().filter(|l| !l.trim().is_empty());
            let columns: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
            for line in lines {
                let cells: Vec<&str> = line.split('\t').collect();
                for (col, cell) in columns.iter().zip(&cells) {
                    let value = match cell.parse::<u64>() {
                        Ok(n) if *col != "target" => Expect::Int(n),
                        _ => Expect::Text(cell.to_string()),
                    };
                    e.insert(format!("fuzz:{}:{col}", cells[0]), value);
                }
            }
        }
    }

    let files = bench_files(reports);
    if files.is_empty() {
        e.insert("missing:bench".into(), Expect::Present);
    }
    for file in files {
        bench::expect(&file, &mut e)?;
        inputs.push(file);
    }

    if inputs.is_empty() {
        e.insert("missing:inputs".into(), Expect::Present);
    }
    for path in inputs {
        let key = format!("input:{}", relative(reports, &path));
        e.insert(key, Expect::Text(mtime(&path)));
    }
    Ok(e)
}

fn matches(expected: &Expect, shown: &Shown) -> Result<(), String> {
    let text = shown.text.trim();
    let number = |s: &str| {
        s.replace(',', "")
            .parse::<f64>()
            .map_err(|_| format!("shows `{s}`, not a number"))
    };
    // Half of the last decimal shown.
    let half_ulp = |s: &str| {
        let decimals = s.split_once('.').map_or(0, |(_, d)| d.len());
        0.5 * 10f64.powi(-(decimals as i32)) + 1e-9
    };
    match expected {
        Expect::Present => Ok(()),
        Expect::Text(t) if t == text => Ok(()),
        Expect::Text(t) => Err(format!("shows `{text}`, the input says `{t}`")),
        Expect::Int(n) => {
            if text.replace(',', "") == n.to_string() {
                Ok(())
            } else {
                Err(format!("shows `{text}`, the input says {n}"))
            }
        }
        Expect::Float(x) => {
            let v = number(text)?;
            if (v - x).abs() <= half_ulp(text) {
                Ok(())
            } else {
                Err(format!("shows {text}, the input says {x}"))
            }
        }
        Expect::Time(ns) => {
            let (value, unit) = text
                .split_once(' ')
                .ok_or(format!("shows `{text}`, not a time"))?;
            let scale = match unit {
                "ns" => 1.0,
                "µs" => 1e3,
                "ms" => 1e6,
                "s" => 1e9,
                _ => return Err(format!("shows `{text}`: unknown unit")),
            };
            let v = number(value)? * scale;
            if (v - ns).abs() <= half_ulp(value) * scale {
                Ok(())
            } else {
                Err(format!("shows {text}, the input says {ns} ns"))
            }
        }
        Expect::Bar(ratio) => {
            let attr = |name: &str| {
                shown
                    .attrs
                    .get(name)
                    .and_then(|v| v.parse::<f64>().ok())
                    .ok_or(format!("a bar without a numeric `{name}`"))
            };
            let (width, scale) = (attr("width")?, attr("data-scale")?);
            if scale > 0.0 && (width / scale - ratio).abs() <= 0.01 / scale + 1e-6 {
                Ok(())
            } else {
                Err(format!(
                    "a bar of width {width} at {scale} px per unit, the input says {ratio}"
                ))
            }
        }
    }
}
