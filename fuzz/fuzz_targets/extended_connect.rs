//! RFC 8441's extended CONNECT (WebSockets over HTTP/2): the server's
//! check, its 200, and the client's request and check of the answer. The
//! checks live in `crates/test-support/src/checks/`, shared with the
//! regression test.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    assert!(rfc6455_fuzz::checks::run("extended_connect", data));
});
