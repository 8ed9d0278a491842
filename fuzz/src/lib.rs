//! The fuzz targets' logic. The checks live in `rfc6455-test-support`
//! (`crates/test-support/src/checks/`), shared with the library's regression
//! test (`crates/rfc6455/tests/fuzz_regressions.rs`); `differential` needs
//! tungstenite and so lives only here.

pub use rfc6455_test_support::checks;
pub mod differential;

/// Every target of this crate, as named in `Cargo.toml`.
pub use checks::TARGETS;

/// Runs the checks of `target` on `data`, the differential one included.
/// Returns `false` for an unknown target.
pub fn run(target: &str, data: &[u8]) -> bool {
    if target == "differential_frame" {
        differential::check(data);
        checks::streaming::check_raw(rfc6455::Role::Server, data);
        checks::streaming::check_raw(rfc6455::Role::Client, data);
        return true;
    }
    checks::run(target, data)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Every seed and every minimized crash, through the full checks
    /// (tungstenite included). `cargo test` in `fuzz/`.
    #[test]
    fn corpus_and_artifacts_pass() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut failures = Vec::new();
        let mut replayed = 0;
        for dir in ["corpus", "artifacts"] {
            for target in super::TARGETS {
                let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
                    continue;
                };
                for entry in entries.flatten() {
                    let path = entry.path();
                    if !path.is_file()
                        || path
                            .file_name()
                            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                    {
                        continue;
                    }
                    let data = std::fs::read(&path).unwrap();
                    replayed += 1;
                    if std::panic::catch_unwind(|| super::run(target, &data)).is_err() {
                        failures.push(path.display().to_string());
                    }
                }
            }
        }
        eprintln!("replayed {replayed} inputs");
        assert!(
            failures.is_empty(),
            "failing inputs:\n{}",
            failures.join("\n")
        );
    }
}
