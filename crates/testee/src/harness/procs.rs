//! The processes a run starts: each is stopped when its [`Proc`] drops
//! (TERM, then KILL after 3 s), and all of them (with the Docker
//! containers) on Ctrl-C or TERM to the harness. A process may lead a
//! process group of its own (libFuzzer's `-fork` workers): then the whole
//! group gets the signals. Also: exit statuses in words, the ports, and
//! wstest's memory in `/proc`.

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::fs::File;
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What the signal handler stops: the pids and containers alive now, and
/// the run's scratch folder.
static LIVE: Mutex<Live> = Mutex::new(Live {
    pids: Vec::new(),
    containers: Vec::new(),
    scratch: None,
});

struct Live {
    /// What `kill` takes: a pid, or a process group as minus its leader.
    pids: Vec<i32>,
    containers: Vec<String>,
    scratch: Option<PathBuf>,
}

fn live() -> std::sync::MutexGuard<'static, Live> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// A child process, stopped when dropped.
pub struct Proc {
    child: Child,
    container: Option<String>,
    /// Whether it leads a process group of its own.
    group: bool,
}

impl Proc {
    /// Starts `command` with its output (stdout and stderr) into `log`.
    pub fn spawn(command: &mut Command, log: &Path) -> Result<Proc, String> {
        Proc::start(command, log, false)
    }

    /// Starts `command` as [`Proc::spawn`] does, as the leader of a new
    /// process group: signals go to the group, so they reach the
    /// processes it starts too.
    pub fn spawn_group(command: &mut Command, log: &Path) -> Result<Proc, String> {
        Proc::start(command.process_group(0), log, true)
    }

    fn start(command: &mut Command, log: &Path, group: bool) -> Result<Proc, String> {
        let out = File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let mut live = live();
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {:?}: {e}", command.get_program()))?;
        let proc = Proc {
            child,
            container: None,
            group,
        };
        live.pids.push(proc.target());
        Ok(proc)
    }

    /// What signals go to: the pid, or minus it for a group.
    fn target(&self) -> i32 {
        let pid = self.child.id() as i32;
        if self.group {
            -pid
        } else {
            pid
        }
    }

    /// Sends `signal` to the process (to its group, if it leads one).
    pub fn signal(&self, signal: Signal) {
        let _ = kill(Pid::from_raw(self.target()), signal);
    }

    /// The Docker container this process runs (`docker rm -f` at the end).
    pub fn with_container(mut self, name: String) -> Proc {
        live().containers.push(name.clone());
        self.container = Some(name);
        self
    }

    /// The process's id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Its exit status once it ended (reaped), `None` while it runs.
    /// Never returns once Ctrl-C or TERM is being handled (see
    /// [`stop_on_signals`]).
    pub fn exited(&mut self) -> Option<ExitStatus> {
        let status = self.child.try_wait().ok().flatten();
        if status.is_some() {
            park_if_stopping();
        }
        status
    }

    /// Waits for it to end. Never returns once Ctrl-C or TERM is being
    /// handled (see [`stop_on_signals`]).
    pub fn wait(&mut self) -> ExitStatus {
        let status = self.child.wait().unwrap_or_else(|_| signalled(9));
        park_if_stopping();
        status
    }

    /// TERM, then KILL if it has not ended within 3 s; the container goes
    /// too. A group gets both signals whole.
    pub fn stop(&mut self) -> ExitStatus {
        let target = self.target();
        let status = match self.exited() {
            Some(status) => status,
            None => {
                stop_pid(target, || self.child.try_wait().ok().flatten()).unwrap_or_else(|| {
                    self.signal(Signal::SIGKILL);
                    self.wait()
                })
            }
        };
        if let Some(name) = self.container.take() {
            remove_container(&name);
        }
        live().pids.retain(|&p| p != target);
        status
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

fn signalled(signal: i32) -> ExitStatus {
    use std::os::unix::process::ExitStatusExt;
    ExitStatus::from_raw(signal)
}

/// TERM to `pid` (a group if negative), then up to 3 s for `ended` to
/// say it ended.
fn stop_pid<T>(pid: i32, mut ended: impl FnMut() -> Option<T>) -> Option<T> {
    let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        if let Some(done) = ended() {
            return Some(done);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

fn remove_container(name: &str) {
    let _ = Command::new("docker")
        .args(["rm", "-f", name])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    live().containers.retain(|c| c != name);
}

/// Whether a process (not necessarily ours) runs: it exists and is no zombie.
pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let state = stat.rsplit_once(") ")?.1.chars().next()?;
            Some(state != 'Z')
        })
        .unwrap_or(false)
}

/// The run's scratch folder, removed at the end and on a signal.
pub fn set_scratch(dir: PathBuf) {
    live().scratch = Some(dir);
}

/// Stops every process and container still running and removes the
/// scratch folder: at the end of a run, and on a signal.
pub fn stop_everything() {
    let (pids, containers, scratch) = {
        let mut live = live();
        let scratch = live.scratch.take();
        (
            std::mem::take(&mut live.pids),
            live.containers.clone(),
            scratch,
        )
    };
    for &pid in &pids {
        let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
    }
    // A group counts as alive while its leader is.
    let leader_alive = |p: i32| alive(p.unsigned_abs());
    let deadline = Instant::now() + Duration::from_secs(3);
    while pids.iter().any(|&p| leader_alive(p)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    for &pid in pids.iter().filter(|&&p| leader_alive(p)) {
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    }
    for name in containers {
        remove_container(&name);
    }
    if let Some(dir) = scratch {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Set once Ctrl-C or TERM is being handled.
static STOPPING: AtomicBool = AtomicBool::new(false);

/// Blocks for good while a signal is being handled: the handler exits the
/// process once it has stopped everything, and a process that ended because
/// of it must not be reported (as a crash, a failed role) meanwhile.
fn park_if_stopping() {
    while STOPPING.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// On Ctrl-C (exit 130) or TERM (exit 143): says so (`program:
/// interrupted`), stops everything, exits. Meanwhile, the processes that
/// end are not reported: [`Proc::exited`] and [`Proc::wait`] block.
pub fn stop_on_signals(program: &'static str) {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .expect("a runtime for the signal handler");
        let (word, code) = runtime.block_on(async {
            use tokio::signal::unix::{signal, SignalKind};
            let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
            let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
            tokio::select! {
                _ = int.recv() => ("interrupted", 130),
                _ = term.recv() => ("terminated", 143),
            }
        });
        STOPPING.store(true, Ordering::SeqCst);
        eprintln!("\n{program}: {word}");
        stop_everything();
        std::process::exit(code);
    });
}

/// An exit status as a shell reports it: the code, or 128 + the signal.
pub fn shell_status(status: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(-1)
}

/// `status 137: killed by SIGKILL, from the kernel's out-of-memory killer
/// (...)`: the OOM killer is named when `/proc/vmstat`'s `oom_kill` went
/// up from `oom_before` to `oom_now` while the process ran.
pub fn describe_status(status: i32, oom_before: u64, oom_now: u64) -> String {
    if status <= 128 {
        return format!("status {status}");
    }
    let number = status - 128;
    let name = Signal::try_from(number)
        .map(|s| s.as_str().to_owned())
        .unwrap_or_else(|_| format!("SIGsignal {number}"));
    let mut text = format!("status {status}: killed by {name}");
    if number == Signal::SIGKILL as i32 && oom_now > oom_before {
        text.push_str(
            ", from the kernel's out-of-memory killer (/proc/vmstat's oom_kill went up; \
             lower AUTOBAHN_WSTEST_MAX_MEMORY so that the bound stops it first)",
        );
    }
    text
}

/// `/proc/vmstat`'s count of processes the OOM killer ended.
pub fn oom_kills() -> u64 {
    std::fs::read_to_string("/proc/vmstat")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("oom_kill "))
                .and_then(|n| n.trim().parse().ok())
        })
        .unwrap_or(0)
}

/// `VmHWM` (peak) and `VmRSS` (now) of a `/proc/PID/status`, in KiB.
pub fn parse_memory(status: &str) -> (u64, u64) {
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// Whether something accepts connections on `addr`.
pub fn port_open(addr: SocketAddr) -> bool {
    TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok()
}

/// Who listens on `port`, if `ss` can tell: `"fuzzserver",pid=123,fd=9`.
pub fn port_user(port: u16) -> Option<String> {
    let out = Command::new("ss")
        .args(["-ltnpH", &format!("sport = :{port}")])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let users = text.lines().next()?.split_once("users:((")?.1;
    Some(
        users
            .strip_suffix("))")
            .unwrap_or(users)
            .trim_end_matches(')')
            .to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_in_words() {
        assert_eq!(describe_status(1, 0, 0), "status 1");
        assert_eq!(describe_status(143, 0, 0), "status 143: killed by SIGTERM");
        assert_eq!(describe_status(137, 3, 3), "status 137: killed by SIGKILL");
        let oom = describe_status(137, 3, 4);
        assert!(
            oom.starts_with(
                "status 137: killed by SIGKILL, from the kernel's out-of-memory killer"
            ),
            "{oom}"
        );
        assert_eq!(describe_status(139, 3, 4), "status 139: killed by SIGSEGV");
    }

    #[test]
    fn memory_from_proc_status() {
        let status = "Name:\tpypy\nVmPeak:\t  999 kB\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n";
        assert_eq!(parse_memory(status), (2048, 1024));
        assert_eq!(parse_memory(""), (0, 0));
    }

    #[test]
    fn processes_stop_and_say_how() {
        let dir = std::env::temp_dir().join(format!("harness-procs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut sleeper = Proc::spawn(Command::new("sleep").arg("30"), &dir.join("log")).unwrap();
        let pid = sleeper.id();
        assert!(alive(pid) && sleeper.exited().is_none());
        let status = sleeper.stop();
        assert_eq!(shell_status(status), 143);
        assert!(!alive(pid));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_group_is_signalled_whole() {
        let dir = std::env::temp_dir().join(format!("harness-group-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // The shell leads the group; its `sleep` child must get the signal
        // too (TERM: a non-interactive shell starts it ignoring INT).
        let mut shell = Proc::spawn_group(
            Command::new("sh").args(["-c", "sleep 30 & echo $!; wait"]),
            &dir.join("log"),
        )
        .unwrap();
        let log = dir.join("log");
        let deadline = Instant::now() + Duration::from_secs(10);
        let child = loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(Ok(pid)) = text.lines().next().map(str::parse::<u32>) {
                break pid;
            }
            assert!(
                Instant::now() < deadline,
                "the shell never started its child"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        shell.signal(Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(10);
        while alive(child) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(!alive(child), "the group's other process outlived the TERM");
        shell.stop();
        let _ = std::fs::remove_dir_all(dir);
    }
}
