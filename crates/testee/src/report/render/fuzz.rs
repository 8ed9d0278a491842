//! The fuzzing section: the last campaign's table, a row per target.

use super::html::{el, keyed, link, missing, produced, table, th, thousands, tr};
use crate::report::Fuzz;

/// The section's content.
pub(super) fn section(fuzz: Option<&Fuzz>) -> String {
    let Some(f) = fuzz else {
        return missing("fuzz", "no fuzz campaign found: run scripts/fuzz.sh");
    };
    let campaign = match &f.campaign {
        Some(c) => keyed("fuzz:campaign", c, None),
        None => "last campaign".to_owned(),
    };
    let mut out = el(
        "p",
        &[("class", Some("muted"))],
        &format!(
            "{campaign} · {} · {}",
            produced("fuzz:produced", &f.produced),
            link(&f.source, &f.source)
        ),
    );
    let head: Vec<String> = f.columns.iter().map(|c| th(label(c))).collect();
    let crashes = f.columns.iter().position(|c| c == "crashes");
    let rows: Vec<String> = f
        .rows
        .iter()
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(i, cell)| {
                    let key = format!("fuzz:{}:{}", row[0], f.columns[i]);
                    if i == 0 {
                        return keyed(&key, cell, None);
                    }
                    let crashed = Some(i) == crashes && cell != "0";
                    keyed(&key, &thousands(cell), crashed.then_some("fail"))
                })
                .collect();
            tr(&cells)
        })
        .collect();
    out += &table(
        &[("id", Some("fuzz-table")), ("class", Some("sortable"))],
        &head,
        &rows,
    );
    out
}

/// libFuzzer's column names in words.
fn label(column: &str) -> &str {
    match column {
        "cov" => "coverage",
        "ft" => "features",
        other => other,
    }
}
