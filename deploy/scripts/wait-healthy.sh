#!/bin/bash
# Waits until a dossier server's /healthz answers 200 (docs/deploy.md, "Rolling
# restarts"): its store answers and its search index has applied the store's newest
# change. For deploy scripts, before a server is put back behind the balancer or the next
# one is restarted.
#
#   wait-healthy.sh [URL] [SECONDS]     default http://127.0.0.1:8081, 600 s
#
# Exits 0 once healthy; 1, with the last answer, if it is not within SECONDS (a large
# archive's first index build can take minutes: raise it).

set -euo pipefail

base=${1:-http://127.0.0.1:8081}
limit=${2:-600}
[[ $limit =~ ^[0-9]+$ ]] || { echo "wait-healthy: SECONDS must be a number, not '$limit'" >&2; exit 2; }
deadline=$((SECONDS + limit))
last="no answer"
while ((SECONDS < deadline)); do
    # -s: quiet; no -f, so that the 503's body (the reason) is kept.
    if answer=$(curl -s --max-time 5 -w '\n%{http_code}' "$base/healthz"); then
        code=${answer##*$'\n'}
        last=${answer%$'\n'*}
        if [[ $code == 200 ]]; then
            echo "wait-healthy: $base is healthy: $last"
            exit 0
        fi
        last="$code $last"
    fi
    sleep 1
done
echo "wait-healthy: $base is not healthy after ${limit}s: $last" >&2
exit 1
