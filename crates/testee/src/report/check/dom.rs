//! Reads a page's elements back: the `data-key`s and their text, and
//! attribute values. Made for the HTML the page is written as and for a
//! browser's serialization of its DOM (`chromium --dump-dom`): start tags
//! with quoted attribute values, text with character references.

use super::Shown;
use std::collections::BTreeMap;

/// Every element with a `data-key`, in document order.
pub fn shown_values(dom: &str) -> Vec<Shown> {
    let mut out = Vec::new();
    for (attrs, after) in start_tags(dom) {
        let Some(key) = attrs.get("data-key") else {
            continue;
        };
        let text = decode(&after[..after.find('<').unwrap_or(after.len())]);
        out.push(Shown {
            key: key.clone(),
            text,
            attrs,
        });
    }
    out
}

/// The values of one attribute over every start tag.
pub(super) fn attribute_values(dom: &str, name: &str) -> Vec<String> {
    start_tags(dom)
        .into_iter()
        .filter_map(|(mut attrs, _)| attrs.remove(name))
        .collect()
}

/// Each start tag's attributes, and the text after it. Made for the
/// serialization of a DOM by a browser (attribute values in double
/// quotes); the embedded JSON's script element is skipped whole.
fn start_tags(dom: &str) -> Vec<(BTreeMap<String, String>, &str)> {
    let mut tags = Vec::new();
    let mut rest = dom;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        if !rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue;
        }
        let Some(close) = tag_end(rest) else { break };
        let tag = &rest[..close];
        rest = &rest[close + 1..];
        let name_end = tag
            .find(|c: char| c.is_whitespace() || c == '/')
            .unwrap_or(tag.len());
        let name = tag[..name_end].to_ascii_lowercase();
        tags.push((attributes(&tag[name_end..]), rest));
        if name == "script" || name == "style" {
            let end = rest.find(&format!("</{name}")).unwrap_or(rest.len());
            rest = &rest[end..];
        }
    }
    tags
}

/// Where a start tag ends: the first `>` outside a quoted value.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

fn attributes(mut s: &str) -> BTreeMap<String, String> {
    let mut attrs = BTreeMap::new();
    loop {
        s = s.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        if s.is_empty() {
            return attrs;
        }
        let name_end = s
            .find(|c: char| c.is_whitespace() || c == '=' || c == '/')
            .unwrap_or(s.len());
        let name = s[..name_end].to_ascii_lowercase();
        s = s[name_end..].trim_start();
        let mut value = String::new();
        if let Some(after) = s.strip_prefix('=') {
            let after = after.trim_start();
            let (v, rest) = match after.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let body = &after[1..];
                    let end = body.find(q).unwrap_or(body.len());
                    (&body[..end], body.get(end + 1..).unwrap_or(""))
                }
                _ => {
                    let end = after.find(char::is_whitespace).unwrap_or(after.len());
                    (&after[..end], &after[end..])
                }
            };
            value = decode(v);
            s = rest;
        }
        attrs.insert(name, value);
    }
}

/// The character references a browser writes when it serializes a DOM.
fn decode(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}
