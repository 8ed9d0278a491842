//! A refusal's body, whatever its framing, into `handshake::ResponseBody`
//! (RFC 9112 §6.3, §7.1), under every body limit, cut into any reads.
//! The checks live in `crates/test-support/src/checks/`, shared with the
//! regression test.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    assert!(rfc6455_fuzz::checks::run("error_response", data));
});
