#!/usr/bin/env bash
# Crash-to-restart latency: from a container's `die` event to its `start`
# event (engine timestamps), for tender with `backoff: {initial: 0s}` over N
# crashes of one service, against the first restart of each of N fresh
# containers under Docker's own `--restart on-failure` (its first restart
# waits 100 ms; later ones back off towards a minute), in the same run.
#
#   bench/restart_latency.sh [N]        (default 20)
#   TENDER=/path/to/tender bench/restart_latency.sh
#
# Needs: scripts/setup done (engine and its docker CLI, build/tender, the
# tender-busybox image).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N="${1:-20}"
TENDER="${TENDER:-build/tender}"
IMAGE=tender-busybox:latest
OUT=bench/results
RESULT="$OUT/restart-latency.md"
mkdir -p "$OUT"
WORK="$(mktemp -d)"
INSTANCE="bench-restart-$$"
NS="bench-restart-$$"
LABEL="bench.restart=$$"
PORT=$((20000 + RANDOM % 20000))
SERVER="http://127.0.0.1:$PORT"

cleanup() {
  stop_pid "${EPID:-}"
  stop_pid "${TPID:-}"
  remove_instance_objects
  docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f >/dev/null
  docker network ls -q --filter "label=$LABEL" | xargs -r docker network rm >/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# die -> next start of the same container, in ms, from "timeNano action id" lines.
delays() {
  awk '$2 == "die" {d[$3] = $1} $2 == "start" && ($3 in d) {printf "%.1f\n", ($1 - d[$3]) / 1e6; delete d[$3]}' "$1"
}

docker events --format '{{.TimeNano}} {{.Action}} {{.Actor.ID}}' \
  --filter type=container --filter event=die --filter event=start >"$WORK/events.txt" &
EPID=$!
sleep 0.5

# --- tender -----------------------------------------------------------------
start_tender
cat >"$WORK/svc.yaml" <<YAML
apiVersion: tender/v1
kind: Service
metadata: {name: crasher, namespace: $NS}
spec:
  image: $IMAGE
  command: ["sh", "-c", "sleep 1; exit 1"]
  backoff: {initial: 0s}
YAML
curl -H @"$WORK/auth.header" -sf -X POST --data-binary @"$WORK/svc.yaml" "$SERVER/api/v1/apply" >/dev/null
for _ in $(seq 1 600); do
  id=$(docker ps -aq --no-trunc --filter "label=tender.instance=$INSTANCE" | head -1)
  if [ -n "$id" ] && [ "$(grep -c " start $id" "$WORK/events.txt" || true)" -gt "$N" ]; then break; fi
  sleep 0.2
done
curl -H @"$WORK/auth.header" -sf -X DELETE "$SERVER/api/v1/namespaces/$NS" >/dev/null
grep " $id\$" "$WORK/events.txt" >"$WORK/tender-events.txt"
delays "$WORK/tender-events.txt" | head -"$N" >"$WORK/tender.ms"

# --- Docker's own restart policy ---------------------------------------------
# On a user-defined bridge, as tender's containers are (their namespace's
# network): starting a container there costs the engine more than on the
# default bridge, and the comparison is of restart policies, not networks.
docker network create --label "$LABEL" "bench-restart-$$" >/dev/null
: >"$WORK/docker.ms"
for i in $(seq 1 "$N"); do
  cid=$(docker run -d --label "$LABEL" --network "bench-restart-$$" --restart on-failure "$IMAGE" sh -c "sleep 1; exit 1")
  for _ in $(seq 1 100); do
    [ "$(grep -c " start $cid" "$WORK/events.txt" || true)" -ge 2 ] && break
    sleep 0.1
  done
  grep " $cid\$" "$WORK/events.txt" | delays /dev/stdin | head -1 >>"$WORK/docker.ms"
  docker rm -f "$cid" >/dev/null
done

tn=$(wc -l <"$WORK/tender.ms")
dn=$(wc -l <"$WORK/docker.ms")
tmed=$(median <"$WORK/tender.ms"); tp95=$(p95 <"$WORK/tender.ms")
dmed=$(median <"$WORK/docker.ms"); dp95=$(p95 <"$WORK/docker.ms")
{
  echo "# Crash-to-restart latency"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, Docker $(docker version --format '{{.Server.Version}}')."
  echo "Command: \`bench/restart_latency.sh $N\`"
  echo
  echo "From the engine's \`die\` event to the same container's next \`start\` event (both the engine's"
  echo "own timestamps): tender restarting one service ($tn crashes, \`sleep 1; exit 1\`, backoff"
  echo "\`initial: 0s\`), and Docker's \`--restart on-failure\` restarting each of $dn fresh containers"
  echo "once (its first restart, after its fixed 100 ms; later ones back off towards a minute). Both on"
  echo "a user-defined bridge network (tender's namespace network; one created for Docker's)."
  echo
  echo "| | median (ms) | p95 (ms) |"
  echo "|---|---|---|"
  echo "| tender, initial 0s | $tmed | $tp95 |"
  echo "| Docker on-failure, first restart | $dmed | $dp95 |"
  echo
  printf 'tender / Docker (medians): %.2f\n' "$(echo "$tmed / $dmed" | bc -l)"
  echo
  echo "tender, each restart (ms): $(tr '\n' ' ' <"$WORK/tender.ms")"
  echo
  echo "Docker, each first restart (ms): $(tr '\n' ' ' <"$WORK/docker.ms")"
} >"$RESULT"
cat "$RESULT"

summary_row "crash -> restart (die to start), $tn crashes" "median, ms" "$tmed" "Docker --restart on-failure" \
  "$dmed" "$(ratio2 "$tmed" "$dmed")" "-"
summary_row "crash -> restart (die to start), $tn crashes" "p95, ms" "$tp95" "Docker --restart on-failure" \
  "$dp95" "$(ratio2 "$tp95" "$dp95")" "-"
