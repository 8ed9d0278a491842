//! `autobahn-report spec`: a wstest spec from a template of `autobahn/`,
//! with the run's report folder, the testee's URL, the cases and (for
//! `wstest -m fuzzingserver` over TLS) its key and certificate.

use super::{read_expected, read_json};
use std::path::PathBuf;

/// A comma-separated list of wstest case patterns, matched the way wstest
/// resolves its spec's `cases`: a pattern with `*` is a regular expression
/// anchored at the start only (`*` is `.*`, so `1*` also takes 10.*, 12.*
/// and 13.*), one without is an exact id.
#[derive(Clone, Debug, PartialEq)]
pub struct CasePatterns(pub Vec<String>);

impl CasePatterns {
    /// Splits and checks a list: each pattern holds only digits, `.` and `*`.
    pub fn parse(list: &str) -> Result<CasePatterns, String> {
        let patterns: Vec<String> = list
            .split(',')
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect();
        if patterns.is_empty() {
            return Err(format!("--cases `{list}` names no pattern"));
        }
        for p in &patterns {
            if !p
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == '*')
            {
                return Err(format!(
                    "case pattern `{p}` may hold only digits, `.` and `*` (e.g. 6.4.*, 1.1.1)"
                ));
            }
        }
        Ok(CasePatterns(patterns))
    }

    /// Whether any pattern takes the case `id`.
    pub fn matches(&self, id: &str) -> bool {
        self.0.iter().any(|p| pattern_matches(p, id))
    }
}

fn pattern_matches(pattern: &str, id: &str) -> bool {
    if pattern.contains('*') {
        glob_prefix(pattern.as_bytes(), id.as_bytes())
    } else {
        pattern == id
    }
}

/// Whether `pattern` (with `*` for any run of characters) matches a prefix
/// of `text`.
fn glob_prefix(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => true,
        Some((b'*', rest)) => (0..=text.len()).any(|skip| glob_prefix(rest, &text[skip..])),
        Some((&c, rest)) => text.first() == Some(&c) && glob_prefix(rest, &text[1..]),
    }
}

/// What the spec is made from.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct Spec {
    /// The template (`autobahn/fuzzingclient.json` or `fuzzingserver.json`).
    #[arg(long, value_name = "SPEC_JSON")]
    pub template: PathBuf,
    /// Where the spec goes.
    #[arg(long, value_name = "SPEC_JSON")]
    pub out: PathBuf,
    /// Where wstest writes its reports.
    #[arg(long, value_name = "DIR")]
    pub outdir: String,
    /// The testee's URL (fuzzingclient) or wstest's own (fuzzingserver).
    #[arg(long)]
    pub url: Option<String>,
    /// Only these cases: comma-separated wstest patterns.
    #[arg(long, value_name = "PATTERNS")]
    pub cases: Option<String>,
    /// Each pattern of `--cases` must match a case of this baseline.
    #[arg(long, value_name = "EXPECTED_JSON")]
    pub check_against: Option<PathBuf>,
    /// The TLS key of `wstest -m fuzzingserver` (the spec's top level,
    /// where that mode takes it; its command line's `--key` does not).
    #[arg(long, value_name = "KEY_PEM", requires = "cert")]
    pub key: Option<String>,
    /// The TLS certificate that goes with `--key`.
    #[arg(long, value_name = "CERT_PEM", requires = "key")]
    pub cert: Option<String>,
}

/// Writes the spec; `Err` says what is wrong with the template or cases.
pub fn write_spec(flags: &Spec) -> Result<(), String> {
    let template = &flags.template;
    let out = &flags.out;
    let mut spec: serde_json::Value = read_json(template, "spec template")?;
    let obj = spec
        .as_object_mut()
        .ok_or_else(|| format!("spec template {} is not a JSON object", template.display()))?;
    obj.insert("outdir".into(), flags.outdir.clone().into());
    if let Some(url) = &flags.url {
        match obj.get_mut("servers").and_then(|s| s.as_array_mut()) {
            Some(servers) => {
                for server in servers {
                    if let Some(server) = server.as_object_mut() {
                        server.insert("url".into(), url.clone().into());
                    }
                }
            }
            None => {
                obj.insert("url".into(), url.clone().into());
            }
        }
    }
    match (&flags.key, &flags.cert) {
        (Some(key), Some(cert)) => {
            obj.insert("key".into(), key.clone().into());
            obj.insert("cert".into(), cert.clone().into());
        }
        (None, None) => {}
        _ => return Err("--key and --cert go together".to_owned()),
    }
    if let Some(list) = &flags.cases {
        let patterns = CasePatterns::parse(list)?;
        if let Some(known) = &flags.check_against {
            if let Some(cases) = read_expected(known)? {
                for p in &patterns.0 {
                    if !cases.keys().any(|id| pattern_matches(p, id)) {
                        return Err(format!(
                            "case pattern `{p}` matches no case of {}",
                            known.display()
                        ));
                    }
                }
            }
        }
        obj.insert("cases".into(), patterns.0.clone().into());
    }
    let text = serde_json::to_string_pretty(&spec).map_err(|e| e.to_string())?;
    std::fs::write(out, text + "\n").map_err(|e| format!("cannot write {}: {e}", out.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_follow_wstest() {
        let p = CasePatterns::parse("6.4.*, 1.1.1").unwrap();
        assert!(p.matches("6.4.3"));
        assert!(p.matches("1.1.1"));
        assert!(!p.matches("1.1.10"), "an id without * is exact");
        assert!(!p.matches("6.5.1"));
        // wstest anchors its regex at the start only.
        let p = CasePatterns::parse("1*").unwrap();
        assert!(p.matches("1.1.1") && p.matches("12.1.1") && !p.matches("2.1"));
        assert!(CasePatterns::parse("6.4.x").is_err());
        assert!(CasePatterns::parse(",").is_err());
    }
}
