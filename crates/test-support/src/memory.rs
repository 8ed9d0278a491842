//! This process's memory, for tests that check a hostile peer cannot grow
//! it: [`rss`] reads the resident set, and a [`Budget`] runs one scenario
//! at a time and fails it if the resident set grew past a bound. Linux
//! only (`/proc/self/statm`).

use tokio::sync::{Mutex, MutexGuard};

/// Serializes the scenarios of a test binary: each measures this
/// process's memory, which every test of the binary shares.
static MEMORY: Mutex<()> = Mutex::const_new(());

/// Every scenario holds one: scenarios run one at a time, and when one
/// ends (without a failure already), this process's resident set must not
/// have grown by `max` bytes or more over it.
pub struct Budget {
    _serial: MutexGuard<'static, ()>,
    before: usize,
    max: usize,
}

impl Budget {
    /// The bound for scenarios that do not push on memory on purpose:
    /// generous, for allocator and runtime noise.
    pub const DEFAULT: usize = 32 << 20;

    /// Waits for the scenarios before to end, then starts measuring.
    pub async fn start(max: usize) -> Budget {
        let serial = MEMORY.lock().await;
        Budget {
            _serial: serial,
            before: rss(),
            max,
        }
    }
}

impl Drop for Budget {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let grown = rss().saturating_sub(self.before);
        assert!(
            grown < self.max,
            "RSS grew by {grown} bytes during the scenario (bound {})",
            self.max
        );
    }
}

/// This process's resident set, in bytes (Linux).
pub fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}
