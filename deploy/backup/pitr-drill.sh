#!/bin/bash
# A point-in-time recovery drill (docs/deploy.md): restores a base backup and the WAL
# archive to a moment, into a scratch directory served on another port, without touching
# the running cluster; checks that the restored database holds the archive (its change
# log, its records, nothing changed after the moment); stops and removes it again.
#
#   pitr-drill.sh BASE_BACKUP WAL_ARCHIVE 'YYYY-MM-DD HH:MM:SS+00' PORT
#
# Run as the user that owns the backups (postgres). Settings (environment):
#   PG_BIN       PostgreSQL's programs (default: /usr/lib/postgresql/15/bin)
#   DRILL_DB     the archive's database in the backup (default: dossier)
#   DRILL_DIR    the scratch directory (default: a new one under /tmp); removed after
#   DRILL_KEEP   "yes": leave the restored server running and its directory in place,
#                for a look with psql (the last line says how to reach and stop it)
#
# The last line of a successful drill is
#   restored: max_seq=N newest_change=TIME records=M
# and the exit status is 0; anything else exits non-zero with PostgreSQL's log.

set -euo pipefail

die() {
    echo "pitr-drill: $*" >&2
    exit 1
}

[[ $# -eq 4 ]] || { echo "usage: $0 BASE_BACKUP WAL_ARCHIVE TARGET_TIME PORT" >&2; exit 2; }
base=$(readlink -f -- "$1")
wal=$(readlink -f -- "$2")
target=$3
port=$4
bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
db=${DRILL_DB:-dossier}

[[ -f $base/backup_label ]] || die "$base is not a plain-format base backup (no backup_label)"
[[ -d $wal ]] || die "no WAL archive at $wal"
[[ $port =~ ^[0-9]+$ ]] || die "PORT must be a number, not '$port'"
[[ $target =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}[\ T][0-9:.]+([+-][0-9:]+|Z|\ UTC)?$ ]] \
    || die "TARGET_TIME must look like '2026-12-06 14:01:00+00', not '$target'"
# Quotes would break out of the settings written below; the patterns above allow none.
[[ $base$wal != *"'"* ]] || die "paths with quotes are not supported"

scratch=${DRILL_DIR:-$(mktemp -d /tmp/pitr-drill.XXXXXX)}
data=$scratch/data
mkdir -p -- "$scratch"
chmod 0700 -- "$scratch"
stop() {
    "$bin/pg_ctl" -D "$data" -m fast stop >/dev/null 2>&1 || true
}
cleanup() {
    if [[ ${DRILL_KEEP:-no} != yes ]]; then
        stop
        rm -rf -- "$scratch"
    fi
}
trap cleanup EXIT

echo "pitr-drill: restoring $base to $target in $scratch"
cp -a -- "$base" "$data"
chmod 0700 -- "$data"
# The WAL comes from the archive, up to the target; none of the backup's own beyond it.
find "$data/pg_wal" -mindepth 1 -maxdepth 1 -type f -delete
rm -f -- "$data/postmaster.pid"

# A configuration of its own (a Debian cluster keeps its in /etc, and one kept in the data
# directory would archive into the real archive): no archiving, its own socket, no TCP.
cat >"$scratch/drill.conf" <<EOF
port = $port
listen_addresses = ''
unix_socket_directories = '$scratch'
hba_file = '$scratch/drill_hba.conf'
ident_file = '$scratch/drill_ident.conf'
shared_buffers = 128MB
# No connections until promoted: also frees the drill from matching the primary's
# max_connections and the like, which a hot standby must not set lower.
hot_standby = off
archive_mode = off
restore_command = 'cp $wal/%f %p'
recovery_target_time = '$target'
recovery_target_action = 'promote'
EOF
echo "local all all peer" >"$scratch/drill_hba.conf"
: >"$scratch/drill_ident.conf"
touch "$data/recovery.signal"

"$bin/pg_ctl" -D "$data" -o "-c config_file=$scratch/drill.conf" -l "$scratch/postgres.log" \
    -w -t 600 start >/dev/null \
    || { tail -n 30 "$scratch/postgres.log" >&2; die "the restored cluster did not start"; }

psql_drill() {
    "$bin/psql" -X -h "$scratch" -p "$port" -d "$db" -v ON_ERROR_STOP=1 -At "$@"
}
# Promoted once the target is reached; a target past the archive's end stops the server
# with "recovery ended before configured recovery target was reached".
for _ in $(seq 1 600); do
    if [[ $(psql_drill -c 'SELECT pg_is_in_recovery()' 2>/dev/null || echo gone) == f ]]; then
        break
    fi
    if ! "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        tail -n 30 "$scratch/postgres.log" >&2
        die "the restored cluster stopped during recovery"
    fi
    sleep 1
done
[[ $(psql_drill -c 'SELECT pg_is_in_recovery()') == f ]] \
    || { tail -n 30 "$scratch/postgres.log" >&2; die "recovery did not finish within 10 minutes"; }
grep -q "recovery stopping before" "$scratch/postgres.log" \
    || echo "pitr-drill: note: no transaction after $target was in the archive; restored to its end" >&2

# The archive is there, and nothing in it is newer than the target.
summary=$(psql_drill -F ' ' -c "
    SELECT COALESCE(MAX(seq), 0),
           COALESCE(MAX(at::timestamptz)::text, 'none none'),
           (SELECT COUNT(*) FROM records),
           COALESCE(MAX(at::timestamptz) <= '$target'::timestamptz, true)
    FROM changes") || die "the restored database '$db' has no dossier change log"
read -r max_seq newest_date newest_time records in_time <<<"$summary"
[[ $in_time == t ]] || die "a change after $target was restored ($newest_date $newest_time)"
if [[ ${DRILL_KEEP:-no} == yes ]]; then
    echo "pitr-drill: left running: psql -h $scratch -p $port -d $db; stop with: $bin/pg_ctl -D $data stop"
fi
echo "restored: max_seq=$max_seq newest_change=${newest_date}T${newest_time} records=$records"
