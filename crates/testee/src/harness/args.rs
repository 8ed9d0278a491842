//! The harness's command line: the flags and `AUTOBAHN_*` variables of
//! `scripts/autobahn.sh`, checked before anything runs (exit 2 on a usage
//! error, as clap does for its own checks).

use clap::{CommandFactory, Parser, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

/// What `--tls` and `--testee` run when `--cases` does not say: the
/// framing, pings, fragments, UTF-8 and closing groups, where TLS or
/// another HTTP stack could break reads and writes; 9.* (big messages) and
/// 12.*/13.* (deflate) take long and test nothing either adds.
pub const SHORT_CASES: &str = "1.*,2.*,3.*,4.*,5.*,6.*,7.*";

const AFTER_HELP: &str = "\
server  wstest -m fuzzingclient drives target/release/fuzzserver
client  target/release/fuzzclient drives wstest -m fuzzingserver
all     both (the default)

--tls runs cases 1.* to 7.* unless --cases says otherwise, over wss:// with a
self-signed certificate made for the run, compared with the same baseline;
reports go to reports/autobahn-tls/. --testee NAME runs the server role
against the rfc6455 example NAME (cargo build --release --example NAME -p
rfc6455), compared with the server baseline: every case for axum_extractor,
cases 1.* to 7.* for the others, unless --cases says otherwise; reports go
to reports/autobahn-NAME/server/. --proxy runs the client role with
fuzzclient reaching wstest through Squid (HTTP CONNECT), started for the run
on a free port of 127.0.0.1 and installed with apt-get when missing (Debian's
squid, as root); every case unless --cases (or --tls) says
otherwise, compared with the client baseline; reports go to
reports/autobahn-proxy/client/ (reports/autobahn-tls-proxy/ with --tls).
--http2 runs over HTTP/2 (RFC 8441) through h2relay (target/release/h2relay),
which moves WebSocket frames untouched both ways: in the server role wstest
speaks HTTP/1.1 to the relay on the server address, which opens an extended
CONNECT to fuzzserver --http2 on a free port; in the client role fuzzclient
--http2 opens extended CONNECTs to the relay (h2relay --from-http2) on a free
port, which upgrades to wstest over HTTP/1.1. Every case unless --cases says
otherwise, compared with the baselines; reports go to
reports/autobahn-http2/ROLE/.
--streaming runs the server role against fuzzserver --streaming, which echoes
each message piece by piece as it arrives; every case unless --cases says
otherwise, compared with the server baseline; reports go to
reports/autobahn-streaming/server/.

wstest runs in Docker (crossbario/autobahn-testsuite) when an engine answers,
else natively on a Python 2.7 bootstrapped once into a cache
(scripts/lib/wstest-bootstrap.sh). Reports go to reports/autobahn/ROLE/.

Exit status: 0 when no case regressed, 1 on a regression or a failed run,
2 on a usage error.";

/// Runs the Autobahn Testsuite (wstest) against the testees and compares
/// every case with the baseline in autobahn/expected-{server,client}.json.
#[derive(Clone, Debug, Parser)]
#[command(name = "autobahn.sh", bin_name = "scripts/autobahn.sh", after_help = AFTER_HELP)]
pub struct Cli {
    /// Which roles to run (default: all).
    #[arg(value_enum)]
    pub roles: Option<Roles>,
    /// Only these wstest cases: `6.4.*`, `1.1.1`, or a comma-separated list
    /// (`1.*,9.1.*`); only they are compared.
    #[arg(long, value_name = "PATTERN", value_parser = parse_cases)]
    pub cases: Option<String>,
    /// Rewrite the baseline from this run (exit 0 on regressions).
    #[arg(long)]
    pub update_expected: bool,
    /// Over TLS (wss://), with a self-signed certificate made for the run.
    #[arg(long)]
    pub tls: bool,
    /// The client role only, fuzzclient reaching wstest through a real HTTP
    /// CONNECT proxy (Squid, started for the run; installed with apt-get
    /// when missing).
    #[arg(long)]
    pub proxy: bool,
    /// The server role only, against this rfc6455 example instead of fuzzserver.
    #[arg(long, value_enum, value_name = "NAME")]
    pub testee: Option<Testee>,
    /// The server role only, against `fuzzserver --streaming`: each
    /// message echoed piece by piece as it arrives (streaming receive and
    /// send), never whole.
    #[arg(long)]
    pub streaming: bool,
    /// Over HTTP/2 (RFC 8441), through `h2relay`, which moves the frames
    /// untouched: wstest reaches `fuzzserver --http2` (server role), and
    /// `fuzzclient --http2` reaches wstest (client role).
    #[arg(long)]
    pub http2: bool,
    /// Where wstest runs.
    #[arg(long, env = "AUTOBAHN_RUNNER", value_enum, default_value = "auto")]
    pub runner: Runner,
    /// The native wstest's cache (default ${XDG_CACHE_HOME:-$HOME/.cache}/rfc6455-autobahn).
    #[arg(long, env = "AUTOBAHN_CACHE", value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Force the native interpreter.
    #[arg(long, env = "AUTOBAHN_PYTHON", value_enum)]
    pub python: Option<Python>,
    /// Where fuzzserver (or the --testee) listens.
    #[arg(long, env = "AUTOBAHN_SERVER_ADDR", default_value = "127.0.0.1:9001")]
    pub server_addr: SocketAddr,
    /// Where wstest's fuzzingserver listens.
    #[arg(long, env = "AUTOBAHN_CLIENT_ADDR", default_value = "127.0.0.1:9002")]
    pub client_addr: SocketAddr,
    /// Seconds one role may take before it is stopped: a guard against a
    /// hung run, set well above a whole run's time on CPython (the slower
    /// interpreter) on a busy two-core machine.
    #[arg(
        long,
        env = "AUTOBAHN_TIMEOUT",
        value_name = "SECONDS",
        default_value_t = 5400
    )]
    pub timeout: u64,
    /// With both roles, run them at the same time (1) or one after the
    /// other (0): wstest is single-threaded, so this halves the wall time
    /// on two cores.
    #[arg(long, env = "AUTOBAHN_PARALLEL", value_name = "0|1", default_value = "1",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub parallel: bool,
    /// The Docker image of the Docker runner.
    #[arg(
        long,
        env = "AUTOBAHN_DOCKER_IMAGE",
        value_name = "IMAGE",
        default_value = "crossbario/autobahn-testsuite:0.8.2"
    )]
    pub docker_image: String,
    /// The most resident memory wstest may take in one role (K, M, G, T
    /// suffixes, binary units): past it the role is stopped and fails.
    #[arg(long, env = "AUTOBAHN_WSTEST_MAX_MEMORY", value_name = "SIZE", default_value = "4G",
          value_parser = parse_max_memory)]
    pub wstest_max_memory: u64,
    /// Seconds between wstest's full garbage collections (0 turns them
    /// off): under PyPy a zlib stream is freed only by a collection, and
    /// without them cases 12.* and 13.* grow wstest past 24 GiB.
    #[arg(long, env = "AUTOBAHN_GC_INTERVAL", value_name = "SECONDS", default_value = "0.5",
          value_parser = parse_gc_interval)]
    pub gc_interval: String,
    /// The repository (scripts/autobahn.sh passes it).
    #[arg(long, hide = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Skip the cargo builds (the tests run prebuilt testees).
    #[arg(long, hide = true)]
    pub skip_build: bool,
}

/// The roles to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Roles {
    /// wstest -m fuzzingclient drives fuzzserver.
    Server,
    /// fuzzclient drives wstest -m fuzzingserver.
    Client,
    /// Both.
    All,
}

/// The rfc6455 examples `--testee` may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum Testee {
    /// examples/hyper_echo.rs: served through hyper.
    HyperEcho,
    /// examples/axum_echo.rs: served through axum.
    AxumEcho,
    /// examples/axum_extractor.rs: served through axum by rfc6455's
    /// extractor, permessage-deflate on; every case by default.
    AxumExtractor,
}

impl Testee {
    /// The example's name.
    pub fn name(self) -> &'static str {
        match self {
            Testee::HyperEcho => "hyper_echo",
            Testee::AxumEcho => "axum_echo",
            Testee::AxumExtractor => "axum_extractor",
        }
    }

    /// The cases it runs when `--cases` does not say: all of them for the
    /// extractor, whose point is permessage-deflate through axum (12.*,
    /// 13.*); [`SHORT_CASES`] for the others.
    pub fn default_cases(self) -> Option<&'static str> {
        match self {
            Testee::HyperEcho | Testee::AxumEcho => Some(SHORT_CASES),
            Testee::AxumExtractor => None,
        }
    }
}

/// Where wstest runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Runner {
    /// Docker when an engine answers, else native.
    Auto,
    /// Docker only.
    Docker,
    /// The bootstrapped Python 2.7 only.
    Native,
}

/// The native interpreter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Python {
    /// PyPy 2.7.
    Pypy,
    /// CPython 2.7.
    Cpython,
}

/// `4G`, `512M`, `4GiB` or a count of bytes, in bytes (binary units).
pub fn parse_size(text: &str) -> Option<u64> {
    let body = text
        .strip_suffix("iB")
        .or_else(|| text.strip_suffix('B'))
        .unwrap_or(text);
    let digits = body.trim_end_matches(|c: char| "KkMmGgTt".contains(c));
    let suffix = &body[digits.len()..];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || suffix.len() > 1 {
        return None;
    }
    // `4iB` (a binary unit with no prefix) is not a size.
    if suffix.is_empty() && text.ends_with("iB") {
        return None;
    }
    let shift = match suffix.to_ascii_uppercase().as_str() {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        _ => 40,
    };
    digits.parse::<u64>().ok()?.checked_mul(1 << shift)
}

fn parse_max_memory(text: &str) -> Result<u64, String> {
    match parse_size(text) {
        Some(bytes) if bytes > 0 => Ok(bytes),
        _ => Err(format!(
            "AUTOBAHN_WSTEST_MAX_MEMORY wants a size like 4G, 2048M or 4294967296; got: {text}"
        )),
    }
}

fn parse_gc_interval(text: &str) -> Result<String, String> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if digits(whole) && digits(fraction) {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "AUTOBAHN_GC_INTERVAL wants seconds like 0.5 (0: off); got: {text}"
        ))
    }
}

fn parse_cases(text: &str) -> Result<String, String> {
    let pattern = |p: &str| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_digit() || b == b'.' || b == b'*')
    };
    if text.split(',').all(pattern) {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "--cases wants wstest case patterns like 6.4.* or 1.1.1,2.*; got: {text}"
        ))
    }
}

/// What the run does, once the flags are checked against each other.
#[derive(Clone, Debug)]
pub struct Plan {
    /// `server`, `client` or both, in that order.
    pub roles: Vec<&'static str>,
    /// The cases to run and compare, if not all.
    pub cases: Option<String>,
    /// Where the roles' folders go, relative to the repository
    /// (`reports/autobahn`, `reports/autobahn-tls`, `reports/autobahn-NAME`).
    pub reports: String,
}

impl Cli {
    /// Checks the flags that go together (the message of a usage error).
    pub fn plan(&self) -> Result<Plan, String> {
        let mut cases = self.cases.clone();
        if let Some(testee) = self.testee {
            let name = testee.name();
            if let Some(roles @ (Roles::Client | Roles::All)) = self.roles {
                let roles = format!("{roles:?}").to_lowercase();
                return Err(format!("--testee runs the server role only, not {roles}"));
            }
            if self.tls {
                return Err("--testee serves plain ws:// only, not --tls".to_owned());
            }
            if self.proxy {
                return Err("--testee runs the server role only, not --proxy".to_owned());
            }
            if self.update_expected {
                return Err(
                    "--testee compares with fuzzserver's baseline and never rewrites it".to_owned(),
                );
            }
            return Ok(Plan {
                roles: vec!["server"],
                cases: cases.or_else(|| testee.default_cases().map(str::to_owned)),
                reports: format!("reports/autobahn-{name}"),
            });
        }
        if self.http2 {
            for (given, flag) in [
                (self.tls, "--tls"),
                (self.proxy, "--proxy"),
                (self.streaming, "--streaming"),
            ] {
                if given {
                    return Err(format!("--http2 does not go with {flag}"));
                }
            }
            if self.update_expected {
                return Err(
                    "--http2 compares with fuzzserver's baseline and never rewrites it".to_owned(),
                );
            }
            let roles = match self.roles.unwrap_or(Roles::All) {
                Roles::Server => vec!["server"],
                Roles::Client => vec!["client"],
                Roles::All => vec!["server", "client"],
            };
            return Ok(Plan {
                roles,
                cases,
                reports: "reports/autobahn-http2".to_owned(),
            });
        }
        if self.streaming {
            if let Some(roles @ (Roles::Client | Roles::All)) = self.roles {
                let roles = format!("{roles:?}").to_lowercase();
                return Err(format!(
                    "--streaming runs the server role only, not {roles}"
                ));
            }
            for (given, flag) in [(self.tls, "--tls"), (self.proxy, "--proxy")] {
                if given {
                    return Err(format!("--streaming runs plain ws:// only, not {flag}"));
                }
            }
            if self.update_expected {
                return Err(
                    "--streaming compares with fuzzserver's baseline and never rewrites it"
                        .to_owned(),
                );
            }
            return Ok(Plan {
                roles: vec!["server"],
                cases,
                reports: "reports/autobahn-streaming".to_owned(),
            });
        }
        if self.proxy {
            if let Some(roles @ (Roles::Server | Roles::All)) = self.roles {
                let roles = format!("{roles:?}").to_lowercase();
                return Err(format!("--proxy runs the client role only, not {roles}"));
            }
            if self.update_expected {
                return Err(
                    "--proxy compares with the client baseline and never rewrites it".to_owned(),
                );
            }
        }
        let default_roles = if self.proxy {
            Roles::Client
        } else {
            Roles::All
        };
        let roles = match self.roles.unwrap_or(default_roles) {
            Roles::Server => vec!["server"],
            Roles::Client => vec!["client"],
            Roles::All => vec!["server", "client"],
        };
        let mut reports = "reports/autobahn";
        if self.tls {
            if self.update_expected {
                return Err(
                    "--tls compares with the plain ws:// baseline and never rewrites it;\n\
                            run --update-expected without --tls"
                        .to_owned(),
                );
            }
            cases = Some(cases.unwrap_or_else(|| SHORT_CASES.to_owned()));
            reports = "reports/autobahn-tls";
        }
        if self.proxy {
            reports = if self.tls {
                "reports/autobahn-tls-proxy"
            } else {
                "reports/autobahn-proxy"
            };
        }
        Ok(Plan {
            roles,
            cases,
            reports: reports.to_owned(),
        })
    }

    /// The plan, or exit 2 with clap's usage error.
    pub fn plan_or_exit(&self) -> Plan {
        self.plan().unwrap_or_else(|message| {
            Cli::command()
                .error(clap::error::ErrorKind::ArgumentConflict, message)
                .exit()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("autobahn").chain(args.iter().copied()))
    }

    #[test]
    fn sizes_are_binary() {
        assert_eq!(parse_size("4G"), Some(4 << 30));
        assert_eq!(parse_size("512m"), Some(512 << 20));
        assert_eq!(parse_size("4GiB"), Some(4 << 30));
        assert_eq!(parse_size("2KB"), Some(2048));
        assert_eq!(parse_size("4294967296"), Some(1 << 32));
        for bad in ["", "G", "4X", "4.5G", "-1", "4GG", "4iB", " 4G"] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
        assert!(parse_max_memory("0").is_err());
    }

    #[test]
    fn defaults_run_both_roles_over_everything() {
        let cli = cli(&[]).unwrap();
        let plan = cli.plan().unwrap();
        assert_eq!(plan.roles, ["server", "client"]);
        assert_eq!(plan.cases, None);
        assert_eq!(plan.reports, "reports/autobahn");
        assert_eq!(cli.wstest_max_memory, 4 << 30);
        assert_eq!(cli.gc_interval, "0.5");
    }

    #[test]
    fn tls_and_testee_run_the_short_cases() {
        let plan = cli(&["--tls"]).unwrap().plan().unwrap();
        assert_eq!(plan.cases.as_deref(), Some(SHORT_CASES));
        assert_eq!(plan.reports, "reports/autobahn-tls");
        let plan = cli(&["server", "--testee", "hyper_echo", "--cases", "1.1.*"])
            .unwrap()
            .plan()
            .unwrap();
        assert_eq!(plan.roles, ["server"]);
        assert_eq!(plan.cases.as_deref(), Some("1.1.*"));
        assert_eq!(plan.reports, "reports/autobahn-hyper_echo");
        let plan = cli(&["server", "--testee", "axum_echo"])
            .unwrap()
            .plan()
            .unwrap();
        assert_eq!(plan.cases.as_deref(), Some(SHORT_CASES));
    }

    #[test]
    fn the_extractor_runs_every_case() {
        let plan = cli(&["server", "--testee", "axum_extractor"])
            .unwrap()
            .plan()
            .unwrap();
        assert_eq!(plan.roles, ["server"]);
        assert_eq!(plan.cases, None);
        assert_eq!(plan.reports, "reports/autobahn-axum_extractor");
    }

    #[test]
    fn streaming_runs_the_server_role_over_every_case() {
        let plan = cli(&["--streaming"]).unwrap().plan().unwrap();
        assert_eq!(plan.roles, ["server"]);
        assert_eq!(plan.cases, None);
        assert_eq!(plan.reports, "reports/autobahn-streaming");
        let plan = cli(&["server", "--streaming", "--cases", "9.*"])
            .unwrap()
            .plan()
            .unwrap();
        assert_eq!(plan.cases.as_deref(), Some("9.*"));
        let err = |args: &[&str]| cli(args).unwrap().plan().unwrap_err();
        assert!(err(&["client", "--streaming"]).contains("server role only, not client"));
        assert!(err(&["--streaming", "--tls"]).contains("not --tls"));
        assert!(err(&["--streaming", "--proxy"]).contains("not --proxy"));
        assert!(err(&["--streaming", "--update-expected"]).contains("never rewrites"));
    }

    #[test]
    fn http2_runs_both_roles_over_every_case() {
        let plan = cli(&["--http2"]).unwrap().plan().unwrap();
        assert_eq!(plan.roles, ["server", "client"]);
        assert_eq!(plan.cases, None);
        assert_eq!(plan.reports, "reports/autobahn-http2");
        let plan = cli(&["client", "--http2"]).unwrap().plan().unwrap();
        assert_eq!(plan.roles, ["client"]);
        let err = |args: &[&str]| cli(args).unwrap().plan().unwrap_err();
        assert!(err(&["--http2", "--tls"]).contains("--tls"));
        assert!(err(&["--http2", "--streaming"]).contains("--streaming"));
        assert!(err(&["--http2", "--update-expected"]).contains("never rewrites"));
    }

    #[test]
    fn flags_that_do_not_go_together() {
        let err = |args: &[&str]| cli(args).unwrap().plan().unwrap_err();
        assert!(err(&["client", "--testee", "axum_echo"]).contains("server role only, not client"));
        assert!(err(&["all", "--testee", "axum_echo"]).contains("server role only, not all"));
        assert!(cli(&["--testee", "axum_echo"]).unwrap().plan().is_ok());
        assert!(err(&["server", "--testee", "axum_echo", "--tls"]).contains("not --tls"));
        assert!(
            err(&["server", "--testee", "axum_echo", "--update-expected"])
                .contains("never rewrites")
        );
        assert!(err(&["--tls", "--update-expected"]).contains("without --tls"));
    }

    #[test]
    fn the_proxy_runs_the_client_role() {
        let plan = cli(&["--proxy"]).unwrap().plan().unwrap();
        assert_eq!(plan.roles, ["client"]);
        assert_eq!(plan.cases, None);
        assert_eq!(plan.reports, "reports/autobahn-proxy");
        let plan = cli(&["client", "--proxy", "--tls"])
            .unwrap()
            .plan()
            .unwrap();
        assert_eq!(plan.cases.as_deref(), Some(SHORT_CASES));
        assert_eq!(plan.reports, "reports/autobahn-tls-proxy");
        let err = |args: &[&str]| cli(args).unwrap().plan().unwrap_err();
        assert!(err(&["server", "--proxy"]).contains("client role only, not server"));
        assert!(err(&["all", "--proxy"]).contains("client role only, not all"));
        assert!(err(&["--proxy", "--update-expected"]).contains("never rewrites"));
        assert!(err(&["--proxy", "--testee", "axum_echo"]).contains("server role only"));
    }

    #[test]
    fn bad_values_are_usage_errors() {
        for args in [
            &["--cases", "6.4.x"][..],
            &["--cases", "1.*,"],
            &["--testee", "warp_echo"],
            &["both"],
            &["--wstest-max-memory", "lots"],
            &["--gc-interval", "0.5s"],
            &["--server-addr", "localhost"],
        ] {
            let e = cli(args).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{args:?}");
        }
        let e = cli(&["--wstest-max-memory", "lots"])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("AUTOBAHN_WSTEST_MAX_MEMORY wants a size like 4G"),
            "{e}"
        );
        assert!(parse_gc_interval("0").is_ok() && parse_gc_interval("1.25").is_ok());
        assert!(parse_gc_interval(".5").is_err());
    }
}
