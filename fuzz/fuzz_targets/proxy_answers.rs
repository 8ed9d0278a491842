//! A hostile proxy's answers into the sans-IO parsers of `rfc6455::proxy`
//! (HTTP `CONNECT`, RFC 9110 §9.3.6; SOCKS5, RFC 1928 and 1929).
//! The checks live in `crates/test-support/src/checks/`, shared with the
//! regression test.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    assert!(rfc6455_fuzz::checks::run("proxy_answers", data));
});
