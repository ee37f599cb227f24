#!/usr/bin/env bash
# One periodic resync pass over N running services (1 container each) when
# nothing has changed: its wall time and the Engine API calls it made, by
# operation, from tender's own /metrics (tender_engine_calls_total), against
# one list of the same containers straight from the Engine API (what the
# pass must at least do). Target: one list call, no per-container inspect.
#
#   bench/resync.sh [N] [PERIOD]      (default 200 services, resync every 20 s)
#   TENDER=/path/to/tender bench/resync.sh
#
# The pass is found by polling /metrics every 50 ms: it starts when a
# reconcile or an engine call other than the health ping is counted, and
# ends when the count of reconciles has stopped moving with the work queue
# empty. The memory sampler is pushed out of the window (--memory-sample
# 3600); the health pings (/_ping every 2 s) are counted apart.
#
# Needs: scripts/setup done. Figures go to bench/results/resync.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N="${1:-200}"
PERIOD="${2:-20}"
TENDER="${TENDER:-build/tender}"
IMAGE=tender-busybox:latest
CMD='trap "exit 0" TERM; while true; do sleep 1; done'
OUT=bench/results
RESULT="$OUT/resync.md"
mkdir -p "$OUT"
WORK="$(mktemp -d)"
INSTANCE="bench-resync-$$"
NS="bench-resync-$$"
PORT=$((20000 + RANDOM % 20000))
SERVER="http://127.0.0.1:$PORT"
SOCK=/var/run/docker.sock

cleanup() {
  [ -n "${TPID:-}" ] && curl -H @"$WORK/auth.header" -sS -X DELETE "$SERVER/api/v1/namespaces/$NS" >/dev/null 2>&1 || true
  for _ in $(seq 1 300); do
    [ -z "$(docker ps -aq --filter "label=tender.instance=$INSTANCE")" ] && break
    sleep 0.3
  done
  stop_pid "${TPID:-}"
  remove_instance_objects
  rm -rf "$WORK"
}
trap cleanup EXIT

start_tender --resync "$PERIOD" --memory-sample 3600 ${TENDER_ARGS:-}

apply_services "$N"
deadline=$((SECONDS + 600))
while [ "$(docker ps -q --filter "label=tender.instance=$INSTANCE" --filter status=running | wc -l)" -lt "$N" ]; do
  [ "$SECONDS" -lt "$deadline" ] || { echo "not all $N services running after 600 s" >&2; exit 1; }
  sleep 1
done
echo "$N services running; letting one resync pass go by before measuring the next" >&2
sleep $((PERIOD + 5))

# "operation count" lines, plus "reconciles N" and "queue N".
snapshot() {
  curl -H @"$WORK/auth.header" -sSf "$SERVER/metrics" | awk '
    /^tender_engine_calls_total\{/ { match($0, /operation="[^"]*"/); op = substr($0, RSTART + 11, RLENGTH - 12); print op, $NF }
    /^tender_reconciles_total / { print "reconciles", $NF }
    /^tender_workqueue_depth / { print "queue", $NF }'
}
# Everything but pings and the queue depth, summed: moves when work happens.
activity() { awk '$1 != "ping" && $1 != "queue" { n += $2 } END { print n + 0 }' "$1"; }
value() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }

snapshot >"$WORK/prev"
prev_t=$(date +%s.%N)
deadline=$((SECONDS + 3 * PERIOD))
while :; do
  sleep 0.05
  snapshot >"$WORK/now"
  now_t=$(date +%s.%N)
  [ "$(activity "$WORK/now")" != "$(activity "$WORK/prev")" ] && break
  [ "$SECONDS" -lt "$deadline" ] || { echo "no resync pass seen within $((3 * PERIOD)) s" >&2; exit 1; }
  mv "$WORK/now" "$WORK/prev"
  prev_t=$now_t
done
cp "$WORK/prev" "$WORK/before"
start_t=$prev_t
last=$(activity "$WORK/now"); last_t=$now_t; stable=0
while [ "$stable" -lt 20 ]; do  # one second without work
  sleep 0.05
  snapshot >"$WORK/now"
  a=$(activity "$WORK/now")
  if [ "$a" != "$last" ] || [ "$(value "$WORK/now" queue)" != 0 ]; then
    last=$a; last_t=$(date +%s.%N); stable=0; cp "$WORK/now" "$WORK/after"
  else
    stable=$((stable + 1))
  fi
done
[ -f "$WORK/after" ] || cp "$WORK/now" "$WORK/after"
wall_ms=$(echo "1000 * ($last_t - $start_t)" | bc -l)

# Calls made by the pass, by operation.
join -a2 -e 0 -o 0,1.2,2.2 <(sort "$WORK/before") <(sort "$WORK/after") |
  awk '$1 != "queue" && $1 != "reconciles" && $3 - $2 > 0 { print $1, $3 - $2 }' >"$WORK/calls"
RECONCILES=$(( $(value "$WORK/after" reconciles) - $(value "$WORK/before" reconciles) ))
TOTAL=$(awk '$1 != "ping" { n += $2 } END { print n + 0 }' "$WORK/calls")
LISTS=$(awk '$1 ~ /list_containers|containers_list|listContainers/ { n += $2 } END { print n + 0 }' "$WORK/calls")
INSPECTS=$(awk '$1 ~ /inspect/ { n += $2 } END { print n + 0 }' "$WORK/calls")
# Per-container inspects are what the target forbids; an image's or a
# network's (shared by every service) are not per container.
CINSPECTS=$(awk '$1 == "inspect_container" { n += $2 } END { print n + 0 }' "$WORK/calls")

# The baseline: one list of the same containers from the Engine API, 5 times.
: >"$WORK/list.ms"
for _ in 1 2 3 4 5; do
  a=$(date +%s%N)
  curl -sS --unix-socket "$SOCK" -G "http://docker/containers/json" --data-urlencode "all=1" \
    --data-urlencode "filters={\"label\":[\"tender.instance=$INSTANCE\"]}" -o /dev/null
  b=$(date +%s%N)
  echo "($b - $a) / 1000000" | bc -l >>"$WORK/list.ms"
done
LIST_MS=$(median <"$WORK/list.ms")
target_ok=$([ "$LISTS" -le 1 ] && [ "$CINSPECTS" -eq 0 ] && echo 1 || echo 0)
verdict() { [ "$1" -eq 1 ] && echo "met" || echo "MISSED"; }

{
  echo "# Resync pass, $N running services, nothing changed"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, Docker $(docker version --format '{{.Server.Version}}'), $("$TENDER" --version | head -1)."
  echo "Command: \`bench/resync.sh $N $PERIOD\`."
  echo
  printf 'Wall time of the pass: %.0f ms (%d reconciles). One Engine API list of the same %d containers: %.1f ms (median of 5).\n' \
    "$wall_ms" "$RECONCILES" "$N" "$LIST_MS"
  echo
  echo "| Engine API operation | calls in the pass |"
  echo "|---|---|"
  while read -r op n; do echo "| $op | $n |"; done <"$WORK/calls"
  echo
  echo "Engine calls other than pings: $TOTAL; container lists: $LISTS; container inspects: $CINSPECTS; inspects of anything: $INSPECTS."
  echo "Target (one list call, no per-container inspect): $(verdict "$target_ok")."
} | tee "$RESULT"

summary_row "resync pass, $N services, nothing changed" "wall time, ms" "$(printf %.0f "$wall_ms")" \
  "one Engine API list" "$(printf %.1f "$LIST_MS")" "$(ratio2 "$wall_ms" "$LIST_MS")" "-"
summary_row "resync pass, $N services, nothing changed" "engine calls (container lists / container inspects / all but pings)" \
  "$LISTS / $CINSPECTS / $TOTAL" "target" "1 / 0 / -" "-" "$(verdict "$target_ok")"
