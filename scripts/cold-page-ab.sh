#!/usr/bin/env bash
# The cold path of one page, for A/B runs of two builds (issue 22): serves a data directory
# on 127.0.0.1:18099, then N times imports a Markdown note (a speech issued by `israel`,
# in the NATO-Russia dossier, a new title each time) and requests the page twice. Prints
# curl's median time of the first request, the request's time and the request worker's
# time from the server's /metrics, and the server's CPU per change (perf stat).
#
#   scripts/cold-page-ab.sh BIN DATA_DIR [N] [PATH]
#   scripts/cold-page-ab.sh target/release/dossier /tmp/archive 20 /bodies/israel
#
# Make each build's data directory with that build (schemas may differ):
#   scripts/cold-page-ab.sh --archive BIN DATA_DIR   # the serve bench's archive
#
# Needs curl, perf (linux-perf) and ../shared/corpora. Not a test: it prints figures.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPORA=${CORPORA:-../shared/corpora/historyatstate}
if [ "${1:-}" = --archive ]; then
    BIN=$2; DATA=$3
    rm -rf "$DATA"; mkdir -p "$DATA"
    "$BIN" load-builtin --data-dir "$DATA" >/dev/null
    "$BIN" import records --data-dir "$DATA" --mapping mappings/visits.toml \
        --collection visits --collection-title "Visits by Foreign Leaders to the United States" \
        "$CORPORA"/visits/data/*.xml >/dev/null
    "$BIN" import tei --data-dir "$DATA" --collection milestones \
        --collection-title "Milestones in the History of U.S. Foreign Relations" \
        --kind research-study "$CORPORA"/milestones/chapters/*.xml >/dev/null
    exit 0
fi
BIN=$1; DATA=$2; N=${3:-20}; PAGE=${4:-/bodies/israel}
ADDR=127.0.0.1:18099
WORK=$(mktemp -d)
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT
"$BIN" serve --data-dir "$DATA" --addr "$ADDR" >"$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 50); do curl -sf -o /dev/null "http://$ADDR/healthz" && break; sleep 0.2; done
curl -s -o /dev/null "http://$ADDR$PAGE"
perf stat -e task-clock -x, -p "$SERVER" -o "$WORK/cpu" &
PERF=$!
sleep 0.3
NOTE=$WORK/dossier-bench-note.md
for i in $(seq "$N"); do
    printf '+++\ntitle = "A/B note %s"\nkind = "speech"\ndate = "1997-05-27"\nissued_by = ["israel"]\n+++\nChange %s.\n' \
        "$i" "$i" >"$NOTE"
    "$BIN" import markdown "$NOTE" --data-dir "$DATA" --dossier nato-russia >/dev/null 2>&1
    curl -s -o /dev/null -w '%{time_total}\n' "http://$ADDR$PAGE" >>"$WORK/first"
    curl -s -o /dev/null "http://$ADDR$PAGE"
done
kill -INT "$PERF"; wait "$PERF" || true
ROUTE=$(echo "$PAGE" | sed 's#/[^/]*$#/{slug}#')
METRICS=$(curl -s "http://$ADDR/metrics")
sum() { echo "$METRICS" | grep "^$1_sum" | grep -F "route=\"$ROUTE\"" | awk '{print $2}'; }
CPU=$(grep task-clock "$WORK/cpu" | cut -d, -f1)
sort -n "$WORK/first" | awk -v n="$N" -v r="$(sum dossier_http_request_duration_seconds)" \
    -v w="$(sum dossier_store_seconds)" -v cpu="$CPU" -v bin="$BIN" '{a[NR]=$1} END {
    printf "%s: first request (curl) median %.3f ms; per change: request %.3f ms, worker %.3f ms, server CPU %.3f ms\n",
        bin, a[int((NR+1)/2)]*1000, r*1000/n, w*1000/n, cpu/n }'
