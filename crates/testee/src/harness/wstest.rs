//! wstest: where it runs (Docker, or natively through
//! `scripts/lib/wstest-bootstrap.sh`), how it starts, and its memory: the
//! kernel's peak resident size (VmHWM) of its process, read with every
//! progress tick; past the bound the role stops with a clear failure
//! instead of the kernel's OOM killer ending it (the machines have no
//! swap). The peak that `wstest_main.py` writes at exit covers the last
//! moments between two ticks.

use super::console::Console;
use super::procs::{self, Proc};
use super::progress::human;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Where wstest runs.
#[derive(Clone, Debug)]
pub enum Runner {
    /// In a container of this image.
    Docker(String),
    /// The bootstrap's launcher.
    Native(PathBuf),
}

impl Runner {
    /// `native pypy`, `native cpython` or `docker IMAGE`, for the summary.
    pub fn label(&self) -> String {
        match self {
            Runner::Docker(image) => format!("docker {image}"),
            Runner::Native(launcher) => {
                let dir = launcher
                    .parent()
                    .and_then(Path::parent)
                    .and_then(Path::file_name);
                format!("native {}", dir.map_or("?".into(), |d| d.to_string_lossy()))
            }
        }
    }
}

/// Runs `program args` for at most `secs`; whether it succeeded.
fn succeeds(program: &str, args: &[&str], secs: u64) -> bool {
    let Ok(mut child) = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    else {
        return false;
    };
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return status.success();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Picks the runner: Docker when an engine answers (unless `native`), else
/// the native wstest, bootstrapped once into the cache.
pub fn choose(cli: &super::Cli, root: &Path, console: &Console) -> Result<Runner, String> {
    use super::args::Runner as Want;
    let image = &cli.docker_image;
    if cli.runner != Want::Native {
        if succeeds("docker", &["info"], 20) {
            let have = succeeds("docker", &["image", "inspect", image], 60) || {
                console.say(&format!("pulling {image}"));
                Command::new("docker")
                    .args(["pull", image])
                    .status()
                    .is_ok_and(|s| s.success())
            };
            if have {
                console.say(&format!("wstest: Docker image {image}"));
                return Ok(Runner::Docker(image.clone()));
            }
            if cli.runner == Want::Docker {
                return Err(format!("cannot pull the Docker image {image}"));
            }
            console.warn(&format!(
                "cannot pull {image}; running wstest natively instead"
            ));
        } else if cli.runner == Want::Docker {
            return Err(
                "AUTOBAHN_RUNNER=docker but no Docker engine answers (docker info failed)".into(),
            );
        }
    }
    let t0 = Instant::now();
    let mut bootstrap = Command::new(root.join("scripts/lib/wstest-bootstrap.sh"));
    if let Some(cache) = &cli.cache {
        bootstrap.env("AUTOBAHN_CACHE", cache);
    }
    if let Some(python) = cli.python {
        bootstrap.env("AUTOBAHN_PYTHON", format!("{python:?}").to_lowercase());
    }
    let out = bootstrap
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not set up wstest natively: {e}"))?;
    let launcher = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if !out.status.success() || launcher.is_empty() {
        return Err("could not set up wstest natively (see the bootstrap messages above)".into());
    }
    console.say(&format!(
        "wstest: native, {launcher} (ready in {:.1} s)",
        t0.elapsed().as_secs_f64()
    ));
    Ok(Runner::Native(PathBuf::from(launcher)))
}

/// A running wstest and what is known of its memory.
pub struct Wstest {
    /// The launcher (native) or `docker run` (Docker).
    pub proc: Proc,
    container: Option<String>,
    mem_pid: Option<u32>,
    /// The highest VmHWM seen, in KiB.
    pub peak_kib: u64,
    /// `/proc/vmstat`'s oom_kill when wstest started.
    pub oom_before: u64,
    peak_file: PathBuf,
}

/// What the run tells every wstest.
pub struct Setup<'a> {
    /// Where it runs.
    pub runner: &'a Runner,
    /// The repository (mounted at the same path in Docker).
    pub root: &'a Path,
    /// The run's scratch folder: wstest's working directory.
    pub scratch: &'a Path,
    /// WSTEST_GC_INTERVAL.
    pub gc_interval: &'a str,
}

impl Wstest {
    /// Starts `wstest ARGS` with its output into `log`.
    pub fn start(
        setup: &Setup<'_>,
        role: &str,
        log: &Path,
        args: &[&str],
    ) -> Result<Wstest, String> {
        // wstest_main.py writes the process's peak memory here when it exits.
        let peak_file = setup.scratch.join(format!("wstest-peak-{role}.kib"));
        let _ = std::fs::remove_file(&peak_file);
        let oom_before = procs::oom_kills();
        let (proc, container) = match setup.runner {
            Runner::Native(launcher) => {
                let mut command = Command::new(launcher);
                command
                    .args(args)
                    .current_dir(setup.scratch)
                    .env("WSTEST_PEAK_FILE", &peak_file)
                    .env("WSTEST_GC_INTERVAL", setup.gc_interval);
                (Proc::spawn(&mut command, log)?, None)
            }
            Runner::Docker(image) => {
                let name = format!("rfc6455-autobahn-{}-{role}", std::process::id());
                let me = std::fs::metadata("/proc/self").map_err(|e| e.to_string())?;
                let (root, scratch) = (setup.root.display(), setup.scratch.display());
                let mut command = Command::new("docker");
                // Host networking: wstest and the testees meet on 127.0.0.1.
                // The reports are written as the calling user, so they stay
                // removable. wstest starts through wstest_main.py (periodic
                // collections, peak memory) on the image's own interpreter.
                command
                    .args(["run", "--rm", "--name", &name, "--network", "host"])
                    .args(["-u", &format!("{}:{}", me.uid(), me.gid())])
                    .args(["-e", "HOME=/tmp", "-e", "PYTHONUNBUFFERED=1"])
                    .args(["-e", &format!("WSTEST_GC_INTERVAL={}", setup.gc_interval)])
                    .args(["-e", &format!("WSTEST_PEAK_FILE={}", peak_file.display())])
                    .args(["-v", &format!("{root}:{root}"), "-v", &format!("{scratch}:{scratch}")])
                    .args(["-w", &scratch.to_string(), "--entrypoint", "/bin/sh", image, "-c"])
                    .arg(r#"exec "$(command -v pypy || command -v python2 || command -v python)" "$@""#)
                    .arg("wstest")
                    .arg(setup.root.join("scripts/lib/wstest_main.py"))
                    .arg("--")
                    .args(args);
                let proc = Proc::spawn(&mut command, log)?.with_container(name.clone());
                (proc, Some(name))
            }
        };
        Ok(Wstest {
            proc,
            container,
            mem_pid: None,
            peak_kib: 0,
            oom_before,
            peak_file,
        })
    }

    /// Whether wstest still runs.
    pub fn alive(&mut self) -> bool {
        self.proc.exited().is_none()
    }

    /// Reads its memory; `Some(resident KiB)` when that passed `max` bytes.
    pub fn sample(&mut self, max: u64) -> Option<u64> {
        if self.mem_pid.is_none() {
            self.mem_pid = match &self.container {
                None => Some(self.proc.id()),
                Some(name) => Command::new("docker")
                    .args(["inspect", "-f", "{{.State.Pid}}", name])
                    .stderr(Stdio::null())
                    .output()
                    .ok()
                    .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
                    .filter(|&pid| pid != 0),
            };
        }
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.mem_pid?)).ok()?;
        let (hwm, rss) = procs::parse_memory(&status);
        self.peak_kib = self.peak_kib.max(hwm);
        (rss * 1024 > max).then_some(rss)
    }

    /// Folds wstest's own report of its peak (written at exit) in.
    pub fn final_peak(&mut self) {
        if let Some(kib) = std::fs::read_to_string(&self.peak_file)
            .ok()
            .and_then(|t| t.trim().parse::<u64>().ok())
        {
            self.peak_kib = self.peak_kib.max(kib);
        }
    }

    /// Stops it (and its container).
    pub fn stop(&mut self) -> i32 {
        procs::shell_status(self.proc.stop())
    }
}

/// Why the memory bound stopped wstest, for the failure's last words.
pub fn gc_reason(gc_interval: &str) -> String {
    if gc_interval.chars().all(|c| c == '0' || c == '.') {
        "its garbage collections are off (AUTOBAHN_GC_INTERVAL=0)".to_owned()
    } else {
        format!(
            "with collections every {gc_interval} s (AUTOBAHN_GC_INTERVAL) a run stays under 2 GiB"
        )
    }
}

/// The message of a passed bound: `rss_kib` resident over `max` bytes.
pub fn over_bound(role: &str, rss_kib: u64, max: u64, point: &str, gc_interval: &str) -> String {
    format!(
        "the {role} role's wstest passed its memory bound: {} resident, over {} \
         (AUTOBAHN_WSTEST_MAX_MEMORY), {point}; stopped it; {}",
        human(rss_kib * 1024),
        human(max),
        gc_reason(gc_interval)
    )
}

/// A self-signed certificate for 127.0.0.1 and localhost, made in-process
/// (rcgen) into `dir`: `(cert.pem, key.pem)`. Not a CA (no
/// basicConstraints), so rustls takes it as the server's own certificate
/// while fuzzclient trusts it as its only anchor (`--ca`).
pub fn make_cert(dir: &Path) -> Result<(PathBuf, PathBuf), String> {
    use rcgen::{CertificateParams, DnType, KeyPair};
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let key = KeyPair::generate().map_err(|e| format!("cannot make a TLS key: {e}"))?;
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .map_err(|e| e.to_string())?;
    params
        .distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    let cert = params
        .self_signed(&key)
        .map_err(|e| format!("cannot sign the TLS certificate: {e}"))?;
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    for (path, pem) in [(&cert_path, cert.pem()), (&key_path, key.serialize_pem())] {
        std::fs::write(path, pem).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok((cert_path, key_path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_name_the_interpreter() {
        let native = Runner::Native("/c/rfc6455-autobahn/pypy/bin/wstest".into());
        assert_eq!(native.label(), "native pypy");
        assert_eq!(Runner::Docker("img:1".into()).label(), "docker img:1");
    }

    #[test]
    fn the_bound_says_why() {
        let text = over_bound(
            "server",
            1 << 20,
            1 << 30,
            "at case 12.1.3 (3/18), 9 s in",
            "0",
        );
        assert_eq!(
            text,
            "the server role's wstest passed its memory bound: 1.00 GiB resident, over 1.00 GiB \
             (AUTOBAHN_WSTEST_MAX_MEMORY), at case 12.1.3 (3/18), 9 s in; stopped it; \
             its garbage collections are off (AUTOBAHN_GC_INTERVAL=0)"
        );
        assert!(gc_reason("0.5").contains("every 0.5 s"));
        assert!(gc_reason("0.0").contains("are off"));
    }

    #[test]
    fn the_certificate_is_pem() {
        let dir = std::env::temp_dir().join(format!("harness-cert-{}", std::process::id()));
        let (cert, key) = make_cert(&dir).unwrap();
        assert!(std::fs::read_to_string(cert)
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(std::fs::read_to_string(key)
            .unwrap()
            .contains("PRIVATE KEY"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
