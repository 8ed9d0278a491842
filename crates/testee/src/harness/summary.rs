//! The run's last screen: each role's summary (or why there is none), its
//! failures, where its reports and logs are, then the verdict line.

use std::fmt::Write as _;
use std::path::Path;

/// What one role left in its report folder.
#[derive(Debug, Default)]
pub struct RoleReport {
    /// `server` or `client`.
    pub role: String,
    /// The folder, relative to the repository.
    pub dir: String,
    /// `summary.txt`: the comparison with the baseline.
    pub summary: Option<String>,
    /// `failure.txt`: one reason a line.
    pub failure: Option<String>,
    /// Whether wstest wrote its `index.html`.
    pub html: bool,
}

impl RoleReport {
    /// Reads the role's folder `dir` (relative to the working directory).
    pub fn read(role: &str, dir: &str) -> RoleReport {
        let text = |name: &str| {
            std::fs::read_to_string(Path::new(dir).join(name))
                .ok()
                .filter(|t| !t.is_empty())
        };
        RoleReport {
            role: role.to_owned(),
            dir: dir.to_owned(),
            summary: text("summary.txt"),
            failure: text("failure.txt"),
            html: text("index.html").is_some(),
        }
    }
}

/// The block after the roles ran: `header` (TLS, a testee) first, then
/// each role, then `OK (server client) in 12.3 s` or `FAILED (...)`.
pub fn render(
    header: Option<&str>,
    reports: &[RoleReport],
    failed: &[&str],
    over: &str,
    secs: f64,
) -> String {
    let mut out = String::from("\n");
    if let Some(header) = header {
        let _ = writeln!(out, "{header}\n");
    }
    for r in reports {
        match &r.summary {
            Some(summary) => out.push_str(summary),
            None => {
                let _ = writeln!(
                    out,
                    "== Autobahn {}: no summary, the run did not finish ==",
                    r.role
                );
            }
        }
        match (&r.failure, &r.summary) {
            (Some(failure), _) => {
                for line in failure.lines() {
                    let _ = writeln!(out, "FAILED: {line}");
                }
            }
            (None, None) => {
                let _ = writeln!(
                    out,
                    "FAILED: the {} role stopped early; its messages are above",
                    r.role
                );
            }
            (None, Some(_)) => {}
        }
        if r.html {
            let _ = writeln!(out, "    reports: {}/index.html", r.dir);
        }
        let _ = writeln!(out, "    logs:    {}/\n", r.dir);
    }
    if failed.is_empty() {
        let roles: Vec<&str> = reports.iter().map(|r| r.role.as_str()).collect();
        let _ = writeln!(out, "OK ({}{over}) in {secs:.1} s", roles.join(" "));
    } else {
        let _ = writeln!(out, "FAILED ({}{over}) in {secs:.1} s", failed.join(" "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passing_roles_end_with_ok() {
        let reports = [RoleReport {
            role: "server".into(),
            dir: "reports/autobahn-tls/server".into(),
            summary: Some("== Autobahn server: 1 cases ==\nPASS: no regression\n".into()),
            failure: None,
            html: true,
        }];
        let text = render(
            Some("== over TLS (wss://), cases 1.* =="),
            &reports,
            &[],
            " over TLS",
            12.34,
        );
        assert_eq!(
            text,
            "\n== over TLS (wss://), cases 1.* ==\n\n== Autobahn server: 1 cases ==\nPASS: no regression\n\
             \x20   reports: reports/autobahn-tls/server/index.html\n\
             \x20   logs:    reports/autobahn-tls/server/\n\nOK (server over TLS) in 12.3 s\n"
        );
    }

    #[test]
    fn failed_roles_say_why() {
        let reports = [
            RoleReport {
                role: "server".into(),
                dir: "reports/autobahn/server".into(),
                failure: Some("wstest passed its memory bound\n".into()),
                ..RoleReport::default()
            },
            RoleReport {
                role: "client".into(),
                dir: "reports/autobahn/client".into(),
                ..RoleReport::default()
            },
        ];
        let text = render(None, &reports, &["server", "client"], "", 3.0);
        assert!(
            text.contains(
                "== Autobahn server: no summary, the run did not finish ==\n\
             FAILED: wstest passed its memory bound\n    logs:    reports/autobahn/server/\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("FAILED: the client role stopped early; its messages are above\n"),
            "{text}"
        );
        assert!(
            text.ends_with("\nFAILED (server client) in 3.0 s\n"),
            "{text}"
        );
    }
}
