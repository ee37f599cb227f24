#!/usr/bin/env bash
# Apply -> all running, for N services (busybox sleep, 16Mi limit each):
# tender vs docker-compose up -d vs the Engine API driven directly (4
# parallel create+start), all in the same run, ROUNDS rounds each, medians
# reported with ratios against the direct API.
#
#   bench/apply.sh [N] [ROUNDS]      (default 30 services, 3 rounds)
#   TENDER_ARGS="--start-concurrency 4" bench/apply.sh   (extra serve flags)
#
# Needs: scripts/setup done (engine, build/tender, tender-busybox image).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N="${1:-30}"
ROUNDS="${2:-3}"
SOCK=/var/run/docker.sock
TENDER=build/tender
IMAGE=tender-busybox:latest
CMD='trap "exit 0" TERM; while true; do sleep 1; done'
OUT=bench/results
mkdir -p "$OUT"
WORK="$(mktemp -d)"
INSTANCE="bench-$$"
PORT=$((20000 + RANDOM % 20000))
SERVER="http://127.0.0.1:$PORT"

api() { curl -sS --unix-socket "$SOCK" "$@"; }
now() { date +%s.%N; }
# Containers of a label filter in state running.
count_running() {
  api -G "http://docker/containers/json" --data-urlencode "filters={\"label\":[\"$1\"],\"status\":[\"running\"]}" |
    grep -o '"Id"' | wc -l
}
# Waits until N containers of a label filter run; gives up after 300 s (a
# start that failed must not hang the whole run).
wait_running() {
  local deadline=$((SECONDS + 300))
  while [ "$(count_running "$1")" -lt "$N" ]; do
    if [ "$SECONDS" -gt "$deadline" ]; then
      echo "only $(count_running "$1") of $N containers with $1 running after 300 s" >&2
      exit 1
    fi
    sleep 0.02
  done
}
remove_by_label() {
  for id in $(api -G "http://docker/containers/json" --data-urlencode "all=1" \
      --data-urlencode "filters={\"label\":[\"$1\"]}" | grep -o '"Id":"[0-9a-f]*"' | cut -d'"' -f4); do
    api -X DELETE "http://docker/containers/$id?force=1" >/dev/null
  done
}
cleanup() {
  [ -n "${TPID:-}" ] && kill "$TPID" 2>/dev/null && wait "$TPID" 2>/dev/null || true
  remove_by_label "tender.instance=$INSTANCE"
  remove_by_label "bench.direct=$$"
  for net in $(api "http://docker/networks" | grep -o "\"Name\":\"bench-$$[^\"]*\"" | cut -d'"' -f4); do
    api -X DELETE "http://docker/networks/$net" >/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT


# --- tender -----------------------------------------------------------------
start_tender ${TENDER_ARGS:-}

tender_round() {
  local ns="bench-$$-t$1" f="$WORK/t$1.yaml"
  : >"$f"
  for i in $(seq 1 "$N"); do
    cat >>"$f" <<YAML
apiVersion: tender/v1
kind: Service
metadata: {name: s$i, namespace: $ns}
spec:
  image: $IMAGE
  command: ["sh", "-c", '$CMD']
  resources: {limits: {memory: 16Mi}}
  stopGracePeriod: 1s
---
YAML
  done
  local t0 t1
  t0=$(now)
  "$TENDER" apply -f "$f" --server "$SERVER" >/dev/null
  wait_running "tender.namespace=$ns"
  t1=$(now)
  echo "$t1 - $t0" | bc
  curl -H @"$WORK/auth.header" -sS -X DELETE "$SERVER/api/v1/namespaces/$ns" >/dev/null
  while [ "$(count_running "tender.namespace=$ns")" -gt 0 ]; do sleep 0.2; done
  sleep 1
}

compose_round() {
  local p="bench-$$-c$1" f="$WORK/c$1.yml"
  echo "services:" >"$f"
  for i in $(seq 1 "$N"); do
    cat >>"$f" <<YAML
  s$i:
    image: $IMAGE
    command: ["sh", "-c", '$CMD']
    mem_limit: 16m
    stop_grace_period: 1s
YAML
  done
  local t0 t1
  t0=$(now)
  docker-compose -f "$f" -p "$p" up -d >/dev/null 2>&1
  wait_running "com.docker.compose.project=$p"
  t1=$(now)
  echo "$t1 - $t0" | bc
  docker-compose -f "$f" -p "$p" down -t 1 >/dev/null 2>&1
}

# The baseline: the same containers created and started straight through the
# Engine API, 4 at a time. With NET set they join that user-defined bridge
# network, as tender's (the namespace's default network) and Compose's do;
# without it they land on the engine's default bridge.
direct_round() {
  local tag="r$1" net="${2:-}"
  local hostconfig="{\\\"Memory\\\":16777216}"
  if [ -n "$net" ]; then hostconfig="{\\\"Memory\\\":16777216,\\\"NetworkMode\\\":\\\"$net\\\"}"; fi
  local t0 t1
  t0=$(now)
  seq 1 "$N" | xargs -P4 -I{} sh -c '
    id=$(curl -sS --unix-socket '"$SOCK"' -H "Content-Type: application/json" \
      -d "{\"Image\":\"'"$IMAGE"'\",\"Cmd\":[\"sh\",\"-c\",\"trap \\\"exit 0\\\" TERM; while true; do sleep 1; done\"],\"Labels\":{\"bench.direct\":\"'"$$"'\"},\"HostConfig\":'"$hostconfig"'}" \
      "http://docker/containers/create?name=bench-'"$$"'-'"$tag"'-{}" | cut -d\" -f4)
    curl -sS --unix-socket '"$SOCK"' -X POST "http://docker/containers/$id/start"'
  wait_running "bench.direct=$$"
  t1=$(now)
  echo "$t1 - $t0" | bc
  remove_by_label "bench.direct=$$"
}

DIRECT_NET="bench-$$-net"
api -H "Content-Type: application/json" -d "{\"Name\":\"$DIRECT_NET\",\"CheckDuplicate\":true}" \
  "http://docker/networks/create" >/dev/null

: >"$WORK/tender"; : >"$WORK/compose"; : >"$WORK/direct"
: >"$WORK/plain"
for r in $(seq 1 "$ROUNDS"); do
  direct_round "$r" "$DIRECT_NET" >>"$WORK/direct"
  tender_round "$r" >>"$WORK/tender"
  compose_round "$r" >>"$WORK/compose"
  direct_round "p$r" >>"$WORK/plain"
  echo "round $r: direct $(tail -1 "$WORK/direct")s tender $(tail -1 "$WORK/tender")s" \
    "compose $(tail -1 "$WORK/compose")s direct-default-bridge $(tail -1 "$WORK/plain")s" >&2
done

D=$(median <"$WORK/direct"); T=$(median <"$WORK/tender"); C=$(median <"$WORK/compose"); P=$(median <"$WORK/plain")
RESULT="$OUT/apply-$N.md"
{
  echo "## apply -> all running, $N services (median of $ROUNDS rounds, $(date -u +%Y-%m-%d))"
  echo
  echo "| method | seconds | ratio to direct API |"
  echo "|---|---|---|"
  printf "| Engine API direct, 4 parallel create+start, on a user network | %.2f | 1.00 |\n" "$D"
  printf "| tender apply (default start concurrency) | %.2f | %.2f |\n" "$T" "$(echo "$T / $D" | bc -l)"
  printf "| docker-compose up -d | %.2f | %.2f |\n" "$C" "$(echo "$C / $D" | bc -l)"
  printf "| Engine API direct, on the default bridge | %.2f | %.2f |\n" "$P" "$(echo "$P / $D" | bc -l)"
  echo
  echo "tender and Compose put each container on a user-defined bridge network (the"
  echo "namespace's or the project's), so the baseline does too; the default-bridge"
  echo "row shows what that network costs. Machine: $(nproc) cores, engine $(api http://docker/version | grep -o '"Version":"[^"]*"' | head -1 | cut -d'"' -f4)."
} | tee "$RESULT"

summary_row "apply -> all running, $N services" "seconds, median of $ROUNDS" "$(printf %.2f "$T")" \
  "Engine API direct (4 parallel)" "$(printf %.2f "$D")" "$(ratio2 "$T" "$D")" "-"
summary_row "apply -> all running, $N services" "seconds, median of $ROUNDS" "$(printf %.2f "$T")" \
  "docker-compose up -d" "$(printf %.2f "$C")" "$(ratio2 "$T" "$C")" "-"
