#!/bin/bash
# Backups of the archive's PostgreSQL database (docs/deploy.md, "Backups").
#
#   pg-backup.sh dump   a logical backup: pg_dump in the custom format (restored with
#                       pg_restore, into any PostgreSQL of this version or later), checked
#                       with pg_restore --list, with a SHA-256 beside it; dumps older than
#                       DOSSIER_BACKUP_KEEP_DAYS are deleted (never the newest).
#   pg-backup.sh base   a base backup of the whole cluster for point-in-time recovery:
#                       pg_basebackup (plain format, its WAL streamed in), checked with
#                       pg_verifybackup; the newest DOSSIER_BASE_KEEP are kept, and WAL
#                       files older than the oldest kept one are removed from the archive.
#
# Settings (environment; the systemd units set them, /etc/dossier/backup.env overrides):
#   DOSSIER_BACKUP_DB         database name or connection URI to dump (default: dossier)
#   DOSSIER_BACKUP_DIR        where dumps go (default: /var/backups/dossier/dumps)
#   DOSSIER_BACKUP_KEEP_DAYS  days of dumps kept (default: 14)
#   DOSSIER_BACKUP_GLOBALS    "yes": also dump roles with pg_dumpall --globals-only (default)
#   DOSSIER_BASE_DIR          where base backups go (default: /var/backups/dossier/base)
#   DOSSIER_WAL_ARCHIVE       the WAL archive archive_command fills (default:
#                             /var/backups/dossier/wal)
#   DOSSIER_BASE_KEEP         base backups kept (default: 2)
#   DOSSIER_BASE_CONN         connection string for pg_basebackup (default: the local
#                             socket, as the user running the script)
#   PG_BIN                    PostgreSQL's programs (default: /usr/lib/postgresql/15/bin;
#                             Debian puts pg_verifybackup and pg_archivecleanup only there)
#
# Every failure stops the script with a message and a non-zero status (systemd then marks
# the unit failed, where monitoring sees it); a backup is only given its final name once
# it has been checked, so a half-written file never looks like a backup.

set -euo pipefail

bin=${PG_BIN:-/usr/lib/postgresql/15/bin}

die() {
    echo "pg-backup: $*" >&2
    exit 1
}

stamp() {
    date -u +%Y%m%dT%H%M%SZ
}

dump() {
    local db=${DOSSIER_BACKUP_DB:-dossier}
    local dir=${DOSSIER_BACKUP_DIR:-/var/backups/dossier/dumps}
    local keep=${DOSSIER_BACKUP_KEEP_DAYS:-14}
    [[ $keep =~ ^[0-9]+$ ]] || die "DOSSIER_BACKUP_KEEP_DAYS must be a number of days, not '$keep'"
    mkdir -p -- "$dir"
    local name
    name="dossier-$(stamp)"
    local out="$dir/$name.dump"
    trap 'rm -f -- "$out.partial"' EXIT

    "$bin/pg_dump" --format=custom --compress=6 --file="$out.partial" --dbname="$db" \
        || die "pg_dump of '$db' failed; no dump was written"
    # The dump reads back whole, and holds the archive's tables: a dump of the wrong
    # database (or an empty one) is refused rather than kept as a backup.
    local toc
    toc=$("$bin/pg_restore" --list "$out.partial") || die "$out.partial does not read back"
    for table in records changes; do
        grep -Eq "TABLE DATA [^ ]+ $table " <<<"$toc" \
            || die "the dump of '$db' has no '$table' table: is it the archive's database?"
    done
    mv -- "$out.partial" "$out"
    trap - EXIT
    (cd -- "$dir" && sha256sum -- "$name.dump" >"$name.dump.sha256")

    if [[ ${DOSSIER_BACKUP_GLOBALS:-yes} == yes ]]; then
        "$bin/pg_dumpall" --globals-only --file="$dir/$name.globals.sql" \
            || die "pg_dumpall --globals-only failed (roles are not in the dump; set DOSSIER_BACKUP_GLOBALS=no to skip them)"
    fi
    echo "pg-backup: $out ($(du -h -- "$out" | cut -f1))"

    # Older dumps go, never the one just made.
    find "$dir" -maxdepth 1 -type f -name 'dossier-*' -mtime "+$keep" \
        ! -name "$name.*" -print -delete
}

base() {
    local dir=${DOSSIER_BASE_DIR:-/var/backups/dossier/base}
    local wal=${DOSSIER_WAL_ARCHIVE:-/var/backups/dossier/wal}
    local keep=${DOSSIER_BASE_KEEP:-2}
    [[ $keep =~ ^[1-9][0-9]*$ ]] || die "DOSSIER_BASE_KEEP must be at least 1, not '$keep'"
    [[ -d $wal ]] || die "no WAL archive at $wal: set archive_command first (docs/deploy.md)"
    mkdir -p -- "$dir"
    local name
    name=$(stamp)
    local target="$dir/$name"
    trap 'rm -rf -- "$target.partial"' EXIT

    local conn=()
    if [[ -n ${DOSSIER_BASE_CONN:-} ]]; then
        conn=(--dbname="$DOSSIER_BASE_CONN")
    fi
    "$bin/pg_basebackup" "${conn[@]}" --pgdata="$target.partial" --format=plain \
        --wal-method=stream --checkpoint=fast --label="dossier-base-$name" \
        || die "pg_basebackup failed; no base backup was kept"
    "$bin/pg_verifybackup" --quiet "$target.partial" \
        || die "the base backup $target.partial does not verify"
    mv -- "$target.partial" "$target"
    trap - EXIT
    echo "pg-backup: base backup $target ($(du -sh -- "$target" | cut -f1))"

    # Keep the newest $keep; then drop the WAL older than the oldest kept one, which
    # recovery from it never needs. Its start is named by the backup history file the
    # server archived for its label.
    local all=()
    mapfile -t all < <(find "$dir" -mindepth 1 -maxdepth 1 -type d -name '20*Z' -printf '%f\n' | sort)
    local drop=$((${#all[@]} - keep))
    local i
    for ((i = 0; i < drop; i++)); do
        echo "pg-backup: removing old base backup $dir/${all[i]}"
        rm -rf -- "${dir:?}/${all[i]}"
    done
    local oldest=${all[$((drop > 0 ? drop : 0))]}
    local history
    history=$(grep -l -- "LABEL: dossier-base-$oldest\$" "$wal"/*.backup 2>/dev/null | head -n1 || true)
    if [[ -n $history ]]; then
        "$bin/pg_archivecleanup" "$wal" "$(basename -- "$history")"
    else
        echo "pg-backup: no backup history file for $oldest in $wal yet; the WAL archive is left as it is" >&2
    fi
}

case ${1:-} in
dump) dump ;;
base) base ;;
*)
    echo "usage: $0 dump|base" >&2
    exit 2
    ;;
esac
