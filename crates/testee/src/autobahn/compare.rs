//! `autobahn-report compare`: one role's run against the baseline, as the
//! one-screen summary the harness prints (and `--update`, which rewrites
//! the baseline from the run).
//!
//! It reads wstest's `index.json` and the baseline, and writes only the
//! baseline (with `--update`); the harness measures wstest's memory and
//! hands it in.

use super::spec::CasePatterns;
use super::{
    case_result, cmp_case_ids, group_of, passes, read_expected, read_index, Changes, IndexEntry,
    Outcome,
};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What to compare, and what the summary says beside the verdicts.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct Compare {
    /// wstest's `index.json` of the run.
    #[arg(long, value_name = "INDEX_JSON")]
    pub index: PathBuf,
    /// The baseline (`autobahn/expected-ROLE.json`); a missing file fails
    /// the comparison, unless `--update` creates it.
    #[arg(long, value_name = "EXPECTED_JSON")]
    pub expected: PathBuf,
    /// The role, for the summary's title.
    #[arg(long, value_name = "NAME")]
    pub role: Option<String>,
    /// The agent whose cases count, when the index holds several.
    #[arg(long, value_name = "NAME")]
    pub agent: Option<String>,
    /// Only these cases are compared: comma-separated wstest patterns
    /// (`6.4.*`, `1.1.1`, `9.*,10.*`).
    #[arg(long, value_name = "PATTERNS")]
    pub cases: Option<String>,
    /// The run's wall time, for the summary.
    #[arg(long, value_name = "SECONDS")]
    pub elapsed: Option<f64>,
    /// Rewrite the baseline from the run (the cases of `--cases` only).
    #[arg(long)]
    pub update: bool,
    /// How wstest ran (`native pypy`, `docker IMAGE`), for the memory line.
    #[arg(long, value_name = "LABEL")]
    pub wstest: Option<String>,
    /// wstest's peak resident memory in bytes, as the caller measured it.
    #[arg(long, value_name = "BYTES")]
    pub wstest_peak: Option<u64>,
    /// The bound on wstest's memory in bytes: a peak past it fails.
    #[arg(long, value_name = "BYTES")]
    pub wstest_max: Option<u64>,
}

/// The summary and whether the run passed (no regression, the memory
/// bound kept; or the baseline updated).
#[derive(Debug)]
pub struct Compared {
    /// The summary, every line ending in `\n`.
    pub text: String,
    /// Exit 0 when true, 1 when not.
    pub passed: bool,
}

/// wstest's memory in one role: the peak the caller measured, against the
/// bound it enforces.
struct WstestMemory<'a> {
    label: Option<&'a str>,
    peak: Option<u64>,
    max: Option<u64>,
}

impl WstestMemory<'_> {
    /// The summary's line: `wstest memory  peak 1.21 GiB (native pypy), bound 4.00 GiB`.
    fn line(&self) -> String {
        let label = self.label.map(|l| format!(" ({l})")).unwrap_or_default();
        let bound = self
            .max
            .map(|m| format!(", bound {}", gib(m)))
            .unwrap_or_default();
        match self.peak {
            Some(peak) => format!("wstest memory  peak {}{label}{bound}", gib(peak)),
            None => format!("wstest memory  not measured{label}{bound}"),
        }
    }

    /// The peak and the bound, when the peak passed it.
    fn over(&self) -> Option<(u64, u64)> {
        match (self.peak, self.max) {
            (Some(peak), Some(max)) if peak > max => Some((peak, max)),
            _ => None,
        }
    }
}

fn gib(bytes: u64) -> String {
    format!("{:.2} GiB", bytes as f64 / (1u64 << 30) as f64)
}

/// The baseline's text: one case a line, in numeric case order.
fn render_expected(cases: &BTreeMap<String, Outcome>) -> String {
    let mut ids: Vec<&String> = cases.keys().collect();
    ids.sort_by(|a, b| cmp_case_ids(a, b));
    let mut text = String::from("{\n");
    for (n, id) in ids.iter().enumerate() {
        let outcome = &cases[*id];
        let comma = if n + 1 < ids.len() { "," } else { "" };
        let _ = writeln!(
            text,
            "  {}: {{\"behavior\": {}, \"behaviorClose\": {}}}{comma}",
            json_string(id),
            json_string(&outcome.behavior),
            json_string(&outcome.behavior_close),
        );
    }
    text.push_str("}\n");
    text
}

fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// Compares the run with the baseline; `Err` on a usage or I/O error.
pub fn compare(flags: &Compare) -> Result<Compared, String> {
    let index_path = &flags.index;
    let expected_path = &flags.expected;
    let filter = flags
        .cases
        .as_deref()
        .map(CasePatterns::parse)
        .transpose()?;
    let in_filter = |id: &str| filter.as_ref().is_none_or(|f| f.matches(id));
    let role = flags.role.as_deref().unwrap_or("run");

    let (agent, index) = read_index(index_path, flags.agent.as_deref())?;
    let report_dir = index_path.parent().unwrap_or(Path::new("."));
    let baseline = read_expected(expected_path)?;
    let baseline_name = expected_path.display();

    let actual: BTreeMap<String, Outcome> = index
        .iter()
        .filter(|(id, _)| in_filter(id))
        .map(|(id, e)| (id.clone(), e.outcome()))
        .collect();

    let memory = WstestMemory {
        label: flags.wstest.as_deref(),
        peak: flags.wstest_peak,
        max: flags.wstest_max,
    };
    let mut out = String::new();
    summary(&mut out, role, &agent, &actual, &index, flags.elapsed);
    if flags.wstest.is_some() || flags.wstest_peak.is_some() {
        let _ = writeln!(out, "{}", memory.line());
    }
    let changes = baseline.as_ref().map(|expected| {
        let mut expected = expected.clone();
        expected.retain(|id, _| in_filter(id));
        Changes::between(&expected, &actual, |id| {
            index.get(id).and_then(|e| case_result(report_dir, e))
        })
    });
    match &changes {
        None => {
            let _ = writeln!(out, "vs baseline    {baseline_name} does not exist yet");
        }
        Some(changes) => {
            let filtered = match &flags.cases {
                Some(c) => format!(" (cases {c})"),
                None => String::new(),
            };
            changes.render(&mut out, &format!("{baseline_name}{filtered}"));
        }
    }

    let passed = if let Some((peak, max)) = memory.over() {
        let _ = writeln!(
            out,
            "FAIL: wstest's peak memory {} passed the bound {} (AUTOBAHN_WSTEST_MAX_MEMORY); \
             a passing run stays far below it",
            gib(peak),
            gib(max)
        );
        false
    } else if flags.update {
        let mut updated = baseline.unwrap_or_default();
        updated.retain(|id, _| !in_filter(id));
        updated.extend(actual);
        std::fs::write(expected_path, render_expected(&updated))
            .map_err(|e| format!("cannot write {baseline_name}: {e}"))?;
        let _ = writeln!(
            out,
            "updated        {baseline_name} ({} cases)",
            updated.len()
        );
        true
    } else {
        match changes {
            None => {
                let _ = writeln!(
                    out,
                    "FAIL: no baseline at {baseline_name}; create it with \
                     `scripts/autobahn.sh {role} --update-expected`"
                );
                false
            }
            Some(changes) if changes.regressions.is_empty() => {
                let improved = changes.improvements.len() + changes.new.len();
                if improved > 0 {
                    let _ = writeln!(
                        out,
                        "PASS: no regression against {baseline_name}; lock in the {improved} \
                         improved or new case(s) with --update-expected"
                    );
                } else {
                    let _ = writeln!(out, "PASS: no regression against {baseline_name}");
                }
                true
            }
            Some(changes) => {
                let _ = writeln!(
                    out,
                    "FAIL: {} regression(s) against {baseline_name}; if intended, accept them \
                     with --update-expected",
                    changes.regressions.len()
                );
                false
            }
        }
    };
    Ok(Compared { text: out, passed })
}

/// Counts per verdict, per group, the wall time and the 9.* durations.
fn summary(
    out: &mut String,
    role: &str,
    agent: &str,
    actual: &BTreeMap<String, Outcome>,
    index: &BTreeMap<String, IndexEntry>,
    elapsed: Option<f64>,
) {
    let wall = elapsed
        .map(|s| format!(", wall time {}", minutes(s)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "== Autobahn {role}: {} cases, agent {agent}{wall} ==",
        actual.len()
    );

    let mut behavior: BTreeMap<&str, usize> = [
        "OK",
        "INFORMATIONAL",
        "NON-STRICT",
        "UNIMPLEMENTED",
        "FAILED",
    ]
    .into_iter()
    .map(|b| (b, 0))
    .collect();
    let mut close: BTreeMap<&str, usize> = BTreeMap::new();
    for o in actual.values() {
        *behavior.entry(&o.behavior).or_default() += 1;
        *close.entry(&o.behavior_close).or_default() += 1;
    }
    let _ = writeln!(out, "behavior       {}", counts(&behavior));
    let _ = writeln!(out, "behaviorClose  {}", counts(&close));

    let mut groups: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (id, o) in actual {
        let g = groups.entry(group_of(id)).or_default();
        g.1 += 1;
        if passes(&o.behavior) && passes(&o.behavior_close) {
            g.0 += 1;
        }
    }
    let mut names: Vec<&&str> = groups.keys().collect();
    names.sort_by(|a, b| cmp_case_ids(a, b));
    let cells: Vec<String> = names
        .iter()
        .map(|g| {
            let (ok, total) = groups[**g];
            format!("{g:>2}: {ok:>3}/{total:<3}")
        })
        .collect();
    for (n, row) in cells.chunks(6).enumerate() {
        let head = if n == 0 { "groups (ok)" } else { "" };
        let _ = writeln!(out, "{head:<15}{}", row.join("  ").trim_end());
    }

    let nine: Vec<f64> = index
        .iter()
        .filter(|(id, _)| actual.contains_key(*id) && group_of(id) == "9")
        .filter_map(|(_, e)| e.duration)
        .collect();
    if !nine.is_empty() {
        let ms: f64 = nine.iter().sum();
        let _ = writeln!(
            out,
            "9.* durations  {:.2} s over {} cases (wstest's per-case duration)",
            ms / 1000.0,
            nine.len()
        );
    }
}

/// `OK 298, INFORMATIONAL 3, ...`: passing verdicts first, then by rank.
fn counts(map: &BTreeMap<&str, usize>) -> String {
    let mut entries: Vec<(&&str, &usize)> = map.iter().collect();
    let order = |v: &str| match v {
        "OK" => 0,
        "INFORMATIONAL" => 1,
        "NON-STRICT" => 2,
        "UNIMPLEMENTED" => 3,
        "FAILED" => 4,
        _ => 5,
    };
    entries.sort_by_key(|(v, _)| (order(v), **v));
    if entries.is_empty() {
        return "-".to_owned();
    }
    entries
        .iter()
        .map(|(v, n)| format!("{v} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `1m 23s` from a minute on, `7.3s` below.
pub fn minutes(secs: f64) -> String {
    let whole = secs.round() as u64;
    if whole >= 60 {
        format!("{}m {:02}s", whole / 60, whole % 60)
    } else {
        format!("{secs:.1}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_renders_one_case_a_line_in_order() {
        let mut cases = BTreeMap::new();
        cases.insert("1.1.10".to_owned(), Outcome::new("OK", "OK"));
        cases.insert("1.1.9".to_owned(), Outcome::new("NON-STRICT", "WRONG CODE"));
        let text = render_expected(&cases);
        assert_eq!(
            text,
            "{\n  \"1.1.9\": {\"behavior\": \"NON-STRICT\", \"behaviorClose\": \"WRONG CODE\"},\n  \
             \"1.1.10\": {\"behavior\": \"OK\", \"behaviorClose\": \"OK\"}\n}\n"
        );
        let back: BTreeMap<String, Outcome> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, cases);
    }

    #[test]
    fn wstest_memory_line_and_bound() {
        let mut m = WstestMemory {
            label: Some("native pypy"),
            peak: Some(1_300_000_000),
            max: Some(4 << 30),
        };
        assert_eq!(
            m.line(),
            "wstest memory  peak 1.21 GiB (native pypy), bound 4.00 GiB"
        );
        assert_eq!(m.over(), None);
        m.peak = Some((4 << 30) + 1);
        assert_eq!(m.over(), Some(((4 << 30) + 1, 4 << 30)));
        m.peak = None;
        assert_eq!(
            m.line(),
            "wstest memory  not measured (native pypy), bound 4.00 GiB"
        );
        assert_eq!(m.over(), None);
    }

    #[test]
    fn minutes_read_well() {
        assert_eq!(minutes(83.4), "1m 23s");
        assert_eq!(minutes(7.3), "7.3s");
    }
}
