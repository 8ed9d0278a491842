//! Real proxies for the client's tests, started by the test itself:
//! `tinyproxy` (HTTP `CONNECT`, Basic auth) and `danted` (Dante, SOCKS5,
//! username/password auth against a system user), each on a free port of
//! 127.0.0.1 with a configuration written for it, stopped on drop.
//!
//! The proxies install themselves: the first test to need one runs
//! `apt-get install` (Debian's `tinyproxy` and `dante-server`) when the
//! program is missing, as root, as the tests of the wss:// interop peer
//! install Python's `websockets`. When the install fails the test fails
//! and says why; nothing is skipped.

use crate::free_port;
use crate::tls::TempDir;
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The user `danted` checks SOCKS5 credentials against (a system user
/// without a shell or a home, made once), and its password.
pub const SOCKS_USER: (&str, &str) = ("rfc6455proxy", "socks-pw-1");

/// A running proxy: its port on 127.0.0.1; killed (this child only) on drop.
pub struct ProxyProcess {
    /// The port it listens on, on 127.0.0.1.
    pub port: u16,
    child: Child,
    dir: TempDir,
}

impl ProxyProcess {
    /// What the proxy logged so far (for a failing test's message).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }
}

impl Drop for ProxyProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `tinyproxy` for HTTP `CONNECT` to any port, asking for Basic
/// auth with `credentials` if given; `extra` lines are added to its
/// configuration (`ConnectPort 443` makes it refuse other ports with 403).
pub fn tinyproxy(credentials: Option<(&str, &str)>, extra: &str) -> ProxyProcess {
    let program = installed("tinyproxy", TINYPROXY_PACKAGES);
    let dir = TempDir::new();
    let port = free_port();
    let conf = tinyproxy_conf(port, credentials, extra);
    let conf_path = dir.path().join("tinyproxy.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let log = std::fs::File::create(dir.path().join("log")).unwrap();
    let child = Command::new(program)
        .arg("-d")
        .arg("-c")
        .arg(&conf_path)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("start tinyproxy");
    started(child, port, dir)
}

/// Debian's packages that carry `tinyproxy`, in the order to try them.
pub const TINYPROXY_PACKAGES: &[&str] = &["tinyproxy-bin", "tinyproxy"];

/// tinyproxy's configuration for 127.0.0.1:`port`, allowing `CONNECT` to
/// any port (its default allows only 443 and 563), from 127.0.0.1 only,
/// asking for Basic auth with `credentials` if given, with `extra` lines
/// at the end. When run as root it drops to `nobody`.
pub fn tinyproxy_conf(port: u16, credentials: Option<(&str, &str)>, extra: &str) -> String {
    let mut conf = format!(
        "User nobody\nGroup nogroup\nPort {port}\nListen 127.0.0.1\nTimeout 30\n\
         MaxClients 64\nAllow 127.0.0.1\nLogLevel Info\n"
    );
    if let Some((user, password)) = credentials {
        conf.push_str(&format!("BasicAuth {user} {password}\n"));
    }
    conf.push_str(extra);
    conf
}

/// Debian's package that carries Squid.
pub const SQUID_PACKAGES: &[&str] = &["squid"];

/// Squid's configuration for an HTTP proxy on 127.0.0.1:`port` that
/// tunnels (`CONNECT`) to any port for 127.0.0.1 and caches nothing, its
/// logs (`access.log`, one line per tunnel, and `cache.log`) and its pid
/// file in `dir`, which Squid's user must be able to write (as root it
/// runs as `proxy`). Run it with `squid -N -f CONF` (in the foreground).
pub fn squid_conf(port: u16, dir: &Path) -> String {
    let dir = dir.display();
    format!(
        "http_port 127.0.0.1:{port}\n\
         acl local src 127.0.0.1\n\
         http_access allow local\n\
         http_access deny all\n\
         cache deny all\n\
         visible_hostname rfc6455-test\n\
         pid_filename {dir}/squid.pid\n\
         access_log stdio:{dir}/access.log\n\
         cache_log {dir}/cache.log\n\
         coredump_dir {dir}\n\
         shutdown_lifetime 1 seconds\n"
    )
}

/// Starts `danted` for SOCKS5 CONNECT to 127.0.0.1, without
/// authentication or with username/password ([`SOCKS_USER`]).
pub fn danted(with_auth: bool) -> ProxyProcess {
    let program = installed("danted", &["dante-server"]);
    if with_auth {
        socks_user();
    }
    let dir = TempDir::new();
    let port = free_port();
    let method = if with_auth { "username" } else { "none" };
    let conf = format!(
        "logoutput: {log}\n\
         internal: 127.0.0.1 port = {port}\n\
         external: 127.0.0.1\n\
         clientmethod: none\n\
         socksmethod: {method}\n\
         user.privileged: root\n\
         user.unprivileged: nobody\n\
         client pass {{ from: 127.0.0.0/8 to: 0.0.0.0/0 }}\n\
         socks pass {{\n  from: 127.0.0.0/8 to: 127.0.0.0/8\n  command: connect\n  log: connect\n}}\n",
        log = dir.path().join("log").display(),
    );
    let conf_path = dir.path().join("danted.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let child = Command::new(program)
        .arg("-f")
        .arg(&conf_path)
        .arg("-p")
        .arg(dir.path().join("pid"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start danted");
    started(child, port, dir)
}

/// Waits until the proxy takes connections (or fails, with its log).
fn started(mut child: Child, port: u16, dir: TempDir) -> ProxyProcess {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return ProxyProcess { port, child, dir };
        }
        let log = || std::fs::read_to_string(dir.path().join("log")).unwrap_or_default();
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the proxy exited ({status}) before listening:\n{}", log());
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the proxy did not listen on {port} within 15 s:\n{}", log());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The path of `program`, installed with apt-get from the first of
/// `packages` that installs, if missing; a test fails when it cannot be.
fn installed(program: &str, packages: &[&str]) -> String {
    find_or_install(program, packages).unwrap_or_else(|why| panic!("{why}"))
}

/// The path of `program` in the usual folders, installed with apt-get
/// (as root) from the first of `packages` that installs, if missing; the
/// error says why it is not there.
pub fn find_or_install(program: &str, packages: &[&str]) -> Result<String, String> {
    static INSTALLING: Mutex<()> = Mutex::new(());
    let _one_at_a_time = INSTALLING.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(path) = find(program) {
        return Ok(path);
    }
    eprintln!("installing {packages:?} for {program} (apt-get, needs root)");
    match crate::apt_install(packages) {
        Ok(()) => {
            find(program).ok_or_else(|| format!("apt-get installed {packages:?} but no {program}"))
        }
        Err(why) => Err(format!(
            "{program} is missing (run as root to install it): {why}"
        )),
    }
}

/// `program` in the usual folders.
fn find(program: &str) -> Option<String> {
    ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"]
        .iter()
        .map(|dir| Path::new(dir).join(program))
        .find(|path| path.is_file())
        .map(|path| path.display().to_string())
}

/// Makes [`SOCKS_USER`] (once), with its password.
fn socks_user() {
    let (user, password) = SOCKS_USER;
    let exists = Command::new("id")
        .arg(user)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !exists {
        let status = Command::new("useradd")
            .args([
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                user,
            ])
            .status()
            .expect("useradd");
        assert!(status.success(), "useradd {user} failed (run as root)");
    }
    let mut chpasswd = Command::new("chpasswd")
        .stdin(Stdio::piped())
        .spawn()
        .expect("chpasswd");
    use std::io::Write as _;
    chpasswd
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{user}:{password}\n").as_bytes())
        .unwrap();
    assert!(chpasswd.wait().unwrap().success(), "chpasswd failed");
}
