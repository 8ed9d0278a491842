//! Wall clock, for information: criterion's estimate of the change in
//! mean time of every benchmark compared with a baseline, read from the
//! `change/estimates.json` files criterion leaves under
//! `target/criterion/` after a `--baseline` run.

use serde::Deserialize;
use std::fmt::Write as _;
use std::io;
use std::path::Path;

#[derive(Deserialize)]
struct Estimates {
    mean: Estimate,
}

#[derive(Deserialize)]
struct Estimate {
    point_estimate: f64,
    confidence_interval: Interval,
}

#[derive(Deserialize)]
struct Interval {
    lower_bound: f64,
    upper_bound: f64,
}

/// One benchmark's change in mean time, in percent.
#[derive(Debug, PartialEq, PartialOrd)]
pub struct Change {
    /// The benchmark's folder under criterion's, `group/function/input`.
    pub name: String,
    /// The point estimate.
    pub point: f64,
    /// The 95% interval's lower bound.
    pub lower: f64,
    /// The 95% interval's upper bound.
    pub upper: f64,
}

/// Every `change/estimates.json` under `root`, sorted by benchmark.
pub fn changes(root: &Path) -> io::Result<Vec<Change>> {
    let mut changes = Vec::new();
    walk(root, root, &mut changes)?;
    changes.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    Ok(changes)
}

fn walk(root: &Path, dir: &Path, changes: &mut Vec<Change>) -> io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        // Like os.walk: a missing or unreadable folder holds nothing.
        Err(_) => return Ok(()),
    };
    for entry in entries {
        let path = entry?.path();
        if !path.is_dir() {
            continue;
        }
        let estimates = path.join("estimates.json");
        if path.file_name().is_some_and(|n| n == "change") && estimates.is_file() {
            let text = std::fs::read_to_string(&estimates)?;
            let mean = serde_json::from_str::<Estimates>(&text)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?
                .mean;
            let bench = path.parent().unwrap_or(dir);
            let name = bench.strip_prefix(root).unwrap_or(bench);
            changes.push(Change {
                name: name.to_string_lossy().into_owned(),
                point: mean.point_estimate * 100.0,
                lower: mean.confidence_interval.lower_bound * 100.0,
                upper: mean.confidence_interval.upper_bound * 100.0,
            });
        }
        walk(root, &path, changes)?;
    }
    Ok(())
}

/// The table `scripts/bench.sh --wall --compare` prints.
pub fn table(changes: &[Change]) -> String {
    let mut out = String::from(
        "\nwall clock (for information): criterion's change in mean time, 95% interval\n",
    );
    for c in changes {
        let _ = writeln!(
            out,
            "{:<40} {:>+7.1}%  [{:+.1}%, {:+.1}%]",
            c.name, c.point, c.lower, c.upper
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_criterion_change_estimates() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/criterion");
        let changes = changes(&root).unwrap();
        assert_eq!(changes.len(), 2, "{changes:?}");
        assert_eq!(
            table(&changes),
            "\nwall clock (for information): criterion's change in mean time, 95% interval\n\
             masking/avx2/4096                           +2.5%  [-0.5%, +5.1%]\n\
             masking/scalar/4096                        -10.0%  [-12.0%, -8.0%]\n"
        );
    }
}
