#!/usr/bin/env bash
# Death-to-watcher latency: how long after a container is killed a client of
# GET /api/v1/events?watch=true reads the "Died" event, against the engine's
# own events stream (GET /events on the Docker socket) reading "die" for the
# same kill, in the same run. ROUNDS kills of one running service; medians
# and the ratio tender/engine.
#
#   bench/watch_latency.sh [ROUNDS]            (default 10)
#   TENDER=/path/to/tender bench/watch_latency.sh
#
# Needs: scripts/setup done (engine and its docker CLI, build/tender,
# tender-busybox image), and python3 (to timestamp stream lines as they arrive).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
ROUNDS="${1:-10}"
SOCK=/var/run/docker.sock
TENDER="${TENDER:-build/tender}"
IMAGE=tender-busybox:latest
OUT=bench/results
RESULT="$OUT/watch-latency.md"
mkdir -p "$OUT"
WORK="$(mktemp -d)"
INSTANCE="bench-watch-$$"
NS="bench-watch-$$"
PORT=$((20000 + RANDOM % 20000))
SERVER="http://127.0.0.1:$PORT"

api() { curl -sS --unix-socket "$SOCK" "$@"; }
cleanup() {
  [ -n "${W1:-}" ] && kill -- "-$W1" 2>/dev/null || true
  [ -n "${W2:-}" ] && kill -- "-$W2" 2>/dev/null || true
  stop_pid "${TPID:-}"
  remove_instance_objects
  rm -rf "$WORK"
}
trap cleanup EXIT

write_stamper

start_tender
cat >"$WORK/svc.yaml" <<YAML
apiVersion: tender/v1
kind: Service
metadata: {name: victim, namespace: $NS}
spec:
  image: $IMAGE
  command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
  backoff: {initial: 100ms, max: 100ms}
YAML
curl -H @"$WORK/auth.header" -sf -X POST --data-binary @"$WORK/svc.yaml" "$SERVER/api/v1/apply" >/dev/null
running() { curl -H @"$WORK/auth.header" -sf "$SERVER/api/v1/namespaces/$NS/services/victim" | grep -q '"phase":"Running"'; }
for _ in $(seq 1 100); do running && break; sleep 0.2; done
running || { echo "the service did not come up" >&2; cat "$WORK/serve.log" >&2; exit 1; }

# Each watcher (a curl feeding the stamper) runs in a process group of its
# own, so the cleanup ends both of its processes at once.
export SERVER NS INSTANCE SOCK WORK
setsid bash -c 'curl -H @"$WORK/auth.header" -sN "$SERVER/api/v1/events?watch=true&namespace=$NS" |
  python3 -u "$WORK/stamp.py" >"$WORK/tender.txt"' &
W1=$!
setsid bash -c 'curl -sS -N --unix-socket "$SOCK" -G "http://docker/events" \
  --data-urlencode "filters={\"label\":[\"tender.instance=$INSTANCE\"],\"event\":[\"die\"]}" |
  python3 -u "$WORK/stamp.py" >"$WORK/engine.txt"' &
W2=$!
sleep 1

: >"$WORK/rounds.txt"
for r in $(seq 1 "$ROUNDS"); do
  for _ in $(seq 1 100); do running && break; sleep 0.1; done
  sleep 0.5
  id=$(api -G "http://docker/containers/json" --data-urlencode "filters={\"label\":[\"tender.instance=$INSTANCE\"]}" |
    grep -o '"Id":"[0-9a-f]*"' | head -1 | cut -d'"' -f4)
  tdied=$(grep -c '"reason":"Died"' "$WORK/tender.txt" || true)
  edied=$(wc -l <"$WORK/engine.txt")
  t0=$(date +%s.%N)
  api -X POST "http://docker/containers/$id/kill?signal=KILL" >/dev/null
  for _ in $(seq 1 200); do
    [ "$(grep -c '"reason":"Died"' "$WORK/tender.txt" || true)" -gt "$tdied" ] && break
    sleep 0.05
  done
  te=$(grep '"reason":"Died"' "$WORK/tender.txt" | sed -n "$((tdied + 1))p" | cut -d' ' -f1)
  ee=$(sed -n "$((edied + 1))p" "$WORK/engine.txt" | cut -d' ' -f1)
  [ -n "$te" ] && [ -n "$ee" ] || { echo "round $r: an event did not arrive" >&2; exit 1; }
  tms=$(echo "($te - $t0) * 1000" | bc -l)
  ems=$(echo "($ee - $t0) * 1000" | bc -l)
  printf '%d %.1f %.1f\n' "$r" "$tms" "$ems" >>"$WORK/rounds.txt"
  printf 'round %d: engine die after %.1f ms, tender Died after %.1f ms\n' "$r" "$ems" "$tms" >&2
done

tmed=$(awk '{print $2}' "$WORK/rounds.txt" | median)
emed=$(awk '{print $3}' "$WORK/rounds.txt" | median)
tmax=$(awk '{print $2}' "$WORK/rounds.txt" | sort -g | tail -1)
ratio=$(echo "$tmed / $emed" | bc -l)
{
  echo "# Death-to-watcher latency"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(api http://docker/version | grep -o '"Version":"[^"]*"' | head -1)."
  echo "Command: \`bench/watch_latency.sh $ROUNDS\`"
  echo
  echo "From \`POST /containers/{id}/kill?signal=KILL\` until the line arrives: the engine's own"
  echo "\`die\` on its events stream, and tender's \`Died\` event on a \`GET /api/v1/events?watch=true\`"
  echo "client (the informer hears \`die\`, a reconcile pass inspects the container and records the"
  echo "event, the watch hub wakes and writes it)."
  echo
  echo "| round | tender Died (ms) | engine die (ms) |"
  echo "|---|---|---|"
  awk '{printf "| %s | %s | %s |\n", $1, $2, $3}' "$WORK/rounds.txt"
  printf '| **median** | **%.1f** | **%.1f** |\n' "$tmed" "$emed"
  echo
  printf 'tender / engine (medians): %.1fx; tender worst round: %s ms.\n' "$ratio" "$tmax"
} >"$RESULT"
cat "$RESULT"
