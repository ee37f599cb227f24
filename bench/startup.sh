#!/usr/bin/env bash
# Start-up with N running services to adopt: tender is stopped (SIGTERM: its
# containers keep running) and started again on the same state; the time to
# /readyz 200 and to a reconcile of every service (tender_reconciles_total
# >= N), which finds the same containers, against the same restart of an empty instance, in
# the same run. ROUNDS restarts each; medians and the ratio.
#
#   bench/startup.sh [N] [ROUNDS]        (default 50 services, 3 rounds)
#   TENDER=/path/to/tender bench/startup.sh
#
# Needs: scripts/setup done (engine, build/tender, tender-busybox image).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N="${1:-50}"
ROUNDS="${2:-3}"
TENDER="${TENDER:-build/tender}"
IMAGE=tender-busybox:latest
CMD='trap "exit 0" TERM; while true; do sleep 1; done'
OUT=bench/results
RESULT="$OUT/startup.md"
mkdir -p "$OUT"
WORK="$(mktemp -d)"
BASE="bench-startup-$$"
INSTANCE="$BASE"
NS="bench-startup-$$"
PORT=$((20000 + RANDOM % 20000))
SERVER="http://127.0.0.1:$PORT"
cleanup() {
  stop_pid "${TPID:-}"
  INSTANCE="$BASE" remove_instance_objects
  INSTANCE="$BASE-empty" remove_instance_objects
  rm -rf "$WORK"
}
trap cleanup EXIT

start_tender
apply_services "$N"
deadline=$((SECONDS + 300))
until [ "$(docker ps -q --filter "label=tender.instance=$INSTANCE" --filter status=running | wc -l)" -ge "$N" ]; do
  [ "$SECONDS" -lt "$deadline" ] || { echo "not all $N services running after 300 s" >&2; exit 1; }
  sleep 0.5
done
ids_before=$(docker ps -q --no-trunc --filter "label=tender.instance=$INSTANCE" | sort | sha256sum)
# Whether this server has run at least $1 reconciles (a pass over every
# service: the stored phases say nothing of this run).
reconciled() {
  local n
  n=$(curl -H @"$WORK/auth.header" -sf "$SERVER/metrics" | awk '$1 == "tender_reconciles_total" {print $2}')
  [ -n "$n" ] && [ "${n%.*}" -ge "$1" ]
}

# One restart of the server whose state is $WORK/state: ms to ready, ms to
# $1 reconciles (with N services: each, their namespace and the resync).
restart_once() {
  stop_pid "$TPID"; TPID=
  local t0 ready all
  t0=$(now_ms)
  "$TENDER" serve --listen "127.0.0.1:$PORT" --state-dir "$WORK/state" --instance "$INSTANCE" \
    --log-level warn >>"$WORK/serve.log" 2>&1 &
  TPID=$!
  for _ in $(seq 1 2000); do curl -sf "$SERVER/readyz" >/dev/null && break; sleep 0.005; done
  ready=$(( $(now_ms) - t0 ))
  for _ in $(seq 1 2000); do reconciled "$1" && break; sleep 0.01; done
  all=$(( $(now_ms) - t0 ))
  echo "$ready $all"
}

: >"$WORK/full"; : >"$WORK/empty"
for _ in $(seq 1 "$ROUNDS"); do
  restart_once "$((N + 2))" >>"$WORK/full"  # the services, their namespace, the resync
  [ "$(docker ps -q --no-trunc --filter "label=tender.instance=$INSTANCE" | sort | sha256sum)" = "$ids_before" ] ||
    { echo "a restart changed the containers" >&2; exit 1; }
done
# The same restart of an empty instance.
stop_pid "$TPID"; TPID=
INSTANCE="$BASE-empty"
rm -rf "$WORK/state"
start_tender
for _ in $(seq 1 "$ROUNDS"); do restart_once 1 >>"$WORK/empty"; done

fr=$(awk '{print $1}' "$WORK/full" | median); fa=$(awk '{print $2}' "$WORK/full" | median)
er=$(awk '{print $1}' "$WORK/empty" | median); ea=$(awk '{print $2}' "$WORK/empty" | median)
{
  echo "# Start-up with services to adopt"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, Docker $(docker version --format '{{.Server.Version}}'), $ROUNDS restarts each."
  echo "Command: \`bench/startup.sh $N $ROUNDS\`. tender is stopped with SIGTERM (its containers keep running)"
  echo "and started again on the same state; every restart kept the same $N containers."
  echo
  echo "| instance | to /readyz 200 (median) | to N reconciles, every service once (median) |"
  echo "|---|---|---|"
  echo "| $N running services | ${fr} ms | ${fa} ms |"
  echo "| empty | ${er} ms | ${ea} ms |"
  echo
  echo "Ratio to ready, $N services / empty: $(ratio2 "$fr" "$er")."
} >"$RESULT"
cat "$RESULT"
summary_row "startup" "restart to ready, $N services (median)" "${fr} ms" "empty instance" "${er} ms" "$(ratio2 "$fr" "$er")" "-"
