// Draws the report from the JSON in script#data. Every number shown sits in
// an element with a data-key attribute (`run:autobahn/server:b:OK`), which
// `report check` compares with the files the JSON was made from.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("data").textContent);
  const BEHAVIORS = ["OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"];
  const SVG = "http://www.w3.org/2000/svg";

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== null && v !== undefined) e.setAttribute(k, v);
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      e.append(c instanceof Node ? c : String(c));
    }
    return e;
  }
  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  // 1234567 -> "1,234,567"; anything that is not a plain integer as is.
  function int(v) {
    const s = String(v);
    return /^\d+$/.test(s) ? s.replace(/\B(?=(\d{3})+(?!\d))/g, ",") : s;
  }
  function num(key, v, cls) {
    return el("span", { "data-key": key, class: cls || (v === 0 ? "zero" : null) }, int(v));
  }
  function time(ns) {
    if (ns < 1e3) return ns.toFixed(1) + " ns";
    if (ns < 1e6) return (ns / 1e3).toFixed(2) + " µs";
    if (ns < 1e9) return (ns / 1e6).toFixed(2) + " ms";
    return (ns / 1e9).toFixed(2) + " s";
  }
  function produced(key, when) {
    return el("span", { class: "produced" }, "produced ", el("span", { "data-key": key }, when));
  }
  function missing(key, text) {
    return el("p", { class: "missing", "data-key": "missing:" + key }, text);
  }
  // The verdict columns: the five, then any other verdict the runs hold.
  function behaviorColumns(runs) {
    const cols = BEHAVIORS.slice();
    for (const run of runs) {
      for (const b of Object.keys(run.behavior)) if (!cols.includes(b)) cols.push(b);
    }
    return cols;
  }
  function verdictClass(b) {
    return BEHAVIORS.includes(b) ? b : "other";
  }

  // --- header -------------------------------------------------------------
  const meta = document.getElementById("meta");
  meta.append("generated ", el("span", { id: "generated" }, data.generated), " from commit ",
    el("code", { id: "commit" }, data.commit || "unknown (not a git checkout)"));

  // --- conformance --------------------------------------------------------
  const conf = document.getElementById("conformance");
  if (data.autobahn.length === 0) {
    conf.append(missing("autobahn", "no Autobahn run found: run scripts/autobahn.sh"));
  } else {
    const cols = behaviorColumns(data.autobahn);
    const head = el("tr", {}, el("th", {}, "run"), el("th", {}, "agent"), el("th", {}, "cases"));
    for (const b of cols) head.append(el("th", { class: "v-" + b }, b));
    head.append(el("th", {}, "vs baseline"));
    const table = el("table", { id: "conformance-summary" }, head);
    for (const run of data.autobahn) {
      const k = "run:" + run.id + ":";
      const name = run.html ? el("a", { href: run.html }, run.id) : run.id;
      const row = el("tr", {}, el("td", {}, name), el("td", { class: "name" }, run.agent),
        el("td", {}, num(k + "total", run.total)));
      for (const b of cols) row.append(el("td", {}, num(k + "b:" + b, run.behavior[b] || 0)));
      let verdict;
      if (!run.baseline) {
        verdict = el("span", { class: "muted" }, run.agent === data.baseline_agent ? "no baseline" : "not compared");
      } else {
        const r = run.baseline.regressions;
        verdict = el("span", { class: r === 0 ? "pass" : "fail" }, r === 0 ? "PASS " : "FAIL ",
          num(k + "regressions", r, r === 0 ? "pass" : "fail"), " regression" + (r === 1 ? "" : "s"));
      }
      row.append(el("td", { class: "name" }, verdict));
      table.append(row);
    }
    conf.append(el("p", { class: "muted" },
      "Counts of wstest's behavior verdict per run; a run passes when no case regressed against ",
      el("code", {}, "autobahn/expected-ROLE.json"), ", over the cases it ran. Run names link to wstest's own report."),
      table);

    // Passing cases (both verdicts OK or INFORMATIONAL) per group and run.
    const groups = [];
    for (const run of data.autobahn) {
      for (const g of run.groups) if (!groups.includes(g.group)) groups.push(g.group);
    }
    groups.sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
    const mhead = el("tr", {}, el("th", {}, "group"));
    for (const run of data.autobahn) mhead.append(el("th", {}, run.id));
    const matrix = el("table", { id: "conformance-groups" }, mhead);
    for (const g of groups) {
      const row = el("tr", {}, el("td", {}, g + ".*"));
      for (const run of data.autobahn) {
        const found = run.groups.find((x) => x.group === g);
        if (!found) {
          row.append(el("td", { class: "muted" }, "-"));
          continue;
        }
        const k = "run:" + run.id + ":g:" + g + ":";
        row.append(el("td", { class: found.passing === found.total ? "cell-all" : "cell-some" },
          num(k + "passing", found.passing, "plain"), " / ", num(k + "total", found.total, "plain")));
      }
      matrix.append(row);
    }
    conf.append(el("h3", {}, "Passing cases per group"), matrix);

    const legend = el("p", { class: "legend muted" }, "Each square is a case, linked to its wstest page:");
    for (const b of BEHAVIORS) legend.append(el("span", { class: "key b-" + b }), b);
    legend.append(el("span", { class: "key b-other" }), "other");
    conf.append(el("h3", {}, "Runs"), legend);

    for (const run of data.autobahn) {
      const k = "run:" + run.id + ":";
      const d = el("details", { open: data.autobahn.length <= 2 ? "" : null },
        el("summary", {}, run.id, " ", el("span", { class: "muted" }, "(" + run.role + ", agent " + run.agent + ", ",
          produced(k + "produced", run.produced), ")")));
      const cases = el("div", { class: "cases" });
      for (const c of run.cases) {
        const title = c.id + ": " + c.behavior + " / " + c.behavior_close;
        const attrs = { class: "b-" + verdictClass(c.behavior), title: title };
        cases.append(c.link ? el("a", Object.assign({ href: c.link }, attrs)) : el("span", attrs));
      }
      d.append(cases);

      const gh = el("tr", {}, el("th", {}, "group"), el("th", {}, "cases"));
      for (const b of cols) gh.append(el("th", { class: "v-" + b }, b));
      const gt = el("table", {}, gh);
      for (const g of run.groups) {
        const row = el("tr", {}, el("td", {}, g.group + ".*"), el("td", {}, num(k + "g:" + g.group + ":total", g.total)));
        for (const b of cols) row.append(el("td", {}, num(k + "g:" + g.group + ":" + b, g.behavior[b] || 0)));
        gt.append(row);
      }
      d.append(gt);

      const close = el("p", { class: "muted" }, "behaviorClose (the closing handshake's verdict):");
      Object.entries(run.behavior_close).forEach(([b, n], i) =>
        close.append(i ? ", " : " ", b + " ", num(k + "bc:" + b, n, "plain")));
      d.append(close);

      if (run.baseline) {
        const bl = run.baseline;
        d.append(el("p", {}, "Against ", el("code", {}, bl.file), ": ",
          num(k + "regressions", bl.regressions, bl.regressions === 0 ? "pass" : "fail"), " regression(s), ",
          num(k + "improvements", bl.improvements, "plain"), " improvement(s), ",
          num(k + "new", bl.new, "plain"), " new passing case(s), ",
          num(k + "not_run", bl.not_run, "plain"), " baseline case(s) not in this run."));
        if (bl.regression_lines.length > 0) {
          const ul = el("ul", { class: "lines" });
          for (const line of bl.regression_lines) ul.append(el("li", {}, line));
          d.append(ul);
        }
      } else if (run.agent !== data.baseline_agent) {
        d.append(el("p", { class: "muted" }, "Not compared with a baseline: the baselines describe agent " +
          data.baseline_agent + ", this run tested " + run.agent + "."));
      } else {
        d.append(el("p", { class: "muted" }, "No baseline autobahn/expected-" + run.role + ".json to compare with."));
      }
      d.append(el("p", {}, run.html ? el("a", { href: run.html }, "wstest's report") : "no wstest index.html",
        " · ", el("a", { href: run.index }, run.index)));
      conf.append(d);
    }
  }

  // --- fuzzing ------------------------------------------------------------
  const fuzz = document.getElementById("fuzz");
  if (!data.fuzz) {
    fuzz.append(missing("fuzz", "no fuzz campaign found: run scripts/fuzz.sh"));
  } else {
    const f = data.fuzz;
    fuzz.append(el("p", { class: "muted" },
      f.campaign ? el("span", { "data-key": "fuzz:campaign" }, f.campaign) : "last campaign",
      " · ", produced("fuzz:produced", f.produced), " · ", el("a", { href: f.source }, f.source)));
    const labels = { "exec/s": "exec/s", cov: "coverage", ft: "features", corpus: "corpus", crashes: "crashes" };
    const head = el("tr", {});
    for (const c of f.columns) head.append(el("th", {}, labels[c] || c));
    const table = el("table", { id: "fuzz-table" }, head);
    const crashCol = f.columns.indexOf("crashes");
    for (const row of f.rows) {
      const tr = el("tr", {});
      row.forEach((cell, i) => {
        const key = "fuzz:" + row[0] + ":" + f.columns[i];
        if (i === 0) {
          tr.append(el("td", {}, el("span", { "data-key": key }, cell)));
        } else {
          const bad = i === crashCol && cell !== "0";
          tr.append(el("td", {}, el("span", { "data-key": key, class: bad ? "fail" : null }, int(cell))));
        }
      });
      table.append(tr);
    }
    fuzz.append(table);
  }

  // --- benchmarks ---------------------------------------------------------
  const bench = document.getElementById("bench");
  if (data.benches.length === 0) {
    bench.append(missing("bench", "no benchmark results found: run cargo bench -p rfc6455 (writes reports/bench/*.json)"));
  }
  for (const b of data.benches) {
    const k = "bench:" + b.bench + ":";
    bench.append(el("h3", {}, b.bench),
      el("p", { class: "muted" }, "ratio = " + b.ratio + " (" + (b.higher_is_better ? "higher" : "lower") +
        " is better; 1 = the reference), times: " + (b.statistic || "as measured"), " · ",
        produced(k + "produced", b.produced), " · ", el("a", { href: b.source }, b.source),
        b.command ? el("span", {}, " · ", el("code", {}, b.command)) : null));

    // A bar per row, its length the ratio; the dashed line is 1.
    const labelW = 230, barW = 420, rowH = 18, top = 6;
    const max = Math.max(1, ...b.rows.map((r) => r.ratio)) * 1.08;
    const scale = barW / max;
    const chart = svg("svg", { width: labelW + barW + 60, height: top * 2 + rowH * b.rows.length + 14, role: "img" });
    b.rows.forEach((r, i) => {
      const y = top + i * rowH;
      chart.append(svg("text", { x: labelW - 6, y: y + 13, "text-anchor": "end" }, r.name));
      chart.append(svg("rect", { class: "bar", x: labelW, y: y + 3, height: rowH - 6,
        width: (r.ratio * scale).toFixed(2), "data-key": k + r.name + ":bar", "data-scale": scale.toFixed(6) }));
      chart.append(svg("text", { x: labelW + r.ratio * scale + 4, y: y + 13, "data-key": k + r.name + ":ratio" }, r.ratio.toFixed(2)));
    });
    const bottom = top + rowH * b.rows.length;
    chart.append(svg("line", { class: "refline", x1: labelW + scale, x2: labelW + scale, y1: 2, y2: bottom + 2 }));
    chart.append(svg("text", { x: labelW + scale, y: bottom + 13, "text-anchor": "middle" }, "1"));
    bench.append(chart);

    const table = el("table", {}, el("tr", {}, el("th", {}, "benchmark"), el("th", {}, "time"),
      el("th", {}, "reference"), el("th", {}, "reference time"), el("th", {}, "ratio")));
    for (const r of b.rows) {
      table.append(el("tr", {}, el("td", {}, r.name),
        el("td", {}, el("span", { "data-key": k + r.name + ":time" }, time(r.time_ns))),
        el("td", { class: "name" }, r.reference),
        el("td", {}, el("span", { "data-key": k + r.name + ":reference_time" }, time(r.reference_ns))),
        el("td", {}, el("span", { "data-key": k + r.name + ":ratio" }, r.ratio.toFixed(2)))));
    }
    bench.append(el("details", {}, el("summary", {}, "times"), table));
  }

  // --- inputs (in the header) ---------------------------------------------
  const inputs = document.getElementById("inputs");
  if (data.inputs.length === 0) {
    inputs.append(missing("inputs", "no input found under reports/"));
  } else {
    const list = el("ul", {});
    for (const i of data.inputs) {
      list.append(el("li", {}, el("a", { href: i.path }, i.path), " ",
        el("span", { "data-key": "input:" + i.path }, i.produced)));
    }
    inputs.append(el("p", {}, "inputs under reports/, each with the time it was written:"), list);
  }
  for (const p of data.problems) inputs.append(el("p", { class: "problem" }, p));

  document.body.setAttribute("data-rendered", "yes");
})();
