//! Messages encoded by one role and decoded by the other come back the same.
//! The checks live in `fuzz/src/`, shared with the regression test.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    assert!(rfc6455_fuzz::checks::run("roundtrip", data));
});
