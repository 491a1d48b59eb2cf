#!/usr/bin/env bash
# Runs the W3C feed validator over a running syndic: its OPML, then every RSS
# and Atom feed the OPML lists (tag feeds too with --opml-tags), then each
# extra PATH given (author and source feeds, say). Exits non-zero if anything
# is reported.
#
#   git clone https://github.com/w3c/feedvalidator /path/feedvalidator
#   pip install lxml html5lib rdflib
#   FEEDVALIDATOR=/path/feedvalidator scripts/validate-feeds.sh http://127.0.0.1:8080 \
#       /feeds/authors/%E5%90%B4%E6%A1%90.atom
set -euo pipefail
base=${1:?usage: validate-feeds.sh BASE_URL [PATH...]}
shift
validator=${FEEDVALIDATOR:?set FEEDVALIDATOR to a checkout of w3c/feedvalidator}/src/demo.py
[ -f "$validator" ] || { echo "no $validator" >&2; exit 2; }

urls=("$base/feeds.opml")
while read -r url; do urls+=("$url"); done < <(
    curl -fsS "$base/feeds.opml" | grep -o 'xmlUrl="[^"]*\.\(rss\|atom\)"' | cut -d'"' -f2)
for path in "$@"; do urls+=("$base$path"); done

# Each URL at the online validator's level ("AA"). Errors fail the run; so do
# warnings, except the two kinds docs/feeds.md explains: entries written in
# the same second, and RFC 6721's namespace, which the validator predates.
cd "$(dirname "$validator")"
python3 - "${urls[@]}" <<'PY'
import sys
import urllib.request  # feedvalidator uses it without importing it
import feedvalidator
from feedvalidator import compatibility, logging
from feedvalidator.formatter.text_plain import Formatter

TOMBSTONES = "http://purl.org/atompub/tombstones/1.0"

def accepted(event):
    if isinstance(event, logging.DuplicateUpdated):
        return True
    return isinstance(event, logging.UnknownNamespace) and event.params.get("namespace") == TOMBSTONES

errors = unexpected = 0
for url in sys.argv[1:]:
    try:
        events = feedvalidator.validateURL(url, firstOccurrenceOnly=1)["loggedEvents"]
    except logging.ValidationFailure as failure:
        events = [failure.event]
    events = compatibility.AA(events)
    failed = [e for e in events if isinstance(e, logging.Error)]
    warned = [e for e in events if not isinstance(e, logging.Error) and not accepted(e)]
    errors += len(failed)
    unexpected += len(warned)
    known = len(events) - len(failed) - len(warned)
    print(("clean: " if not failed and not warned else "REPORTED: ") + url
          + (f" ({known} known warning{'s' if known != 1 else ''})" if known else ""))
    for line in Formatter(failed + warned):
        print("    " + line)
print(f"{len(sys.argv) - 1} documents validated: {errors} errors, {unexpected} unexpected warnings")
sys.exit(1 if errors or unexpected else 0)
PY
