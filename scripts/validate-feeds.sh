#!/usr/bin/env bash
# Runs the W3C feed validator over a running syndic: its OPML, then every RSS
# and Atom feed the OPML lists. Exits non-zero if anything is reported.
#
#   git clone https://github.com/w3c/feedvalidator /path/feedvalidator
#   pip install lxml html5lib rdflib
#   FEEDVALIDATOR=/path/feedvalidator scripts/validate-feeds.sh http://127.0.0.1:8080
set -euo pipefail
base=${1:?usage: validate-feeds.sh BASE_URL}
validator=${FEEDVALIDATOR:?set FEEDVALIDATOR to a checkout of w3c/feedvalidator}/src/demo.py
[ -f "$validator" ] || { echo "no $validator" >&2; exit 2; }

urls=("$base/feeds.opml")
while read -r url; do urls+=("$url"); done < <(
    curl -fsS "$base/feeds.opml" | grep -o 'xmlUrl="[^"]*\.\(rss\|atom\)"' | cut -d'"' -f2)

reported=0
for url in "${urls[@]}"; do
    # "AA" is the online validator's level; demo.py exits 1 on any event.
    if out=$(cd "$(dirname "$validator")" && python3 demo.py "$url" AA 2>&1); then
        echo "clean: $url"
    else
        reported=$((reported + 1))
        echo "$out"
    fi
done
echo "${#urls[@]} documents validated, $reported with errors or warnings"
[ "$reported" -eq 0 ]
