#!/usr/bin/env bash
# Issue 29's proof under failure: nginx in front of three `dossier serve` processes on one
# PostgreSQL database, wrk with 256 connections for 60 s over a mix of pages, while
#   - at ~15 s one server is killed (`kill -9`); while it is down another process imports
#     2,000 visits into the database (the other two servers follow them), then it is
#     started again (it catches its search index up from the store's change log and
#     rejoins), and
#   - at ~35 s PostgreSQL is restarted once (`pg_ctl restart -m fast`).
# Requests may be retried by nginx (proxy_next_upstream); none may fail after a restart has
# finished. Prints a summary: requests, req/s, latency percentiles, and the responses that
# were not 2xx/3xx split into windows (before, during and after each restart) from nginx's
# access log (its $msec, $status and $upstream_status), with wrk's own error counts.
#
# Self-contained and idempotent: a throwaway PostgreSQL 15 cluster (initdb in a temporary
# directory, its own port, run as the postgres account when started as root, as .ci/run
# does), data directories and an nginx prefix of its own, all removed on exit.
#
#   scripts/pg-failover-proof.sh                    # the figures for BENCHMARKS.md
#   DURATION=60 CONNECTIONS=256 KILL_AT=15 PG_RESTART_AT=35 scripts/pg-failover-proof.sh
#   DOSSIER=target/fast-release/dossier KEEP=1 scripts/pg-failover-proof.sh
#
# Needs: a built `dossier` (default target/release/dossier: `cargo build --release --bin
# dossier`), PostgreSQL 15 (/usr/lib/postgresql/15/bin), nginx, wrk, curl. The archive is
# the built-in dossier plus the Office of the Historian's collections in
# ../shared/corpora when they are there (else the excerpts in tests/fixtures).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

DOSSIER=${DOSSIER:-$ROOT/target/release/dossier}
DURATION=${DURATION:-60}
CONNECTIONS=${CONNECTIONS:-256}
THREADS=${THREADS:-2}
KILL_AT=${KILL_AT:-15}
PG_RESTART_AT=${PG_RESTART_AT:-35}
# wrk's own client timeout (its default, 2 s, would count a request that a restart slowed
# as a socket error even though it was answered).
WRK_TIMEOUT=${WRK_TIMEOUT:-10s}
CORPORA=${CORPORA:-$ROOT/../shared/corpora}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
NGINX=${NGINX:-/usr/sbin/nginx}
NGINX_SITE=$ROOT/deploy/nginx/dossier.conf

for tool in "$DOSSIER" "$PG_BIN/initdb" "$NGINX" wrk curl; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/dossier-failover.XXXXXX)
chmod 755 "$WORK"
as_pg=()
if [ "$(id -u)" = 0 ]; then
  mkdir "$WORK/pg"
  chown postgres "$WORK/pg"
  as_pg=(runuser -u postgres --)
else
  mkdir "$WORK/pg"
fi
PIDS=()
cleanup() {
  set +e
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  [ -f "$WORK/nginx/nginx.pid" ] && kill "$(cat "$WORK/nginx/nginx.pid")" 2>/dev/null
  "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -m immediate stop >/dev/null 2>&1
  wait 2>/dev/null
  if [ -n "${KEEP:-}" ]; then echo "kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

free_port() {
  local port=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  echo "$port"
}
now() { date +%s.%N; }

echo "== PostgreSQL 15 (throwaway cluster)"
PG_PORT=$(free_port 25440)
"${as_pg[@]}" "$PG_BIN/initdb" -D "$WORK/pg/data" -A trust -U dossier -E UTF8 --locale=C.UTF-8 >/dev/null
pg_ctl() {
  "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -w "$@"
}
pg_ctl start -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $WORK/pg -c max_connections=200" >/dev/null
"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U dossier dossier
URL="postgres://dossier@127.0.0.1:$PG_PORT/dossier"
export DOSSIER_DATABASE_URL=$URL
unset DOSSIER_DATA_DIR

echo "== the archive"
"$DOSSIER" --data-dir "$WORK/loader" load-builtin >/dev/null
if [ -d "$CORPORA/historyatstate" ]; then
  "$DOSSIER" --data-dir "$WORK/loader" import tei "$CORPORA"/historyatstate/milestones/chapters/*.xml \
    --kind research-study --lang en --collection milestones >/dev/null
  "$DOSSIER" --data-dir "$WORK/loader" import records "$CORPORA"/historyatstate/visits/data/*.xml \
    --mapping mappings/visits.toml --collection visits >/dev/null
else
  "$DOSSIER" --data-dir "$WORK/loader" import csv tests/fixtures/visits-excerpt.csv \
    --mapping mappings/visits-csv.toml >/dev/null
fi
"$PG_BIN/psql" -qAt "$URL" -c "SELECT type || ' ' || count(*) FROM records GROUP BY type ORDER BY type" | tr '\n' ' '
echo

echo "== three servers"
PORTS=()
start_server() { # index -> starts it, waits until it serves, records its pid
  local i=$1 port=${PORTS[$1]}
  "$DOSSIER" --data-dir "$WORK/s$i" serve --addr "127.0.0.1:$port" \
    >"$WORK/s$i.out" 2>>"$WORK/s$i.log" &
  SERVER_PID[$i]=$!
  PIDS+=("$!")
  for _ in $(seq 1 600); do
    grep -q "serving at" "$WORK/s$i.out" 2>/dev/null && return 0
    kill -0 "${SERVER_PID[$i]}" 2>/dev/null || { cat "$WORK/s$i.log" >&2; return 1; }
    sleep 0.1
  done
  echo "server $i did not start" >&2
  return 1
}
declare -a SERVER_PID
next=28081
for i in 0 1 2; do
  PORTS[$i]=$(free_port $next)
  next=$((PORTS[i] + 1))
  start_server "$i"
  echo "server $i: http://127.0.0.1:${PORTS[$i]} (pid ${SERVER_PID[$i]})"
done

echo "== nginx (the upstream and proxy settings of deploy/nginx/dossier.conf)"
NGINX_PORT=$(free_port 28090)
mkdir -p "$WORK/nginx/logs"
chmod 777 "$WORK/nginx"
{
  echo "worker_processes 2;"
  echo "pid $WORK/nginx/nginx.pid;"
  echo "error_log $WORK/nginx/error.log warn;"
  echo "events { worker_connections 8192; }"
  echo "http {"
  echo "  log_format proof '\$msec \$status \"\$upstream_status\" \"\$upstream_addr\" \$request_time';"
  echo "  access_log $WORK/nginx/access.log proof buffer=256k flush=1s;"
  echo "  client_body_temp_path $WORK/nginx/body; proxy_temp_path $WORK/nginx/proxy;"
  echo "  fastcgi_temp_path $WORK/nginx/fcgi; uwsgi_temp_path $WORK/nginx/uwsgi; scgi_temp_path $WORK/nginx/scgi;"
  if [ -f "$NGINX_SITE" ]; then
    # The upstream block as deployed, on this run's ports.
    awk '/^upstream dossier \{/,/^\}/' "$NGINX_SITE" \
      | sed -e "s/127\.0\.0\.1:8081/127.0.0.1:${PORTS[0]}/" \
            -e "s/127\.0\.0\.1:8082/127.0.0.1:${PORTS[1]}/" \
            -e "s/127\.0\.0\.1:8083/127.0.0.1:${PORTS[2]}/"
    echo "server {"
    echo "  listen 127.0.0.1:$NGINX_PORT;"
    # The TLS site's proxy settings (every `proxy_` line before its first location).
    awk '/listen 443/ {site=1} site && /^[[:space:]]*location/ {exit} site && /^[[:space:]]*proxy_/' "$NGINX_SITE"
    echo "  location / { proxy_pass http://dossier; }"
    echo "}"
  else
    cat <<EOF
  upstream dossier {
    server 127.0.0.1:${PORTS[0]} max_fails=3 fail_timeout=5s;
    server 127.0.0.1:${PORTS[1]} max_fails=3 fail_timeout=5s;
    server 127.0.0.1:${PORTS[2]} max_fails=3 fail_timeout=5s;
    least_conn;
    keepalive 64;
    keepalive_timeout 50s;
    keepalive_requests 10000;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host \$host;
    proxy_connect_timeout 1s;
    proxy_send_timeout 35s;
    proxy_read_timeout 35s;
    proxy_next_upstream error timeout http_502 http_503 http_504;
    proxy_next_upstream_tries 3;
    proxy_next_upstream_timeout 10s;
    proxy_buffering on;
    location / { proxy_pass http://dossier; }
  }
EOF
  fi
  echo "}"
} >"$WORK/nginx/nginx.conf"
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -t 2>"$WORK/nginx/test.log" \
  || { cat "$WORK/nginx/test.log" "$WORK/nginx/nginx.conf" >&2; exit 1; }
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf"
BASE="http://127.0.0.1:$NGINX_PORT"
curl -fsS -o /dev/null "$BASE/" || { echo "nginx does not answer" >&2; exit 1; }

echo "== the pages"
# A mix: the dossier pages, document and body pages (HTML), searches (HTML and the JSON
# API) and the API's records, from what the archive holds.
api_slugs() { # path -> the slugs of its first page
  curl -fsS "$BASE$1" | grep -o '"slug": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/' | sort -u
}
{
  for d in $(api_slugs "/api/v1/dossiers"); do echo "/dossiers/$d"; echo "/api/v1/dossiers/$d"; done
  for s in $(api_slugs "/api/v1/documents?limit=100"); do echo "/documents/$s"; echo "/api/v1/documents/$s"; done
  for s in $(api_slugs "/api/v1/bodies?limit=100"); do echo "/bodies/$s"; done
  for s in $(api_slugs "/api/v1/people?limit=50"); do echo "/people/$s"; done
  for q in nato russia "founding act" treaty enlargement summit "type:event" visit partnership council; do
    q=${q// /+}
    echo "/search?q=$q"
    echo "/api/v1/search?q=$q"
  done
  echo "/"
  echo "/dossiers"
  echo "/collections"
} >"$WORK/paths.txt"
# Keep only pages that answer 2xx now, so that an error later is the failure's.
: >"$WORK/paths.ok"
while read -r p; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE$p")
  case $code in 2*|3*) echo "$p" >>"$WORK/paths.ok" ;; esac
done <"$WORK/paths.txt"
echo "$(wc -l <"$WORK/paths.ok") paths ($(grep -c '^/documents/' "$WORK/paths.ok" || true) documents, $(grep -c '^/bodies/' "$WORK/paths.ok" || true) bodies, $(grep -c 'search' "$WORK/paths.ok" || true) searches, $(grep -c '^/api/' "$WORK/paths.ok" || true) API)"
cat >"$WORK/mix.lua" <<EOF
local paths = {}
for line in io.lines("$WORK/paths.ok") do paths[#paths + 1] = line end
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end
function init(args)
  math.randomseed(os.time() + seed * 7919)
end
function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
EOF

# What another process writes while a server is down: 2,000 visits of the visits mapping.
python3 - >"$WORK/more.csv" <<'EOF'
print("id,start-date,end-date,visitor,from-id,from,description")
for n in range(2000):
    print(f"9{n:06d},1999-03-{n % 28 + 1:02d},1999-03-{n % 28 + 1:02d},Minister Failover Number{n % 100:03d},"
          f"norway,Norway,Failover visit {n}: written while a server was down.")
EOF

echo "== load: wrk -c$CONNECTIONS -d${DURATION}s, kill -9 at ${KILL_AT}s, PostgreSQL restart at ${PG_RESTART_AT}s"
uptime
: >"$WORK/nginx/access.log"
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -s reopen
T0=$(now)
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout "$WRK_TIMEOUT" --latency \
  -s "$WORK/mix.lua" "$BASE" >"$WORK/wrk.txt" 2>&1 &
WRK=$!

# The failures, on their schedule; each time is written down for the windows below.
sleep "$KILL_AT"
KILLED=1
T_KILL=$(now)
kill -9 "${SERVER_PID[$KILLED]}"
wait "${SERVER_PID[$KILLED]}" 2>/dev/null || true
"$DOSSIER" --data-dir "$WORK/loader" import csv "$WORK/more.csv" --mapping mappings/visits-csv.toml \
  >"$WORK/more.out" 2>&1 || { cat "$WORK/more.out" >&2; exit 1; }
T_IMPORTED=$(now)
start_server "$KILLED"
T_REJOINED=$(now)
ELAPSED=$(awk -v a="$T0" -v b="$(now)" 'BEGIN { printf "%d", b - a }')
sleep $((PG_RESTART_AT > ELAPSED ? PG_RESTART_AT - ELAPSED : 0))
T_PG=$(now)
pg_ctl restart -m fast -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $WORK/pg -c max_connections=200" >/dev/null
T_PG_UP=$(now)
# The restart has finished when every server answers /healthz 200 again (its store
# answers and its index has applied the newest change).
healthy() {
  for i in 0 1 2; do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:${PORTS[$i]}/healthz")" = 200 ] || return 1
  done
}
for _ in $(seq 1 1200); do healthy && break; sleep 0.05; done
T_PG_DONE=$(now)
wait "$WRK" || true
T_END=$(now)
sleep 1.5 # nginx's log buffer is flushed every second
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -s reopen
sleep 0.5
# Every server followed the store: /healthz 200, its index at the store's newest change.
STORE_SEQ=$("$PG_BIN/psql" -qAt "$URL" -c "SELECT MAX(seq) FROM changes")
CAUGHT_UP=0
for i in 0 1 2; do
  health=$(curl -s --max-time 5 "http://127.0.0.1:${PORTS[$i]}/healthz")
  echo "server $i /healthz: $health"
  case $health in *'"status":"ok"'*"\"index_seq\":$STORE_SEQ"*) CAUGHT_UP=$((CAUGHT_UP + 1)) ;; esac
done
SEARCHED=$(for i in 0 1 2; do curl -s "http://127.0.0.1:${PORTS[$i]}/api/v1/search?q=Failover+type:event&limit=1" \
  | grep -o '"total": *[0-9]*' | grep -o '[0-9]*$'; done | tr '\n' ' ')

echo
echo "== wrk"
cat "$WORK/wrk.txt"
echo
rel() { awk -v a="$T0" -v b="$1" 'BEGIN { printf "%.2f", b - a }'; }
echo "== timeline (seconds from the start of the load)"
echo "kill -9 server $KILLED          $(rel "$T_KILL")"
echo "2,000 visits imported    $(rel "$T_IMPORTED")"
echo "server $KILLED serving again    $(rel "$T_REJOINED")"
echo "pg_ctl restart -m fast   $(rel "$T_PG")"
echo "PostgreSQL accepting     $(rel "$T_PG_UP")"
echo "all servers healthy      $(rel "$T_PG_DONE")"
echo "load ended               $(rel "$T_END")"
echo
echo "== responses by window (nginx access log: what clients got; retries = requests nginx sent to more than one server)"
STOP=$(awk -v a="$T0" -v d="$DURATION" 'BEGIN { printf "%.3f", a + d - 0.5 }')
# A request still open when wrk stopped (at the end of its duration) is logged 499 (the
# client went away): cut by the end of the load, not failed.
awk -v t0="$T0" -v k="$T_KILL" -v kr="$T_REJOINED" -v p="$T_PG" -v pd="$T_PG_DONE" \
  -v stop="$STOP" '
  function window(t) {
    if (t < k) return "1 before the kill"
    if (t <= kr) return "2 kill -9 -> server serving again"
    if (t < p) return "3 after the server rejoined"
    if (t <= pd) return "4 PostgreSQL restart -> all healthy"
    return "5 after the restart finished"
  }
  {
    # $msec is when the request ended; its start is $msec - $request_time.
    t = $1 - $NF
    w = window(t)
    if ($2 == 499 && $1 >= stop) { cut++; next }
    n[w]++
    if ($2 !~ /^[23]/) bad[w]++
    if ($3 ~ /,/) retried[w]++
    total++
    if ($2 !~ /^[23]/) badall++
  }
  END {
    printf "%-38s %10s %10s %10s\n", "window (by request start)", "requests", "retried", "failed"
    for (w in n) lines[w] = sprintf("%-38s %10d %10d %10d", substr(w, 3), n[w], retried[w], bad[w])
    order = "1 before the kill|2 kill -9 -> server serving again|3 after the server rejoined|4 PostgreSQL restart -> all healthy|5 after the restart finished"
    split(order, o, "|")
    for (i = 1; i <= 5; i++) if (o[i] in lines) print lines[o[i]]
    printf "%-38s %10d %10s %10d\n", "all", total, "", badall
    printf "(%d requests still open when wrk stopped, logged 499, are not counted)\n", cut
  }' "$WORK/nginx/access.log" | tee "$WORK/windows.txt"
echo
echo "failed responses by status: $(awk -v stop="$STOP" '$2 !~ /^[23]/ && !($2 == 499 && $1 >= stop) {print $2}' "$WORK/nginx/access.log" | sort | uniq -c | tr '\n' ' ')"
echo "upstream statuses of retried requests: $(awk '$3 ~ /,/ {print $3}' "$WORK/nginx/access.log" | sort | uniq -c | sort -rn | head -5 | tr '\n' ' ')"

echo
echo "== summary"
requests=$(awk '/requests in/ {print $1}' "$WORK/wrk.txt")
rps=$(awk '/^Requests\/sec/ {print $2}' "$WORK/wrk.txt")
p50=$(awk '$1 == "50%" {print $2}' "$WORK/wrk.txt")
p99=$(awk '$1 == "99%" {print $2}' "$WORK/wrk.txt")
non2xx=$(awk '/Non-2xx or 3xx/ {print $NF}' "$WORK/wrk.txt")
sock=$(grep 'Socket errors' "$WORK/wrk.txt" | sed 's/^ *//' || true)
after=$(awk '/^after the restart finished/ {print $NF}' "$WORK/windows.txt")
printf '%-40s %s\n' "requests" "$requests" "requests/s" "$rps" "latency p50" "$p50" "latency p99" "$p99" \
  "wrk non-2xx/3xx" "${non2xx:-0}" "wrk socket errors" "${sock:-none}" \
  "failed after the restarts finished" "${after:-0}" \
  "servers at the store's last change" "$CAUGHT_UP of 3 (seq $STORE_SEQ)" \
  "visits written while down, found by each" "$SEARCHED(of 2000)" "load (uptime)" "$(uptime | sed 's/.*load average: //')"
[ "${non2xx:-0}" = 0 ] && [ -z "$sock" ] && [ "${after:-0}" = 0 ] && [ "$CAUGHT_UP" = 3 ] && echo "RESULT: 0 errors" || { echo "RESULT: errors (see above)"; exit 2; }
