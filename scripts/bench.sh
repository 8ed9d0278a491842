#!/usr/bin/env bash
# Runs the benchmark suites and compares them with a saved baseline.
#
#   scripts/bench.sh [--save NAME | --compare NAME] [--limit PCT] [--wall] [--wall-only]
#
# Instruction counts (the default suite): crates/rfc6455/benches/instructions.rs
# under Callgrind (gungraun). Exact and repeatable on a shared, noisy
# machine, so they are what the verdict rests on.
#
# --save NAME      run, and keep the results as baseline NAME
# --compare NAME   run, compare with baseline NAME, print a table
#                  (benchmark, baseline, now, change, verdict) and exit 1
#                  if any benchmark got more than --limit slower
# --limit PCT      the change in instructions that counts (default 1: a
#                  count moves by less than 0.1% between identical runs)
# --wall           also run the criterion suites (mask, frame, utf8,
#                  deflate, echo) with the same baseline name; their table
#                  (criterion's change estimate and its 95% interval) is
#                  for information: wall-clock times on a shared machine
#                  move by more than the changes worth catching
# --wall-only      only the criterion suites
#
# Needs valgrind (installed with apt-get when missing and run as root) and
# gungraun-runner at the version of gungraun in Cargo.lock (installed with
# cargo install when missing). Results: reports/bench/instructions.json and
# reports/bench/compare.txt (with --compare).
#
# Exit status: 0 when nothing regressed, 1 on a regression or a failed
# run, 2 on a usage error or a missing tool.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
REPORTS=$ROOT/reports/bench
MODE=run NAME= LIMIT=1 WALL=0 INSTRUCTIONS=1 GUNGRAUN=() CRITERION=()

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bench.sh: %s\n' "$*" >&2; exit 2; }
usage() { sed -n '/^set /q; 2,$s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
report() { cargo run -q -p bench --bin bench-report -- "$@"; }  # crates/bench/src/bin/

while [ $# -gt 0 ]; do
    case $1 in
        --save) MODE=save NAME=${2:?--save needs a NAME}; shift 2 ;;
        --compare) MODE=compare NAME=${2:?--compare needs a NAME}; shift 2 ;;
        --limit) LIMIT=${2:?--limit needs a percentage}; shift 2 ;;
        --wall) WALL=1; shift ;;
        --wall-only) WALL=1 INSTRUCTIONS=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument '$1'" ;;
    esac
done
case $NAME in *[!A-Za-z0-9_.-]*) die "a baseline name is letters, digits, '.', '_' and '-'" ;; esac
# gungraun's and criterion's spelling of the baseline to save or compare with.
case $MODE in
    save) GUNGRAUN=(--save-baseline="$NAME") CRITERION=(--save-baseline "$NAME") ;;
    compare) GUNGRAUN=(--baseline="$NAME") CRITERION=(--baseline "$NAME") ;;
esac
mkdir -p "$REPORTS"

need_tools() {
    if ! command -v valgrind >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "installing valgrind (apt-get)"
        apt-get update -qq >&2 && apt-get install -y -qq valgrind >&2
    fi
    command -v valgrind >/dev/null || die "valgrind is not installed (apt-get install valgrind)"
    local version
    version=$(awk '/^name = "gungraun"$/ {getline; gsub(/[^0-9.]/, ""); print; exit}' Cargo.lock)
    [ -n "$version" ] || die "gungraun is not in Cargo.lock"
    if [ "$(gungraun-runner --version 2>/dev/null | awk '{print $2}')" != "$version" ]; then
        say "installing gungraun-runner $version (cargo install; a few minutes once)"
        CARGO_TARGET_DIR=${GUNGRAUN_BUILD_DIR:-$ROOT/target/gungraun-runner-build} \
            cargo install gungraun-runner --version "$version" --locked >&2 \
            || die "cargo install gungraun-runner $version failed"
    fi
}

instructions() {
    need_tools
    local args=(--output-format=json "${GUNGRAUN[@]}") raw=$REPORTS/instructions.jsonl status=0
    say "instruction counts: cargo bench -p rfc6455 --bench instructions -- ${args[*]}"
    cargo bench -p rfc6455 --bench instructions -- "${args[@]}" >"$raw" || status=$?
    # gungraun exits 3 on its own regression checks (not set here); else, a failed run.
    [ "$status" = 0 ] || die "the instruction-count run failed (status $status)"
    report instructions "$raw" "$REPORTS/instructions.json" --mode "$MODE" --baseline "$NAME" --limit "$LIMIT"
}

wall() {
    say "wall clock: cargo bench -p rfc6455 (criterion: mask, frame, utf8, deflate, echo) -- ${CRITERION[*]}"
    cargo bench -p rfc6455 --bench mask --bench frame --bench utf8 --bench deflate --bench echo \
        -- "${CRITERION[@]}" >"$REPORTS/wall.log" 2>&1 || die "the criterion run failed (see $REPORTS/wall.log)"
    grep -E '^(masking|frame|UTF-8|permessage|echo)' -A24 "$REPORTS/wall.log" | grep -v '^Benchmarking' || true
    [ "$MODE" != compare ] || report wall "${CARGO_TARGET_DIR:-$ROOT/target}/criterion"
}

status=0
{ s=0; [ "$INSTRUCTIONS" = 0 ] || instructions || s=$?; [ "$WALL" = 0 ] || wall || s=$?; exit "$s"; } \
    | tee "$REPORTS/compare.txt" || status=${PIPESTATUS[0]}
[ "$MODE" != compare ] || if [ "$status" = 0 ]; then echo "PASS: no regression against baseline $NAME"; else echo "FAIL: see the table above"; fi
exit "$status"
