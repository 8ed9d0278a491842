//! Arbitrary bytes into the client's handshake validation (RFC 6455 §4.1).
//! The checks live in `fuzz/src/`, shared with the regression test.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    assert!(rfc6455_fuzz::checks::run("handshake_response", data));
});
