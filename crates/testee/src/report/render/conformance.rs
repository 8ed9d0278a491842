//! The conformance section: a summary row per Autobahn run, the passing
//! cases per group and run, then each run's cases, groups, closing
//! verdicts and baseline comparison.

use super::html::{count, el, escape, link, missing, produced, table, th, tr};
use crate::report::{Page, Run, BEHAVIORS};

/// The section's content.
pub(super) fn section(page: &Page) -> String {
    if page.autobahn.is_empty() {
        return missing("autobahn", "no Autobahn run found: run scripts/autobahn.sh");
    }
    let columns = verdict_columns(&page.autobahn);
    let mut out = el(
        "p",
        &[("class", Some("muted"))],
        &format!(
            "Counts of wstest's behavior verdict per run; a run passes when no case \
             regressed against {}, over the cases it ran. Run names link to wstest's own report.",
            el("code", &[], "autobahn/expected-ROLE.json")
        ),
    );
    out += &summary(page, &columns);
    out += &el("h3", &[], "Passing cases per group");
    out += &groups_matrix(&page.autobahn);
    out += &el("h3", &[], "Runs");
    out += &legend();
    for run in &page.autobahn {
        out += &details(page, run, &columns);
    }
    out
}

/// The five verdicts, then any other verdict a run holds: every run's
/// rows have every column.
fn verdict_columns(runs: &[Run]) -> Vec<String> {
    let mut columns: Vec<String> = BEHAVIORS.iter().map(|b| b.to_string()).collect();
    for run in runs {
        for b in run.behavior.keys() {
            if !columns.contains(b) {
                columns.push(b.clone());
            }
        }
    }
    columns
}

fn verdict_heads(columns: &[String]) -> Vec<String> {
    let heads = columns.iter();
    heads
        .map(|b| el("th", &[("class", Some(&format!("v-{b}")))], &escape(b)))
        .collect()
}

fn summary(page: &Page, columns: &[String]) -> String {
    let mut head = vec![th("run"), th("agent"), th("cases")];
    head.extend(verdict_heads(columns));
    head.push(th("vs baseline"));
    let rows: Vec<String> = page
        .autobahn
        .iter()
        .map(|run| {
            let k = format!("run:{}:", run.id);
            let name = match &run.html {
                Some(html) => link(html, &run.id),
                None => escape(&run.id),
            };
            let mut cells = vec![
                name,
                escape(&run.agent),
                count(&format!("{k}total"), run.total, None),
            ];
            for b in columns {
                let n = run.behavior.get(b).copied().unwrap_or(0);
                cells.push(count(&format!("{k}b:{b}"), n, None));
            }
            cells.push(verdict(page, run, &k));
            tr(&cells)
        })
        .collect();
    table(
        &[
            ("id", Some("conformance-summary")),
            ("class", Some("sortable")),
        ],
        &head,
        &rows,
    )
}

/// PASS or FAIL with the regressions, or why the run is not compared.
fn verdict(page: &Page, run: &Run, k: &str) -> String {
    let Some(baseline) = &run.baseline else {
        let why = if run.agent == page.baseline_agent {
            "no baseline"
        } else {
            "not compared"
        };
        return el("span", &[("class", Some("muted"))], why);
    };
    let r = baseline.regressions;
    let (class, word) = if r == 0 {
        ("pass", "PASS")
    } else {
        ("fail", "FAIL")
    };
    let n = count(&format!("{k}regressions"), r, Some(class));
    let plural = if r == 1 { "" } else { "s" };
    el(
        "span",
        &[("class", Some(class))],
        &format!("{word} {n} regression{plural}"),
    )
}

/// Passing cases (both verdicts OK or INFORMATIONAL) per group and run.
fn groups_matrix(runs: &[Run]) -> String {
    let mut groups: Vec<&str> = Vec::new();
    for run in runs {
        for g in &run.groups {
            if !groups.contains(&g.group.as_str()) {
                groups.push(&g.group);
            }
        }
    }
    groups.sort_by(|a, b| {
        let n = |s: &str| s.parse::<u64>().unwrap_or(u64::MAX);
        n(a).cmp(&n(b)).then(a.cmp(b))
    });
    let mut head = vec![th("group")];
    head.extend(runs.iter().map(|r| th(&r.id)));
    let rows: Vec<String> = groups
        .iter()
        .map(|g| {
            let mut row = format!("<tr><td>{}.*</td>", escape(g));
            for run in runs {
                let Some(found) = run.groups.iter().find(|x| x.group == *g) else {
                    row += "<td class=\"muted\">-</td>";
                    continue;
                };
                let k = format!("run:{}:g:{g}:", run.id);
                let class = if found.passing == found.total {
                    "cell-all"
                } else {
                    "cell-some"
                };
                let passing = count(&format!("{k}passing"), found.passing, Some("plain"));
                let total = count(&format!("{k}total"), found.total, Some("plain"));
                row += &el(
                    "td",
                    &[("class", Some(class))],
                    &format!("{passing} / {total}"),
                );
            }
            row + "</tr>\n"
        })
        .collect();
    table(&[("id", Some("conformance-groups"))], &head, &rows)
}

fn legend() -> String {
    let mut out = String::from("Each square is a case, linked to its wstest page:");
    for b in BEHAVIORS.iter().chain(&["other"]) {
        out += &format!("<span class=\"key b-{b}\"></span>{b}");
    }
    el("p", &[("class", Some("legend muted"))], &out)
}

/// One run, collapsed when there are more than two.
fn details(page: &Page, run: &Run, columns: &[String]) -> String {
    let k = format!("run:{}:", run.id);
    let mut out = el(
        "summary",
        &[],
        &format!(
            "{} {}",
            escape(&run.id),
            el(
                "span",
                &[("class", Some("muted"))],
                &format!(
                    "({}, agent {}, {})",
                    escape(&run.role),
                    escape(&run.agent),
                    produced(&format!("{k}produced"), &run.produced)
                )
            )
        ),
    );
    out += &cases(run);
    out += &group_table(run, columns, &k);
    out += &closing(run, &k);
    out += &baseline(page, run, &k);
    let wstest = match &run.html {
        Some(html) => link(html, "wstest's report"),
        None => "no wstest index.html".to_owned(),
    };
    out += &el(
        "p",
        &[],
        &format!("{wstest} · {}", link(&run.index, &run.index)),
    );
    let open = (page.autobahn.len() <= 2).then_some("");
    el("details", &[("open", open)], &out) + "\n"
}

/// A square per case, coloured by its verdict, linked to wstest's page.
fn cases(run: &Run) -> String {
    let squares: String = run
        .cases
        .iter()
        .map(|c| {
            let verdict = if BEHAVIORS.contains(&c.behavior.as_str()) {
                c.behavior.as_str()
            } else {
                "other"
            };
            let class = format!("b-{verdict}");
            let title = format!("{}: {} / {}", c.id, c.behavior, c.behavior_close);
            match &c.link {
                Some(href) => el(
                    "a",
                    &[
                        ("href", Some(href)),
                        ("class", Some(&class)),
                        ("title", Some(&title)),
                    ],
                    "",
                ),
                None => el(
                    "span",
                    &[("class", Some(&class)), ("title", Some(&title))],
                    "",
                ),
            }
        })
        .collect();
    el("div", &[("class", Some("cases"))], &squares)
}

fn group_table(run: &Run, columns: &[String], k: &str) -> String {
    let mut head = vec![th("group"), th("cases")];
    head.extend(verdict_heads(columns));
    let rows: Vec<String> = run
        .groups
        .iter()
        .map(|g| {
            let kg = format!("{k}g:{}:", g.group);
            let mut cells = vec![
                format!("{}.*", escape(&g.group)),
                count(&format!("{kg}total"), g.total, None),
            ];
            for b in columns {
                let n = g.behavior.get(b).copied().unwrap_or(0);
                cells.push(count(&format!("{kg}{b}"), n, None));
            }
            tr(&cells)
        })
        .collect();
    table(&[("class", Some("sortable"))], &head, &rows)
}

/// The closing handshake's verdicts.
fn closing(run: &Run, k: &str) -> String {
    let counts: Vec<String> = run
        .behavior_close
        .iter()
        .map(|(b, n)| {
            format!(
                "{} {}",
                escape(b),
                count(&format!("{k}bc:{b}"), *n, Some("plain"))
            )
        })
        .collect();
    el(
        "p",
        &[("class", Some("muted"))],
        &format!(
            "behaviorClose (the closing handshake's verdict): {}",
            counts.join(", ")
        ),
    )
}

/// The comparison with the baseline, or why there is none.
fn baseline(page: &Page, run: &Run, k: &str) -> String {
    let Some(bl) = &run.baseline else {
        let why = if run.agent != page.baseline_agent {
            format!(
                "Not compared with a baseline: the baselines describe agent {}, this run tested {}.",
                page.baseline_agent, run.agent
            )
        } else {
            format!(
                "No baseline autobahn/expected-{}.json to compare with.",
                run.role
            )
        };
        return el("p", &[("class", Some("muted"))], &escape(&why));
    };
    let class = if bl.regressions == 0 { "pass" } else { "fail" };
    let mut out = el(
        "p",
        &[],
        &format!(
            "Against {}: {} regression(s), {} improvement(s), {} new passing case(s), \
             {} baseline case(s) not in this run.",
            el("code", &[], &escape(&bl.file)),
            count(&format!("{k}regressions"), bl.regressions, Some(class)),
            count(&format!("{k}improvements"), bl.improvements, Some("plain")),
            count(&format!("{k}new"), bl.new, Some("plain")),
            count(&format!("{k}not_run"), bl.not_run, Some("plain")),
        ),
    );
    if !bl.regression_lines.is_empty() {
        let lines: String = bl
            .regression_lines
            .iter()
            .map(|l| el("li", &[], &escape(l)))
            .collect();
        out += &el("ul", &[("class", Some("lines"))], &lines);
    }
    out
}
