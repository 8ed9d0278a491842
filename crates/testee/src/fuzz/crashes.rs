//! What a campaign's crashes become: a timeout that runs in time when
//! replayed is dropped (a process stopped from outside, a suspended
//! laptop, wakes up to one); every other crash is minimized with `cargo
//! fuzz tmin` and the smallest reproducer kept as
//! `fuzz/artifacts/TARGET/KIND-SHA1PREFIX`, which `cargo test -p rfc6455
//! --test fuzz_regressions` replays. Finding crashes is libFuzzer's job.

use super::campaign::{files, Paths};
use super::status::excerpt;
use super::Layout;
use crate::harness::console::Console;
use crate::harness::procs::Proc;
use sha1::{Digest as _, Sha1};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The artifacts libFuzzer writes, by the prefix of their names.
pub const KINDS: [&str; 4] = ["crash", "leak", "timeout", "oom"];

/// How long a replayed timeout may take before it counts as slow again.
const REPLAY_LIMIT: Duration = Duration::from_secs(120);

/// The kind of an artifact named `name` (`crash-5f1d...` is a crash).
pub fn kind(name: &str) -> Option<&'static str> {
    let prefix = name.split_once('-')?.0;
    KINDS.into_iter().find(|k| *k == prefix)
}

/// The artifacts in `dir`, sorted.
pub fn found(dir: &Path) -> Vec<PathBuf> {
    files(dir)
        .into_iter()
        .filter(|p| kind(&name(p)).is_some())
        .collect()
}

fn name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The first 12 hex digits of the SHA-1 of `bytes`: an artifact's name.
pub fn sha1_prefix(bytes: &[u8]) -> String {
    let mut hex = String::new();
    for byte in &Sha1::digest(bytes)[..6] {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// The smallest file in `dir` (by size, then name), if any.
pub fn smallest(dir: &Path) -> Option<PathBuf> {
    files(dir).into_iter().min_by_key(|p| {
        (
            std::fs::metadata(p).map_or(u64::MAX, |m| m.len()),
            p.clone(),
        )
    })
}

/// Handles the crashes of one target's campaign.
pub struct Minimizer<'a> {
    /// The repository's files.
    pub layout: &'a Layout,
    /// The target that crashed.
    pub target: &'a str,
    /// The sanitizer it was built with (tmin builds the same way).
    pub sanitizer: &'a str,
    /// Where the messages go.
    pub console: &'a Console,
}

impl Minimizer<'_> {
    /// Keeps the artifact `crash` (minimized) or drops it (a timeout that
    /// runs in time): whether it was kept.
    pub fn handle(&self, crash: &Path) -> Result<bool, String> {
        let (target, file) = (self.target, name(crash));
        let kind = kind(&file).unwrap_or("crash");
        if kind == "timeout" && self.replays_in_time(crash)? {
            self.console.stamped(&format!(
                "  {target}: {file} ran in time when replayed; not kept"
            ));
            return Ok(false);
        }
        self.console
            .stamped(&format!("  {target}: {file}, minimizing"));
        let smallest = self.minimize(crash)?;
        let source = smallest.as_deref().unwrap_or(crash);
        let bytes =
            std::fs::read(source).map_err(|e| format!("cannot read {}: {e}", source.display()))?;
        let kept = format!("{kind}-{}", sha1_prefix(&bytes));
        let artifacts = self.layout.fuzz.join("artifacts").join(target);
        std::fs::write(artifacts.join(&kept), &bytes)
            .map_err(|e| format!("cannot write {}: {e}", artifacts.join(&kept).display()))?;
        self.console.stamped(&format!(
            "  {target}: kept fuzz/artifacts/{target}/{kept} ({} bytes); the panic:",
            bytes.len()
        ));
        let log = std::fs::read(Paths::of(self.layout, target).log).unwrap_or_default();
        let panics = |l: &str| l.contains("panicked at") || l.starts_with("thread '");
        for line in excerpt(&String::from_utf8_lossy(&log), panics, 3, 8) {
            self.console.line(&format!("      {line}"));
        }
        Ok(true)
    }

    /// Runs the target once over `input`: whether it ended in time and well.
    fn replays_in_time(&self, input: &Path) -> Result<bool, String> {
        let log = self
            .layout
            .logs()
            .join(format!("{}.replay.log", self.target));
        let mut replay = Proc::spawn(
            Command::new(self.layout.bin(self.target))
                .args(["-timeout=10", "-runs=1"])
                .arg(input)
                .current_dir(&self.layout.root),
            &log,
        )?;
        let deadline = Instant::now() + REPLAY_LIMIT;
        while Instant::now() < deadline {
            if let Some(status) = replay.exited() {
                return Ok(status.success());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        replay.stop();
        Ok(false)
    }

    /// `cargo fuzz tmin`, which writes each smaller reproducer it finds as
    /// `fuzz/artifacts/TARGET/minimized-from-HASH`: those move to
    /// `fuzz/corpus-run/tmin/TARGET/`, and the smallest is returned.
    fn minimize(&self, crash: &Path) -> Result<Option<PathBuf>, String> {
        let target = self.target;
        let artifacts = self.layout.fuzz.join("artifacts").join(target);
        let tmin = self.layout.run.join("tmin").join(target);
        let _ = std::fs::remove_dir_all(&tmin);
        std::fs::create_dir_all(&tmin)
            .map_err(|e| format!("cannot create {}: {e}", tmin.display()))?;
        let before = files(&artifacts);
        let mut command = self.layout.cargo_fuzz("tmin", self.sanitizer);
        command.args(["-r", "2000", target]).arg(crash);
        // No minimizer (no cargo-fuzz, no nightly) keeps the crash as found.
        let log = self.layout.logs().join(format!("{target}.tmin.log"));
        if let Ok(mut minimizer) = Proc::spawn(&mut command, &log) {
            minimizer.wait();
        }
        for new in files(&artifacts) {
            if !before.contains(&new) && name(&new).starts_with("minimized-from-") {
                std::fs::rename(&new, tmin.join(name(&new)))
                    .map_err(|e| format!("cannot move {}: {e}", new.display()))?;
            }
        }
        Ok(smallest(&tmin))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_name() {
        assert_eq!(kind("crash-5f1d0c4e"), Some("crash"));
        assert_eq!(kind("timeout-00"), Some("timeout"));
        assert_eq!(kind("oom-1"), Some("oom"));
        assert_eq!(kind("leak-1"), Some("leak"));
        assert_eq!(kind("slow-unit-1"), None);
        assert_eq!(kind("crash"), None);
        assert_eq!(kind("minimized-from-1"), None);
    }

    #[test]
    fn names_are_sha1_prefixes() {
        assert_eq!(sha1_prefix(b"abc"), "a9993e364706");
        assert_eq!(sha1_prefix(b""), "da39a3ee5e6b");
    }

    #[test]
    fn the_smallest_file_and_the_artifacts_of_a_folder() {
        let dir = std::env::temp_dir().join(format!("fuzz-crashes-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(smallest(&dir), None);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        for (file, text) in [("b", "xy"), ("a", "xy"), ("c", "xyz"), ("crash-1", "x")] {
            std::fs::write(dir.join(file), text).unwrap();
        }
        std::fs::write(dir.join("timeout-2"), "12345").unwrap();
        assert_eq!(smallest(&dir), Some(dir.join("crash-1")));
        std::fs::remove_file(dir.join("crash-1")).unwrap();
        assert_eq!(smallest(&dir), Some(dir.join("a")), "ties go by name");
        assert_eq!(found(&dir), [dir.join("timeout-2")]);
        let _ = std::fs::remove_dir_all(dir);
    }
}
