//! A session of received bytes and API calls through a server Connection.
//! The checks live in `fuzz/src/`, shared with the regression test.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    assert!(rfc6455_fuzz::checks::run("connection_server", data));
});
