#!/usr/bin/env bash
# Fuzzing campaigns over the targets of fuzz/ (cargo-fuzz, libFuzzer).
#
#   scripts/fuzz.sh [TARGET...] [--time SECONDS] [--jobs N] [--execs N]
#                   [--sanitizer address|none] [--merge] [--fresh] [--no-build]
#   scripts/fuzz.sh --coverage [TARGET...]
#   scripts/fuzz.sh --list
#   scripts/fuzz.sh --help          # every flag, what a campaign does
#
# The campaign runner is Rust (crates/testee/src/fuzz, the `fuzz-campaign`
# binary): this script builds it and hands it the arguments. It installs
# the nightly toolchain and cargo-fuzz if they are missing, builds the
# targets, runs each for --time seconds (default 60), minimizes crashes
# into fuzz/artifacts/ and writes reports/fuzz/summary.tsv.
#
# Exit status: 0 when no target crashed, 1 on a crash or a failed run, 2 on
# a usage error.

set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin_dir=${CARGO_TARGET_DIR:-target}
case $bin_dir in /*) ;; *) bin_dir=$root/$bin_dir ;; esac

build=(cargo build --release -p testee --bin fuzz-campaign)
if ! (cd "$root" && "${build[@]}"); then
    echo "fuzz.sh: error: ${build[*]} failed" >&2
    exit 1
fi
exec "$bin_dir/release/fuzz-campaign" --root "$root" "$@"
