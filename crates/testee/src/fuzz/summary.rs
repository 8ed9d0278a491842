//! The campaign's final table: one row per target, as the TSV that the
//! report page reads (`reports/fuzz/summary.tsv`, parsed by
//! [`crate::report`]; its columns must not change), as the aligned table
//! on the terminal, and the one-line description of the campaign
//! (`reports/fuzz/campaign.txt`). Writes files, runs nothing.

use super::status::Status;
use std::fmt::Write as _;
use std::path::Path;
use time::macros::format_description;
use time::OffsetDateTime;

/// The TSV's header: the report page's columns.
pub const HEADER: &str = "target\texecutions\texec/s\tcov\tft\tcorpus\tcrashes\tseconds";

/// One target's row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The target's name.
    pub target: String,
    /// Its last status line, if libFuzzer printed one.
    pub status: Option<Status>,
    /// Inputs in its working corpus at the end.
    pub corpus: usize,
    /// The crashes it found (kept, or failures with no artifact).
    pub crashes: usize,
    /// How long it ran.
    pub seconds: u64,
}

impl Row {
    /// `frame_parser  418455  59779  316  517  49  0  7`, tab-separated;
    /// `0` executions and exec/s, `?` coverage without a status line.
    pub fn tsv(&self) -> String {
        let known = |field: fn(&Status) -> u64, unknown: &str| {
            self.status
                .as_ref()
                .map_or(unknown.to_owned(), |s| field(s).to_string())
        };
        format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            self.target,
            known(|s| s.execs, "0"),
            known(|s| s.exec_per_sec, "0"),
            known(|s| s.cov, "?"),
            known(|s| s.ft, "?"),
            self.corpus,
            self.crashes,
            self.seconds
        )
    }
}

/// The whole TSV: the header, then a line per row.
pub fn tsv(rows: &[Row]) -> String {
    let mut out = format!("{HEADER}\n");
    for row in rows {
        let _ = writeln!(out, "{}", row.tsv());
    }
    out
}

/// A TSV as an aligned table (`column -t -s TAB`): each column as wide as
/// its widest cell, two spaces apart, the last one unpadded.
pub fn table(tsv: &str) -> String {
    let rows: Vec<Vec<&str>> = tsv
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\t').collect())
        .collect();
    let mut widths: Vec<usize> = Vec::new();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            let width = cell.chars().count();
            match widths.get_mut(i) {
                Some(w) => *w = (*w).max(width),
                None => widths.push(width),
            }
        }
    }
    let mut out = String::new();
    for row in &rows {
        let last = row.len().saturating_sub(1);
        for (i, cell) in row.iter().enumerate() {
            if i == last {
                out.push_str(cell);
            } else {
                let _ = write!(out, "{cell:<width$}  ", width = widths[i]);
            }
        }
        out.push('\n');
    }
    out
}

/// `fuzz campaign: 60s per target, 1 worker(s), sanitizer address,
/// 2024-05-01T13:02Z`
pub fn campaign_line(seconds: u64, jobs: u32, sanitizer: &str, at: OffsetDateTime) -> String {
    let at = at
        .format(format_description!("[year]-[month]-[day]T[hour]:[minute]Z"))
        .unwrap_or_default();
    format!("fuzz campaign: {seconds}s per target, {jobs} worker(s), sanitizer {sanitizer}, {at}")
}

/// Writes `text` to `path`, creating its folder.
pub fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn rows() -> Vec<Row> {
        vec![
            Row {
                target: "frame_parser".to_owned(),
                status: Some(Status {
                    execs: 418455,
                    exec_per_sec: 59779,
                    cov: 316,
                    ft: 517,
                    corpus: 49,
                    crashes: None,
                }),
                corpus: 49,
                crashes: 0,
                seconds: 7,
            },
            Row {
                target: "utf8".to_owned(),
                status: None,
                corpus: 12,
                crashes: 1,
                seconds: 0,
            },
        ]
    }

    #[test]
    fn the_tsv_keeps_the_report_pages_format() {
        assert_eq!(
            tsv(&rows()),
            "target\texecutions\texec/s\tcov\tft\tcorpus\tcrashes\tseconds\n\
             frame_parser\t418455\t59779\t316\t517\t49\t0\t7\n\
             utf8\t0\t0\t?\t?\t12\t1\t0\n"
        );
        assert_eq!(tsv(&[]), format!("{HEADER}\n"));
    }

    #[test]
    fn the_tsv_reads_back_on_the_report_page() {
        let dir = std::env::temp_dir().join(format!("fuzz-summary-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        write(&dir.join("fuzz/summary.tsv"), &tsv(&rows())).unwrap();
        write(&dir.join("fuzz/campaign.txt"), "fuzz campaign: x\n").unwrap();
        let page = crate::report::collect(&dir, &dir.join("no-baselines"));
        let fuzz = page.fuzz.expect("the page reads the campaign");
        assert_eq!(fuzz.columns.len(), 8);
        assert_eq!(fuzz.rows[1], ["utf8", "0", "0", "?", "?", "12", "1", "0"]);
        assert_eq!(fuzz.campaign.as_deref(), Some("fuzz campaign: x"));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_table_lines_up_like_column() {
        assert_eq!(
            table(&tsv(&rows())),
            "target        executions  exec/s  cov  ft   corpus  crashes  seconds\n\
             frame_parser  418455      59779   316  517  49      0        7\n\
             utf8          0           0       ?    ?    12      1        0\n"
        );
    }

    #[test]
    fn the_campaign_in_a_line() {
        assert_eq!(
            campaign_line(60, 1, "address", datetime!(2024-05-01 13:02:59 UTC)),
            "fuzz campaign: 60s per target, 1 worker(s), sanitizer address, 2024-05-01T13:02Z"
        );
    }
}
