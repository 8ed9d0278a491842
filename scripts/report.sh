#!/usr/bin/env bash
# The report page: reports/index.html, one self-contained file (no network)
# showing the Autobahn runs, the last fuzzing campaign and the benchmark
# ratios found under reports/.
#
#   scripts/report.sh              write reports/index.html
#   scripts/report.sh --check      render pages in headless Chromium and check
#                                  that every number shown matches its input
#
# The logic lives in the `report` binary of crates/testee (testee::report);
# this script builds it, and for --check drives the browser. --check renders
# the page of the checked-in fixtures (crates/testee/tests/data/report/), the
# page of an empty reports folder (every section says what is missing), then
# reports/index.html if there is one (as last written: run this script
# without --check first); for each it dumps the DOM after the page's script
# ran (chromium --dump-dom), has `report check` compare every number shown
# with the files it came from, and takes a screenshot. Screenshots and dumps
# go to reports/report-check/. Exits 1 on any mismatch.
#
# Needs Chromium for --check: installed with apt-get when missing and run as
# root (as on CI); elsewhere install it, or point $CHROMIUM at a binary.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
REPORT="$TARGET/debug/report"
FIXTURES="$ROOT/crates/testee/tests/data/report"
OUT="$ROOT/reports/report-check"

check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "report.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
esac

cargo build --quiet -p testee --bin report

if [ "$check" = 0 ]; then
  exec "$REPORT" --reports reports --baselines autobahn
fi

# --- the browser -------------------------------------------------------------
chromium="${CHROMIUM:-}"
if [ -z "$chromium" ]; then
  for c in chromium chromium-browser google-chrome; do
    if command -v "$c" >/dev/null 2>&1; then chromium="$c"; break; fi
  done
fi
if [ -z "$chromium" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "report.sh: installing chromium (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    chromium=chromium
  else
    echo "report.sh: --check needs Chromium: apt-get install chromium, or set CHROMIUM" >&2
    exit 1
  fi
fi
echo "browser: $("$chromium" --version 2>/dev/null)"

profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
browser() { # ARGS...: one headless run, its log kept beside the dumps
  timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic \
    --no-first-run --disable-background-networking --disable-component-update \
    --disable-sync --user-data-dir="$profile" --enable-logging=stderr --v=0 "$@" \
    2>>"$log"
}

mkdir -p "$OUT"
failed=0

# check NAME REPORTS_DIR BASELINES_DIR: renders REPORTS_DIR/index.html and
# compares it with REPORTS_DIR's inputs.
check_page() {
  local name=$1 reports=$2 baselines=$3
  local page="$reports/index.html"
  log="$OUT/$name.chromium.log"
  : >"$log"
  browser --dump-dom "file://$page" >"$OUT/$name.dom.html" || true
  browser --hide-scrollbars --window-size=1280,2000 --screenshot="$OUT/$name.png" "file://$page" >/dev/null || true
  if grep -q 'Uncaught' "$log"; then
    echo "$name: the page's script failed:"; grep 'Uncaught' "$log" | sed 's/^/  /'
    failed=1
  fi
  printf '%-9s ' "$name"
  "$REPORT" check --dom "$OUT/$name.dom.html" --reports "$reports" --baselines "$baselines" || failed=1
  [ -s "$OUT/$name.png" ] && echo "          screenshot ${OUT#"$ROOT"/}/$name.png"
}

scratch="$(mktemp -d)"
trap 'rm -rf "$profile" "$scratch"' EXIT
cp -r "$FIXTURES/reports" "$scratch/fixture"
"$REPORT" --reports "$scratch/fixture" --baselines "$FIXTURES/autobahn" --commit fixture >/dev/null
check_page fixture "$scratch/fixture" "$FIXTURES/autobahn"

mkdir -p "$scratch/empty"
"$REPORT" --reports "$scratch/empty" --baselines "$scratch/empty" --commit fixture >/dev/null
check_page empty "$scratch/empty" "$scratch/empty"

if [ -f reports/index.html ]; then
  check_page reports "$ROOT/reports" "$ROOT/autobahn"
else
  echo "reports   no reports/index.html to check: run scripts/report.sh first"
fi

if [ "$failed" != 0 ]; then
  echo "FAILED: a page does not show what its inputs hold (dumps in ${OUT#"$ROOT"/}/)"
  exit 1
fi
echo "PASS: every page shows what its inputs hold"
