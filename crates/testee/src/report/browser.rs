//! The real-browser test of the page (`scripts/report.sh --check`):
//! renders pages in headless Chromium, dumps each DOM after its script
//! ran and takes a screenshot, then has [`check`](super::check) compare
//! every number the browser shows with the page's inputs. Owns finding
//! (or installing) Chromium and driving it; not what a page must show.
//!
//! Three pages: the checked-in fixtures (`crates/testee/tests/data/report/`),
//! an empty reports folder (every section says what is missing), and
//! `reports/index.html` if there is one, as last written.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one headless run may take.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// Where the pages come from and where their dumps go.
#[derive(Clone, Debug)]
pub struct Pages {
    /// The fixtures: `reports/` and `autobahn/` of a made-up run.
    pub fixtures: PathBuf,
    /// The reports folder whose `index.html` is checked, if written.
    pub reports: PathBuf,
    /// The baselines of `reports`.
    pub baselines: PathBuf,
    /// Dumps, screenshots and Chromium's logs: `reports/report-check/`.
    pub out: PathBuf,
}

/// Finds Chromium: `chromium` (`$CHROMIUM` when given), else the first of
/// `chromium`, `chromium-browser`, `google-chrome` on `PATH`, else
/// installs it with apt-get when run as root where apt-get exists.
pub fn find_chromium(given: Option<PathBuf>) -> Result<PathBuf, String> {
    if let Some(given) = given.filter(|g| !g.as_os_str().is_empty()) {
        return Ok(given);
    }
    let names = ["chromium", "chromium-browser", "google-chrome"];
    if let Some(found) = names.iter().find_map(|n| on_path(n)) {
        return Ok(found);
    }
    if !nix::unistd::geteuid().is_root() || on_path("apt-get").is_none() {
        return Err(
            "--check needs Chromium: apt-get install chromium, or set CHROMIUM to its binary"
                .into(),
        );
    }
    println!("report: installing chromium (apt-get)");
    rfc6455_test_support::apt_install(&["chromium"])?;
    on_path("chromium").ok_or_else(|| "apt-get installed no `chromium` on PATH".into())
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Renders and checks the three pages, printing a line per page and a
/// final `PASS: ...` or `FAILED: ...`; `Ok(true)` when every page shows
/// what its inputs hold.
pub fn check_pages(chromium: &Path, pages: &Pages) -> Result<bool, String> {
    let version = Command::new(chromium)
        .arg("--version")
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", chromium.display()))?;
    println!(
        "browser: {}",
        String::from_utf8_lossy(&version.stdout).trim()
    );
    std::fs::create_dir_all(&pages.out)
        .map_err(|e| format!("cannot create {}: {e}", pages.out.display()))?;
    let scratch = Scratch::new()?;
    let browser = Browser {
        chromium,
        profile: scratch.0.join("profile"),
        out: &pages.out,
    };
    let mut passed = true;

    let fixture = scratch.0.join("fixture");
    copy_dir(&pages.fixtures.join("reports"), &fixture)?;
    let fixture_baselines = pages.fixtures.join("autobahn");
    write_page(&fixture, &fixture_baselines)?;
    passed &= browser.check_page("fixture", &fixture, &fixture_baselines)?;

    let empty = scratch.0.join("empty");
    std::fs::create_dir_all(&empty)
        .map_err(|e| format!("cannot create {}: {e}", empty.display()))?;
    write_page(&empty, &empty)?;
    passed &= browser.check_page("empty", &empty, &empty)?;

    if pages.reports.join("index.html").is_file() {
        passed &= browser.check_page("reports", &pages.reports, &pages.baselines)?;
    } else {
        println!("reports   no reports/index.html to check: run scripts/report.sh first");
    }

    if passed {
        println!("PASS: every page shows what its inputs hold");
    } else {
        println!(
            "FAILED: a page does not show what its inputs hold (dumps in {}/)",
            pages.out.display()
        );
    }
    Ok(passed)
}

/// The page of `reports` as `report` writes it, at commit `fixture`.
fn write_page(reports: &Path, baselines: &Path) -> Result<(), String> {
    let mut page = super::collect(reports, baselines);
    page.commit = Some("fixture".into());
    let file = reports.join("index.html");
    std::fs::write(&file, super::render(&page))
        .map_err(|e| format!("cannot write {}: {e}", file.display()))
}

struct Browser<'a> {
    chromium: &'a Path,
    profile: PathBuf,
    out: &'a Path,
}

impl Browser<'_> {
    /// Dumps and screenshots `reports/index.html`, then checks the dump.
    fn check_page(&self, name: &str, reports: &Path, baselines: &Path) -> Result<bool, String> {
        let page = std::path::absolute(reports.join("index.html"))
            .map_err(|e| format!("no absolute path for {}: {e}", reports.display()))?;
        let url = format!("file://{}", page.display());
        let (log, dom, png) = (
            self.out.join(format!("{name}.chromium.log")),
            self.out.join(format!("{name}.dom.html")),
            self.out.join(format!("{name}.png")),
        );
        let _ = std::fs::remove_file(&png);
        File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        self.run(&["--dump-dom", &url], Some(&dom), &log)?;
        let screenshot = format!("--screenshot={}", png.display());
        let size = "--window-size=1280,2000";
        self.run(&["--hide-scrollbars", size, &screenshot, &url], None, &log)?;

        let mut passed = true;
        let logged = std::fs::read_to_string(&log).unwrap_or_default();
        let uncaught: Vec<&str> = logged.lines().filter(|l| l.contains("Uncaught")).collect();
        if !uncaught.is_empty() {
            println!("{name}: the page's script failed:");
            for line in uncaught {
                println!("  {line}");
            }
            passed = false;
        }
        let text = std::fs::read_to_string(&dom).unwrap_or_default();
        let outcome = super::check::check(&text, reports, baselines);
        print!("{name:<9} ");
        passed &= outcome.print(reports);
        if std::fs::metadata(&png).is_ok_and(|m| m.len() > 0) {
            println!("          screenshot {}", png.display());
        }
        Ok(passed)
    }

    /// One headless run of at most [`TIMEOUT`]: stdout into `stdout` (or
    /// nowhere), stderr appended to `log`.
    fn run(&self, args: &[&str], stdout: Option<&Path>, log: &Path) -> Result<(), String> {
        let open = |p: &Path, append: bool| {
            File::options()
                .create(true)
                .append(append)
                .write(true)
                .truncate(!append)
                .open(p)
                .map_err(|e| format!("cannot write {}: {e}", p.display()))
        };
        let out = match stdout {
            Some(p) => Stdio::from(open(p, false)?),
            None => Stdio::null(),
        };
        let profile = format!("--user-data-dir={}", self.profile.display());
        let mut child = Command::new(self.chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
            ])
            .args(["--no-first-run", "--disable-background-networking"])
            .args(["--disable-component-update", "--disable-sync", &profile])
            .args(["--enable-logging=stderr", "--v=0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(open(log, true)?)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.chromium.display()))?;
        let deadline = Instant::now() + TIMEOUT;
        while child.try_wait().map_err(|e| e.to_string())?.is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                println!(
                    "chromium {}: no answer within {} s, stopped",
                    args[0],
                    TIMEOUT.as_secs()
                );
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }
}

/// A folder of the process's own under the system's temporary one,
/// removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch, String> {
        let dir = std::env::temp_dir().join(format!("report-check-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Copies the folder `from` to `to`, recursively.
fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    let fail =
        |e: std::io::Error| format!("cannot copy {} to {}: {e}", from.display(), to.display());
    std::fs::create_dir_all(to).map_err(fail)?;
    for entry in std::fs::read_dir(from).map_err(fail)? {
        let entry = entry.map_err(fail)?;
        let target = to.join(entry.file_name());
        if entry.file_type().map_err(fail)?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(fail)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_browser_is_taken_as_is() {
        let given = PathBuf::from("/opt/chrome/chrome");
        assert_eq!(find_chromium(Some(given.clone())), Ok(given));
    }

    #[test]
    fn fixtures_are_copied_whole() {
        let scratch = Scratch::new().unwrap();
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/report/reports");
        let copy = scratch.0.join("copy");
        copy_dir(&fixtures, &copy).unwrap();
        let page = super::super::collect(&copy, &copy);
        assert_eq!(page.autobahn.len(), 4);
        assert!(copy
            .join("autobahn/server/rfc6455_case_6_4_3.html")
            .is_file());
        drop(scratch);
        assert!(!copy.exists(), "the scratch folder goes when dropped");
    }
}
