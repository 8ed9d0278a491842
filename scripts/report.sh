#!/usr/bin/env bash
# The report page: reports/index.html, one self-contained file (no network)
# showing the Autobahn runs, the last fuzzing campaign and the benchmarks
# found under reports/.
#
#   scripts/report.sh              write reports/index.html
#   scripts/report.sh --check      render pages in headless Chromium and check
#                                  that every number shown matches its input
#
# Builds and runs the `report` binary of crates/testee (testee::report); see
# `report --help` and `report check-in-browser --help`. --check installs
# Chromium with apt-get when missing and run as root, or uses $CHROMIUM;
# dumps and screenshots go to reports/report-check/. Exits 1 on a mismatch.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  "") set -- ;;
  --check) set -- check-in-browser ;;
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "report.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
esac
cargo build --quiet -p testee --bin report
exec "${CARGO_TARGET_DIR:-target}/debug/report" "$@"
