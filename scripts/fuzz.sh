#!/usr/bin/env bash
# Coverage-guided fuzzing of rendering, article ingestion and conditional GET
# (the cargo-fuzz project in fuzz/), one target after the other.
#
#   scripts/fuzz.sh [SECONDS]          # each target for SECONDS (default 600)
#   TARGETS="render" scripts/fuzz.sh 60
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
# The growing corpus goes to fuzz/corpus/<target>/ (ignored by git); the
# committed seeds in fuzz/seeds/<target>/ and the dictionaries in fuzz/dicts/
# are read as well. A crash stops its target, leaves the input in
# fuzz/artifacts/<target>/ and makes the script exit non-zero; reproduce with
# `cargo +nightly fuzz run <target> <file>`, shrink with `cargo +nightly fuzz tmin`.
# Runs under `nice` so that a shared machine stays usable.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-600}
targets=${TARGETS:-render ingest conditional}
status=0
for target in $targets; do
    mkdir -p "corpus/$target" "seeds/$target"
    echo "== $target: ${seconds}s"
    options=(-max_total_time="$seconds" -print_final_stats=1)
    [[ -f "dicts/$target.dict" ]] && options+=("-dict=dicts/$target.dict")
    # A whole feed needs room: libFuzzer's slow default length growth kept
    # render inputs under 80 bytes (one short article) for ten minutes.
    [[ $target == render ]] && options+=(-max_len=2048 -len_control=0)
    if ! nice -n 10 cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- \
        "${options[@]}"; then
        echo "== $target: FAILED (see fuzz/artifacts/$target/)"
        status=1
    fi
done
exit $status
