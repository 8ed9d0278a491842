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
MODE=run NAME= LIMIT=1 WALL=0 INSTRUCTIONS=1

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bench.sh: %s\n' "$*" >&2; exit 2; }
usage() { sed -n '2,/^$/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }

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
mkdir -p "$REPORTS"

need_tools() {
    if ! command -v valgrind >/dev/null; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            say "installing valgrind (apt-get)"
            apt-get update -qq >&2 && apt-get install -y -qq valgrind >&2
        fi
        command -v valgrind >/dev/null || die "valgrind is not installed (apt-get install valgrind)"
    fi
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
    local args=(--output-format=json)
    case $MODE in
        save) args+=(--save-baseline="$NAME") ;;
        compare) args+=(--baseline="$NAME") ;;
    esac
    say "instruction counts: cargo bench -p rfc6455 --bench instructions -- ${args[*]}"
    local raw=$REPORTS/instructions.jsonl status=0
    cargo bench -p rfc6455 --bench instructions -- "${args[@]}" >"$raw" || status=$?
    # gungraun exits 3 on its own regression checks, which we do not set;
    # anything else is a failed run.
    [ "$status" = 0 ] || die "the instruction-count run failed (status $status)"
    python3 - "$raw" "$REPORTS/instructions.json" "$MODE" "$NAME" "$LIMIT" <<'PY'
import json, sys
raw, out, mode, name, limit = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])

def ir_values(summary):
    """{"new": n, "old": m} of the Ir event (instructions) in the total of
    the Callgrind profile of one benchmark summary."""
    for profile in summary.get("profiles", []):
        if profile.get("tool") == "Callgrind":
            return profile["data"]["total"]["metrics"]["Ir"]["values"]
    return None

rows = []
for line in open(raw):
    line = line.strip()
    if not line.startswith("{"):
        continue
    s = json.loads(line)
    # group::function(setup(args)): what was measured, on what input.
    bench = s.get("module_path", "?").split("::", 1)[-1] + s.get("description", "")
    values = ir_values(s)
    if values is None or "new" not in values:
        continue
    now, base = values["new"], values.get("old")
    row = {"name": bench, "now": now, "baseline": base}
    if base:
        change = (now - base) / base * 100
        row["change_pct"] = change
        row["verdict"] = ("REGRESSION" if change > limit else
                          "improved" if change < -limit else "same")
    rows.append(row)

json.dump({"suite": "instructions", "event": "Ir", "mode": mode, "baseline": name or None,
           "limit_pct": limit, "rows": rows}, open(out, "w"), indent=2)
width = max([len(r["name"]) for r in rows] + [9])
print(f"{'benchmark':<{width}} {'baseline':>14} {'now':>14} {'change':>9}  verdict")
for r in rows:
    if r.get("baseline") is None:
        print(f"{r['name']:<{width}} {'-':>14} {r['now']:>14,} {'-':>9}  (no baseline)")
    else:
        print(f"{r['name']:<{width}} {r['baseline']:>14,} {r['now']:>14,} "
              f"{r['change_pct']:>+8.2f}%  {r['verdict']}")
regressed = [r for r in rows if r.get("verdict") == "REGRESSION"]
compared = [r for r in rows if r.get("baseline") is not None]
print(f"\n{len(rows)} benchmarks (instructions, Ir), {len(compared)} compared"
      f"{' with baseline ' + name if name else ''}, limit {limit:g}%: "
      f"{len(regressed)} regression(s), "
      f"{sum(r.get('verdict') == 'improved' for r in rows)} improvement(s)")
if not rows:
    sys.exit("no benchmark result in the output")
sys.exit(1 if regressed and mode == "compare" else 0)
PY
}

wall() {
    local args=()
    case $MODE in
        save) args=(--save-baseline "$NAME") ;;
        compare) args=(--baseline "$NAME") ;;
    esac
    say "wall clock: cargo bench -p rfc6455 (criterion: mask, frame, utf8, deflate, echo) -- ${args[*]}"
    cargo bench -p rfc6455 --bench mask --bench frame --bench utf8 --bench deflate --bench echo \
        -- "${args[@]}" >"$REPORTS/wall.log" 2>&1 || die "the criterion run failed (see $REPORTS/wall.log)"
    grep -E '^(masking|frame|UTF-8|permessage|echo)' -A24 "$REPORTS/wall.log" | grep -v '^Benchmarking' || true
    [ "$MODE" = compare ] || return 0
    python3 - "${CARGO_TARGET_DIR:-$ROOT/target}/criterion" <<'PY'
import json, os, sys
root = sys.argv[1]
rows = []
for dirpath, dirs, files in os.walk(root):
    if os.path.basename(dirpath) == "change" and "estimates.json" in files:
        est = json.load(open(os.path.join(dirpath, "estimates.json")))["mean"]
        name = os.path.relpath(os.path.dirname(dirpath), root)
        rows.append((name, est["point_estimate"] * 100,
                     est["confidence_interval"]["lower_bound"] * 100,
                     est["confidence_interval"]["upper_bound"] * 100))
print("\nwall clock (for information): criterion's change in mean time, 95% interval")
for name, point, lo, hi in sorted(rows):
    print(f"{name:<40} {point:>+7.1f}%  [{lo:+.1f}%, {hi:+.1f}%]")
PY
}

run_all() {
    local s=0
    if [ "$INSTRUCTIONS" = 1 ]; then instructions || s=$?; fi
    if [ "$WALL" = 1 ]; then wall || s=$?; fi
    return "$s"
}

set +e
run_all | tee "$REPORTS/compare.txt"
status=${PIPESTATUS[0]}
set -e
if [ "$MODE" = compare ]; then
    if [ "$status" = 0 ]; then echo "PASS: no regression against baseline $NAME"; else echo "FAIL: see the table above"; fi
fi
exit "$status"
