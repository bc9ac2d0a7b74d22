#!/bin/bash
# The backup chain of docs/deploy.md, end to end, on a throwaway PostgreSQL cluster of its
# own (never the running one):
#
#   1. a cluster with deploy/postgresql/archiving.conf (its archive_command pointed at a
#      scratch archive through deploy/backup/archive-wal.sh); the built-in dossier loaded
#      by `dossier load-builtin`;
#   2. a base backup with `pg-backup.sh base` (pg_basebackup + pg_verifybackup);
#   3. an import (3 events), the moment T, then a later import (the travels);
#   4. the nightly dump with `pg-backup.sh dump`, restored with pg_restore into a new
#      database: every table's rows and checksum equal the original's, and `dossier
#      serve` on the restored database answers /healthz 200, a document page and a search
#      that finds an imported event;
#   5. a point-in-time recovery to T with deploy/backup/pitr-drill.sh: the first import
#      is there, the later one is not.
#
#   test-backups.sh [DOSSIER_BINARY]     (default: target/release/dossier, else PATH's)
#
# Run from the repository's root as a user other than root (initdb refuses root), e.g.
# `runuser -u postgres -- deploy/backup/test-backups.sh target/release/dossier`. Uses ports
# 55490 and 55491 (TEST_BACKUPS_PORT, +1). Exits 0 only if every check passed.

set -euo pipefail

repo=$(pwd)
[[ -f $repo/deploy/backup/pg-backup.sh ]] || { echo "run from the repository's root" >&2; exit 2; }
dossier=${1:-}
if [[ -z $dossier ]]; then
    if [[ -x target/release/dossier ]]; then dossier=target/release/dossier; else dossier=$(command -v dossier); fi
fi
dossier=$(readlink -f -- "$dossier")
bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
port=${TEST_BACKUPS_PORT:-55490}
work=$(mktemp -d /tmp/test-backups.XXXXXX)
data=$work/cluster

step() { echo "== $*"; }
fail() {
    echo "test-backups: FAILED: $*" >&2
    exit 1
}
cleanup() {
    [[ -n ${server_pid:-} ]] && kill "$server_pid" 2>/dev/null || true
    "$bin/pg_ctl" -D "$data" -m fast stop >/dev/null 2>&1 || true
    if [[ ${TEST_BACKUPS_KEEP:-no} == yes ]]; then echo "kept $work"; else rm -rf -- "$work"; fi
}
trap cleanup EXIT

export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres
url() { echo "postgres://postgres@127.0.0.1:$port/$1"; }
sql() { "$bin/psql" -X -v ON_ERROR_STOP=1 -At -d "$1" -c "$2"; }
dossier_on() {
    local db=$1
    shift
    DOSSIER_DATABASE_URL=$(url "$db") "$dossier" --data-dir "$work/cli-$db" "$@"
}

step "1. a cluster with WAL archiving, the built-in dossier loaded"
mkdir -p "$work/wal" "$work/base" "$work/dumps"
"$bin/initdb" -D "$data" -U postgres --auth=trust >/dev/null
cat >>"$data/postgresql.conf" <<EOF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$work'
include '$repo/deploy/postgresql/archiving.conf'
archive_command = '$repo/deploy/backup/archive-wal.sh %p %f $work/wal'
EOF
"$bin/pg_ctl" -D "$data" -l "$work/postgres.log" -w start >/dev/null
[[ $(sql postgres 'SHOW archive_mode') == on ]] || fail "archive_mode is not on"
[[ $(sql postgres 'SHOW archive_timeout') == 1min ]] || fail "archive_timeout is not 1min"
sql postgres 'CREATE DATABASE dossier' >/dev/null
dossier_on dossier load-builtin >/dev/null

step "2. a base backup (pg-backup.sh base)"
DOSSIER_BASE_DIR=$work/base DOSSIER_WAL_ARCHIVE=$work/wal DOSSIER_BASE_KEEP=2 \
    "$repo/deploy/backup/pg-backup.sh" base
base=$(find "$work/base" -mindepth 1 -maxdepth 1 -type d -name '20*Z' | sort | tail -n1)
[[ -n $base ]] || fail "no base backup was made"

step "3. an import, the moment T, a later import"
dossier_on dossier import csv tests/fixtures/visits-excerpt.csv --mapping mappings/visits-csv.toml
seq_at_t=$(sql dossier 'SELECT MAX(seq) FROM changes')
events_at_t=$(sql dossier "SELECT COUNT(*) FROM records WHERE type = 'event'")
sleep 1.2
target=$(sql postgres "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
sleep 1.2
dossier_on dossier import records --mapping mappings/travels.toml \
    tests/fixtures/travels-albright-excerpt.xml --collection travels
seq_after=$(sql dossier 'SELECT MAX(seq) FROM changes')
events_after=$(sql dossier "SELECT COUNT(*) FROM records WHERE type = 'event'")
((seq_after > seq_at_t && events_after > events_at_t)) || fail "the later import wrote nothing"
# Close the WAL file holding the later import, and wait until it is archived.
walfile=$(sql postgres 'SELECT pg_walfile_name(pg_switch_wal())')
for _ in $(seq 1 100); do
    [[ -f $work/wal/$walfile ]] && break
    sleep 0.2
done
[[ -f $work/wal/$walfile ]] || fail "$walfile was not archived (see $work/postgres.log)"
echo "T=$target: seq $seq_at_t, $events_at_t events; after: seq $seq_after, $events_after events"

step "4. the nightly dump (pg-backup.sh dump), restored into a new database"
DOSSIER_BACKUP_DB=dossier DOSSIER_BACKUP_DIR=$work/dumps \
    "$repo/deploy/backup/pg-backup.sh" dump
dump=$(find "$work/dumps" -name 'dossier-*.dump' | head -n1)
(cd "$work/dumps" && sha256sum --quiet -c -- "$(basename -- "$dump").sha256") || fail "the dump's SHA-256 does not match"
sql postgres 'CREATE DATABASE dossier_restored' >/dev/null
"$bin/pg_restore" --dbname=dossier_restored --no-owner --exit-on-error "$dump"
tables=$(sql dossier "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
checked=0
for t in $tables; do
    q="SELECT COUNT(*) || ' ' || COALESCE(md5(string_agg(x::text, E'\n' ORDER BY x::text)), '-') FROM \"$t\" x"
    a=$(sql dossier "$q")
    b=$(sql dossier_restored "$q")
    [[ $a == "$b" ]] || fail "table $t differs after the restore: $a vs $b"
    checked=$((checked + 1))
done
restored_seq=$(sql dossier_restored 'SELECT MAX(seq) FROM changes')
[[ $restored_seq == "$seq_after" ]] || fail "the restored change log ends at $restored_seq, not $seq_after"
next=$(sql dossier_restored "SELECT nextval(pg_get_serial_sequence('changes', 'seq'))")
((next > seq_after)) || fail "the restored change log's sequence would reuse $next"
echo "$checked tables equal (rows and md5); the change log's sequence continues at $next"

DOSSIER_DATABASE_URL=$(url dossier_restored) "$dossier" --data-dir "$work/serve" \
    serve --addr 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
for _ in $(seq 1 600); do
    grep -q "serving at" "$work/serve.out" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.err" >&2; fail "dossier serve stopped"; }
    sleep 0.2
done
base_url=$(grep -o 'http://[0-9.:]*' "$work/serve.out" | head -n1)
[[ -n $base_url ]] || fail "dossier serve did not say where it serves"
health=$(curl -s -w ' %{http_code}' "$base_url/healthz")
[[ $health == *'"status":"ok"'*' 200' ]] || fail "/healthz on the restored database: $health"
[[ $health == *"\"store_seq\":$seq_after,"* ]] || fail "/healthz does not report seq $seq_after: $health"
page=$(curl -s -o /dev/null -w '%{http_code}' "$base_url/documents/founding-act-1997")
[[ $page == 200 ]] || fail "a document page answered $page"
found=$(curl -s -H 'Accept: application/json' "$base_url/search?q=type:event")
total=$(sed -n 's/.*"total":\([0-9]*\).*/\1/p' <<<"$found")
[[ $total == "$events_after" ]] || fail "search on the restored archive found $total events, not $events_after"
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=
echo "dossier serve on the restored database: $health; a document page 200; $total events found"

step "5. point-in-time recovery to T (pitr-drill.sh)"
out=$(PG_BIN=$bin DRILL_DB=dossier "$repo/deploy/backup/pitr-drill.sh" "$base" "$work/wal" "$target" $((port + 1)))
echo "$out"
line=$(tail -n1 <<<"$out")
[[ $line == "restored: max_seq=$seq_at_t "* ]] \
    || fail "the recovery to T should end at seq $seq_at_t (the first import) and not $seq_after: $line"

echo "test-backups: every check passed"
