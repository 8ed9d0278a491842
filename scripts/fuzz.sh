#!/usr/bin/env bash
# Fuzzing campaigns over the targets of fuzz/ (cargo-fuzz, libFuzzer).
#
#   scripts/fuzz.sh [TARGET...] [--time SECONDS] [--jobs N] [options]
#
# Runs each target (all by default), one after the other, for --time seconds
# (default 60) with N libFuzzer workers (default 1), starting from the
# checked-in seeds in fuzz/corpus/<target>/ copied into the git-ignored
# fuzz/corpus-run/<target>/, which keeps growing from one campaign to the next.
# Prints one progress line per target every few seconds (executions, exec/s,
# coverage, corpus size) and a final table, also written to
# reports/fuzz/summary.tsv (with reports/fuzz/campaign.txt, its one-line
# description) for the report page. Each crash is minimized
# (cargo fuzz tmin) into fuzz/artifacts/<target>/, which
# crates/rfc6455/tests/fuzz_regressions.rs replays in `cargo test`; the script
# then exits 1.
#
# Options:
#   --time SECONDS   how long each target runs (default 60)
#   --jobs N         libFuzzer workers per target (default 1: one process;
#                    more: -fork=N)
#   --execs N        stop a target once it has run N inputs (--time is then
#                    an upper bound; checked at every progress line)
#   --sanitizer S    address (default, as on ClusterFuzzLite) or none (about
#                    twice the executions per second; the library is safe Rust)
#   --merge          afterwards, merge the inputs that add coverage into the
#                    checked-in fuzz/corpus/<target>/ (keep it small: review)
#   --fresh          start from the checked-in seeds only (drop corpus-run)
#   --coverage       no fuzzing: build with coverage, run each target over its
#                    corpus (corpus-run if present, else the seeds) and print
#                    line coverage of crates/rfc6455/src per file
#   --no-build       use the targets as last built
#   --list           print the targets and exit
#   -h, --help       this text
#
# Needs the nightly toolchain (installed with rustup if missing) and
# cargo-fuzz (installed with `cargo install` if missing).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
FUZZ="$ROOT/fuzz"
RUN="$FUZZ/corpus-run"
TRIPLE="$(rustc -vV | sed -n 's/^host: //p')"
BIN_DIR="$FUZZ/target/$TRIPLE/release"
# -a: debug assertions and overflow checks on, in an optimized build.
BUILD_FLAGS=(-O -a)
sanitizer=address

time_per_target=60
jobs=1
execs_goal=0
merge=0
fresh=0
coverage=0
build=1
targets=()

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --time) time_per_target="$2"; shift 2 ;;
    --time=*) time_per_target="${1#*=}"; shift ;;
    --jobs) jobs="$2"; shift 2 ;;
    --jobs=*) jobs="${1#*=}"; shift ;;
    --execs) execs_goal="$2"; shift 2 ;;
    --execs=*) execs_goal="${1#*=}"; shift ;;
    --sanitizer) sanitizer="$2"; shift 2 ;;
    --sanitizer=*) sanitizer="${1#*=}"; shift ;;
    --merge) merge=1; shift ;;
    --fresh) fresh=1; shift ;;
    --coverage) coverage=1; shift ;;
    --no-build) build=0; shift ;;
    --list) targets=(--list); shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done

all_targets() { sed -n 's/^name = "\([a-z0-9_]*\)"$/\1/p' "$FUZZ/Cargo.toml" | grep -v '^rfc6455-fuzz$'; }

if [ "${targets[*]:-}" = "--list" ]; then all_targets; exit 0; fi
BUILD_FLAGS+=(-s "$sanitizer")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(all_targets)
for t in "${targets[@]}"; do
  all_targets | grep -qx "$t" || { echo "fuzz.sh: no target $t (see --list)" >&2; exit 2; }
done

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*"; }

# --- tools -------------------------------------------------------------------
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  log "installing the nightly toolchain"
  rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  log "installing cargo-fuzz (about a minute)"
  cargo install cargo-fuzz --locked
fi

cd "$ROOT"

# --- coverage mode -----------------------------------------------------------
if [ "$coverage" = 1 ]; then
  rustup component add --toolchain nightly llvm-tools-preview >/dev/null 2>&1 || true
  llvm_bin="$(rustc +nightly --print sysroot)/lib/rustlib/$TRIPLE/bin"
  [ -x "$llvm_bin/llvm-cov" ] || { echo "fuzz.sh: llvm-cov not found in $llvm_bin" >&2; exit 1; }
  profiles=()
  objects=()
  for t in "${targets[@]}"; do
    corpus="$RUN/$t"
    [ -d "$corpus" ] && [ -n "$(ls -A "$corpus" 2>/dev/null)" ] || corpus="$FUZZ/corpus/$t"
    log "coverage of $t over $(ls "$corpus" | wc -l) inputs in ${corpus#"$ROOT"/}"
    cargo +nightly fuzz coverage "${BUILD_FLAGS[@]}" "$t" "$corpus" >"$RUN-coverage-$t.log" 2>&1 \
      || { tail -20 "$RUN-coverage-$t.log" >&2; exit 1; }
    rm -f "$RUN-coverage-$t.log"
    profiles+=("$FUZZ/coverage/$t/coverage.profdata")
    # cargo-fuzz puts coverage builds under the target directory above fuzz/.
    for binary in "$ROOT/target/$TRIPLE/coverage/$TRIPLE/release/$t" \
                  "$FUZZ/target/$TRIPLE/coverage/$TRIPLE/release/$t"; do
      if [ -x "$binary" ]; then objects+=(-object "$binary"); break; fi
    done
  done
  "$llvm_bin/llvm-profdata" merge -sparse "${profiles[@]}" -o "$FUZZ/coverage/all.profdata"
  # The first -object is positional for llvm-cov.
  "$llvm_bin/llvm-cov" report "${objects[@]:1}" \
    -instr-profile="$FUZZ/coverage/all.profdata" \
    "$ROOT/crates/rfc6455/src" \
    | sed "s#$ROOT/crates/rfc6455/src/##"
  echo "(targets: ${targets[*]}; HTML: llvm-cov show -format=html with the same arguments)"
  exit 0
fi

# --- build -------------------------------------------------------------------
if [ "$build" = 1 ]; then
  log "building ${#targets[@]} target(s): cargo +nightly fuzz build ${BUILD_FLAGS[*]}"
  cargo +nightly fuzz build "${BUILD_FLAGS[@]}" 2>&1 | grep -E '^(error|warning: unused)' -A5 || true
  for t in "${targets[@]}"; do
    [ -x "$BIN_DIR/$t" ] || { echo "fuzz.sh: build of $t failed" >&2; cargo +nightly fuzz build "${BUILD_FLAGS[@]}" "$t"; exit 1; }
  done
fi

# --- campaign ----------------------------------------------------------------
[ "$fresh" = 0 ] || rm -rf "$RUN"
mkdir -p "$RUN/logs"
summary="$RUN/summary.tsv"
printf 'target\texecutions\texec/s\tcov\tft\tcorpus\tcrashes\tseconds\n' >"$summary"
failed=0

# The last libFuzzer status line of a log, as "execs exec/s cov ft corp crashes".
# Fork mode prints "#N: cov: C ft: F corp: K exec/s: R oom/timeout/crash: a/b/c time: ..."
status_of() {
  # -fork lines read "#N: cov: ..."; a single process prints "#N<tab>NEW cov:
  # ..." and "#N<tab>pulse cov: ..." (the latter at powers of two) with the
  # corpus as "count/size".
  grep -aE '^#[0-9]+:?[[:space:]].*cov: ' "$1" 2>/dev/null | tail -1 | awk '{
    gsub(/[#:]/, "", $1);
    for (i = 2; i <= NF; i++) {
      if ($i == "cov:") cov = $(i+1); if ($i == "ft:") ft = $(i+1);
      if ($i == "corp:") { corp = $(i+1); sub(/\/.*/, "", corp) }
      if ($i == "exec/s:") eps = $(i+1);
      if ($i == "oom/timeout/crash:") { split($(i+1), c, "/"); crashes = c[1] + c[2] + c[3] }
    }
    print $1, eps, cov, ft, corp, crashes }'
}

for t in "${targets[@]}"; do
  corpus="$RUN/$t"
  crashes="$RUN/crashes/$t"
  mkdir -p "$corpus" "$crashes" "$FUZZ/artifacts/$t"
  for seed in "$FUZZ/corpus/$t"/*; do
    if [ -f "$seed" ] && [ ! -e "$corpus/$(basename "$seed")" ]; then cp "$seed" "$corpus/"; fi
  done
  rm -f "$crashes"/*
  logfile="$RUN/logs/$t.log"
  log "fuzzing $t for ${time_per_target}s with $jobs worker(s) from $(ls "$corpus" | wc -l) inputs (log: ${logfile#"$ROOT"/})"
  start=$(date +%s)
  stopped=0
  # In its own process group, so stopping it stops the workers of -fork too.
  # One worker runs in-process (fork mode's restarts cost a slow target
  # most of its time); with --execs it stops itself at exactly that count.
  if [ "$jobs" -gt 1 ]; then mode=(-fork="$jobs"); else mode=(); fi
  if [ "$jobs" -le 1 ] && [ "$execs_goal" -gt 0 ]; then mode+=(-runs="$execs_goal"); fi
  setsid "$BIN_DIR/$t" "$corpus" \
    "${mode[@]}" -max_total_time="$time_per_target" -timeout=10 -rss_limit_mb=2560 \
    -max_len=4096 -dict="$FUZZ/dict/websocket.dict" -artifact_prefix="$crashes/" \
    -print_final_stats=1 >"$logfile" 2>&1 &
  pid=$!
  # One progress line every few seconds.
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    kill -0 "$pid" 2>/dev/null || break
    read -r execs eps cov ft corp ncrash <<<"$(status_of "$logfile")" || true
    [ -n "${execs:-}" ] || continue
    log "  $t $(( $(date +%s) - start ))s/${time_per_target}s: ${execs} execs, ${eps} exec/s, cov ${cov}, ft ${ft}, corpus ${corp}, crashes ${ncrash}"
    if [ "$execs_goal" -gt 0 ] && [ "$execs" -ge "$execs_goal" ]; then
      stopped=1
      kill -INT -- "-$pid" 2>/dev/null || true
      break
    fi
  done
  rc=0; wait "$pid" || rc=$?
  [ "$stopped" = 0 ] || rc=0
  seconds=$(( $(date +%s) - start ))
  read -r execs eps cov ft corp ncrash <<<"$(status_of "$logfile")" || true
  found=$(find "$crashes" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  if [ "$found" = 0 ] && [ "$rc" != 0 ]; then
    echo "fuzz.sh: $t exited with $rc and no artifact; last lines of $logfile:" >&2
    tail -20 "$logfile" >&2
    found=1
    failed=1
  fi
  for crash in "$crashes"/*; do
    [ -f "$crash" ] || continue
    kind="$(basename "$crash" | cut -d- -f1)"
    # A process stopped from outside (SIGSTOP, a suspended laptop) comes
    # back to a timeout; keep a timeout only if the input is slow again.
    if [ "$kind" = timeout ] && timeout 120 "$BIN_DIR/$t" -timeout=10 -runs=1 "$crash" >/dev/null 2>&1; then
      log "  $t: $(basename "$crash") ran in time when replayed; not kept"
      found=$((found - 1))
      continue
    fi
    failed=1
    log "  $t: $(basename "$crash"), minimizing"
    # tmin writes each smaller reproducer it finds as
    # fuzz/artifacts/<target>/minimized-from-<hash>: keep the smallest.
    tmin_dir="$RUN/tmin/$t"
    rm -rf "$tmin_dir"; mkdir -p "$tmin_dir"
    before=$(ls "$FUZZ/artifacts/$t" | sort)
    cargo +nightly fuzz tmin "${BUILD_FLAGS[@]}" -r 2000 "$t" "$crash" >"$RUN/logs/$t.tmin.log" 2>&1 || true
    comm -13 <(echo "$before") <(ls "$FUZZ/artifacts/$t" | sort) | grep '^minimized-from-' \
      | while read -r m; do mv "$FUZZ/artifacts/$t/$m" "$tmin_dir/"; done
    src=$(ls -S "$tmin_dir" | tail -1)
    if [ -n "$src" ]; then src="$tmin_dir/$src"; else src="$crash"; fi
    name="$kind-$(sha1sum "$src" | cut -c1-12)"
    cp "$src" "$FUZZ/artifacts/$t/$name"
    log "  $t: kept fuzz/artifacts/$t/$name ($(stat -c %s "$FUZZ/artifacts/$t/$name") bytes); the panic:"
    grep -aE "panicked at|^thread '" -A3 "$logfile" | head -8 | sed 's/^/      /'
  done
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "${execs:-0}" "${eps:-0}" "${cov:-?}" "${ft:-?}" \
    "$(ls "$corpus" | wc -l)" "$found" "$seconds" >>"$summary"
  if [ "$merge" = 1 ]; then
    log "  merging new coverage of $t into fuzz/corpus/$t"
    "$BIN_DIR/$t" -merge=1 "$FUZZ/corpus/$t" "$corpus" >"$RUN/logs/$t.merge.log" 2>&1 || true
  fi
done

campaign="fuzz campaign: ${time_per_target}s per target, $jobs worker(s), sanitizer $sanitizer, $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "$campaign"
column -t -s $'\t' "$summary" 2>/dev/null || cat "$summary"
# The report page (scripts/report.sh) shows the last campaign from reports/.
mkdir -p "$ROOT/reports/fuzz"
cp "$summary" "$ROOT/reports/fuzz/summary.tsv"
echo "$campaign" >"$ROOT/reports/fuzz/campaign.txt"
if [ "$failed" != 0 ]; then
  echo
  echo "FAILED: crashes kept in fuzz/artifacts/ (replay: cargo test -p rfc6455 --test fuzz_regressions)"
  exit 1
fi
