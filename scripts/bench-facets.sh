#!/usr/bin/env bash
# Facet feeds at scale: ARTICLES generated articles (default 1,000,000) with
# TAGS distinct tags (default 50,000), 20,000 authors and 2,000 sources, all
# Zipf-distributed (scripts/facet_variety.py), imported into SQLite and
# PostgreSQL. Against a release build on loopback, per engine:
#
#   - cold first pages: one request each to SAMPLES distinct tag, author and
#     source feeds never asked before (the busiest, then a spread down to
#     the rarest), so each is a cache miss that queries the database;
#   - deep pages: pages 500 to 519 of the busiest tag's feed, each cold;
#   - memory: the process's RSS before and after 100,000 distinct unknown
#     tag URLs are polled (curl, 16 in parallel), against the 64 MiB cache.
#
#   scripts/bench-facets.sh [ARTICLES] [TAGS]
#
# $ENGINES (default "sqlite postgres"), $SAMPLES (default 200), $UNKNOWN
# (default 100000), $PGURL_BASE (default postgres://postgres@127.0.0.1:5432),
# $DATA (a directory to keep the generated input in across runs).
set -euo pipefail
cd "$(dirname "$0")/.."
articles=${1:-1000000}
tags=${2:-50000}
engines=${ENGINES:-sqlite postgres}
samples=${SAMPLES:-200}
unknown=${UNKNOWN:-100000}
gen=${GEN:-../shared/tools/gen_articles.py}
pg_base=${PGURL_BASE:-postgres://postgres@127.0.0.1:5432}
port=${PORT:-18091}
work=$(mktemp -d)
db="" server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    [ -n "$db" ] && psql "$pg_base/postgres" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT

cargo build --release --quiet
bin=target/release/syndic
data=${DATA:-$work}
input="$data/facets-$articles-$tags.ndjson"
if [ ! -s "$input" ]; then
    mkdir -p "$data"
    python3 "$gen" --articles "$articles" --out - --categories-out "$data/categories.json" --quiet |
        python3 scripts/facet_variety.py --tags "$tags" >"$input.tmp"
    mv "$input.tmp" "$input"
fi
# The facets to ask for, by how many articles carry them: the busiest
# first, then every k-th down to the rarest.
python3 - "$input" "$samples" >"$work/facets" <<'PY'
import collections, json, sys, urllib.parse
counts = {"tags": collections.Counter(), "authors": collections.Counter(), "sources": collections.Counter()}
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        a = json.loads(line)
        if a.get("status", "published") != "published":
            continue
        counts["tags"].update(set(a["tags"]))
        counts["authors"][a["author"]] += 1
        counts["sources"][a["source"]["name"]] += 1
n = int(sys.argv[2])
for kind, counter in counts.items():
    ranked = [v for v, _ in counter.most_common()]
    step = max(1, len(ranked) // n)
    picked = ranked[::step][:n]
    for value in picked:
        print(kind, counter[value], urllib.parse.quote(value, safe=""))
    print(kind, "distinct", len(ranked), file=sys.stderr)
PY
busiest_tag=$(awk '$1 == "tags" { print $3; exit }' "$work/facets")
busiest_count=$(awk '$1 == "tags" { print $2; exit }' "$work/facets")
echo "input: $articles articles, $tags tags asked for, $(du -h "$input" | cut -f1); $(nproc) cores"

stats() { # label, then times in seconds on stdin
    sort -n | awk -v l="$1" '{ t[NR] = $1 * 1000 } END {
        printf "%-26s n=%d  p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms\n",
            l, NR, t[int(NR * 0.5) + (NR == 1)], t[int(NR * 0.9) + (NR == 1)], t[int(NR * 0.99) + (NR == 1)], t[NR] }'
}

# Resident memory: anonymous (the heap: cache, buffers) and file-backed
# (SQLite's memory-mapped database pages, which the kernel can drop).
rss_mib() { awk '/^RssAnon/ { a = $2 } /^RssFile/ { f = $2 } END { printf "%.0f anon + %.0f file", a / 1024, f / 1024 }' "/proc/$server/status"; }
hwm_mib() { awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$server/status"; }

bench() {
    local engine=$1 url=$2 base="http://127.0.0.1:$port"
    local started=$SECONDS
    "$bin" --database-url "$url" import "$input" --categories "$data/categories.json" >/dev/null
    echo "$engine: imported in $((SECONDS - started)) s"
    "$bin" --database-url "$url" --bind "127.0.0.1:$port" serve >"$work/server.log" 2>&1 &
    server=$!
    for _ in $(seq 100); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.2; done
    for kind in tags authors sources; do
        awk -v k="$kind" '$1 == k { print $3 }' "$work/facets" | while read -r value; do
            curl -s -o /dev/null -w '%{time_total}\n' "$base/feeds/$kind/$value.rss"
        done | stats "$engine cold $kind"
    done
    if [ "$busiest_count" -ge 10400 ]; then
        for page in $(seq 500 519); do
            curl -s -o /dev/null -w '%{time_total}\n' "$base/feeds/tags/$busiest_tag.atom?page=$page"
        done | stats "$engine tag page 500-519"
        local status
        status=$(curl -s -o /dev/null -w '%{http_code}' "$base/feeds/tags/$busiest_tag.atom?page=519")
        [ "$status" = 200 ] || { echo "page 519 answered $status" >&2; return 1; }
    else
        echo "$engine: the busiest tag has $busiest_count articles, too few for page 500"
    fi
    echo "$engine memory before unknown tags: $(rss_mib) MiB"
    # In four parts, so that a plateau (the bound) shows from a steady climb.
    local part=$((unknown / 4)) from=1
    started=$SECONDS
    for _ in 1 2 3 4; do
        seq "$from" $((from + part - 1)) | awk -v b="$base" '{ printf "url = \"%s/feeds/tags/%%E6%%9C%%AA%%E7%%9F%%A5-%d.rss\"\noutput = \"/dev/null\"\n", b, $1 }' >"$work/unknown.curl"
        curl -s --parallel --parallel-max 16 -K "$work/unknown.curl" 2>/dev/null
        from=$((from + part))
        echo "$engine after $((from - 1)) distinct unknown tags: $(rss_mib) MiB, peak $(hwm_mib) MiB total"
    done
    echo "$engine unknown tags: $unknown distinct URLs in $((SECONDS - started)) s (cache bound 64 MiB)"
    kill "$server" && wait "$server" 2>/dev/null || true
    server=""
}

for engine in $engines; do
    case $engine in
    sqlite)
        rm -f "$work"/bench.db*
        bench sqlite "sqlite://$work/bench.db"
        rm -f "$work"/bench.db*
        ;;
    postgres)
        db="syndic_facets_$$"
        psql "$pg_base/postgres" -qc "CREATE DATABASE $db"
        bench postgres "$pg_base/$db"
        psql "$pg_base/postgres" -qc "DROP DATABASE $db"
        db=""
        ;;
    *) echo "unknown engine $engine" >&2; exit 2 ;;
    esac
done
