#!/usr/bin/env bash
# Soak test: syndic (release build, temporary SQLite database, demo content
# plus a few hundred generated articles) under mixed load on loopback for
# SECONDS (default 300, at most 3600), driven by wrk with scripts/soak.lua:
# 95% conditional polls of every feed, 4% full fetches, 1% writes.
#
#   scripts/soak.sh [SECONDS]
#
# Prints a summary block; exits non-zero on any error response, socket
# error, or when syndic's memory at the end exceeds its start plus the
# response cache's bound. Everything it starts stops with it.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds < 1 || seconds > 3600)); then
    echo "usage: $0 [SECONDS] (1 to 3600)" >&2
    exit 2
fi
# SOAK_BINARY, SOAK_CONNECTIONS, SOAK_ARTICLES and GEN (the article
# generator, default ../shared/tools/gen_articles.py) override the defaults.
generator=${GEN:-../shared/tools/gen_articles.py}
connections=${SOAK_CONNECTIONS:-32}
articles=${SOAK_ARTICLES:-400}
# The response cache holds at most this much (server.rs CACHE_BYTES).
cache_kib=$((64 * 1024))

binary=${SOAK_BINARY:-target/release/syndic}
if [ ! -x "$binary" ]; then
    cargo build --release --quiet
fi
if ! command -v wrk >/dev/null; then
    echo "wrk is needed: apt-get install -y wrk" >&2
    exit 2
fi

work=$(mktemp -d)
syndic_pid=
sampler_pid=
cleanup() {
    [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null || true
    [ -n "$syndic_pid" ] && kill "$syndic_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
export SYNDIC_DATABASE_URL="sqlite://$work/soak.db" SYNDIC_CONFIG=/dev/null

RUST_LOG=warn "$binary" --bind "127.0.0.1:$port" serve --demo >"$work/syndic.log" 2>&1 &
syndic_pid=$!
for _ in $(seq 100); do
    curl -sf "$base/readyz" >/dev/null && break
    sleep 0.1
done
curl -sf "$base/readyz" >/dev/null || { cat "$work/syndic.log" >&2; exit 1; }

python3 "$generator" --articles "$articles" --categories 6 --quiet \
    --out "$work/articles.ndjson" --categories-out "$work/categories.json"
"$binary" import "$work/articles.ndjson" --categories "$work/categories.json" >"$work/import.log" 2>&1 ||
    { cat "$work/import.log" >&2; exit 1; }
token=$("$binary" token create soak | tail -n 1)
sleep 1.5 # the server picks up the import from the change log within a second

# Every feed: each category and "all", in every format, with its ETag.
slugs=$(curl -sf "$base/api/v1/categories" |
    python3 -c 'import json, sys; print(",".join(c["slug"] for c in json.load(sys.stdin)["items"]))')
: >"$work/feeds.txt"
for name in all ${slugs//,/ }; do
    for format in rss atom json; do
        path="/feeds/$name.$format"
        etag=$(curl -sf -D - -o /dev/null "$base$path" | tr -d '\r' | awk -F': ' 'tolower($1) == "etag" {print $2}')
        [ -n "$etag" ] || { echo "no ETag for $path" >&2; exit 1; }
        echo "$path $etag" >>"$work/feeds.txt"
    done
done
feeds=$(wc -l <"$work/feeds.txt")

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$syndic_pid/status"; }
rss_start=$(rss_kib)
(
    while kill -0 "$syndic_pid" 2>/dev/null; do
        rss_kib >>"$work/rss.txt" 2>/dev/null || true
        sleep 1
    done
) &
sampler_pid=$!

load_before=$(uptime)
wrk -t2 -c"$connections" -d"${seconds}s" --timeout 5s --latency -s scripts/soak.lua "$base" \
    -- "$work/feeds.txt" "$token" "$base" "$slugs" >"$work/wrk.out" 2>&1 || true
load_after=$(uptime)

rss_end=$(rss_kib)
kill "$sampler_pid" 2>/dev/null || true
sampler_pid=
rss_peak=$(sort -n "$work/rss.txt" | tail -n 1)
((rss_end > rss_peak)) && rss_peak=$rss_end
rss_bound=$((rss_start + cache_kib))
alive=yes
curl -sf "$base/readyz" >/dev/null || alive=no
server_errors=$(curl -sf "$base/metrics" | awk '/^http_requests_total\{/ && /status="5/ {n += $2} END {print n + 0}')

value() { awk -v key="$1" '$1 == "SOAK" && $2 == key {print $3}' "$work/wrk.out"; }
errors=$(value errors)
if [ -z "$errors" ]; then
    cat "$work/wrk.out" >&2
    exit 1
fi

cat <<SUMMARY
==== syndic soak: ${seconds} s, $connections connections, $feeds feeds ($slugs + all) ====
requests            $(value requests) ($(value polls) conditional polls, $(value full_fetches) full fetches, $(value writes) writes)
requests/s          $(value requests_per_s)
latency p50 / p99   $(value latency_p50_ms) ms / $(value latency_p99_ms) ms (max $(value latency_max_ms) ms)
responses           $(value responses_304) x 304, $(value responses_2xx) x 2xx
errors              $errors ($(value bad_status) bad status, $(value socket_errors) socket errors; server-side 5xx in /metrics: $server_errors)
syndic VmRSS        start $((rss_start / 1024)) MiB, end $((rss_end / 1024)) MiB, peak $((rss_peak / 1024)) MiB (bound: start + 64 MiB cache = $((rss_bound / 1024)) MiB)
still ready         $alive
load before         $load_before
load after          $load_after
SUMMARY

status=0
if ((errors > 0 || server_errors > 0)); then
    echo "FAIL: errors during the soak" >&2
    tail -n 20 "$work/syndic.log" >&2
    status=1
fi
if ((rss_end > rss_bound)); then
    echo "FAIL: VmRSS at the end exceeds start + the cache bound" >&2
    status=1
fi
if [ "$alive" != yes ]; then
    echo "FAIL: syndic no longer ready" >&2
    status=1
fi
exit "$status"
