#!/usr/bin/env bash
# Issue 29's proof under failure: 100 times, an import into PostgreSQL is killed
# (`kill -9`) at a random moment, and so is a `dossier serve` that follows the database;
# then the store must hold no partial record and, once the server is started again, its
# search index must equal the store. Prints a summary: kills, kills that landed while the
# import was writing, failures (must be 0).
#
# What is checked after each kill (the import's batches are each one transaction, so a
# kill must leave whole batches, ARCHITECTURE invariant 2):
#   batches   the run's visits in the store are whole batches of its file: the rows of
#             each commit are one run of the file's rows (a batch), and rows are missing
#             in one place at most before the last row kept (two batches are written side
#             by side, so a later one may be kept without the earlier one still being
#             written; the import run again writes what is missing), and each visit's
#             record row, its published revision and its change-log entry were committed
#             by one transaction (the same commit timestamp of their `xmin`, with
#             PostgreSQL's track_commit_timestamp on). (A batch committed in two parts
#             would pass as two smaller batches: batch sizes depend on timing near the
#             end of the input, so the script cannot know them.)
#   lock      no advisory lock (the writer's, the bulk load's) is left held once the
#             killed import's connections are gone, so the next import writes at once;
#   records   every record's JSON parses and names its own type and slug, every record
#             has a published revision holding exactly its JSON and a change-log entry,
#             and every person an event links to exists;
#   index     the server, started again, catches up (/healthz 200: its index has applied
#             the store's newest change) and its search finds exactly the store's
#             records: the same count per type, and the same slugs for the run's visits.
#
# Self-contained and idempotent: a throwaway PostgreSQL 15 cluster (initdb in a temporary
# directory, its own port, as the postgres account when run as root, as .ci/run does),
# removed on exit.
#
#   scripts/pg-kill-import-proof.sh                 # 100 kills
#   RUNS=10 ROWS=2000 DOSSIER=target/fast-release/dossier scripts/pg-kill-import-proof.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

DOSSIER=${DOSSIER:-$ROOT/target/release/dossier}
RUNS=${RUNS:-100}
# Visits per import: enough for several batches and a couple of seconds of writing.
ROWS=${ROWS:-6000}
BATCH=${BATCH:-1000}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
for tool in "$DOSSIER" "$PG_BIN/initdb" curl python3; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/dossier-kill-import.XXXXXX)
chmod 755 "$WORK"
mkdir "$WORK/pg"
as_pg=()
if [ "$(id -u)" = 0 ]; then
  chown postgres "$WORK/pg"
  as_pg=(runuser -u postgres --)
fi
SERVER=
cleanup() {
  set +e
  [ -n "$SERVER" ] && kill -9 "$SERVER" 2>/dev/null
  "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -m immediate stop >/dev/null 2>&1
  wait 2>/dev/null
  if [ -n "${KEEP:-}" ]; then echo "kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

PG_PORT=25450
while (exec 3<>"/dev/tcp/127.0.0.1/$PG_PORT") 2>/dev/null; do PG_PORT=$((PG_PORT + 1)); done
"${as_pg[@]}" "$PG_BIN/initdb" -D "$WORK/pg/data" -A trust -U dossier -E UTF8 --locale=C.UTF-8 >/dev/null
"${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -w start \
  -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $WORK/pg -c track_commit_timestamp=on" >/dev/null
"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U dossier dossier
URL="postgres://dossier@127.0.0.1:$PG_PORT/dossier"
export DOSSIER_DATABASE_URL=$URL
unset DOSSIER_DATA_DIR
sql() { "$PG_BIN/psql" -qAt -v ON_ERROR_STOP=1 "$URL" -c "$1"; }

# A file of ROWS visits for run $1 (mappings/visits-csv.toml): every run's file has the
# same shape (fixed-width numbers), so its batches are the calibration's. 200 visitors
# per run become person records; the countries are shared by every run.
make_csv() {
  python3 - "$1" "$ROWS" >"$WORK/run.csv" <<'EOF'
import sys
run, rows = int(sys.argv[1]), int(sys.argv[2])
countries = ["portugal", "yemen", "brazil", "norway", "japan", "kenya", "chile", "poland"]
print("id,start-date,end-date,visitor,from-id,from,description")
for n in range(rows):
    c = countries[n % len(countries)]
    print(f"{run:04d}{n:06d},1990-01-{n % 28 + 1:02d},1990-01-{n % 28 + 1:02d},"
          f"Minister Killrun{run:04d} Number{n % 200:03d},{c},{c.title()},"
          f"Killrun{run:04d} visit {n:06d}: an official working visit.")
EOF
}
import() { # -> runs the import in the background, pid in IMPORT
  "$DOSSIER" --data-dir "$WORK/importer" import csv "$WORK/run.csv" \
    --mapping mappings/visits-csv.toml --batch-size "$BATCH" >"$WORK/import.out" 2>&1 &
  IMPORT=$!
}
PORT=28190
while (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do PORT=$((PORT + 1)); done
start_server() {
  : >"$WORK/server.out"
  "$DOSSIER" --data-dir "$WORK/server" serve --addr "127.0.0.1:$PORT" \
    >"$WORK/server.out" 2>>"$WORK/server.log" &
  SERVER=$!
  for _ in $(seq 1 1200); do
    grep -q "serving at" "$WORK/server.out" && return 0
    kill -0 "$SERVER" 2>/dev/null || { tail -5 "$WORK/server.log" >&2; return 1; }
    sleep 0.05
  done
  return 1
}
# The run's visits, in the store, in file order.
run_ids() { sql "SELECT slug FROM records WHERE type = 'event' AND slug LIKE 'visit-$(printf %04d "$1")%' ORDER BY slug"; }

# The commits that wrote the run's visits.
commits() {
  sql "SELECT COUNT(DISTINCT pg_xact_commit_timestamp(xmin)) FROM records
       WHERE type = 'event' AND slug LIKE 'visit-$(printf %04d "$1")%'"
}
# The run's visits whose record, revision and change-log entry were not one commit.
torn() {
  sql "SELECT r.slug FROM records r
       LEFT JOIN revisions v ON v.type = r.type AND v.slug = r.slug AND v.status = 'published'
       LEFT JOIN changes c ON c.type = r.type AND c.slug = r.slug
       WHERE r.type = 'event' AND r.slug LIKE 'visit-$(printf %04d "$1")%'
         AND (pg_xact_commit_timestamp(r.xmin) IS DISTINCT FROM pg_xact_commit_timestamp(v.xmin)
           OR pg_xact_commit_timestamp(r.xmin) IS DISTINCT FROM pg_xact_commit_timestamp(c.xmin))
       LIMIT 3"
}

echo "== calibration: one import of $ROWS visits, not killed"
"$DOSSIER" --data-dir "$WORK/importer" load-builtin >/dev/null
start_server
make_csv 0
t0=$(date +%s.%N)
import
wait "$IMPORT" || { cat "$WORK/import.out"; exit 1; }
FULL=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
echo "import of $ROWS visits: ${FULL}s, $(commits 0) commits"
[ "$(run_ids 0 | wc -l)" = "$ROWS" ] || { echo "calibration import incomplete" >&2; exit 1; }
# The run's visits not kept as whole batches: a commit whose rows are not one run of the
# file (a batch is a run of rows), or rows missing in more than one place before the last
# row kept (two batches are written side by side: only the one still being written beside
# those kept may be missing). Prints what is wrong.
not_whole() {
  sql "WITH kept AS (SELECT substr(slug, 11)::int AS n, pg_xact_commit_timestamp(xmin) AS ts
                     FROM records WHERE type = 'event' AND slug LIKE 'visit-$(printf %04d "$1")%'),
       commits AS (SELECT ts, MIN(n) AS lo, MAX(n) AS hi, COUNT(*) AS rows FROM kept GROUP BY ts),
       gaps AS (SELECT g.n FROM generate_series(0, (SELECT COALESCE(MAX(n), -1) FROM kept)) g(n)
                WHERE NOT EXISTS (SELECT 1 FROM kept k WHERE k.n = g.n)
                  AND (g.n = 0 OR EXISTS (SELECT 1 FROM kept k WHERE k.n = g.n - 1)))
       SELECT 'a commit of rows ' || lo || '..' || hi || ' holds ' || rows FROM commits
       WHERE hi - lo + 1 <> rows
       UNION ALL
       SELECT 'rows missing in ' || COUNT(*) || ' places before the last kept' FROM gaps
       HAVING COUNT(*) > 1"
}
# Whether run $1 kept a batch and not an earlier one (1) or not (0).
out_of_order() {
  sql "WITH kept AS (SELECT substr(slug, 11)::int AS n FROM records
                     WHERE type = 'event' AND slug LIKE 'visit-$(printf %04d "$1")%')
       SELECT (COUNT(*) <> COALESCE(MAX(n) + 1, 0))::int FROM kept"
}

# The checks of `records` above, over the whole store: each query counts violations.
check_records() {
  sql "SELECT COUNT(*) FROM records WHERE data::jsonb IS NULL" >/dev/null 2>&1 \
    || { echo "a record's JSON does not parse"; return; }
  sql "SELECT 'unreadable or misnamed record ' || type || ' ' || slug FROM records
       WHERE (data::jsonb ->> 'slug') IS DISTINCT FROM slug LIMIT 5"
  sql "SELECT 'record without its revision ' || r.type || ' ' || r.slug FROM records r
       WHERE NOT EXISTS (SELECT 1 FROM revisions v WHERE v.type = r.type AND v.slug = r.slug
                         AND v.status = 'published' AND v.data = r.data) LIMIT 5"
  sql "SELECT 'record without a change-log entry ' || r.type || ' ' || r.slug FROM records r
       WHERE NOT EXISTS (SELECT 1 FROM changes c WHERE c.type = r.type AND c.slug = r.slug
                         AND c.op <> 'delete') LIMIT 5"
  sql "SELECT 'event ' || e.slug || ' links to a missing person ' || p.value FROM records e,
         jsonb_array_elements_text(COALESCE(e.data::jsonb -> 'people', '[]')) p(value)
       WHERE e.type = 'event' AND NOT EXISTS
         (SELECT 1 FROM records r WHERE r.type = 'person' AND r.slug = p.value) LIMIT 5"
}
# The server's search against the store (prints what differs).
check_index() { # run
  local run=$1 code
  for _ in $(seq 1 600); do
    code=$(curl -s -o "$WORK/health.json" -w '%{http_code}' --max-time 5 "http://127.0.0.1:$PORT/healthz" || true)
    [ "$code" = 200 ] && break
    sleep 0.05
  done
  [ "$code" = 200 ] || { echo "server not caught up: /healthz $code $(cat "$WORK/health.json")"; return; }
  for type in event person body document; do
    local store found
    store=$(sql "SELECT COUNT(*) FROM records WHERE type = '$type'")
    found=$(curl -fsS "http://127.0.0.1:$PORT/api/v1/search?q=type:$type&limit=1" \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
    [ "$store" = "$found" ] || echo "index has $found ${type}s, the store $store"
  done
  # The run's visits, slug by slug.
  run_ids "$run" >"$WORK/store.ids"
  python3 - "$PORT" "$(printf %04d "$run")" >"$WORK/index.ids" <<'EOF'
import json, sys, urllib.request
port, run = sys.argv[1], sys.argv[2]
slugs, cursor = set(), ""
while True:
    url = f"http://127.0.0.1:{port}/api/v1/search?q=Killrun{run}+type:event&limit=100{cursor}"
    page = json.load(urllib.request.urlopen(url))
    slugs.update(h["slug"] for h in page["items"])
    if not page.get("next_cursor"):
        break
    cursor = "&cursor=" + page["next_cursor"]
print("\n".join(sorted(slugs)))
EOF
  sed -i '/^$/d' "$WORK/index.ids"
  cmp -s "$WORK/store.ids" "$WORK/index.ids" \
    || echo "the run's visits differ: store $(wc -l <"$WORK/store.ids"), index $(wc -l <"$WORK/index.ids")"
}
problems=$(check_records; torn 0; check_index 0)
[ -z "$problems" ] || { echo "calibration: $problems" >&2; exit 1; }

echo "== $RUNS kills (import and server killed at random moments within ${FULL}s)"
uptime
kills=0 midwrite=0 partial=0 before_any=0 after_last=0 finished=0 failures=0 gaps=0
for run in $(seq 1 "$RUNS"); do
  make_csv "$run"
  # Random moments within the calibration's duration, in milliseconds.
  full_ms=$(awk -v f="$FULL" 'BEGIN { printf "%d", f * 1000 }')
  kill_at=$(( (RANDOM * 32768 + RANDOM) % (full_ms > 100 ? full_ms : 100) ))
  server_at=$(( (RANDOM * 32768 + RANDOM) % (full_ms > 100 ? full_ms : 100) ))
  import
  start=$(date +%s%N)
  server_killed=
  while :; do
    elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
    if [ -z "$server_killed" ] && [ "$elapsed" -ge "$server_at" ]; then
      kill -9 "$SERVER" 2>/dev/null || true
      server_killed=1
    fi
    [ "$elapsed" -ge "$kill_at" ] && break
    sleep 0.01
  done
  # Whether the import's connection is inside a write transaction. Every other run waits
  # (3 s at most) for one to be open before it kills, so that half the kills land inside
  # a batch's transaction; the others land wherever the random moment falls.
  in_write() {
    sql "SELECT COUNT(*) FROM pg_stat_activity WHERE backend_xid IS NOT NULL
         AND application_name = 'dossier' AND pid <> pg_backend_pid()"
  }
  writing=$(in_write)
  if [ $((run % 2)) = 0 ]; then
    for _ in $(seq 1 300); do
      [ "$writing" != 0 ] && break
      kill -0 "$IMPORT" 2>/dev/null || break
      writing=$(in_write)
    done
  fi
  if kill -9 "$IMPORT" 2>/dev/null; then
    kills=$((kills + 1))
    [ "$writing" != 0 ] && midwrite=$((midwrite + 1))
  else
    finished=$((finished + 1))
    writing=finished
  fi
  wait "$IMPORT" 2>/dev/null || true
  [ -n "$server_killed" ] || kill -9 "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  # PostgreSQL ends the killed import's transactions, and its session (the bulk load's
  # lock), when it sees their connections close.
  for _ in $(seq 1 200); do
    [ "$(sql "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = 'dossier'
              AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()")" = 0 ] \
      && [ "$(sql "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory'")" = 0 ] && break
    sleep 0.05
  done

  n=$(run_ids "$run" | wc -l)
  if [ "$n" = 0 ]; then
    before_any=$((before_any + 1))
  elif [ "$n" != "$ROWS" ]; then
    partial=$((partial + 1))
  elif [ "$writing" != finished ]; then
    after_last=$((after_last + 1))
  fi
  problems=""
  locks=$(sql "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory'")
  [ "$locks" = 0 ] || problems="$locks advisory locks still held; "
  split=$(torn "$run")
  [ -z "$split" ] || problems="record, revision and change not one commit: $split"
  torn_batches=$(not_whole "$run")
  [ -z "$torn_batches" ] || problems="$problems; not whole batches: $torn_batches"
  [ "$(out_of_order "$run")" = 0 ] || gaps=$((gaps + 1))
  problems="$problems$(check_records)"
  start_server || problems="$problems; the server did not start again"
  problems="$problems$(check_index "$run")"
  if [ -n "$problems" ]; then
    failures=$((failures + 1))
    echo "run $run (import killed at ${kill_at} ms, server at ${server_at} ms, $n visits kept): FAILED: $problems"
  fi
  printf 'run %3d: import killed at %5d ms (%-7s), server at %5d ms: %5d of %d visits kept, %2d batches\n' \
    "$run" "$kill_at" "$(case $writing in 0) echo between ;; finished) echo done ;; *) echo writing ;; esac)" "$server_at" "$n" "$ROWS" "$(commits "$run")"
done

echo
echo "== summary"
printf '%-58s %s\n' \
  "runs" "$RUNS" \
  "imports killed (kill -9)" "$kills" \
  "  ... with a write transaction open at the kill" "$midwrite" \
  "  ... after some batches and before the last" "$partial" \
  "  ... with a batch kept and an earlier one not (side by side)" "$gaps" \
  "  ... before the first batch committed" "$before_any" \
  "  ... after the last batch committed (while it closed)" "$after_last" \
  "imports that finished before their kill" "$finished" \
  "servers killed (kill -9) and started again" "$RUNS" \
  "failures (partial batch, bad record, index != store)" "$failures" \
  "calibration import ($ROWS visits, batch size $BATCH)" "${FULL}s" \
  "load (uptime)" "$(uptime | sed 's/.*load average: //')"
[ "$failures" = 0 ] && echo "RESULT: 0 failures" || { echo "RESULT: $failures failures"; exit 2; }
