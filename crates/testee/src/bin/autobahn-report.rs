//! The Autobahn conformance report tool: compares a `wstest` run with the
//! baseline and prints a one-screen summary.
//!
//! `scripts/autobahn.sh` drives it; it owns no sockets and runs no tests.
//!
//! ```text
//! autobahn-report compare --index reports/autobahn/server/index.json \
//!     --expected autobahn/expected-server.json [--role server] [--agent NAME] \
//!     [--cases PATTERNS] [--elapsed SECONDS] [--update]
//!     [--wstest LABEL] [--wstest-peak BYTES] [--wstest-max BYTES]
//! autobahn-report spec --template autobahn/fuzzingclient.json --out SPEC \
//!     --outdir DIR [--url ws://HOST:PORT] [--cases PATTERNS] [--check-against EXPECTED] \
//!     [--key KEY_PEM --cert CERT_PEM]
//! ```
//!
//! `--key` and `--cert` go into the spec's top level, where
//! `wstest -m fuzzingserver` takes the TLS key and certificate of a
//! `wss://` URL (its command-line `--key`/`--cert` do not reach that mode).
//!
//! `compare` exits 1 on any regression, or when wstest's peak memory
//! (`--wstest-peak`, measured by the caller) passed `--wstest-max`; 0
//! otherwise (and 0 with `--update`, which rewrites the baseline from the
//! run, unless the memory bound was passed); usage and I/O errors exit 2.
//!
//! The baseline maps each case id to the two verdicts wstest gives it,
//! one case per line, ordered numerically (1.1.10 after 1.1.9):
//!
//! ```json
//! {
//!   "1.1.1": {"behavior": "OK", "behaviorClose": "OK"},
//!   "1.1.2": {"behavior": "OK", "behaviorClose": "OK"}
//! }
//! ```
//!
//! Verdicts rank, best first: OK and INFORMATIONAL (both passing),
//! NON-STRICT, UNIMPLEMENTED, then FAILED and any other failure (such as
//! WRONG CODE or UNCLEAN). A
//! case regresses when either verdict moves to a lower rank or to a
//! different failure of the same rank, when it is in the baseline but
//! missing from the run, or when it is new and not passing. It improves
//! when a verdict ranks higher and neither regresses.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use testee::autobahn::{
    case_result, cmp_case_ids, group_of, passes, read_expected, read_index, read_json, Changes,
    IndexEntry, Outcome,
};

const USAGE: &str = "\
usage:
  autobahn-report compare --index INDEX_JSON --expected EXPECTED_JSON [--role NAME]
                          [--agent NAME] [--cases PATTERNS] [--elapsed SECONDS] [--update]
                          [--wstest LABEL] [--wstest-peak BYTES] [--wstest-max BYTES]
  autobahn-report spec --template SPEC_JSON --out SPEC_JSON --outdir DIR [--url URL]
                       [--cases PATTERNS] [--check-against EXPECTED_JSON]
                       [--key KEY_PEM --cert CERT_PEM]

PATTERNS: comma-separated wstest case patterns (`6.4.*`, `1.1.1`, `9.*,10.*`).
compare exits 1 on a regression (0 with --update, which rewrites EXPECTED_JSON).";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("compare") => Flags::parse(&args[1..]).and_then(|f| compare(&f)),
        Some("spec") => Flags::parse(&args[1..]).and_then(|f| spec(&f)),
        Some("-h" | "--help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => Err(format!("expected a subcommand\n{USAGE}")),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("autobahn-report: {message}");
            ExitCode::from(2)
        }
    }
}

/// Command-line flags of both subcommands (each uses its own subset).
#[derive(Default)]
struct Flags {
    index: Option<PathBuf>,
    expected: Option<PathBuf>,
    role: Option<String>,
    agent: Option<String>,
    cases: Option<String>,
    elapsed: Option<f64>,
    update: bool,
    wstest: Option<String>,
    wstest_peak: Option<u64>,
    wstest_max: Option<u64>,
    template: Option<PathBuf>,
    out: Option<PathBuf>,
    outdir: Option<String>,
    url: Option<String>,
    check_against: Option<PathBuf>,
    key: Option<String>,
    cert: Option<String>,
}

impl Flags {
    fn parse(args: &[String]) -> Result<Flags, String> {
        let mut flags = Flags::default();
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            if flag == "--update" {
                flags.update = true;
                continue;
            }
            let value = it
                .next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?
                .clone();
            match flag.as_str() {
                "--index" => flags.index = Some(value.into()),
                "--expected" => flags.expected = Some(value.into()),
                "--role" => flags.role = Some(value),
                "--agent" => flags.agent = Some(value),
                "--cases" => flags.cases = Some(value),
                "--elapsed" => {
                    let secs = value
                        .parse()
                        .map_err(|_| format!("--elapsed wants seconds, not `{value}`"))?;
                    flags.elapsed = Some(secs);
                }
                "--wstest" => flags.wstest = Some(value),
                "--wstest-peak" => flags.wstest_peak = Some(bytes(flag, &value)?),
                "--wstest-max" => flags.wstest_max = Some(bytes(flag, &value)?),
                "--template" => flags.template = Some(value.into()),
                "--out" => flags.out = Some(value.into()),
                "--outdir" => flags.outdir = Some(value),
                "--url" => flags.url = Some(value),
                "--check-against" => flags.check_against = Some(value.into()),
                "--key" => flags.key = Some(value),
                "--cert" => flags.cert = Some(value),
                _ => return Err(format!("unknown flag `{flag}`\n{USAGE}")),
            }
        }
        Ok(flags)
    }
}

fn bytes(flag: &str, value: &str) -> Result<u64, String> {
    value
        .parse()
        .map_err(|_| format!("{flag} wants a count of bytes, not `{value}`"))
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

fn required<'a, T>(value: &'a Option<T>, flag: &str) -> Result<&'a T, String> {
    value
        .as_ref()
        .ok_or_else(|| format!("{flag} is required\n{USAGE}"))
}

/// A comma-separated list of wstest case patterns, matched the way wstest
/// resolves its spec's `cases`: a pattern with `*` is a regular expression
/// anchored at the start only (`*` is `.*`, so `1*` also takes 10.*, 12.*
/// and 13.*), one without is an exact id.
struct CasePatterns(Vec<String>);

impl CasePatterns {
    fn parse(list: &str) -> Result<CasePatterns, String> {
        let patterns: Vec<String> = list
            .split(',')
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect();
        if patterns.is_empty() {
            return Err(format!("--cases `{list}` names no pattern"));
        }
        for p in &patterns {
            if !p
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == '*')
            {
                return Err(format!(
                    "case pattern `{p}` may hold only digits, `.` and `*` (e.g. 6.4.*, 1.1.1)"
                ));
            }
        }
        Ok(CasePatterns(patterns))
    }

    fn matches(&self, id: &str) -> bool {
        self.0.iter().any(|p| pattern_matches(p, id))
    }
}

fn pattern_matches(pattern: &str, id: &str) -> bool {
    if pattern.contains('*') {
        glob_prefix(pattern.as_bytes(), id.as_bytes())
    } else {
        pattern == id
    }
}

/// Whether `pattern` (with `*` for any run of characters) matches a prefix
/// of `text`.
fn glob_prefix(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => true,
        Some((b'*', rest)) => (0..=text.len()).any(|skip| glob_prefix(rest, &text[skip..])),
        Some((&c, rest)) => text.first() == Some(&c) && glob_prefix(rest, &text[1..]),
    }
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

// ---------------------------------------------------------------------------
// compare

fn compare(flags: &Flags) -> Result<ExitCode, String> {
    let index_path = required(&flags.index, "--index")?;
    let expected_path = required(&flags.expected, "--expected")?;
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
        .map(|(id, e)| {
            let outcome = Outcome {
                behavior: e.behavior.clone(),
                behavior_close: e.behavior_close.clone(),
            };
            (id.clone(), outcome)
        })
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
    print!("{out}");

    if let Some((peak, max)) = memory.over() {
        println!(
            "FAIL: wstest's peak memory {} passed the bound {} (AUTOBAHN_WSTEST_MAX_MEMORY); \
             a passing run stays far below it",
            gib(peak),
            gib(max)
        );
        return Ok(ExitCode::from(1));
    }
    if flags.update {
        let mut updated = baseline.unwrap_or_default();
        updated.retain(|id, _| !in_filter(id));
        updated.extend(actual);
        std::fs::write(expected_path, render_expected(&updated))
            .map_err(|e| format!("cannot write {baseline_name}: {e}"))?;
        println!("updated        {baseline_name} ({} cases)", updated.len());
        return Ok(ExitCode::SUCCESS);
    }
    match changes {
        None => {
            println!(
                "FAIL: no baseline at {baseline_name}; create it with \
                 `scripts/autobahn.sh {role} --update-expected`"
            );
            Ok(ExitCode::from(1))
        }
        Some(changes) if changes.regressions.is_empty() => {
            let improved = changes.improvements.len() + changes.new.len();
            if improved > 0 {
                println!(
                    "PASS: no regression against {baseline_name}; lock in the {improved} \
                     improved or new case(s) with --update-expected"
                );
            } else {
                println!("PASS: no regression against {baseline_name}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(changes) => {
            println!(
                "FAIL: {} regression(s) against {baseline_name}; if intended, accept them \
                 with --update-expected",
                changes.regressions.len()
            );
            Ok(ExitCode::from(1))
        }
    }
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

fn minutes(secs: f64) -> String {
    let whole = secs.round() as u64;
    if whole >= 60 {
        format!("{}m {:02}s", whole / 60, whole % 60)
    } else {
        format!("{secs:.1}s")
    }
}

// ---------------------------------------------------------------------------
// spec

/// Writes a wstest spec from a template: sets `outdir`, and optionally the
/// testee's url and the cases.
fn spec(flags: &Flags) -> Result<ExitCode, String> {
    let template = required(&flags.template, "--template")?;
    let out = required(&flags.out, "--out")?;
    let outdir = required(&flags.outdir, "--outdir")?;
    let mut spec: serde_json::Value = read_json(template, "spec template")?;
    let obj = spec
        .as_object_mut()
        .ok_or_else(|| format!("spec template {} is not a JSON object", template.display()))?;
    obj.insert("outdir".into(), outdir.clone().into());
    if let Some(url) = &flags.url {
        match obj.get_mut("servers").and_then(|s| s.as_array_mut()) {
            Some(servers) => {
                for server in servers {
                    if let Some(server) = server.as_object_mut() {
                        server.insert("url".into(), url.clone().into());
                    }
                }
            }
            None => {
                obj.insert("url".into(), url.clone().into());
            }
        }
    }
    match (&flags.key, &flags.cert) {
        (Some(key), Some(cert)) => {
            obj.insert("key".into(), key.clone().into());
            obj.insert("cert".into(), cert.clone().into());
        }
        (None, None) => {}
        _ => return Err(format!("--key and --cert go together\n{USAGE}")),
    }
    if let Some(list) = &flags.cases {
        let patterns = CasePatterns::parse(list)?;
        if let Some(known) = &flags.check_against {
            if let Some(cases) = read_expected(known)? {
                for p in &patterns.0 {
                    if !cases.keys().any(|id| pattern_matches(p, id)) {
                        return Err(format!(
                            "case pattern `{p}` matches no case of {}",
                            known.display()
                        ));
                    }
                }
            }
        }
        obj.insert("cases".into(), patterns.0.clone().into());
    }
    let text = serde_json::to_string_pretty(&spec).map_err(|e| e.to_string())?;
    std::fs::write(out, text + "\n").map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(behavior: &str, close: &str) -> Outcome {
        Outcome {
            behavior: behavior.into(),
            behavior_close: close.into(),
        }
    }

    #[test]
    fn patterns_follow_wstest() {
        let p = CasePatterns::parse("6.4.*, 1.1.1").unwrap();
        assert!(p.matches("6.4.3"));
        assert!(p.matches("1.1.1"));
        assert!(!p.matches("1.1.10"), "an id without * is exact");
        assert!(!p.matches("6.5.1"));
        // wstest anchors its regex at the start only.
        let p = CasePatterns::parse("1*").unwrap();
        assert!(p.matches("1.1.1") && p.matches("12.1.1") && !p.matches("2.1"));
        assert!(CasePatterns::parse("6.4.x").is_err());
        assert!(CasePatterns::parse(",").is_err());
    }

    #[test]
    fn expected_renders_one_case_a_line_in_order() {
        let mut cases = BTreeMap::new();
        cases.insert("1.1.10".to_owned(), outcome("OK", "OK"));
        cases.insert("1.1.9".to_owned(), outcome("NON-STRICT", "WRONG CODE"));
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
