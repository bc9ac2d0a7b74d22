#!/usr/bin/env bash
# Issue 29's first proof: 1M documents in PostgreSQL (ingest docs/s), three `dossier serve`
# on the database (catch-up, search p50/p99 over HTTP per server), and a change made on one
# server until the others' search finds it. Self-contained: `dossier-bench pg` creates its
# own database on the server of $SERVER_URL, drops it at the end, and prints the figures.
#
#   scripts/pg-scale-proof.sh                 # 1M documents, with the SQLite peer
#   DOCS=100000 SQLITE=0 scripts/pg-scale-proof.sh
#
# Needs: a PostgreSQL server ($SERVER_URL, a role that may CREATE DATABASE), psql, and the
# release build of both binaries (built here unless BUILD=0).
set -euo pipefail
cd "$(dirname "$0")/.."
DOCS=${DOCS:-1000000}
SERVER_URL=${SERVER_URL:-postgres://postgres@127.0.0.1:55432/postgres}
DATABASE=${DATABASE:-dossier_pg_scale_proof}
SQLITE=${SQLITE:-1}
SERVERS=${SERVERS:-3}
if [ "${BUILD:-1}" = 1 ]; then
    cargo build --release --bin dossier --bin dossier-bench
fi
args=(pg --docs "$DOCS" --server-url "$SERVER_URL" --database "$DATABASE" --servers "$SERVERS")
if [ "$SQLITE" = 1 ]; then
    args+=(--sqlite)
fi
echo "uptime: $(uptime)"
target/release/dossier-bench "${args[@]}"
echo "uptime: $(uptime)"
