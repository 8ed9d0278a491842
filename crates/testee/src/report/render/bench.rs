//! The benchmarks section: per ratio file a bar chart (SVG) and a table
//! of times, then the instruction counts and the peer comparison.

use super::html::{duration_ns, el, escape, keyed, link, missing, produced, table, th, tr};
use crate::report::{Bench, Page};

mod instructions;
mod peers;

/// The section's content.
pub(super) fn section(page: &Page) -> String {
    if page.benches.is_empty() && page.instructions.is_none() && page.peers.is_none() {
        return missing(
            "bench",
            "no benchmark results found: run cargo bench -p rfc6455 (writes reports/bench/*.json)",
        );
    }
    let mut out: String = page.benches.iter().map(ratios).collect();
    if let Some(found) = &page.instructions {
        out += &instructions::section(found);
    }
    if let Some(found) = &page.peers {
        out += &peers::section(found);
    }
    out
}

/// One ratio file: what the ratio means, a bar per row, the times.
fn ratios(b: &Bench) -> String {
    let r = &b.results;
    let k = format!("bench:{}:", r.bench);
    let better = if r.higher_is_better {
        "higher"
    } else {
        "lower"
    };
    let command = match &r.command {
        Some(c) => format!(" · {}", el("code", &[], &escape(c))),
        None => String::new(),
    };
    let mut out = el("h3", &[], &escape(&r.bench));
    out += &el(
        "p",
        &[("class", Some("muted"))],
        &format!(
            "ratio = {} ({better} is better; 1 = the reference), times: {} · {} · {}{command}",
            escape(&r.ratio),
            escape(r.statistic.as_deref().unwrap_or("as measured")),
            produced(&format!("{k}produced"), &b.produced),
            link(&b.source, &b.source),
        ),
    );
    out += &chart(b, &k);
    let head = ["benchmark", "time", "reference", "reference time", "ratio"].map(th);
    let rows: Vec<String> = r
        .rows
        .iter()
        .map(|row| {
            let kr = format!("{k}{}:", row.name);
            tr(&[
                escape(&row.name),
                keyed(&format!("{kr}time"), &duration_ns(row.time_ns), None),
                escape(&row.reference),
                keyed(
                    &format!("{kr}reference_time"),
                    &duration_ns(row.reference_ns),
                    None,
                ),
                keyed(&format!("{kr}ratio"), &format!("{:.2}", row.ratio), None),
            ])
        })
        .collect();
    let times = table(&[("class", Some("sortable"))], &head, &rows);
    out + &el("details", &[], &(el("summary", &[], "times") + &times)) + "\n"
}

/// A bar per row, its length the ratio; the dashed line is 1.
fn chart(b: &Bench, k: &str) -> String {
    const LABEL: f64 = 230.0;
    const BAR: f64 = 420.0;
    const ROW: f64 = 18.0;
    const TOP: f64 = 6.0;
    let rows = &b.results.rows;
    let max = rows.iter().map(|r| r.ratio).fold(1.0, f64::max) * 1.08;
    let scale = BAR / max;
    let bottom = TOP + ROW * rows.len() as f64;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" role=\"img\">\n",
        LABEL + BAR + 60.0,
        bottom + TOP + 14.0
    );
    for (i, r) in rows.iter().enumerate() {
        let y = TOP + i as f64 * ROW;
        let name = escape(&r.name);
        let key = escape(&format!("{k}{}:", r.name));
        out += &format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{name}</text>\
             <rect class=\"bar\" x=\"{LABEL}\" y=\"{}\" height=\"{}\" width=\"{:.2}\" \
             data-key=\"{key}bar\" data-scale=\"{scale:.6}\"></rect>\
             <text x=\"{:.2}\" y=\"{}\" data-key=\"{key}ratio\">{:.2}</text>\n",
            LABEL - 6.0,
            y + 13.0,
            y + 3.0,
            ROW - 6.0,
            r.ratio * scale,
            LABEL + r.ratio * scale + 4.0,
            y + 13.0,
            r.ratio,
        );
    }
    let one = LABEL + scale;
    out += &format!(
        "<line class=\"refline\" x1=\"{one:.2}\" x2=\"{one:.2}\" y1=\"2\" y2=\"{}\"></line>\
         <text x=\"{one:.2}\" y=\"{}\" text-anchor=\"middle\">1</text>\n</svg>\n",
        bottom + 2.0,
        bottom + 13.0,
    );
    out
}
