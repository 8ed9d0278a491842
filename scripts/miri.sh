#!/usr/bin/env bash
# Runs the code paths that may hold `unsafe` (masking) and the incremental
# UTF-8 validator under Miri: a filtered, fast subset of the library's unit
# tests. Needs the nightly toolchain with the miri component.
#
#   scripts/miri.sh [EXTRA cargo test ARGS...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# A fresh machine's nightly may come without Miri (seen: rustc, cargo,
# clippy, rustfmt only); rustup adds it in about half a minute.
if ! cargo +nightly miri --version >/dev/null 2>&1; then
  echo "miri.sh: adding the miri and rust-src components to the nightly toolchain"
  rustup component add --toolchain nightly miri rust-src
fi
cargo +nightly miri setup
cargo +nightly miri test -p rfc6455 --lib "$@" -- mask:: utf8::
