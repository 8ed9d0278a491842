#!/bin/bash -eu
# Builds every target of fuzz/fuzz_targets/ into $OUT, each with the shared
# dictionary and its checked-in seeds (fuzz/corpus/<target>/), which
# ClusterFuzzLite starts from when it has no corpus of its own yet.
#
# The builder's cargo adds the sanitizer and coverage flags (RUSTFLAGS) for
# the build ClusterFuzzLite asked for; -O --debug-assertions matches
# scripts/fuzz.sh: optimized, with overflow checks and debug assertions.
cd "$SRC/rfc6455"
cargo fuzz build -O --debug-assertions

built=fuzz/target/x86_64-unknown-linux-gnu/release
for source in fuzz/fuzz_targets/*.rs; do
  target=$(basename "${source%.rs}")
  cp "$built/$target" "$OUT/"
  cp fuzz/dict/websocket.dict "$OUT/$target.dict"
  if [ -d "fuzz/corpus/$target" ]; then
    (cd "fuzz/corpus/$target" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
  fi
done
