//! TLS test support (see `tls`); everything else the tests share lives in
//! `crates/test-support`.
#![allow(dead_code, unreachable_pub)]

#[cfg(feature = "rustls")]
pub mod tls;
