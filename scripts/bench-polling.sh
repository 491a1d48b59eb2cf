#!/usr/bin/env bash
# The polling path, side by side: syndic (release build, SQLite, demo data)
# against nginx serving the same feed bytes as a static file (etag on,
# pre-compressed .gz with gzip_static), both on loopback, measured with wrk.
#
#   scripts/bench-polling.sh [SECONDS_PER_RUN]
#   SYNDIC_BINARY=/path/to/syndic scripts/bench-polling.sh   # another build
#
# Scenarios: a warm 200 with the full body, a 304 answered to If-None-Match,
# a gzip 200; each at 32 and 256 connections. Everything stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
syndic_port=18181
nginx_port=18182
work=$(mktemp -d)
chmod 755 "$work" # nginx workers run as another user
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light >/dev/null
fi
binary=${SYNDIC_BINARY:-target/release/syndic}
[ -n "${SYNDIC_BINARY:-}" ] || cargo build --release --quiet

# syndic with the demo content, logging off so the log is not what we measure.
RUST_LOG=off "$binary" --database-url "sqlite://$work/syndic.db" \
    --bind "127.0.0.1:$syndic_port" serve --demo > "$work/syndic.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$syndic_port/healthz" >/dev/null && break; sleep 0.2; done

path=/feeds/all.rss
syndic_url="http://127.0.0.1:$syndic_port$path"
nginx_url="http://127.0.0.1:$nginx_port/all.rss"

# The same bytes for nginx, identity and gzip.
mkdir -p "$work/www"
curl -sf "$syndic_url" -o "$work/www/all.rss"
gzip -k -6 "$work/www/all.rss"
cat > "$work/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nodelay on;
    keepalive_requests 100000;
    types { application/rss+xml rss; }
    server {
        listen 127.0.0.1:$nginx_port;
        root $work/www;
        etag on;
        gzip_static on;
        gzip_vary on;
    }
}
CONF
nginx -c "$work/nginx.conf" -p "$work"
sleep 0.5

syndic_etag=$(curl -sfI "$syndic_url" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag" {print $2}')
nginx_etag=$(curl -sfI "$nginx_url" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag" {print $2}')
echo "feed: $(wc -c < "$work/www/all.rss") bytes ($(wc -c < "$work/www/all.rss.gz") gzipped); syndic ETag $syndic_etag, nginx ETag $nginx_etag"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $syndic_etag" "$syndic_url")" = 304 ]
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $nginx_etag" "$nginx_url")" = 304 ]

# wrk prints "Requests/sec: N" and, with --latency, a "99%" line.
measure() { # url connections header...
    local url=$1 connections=$2; shift 2
    local args=()
    for h in "$@"; do args+=(-H "$h"); done
    wrk -t2 -c"$connections" -d"${seconds}s" --latency "${args[@]}" "$url" > "$work/wrk.out"
    local rps p99
    rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.out")
    p99=$(awk '$1=="99%" {print $2}' "$work/wrk.out")
    echo "$rps $p99"
}
to_ms() { # wrk latency like 1.23ms / 456.00us / 1.20s
    awk -v v="$1" 'BEGIN { n=v+0; if (v ~ /us$/) n/=1000; else if (v ~ /ms$/) n=n; else if (v ~ /s$/) n*=1000; printf "%.2f", n }'
}

printf '\n%-10s %5s | %12s %9s | %12s %9s | %9s %9s\n' scenario conns "syndic req/s" "p99 ms" "nginx req/s" "p99 ms" "rps ratio" "p99 ratio"
for scenario in 200 304 gzip; do
    for connections in 32 256; do
        case $scenario in
            200) s_headers=(); n_headers=() ;;
            304) s_headers=("If-None-Match: $syndic_etag"); n_headers=("If-None-Match: $nginx_etag") ;;
            gzip) s_headers=("Accept-Encoding: gzip"); n_headers=("Accept-Encoding: gzip") ;;
        esac
        read -r s_rps s_p99 < <(measure "$syndic_url" "$connections" "${s_headers[@]}")
        read -r n_rps n_p99 < <(measure "$nginx_url" "$connections" "${n_headers[@]}")
        s_ms=$(to_ms "$s_p99"); n_ms=$(to_ms "$n_p99")
        awk -v sc="$scenario" -v c="$connections" -v sr="$s_rps" -v sp="$s_ms" -v nr="$n_rps" -v np="$n_ms" \
            'BEGIN { printf "%-10s %5d | %12.0f %9.2f | %12.0f %9.2f | %9.2f %9.2f\n", sc, c, sr, sp, nr, np, sr/nr, (np > 0 ? sp/np : 0) }'
    done
done
