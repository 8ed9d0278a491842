//! The page's HTML, written whole here: every table, number and chart is
//! in the file as written, each number in an element whose `data-key`
//! names it for `report check`. The only script (`page.js`) sorts tables
//! when a header is clicked; without it the page shows the same.
//!
//! One file per section; [`html`] holds the escaping and the number
//! formats they share.

mod bench;
mod conformance;
mod fuzz;
pub mod html;

use super::Page;
use html::{el, escape, keyed, link, missing};

/// The page: inline style, the sections, and the sorting script (no
/// network).
pub fn render(page: &Page) -> String {
    format!(
        "<!DOCTYPE html>
<html lang=\"en\">
<head>
<meta charset=\"utf-8\">
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">
<title>rfc6455: conformance, fuzzing, benchmarks</title>
<style>
{css}</style>
</head>
<body>
<header>
<h1>rfc6455 report</h1>
{meta}
{inputs}</header>
<main>
<section id=\"conformance\"><h2>Conformance (Autobahn)</h2>
{conformance}</section>
<section id=\"fuzz\"><h2>Fuzzing</h2>
{fuzz}</section>
<section id=\"bench\"><h2>Benchmarks</h2>
{bench}</section>
</main>
<script>
{js}</script>
</body>
</html>
",
        css = include_str!("../page.css"),
        js = include_str!("../page.js"),
        meta = meta(page),
        inputs = inputs(page),
        conformance = conformance::section(page),
        fuzz = fuzz::section(page.fuzz.as_ref()),
        bench = bench::section(page),
    )
}

/// When the page was written, from which commit.
fn meta(page: &Page) -> String {
    let commit = page
        .commit
        .as_deref()
        .unwrap_or("unknown (not a git checkout)");
    el(
        "p",
        &[("id", Some("meta"))],
        &format!(
            "generated {} from commit {}",
            el(
                "span",
                &[("id", Some("generated"))],
                &escape(&page.generated)
            ),
            el("code", &[("id", Some("commit"))], &escape(commit)),
        ),
    )
}

/// The inputs with the time each was written, then the unreadable ones.
fn inputs(page: &Page) -> String {
    let mut out = String::new();
    if page.inputs.is_empty() {
        out += &missing("inputs", "no input found under reports/");
    } else {
        let items: String = page
            .inputs
            .iter()
            .map(|i| {
                let when = keyed(&format!("input:{}", i.path), &i.produced, None);
                format!("<li>{} {when}</li>\n", link(&i.path, &i.path))
            })
            .collect();
        out += "<p>inputs under reports/, each with the time it was written:</p>\n";
        out += &el("ul", &[], &format!("\n{items}"));
    }
    for problem in &page.problems {
        out += &el("p", &[("class", Some("problem"))], &escape(problem));
    }
    el("div", &[("id", Some("inputs"))], &out) + "\n"
}
