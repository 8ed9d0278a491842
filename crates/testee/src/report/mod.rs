//! The report page: `reports/index.html`, one self-contained file that
//! shows the last conformance runs, fuzzing campaign and benchmarks
//! (ratios, instruction counts, the peer comparison) found under
//! `reports/` (`scripts/report.sh` drives it).
//!
//! [`collect`] reads what the runs wrote into a [`Page`]; [`render()`]
//! writes it as HTML with every table, number and chart in the file (no
//! network: CSS, SVG and the small sorting script are inline). [`check`]
//! reads a page, as written or as a browser rendered it, and compares the
//! numbers shown with the files they came from; [`browser`] renders pages
//! in headless Chromium and checks what it shows. Inputs that are missing
//! or unreadable become a sentence on the page, never a failure.

pub mod browser;
pub mod check;
pub mod render;

pub use render::render;

use crate::autobahn::{self, cmp_case_ids, group_of, Changes, Outcome};
use rfc6455_test_support::report::instructions::InstructionsFile;
use rfc6455_test_support::report::peers::PeersFile;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::OffsetDateTime;

/// The five verdicts wstest gives `behavior`, in the order the page shows
/// them; any other verdict gets a column of its own after them.
pub const BEHAVIORS: [&str; 5] = [
    "OK",
    "NON-STRICT",
    "INFORMATIONAL",
    "UNIMPLEMENTED",
    "FAILED",
];

/// The agent the baselines of `autobahn/` describe (`scripts/autobahn.sh`
/// names its testees so); runs of other agents are not compared with them.
pub const BASELINE_AGENT: &str = "rfc6455";

/// Everything the page shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Page {
    /// When the page was written (UTC).
    pub generated: String,
    /// The git commit of the checkout, with `+ local changes` if dirty.
    pub commit: Option<String>,
    /// Every input read, with its modification time.
    pub inputs: Vec<Input>,
    /// Runs of this agent are compared with the baselines.
    pub baseline_agent: String,
    /// One per `reports/autobahn*/ROLE/index.json`.
    pub autobahn: Vec<Run>,
    /// The last fuzzing campaign, if any.
    pub fuzz: Option<Fuzz>,
    /// One per `reports/bench/*.json` of ratios.
    pub benches: Vec<Bench>,
    /// `reports/bench/instructions.json`, if there.
    pub instructions: Option<Sourced<InstructionsFile>>,
    /// `reports/bench/peers.json`, if there.
    pub peers: Option<Sourced<PeersFile>>,
    /// Inputs that exist but could not be read, one sentence each.
    pub problems: Vec<String>,
}

/// A file the page was made from.
#[derive(Clone, Debug, PartialEq)]
pub struct Input {
    /// Relative to `reports/`.
    pub path: String,
    /// Its modification time (UTC): when the run wrote it.
    pub produced: String,
}

/// One Autobahn run of one role.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// `autobahn/server`, `autobahn-tls/client`: its folder under `reports/`.
    pub id: String,
    /// The top folder: `autobahn`, `autobahn-tls`, ...
    pub suite: String,
    /// `server` or `client` (or whatever the folder is called).
    pub role: String,
    /// The agent wstest tested.
    pub agent: String,
    /// wstest's `index.json`, relative to `reports/`.
    pub index: String,
    /// wstest's `index.html`, if there.
    pub html: Option<String>,
    /// When `index.json` was written.
    pub produced: String,
    /// Cases run.
    pub total: usize,
    /// Cases per `behavior` verdict (the five always present).
    pub behavior: BTreeMap<String, usize>,
    /// Cases per `behaviorClose` verdict.
    pub behavior_close: BTreeMap<String, usize>,
    /// Per case group (`1` for 1.*), in numeric order.
    pub groups: Vec<Group>,
    /// The comparison with `autobahn/expected-ROLE.json`, if it exists and
    /// the agent is [`BASELINE_AGENT`].
    pub baseline: Option<Baseline>,
    /// Every case, in numeric order.
    pub cases: Vec<Case>,
}

/// The cases of one group (`6` for 6.*) of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// `6`.
    pub group: String,
    /// Cases of the group run.
    pub total: usize,
    /// Cases whose two verdicts both pass.
    pub passing: usize,
    /// Cases per `behavior` verdict (the five always present).
    pub behavior: BTreeMap<String, usize>,
}

/// One case of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    /// `6.4.3`.
    pub id: String,
    /// Its `behavior` verdict.
    pub behavior: String,
    /// Its `behaviorClose` verdict.
    pub behavior_close: String,
    /// wstest's page of the case (its JSON if there is no HTML), relative
    /// to `reports/`.
    pub link: Option<String>,
}

/// A run against its baseline, over the cases the run holds (a `--cases`
/// or `--tls` run is not blamed for the cases it did not run; those are
/// counted apart).
#[derive(Clone, Debug, PartialEq)]
pub struct Baseline {
    /// The baseline, relative to the repository: `autobahn/expected-server.json`.
    pub file: String,
    /// Cases worse than the baseline, or new and not passing.
    pub regressions: usize,
    /// Cases better than the baseline.
    pub improvements: usize,
    /// Passing cases the baseline does not know.
    pub new: usize,
    /// Baseline cases the run did not hold.
    pub not_run: usize,
    /// One line per regression, as `autobahn-report compare` prints it.
    pub regression_lines: Vec<String>,
}

/// The last fuzzing campaign: `reports/fuzz/summary.tsv` as written by
/// `scripts/fuzz.sh`.
#[derive(Clone, Debug, PartialEq)]
pub struct Fuzz {
    /// Relative to `reports/`.
    pub source: String,
    /// When it was written.
    pub produced: String,
    /// `reports/fuzz/campaign.txt`: time per target, workers, sanitizer.
    pub campaign: Option<String>,
    /// The TSV's header.
    pub columns: Vec<String>,
    /// Its rows, cell by cell as written.
    pub rows: Vec<Vec<String>>,
}

/// One bench's ratios: `reports/bench/<bench>.json` (format in
/// `reports/README.md`).
#[derive(Clone, Debug, PartialEq)]
pub struct Bench {
    /// Relative to `reports/`.
    pub source: String,
    /// When it was written.
    pub produced: String,
    /// The file's own content.
    pub results: BenchFile,
}

/// A file read whole, with where it is and when it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Sourced<T> {
    /// Relative to `reports/`.
    pub source: String,
    /// When it was written.
    pub produced: String,
    /// Its content.
    pub file: T,
}

/// The content of `reports/bench/<bench>.json` and its rows: the type
/// the benches write it with.
pub use rfc6455_test_support::report::ratios::{BenchFile, BenchRow};

/// Reads every input under `reports` (baselines from `baselines`, the
/// repository's `autobahn/`).
pub fn collect(reports: &Path, baselines: &Path) -> Page {
    let mut page = Page {
        generated: utc(SystemTime::now()),
        baseline_agent: BASELINE_AGENT.to_owned(),
        ..Page::default()
    };
    for dir in autobahn_dirs(reports) {
        let index = dir.join("index.json");
        match read_run(reports, &dir, baselines) {
            Ok(run) => {
                page.inputs.push(input(reports, &index));
                page.autobahn.push(run);
            }
            Err(e) => page.problems.push(e),
        }
    }
    let tsv = reports.join("fuzz/summary.tsv");
    if tsv.exists() {
        match read_fuzz(reports, &tsv) {
            Ok(fuzz) => {
                page.inputs.push(input(reports, &tsv));
                page.fuzz = Some(fuzz);
            }
            Err(e) => page.problems.push(e),
        }
    }
    for file in bench_files(reports) {
        let read = match BenchKind::of(&file) {
            BenchKind::Instructions => read_sourced(reports, &file, "instruction counts")
                .map(|found| page.instructions = Some(found)),
            BenchKind::Peers => read_sourced(reports, &file, "peer comparison")
                .map(|found| page.peers = Some(found)),
            BenchKind::Ratios => read_sourced(reports, &file, "bench results").map(|found| {
                page.benches.push(Bench {
                    source: found.source,
                    produced: found.produced,
                    results: found.file,
                })
            }),
        };
        match read {
            Ok(()) => page.inputs.push(input(reports, &file)),
            Err(e) => page.problems.push(e),
        }
    }
    page
}

/// What a file of `reports/bench/` holds, by its name (the writers'
/// fixed names; any other file is one bench's ratios).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BenchKind {
    /// `instructions.json`: `scripts/bench.sh`'s instruction counts.
    Instructions,
    /// `peers.json`: crates/bench's `compare`.
    Peers,
    /// `<bench>.json`: ratios to a same-run reference.
    Ratios,
}

impl BenchKind {
    /// The kind of `file`.
    pub fn of(file: &Path) -> BenchKind {
        match file.file_name().and_then(|n| n.to_str()) {
            Some("instructions.json") => BenchKind::Instructions,
            Some("peers.json") => BenchKind::Peers,
            _ => BenchKind::Ratios,
        }
    }
}

fn read_sourced<T: serde::de::DeserializeOwned>(
    reports: &Path,
    file: &Path,
    what: &str,
) -> Result<Sourced<T>, String> {
    Ok(Sourced {
        source: relative(reports, file),
        produced: mtime(file),
        file: autobahn::read_json(file, what)?,
    })
}

/// The folders `reports/autobahn*/ROLE/` that hold an `index.json`:
/// `autobahn` first, then the others by name; in each, `server`, `client`,
/// then other roles by name.
pub fn autobahn_dirs(reports: &Path) -> Vec<PathBuf> {
    let mut suites: Vec<String> = subdirs(reports)
        .into_iter()
        .filter(|n| n == "autobahn" || n.starts_with("autobahn-"))
        .collect();
    suites.sort_by_key(|n| (n != "autobahn", n.clone()));
    let mut dirs = Vec::new();
    for suite in suites {
        let mut roles = subdirs(&reports.join(&suite));
        roles.sort_by_key(|r| (r != "server", r != "client", r.clone()));
        for role in roles {
            let dir = reports.join(&suite).join(role);
            if dir.join("index.json").is_file() {
                dirs.push(dir);
            }
        }
    }
    dirs
}

/// The files `reports/bench/*.json`, by name.
pub fn bench_files(reports: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(reports.join("bench"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json") && p.is_file())
        .collect();
    files.sort();
    files
}

fn subdirs(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect()
}

fn read_run(reports: &Path, dir: &Path, baselines: &Path) -> Result<Run, String> {
    let index_path = dir.join("index.json");
    let (agent, index) = autobahn::read_index(&index_path, None)?;
    let id = relative(reports, dir);
    let (suite, role) = id.split_once('/').unwrap_or((&id, ""));
    let (suite, role) = (suite.to_owned(), role.to_owned());

    let mut ids: Vec<&String> = index.keys().collect();
    ids.sort_by(|a, b| cmp_case_ids(a, b));
    let mut behavior = zeroed();
    let mut behavior_close = BTreeMap::new();
    let mut groups: Vec<Group> = Vec::new();
    let mut cases = Vec::new();
    for id in ids {
        let entry = &index[id];
        *behavior.entry(entry.behavior.clone()).or_default() += 1;
        *behavior_close
            .entry(entry.behavior_close.clone())
            .or_default() += 1;
        let name = group_of(id);
        if groups.last().map(|g| g.group.as_str()) != Some(name) {
            groups.push(Group {
                group: name.to_owned(),
                total: 0,
                passing: 0,
                behavior: zeroed(),
            });
        }
        let group = groups.last_mut().expect("pushed above");
        group.total += 1;
        if autobahn::passes(&entry.behavior) && autobahn::passes(&entry.behavior_close) {
            group.passing += 1;
        }
        *group.behavior.entry(entry.behavior.clone()).or_default() += 1;
        cases.push(Case {
            id: id.clone(),
            behavior: entry.behavior.clone(),
            behavior_close: entry.behavior_close.clone(),
            link: case_link(reports, dir, entry.reportfile.as_deref()),
        });
    }

    let expected_file = baselines.join(format!("expected-{role}.json"));
    let expected = if agent == BASELINE_AGENT {
        autobahn::read_expected(&expected_file)?
    } else {
        None
    };
    let baseline = match expected {
        None => None,
        Some(expected) => {
            let actual: BTreeMap<String, Outcome> = index
                .iter()
                .map(|(id, e)| (id.clone(), e.outcome()))
                .collect();
            let not_run = expected
                .keys()
                .filter(|id| !index.contains_key(*id))
                .count();
            let mut ran = expected;
            ran.retain(|id, _| index.contains_key(id));
            let changes = Changes::between(&ran, &actual, |id| {
                index.get(id).and_then(|e| autobahn::case_result(dir, e))
            });
            Some(Baseline {
                file: format!("autobahn/expected-{role}.json"),
                regressions: changes.regressions.len(),
                improvements: changes.improvements.len(),
                new: changes.new.len(),
                not_run,
                regression_lines: changes.regressions,
            })
        }
    };

    let html = dir.join("index.html");
    Ok(Run {
        id,
        suite,
        role,
        agent,
        index: relative(reports, &index_path),
        html: html.is_file().then(|| relative(reports, &html)),
        produced: mtime(&index_path),
        total: index.len(),
        behavior,
        behavior_close,
        groups,
        baseline,
        cases,
    })
}

/// The five verdicts at zero, so that every table has its five columns.
fn zeroed() -> BTreeMap<String, usize> {
    BEHAVIORS.iter().map(|b| (b.to_string(), 0)).collect()
}

/// wstest writes `x.json` and `x.html` per case; the page links the HTML.
fn case_link(reports: &Path, dir: &Path, reportfile: Option<&str>) -> Option<String> {
    let json = dir.join(reportfile?);
    let html = json.with_extension("html");
    [html, json]
        .into_iter()
        .find(|p| p.is_file())
        .map(|p| relative(reports, &p))
}

fn read_fuzz(reports: &Path, tsv: &Path) -> Result<Fuzz, String> {
    let text = std::fs::read_to_string(tsv)
        .map_err(|e| format!("cannot read the fuzz summary {}: {e}", tsv.display()))?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let columns: Vec<String> = lines
        .next()
        .ok_or_else(|| format!("the fuzz summary {} is empty", tsv.display()))?
        .split('\t')
        .map(str::to_owned)
        .collect();
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect();
    if let Some(bad) = rows.iter().find(|r| r.len() != columns.len()) {
        return Err(format!(
            "the fuzz summary {} has a row of {} cells under {} columns: {}",
            tsv.display(),
            bad.len(),
            columns.len(),
            bad.join(" ")
        ));
    }
    let campaign = std::fs::read_to_string(tsv.with_file_name("campaign.txt"))
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    Ok(Fuzz {
        source: relative(reports, tsv),
        produced: mtime(tsv),
        campaign,
        columns,
        rows,
    })
}

fn input(reports: &Path, path: &Path) -> Input {
    Input {
        path: relative(reports, path),
        produced: mtime(path),
    }
}

/// `path` relative to `reports`, with `/`: how the page links it.
pub fn relative(reports: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(reports).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// A file's modification time, as the page shows it.
pub fn mtime(path: &Path) -> String {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map(utc)
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// `2024-05-01 13:02:07 UTC`.
pub fn utc(time: SystemTime) -> String {
    const FORMAT: &[BorrowedFormatItem<'_>] =
        format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    OffsetDateTime::from(time)
        .format(FORMAT)
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// The checkout's commit (`git rev-parse`), `+ local changes` when the
/// tracked files differ from it; `None` outside a git checkout.
pub fn git_commit(dir: &Path) -> Option<String> {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let commit = git(&["rev-parse", "--short=12", "HEAD"])?;
    let dirty =
        git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    Some(if dirty {
        format!("{commit} + local changes")
    } else {
        commit
    })
}

#[cfg(test)]
mod tests;
