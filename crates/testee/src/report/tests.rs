//! The page's data from the fixtures of `tests/data/report/`, its HTML
//! (checked as written), and the checker on hand-made DOMs (the browser
//! run is `scripts/report.sh --check`).

use super::check::{check, expected_values, shown_values, Expect};
use super::render::html::{decimal, duration_ns, escape, thousands};
use super::*;
use rfc6455_test_support::report::instructions::Verdict;
use std::time::UNIX_EPOCH;

fn fixture() -> (PathBuf, PathBuf) {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/report");
    (base.join("reports"), base.join("autobahn"))
}

fn run<'a>(page: &'a Page, id: &str) -> &'a Run {
    page.autobahn.iter().find(|r| r.id == id).expect(id)
}

#[test]
fn runs_are_found_in_order() {
    let (reports, baselines) = fixture();
    let page = collect(&reports, &baselines);
    let ids: Vec<&str> = page.autobahn.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "autobahn/server",
            "autobahn/client",
            "autobahn-hyper_echo/server",
            "autobahn-tls/server"
        ]
    );
    assert!(page.problems.is_empty(), "{:?}", page.problems);
    assert_eq!(page.inputs.len(), 4 + 1 + 4);
}

#[test]
fn counts_per_behavior_and_group() {
    let (reports, baselines) = fixture();
    let page = collect(&reports, &baselines);
    let server = run(&page, "autobahn/server");
    assert_eq!(server.agent, "rfc6455");
    assert_eq!(server.total, 13);
    let counts: Vec<(&str, usize)> = BEHAVIORS
        .iter()
        .map(|b| (*b, server.behavior[*b]))
        .collect();
    assert_eq!(
        counts,
        [
            ("OK", 8),
            ("NON-STRICT", 2),
            ("INFORMATIONAL", 1),
            ("UNIMPLEMENTED", 1),
            ("FAILED", 1)
        ]
    );
    let groups: Vec<(&str, usize, usize)> = server
        .groups
        .iter()
        .map(|g| (g.group.as_str(), g.passing, g.total))
        .collect();
    assert_eq!(
        groups,
        [
            ("1", 3, 3),
            ("2", 2, 2),
            ("5", 1, 1),
            ("6", 0, 2),
            ("7", 1, 1),
            ("9", 2, 2),
            ("12", 0, 1),
            ("13", 0, 1)
        ]
    );
    // Another verdict gets its own count; the five stay at zero.
    let hyper = run(&page, "autobahn-hyper_echo/server");
    assert_eq!(hyper.behavior["WRONG CODE"], 1);
    assert_eq!(hyper.behavior["FAILED"], 0);
    assert_eq!(hyper.behavior_close["UNCLEAN"], 1);
}

#[test]
fn links_go_to_wstest_pages() {
    let (reports, baselines) = fixture();
    let page = collect(&reports, &baselines);
    let server = run(&page, "autobahn/server");
    assert_eq!(server.html.as_deref(), Some("autobahn/server/index.html"));
    assert_eq!(server.index, "autobahn/server/index.json");
    let link = |id: &str| {
        let case = server.cases.iter().find(|c| c.id == id).unwrap();
        case.link.clone()
    };
    assert_eq!(
        link("6.4.3").as_deref(),
        Some("autobahn/server/rfc6455_case_6_4_3.html")
    );
    // Only the JSON: link that; neither: no link.
    assert_eq!(
        link("12.1.1").as_deref(),
        Some("autobahn/server/rfc6455_case_12_1_1.json")
    );
    assert_eq!(link("2.1"), None);
    assert_eq!(run(&page, "autobahn/client").html, None);
    // Cases in numeric order.
    let ids: Vec<&str> = server.cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(&ids[..4], ["1.1.1", "1.1.2", "1.2.1", "2.1"]);
    assert_eq!(ids[ids.len() - 3..], ["9.10.1", "12.1.1", "13.1.1"]);
}

#[test]
fn baseline_over_the_cases_run() {
    let (reports, baselines) = fixture();
    let page = collect(&reports, &baselines);
    let b = run(&page, "autobahn/server").baseline.clone().unwrap();
    assert_eq!(b.file, "autobahn/expected-server.json");
    assert_eq!(
        (b.regressions, b.improvements, b.new, b.not_run),
        (1, 1, 1, 1)
    );
    assert!(
        b.regression_lines[0].starts_with("6.4.3    behavior OK -> NON-STRICT"),
        "{:?}",
        b.regression_lines
    );
    // The case's own report says why.
    assert!(b.regression_lines[0].contains("fixture result of 6.4.3"));
    // A TLS run of some cases is not blamed for the others.
    let tls = run(&page, "autobahn-tls/server").baseline.clone().unwrap();
    assert_eq!((tls.regressions, tls.not_run), (0, 9));
    // Another agent's run is not held to our baseline.
    assert_eq!(run(&page, "autobahn-hyper_echo/server").baseline, None);
    let client = run(&page, "autobahn/client").baseline.clone().unwrap();
    assert_eq!((client.regressions, client.not_run), (0, 0));
}

#[test]
fn fuzz_and_bench_tables() {
    let (reports, baselines) = fixture();
    let page = collect(&reports, &baselines);
    let fuzz = page.fuzz.clone().unwrap();
    assert_eq!(fuzz.source, "fuzz/summary.tsv");
    assert_eq!(fuzz.columns[..3], ["target", "executions", "exec/s"]);
    assert_eq!(fuzz.rows.len(), 3);
    assert_eq!(fuzz.rows[2][0], "deflate");
    assert!(fuzz.campaign.unwrap().starts_with("fuzz campaign: 300s"));
    let names: Vec<&str> = page
        .benches
        .iter()
        .map(|b| b.results.bench.as_str())
        .collect();
    assert_eq!(names, ["deflate", "mask"]);
    let mask = &page.benches[1];
    assert_eq!(mask.source, "bench/mask.json");
    assert!(mask.results.higher_is_better);
    assert_eq!(mask.results.rows[2].name, "avx2/4KiB");
    assert_eq!(mask.results.rows[2].ratio, 1.62);
}

#[test]
fn missing_inputs_are_no_failure() {
    let empty = std::env::temp_dir().join(format!("report-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let page = collect(&empty, &empty);
    assert!(page.autobahn.is_empty() && page.fuzz.is_none() && page.benches.is_empty());
    assert!(page.problems.is_empty());
    let html = render(&page);
    for sentence in [
        "no Autobahn run found",
        "no fuzz campaign found",
        "no input found",
    ] {
        assert!(html.contains(sentence), "{sentence}");
    }
    assert!(check(&html, &empty, &empty).errors.is_empty());
    // What the checker then expects: the three sentences, nothing else.
    let keys: Vec<String> = expected_values(&empty, &empty)
        .unwrap()
        .into_keys()
        .collect();
    assert_eq!(
        keys,
        [
            "missing:autobahn",
            "missing:bench",
            "missing:fuzz",
            "missing:inputs"
        ]
    );
    std::fs::remove_dir_all(&empty).unwrap();
}

#[test]
fn unreadable_inputs_become_problems() {
    let dir = std::env::temp_dir().join(format!("report-bad-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("autobahn/server")).unwrap();
    std::fs::create_dir_all(dir.join("bench")).unwrap();
    std::fs::write(dir.join("autobahn/server/index.json"), "{not json").unwrap();
    std::fs::write(dir.join("bench/mask.json"), "{}").unwrap();
    let page = collect(&dir, &dir);
    assert_eq!(page.problems.len(), 2, "{:?}", page.problems);
    assert!(page.autobahn.is_empty() && page.benches.is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_page_escapes_what_it_shows() {
    let (reports, baselines) = fixture();
    let mut page = collect(&reports, &baselines);
    page.commit = Some("</script><script>alert(1)</script>".into());
    let html = render(&page);
    assert_eq!(
        html.matches("<script>").count(),
        1,
        "only the sorting script"
    );
    assert!(html.contains("&lt;/script&gt;&lt;script&gt;alert(1)"));
    // A benchmark's name from instructions.json, in a key and in a cell.
    assert!(html.contains("utf8::validate(&lt;ascii &amp; more&gt;)"));
    assert!(!html.contains("http://") || html.contains("http://www.w3.org/2000/svg"));
    assert!(!html.contains("https://"), "no network");
    assert!(html.contains("<style>") && html.contains("<svg"));
}

#[test]
fn escape_covers_text_and_attributes() {
    assert_eq!(
        escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
        "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
    );
    assert_eq!(escape("6.4.3 · µs"), "6.4.3 · µs");
    assert_eq!(escape("&amp;"), "&amp;amp;", "escaped once more, not left");
}

#[test]
fn numbers_are_formatted_as_the_checker_reads_them() {
    assert_eq!(thousands("1234567"), "1,234,567");
    assert_eq!(thousands("999"), "999");
    assert_eq!(thousands("?"), "?");
    assert_eq!(decimal(Some(1234567.84), 1), "1,234,567.8");
    assert_eq!(decimal(Some(-1234.5), 0), "-1,234");
    assert_eq!(decimal(Some(-0.001), 2), "0.00");
    assert_eq!(decimal(None, 2), "-");
    assert_eq!(duration_ns(77.14), "77.1 ns");
    assert_eq!(duration_ns(14250.0), "14.25 µs");
    assert_eq!(duration_ns(7.891e6), "7.89 ms");
    assert_eq!(duration_ns(1.234e9), "1.23 s");
}

/// The page as written holds every number: the checker passes it
/// without a browser, and catches a number changed in it.
#[test]
fn the_written_page_shows_what_its_inputs_hold() {
    let (reports, baselines) = fixture();
    let html = render(&collect(&reports, &baselines));
    let good = check(&html, &reports, &baselines);
    assert!(good.errors.is_empty(), "{:#?}", good.errors);
    assert_eq!(
        good.keys,
        expected_values(&reports, &baselines).unwrap().len()
    );
    assert!(good.matched >= good.keys && good.links > 20);

    let shown = "<span data-key=\"run:autobahn/server:b:OK\">8</span>";
    assert!(html.contains(shown));
    let wrong = html.replace(
        shown,
        "<span data-key=\"run:autobahn/server:b:OK\">9</span>",
    );
    let bad = check(&wrong, &reports, &baselines);
    assert_eq!(bad.errors.len(), 1, "{:?}", bad.errors);
    assert!(bad.errors[0].contains("shows `9`, the input says 8"));

    let ratio = "data-key=\"bench:mask:avx2/4KiB:ratio\">1.62<";
    assert_eq!(html.matches(ratio).count(), 2, "in the chart and the table");
    let wrong = html.replacen(ratio, "data-key=\"bench:mask:avx2/4KiB:ratio\">1.72<", 1);
    assert_eq!(check(&wrong, &reports, &baselines).errors.len(), 1);
}

#[test]
fn instructions_and_peers_are_shown_not_problems() {
    let (reports, baselines) = fixture();
    let page = collect(&reports, &baselines);
    let instructions = page.instructions.clone().unwrap();
    assert_eq!(instructions.source, "bench/instructions.json");
    assert_eq!(instructions.file.rows[0].verdict, Some(Verdict::Regression));
    assert_eq!(instructions.file.rows[2].baseline, None);
    let peers = page.peers.clone().unwrap();
    assert_eq!(peers.file.workloads[0].order[0], "ours");
    assert_eq!(
        peers.file.workloads[1].implementations["ours"]
            .median
            .rss_per_connection,
        Some(10240.0)
    );
    assert_eq!(page.benches.len(), 2, "the ratio files alone");
    assert_eq!(
        BenchKind::of(Path::new("x/bench/peers.json")),
        BenchKind::Peers
    );
    assert_eq!(BenchKind::of(Path::new("mask.json")), BenchKind::Ratios);

    let expected = expected_values(&reports, &baselines).unwrap();
    let key = "instructions:frame::frame_decode(encoded_header(16)):change_pct";
    assert_eq!(expected[key], Expect::Float(5.0));
    let key = "instructions:utf8::validate(<ascii & more>):change_pct";
    assert_eq!(expected[key], Expect::Text("-".into()));
    let key = "peers:small:tokio-tungstenite:failed_rounds";
    assert_eq!(expected[key], Expect::Int(1));
    let key = "peers:idle:ours:msgs_per_s";
    assert_eq!(expected[key], Expect::Text("-".into()));

    let html = render(&page);
    assert!(html.contains("<span data-key=\"peers:small:ours:msgs_per_s\">1,234,568</span>"));
    assert!(
        html.contains("data-key=\"instructions:masking::mask(buffer(4096)):change_pct\">-2.00<")
    );
}

#[test]
fn times_read_as_utc() {
    assert_eq!(utc(UNIX_EPOCH), "1970-01-01 00:00:00 UTC");
    let t = UNIX_EPOCH + std::time::Duration::from_secs(951_827_696);
    assert_eq!(utc(t), "2000-02-29 12:34:56 UTC");
    let t = UNIX_EPOCH + std::time::Duration::from_secs(1_735_689_599);
    assert_eq!(utc(t), "2024-12-31 23:59:59 UTC");
}

#[test]
fn dom_elements_are_read() {
    let dom = r#"<html><body><td><span data-key="run:a/s:b:OK" class="x">1,234</span></td>
<script type="application/json" id="data">{"x": "<span data-key=\"fake\">"}</script>
<rect class="bar" width="61.50" data-key="bench:m:a/4KiB:bar" data-scale="41.000000"></rect>
<a href="autobahn/server/index.html">x &amp; y</a><span data-key='q'>a &lt; b</span></body></html>"#;
    let shown = shown_values(dom);
    let keys: Vec<&str> = shown.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(keys, ["run:a/s:b:OK", "bench:m:a/4KiB:bar", "q"]);
    assert_eq!(shown[0].text, "1,234");
    assert_eq!(shown[1].attrs["width"], "61.50");
    assert_eq!(shown[2].text, "a < b");
}

/// The fixtures' expected values, rendered by hand (not by [`render`]):
/// the checker accepts them, and catches each kind of tampering.
#[test]
fn the_checker_catches_a_wrong_number() {
    let (reports, baselines) = fixture();
    let expected = expected_values(&reports, &baselines).unwrap();
    assert_eq!(expected["run:autobahn/server:regressions"], Expect::Int(1));
    assert_eq!(
        expected["run:autobahn/server:b:WRONG CODE"],
        Expect::Int(0),
        "a verdict of one run is a column of all"
    );
    assert_eq!(expected["fuzz:deflate:cov"], Expect::Text("?".into()));
    let element = |key: &str, e: &Expect| match e {
        Expect::Int(n) => format!("<span data-key=\"{key}\">{n}</span>"),
        Expect::Float(x) => format!("<span data-key=\"{key}\">{x:.2}</span>"),
        Expect::Time(ns) => format!("<span data-key=\"{key}\">{:.2} µs</span>", ns / 1e3),
        Expect::Text(t) => format!(
            "<span data-key=\"{key}\">{}</span>",
            t.replace('&', "&amp;").replace('<', "&lt;")
        ),
        Expect::Bar(r) => format!(
            "<rect data-key=\"{key}\" width=\"{:.2}\" data-scale=\"100\"></rect>",
            r * 100.0
        ),
        Expect::Present => format!("<p data-key=\"{key}\">missing</p>"),
    };
    let page = |tamper: &dyn Fn(&str, &Expect) -> Option<String>| {
        let mut dom = String::from("<body>");
        for (key, e) in &expected {
            dom.push_str(&tamper(key, e).unwrap_or_else(|| element(key, e)));
        }
        dom + "<a href=\"autobahn/server/index.html\">wstest</a></body>"
    };
    let good = check(&page(&|_, _| None), &reports, &baselines);
    assert!(good.errors.is_empty(), "{:#?}", good.errors);
    assert_eq!(good.matched, expected.len());
    assert_eq!(good.links, 1);

    let off_by_one = page(&|key, _| {
        (key == "run:autobahn/server:g:6:NON-STRICT")
            .then(|| format!("<span data-key=\"{key}\">3</span>"))
    });
    let bad = check(&off_by_one, &reports, &baselines);
    assert_eq!(bad.errors.len(), 1, "{:?}", bad.errors);
    assert!(bad.errors[0].contains("shows `3`, the input says 2"));

    let rounded_wrong = page(&|key, _| {
        (key == "bench:mask:avx2/4KiB:ratio")
            .then(|| format!("<span data-key=\"{key}\">1.63</span>"))
    });
    assert_eq!(check(&rounded_wrong, &reports, &baselines).errors.len(), 1);

    let long_bar = page(&|key, _| {
        (key == "bench:deflate:inflate/connection/binary:bar")
            .then(|| format!("<rect data-key=\"{key}\" width=\"130\" data-scale=\"100\"></rect>"))
    });
    assert_eq!(check(&long_bar, &reports, &baselines).errors.len(), 1);

    let dropped = page(&|key, _| (key == "fuzz:frame_parser:executions").then(String::new));
    let bad = check(&dropped, &reports, &baselines);
    assert!(
        bad.errors[0].contains("is not on the page"),
        "{:?}",
        bad.errors
    );

    let dead_link = page(&|_, _| None).replace("index.html\">wstest", "nowhere.html\">wstest");
    assert_eq!(check(&dead_link, &reports, &baselines).errors.len(), 1);
}
