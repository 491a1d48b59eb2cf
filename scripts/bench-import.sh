#!/usr/bin/env bash
# Bulk-import benchmark: N generated articles into a fresh SQLite file and a
# fresh PostgreSQL database, with wall time, rate, CPU time and peak memory.
#
#   scripts/bench-import.sh [ARTICLES] [CATEGORIES]
#
# Needs python3 and the generator at $GEN (default ../shared/tools/gen_articles.py),
# GNU time (/usr/bin/time), and PostgreSQL at $PGURL_BASE (default
# postgres://postgres@127.0.0.1:5432). $RUNS (default 1) repeats each run;
# $ENGINES (default "sqlite postgres") picks the engines. The load average is
# printed before each run: on a shared machine, repeat runs made under load.
# $DATA names a directory to keep the generated input in and reuse across
# invocations (generated there when missing); $BIN runs that binary instead of
# building target/release/syndic (for A/B runs of two builds).
set -euo pipefail
cd "$(dirname "$0")/.."
articles=${1:-100000}
categories=${2:-20}
gen=${GEN:-../shared/tools/gen_articles.py}
pg_base=${PGURL_BASE:-postgres://postgres@127.0.0.1:5432}
runs=${RUNS:-1}
engines=${ENGINES:-sqlite postgres}
work=$(mktemp -d)
db=""
cleanup() {
    [ -n "$db" ] && psql "$pg_base/postgres" -qc "DROP DATABASE IF EXISTS $db" || true
    rm -rf "$work"
}
trap cleanup EXIT

command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }
if [ -n "${BIN:-}" ]; then
    bin=$BIN
else
    cargo build --release --quiet
    bin=target/release/syndic
fi

data=${DATA:-$work}
input="$data/articles-$articles-$categories.ndjson"
input_categories="$data/categories-$articles-$categories.json"
if [ ! -s "$input" ] || [ ! -s "$input_categories" ]; then
    mkdir -p "$data"
    python3 "$gen" --articles "$articles" --categories "$categories" \
        --out "$input.tmp" --categories-out "$input_categories" --quiet
    mv "$input.tmp" "$input"
fi
echo "input: $articles articles, $(du -h "$input" | cut -f1); $(nproc) cores; $bin"

run() {
    local label=$1 url=$2
    sync
    local load
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" \
        "$bin" --database-url "$url" import "$input" --categories "$input_categories" \
        > "$work/summary" 2> "$work/stderr" || { cat "$work/stderr" >&2; return 1; }
    read -r seconds user sys kib < "$work/time"
    printf '%-10s %s\n' "$label" "$(cat "$work/summary")"
    awk -v s="$seconds" -v u="$user" -v y="$sys" -v k="$kib" -v n="$articles" -v l="$label" -v ld="$load" \
        'BEGIN { printf "%-10s wall %.2f s, %.0f articles/s, CPU %.2f s user + %.2f s sys, peak RSS %.0f MiB (load before: %s)\n", l, s, n / s, u, y, k / 1024, ld }'
}

for _ in $(seq "$runs"); do
    for engine in $engines; do
        case $engine in
        sqlite)
            rm -f "$work"/bench.db*
            run sqlite "sqlite://$work/bench.db"
            rm -f "$work"/bench.db*
            ;;
        postgres)
            db="syndic_bench_$$"
            psql "$pg_base/postgres" -qc "DROP DATABASE IF EXISTS $db"
            psql "$pg_base/postgres" -qc "CREATE DATABASE $db"
            run postgres "$pg_base/$db"
            psql "$pg_base/postgres" -qc "DROP DATABASE $db"
            db=""
            ;;
        *) echo "unknown engine $engine" >&2; exit 2 ;;
        esac
    done
done
