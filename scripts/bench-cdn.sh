#!/usr/bin/env bash
# syndic behind a real Varnish (deploy/varnish/syndic.vcl): SECONDS (default
# 60) of wrk polling through Varnish as fast as it goes, with one write a
# second through syndic's API. Reports what reached syndic, Varnish's hit
# ratio, and each write's time from acknowledgement to new content at the
# edge (the longest, and the median). Release build, SQLite demo site,
# loopback only; stops by itself.
#
#   scripts/bench-cdn.sh [SECONDS]
#
# Needs varnish + varnish-modules (vmod-xkey), wrk, curl, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
syndic_port=${SYNDIC_PORT:-18101}
edge_port=${EDGE_PORT:-18102}
work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
for tool in varnishd wrk curl python3; do
    command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 2; }
done

cargo build --release --quiet
bin=$PWD/target/release/syndic
db="sqlite://$work/bench.db"
"$bin" --database-url "$db" migrate >/dev/null
token=$("$bin" --database-url "$db" token create bench-cdn 2>/dev/null | tail -n 1)
"$bin" --database-url "$db" --bind "127.0.0.1:$syndic_port" \
    --cdn-max-age 86400 --purge "varnish+http://127.0.0.1:$edge_port/" \
    serve --demo >"$work/syndic.log" 2>&1 &
pids+=($!)
sed "s/.port = \"8080\";/.port = \"$syndic_port\";/" deploy/varnish/syndic.vcl >"$work/syndic.vcl"
varnishd -F -j none -n "$work/varnish" -a "127.0.0.1:$edge_port" -f "$work/syndic.vcl" \
    -s malloc,256m >"$work/varnish.log" 2>&1 &
pids+=($!)
origin="http://127.0.0.1:$syndic_port" edge="http://127.0.0.1:$edge_port"
for _ in $(seq 100); do
    curl -fs "$edge/healthz" >/dev/null 2>&1 && curl -fs "$origin/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done

# What pollers ask for: every feed of the demo site and the directory.
paths=$(curl -fs "$origin/feeds.opml" | grep -o 'xmlUrl="[^"]*"' | cut -d'"' -f2 | sed "s|^$origin||")
paths="$paths /feeds.opml /"
{
    echo 'local paths = {'
    for p in $paths; do echo "  \"$p\","; done
    echo '}'
    echo 'local n = 0'
    echo 'request = function() n = n + 1; return wrk.format("GET", paths[(n % #paths) + 1]) end'
} >"$work/paths.lua"
for p in $paths; do curl -fs -o /dev/null "$edge$p"; done

served() { # requests syndic answered, its /metrics and the probe's /healthz left out
    curl -fs "$origin/metrics" | awk '/^syndic_http_requests_total\{/ && !/metrics|healthz/ { s += $NF } END { printf "%d", s }'
}
varnish_counter() { varnishstat -n "$work/varnish" -1 -f "MAIN.$1" | awk '{ print $2 }'; }

before=$(served)
hits_before=$(varnish_counter cache_hit) misses_before=$(varnish_counter cache_miss)
wrk -t2 -c64 -d"${seconds}s" -s "$work/paths.lua" "$edge" >"$work/wrk.out" &
wrk_pid=$!
pids+=($wrk_pid)
# One write a second: a new title on a live article, then poll the edge
# until its category's feed shows it.
python3 - "$origin" "$edge" "$token" "$seconds" >"$work/writes.out" <<'PY'
import json, sys, time, urllib.request
origin, edge, token, seconds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def call(method, url, body=None):
    req = urllib.request.Request(url, method=method, data=body and json.dumps(body).encode(),
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")
articles = [a for a in call("GET", f"{origin}/api/v1/articles?limit=50")["items"] if a["status"] == "published"]
latencies = []
end = time.monotonic() + seconds - 2
n = 0
while time.monotonic() < end:
    started = time.monotonic()
    article = articles[n % len(articles)]
    title = f"基准标题-{n}"
    call("PATCH", f"{origin}/api/v1/articles/{article['id']}", {"title": title})
    acked = time.monotonic()
    feed = f"{edge}/feeds/{article['category']}.rss"
    while title not in urllib.request.urlopen(feed).read().decode():
        if time.monotonic() - acked > 10:
            break
        time.sleep(0.005)
    latencies.append(time.monotonic() - acked)
    n += 1
    time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
latencies.sort()
pick = lambda q: latencies[min(len(latencies) - 1, int(len(latencies) * q))] * 1000
print(f"writes {len(latencies)}; acknowledged write to new content at the edge: median {pick(0.5):.0f} ms, "
      f"p90 {pick(0.9):.0f} ms, longest {latencies[-1]*1000:.0f} ms")
PY
wait "$wrk_pid" || true
after=$(served)
hits=$(( $(varnish_counter cache_hit) - hits_before )) misses=$(( $(varnish_counter cache_miss) - misses_before ))
echo "wrk through Varnish, ${seconds} s, 2 threads, 64 connections:"
grep -E "Requests/sec|requests in|Latency" "$work/wrk.out"
echo "reached syndic: $((after - before)) requests (writes' reads and misses after purges included)"
awk -v h="$hits" -v m="$misses" 'BEGIN { printf "Varnish: %d hits, %d misses, hit ratio %.4f\n", h, m, h / (h + m) }'
cat "$work/writes.out"
