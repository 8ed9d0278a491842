//! The incremental UTF-8 validator against std, fed arbitrary splits (RFC 6455 §8.1).
//! The checks live in `fuzz/src/`, shared with the regression test.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    assert!(rfc6455_fuzz::checks::run("utf8", data));
});
