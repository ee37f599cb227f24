#!/usr/bin/env bash
# API read throughput: `wrk --latency -t2 -c32 -d10s` on
# GET /api/v1/namespaces/{ns}/services with N services applied (real
# services, 1 replica each, all Running before measuring), against nginx
# serving the same response body from a file, on loopback, in the same run.
# ROUNDS rounds, targets alternating; medians of requests/s and p99 latency,
# and ratios tender/nginx (the machine is shared and noisy: read the ratios).
#
#   bench/api_read.sh [ROUNDS]                 (default 3 rounds)
#   TENDER=/path/to/tender bench/api_read.sh   (default build/tender)
#   N=50 THREADS=2 CONNS=32 DURATION=10s       (the defaults)
#   TENDER_ARGS="--workers 8"                  (extra serve flags)
#   ROUTE=one                                  GET /api/v1/namespaces/{ns}/services/svc-1
#                                              (one service's spec and status) instead
#                                              of the list; figures to api-read-one.md
#
# nginx runs twice, from its own temporary config: with worker_processes 1
# and with worker_processes auto (one per core). tender's API is one network
# thread plus a pool of handler threads, free to use every core, so the
# `auto` nginx is the fair baseline and the headline ratio; the 1-worker
# figure shows what a single nginx process does on the same cores.
#
# Needs: scripts/setup done (engine, build/tender, tender-busybox image);
# installs wrk, nginx and jq from apt if they are missing. The figures go to
# bench/results/api-read.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
ROUNDS="${1:-3}"
N="${N:-50}"
THREADS="${THREADS:-2}"
CONNS="${CONNS:-32}"
DURATION="${DURATION:-10s}"
SOCK=/var/run/docker.sock
TENDER="${TENDER:-build/tender}"
IMAGE=tender-busybox:latest
CMD='trap "exit 0" TERM; while true; do sleep 1; done'
OUT=bench/results
ROUTE="${ROUTE:-list}"
case "$ROUTE" in
  list) RESULT="$OUT/api-read.md" ;;
  one) RESULT="$OUT/api-read-one.md" ;;
  *) echo "ROUTE must be list or one" >&2; exit 2 ;;
esac
COMMAND_LINE="ROUTE=$ROUTE TENDER=$TENDER bench/api_read.sh $ROUNDS"
mkdir -p "$OUT"

# --- tools --------------------------------------------------------------------
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v jq >/dev/null || need+=(jq)
if [ "${#need[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  pkgs=()
  for p in "${need[@]}"; do
    if [ "$p" = nginx ]; then
      # The plain nginx package when the archive has it: on Debian 12
      # nginx-light is only nginx plus the echo module. (Where services
      # start on install, the package also starts a system nginx on port
      # 80; this script never uses it.)
      if apt-cache policy nginx 2>/dev/null | grep -q 'Candidate: [0-9]'; then
        pkgs+=(nginx)
      else
        pkgs+=(nginx-light)
      fi
    else
      pkgs+=("$p")
    fi
  done
  echo "installing ${pkgs[*]}" >&2
  $SUDO apt-get install -y "${pkgs[@]}" >&2
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

WORK="$(mktemp -d)"
# nginx's workers run as nobody when the master is root: they must be able
# to read the body under $WORK.
chmod 755 "$WORK"
INSTANCE="bench-read-$$"
NS="bench-read-$$"
PORT=$((20000 + RANDOM % 20000))
NPORT1=$((PORT + 1))
NPORT2=$((PORT + 2))
SERVER="http://127.0.0.1:$PORT"
URLPATH="/api/v1/namespaces/$NS/services"
[ "$ROUTE" = one ] && URLPATH="/api/v1/namespaces/$NS/services/svc-1"

api() { curl -sS --unix-socket "$SOCK" "$@"; }
remove_by_label() {
  for id in $(api -G "http://docker/containers/json" --data-urlencode "all=1" \
      --data-urlencode "filters={\"label\":[\"$1\"]}" | grep -o '"Id":"[0-9a-f]*"' | cut -d'"' -f4); do
    api -X DELETE "http://docker/containers/$id?force=1" >/dev/null
  done
}
remove_networks_by_label() {
  for id in $(api -G "http://docker/networks" \
      --data-urlencode "filters={\"label\":[\"$1\"]}" | grep -o '"Id":"[0-9a-f]*"' | cut -d'"' -f4); do
    api -X DELETE "http://docker/networks/$id" >/dev/null || true
  done
}
cleanup() {
  stop_pid "${NPID1:-}"
  stop_pid "${NPID2:-}"
  stop_pid "${TPID:-}"
  remove_by_label "tender.instance=$INSTANCE"
  remove_networks_by_label "tender.instance=$INSTANCE"
  rm -rf "$WORK"
}
trap cleanup EXIT

# wrk prints durations as 812.00us, 1.23ms, 1.02s or 1.50m.
to_ms() {
  awk -v d="$1" 'BEGIN {
    if (d ~ /us$/) { sub(/us$/, "", d); print d / 1000 }
    else if (d ~ /ms$/) { sub(/ms$/, "", d); print d + 0 }
    else if (d ~ /m$/) { sub(/m$/, "", d); print d * 60000 }
    else if (d ~ /s$/) { sub(/s$/, "", d); print d * 1000 }
    else { print "nan" } }'
}
# CPU seconds (user + system) used so far by the given processes.
TCK="$(getconf CLK_TCK)"
cpu_seconds() {
  local total=0 pid t
  for pid in "$@"; do
    t=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)
    total=$((total + t))
  done
  echo "$total / $TCK" | bc -l
}
# The PIDs that serve requests: tender itself, nginx's workers.
server_pids() {
  case "$1" in
    tender) echo "$TPID" ;;
    nginx-1) pgrep -P "$NPID1" ;;
    nginx-auto) pgrep -P "$NPID2" ;;
  esac
}

# --- tender with N running services -------------------------------------------
# shellcheck disable=SC2086  # TENDER_ARGS: several flags, split on purpose
start_tender ${TENDER_ARGS:-}

apply_services "$N" svc-
running() {
  curl -H @"$WORK/auth.header" -sSf "$SERVER/api/v1/namespaces/$NS/services" | jq '[.items[] | select(.status.phase == "Running")] | length' || echo 0
}
deadline=$((SECONDS + 300))
while [ "$(running)" -lt "$N" ]; do
  if [ "$SECONDS" -gt "$deadline" ]; then
    echo "only $(running) of $N services Running after 300s" >&2
    exit 1
  fi
  sleep 0.5
done
echo "$N services Running" >&2
# Let the status writes that follow the last start settle before the body
# is taken: the list must answer the same bytes during the whole run.
mkdir -p "$WORK/www$(dirname "$URLPATH")"
BODY="$WORK/www$URLPATH"
curl -H @"$WORK/auth.header" -sSf -o "$BODY" "$SERVER$URLPATH"
for _ in $(seq 1 30); do
  sleep 2
  curl -H @"$WORK/auth.header" -sSf -o "$WORK/again.body" "$SERVER$URLPATH"
  cmp -s "$WORK/again.body" "$BODY" && break
  mv "$WORK/again.body" "$BODY"
done

# --- nginx serving the same body ----------------------------------------------
curl -H @"$WORK/auth.header" -sSf -D "$WORK/tender.headers" -o /dev/null "$SERVER$URLPATH"
chmod -R a+rX "$WORK/www"
SIZE=$(stat -c %s "$BODY")

# Temp paths inside the prefix, for the modules this nginx has.
temp_paths() {
  local v m
  v="$("$NGINX" -V 2>&1)"
  echo "client_body_temp_path $1/client_body;"
  for m in proxy fastcgi uwsgi scgi; do
    case "$v" in *"--without-http_${m}_module"*) ;; *) echo "${m}_temp_path $1/$m;" ;; esac
  done
}
start_nginx() {  # workers port dir
  local dir="$3"
  mkdir -p "$dir"
  cat >"$dir/nginx.conf" <<CONF
daemon off;
worker_processes $1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/json;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65s;
  keepalive_requests 100000000;
  $(temp_paths "$dir")
  server {
    listen 127.0.0.1:$2;
    root $WORK/www;
    location / { }
  }
}
CONF
  "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/stdout.log" 2>&1 &
}
start_nginx 1 "$NPORT1" "$WORK/nginx-1"
NPID1=$!
start_nginx auto "$NPORT2" "$WORK/nginx-auto"
NPID2=$!
for p in "$NPORT1" "$NPORT2"; do
  for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$p$URLPATH" && break; sleep 0.1; done
done

# Sanity: each nginx serves exactly the bytes tender served.
for p in "$NPORT1" "$NPORT2"; do
  curl -sSf -o "$WORK/nginx.body" -D "$WORK/nginx.headers" "http://127.0.0.1:$p$URLPATH"
  cmp -s "$WORK/nginx.body" "$BODY" || { echo "nginx on port $p does not serve tender's body" >&2; exit 1; }
done
THDR=$(wc -c <"$WORK/tender.headers")
NHDR=$(wc -c <"$WORK/nginx.headers")
echo "response: $SIZE bytes of body; headers: tender $THDR bytes, nginx $NHDR bytes" >&2

# --- measure -------------------------------------------------------------------
url_of() {
  case "$1" in
    tender) echo "$SERVER$URLPATH" ;;
    nginx-1) echo "http://127.0.0.1:$NPORT1$URLPATH" ;;
    nginx-auto) echo "http://127.0.0.1:$NPORT2$URLPATH" ;;
  esac
}
TARGETS="tender nginx-auto nginx-1"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$WORK/rows"
for r in $(seq 1 "$ROUNDS"); do
  for t in $TARGETS; do
    # shellcheck disable=SC2046
    c0=$(cpu_seconds $(server_pids "$t"))
    w0=$(date +%s.%N)
    wrk --latency -t"$THREADS" -c"$CONNS" -d"$DURATION" -H "$(tr -d '\n' <"$WORK/auth.header")" "$(url_of "$t")" >"$WORK/wrk.out" 2>&1
    w1=$(date +%s.%N)
    # shellcheck disable=SC2046
    c1=$(cpu_seconds $(server_pids "$t"))
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk.out")
    p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$WORK/wrk.out")")
    p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$WORK/wrk.out")")
    errs=$(awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10} END {print n + 0}' "$WORK/wrk.out")
    if [ -z "$rps" ] || [ "$p99" = nan ]; then
      echo "cannot parse wrk's output for $t:" >&2
      cat "$WORK/wrk.out" >&2
      exit 1
    fi
    cpu=$(echo "100 * ($c1 - $c0) / ($w1 - $w0)" | bc -l)
    # Server CPU time per request, in microseconds: less sensitive to what
    # else runs on the machine than the rate.
    us=$(echo "1000000 * ($c1 - $c0) / ($rps * ($w1 - $w0))" | bc -l)
    echo "$r $t $rps $p99 $cpu $us $errs $p50" >>"$WORK/rows"
    printf 'round %s %-10s %10.0f req/s  p99 %8.2f ms  server CPU %4.0f%% (%.1f us/request)  errors %s\n' \
      "$r" "$t" "$rps" "$p99" "$cpu" "$us" "$errs" >&2
  done
done

# Did tender's answer change during the run (a status write)?
curl -H @"$WORK/auth.header" -sSf -o "$WORK/after.body" "$SERVER$URLPATH"
if cmp -s "$WORK/after.body" "$BODY"; then
  STABLE="tender's body was byte-identical before and after the run"
else
  STABLE="tender's body CHANGED during the run ($(stat -c %s "$WORK/after.body") bytes after): nginx served the earlier one"
fi

col() { awk -v t="$1" -v c="$2" '$2 == t {print $c}' "$WORK/rows" | median; }
RPS_T=$(col tender 3); P99_T=$(col tender 4); US_T=$(col tender 6)
RPS_NA=$(col nginx-auto 3); P99_NA=$(col nginx-auto 4); US_NA=$(col nginx-auto 6)
RPS_N1=$(col nginx-1 3); P99_N1=$(col nginx-1 4); US_N1=$(col nginx-1 6)
ratio() { echo "$1 / $2" | bc -l; }
ERRORS=$(awk '{n += $7} END {print n + 0}' "$WORK/rows")
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report -------------------------------------------------------------------
MEM=$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
{
  echo "## API read: GET ${URLPATH//$NS/\{ns\}} with $N Running services ($(date -u +%Y-%m-%d))"
  echo
  echo "Machine: $(nproc) cores, $MEM memory, $(uname -r); $("$TENDER" --version | head -1 | sed 's/^/tender /'), $("$NGINX" -v 2>&1 | sed 's/^nginx version: //'), $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}')."
  echo
  echo "Command: \`$COMMAND_LINE\` (wrk --latency -t$THREADS -c$CONNS -d$DURATION, $ROUNDS rounds, targets alternating in the order $TARGETS)."
  echo
  echo "Response: $SIZE bytes of JSON body (headers: tender $THDR bytes, nginx $NHDR bytes); every nginx served the same bytes as tender (cmp); $STABLE. wrk errors (non-2xx and socket errors) over all runs: $ERRORS."
  echo
  echo "Load average (1, 5, 15 min): $LOAD_BEFORE before the runs, $LOAD_AFTER after."
  echo
  echo "| round | target | requests/s | p99 latency (ms) | server CPU (% of one core) | server CPU per request (us) |"
  echo "|---|---|---|---|---|---|"
  while read -r r t rps p99 cpu us _; do
    printf '| %s | %s | %.0f | %.2f | %.0f | %.1f |\n' "$r" "$t" "$rps" "$p99" "$cpu" "$us"
  done <"$WORK/rows"
  for t in $TARGETS; do
    printf '| **median** | **%s** | **%.0f** | **%.2f** | **%.0f** | **%.1f** |\n' \
      "$t" "$(col "$t" 3)" "$(col "$t" 4)" "$(col "$t" 5)" "$(col "$t" 6)"
  done
  echo
  echo "| ratio of medians | requests/s | p99 latency | server CPU per request |"
  echo "|---|---|---|---|"
  printf '| tender / nginx-auto (headline; target: requests/s >= 0.5) | %.3f | %.1f | %.0f |\n' \
    "$(ratio "$RPS_T" "$RPS_NA")" "$(ratio "$P99_T" "$P99_NA")" \
    "$(ratio "$US_T" "$US_NA")"
  printf '| tender / nginx-1 | %.3f | %.1f | %.0f |\n' \
    "$(ratio "$RPS_T" "$RPS_N1")" "$(ratio "$P99_T" "$P99_N1")" \
    "$(ratio "$US_T" "$US_N1")"
  if [ "$(echo "$RPS_T >= 0.5 * $RPS_NA" | bc -l)" -eq 1 ]; then
    echo
    echo "Target met: tender serves at least half of nginx-auto's rate."
  else
    echo
    echo "Target NOT met: tender serves less than half of nginx-auto's rate."
  fi
  echo
  echo "What was measured: $N services (busybox sleep, 16Mi limit, 1 replica each) applied"
  echo "to a fresh \`tender serve\` (own state dir and instance) and left until all were"
  echo "Running, so each item carries a realistic status; then wrk read their list from"
  echo "tender (the rendered list, kept until the store is next written and answered on"
  echo "the event loop; no engine call) and the same bytes from a file through nginx (\`sendfile\`, access log"
  echo "off, \`default_type application/json\`, keep-alive unlimited like tender's), both"
  echo "on loopback over keep-alive connections. nginx-auto runs one worker per core"
  echo "($(nproc)), the fair baseline for tender, whose API has one network thread and a"
  echo "handler pool that can use every core; nginx-1 runs a single worker. Caveats: the"
  echo "machine is shared and noisy, so read the ratios rather than the absolute figures;"
  echo "wrk's own $THREADS threads run on the same $(nproc) cores as the server, so every"
  echo "figure is partly a measure of how the two share the CPU, and other jobs on the"
  echo "machine take their share too (see the load average). The server CPU columns are"
  echo "the server's user+system time from /proc over the run's wall time and per request"
  echo "served: CPU per request is the figure least moved by that noise. tender's"
  echo "controller and informer are idle but alive during the run; the body is a file"
  echo "nginx reads from the page cache, while tender builds it per request."
} | tee "$RESULT"

WHAT="API list of $N services"
[ "$ROUTE" = one ] && WHAT="API one service's status"
summary_row "$WHAT, wrk -c$CONNS" "requests/s" "$(printf %.0f "$RPS_T")" "nginx, same bytes" \
  "$(printf %.0f "$RPS_NA")" "$(ratio2 "$RPS_T" "$RPS_NA")" "-"
summary_row "$WHAT, wrk -c$CONNS" "p50 latency, ms" "$(col tender 8)" "nginx, same bytes" \
  "$(col nginx-auto 8)" "$(ratio2 "$(col tender 8)" "$(col nginx-auto 8)")" "-"
summary_row "$WHAT, wrk -c$CONNS" "p99 latency, ms" "$(printf %.2f "$P99_T")" "nginx, same bytes" \
  "$(printf %.2f "$P99_NA")" "$(ratio2 "$P99_T" "$P99_NA")" "-"
