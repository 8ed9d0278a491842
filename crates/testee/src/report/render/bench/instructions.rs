//! The instruction counts of `scripts/bench.sh`: a row per benchmark,
//! now against the baseline.

use crate::report::render::html::{el, escape, keyed, link, produced, table, th, thousands, tr};
use crate::report::Sourced;
use rfc6455_test_support::report::instructions::{InstructionsFile, Verdict};

/// The counts' heading, what they are, and their table.
pub(super) fn section(found: &Sourced<InstructionsFile>) -> String {
    let f = &found.file;
    let mut out = el("h3", &[], "instructions");
    out += &el(
        "p",
        &[("class", Some("muted"))],
        &format!(
            "Callgrind {} per benchmark (scripts/bench.sh), mode {}, baseline {}, a change \
             beyond {}% counts · {} · {}",
            escape(&f.event),
            escape(&f.mode),
            escape(f.baseline.as_deref().unwrap_or("none")),
            f.limit_pct,
            produced("instructions:produced", &found.produced),
            link(&found.source, &found.source),
        ),
    );
    let head = ["benchmark", "baseline", "now", "change %", "verdict"].map(th);
    let rows: Vec<String> = f
        .rows
        .iter()
        .map(|r| {
            let k = format!("instructions:{}:", r.name);
            let baseline = r
                .baseline
                .map_or("-".to_owned(), |b| thousands(&b.to_string()));
            let change = r.change_pct.map_or("-".to_owned(), |c| format!("{c:+.2}"));
            let verdict = r.verdict.map_or("-", Verdict::as_str);
            let class = (r.verdict == Some(Verdict::Regression)).then_some("fail");
            tr(&[
                escape(&r.name),
                keyed(&format!("{k}baseline"), &baseline, None),
                keyed(&format!("{k}now"), &thousands(&r.now.to_string()), None),
                keyed(&format!("{k}change_pct"), &change, None),
                keyed(&format!("{k}verdict"), verdict, class),
            ])
        })
        .collect();
    out + &table(&[("class", Some("sortable"))], &head, &rows)
}
