#!/usr/bin/env bash
# Bulk-import benchmark: N generated articles into a fresh SQLite file and a
# fresh PostgreSQL database, with wall time, rate and peak memory.
#
#   scripts/bench-import.sh [ARTICLES] [CATEGORIES]
#
# Needs python3 and the generator at $GEN (default ../shared/tools/gen_articles.py),
# GNU time (/usr/bin/time), and PostgreSQL at $PGURL_BASE (default
# postgres://postgres@127.0.0.1:5432).
set -euo pipefail
cd "$(dirname "$0")/.."
articles=${1:-100000}
categories=${2:-20}
gen=${GEN:-../shared/tools/gen_articles.py}
pg_base=${PGURL_BASE:-postgres://postgres@127.0.0.1:5432}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }
cargo build --release --quiet
bin=target/release/syndic

python3 "$gen" --articles "$articles" --categories "$categories" \
    --out "$work/articles.ndjson" --categories-out "$work/categories.json" --quiet
echo "input: $articles articles, $(du -h "$work/articles.ndjson" | cut -f1)"

run() {
    local label=$1 url=$2
    /usr/bin/time -f "%e %M" -o "$work/time" \
        "$bin" --database-url "$url" import "$work/articles.ndjson" --categories "$work/categories.json" \
        > "$work/summary" 2>/dev/null || true
    read -r seconds kib < "$work/time"
    printf '%-10s %s\n' "$label" "$(cat "$work/summary")"
    awk -v s="$seconds" -v k="$kib" -v n="$articles" -v l="$label" \
        'BEGIN { printf "%-10s wall %.2f s, %.0f articles/s, peak RSS %.0f MiB\n", l, s, n / s, k / 1024 }'
}

run sqlite "sqlite://$work/bench.db"

db="syndic_bench_$$"
psql "$pg_base/postgres" -qc "CREATE DATABASE $db"
run postgres "$pg_base/$db"
psql "$pg_base/postgres" -qc "DROP DATABASE $db"
