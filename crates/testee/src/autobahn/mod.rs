//! Autobahn verdicts and their comparison with the baseline: what
//! `autobahn-report compare` prints and `report` (the report page) counts.
//!
//! It reads wstest's `index.json` and the baselines of `autobahn/`; it runs
//! no tests and writes nothing.
//!
//! Verdicts rank, best first: OK and INFORMATIONAL (both passing),
//! NON-STRICT, UNIMPLEMENTED, then FAILED and any other failure (such as
//! WRONG CODE or UNCLEAN). A case regresses when either verdict moves to a
//! lower rank or to a different failure of the same rank, when it is in the
//! baseline but missing from the run, or when it is new and not passing. It
//! improves when a verdict ranks higher and neither regresses.

pub mod compare;
pub mod spec;

use serde::Deserialize;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// How many regressions or improvements the summary lists before eliding.
const LIST_LIMIT: usize = 15;

// ---------------------------------------------------------------------------
// Case ids and patterns

/// Orders wstest case ids numerically, part by part: `1.1.9 < 1.1.10 < 2.1`.
pub fn cmp_case_ids(a: &str, b: &str) -> Ordering {
    let mut left = a.split('.');
    let mut right = b.split('.');
    loop {
        match (left.next(), right.next()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let order = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(x), Ok(y)) => x.cmp(&y),
                    _ => x.cmp(y),
                };
                if order != Ordering::Equal {
                    return order;
                }
            }
        }
    }
}

/// A case's top-level group: `6` for `6.4.3`.
pub fn group_of(id: &str) -> &str {
    id.split('.').next().unwrap_or(id)
}

// ---------------------------------------------------------------------------
// Verdicts

/// A case's two verdicts, as the baseline stores them.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    /// The verdict on the messages exchanged.
    pub behavior: String,
    /// The verdict on the closing handshake.
    #[serde(rename = "behaviorClose")]
    pub behavior_close: String,
}

impl Outcome {
    /// The two verdicts.
    pub fn new(behavior: &str, behavior_close: &str) -> Outcome {
        Outcome {
            behavior: behavior.to_owned(),
            behavior_close: behavior_close.to_owned(),
        }
    }
}

/// One case of wstest's `index.json`.
#[derive(Deserialize)]
pub struct IndexEntry {
    /// The verdict on the messages exchanged.
    pub behavior: String,
    /// The verdict on the closing handshake.
    #[serde(rename = "behaviorClose")]
    pub behavior_close: String,
    /// How long the case ran, in milliseconds.
    #[serde(default)]
    pub duration: Option<f64>,
    /// The case's own JSON report, beside `index.json` (its HTML page has
    /// the same name with `.html`).
    #[serde(default)]
    pub reportfile: Option<String>,
}

impl IndexEntry {
    /// The case's two verdicts.
    pub fn outcome(&self) -> Outcome {
        Outcome::new(&self.behavior, &self.behavior_close)
    }
}

/// Ranks a verdict: higher is better; OK and INFORMATIONAL both pass.
pub fn rank(verdict: &str) -> u8 {
    match verdict {
        "OK" | "INFORMATIONAL" => 4,
        "NON-STRICT" => 3,
        "UNIMPLEMENTED" => 2,
        _ => 1,
    }
}

/// Whether a verdict passes (OK or INFORMATIONAL).
pub fn passes(verdict: &str) -> bool {
    rank(verdict) == 4
}

/// How one verdict moved from the baseline to the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Change {
    Same,
    /// Between OK and INFORMATIONAL: still passing.
    Shift,
    Improvement,
    Regression,
}

fn change(expected: &str, actual: &str) -> Change {
    if expected == actual {
        Change::Same
    } else if passes(expected) && passes(actual) {
        Change::Shift
    } else if rank(actual) > rank(expected) {
        Change::Improvement
    } else {
        Change::Regression
    }
}

/// What happened to one case, compared with the baseline.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// Both verdicts as in the baseline.
    Same,
    /// Still passing, but OK and INFORMATIONAL swapped.
    Shift,
    /// A verdict ranks higher, neither lower.
    Improvement,
    /// A verdict ranks lower (or is another failure of the same rank), or
    /// the case is new and not passing.
    Regression,
    /// In the baseline (and the filter), not in the run.
    Missing,
    /// In the run, not in the baseline.
    New,
}

/// Compares one case's baseline outcome with the run's.
pub fn verdict(expected: Option<&Outcome>, actual: Option<&Outcome>) -> Verdict {
    match (expected, actual) {
        (Some(e), Some(a)) => {
            let worst =
                change(&e.behavior, &a.behavior).max(change(&e.behavior_close, &a.behavior_close));
            match worst {
                Change::Same => Verdict::Same,
                Change::Shift => Verdict::Shift,
                Change::Improvement => Verdict::Improvement,
                Change::Regression => Verdict::Regression,
            }
        }
        (Some(_), None) => Verdict::Missing,
        (None, Some(a)) if passes(&a.behavior) && passes(&a.behavior_close) => Verdict::New,
        (None, Some(_)) => Verdict::Regression,
        (None, None) => Verdict::Same,
    }
}

// ---------------------------------------------------------------------------
// Files

/// Reads and parses a JSON file; the error names `what` and the path.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {what} {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{what} {} is not valid: {e}", path.display()))
}

/// Reads the baseline; a missing file is an empty baseline.
pub fn read_expected(path: &Path) -> Result<Option<BTreeMap<String, Outcome>>, String> {
    if !path.exists() {
        return Ok(None);
    }
    read_json(path, "expected file").map(Some)
}

/// Reads `index.json` and picks the agent's cases.
pub fn read_index(
    path: &Path,
    agent: Option<&str>,
) -> Result<(String, BTreeMap<String, IndexEntry>), String> {
    let mut agents: BTreeMap<String, BTreeMap<String, IndexEntry>> =
        read_json(path, "wstest index")?;
    let names: Vec<String> = agents.keys().cloned().collect();
    let name = match agent {
        Some(a) => a.to_owned(),
        None if names.len() == 1 => names[0].clone(),
        None if names.is_empty() => {
            return Err(format!(
                "{} holds no agent: wstest ran no case",
                path.display()
            ))
        }
        None => {
            return Err(format!(
                "{} holds several agents ({}); pick one with --agent",
                path.display(),
                names.join(", ")
            ))
        }
    };
    let cases = agents.remove(&name).ok_or_else(|| {
        format!(
            "{} has no agent `{name}` (it has: {})",
            path.display(),
            names.join(", ")
        )
    })?;
    Ok((name, cases))
}

/// The `result` lines of a case's own report, to say why it did not pass.
pub fn case_result(dir: &Path, entry: &IndexEntry) -> Option<String> {
    let file = dir.join(entry.reportfile.as_ref()?);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).ok()?).ok()?;
    let mut parts = Vec::new();
    for key in ["result", "resultClose"] {
        if let Some(s) = report.get(key).and_then(|v| v.as_str()) {
            if !s.is_empty() {
                parts.push(s.to_owned());
            }
        }
    }
    let mut text = truncate(&parts.join(" / "), 150);
    // The HTML report beside it shows the case's wire log.
    let html = file.with_extension("html");
    if html.exists() {
        let _ = write!(text, "\n           see {}", html.display());
    }
    Some(text)
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let cut: String = s.chars().take(max - 3).collect();
    format!("{cut}...")
}

/// The cases whose verdicts moved, one printable line each.
#[derive(Default)]
pub struct Changes {
    /// Worse than the baseline, or in it and missing from the run.
    pub regressions: Vec<String>,
    /// Better than the baseline.
    pub improvements: Vec<String>,
    /// Still passing, but OK and INFORMATIONAL swapped.
    pub shifts: Vec<String>,
    /// Passing cases the baseline does not know.
    pub new: Vec<String>,
}

impl Changes {
    /// Compares the baseline's cases (already filtered) with the run's;
    /// `why` gives a failing case's own explanation.
    pub fn between(
        expected: &BTreeMap<String, Outcome>,
        actual: &BTreeMap<String, Outcome>,
        why: impl Fn(&str) -> Option<String>,
    ) -> Changes {
        let mut ids: Vec<&String> = actual.keys().chain(expected.keys()).collect();
        ids.sort_by(|a, b| cmp_case_ids(a, b));
        ids.dedup();
        let mut changes = Changes::default();
        for id in ids {
            let (e, a) = (expected.get(id), actual.get(id));
            let bucket = match verdict(e, a) {
                Verdict::Same => continue,
                Verdict::Shift => &mut changes.shifts,
                Verdict::Improvement => &mut changes.improvements,
                Verdict::Regression | Verdict::Missing => &mut changes.regressions,
                Verdict::New => &mut changes.new,
            };
            bucket.push(describe(id, e, a, why(id)));
        }
        changes
    }

    /// The comparison's lines of the summary: counts, then each list.
    pub fn render(&self, out: &mut String, baseline: &str) {
        let new = if self.new.is_empty() {
            String::new()
        } else {
            format!(", {} new passing case(s)", self.new.len())
        };
        let _ = writeln!(
            out,
            "vs baseline    {baseline}: {} regression(s), {} improvement(s){new}",
            self.regressions.len(),
            self.improvements.len(),
        );
        list(out, "REGRESSIONS", &self.regressions);
        list(out, "IMPROVEMENTS", &self.improvements);
        list(out, "still passing, verdict changed", &self.shifts);
        list(out, "new cases (not in the baseline)", &self.new);
    }
}

fn describe(
    id: &str,
    expected: Option<&Outcome>,
    actual: Option<&Outcome>,
    why: Option<String>,
) -> String {
    let mut line = format!("{id:<9}");
    match (expected, actual) {
        (Some(e), Some(a)) => {
            let mut parts = Vec::new();
            if e.behavior != a.behavior {
                parts.push(format!("behavior {} -> {}", e.behavior, a.behavior));
            }
            if e.behavior_close != a.behavior_close {
                parts.push(format!(
                    "behaviorClose {} -> {}",
                    e.behavior_close, a.behavior_close
                ));
            }
            line.push_str(&parts.join(", "));
        }
        (Some(e), None) => {
            let _ = write!(
                line,
                "missing from the run (expected {}/{})",
                e.behavior, e.behavior_close
            );
        }
        (None, Some(a)) => {
            let _ = write!(
                line,
                "not in the baseline: {}/{}",
                a.behavior, a.behavior_close
            );
        }
        (None, None) => {}
    }
    let passing = actual.is_some_and(|a| passes(&a.behavior) && passes(&a.behavior_close));
    if let (false, Some(why)) = (passing, why) {
        let _ = write!(line, "\n           {why}");
    }
    line
}

fn list(out: &mut String, title: &str, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(out, "{title} ({}):", lines.len());
    for line in lines.iter().take(LIST_LIMIT) {
        let _ = writeln!(out, "  {line}");
    }
    if lines.len() > LIST_LIMIT {
        let _ = writeln!(out, "  ... and {} more", lines.len() - LIST_LIMIT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(behavior: &str, close: &str) -> Outcome {
        Outcome::new(behavior, close)
    }

    #[test]
    fn case_ids_order_numerically() {
        let mut ids = vec![
            "1.1.10", "10.1.1", "1.1.9", "2.1", "1.2.1", "9.10.1", "9.2.1",
        ];
        ids.sort_by(|a, b| cmp_case_ids(a, b));
        assert_eq!(
            ids,
            ["1.1.9", "1.1.10", "1.2.1", "2.1", "9.2.1", "9.10.1", "10.1.1"]
        );
    }

    #[test]
    fn verdicts_rank() {
        let ok = outcome("OK", "OK");
        assert_eq!(verdict(Some(&ok), Some(&ok)), Verdict::Same);
        assert_eq!(
            verdict(Some(&ok), Some(&outcome("INFORMATIONAL", "OK"))),
            Verdict::Shift
        );
        assert_eq!(
            verdict(Some(&ok), Some(&outcome("NON-STRICT", "OK"))),
            Verdict::Regression
        );
        assert_eq!(
            verdict(Some(&outcome("UNIMPLEMENTED", "OK")), Some(&ok)),
            Verdict::Improvement
        );
        assert_eq!(
            verdict(
                Some(&outcome("FAILED", "OK")),
                Some(&outcome("NON-STRICT", "OK"))
            ),
            Verdict::Improvement
        );
        assert_eq!(
            verdict(
                Some(&outcome("NON-STRICT", "OK")),
                Some(&outcome("UNIMPLEMENTED", "OK"))
            ),
            Verdict::Regression
        );
        // Same rank, different failure: a regression.
        assert_eq!(
            verdict(
                Some(&outcome("OK", "FAILED")),
                Some(&outcome("OK", "WRONG CODE"))
            ),
            Verdict::Regression
        );
        // One verdict better, the other worse: a regression.
        assert_eq!(
            verdict(
                Some(&outcome("FAILED", "OK")),
                Some(&outcome("OK", "FAILED"))
            ),
            Verdict::Regression
        );
        assert_eq!(verdict(Some(&ok), None), Verdict::Missing);
        assert_eq!(verdict(None, Some(&ok)), Verdict::New);
        assert_eq!(
            verdict(None, Some(&outcome("FAILED", "OK"))),
            Verdict::Regression
        );
    }
}
