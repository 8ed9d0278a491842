//! One role: the spec, the testee or wstest listening, wstest followed to
//! its end, the comparison with the baseline. A failure ends the role, not
//! the run: it goes to the role's `failure.txt` and the final summary.

use super::console::Console;
use super::procs::{self, describe_status, shell_status, Proc};
use super::progress::{Progress, Shown};
use super::wstest::{self, Wstest};
use super::Run;
use crate::autobahn::compare::{compare, Compare};
use crate::autobahn::spec::{write_spec, Spec};
use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const AGENT: &str = "rfc6455";

/// Runs `role`; whether it passed. Its failure is said and written down.
pub(super) fn run_role(run: &Run, role: &str, console: &Console) -> bool {
    let out = run.root.join(&run.plan.reports).join(role);
    let mut state = Role {
        run,
        role,
        out: out.clone(),
        console,
        progress: Progress::new(console.tty),
        started: Instant::now(),
    };
    let result = match role {
        "server" => state.server(),
        _ => state.client(),
    };
    result.unwrap_or_else(|message| {
        console.error(&message);
        if out.is_dir() {
            let failure = out.join("failure.txt");
            let old = std::fs::read_to_string(&failure).unwrap_or_default();
            let _ = std::fs::write(failure, format!("{old}{message}\n"));
        }
        false
    })
}

struct Role<'a> {
    run: &'a Run,
    role: &'a str,
    out: PathBuf,
    console: &'a Console,
    progress: Progress,
    started: Instant,
}

impl Role<'_> {
    fn scheme(&self) -> &'static str {
        if self.run.tls.is_some() {
            "wss"
        } else {
            "ws"
        }
    }

    /// Fresh report folder and the role's spec (from `template`).
    fn prepare(&self, template: &str, url: &str) -> Result<PathBuf, String> {
        let _ = std::fs::remove_dir_all(&self.out);
        std::fs::create_dir_all(&self.out)
            .map_err(|e| format!("cannot create {}: {e}", self.out.display()))?;
        let spec = self.run.scratch.join(format!("{template}.json"));
        let tls = self.run.tls.as_ref().filter(|_| self.role == "client");
        write_spec(&Spec {
            template: self.run.root.join(format!("autobahn/{template}.json")),
            out: spec.clone(),
            outdir: self.out.display().to_string(),
            url: Some(url.to_owned()),
            cases: self.run.plan.cases.clone(),
            check_against: self.run.plan.cases.as_ref().map(|_| self.expected()),
            cert: tls.map(|(cert, _)| cert.display().to_string()),
            key: tls.map(|(_, key)| key.display().to_string()),
        })
        .map_err(|e| {
            format!(
                "could not write the wstest spec for the {} role: {e}",
                self.role
            )
        })?;
        Ok(spec)
    }

    fn expected(&self) -> PathBuf {
        PathBuf::from(format!("autobahn/expected-{}.json", self.role))
    }

    fn secs(&self) -> u64 {
        self.started.elapsed().as_secs()
    }

    fn point(&self, wstest: &Wstest) -> String {
        self.progress.point(self.secs(), wstest.peak_kib)
    }

    fn start_wstest(&self, args: &[&str]) -> Result<Wstest, String> {
        let setup = wstest::Setup {
            runner: &self.run.runner,
            root: &self.run.root,
            scratch: &self.run.scratch,
            gc_interval: &self.run.cli.gc_interval,
        };
        Wstest::start(&setup, self.role, &self.out.join("wstest.log"), args)
    }

    /// Follows wstest's log until `done` says the followed process ended
    /// (or wstest did), showing progress and watching wstest's memory and
    /// the role's time.
    fn watch(
        &mut self,
        wstest: &mut Wstest,
        mut done: impl FnMut(&mut Wstest) -> bool,
    ) -> Result<(), String> {
        let log = self.out.join("wstest.log");
        let file =
            std::fs::File::open(&log).map_err(|e| format!("cannot read {}: {e}", log.display()))?;
        let mut reader = BufReader::new(file);
        let mut line = String::new();
        self.progress = Progress::new(self.console.tty);
        self.started = Instant::now();
        let deadline = self.started + Duration::from_secs(self.run.cli.timeout);
        loop {
            // A line without its newline stays in `line` until the rest comes.
            while reader.read_line(&mut line).unwrap_or(0) > 0 {
                if line.ends_with('\n') {
                    self.show(line.trim_end(), wstest.peak_kib);
                    line.clear();
                }
            }
            if let Some(rss) = wstest.sample(self.run.cli.wstest_max_memory) {
                wstest.stop();
                self.console.end_rewrite();
                return Err(wstest::over_bound(
                    self.role,
                    rss,
                    self.run.cli.wstest_max_memory,
                    &self.point(wstest),
                    &self.run.cli.gc_interval,
                ));
            }
            if done(wstest) {
                while reader.read_line(&mut line).unwrap_or(0) > 0 {}
                for l in line.lines() {
                    self.show(l, wstest.peak_kib);
                }
                break;
            }
            if Instant::now() > deadline {
                self.console.end_rewrite();
                return Err(format!(
                    "the {} run did not finish within {} s (AUTOBAHN_TIMEOUT), {}",
                    self.role,
                    self.run.cli.timeout,
                    self.point(wstest)
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        if self.console.tty {
            self.console.end_rewrite();
        } else if let Some(last) = self.progress.finish(self.secs(), wstest.peak_kib) {
            self.console.line(&last);
        }
        Ok(())
    }

    fn show(&mut self, line: &str, peak_kib: u64) {
        match self.progress.on_line(line, self.secs(), peak_kib) {
            Some(Shown::Rewrite(text)) => self.console.rewrite(&text),
            Some(Shown::Line(text)) => self.console.line(&text),
            Some(Shown::Warning(text)) => self.console.warn(&text),
            None => {}
        }
    }

    /// Fails when something listens on `addr` already.
    /// Starts Squid (`program`) on a free port of 127.0.0.1, its
    /// configuration and logs in `squid/` of the role's folder; the proxy's
    /// URL for fuzzclient's `--proxy`.
    fn start_proxy(&self, program: &str) -> Result<(Proc, String), String> {
        let port = rfc6455_test_support::free_port();
        let dir = self.out.join("squid");
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        // Run as root, Squid drops to its own user, which writes the logs.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777))
            .map_err(|e| format!("cannot open {} to Squid: {e}", dir.display()))?;
        let conf_path = dir.join("squid.conf");
        let conf = rfc6455_test_support::proxies::squid_conf(port, &dir);
        std::fs::write(&conf_path, conf)
            .map_err(|e| format!("cannot write {}: {e}", conf_path.display()))?;
        let log = dir.join("squid.out");
        let mut command = Command::new(program);
        command.arg("-N").arg("-f").arg(&conf_path);
        let mut proc = Proc::spawn(&mut command, &log)?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        if let Err(e) = self.wait_listen(addr, &mut proc, "squid", &log, 60) {
            self.console.show_log(&dir.join("cache.log"), 20);
            return Err(e);
        }
        self.console.say(&format!(
            "Squid (HTTP CONNECT proxy) listens on {addr}; fuzzclient goes through it"
        ));
        Ok((proc, format!("http://{addr}")))
    }

    /// Checks in Squid's access log that fuzzclient's connections went
    /// through it (a `CONNECT` line per tunnel: one per case, plus the case
    /// count and the reports), and says how many.
    fn count_tunnels(&self) -> Result<(), String> {
        let log = self.out.join("squid/access.log");
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let tunnels = text
            .lines()
            .filter(|line| line.contains(" CONNECT ") && line.contains("/200 "))
            .count();
        if tunnels == 0 {
            self.console.show_log(&log, 20);
            return Err(format!(
                "Squid carried no CONNECT tunnel: fuzzclient went around it (see {})",
                log.display()
            ));
        }
        self.console
            .say(&format!("Squid carried {tunnels} CONNECT tunnels"));
        Ok(())
    }

    fn port_free(&self, addr: SocketAddr, who: &str) -> Result<(), String> {
        if !procs::port_open(addr) {
            return Ok(());
        }
        let by = procs::port_user(addr.port())
            .map(|u| format!(" (by {u})"))
            .unwrap_or_default();
        Err(format!(
            "port {} on {} is already in use{by}; {who} needs it. Stop that process, or pick \
             another address with AUTOBAHN_SERVER_ADDR / AUTOBAHN_CLIENT_ADDR.",
            addr.port(),
            addr.ip()
        ))
    }

    fn wait_listen(
        &self,
        addr: SocketAddr,
        proc: &mut Proc,
        who: &str,
        log: &Path,
        secs: u64,
    ) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while !procs::port_open(addr) {
            if let Some(status) = proc.exited() {
                self.console.show_log(log, 20);
                return Err(format!(
                    "{who} exited (status {}) before listening on {addr}",
                    shell_status(status)
                ));
            }
            if Instant::now() > deadline {
                self.console.show_log(log, 20);
                return Err(format!("{who} did not listen on {addr} within {secs} s"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }

    /// Compares the run with the baseline into `summary.txt`; whether it passed.
    fn compare(&self, wstest: &Wstest, elapsed: f64) -> Result<bool, String> {
        let index = self.out.join("index.json");
        if std::fs::metadata(&index).map_or(true, |m| m.len() == 0) {
            self.console.show_log(&self.out.join("wstest.log"), 20);
            return Err(format!(
                "wstest wrote no {} for the {} role",
                index.display(),
                self.role
            ));
        }
        // Paths relative to the repository read better in the summary.
        let relative = index.strip_prefix(&self.run.root).unwrap_or(&index);
        let flags = Compare {
            index: relative.to_owned(),
            expected: self.expected(),
            role: Some(self.role.to_owned()),
            agent: Some(AGENT.to_owned()),
            cases: self.run.plan.cases.clone(),
            elapsed: Some(elapsed),
            update: self.run.cli.update_expected,
            wstest: Some(self.run.runner.label()),
            wstest_peak: (wstest.peak_kib > 0).then_some(wstest.peak_kib * 1024),
            wstest_max: Some(self.run.cli.wstest_max_memory),
        };
        let compared = compare(&flags).map_err(|e| {
            format!(
                "autobahn-report could not compare the {} run: {e}",
                self.role
            )
        })?;
        std::fs::write(self.out.join("summary.txt"), &compared.text)
            .map_err(|e| format!("cannot write the {} summary: {e}", self.role))?;
        Ok(compared.passed)
    }

    fn server(&mut self) -> Result<bool, String> {
        let run = self.run;
        let addr = run.cli.server_addr;
        let name = match run.cli.testee {
            Some(t) => t.name(),
            None if run.cli.streaming => "fuzzserver --streaming",
            None if run.cli.http2 => "fuzzserver --http2 (through h2relay)",
            None => "fuzzserver",
        };
        let bin = match run.cli.testee {
            Some(t) => run.target.join("examples").join(t.name()),
            None => run.target.join("fuzzserver"),
        };
        let url = format!("{}://{addr}", self.scheme());
        self.console.say(&format!(
            "server role: wstest -m fuzzingclient against {name} on {url}"
        ));
        let spec = self.prepare("fuzzingclient", &url)?;
        self.port_free(addr, name)?;
        let log = self.out.join(format!(
            "{}.log",
            run.cli.testee.map_or("fuzzserver", |t| t.name())
        ));
        // Over HTTP/2, fuzzserver listens on a free port and the relay on
        // the server address.
        let testee_addr = if run.cli.http2 { free_port()? } else { addr };
        let mut command = Command::new(&bin);
        // fuzzserver takes `--addr`; the rfc6455 example servers take the
        // address as their first argument.
        if run.cli.testee.is_none() {
            command.arg("--addr");
        }
        command.arg(testee_addr.to_string());
        if run.cli.http2 {
            command.arg("--http2");
        }
        if let Some((cert, key)) = &run.tls {
            command.arg("--tls").arg(cert).arg(key);
        }
        if run.cli.streaming {
            command.arg("--streaming");
        }
        let mut server = Proc::spawn(&mut command, &log)?;
        self.wait_listen(testee_addr, &mut server, name, &log, 15)?;
        let mut relay = None;
        if run.cli.http2 {
            let relay_log = self.out.join("h2relay.log");
            let mut command = Command::new(run.target.join("h2relay"));
            command
                .args(["--listen", &addr.to_string()])
                .args(["--to", &testee_addr.to_string()]);
            let mut proc = Proc::spawn(&mut command, &relay_log)?;
            self.wait_listen(addr, &mut proc, "h2relay", &relay_log, 15)?;
            relay = Some((proc, relay_log));
        }

        let t0 = Instant::now();
        let spec = spec.display().to_string();
        let mut wstest = self.start_wstest(&["-m", "fuzzingclient", "-s", &spec])?;
        self.watch(&mut wstest, |w| !w.alive())?;
        let status = shell_status(wstest.proc.wait());
        wstest.final_peak();
        let elapsed = t0.elapsed().as_secs_f64();
        if status != 0 {
            self.console.show_log(&self.out.join("wstest.log"), 20);
            return Err(format!(
                "wstest -m fuzzingclient failed ({}) {}",
                describe_status(status, wstest.oom_before, procs::oom_kills()),
                self.point(&wstest)
            ));
        }
        let mut crashed = false;
        if let Some(status) = server.exited() {
            self.console.show_log(&log, 20);
            let why = format!(
                "{name} exited during the run ({}); the cases after that failed",
                describe_status(shell_status(status), wstest.oom_before, procs::oom_kills())
            );
            self.console.warn(&why);
            let _ = std::fs::write(self.out.join("failure.txt"), format!("{why}\n"));
            crashed = true;
        }
        if let Some((mut proc, relay_log)) = relay {
            if let Some(status) = proc.exited() {
                self.console.show_log(&relay_log, 20);
                let why = format!(
                    "h2relay exited during the run ({}); the cases after that failed",
                    describe_status(shell_status(status), wstest.oom_before, procs::oom_kills())
                );
                self.console.warn(&why);
                crashed = true;
            }
            proc.stop();
        }
        server.stop();
        Ok(self.compare(&wstest, elapsed)? && !crashed)
    }

    fn client(&mut self) -> Result<bool, String> {
        let run = self.run;
        let addr = run.cli.client_addr;
        let url = format!("{}://{addr}", self.scheme());
        self.console.say(&format!(
            "client role: fuzzclient against wstest -m fuzzingserver on {url}"
        ));
        let spec = self.prepare("fuzzingserver", &url)?;
        let who = "wstest -m fuzzingserver";
        self.port_free(addr, who)?;
        let spec = spec.display().to_string();
        let mut wstest =
            self.start_wstest(&["-m", "fuzzingserver", "-s", &spec, "--webport", "0"])?;
        let wstest_log = self.out.join("wstest.log");
        self.wait_listen(addr, &mut wstest.proc, who, &wstest_log, 90)?;
        let mut proxy = match &run.proxy {
            Some(program) => Some(self.start_proxy(program)?),
            None => None,
        };
        // Over HTTP/2, fuzzclient reaches wstest through the relay, which
        // listens on a free port.
        let mut relay = None;
        let mut client_url = url.clone();
        if run.cli.http2 {
            let relay_addr = free_port()?;
            let relay_log = self.out.join("h2relay.log");
            let mut command = Command::new(run.target.join("h2relay"));
            command
                .arg("--from-http2")
                .args(["--listen", &relay_addr.to_string()])
                .args(["--to", &addr.to_string()]);
            let mut proc = Proc::spawn(&mut command, &relay_log)?;
            self.wait_listen(relay_addr, &mut proc, "h2relay", &relay_log, 15)?;
            relay = Some(proc);
            client_url = format!("ws://{relay_addr}");
        }
        self.console.say("wstest listens; running fuzzclient");

        let t0 = Instant::now();
        let mut command = Command::new(run.target.join("fuzzclient"));
        command.args(["--url", &client_url, "--agent", AGENT]);
        if run.cli.http2 {
            command.arg("--http2");
        }
        if let Some((cert, _)) = &run.tls {
            command.arg("--ca").arg(cert);
        }
        if let Some((_, proxy_url)) = &proxy {
            command.arg("--proxy").arg(proxy_url);
        }
        let log = self.out.join("fuzzclient.log");
        let mut client = Proc::spawn(&mut command, &log)?;
        let mut client_status = None;
        self.watch(&mut wstest, |w| {
            client_status = client_status.or_else(|| client.exited());
            client_status.is_some() || !w.alive()
        })?;
        if !wstest.alive() {
            // wstest serves until it is stopped: its end is a failure.
            let status = shell_status(wstest.proc.wait());
            wstest.final_peak();
            self.console.show_log(&wstest_log, 20);
            return Err(format!(
                "{who} died ({}) {}",
                describe_status(status, wstest.oom_before, procs::oom_kills()),
                self.point(&wstest)
            ));
        }
        let status = shell_status(client_status.unwrap_or_else(|| client.wait()));
        let elapsed = t0.elapsed().as_secs_f64();
        if status != 0 {
            self.console.show_log(&log, 20);
            return Err(format!(
                "fuzzclient failed ({}) {}",
                describe_status(status, wstest.oom_before, procs::oom_kills()),
                self.point(&wstest)
            ));
        }
        if let Some(mut relay) = relay {
            relay.stop();
        }
        if let Some((mut squid, _)) = proxy.take() {
            // Squid writes a tunnel's line when it closes; TERM flushes all.
            squid.stop();
            self.count_tunnels()?;
        }
        // fuzzclient's last call (/updateReports) has wstest write its reports.
        let index = self.out.join("index.json");
        for _ in 0..100 {
            let written = std::fs::metadata(&index).is_ok_and(|m| m.len() > 0)
                && std::fs::read_to_string(&wstest_log)
                    .is_ok_and(|t| t.contains("Report generation complete"));
            if written || !wstest.alive() {
                break;
            }
            let _ = wstest.sample(u64::MAX);
            std::thread::sleep(Duration::from_millis(100));
        }
        wstest.stop();
        wstest.final_peak();
        self.compare(&wstest, elapsed)
    }
}

/// A port of 127.0.0.1 that nothing listens on now (the kernel's choice).
fn free_port() -> Result<std::net::SocketAddr, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map_err(|e| format!("no free port on 127.0.0.1: {e}"))
}
