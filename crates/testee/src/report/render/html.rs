//! The few HTML pieces every section is written with: escaping, elements,
//! and the number formats the page shows (which `report check` parses
//! back, so each format here has its reader in `check`).

/// `text` safe inside an element or a double-quoted attribute value:
/// `&`, `<`, `>`, `"` and `'` as character references.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `<tag attrs>inner</tag>`: attributes with a value of `None` are left
/// out; values are escaped, `inner` is HTML already.
pub fn el(tag: &str, attrs: &[(&str, Option<&str>)], inner: &str) -> String {
    let mut out = format!("<{tag}");
    for (name, value) in attrs {
        if let Some(value) = value {
            out.push_str(&format!(" {name}=\"{}\"", escape(value)));
        }
    }
    out.push('>');
    out.push_str(inner);
    out.push_str(&format!("</{tag}>"));
    out
}

/// A shown value: `text` (escaped) in a span whose `data-key` names it
/// for `report check`.
pub fn keyed(key: &str, text: &str, class: Option<&str>) -> String {
    el(
        "span",
        &[("data-key", Some(key)), ("class", class)],
        &escape(text),
    )
}

/// A count, greyed when zero unless `class` says otherwise.
pub fn count(key: &str, n: usize, class: Option<&str>) -> String {
    let class = class.or((n == 0).then_some("zero"));
    keyed(key, &thousands(&n.to_string()), class)
}

/// A link to `href` (relative to `reports/`).
pub fn link(href: &str, text: &str) -> String {
    el("a", &[("href", Some(href))], &escape(text))
}

/// `1234567` as `1,234,567`; a cell that is not a plain integer (`?`) as
/// is.
pub fn thousands(digits: &str) -> String {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return digits.to_owned();
    }
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `x` with `decimals` decimals and its integer part grouped by three:
/// `12,345.7`; `-` for a value the input does not have.
pub fn decimal(x: Option<f64>, decimals: usize) -> String {
    let Some(x) = x else {
        return "-".to_owned();
    };
    let text = format!("{:.*}", decimals, x.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let sign = if x < 0.0 && text.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        "-"
    } else {
        ""
    };
    let dot = if frac.is_empty() { "" } else { "." };
    format!("{sign}{}{dot}{frac}", thousands(int))
}

/// Nanoseconds in the unit that keeps them short: `12.3 ns`, `4.56 µs`,
/// `7.89 ms`, `1.23 s`.
pub fn duration_ns(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.1} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

/// `when` in a span keyed `key`, after the word `produced`.
pub fn produced(key: &str, when: &str) -> String {
    el(
        "span",
        &[("class", Some("produced"))],
        &format!("produced {}", keyed(key, when, None)),
    )
}

/// The sentence of a missing section, keyed `missing:WHAT`.
pub fn missing(what: &str, sentence: &str) -> String {
    el(
        "p",
        &[
            ("class", Some("missing")),
            ("data-key", Some(&format!("missing:{what}"))),
        ],
        &escape(sentence),
    )
}

/// A table: `head` is its header row's cells (HTML), `rows` its body rows
/// (`<tr>` each). Tables of class `sortable` sort by a clicked column
/// where the page's script runs.
pub fn table(attrs: &[(&str, Option<&str>)], head: &[String], rows: &[String]) -> String {
    el(
        "table",
        attrs,
        &format!(
            "\n<thead><tr>{}</tr></thead>\n<tbody>\n{}</tbody>\n",
            head.concat(),
            rows.concat()
        ),
    ) + "\n"
}

/// A header cell of plain text.
pub fn th(text: &str) -> String {
    el("th", &[], &escape(text))
}

/// A row of cells (HTML each, in `<td>`).
pub fn tr(cells: &[String]) -> String {
    let cells: String = cells.iter().map(|c| el("td", &[], c)).collect();
    format!("<tr>{cells}</tr>\n")
}
