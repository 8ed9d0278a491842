//! The peer comparison of crates/bench (`compare`): per workload, each
//! echo server's medians and its headline figure over fastwebsockets'.

use crate::report::render::html::{
    count, decimal, el, escape, keyed, link, produced, table, th, tr,
};
use crate::report::Sourced;
use rfc6455_test_support::report::peers::{ImplResult, PeersFile, WorkloadResult};

/// The columns: the key's last part (the file's field), the header, the
/// decimals shown, and where the value is.
type Column = (
    &'static str,
    &'static str,
    usize,
    fn(&ImplResult) -> Option<f64>,
);

const COLUMNS: [Column; 6] = [
    ("server_cpu_us_per_msg", "server CPU µs/msg", 3, |i| {
        i.median.server_cpu_us_per_msg
    }),
    ("msgs_per_s", "msgs/s", 0, |i| i.median.msgs_per_s),
    ("p50_us", "p50 µs", 1, |i| i.median.p50_us),
    ("p99_us", "p99 µs", 1, |i| i.median.p99_us),
    ("rss_per_connection", "RSS B/conn", 0, |i| {
        i.median.rss_per_connection
    }),
    ("ratio_vs_fastwebsockets", "vs fastws", 2, |i| {
        i.ratio_vs_fastwebsockets
    }),
];

/// The comparison's heading, the machine and settings, a table per
/// workload.
pub(super) fn section(found: &Sourced<PeersFile>) -> String {
    let f = &found.file;
    let pinned = if f.machine.pinned {
        "pinned"
    } else {
        "not pinned"
    };
    let mut out = el("h3", &[], "peers");
    out += &el(
        "p",
        &[("class", Some("muted"))],
        &format!(
            "Echo servers of rfc6455 and its peers under the same load (crates/bench \
             compare): medians of {} round(s) of {} s on {} ({} CPUs, {pinned}) · {} · {}",
            f.settings.rounds,
            f.settings.duration_s,
            escape(&f.machine.cpu_model),
            f.machine.cpus,
            produced("peers:produced", &found.produced),
            link(&found.source, &found.source),
        ),
    );
    out + &f.workloads.iter().map(workload).collect::<String>()
}

fn workload(w: &WorkloadResult) -> String {
    let out = el(
        "p",
        &[],
        &format!(
            "{} {}: vs fastws is the {} over fastwebsockets' (below 1 is better)",
            el("strong", &[], &escape(&w.title)),
            el("code", &[], &escape(&w.key)),
            escape(&w.ratio_of),
        ),
    );
    let mut head = vec![th("implementation")];
    head.extend(COLUMNS.iter().map(|c| th(c.1)));
    head.push(th("failed rounds"));
    let mut names: Vec<&String> = w.order.iter().collect();
    names.extend(w.implementations.keys().filter(|n| !w.order.contains(n)));
    let rows: Vec<String> = names
        .into_iter()
        .filter_map(|name| Some((name, w.implementations.get(name)?)))
        .map(|(name, i)| {
            let k = format!("peers:{}:{name}:", w.key);
            let mut cells = vec![escape(name)];
            for (field, _, decimals, value) in COLUMNS {
                cells.push(keyed(
                    &format!("{k}{field}"),
                    &decimal(value(i), decimals),
                    None,
                ));
            }
            let failed = (i.failed_rounds > 0).then_some("fail");
            cells.push(format!(
                "{} / {}",
                count(&format!("{k}failed_rounds"), i.failed_rounds, failed),
                count(&format!("{k}rounds"), i.rounds.len(), Some("plain"))
            ));
            tr(&cells)
        })
        .collect();
    out + &table(&[("class", Some("sortable"))], &head, &rows)
}
