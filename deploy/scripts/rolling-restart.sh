#!/bin/bash
# Restarts the dossier servers one at a time (after installing a new binary, say), each
# only once the previous one is healthy again (docs/deploy.md, "Rolling restarts").
#
#   rolling-restart.sh [PORT...]        default: 8081 8082 8083
#
# While a server restarts, nginx sends the requests it cannot reach to the others
# (connection refused is retried on the next server); a restarting server builds nothing
# it does not need: its index is already on disk and only catches up with the changes
# made while it was down. The script stops at the first server that does not come back,
# leaving the rest running.

set -euo pipefail

here=$(dirname -- "$(readlink -f -- "$0")")
ports=("$@")
((${#ports[@]})) || ports=(8081 8082 8083)
for port in "${ports[@]}"; do
    [[ $port =~ ^[0-9]+$ ]] || { echo "rolling-restart: '$port' is not a port" >&2; exit 2; }
    echo "rolling-restart: restarting dossier@$port"
    systemctl restart "dossier@$port"
    "$here/wait-healthy.sh" "http://127.0.0.1:$port" "${DOSSIER_WAIT_SECONDS:-600}"
done
echo "rolling-restart: all of ${ports[*]} are healthy"
