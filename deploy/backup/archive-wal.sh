#!/bin/bash
# PostgreSQL's archive_command for point-in-time recovery (docs/deploy.md):
#
#   archive_command = '/usr/local/lib/dossier/archive-wal.sh %p %f /var/backups/dossier/wal'
#
# Copies one finished WAL file into the archive, durably: written under a temporary name,
# flushed, then renamed, so that the archive never holds a partial file under a WAL
# file's name. A file already archived with the same bytes (the server retries after a
# crash between the copy and its own bookkeeping) is success; one with other bytes is a
# failure, which PostgreSQL reports and retries, never overwriting the archive.

set -euo pipefail

if [[ $# -ne 3 ]]; then
    echo "usage: $0 %p %f ARCHIVE_DIR" >&2
    exit 2
fi
src=$1
name=$2
archive=$3

case $name in
*/* | .* | '') echo "archive-wal: refusing the file name '$name'" >&2; exit 1 ;;
esac
[[ -d $archive ]] || { echo "archive-wal: no archive directory $archive" >&2; exit 1; }

dest="$archive/$name"
if [[ -e $dest ]]; then
    if cmp -s -- "$src" "$dest"; then
        exit 0
    fi
    echo "archive-wal: $dest exists with other contents; not overwriting it" >&2
    exit 1
fi

tmp="$archive/.$name.tmp"
cp -- "$src" "$tmp"
sync -- "$tmp"
mv -- "$tmp" "$dest"
sync -- "$archive"
