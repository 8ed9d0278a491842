#!/usr/bin/env bash
# Runs the Autobahn Testsuite (wstest) against our testees and compares
# every case with the baseline in autobahn/expected-{server,client}.json.
#
#   scripts/autobahn.sh [server|client|all] [--cases PATTERN] [--update-expected] [--tls]
#   scripts/autobahn.sh server --testee hyper_echo|axum_echo|axum_extractor [--cases PATTERN]
#   scripts/autobahn.sh --help      # every flag and AUTOBAHN_* variable
#
# The harness is Rust (crates/testee/src/harness, the `autobahn` binary):
# this script builds it and hands it the arguments. wstest runs in Docker
# when an engine answers, else natively (scripts/lib/wstest-bootstrap.sh).
#
# Environment: AUTOBAHN_RUNNER, AUTOBAHN_CACHE, AUTOBAHN_PYTHON,
# AUTOBAHN_SERVER_ADDR, AUTOBAHN_CLIENT_ADDR, AUTOBAHN_TIMEOUT,
# AUTOBAHN_PARALLEL, AUTOBAHN_DOCKER_IMAGE, AUTOBAHN_WSTEST_MAX_MEMORY,
# AUTOBAHN_GC_INTERVAL, CARGO_TARGET_DIR (see --help).
#
# Exit status: 0 when no case regressed, 1 on a regression or a failed
# run, 2 on a usage error.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-target}
[[ $TARGET == /* ]] || TARGET=$ROOT/$TARGET

command -v cargo >/dev/null || {
    echo 'autobahn.sh: error: cargo is not on PATH' >&2
    exit 1
}
echo '==> building the harness (cargo build --release -p testee --bin autobahn)'
(cd "$ROOT" && cargo build --release -p testee --bin autobahn) || {
    echo 'autobahn.sh: error: cargo build --release -p testee --bin autobahn failed' >&2
    exit 1
}
exec "$TARGET/release/autobahn" --root "$ROOT" "$@"
