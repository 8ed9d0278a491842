//! Shared pieces of the Autobahn testees: their configuration and
//! command-line parsing.
#![warn(missing_docs, unreachable_pub)]

use rfc6455::deflate::DeflateConfig;
use rfc6455::Config;

/// The configuration both testees run with: the library's defaults (so the
/// conformance run tests what users get), with permessage-deflate on.
///
/// ```
/// let config = testee::config();
/// assert!(config.deflate.is_some());
/// assert_eq!(config.max_message_size, rfc6455::Config::default().max_message_size);
/// ```
pub fn config() -> Config {
    Config {
        deflate: Some(DeflateConfig::default()),
        ..Config::default()
    }
}

/// Parses `--name VALUE` flags from `args` into the named slots; fails on
/// an unknown flag, a missing value, or `--help` (with the usage text).
///
/// ```
/// let mut addr = String::from("127.0.0.1:9001");
/// let args = ["--addr".to_string(), "0.0.0.0:1".to_string()];
/// testee::parse_flags(args.into_iter(), "usage", &mut [("--addr", &mut addr)]).unwrap();
/// assert_eq!(addr, "0.0.0.0:1");
/// ```
pub fn parse_flags(
    mut args: impl Iterator<Item = String>,
    usage: &str,
    slots: &mut [(&str, &mut String)],
) -> Result<(), String> {
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            return Err(usage.to_owned());
        }
        let Some((_, slot)) = slots.iter_mut().find(|(name, _)| *name == arg) else {
            return Err(format!("unknown argument {arg:?}\n{usage}"));
        };
        **slot = args
            .next()
            .ok_or_else(|| format!("{arg} needs a value\n{usage}"))?;
    }
    Ok(())
}
